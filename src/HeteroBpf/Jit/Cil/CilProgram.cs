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
    private readonly CilImage _image;

    internal CilProgram(CilImage image, int ilBytes, int segments, int directHelperCalls, int inlinedLookups)
    {
        _image = image;
        IlBytes = ilBytes;
        Segments = segments;
        DirectHelperCalls = directHelperCalls;
        InlinedLookups = inlinedLookups;
    }

    /// <summary>Helper call sites compiled as direct calls of the implementing method (no delegate dispatch).</summary>
    public int DirectHelperCalls { get; }

    /// <summary><c>map_lookup_elem</c> call sites on array maps compiled inline (index check and address arithmetic).</summary>
    public int InlinedLookups { get; }

    /// <summary>Reduction loops whose provable iterations run as one vector kernel call (see <c>ReductionLoops</c>).</summary>
    public int VectorisedLoops { get; init; }

    /// <summary>Stack slots kept in IL locals instead of the frame (see <see cref="CilCompiler"/>).</summary>
    public int PromotedStackSlots { get; init; }

    /// <summary>Bytes of IL emitted.</summary>
    public int IlBytes { get; }

    /// <summary>Counting segments (each adds its length to the instruction count and checks the budget once).</summary>
    public int Segments { get; }

    /// <summary>True when a run uses one frame and skips clearing it: the program stores every stack byte before it reads it.</summary>
    internal bool SkipsFrameClearing => _image.OneFrame && _image.StackWrittenBeforeRead;

    /// <summary>Makes RyuJIT compile the method now: a call with a negative entry returns before anything runs.</summary>
    internal void CompileNow()
    {
        var state = default(CilRunState);
        ulong zero = 0;
        _image.Entry(ref state, &zero, -1, 1, 0);
    }

    /// <summary>
    /// Runs once from slot 0 with R1 and R2 set, R10 at the top of a fresh zeroed stack, as the interpreter does: the
    /// stack (8 frames of 512 bytes) is a <see cref="RegionKind.Stack"/> region of <paramref name="memory"/> while the run
    /// lasts, moved on every call and return, unless no pointer to it can leave R10 (then nothing but the program's own
    /// constant-offset accesses can reach it: one frame, no region). The instruction count is exact (a <c>lddw</c>
    /// counts once) with <see cref="CilCounting.Budget"/> or <see cref="CilCounting.Count"/>, 0 with
    /// <see cref="CilCounting.None"/>. A tail call runs its target here, in the same frame with the registers as they
    /// were, at most 33 times a run.
    /// </summary>
    /// <exception cref="BpfFaultException">The program faulted (same code, slot, address and size as the interpreter).</exception>
    public ExecutionResult Run(MemoryMap memory, ulong r1 = 0, ulong r2 = 0)
    {
        // A small dispatcher without a stackalloc, so neither path pays the other's frame set-up (the chained path's
        // 4 KiB probe, try/finally and stack cookie) and RyuJIT can tier and inline it.
        ArgumentNullException.ThrowIfNull(memory);
        return _image.OneFrame ? RunInOneFrame(memory, r1, r2) : RunChained(memory, r1, r2);
    }

    // Run for a program that may move its stack region or tail-call: eight frames, a region while the run lasts.
    [SkipLocalsInit] // only the bytes the program can reach are cleared; callees clear their own frames
    private ExecutionResult RunChained(MemoryMap memory, ulong r1, ulong r2)
    {
        const int stackBytes = CilRuntime.FrameSize * CilRuntime.MaxCallDepth;
        byte* stack = stackalloc byte[stackBytes];
        int cleared = _image.StackBytes;
        if (cleared <= 64)
        {
            // The common small case (a few spilled values) without a call: StackBytes is a multiple of 8.
            for (int i = 8; i <= cleared; i += 8) *(ulong*)(stack + stackBytes - i) = 0;
        }
        else
        {
            new Span<byte>(stack + stackBytes - cleared, cleared).Clear();
        }

        ulong* regs = stackalloc ulong[10];
        new Span<ulong>(regs, 10).Clear();
        regs[1] = r1;
        regs[2] = r2;
        ulong stackTop = (ulong)stack + stackBytes;
        ulong frameLow = stackTop - CilRuntime.FrameSize;
        var state = new CilRunState { Memory = memory, StackRegion = -1, StackTop = stackTop, Budget = _image.Budget };
        if (_image.NeedsStackRegion) state.StackRegion = memory.Add(new MemoryRegion(frameLow, CilRuntime.FrameSize, RegionKind.Stack, true));
        try
        {
            ulong r0 = _image.Entry(ref state, regs, 0, 1, frameLow);
            while (state.Next is { } next)
            {
                state.Next = null;
                var image = next._image;
                if (image.StackBytes > cleared)
                {
                    // Bytes no earlier program of the run could reach: still as the run started, zero.
                    new Span<byte>(stack + stackBytes - image.StackBytes, image.StackBytes - cleared).Clear();
                    cleared = image.StackBytes;
                }

                if (image.NeedsStackRegion && state.StackRegion < 0) state.StackRegion = memory.Add(new MemoryRegion(frameLow, CilRuntime.FrameSize, RegionKind.Stack, true));
                r0 = image.Entry(ref state, regs, 0, 1, frameLow);
            }

            return new ExecutionResult(r0, state.Count);
        }
        finally
        {
            if (state.StackRegion >= 0) memory.RemoveAt(state.StackRegion);
        }
    }

    // Run for a program whose stack no pointer leaves (so no bpf-to-bpf calls or callbacks and no stack region) and
    // that makes no tail calls: one frame, only its reachable bytes cleared, nothing to undo afterwards. The frame and
    // the register block are fixed-size struct locals, not stackalloc: no localloc means no stack probe and no stack
    // cookie check, and the method tiers like any other (a stackalloc method is compiled once, without PGO).
    // Never inlined: in a caller without SkipLocalsInit RyuJIT would zero the whole 512-byte frame on every run.
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ExecutionResult RunInOneFrame(MemoryMap memory, ulong r1, ulong r2)
    {
        const int frame = CilRuntime.FrameSize;
        Unsafe.SkipInit(out CilFrameBuffer buffer); // not zeroed (SkipLocalsInit): the program reads only the bytes cleared below
        byte* stack = (byte*)Unsafe.AsPointer(ref buffer);
        int cleared = _image.StackWrittenBeforeRead ? 0 : _image.StackBytes;
        if (cleared <= 64)
        {
            for (int i = 8; i <= cleared; i += 8) *(ulong*)(stack + frame - i) = 0;
        }
        else
        {
            new Span<byte>(stack + frame - cleared, cleared).Clear();
        }

        CilRegisterBlock block = default;
        block[1] = r1;
        block[2] = r2;
        var state = new CilRunState { Memory = memory, StackRegion = -1, StackTop = (ulong)stack + frame, Budget = _image.Budget };
        ulong r0 = _image.Entry(ref state, (ulong*)Unsafe.AsPointer(ref block), 0, 1, (ulong)stack);
        return new ExecutionResult(r0, state.Count);
    }
}

/// <summary>One 512-byte eBPF stack frame as a struct local (8-byte aligned).</summary>
[InlineArray(CilRuntime.FrameSize / 8)]
internal struct CilFrameBuffer
{
    private ulong _element;
}

/// <summary>R0–R9 handed to the compiled method at entry.</summary>
[InlineArray(10)]
internal struct CilRegisterBlock
{
    private ulong _element;
}

/// <summary>
/// The compiled method, closed over its <see cref="CilImage"/>: starts at function entry <paramref name="startEntry"/>
/// (dense index; 0 is slot 0) with R0–R9 from <paramref name="regs"/>, in the frame at <paramref name="frameLow"/> of call
/// depth <paramref name="baseDepth"/>, and returns R0 when that frame exits.
/// </summary>
internal unsafe delegate ulong CilEntry(ref CilRunState state, ulong* regs, int startEntry, int baseDepth, ulong frameLow);

/// <summary>What one run shares across its levels (callbacks) and programs (tail calls).</summary>
internal unsafe struct CilRunState
{
    public MemoryMap Memory;
    public int StackRegion;
    public ulong StackTop;
    public long Count;
    public long Budget;
    public int TailCalls;

    /// <summary>Set by a successful tail call: the program the driver runs next.</summary>
    public CilProgram? Next;
}

/// <summary>The per-program data compiled code reads: helper delegates by call site, the budget, function entries for <c>callx</c>.</summary>
internal sealed class CilImage(Instruction[] program, BpfHelper[] helpers, object[] helperTargets, long budget, int[] entryIndexBySlot, CilTailCallResolver? tailCalls, CilMapResolver? maps)
{
    public readonly BpfHelper[] Helpers = helpers;

    /// <summary>The targets of helpers called directly as instance methods, by call site.</summary>
    public readonly object[] HelperTargets = helperTargets;
    public readonly long Budget = budget;
    public readonly CilTailCallResolver? TailCalls = tailCalls;
    public readonly CilMapResolver? Maps = maps;

    /// <summary>Bytes at the top of the entry frame the program can reach (all 512 unless only constant R10 offsets touch it).</summary>
    public int StackBytes { get; init; } = CilRuntime.FrameSize;

    /// <summary>False when no pointer to the stack can leave R10-based accesses: the run needs no stack region in its memory map.</summary>
    public bool NeedsStackRegion { get; init; } = true;

    /// <summary>No stack region and no tail calls: a run needs one frame and nothing undone afterwards.</summary>
    public bool OneFrame { get; init; }

    /// <summary>
    /// With <see cref="OneFrame"/>: every stack byte the program reads it stored first on every path, so a run's frame
    /// need not be cleared (no read can tell).
    /// </summary>
    public bool StackWrittenBeforeRead { get; init; }

    /// <summary>The compiled method (set once, right after it is created).</summary>
    public CilEntry Entry = null!;

    /// <summary>The dense function index of <paramref name="address"/> (a <c>lddw</c> func value), or -1.</summary>
    public int EntryIndexOf(ulong address)
    {
        ulong delta = address - CilRuntime.CodeBase;
        if (address < CilRuntime.CodeBase || delta % 8 != 0 || delta / 8 >= (ulong)entryIndexBySlot.Length) return -1;
        return entryIndexBySlot[(int)(delta / 8)];
    }

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
    public void ThrowBudget(long budget, long count, int length, int start)
    {
        long before = count - length;
        long index = budget - before; // the (index)th instruction of the segment (0-based) is the one that exceeds it
        int slot = start;
        for (long i = 0; i < index && slot < program.Length; i++) slot += program[slot].Width;
        throw new BpfFaultException(ErrorCode.InstructionBudgetExceeded, $"instruction budget of {budget} exhausted (runaway loop?)", slot);
    }
}
