using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;
using HeteroBpf.Maps;
using HeteroBpf.Verifier;

namespace HeteroBpf.Jit.Cil;

/// <summary>How <see cref="CilCompiler"/> compiles one program.</summary>
public sealed record CilCompilerOptions
{
    /// <summary>Default instruction budget, the interpreter's: enough for any program the kernel accepts to finish many times over.</summary>
    public const long DefaultInstructionBudget = 100_000_000;

    /// <summary>Instructions a run may execute before it is stopped as runaway (counted exactly, as the interpreter does).</summary>
    public long InstructionBudget { get; init; } = DefaultInstructionBudget;

    /// <summary>
    /// What compiled code counts: <see cref="CilCounting.Budget"/> (the default, the interpreter's exact count checked
    /// against <see cref="InstructionBudget"/>) for programs nothing proved to terminate or runs given a limit;
    /// <see cref="CilCounting.Count"/> or <see cref="CilCounting.None"/> for verified programs, whose termination the
    /// verifier proved (the kernel's JIT counts nothing either).
    /// </summary>
    public CilCounting Counting { get; init; } = CilCounting.Budget;

    /// <summary>
    /// Per slot: true when a verifier proved the load, store or atomic there safe, so it is compiled without its run-time
    /// bounds check. Null (today, with no verifier): every access is checked against the run's <see cref="MemoryMap"/>.
    /// </summary>
    public IReadOnlyList<bool>? ProvenSafe { get; init; }

    /// <summary>
    /// Per slot: a verifier's facts (<c>VerifiedProgram.Facts</c>); slots marked <see cref="SlotFacts.NoZeroExtension"/>
    /// skip their explicit zero-extension (no later instruction reads the register's upper half). Default: none skipped.
    /// </summary>
    public System.Collections.Immutable.ImmutableArray<SlotFacts> Facts { get; init; }

    /// <summary>
    /// <see cref="ProvenSafe"/> from a verifier's per-slot facts: the slots marked <see cref="SlotFacts.AccessProven"/>
    /// (e.g. <c>VerifiedProgram.Facts</c>, one entry per slot), except context accesses, which stay checked: the verifier
    /// proved them against the UAPI layout, and a host loader rewrites them to its own.
    /// </summary>
    public static bool[] ProvenSafeFrom(ReadOnlySpan<SlotFacts> facts)
    {
        var proven = new bool[facts.Length];
        for (int i = 0; i < facts.Length; i++) proven[i] = (facts[i] & (SlotFacts.AccessProven | SlotFacts.ContextAccess)) == SlotFacts.AccessProven;
        return proven;
    }

    /// <summary>These options with what <paramref name="verified"/> proved (<see cref="ProvenSafe"/> and <see cref="Facts"/> from its facts); unchanged for null.</summary>
    public CilCompilerOptions WithProofsOf(VerifiedProgram? verified) =>
        verified is null ? this : this with { ProvenSafe = ProvenSafeFrom(verified.Facts.AsSpan()), Facts = verified.Facts };

    /// <summary>
    /// Resolves <c>bpf_tail_call</c> targets (a loader knows its prog arrays and compiled programs); without it a tail
    /// call is an ordinary helper call (unknown unless the registry has one), as in the interpreter.
    /// </summary>
    public CilTailCallResolver? TailCalls { get; init; }

    /// <summary>The live map a map handle names: enables <c>bpf_for_each_map_elem</c> and inlined array lookups; null: no maps.</summary>
    public CilMapResolver? Maps { get; init; }
}

/// <summary>What compiled code counts as it runs (see <see cref="CilCompilerOptions.Counting"/>).</summary>
public enum CilCounting
{
    /// <summary>The exact instruction count, checked against the budget once per straight-line segment: a runaway loop faults as in the interpreter.</summary>
    Budget,

    /// <summary>The exact count (one add per segment), never checked: for programs proven to terminate that report their count.</summary>
    Count,

    /// <summary>Nothing: the result's instruction count is 0. For programs proven to terminate (a verified program), the kernel JIT's way.</summary>
    None,
}

/// <summary>The compiled program in slot <paramref name="index"/> of the prog array whose map handle is <paramref name="programArray"/>, or null (the tail call then falls through).</summary>
public delegate CilProgram? CilTailCallResolver(ulong programArray, uint index);

/// <summary>The map a program's map handle names, or null when it names none.</summary>
public delegate BpfMap? CilMapResolver(ulong handle);

/// <summary>
/// eBPF → CIL: one <see cref="DynamicMethod"/> per program, RFC 9669 semantics equal to the interpreter's (same results,
/// instruction counts and faults). Registers are IL locals; the stack is the caller's native buffer; bpf-to-bpf calls
/// stay in the one method (an explicit frame stack of saved R6–R9 and a return-site number, returns through an IL
/// <c>switch</c>); every memory access is checked against the run's <see cref="MemoryMap"/> unless proven safe.
/// </summary>
/// <remarks>
/// Counting: the program is cut into segments that end at every branch, call, exit and at every instruction that may
/// fault or touch memory; a segment adds its length to the count and checks the budget once, on entry. Since only the
/// last instruction of a segment can fault or write memory, a budget fault raised at the entry is indistinguishable
/// from the interpreter's (same slot, same memory), and the count of a finished run is exact. A program proven to
/// terminate may compile with <see cref="CilCounting.Count"/> (the adds without the checks) or
/// <see cref="CilCounting.None"/> (neither).
/// Stack slots that only constant-offset accesses through R10 reach are IL locals (see <c>AnalyseStack</c>).
/// <c>bpf_loop</c> and <c>bpf_for_each_map_elem</c> re-enter the same method at the callback's entry one frame deeper
/// (sharing the run's count); a tail call hands the registers to the driver in <see cref="CilProgram.Run"/>, which
/// starts the target program in the same frame, at most 33 times a run.
/// </remarks>
public static class CilCompiler
{
    /// <summary>Compiles <paramref name="program"/> to run with <paramref name="helpers"/>.</summary>
    /// <exception cref="HbpfException">The program is not valid, or this runtime cannot emit dynamic code.</exception>
    public static CilProgram Compile(Instruction[] program, HelperRegistry helpers, CilCompilerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(helpers);
        if (!InstructionDecoder.TryValidate(program, out var error)) throw error.ToException();
        options ??= new CilCompilerOptions();
        if (options.ProvenSafe is { } safe && safe.Count != program.Length)
        {
            throw new ArgumentException($"ProvenSafe has {safe.Count} entries for {program.Length} slots", nameof(options));
        }

        if (!options.Facts.IsDefault && options.Facts.Length != program.Length)
        {
            throw new ArgumentException($"Facts has {options.Facts.Length} entries for {program.Length} slots", nameof(options));
        }

        if (!RuntimeFeature.IsDynamicCodeSupported)
        {
            throw new HbpfException(ErrorCode.UnsupportedInstruction, "the CIL JIT needs dynamic code, which this runtime (native AOT) does not allow; use host-interp");
        }

        return new CilEmitter(program, helpers, options).Emit();
    }

    private static int s_dumps;

    /// <summary>
    /// Compiles like <see cref="Compile"/> and keeps what <c>hbpf prog dump jited</c> prints: the IL of every slot and,
    /// where the runtime reports it, the native code RyuJIT made of it (<see cref="CilDump.Native"/>).
    /// </summary>
    /// <exception cref="HbpfException">As <see cref="Compile"/>.</exception>
    public static CilDump Dump(Instruction[] program, HelperRegistry helpers, CilCompilerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(helpers);
        if (!InstructionDecoder.TryValidate(program, out var error)) throw error.ToException();
        if (!RuntimeFeature.IsDynamicCodeSupported)
        {
            throw new HbpfException(ErrorCode.UnsupportedInstruction, "the CIL JIT needs dynamic code, which this runtime (native AOT) does not allow; use host-interp");
        }

        string name = $"bpf_cil_dump_{Interlocked.Increment(ref s_dumps)}_{Environment.ProcessId}";
        var emitter = new CilEmitter(program, helpers, options ?? new CilCompilerOptions(), name);
        var compiled = emitter.Emit();
        var native = CilNativeCode.Capture(compiled, name);
        return new CilDump(compiled, emitter.Listing!.Select(l => new CilSlotIl(l.Slot, l.Lines)).ToList(), native);
    }
}

/// <summary>All per-compilation state: analysis (function entries, segments, call sites) and the IL generator.</summary>
[RequiresDynamicCode("emits a DynamicMethod")]
internal sealed class CilEmitter
{
    private const int SavedPerFrame = 5; // R6–R9 and the return-site number, 8 bytes each

    private static readonly MethodInfo CheckAccess = Method(typeof(CilRuntime), nameof(CilRuntime.CheckAccess));
    private static readonly MethodInfo SetStack = Method(typeof(CilRuntime), nameof(CilRuntime.SetStack));
    private static readonly MethodInfo LoadPacket = Method(typeof(CilRuntime), nameof(CilRuntime.LoadPacket));
    private static readonly MethodInfo CallHelper = Method(typeof(CilRuntime), nameof(CilRuntime.CallHelper));
    private static readonly MethodInfo ThrowCallDepth = Method(typeof(CilRuntime), nameof(CilRuntime.ThrowCallDepth));
    private static readonly MethodInfo ThrowUnknownHelper = Method(typeof(CilRuntime), nameof(CilRuntime.ThrowUnknownHelper));
    private static readonly MethodInfo ThrowUnsupported = Method(typeof(CilRuntime), nameof(CilRuntime.ThrowUnsupported));
    private static readonly MethodInfo ThrowFellOffEnd = Method(typeof(CilRuntime), nameof(CilRuntime.ThrowFellOffEnd));
    private static readonly MethodInfo ThrowBudget = Method(typeof(CilImage), nameof(CilImage.ThrowBudget));
    private static readonly MethodInfo ResolveCallx = Method(typeof(CilImage), nameof(CilImage.ResolveCallx));
    private static readonly MethodInfo Loop = Method(typeof(CilRuntime), nameof(CilRuntime.Loop));
    private static readonly MethodInfo ForEachMapElem = Method(typeof(CilRuntime), nameof(CilRuntime.ForEachMapElem));
    private static readonly MethodInfo TailCall = Method(typeof(CilRuntime), nameof(CilRuntime.TailCall));
    private static readonly FieldInfo StateBudget = typeof(CilRunState).GetField(nameof(CilRunState.Budget))!;
    private static readonly FieldInfo ImageHelpers = typeof(CilImage).GetField(nameof(CilImage.Helpers))!;
    private static readonly FieldInfo ImageHelperTargets = typeof(CilImage).GetField(nameof(CilImage.HelperTargets))!;
    private static readonly FieldInfo StateMemory = typeof(CilRunState).GetField(nameof(CilRunState.Memory))!;
    private static readonly FieldInfo StateStackRegion = typeof(CilRunState).GetField(nameof(CilRunState.StackRegion))!;
    private static readonly FieldInfo StateStackTop = typeof(CilRunState).GetField(nameof(CilRunState.StackTop))!;
    private static readonly FieldInfo StateCount = typeof(CilRunState).GetField(nameof(CilRunState.Count))!;

    private readonly Instruction[] _program;
    private readonly HelperRegistry _registry;
    private readonly CilCompilerOptions _options;
    private readonly DynamicMethod _method;
    private readonly CilIlWriter _il;
    private readonly bool[] _segmentStart;
    private readonly int[] _entryIndexBySlot;
    private readonly List<int> _entries = [];
    private readonly List<int> _returnSlots = [];
    private readonly List<BpfHelper> _helpers = [];
    private readonly List<object> _helperTargets = [];
    private readonly bool[] _jumpTarget;
    private ulong?[] _r1Constant = [];
    private LocalBuilder? _call;
    private int _inlinedLookups, _directHelperCalls;
    private readonly Label[] _slot;
    private Label _pop;
    private int _segments;
    private bool _hasCalls;
    private bool _hasCallbacks;
    private int _stackBytes;
    private bool _needsStackRegion;
    private bool _writtenBeforeRead; // one frame, every stack byte read stored first (StackWrittenBeforeRead)
    private bool _tailCalls; // a bpf_tail_call site (set by AnalyseStack, which stops early when the stack escapes)
    private readonly Dictionary<short, int> _promotedSizes = [];
    private readonly Dictionary<short, LocalBuilder> _promoted = [];
    private readonly Dictionary<int, ReductionLoop> _reductions = []; // by header slot
    private readonly Dictionary<int, Label> _loopBody = []; // by back-edge slot: the header's code after its vector block
    private LocalBuilder? _vectorCount, _vectorValue;

    // Locals.
    private readonly LocalBuilder[] _r = new LocalBuilder[11];
    private LocalBuilder _count = null!, _budget = null!, _frameLow = null!, _stackTop = null!, _stackSpan = null!;
    private LocalBuilder _memory = null!, _stackRegion = null!, _depth = null!, _frames = null!, _frame = null!;
    private LocalBuilder _baseDepth = null!;
    private LocalBuilder _addr = null!, _tmp = null!, _entry = null!, _dividend32 = null!, _divisor32 = null!;

    public CilEmitter(Instruction[] program, HelperRegistry registry, CilCompilerOptions options, string? dumpName = null)
    {
        _program = program;
        _registry = registry;
        _options = options;
        _method = new DynamicMethod(
            dumpName ?? "bpf_cil",
            typeof(ulong),
            [typeof(CilImage), typeof(CilRunState).MakeByRefType(), typeof(ulong*), typeof(int), typeof(int), typeof(ulong)],
            typeof(CilImage).Module,
            skipVisibility: true);
        _il = new CilIlWriter(_method.GetILGenerator(64 + program.Length * 24), listing: dumpName is not null);
        _segmentStart = new bool[program.Length + 1];
        _entryIndexBySlot = new int[program.Length];
        Array.Fill(_entryIndexBySlot, -1);
        _slot = new Label[program.Length + 1];
        _jumpTarget = new bool[program.Length + 1];
    }

    /// <summary>The IL listing by slot (after <see cref="Emit"/>, when a dump name was given).</summary>
    public List<(int Slot, List<string> Lines)>? Listing => _il.Listing;

    public CilProgram Emit()
    {
        Analyse();
        for (int i = 0; i < _slot.Length; i++) _slot[i] = _il.DefineLabel();
        _pop = _il.DefineLabel();
        Prologue();
        for (int pc = 0; pc < _program.Length; pc += _program[pc].Width)
        {
            _il.BeginSlot(pc);
            _il.MarkLabel(_slot[pc]);
            if (_reductions.TryGetValue(pc, out var reduction)) VectoriseReduction(reduction);
            if (_segmentStart[pc]) CountSegment(pc);
            Translate(pc);
        }

        // Past the last slot: the interpreter counts one more step (budget first), then faults at the last slot.
        _il.BeginSlot(_program.Length);
        _il.MarkLabel(_slot[_program.Length]);
        CountSegment(_program.Length);
        _il.Emit(OpCodes.Ldc_I4, _program.Length);
        _il.Emit(OpCodes.Call, ThrowFellOffEnd);
        _il.Emit(OpCodes.Ldc_I8, 0L);
        _il.Emit(OpCodes.Ret);
        ReturnFromSubprogram();

        var image = new CilImage(_program, [.. _helpers], [.. _helperTargets], _options.InstructionBudget, _entryIndexBySlot, _options.TailCalls, _options.Maps)
        {
            StackBytes = _stackBytes,
            NeedsStackRegion = _needsStackRegion,
            OneFrame = !_needsStackRegion && !_tailCalls,
            StackWrittenBeforeRead = _writtenBeforeRead,
        };
        image.Entry = (CilEntry)_method.CreateDelegate(typeof(CilEntry), image);
        return new CilProgram(image, _il.ILOffset, _segments, _directHelperCalls, _inlinedLookups) { PromotedStackSlots = _promoted.Count, VectorisedLoops = _reductions.Count };
    }

    // ---- Analysis. ----

    private void Analyse()
    {
        AddEntry(0);
        for (int pc = 0; pc < _program.Length; pc += _program[pc].Width)
        {
            var insn = _program[pc];
            if (Branches.NamesFunction(insn) && Branches.TryGetTarget(insn, pc, out long target)) AddEntry((int)target);
        }

        _hasCalls = HasCalls();
        _hasCallbacks = HasCallbacks();
        AnalyseStack();
        _writtenBeforeRead = !_needsStackRegion && !_tailCalls && StackWrittenBeforeRead();
        for (int pc = 0; pc < _program.Length; pc += _program[pc].Width)
        {
            if (_program[pc].OpCode == Opcodes.Call && _program[pc].SrcNumber == (byte)CallKind.Local) _jumpTarget[pc + 1] = true; // return site
        }
        _segmentStart[0] = true;
        _segmentStart[_program.Length] = true;
        foreach (int entry in _entries) _segmentStart[entry] = true;
        for (int pc = 0; pc < _program.Length; pc += _program[pc].Width)
        {
            var insn = _program[pc];
            var kind = InstructionForms.Of(insn.OpCode).Kind;
            if (kind is InstructionKind.CondJump or InstructionKind.Ja or InstructionKind.Gotol && Branches.TryGetTarget(insn, pc, out long target))
            {
                _segmentStart[target] = true;
                _jumpTarget[target] = true;
            }

            if (EndsSegment(kind, insn, pc)) _segmentStart[pc + insn.Width] = true;
        }

        if (_options.Maps is not null) TrackR1Constants();
        FindReductions();
    }

    // Reduction loops run their provable iterations as one vector kernel call (see VectoriseReduction). Only where a
    // verifier proved the body's loads in bounds (ReductionLoops checks each), so the loads may be read in any order and
    // without checks; the body must be exactly one counted segment.
    private void FindReductions()
    {
        if (_options.ProvenSafe is not { } proven) return;
        foreach (var (header, loop) in ReductionLoops.Find(_program, proven))
        {
            if (SegmentLength(header) == loop.Length && _segmentStart[header]) _reductions[header] = loop;
        }
    }

    // R1's value before each slot when it is a 64-bit immediate set earlier in the same straight-line run (a map handle
    // the loader resolved): what lets a map lookup be inlined. Unknown at jump targets, function entries, return sites
    // and after anything that may write R1.
    private void TrackR1Constants()
    {
        _r1Constant = new ulong?[_program.Length];
        ulong? known = null;
        for (int pc = 0; pc < _program.Length; pc += _program[pc].Width)
        {
            if (_jumpTarget[pc] || _entryIndexBySlot[pc] >= 0) known = null;
            _r1Constant[pc] = known;
            var insn = _program[pc];
            var kind = InstructionForms.Of(insn.OpCode).Kind;
            if (kind == InstructionKind.Lddw && insn.DstNumber == 1)
            {
                known = insn.SrcNumber == (byte)LoadImmKind.Imm64 ? Instruction.WideImmediate(insn, _program[pc + 1]) : null;
            }
            else if (kind is InstructionKind.Call or InstructionKind.CallX or InstructionKind.Exit or InstructionKind.Ja or InstructionKind.Gotol)
            {
                known = null; // calls clobber R1–R5; after an unconditional jump the next slot is reached from elsewhere
            }
            else if (kind is InstructionKind.Atomic)
            {
                if (insn.SrcNumber == 1) known = null;
            }
            else if (kind is not (InstructionKind.StoreImm or InstructionKind.StoreReg or InstructionKind.CondJump or InstructionKind.LoadAbs or InstructionKind.LoadInd) && insn.DstNumber == 1)
            {
                known = null;
            }
        }
    }

    // How the program uses its stack. When R10 is only ever the base of loads and stores at constant offsets (it never
    // escapes into another register, a helper argument or memory), nothing but those accesses can reach the frame: a run
    // needs only the bytes they touch cleared and no stack region in the memory map, and each 1/2/4/8-byte slot that no
    // differently sized or offset access overlaps can live in an IL local (RyuJIT keeps it in a register) instead of
    // memory. Not with bpf-to-bpf calls or callbacks (R10 moves between frames) nor tail calls (the target runs on this
    // frame and may read what was stored in it).
    private void AnalyseStack()
    {
        _stackBytes = CilRuntime.FrameSize;
        _needsStackRegion = true;
        if (_hasCalls || _hasCallbacks) return;
        var accesses = new List<(short Offset, int Size, bool Promotable)>();
        for (int pc = 0; pc < _program.Length; pc += _program[pc].Width)
        {
            var insn = _program[pc];
            var kind = InstructionForms.Of(insn.OpCode).Kind;
            bool reg = insn.Source == OperandSource.Reg;
            bool escapes = kind switch
            {
                InstructionKind.Alu or InstructionKind.CondJump => insn.DstNumber == 10 || (reg && insn.SrcNumber == 10),
                InstructionKind.Neg or InstructionKind.End or InstructionKind.Lddw or InstructionKind.CallX => insn.DstNumber == 10,
                InstructionKind.Load or InstructionKind.LoadSx => insn.DstNumber == 10,
                InstructionKind.StoreReg or InstructionKind.Atomic or InstructionKind.LoadInd => insn.SrcNumber == 10,
                _ => false,
            };
            if (escapes) return;
            if (kind == InstructionKind.Call && insn.SrcNumber == (byte)CallKind.Helper && insn.Imm == (int)HelperId.TailCall) _tailCalls = true;
            int size = Instruction.SizeInBytes(insn.Size);
            switch (kind)
            {
                case InstructionKind.Load or InstructionKind.LoadSx when insn.SrcNumber == 10:
                case InstructionKind.StoreImm or InstructionKind.StoreReg when insn.DstNumber == 10:
                    accesses.Add((insn.Offset, size, true));
                    break;
                case InstructionKind.Atomic when insn.DstNumber == 10:
                    accesses.Add((insn.Offset, insn.Size == MemSize.DW ? 8 : 4, false));
                    break;
            }
        }

        int low = 0;
        foreach (var (offset, size, _) in accesses)
        {
            // An access outside the frame faults (checked) and needs the frame's real bounds: keep the whole frame.
            if (offset < -CilRuntime.FrameSize || offset + size > 0) return;
            low = Math.Min(low, offset);
        }

        _stackBytes = (-low + 7) & ~7; // whole 8-byte words (what a run clears); the bytes added are out of reach anyway
        _needsStackRegion = false;
        if (_tailCalls) return;
        var sizes = new Dictionary<short, int>();
        var blocked = new HashSet<short>();
        foreach (var (offset, size, promotable) in accesses)
        {
            if (!promotable) blocked.Add(offset);
            if (sizes.TryGetValue(offset, out int known) && known != size) blocked.Add(offset);
            sizes[offset] = Math.Max(known, size);
        }

        foreach (var (offset, size) in sizes)
        {
            foreach (var (other, otherSize) in sizes)
            {
                if (other != offset && other < offset + size && offset < other + otherSize) blocked.Add(offset);
            }
        }

        foreach (var (offset, size) in sizes)
        {
            if (!blocked.Contains(offset)) _promotedSizes[offset] = size;
        }
    }

    /// <summary>
    /// True when every byte a stack load or atomic reads was stored on every path from slot 0 to it (a forward
    /// must-written analysis over the frame's 512 bytes). Valid only where R10 never escapes (every stack access is a
    /// constant offset from R10) and slot 0 is the only entry: then no run can observe a byte it did not write, and a
    /// run needs no cleared frame. Conservative: any jump it cannot follow gives false.
    /// </summary>
    private bool StackWrittenBeforeRead()
    {
        const int words = CilRuntime.FrameSize / 64;
        int n = _program.Length;
        var state = new ulong[(n + 1) * words]; // bytes written on entry to each slot (all ones until first reached)
        var reached = new bool[n + 1];
        var work = new Stack<int>();
        reached[0] = true;
        work.Push(0);
        Span<ulong> current = stackalloc ulong[words];
        while (work.Count > 0)
        {
            int pc = work.Pop();
            if (pc >= n) continue;
            state.AsSpan(pc * words, words).CopyTo(current);
            var insn = _program[pc];
            var kind = InstructionForms.Of(insn.OpCode).Kind;
            if (kind is InstructionKind.StoreImm or InstructionKind.StoreReg or InstructionKind.Atomic && insn.DstNumber == 10)
            {
                int size = kind == InstructionKind.Atomic ? (insn.Size == MemSize.DW ? 8 : 4) : Instruction.SizeInBytes(insn.Size);
                int first = insn.Offset + CilRuntime.FrameSize;
                if (first < 0 || first + size > CilRuntime.FrameSize) return false;
                for (int b = first; b < first + size; b++) current[b >> 6] |= 1UL << (b & 63);
            }

            int next = pc + insn.Width;
            switch (kind)
            {
                case InstructionKind.Exit:
                    break;
                case InstructionKind.Ja or InstructionKind.Gotol:
                    if (!Flow(pc, insn, current)) return false;
                    break;
                case InstructionKind.CondJump:
                    if (!Flow(pc, insn, current) || !Merge(next, current)) return false;
                    break;
                default:
                    if (!Merge(next, current)) return false;
                    break;
            }
        }

        for (int pc = 0; pc < n; pc += _program[pc].Width)
        {
            var insn = _program[pc];
            var kind = InstructionForms.Of(insn.OpCode).Kind;
            bool reads = kind is InstructionKind.Load or InstructionKind.LoadSx && insn.SrcNumber == 10 || kind == InstructionKind.Atomic && insn.DstNumber == 10;
            if (!reads || !reached[pc]) continue;
            int size = kind == InstructionKind.Atomic ? (insn.Size == MemSize.DW ? 8 : 4) : Instruction.SizeInBytes(insn.Size);
            int first = insn.Offset + CilRuntime.FrameSize;
            if (first < 0 || first + size > CilRuntime.FrameSize) return false;
            for (int b = first; b < first + size; b++)
            {
                if ((state[pc * words + (b >> 6)] & (1UL << (b & 63))) == 0) return false;
            }
        }

        return true;

        bool Flow(int pc, Instruction insn, ReadOnlySpan<ulong> written) =>
            Branches.TryGetTarget(insn, pc, out long target) && target >= 0 && target <= n && Merge((int)target, written);

        // Intersects the written set into the target's; queues it when that set shrank or it is reached first.
        bool Merge(int target, ReadOnlySpan<ulong> written)
        {
            if (target > n) return false;
            var into = state.AsSpan(target * words, words);
            bool changed = !reached[target];
            for (int w = 0; w < words; w++)
            {
                ulong merged = reached[target] ? into[w] & written[w] : written[w];
                changed |= merged != into[w];
                into[w] = merged;
            }

            reached[target] = true;
            if (changed) work.Push(target);
            return true;
        }
    }

    private void AddEntry(int slot)
    {
        if (_entryIndexBySlot[slot] >= 0) return;
        _entryIndexBySlot[slot] = _entries.Count;
        _entries.Add(slot);
    }

    // A segment ends after control flow, and after anything that may fault or that writes memory (see CilCompiler).
    private bool EndsSegment(InstructionKind kind, in Instruction insn, int pc) => kind switch
    {
        InstructionKind.CondJump or InstructionKind.Ja or InstructionKind.Gotol or InstructionKind.Exit => true,
        InstructionKind.Call or InstructionKind.CallX or InstructionKind.LoadAbs or InstructionKind.LoadInd => true,
        InstructionKind.StoreImm or InstructionKind.StoreReg or InstructionKind.Atomic => true,
        InstructionKind.Load or InstructionKind.LoadSx => !IsProvenSafe(pc),
        InstructionKind.Lddw => insn.SrcNumber is not ((byte)LoadImmKind.Imm64 or (byte)LoadImmKind.Func),
        _ => false,
    };

    private bool IsProvenSafe(int pc) => _options.ProvenSafe is { } safe && safe[pc];

    private bool NoZeroExtension(int pc) => !_options.Facts.IsDefault && (_options.Facts[pc] & SlotFacts.NoZeroExtension) != 0;

    private int SegmentLength(int start)
    {
        if (start == _program.Length) return 1;
        int length = 0;
        int pc = start;
        do
        {
            pc += _program[pc].Width;
            length++;
        }
        while (pc < _program.Length && !_segmentStart[pc]);
        return length;
    }

    // ---- Frame of the compiled method. ----

    private void Prologue()
    {
        for (int i = 0; i < _r.Length; i++) _r[i] = _il.DeclareLocal(typeof(ulong), "r" + i);
        _count = _il.DeclareLocal(typeof(long), "count");
        _budget = _il.DeclareLocal(typeof(long), "budget");
        _frameLow = _il.DeclareLocal(typeof(ulong), "frameLow");
        _stackTop = _il.DeclareLocal(typeof(ulong), "stackTop");
        _stackSpan = _il.DeclareLocal(typeof(ulong), "stackSpan");
        _memory = _il.DeclareLocal(typeof(MemoryMap), "memory");
        _stackRegion = _il.DeclareLocal(typeof(int), "stackRegion");
        _depth = _il.DeclareLocal(typeof(int), "depth");
        _frames = _il.DeclareLocal(typeof(nint), "frames");
        _frame = _il.DeclareLocal(typeof(nint), "frame");
        _addr = _il.DeclareLocal(typeof(ulong), "addr");
        _tmp = _il.DeclareLocal(typeof(ulong), "tmp");
        _entry = _il.DeclareLocal(typeof(int), "entry");
        _dividend32 = _il.DeclareLocal(typeof(int), "dividend32");
        _divisor32 = _il.DeclareLocal(typeof(int), "divisor32");

        _baseDepth = _il.DeclareLocal(typeof(int), "baseDepth");

        // Arguments: 0 image, 1 ref state, 2 the starting registers R0–R9, 3 the entry to start at (its dense index),
        // 4 the call depth of that frame, 5 the frame's low address. A plain run starts at entry 0, depth 1; a callback
        // one frame below its caller; a tail call's target with the registers its caller left.
        var il = _il;
        // A negative entry only makes RyuJIT compile the method (CilProgram.CompileNow): nothing runs.
        var run = il.DefineLabel();
        il.Emit(OpCodes.Ldarg_3);
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Bge, run);
        il.Emit(OpCodes.Ldc_I8, 0L);
        il.Emit(OpCodes.Ret);
        il.MarkLabel(run);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldfld, StateMemory);
        il.Emit(OpCodes.Stloc, _memory);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldfld, StateStackRegion);
        il.Emit(OpCodes.Stloc, _stackRegion);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldfld, StateStackTop);
        il.Emit(OpCodes.Stloc, _stackTop);
        il.Emit(OpCodes.Ldarg_S, (byte)5);
        il.Emit(OpCodes.Dup);
        il.Emit(OpCodes.Stloc, _frameLow);
        il.Emit(OpCodes.Ldc_I8, (long)CilRuntime.FrameSize);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, _r[10]);
        il.Emit(OpCodes.Ldloc, _stackTop);
        il.Emit(OpCodes.Ldloc, _frameLow);
        il.Emit(OpCodes.Sub);
        il.Emit(OpCodes.Stloc, _stackSpan);
        if (_options.Counting == CilCounting.Budget)
        {
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldfld, StateBudget);
            il.Emit(OpCodes.Stloc, _budget);
        }

        if (_options.Counting != CilCounting.None)
        {
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldfld, StateCount);
            il.Emit(OpCodes.Stloc, _count);
        }
        for (int r = 0; r <= 9; r++)
        {
            il.Emit(OpCodes.Ldarg_2);
            if (r != 0)
            {
                il.Emit(OpCodes.Ldc_I4, r * 8);
                il.Emit(OpCodes.Add);
            }

            il.Emit(OpCodes.Ldind_I8);
            St(r);
        }

        // Promoted stack slots start as what the frame holds: zero in a fresh run, what a tail-calling program left there
        // in its target. When every read byte is stored first, no read sees the start value: a constant, not a load
        // RyuJIT must keep (it cannot prove the load does not fault).
        foreach (var (offset, size) in _promotedSizes)
        {
            var local = _il.DeclareLocal(typeof(ulong), $"stack{offset}");
            _promoted[offset] = local;
            if (_writtenBeforeRead)
            {
                il.Emit(OpCodes.Ldc_I8, 0L);
                il.Emit(OpCodes.Stloc, local);
                continue;
            }

            Ld(10);
            il.Emit(OpCodes.Ldc_I8, (long)offset);
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Conv_U);
            if (size > 1) il.Emit(OpCodes.Unaligned, (byte)1);
            il.Emit(size switch { 1 => OpCodes.Ldind_U1, 2 => OpCodes.Ldind_U2, 4 => OpCodes.Ldind_U4, _ => OpCodes.Ldind_I8 });
            if (size < 8) il.Emit(OpCodes.Conv_U8);
            il.Emit(OpCodes.Stloc, local);
        }

        il.Emit(OpCodes.Ldarg_S, (byte)4);
        il.Emit(OpCodes.Dup);
        il.Emit(OpCodes.Stloc, _depth);
        il.Emit(OpCodes.Stloc, _baseDepth);
        if (_hasCalls)
        {
            il.Emit(OpCodes.Ldc_I4, CilRuntime.MaxCallDepth * SavedPerFrame * 8);
            il.Emit(OpCodes.Conv_U);
            il.Emit(OpCodes.Localloc);
            il.Emit(OpCodes.Stloc, _frames);
        }

        if (_hasCallbacks)
        {
            // A callback starts at its function's entry; entry 0 is slot 0.
            il.Emit(OpCodes.Ldarg_3);
            var targets = new Label[_entries.Count];
            for (int i = 0; i < targets.Length; i++) targets[i] = _slot[_entries[i]];
            il.Emit(OpCodes.Switch, targets);
        }
    }

    // bpf_loop always, bpf_for_each_map_elem when maps are known: both run a subprogram of this one as a callback.
    private bool HasCallbacks()
    {
        for (int pc = 0; pc < _program.Length; pc += _program[pc].Width)
        {
            var insn = _program[pc];
            if (insn.OpCode != Opcodes.Call || insn.SrcNumber != (byte)CallKind.Helper) continue;
            if (insn.Imm == (int)HelperId.Loop || (insn.Imm == (int)HelperId.ForEachMapElem && _options.Maps is not null)) return true;
        }

        return false;
    }

    private bool HasCalls()
    {
        for (int pc = 0; pc < _program.Length; pc += _program[pc].Width)
        {
            var insn = _program[pc];
            if (insn.OpCode == Opcodes.CallX || (insn.OpCode == Opcodes.Call && insn.SrcNumber == (byte)CallKind.Local)) return true;
        }

        return false;
    }

    private void CountSegment(int start)
    {
        if (_options.Counting == CilCounting.None) return;
        _segments++;
        int length = SegmentLength(start);
        var il = _il;
        il.Emit(OpCodes.Ldloc, _count);
        il.Emit(OpCodes.Ldc_I8, (long)length);
        il.Emit(OpCodes.Add);
        if (_options.Counting == CilCounting.Count)
        {
            il.Emit(OpCodes.Stloc, _count);
            return;
        }

        var ok = il.DefineLabel();
        il.Emit(OpCodes.Dup);
        il.Emit(OpCodes.Stloc, _count);
        il.Emit(OpCodes.Ldloc, _budget);
        il.Emit(OpCodes.Ble, ok);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldloc, _budget);
        il.Emit(OpCodes.Ldloc, _count);
        il.Emit(OpCodes.Ldc_I4, length);
        il.Emit(OpCodes.Ldc_I4, start);
        il.Emit(OpCodes.Call, ThrowBudget);
        il.MarkLabel(ok);
    }

    // ---- Vectorised reduction loops. ----

    /// <summary>Fewer provable iterations than this run scalar: a kernel call costs about as much as a few of them.</summary>
    internal const long VectorThreshold = 16;

    // At most this many iterations per kernel call: keeps count·length and count·size far from overflow (a verified
    // loop reads every one of its elements, so real counts are bounded by memory anyway).
    private const long VectorMaximum = int.MaxValue;

    private static readonly MethodInfo[] AddKernels =
    [
        Method(typeof(ReductionKernels), nameof(ReductionKernels.AddU8)),
        Method(typeof(ReductionKernels), nameof(ReductionKernels.AddU16)),
        Method(typeof(ReductionKernels), nameof(ReductionKernels.AddU32)),
        Method(typeof(ReductionKernels), nameof(ReductionKernels.AddU64)),
    ];

    private static readonly MethodInfo XorKernel = Method(typeof(ReductionKernels), nameof(ReductionKernels.Xor));
    private static readonly MethodInfo OrKernel = Method(typeof(ReductionKernels), nameof(ReductionKernels.Or));
    private static readonly MethodInfo AndKernel = Method(typeof(ReductionKernels), nameof(ReductionKernels.And));

    /// <summary>
    /// At a reduction loop's header: n = how many iterations from here provably take the back edge (their exit test
    /// values are v, v ± m, … with no wrap-around past the limit); when n is at least <see cref="VectorThreshold"/>,
    /// one kernel call folds their n contiguous elements into the accumulator, each induction variable advances by n
    /// times its step (what n increments give, modulo 2^64) and the count by n times the body's length. Then the
    /// scalar body runs the remaining iteration(s) as ever, writing every temporary again before the loop can exit.
    /// The back edge returns past this block: after the vectorised iterations the next test fails except where the
    /// value wraps around 2^64, and a loop too short to vectorise does not pay the check on every iteration.
    /// </summary>
    private void VectoriseReduction(ReductionLoop loop)
    {
        var il = _il;
        il.Comment($"vectorised reduction loop, {loop}");
        _vectorCount ??= il.DeclareLocal(typeof(ulong), "vectorCount");
        _vectorValue ??= il.DeclareLocal(typeof(ulong), "vectorValue");
        var skip = il.DefineLabel();
        _loopBody[loop.BackEdge] = skip;

        // v: what this iteration's exit test will compare; m: how far it moves per iteration (towards the limit).
        EmitAffine(loop.TestValue);
        il.Emit(OpCodes.Stloc, _vectorValue);
        bool up = (long)loop.TestStep > 0;
        ulong m = up ? loop.TestStep : 0 - loop.TestStep;
        bool inclusive = loop.Test is LoopTest.LessOrEqual or LoopTest.GreaterOrEqual;
        // None provable when the test fails now: counting up, v ≥ K (v > K for <=); down, v ≤ K (v < K for >=). != uses
        // the < (or >) count, a safe lower bound: those iterations never meet K.
        il.Emit(OpCodes.Ldloc, _vectorValue);
        Limit();
        il.Emit((up, inclusive) switch
        {
            (true, false) => OpCodes.Bge_Un,
            (true, true) => OpCodes.Bgt_Un,
            (false, false) => OpCodes.Ble_Un,
            (false, true) => OpCodes.Blt_Un,
        }, skip);

        // n = (distance - 1) / m + 1, or distance / m + 1 when inclusive (which wraps to 0 only when it would be 2^64);
        // distance = K - v counting up, v - K down.
        if (up)
        {
            Limit();
            il.Emit(OpCodes.Ldloc, _vectorValue);
        }
        else
        {
            il.Emit(OpCodes.Ldloc, _vectorValue);
            Limit();
        }

        il.Emit(OpCodes.Sub);
        if (!inclusive)
        {
            il.Emit(OpCodes.Ldc_I8, 1L);
            il.Emit(OpCodes.Sub);
        }

        il.Emit(OpCodes.Ldc_I8, (long)m);
        il.Emit(OpCodes.Div_Un);
        il.Emit(OpCodes.Ldc_I8, 1L);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, _vectorCount);

        // Threshold ≤ n ≤ maximum, as one unsigned compare.
        il.Emit(OpCodes.Ldloc, _vectorCount);
        il.Emit(OpCodes.Ldc_I8, VectorThreshold);
        il.Emit(OpCodes.Sub);
        il.Emit(OpCodes.Ldc_I8, VectorMaximum - VectorThreshold);
        il.Emit(OpCodes.Bgt_Un, skip);

        if (_options.Counting == CilCounting.Budget)
        {
            // Only when all n iterations fit the budget: otherwise the scalar loop runs and faults where the interpreter does.
            il.Emit(OpCodes.Ldloc, _count);
            il.Emit(OpCodes.Ldloc, _vectorCount);
            il.Emit(OpCodes.Ldc_I8, (long)loop.Length);
            il.Emit(OpCodes.Mul);
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Ldloc, _budget);
            il.Emit(OpCodes.Bgt, skip);
        }

        // acc = kernel(acc, address of iteration 0's element, n[, size])
        Ld(loop.Accumulator);
        EmitAffine(loop.Address);
        il.Emit(OpCodes.Conv_U);
        il.Emit(OpCodes.Ldloc, _vectorCount);
        il.Emit(OpCodes.Conv_U);
        if (loop.Op == ReductionOp.Add)
        {
            il.Emit(OpCodes.Call, AddKernels[System.Numerics.BitOperations.Log2((uint)loop.ElementSize)]);
        }
        else
        {
            il.Emit(OpCodes.Ldc_I4, loop.ElementSize);
            il.Emit(OpCodes.Call, loop.Op switch { ReductionOp.Xor => XorKernel, ReductionOp.Or => OrKernel, _ => AndKernel });
        }

        if (loop.Accumulator32)
        {
            il.Emit(OpCodes.Conv_U4); // the 32-bit form's result, zero-extended
            il.Emit(OpCodes.Conv_U8);
        }

        St(loop.Accumulator);

        // ivᵢ += n·cᵢ
        foreach (var (register, step) in loop.Inductions)
        {
            Ld(register);
            il.Emit(OpCodes.Ldloc, _vectorCount);
            il.Emit(OpCodes.Ldc_I8, (long)step);
            il.Emit(OpCodes.Mul);
            il.Emit(OpCodes.Add);
            St(register);
        }

        if (_options.Counting != CilCounting.None)
        {
            il.Emit(OpCodes.Ldloc, _count);
            il.Emit(OpCodes.Ldloc, _vectorCount);
            il.Emit(OpCodes.Ldc_I8, (long)loop.Length);
            il.Emit(OpCodes.Mul);
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Stloc, _count);
        }

        il.MarkLabel(skip);

        void Limit()
        {
            if (loop.LimitRegister >= 0) Ld(loop.LimitRegister);
            else il.Emit(OpCodes.Ldc_I8, (long)loop.Limit);
        }

        // An affine form of the registers' current (header) values, modulo 2^64.
        void EmitAffine(Affine value)
        {
            il.Emit(OpCodes.Ldc_I8, (long)value.Constant);
            foreach (int r in value.Terms)
            {
                Ld(r);
                long k = value.Coefficient(r);
                if (k != 1)
                {
                    il.Emit(OpCodes.Ldc_I8, k);
                    il.Emit(OpCodes.Mul);
                }

                il.Emit(OpCodes.Add);
            }
        }
    }

    // ---- One instruction. ----

    private void Translate(int pc)
    {
        var insn = _program[pc];
        // A pure zero-extension (the kernel's zext idiom w = w, or le32) with no 64-bit reader after it: nothing to do.
        if (NoZeroExtension(pc) && ZeroExtension.IsZeroExtensionOnly(insn)) return;
        switch (InstructionForms.Of(insn.OpCode).Kind)
        {
            case InstructionKind.Alu: Alu(insn, pc); break;
            case InstructionKind.Neg: Neg(insn); break;
            case InstructionKind.End: End(insn); break;
            case InstructionKind.CondJump: CondJump(insn, pc); break;
            case InstructionKind.Ja: _il.Emit(OpCodes.Br, _slot[pc + 1 + insn.Offset]); break;
            case InstructionKind.Gotol: _il.Emit(OpCodes.Br, _slot[pc + 1 + insn.Imm]); break;
            case InstructionKind.Call: Call(insn, pc); break;
            case InstructionKind.CallX: CallX(insn, pc); break;
            case InstructionKind.Exit: Exit(); break;
            case InstructionKind.Lddw: Lddw(insn, pc); break;
            case InstructionKind.LoadAbs:
            case InstructionKind.LoadInd: LegacyLoad(insn); break;
            case InstructionKind.Load:
            case InstructionKind.LoadSx: Load(insn, pc); break;
            case InstructionKind.StoreImm:
            case InstructionKind.StoreReg: Store(insn, pc); break;
            case InstructionKind.Atomic: Atomic(insn, pc); break;
            default: throw new UnreachableException($"opcode 0x{insn.OpCode:x2} at slot {pc} passed validation but has no translation");
        }
    }

    private void Ld(int register) => _il.Emit(OpCodes.Ldloc, _r[register]);

    private void St(int register) => _il.Emit(OpCodes.Stloc, _r[register]);

    // The second operand of a 64-bit op: the source register or the immediate sign-extended to 64 bits.
    private void Operand64(in Instruction insn)
    {
        if (insn.Source == OperandSource.Reg) Ld(insn.SrcNumber);
        else _il.Emit(OpCodes.Ldc_I8, (long)insn.Imm);
    }

    // The second operand of a 32-bit op, as an int32 on the IL stack.
    private void Operand32(in Instruction insn)
    {
        if (insn.Source == OperandSource.Reg)
        {
            Ld(insn.SrcNumber);
            _il.Emit(OpCodes.Conv_U4);
        }
        else
        {
            _il.Emit(OpCodes.Ldc_I4, insn.Imm);
        }
    }

    private void Alu(in Instruction insn, int pc)
    {
        var il = _il;
        bool is64 = insn.Class == OpClass.Alu64;
        int dst = insn.DstNumber;
        var op = insn.AluOp;
        if (op == AluOp.Mov)
        {
            Mov(insn, is64, NoZeroExtension(pc));
            return;
        }

        if (op is AluOp.Div or AluOp.Mod)
        {
            Divide(insn, is64);
            return;
        }

        Ld(dst);
        if (!is64) il.Emit(OpCodes.Conv_U4);
        if (op is AluOp.Lsh or AluOp.Rsh or AluOp.Arsh)
        {
            // Shift amounts are masked to the width (RFC 9669); IL leaves larger amounts unspecified.
            int mask = is64 ? 63 : 31;
            if (insn.Source == OperandSource.Reg)
            {
                Ld(insn.SrcNumber);
                il.Emit(OpCodes.Conv_I4);
                il.Emit(OpCodes.Ldc_I4, mask);
                il.Emit(OpCodes.And);
            }
            else
            {
                il.Emit(OpCodes.Ldc_I4, insn.Imm & mask);
            }
        }
        else if (is64)
        {
            Operand64(insn);
        }
        else
        {
            Operand32(insn);
        }

        il.Emit(op switch
        {
            AluOp.Add => OpCodes.Add,
            AluOp.Sub => OpCodes.Sub,
            AluOp.Mul => OpCodes.Mul,
            AluOp.Or => OpCodes.Or,
            AluOp.And => OpCodes.And,
            AluOp.Xor => OpCodes.Xor,
            AluOp.Lsh => OpCodes.Shl,
            AluOp.Rsh => OpCodes.Shr_Un,
            AluOp.Arsh => OpCodes.Shr,
            _ => throw new UnreachableException($"ALU op 0x{(byte)op:x2} has no translation"),
        });
        if (!is64) il.Emit(OpCodes.Conv_U8); // 32-bit results are zero-extended
        St(dst);
    }

    private void Mov(in Instruction insn, bool is64, bool noZeroExtension)
    {
        var il = _il;
        if (insn.Source == OperandSource.Imm)
        {
            il.Emit(OpCodes.Ldc_I8, is64 ? insn.Imm : (long)(uint)insn.Imm);
        }
        else
        {
            // MOVSX: offset 8/16/32 sign-extends that many low bits (32-bit form: to 32 bits, then zero-extends).
            Ld(insn.SrcNumber);
            switch (insn.Offset, is64)
            {
                case (8, true): il.Emit(OpCodes.Conv_I1); il.Emit(OpCodes.Conv_I8); break;
                case (16, true): il.Emit(OpCodes.Conv_I2); il.Emit(OpCodes.Conv_I8); break;
                case (32, true): il.Emit(OpCodes.Conv_I4); il.Emit(OpCodes.Conv_I8); break;
                case (_, true): break;
                case (8, false): il.Emit(OpCodes.Conv_I1); il.Emit(OpCodes.Conv_U8); break;
                case (16, false): il.Emit(OpCodes.Conv_I2); il.Emit(OpCodes.Conv_U8); break;
                case (_, false) when noZeroExtension: break; // only the low half is ever read: copy all 64 bits
                default: il.Emit(OpCodes.Conv_U4); il.Emit(OpCodes.Conv_U8); break;
            }
        }

        St(insn.DstNumber);
    }

    // RFC 9669 §4.1: x / 0 = 0, x % 0 = x (32-bit: its low half), signed INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0.
    private void Divide(in Instruction insn, bool is64)
    {
        var il = _il;
        int dst = insn.DstNumber;
        bool signed = insn.Offset == 1;
        bool mod = insn.AluOp == AluOp.Mod;
        if (insn.Source == OperandSource.Reg)
        {
            DivideByRegister(dst, insn.SrcNumber, is64, signed, mod);
            return;
        }

        int imm = insn.Imm;
        if (imm == 0 || (signed && imm == -1))
        {
            bool keepDividend = mod && imm == 0;
            bool negate = !mod && imm == -1;
            if (keepDividend || negate)
            {
                Ld(dst);
                if (!is64) il.Emit(OpCodes.Conv_U4);
                if (negate) il.Emit(OpCodes.Neg);
                if (!is64) il.Emit(OpCodes.Conv_U8);
            }
            else
            {
                il.Emit(OpCodes.Ldc_I8, 0L);
            }

            St(dst);
            return;
        }

        Ld(dst);
        if (!is64)
        {
            il.Emit(OpCodes.Conv_U4);
            il.Emit(OpCodes.Stloc, _dividend32); // see DivideByRegister
            il.Emit(OpCodes.Ldloc, _dividend32);
        }

        if (is64) il.Emit(OpCodes.Ldc_I8, (long)imm);
        else il.Emit(OpCodes.Ldc_I4, imm);
        il.Emit((signed, mod) switch
        {
            (false, false) => OpCodes.Div_Un,
            (false, true) => OpCodes.Rem_Un,
            (true, false) => OpCodes.Div,
            (true, true) => OpCodes.Rem,
        });
        if (!is64) il.Emit(OpCodes.Conv_U8);
        St(dst);
    }

    // The divisor is a register: branch on 0 and (signed) -1, else one IL div/rem.
    private void DivideByRegister(int dst, int src, bool is64, bool signed, bool mod)
    {
        var il = _il;
        var end = il.DefineLabel();
        var nonZero = il.DefineLabel();
        // 32-bit operands go through int32 locals: RyuJIT 10 (10.0.401) miscompiles a division whose operand is the
        // narrowing cast of a live 64-bit local (it copies the 32-bit half for idiv and writes it back as the local).
        if (!is64)
        {
            Ld(src);
            il.Emit(OpCodes.Conv_U4);
            il.Emit(OpCodes.Stloc, _divisor32);
            Ld(dst);
            il.Emit(OpCodes.Conv_U4);
            il.Emit(OpCodes.Stloc, _dividend32);
        }

        void Divisor()
        {
            if (is64) Ld(src);
            else il.Emit(OpCodes.Ldloc, _divisor32);
        }

        void Dividend()
        {
            if (is64) Ld(dst);
            else il.Emit(OpCodes.Ldloc, _dividend32);
        }

        void Store()
        {
            if (!is64) il.Emit(OpCodes.Conv_U8);
            St(dst);
        }

        Divisor();
        il.Emit(OpCodes.Brtrue, nonZero);
        if (mod)
        {
            Dividend(); // x % 0 = x (the 32-bit form keeps the low half)
        }
        else
        {
            if (is64) il.Emit(OpCodes.Ldc_I8, 0L);
            else il.Emit(OpCodes.Ldc_I4_0);
        }

        Store();
        il.Emit(OpCodes.Br, end);
        il.MarkLabel(nonZero);
        if (signed)
        {
            var ordinary = il.DefineLabel();
            Divisor();
            if (is64) il.Emit(OpCodes.Ldc_I8, -1L);
            else il.Emit(OpCodes.Ldc_I4_M1);
            il.Emit(OpCodes.Bne_Un, ordinary);
            if (mod)
            {
                if (is64) il.Emit(OpCodes.Ldc_I8, 0L);
                else il.Emit(OpCodes.Ldc_I4_0);
            }
            else
            {
                Dividend();
                il.Emit(OpCodes.Neg);
            }

            Store();
            il.Emit(OpCodes.Br, end);
            il.MarkLabel(ordinary);
        }

        Dividend();
        Divisor();
        il.Emit((signed, mod) switch
        {
            (false, false) => OpCodes.Div_Un,
            (false, true) => OpCodes.Rem_Un,
            (true, false) => OpCodes.Div,
            (true, true) => OpCodes.Rem,
        });
        Store();
        il.MarkLabel(end);
    }

    private void Neg(in Instruction insn)
    {
        Ld(insn.DstNumber);
        if (insn.Class == OpClass.Alu64)
        {
            _il.Emit(OpCodes.Neg);
        }
        else
        {
            _il.Emit(OpCodes.Conv_U4);
            _il.Emit(OpCodes.Neg);
            _il.Emit(OpCodes.Conv_U8);
        }

        St(insn.DstNumber);
    }

    // bswap (ALU64) and be swap bytes; le on a little-endian host only truncates to the width.
    private void End(in Instruction insn)
    {
        var il = _il;
        bool swap = insn.Class == OpClass.Alu64 || insn.Source == OperandSource.Reg;
        Ld(insn.DstNumber);
        switch (insn.Imm)
        {
            case 16:
                il.Emit(OpCodes.Conv_U2);
                if (swap) il.Emit(OpCodes.Call, typeof(BinaryPrimitives).GetMethod(nameof(BinaryPrimitives.ReverseEndianness), [typeof(ushort)])!);
                il.Emit(OpCodes.Conv_U8);
                break;
            case 32:
                il.Emit(OpCodes.Conv_U4);
                if (swap) il.Emit(OpCodes.Call, typeof(BinaryPrimitives).GetMethod(nameof(BinaryPrimitives.ReverseEndianness), [typeof(uint)])!);
                il.Emit(OpCodes.Conv_U8);
                break;
            default:
                if (swap) il.Emit(OpCodes.Call, typeof(BinaryPrimitives).GetMethod(nameof(BinaryPrimitives.ReverseEndianness), [typeof(ulong)])!);
                break;
        }

        St(insn.DstNumber);
    }

    private void CondJump(in Instruction insn, int pc)
    {
        var il = _il;
        // A vectorised loop's back edge skips the header's vector block: it only ran out of provable iterations.
        var target = _loopBody.TryGetValue(pc, out var body) ? body : _slot[pc + 1 + insn.Offset];
        bool is64 = insn.Class == OpClass.Jmp;
        Ld(insn.DstNumber);
        if (!is64) il.Emit(OpCodes.Conv_U4);
        if (is64) Operand64(insn);
        else Operand32(insn);
        var op = insn.JumpOp;
        if (op == JumpOp.Jset)
        {
            il.Emit(OpCodes.And);
            il.Emit(OpCodes.Brtrue, target);
            return;
        }

        il.Emit(
            op switch
            {
                JumpOp.Jeq => OpCodes.Beq,
                JumpOp.Jne => OpCodes.Bne_Un,
                JumpOp.Jgt => OpCodes.Bgt_Un,
                JumpOp.Jge => OpCodes.Bge_Un,
                JumpOp.Jlt => OpCodes.Blt_Un,
                JumpOp.Jle => OpCodes.Ble_Un,
                JumpOp.Jsgt => OpCodes.Bgt,
                JumpOp.Jsge => OpCodes.Bge,
                JumpOp.Jslt => OpCodes.Blt,
                JumpOp.Jsle => OpCodes.Ble,
                _ => throw new UnreachableException($"jump op 0x{(byte)op:x2} has no translation"),
            },
            target);
    }

    // ---- Calls and exit. ----

    private void Call(in Instruction insn, int pc)
    {
        var il = _il;
        switch ((CallKind)insn.SrcNumber)
        {
            case CallKind.Local:
                PushFrame(pc);
                il.Emit(OpCodes.Br, _slot[pc + 1 + insn.Imm]);
                break;
            case CallKind.Helper when insn.Imm == (int)HelperId.TailCall && _options.TailCalls is not null:
                TailCallSite(pc);
                break;
            case CallKind.Helper when insn.Imm == (int)HelperId.Loop || (insn.Imm == (int)HelperId.ForEachMapElem && _options.Maps is not null):
                Callback(insn.Imm == (int)HelperId.Loop ? Loop : ForEachMapElem, pc);
                break;
            case CallKind.Helper when _registry.TryGet(insn.Imm, out var helper):
                if (insn.Imm == (int)HelperId.MapLookupElem && InlinableArray(helper, pc) is { } array)
                {
                    InlineArrayLookup(helper, array, pc);
                }
                else
                {
                    HelperCallSite(helper, pc);
                }

                break;
            case CallKind.Helper:
                // As in the interpreter, a helper the registry lacks faults when the call is reached.
                il.Emit(OpCodes.Ldc_I4, pc);
                il.Emit(OpCodes.Ldc_I4, insn.Imm);
                il.Emit(OpCodes.Call, ThrowUnknownHelper);
                break;
            default:
                il.Emit(OpCodes.Ldc_I4, pc);
                il.Emit(OpCodes.Ldstr, $"kfunc call (BTF id {insn.Imm}) is not available to the CIL JIT");
                il.Emit(OpCodes.Call, ThrowUnsupported);
                break;
        }
    }

    // A helper call: a direct call of the implementing method (static, or an instance method of the delegate's target,
    // which the image holds) with a HelperCall local, so no delegate dispatch; a delegate that is not one plain method
    // (multicast, dynamic) goes through the trampoline.
    private void HelperCallSite(BpfHelper helper, int pc)
    {
        var il = _il;
        var method = helper.Method;
        // Instance methods of value types would need the boxed target unboxed to a managed pointer: left to the trampoline.
        bool direct = helper.HasSingleTarget && method is not DynamicMethod && method.DeclaringType is { ContainsGenericParameters: false, IsValueType: false }
            && (method.IsStatic ? helper.Target is null : helper.Target is not null);
        if (!direct)
        {
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, ImageHelpers);
            il.Emit(OpCodes.Ldc_I4, _helpers.Count);
            il.Emit(OpCodes.Ldelem_Ref);
            _helpers.Add(helper);
            for (int r = 1; r <= 5; r++) Ld(r);
            il.Emit(OpCodes.Ldloc, _memory);
            il.Emit(OpCodes.Ldc_I4, pc);
            il.Emit(OpCodes.Call, CallHelper);
            St(0);
            return;
        }

        _directHelperCalls++;
        _call ??= il.DeclareLocal(typeof(HelperCall), "call");
        il.Emit(OpCodes.Ldloca, _call);
        il.Emit(OpCodes.Initobj, typeof(HelperCall));
        for (int r = 1; r <= 5; r++)
        {
            il.Emit(OpCodes.Ldloca, _call);
            Ld(r);
            il.Emit(OpCodes.Stfld, HelperCallRegisters[r - 1]);
        }

        il.Emit(OpCodes.Ldloca, _call);
        il.Emit(OpCodes.Ldloc, _memory);
        il.Emit(OpCodes.Stfld, HelperCallMemory);
        il.Emit(OpCodes.Ldloca, _call);
        il.Emit(OpCodes.Ldc_I4, pc);
        il.Emit(OpCodes.Stfld, HelperCallSlot);
        if (!method.IsStatic)
        {
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, ImageHelperTargets);
            il.Emit(OpCodes.Ldc_I4, _helperTargets.Count);
            il.Emit(OpCodes.Ldelem_Ref);
            _helperTargets.Add(helper.Target!);
            // No castclass: the element is the delegate's own target, of the method's declaring type by construction.
        }

        il.Emit(OpCodes.Ldloca, _call);
        il.Emit(OpCodes.Call, method);
        St(0);
    }

    private static readonly FieldInfo[] HelperCallRegisters = [.. new[] { "R1", "R2", "R3", "R4", "R5" }.Select(HelperCallField)];
    private static readonly FieldInfo HelperCallMemory = HelperCallField(nameof(HelperCall.Memory));
    private static readonly FieldInfo HelperCallSlot = HelperCallField(nameof(HelperCall.Slot));

    private static FieldInfo HelperCallField(string name) => typeof(HelperCall).GetField(name) ?? throw new UnreachableException($"HelperCall.{name} is missing");

    // Where an array map's values are: value i at Base + i * Stride, for i < MaxEntries.
    private sealed record ArrayLayout(ulong Base, ulong Stride, uint MaxEntries);

    // map_lookup_elem of a plain (not per-CPU) array named by a constant handle, with the loader's map helpers: the
    // kernel's map_gen_lookup idea. Values never move, so the layout is read once here.
    private unsafe ArrayLayout? InlinableArray(BpfHelper helper, int pc)
    {
        if (_options.Maps is not { } maps || helper.Target is not MapHelpers || _r1Constant.Length == 0 || _r1Constant[pc] is not { } handle) return null;
        if (maps(handle) is not { Type: MapType.Array, KeySize: 4 } map || map.MaxEntries == 0) return null;
        uint key = 0;
        ulong first = (ulong)map.LookupElem((byte*)&key, 0);
        key = 1;
        ulong stride = map.MaxEntries > 1 ? (ulong)map.LookupElem((byte*)&key, 0) - first : 0;
        return first == 0 ? null : new ArrayLayout(first, stride, (uint)map.MaxEntries);
    }

    // R0 = *(u32*)R2 < max ? base + index * stride : 0, when the key lies in the current call chain's frames (the common
    // case: a key on the stack); any other key pointer goes through the helper, which checks it and faults the same way.
    private void InlineArrayLookup(BpfHelper helper, ArrayLayout array, int pc)
    {
        _inlinedLookups++;
        var il = _il;
        var slow = il.DefineLabel();
        var done = il.DefineLabel();
        var miss = il.DefineLabel();
        Ld(2);
        il.Emit(OpCodes.Ldloc, _frameLow);
        il.Emit(OpCodes.Sub);
        il.Emit(OpCodes.Ldloc, _stackSpan);
        il.Emit(OpCodes.Ldc_I8, 4L);
        il.Emit(OpCodes.Sub);
        il.Emit(OpCodes.Bgt_Un, slow);
        Ld(2);
        il.Emit(OpCodes.Conv_U);
        il.Emit(OpCodes.Unaligned, (byte)1);
        il.Emit(OpCodes.Ldind_U4);
        il.Emit(OpCodes.Conv_U8);
        il.Emit(OpCodes.Dup);
        il.Emit(OpCodes.Stloc, _tmp);
        il.Emit(OpCodes.Ldc_I8, (long)array.MaxEntries);
        il.Emit(OpCodes.Bge_Un, miss);
        il.Emit(OpCodes.Ldloc, _tmp);
        il.Emit(OpCodes.Ldc_I8, (long)array.Stride);
        il.Emit(OpCodes.Mul);
        il.Emit(OpCodes.Ldc_I8, (long)array.Base);
        il.Emit(OpCodes.Add);
        St(0);
        il.Emit(OpCodes.Br, done);
        il.MarkLabel(miss);
        il.Emit(OpCodes.Ldc_I8, 0L);
        St(0);
        il.Emit(OpCodes.Br, done);
        il.MarkLabel(slow);
        HelperCallSite(helper, pc);
        il.MarkLabel(done);
    }

    // bpf_loop / bpf_for_each_map_elem: the runtime re-enters this method at the callback, so the count goes through the state.
    private void Callback(MethodInfo runtime, int pc)
    {
        var il = _il;
        SaveCount();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        for (int r = 1; r <= 4; r++) Ld(r);
        il.Emit(OpCodes.Ldloc, _depth);
        il.Emit(OpCodes.Ldloc, _frameLow);
        il.Emit(OpCodes.Ldc_I4, pc);
        il.Emit(OpCodes.Call, runtime);
        St(0);
        if (_options.Counting != CilCounting.None)
        {
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldfld, StateCount);
            il.Emit(OpCodes.Stloc, _count);
        }

        // A callback moved the stack region down and back: the frame span of this level is unchanged.
    }

    // bpf_tail_call: when the runtime finds a target (and the run has tail calls left), R0–R9 go to the state's
    // register block and this method returns; the driver starts the target in the same frame. Otherwise it falls through.
    private void TailCallSite(int pc)
    {
        var il = _il;
        var ok = il.DefineLabel();
        var fallThrough = il.DefineLabel();
        il.Emit(OpCodes.Ldloc, _depth);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Beq, ok);
        il.Emit(OpCodes.Ldc_I4, pc);
        il.Emit(OpCodes.Ldstr, "bpf_tail_call from a subprogram or callback is not supported");
        il.Emit(OpCodes.Call, ThrowUnsupported);
        il.MarkLabel(ok);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        Ld(2);
        Ld(3);
        il.Emit(OpCodes.Call, TailCall);
        il.Emit(OpCodes.Brfalse, fallThrough);
        for (int r = 0; r <= 9; r++)
        {
            il.Emit(OpCodes.Ldarg_2);
            if (r != 0)
            {
                il.Emit(OpCodes.Ldc_I4, r * 8);
                il.Emit(OpCodes.Add);
            }

            Ld(r);
            il.Emit(OpCodes.Stind_I8);
        }

        ReturnR0();
        il.MarkLabel(fallThrough);
    }

    private void CallX(in Instruction insn, int pc)
    {
        var il = _il;
        il.Emit(OpCodes.Ldarg_0);
        Ld(insn.DstNumber);
        il.Emit(OpCodes.Ldc_I4, pc);
        il.Emit(OpCodes.Ldc_I4, (int)insn.DstNumber);
        il.Emit(OpCodes.Call, ResolveCallx);
        il.Emit(OpCodes.Stloc, _entry);
        PushFrame(pc);
        il.Emit(OpCodes.Ldloc, _entry);
        var targets = new Label[_entries.Count];
        for (int i = 0; i < targets.Length; i++) targets[i] = _slot[_entries[i]];
        il.Emit(OpCodes.Switch, targets);
        il.Emit(OpCodes.Newobj, typeof(UnreachableException).GetConstructor(Type.EmptyTypes)!);
        il.Emit(OpCodes.Throw);
    }

    // Saves R6–R9 and the return site, moves R10 and the stack region one frame down, clears the new frame.
    private void PushFrame(int pc)
    {
        var il = _il;
        var ok = il.DefineLabel();
        il.Emit(OpCodes.Ldloc, _depth);
        il.Emit(OpCodes.Ldc_I4, CilRuntime.MaxCallDepth);
        il.Emit(OpCodes.Blt, ok);
        il.Emit(OpCodes.Ldc_I4, pc);
        il.Emit(OpCodes.Call, ThrowCallDepth);
        il.MarkLabel(ok);

        FrameAddress();
        for (int i = 0; i < 4; i++)
        {
            FrameField(i);
            Ld(6 + i);
            il.Emit(OpCodes.Stind_I8);
        }

        FrameField(4);
        il.Emit(OpCodes.Ldc_I8, (long)_returnSlots.Count);
        il.Emit(OpCodes.Stind_I8);
        _returnSlots.Add(pc + 1);

        il.Emit(OpCodes.Ldloc, _depth);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, _depth);

        il.Emit(OpCodes.Ldloc, _frameLow);
        il.Emit(OpCodes.Dup);
        St(10);
        il.Emit(OpCodes.Ldc_I8, (long)CilRuntime.FrameSize);
        il.Emit(OpCodes.Sub);
        il.Emit(OpCodes.Stloc, _frameLow);
        il.Emit(OpCodes.Ldloc, _stackSpan);
        il.Emit(OpCodes.Ldc_I8, (long)CilRuntime.FrameSize);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, _stackSpan);

        il.Emit(OpCodes.Ldloc, _frameLow);
        il.Emit(OpCodes.Conv_U);
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Ldc_I4, CilRuntime.FrameSize);
        il.Emit(OpCodes.Initblk);
        MoveStackRegion();
    }

    // _frame = _frames + depth * 40.
    private void FrameAddress()
    {
        var il = _il;
        il.Emit(OpCodes.Ldloc, _frames);
        il.Emit(OpCodes.Ldloc, _depth);
        il.Emit(OpCodes.Ldc_I4, SavedPerFrame * 8);
        il.Emit(OpCodes.Mul);
        il.Emit(OpCodes.Conv_I);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, _frame);
    }

    // The address of saved field `index` of the current frame record (0–3: R6–R9, 4: the return-site number).
    private void FrameField(int index)
    {
        _il.Emit(OpCodes.Ldloc, _frame);
        if (index == 0) return;
        _il.Emit(OpCodes.Ldc_I4, index * 8);
        _il.Emit(OpCodes.Add);
    }

    private void MoveStackRegion()
    {
        var il = _il;
        il.Emit(OpCodes.Ldloc, _memory);
        il.Emit(OpCodes.Ldloc, _stackRegion);
        il.Emit(OpCodes.Ldloc, _frameLow);
        il.Emit(OpCodes.Ldloc, _stackTop);
        il.Emit(OpCodes.Call, SetStack);
    }

    private void Exit()
    {
        var il = _il;
        if (_hasCalls)
        {
            il.Emit(OpCodes.Ldloc, _depth);
            il.Emit(OpCodes.Ldloc, _baseDepth);
            il.Emit(OpCodes.Bne_Un, _pop);
        }

        ReturnR0();
    }

    // The run's count into the state, where the driver (or a callback's caller) reads it.
    private void SaveCount()
    {
        if (_options.Counting == CilCounting.None) return;
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, _count);
        _il.Emit(OpCodes.Stfld, StateCount);
    }

    private void ReturnR0()
    {
        var il = _il;
        SaveCount();
        Ld(0);
        il.Emit(OpCodes.Ret);
    }

    // Exit from a subprogram: restore R6–R9, move the frame up, continue after the call through its return-site number.
    private void ReturnFromSubprogram()
    {
        if (!_hasCalls) return;
        var il = _il;
        il.MarkLabel(_pop);
        il.Emit(OpCodes.Ldloc, _depth);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Sub);
        il.Emit(OpCodes.Stloc, _depth);
        FrameAddress();
        for (int i = 0; i < 4; i++)
        {
            FrameField(i);
            il.Emit(OpCodes.Ldind_I8);
            St(6 + i);
        }

        il.Emit(OpCodes.Ldloc, _frameLow);
        il.Emit(OpCodes.Ldc_I8, (long)CilRuntime.FrameSize);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Dup);
        il.Emit(OpCodes.Stloc, _frameLow);
        il.Emit(OpCodes.Ldc_I8, (long)CilRuntime.FrameSize);
        il.Emit(OpCodes.Add);
        St(10);
        il.Emit(OpCodes.Ldloc, _stackSpan);
        il.Emit(OpCodes.Ldc_I8, (long)CilRuntime.FrameSize);
        il.Emit(OpCodes.Sub);
        il.Emit(OpCodes.Stloc, _stackSpan);
        MoveStackRegion();

        FrameField(4);
        il.Emit(OpCodes.Ldind_I4);
        var targets = new Label[_returnSlots.Count];
        for (int i = 0; i < targets.Length; i++) targets[i] = _slot[_returnSlots[i]];
        il.Emit(OpCodes.Switch, targets);
        il.Emit(OpCodes.Newobj, typeof(UnreachableException).GetConstructor(Type.EmptyTypes)!);
        il.Emit(OpCodes.Throw);
    }

    // ---- Immediates and memory. ----

    private void Lddw(in Instruction insn, int pc)
    {
        var il = _il;
        switch ((LoadImmKind)insn.SrcNumber)
        {
            case LoadImmKind.Imm64:
                il.Emit(OpCodes.Ldc_I8, (long)Instruction.WideImmediate(insn, _program[pc + 1]));
                St(insn.DstNumber);
                break;
            case LoadImmKind.Func:
                il.Emit(OpCodes.Ldc_I8, (long)(CilRuntime.CodeBase + ((ulong)(pc + 1 + insn.Imm) * 8)));
                St(insn.DstNumber);
                break;
            case var kind:
                il.Emit(OpCodes.Ldc_I4, pc);
                il.Emit(OpCodes.Ldstr, $"lddw of a {kind} reference must be resolved by the loader before it runs");
                il.Emit(OpCodes.Call, ThrowUnsupported);
                break;
        }
    }

    // addr = reg + (long)offset, then the bounds check: the current call chain's frames inline, anything else through the map.
    private void Address(int register, short offset, int size, bool write, int pc)
    {
        var il = _il;
        Ld(register);
        if (offset != 0)
        {
            il.Emit(OpCodes.Ldc_I8, (long)offset);
            il.Emit(OpCodes.Add);
        }

        il.Emit(OpCodes.Stloc, _addr);
        if (IsProvenSafe(pc)) return;
        var ok = il.DefineLabel();
        il.Emit(OpCodes.Ldloc, _addr);
        il.Emit(OpCodes.Ldloc, _frameLow);
        il.Emit(OpCodes.Sub);
        il.Emit(OpCodes.Ldloc, _stackSpan);
        il.Emit(OpCodes.Ldc_I8, (long)size);
        il.Emit(OpCodes.Sub);
        il.Emit(OpCodes.Ble_Un, ok);
        il.Emit(OpCodes.Ldloc, _memory);
        il.Emit(OpCodes.Ldloc, _addr);
        il.Emit(OpCodes.Ldc_I4, size);
        il.Emit(write ? OpCodes.Ldc_I4_1 : OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Ldc_I4, pc);
        il.Emit(OpCodes.Call, CheckAccess);
        il.MarkLabel(ok);
    }

    private void Load(in Instruction insn, int pc)
    {
        var il = _il;
        int size = Instruction.SizeInBytes(insn.Size);
        if (insn.SrcNumber == 10 && _promoted.TryGetValue(insn.Offset, out var slot))
        {
            // The local holds the slot zero-extended; the sign-extending form widens its low bytes.
            il.Emit(OpCodes.Ldloc, slot);
            if (insn.Mode == MemMode.MemSx && size < 8)
            {
                il.Emit(size switch { 1 => OpCodes.Conv_I1, 2 => OpCodes.Conv_I2, _ => OpCodes.Conv_I4 });
                il.Emit(OpCodes.Conv_I8);
            }

            St(insn.DstNumber);
            return;
        }

        Address(insn.SrcNumber, insn.Offset, size, false, pc);
        il.Emit(OpCodes.Ldloc, _addr);
        il.Emit(OpCodes.Conv_U);
        if (size > 1) il.Emit(OpCodes.Unaligned, (byte)1);
        bool sx = insn.Mode == MemMode.MemSx;
        switch (size)
        {
            case 1: il.Emit(sx ? OpCodes.Ldind_I1 : OpCodes.Ldind_U1); break;
            case 2: il.Emit(sx ? OpCodes.Ldind_I2 : OpCodes.Ldind_U2); break;
            case 4: il.Emit(sx ? OpCodes.Ldind_I4 : OpCodes.Ldind_U4); break;
            default: il.Emit(OpCodes.Ldind_I8); break;
        }

        if (size < 8) il.Emit(sx ? OpCodes.Conv_I8 : OpCodes.Conv_U8);
        St(insn.DstNumber);
    }

    private void Store(in Instruction insn, int pc)
    {
        var il = _il;
        int size = Instruction.SizeInBytes(insn.Size);
        if (insn.DstNumber == 10 && _promoted.TryGetValue(insn.Offset, out var slot))
        {
            if (insn.Class == OpClass.St)
            {
                long value = insn.Imm; // sign-extended to 64 bits, then cut to the store's width
                il.Emit(OpCodes.Ldc_I8, size switch { 1 => (long)(byte)value, 2 => (long)(ushort)value, 4 => (long)(uint)value, _ => value });
            }
            else
            {
                Ld(insn.SrcNumber);
                if (size < 8)
                {
                    il.Emit(size switch { 1 => OpCodes.Conv_U1, 2 => OpCodes.Conv_U2, _ => OpCodes.Conv_U4 });
                    il.Emit(OpCodes.Conv_U8);
                }
            }

            il.Emit(OpCodes.Stloc, slot);
            return;
        }

        Address(insn.DstNumber, insn.Offset, size, true, pc);
        il.Emit(OpCodes.Ldloc, _addr);
        il.Emit(OpCodes.Conv_U);
        if (insn.Class == OpClass.St)
        {
            if (size == 8) il.Emit(OpCodes.Ldc_I8, (long)insn.Imm);
            else il.Emit(OpCodes.Ldc_I4, insn.Imm);
        }
        else
        {
            Ld(insn.SrcNumber);
            if (size < 8) il.Emit(OpCodes.Conv_U4);
        }

        if (size > 1) il.Emit(OpCodes.Unaligned, (byte)1);
        il.Emit(size switch
        {
            1 => OpCodes.Stind_I1,
            2 => OpCodes.Stind_I2,
            4 => OpCodes.Stind_I4,
            _ => OpCodes.Stind_I8,
        });
    }

    // Real atomic instructions (map memory may be shared with other runs); the fetch forms write the old value to src,
    // cmpxchg to R0 (zero-extended in the 32-bit form).
    private void Atomic(in Instruction insn, int pc)
    {
        var il = _il;
        bool is64 = insn.Size == MemSize.DW;
        int size = is64 ? 8 : 4;
        int src = insn.SrcNumber;
        Address(insn.DstNumber, insn.Offset, size, true, pc);
        var cell = is64 ? typeof(long) : typeof(int);
        var cellRef = cell.MakeByRefType();
        var op = (AtomicOp)insn.Imm;
        il.Emit(OpCodes.Ldloc, _addr);
        il.Emit(OpCodes.Conv_U);
        Ld(src);
        if (!is64) il.Emit(OpCodes.Conv_I4);
        if (op == AtomicOp.CmpXchg)
        {
            Ld(0);
            if (!is64) il.Emit(OpCodes.Conv_I4);
            il.Emit(OpCodes.Call, typeof(Interlocked).GetMethod(nameof(Interlocked.CompareExchange), [cellRef, cell, cell])!);
            if (!is64) il.Emit(OpCodes.Conv_U8);
            St(0);
            return;
        }

        var method = op switch
        {
            AtomicOp.Add or AtomicOp.FetchAdd => typeof(Interlocked).GetMethod(nameof(Interlocked.Add), [cellRef, cell])!,
            AtomicOp.Or or AtomicOp.FetchOr => typeof(Interlocked).GetMethod(nameof(Interlocked.Or), [cellRef, cell])!,
            AtomicOp.And or AtomicOp.FetchAnd => typeof(Interlocked).GetMethod(nameof(Interlocked.And), [cellRef, cell])!,
            AtomicOp.Xor or AtomicOp.FetchXor => Method(typeof(AtomicOps), is64 ? nameof(AtomicOps.Xor64) : nameof(AtomicOps.Xor32)),
            AtomicOp.Xchg => typeof(Interlocked).GetMethod(nameof(Interlocked.Exchange), [cellRef, cell])!,
            _ => throw new UnreachableException($"atomic op 0x{(int)op:x} at slot {pc} passed validation"),
        };
        il.Emit(OpCodes.Call, method);
        if (op is AtomicOp.Add or AtomicOp.Or or AtomicOp.And or AtomicOp.Xor)
        {
            il.Emit(OpCodes.Pop);
            return;
        }

        if (op == AtomicOp.FetchAdd)
        {
            // Interlocked.Add gives the new value; the old one is new - value.
            Ld(src);
            if (!is64) il.Emit(OpCodes.Conv_I4);
            il.Emit(OpCodes.Sub);
        }

        if (!is64) il.Emit(OpCodes.Conv_U8);
        St(src);
    }

    // Legacy packet loads: the big-endian value at imm (ABS) or src + imm (IND); outside the packet the program ends with R0 = 0.
    private void LegacyLoad(in Instruction insn)
    {
        var il = _il;
        if (insn.Mode == MemMode.Ind)
        {
            Ld(insn.SrcNumber);
            il.Emit(OpCodes.Conv_U4);
            il.Emit(OpCodes.Ldc_I4, insn.Imm);
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Conv_U8);
        }
        else
        {
            il.Emit(OpCodes.Ldc_I8, (long)(uint)insn.Imm);
        }

        il.Emit(OpCodes.Stloc, _addr);
        var ok = il.DefineLabel();
        il.Emit(OpCodes.Ldloc, _memory);
        il.Emit(OpCodes.Ldloc, _addr);
        il.Emit(OpCodes.Ldc_I4, Instruction.SizeInBytes(insn.Size));
        il.Emit(OpCodes.Ldloca, _tmp);
        il.Emit(OpCodes.Call, LoadPacket);
        il.Emit(OpCodes.Brtrue, ok);
        SaveCount();
        il.Emit(OpCodes.Ldc_I8, 0L);
        il.Emit(OpCodes.Ret);
        il.MarkLabel(ok);
        il.Emit(OpCodes.Ldloc, _tmp);
        St(0);
    }

    private static MethodInfo Method([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] Type type, string name) =>
        type.GetMethod(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance)
        ?? throw new UnreachableException($"{type.Name}.{name} is missing");
}
