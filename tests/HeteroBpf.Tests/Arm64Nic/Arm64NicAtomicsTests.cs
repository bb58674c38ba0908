using System.Buffers.Binary;
using System.Numerics;
using HeteroBpf.Devices;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Maps;
using HeteroBpf.Offload;
using static HeteroBpf.Tests.Offload.OffloadFixtures;

namespace HeteroBpf.Tests.Arm64Nic;

/// <summary>
/// eBPF atomics across the NIC's cores: each emulated core is its own Unicorn instance, so the device runs every atomic
/// on the host (Interlocked on the shared device block) and its cores run such programs in parallel. Every form
/// (add/or/and/xor, their fetch variants, xchg, cmpxchg; 64 and 32 bits) on one map value from 4 cores, batch after
/// batch and from parallel test runs, keeps invariants that any lost update breaks (totals, sums of fetched old values,
/// counts of bit transitions, xchg conservation, cmpxchg successes), and the order-independent cells equal the
/// interpreter's (the sim device) over the same packets.
/// </summary>
public sealed class Arm64NicAtomicsTests
{
    private const ulong K = 0x9e3779b97f4a7c15;

    // r8 = the packet's index (its first 8 bytes), r9 = the value of key 0 (192 bytes: cells listed in Check).
    private const string Program = """
        r6 = *(u32 *)(r1 + 0)
        r7 = *(u32 *)(r1 + 4)
        r2 = r6
        r2 += 8
        if r2 > r7 goto out
        r8 = *(u64 *)(r6 + 0)
        r1 = 0
        *(u32 *)(r10 - 4) = r1
        r2 = r10
        r2 += -4
        ld_pseudo r1, 1, 0
        call 1
        if r0 == 0 goto out
        r9 = r0
        r1 = 1
        lock *(u64 *)(r9 + 0) += r1
        r1 = 1
        r1 = atomic_fetch_add((u64 *)(r9 + 8), r1)
        lock *(u64 *)(r9 + 16) += r1
        r2 = r8
        r2 &= 63
        r1 = 1
        r1 <<= r2
        r3 = r1
        r1 = atomic_fetch_or((u64 *)(r9 + 24), r1)
        r1 &= r3
        if r1 != 0 goto or_seen
        r1 = 1
        lock *(u64 *)(r9 + 32) += r1
        or_seen:
        r1 = r3
        r1 ^= -1
        r1 = atomic_fetch_and((u64 *)(r9 + 40), r1)
        r1 &= r3
        if r1 == 0 goto and_seen
        r1 = 1
        lock *(u64 *)(r9 + 48) += r1
        and_seen:
        lock *(u64 *)(r9 + 104) |= r3
        r1 = r3
        r1 ^= -1
        lock *(u64 *)(r9 + 112) &= r1
        r4 = 0x9e3779b97f4a7c15 ll
        r4 *= r8
        lock *(u64 *)(r9 + 56) ^= r4
        r1 = r4
        r1 = atomic_fetch_xor((u64 *)(r9 + 64), r1)
        r1 = r8
        r1 += 1
        r1 = xchg_64(r9 + 72, r1)
        lock *(u64 *)(r9 + 80) += r1
        r0 = *(u64 *)(r9 + 88)
        r2 = r0
        r1 = r0
        r1 += 1
        r0 = cmpxchg_64(r9 + 88, r0, r1)
        if r0 != r2 goto cas64_lost
        r1 = 1
        lock *(u64 *)(r9 + 96) += r1
        cas64_lost:
        w1 = 1
        lock *(u32 *)(r9 + 120) += w1
        w1 = 1
        w1 = atomic_fetch_add((u32 *)(r9 + 124), w1)
        lock *(u64 *)(r9 + 128) += r1
        w2 = w8
        w2 &= 31
        w1 = 1
        w1 <<= w2
        w3 = w1
        w1 = atomic_fetch_or((u32 *)(r9 + 136), w1)
        w1 &= w3
        if w1 != 0 goto or32_seen
        w1 = 1
        lock *(u32 *)(r9 + 140) += w1
        or32_seen:
        w1 = w3
        w1 ^= -1
        w1 = atomic_fetch_and((u32 *)(r9 + 144), w1)
        w1 &= w3
        if w1 == 0 goto and32_seen
        w1 = 1
        lock *(u32 *)(r9 + 148) += w1
        and32_seen:
        lock *(u32 *)(r9 + 184) |= w3
        w1 = w3
        w1 ^= -1
        lock *(u32 *)(r9 + 188) &= w1
        lock *(u32 *)(r9 + 152) ^= w4
        w1 = w4
        w1 = atomic_fetch_xor((u32 *)(r9 + 156), w1)
        w1 = w8
        w1 += 1
        w1 = xchg32_32(r9 + 160, w1)
        lock *(u64 *)(r9 + 168) += r1
        r0 = *(u32 *)(r9 + 176)
        r2 = r0
        w1 = w0
        w1 += 1
        w0 = cmpxchg32_32(r9 + 176, w0, w1)
        if w0 != w2 goto cas32_lost
        w1 = 1
        lock *(u32 *)(r9 + 180) += w1
        cas32_lost:
        out:
        r0 = 2
        exit
        """;

    private const int ValueSize = 192;

    public Arm64NicAtomicsTests()
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
    }

    private static MapSpec Cells() => Array(valueSize: ValueSize, entries: 1);

    // All ones in the cells the and forms clear.
    private static byte[] Initial()
    {
        var v = new byte[ValueSize];
        BinaryPrimitives.WriteUInt64LittleEndian(v.AsSpan(40), ulong.MaxValue);
        BinaryPrimitives.WriteUInt64LittleEndian(v.AsSpan(112), ulong.MaxValue);
        BinaryPrimitives.WriteUInt32LittleEndian(v.AsSpan(144), uint.MaxValue);
        BinaryPrimitives.WriteUInt32LittleEndian(v.AsSpan(188), uint.MaxValue);
        return v;
    }

    private static byte[] PacketOf(ulong index)
    {
        var p = new byte[60];
        BinaryPrimitives.WriteUInt64LittleEndian(p, index);
        return p;
    }

    private static byte[] Value(BpfDeviceMap map)
    {
        var v = new byte[ValueSize];
        Assert.Equal(Errno.Ok, map.Lookup(Key(0), v));
        return v;
    }

    private static ulong U64(byte[] v, int at) => BinaryPrimitives.ReadUInt64LittleEndian(v.AsSpan(at));

    private static uint U32(byte[] v, int at) => BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(at));

    // The invariants after packets 0..n-1, whatever their interleaving; gives the order-independent cells.
    private static void Check(byte[] v, ulong n, string what)
    {
        ulong bits64 = 0, xor64 = 0;
        uint bits32 = 0, xor32 = 0;
        for (ulong i = 0; i < n; i++)
        {
            bits64 |= 1UL << (int)(i & 63);
            bits32 |= 1U << (int)(i & 31);
            xor64 ^= K * i;
            xor32 ^= (uint)(K * i);
        }

        ulong triangle = n * (n - 1) / 2, xchgTotal = n * (n + 1) / 2;
        void Eq(ulong expected, ulong actual, string cell) => Assert.True(expected == actual, $"{what}: {cell} is {actual}, expected {expected}");
        Eq(n, U64(v, 0), "add64");
        Eq(n, U64(v, 8), "fetch_add64");
        Eq(triangle, U64(v, 16), "sum of fetch_add64 old values");
        Eq(bits64, U64(v, 24), "fetch_or64");
        Eq((ulong)BitOperations.PopCount(bits64), U64(v, 32), "fetch_or64 0→1 transitions seen");
        Eq(~bits64, U64(v, 40), "fetch_and64");
        Eq((ulong)BitOperations.PopCount(bits64), U64(v, 48), "fetch_and64 1→0 transitions seen");
        Eq(xor64, U64(v, 56), "xor64");
        Eq(xor64, U64(v, 64), "fetch_xor64");
        Eq(xchgTotal, U64(v, 72) + U64(v, 80), "xchg64 final + old values");
        Eq(U64(v, 96), U64(v, 88), "cmpxchg64 counter vs successes");
        Assert.InRange(U64(v, 96), 1UL, n);
        Eq(bits64, U64(v, 104), "or64");
        Eq(~bits64, U64(v, 112), "and64");
        Eq(n, U32(v, 120), "add32");
        Eq(n, U32(v, 124), "fetch_add32");
        Eq(triangle, U64(v, 128), "sum of fetch_add32 old values");
        Eq(bits32, U32(v, 136), "fetch_or32");
        Eq((ulong)BitOperations.PopCount(bits32), U32(v, 140), "fetch_or32 0→1 transitions seen");
        Eq(~bits32, U32(v, 144), "fetch_and32");
        Eq((ulong)BitOperations.PopCount(bits32), U32(v, 148), "fetch_and32 1→0 transitions seen");
        Eq(xor32, U32(v, 152), "xor32");
        Eq(xor32, U32(v, 156), "fetch_xor32");
        Eq(xchgTotal, U32(v, 160) + U64(v, 168), "xchg32 final + old values");
        Eq(U32(v, 180), U32(v, 176), "cmpxchg32 counter vs successes");
        Eq(bits32, U32(v, 184), "or32");
        Eq(~bits32, U32(v, 188), "and32");
    }

    // The cells whose final value does not depend on the interleaving (all but xchg's split and cmpxchg's counts).
    private static byte[] OrderIndependent(byte[] v)
    {
        var copy = (byte[])v.Clone();
        foreach (var (at, size) in new[] { (72, 16), (88, 16), (160, 16), (176, 8) }) copy.AsSpan(at, size).Clear();
        return copy;
    }

    private static byte[] Interpreter(ulong n)
    {
        var sim = new SimDevice("sim-atomics");
        using var map = sim.CreateMap(Cells());
        Assert.Equal(Errno.Ok, map.Update(Key(0), Initial()));
        using var program = sim.Load(XdpProgram(Program), [map]);
        for (ulong i = 0; i < n; i++) Assert.Equal(2u, program.TestRun(sim, PacketOf(i)).Retval);
        var v = Value(map);
        Check(v, n, "interpreter");
        Assert.Equal(n, U64(v, 96)); // one at a time, every cmpxchg succeeds
        return v;
    }

    [Fact]
    public void EveryAtomicFormKeepsExactTotalsAcrossFourCoresBatchAfterBatch()
    {
        const int Batches = 8, PerBatch = 256;
        const ulong N = Batches * PerBatch;
        var oracle = OrderIndependent(Interpreter(N));
        for (int round = 0; round < 3; round++)
        {
            var nic = new Arm64NicDevice("nic-atomics", cores: 4);
            using var map = nic.CreateMap(Cells());
            Assert.Equal(Errno.Ok, map.Update(Key(0), Initial()));
            using var program = nic.Load(XdpProgram(Program), [map]);
            var completions = new NicCompletion[PerBatch];
            for (int b = 0; b < Batches; b++)
            {
                var packets = Enumerable.Range(0, PerBatch).Select(i => PacketOf((ulong)(b * PerBatch + i))).ToList();
                nic.RunBatch(program, packets, completions);
                Assert.All(completions, c => Assert.Equal(2u, c.Action));
            }

            var v = Value(map);
            Check(v, N, $"4 cores, round {round}");
            Assert.Equal(oracle, OrderIndependent(v));
        }
    }

    [Fact]
    public void EveryAtomicFormKeepsExactTotalsUnderParallelTestRunsOnEightCores()
    {
        const ulong N = 1200;
        var oracle = OrderIndependent(Interpreter(N));
        var nic = new Arm64NicDevice("nic-atomics", cores: 8);
        using var map = nic.CreateMap(Cells());
        Assert.Equal(Errno.Ok, map.Update(Key(0), Initial()));
        using var program = nic.Load(XdpProgram(Program), [map]);
        Parallel.For(0, (int)N, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => Assert.Equal(2u, program.TestRun(nic, PacketOf((ulong)i)).Retval));
        var v = Value(map);
        Check(v, N, "8 cores, parallel test runs");
        Assert.Equal(oracle, OrderIndependent(v));
    }

    [Fact]
    public void AProgramCallingTheAtomicsHelperItselfGetsTheInterpretersUnknownHelperFault()
    {
        var program = HeteroBpf.Asm.Assembler.Assemble($"r1 = 0x0\nr4 = 0x0\ncall {HeteroBpf.Jit.Arm64.Arm64HostAtomics.TrapHelperId}\nexit", "self");
        var interpreter = Assert.Throws<BpfFaultException>(() => new HeteroBpf.Interpreter.BpfInterpreter(program, HeteroBpf.Helpers.HelperRegistry.Basic).Run(new HeteroBpf.Helpers.MemoryMap()));
        using var loaded = new Arm64NicDevice("nic-atomics").Load(program);
        var nic = Assert.Throws<BpfFaultException>(() => loaded.Execute([]));
        Assert.Equal(ErrorCode.UnknownHelper, interpreter.Code);
        Assert.Equal((interpreter.Code, interpreter.Slot, interpreter.Reason), (nic.Code, nic.Slot, nic.Reason));
    }
}
