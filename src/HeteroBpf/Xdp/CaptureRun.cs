using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using HeteroBpf.Capture;
using HeteroBpf.Helpers;
using HeteroBpf.Offload;

namespace HeteroBpf.Xdp;

/// <summary>Packets and bytes that ended with one action (or went to one redirect target).</summary>
public sealed class ActionCount
{
    /// <summary>Packets.</summary>
    public long Packets { get; internal set; }

    /// <summary>Bytes as received (before the program changed them).</summary>
    public long Bytes { get; internal set; }
}

/// <summary>A packet that was not passed on: aborted (with the return value or fault), or not run at all.</summary>
/// <param name="Index">Packet number in the capture, from 0.</param>
/// <param name="Reason">What happened.</param>
public readonly record struct PacketProblem(long Index, string Reason);

/// <summary>How far a <see cref="CaptureRun.Run"/> has got; readable from another thread while it runs.</summary>
public sealed class CaptureRunProgress
{
    // One counter per queue, a cache line apart, so that workers never write the same line.
    private long[] _done = new long[8];

    /// <summary>Packets to run (known once the capture was read).</summary>
    public long Total { get; internal set; }

    /// <summary>Packets run so far.</summary>
    public long Done
    {
        get
        {
            var done = _done;
            long sum = 0;
            for (int i = 0; i < done.Length; i += 8) sum += Volatile.Read(ref done[i]);
            return sum;
        }
    }

    internal void Start(int queues, long total)
    {
        _done = new long[queues * 8];
        Total = total;
    }

    internal void Report(int queue, long done) => Volatile.Write(ref _done[queue * 8], done);
}

/// <summary>What <see cref="CaptureRun.Run"/> did.</summary>
public sealed class CaptureRunResult
{
    /// <summary>Counts per action, every action present (zero when unused).</summary>
    public IReadOnlyDictionary<XdpAction, ActionCount> Actions { get; internal init; } = new Dictionary<XdpAction, ActionCount>();

    /// <summary>Redirected packets by target (<see cref="XdpRedirect.ToString"/>).</summary>
    public IReadOnlyDictionary<string, ActionCount> RedirectTargets { get; internal init; } = new Dictionary<string, ActionCount>();

    /// <summary>Packets run.</summary>
    public long Packets { get; internal set; }

    /// <summary>Bytes run.</summary>
    public long Bytes { get; internal set; }

    /// <summary>Aborted packets in capture order (unknown return values and faults included).</summary>
    public IReadOnlyList<PacketProblem> Aborted { get; internal init; } = [];

    /// <summary>Packets not run, because they do not fit a single-buffer frame.</summary>
    public IReadOnlyList<PacketProblem> NotRun { get; internal init; } = [];

    /// <summary>Where the capture stopped being readable, if it did (every packet before it was run).</summary>
    public CaptureFormatException? Truncation { get; internal set; }

    /// <summary>Time spent running packets (all queues, wall clock).</summary>
    public TimeSpan Elapsed { get; internal set; }

    /// <summary>Queues (worker threads) used.</summary>
    public int Queues { get; internal init; }

    /// <summary>Output captures written, by name (<c>pass</c>, <c>tx</c>, <c>redirect-ports-1</c>) → path.</summary>
    public IReadOnlyDictionary<string, string> Outputs { get; internal init; } = new Dictionary<string, string>();

    /// <summary>Mean wall-clock ns per packet.</summary>
    public double NsPerPacket => Packets == 0 ? 0 : Elapsed.TotalNanoseconds / Packets;

    /// <summary>Packets per second of wall-clock time.</summary>
    public double PacketsPerSecond => Elapsed.TotalSeconds <= 0 ? 0 : Packets / Elapsed.TotalSeconds;
}

/// <summary>
/// Every packet of a capture through an XDP program (the main job): packets spread over queues by a hash of their
/// 5-tuple, as RSS does, each queue a worker thread acting as its own CPU for per-CPU maps; packets of one queue run
/// in capture order. Outputs (the packet as the program left it, from data to data_end) go to one capture per action.
/// </summary>
public static unsafe class CaptureRun
{
    private readonly record struct Packet(long Index, nint Data, int Length, long TimestampNs);

    private readonly record struct Output(long Index, long TimestampNs, int Offset, int Length, int Target);

    private const string RedirectPrefix = "redirect-";

    /// <summary>
    /// Runs <paramref name="program"/> (an XDP program of <paramref name="collection"/>, loaded with <see cref="XdpOps"/>)
    /// over every packet of <paramref name="pcap"/>, writing <c>pass.pcap</c>, <c>tx.pcap</c> and
    /// <c>redirect-TARGET.pcap</c> into <paramref name="outDir"/> when it is given. <paramref name="progress"/> may read
    /// the packets done so far while the run lasts.
    /// </summary>
    /// <exception cref="HbpfException">The capture cannot be opened, is not Ethernet, or more queues than CPUs were asked for.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // its loop reads every packet of the capture
    public static CaptureRunResult Run(BpfCollection collection, BpfProgram program, string pcap, int queues = 1, string? outDir = null, CaptureRunProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(program);
        if (queues < 1 || queues > Maps.BpfMap.PossibleCpus)
        {
            throw new HbpfException(ErrorCode.BadArgument, $"--queues {queues}: give 1 to {Maps.BpfMap.PossibleCpus} (each queue is one CPU for per-CPU maps, and this machine has {Maps.BpfMap.PossibleCpus})");
        }

        using var reader = CaptureReader.Open(pcap);
        var perQueue = new List<Packet>[queues];
        for (int q = 0; q < queues; q++) perQueue[q] = [];
        CaptureFormatException? truncation = null;
        long index = 0;
        try
        {
            while (reader.TryRead(out var packet))
            {
                if (packet.LinkType != LinkType.Ethernet)
                {
                    throw new HbpfException(ErrorCode.BadRunInput, $"packet {index} (file offset {packet.Offset}) has link type {Describe(packet.LinkType)}; XDP programs receive Ethernet frames (link type 1)", new BpfLocation { File = pcap, FileOffset = packet.Offset });
                }

                fixed (byte* data = packet.Data)
                {
                    perQueue[QueueOf(packet.Data, queues)].Add(new Packet(index++, (nint)data, packet.Data.Length, packet.TimestampNs));
                }
            }
        }
        catch (CaptureFormatException e)
        {
            truncation = e;
        }

        progress?.Start(queues, index);
        var workers = new Worker[queues];
        for (int q = 0; q < queues; q++) workers[q] = new Worker(collection, program, q, perQueue[q], progress, keepOutputs: outDir is not null);
        if (program.Engine == HostEngine.Interpreter) Interpreter.BpfInterpreter.WarmUp();
        long start = Stopwatch.GetTimestamp();
        if (queues == 1)
        {
            workers[0].RunHere();
        }
        else
        {
            var threads = workers.Select(w => new Thread(w.RunHere) { IsBackground = true, Name = $"xdp-queue-{w.Queue}" }).ToArray();
            foreach (var t in threads) t.Start();
            foreach (var t in threads) t.Join();
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        foreach (var w in workers)
        {
            if (w.Failure is { } failure) throw failure;
        }

        return Collect(workers, queues, truncation, elapsed, outDir);
    }

    private static string Describe(LinkType type) => Enum.IsDefined(type) ? $"{type} ({(uint)type})" : $"{(uint)type}";

    private static CaptureRunResult Collect(Worker[] workers, int queues, CaptureFormatException? truncation, TimeSpan elapsed, string? outDir)
    {
        var actions = Enum.GetValues<XdpAction>().ToDictionary(a => a, _ => new ActionCount());
        var targets = new SortedDictionary<string, ActionCount>(StringComparer.Ordinal);
        var result = new CaptureRunResult
        {
            Actions = actions,
            RedirectTargets = targets,
            Aborted = workers.SelectMany(w => w.Aborted).OrderBy(p => p.Index).ToList(),
            NotRun = workers.SelectMany(w => w.NotRun).OrderBy(p => p.Index).ToList(),
            Truncation = truncation,
            Elapsed = elapsed,
            Queues = queues,
            Outputs = outDir is null ? new Dictionary<string, string>() : WriteOutputs(workers, outDir),
        };
        foreach (var w in workers)
        {
            result.Packets += w.Packets;
            result.Bytes += w.Bytes;
            foreach (var action in actions.Keys)
            {
                var count = w.Actions[(int)action];
                actions[action].Packets += count.Packets;
                actions[action].Bytes += count.Bytes;
            }

            for (int t = 0; t < w.TargetNames.Count; t++)
            {
                if (!w.TargetNames[t].StartsWith(RedirectPrefix, StringComparison.Ordinal)) continue;
                string target = w.TargetNames[t][RedirectPrefix.Length..];
                if (!targets.TryGetValue(target, out var total)) targets[target] = total = new ActionCount();
                total.Packets += w.TargetCounts[t].Packets;
                total.Bytes += w.TargetCounts[t].Bytes;
            }
        }

        return result;
    }

    // Outputs of all queues merged back into capture order, one file per output name.
    private static Dictionary<string, string> WriteOutputs(Worker[] workers, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = workers.SelectMany(w => w.TargetNames).Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (string name in names)
        {
            string path = Path.Combine(outDir, name + ".pcap");
            using var writer = PcapWriter.Create(path, LinkType.Ethernet);
            var merged = workers
                .SelectMany(w => w.Outputs.Where(o => w.TargetNames[o.Target] == name).Select(o => (Worker: w, Output: o)))
                .OrderBy(x => x.Output.Index);
            foreach (var (w, o) in merged) writer.Write(w.Arena.AsSpan(o.Offset, o.Length), o.TimestampNs);
            files[name] = path;
        }

        return files;
    }

    /// <summary>The RSS queue of an Ethernet frame: a hash of its IPv4/IPv6 addresses, protocol and TCP/UDP ports; 0 for anything else.</summary>
    public static int QueueOf(ReadOnlySpan<byte> frame, int queues)
    {
        if (queues == 1 || frame.Length < 14) return 0;
        int offset = 12;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        offset += 2;
        if (type is 0x8100 or 0x88a8 && frame.Length >= offset + 4)
        {
            type = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]);
            offset += 4;
        }

        ReadOnlySpan<byte> addresses;
        int protocol, l4;
        if (type == 0x0800 && frame.Length >= offset + 20)
        {
            var ip = frame[offset..];
            addresses = ip.Slice(12, 8);
            protocol = ip[9];
            l4 = offset + ((ip[0] & 0xf) * 4);
            bool fragment = (BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x1fff) != 0;
            if (fragment) protocol = -1; // later fragments have no ports: hash the addresses only
        }
        else if (type == 0x86dd && frame.Length >= offset + 40)
        {
            var ip = frame[offset..];
            addresses = ip.Slice(8, 32);
            protocol = ip[6];
            l4 = offset + 40;
        }
        else
        {
            return 0;
        }

        // FNV-1a over the tuple: deterministic, so a capture always splits the same way.
        uint hash = 2166136261;
        foreach (byte b in addresses) hash = (hash ^ b) * 16777619;
        if (protocol is 6 or 17 && frame.Length >= l4 + 4)
        {
            hash = (hash ^ (uint)protocol) * 16777619;
            foreach (byte b in frame.Slice(l4, 4)) hash = (hash ^ b) * 16777619;
        }

        return (int)(hash % (uint)queues);
    }

    private sealed class Worker(BpfCollection collection, BpfProgram program, int queue, List<Packet> packets, CaptureRunProgress? progress, bool keepOutputs)
    {
        public int Queue => queue;

        /// <summary>Counts by action value (<see cref="XdpAction"/> is 0..4).</summary>
        public ActionCount[] Actions { get; } = [new(), new(), new(), new(), new()];

        public List<string> TargetNames { get; } = [];

        public List<ActionCount> TargetCounts { get; } = [];

        public List<PacketProblem> Aborted { get; } = [];

        public List<PacketProblem> NotRun { get; } = [];

        /// <summary>The packets as the program left them, when the run writes output captures (else empty).</summary>
        public List<Output> Outputs { get; } = [];

        public byte[] Arena { get; private set; } = keepOutputs ? new byte[64 * 1024] : [];

        public long Packets { get; private set; }

        public long Bytes { get; private set; }

        public Exception? Failure { get; private set; }

        private int _arenaUsed;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunHere()
        {
            try
            {
                MapHelpers.SetThreadCpu(queue);
                var runner = _runner;
                long done = 0;
                foreach (var packet in packets)
                {
                    Step(runner, packet);
                    progress?.Report(queue, ++done);
                }
            }
            catch (Exception e)
            {
                Failure = e;
            }
            finally
            {
                MapHelpers.SetThreadCpu(-1);
                _runner.Dispose();
            }
        }

        // Made before the clock starts.
        private readonly XdpRunner _runner = new(collection, program);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Step(XdpRunner runner, Packet packet)
        {
            var data = new ReadOnlySpan<byte>((void*)packet.Data, packet.Length);
            if (packet.Length > XdpRunner.MaxData || packet.Length < XdpHelpers.EthernetHeader)
            {
                NotRun.Add(new PacketProblem(packet.Index, packet.Length > XdpRunner.MaxData
                    ? $"{packet.Length} bytes: over {XdpRunner.MaxData}, a multi-buffer (fragment) frame, which this runtime does not have"
                    : $"{packet.Length} bytes: shorter than an Ethernet header"));
                return;
            }

            Packets++;
            Bytes += packet.Length;
            runner.Load(data, 0, XdpTestRun.LoopbackIfindex);
            XdpAction action;
            try
            {
                var verdict = runner.Run();
                action = verdict.Action;
                if (action == XdpAction.Aborted)
                {
                    Aborted.Add(new PacketProblem(packet.Index, verdict.Retval == 0 ? "XDP_ABORTED" : $"return value {verdict.Retval} is not an XDP action"));
                }
            }
            catch (BpfFaultException fault)
            {
                action = XdpAction.Aborted;
                Aborted.Add(new PacketProblem(packet.Index, $"fault: {fault.Message}"));
            }

            var count = Actions[(int)action];
            count.Packets++;
            count.Bytes += packet.Length;
            int target = action switch
            {
                XdpAction.Pass => _pass >= 0 ? _pass : _pass = Target(default, "pass"),
                XdpAction.Tx => _tx >= 0 ? _tx : _tx = Target(default, "tx"),
                XdpAction.Redirect => RedirectTarget(runner.Redirect),
                _ => -1,
            };
            if (target < 0) return;

            if (action == XdpAction.Redirect)
            {
                TargetCounts[target].Packets++;
                TargetCounts[target].Bytes += packet.Length;
            }

            if (!keepOutputs) return;
            var output = runner.Packet;
            if (_arenaUsed + output.Length > Arena.Length)
            {
                var bigger = new byte[Math.Max(Arena.Length * 2, _arenaUsed + output.Length)];
                Arena.AsSpan(0, _arenaUsed).CopyTo(bigger);
                Arena = bigger;
            }

            output.CopyTo(Arena.AsSpan(_arenaUsed));
            Outputs.Add(new Output(packet.Index, packet.TimestampNs, _arenaUsed, output.Length, target));
            _arenaUsed += output.Length;
        }

        // The targets of pass and tx, once known; redirects mostly repeat the previous packet's target.
        private int _pass = -1, _tx = -1, _lastRedirect = -1;
        private XdpRedirect _lastRedirectKey;

        private int RedirectTarget(XdpRedirect redirect)
        {
            if (_lastRedirect >= 0 && redirect == _lastRedirectKey) return _lastRedirect;
            _lastRedirectKey = redirect;
            return _lastRedirect = Target(redirect, null);
        }

        // Output names are made once per target, not per packet.
        private int Target(XdpRedirect redirect, string? name)
        {
            var key = name is null ? redirect : new XdpRedirect(XdpRedirectKind.None, 0, name);
            if (_targets.TryGetValue(key, out int target)) return target;
            target = TargetNames.Count;
            TargetNames.Add(name ?? RedirectPrefix + redirect);
            TargetCounts.Add(new ActionCount());
            _targets[key] = target;
            return target;
        }

        private readonly Dictionary<XdpRedirect, int> _targets = [];
    }
}
