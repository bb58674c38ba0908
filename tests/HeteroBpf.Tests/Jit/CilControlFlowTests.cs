using System.Buffers.Binary;
using HeteroBpf.Asm;
using HeteroBpf.Devices;
using HeteroBpf.Elf;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Jit.Cil;
using HeteroBpf.Maps;
using HeteroBpf.Offload;

namespace HeteroBpf.Tests.Jit;

/// <summary>
/// Tail calls and callbacks (<c>bpf_loop</c>, <c>bpf_for_each_map_elem</c>) on the CIL JIT, each against the
/// interpreter (result, exact instruction count, fault code and slot) and, for the fixtures, the interpreter's
/// kernel-checked numbers.
/// </summary>
public sealed unsafe class CilControlFlowTests
{
    // Sums 0..n-1 into the u64 at r10-8 through a callback; n and flags come in r1/r2 (LoopAndTailCallTests' program).
    private const string SumLoop = HeteroBpf.Tests.Interpreter.LoopAndTailCallTests.SumLoop; // the same program on every engine

    private static (ExecutionResult? Result, BpfFaultException? Fault) Try(Func<ExecutionResult> run)
    {
        try
        {
            return (run(), null);
        }
        catch (BpfFaultException fault)
        {
            return (null, fault);
        }
    }

    private static void AssertSame(Func<ExecutionResult> interpreter, Func<ExecutionResult> cil)
    {
        var (a, fa) = Try(interpreter);
        var (b, fb) = Try(cil);
        Assert.Equal(a, b);
        Assert.Equal(fa?.Code, fb?.Code);
        Assert.Equal(fa?.Slot, fb?.Slot);
        Assert.Equal(fa?.Size, fb?.Size);
    }

    [Theory]
    [InlineData(0ul, 0ul)]
    [InlineData(5ul, 0ul)]
    [InlineData(1000ul, 0ul)]
    [InlineData(3ul, 1ul)] // flags: -EINVAL
    [InlineData((1ul << 23) + 1, 0ul)] // -E2BIG
    public void LoopEqualsTheInterpreter(ulong n, ulong flags)
    {
        var program = Assembler.Assemble(SumLoop, "loop.s");
        var interpreter = new BpfInterpreter(program, HelperRegistry.Empty);
        var cil = CilCompiler.Compile(program, HelperRegistry.Empty);
        AssertSame(() => interpreter.Run(new MemoryMap(), n, flags), () => cil.Run(new MemoryMap(), n, flags));
        if (n == 1000) Assert.Equal(499500ul, cil.Run(new MemoryMap(), n, 0).ReturnValue >> 32);
    }

    [Theory]
    [InlineData(1000L)]
    [InlineData(5000L)]
    [InlineData(5003L)]
    public void LoopCallbacksShareTheRunsBudgetAndStopAtTheSameSlot(long budget)
    {
        var program = Assembler.Assemble(SumLoop, "loop.s");
        var interpreter = new BpfInterpreter(program, HelperRegistry.Empty, new InterpreterOptions { InstructionBudget = budget });
        var cil = CilCompiler.Compile(program, HelperRegistry.Empty, new CilCompilerOptions { InstructionBudget = budget });
        AssertSame(() => interpreter.Run(new MemoryMap(), 1000, 0), () => cil.Run(new MemoryMap(), 1000, 0));
        Assert.Throws<BpfFaultException>(() => cil.Run(new MemoryMap(), 1000, 0));
    }

    [Fact]
    public void LoopNeedsAFunctionAddress()
    {
        var program = Assembler.Assemble("r1 = 0x1\nr2 = 0x1234\nr3 = 0x0\nr4 = 0x0\ncall 0xb5\nexit", "bad.s");
        var fault = Assert.Throws<BpfFaultException>(() => CilCompiler.Compile(program, HelperRegistry.Empty).Run(new MemoryMap()));
        Assert.Equal(ErrorCode.HelperFault, fault.Code);
        Assert.Equal(4, fault.Slot);
        AssertSame(() => new BpfInterpreter(program, HelperRegistry.Empty).Run(new MemoryMap()), () => CilCompiler.Compile(program, HelperRegistry.Empty).Run(new MemoryMap()));
    }

    [Fact]
    public void NestedLoopsAndSubprogramCallsInsideACallbackRunOneFrameDeeperEach()
    {
        // outer: bpf_loop(r1, cb1); cb1 calls a subprogram that runs bpf_loop(3, cb2); cb2 adds 1 to the u64 the
        // outermost frame owns. Exercises re-entry, frames below callbacks and the count across all levels.
        var program = Assembler.Assemble(
            """
            r6 = r1
            r1 = 0
            *(u64 *)(r10 - 8) = r1
            r1 = r6
            ld_pseudo r2, 0x4, cb1
            r3 = r10
            r3 += -8
            r4 = 0
            call 0xb5
            r0 = *(u64 *)(r10 - 8)
            exit
            cb1:
            r6 = r2
            *(u64 *)(r10 - 16) = r6
            call inner
            r0 = 0
            exit
            inner:
            r1 = 3
            ld_pseudo r2, 0x4, cb2
            r3 = r6
            r4 = 0
            call 0xb5
            exit
            cb2:
            r1 = *(u64 *)(r2 + 0)
            r1 += 1
            *(u64 *)(r2 + 0) = r1
            r0 = 0
            exit
            """,
            "nested.s");
        var interpreter = new BpfInterpreter(program, HelperRegistry.Empty);
        var cil = CilCompiler.Compile(program, HelperRegistry.Empty);
        foreach (ulong n in new ulong[] { 0, 1, 7 })
        {
            AssertSame(() => interpreter.Run(new MemoryMap(), n), () => cil.Run(new MemoryMap(), n));
        }

        Assert.Equal(21ul, cil.Run(new MemoryMap(), 7).ReturnValue);
    }

    [Fact]
    public void TailCallReplacesTheProgramUpTo33Times()
    {
        // Each program counts itself in the u64 at r1, then tail-calls slot 0 of "prog array" 0x77.
        var program = Assembler.Assemble(
            """
            r6 = r1
            r2 = *(u64 *)(r6 + 0x0)
            r2 += 0x1
            *(u64 *)(r6 + 0x0) = r2
            r2 = 0x77
            r3 = 0x0
            call 0xc
            r0 = *(u64 *)(r6 + 0x0)
            exit
            """,
            "tail.s");
        BpfInterpreter? self = null;
        self = new BpfInterpreter(program, HelperRegistry.Empty, new InterpreterOptions { TailCalls = (map, index) => map == 0x77 && index == 0 ? self : null });
        CilProgram? cilSelf = null;
        cilSelf = CilCompiler.Compile(program, HelperRegistry.Empty, new CilCompilerOptions { TailCalls = (map, index) => map == 0x77 && index == 0 ? cilSelf : null });
        var counter = GC.AllocateArray<byte>(8, pinned: true);
        fixed (byte* p = counter)
        {
            var memory = new MemoryMap();
            memory.Add(counter, RegionKind.Context);
            var a = self.Run(memory, (ulong)p);
            counter.AsSpan().Clear();
            var b = cilSelf.Run(memory, (ulong)p);
            Assert.Equal(a, b);
            Assert.Equal(34ul, b.ReturnValue);
        }
    }

    [Fact]
    public void TailCallKeepsRegistersAndFrameAndTheTargetsSlotsFault()
    {
        // First program: r7 = 5, a stack value, tail call; the target reads both, then faults on a null load.
        var first = Assembler.Assemble("r7 = 5\nr1 = 9\n*(u64 *)(r10 - 8) = r1\nr2 = 1\nr3 = 2\ncall 0xc\nr0 = 99\nexit", "first.s");
        var second = Assembler.Assemble("r0 = *(u64 *)(r10 - 8)\nr0 += r7\nif r0 != 14 goto +1\nr0 = *(u64 *)(r6 + 0)\nexit", "second.s");
        BpfInterpreter i2 = new(second, HelperRegistry.Empty);
        var i1 = new BpfInterpreter(first, HelperRegistry.Empty, new InterpreterOptions { TailCalls = (m, x) => m == 1 && x == 2 ? i2 : null });
        var c2 = CilCompiler.Compile(second, HelperRegistry.Empty);
        var c1 = CilCompiler.Compile(first, HelperRegistry.Empty, new CilCompilerOptions { TailCalls = (m, x) => m == 1 && x == 2 ? c2 : null });
        AssertSame(() => i1.Run(new MemoryMap()), () => c1.Run(new MemoryMap()));
        var fault = Assert.Throws<BpfFaultException>(() => c1.Run(new MemoryMap()));
        Assert.Equal(3, fault.Slot);
    }

    [Fact]
    public void TailCallFromASubprogramIsRefusedAsTheInterpreterDoes()
    {
        var program = Assembler.Assemble("call sub\nexit\nsub:\nr2 = 1\nr3 = 0\ncall 0xc\nr0 = 1\nexit", "sub.s");
        var c = CilCompiler.Compile(program, HelperRegistry.Empty, new CilCompilerOptions { TailCalls = (_, _) => null });
        var fault = Assert.Throws<BpfFaultException>(() => c.Run(new MemoryMap()));
        Assert.Equal(ErrorCode.UnsupportedInstruction, fault.Code);
        Assert.Equal(4, fault.Slot);
    }

    [Fact]
    public void DeviceRunsLoopsAndTreatsATailCallWithoutLoaderAsAnUnknownHelperLikeHostInterp()
    {
        var loop = Assembler.Assemble(SumLoop, "loop.s");
        var memory = new byte[16];
        Assert.Equal(
            DeviceRegistry.Get("host-interp").Load(loop).Execute(memory),
            DeviceRegistry.Get("host-cil").Load(loop).Execute(memory));
        var tail = Assembler.Assemble("r0 = 0\ncall 12\nexit", "tail.s");
        var fault = Assert.Throws<BpfFaultException>(() => DeviceRegistry.Get("host-cil").Load(tail).Execute(memory));
        Assert.Equal(ErrorCode.UnknownHelper, fault.Code);
        Assert.Equal(1, fault.Slot);
    }

    public static TheoryData<string> HelperFixtures() => new(new[] { "v2", "v3", "v4" }.Select(v => $"helpers-{v}.o"));

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>TailCallAndLoopTests' numbers (checked there against the kernel) on the CIL engine.</summary>
    [Theory]
    [MemberData(nameof(HelperFixtures))]
    public void FixtureTailCallsGiveTheKernelsResults(string fixture)
    {
        using var ours = BpfCollection.Load(ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture)), engine: HostEngine.Cil);
        var jumps = ours.Map("jumps");
        var packet = new byte[64];
        int chain = ours.Programs.IndexOf(ours.Program("chain"));
        var results = new List<uint> { (uint)ours.Program("dispatch").Run(packet).ReturnValue };
        Assert.Equal(Errno.Ok, jumps.Update(U32(0), U32((uint)chain), UpdateFlags.Any));
        results.Add((uint)ours.Program("chain").Run(packet).ReturnValue);
        Assert.Equal(Errno.Ok, jumps.Update(U32(1), U32((uint)chain), UpdateFlags.Any));
        results.Add((uint)ours.Program("dispatch").Run(packet).ReturnValue);
        Assert.Equal([7u, 1034u, 1067u], results);
    }

    public static TheoryData<string> AllFixtures() =>
        new(Directory.GetFiles(RepoPaths.Fixtures, "*.o").Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    /// <summary>
    /// Every program of every fixture, on both engines, with the same packets and map arguments: same results, counts
    /// and faults, and the same array and hash map contents afterwards.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void EveryFixtureProgramRunsAsOnTheInterpreter(string fixture)
    {
        var obj = ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture));
        BpfCollection interp, cil;
        try
        {
            interp = BpfCollection.Load(obj);
        }
        catch (HbpfException)
        {
            // Not loadable without a program type (context rewrites): the CIL engine must refuse it the same way.
            Assert.ThrowsAny<HbpfException>(() => BpfCollection.Load(obj, engine: HostEngine.Cil));
            return;
        }

        using (interp)
        using (cil = BpfCollection.Load(obj, engine: HostEngine.Cil))
        {
            foreach (var (args, stop) in new (uint, uint)[] { (10, 100), (100, 50), (3, 0) })
            {
                if (interp.Maps.Any(m => m.Spec.Name == "loop_args"))
                {
                    var a = new byte[8];
                    BinaryPrimitives.WriteUInt32LittleEndian(a, args);
                    BinaryPrimitives.WriteUInt32LittleEndian(a.AsSpan(4), stop);
                    interp.Map("loop_args").Update(new byte[4], a, UpdateFlags.Any);
                    cil.Map("loop_args").Update(new byte[4], a, UpdateFlags.Any);
                }

                for (int p = 0; p < interp.Programs.Length; p++)
                {
                    foreach (int length in new[] { 64, 1500, 14 })
                    {
                        var packet = new byte[length];
                        for (int i = 0; i < length; i++) packet[i] = (byte)(i * 7 + 3);
                        var copy = (byte[])packet.Clone();
                        var ip = interp.Programs[p];
                        var cp = cil.Programs[p];
                        AssertSame(() => ip.Run(packet), () => cp.Run(copy));
                        Assert.Equal(packet, copy);
                    }
                }

                for (int m = 0; m < interp.Maps.Length; m++)
                {
                    if (interp.Maps[m].Type is not (MapType.Array or MapType.Hash)) continue;
                    // Hash walks follow each map's own random seed: compare as sets, ordered by key.
                    var expected = interp.Maps[m].Entries().OrderBy(e => Convert.ToHexString(e.Key), StringComparer.Ordinal).ToList();
                    var actual = cil.Maps[m].Entries().OrderBy(e => Convert.ToHexString(e.Key), StringComparer.Ordinal).ToList();
                    Assert.Equal(expected.Count, actual.Count);
                    for (int e = 0; e < expected.Count; e++)
                    {
                        Assert.Equal(expected[e].Key, actual[e].Key);
                        Assert.Equal(expected[e].Value, actual[e].Value);
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData("all_maps-v2.o")]
    [InlineData("all_maps-v4.o")]
    public void ForEachMapElemVisitsEveryElementAsTheInterpreter(string fixture)
    {
        using var collection = BpfCollection.Load(ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture)), engine: HostEngine.Cil);
        Assert.Equal(140UL * 1000 + 3 * 100 + 2 * 10 + 2, collection.Program("walk").Run(new byte[64]).ReturnValue);
    }
}
