using System.Buffers.Binary;
using HeteroBpf.Elf;
using HeteroBpf.KernelOracle;
using HeteroBpf.Maps;
using HeteroBpf.Offload;
using HeteroBpf.Tests.Kernel;
using HeteroBpf.Xdp;

namespace HeteroBpf.Tests.Xdp;

/// <summary>
/// One object loaded twice, into HeteroBpf (interpreter, XDP context rewritten) and into the kernel, with the same map
/// set-up; inputs run through both with <c>BPF_PROG_TEST_RUN</c> semantics and compared field by field: errno, retval,
/// output bytes, output context, and afterwards every map (per-CPU maps as sums over CPUs, handle maps by name).
/// </summary>
internal sealed class XdpOracle : IDisposable
{
    private readonly BpfCollection _ours;
    private readonly XdpRunner _runner;
    private readonly KernelObject _kernel;
    private readonly int _fd;
    private readonly byte[] _dataOut = new byte[XdpRunner.FrameSize];
    private readonly byte[] _ctxOut = new byte[XdpMd.Size];

    private XdpOracle(BpfCollection ours, XdpRunner runner, KernelObject kernel, int fd)
    {
        _ours = ours;
        _runner = runner;
        _kernel = kernel;
        _fd = fd;
    }

    /// <summary>
    /// Loads <paramref name="obj"/> on both sides (ours on <paramref name="engine"/>, verified first when
    /// <paramref name="verified"/>, so the CIL JIT runs proven accesses unchecked) and applies <paramref name="mapSet"/>;
    /// skips without <c>bpf()</c>.
    /// </summary>
    public static XdpOracle Load(ObjectFile obj, string program, IReadOnlyList<MapSetEntry>? mapSet = null, HostEngine engine = HostEngine.Interpreter, bool verified = false)
    {
        KernelOracleExtensions.SkipUnlessAvailable();
        var kernel = KernelObject.Load(obj);
        var ours = BpfCollection.Load(obj, typeOps: XdpOps.Instance, engine: engine, verifier: verified ? new HeteroBpf.Verifier.VerifierOptions() : null);
        if (mapSet is not null)
        {
            MapSet.Apply(ours, mapSet, "map-set");
            foreach (var e in mapSet) Assert.Equal(Errno.Ok, kernel.Apply(e));
        }

        return new XdpOracle(ours, new XdpRunner(ours, ours.Program(program)), kernel, kernel.ProgramFd(program));
    }

    public BpfCollection Ours => _ours;

    /// <summary>Runs one input on both sides and asserts they agree; gives HeteroBpf's result.</summary>
    public XdpTestRunResult RunBoth(byte[] data, XdpMd? ctx = null, uint repeat = 1, string what = "")
    {
        var ours = XdpTestRun.Run(_runner, data, ctx, repeat);
        var run = new KernelTestRun { DataIn = data, DataOut = _dataOut, Repeat = repeat };
        if (ctx is { } c)
        {
            run.CtxIn = c.ToBytes();
            run.CtxOut = _ctxOut;
        }

        var kernel = KernelBpf.TestRun(_fd, run);
        Assert.True(kernel.Errno == ours.Error, $"{what}: errno: kernel {kernel.Errno}, ours {ours.Error} ({ours.Refusal})");
        if (kernel.Errno != Errno.Ok) return ours;
        Assert.True(kernel.Retval == ours.Retval, $"{what}: retval: kernel {kernel.Retval}, ours {ours.Retval}");
        Assert.True(
            _dataOut.AsSpan(0, (int)kernel.DataSizeOut).SequenceEqual(ours.DataOut),
            $"{what}: data_out differs:\n kernel {Convert.ToHexStringLower(_dataOut.AsSpan(0, (int)kernel.DataSizeOut))}\n ours   {Convert.ToHexStringLower(ours.DataOut)}");
        if (ctx is not null) Assert.Equal(XdpMd.Read(_ctxOut), ours.ContextOut);
        return ours;
    }

    /// <summary>The kernel side alone: its errno for these inputs.</summary>
    public Errno KernelRun(byte[] data, XdpMd ctx) =>
        KernelBpf.TestRun(_fd, new KernelTestRun { DataIn = data, DataOut = _dataOut, CtxIn = ctx.ToBytes(), CtxOut = _ctxOut }).Errno;

    /// <summary>Asserts every keyed map holds the same on both sides.</summary>
    public void AssertMapsEqual()
    {
        foreach (var map in _ours.Maps)
        {
            if (map.Type is MapType.Queue or MapType.Stack or MapType.RingBuf or MapType.PerfEventArray or MapType.XskMap or MapType.BloomFilter) continue;
            // Hash walks follow the seed, which the kernel draws at random unless BPF_F_ZERO_SEED: compare as sets.
            bool ordered = map.Type is MapType.Array or MapType.PerCpuArray or MapType.ProgArray or MapType.ArrayOfMaps or MapType.DevMap or MapType.CpuMap
                || map.Spec.Flags.HasFlag(MapFlags.ZeroSeed);
            var kernel = _kernel.Dump(map.Spec.Name).OrderBy(e => ordered ? "" : Convert.ToHexStringLower(e.Key), StringComparer.Ordinal).ToList();
            var ours = map.Entries().OrderBy(e => ordered ? "" : Convert.ToHexStringLower(e.Key), StringComparer.Ordinal).ToList();
            Assert.True(kernel.Count == ours.Count, $"map {map.Spec.Name}: kernel has {kernel.Count} entries, ours {ours.Count}");
            for (int i = 0; i < ours.Count; i++)
            {
                Assert.Equal(Convert.ToHexStringLower(kernel[i].Key), Convert.ToHexStringLower(ours[i].Key));
                Assert.Equal(KernelValue(map, kernel[i]), OurValue(map, ours[i].Value));
            }
        }
    }

    // Per-CPU values compare as sums of u64 words (which CPU ran a packet is not part of the semantics); handles as names.
    private string KernelValue(BpfMap map, KernelMapEntry entry)
    {
        if (map.Type == MapType.ProgArray) return NameOfProgramId(BinaryPrimitives.ReadUInt32LittleEndian(entry.Values[0]));
        if (map.HoldsHandles) return NameOfMapId(BinaryPrimitives.ReadUInt32LittleEndian(entry.Values[0]));
        return map.IsPerCpu ? Sum(entry.Values.Select(v => v[..map.ValueSize])) : Convert.ToHexStringLower(entry.Values[0]);
    }

    private string OurValue(BpfMap map, byte[] value)
    {
        if (map.Type == MapType.ProgArray) return _ours.Programs[BinaryPrimitives.ReadInt32LittleEndian(value)].Spec.Name;
        if (map.HoldsHandles) return _ours.Maps[BinaryPrimitives.ReadInt32LittleEndian(value)].Spec.Name;
        if (!map.IsPerCpu) return Convert.ToHexStringLower(value);
        int stride = value.Length / BpfMap.PossibleCpus;
        return Sum(Enumerable.Range(0, BpfMap.PossibleCpus).Select(c => value.AsSpan(c * stride, map.ValueSize).ToArray()));
    }

    private static string Sum(IEnumerable<byte[]> values)
    {
        ulong[]? sums = null;
        foreach (var v in values)
        {
            sums ??= new ulong[(v.Length + 7) / 8];
            for (int i = 0; i < v.Length; i += 8) sums[i / 8] += v.Length - i >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(v.AsSpan(i)) : v[i];
        }

        return string.Join(",", sums ?? []);
    }

    private string NameOfProgramId(uint id) => _kernel.Object.Programs.Select(p => p.Name).FirstOrDefault(n => SafeProgramId(n) == id) ?? $"id {id}";

    private string NameOfMapId(uint id) => _kernel.Object.Maps.Select(m => m.Name).FirstOrDefault(n => _kernel.MapId(n) == id) ?? $"id {id}";

    private uint SafeProgramId(string name)
    {
        try
        {
            return _kernel.ProgramId(name);
        }
        catch (KeyNotFoundException)
        {
            return 0;
        }
    }

    public void Dispose()
    {
        _runner.Dispose();
        _ours.Dispose();
        _kernel.Dispose();
    }
}
