using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.CompilerServices;
using HeteroBpf.Isa;

namespace HeteroBpf.Verifier;

/// <summary>
/// One verification: walks every path depth-first from the entry with an abstract state (the kernel's <c>do_check</c>),
/// pruning a path whose state lies within one already proven safe at the same prune point.
/// </summary>
internal sealed partial class Walker
{
    private const int MaxVarOff = 1 << 29;

    private readonly ProgramSpec _program;
    private readonly ImmutableArray<Instruction> _insns;
    private readonly IReadOnlyList<MapSpec> _programMaps;

    // The program's maps, then the inner map of each map-in-map (what a lookup in the outer map yields).
    private readonly List<MapSpec> _maps;
    private readonly int[] _innerOf;
    private readonly VerifierOptions _options;
    private readonly ControlFlow _flow;
    private readonly ProgramTypeInfo _type;
    private readonly VerifierLog _log;
    private readonly SlotFacts[] _facts;
    private readonly byte[] _region;
    private readonly bool[] _taken;
    private readonly bool[] _fell;
    private readonly List<Checkpoint>?[] _explored;
    private readonly bool[][] _live;
    private readonly bool[][] _precise;
    private readonly ulong[] _preciseSlots;
    private readonly Stack<VState> _pending = new();
    private readonly Subsumption _subsumption = new();
    private readonly StatePool _pool = new();
    private readonly HashSet<int> _callbackEntries = [];
    private readonly bool _root;
    private readonly bool _exactPruning;
    private VState _cur = null!;
    private int _slot;
    private int _processed;
    private int _idGen;
    private int _totalStates;
    private int _peakStates;
    private int _liveStates;
    private int _jumpsSinceAdd;
    private int _insnsSinceAdd;
    private int _maxStatesPerInsn;

    // exactPruning (tests only): prune by whole-state inclusion, every scalar compared: the baseline precision tracking
    // must agree with.
    public Walker(ProgramSpec program, IReadOnlyList<MapSpec> maps, VerifierOptions options, ControlFlow flow, ProgramTypeInfo type, VerifierLog log, bool exactPruning = false)
    {
        _exactPruning = exactPruning;
        _program = program;
        _insns = program.Instructions;
        _programMaps = maps;
        _maps = [.. maps];
        _innerOf = new int[maps.Count];
        for (int m = 0; m < maps.Count; m++)
        {
            _innerOf[m] = -1;
            if (maps[m].InnerMap is { } inner && maps[m].Type is MapType.ArrayOfMaps or MapType.HashOfMaps)
            {
                _innerOf[m] = _maps.Count;
                _maps.Add(inner);
            }
        }

        _options = options;
        _flow = flow;
        _type = type;
        _log = log;
        _facts = new SlotFacts[_insns.Length];
        _region = new byte[_insns.Length];
        _taken = new bool[_insns.Length];
        _fell = new bool[_insns.Length];
        _explored = new List<Checkpoint>?[_insns.Length];
        _live = Liveness.Compute(_insns.AsSpan());
        // The entry function's R0 matters at exit only when the type checks its range (or it could leak a pointer,
        // which is a type, compared anyway); a subprogram's R0 goes back to its caller.
        _precise = Liveness.ComputePrecise(_insns.AsSpan(), slot => type.ReturnRange is not null || flow.SubprogramAt(slot) != 0, out _preciseSlots);
        _root = options.Privilege == Privilege.Root;
    }

    private bool Strict => _options.StrictAlignment;

    public VerifiedProgram Run()
    {
        var start = new VState();
        var frame = new FuncFrame();
        for (int r = 0; r < 11; r++) frame.Regs[r] = RegisterState.NotInit;
        frame.Regs[1] = Pointer(RegisterType.PtrToCtx);
        frame.Regs[10] = Pointer(RegisterType.PtrToStack) with { Frame = 0 };
        start.Frames[0] = frame;
        _pending.Push(start);
        while (_pending.TryPop(out var state))
        {
            _cur = state;
            if (_log.Level > 0 && state.Prev >= 0) _log.Line($"from {state.Prev} to {state.Insn}:" + StateText());
            while (Step())
            {
            }

            _pool.Release(state);
        }

        for (int i = 0; i < _insns.Length; i++)
        {
            if ((_facts[i] & SlotFacts.Reached) == 0) continue;
            var insn = _insns[i];
            if (insn.Class is OpClass.Jmp or OpClass.Jmp32 && insn.JumpOp is not (JumpOp.Ja or JumpOp.Call or JumpOp.Exit))
            {
                if (!_taken[i]) _facts[i] |= SlotFacts.NeverTaken;
                if (!_fell[i]) _facts[i] |= SlotFacts.AlwaysTaken;
            }
        }

        _log.Line($"processed {_processed} insns (limit {_options.MaxProcessedInstructions}) max_states_per_insn {_maxStatesPerInsn} total_states {_totalStates} peak_states {_peakStates} mark_read 0");
        var depths = _flow.Subprograms.Select(s => ControlFlow.RoundStackDepth(s.StackDepth)).ToImmutableArray();
        return new VerifiedProgram(_program, _programMaps, [.. _facts], depths, _processed, _totalStates, _peakStates, _log.Text);
    }

    private string StateText()
    {
        var sb = new System.Text.StringBuilder();
        var regs = _cur.Regs;
        for (int r = 0; r < 11; r++)
        {
            if (regs[r].Type != RegisterType.NotInit) sb.Append(" R").Append(r).Append('=').Append(VerifierLog.Describe(regs[r]));
        }

        return sb.ToString();
    }

    private RegisterState Pointer(RegisterType type) => new(type, ScalarValue.Const(0));

    private int NewId() => ++_idGen;

    /// <summary>Refuses the program at the current slot with the kernel's message.</summary>
    private VerifierException Fail(ErrorCode code, string message)
    {
        _log.Error(message);
        return new VerifierException(code, message, _slot);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private RegisterState ReadReg(int r)
    {
        ref readonly var reg = ref _cur.Regs[r];
        if (reg.Type == RegisterType.NotInit) throw UninitRegister(r);
        return reg;
    }

    // The refusals of the hot register accessors, out of line so the accessors stay small enough to inline.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private VerifierException UninitRegister(int r) => Fail(ErrorCode.VerifierUninitRegister, $"R{r} !read_ok");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private VerifierException FramePointerWrite() => Fail(ErrorCode.VerifierBadInstruction, "frame pointer is read only");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteReg(int r, in RegisterState value)
    {
        if (r == 10) throw FramePointerWrite();
        _cur.Regs[r] = value;
    }

    private void EndPath()
    {
        var p = _cur.Parent;
        while (p is not null)
        {
            if (--p.Branches > 0) break;
            var parent = p.Parent;
            if (p.Evicted) Recycle(p);
            p = parent;
        }
    }

    /// <summary>
    /// Gives an evicted checkpoint whose paths have all finished back to the pool: nothing reaches it any more (no
    /// explored list holds it, and only live paths' ancestors are walked for completion and precision).
    /// </summary>
    private void Recycle(Checkpoint cp)
    {
        if (cp.State is { } state) _pool.Release(state);
        cp.State = null;
    }

    private void Fork(VState other)
    {
        if (other.Parent is not null) other.Parent.Branches++;
        _pending.Push(other);
    }

    /// <summary>Processes the instruction at the current state's slot; false when the path ends.</summary>
    private bool Step()
    {
        int i = _cur.Insn;
        _slot = i;
        if (++_processed > _options.MaxProcessedInstructions)
            throw Fail(ErrorCode.VerifierProgramTooLarge, $"BPF program is too large. Processed {_processed} insn");
        _insnsSinceAdd++;
        if (_flow.IsBlockStart(i) && IsStateVisited(i))
        {
            if (_log.Level > 1) _log.Line($"{i}: safe");
            EndPath();
            return false;
        }

        var insn = _insns[i];
        if (_options.Hooks is { } hooks && hooks.Instruction(new HookVisit(i, _cur.Prev, insn, _cur.Regs, _cur.Cur)) is { } refusal)
            throw BpfVerifier.DeviceRefused(hooks, refusal, i, _log);
        _facts[i] |= SlotFacts.Reached;
        _cur.Prev = i;
        _cur.Hist.Add(new HistEntry(i, _cur.Cur, _cur.Frame.IsCallback));
        bool go = Execute(i, insn);
        NoteClean(insn);
        if (_log.Level > 1) _log.Instruction(_insns.AsSpan(), i, _cur.Regs);
        return go;
    }

    private bool IsStateVisited(int i)
    {
        var list = _explored[i] ??= [];
        bool add = true;
        Checkpoint? calling = null;
        for (int k = 0; k < list.Count; k++)
        {
            var cp = list[k];
            if (cp.Branches > 0 && _cur.Frame.IsCallback && _callbackEntries.Contains(i))
            {
                // A callback call within one still being explored adds nothing (the helper bounds the calls).
                // Its precision marks are not final yet, so the static superset decides which scalars matter, and every
                // scalar of this path is marked precise (the kernel's fallback) since what the pruned rest needs is unknown.
                if (_subsumption.StateWithin(cp.State!, _cur, PruneMode.Static, _live[i], _precise[i], _preciseSlots[i]))
                {
                    cp.Hits++;
                    MarkAllPrecise();
                    return true;
                }

                calling = cp;
                continue;
            }

            if (cp.Branches > 0)
            {
                if (Subsumption.MaybeLooping(cp.State!, _cur) && _subsumption.StateWithin(cp.State!, _cur, PruneMode.Exact))
                    throw Fail(ErrorCode.VerifierInfiniteLoop, $"infinite loop detected at insn {i}");
                // Inside a loop, keep a state only every so often (the kernel's heuristic) so long loops stay cheap.
                if (_jumpsSinceAdd < 20 && _insnsSinceAdd < 100) add = false;
            }
            else if (_subsumption.StateWithin(cp.State!, _cur, _exactPruning ? PruneMode.Exact : PruneMode.Dynamic, _live[i]))
            {
                // The old state's safety rested on its precise scalars; this path's now rests on the same ones.
                cp.Hits++;
                PropagatePrecision(cp.State!, _live[i]);
                return true;
            }

            // A state that keeps missing is unlikely to prune anything: drop it from the list (the kernel's heuristic);
            // paths below it still count their ends through it.
            if (++cp.Misses > (cp.Hits * 3) + 3)
            {
                list[k] = list[^1];
                list.RemoveAt(list.Count - 1);
                k--;
                _liveStates--;
                cp.Evicted = true;
                if (cp.Branches == 0) Recycle(cp);
                else cp.Compact(_pool);
            }
        }

        // A callback called again with callers' scalars that changed since the earlier call: forget those values
        // (widening), so the calls converge; the helper, not the verifier, bounds how many there are.
        if (calling is not null) Widen(calling.State!, _cur);
        if (!add) return false;
        // The kept state takes a copy of the path's history; the path goes on with its list emptied.
        var kept = new Checkpoint(_cur.CloneToKeep(_pool), _cur.Parent);
        list.Add(kept);
        _cur.Parent = kept;
        _cur.Hist.Clear();
        _totalStates++;
        _liveStates++;
        _peakStates = Math.Max(_peakStates, _liveStates);
        _maxStatesPerInsn = Math.Max(_maxStatesPerInsn, list.Count);
        _jumpsSinceAdd = 0;
        _insnsSinceAdd = 0;
        return false;
    }

    private static void Widen(VState old, VState cur)
    {
        for (int f = 0; f < cur.Cur && f <= old.Cur; f++)
        {
            var o = old.Frames[f];
            var c = cur.Frames[f];
            for (int r = 0; r < 11; r++)
            {
                if (c.Regs[r].Type == RegisterType.Scalar && o.Regs[r].Type == RegisterType.Scalar && c.Regs[r].Value != o.Regs[r].Value)
                    c.Regs[r] = RegisterState.UnknownScalar;
            }

            for (int s = 0; s < FuncFrame.Slots; s++)
            {
                if (c.Bytes[s * 8] == StackByte.Spill && c.Spills[s].Type == RegisterType.Scalar
                    && (o.Bytes[s * 8] != StackByte.Spill || o.Spills[s].Type != RegisterType.Scalar || o.Spills[s].Value != c.Spills[s].Value))
                {
                    c.WritableSpills[s] = RegisterState.UnknownScalar;
                    for (int b = 0; b < 8; b++) c.WritableBytes[s * 8 + b] = StackByte.Misc;
                }

                for (int b = 0; b < 8; b++)
                {
                    if (c.Bytes[s * 8 + b] == StackByte.Zero && o.Bytes[s * 8 + b] != StackByte.Zero) c.WritableBytes[s * 8 + b] = StackByte.Misc;
                }
            }
        }
    }

    private bool Execute(int i, in Instruction insn)
    {
        switch (insn.Class)
        {
            case OpClass.Alu:
            case OpClass.Alu64:
                Alu(insn);
                _cur.Insn = i + 1;
                return true;
            case OpClass.Ldx:
                Load(insn);
                _cur.Insn = i + 1;
                return true;
            case OpClass.St:
            case OpClass.Stx:
                if (insn.Mode == MemMode.Atomic) Atomic(insn);
                else Store(insn);
                _cur.Insn = i + 1;
                return true;
            case OpClass.Ld:
                if (insn.IsWide)
                {
                    LoadImm64(i, insn);
                    _cur.Insn = i + 2;
                    return true;
                }

                if (insn.Mode is MemMode.Abs or MemMode.Ind)
                {
                    LoadPacketAbs(insn);
                    _cur.Insn = i + 1;
                    return true;
                }

                throw Fail(ErrorCode.VerifierBadInstruction, $"unknown opcode {insn.OpCode:x2}");
            default:
                return Jump(i, insn);
        }
    }

    private bool Jump(int i, in Instruction insn)
    {
        var op = insn.JumpOp;
        bool is32 = insn.Class == OpClass.Jmp32;
        if (op == JumpOp.Ja)
        {
            _jumpsSinceAdd++;
            _cur.Insn = i + 1 + (is32 ? insn.Imm : insn.Offset);
            return true;
        }

        if (op == JumpOp.Exit && !is32 && insn.Source == OperandSource.Imm) return Exit();
        if (op == JumpOp.Call && !is32 && insn.Source == OperandSource.Imm)
        {
            return insn.SrcNumber switch
            {
                0 => HelperCall(i, insn.Imm),
                1 => LocalCall(i, i + 1 + insn.Imm),
                2 => throw Fail(ErrorCode.VerifierUnsupported, $"kernel btf_id {insn.Imm} is not a function"),
                _ => throw Fail(ErrorCode.VerifierBadInstruction, "BPF_CALL uses reserved fields"),
            };
        }

        if (op is JumpOp.Call or JumpOp.Exit || (int)op > 0xd0) throw Fail(ErrorCode.VerifierBadInstruction, $"unknown opcode {insn.OpCode:x2}");
        _jumpsSinceAdd++;
        return CondJump(i, insn, op, is32);
    }

    private bool CondJump(int i, in Instruction insn, JumpOp op, bool is32)
    {
        int target = i + 1 + insn.Offset;
        int d = insn.DstNumber;
        if (TryConstJump(i, insn, op, is32, target)) return true;
        RegisterState src;
        int s = -1;
        if (insn.Source == OperandSource.Reg)
        {
            s = insn.SrcNumber;
            src = ReadReg(s);
        }
        else
        {
            src = new RegisterState(RegisterType.Scalar, ScalarValue.Const(is32 ? (uint)insn.Imm : (ulong)(long)insn.Imm));
        }

        var dst = ReadReg(d);
        if (s >= 0 && src.IsPointer && !_root && !(IsPkt(dst.Type) && IsPkt(src.Type)))
            throw Fail(ErrorCode.VerifierPointerLeak, $"R{s} pointer comparison prohibited");

        if (dst.Type == RegisterType.Scalar && src.Type == RegisterType.Scalar)
        {
            NoteLinked(dst, s >= 0 ? src : default);
            bool canTake = ScalarValue.TryRefine(op, is32, true, dst.Value, src.Value, out var dT, out var sT);
            bool canFall = ScalarValue.TryRefine(op, is32, false, dst.Value, src.Value, out var dF, out var sF);
            if (canTake && canFall)
            {
                var other = _cur.Clone(_pool);
                other.Insn = target;
                ApplyScalar(other, d, dT, s, sT);
                Fork(other);
                ApplyScalar(_cur, d, dF, s, sF);
                _taken[i] = _fell[i] = true;
                _cur.Insn = i + 1;
                return true;
            }

            // Only one way is possible: a state where these values differ could go the other way, so they are precise.
            MarkRegPrecise(d);
            if (s >= 0) MarkRegPrecise(s);
            if (canTake)
            {
                ApplyScalar(_cur, d, dT, s, sT);
                _taken[i] = true;
                _cur.Insn = target;
                return true;
            }

            if (canFall) ApplyScalar(_cur, d, dF, s, sF);
            _fell[i] = true;
            _cur.Insn = i + 1;
            return true;
        }

        // A pointer against null: a maybe-null pointer splits into its null and non-null copies; a pointer that
        // cannot be null decides the branch.
        bool againstZero = src.Type == RegisterType.Scalar && src.Value.IsConst && src.Value.VarOff.Value == 0 && op is JumpOp.Jeq or JumpOp.Jne && !is32;
        if (againstZero && dst.IsPointer)
        {
            // The outcome rests on the other register being zero.
            if (s >= 0) MarkRegPrecise(s);
            if (IsMaybeNull(dst.Type))
            {
                var other = _cur.Clone(_pool);
                other.Insn = target;
                // Taken branch of "== 0" is the null one; of "!= 0" the non-null one.
                MarkNull(other, dst, op == JumpOp.Jeq);
                Fork(other);
                MarkNull(_cur, dst, op != JumpOp.Jeq);
                _taken[i] = _fell[i] = true;
                _cur.Insn = i + 1;
                return true;
            }

            bool take = op == JumpOp.Jne;
            if (take) _taken[i] = true;
            else _fell[i] = true;
            _cur.Insn = take ? target : i + 1;
            return true;
        }

        if (s >= 0 && TryPacketCompare(i, target, op, dst, src, d, s)) return true;
        if (dst.IsPointer && !_root) throw Fail(ErrorCode.VerifierPointerLeak, $"R{d} pointer comparison prohibited");
        var both = _cur.Clone(_pool);
        both.Insn = target;
        Fork(both);
        _taken[i] = _fell[i] = true;
        _cur.Insn = i + 1;
        return true;
    }

    /// <summary>
    /// A comparison of two exact scalar constants (a loop counter against its bound), decided without copying register
    /// states: what the general path does for it, where <see cref="ScalarValue.TryRefine"/> leaves both values as they are.
    /// </summary>
    private bool TryConstJump(int i, in Instruction insn, JumpOp op, bool is32, int target)
    {
        var regs = _cur.Regs;
        int d = insn.DstNumber, s = -1;
        ref readonly var dst = ref regs[d];
        if (dst.Type != RegisterType.Scalar || !dst.Value.IsExactConst) return false;
        ulong b;
        if (insn.Source == OperandSource.Reg)
        {
            s = insn.SrcNumber;
            ref readonly var srcReg = ref regs[s];
            if (srcReg.Type != RegisterType.Scalar || !srcReg.Value.IsExactConst) return false;
            b = srcReg.Value.VarOff.Value;
        }
        else
        {
            b = is32 ? (uint)insn.Imm : (ulong)(long)insn.Imm;
        }

        NoteLinked(dst, s >= 0 ? regs[s] : default);
        bool take = ScalarValue.Compare(op, is32, dst.Value.VarOff.Value, b);
        // Only one way is possible: a state where these values differ could go the other way, so they are precise.
        MarkRegPrecise(d);
        if (s >= 0) MarkRegPrecise(s);
        // Linked copies still hear of the (unchanged) value, as the general path tells them.
        if (dst.Id != 0 || (s >= 0 && regs[s].Id != 0)) ApplyScalar(_cur, d, dst.Value, s, s >= 0 ? regs[s].Value : default);
        if (take)
        {
            _taken[i] = true;
            _cur.Insn = target;
        }
        else
        {
            _fell[i] = true;
            _cur.Insn = i + 1;
        }

        return true;
    }

    private static bool IsPkt(RegisterType t) => t is RegisterType.PtrToPacket or RegisterType.PtrToPacketMeta or RegisterType.PtrToPacketEnd;

    private static bool IsMaybeNull(RegisterType t) =>
        t is RegisterType.PtrToMapValueOrNull or RegisterType.PtrToMemOrNull or RegisterType.PtrToSocketOrNull or RegisterType.PtrToSockCommonOrNull;

    private static RegisterType NonNull(RegisterType t) => t switch
    {
        RegisterType.PtrToMapValueOrNull => RegisterType.PtrToMapValue,
        RegisterType.PtrToMemOrNull => RegisterType.PtrToMem,
        RegisterType.PtrToSocketOrNull => RegisterType.PtrToSocket,
        RegisterType.PtrToSockCommonOrNull => RegisterType.PtrToSockCommon,
        _ => t,
    };

    private static void ApplyScalar(VState state, int d, ScalarValue dv, int s, ScalarValue sv)
    {
        SetScalar(state, d, dv);
        if (s >= 0) SetScalar(state, s, sv);
    }

    // A bound learnt on one register reaches every copy of it (same id), in every frame and spill slot.
    private static void SetScalar(VState state, int r, ScalarValue v)
    {
        ref var reg = ref state.Regs[r];
        if (reg.Id == 0)
        {
            // A decided comparison of constants learns nothing: leave the register as it is.
            if (!reg.Value.Equals(v)) reg = reg with { Value = v };
            return;
        }

        var visitor = new SetLinked(reg.Id, reg.Delta, v);
        state.ForEachReg(ref visitor);
    }

    private readonly struct SetLinked(int id, long delta, ScalarValue v) : IRegVisitor
    {
        public void Visit(ref RegisterState x)
        {
            if (x.Type != RegisterType.Scalar || x.Id != id) return;
            x = x with { Value = x.Delta == delta ? v : ScalarValue.Alu(Add64, v, ScalarValue.Const((ulong)(x.Delta - delta))) };
        }
    }

    private void MarkNull(VState state, RegisterState ptr, bool isNull)
    {
        int id = ptr.Id;
        if (id == 0)
        {
            return;
        }

        var visitor = new MarkNullVisitor(this, id, isNull);
        state.ForEachReg(ref visitor);
        if (isNull && ptr.RefId != 0) state.Refs = [.. state.Refs.Where(r => r.Id != ptr.RefId)];
    }

    private readonly struct MarkNullVisitor(Walker w, int id, bool isNull) : IRegVisitor
    {
        public void Visit(ref RegisterState x)
        {
            if (x.Id != id || !IsMaybeNull(x.Type)) return;
            if (isNull) x = new RegisterState(RegisterType.Scalar, ScalarValue.Const(0));
            else if (x.Type == RegisterType.PtrToMapValueOrNull && x.MapIndex < w._innerOf.Length && w._innerOf[x.MapIndex] >= 0)
                x = w.Pointer(RegisterType.ConstPtrToMap) with { MapIndex = w._innerOf[x.MapIndex] };
            else x = x with { Type = NonNull(x.Type), Id = w.KeepsId(x) ? x.Id : 0 };
        }
    }

    // Map values that may hold a spin lock keep their id: the lock is identified by it.
    private bool KeepsId(in RegisterState x) => x.Type == RegisterType.PtrToMapValueOrNull && x.MapIndex >= 0 && _maps[x.MapIndex].SpinLockOffset is not null || x.RefId != 0;

    private bool TryPacketCompare(int i, int target, JumpOp op, in RegisterState dst, in RegisterState src, int d, int s)
    {
        // The kernel's try_match_pkt_pointers: which branch learns what range for which register.
        bool dPkt = dst.Type == RegisterType.PtrToPacket && src.Type == RegisterType.PtrToPacketEnd
            || dst.Type == RegisterType.PtrToPacketMeta && src.Type == RegisterType.PtrToPacket;
        bool sPkt = src.Type == RegisterType.PtrToPacket && dst.Type == RegisterType.PtrToPacketEnd
            || src.Type == RegisterType.PtrToPacketMeta && dst.Type == RegisterType.PtrToPacket;
        if (!dPkt && !sPkt) return false;
        if (_insns[i].Class == OpClass.Jmp32) return false;
        var other = _cur.Clone(_pool);
        other.Insn = target;
        // (state that learns, register, right open)
        (bool inTaken, bool pktIsDst, bool open) rule;
        switch (op)
        {
            case JumpOp.Jgt: rule = dPkt ? (false, true, false) : (true, false, true); break;
            case JumpOp.Jlt: rule = dPkt ? (true, true, true) : (false, false, false); break;
            case JumpOp.Jge: rule = dPkt ? (false, true, true) : (true, false, false); break;
            case JumpOp.Jle: rule = dPkt ? (true, true, false) : (false, false, true); break;
            default:
                Fork(other);
                _taken[i] = _fell[i] = true;
                _cur.Insn = i + 1;
                return true;
        }

        var reg = rule.pktIsDst ? dst : src;
        GoodPacketPointers(rule.inTaken ? other : _cur, reg, rule.open);
        Fork(other);
        _taken[i] = _fell[i] = true;
        _cur.Insn = i + 1;
        return true;
    }

    private static void GoodPacketPointers(VState state, RegisterState reg, bool rightOpen)
    {
        if (reg.Offset < 0 || (reg.Offset == 0 && rightOpen)) return;
        if (reg.Value.UMax > 0xffff || reg.Value.UMax + (ulong)reg.Offset > 0xffff) return;
        int range = reg.Offset - (rightOpen ? 1 : 0);
        var visitor = new WidenRange(reg.Type, reg.Id, range);
        state.ForEachReg(ref visitor);
    }

    private readonly struct WidenRange(RegisterType type, int id, int range) : IRegVisitor
    {
        public void Visit(ref RegisterState x)
        {
            if (x.Type == type && x.Id == id && x.Range < range) x = x with { Range = range };
        }
    }

    private bool Exit()
    {
        var frame = _cur.Frame;
        if (_cur.Cur > 0)
        {
            var r0 = ReadReg(0);
            if (r0.Type == RegisterType.PtrToStack && r0.Frame == frame.Number)
                throw Fail(ErrorCode.VerifierReturnValue, "cannot return stack pointer to the caller");
            if (frame.IsCallback)
            {
                if (r0.Type != RegisterType.Scalar) throw Fail(ErrorCode.VerifierReturnValue, "R0 not a scalar value");
                MarkRegPrecise(0);
                CheckRange(r0, 0, 1, "At callback return");
            }

            _cur.Cur--;
            if (frame.IsCallback)
            {
                // The helper may call the callback again with what this call left in the caller's frame: explore
                // that too, until a call's state lies within an earlier one (pruned at the callback's entry).
                var again = _cur.Clone(_pool);
                _cur.Frames[_cur.Cur + 1] = frame;
                again.Insn = frame.CallSite;
                var entry = new FuncFrame { CallSite = frame.CallSite, Number = frame.Number, IsCallback = true, CallbackEntry = frame.CallbackEntry, CallbackArgs = frame.CallbackArgs };
                for (int r = 0; r < 11; r++) entry.Regs[r] = RegisterState.NotInit;
                for (int r = 0; r < frame.CallbackArgs!.Length; r++) entry.Regs[r + 1] = frame.CallbackArgs[r];
                entry.Regs[10] = Pointer(RegisterType.PtrToStack) with { Frame = entry.Number };
                again.Cur++;
                again.Frames[again.Cur] = entry;
                again.Insn = frame.CallbackEntry;
                again.Prev = frame.CallSite;
                Fork(again);
            }

            var caller = _cur.Frame;
            caller.Regs[0] = frame.IsCallback ? RegisterState.UnknownScalar : r0;
            for (int r = 1; r <= 5; r++) caller.Regs[r] = RegisterState.NotInit;
            _cur.Frames[_cur.Cur + 1] = null!;
            _cur.Insn = frame.CallSite + 1;
            return true;
        }

        if (_cur.LockMap >= 0) throw Fail(ErrorCode.VerifierSpinLock, "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region");
        if (_cur.Refs.Length > 0)
        {
            var leaked = _cur.Refs[0];
            throw Fail(ErrorCode.VerifierUnreleasedReference, $"Unreleased reference id={leaked.Id} alloc_insn={leaked.Insn}");
        }

        var ret = ReadReg(0);
        if (ret.IsPointer && !_root) throw Fail(ErrorCode.VerifierPointerLeak, "R0 leaks addr as return value");
        if (_type.ReturnRange is { } range)
        {
            if (ret.Type != RegisterType.Scalar)
                throw Fail(ErrorCode.VerifierReturnValue, $"At program exit the register R0 is not a known value ({VerifierLog.TypeName(ret)})");
            MarkRegPrecise(0);
            CheckRange(ret, range.Min, range.Max, "At program exit");
        }

        EndPath();
        return false;
    }

    private void CheckRange(in RegisterState r0, long min, long max, string where)
    {
        // The kernel checks the 32-bit value for return codes when the range fits in 32 bits.
        var v = r0.Value;
        if (v.S32Min >= min && v.S32Max <= max && v.SMin >= min && v.SMax <= max) return;
        if (v.SMin >= min && v.SMax <= max) return;
        var sb = new System.Text.StringBuilder($"{where} the register R0 has");
        if (v.SMin != long.MinValue) sb.Append(CultureInfo.InvariantCulture, $" smin={v.SMin}");
        if (v.SMax != long.MaxValue) sb.Append(CultureInfo.InvariantCulture, $" smax={v.SMax}");
        sb.Append(CultureInfo.InvariantCulture, $" should have been in [{min}, {max}]");
        throw Fail(ErrorCode.VerifierReturnValue, sb.ToString());
    }

    private bool LocalCall(int i, int target)
    {
        if (_cur.LockMap >= 0) throw Fail(ErrorCode.VerifierSpinLock, "function calls are not allowed while holding a lock");
        if (_cur.Cur + 1 >= ControlFlow.MaxCallFrames)
            throw Fail(ErrorCode.VerifierCallStackTooDeep, $"the call stack of {_cur.Cur + 2} frames is too deep");
        var caller = _cur.Frame;
        var callee = new FuncFrame { CallSite = i, Number = _cur.Cur + 1 };
        for (int r = 0; r < 11; r++) callee.Regs[r] = RegisterState.NotInit;
        for (int r = 1; r <= 5; r++) callee.Regs[r] = caller.Regs[r];
        callee.Regs[10] = Pointer(RegisterType.PtrToStack) with { Frame = callee.Number };
        _cur.Cur++;
        _cur.Frames[_cur.Cur] = callee;
        _cur.Insn = target;
        return true;
    }

    /// <summary>Enters a helper's callback as one more frame (bpf_loop, for_each_map_elem), checked once with its argument types.</summary>
    private void EnterCallback(int i, int target, ReadOnlySpan<RegisterState> args)
    {
        if (_cur.Cur + 1 >= ControlFlow.MaxCallFrames)
            throw Fail(ErrorCode.VerifierCallStackTooDeep, $"the call stack of {_cur.Cur + 2} frames is too deep");
        var callee = new FuncFrame { CallSite = i, Number = _cur.Cur + 1, IsCallback = true, CallbackEntry = target, CallbackArgs = args.ToArray() };
        _callbackEntries.Add(target);
        for (int r = 0; r < 11; r++) callee.Regs[r] = RegisterState.NotInit;
        for (int r = 0; r < args.Length; r++) callee.Regs[r + 1] = args[r];
        callee.Regs[10] = Pointer(RegisterType.PtrToStack) with { Frame = callee.Number };
        _cur.Cur++;
        _cur.Frames[_cur.Cur] = callee;
        _cur.Insn = target;
    }

    private void LoadImm64(int i, in Instruction insn)
    {
        var next = _insns[i + 1];
        int d = insn.DstNumber;
        switch (insn.SrcNumber)
        {
            case 0:
                WriteReg(d, new RegisterState(RegisterType.Scalar, ScalarValue.Const(Instruction.WideImmediate(insn, next))));
                return;
            case 1:
            case 2:
            {
                int index = insn.Imm;
                if ((uint)index >= (uint)_programMaps.Count) throw Fail(ErrorCode.VerifierBadInstruction, $"fd {index} is not pointing to valid bpf_map");
                var map = _maps[index];
                if (map.SpinLockOffset is not null && _type.Type is ProgramType.Kprobe or ProgramType.Tracepoint or ProgramType.PerfEvent or ProgramType.RawTracepoint)
                    throw Fail(ErrorCode.VerifierSpinLock, "tracing progs cannot use bpf_spin_lock yet");
                if (insn.SrcNumber == 1)
                {
                    WriteReg(d, Pointer(RegisterType.ConstPtrToMap) with { MapIndex = index });
                    return;
                }

                if (map.Type is not (MapType.Array or MapType.PerCpuArray))
                    throw Fail(ErrorCode.VerifierInvalidAccess, "no direct value access support for this map type");
                if ((uint)next.Imm >= map.ValueSize)
                    throw Fail(ErrorCode.VerifierInvalidAccess, $"invalid access to map value pointer, value_size={map.ValueSize} off={(uint)next.Imm}");
                WriteReg(d, Pointer(RegisterType.PtrToMapValue) with { MapIndex = index, Offset = next.Imm });
                return;
            }

            case 4:
                WriteReg(d, Pointer(RegisterType.PtrToFunc) with { Offset = i + 1 + insn.Imm });
                return;
            default:
                throw Fail(ErrorCode.VerifierBadInstruction, $"invalid bpf_ld_imm64 insn (src {insn.SrcNumber})");
        }
    }
}
