using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;

namespace HeteroBpf.Jit.Cil;

/// <summary>
/// A program compiled by <see cref="CilCompiler"/>: one <c>DynamicMethod</c> that RyuJIT turns into native code on its
/// first run. Immutable; may run on several threads at once, each with its own memory map.
/// </summary>
public sealed unsafe class CilProgram
{
    private readonly CilEntry _entry;

    internal CilProgram(CilEntry entry, int ilBytes, int segments)
    {
        _entry = entry;
        IlBytes = ilBytes;
        Segments = segments;
    }

    /// <summary>Bytes of IL emitted.</summary>
    public int IlBytes { get; }

    /// <summary>Counting segments (each adds its length to the instruction count and checks the budget once).</summary>
    public int Segments { get; }

    /// <summary>
    /// Runs once from slot 0 with R1 and R2 set, R10 at the top of a fresh zeroed stack, as the interpreter does: the
    /// stack (8 frames of 512 bytes) is a <see cref="RegionKind.Stack"/> region of <paramref name="memory"/> while the run
    /// lasts, moved on every call and return. The instruction count is exact (a <c>lddw</c> counts once).
    /// </summary>
    /// <exception cref="BpfFaultException">The program faulted (same code, slot, address and size as the interpreter).</exception>
    [SkipLocalsInit] // only the entry frame is cleared here; callees clear their own frames
    public ExecutionResult Run(MemoryMap memory, ulong r1 = 0, ulong r2 = 0)
    {
        ArgumentNullException.ThrowIfNull(memory);
        const int stackBytes = CilRuntime.FrameSize * CilRuntime.MaxCallDepth;
        byte* stack = stackalloc byte[stackBytes];
        new Span<byte>(stack + stackBytes - CilRuntime.FrameSize, CilRuntime.FrameSize).Clear();
        ulong stackTop = (ulong)stack + stackBytes;
        int stackRegion = memory.Add(new MemoryRegion(stackTop - CilRuntime.FrameSize, CilRuntime.FrameSize, RegionKind.Stack, true));
        try
        {
            var state = new CilRunState { Memory = memory, StackRegion = stackRegion, StackTop = stackTop };
            ulong r0 = _entry(ref state, r1, r2);
            return new ExecutionResult(r0, state.Count);
        }
        finally
        {
            memory.RemoveAt(stackRegion);
        }
    }
}

/// <summary>The compiled method, closed over its <see cref="CilImage"/>.</summary>
internal delegate ulong CilEntry(ref CilRunState state, ulong r1, ulong r2);

/// <summary>What one run hands the compiled method and gets back (the instruction count).</summary>
internal struct CilRunState
{
    public MemoryMap Memory;
    public int StackRegion;
    public ulong StackTop;
    public long Count;
}

/// <summary>The per-program data compiled code reads: helper delegates by call site, the budget, function entries for <c>callx</c>.</summary>
internal sealed class CilImage(Instruction[] program, BpfHelper[] helpers, long budget, int[] entryIndexBySlot)
{
    public readonly BpfHelper[] Helpers = helpers;
    public readonly long Budget = budget;

    /// <summary>
    /// The dense index of the function whose address <c>callx</c> was given (its dispatch switch case), or a fault
    /// exactly as the interpreter's.
    /// </summary>
    public int ResolveCallx(ulong target, int slot, int dst)
    {
        ulong delta = target - CilRuntime.CodeBase;
        if (target < CilRuntime.CodeBase || delta % 8 != 0 || delta / 8 >= (ulong)entryIndexBySlot.Length || entryIndexBySlot[(int)(delta / 8)] < 0)
        {
            CilRuntime.ThrowNotAFunction(slot, dst, target);
        }

        return entryIndexBySlot[(int)(delta / 8)];
    }

    /// <summary>
    /// The budget ran out in the segment of <paramref name="length"/> instructions starting at <paramref name="start"/>
    /// (<paramref name="count"/> already includes them): faults at the instruction the interpreter would have stopped at.
    /// Only the last instruction of a segment can fault otherwise or touch memory, so stopping at its entry is equal.
    /// </summary>
    [DoesNotReturn]
    public void ThrowBudget(long count, int length, int start)
    {
        long before = count - length;
        long index = Budget - before; // the (index)th instruction of the segment (0-based) is the one that exceeds it
        int slot = start;
        for (long i = 0; i < index && slot < program.Length; i++) slot += program[slot].Width;
        throw new BpfFaultException(ErrorCode.InstructionBudgetExceeded, $"instruction budget of {Budget} exhausted (runaway loop?)", slot);
    }
}
