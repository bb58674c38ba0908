using HeteroBpf.Asm;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;
using HeteroBpf.Jit.Cil;

namespace HeteroBpf.Tests.Jit;

/// <summary>
/// What the CIL JIT does for speed without changing a result: <see cref="CilCounting"/> (no budget checks for programs
/// proven to terminate) and stack slots kept in IL locals; each compared with the interpreter on the same program.
/// </summary>
public sealed class CilSpeedPathTests
{
    // Sums 1..r1 (r1 = 1000: 4 instructions a round) in a loop.
    private const string Sum =
        """
        r0 = 0
        r2 = 0
        loop:
        r2 += 1
        r0 += r2
        if r2 < r1 goto loop
        exit
        """;

    [Fact]
    public void CountKeepsTheExactCountWithoutTheBudgetAndNoneCountsNothing()
    {
        var program = Assembler.Assemble(Sum, "sum.s");
        var expected = new BpfInterpreter(program, HelperRegistry.Empty).Run(new MemoryMap(), 1000);
        Assert.Equal(500_500UL, expected.ReturnValue);

        // Budget (the default): a budget below the run's count stops it, as in the interpreter.
        var budgeted = CilCompiler.Compile(program, HelperRegistry.Empty, new CilCompilerOptions { InstructionBudget = 100 });
        var fault = Assert.Throws<BpfFaultException>(() => budgeted.Run(new MemoryMap(), 1000));
        Assert.Equal(ErrorCode.InstructionBudgetExceeded, fault.Code);

        // Count: the same budget is never checked (termination is the verifier's proof), the count is still exact.
        var counted = CilCompiler.Compile(program, HelperRegistry.Empty, new CilCompilerOptions { InstructionBudget = 100, Counting = CilCounting.Count });
        Assert.Equal(expected, counted.Run(new MemoryMap(), 1000));

        // None: same R0, no count and no counting code at all.
        var none = CilCompiler.Compile(program, HelperRegistry.Empty, new CilCompilerOptions { Counting = CilCounting.None });
        Assert.Equal(new ExecutionResult(expected.ReturnValue, 0), none.Run(new MemoryMap(), 1000));
        Assert.Equal(0, none.Segments);
        Assert.True(none.IlBytes < budgeted.IlBytes);
    }

    [Fact]
    public void ConstantOffsetStackSlotsLiveInLocalsWithTheInterpretersValues()
    {
        // Sizes 1, 2, 4 and 8; a 32-bit store of a negative immediate; sign-extending loads; an unwritten slot reads 0.
        var program = Assembler.Assemble(
            """
            r1 = -2
            *(u8 *)(r10 - 1) = r1
            *(u16 *)(r10 - 4) = r1
            *(u32 *)(r10 - 8) = -3
            *(u64 *)(r10 - 16) = r1
            r0 = *(s8 *)(r10 - 1)
            r2 = *(u16 *)(r10 - 4)
            r0 += r2
            r2 = *(s32 *)(r10 - 8)
            r0 += r2
            r2 = *(u32 *)(r10 - 8)
            r0 += r2
            r2 = *(u64 *)(r10 - 16)
            r0 += r2
            r2 = *(u64 *)(r10 - 24)
            r0 += r2
            exit
            """,
            "slots.s");
        var cil = CilCompiler.Compile(program, HelperRegistry.Empty);
        Assert.Equal(5, cil.PromotedStackSlots);
        Assert.Equal(new BpfInterpreter(program, HelperRegistry.Empty).Run(new MemoryMap()), cil.Run(new MemoryMap()));
    }

    [Theory]
    // Overlapping accesses of different sizes share memory: neither is promoted, the bytes stay in the frame.
    [InlineData("r1 = 0x1234\n*(u32 *)(r10 - 8) = r1\nr0 = *(u8 *)(r10 - 7)\nexit", 0)]
    // R10 copied to another register (the stack escapes): nothing is promoted and the frame is a memory region.
    [InlineData("r1 = r10\n*(u64 *)(r10 - 8) = 7\nr0 = *(u64 *)(r1 - 8)\nexit", 0)]
    // An access outside the frame faults at the same slot as in the interpreter.
    [InlineData("*(u64 *)(r10 - 8) = 7\nr0 = *(u64 *)(r10 - 520)\nexit", 0)]
    [InlineData("*(u64 *)(r10 - 8) = 7\nr0 = *(u64 *)(r10 + 0)\nexit", 0)]
    // An atomic on a slot keeps that slot in memory; another slot is still promoted.
    [InlineData("*(u64 *)(r10 - 8) = 7\nr1 = 5\nlock *(u64 *)(r10 - 8) += r1\n*(u64 *)(r10 - 16) = 1\nr0 = *(u64 *)(r10 - 8)\nr2 = *(u64 *)(r10 - 16)\nr0 += r2\nexit", 1)]
    public void StackSlotsThatCannotBeLocalsStayInMemory(string source, int promoted)
    {
        var program = Assembler.Assemble(source, "stack.s");
        var cil = CilCompiler.Compile(program, HelperRegistry.Empty);
        Assert.Equal(promoted, cil.PromotedStackSlots);
        var (expected, expectedFault) = Try(() => new BpfInterpreter(program, HelperRegistry.Empty).Run(new MemoryMap()));
        var (actual, actualFault) = Try(() => cil.Run(new MemoryMap()));
        Assert.Equal(expected, actual);
        Assert.Equal(expectedFault?.Code, actualFault?.Code);
        Assert.Equal(expectedFault?.Slot, actualFault?.Slot);
    }

    [Fact]
    public void ATailCallTargetWithPromotedSlotsSeesWhatItsCallerLeftInTheFrame()
    {
        // The caller stores through memory (it makes a tail call, so it keeps its slots there); the target keeps the
        // slot in a local that starts as the frame's bytes.
        var first = Assembler.Assemble("r1 = 40\n*(u64 *)(r10 - 8) = r1\nr2 = 1\nr3 = 0\ncall 12\nr0 = 99\nexit", "first.s");
        var second = Assembler.Assemble("r0 = *(u64 *)(r10 - 8)\nr0 += 2\n*(u64 *)(r10 - 8) = r0\nr0 = *(u64 *)(r10 - 8)\nexit", "second.s");
        CilProgram? target = null;
        var caller = CilCompiler.Compile(first, HelperRegistry.Empty, new CilCompilerOptions { TailCalls = (map, index) => map == 1 && index == 0 ? target : null, Counting = CilCounting.None });
        target = CilCompiler.Compile(second, HelperRegistry.Empty, new CilCompilerOptions { Counting = CilCounting.None });
        Assert.Equal(0, caller.PromotedStackSlots);
        Assert.Equal(1, target.PromotedStackSlots);
        Assert.Equal(42UL, caller.Run(new MemoryMap()).ReturnValue);
    }

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
}
