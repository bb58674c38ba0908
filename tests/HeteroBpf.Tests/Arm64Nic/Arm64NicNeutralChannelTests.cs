using System.Buffers.Binary;
using HeteroBpf.Devices;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Elf;
using HeteroBpf.Maps;
using HeteroBpf.Offload;
using HeteroBpf.Tests.Cli;
using static HeteroBpf.Tests.Offload.NeutralChannelTests;
using static HeteroBpf.Tests.Offload.OffloadFixtures;

namespace HeteroBpf.Tests.Arm64Nic;

/// <summary>
/// Offload-neutral channels on <c>arm64-nic</c> (as <c>Offload/NeutralChannelTests</c> on the sim, which also runs its record-for-record comparisons with the host on this device): a NIC program feeds
/// host ring buffers and perf event arrays, its records equal the host's for the same program, and cores in parallel
/// lose no record; any other host map is still refused.
/// </summary>
public sealed class Arm64NicNeutralChannelTests
{
    private const string Fixture = "ringbuf-v3.o";

    // bpf_ringbuf_output(&rb, &u64 (0x1122334455667788 + the packet's first byte), 8, 0).
    private const string RingOutput = """
        r6 = *(u32 *)(r1 + 0)
        r7 = *(u32 *)(r1 + 4)
        r2 = r6
        r2 += 8
        r0 = 1
        if r2 > r7 goto out
        r3 = *(u64 *)(r6 + 0)
        r2 = 0x1122334455667788 ll
        r2 += r3
        *(u64 *)(r10 - 8) = r2
        r2 = r10
        r2 += -8
        ld_pseudo r1, 1, 0
        r3 = 8
        r4 = 0
        call 130
        out:
        exit
        """;

    public Arm64NicNeutralChannelTests()
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
    }

    private static MapSpec RingSpec(uint size = 4096) => new() { Name = "rb", Type = MapType.RingBuf, KeySize = 0, ValueSize = 0, MaxEntries = size };

    private static byte[] PacketOf(ulong index)
    {
        var p = new byte[60];
        BinaryPrimitives.WriteUInt64LittleEndian(p, index);
        return p;
    }

    [Fact]
    public void ANicProgramFeedsAHostRingBufferAndOtherHostMapsStayRefused()
    {
        var nic = new Arm64NicDevice("nicN");
        Assert.True(nic.Capabilities.IsNeutral(MapType.RingBuf));
        Assert.True(nic.Capabilities.IsNeutral(MapType.PerfEventArray));
        using var ring = (RingBufMap)BpfMap.Create(RingSpec());
        using var program = nic.Load(XdpProgram(RingOutput), [ring]);
        Assert.Same(ring, Assert.Single(program.Channels));
        Assert.Equal(0u, program.TestRun(nic, PacketOf(5)).Retval);
        Assert.Equal(0x1122334455667788UL + 5, BinaryPrimitives.ReadUInt64LittleEndian(Assert.Single(Drain(ring))));

        using var hash = BpfMap.Create(Hash());
        var e = Assert.Throws<HbpfException>(() => nic.Load(XdpProgram(Counter), [hash]));
        Assert.Equal(ErrorCode.OffloadMapMismatch, e.Code);
        Assert.Contains("offload device mismatch between program and map", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<HbpfException>(() => nic.CreateMap(RingSpec()));
        Assert.Equal(ErrorCode.OffloadMapRefused, e.Code);
    }

    [Fact]
    public void FourCoresFeedingOneRingLoseNoRecord()
    {
        const int Batches = 4, PerBatch = 256;
        var nic = new Arm64NicDevice("nicN", cores: 4);
        using var ring = (RingBufMap)BpfMap.Create(RingSpec(64 * 1024));
        using var program = nic.Load(XdpProgram(RingOutput), [ring]);
        var completions = new NicCompletion[PerBatch];
        var seen = new List<ulong>();
        for (int b = 0; b < Batches; b++)
        {
            nic.RunBatch(program, [.. Enumerable.Range(0, PerBatch).Select(i => PacketOf((ulong)(b * PerBatch + i)))], completions);
            Assert.All(completions, c => Assert.Equal(0u, c.Action)); // every output succeeded (0)
            seen.AddRange(Drain(ring).Select(r => BinaryPrimitives.ReadUInt64LittleEndian(r) - 0x1122334455667788UL));
        }

        seen.Sort();
        Assert.Equal(Enumerable.Range(0, Batches * PerBatch).Select(i => (ulong)i), seen);
    }
}
