using BenchmarkDotNet.Attributes;
using HeteroBpf.Bench.Kernel;
using HeteroBpf.Capture;
using HeteroBpf.Elf;
using HeteroBpf.KernelOracle;
using HeteroBpf.Maps;
using HeteroBpf.Offload;
using HeteroBpf.Xdp;

namespace HeteroBpf.Bench;

/// <summary>The XDP examples of <c>examples/</c>.</summary>
public enum XdpExample
{
    /// <summary>examples/counter: per-CPU packet and byte counters by protocol.</summary>
    Counter,
    /// <summary>examples/firewall (with its map-set.json): LPM, hash and array lookups.</summary>
    Firewall,
    /// <summary>examples/reflector: swaps addresses and sends UDP echo back (XDP_TX).</summary>
    Reflector,
    /// <summary>examples/ipip: IPv4-in-IPv4 encapsulation with bpf_xdp_adjust_head.</summary>
    Ipip,
    /// <summary>examples/dns_truncate: truncated DNS answers with bpf_xdp_adjust_tail and bpf_csum_diff.</summary>
    DnsTruncate,
    /// <summary>examples/lb (with its map-set.json): 5-tuple hash, array of maps, checksum updates, XDP_TX.</summary>
    Lb,
}

/// <summary>
/// Each example's capture through HeteroBpf and through the kernel in one run: <c>CaptureRun.Run</c> (what
/// <c>hbpf run</c> does) with 1 and 2 queues over the capture replicated to <see cref="Packets"/> packets, the runner
/// alone (<c>XdpRunner.Load</c> + <c>Run</c> per packet, no capture reading or queues), and the kernel's
/// <c>BPF_PROG_TEST_RUN</c> on the same packets in the same order, once each (repeat 1, so every run sees the packet as
/// captured, as <c>hbpf run</c> does; with a repeat the kernel would run on what the previous run left). Every Mean is per
/// packet. Maps are set up from the example's <c>map-set.json</c> on both sides; the kernel's setup first checks that
/// the kernel and HeteroBpf return the same verdict for every packet of the original capture.
/// </summary>
public class XdpBenchmarks
{
    /// <summary>Packets per operation: the example's capture repeated (and cut) to this many.</summary>
    public const int Packets = 4096;

    private BpfCollection? _collection;
    private BpfProgram? _program;
    private XdpRunner? _runner;
    private BpfCollection? _cilCollection;
    private XdpRunner? _cilRunner;
    private string _pcap = "";
    private byte[][] _packets = [];
    private KernelObject? _kernel;
    private int _kernelFd = -1;
    private long _kernelNs;
    private long _kernelRuns;

    /// <summary>The example.</summary>
    [ParamsAllValues]
    public XdpExample Example { get; set; }

    /// <summary>Loads the example into HeteroBpf, applies its map set and writes the replicated capture.</summary>
    [GlobalSetup(Targets = [nameof(OneQueue), nameof(TwoQueues), nameof(Runner)])]
    public void SetupHeteroBpf()
    {
        (_collection, _program) = XdpExamples.LoadHeteroBpf(Example);
        _packets = XdpExamples.Replicated(Example);
        _pcap = XdpExamples.WriteCapture(Example, _packets);
        _runner = new XdpRunner(_collection, _program);
        var result = CaptureRun.Run(_collection, _program, _pcap);
        if (result.Packets != Packets || result.NotRun.Count != 0)
        {
            throw new InvalidOperationException($"{Example}: {result.Packets} packets run and {result.NotRun.Count} not run, expected {Packets} run");
        }
    }

    /// <summary>Loads the example on the CIL JIT, verified as <c>hbpf run</c> loads it (proven accesses unchecked), and checks its verdicts against the interpreter's.</summary>
    [GlobalSetup(Target = nameof(CilRunner))]
    public void SetupCil()
    {
        BpfProgram program;
        (_cilCollection, program) = XdpExamples.LoadHeteroBpf(Example, HostEngine.Cil, verified: true);
        _cilRunner = new XdpRunner(_cilCollection, program);
        _packets = XdpExamples.Replicated(Example);
        var (collection, interpreted) = XdpExamples.LoadHeteroBpf(Example);
        using (collection)
        using (var runner = new XdpRunner(collection, interpreted))
        {
            var capture = XdpExamples.CapturePackets(Example);
            for (int i = 0; i < capture.Count; i++)
            {
                runner.Load(capture[i], 0, XdpTestRun.LoopbackIfindex);
                _cilRunner.Load(capture[i], 0, XdpTestRun.LoopbackIfindex);
                uint expected = runner.Run().Retval, actual = _cilRunner.Run().Retval;
                if (expected != actual) throw new InvalidOperationException($"{Example} packet {i}: interpreter {expected}, CIL JIT {actual}");
            }
        }
    }

    /// <summary>Loads the example into the kernel (maps, map set, program) and checks its verdicts against HeteroBpf's.</summary>
    [GlobalSetup(Target = nameof(InKernel))]
    public void SetupKernel()
    {
        var obj = XdpExamples.Object(Example);
        // Throws with the errno (and verifier reason) if bpf() is refused: BenchmarkDotNet then shows the row as NA.
        _kernel = KernelObject.Load(obj);
        foreach (var e in XdpExamples.MapSetOf(Example) ?? [])
        {
            var errno = _kernel.Apply(e);
            if (errno != Errno.Ok) throw new InvalidOperationException($"{Example}: map-set entry for {e.Map} refused by the kernel: {KernelBpf.Describe(errno)}");
        }

        PrintKernelFloor();
        string name = XdpExamples.ProgramName(obj);
        _kernelFd = _kernel.ProgramFd(name);
        _packets = XdpExamples.Replicated(Example);

        // Same verdicts, packet by packet over the original capture, both sides starting from the same map contents.
        var (collection, program) = XdpExamples.LoadHeteroBpf(Example);
        using (collection)
        using (var runner = new XdpRunner(collection, program))
        {
            var capture = XdpExamples.CapturePackets(Example);
            for (int i = 0; i < capture.Count; i++)
            {
                runner.Load(capture[i], 0, XdpTestRun.LoopbackIfindex);
                uint ours = runner.Run().Retval;
                uint kernel = RunInKernel(capture[i]).Retval;
                if (ours != kernel) throw new InvalidOperationException($"{Example} packet {i}: HeteroBpf returns {ours}, the kernel {kernel}");
            }
        }
    }

    /// <summary>Records the kernel's own ns per run for the summary's columns, and frees everything.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        if (_kernelRuns > 0) KernelDurations.Write(XdpExamples.Key(Example), (double)_kernelNs / _kernelRuns, _kernelRuns);
        _runner?.Dispose();
        _collection?.Dispose();
        _cilRunner?.Dispose();
        _cilCollection?.Dispose();
        _cilRunner = null;
        _cilCollection = null;
        _kernel?.Dispose();
        _runner = null;
        _collection = null;
        _kernel = null;
    }

    /// <summary><c>CaptureRun.Run</c> over the replicated capture with one queue (the capture read, the run, the counts).</summary>
    [Benchmark(OperationsPerInvoke = Packets, Description = "HeteroBpf CaptureRun, 1 queue")]
    public long OneQueue() => CaptureRun.Run(_collection!, _program!, _pcap, 1).Packets;

    /// <summary>The same with two queues (two worker threads, packets spread by their 5-tuple).</summary>
    [Benchmark(OperationsPerInvoke = Packets, Description = "HeteroBpf CaptureRun, 2 queues")]
    public long TwoQueues() => CaptureRun.Run(_collection!, _program!, _pcap, 2).Packets;

    /// <summary>The same per-packet path with the program verified and on the CIL JIT, as <c>hbpf run</c> runs it.</summary>
    [Benchmark(OperationsPerInvoke = Packets, Description = "HeteroBpf XdpRunner, CIL JIT (verified)")]
    public long CilRunner()
    {
        var runner = _cilRunner!;
        long retvals = 0;
        foreach (byte[] packet in _packets)
        {
            runner.Load(packet, 0, XdpTestRun.LoopbackIfindex);
            retvals += runner.Run().Retval;
        }

        return retvals;
    }

    /// <summary><c>XdpRunner.Load</c> + <c>Run</c> per packet on this thread: the per-packet path alone.</summary>
    [Benchmark(OperationsPerInvoke = Packets, Description = "HeteroBpf XdpRunner")]
    public long Runner()
    {
        var runner = _runner!;
        long retvals = 0;
        foreach (byte[] packet in _packets)
        {
            runner.Load(packet, 0, XdpTestRun.LoopbackIfindex);
            retvals += runner.Run().Retval;
        }

        return retvals;
    }

    /// <summary>One <c>BPF_PROG_TEST_RUN</c> (repeat 1) per packet: Mean is wall time with the syscall, the kernel ns/run column the kernel's own timing.</summary>
    [Benchmark(OperationsPerInvoke = Packets, Description = "kernel BPF_PROG_TEST_RUN")]
    public long InKernel()
    {
        long retvals = 0;
        foreach (byte[] packet in _packets)
        {
            var run = RunInKernel(packet);
            _kernelNs += run.DurationNs;
            _kernelRuns++;
            retvals += run.Retval;
        }

        return retvals;
    }

    // What the kernel reports for a run of `r0 = XDP_PASS; exit` with repeat 1 on the same packets: the timer's own
    // cost, included in every kernel ns/run of the XDP rows.
    private void PrintKernelFloor()
    {
        var pass = HeteroBpf.Asm.Assembler.Assemble("r0 = 2\nexit\n", "pass.s");
        int fd = KernelBpf.Load(pass, (uint)ProgramType.Xdp, out string refusal);
        if (fd < 0) throw new InvalidOperationException($"BPF_PROG_LOAD of r0 = 2; exit failed: {refusal}");
        try
        {
            long ns = 0;
            var packets = XdpExamples.Replicated(Example);
            foreach (byte[] packet in packets) ns += KernelBpf.TestRun(fd, new KernelTestRun { DataIn = packet, Repeat = 1 }).DurationNs;
            Console.WriteLine($"// {Example}: the kernel reports {(double)ns / packets.Length:0.0} ns per run of r0 = 2; exit (repeat 1, the same packets)");
        }
        finally
        {
            KernelBpf.Close(fd);
        }
    }

    private KernelTestRunResult RunInKernel(byte[] packet)
    {
        var run = KernelBpf.TestRun(_kernelFd, new KernelTestRun { DataIn = packet, Repeat = 1 });
        if (run.Errno != Errno.Ok) throw new InvalidOperationException($"BPF_PROG_TEST_RUN failed: {KernelBpf.Describe(run.Errno)}");
        return run;
    }
}

/// <summary>The examples' objects, map sets and captures, copied next to the benchmark assembly.</summary>
internal static class XdpExamples
{
    /// <summary>The example's directory name (dns_truncate, lb, …).</summary>
    public static string Name(XdpExample example) => example == XdpExample.DnsTruncate ? "dns_truncate" : example.ToString().ToLowerInvariant();

    /// <summary>The key of the example's kernel durations (see <see cref="KernelDurations"/>).</summary>
    public static string Key(XdpExample example) => "xdp-" + Name(example);

    private static string PathOf(XdpExample example, string file) => Path.Combine(AppContext.BaseDirectory, "examples", Name(example), file);

    public static ObjectFile Object(XdpExample example) => ObjectFile.Load(PathOf(example, Name(example) + ".o"));

    public static string ProgramName(ObjectFile obj) => obj.Programs.Single(p => p.Type == ProgramType.Xdp).Name;

    public static IReadOnlyList<MapSetEntry>? MapSetOf(XdpExample example)
    {
        string path = PathOf(example, "map-set.json");
        return File.Exists(path) ? MapSet.Parse(File.ReadAllText(path), path) : null;
    }

    /// <summary>A fresh HeteroBpf collection of the example with its map set applied (verified first when <paramref name="verified"/>), and its XDP program.</summary>
    public static (BpfCollection Collection, BpfProgram Program) LoadHeteroBpf(XdpExample example, HostEngine engine = HostEngine.Interpreter, bool verified = false)
    {
        var obj = Object(example);
        var collection = BpfCollection.Load(obj, typeOps: XdpOps.Instance, engine: engine, verifier: verified ? new Verifier.VerifierOptions() : null);
        if (MapSetOf(example) is { } set) MapSet.Apply(collection, set, "map-set.json");
        return (collection, collection.Program(ProgramName(obj)));
    }

    /// <summary>The packets of the example's capture, in order.</summary>
    public static List<byte[]> CapturePackets(XdpExample example)
    {
        using var reader = CaptureReader.Open(PathOf(example, Name(example) + ".pcap"));
        var packets = new List<byte[]>();
        while (reader.TryRead(out var p)) packets.Add(p.Data.ToArray());
        return packets;
    }

    /// <summary>The capture's packets repeated in order until there are <see cref="XdpBenchmarks.Packets"/>.</summary>
    public static byte[][] Replicated(XdpExample example)
    {
        var capture = CapturePackets(example);
        return [.. Enumerable.Range(0, XdpBenchmarks.Packets).Select(i => capture[i % capture.Count])];
    }

    /// <summary>Writes <paramref name="packets"/> as a pcap under the temp directory (1 µs apart); gives its path.</summary>
    public static string WriteCapture(XdpExample example, byte[][] packets)
    {
        string path = Path.Combine(Path.GetTempPath(), "hbpf-bench", $"{Name(example)}-{packets.Length}.pcap");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = PcapWriter.Create(path, LinkType.Ethernet);
        for (int i = 0; i < packets.Length; i++) writer.Write(packets[i], 1_000L * i);
        return path;
    }

    /// <summary>eBPF instructions per packet over the example's capture (HeteroBpf's count, averaged; fresh maps).</summary>
    public static double InstructionsPerPacket(XdpExample example)
    {
        var (collection, program) = LoadHeteroBpf(example);
        using (collection)
        using (var runner = new XdpRunner(collection, program))
        {
            var capture = CapturePackets(example);
            long total = 0;
            foreach (byte[] packet in capture)
            {
                runner.Load(packet, 0, XdpTestRun.LoopbackIfindex);
                total += runner.Run().Instructions;
            }

            return (double)total / capture.Count;
        }
    }
}
