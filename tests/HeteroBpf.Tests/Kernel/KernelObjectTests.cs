using System.Buffers.Binary;
using HeteroBpf.Elf;
using HeteroBpf.KernelOracle;
using HeteroBpf.Offload;
using HeteroBpf.Xdp;

namespace HeteroBpf.Tests.Kernel;

/// <summary>
/// The kernel oracle itself: committed objects loaded into the kernel by <see cref="KernelObject"/> (BTF, func_info,
/// map-in-map, prog-array and spin-lock maps), XDP test runs with every input and output of <c>BPF_PROG_TEST_RUN</c>,
/// the kernel's documented refusals of test-run inputs, and <c>bpf_loop</c> compared with the interpreter.
/// </summary>
public sealed class KernelObjectTests
{
    private const uint XdpDrop = 1, XdpPass = 2;

    public static TheoryData<string> Versions() => new("v2", "v3", "v4");

    private static ObjectFile Fixture(string name, string version) => ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, $"{name}-{version}.o"));

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>Ethernet + IPv4 (ihl 5) + UDP to <paramref name="port"/>, padded to <paramref name="length"/> bytes.</summary>
    private static byte[] UdpPacket(ushort port, uint saddr, int length = 64)
    {
        var p = new byte[length];
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(12), 0x0800);
        p[14] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(16), (ushort)(length - 14));
        p[22] = 64;
        p[23] = 17; // UDP
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(26), saddr);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(30), 0x0a000002);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(34), 4242);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(36), port);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(38), (ushort)(length - 34));
        return p;
    }

    private static (KernelObject Kernel, int Fd) LoadXdpParse(string version)
    {
        KernelOracleExtensions.SkipUnlessAvailable();
        var kernel = KernelObject.Load(Fixture("xdp_parse", version));
        return (kernel, kernel.ProgramFd("xdp_parse"));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void XdpParseRunsWithContextInAndOut(string version)
    {
        var (kernel, fd) = LoadXdpParse(version);
        using var _ = kernel;
        Assert.NotEqual(0, kernel.BtfFd);
        var packet = UdpPacket(53, 0x0a000001);
        var dataOut = new byte[packet.Length];
        var ctxOut = new byte[KernelBpf.XdpMdSize];
        var ctxIn = new XdpMd(0, (uint)packet.Length, 0, IngressIfindex: 1, RxQueueIndex: 0, EgressIfindex: 0).ToBytes();

        var run = KernelBpf.TestRun(fd, new KernelTestRun { DataIn = packet, DataOut = dataOut, CtxIn = ctxIn, CtxOut = ctxOut, Repeat = 5 });

        Assert.Equal(Errno.Ok, run.Errno);
        Assert.Equal(XdpPass, run.Retval);
        Assert.Equal((uint)packet.Length, run.DataSizeOut);
        Assert.Equal(packet, dataOut);
        Assert.Equal((uint)KernelBpf.XdpMdSize, run.CtxSizeOut);
        Assert.Equal(new XdpMd(0, (uint)packet.Length, 0, 1, 0, 0), XdpMd.Read(ctxOut));
        // DNS (port 53) is counter 3; the run repeated 5 times, each counting once.
        var counters = kernel.Dump("counters");
        Assert.Equal([0u, 1u, 2u, 3u], counters.Select(e => BinaryPrimitives.ReadUInt32LittleEndian(e.Key)));
        Assert.Equal([0ul, 0ul, 0ul, 5ul], counters.Select(e => BinaryPrimitives.ReadUInt64LittleEndian(Assert.Single(e.Values))));

        // A truncated IPv4 header is dropped.
        Assert.Equal(XdpDrop, KernelBpf.TestRun(fd, packet.AsSpan(0, 20)));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void XdpTestRunRefusesWhatTheKernelDocuments(string version)
    {
        var (kernel, fd) = LoadXdpParse(version);
        using var _ = kernel;
        var packet = UdpPacket(80, 0x0a000001);

        // Shorter than an Ethernet header.
        Assert.Equal(Errno.EINVAL, KernelBpf.TestRun(fd, new KernelTestRun { DataIn = packet.AsSpan(0, 13) }).Errno);
        Assert.Equal(Errno.Ok, KernelBpf.TestRun(fd, new KernelTestRun { DataIn = packet.AsSpan(0, 14) }).Errno);

        // Metadata before the packet cannot come from user space; data_end cannot lie beyond the packet.
        var meta = new XdpMd(0, (uint)packet.Length, DataMeta: 4, 0, 0, 0).ToBytes();
        Assert.Equal(Errno.EINVAL, KernelBpf.TestRun(fd, new KernelTestRun { DataIn = packet, CtxIn = meta }).Errno);
        var badEnd = new XdpMd(0, (uint)packet.Length + 1, 0, 0, 0, 0).ToBytes();
        Assert.Equal(Errno.EINVAL, KernelBpf.TestRun(fd, new KernelTestRun { DataIn = packet, CtxIn = badEnd }).Errno);

        // XDP takes no flag but live frames.
        Assert.Equal(Errno.EINVAL, KernelBpf.TestRun(fd, new KernelTestRun { DataIn = packet, Flags = KernelTestRun.FlagRunOnCpu }).Errno);

        // A short output buffer: ENOSPC, what fits copied, the full size and the run's result still reported.
        var shortOut = new byte[16];
        var run = KernelBpf.TestRun(fd, new KernelTestRun { DataIn = packet, DataOut = shortOut });
        Assert.Equal(Errno.ENOSPC, run.Errno);
        Assert.Equal((uint)packet.Length, run.DataSizeOut);
        Assert.Equal(XdpPass, run.Retval);
        Assert.Equal(packet.AsSpan(0, 16).ToArray(), shortOut);
        var shortCtx = new byte[8];
        run = KernelBpf.TestRun(fd, new KernelTestRun { DataIn = packet, CtxIn = new XdpMd(0, (uint)packet.Length, 0, 0, 0, 0).ToBytes(), CtxOut = shortCtx });
        Assert.Equal(Errno.ENOSPC, run.Errno);
        Assert.Equal((uint)KernelBpf.XdpMdSize, run.CtxSizeOut);
        Assert.Equal((uint)packet.Length, BinaryPrimitives.ReadUInt32LittleEndian(shortCtx.AsSpan(4)));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void BpfLoopCallbackLoadsWithFuncInfoAndMatchesTheInterpreter(string version)
    {
        KernelOracleExtensions.SkipUnlessAvailable();
        var obj = Fixture("callbacks", version);
        using var kernel = KernelObject.Load(obj);
        using var ours = BpfCollection.Load(obj);

        // Without BTF func_info the verifier refuses the callback: the oracle needs KernelObject's BTF.
        var program = obj.Programs.Single(p => p.Name == "callbacks_main");
        int bare = KernelBpf.Load(program.Instructions.AsSpan(), KernelBpf.SocketFilter, out string refusal);
        if (bare >= 0) KernelBpf.Close(bare);
        Assert.True(bare < 0, "the kernel loaded a bpf_loop callback without func_info");
        Assert.Contains("func_info", refusal, StringComparison.Ordinal);

        // A socket filter's test run starts the skb at the network header (eth_type_trans pulls the Ethernet header),
        // so LD_ABS offsets count from there: the interpreter runs on the same bytes.
        int fd = kernel.ProgramFd("callbacks_main");
        foreach (uint saddr in new uint[] { 0x0a000001, 0xc0a80001, 0, 0xffffffff })
        {
            var packet = UdpPacket(53, saddr, 96);
            packet.AsSpan(48).Fill((byte)saddr);
            uint expected = KernelBpf.TestRun(fd, packet);
            Assert.Equal(expected, (uint)ours.Program("callbacks_main").Run(packet.AsSpan(14)).ReturnValue);
        }
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void MapInitContentsLoadIntoTheKernel(string version)
    {
        KernelOracleExtensions.SkipUnlessAvailable();
        var obj = Fixture("map_init", version);
        using var kernel = KernelObject.Load(obj);

        // Static prog-array slots hold the programs, map-in-map slots the inner maps (the kernel reports ids).
        var jumps = kernel.Dump("jump_table");
        Assert.Equal([1u, 2u], jumps.Select(e => BinaryPrimitives.ReadUInt32LittleEndian(e.Key)));
        Assert.Equal([kernel.ProgramId("tail_one"), kernel.ProgramId("tail_two")], jumps.Select(e => BinaryPrimitives.ReadUInt32LittleEndian(e.Values[0])));
        var outer = kernel.Dump("outer").OrderBy(e => BinaryPrimitives.ReadUInt32LittleEndian(e.Key)).ToList();
        Assert.Equal([0u, 2u], outer.Select(e => BinaryPrimitives.ReadUInt32LittleEndian(e.Key)));
        Assert.Equal([kernel.MapId("inner_a"), kernel.MapId("inner_b")], outer.Select(e => BinaryPrimitives.ReadUInt32LittleEndian(e.Values[0])));

        // entry takes the spin lock (the map has BTF, or the verifier would refuse) and tail-calls slot 1: XDP_DROP.
        var value = new byte[obj.Maps.Single(m => m.Name == "locks").ValueSize];
        Assert.Equal(Errno.Ok, kernel.Update("locks", U32(0), value, 0));
        var packet = UdpPacket(53, 1);
        Assert.Equal(XdpDrop, KernelBpf.TestRun(kernel.ProgramFd("entry"), packet));
        var locked = Assert.Single(kernel.Dump("locks"));
        Assert.Equal(1ul, BinaryPrimitives.ReadUInt64LittleEndian(locked.Values[0]));

        // Emptying slot 1 makes the tail call fall through; SetProgram fills it again.
        Assert.Equal(Errno.Ok, KernelBpf.Delete(kernel.MapFd("jump_table"), U32(1)));
        Assert.Equal(XdpPass, KernelBpf.TestRun(kernel.ProgramFd("entry"), packet));
        Assert.Equal(Errno.Ok, kernel.SetProgram("jump_table", U32(1), "tail_two"));
        Assert.Equal(3u, KernelBpf.TestRun(kernel.ProgramFd("entry"), packet)); // XDP_TX
        Assert.Equal(Errno.Ok, kernel.SetInner("outer", U32(1), "inner_a"));
        Assert.Equal(3, kernel.Dump("outer").Count);

        // The interpreter agrees on the tail call the static contents set up.
        using var ours = BpfCollection.Load(obj);
        Assert.Equal((ulong)XdpDrop, ours.Program("entry").Run(packet).ReturnValue);
    }

    /// <summary>
    /// The programs of committed fixtures the kernel refuses, with a piece of its reason, asserted as still refused; a
    /// null reason is not loaded at all (all_maps' walk makes the verifier process a million instructions, ~10 s).
    /// </summary>
    private static readonly Dictionary<(string Fixture, string Program), string?> KnownRefusals = new()
    {
        [("all_maps", "touch")] = "cannot pass map_type 16 into func bpf_map_lookup_elem",
        [("all_maps", "walk")] = null,
        [("legacy_maps", "unknown_section")] = "errno 22", // no known section prefix: BPF_PROG_TYPE_UNSPEC
        [("subprogs", "calls_main")] = "R0 offset is outside of the packet", // checksum() reads the packet unchecked
    };

    public static TheoryData<string> AllFixtures() => new(RepoPaths.Glob(RepoPaths.Fixtures, "*.o").Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void EveryFixtureLoadsIntoTheKernel(string fixture)
    {
        KernelOracleExtensions.SkipUnlessAvailable();
        var obj = ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture));
        string name = fixture[..fixture.LastIndexOf('-')];
        // BTF and every map (with its contents) are always accepted.
        using var kernel = KernelObject.Open(obj);
        foreach (var map in obj.Maps)
        {
            var info = KernelBpf.MapInfo(kernel.MapFd(map.Name));
            Assert.NotNull(info);
            Assert.Equal(map.Type, info.Value.Type);
            if (map.BtfValueTypeId != 0 && map.Type is MapType.Hash or MapType.Array) Assert.Equal(map.BtfValueTypeId, info.Value.BtfValueTypeId);
        }

        foreach (var program in obj.Programs)
        {
            if (KnownRefusals.TryGetValue((name, program.Name), out string? reason))
            {
                if (reason is null) continue;
                Assert.False(kernel.TryLoadProgram(program.Name, out string? refusal), $"{program.Name} now loads: remove it from KnownRefusals");
                Assert.Contains(reason, refusal, StringComparison.Ordinal);
                continue;
            }

            Assert.True(kernel.TryLoadProgram(program.Name, out string? why), $"kernel refused {program.Name}: {why}");
            var loaded = KernelBpf.ProgramInfo(kernel.ProgramFd(program.Name));
            Assert.NotNull(loaded);
            Assert.Equal(program.Type, loaded.Value.Type);
            if (obj.BtfExt is null) continue;
            // libbpf's way: the object's BTF, a FUNC per function, source lines.
            Assert.NotEqual(0u, loaded.Value.BtfId);
            Assert.Equal((uint)program.Functions.Length, loaded.Value.FuncInfoCount);
            Assert.NotEqual(0u, loaded.Value.LineInfoCount);
        }
    }

    [Fact]
    public void PerCpuDumpGivesOneValuePerPossibleCpu()
    {
        KernelOracleExtensions.SkipUnlessAvailable();
        var spec = new MapSpec { Name = "pcpu", Type = MapType.PerCpuArray, KeySize = 4, ValueSize = 4, MaxEntries = 2 };
        var obj = Fixture("xdp_parse", "v3") with { Maps = [spec], Programs = [], BtfMaps = [], Btf = null, BtfExt = null };
        using var kernel = KernelObject.Open(obj);
        int cpus = KernelBpf.PossibleCpus();
        var values = new byte[8 * cpus];
        for (int c = 0; c < cpus; c++) values[8 * c] = (byte)(c + 1);
        Assert.Equal(Errno.Ok, kernel.Update("pcpu", U32(1), values, 0));

        var dump = kernel.Dump("pcpu");
        Assert.Equal(2, dump.Count);
        Assert.All(dump, e => Assert.Equal(cpus, e.Values.Count));
        Assert.All(dump, e => Assert.All(e.Values, v => Assert.Equal(8, v.Length)));
        Assert.Equal(Enumerable.Range(1, cpus).Select(c => (byte)c), dump[1].Values.Select(v => v[0]));
    }
}
