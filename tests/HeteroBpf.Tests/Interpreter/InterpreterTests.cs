using System.Buffers.Binary;
using HeteroBpf.Asm;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;

namespace HeteroBpf.Tests.Interpreter;

/// <summary>
/// What the semantics table cannot express: the memory model's guarantees (faults name slot, address and size and
/// never touch bytes outside a region), the helper registry, the budget and the run's bookkeeping.
/// </summary>
public sealed class InterpreterTests
{
    private static BpfInterpreter Compile(string asm, HelperRegistry? helpers = null, long budget = InterpreterOptions.DefaultInstructionBudget) =>
        new(Assembler.Assemble(asm, "test.s"), helpers ?? HelperRegistry.Empty, new InterpreterOptions { InstructionBudget = budget });

    [Fact]
    public void CountsEveryExecutedInstruction()
    {
        // Five slots, one of them skipped by the jump: four executed.
        var result = Compile("""
            r0 = 0x1
            if r0 == 0x1 goto +1
            r0 = 0x2
            r0 += 0x1
            exit
            """).Run(new MemoryMap());
        Assert.Equal(2UL, result.ReturnValue);
        Assert.Equal(4, result.InstructionCount);
    }

    [Fact]
    public void OutOfBoundsWriteFaultsWithSlotAddressSizeAndLeavesNeighboursUntouched()
    {
        // Only bytes 8..15 of the buffer are a region; the write of 8 bytes at offset 4 of that region straddles its end.
        byte[] buffer = GC.AllocateArray<byte>(32, pinned: true);
        buffer.AsSpan().Fill(0xaa);
        var memory = new MemoryMap();
        ulong start = Address(buffer) + 8;
        memory.Add(new MemoryRegion(start, 8, RegionKind.MapValue, Writable: true));
        var interpreter = Compile("""
            r2 = 0x1122334455667788 ll
            *(u64 *)(r1 + 0x4) = r2
            r0 = 0x0
            exit
            """);

        var fault = Assert.Throws<BpfFaultException>(() => interpreter.Run(memory, start));
        Assert.Equal(ErrorCode.MemoryFault, fault.Code);
        Assert.Equal(2, fault.Slot);
        Assert.Equal(start + 4, fault.Address);
        Assert.Equal(8, fault.Size);
        Assert.Contains("write", fault.Message);
        Assert.Contains($"0x{start + 4:x}", fault.Message);
        Assert.All(buffer, b => Assert.Equal(0xaa, b));
    }

    [Fact]
    public void ReadOnlyRegionRefusesWritesButAllowsReads()
    {
        byte[] buffer = GC.AllocateArray<byte>(8, pinned: true);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, 0x0102030405060708);
        var memory = new MemoryMap();
        memory.Add(new MemoryRegion(Address(buffer), 8, RegionKind.ReadOnlyData, Writable: false));

        var read = Compile("r0 = *(u64 *)(r1 + 0x0)\nexit").Run(memory, Address(buffer));
        Assert.Equal(0x0102030405060708UL, read.ReturnValue);

        var fault = Assert.Throws<BpfFaultException>(() => Compile("*(u8 *)(r1 + 0x0) = 0x0\nr0 = 0x0\nexit").Run(memory, Address(buffer)));
        Assert.Equal(ErrorCode.MemoryFault, fault.Code);
        Assert.Equal(0, fault.Slot);
        Assert.Equal(0x08, buffer[0]);
    }

    [Theory]
    [InlineData("r0 = *(u64 *)(r10 + 0x0)")]    // at the frame's top: just past the stack
    [InlineData("r0 = *(u8 *)(r10 - 0x201)")]   // one byte below the 512-byte frame
    [InlineData("r0 = *(u64 *)(r10 - 0x204)")]  // straddles the frame's bottom
    public void StackAccessOutsideTheFrameFaults(string load)
    {
        var fault = Assert.Throws<BpfFaultException>(() => Compile(load + "\nexit").Run(new MemoryMap()));
        Assert.Equal(ErrorCode.MemoryFault, fault.Code);
        Assert.Equal(0, fault.Slot);
    }

    [Fact]
    public void StackStartsZeroedAndCoversExactly512Bytes()
    {
        var result = Compile("""
            r0 = *(u64 *)(r10 - 0x8)
            r1 = *(u64 *)(r10 - 0x200)
            r0 |= r1
            exit
            """).Run(new MemoryMap());
        Assert.Equal(0UL, result.ReturnValue);
    }

    [Fact]
    public void EveryCalleeFrameStartsZeroedEvenWhereAnEarlierCalleeWrote()
    {
        // The kernel leaves stack contents undefined (its verifier refuses reading them unprivileged); the
        // interpreter, being the oracle, makes them deterministic: each frame starts zeroed.
        var result = Compile("""
            call dirty
            call read
            exit
            dirty:
            r1 = -0x1
            *(u64 *)(r10 - 0x8) = r1
            *(u64 *)(r10 - 0x200) = r1
            r0 = 0x0
            exit
            read:
            r0 = *(u64 *)(r10 - 0x8)
            r1 = *(u64 *)(r10 - 0x200)
            r0 |= r1
            exit
            """).Run(new MemoryMap());
        Assert.Equal(0UL, result.ReturnValue);
    }

    [Fact]
    public void RunRemovesItsStackRegionEvenAfterAFault()
    {
        var memory = new MemoryMap();
        Compile("r0 = 0x0\nexit").Run(memory);
        Assert.Equal(0, memory.Count);
        Assert.Throws<BpfFaultException>(() => Compile("r0 = *(u8 *)(r1 + 0x0)\nexit").Run(memory, 0x1000));
        Assert.Equal(0, memory.Count);
    }

    [Fact]
    public void BudgetStopsARunawayLoopAtExactlyTheBudget()
    {
        var fault = Assert.Throws<BpfFaultException>(() => Compile("""
            r0 = 0x0
            loop:
            r0 += 0x1
            goto loop
            """, budget: 1000).Run(new MemoryMap()));
        Assert.Equal(ErrorCode.InstructionBudgetExceeded, fault.Code);
        Assert.Contains("1000", fault.Message);
    }

    [Fact]
    public void BudgetEqualToTheInstructionCountIsEnough()
    {
        var result = Compile("r0 = 0x7\nr0 += 0x1\nexit", budget: 3).Run(new MemoryMap());
        Assert.Equal(8UL, result.ReturnValue);
        Assert.Throws<BpfFaultException>(() => Compile("r0 = 0x7\nr0 += 0x1\nexit", budget: 2).Run(new MemoryMap()));
    }

    [Fact]
    public void HelperReceivesR1ToR5AndItsResultLandsInR0()
    {
        ulong[] seen = [];
        var helpers = HelperRegistry.Empty.With(HelperId.TracePrintk, (ref HelperCall call) =>
        {
            seen = [call.R1, call.R2, call.R3, call.R4, call.R5];
            return (ulong)call.Slot;
        });
        var result = Compile("""
            r1 = 0x1
            r2 = 0x2
            r3 = 0x3
            r4 = -0x4
            r5 = 0x5
            call 0x6
            exit
            """, helpers).Run(new MemoryMap());
        Assert.Equal([1UL, 2, 3, unchecked((ulong)-4L), 5], seen);
        Assert.Equal(5UL, result.ReturnValue);
    }

    [Fact]
    public void HelperReadsAndWritesTheCallersStackThroughCheckedSpans()
    {
        // A helper that sums R2 bytes at R1 and overwrites them with 0xff; the program reads one back.
        var helpers = HelperRegistry.Empty.With(HelperId.TracePrintk, (ref HelperCall call) =>
        {
            var bytes = call.Bytes(call.R1, call.R2, write: true, "buf");
            ulong sum = 0;
            foreach (byte b in bytes) sum += b;
            bytes.Fill(0xff);
            return sum;
        });
        var result = Compile("""
            r1 = 0x0807060504030201 ll
            *(u64 *)(r10 - 0x8) = r1
            r1 = r10
            r1 += -0x8
            r2 = 0x8
            call 0x6
            r1 = *(u8 *)(r10 - 0x3)
            r0 <<= 0x8
            r0 |= r1
            exit
            """, helpers).Run(new MemoryMap());
        Assert.Equal((36UL << 8) | 0xff, result.ReturnValue);
    }

    [Fact]
    public void HelperPointerOutsideEveryRegionFaultsAtTheCall()
    {
        var helpers = HelperRegistry.Empty.With(HelperId.TracePrintk, (ref HelperCall call) =>
            (ulong)call.Bytes(call.R1, call.R2, write: false, "fmt").Length);
        var fault = Assert.Throws<BpfFaultException>(() => Compile("""
            r1 = r10
            r1 += -0x4
            r2 = 0x8
            call 0x6
            exit
            """, helpers).Run(new MemoryMap()));
        Assert.Equal(ErrorCode.HelperFault, fault.Code);
        Assert.Equal(3, fault.Slot);
        Assert.Equal(8, fault.Size);
        Assert.Contains("fmt", fault.Message);
    }

    [Fact]
    public void UnknownHelperIdFaultsNamingTheId()
    {
        var fault = Assert.Throws<BpfFaultException>(() => Compile("call 0x2a\nexit").Run(new MemoryMap()));
        Assert.Equal(ErrorCode.UnknownHelper, fault.Code);
        Assert.Equal(0, fault.Slot);
        Assert.Contains("42", fault.Message);
    }

    [Fact]
    public void BasicRegistryImplementsTheCallerOnlyHelpers()
    {
        Assert.Equal([HelperId.KtimeGetNs, HelperId.GetPrandomU32, HelperId.GetSmpProcessorId, HelperId.CsumDiff, HelperId.SpinLock, HelperId.SpinUnlock, HelperId.Jiffies64, HelperId.KtimeGetBootNs], HelperRegistry.Basic.Ids.Order());
        // ktime_get_ns is monotonic: two reads in one run never go backwards.
        var result = Compile("""
            call 0x5
            r6 = r0
            call 0x5
            r0 -= r6
            r0 >>= 0x3f
            exit
            """, HelperRegistry.Basic).Run(new MemoryMap());
        Assert.Equal(0UL, result.ReturnValue);
    }

    [Fact]
    public void OneInterpreterRunsOnManyThreadsWithSeparateMemory()
    {
        var interpreter = Compile("""
            r0 = 0x0
            r2 = 0x0
            loop:
            r3 = *(u32 *)(r1 + 0x0)
            r0 += r3
            r2 += 0x1
            if r2 < 0x2710 goto loop
            exit
            """);
        Parallel.For(0, 8, i =>
        {
            byte[] value = GC.AllocateArray<byte>(4, pinned: true);
            BinaryPrimitives.WriteUInt32LittleEndian(value, (uint)i + 1);
            var memory = new MemoryMap();
            memory.Add(new MemoryRegion(Address(value), 4, RegionKind.MapValue, Writable: false));
            Assert.Equal((ulong)(i + 1) * 10000, interpreter.Run(memory, Address(value)).ReturnValue);
        });
    }

    private static unsafe ulong Address(byte[] pinned)
    {
        fixed (byte* p = pinned) return (ulong)p;
    }
}
