using System.Buffers.Binary;
using HeteroBpf.Elf;
using HeteroBpf.KernelOracle;
using HeteroBpf.Offload;
using HeteroBpf.Tests.Kernel;

namespace HeteroBpf.Tests.Offload;

/// <summary>
/// <c>bpf_tail_call</c> (the interpreter replaces the running program, at most 33 times a run) and <c>bpf_loop</c> (a
/// re-entrant callback), on the <c>helpers</c> fixture, with the kernel running the same object as oracle.
/// </summary>
public sealed class TailCallAndLoopTests
{
    public static TheoryData<string> Fixtures() => new(new[] { "v2", "v3", "v4" }.Select(v => $"helpers-{v}.o"));

    private static ObjectFile Load(string fixture) => ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture));

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static ulong Bss(BpfCollection collection, int offset)
    {
        var value = new byte[collection.Map(".bss").ValueSize];
        Assert.Equal(Errno.Ok, collection.Map(".bss").Lookup(new byte[4], value));
        return BinaryPrimitives.ReadUInt64LittleEndian(value.AsSpan(offset));
    }

    private static int ProgramIndex(BpfCollection collection, string name) => collection.Programs.IndexOf(collection.Program(name));

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TailCallsMatchTheKernel(string fixture)
    {
        var obj = Load(fixture);
        using var ours = BpfCollection.Load(obj);
        var jumps = ours.Map("jumps");
        var packet = new byte[64];

        // Slot 1 empty: dispatch's tail call falls through.
        var results = new List<uint> { (uint)ours.Program("dispatch").Run(packet).ReturnValue };
        // chain → chain: 33 tail calls succeed, the 34th falls through, so chain runs 34 times.
        Assert.Equal(Errno.Ok, jumps.Update(U32(0), U32((uint)ProgramIndex(ours, "chain")), UpdateFlags.Any));
        results.Add((uint)ours.Program("chain").Run(packet).ReturnValue);
        // dispatch → chain: the first of the 33 is dispatch's own.
        Assert.Equal(Errno.Ok, jumps.Update(U32(1), U32((uint)ProgramIndex(ours, "chain")), UpdateFlags.Any));
        results.Add((uint)ours.Program("dispatch").Run(packet).ReturnValue);
        Assert.Equal([7u, 1034u, 1067u], results);

        if (KernelBpf.UnavailableReason is { } unavailable) Assert.Skip(unavailable);
        using var kernel = KernelObject.Open(obj);
        int chain = kernel.LoadProgramOrSkip("chain");
        int dispatch = kernel.LoadProgramOrSkip("dispatch");
        var kernelResults = new List<uint> { KernelBpf.TestRun(dispatch, packet) };
        Assert.Equal(Errno.Ok, KernelBpf.Update(kernel.MapFd("jumps"), U32(0), U32((uint)chain), 0));
        kernelResults.Add(KernelBpf.TestRun(chain, packet));
        Assert.Equal(Errno.Ok, KernelBpf.Update(kernel.MapFd("jumps"), U32(1), U32((uint)chain), 0));
        kernelResults.Add(KernelBpf.TestRun(dispatch, packet));
        Assert.Equal(kernelResults, results);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void LoopsCallBackUntilStoppedOrDone(string fixture) => RunLoops(fixture, withKernel: false);

    /// <summary>
    /// The callback verifies in the kernel because <see cref="KernelObject"/> sends the object's BTF func_info. One known
    /// divergence, asserted as still divergent: the verifier inlines <c>bpf_loop</c> (constant callback, flags 0) and its
    /// inlined E2BIG path sets <c>w0 = -E2BIG</c> (a 32-bit move, <c>inline_bpf_loop</c> in kernel/bpf/verifier.c), so
    /// too many iterations give 0xfffffff9 zero-extended, where the helper (and HeteroBpf) gives −7 as a long.
    /// </summary>
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void LoopsMatchTheKernel(string fixture)
    {
        if (KernelBpf.UnavailableReason is { } unavailable) Assert.Skip(unavailable);
        RunLoops(fixture, withKernel: true);
    }

    private static void RunLoops(string fixture, bool withKernel)
    {
        var obj = Load(fixture);
        using var ours = BpfCollection.Load(obj);
        using var kernel = withKernel ? KernelObject.Open(obj) : null;
        int fd = kernel?.LoadProgram("loops") ?? -1;
        var packet = new byte[64];
        var key = new byte[4];
        foreach (var (count, stop) in new (uint, uint)[] { (0, 5), (10, 100), (100, 50), (1, 0), (1 << 23, 1000), (70000, 1 << 20) })
        {
            var args = new byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(args, count);
            BinaryPrimitives.WriteUInt32LittleEndian(args.AsSpan(4), stop);
            Assert.Equal(Errno.Ok, ours.Map("loop_args").Update(key, args, UpdateFlags.Any));
            ours.Program("loops").Run(packet);
            var bss = new byte[ours.Map(".bss").ValueSize];
            Assert.Equal(Errno.Ok, ours.Map(".bss").Lookup(key, bss));

            ulong calls = Math.Min(count, (ulong)stop + 1);
            ulong sum = 0;
            for (ulong i = 0; i < calls; i++) sum += i * i;
            int at = LoopResultsOffset(ours);
            Assert.Equal((long)calls, BinaryPrimitives.ReadInt64LittleEndian(bss.AsSpan(at)));
            Assert.Equal((long)sum, BinaryPrimitives.ReadInt64LittleEndian(bss.AsSpan(at + 8)));
            Assert.Equal(-22L, BinaryPrimitives.ReadInt64LittleEndian(bss.AsSpan(at + 16)));
            Assert.Equal(-7L, BinaryPrimitives.ReadInt64LittleEndian(bss.AsSpan(at + 24)));

            if (fd < 0) continue;
            Assert.Equal(Errno.Ok, KernelBpf.Update(kernel!.MapFd("loop_args"), key, args, 0));
            KernelBpf.TestRun(fd, packet);
            var expected = new byte[bss.Length];
            Assert.Equal(Errno.Ok, KernelBpf.Lookup(kernel.MapFd(".bss"), key, expected));
            Assert.Equal(expected.AsSpan(at, 24).ToArray(), bss.AsSpan(at, 24).ToArray());
            Assert.Equal(0xffff_fff9L, BinaryPrimitives.ReadInt64LittleEndian(expected.AsSpan(at + 24)));
        }
    }

    // loop_results' offset in .bss, from the relocation of the first lddw that names it in the loops program.
    private static int LoopResultsOffset(BpfCollection collection)
    {
        var spec = collection.Program("loops").Spec;
        return (int)spec.Relocations.First(r => r.Kind == RelocationKind.MapValue && r.Symbol == "loop_results").Offset;
    }
}
