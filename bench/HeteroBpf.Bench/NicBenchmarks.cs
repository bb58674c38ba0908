using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using HeteroBpf.Devices;
using HeteroBpf.Offload;

namespace HeteroBpf.Bench;

/// <summary>
/// Each example on the emulated ARM64 SmartNIC (<c>arm64-nic</c>, Unicorn cores) through its receive path: the
/// example's capture repeated to <see cref="Packets"/> packets, run in batches of <see cref="BatchPerCore"/> packets per
/// core through <see cref="Arm64NicDevice.RunBatch(BpfDeviceProgram, IReadOnlyList{byte[]}, Span{NicCompletion})"/> (the firmware's RX loop: one emulator entry per core per batch),
/// on 1 and 2 emulated cores. Every Mean is per packet; <c>pkt/s</c> is 1 / Mean, <c>Entries/pkt</c> the emulator
/// entries (<c>uc_emu_start</c>) per packet. The setup checks that every packet runs (no fault) before measuring.
/// </summary>
[Config(typeof(NicBenchConfig))]
public class NicBenchmarks
{
    /// <summary>Packets per operation: the example's capture repeated (and cut) to this many.</summary>
    public const int Packets = XdpBenchmarks.Packets;

    /// <summary>Packets each core takes per emulator entry (the rings hold 256).</summary>
    public const int BatchPerCore = 128;

    private Arm64NicDevice? _nic;
    private DeviceCollection? _collection;
    private BpfDeviceProgram? _program;
    private List<byte[]>[] _batches = [];
    private NicCompletion[] _completions = [];

    /// <summary>The example.</summary>
    [ParamsAllValues]
    public XdpExample Example { get; set; }

    /// <summary>Emulated cores (each runs its share of a batch on a thread of its own).</summary>
    [Params(1, 2)]
    public int Cores { get; set; }

    /// <summary>Loads the example on a NIC with <see cref="Cores"/> cores, applies its map set and runs every batch once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var obj = XdpExamples.Object(Example);
        _nic = new Arm64NicDevice("nic-bench", cores: Cores);
        _collection = DeviceCollection.Load(obj, _nic, select: p => p.Type == ProgramType.Xdp);
        if (XdpExamples.MapSetOf(Example) is { } set) _collection.Apply(set, "map-set.json");
        _program = _collection.Program(XdpExamples.ProgramName(obj));
        var packets = XdpExamples.Replicated(Example);
        int batch = BatchPerCore * Cores;
        _batches = [.. Enumerable.Range(0, (packets.Length + batch - 1) / batch).Select(b => packets.Skip(b * batch).Take(batch).ToList())];
        _completions = new NicCompletion[batch];
        RunAll(); // a fault would throw here, before any measurement
    }

    /// <summary>Frees the device's program and maps.</summary>
    [GlobalCleanup]
    public void Cleanup() => _collection?.Dispose();

    /// <summary><see cref="Packets"/> packets through the NIC's receive path, batch by batch.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void RunBatches() => RunAll();

    private void RunAll()
    {
        foreach (var batch in _batches) _nic!.RunBatch(_program!, batch, _completions);
    }

    /// <summary>Emulator entries per packet: each batch is one entry per core.</summary>
    public static double EntriesPerPacket(int cores)
    {
        int batch = BatchPerCore * cores;
        return (double)((Packets + batch - 1) / batch) * cores / Packets;
    }
}

/// <summary>The NIC rows' extra columns: packets per second and emulator entries per packet.</summary>
internal sealed class NicBenchConfig : ManualConfig
{
    public NicBenchConfig()
    {
        AddColumn(new NicPacketsPerSecondColumn(), new NicEntriesPerPacketColumn());
    }
}

internal sealed class NicPacketsPerSecondColumn() : BenchColumn("HbpfNicPacketsPerSecond", "NIC pkt/s", "Packets per second through the NIC at Mean ns per packet")
{
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        benchmarkCase.Descriptor.Type == typeof(NicBenchmarks) && InstructionCounts.MeanNs(summary, benchmarkCase) is { } mean && mean > 0 ? Format(1e9 / mean, "N0") : "-";
}

internal sealed class NicEntriesPerPacketColumn() : BenchColumn("HbpfNicEntries", "Entries/pkt", "Emulator entries (uc_emu_start) per packet: one per core per batch")
{
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        benchmarkCase.Descriptor.Type == typeof(NicBenchmarks) && benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == nameof(NicBenchmarks.Cores))?.Value is int cores
            ? Format(NicBenchmarks.EntriesPerPacket(cores), "0.0000")
            : "-";
}
