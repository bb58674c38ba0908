using System.Buffers.Binary;
using HeteroBpf.Elf;
using HeteroBpf.Offload;
using HeteroBpf.Xdp;

namespace HeteroBpf.Tests.Xdp;

/// <summary>
/// The XDP helpers at their limits and test-run's input rules, each case run through the kernel and HeteroBpf and
/// compared field by field (errno, retval, output bytes, output context, maps).
/// </summary>
public sealed class XdpKernelTests
{
    public static TheoryData<string> Versions() => new("v2", "v3", "v4");

    private static XdpOracle Oracle(string fixture, string version, string program, IReadOnlyList<MapSetEntry>? set = null) =>
        XdpOracle.Load(ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, $"{fixture}-{version}.o")), program, set);

    private static byte[] Packet(int length, int arg1, int arg2 = 0) => XdpRunTests.Packet(length, arg1, arg2);

    public static TheoryData<string, int, int> HeadCases() => new()
    {
        { "v3", -216, 0 }, { "v3", -217, 0 }, { "v3", 46, 0 }, { "v3", 47, 0 }, { "v3", 0, 0 }, { "v3", -1, 0 }, { "v3", int.MinValue, 0 },
        { "v2", -216, 0 }, { "v2", -217, 0 }, { "v4", -216, 0 }, { "v4", -217, 0 },
        { "v3", -200, 8 }, { "v3", -208, 8 }, { "v3", -209, 8 },   // metadata takes headroom too
    };

    [Theory]
    [MemberData(nameof(HeadCases))]
    public void AdjustHeadAtTheHeadroomEdge(string version, int delta, int meta)
    {
        using var oracle = Oracle("xdp_helpers", version, "adjust_head");
        var data = new byte[meta].Concat(Packet(60, delta)).ToArray();
        oracle.RunBoth(data, meta == 0 ? null : new XdpMd((uint)meta, (uint)data.Length), what: $"adjust_head({delta}) meta {meta}");
    }

    public static TheoryData<string, int, int> TailCases() => new()
    {
        { "v3", 60, XdpRunner.MaxData - 60 }, { "v3", 60, XdpRunner.MaxData - 59 }, { "v3", 60, -46 }, { "v3", 60, -47 }, { "v3", 60, -36 },
        { "v3", 60, 1 }, { "v3", 1500, 0 }, { "v3", XdpRunner.MaxData, 1 }, { "v3", XdpRunner.MaxData, -1 }, { "v3", 60, int.MaxValue },
        { "v2", 60, XdpRunner.MaxData - 60 }, { "v4", 60, -47 },
    };

    [Theory]
    [MemberData(nameof(TailCases))]
    public void AdjustTailGrowsAndShrinksWithinTheFrame(string version, int length, int delta)
    {
        using var oracle = Oracle("xdp_helpers", version, "adjust_tail");
        oracle.RunBoth(Packet(length, delta), what: $"adjust_tail({delta}) on {length} bytes");
    }

    public static TheoryData<string, int, int> MetaCases() => new()
    {
        { "v3", -8, -4 }, { "v3", -32, 0 }, { "v3", -36, 0 }, { "v3", -216, 0 }, { "v3", -220, 0 }, { "v3", -6, 0 }, { "v3", 4, 0 }, { "v3", -4, -212 }, { "v3", -4, -213 },
        { "v3", -8, 8 }, { "v2", -8, -4 }, { "v4", -8, -4 },
    };

    [Theory]
    [MemberData(nameof(MetaCases))]
    public void MetadataThenHeadMoves(string version, int meta, int head)
    {
        using var oracle = Oracle("xdp_helpers", version, "meta_then_head");
        oracle.RunBoth(Packet(64, meta, head), new XdpMd(0, 64), what: $"meta {meta} then head {head}");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void RepeatedRunsAccumulateAsInTheKernel(string version)
    {
        using var oracle = Oracle("xdp_helpers", version, "adjust_head");
        var zeros = new byte[62];
        for (int i = 2; i + 4 <= zeros.Length; i += 4) BinaryPrimitives.WriteInt32LittleEndian(zeros.AsSpan(i), -8);
        oracle.RunBoth(zeros, repeat: 5, what: "repeat 5");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void ContextFieldsAndTheInputsTheKernelRefuses(string version)
    {
        using var oracle = Oracle("xdp_helpers", version, "ctx_fields");
        var data = new byte[8 + 64];
        oracle.RunBoth(data, new XdpMd(8, 72), what: "8 bytes of metadata");
        oracle.RunBoth(data, new XdpMd(0, 72, IngressIfindex: 1), what: "lo, queue 0");
        oracle.RunBoth(data, new XdpMd(0, 72, IngressIfindex: 1, RxQueueIndex: 1), what: "lo, queue 1");
        oracle.RunBoth(data, new XdpMd(0, 72, IngressIfindex: 0x7fff_0000), what: "no such interface");
        oracle.RunBoth(data, new XdpMd(0, 72, RxQueueIndex: 1), what: "queue without interface");
        oracle.RunBoth(data, new XdpMd(0, 72, EgressIfindex: 1), what: "egress set");
        oracle.RunBoth(data, new XdpMd(0, 72, DataMeta: 4), what: "data_meta set");
        oracle.RunBoth(data, new XdpMd(0, 73), what: "data_end past the data");
        oracle.RunBoth(data, new XdpMd(6, 72), what: "metadata not a multiple of 4");
        oracle.RunBoth(data, new XdpMd(36, 72), what: "36 bytes of metadata");
        oracle.RunBoth(new byte[300], new XdpMd(256, 300), what: "metadata over 255");
        oracle.RunBoth(new byte[300], new XdpMd(220, 300), what: "metadata beyond the headroom");
        oracle.RunBoth(data, new XdpMd(73, 72), what: "data past data_end");
        oracle.RunBoth(new byte[13], what: "13 bytes");
        oracle.RunBoth(new byte[14], what: "14 bytes");
        oracle.RunBoth(new byte[XdpRunner.MaxData], what: "largest linear frame");
    }

    /// <summary>A known, asserted difference: the kernel puts bytes past a short data_end into fragments; HeteroBpf has none.</summary>
    [Fact]
    public void AShortDataEndIsAFragmentedFrameInTheKernelAndRefusedHere()
    {
        using var oracle = Oracle("xdp_helpers", "v3", "ctx_fields");
        var data = new byte[72];
        var ours = XdpTestRun.Run(new XdpRunner(oracle.Ours, oracle.Ours.Program("ctx_fields")), data, new XdpMd(0, 71));
        Assert.Equal(Errno.EOPNOTSUPP, ours.Error);
        Assert.Equal(Errno.Ok, oracle.KernelRun(data, new XdpMd(0, 71)));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void RedirectsReturnWhatTheKernelReturns(string version)
    {
        var set = new[] { new MapSetEntry("ports", BitConverter.GetBytes(1u), BitConverter.GetBytes(1u)) };
        using var oracle = Oracle("xdp_helpers", version, "redirect_map", set);
        oracle.RunBoth(Packet(60, 1, 0), what: "present key");
        oracle.RunBoth(Packet(60, 2, 0), what: "missing key, flags 0");
        oracle.RunBoth(Packet(60, 2, 2), what: "missing key, XDP_PASS in flags");
        oracle.RunBoth(Packet(60, 2, 3), what: "missing key, XDP_TX in flags");
        oracle.RunBoth(Packet(60, 1, 1 << 5), what: "unknown flag");
        oracle.RunBoth(Packet(60, 9, 1 << 3), what: "broadcast");
        oracle.AssertMapsEqual();

        using var plain = Oracle("xdp_helpers", version, "redirect_if");
        plain.RunBoth(Packet(60, 7, 0), what: "bpf_redirect");
        plain.RunBoth(Packet(60, 7, 1), what: "bpf_redirect with flags");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void XdpParseCountsAsTheKernelCounts(string version)
    {
        using var oracle = Oracle("xdp_parse", version, "xdp_parse");
        var random = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            var p = new byte[random.Next(14, 120)];
            random.NextBytes(p);
            if (i % 2 == 0 && p.Length >= 42)
            {
                p[12] = 0x08;
                p[13] = 0x00;
                p[14] = 0x45;
                p[23] = (byte)(i % 4 == 0 ? 17 : 6);
                if (i % 8 == 0) BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(36), 53);
            }

            oracle.RunBoth(p, what: $"packet {i}");
        }

        oracle.AssertMapsEqual();
    }
}
