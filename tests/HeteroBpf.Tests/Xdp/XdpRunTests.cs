using System.Buffers.Binary;
using HeteroBpf.Elf;
using HeteroBpf.Offload;
using HeteroBpf.Xdp;

namespace HeteroBpf.Tests.Xdp;

/// <summary>
/// XDP on the host: <c>xdp_md</c> reads rewritten to the runtime layout, the frame geometry of the kernel's test-run
/// (216 usable bytes of headroom, packets up to 3520 bytes), and the helpers' limits and error codes as
/// <c>net/core/filter.c</c> states them. The kernel comparison of the same cases is in XdpKernelTests.
/// </summary>
public sealed class XdpRunTests
{
    public static TheoryData<string> Versions() => new("v2", "v3", "v4");

    internal static BpfCollection Load(string name, string version) =>
        BpfCollection.Load(ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, $"{name}-{version}.o")), typeOps: XdpOps.Instance);

    /// <summary>An Ethernet frame of <paramref name="length"/> bytes whose bytes 14..21 hold two little-endian s32 arguments.</summary>
    internal static byte[] Packet(int length, int arg1, int arg2 = 0)
    {
        var p = new byte[length];
        for (int i = 0; i < length; i++) p[i] = (byte)(i * 7 + 1);
        BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(14), arg1);
        BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(18), arg2);
        return p;
    }

    private static XdpTestRunResult Run(string version, string program, byte[] data, XdpMd? ctx = null, uint repeat = 1)
    {
        using var collection = Load("xdp_helpers", version);
        using var runner = new XdpRunner(collection, collection.Program(program));
        return XdpTestRun.Run(runner, data, ctx, repeat);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void ContextFieldsReadAsTheKernelReportsThem(string version)
    {
        var data = new byte[8 + 64];
        var r = Run(version, "ctx_fields", data, new XdpMd(8, 72));
        Assert.Equal(Errno.Ok, r.Error);
        Assert.Equal(2u, r.Retval);
        var packet = r.DataOut.AsSpan(8 + 14);
        Assert.Equal(64u, BinaryPrimitives.ReadUInt32LittleEndian(packet));
        Assert.Equal(8u, BinaryPrimitives.ReadUInt32LittleEndian(packet[4..]));
        Assert.Equal(new XdpMd(8, 72), r.ContextOut);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void AdjustHeadReachesTheHeadroomEdgeAndNotOneBytePast(string version)
    {
        var ok = Run(version, "adjust_head", Packet(60, -216));
        Assert.Equal(2u, ok.Retval);
        Assert.Equal(276, ok.DataOut.Length);
        Assert.Equal(0xab, ok.DataOut[0]);
        Assert.Equal(Packet(60, -216), ok.DataOut[216..]);

        var past = Run(version, "adjust_head", Packet(60, -217));
        Assert.Equal(100u + 22, past.Retval); // EINVAL, packet untouched
        Assert.Equal(Packet(60, -217), past.DataOut);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void AdjustHeadShrinksToTheEthernetHeaderAndNoFurther(string version)
    {
        Assert.Equal(2u, Run(version, "adjust_head", Packet(60, 46)).Retval);
        Assert.Equal(14, Run(version, "adjust_head", Packet(60, 46)).DataOut.Length);
        Assert.Equal(122u, Run(version, "adjust_head", Packet(60, 47)).Retval);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void RepeatedRunsSeeWhatThePreviousRunLeft(string version)
    {
        // -8 repeats every 4 bytes from byte 14 on, so each run reads the same delta after the previous one moved the data.
        var packet = new byte[62];
        for (int i = 2; i + 4 <= packet.Length; i += 4) BinaryPrimitives.WriteInt32LittleEndian(packet.AsSpan(i), -8);
        var r = Run(version, "adjust_head", packet, repeat: 2);
        Assert.Equal(2u, r.Retval);
        Assert.Equal(78, r.DataOut.Length);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void AdjustTailGrowsZeroedToTheFrameLimitAndShrinksToEthernet(string version)
    {
        var grow = Run(version, "adjust_tail", Packet(60, XdpRunner.MaxData - 60));
        Assert.Equal(2u, grow.Retval);
        Assert.Equal(XdpRunner.MaxData, grow.DataOut.Length);
        Assert.All(grow.DataOut[60..], b => Assert.Equal(0, b));
        Assert.Equal(122u, Run(version, "adjust_tail", Packet(60, XdpRunner.MaxData - 59)).Retval);
        Assert.Equal(24, Run(version, "adjust_tail", Packet(60, -36)).DataOut.Length);
        Assert.Equal(122u, Run(version, "adjust_tail", Packet(60, -47)).Retval);
        Assert.Equal(14, Run(version, "adjust_tail", Packet(60, -46)).DataOut.Length);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void MetadataMovesWithTheData(string version)
    {
        var r = Run(version, "meta_then_head", Packet(60, -8, -4));
        Assert.Equal(2u, r.Retval);
        Assert.Equal(new XdpMd(8, 72), r.ContextOut);
        Assert.Equal(0x11223344u, BinaryPrimitives.ReadUInt32LittleEndian(r.DataOut));
        Assert.Equal(Packet(60, -8, -4), r.DataOut[12..]);
        Assert.Equal(113u, Run(version, "meta_then_head", Packet(60, -6, 0)).Retval);  // EACCES: not a multiple of 4
        Assert.Equal(2u, Run(version, "meta_then_head", Packet(60, -36, 0)).Retval);   // up to 255 bytes since Linux 6.x
        Assert.Equal(122u, Run(version, "meta_then_head", Packet(60, 4, 0)).Retval);   // EINVAL: past data
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void RedirectMapFallsBackToTheFlagsActionAndRefusesUnknownFlags(string version)
    {
        using var collection = Load("xdp_helpers", version);
        var ports = collection.Map("ports");
        Assert.Equal(Errno.Ok, ports.Update(BitConverter.GetBytes(1u), BitConverter.GetBytes(7u), UpdateFlags.Any));
        using var runner = new XdpRunner(collection, collection.Program("redirect_map"));
        var hit = XdpTestRun.Run(runner, Packet(60, 1, 0));
        Assert.Equal(4u, hit.Retval);
        Assert.Equal(new XdpRedirect(XdpRedirectKind.Map, 1, "ports"), hit.Redirect);
        Assert.Equal("ports-1", hit.Redirect.ToString());
        Assert.Equal(2u, XdpTestRun.Run(runner, Packet(60, 2, 2)).Retval);  // missing key: XDP_PASS from the flags
        Assert.Equal(0u, XdpTestRun.Run(runner, Packet(60, 1, 1 << 5)).Retval); // unknown flag: XDP_ABORTED
        Assert.Equal(XdpRedirectKind.Broadcast, XdpTestRun.Run(runner, Packet(60, 0, 1 << 3)).Redirect.Kind);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void RedirectTakesNoFlags(string version)
    {
        var r = Run(version, "redirect_if", Packet(60, 7, 0));
        Assert.Equal(4u, r.Retval);
        Assert.Equal("if7", r.Redirect.ToString());
        Assert.Equal(0u, Run(version, "redirect_if", Packet(60, 7, 1)).Retval);
    }

    [Fact]
    public void InputsTheKernelRefusesGetItsErrno()
    {
        Assert.Equal(Errno.EINVAL, Run("v3", "ctx_fields", new byte[13]).Error);
        Assert.Equal(Errno.EINVAL, Run("v3", "ctx_fields", new byte[64], new XdpMd(0, 64, DataMeta: 4)).Error);
        Assert.Equal(Errno.EOPNOTSUPP, Run("v3", "ctx_fields", new byte[64], new XdpMd(0, 60)).Error); // fragments
        Assert.Equal(Errno.EINVAL, Run("v3", "ctx_fields", new byte[64], new XdpMd(0, 65)).Error);
        Assert.Equal(Errno.EINVAL, Run("v3", "ctx_fields", new byte[64], new XdpMd(6, 64)).Error);
        Assert.Equal(Errno.EINVAL, Run("v3", "ctx_fields", new byte[64], new XdpMd(34, 64)).Error);
        Assert.Equal(Errno.EINVAL, Run("v3", "ctx_fields", new byte[64], new XdpMd(0, 64, RxQueueIndex: 1)).Error);
        Assert.Equal(Errno.EINVAL, Run("v3", "ctx_fields", new byte[64], new XdpMd(0, 64, EgressIfindex: 1)).Error);
        Assert.Equal(Errno.ENODEV, Run("v3", "ctx_fields", new byte[64], new XdpMd(0, 64, IngressIfindex: 99)).Error);
        Assert.Equal(Errno.EINVAL, Run("v3", "ctx_fields", new byte[64], new XdpMd(0, 64, IngressIfindex: 1, RxQueueIndex: 1)).Error);
    }

    public static TheoryData<string> AllFixtures() =>
        new(Directory.GetFiles(RepoPaths.Fixtures, "*.o").Select(Path.GetFileName).Order()!);

    /// <summary>Every XDP program of every fixture (each one the kernel's verifier accepts) has its context reads found and rewritten.</summary>
    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void EveryFixtureXdpProgramHasItsContextReadsRewritten(string fixture)
    {
        var obj = ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture));
        foreach (var spec in obj.Programs.Where(p => p.Type == ProgramType.Xdp))
        {
            foreach (var access in ContextAccesses.Find(spec.Instructions.AsSpan()))
            {
                // Reads only, of whole fields; the pointers become 8-byte reads of the runtime layout, the rest 4-byte.
                Assert.False(access.Write);
                var insn = XdpOps.Instance.Convert(spec.Instructions[access.Slot], access);
                Assert.Equal(access.Offset < 12 ? HeteroBpf.Isa.MemSize.DW : HeteroBpf.Isa.MemSize.W, insn.Size);
            }
        }
    }

    [Fact]
    public void ProgramsOfOtherTypesAreNotXdp()
    {
        using var collection = BpfCollection.Load(ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, "helpers-v3.o")), typeOps: XdpOps.Instance);
        var other = collection.Programs.First(p => p.Spec.Type != ProgramType.Xdp);
        var e = Assert.Throws<HbpfException>(() => new XdpRunner(collection, other));
        Assert.Equal(ErrorCode.WrongProgramType, e.Code);
    }
}
