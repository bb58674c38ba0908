using HeteroBpf.Asm;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;

namespace HeteroBpf.Tests.Interpreter;

/// <summary>The interpreter's own helpers, <c>bpf_loop</c> and <c>bpf_tail_call</c>, on hand-written programs.</summary>
public sealed class LoopAndTailCallTests
{
    private static BpfInterpreter Compile(string asm, InterpreterOptions? options = null) =>
        new(Assembler.Assemble(asm, "test.s"), HelperRegistry.Empty, options);

    // Sums 0..n-1 into the u64 at r10-8 through a callback; n and flags come in r1/r4 via r6/r7.
    internal const string SumLoop = """
        r6 = r1
        r7 = r2
        r1 = 0x0
        *(u64 *)(r10 - 0x8) = r1
        r1 = r6
        ld_pseudo r2, 0x4, add
        r3 = r10
        r3 += -0x8
        r4 = r7
        call 0xb5
        r1 = *(u64 *)(r10 - 0x8)
        r1 <<= 0x20
        r0 |= r1
        exit
        add:
        r3 = *(u64 *)(r2 + 0x0)
        r3 += r1
        *(u64 *)(r2 + 0x0) = r3
        r0 = 0x0
        exit
        """;

    [Theory]
    [InlineData(0ul, 0ul, 0ul)]
    [InlineData(5ul, 5ul, 10ul)]
    [InlineData(1000ul, 1000ul, 499500ul)]
    public void LoopCallsBackNTimes(ulong n, ulong calls, ulong sum)
    {
        var result = Compile(SumLoop).Run(new MemoryMap(), n, 0);
        Assert.Equal(calls, result.ReturnValue & 0xffff_ffff);
        Assert.Equal(sum, result.ReturnValue >> 32);
    }

    [Fact]
    public void LoopRefusesFlagsAndTooManyIterations()
    {
        Assert.Equal(unchecked((uint)-22), (uint)Compile(SumLoop).Run(new MemoryMap(), 3, 1).ReturnValue);
        Assert.Equal(unchecked((uint)-7), (uint)Compile(SumLoop).Run(new MemoryMap(), BpfInterpreter.MaxLoops + 1, 0).ReturnValue);
    }

    [Fact]
    public void LoopCallbacksShareTheRunsBudget()
    {
        var fault = Assert.Throws<BpfFaultException>(() => Compile(SumLoop, new InterpreterOptions { InstructionBudget = 1000 }).Run(new MemoryMap(), 1000, 0));
        Assert.Equal(ErrorCode.InstructionBudgetExceeded, fault.Code);
    }

    [Fact]
    public void LoopNeedsAFunctionAddress()
    {
        var fault = Assert.Throws<BpfFaultException>(() => Compile("""
            r1 = 0x1
            r2 = 0x1234
            r3 = 0x0
            r4 = 0x0
            call 0xb5
            exit
            """).Run(new MemoryMap()));
        Assert.Equal(ErrorCode.HelperFault, fault.Code);
        Assert.Equal(4, fault.Slot);
    }

    [Fact]
    public void TailCallReplacesTheProgramUpTo33Times()
    {
        // Each program counts itself in the u64 at r1, then tail-calls slot 0 of "prog array" 0x77.
        const string counting = """
            r6 = r1
            r2 = *(u64 *)(r6 + 0x0)
            r2 += 0x1
            *(u64 *)(r6 + 0x0) = r2
            r2 = 0x77
            r3 = 0x0
            call 0xc
            r0 = *(u64 *)(r6 + 0x0)
            exit
            """;
        BpfInterpreter? self = null;
        self = Compile(counting, new InterpreterOptions { TailCalls = (map, index) => map == 0x77 && index == 0 ? self : null });
        var counter = GC.AllocateArray<byte>(8, pinned: true);
        var memory = new MemoryMap();
        memory.Add(counter, RegionKind.Context);
        unsafe
        {
            fixed (byte* p = counter)
            {
                Assert.Equal(34ul, self.Run(memory, (ulong)p).ReturnValue);
            }
        }
    }

    [Fact]
    public void WithoutAResolverTailCallIsAnUnknownHelper()
    {
        var fault = Assert.Throws<BpfFaultException>(() => Compile("""
            call 0xc
            exit
            """).Run(new MemoryMap()));
        Assert.Equal(ErrorCode.UnknownHelper, fault.Code);
    }
}
