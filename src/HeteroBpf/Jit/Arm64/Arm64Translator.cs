using System.Collections.Immutable;
using System.Diagnostics;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;
using HeteroBpf.Verifier;
// The register and width names of this folder, unqualified (global:: keeps the layer test from reading a type as a namespace).
using static global::HeteroBpf.Jit.Arm64.A64Register;
using static global::HeteroBpf.Jit.Arm64.A64Width;

namespace HeteroBpf.Jit.Arm64;

/// <summary>Choices of one translation.</summary>
public sealed record Arm64TranslatorOptions
{
    /// <summary>
    /// Check every load, store and atomic against the run context's region table and the current call chain's frames
    /// (faults exact to the byte, like the interpreter's). Off only for code whose accesses a verifier proved safe;
    /// a slot with <see cref="SlotFacts.AccessProven"/> in <see cref="Facts"/> is never checked.
    /// </summary>
    public bool CheckAccesses { get; init; } = true;

    /// <summary>Zero each 512-byte frame on entry, as the interpreter does (a verified program never reads uninitialised stack).</summary>
    public bool ZeroFrames { get; init; } = true;

    /// <summary>Count backward jumps against the run context's budget (the verifier bounds loops; unverified code may not end).</summary>
    public bool CountBackEdges { get; init; } = true;

    /// <summary>
    /// Array maps by the handle a program's <c>lddw</c> loads (the loader's resolution): a <c>bpf_map_lookup_elem</c>
    /// whose R1 is, on its only path, such an <c>lddw</c> is inlined (bounds check and address arithmetic, no call), as
    /// the kernel's JITs do for array maps.
    /// </summary>
    public IReadOnlyDictionary<ulong, Arm64ArrayMapLayout>? ArrayMaps { get; init; }

    /// <summary>The verifier's per-slot facts, if any (same length as the program).</summary>
    public ImmutableArray<SlotFacts> Facts { get; init; }

    /// <summary>
    /// The target's A64 atomics are not coherent with those of other cores (e.g. emulated cores, each atomic only
    /// within itself): every eBPF atomic becomes a call of <see cref="Arm64HostAtomics.TrapHelperId"/>, which the
    /// host runs with real atomic instructions on the shared memory (<see cref="Arm64HostAtomics.AddTo"/>). Off, atomics
    /// are LSE instructions.
    /// </summary>
    public bool HostAtomics { get; init; }
}

/// <summary>
/// eBPF → A64: one pass of encoder calls per slot (the encoder knows A64, this class knows eBPF), then branch fix-ups;
/// a conditional branch whose target is out of B.cond range is re-emitted as an inverted B.cond over a B, and the whole
/// translation repeats until no branch changes. The code is position-independent and knows nothing of where it runs:
/// helper calls are BLs left to a linker (<see cref="Arm64Relocation"/>), the run's limits come from a context block.
/// </summary>
/// <remarks>
/// Frames: every function (slot 0 and each call target) has a prologue that saves X29/X30, X19–X22 (R6–R9) and X25
/// (R10) on the machine stack (SP) and moves R10 down 512 bytes on a separate data stack, so eBPF frames are 8
/// contiguous 512-byte blocks exactly as in the interpreter and saved registers are out of a program's reach. An
/// <c>exit</c> is always the same epilogue, so a fall-through from one function into the next behaves as in the
/// interpreter (the prologue is jumped over). The entry at word 0 saves the AAPCS64 callee-saved registers, loads
/// R10, the budget and the context pointer, zeroes the eBPF registers and calls slot 0.
/// </remarks>
public static class Arm64Translator
{
    /// <summary>
    /// Translates a verified program with the verifier's facts: accesses it proved (<see cref="SlotFacts.AccessProven"/>)
    /// go unchecked. Every 32-bit A64 operation writes a W register, which zero-extends for free, so
    /// <see cref="SlotFacts.NoZeroExtension"/> removes only instructions that do nothing but zero-extend (<c>w = w</c>,
    /// <c>le32</c>). Map references must already be plain immediates.
    /// </summary>
    public static Arm64Code Translate(VerifiedProgram verified, Arm64TranslatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(verified);
        return Translate(verified.Program.Instructions.ToArray(), (options ?? new Arm64TranslatorOptions()) with { Facts = verified.Facts });
    }

    /// <summary>Translates a validated program; the verifier's facts, when given, drop checks it proved unneeded.</summary>
    /// <exception cref="HbpfException">An instruction the JIT refuses (for_each_map_elem, a bpf_loop whose callback is not a known function, kfunc, an unresolved map <c>lddw</c>).</exception>
    public static Arm64Code Translate(Instruction[] program, Arm64TranslatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        Debug.Assert(InstructionDecoder.TryValidate(program, out _), "the ARM64 JIT translates validated programs only");
        options ??= new Arm64TranslatorOptions();
        if (!options.Facts.IsDefault && options.Facts.Length != program.Length)
        {
            throw new ArgumentException($"{options.Facts.Length} slot facts for a program of {program.Length} slots", nameof(options));
        }

        var longBranches = new HashSet<int>();
        while (true)
        {
            var context = new Context(program, options, longBranches);
            if (context.Run(out var code)) return code;
        }
    }

    private enum TargetKind : byte { Slot, Function, Label }

    private enum Label { AfterMain, Epilogue, Abort, CheckRoutine, CallxDispatch, Check0 }

    private enum FixKind : byte { BCond, B, Bl }

    private struct Fixup
    {
        public int Word;
        public FixKind Kind;
        public A64Condition Cond;
        public TargetKind Target;
        public int Value;
        public int Ordinal; // conditional branches: their number in emission order (stable across passes)
    }

    private sealed class Context(Instruction[] program, Arm64TranslatorOptions options, HashSet<int> longBranches)
    {
        private const int CheckEntries = 8;
        private readonly A64Encoder _e = new(program.Length * 4 + 128);
        private readonly A64Encoder _scratch = new(4);
        private readonly List<Fixup> _fixups = [];
        private readonly List<Arm64Relocation> _relocations = [];
        private readonly int[] _slotWords = new int[program.Length];
        private readonly int[] _slotStart = new int[program.Length];
        private readonly int[] _functionWords = Enumerable.Repeat(-1, program.Length).ToArray();
        private readonly int[] _labels = Enumerable.Repeat(-1, (int)Label.Check0 + CheckEntries).ToArray();
        private readonly bool _hasLoops = HasLoops(program);
        private int _condBranches;
        private bool[]? _jumpTargets;

        private static bool HasLoops(Instruction[] program)
        {
            for (int pc = 0; pc < program.Length; pc += program[pc].Width)
            {
                if (program[pc].OpCode == Opcodes.Call && program[pc].SrcNumber == (byte)CallKind.Helper && program[pc].Imm == (int)HelperId.Loop) return true;
            }

            return false;
        }

        public bool Run(out Arm64Code code)
        {
            bool[] entry = FunctionEntries();
            EmitEntry();
            int fellOffTrap = 0;
            for (int pc = 0; pc < program.Length; pc++)
            {
                _slotStart[pc] = _e.Count;
                if (entry[pc])
                {
                    int skip = -1;
                    if (pc > 0 && FallsThrough(program[PreviousSlot(pc)]))
                    {
                        skip = _e.Count;
                        _e.Emit(0);
                    }

                    _functionWords[pc] = _e.Count;
                    EmitPrologue();
                    if (skip >= 0) PatchB(skip, _e.Count);
                }

                _slotWords[pc] = _e.Count;
                Translate(pc);
                if (program[pc].IsWide)
                {
                    pc++;
                    _slotStart[pc] = _slotWords[pc] = _e.Count;
                }
            }

            fellOffTrap = _e.Count;
            _e.Brk(Arm64Trap.FellOffEnd);
            EmitShared();

            // Resolve branches; a B.cond out of range marks its ordinal long and asks for another pass.
            bool again = false;
            foreach (var f in _fixups)
            {
                int target = f.Target switch
                {
                    TargetKind.Slot => _slotWords[f.Value],
                    TargetKind.Function => _functionWords[f.Value],
                    _ => _labels[f.Value],
                };
                Debug.Assert(target >= 0, "every branch target was emitted");
                long distance = target - f.Word;
                _scratch.Clear();
                switch (f.Kind)
                {
                    case FixKind.BCond:
                        if (distance < -(1 << 18) || distance >= 1 << 18)
                        {
                            longBranches.Add(f.Ordinal);
                            again = true;
                            continue;
                        }

                        _scratch.BCond(f.Cond, distance);
                        break;
                    case FixKind.B: _scratch.B(distance); break;
                    default: _scratch.Bl(distance); break;
                }

                _e.Patch(f.Word, _scratch.Words[0]);
            }

            if (again)
            {
                code = null!;
                return false;
            }

            var words = _e.Words.ToArray();
            var wordSlots = new int[words.Length];
            Array.Fill(wordSlots, -1);
            for (int pc = 0; pc < program.Length; pc += program[pc].Width)
            {
                int end = pc + program[pc].Width < program.Length ? _slotStart[pc + program[pc].Width] : fellOffTrap;
                for (int w = _slotStart[pc]; w < end; w++) wordSlots[w] = pc;
            }

            var functions = ImmutableArray.CreateBuilder<(int, int)>();
            for (int pc = 0; pc < program.Length; pc++)
            {
                if (_functionWords[pc] >= 0) functions.Add((pc, _functionWords[pc]));
            }

            code = new Arm64Code(program, words, _slotWords, wordSlots, [.. _relocations], functions.ToImmutable(), options.CheckAccesses);
            return true;
        }

        private bool[] FunctionEntries()
        {
            var entry = new bool[program.Length];
            entry[0] = true;
            for (int pc = 0; pc < program.Length; pc += program[pc].Width)
            {
                if (Branches.NamesFunction(program[pc]) && Branches.TryGetTarget(program[pc], pc, out long target)) entry[target] = true;
            }

            return entry;
        }

        private int PreviousSlot(int pc) => pc >= 2 && program[pc - 2].IsWide ? pc - 2 : pc - 1;

        private static bool FallsThrough(in Instruction insn) =>
            InstructionForms.Of(insn.OpCode).Kind is not (InstructionKind.Exit or InstructionKind.Ja or InstructionKind.Gotol);

        // ------------------------------------------------------------ frames

        private void EmitEntry()
        {
            _e.Stp(X64, X29, X30, Sp, -96, A64PairMode.PreIndex);
            _e.MovSp(X64, X29, Sp);
            _e.Stp(X64, X19, X20, Sp, 16);
            _e.Stp(X64, X21, X22, Sp, 32);
            _e.Stp(X64, X25, X26, Sp, 48);
            _e.Stp(X64, X27, X28, Sp, 64);
            _e.Mov(X64, Arm64RegisterMap.Context, X2);
            _e.LdrImmediate(A64MemSize.Double, Arm64RegisterMap.Budget, Arm64RegisterMap.Context, Arm64RunContext.Budget);
            _e.LdrImmediate(A64MemSize.Double, X25, Arm64RegisterMap.Context, Arm64RunContext.StackTop);
            _e.AddImmediate(X64, X25, X25, Abi.FrameSize); // the prologue of slot 0 moves it down to the top
            _e.MovSp(X64, Arm64RegisterMap.Tmp, Sp);
            _e.StrImmediate(A64MemSize.Double, Arm64RegisterMap.Tmp, Arm64RegisterMap.Context, Arm64RunContext.EntrySp);
            _e.StrImmediate(A64MemSize.Double, Zr, Arm64RegisterMap.Context, Arm64RunContext.TailCallCount);
            int landing = -1;
            if (_hasLoops)
            {
                // Where an abort lands, at [EntrySp + 80]: a bpf_loop points EntrySp at its own save area meanwhile.
                landing = Placeholder();
                _e.StrImmediate(A64MemSize.Double, Arm64RegisterMap.Tmp, Sp, 80);
            }

            // The interpreter starts every register but R1, R2 and R10 at zero.
            foreach (int r in (ReadOnlySpan<int>)[0, 3, 4, 5, 6, 7, 8, 9]) _e.Movz(X64, Arm64RegisterMap.Of(r), 0);
            Branch(FixKind.Bl, default, TargetKind.Function, 0);
            _labels[(int)Label.AfterMain] = _e.Count;
            if (landing >= 0) PatchAdr(landing, Arm64RegisterMap.Tmp, _e.Count);
            _e.Mov(X64, X0, X7);
            _e.Ldp(X64, X19, X20, Sp, 16);
            _e.Ldp(X64, X21, X22, Sp, 32);
            _e.Ldp(X64, X25, X26, Sp, 48);
            _e.Ldp(X64, X27, X28, Sp, 64);
            _e.Ldp(X64, X29, X30, Sp, 96, A64PairMode.PostIndex);
            _e.Ret();
        }

        private void EmitPrologue()
        {
            _e.Stp(X64, X29, X30, Sp, -64, A64PairMode.PreIndex);
            _e.Stp(X64, X19, X20, Sp, 16);
            _e.Stp(X64, X21, X22, Sp, 32);
            _e.StrImmediate(A64MemSize.Double, X25, Sp, 48);
            _e.MovSp(X64, X29, Sp);
            _e.SubImmediate(X64, X25, X25, Abi.FrameSize);
            if (options.ZeroFrames)
            {
                for (int k = 1; k <= Abi.FrameSize / 16; k++) _e.Stp(X64, Zr, Zr, X25, -16 * k);
            }
        }

        private void EmitShared()
        {
            _labels[(int)Label.Epilogue] = _e.Count;
            _e.Ldp(X64, X19, X20, Sp, 16);
            _e.Ldp(X64, X21, X22, Sp, 32);
            _e.LdrImmediate(A64MemSize.Double, X25, Sp, 48);
            _e.Ldp(X64, X29, X30, Sp, 64, A64PairMode.PostIndex);
            _e.Ret();

            // A legacy packet load out of bounds ends the whole run with R0 = 0, from any call depth; inside a bpf_loop
            // callback it ends that call of the callback with R0 = 0, as the interpreter's nested run does.
            _labels[(int)Label.Abort] = _e.Count;
            _e.Movz(X64, X7, 0);
            _e.LdrImmediate(A64MemSize.Double, Arm64RegisterMap.Tmp, Arm64RegisterMap.Context, Arm64RunContext.EntrySp);
            _e.MovSp(X64, Sp, Arm64RegisterMap.Tmp);
            if (_hasLoops)
            {
                _e.LdrImmediate(A64MemSize.Double, Arm64RegisterMap.Tmp, Sp, 80);
                _e.Br(Arm64RegisterMap.Tmp);
            }
            else Branch(FixKind.B, default, TargetKind.Label, (int)Label.AfterMain);

            if (options.CheckAccesses) EmitCheckRoutine();
            EmitCallxDispatch();
        }

        // Checked access: X10 = address; BL to the entry for (size, write), which sets X11 = size and X12 = write and
        // runs the check: the current call chain's frames [R10 − 512, stack top), then each region of the table, with
        // MemoryRegion.Contains's arithmetic (no overflow). Returns when allowed; BRK AccessFault otherwise. X13–X17 scratch.
        private void EmitCheckRoutine()
        {
            for (int i = 0; i < CheckEntries; i++)
            {
                _labels[(int)Label.Check0 + i] = _e.Count;
                _e.Movz(X64, X11, 1UL << (i >> 1));
                _e.Movz(X64, X12, (ulong)(i & 1));
                Branch(FixKind.B, default, TargetKind.Label, (int)Label.CheckRoutine);
            }

            _labels[(int)Label.CheckRoutine] = _e.Count;
            _e.SubImmediate(X64, X13, X25, Abi.FrameSize);
            _e.SubsRegister(X64, X14, X10, X13);
            int toRegions1 = Placeholder();
            _e.LdrImmediate(A64MemSize.Double, X15, Arm64RegisterMap.Context, Arm64RunContext.StackTop);
            _e.SubRegister(X64, X15, X15, X13);
            _e.CmpRegister(X64, X11, X15);
            int toRegions2 = Placeholder();
            _e.SubRegister(X64, X15, X15, X11);
            _e.CmpRegister(X64, X14, X15);
            int toRegions3 = Placeholder();
            _e.Ret();

            int regions = _e.Count;
            PatchBCond(toRegions1, A64Condition.Lo, regions);
            PatchBCond(toRegions2, A64Condition.Hi, regions);
            PatchBCond(toRegions3, A64Condition.Hi, regions);
            _e.LdrImmediate(A64MemSize.Double, X13, Arm64RegisterMap.Context, Arm64RunContext.RegionCount);
            _e.AddImmediate(X64, X14, Arm64RegisterMap.Context, Arm64RunContext.Regions);
            int loop = _e.Count;
            int toFail = Placeholder();
            _e.Ldp(X64, X15, X16, X14, 0);
            _e.LdrImmediate(A64MemSize.Double, X17, X14, 16);
            _e.AddImmediate(X64, X14, X14, Arm64RunContext.RegionEntrySize);
            _e.SubImmediate(X64, X13, X13, 1);
            _e.SubsRegister(X64, X15, X10, X15);
            _e.BCond(A64Condition.Lo, loop - _e.Count);
            _e.CmpRegister(X64, X11, X16);
            _e.BCond(A64Condition.Hi, loop - _e.Count);
            _e.SubRegister(X64, X16, X16, X11);
            _e.CmpRegister(X64, X15, X16);
            _e.BCond(A64Condition.Hi, loop - _e.Count);
            _e.Cbz(X64, X12, 2);
            _e.Cbz(X64, X17, loop - _e.Count);
            _e.Ret();
            _scratch.Clear();
            _scratch.Cbz(X64, X13, _e.Count - toFail);
            _e.Patch(toFail, _scratch.Words[0]);
            _e.Brk(Arm64Trap.AccessFault);
        }

        // callx: X9 = target, LR = the call site. Accepts exactly the addresses lddw gives functions (CodeBase + 8 × slot).
        private void EmitCallxDispatch()
        {
            _labels[(int)Label.CallxDispatch] = _e.Count;
            for (int slot = 0; slot < program.Length; slot++)
            {
                if (_functionWords[slot] < 0) continue;
                _e.MovConstant(X64, X10, Abi.CodeBase + (ulong)slot * 8);
                _e.CmpRegister(X64, Arm64RegisterMap.Tmp, X10);
                int next = Placeholder();
                _e.LdrImmediate(A64MemSize.Double, X10, Arm64RegisterMap.Context, Arm64RunContext.DepthLimit);
                _e.CmpRegister(X64, X25, X10);
                _e.BCond(A64Condition.Hs, 2);
                _e.Brk(Arm64Trap.CallxDepth);
                _e.B(_functionWords[slot] - _e.Count);
                PatchBCond(next, A64Condition.Ne, _e.Count);
            }

            _e.Brk(Arm64Trap.CallxNotFunction);
        }

        // ------------------------------------------------------------ one slot

        private void Translate(int pc)
        {
            ref readonly Instruction insn = ref program[pc];
            // A pure zero-extension (the kernel's zext idiom w = w, or le32) with no 64-bit reader after it: nothing to do.
            if (!options.Facts.IsDefault && (options.Facts[pc] & SlotFacts.NoZeroExtension) != 0 && ZeroExtension.IsZeroExtensionOnly(insn)) return;
            switch (InstructionForms.Of(insn.OpCode).Kind)
            {
                case InstructionKind.Alu:
                case InstructionKind.Neg:
                    Alu(insn);
                    break;
                case InstructionKind.End:
                    ByteSwap(insn);
                    break;
                case InstructionKind.CondJump:
                    CondJump(insn, pc);
                    break;
                case InstructionKind.Ja:
                    Jump(pc, pc + 1 + insn.Offset);
                    break;
                case InstructionKind.Gotol:
                    Jump(pc, pc + 1 + insn.Imm);
                    break;
                case InstructionKind.Call:
                    Call(insn, pc);
                    break;
                case InstructionKind.CallX:
                    _e.Mov(X64, Arm64RegisterMap.Tmp, R(insn.DstNumber));
                    Branch(FixKind.Bl, default, TargetKind.Label, (int)Label.CallxDispatch);
                    break;
                case InstructionKind.Exit:
                    Branch(FixKind.B, default, TargetKind.Label, (int)Label.Epilogue);
                    break;
                case InstructionKind.Lddw:
                    Lddw(insn, pc);
                    break;
                case InstructionKind.LoadAbs:
                case InstructionKind.LoadInd:
                    LegacyLoad(insn);
                    break;
                case InstructionKind.Load:
                case InstructionKind.LoadSx:
                    Load(insn, pc);
                    break;
                case InstructionKind.StoreImm:
                case InstructionKind.StoreReg:
                    Store(insn, pc);
                    break;
                case InstructionKind.Atomic:
                    Atomic(insn, pc);
                    break;
                default:
                    throw new UnreachableException($"opcode 0x{insn.OpCode:x2} at slot {pc} passed validation but has no translation");
            }
        }

        private static A64Register R(int register) => Arm64RegisterMap.Of(register);

        private void Alu(Instruction insn)
        {
            bool is64 = insn.Class == OpClass.Alu64;
            var w = is64 ? X64 : W32;
            var d = R(insn.DstNumber);
            bool reg = insn.Source == OperandSource.Reg;
            ulong imm = is64 ? (ulong)(long)insn.Imm : (uint)insn.Imm;
            A64Register Operand(A64Register scratch)
            {
                if (reg) return R(insn.SrcNumber);
                _e.MovConstant(w, scratch, imm);
                return scratch;
            }

            switch (insn.AluOp)
            {
                case AluOp.Add:
                    if (reg) _e.AddRegister(w, d, d, R(insn.SrcNumber));
                    else AddConstant(w, d, d, insn.Imm);
                    break;
                case AluOp.Sub:
                    if (reg) _e.SubRegister(w, d, d, R(insn.SrcNumber));
                    else AddConstant(w, d, d, -(long)insn.Imm);
                    break;
                case AluOp.Mul:
                    _e.Mul(w, d, d, Operand(Arm64RegisterMap.Tmp));
                    break;
                case AluOp.Div:
                    {
                        // A64 division by zero gives 0, RFC 9669's rule; SDIV of INT_MIN by -1 gives INT_MIN, also the rule.
                        var divisor = Operand(Arm64RegisterMap.Tmp);
                        if (insn.Offset == 0) _e.Udiv(w, d, d, divisor);
                        else _e.Sdiv(w, d, d, divisor);
                        break;
                    }

                case AluOp.Mod:
                    {
                        // d − (d / s) × s: with s = 0 the quotient is 0 and d stays (RFC: x % 0 = x); INT_MIN % −1 gives 0.
                        var divisor = Operand(Arm64RegisterMap.Tmp3);
                        if (insn.Offset == 0) _e.Udiv(w, Arm64RegisterMap.Tmp, d, divisor);
                        else _e.Sdiv(w, Arm64RegisterMap.Tmp, d, divisor);
                        _e.Msub(w, d, Arm64RegisterMap.Tmp, divisor, d);
                        break;
                    }

                case AluOp.Or:
                    if (reg) _e.OrrRegister(w, d, d, R(insn.SrcNumber));
                    else if (!_e.TryOrrImmediate(w, d, d, imm)) _e.OrrRegister(w, d, d, Operand(Arm64RegisterMap.Tmp));
                    break;
                case AluOp.And:
                    if (reg) _e.AndRegister(w, d, d, R(insn.SrcNumber));
                    else if (!_e.TryAndImmediate(w, d, d, imm)) _e.AndRegister(w, d, d, Operand(Arm64RegisterMap.Tmp));
                    break;
                case AluOp.Xor:
                    if (reg) _e.EorRegister(w, d, d, R(insn.SrcNumber));
                    else if (!_e.TryEorImmediate(w, d, d, imm)) _e.EorRegister(w, d, d, Operand(Arm64RegisterMap.Tmp));
                    break;
                case AluOp.Lsh:
                case AluOp.Rsh:
                case AluOp.Arsh:
                    if (reg)
                    {
                        // LSLV/LSRV/ASRV take the amount modulo the width: RFC 9669's masking (63 or 31).
                        var s = R(insn.SrcNumber);
                        if (insn.AluOp == AluOp.Lsh) _e.Lslv(w, d, d, s);
                        else if (insn.AluOp == AluOp.Rsh) _e.Lsrv(w, d, d, s);
                        else _e.Asrv(w, d, d, s);
                    }
                    else
                    {
                        int shift = insn.Imm & (is64 ? 63 : 31);
                        if (insn.AluOp == AluOp.Lsh) _e.LslImmediate(w, d, d, shift);
                        else if (insn.AluOp == AluOp.Rsh) _e.LsrImmediate(w, d, d, shift);
                        else _e.AsrImmediate(w, d, d, shift);
                    }

                    break;
                case AluOp.Neg:
                    _e.Neg(w, d, d);
                    break;
                case AluOp.Mov:
                    if (!reg) _e.MovConstant(w, d, imm);
                    else
                    {
                        var s = R(insn.SrcNumber);
                        switch (insn.Offset)
                        {
                            case 8: _e.Sxtb(w, d, s); break;
                            case 16: _e.Sxth(w, d, s); break;
                            case 32 when is64: _e.Sxtw(d, s); break;
                            default: _e.Mov(w, d, s); break; // a W move zero-extends: the ALU32 rule
                        }
                    }

                    break;
                default:
                    throw new UnreachableException($"ALU op {insn.AluOp} passed validation");
            }
        }

        // rd = rn + value at width w, with ADD/SUB immediates when the value fits (12 bits, or 12 shifted by 12).
        private void AddConstant(A64Width w, A64Register rd, A64Register rn, long value)
        {
            if (w == W32) value = (int)value;
            ulong magnitude = value < 0 ? (ulong)-value : (ulong)value;
            if (magnitude <= 0xfff)
            {
                if (value < 0) _e.SubImmediate(w, rd, rn, magnitude);
                else _e.AddImmediate(w, rd, rn, magnitude);
            }
            else if (A64Encoder.IsAddSubImmediate(magnitude) && magnitude >> 12 <= 0xfff)
            {
                if (value < 0) _e.SubImmediate(w, rd, rn, magnitude >> 12, true);
                else _e.AddImmediate(w, rd, rn, magnitude >> 12, true);
            }
            else
            {
                _e.MovConstant(w, Arm64RegisterMap.Tmp, w == W32 ? (uint)value : (ulong)value);
                _e.AddRegister(w, rd, rn, Arm64RegisterMap.Tmp);
            }
        }

        private void ByteSwap(in Instruction insn)
        {
            var d = R(insn.DstNumber);
            // ALU class with source bit 0 is "le" (a no-op on this little-endian machine but for the truncation); "be"
            // (source bit 1) and ALU64's bswap swap.
            bool swap = insn.Class == OpClass.Alu64 || insn.Source == OperandSource.Reg;
            switch (insn.Imm)
            {
                case 16:
                    if (swap) _e.Rev16(W32, d, d);
                    _e.Uxth(d, d);
                    break;
                case 32:
                    if (swap) _e.Rev(W32, d, d);
                    else _e.Mov(W32, d, d);
                    break;
                default:
                    if (swap) _e.Rev(X64, d, d);
                    break;
            }
        }

        private void CondJump(in Instruction insn, int pc)
        {
            int target = pc + 1 + insn.Offset;
            if (target <= pc) CountBackEdge();
            bool is64 = insn.Class == OpClass.Jmp;
            var w = is64 ? X64 : W32;
            var d = R(insn.DstNumber);
            bool reg = insn.Source == OperandSource.Reg;
            ulong imm = is64 ? (ulong)(long)insn.Imm : (uint)insn.Imm;
            if (insn.JumpOp == JumpOp.Jset)
            {
                if (reg) _e.TstRegister(w, d, R(insn.SrcNumber));
                else if (!_e.TryAndsImmediate(w, Zr, d, imm))
                {
                    _e.MovConstant(w, Arm64RegisterMap.Tmp, imm);
                    _e.TstRegister(w, d, Arm64RegisterMap.Tmp);
                }
            }
            else if (reg) _e.CmpRegister(w, d, R(insn.SrcNumber));
            else if (insn.Imm is >= 0 and <= 0xfff) _e.CmpImmediate(w, d, (ulong)insn.Imm);
            else if (insn.Imm is < 0 and >= -0xfff) _e.CmnImmediate(w, d, (ulong)-insn.Imm); // flags of d − imm, as CMP would set them
            else
            {
                _e.MovConstant(w, Arm64RegisterMap.Tmp, imm);
                _e.CmpRegister(w, d, Arm64RegisterMap.Tmp);
            }

            var cond = insn.JumpOp switch
            {
                JumpOp.Jeq => A64Condition.Eq,
                JumpOp.Jne => A64Condition.Ne,
                JumpOp.Jset => A64Condition.Ne,
                JumpOp.Jgt => A64Condition.Hi,
                JumpOp.Jge => A64Condition.Hs,
                JumpOp.Jlt => A64Condition.Lo,
                JumpOp.Jle => A64Condition.Ls,
                JumpOp.Jsgt => A64Condition.Gt,
                JumpOp.Jsge => A64Condition.Ge,
                JumpOp.Jslt => A64Condition.Lt,
                JumpOp.Jsle => A64Condition.Le,
                _ => throw new UnreachableException($"jump op {insn.JumpOp} passed validation"),
            };
            CondBranch(cond, TargetKind.Slot, target);
        }

        private void Jump(int pc, int target)
        {
            if (target <= pc) CountBackEdge();
            Branch(FixKind.B, default, TargetKind.Slot, target);
        }

        private void CountBackEdge()
        {
            if (!options.CountBackEdges) return;
            _e.SubsImmediate(X64, Arm64RegisterMap.Budget, Arm64RegisterMap.Budget, 1);
            _e.BCond(A64Condition.Ne, 2);
            _e.Brk(Arm64Trap.Budget);
        }

        private void Call(in Instruction insn, int pc)
        {
            switch ((CallKind)insn.SrcNumber)
            {
                case CallKind.Local:
                    _e.LdrImmediate(A64MemSize.Double, Arm64RegisterMap.Tmp, Arm64RegisterMap.Context, Arm64RunContext.DepthLimit);
                    _e.CmpRegister(X64, X25, Arm64RegisterMap.Tmp);
                    _e.BCond(A64Condition.Hs, 2);
                    _e.Brk(Arm64Trap.CallDepth);
                    Branch(FixKind.Bl, default, TargetKind.Function, pc + 1 + insn.Imm);
                    break;
                case CallKind.Helper:
                    if (insn.Imm == (int)HelperId.MapLookupElem && ArrayMapOfR1(pc) is { } layout)
                    {
                        InlineArrayLookup(layout, pc);
                        break;
                    }

                    if (insn.Imm == (int)HelperId.TailCall)
                    {
                        TailCall(pc);
                        break;
                    }

                    if (insn.Imm == (int)HelperId.Loop)
                    {
                        Loop(pc);
                        break;
                    }

                    if (insn.Imm == (int)HelperId.ForEachMapElem)
                    {
                        throw new HbpfException(
                            ErrorCode.Arm64Unsupported,
                            $"the ARM64 JIT does not translate calls of bpf_for_each_map_elem (helper {HelperIds.Describe(insn.Imm)}): not implemented, the translated code cannot walk a map's keys and hand the callback a readable key",
                            BpfLocation.AtInstruction(pc));
                    }

                    if (insn.Imm <= 0 || insn.Imm >= Arm64Trap.FirstSpecial)
                    {
                        // No helper has such an id; it faults when reached, as in the interpreter.
                        _e.Brk(0);
                        break;
                    }

                    _relocations.Add(new Arm64Relocation(_e.Count, Arm64RelocationKind.HelperCall, insn.Imm));
                    _e.Emit(0); // BL, patched by the linker
                    break;
                default:
                    throw new HbpfException(ErrorCode.Arm64Unsupported, $"the ARM64 JIT does not translate kfunc calls (BTF id {insn.Imm})", BpfLocation.AtInstruction(pc));
            }
        }

        // The array map R1 holds at the call in slot pc, when the straight-line code before it (no jump lands in between)
        // last wrote R1 with an lddw of a known handle; null otherwise (the call then goes to the helper).
        private Arm64ArrayMapLayout? ArrayMapOfR1(int pc)
        {
            if (options.ArrayMaps is not { Count: > 0 } maps) return null;
            _jumpTargets ??= JumpTargets();
            int s = pc;
            while (s > 0)
            {
                if (_jumpTargets[s]) return null; // another path may reach here with another R1
                s = PreviousSlot(s);
                var insn = program[s];
                var kind = InstructionForms.Of(insn.OpCode).Kind;
                if (kind == InstructionKind.Lddw && insn.DstNumber == 1)
                {
                    return insn.SrcNumber == (byte)LoadImmKind.Imm64 && maps.TryGetValue(Instruction.WideImmediate(insn, program[s + 1]), out var layout) ? layout : null;
                }

                bool writesR1 = kind switch
                {
                    InstructionKind.Alu or InstructionKind.Neg or InstructionKind.End or InstructionKind.Load or InstructionKind.LoadSx or InstructionKind.Lddw => insn.DstNumber == 1,
                    InstructionKind.Atomic => insn.SrcNumber == 1 && (insn.Imm & (int)AtomicOp.FetchAdd) != 0,
                    InstructionKind.CondJump or InstructionKind.StoreImm or InstructionKind.StoreReg => false,
                    _ => true, // calls, exits, jumps, legacy loads: stop looking
                };
                if (writesR1) return null;
            }

            return null;
        }

        private bool[] JumpTargets()
        {
            var targets = new bool[program.Length + 1];
            for (int pc = 0; pc < program.Length; pc += program[pc].Width)
            {
                var kind = InstructionForms.Of(program[pc].OpCode).Kind;
                if (kind is InstructionKind.CondJump or InstructionKind.Ja or InstructionKind.Gotol && Branches.TryGetTarget(program[pc], pc, out long target)) targets[target] = true;
                if (Branches.NamesFunction(program[pc]) && Branches.TryGetTarget(program[pc], pc, out long entry)) targets[entry] = true;
            }

            return targets;
        }

        // R0 = key < max_entries ? values + key × stride : NULL, the key a u32 at R2 (checked like a load when checks are on).
        private void InlineArrayLookup(Arm64ArrayMapLayout layout, int pc)
        {
            if (Checked(pc))
            {
                _e.Mov(X64, X10, X1);
                Branch(FixKind.Bl, default, TargetKind.Label, (int)Label.Check0 + (2 << 1));
            }

            _e.LdrImmediate(A64MemSize.Word, Arm64RegisterMap.Tmp, X1);
            _e.MovConstant(X64, X10, layout.MaxEntries);
            _e.CmpRegister(X64, Arm64RegisterMap.Tmp, X10);
            _e.BCond(A64Condition.Lo, 3);
            _e.Movz(X64, X7, 0);
            int toDone = Placeholder();
            _e.MovConstant(X64, X10, layout.ValueStride);
            _e.MovConstant(X64, X11, layout.Values);
            _e.Madd(X64, X7, Arm64RegisterMap.Tmp, X10, X11);
            PatchB(toDone, _e.Count);
        }

        // The function R2 holds at the call in slot pc: the straight-line code before it (no jump lands in between) last
        // wrote R2 with an lddw of a function address (what the verifier's PTR_TO_FUNC is and what compilers emit right
        // before bpf_loop); -1 otherwise.
        private int CallbackOfR2(int pc)
        {
            _jumpTargets ??= JumpTargets();
            int s = pc;
            while (s > 0)
            {
                if (_jumpTargets[s]) return -1;
                s = PreviousSlot(s);
                var insn = program[s];
                var kind = InstructionForms.Of(insn.OpCode).Kind;
                if (kind == InstructionKind.Lddw && insn.DstNumber == 2)
                {
                    return insn.SrcNumber == (byte)LoadImmKind.Func ? s + 1 + insn.Imm : -1;
                }

                bool writesR2 = kind switch
                {
                    InstructionKind.Alu or InstructionKind.Neg or InstructionKind.End or InstructionKind.Load or InstructionKind.LoadSx => insn.DstNumber == 2,
                    InstructionKind.Atomic => insn.SrcNumber == 2 && (insn.Imm & (int)AtomicOp.FetchAdd) != 0 && insn.Imm != (int)AtomicOp.CmpXchg,
                    InstructionKind.CondJump or InstructionKind.StoreImm or InstructionKind.StoreReg => false,
                    _ => true,
                };
                if (writesR2) return -1;
            }

            return -1;
        }

        // bpf_loop(nr_loops R1, callback R2, ctx R3, flags R4) in line, with the interpreter's rules in its order: flags ≠ 0
        // gives -EINVAL, nr_loops > 2^23 -E2BIG, a call one frame too deep faults here; then callback(i, ctx) for i = 0..
        // as a real bpf-to-bpf call with a fresh register file (R0, R3–R9 zero), until it returns non-zero; R0 = the calls
        // made. The caller's R1–R9 are as before the call (they live on the machine stack meanwhile); every iteration is
        // a back edge of the run's budget.
        private void Loop(int pc)
        {
            int callback = CallbackOfR2(pc);
            if (callback < 0 || callback >= program.Length || _functionWords.Length <= callback)
            {
                throw new HbpfException(
                    ErrorCode.Arm64Unsupported,
                    "the ARM64 JIT translates bpf_loop only with a known callback: R2 must be an lddw of a function address on the only path to the call",
                    BpfLocation.AtInstruction(pc));
            }

            _e.Cbz(X64, X3, 3);
            _e.MovConstant(X64, X7, unchecked((ulong)-(long)Errno.EINVAL));
            int flagsBad = Placeholder();
            _e.MovConstant(X64, Arm64RegisterMap.Tmp, 1UL << 23);
            _e.CmpRegister(X64, X0, Arm64RegisterMap.Tmp);
            _e.BCond(A64Condition.Ls, 3);
            _e.MovConstant(X64, X7, unchecked((ulong)-(long)Errno.E2BIG));
            int tooMany = Placeholder();
            _e.LdrImmediate(A64MemSize.Double, Arm64RegisterMap.Tmp, Arm64RegisterMap.Context, Arm64RunContext.DepthLimit);
            _e.CmpRegister(X64, X25, Arm64RegisterMap.Tmp);
            _e.BCond(A64Condition.Hs, 2);
            _e.Brk(Arm64Trap.CallDepth);

            // [SP]: R1 R2 | R3 R4 | R5 R6 | R7 R8 | R9 i | landing, the outer EntrySp | R10 —; EntrySp points here meanwhile
            // (an abort in the callback lands after the call with R0 = 0 and R10 restored from here).
            _e.Stp(X64, X0, X1, Sp, -112, A64PairMode.PreIndex);
            _e.Stp(X64, X2, X3, Sp, 16);
            _e.Stp(X64, X4, X19, Sp, 32);
            _e.Stp(X64, X20, X21, Sp, 48);
            _e.Stp(X64, X22, Zr, Sp, 64);
            int landingAdr = Placeholder();
            _e.LdrImmediate(A64MemSize.Double, X10, Arm64RegisterMap.Context, Arm64RunContext.EntrySp);
            _e.Stp(X64, Arm64RegisterMap.Tmp, X10, Sp, 80);
            _e.StrImmediate(A64MemSize.Double, X25, Sp, 96);
            _e.MovSp(X64, Arm64RegisterMap.Tmp, Sp);
            _e.StrImmediate(A64MemSize.Double, Arm64RegisterMap.Tmp, Arm64RegisterMap.Context, Arm64RunContext.EntrySp);
            int loop = _e.Count;
            _e.LdrImmediate(A64MemSize.Double, Arm64RegisterMap.Tmp, Sp, 72);
            _e.LdrImmediate(A64MemSize.Double, X10, Sp, 0);
            _e.CmpRegister(X64, Arm64RegisterMap.Tmp, X10);
            int done = Placeholder();
            _e.AddImmediate(X64, X10, Arm64RegisterMap.Tmp, 1);
            _e.StrImmediate(A64MemSize.Double, X10, Sp, 72);
            _e.Mov(X64, X0, Arm64RegisterMap.Tmp);
            _e.LdrImmediate(A64MemSize.Double, X1, Sp, 16);
            foreach (var r in (ReadOnlySpan<A64Register>)[X2, X3, X4, X7, X19, X20, X21, X22]) _e.Movz(X64, r, 0);
            Branch(FixKind.Bl, default, TargetKind.Function, callback);
            PatchAdr(landingAdr, Arm64RegisterMap.Tmp, _e.Count);
            _e.LdrImmediate(A64MemSize.Double, X25, Sp, 96);
            int stop = Placeholder();
            CountBackEdge();
            _e.B(loop - _e.Count);
            PatchBCond(done, A64Condition.Hs, _e.Count);
            _scratch.Clear();
            _scratch.Cbnz(X64, X7, _e.Count - stop);
            _e.Patch(stop, _scratch.Words[0]);
            _e.LdrImmediate(A64MemSize.Double, Arm64RegisterMap.Tmp, Sp, 88);
            _e.StrImmediate(A64MemSize.Double, Arm64RegisterMap.Tmp, Arm64RegisterMap.Context, Arm64RunContext.EntrySp);
            _e.LdrImmediate(A64MemSize.Double, X7, Sp, 72);
            _e.Ldp(X64, X2, X3, Sp, 16);
            _e.Ldp(X64, X4, X19, Sp, 32);
            _e.Ldp(X64, X20, X21, Sp, 48);
            _e.LdrImmediate(A64MemSize.Double, X22, Sp, 64);
            _e.Ldp(X64, X0, X1, Sp, 112, A64PairMode.PostIndex);
            PatchB(flagsBad, _e.Count);
            PatchB(tooMany, _e.Count);
        }

        // bpf_tail_call(ctx, array, index) as the kernel's JITs do it, with the interpreter's rules: only from the entry
        // frame; index ≥ count, the 34th call or an empty slot fall through (R0 untouched); a call that happens counts and
        // jumps to the target's slot 0 after its prologue, so it runs in this frame with these registers.
        private void TailCall(int pc)
        {
            _e.LdrImmediate(A64MemSize.Double, Arm64RegisterMap.Tmp, Arm64RegisterMap.Context, Arm64RunContext.StackTop);
            _e.CmpRegister(X64, X25, Arm64RegisterMap.Tmp);
            _e.BCond(A64Condition.Eq, 2);
            _e.Brk(Arm64Trap.TailCallDepth);
            if (Checked(pc))
            {
                _e.Mov(X64, X10, X1);
                Branch(FixKind.Bl, default, TargetKind.Label, (int)Label.Check0 + (3 << 1));
            }

            _e.LdrImmediate(A64MemSize.Double, Arm64RegisterMap.Tmp, X1, Arm64ProgramArray.Count);
            _e.Mov(W32, X10, X2); // the index is 32 bits
            _e.CmpRegister(X64, X10, Arm64RegisterMap.Tmp);
            int outOfRange = Placeholder();
            _e.LdrImmediate(A64MemSize.Double, Arm64RegisterMap.Tmp, Arm64RegisterMap.Context, Arm64RunContext.TailCallCount);
            _e.CmpImmediate(X64, Arm64RegisterMap.Tmp, Abi.MaxTailCalls);
            int tooMany = Placeholder();
            _e.AddRegister(X64, X10, X1, X10, A64Shift.Lsl, 3);
            _e.AddImmediate(X64, X10, X10, Arm64ProgramArray.Entries);
            if (Checked(pc)) Branch(FixKind.Bl, default, TargetKind.Label, (int)Label.Check0 + (3 << 1));
            _e.LdrImmediate(A64MemSize.Double, X10, X10);
            int empty = Placeholder();
            _e.AddImmediate(X64, Arm64RegisterMap.Tmp, Arm64RegisterMap.Tmp, 1);
            _e.StrImmediate(A64MemSize.Double, Arm64RegisterMap.Tmp, Arm64RegisterMap.Context, Arm64RunContext.TailCallCount);
            _e.Br(X10);
            PatchBCond(outOfRange, A64Condition.Hs, _e.Count);
            PatchBCond(tooMany, A64Condition.Hs, _e.Count);
            _scratch.Clear();
            _scratch.Cbz(X64, X10, _e.Count - empty);
            _e.Patch(empty, _scratch.Words[0]);
        }

        private void Lddw(in Instruction insn, int pc)
        {
            var d = R(insn.DstNumber);
            switch ((LoadImmKind)insn.SrcNumber)
            {
                case LoadImmKind.Imm64:
                    _e.MovConstant(X64, d, Instruction.WideImmediate(insn, program[pc + 1]));
                    break;
                case LoadImmKind.Func:
                    _e.MovConstant(X64, d, Abi.CodeBase + (ulong)(pc + 1 + insn.Imm) * 8);
                    break;
                case var kind:
                    throw new HbpfException(
                        ErrorCode.Arm64UnresolvedReference,
                        $"lddw of a {kind} reference must be resolved by the loader (to a plain 64-bit immediate) before the ARM64 JIT translates it",
                        BpfLocation.AtInstruction(pc));
            }
        }

        private void LegacyLoad(in Instruction insn)
        {
            int size = Instruction.SizeInBytes(insn.Size);
            if (insn.Mode == MemMode.Abs) _e.MovConstant(X64, X10, (uint)insn.Imm);
            else
            {
                _e.MovConstant(W32, X10, (uint)insn.Imm);
                _e.AddRegister(W32, X10, R(insn.SrcNumber), X10); // a 32-bit sum, as the kernel computes it
            }

            _e.LdrImmediate(A64MemSize.Double, X11, Arm64RegisterMap.Context, Arm64RunContext.PacketLength);
            _e.CmpRegister(X64, X10, X11);
            CondBranch(A64Condition.Hi, TargetKind.Label, (int)Label.Abort);
            _e.SubRegister(X64, X11, X11, X10);
            _e.CmpImmediate(X64, X11, (ulong)size);
            CondBranch(A64Condition.Lo, TargetKind.Label, (int)Label.Abort);
            _e.LdrImmediate(A64MemSize.Double, X11, Arm64RegisterMap.Context, Arm64RunContext.PacketStart);
            _e.LdrRegister(MemSize(size), X7, X11, X10);
            if (size == 2) _e.Rev16(W32, X7, X7); // network order; the upper half is zero after LDRH
            else if (size == 4) _e.Rev(W32, X7, X7);
        }

        private static A64MemSize MemSize(int bytes) => bytes switch
        {
            1 => A64MemSize.Byte,
            2 => A64MemSize.Half,
            4 => A64MemSize.Word,
            _ => A64MemSize.Double,
        };

        private bool Checked(int pc) =>
            options.CheckAccesses && (options.Facts.IsDefault || (options.Facts[pc] & SlotFacts.AccessProven) == 0);

        // Checked: X10 = base + offset, then the check; the access then uses [X10]. Unchecked: base and offset as they are.
        private (A64Register Base, long Offset) Address(A64Register baseRegister, short offset, int size, bool write, int pc)
        {
            if (!Checked(pc)) return (baseRegister, offset);
            AddConstant(X64, X10, baseRegister, offset);
            int entry = ((size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3) << 1) | (write ? 1 : 0);
            Branch(FixKind.Bl, default, TargetKind.Label, (int)Label.Check0 + entry);
            return (X10, 0);
        }

        private void Load(in Instruction insn, int pc)
        {
            int size = Instruction.SizeInBytes(insn.Size);
            bool signed = insn.Mode == MemMode.MemSx;
            var (b, off) = Address(R(insn.SrcNumber), insn.Offset, size, false, pc);
            var rt = R(insn.DstNumber);
            var ms = MemSize(size);
            if (off >= 0 && off % size == 0 && off / size <= 4095)
            {
                if (signed) _e.LdrsImmediate(ms, X64, rt, b, off);
                else _e.LdrImmediate(ms, rt, b, off);
            }
            else if (off is >= -256 and <= 255)
            {
                if (signed) _e.Ldurs(ms, X64, rt, b, off);
                else _e.Ldur(ms, rt, b, off);
            }
            else
            {
                _e.MovConstant(X64, Arm64RegisterMap.Tmp, (ulong)off);
                if (signed) _e.LdrsRegister(ms, X64, rt, b, Arm64RegisterMap.Tmp);
                else _e.LdrRegister(ms, rt, b, Arm64RegisterMap.Tmp);
            }
        }

        private void Store(in Instruction insn, int pc)
        {
            int size = Instruction.SizeInBytes(insn.Size);
            var (b, off) = Address(R(insn.DstNumber), insn.Offset, size, true, pc);
            A64Register rt;
            if (insn.Class == OpClass.Stx) rt = R(insn.SrcNumber);
            else if (insn.Imm == 0) rt = Zr;
            else
            {
                rt = Arm64RegisterMap.Tmp3;
                _e.MovConstant(X64, rt, (ulong)(long)insn.Imm);
            }

            var ms = MemSize(size);
            if (off >= 0 && off % size == 0 && off / size <= 4095) _e.StrImmediate(ms, rt, b, off);
            else if (off is >= -256 and <= 255) _e.Stur(ms, rt, b, off);
            else
            {
                _e.MovConstant(X64, Arm64RegisterMap.Tmp, (ulong)off);
                _e.StrRegister(ms, rt, b, Arm64RegisterMap.Tmp);
            }
        }

        // LSE atomics (the fetch forms fully ordered, as the kernel's); the address always in X10.
        private void Atomic(in Instruction insn, int pc)
        {
            int size = Instruction.SizeInBytes(insn.Size);
            var (b, off) = Address(R(insn.DstNumber), insn.Offset, size, true, pc);
            if (b != X10 || off != 0) AddConstant(X64, X10, b, off);
            var ms = MemSize(size);
            var w = size == 8 ? X64 : W32;
            var s = R(insn.SrcNumber);
            var op = (AtomicOp)insn.Imm;
            if (options.HostAtomics)
            {
                HostAtomic(op, size, w, s);
                return;
            }

            // A64 atomics fault on a misaligned address; RFC 9669 does not require alignment (the kernel's verifier
            // does), so a misaligned one takes a plain load–modify–store (atomic on one core, which is all it can be).
            _e.TstImmediate(X64, X10, (ulong)size - 1);
            int toAligned = Placeholder();
            UnalignedAtomic(op, ms, w, s);
            int toDone = Placeholder();
            PatchBCond(toAligned, A64Condition.Eq, _e.Count);
            const A64Ordering Full = A64Ordering.AcquireRelease;
            switch (op)
            {
                case AtomicOp.Add: _e.Ldadd(ms, s, Zr, X10); break;
                case AtomicOp.Or: _e.Ldset(ms, s, Zr, X10); break;
                case AtomicOp.Xor: _e.Ldeor(ms, s, Zr, X10); break;
                case AtomicOp.And:
                    _e.Mvn(w, Arm64RegisterMap.Tmp, s);
                    _e.Ldclr(ms, Arm64RegisterMap.Tmp, Zr, X10);
                    break;
                case AtomicOp.FetchAdd: _e.Ldadd(ms, s, s, X10, Full); break;
                case AtomicOp.FetchOr: _e.Ldset(ms, s, s, X10, Full); break;
                case AtomicOp.FetchXor: _e.Ldeor(ms, s, s, X10, Full); break;
                case AtomicOp.FetchAnd:
                    _e.Mvn(w, Arm64RegisterMap.Tmp, s);
                    _e.Ldclr(ms, Arm64RegisterMap.Tmp, s, X10, Full);
                    break;
                case AtomicOp.Xchg: _e.Swp(ms, s, s, X10, Full); break;
                case AtomicOp.CmpXchg: _e.Cas(ms, X7, s, X10, Full); break; // R0 = expected in, old value out
                default: throw new UnreachableException($"atomic op 0x{insn.Imm:x} passed validation");
            }

            PatchB(toDone, _e.Count);
        }

        // The atomic at [X10] as a call of the host's atomic helper (Arm64HostAtomics): X0 = address, X1 = src, X2 = R0
        // (cmpxchg's expected value), X3 = the form; the old value comes back in X7. R1–R5 (X0–X4) and R0 are saved on
        // the machine stack around the call, so the eBPF registers change exactly as the instruction says.
        private void HostAtomic(AtomicOp op, int size, A64Width w, A64Register s)
        {
            _e.Stp(X64, X0, X1, Sp, -48, A64PairMode.PreIndex);
            _e.Stp(X64, X2, X3, Sp, 16);
            _e.Stp(X64, X4, X7, Sp, 32);
            _e.Mov(X64, Arm64RegisterMap.Tmp, s); // s may be X0–X4: read it before they are overwritten
            _e.Mov(X64, X0, X10);
            _e.Mov(X64, X1, Arm64RegisterMap.Tmp);
            _e.Mov(X64, X2, X7);
            _e.MovConstant(X64, X3, Arm64HostAtomics.Form(op, size == 8));
            _relocations.Add(new Arm64Relocation(_e.Count, Arm64RelocationKind.HelperCall, Arm64HostAtomics.TrapHelperId));
            _e.Emit(0); // BL, patched by the linker
            _e.Mov(X64, Arm64RegisterMap.Tmp, X7);
            _e.Ldp(X64, X2, X3, Sp, 16);
            _e.Ldp(X64, X4, X7, Sp, 32);
            _e.Ldp(X64, X0, X1, Sp, 48, A64PairMode.PostIndex);
            if (op == AtomicOp.CmpXchg) _e.Mov(w, X7, Arm64RegisterMap.Tmp);
            else if (((int)op & (int)AtomicOp.FetchAdd) != 0) _e.Mov(w, s, Arm64RegisterMap.Tmp);
        }

        // X11 = old value at [X10], X12 = new value; fetch forms give the old value in src (R0 for cmpxchg).
        private void UnalignedAtomic(AtomicOp op, A64MemSize ms, A64Width w, A64Register s)
        {
            _e.LdrImmediate(ms, X11, X10);
            switch (op)
            {
                case AtomicOp.Add or AtomicOp.FetchAdd: _e.AddRegister(w, X12, X11, s); break;
                case AtomicOp.Or or AtomicOp.FetchOr: _e.OrrRegister(w, X12, X11, s); break;
                case AtomicOp.And or AtomicOp.FetchAnd: _e.AndRegister(w, X12, X11, s); break;
                case AtomicOp.Xor or AtomicOp.FetchXor: _e.EorRegister(w, X12, X11, s); break;
                case AtomicOp.Xchg: _e.Mov(w, X12, s); break;
                case AtomicOp.CmpXchg:
                    _e.CmpRegister(w, X11, X7);
                    _e.BCond(A64Condition.Ne, 2);
                    _e.StrImmediate(ms, s, X10);
                    _e.Mov(w, X7, X11);
                    return;
                default: throw new UnreachableException($"atomic op {op} passed validation");
            }

            _e.StrImmediate(ms, X12, X10);
            if (((int)op & (int)AtomicOp.FetchAdd) != 0) _e.Mov(w, s, X11);
        }

        // ------------------------------------------------------------ branches

        private void Branch(FixKind kind, A64Condition cond, TargetKind target, int value)
        {
            _fixups.Add(new Fixup { Word = _e.Count, Kind = kind, Cond = cond, Target = target, Value = value, Ordinal = -1 });
            _e.Emit(0);
        }

        private void CondBranch(A64Condition cond, TargetKind target, int value)
        {
            int ordinal = _condBranches++;
            if (longBranches.Contains(ordinal))
            {
                _e.BCond(A64Encoder.Invert(cond), 2);
                Branch(FixKind.B, default, target, value);
                return;
            }

            _fixups.Add(new Fixup { Word = _e.Count, Kind = FixKind.BCond, Cond = cond, Target = target, Value = value, Ordinal = ordinal });
            _e.Emit(0);
        }

        private int Placeholder()
        {
            _e.Emit(0);
            return _e.Count - 1;
        }

        private void PatchBCond(int at, A64Condition cond, int target)
        {
            _scratch.Clear();
            _scratch.BCond(cond, target - at);
            _e.Patch(at, _scratch.Words[0]);
        }

        private void PatchAdr(int at, A64Register rd, int target)
        {
            _scratch.Clear();
            _scratch.Adr(rd, (target - at) * 4L);
            _e.Patch(at, _scratch.Words[0]);
        }

        private void PatchB(int at, int target)
        {
            _scratch.Clear();
            _scratch.B(target - at);
            _e.Patch(at, _scratch.Words[0]);
        }
    }
}
