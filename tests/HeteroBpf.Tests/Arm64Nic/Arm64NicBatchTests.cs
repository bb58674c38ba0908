using System.Buffers.Binary;
using HeteroBpf.Devices;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Maps;
using HeteroBpf.Offload;
using static HeteroBpf.Tests.Offload.OffloadFixtures;

namespace HeteroBpf.Tests.Arm64Nic;

/// <summary>
/// The firmware's receive path beyond the examples: core c acts as CPU c (its inlined per-CPU array lookups and the
/// host's bpf_get_smp_processor_id agree, and each core's share lands in its own per-CPU slot), bpf-to-bpf calls
/// below the frame the firmware enters the program with, and the per-packet results of the batch path that
/// <c>hbpf run</c> takes equal one test-run per packet.
/// </summary>
public sealed class Arm64NicBatchTests
{
    // Counts the packet in key 0 of a per-CPU array (a plain load and store: the lookup is inlined per core) and
    // returns XDP_DROP on CPU 0 and XDP_PASS on CPU 1 (1 + the processor id).
    private const string PerCpuCounter = """
        call 8
        r7 = r0
        r1 = 0
        *(u32 *)(r10 - 4) = r1
        r2 = r10
        r2 += -4
        ld_pseudo r1, 1, 0
        call 1
        if r0 == 0 goto out
        r1 = *(u64 *)(r0 + 0)
        r1 += 1
        *(u64 *)(r0 + 0) = r1
        out:
        r0 = r7
        r0 += 1
        exit
        """;

    // XDP_PASS from a subprogram that uses its own stack frame.
    private const string SubprogramPass = """
        r6 = r1
        call sub
        r7 = r0
        r0 = r7
        exit
        sub:
        r1 = 7
        *(u64 *)(r10 - 8) = r1
        r0 = *(u64 *)(r10 - 8)
        r0 -= 5
        exit
        """;

    // bpf_trace_printk on packets of 100 bytes or more: a helper the NIC's table is made to offer (the verifier then
    // accepts it) but its firmware does not implement, so the run faults at the trap, on those packets only.
    private const string PrintkOnLongPackets = """
        r2 = *(u32 *)(r1 + 0)
        r3 = *(u32 *)(r1 + 4)
        r3 -= r2
        if r3 < 100 goto pass
        r1 = r10
        r1 += -8
        r2 = 8
        r0 = 0
        *(u64 *)(r10 - 8) = r0
        call 6
        pass:
        r0 = 2
        exit
        """;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AFaultingPacketIsItsOwnResultAndTheBatchGoesOn(int cores)
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        var capabilities = Arm64NicDevice.DefaultCapabilities with { Helpers = System.Collections.Frozen.FrozenSet.ToFrozenSet([.. Arm64NicDevice.DefaultCapabilities.Helpers, HeteroBpf.Helpers.HelperId.TracePrintk]) };
        var nic = new Arm64NicDevice("nic-faults", cores: cores, capabilities: capabilities);
        using var program = nic.Load(XdpProgram(PrintkOnLongPackets) with { License = "GPL" }, []);
        // Every third packet is long: faults at the batch's start, middle and end, back to back across the cores' shares.
        var batch = Enumerable.Range(0, 90).Select(i => Packet(i % 3 == 0 || i is 44 or 45 or 89 ? 120 : 60)).ToList();
        var results = new DeviceTestRunResult?[batch.Count];
        var faults = new BpfFaultException?[batch.Count];
        nic.RunBatch(program, batch, results, faults);
        for (int i = 0; i < batch.Count; i++)
        {
            if (batch[i].Length >= 100)
            {
                Assert.Null(results[i]);
                var alone = Assert.Throws<BpfFaultException>(() => program.TestRun(nic, batch[i]));
                Assert.NotNull(faults[i]);
                Assert.Equal(alone.Code, faults[i]!.Code);
                Assert.Equal(alone.Message, faults[i]!.Message);
            }
            else
            {
                Assert.Null(faults[i]);
                Assert.Equal(2u, results[i]!.Retval);
                Assert.Equal(batch[i], results[i]!.DataOut);
            }
        }
    }

    [Fact]
    public void EachCoreIsItsOwnCpuForPerCpuArraysAndTheProcessorId()
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        if (BpfMap.PossibleCpus < 2) Assert.Skip("needs 2 possible CPUs");
        var nic = new Arm64NicDevice("nic-percpu", cores: 2);
        using var map = nic.CreateMap(new MapSpec { Name = "per_cpu", Type = MapType.PerCpuArray, KeySize = 4, ValueSize = 8, MaxEntries = 1 });
        using var program = nic.Load(XdpProgram(PerCpuCounter), [map]);
        // 101 packets on 2 cores: core 0 takes the first 51, core 1 the other 50.
        var batch = Enumerable.Range(0, 101).Select(_ => Packet()).ToList();
        var completions = new NicCompletion[batch.Count];
        nic.RunBatch(program, batch, completions);
        for (int i = 0; i < batch.Count; i++) Assert.Equal(i < 51 ? 1u : 2u, completions[i].Action);
        var value = new byte[map.UserValueSize];
        Assert.Equal(Errno.Ok, map.Lookup(Key(0), value));
        Assert.Equal(51ul, BinaryPrimitives.ReadUInt64LittleEndian(value));
        Assert.Equal(50ul, BinaryPrimitives.ReadUInt64LittleEndian(value.AsSpan(8)));
        // A test-run takes core 0: CPU 0.
        Assert.Equal(1u, program.TestRun(nic, Packet()).Retval);
        Assert.Equal(Errno.Ok, map.Lookup(Key(0), value));
        Assert.Equal(52ul, BinaryPrimitives.ReadUInt64LittleEndian(value));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ASubprogramRunsBelowTheFrameTheFirmwareEntersWith(int cores)
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        var nic = new Arm64NicDevice("nic-sub", cores: cores);
        using var program = nic.Load(XdpProgram(SubprogramPass), []);
        var batch = Enumerable.Range(0, 200).Select(i => Packet(60 + (i % 7))).ToList();
        var completions = new NicCompletion[batch.Count];
        for (int round = 0; round < 3; round++)
        {
            nic.RunBatch(program, batch, completions);
            Assert.All(completions, c => Assert.Equal(2u, c.Action));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TheBatchResultsOfHbpfRunEqualOneTestRunPerPacket(int cores)
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        var nic = new Arm64NicDevice("nic-results", cores: cores);
        using var map = nic.CreateMap(Array());
        using var program = nic.Load(XdpProgram(PacketLength), [map]);
        var batch = Enumerable.Range(0, 150).Select(i => Packet(14 + i)).ToList();
        var results = new DeviceTestRunResult?[batch.Count];
        var faults = new BpfFaultException?[batch.Count];
        nic.RunBatch(program, batch, results, faults);
        for (int i = 0; i < batch.Count; i++)
        {
            Assert.Null(faults[i]);
            var one = program.TestRun(nic, batch[i]);
            var r = results[i]!;
            Assert.Equal(one.Retval, r.Retval);
            Assert.Equal((uint)batch[i].Length, r.Retval);
            Assert.Equal(one.DataOut, r.DataOut);
            Assert.Equal(one.Context, r.Context);
            Assert.Equal(one.RedirectKind, r.RedirectKind);
        }
    }
}
