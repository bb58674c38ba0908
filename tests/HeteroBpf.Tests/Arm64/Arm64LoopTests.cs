using HeteroBpf.Asm;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Jit.Arm64;

namespace HeteroBpf.Tests.Arm64;

/// <summary>
/// <c>bpf_loop</c> in the ARM64 JIT against the interpreter (the reference): the checks and their order (flags, the
/// 2^23 limit, the call depth), the callback's arguments (index, ctx) and fresh registers, stop on non-zero, the
/// caller's registers kept, nesting, an aborting legacy load inside a callback, the shared budget.
/// </summary>
public sealed class Arm64LoopTests
{
    public Arm64LoopTests()
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
    }

    // Sums 0..n-1 into the u64 at r10-8 through a callback (ctx = its address); n and flags come in r1/r2.
    private const string SumLoop = HeteroBpf.Tests.Interpreter.LoopAndTailCallTests.SumLoop; // the same program on every engine

    private static (ulong? R0, ErrorCode? Fault, int Slot) Interpret(string asm, ulong r1, ulong r2, long budget = 0)
    {
        var options = budget > 0 ? new InterpreterOptions { InstructionBudget = budget } : null;
        try
        {
            return (new BpfInterpreter(Assembler.Assemble(asm, "loop.s"), HelperRegistry.Empty, options).Run(new MemoryMap(), r1, r2).ReturnValue, null, -1);
        }
        catch (BpfFaultException f)
        {
            return (null, f.Code, f.Slot);
        }
    }

    private static (ulong? R0, ErrorCode? Fault, int Slot) Jit(string asm, ulong r1, ulong r2, long budget = 0, bool checkedAccesses = true)
    {
        var code = Arm64Translator.Translate(Assembler.Assemble(asm, "loop.s"), new Arm64TranslatorOptions { CheckAccesses = checkedAccesses });
        var options = budget > 0 ? new Arm64ExecutorOptions { BackEdgeBudget = budget } : null;
        using var executor = new Arm64Executor(code, HelperRegistry.Empty, options);
        try
        {
            return (executor.Run(new MemoryMap(), r1, r2).ReturnValue, null, -1);
        }
        catch (BpfFaultException f)
        {
            return (null, f.Code, f.Slot);
        }
    }

    private static void Same(string asm, ulong r1 = 0, ulong r2 = 0)
    {
        var expected = Interpret(asm, r1, r2);
        Assert.Equal(expected, Jit(asm, r1, r2));
        Assert.Equal(expected, Jit(asm, r1, r2, checkedAccesses: false));
    }

    [Theory]
    [InlineData(0ul, 0ul)]
    [InlineData(1ul, 0ul)]
    [InlineData(5ul, 0ul)]
    [InlineData(1000ul, 0ul)]
    [InlineData(3ul, 1ul)] // flags: -EINVAL
    [InlineData(3ul, 0x100000000ul)]
    [InlineData((1ul << 23) + 1, 0ul)] // -E2BIG
    [InlineData(ulong.MaxValue, 0ul)]
    public void SumLoopEqualsTheInterpreter(ulong n, ulong flags)
    {
        Same(SumLoop, n, flags);
        if (n <= 1000 && flags == 0) Assert.Equal(n | ((n * (n - 1) / 2) << 32), Jit(SumLoop, n, flags).R0);
    }

    [Fact]
    public void ALongLoopRunsEveryCall()
    {
        var (r0, fault, _) = Jit(SumLoop, 1ul << 16, 0);
        Assert.Null(fault);
        Assert.Equal(1ul << 16, r0 & 0xffff_ffff);
        Assert.Equal((1ul << 16) * ((1ul << 16) - 1) / 2, r0 >> 32);
    }

    [Fact]
    public void ACallbackReturningNonZeroStopsTheLoopAndCountsThatCall()
    {
        // Stops at index 3 (returns 1) → 4 calls; a return of 7 (anything but 0) stops too.
        const string asm = """
            r6 = 0x55
            r7 = 0x66
            r8 = 0x77
            r9 = 0x88
            r1 = 10
            ld_pseudo r2, 0x4, cb
            r3 = 3
            r4 = 0
            call 0xb5
            r0 += r6
            r0 += r7
            r0 += r8
            r0 += r9
            exit
            cb:
            r0 = 0
            if r1 != r2 goto out
            r0 = 7
            out:
            exit
            """;
        Same(asm);
        Assert.Equal(4ul + 0x55 + 0x66 + 0x77 + 0x88, Jit(asm, 0, 0).R0);
    }

    [Fact]
    public void TheCallbackStartsWithAFreshRegisterFileAndTheCallerKeepsItsOwn()
    {
        // The callback reads r0 and r3–r9 (zero in a fresh file) and clobbers them; the caller's r6–r9 and r10 survive.
        const string asm = """
            r6 = 1
            r7 = 2
            r8 = 3
            r9 = 4
            r1 = 2
            ld_pseudo r2, 0x4, cb
            r3 = 0x1000
            r4 = 0
            r5 = 9
            call 0xb5
            r0 <<= 8
            r0 += r6
            r0 += r7
            r0 += r8
            r0 += r9
            r1 = r10
            exit
            cb:
            r0 |= r3
            r0 |= r4
            r0 |= r5
            r0 |= r6
            r0 |= r7
            r0 |= r8
            r0 |= r9
            r6 = 99
            r7 = 99
            r8 = 99
            r9 = 99
            if r0 != 0 goto bad
            exit
            bad:
            r0 = 1
            exit
            """;
        Same(asm);
        Assert.Equal((2ul << 8) + 10, Jit(asm, 0, 0).R0);
    }

    [Fact]
    public void LoopsNestAndEachCallbackGetsItsCtx()
    {
        // outer(i, ctx) runs inner 3 times with the same ctx; inner adds 1 to *ctx: 4 × 3 = 12.
        const string asm = """
            r1 = 0
            *(u64 *)(r10 - 8) = r1
            r1 = 4
            ld_pseudo r2, 0x4, outer
            r3 = r10
            r3 += -8
            r4 = 0
            call 0xb5
            r0 = *(u64 *)(r10 - 8)
            exit
            outer:
            r6 = r2
            r1 = 3
            ld_pseudo r2, 0x4, inner
            r4 = 0
            r3 = r6
            call 0xb5
            r0 = 0
            exit
            inner:
            r1 = *(u64 *)(r2 + 0)
            r1 += 1
            *(u64 *)(r2 + 0) = r1
            r0 = 0
            exit
            """;
        Same(asm);
        Assert.Equal(12ul, Jit(asm, 0, 0).R0);
    }

    [Fact]
    public void AnAbortingLegacyLoadEndsOnlyThatCallOfTheCallback()
    {
        // No packet: the LD ABS in the callback ends that call with r0 = 0 (continue), as the interpreter's nested run.
        const string asm = """
            r6 = 0x1234
            r1 = 5
            ld_pseudo r2, 0x4, cb
            r3 = 0
            r4 = 0
            call 0xb5
            r0 <<= 16
            r0 += r6
            exit
            cb:
            r0 = *(u8 *)skb[0]
            r0 = 1
            exit
            """;
        Same(asm);
        Assert.Equal((5ul << 16) + 0x1234, Jit(asm, 0, 0).R0);
    }

    [Fact]
    public void ACallbackOneFrameTooDeepFaultsAtTheCall()
    {
        // Each callback calls bpf_loop again: the 8th frame's call faults.
        const string asm = """
            r1 = 1
            ld_pseudo r2, 0x4, cb
            r3 = 0
            r4 = 0
            call 0xb5
            exit
            cb:
            r1 = 1
            ld_pseudo r2, 0x4, cb
            r3 = 0
            r4 = 0
            call 0xb5
            exit
            """;
        var expected = Interpret(asm, 0, 0);
        Assert.Equal(ErrorCode.CallDepthExceeded, expected.Fault);
        Assert.Equal(expected, Jit(asm, 0, 0));
    }

    [Fact]
    public void CallbacksShareTheRunsBudget()
    {
        Assert.Equal(ErrorCode.InstructionBudgetExceeded, Interpret(SumLoop, 1000, 0, budget: 1000).Fault);
        Assert.Equal(ErrorCode.InstructionBudgetExceeded, Jit(SumLoop, 1000, 0, budget: 500).Fault);
    }

    [Fact]
    public void ACallbackTheJitCannotNameIsRefusedAtTranslation()
    {
        var e = Assert.Throws<HbpfException>(() => Arm64Translator.Translate(Assembler.Assemble("""
            r1 = 0x1
            r2 = 0x1234
            r3 = 0x0
            r4 = 0x0
            call 0xb5
            exit
            """, "loop.s")));
        Assert.Equal(ErrorCode.Arm64Unsupported, e.Code);
        Assert.Contains("bpf_loop only with a known callback", e.Message, StringComparison.Ordinal);
        Assert.Equal(4, e.Location.Instruction);
    }
}
