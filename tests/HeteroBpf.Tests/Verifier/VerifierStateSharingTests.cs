using HeteroBpf.Elf;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>
/// The verifier's cheap state copies: a frame's copy shares its stack bytes and spilled registers until one of them
/// writes (copy-on-write), finished paths' states are reused for later copies without carrying anything over, and a
/// verification allocates a bounded amount per processed instruction. The copies must behave exactly like full ones:
/// the verdicts and counters they produce are checked against the catalogue and the kernel by the other verifier tests.
/// </summary>
public sealed class VerifierStateSharingTests(ITestOutputHelper output)
{
    [Fact]
    public void FrameCopySharesStackBytesUntilOneWrites()
    {
        var f = new FuncFrame { Depth = 16 };
        f.WritableBytes[500] = StackByte.Misc;
        var g = f.Clone();
        Assert.Same(f.Bytes, g.Bytes);

        g.WritableBytes[501] = StackByte.Zero;
        Assert.NotSame(f.Bytes, g.Bytes);
        Assert.Equal(StackByte.Invalid, f.Bytes[501]);
        Assert.Equal(StackByte.Misc, g.Bytes[500]);

        // The original, still marked shared, copies before its own write too: the copy keeps what it saw.
        f.WritableBytes[502] = StackByte.Misc;
        Assert.Equal(StackByte.Invalid, g.Bytes[502]);
    }

    [Fact]
    public void FrameCopySharesSpillsUntilOneWrites()
    {
        var f = new FuncFrame { Depth = 8 };
        for (int b = 504; b < 512; b++) f.WritableBytes[b] = StackByte.Spill;
        f.WritableSpills[63] = RegisterState.UnknownScalar;
        var g = f.Clone();
        Assert.Same(f.Spills, g.Spills);

        var seven = new RegisterState(RegisterType.Scalar, ScalarValue.Const(7));
        g.WritableSpills[63] = seven;
        Assert.Equal(RegisterState.UnknownScalar, f.Spills[63]);
        Assert.Equal(seven, g.Spills[63]);
    }

    [Fact]
    public void FrameCopyWithoutSpilledSlotsTakesNoSpillArray()
    {
        var f = new FuncFrame { Depth = 8 };
        f.WritableSpills[63] = RegisterState.UnknownScalar;
        // The slot's bytes say Misc: its old spilled register is never read again.
        for (int b = 504; b < 512; b++) f.WritableBytes[b] = StackByte.Misc;
        var g = f.Clone();
        Assert.NotSame(f.Spills, g.Spills);
        Assert.Equal(RegisterType.NotInit, g.Spills[63].Type);
    }

    [Fact]
    public void PooledCopyCarriesNothingFromTheFinishedPath()
    {
        var pool = new StatePool();
        var finished = NewState(RegisterState.UnknownScalar);
        finished.Frames[0].PreciseRegs = 0x3f;
        finished.Frames[0].PreciseSlots = 1;
        finished.Hist.Add(new HistEntry(3, 0, false));
        var reusedFrame = finished.Frames[0];
        pool.Release(finished);

        var source = NewState(new RegisterState(RegisterType.Scalar, ScalarValue.Const(1)));
        source.Hist.Add(new HistEntry(9, 0, false));
        var copy = source.Clone(pool);
        Assert.Same(finished, copy);
        Assert.Same(reusedFrame, copy.Frames[0]);
        Assert.Equal(0, copy.Frames[0].PreciseRegs);
        Assert.Equal(0UL, copy.Frames[0].PreciseSlots);
        Assert.Equal(source.Frames[0].Regs, copy.Frames[0].Regs);
        Assert.Equal([9], copy.Hist.Select(e => e.Insn));
        Assert.Null(copy.Frames[1]);
    }

    // The loop-heavy programs: what one verification allocates per processed instruction (it was 334 bytes on the
    // sieve and 3.7 KiB on parse before states shared their stacks, then about 200 and 690; since evicted checkpoints
    // keep only their masks and give their states back, and kept histories are copied at their exact size, about 70,
    // 25 and 330).
    public static TheoryData<string, string, int> LoopHeavy() => new()
    {
        { "bench/programs/verifier_sieve.o", "prime_sieve", 120 },
        { "bench/programs/verifier_sieve_mark.o", "prime_sieve", 60 },
        { "bench/programs/parse.bpf.o", "parse_xdp", 500 },
    };

    [Theory]
    [MemberData(nameof(LoopHeavy))]
    public void VerificationAllocatesABoundedAmountPerInstruction(string file, string name, int maxBytesPerInsn)
    {
        var obj = ObjectFile.Load(Path.Combine(RepoPaths.Root, file));
        var program = obj.Programs.Single(p => p.Name == name);
        var first = BpfVerifier.Verify(program, obj.Maps);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var second = BpfVerifier.Verify(program, obj.Maps);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{file} {name}: {bytes} bytes, {second.ProcessedInstructions} insns, {(double)bytes / second.ProcessedInstructions:0} bytes per insn");
        Assert.Equal(first.ProcessedInstructions, second.ProcessedInstructions);
        Assert.Equal(first.TotalStates, second.TotalStates);
        Assert.Equal(first.PeakStates, second.PeakStates);
        Assert.InRange(bytes / second.ProcessedInstructions, 0, maxBytesPerInsn);
    }

    [Fact]
    public void CompactedCheckpointMarksAsItsStateWould()
    {
        // A checkpoint evicted while its paths run keeps only masks; backtracking through it must mark exactly what it
        // would mark in the full state: scalars not yet precise, in registers and in spilled slots alone.
        var pool = new StatePool();
        for (int round = 0; round < 2; round++)
        {
            var full = new Checkpoint(MixedState(), null);
            var compact = new Checkpoint(MixedState(), null);
            compact.Compact(pool);
            Assert.Null(compact.State);
            for (int regs = 0; regs < 1 << 11; regs += 37)
            {
                Assert.Equal(full.MarkRegs(0, regs), compact.MarkRegs(0, regs));
            }

            foreach (ulong slots in (ulong[])[1UL << 63, (1UL << 62) | (1UL << 61), ulong.MaxValue, 1UL << 60])
            {
                Assert.Equal(full.MarkSlots(0, slots), compact.MarkSlots(0, slots));
            }

            if (round == 1)
            {
                full.MarkAll();
                compact.MarkAll();
            }

            Assert.Equal(full.MarkRegs(0, 0x7ff), compact.MarkRegs(0, 0x7ff));
            Assert.Equal(full.MarkSlots(0, ulong.MaxValue), compact.MarkSlots(0, ulong.MaxValue));
        }
    }

    // R0, R2, R5 scalars (R2 precise already), R1 context, R10 stack; slot 63 a spilled scalar, 62 a spilled pointer,
    // 61 plain bytes, 60 a spilled scalar already precise.
    private static VState MixedState()
    {
        var state = NewState(RegisterState.UnknownScalar);
        var frame = state.Frames[0];
        frame.Regs[1] = new RegisterState(RegisterType.PtrToCtx, ScalarValue.Const(0));
        frame.Regs[2] = RegisterState.UnknownScalar;
        frame.Regs[5] = new RegisterState(RegisterType.Scalar, ScalarValue.Const(7));
        frame.Regs[10] = new RegisterState(RegisterType.PtrToStack, ScalarValue.Const(0));
        frame.PreciseRegs = 1 << 2;
        frame.Depth = 32;
        var bytes = frame.WritableBytes;
        var spills = frame.WritableSpills;
        for (int b = 0; b < 8; b++)
        {
            bytes[(63 * 8) + b] = StackByte.Spill;
            bytes[(62 * 8) + b] = StackByte.Spill;
            bytes[(61 * 8) + b] = StackByte.Misc;
            bytes[(60 * 8) + b] = StackByte.Spill;
        }

        spills[63] = RegisterState.UnknownScalar;
        spills[62] = new RegisterState(RegisterType.PtrToMapValue, ScalarValue.Const(0), MapIndex: 0);
        spills[60] = RegisterState.UnknownScalar;
        frame.PreciseSlots = 1UL << 60;
        return state;
    }

    private static VState NewState(RegisterState r0)
    {
        var state = new VState();
        var frame = new FuncFrame();
        for (int r = 0; r < 11; r++) frame.Regs[r] = RegisterState.NotInit;
        frame.Regs[0] = r0;
        state.Frames[0] = frame;
        return state;
    }
}
