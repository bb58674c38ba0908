using System.Diagnostics;
using HeteroBpf.Capture;
using HeteroBpf.Devices;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Elf;
using HeteroBpf.Helpers;
using HeteroBpf.Offload;
using HeteroBpf.Xdp;

namespace HeteroBpf.Tests.Arm64Nic;

/// <summary>
/// The NIC's receive path: the firmware loop (ARM64 code from our encoder) walks a batch of RX descriptors in one
/// emulator entry per core and writes a completion per packet. Every example's packets, batched, on 1 and 2 cores,
/// give the host interpreter's action and data offsets packet by packet, and the same maps afterwards; and the
/// measurements of the NIC's notes (packets per second, entries per packet).
/// </summary>
public sealed class Arm64NicFirmwareTests(ITestOutputHelper output)
{
    public static TheoryData<string, int> ExamplesAndCores()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in new[] { "counter", "firewall", "reflector", "ipip", "dns_truncate", "lb" })
        {
            data.Add(name, 1);
            data.Add(name, 2);
        }

        return data;
    }

    private static string Dir(string name) => Path.Combine(RepoPaths.Root, "examples", name);

    private static List<byte[]> Packets(string name)
    {
        var packets = new List<byte[]>();
        using var reader = CaptureReader.Open(Path.Combine(Dir(name), name + ".pcap"));
        while (reader.TryRead(out var packet)) packets.Add(packet.Data.ToArray());
        return packets;
    }

    [Theory]
    [MemberData(nameof(ExamplesAndCores))]
    public void ABatchThroughTheFirmwareLoopEqualsTheHostPacketByPacket(string name, int cores)
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        var obj = ObjectFile.Load(Path.Combine(Dir(name), name + ".o"));
        string program = obj.Programs.Single(p => p.Type == ProgramType.Xdp).Name;
        string mapSetPath = Path.Combine(Dir(name), "map-set.json");
        var mapSet = File.Exists(mapSetPath) ? MapSet.Parse(File.ReadAllText(mapSetPath), mapSetPath) : null;
        using var host = BpfCollection.Load(obj, typeOps: XdpOps.Instance);
        var nic = new Arm64NicDevice("nic-fw-" + name, cores: cores);
        using var device = DeviceCollection.Load(obj, nic, select: p => p.Type == ProgramType.Xdp);
        if (mapSet is not null)
        {
            MapSet.Apply(host, mapSet, mapSetPath);
            device.Apply(mapSet, mapSetPath);
        }

        using var runner = new XdpRunner(host, host.Program(program));
        var packets = Packets(name);
        var completions = new NicCompletion[packets.Count];
        // Batches of up to 128 (the NIC's rings hold 256 per core).
        for (int at = 0; at < packets.Count; at += 128)
        {
            var batch = packets.GetRange(at, Math.Min(128, packets.Count - at));
            nic.RunBatch(device.Program(program), batch, completions.AsSpan(at));
        }

        MapHelpers.SetThreadCpu(0);
        try
        {
            for (int i = 0; i < packets.Count; i++)
            {
                var h = XdpTestRun.Run(runner, packets[i]);
                var c = completions[i];
                string what = $"{name} packet {i} on {cores} core(s)";
                Assert.True(h.Retval == c.Action, $"{what}: action host {h.Retval}, nic {c.Action}");
                Assert.True(c.Data - c.DataMeta == h.ContextOut.Data && c.DataEnd - c.DataMeta == h.ContextOut.DataEnd, $"{what}: offsets host ({h.ContextOut.Data}, {h.ContextOut.DataEnd}), nic ({c.Data - c.DataMeta}, {c.DataEnd - c.DataMeta})");
            }
        }
        finally
        {
            MapHelpers.SetThreadCpu(-1);
        }

        // Per-CPU maps differ by design (each core is a CPU); every other map equals the host's.
        for (int i = 0; i < host.Maps.Length; i++)
        {
            if (host.Maps[i].HoldsHandles || host.Maps[i].Spec.Type is MapType.PerCpuArray or MapType.PerCpuHash) continue;
            var expected = host.Maps[i].Entries().Select(e => Convert.ToHexString(e.Key) + "=" + Convert.ToHexString(e.Value)).Order(StringComparer.Ordinal);
            var actual = device.Maps[i].Entries().Select(e => Convert.ToHexString(e.Key) + "=" + Convert.ToHexString(e.Value)).Order(StringComparer.Ordinal);
            Assert.Equal(expected, actual);
        }
    }

    /// <summary>Packets per second through the firmware loop (batches of 128 per entry per core), for the NIC's notes; asserts only that it ran.</summary>
    [Theory]
    [MemberData(nameof(ExamplesAndCores))]
    public void MeasurePacketsPerSecond(string name, int cores)
    {
        if (Environment.GetEnvironmentVariable("HBPF_MEASURE") != "1") Assert.Skip("a measurement, not a test: run with HBPF_MEASURE=1 (docs/BENCHMARKS.md)");
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        var obj = ObjectFile.Load(Path.Combine(Dir(name), name + ".o"));
        string program = obj.Programs.Single(p => p.Type == ProgramType.Xdp).Name;
        var nic = new Arm64NicDevice("nic-bench-" + name, cores: cores);
        using var device = DeviceCollection.Load(obj, nic, select: p => p.Type == ProgramType.Xdp);
        string mapSetPath = Path.Combine(Dir(name), "map-set.json");
        if (File.Exists(mapSetPath)) device.Apply(MapSet.Parse(File.ReadAllText(mapSetPath), mapSetPath), mapSetPath);
        var all = Packets(name);
        var batch = Enumerable.Range(0, 128 * cores).Select(i => all[i % all.Count]).ToList();
        var completions = new NicCompletion[batch.Count];
        var p = device.Program(program);
        for (int i = 0; i < 20; i++) nic.RunBatch(p, batch, completions); // warm-up: translation caches of every core
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        int runs = 0;
        while (clock.ElapsedMilliseconds < 1500)
        {
            nic.RunBatch(p, batch, completions);
            runs++;
        }

        double seconds = clock.Elapsed.TotalSeconds, cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        long packets = (long)runs * batch.Count;
        output.WriteLine($"NIC-BENCH {name} cores={cores}: {packets / seconds:F0} pps wall, {packets / cpuSeconds:F0} pps per CPU-second, {1.0 / 128:F4} entries/packet ({runs * cores} entries for {packets} packets)");
        Assert.True(runs > 0);
    }
}
