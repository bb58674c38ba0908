using System.Runtime.InteropServices;
using HeteroBpf.Isa;

namespace HeteroBpf.Verifier;

/// <summary>
/// Precision tracking (the kernel's <c>mark_chain_precision</c>): scalars start imprecise, and a kept state's scalar
/// matches any scalar when pruning unless a later safety decision on some path below it needed its value. When a
/// decision needs a value (a pointer offset, a helper's size or constant, a decided branch, a checked return value),
/// the path's instruction history is walked backwards to the instructions that produced it, across kept states,
/// frames and stack spills, marking each kept state's copy of it precise.
/// </summary>
internal sealed partial class Walker
{
    // The backtracking masks, per frame number: registers (bit r) and spilled slots (bit s) still being traced.
    private readonly ushort[] _btRegs = new ushort[ControlFlow.MaxCallFrames];
    private readonly ulong[] _btSlots = new ulong[ControlFlow.MaxCallFrames];

    // Positions refined together by conditional jumps (frame * 128 + register, or + 16 + slot), referenced from history entries.
    private readonly List<int> _linkedPool = [];

    private const int LinkedSlotBase = 16;

    /// <summary>Marks register <paramref name="r"/> of the current frame precise as the current instruction reads it.</summary>
    private void MarkRegPrecise(int r)
    {
        if (_cur.Regs[r].Type != RegisterType.Scalar) return;
        // Backtrack's first step, without clearing the masks: already traced from the previous instruction.
        var hist = CollectionsMarshal.AsSpan(_cur.Hist);
        if (hist.Length >= 2 && hist[^2].Frame == _cur.Cur && (hist[^2].Clean & (1 << r)) != 0) return;
        ClearMasks();
        _btRegs[_cur.Cur] = (ushort)(1 << r);
        _btTop = _cur.Cur;
        Backtrack(skipCurrent: true);
    }

    /// <summary>
    /// After the instruction just executed (the last history entry): its <see cref="HistEntry.Clean"/>, from the previous
    /// entry's (none at the start of a segment: the kept state it starts from has no marks). A register the instruction
    /// leaves alone stays as it was; one it defines is clean when everything <see cref="BacktrackInsn"/> would trace it to
    /// instead is (nothing, for a constant). Frame changes and linked registers leave nothing clean.
    /// </summary>
    private void NoteClean(in Instruction insn)
    {
        var hist = CollectionsMarshal.AsSpan(_cur.Hist);
        ref var e = ref hist[^1];
        int before = 0;
        if (hist.Length >= 2)
        {
            ref var prev = ref hist[^2];
            if (prev.Frame != e.Frame) return;
            before = prev.Clean;
        }

        if (e.Frame != _cur.Cur || e.InCallback || e.Linked != 0) return;
        int d = insn.DstNumber, s = insn.SrcNumber;
        int dBit = 1 << d, sBit = 1 << s;
        int after = before;
        switch (insn.Class)
        {
            case OpClass.Alu:
            case OpClass.Alu64:
            {
                bool clean;
                if (insn.AluOp == AluOp.Mov) clean = insn.Source == OperandSource.Imm || (before & sBit) != 0;
                else if (insn.AluOp is AluOp.Neg or AluOp.End || insn.Source == OperandSource.Imm) clean = (before & dBit) != 0;
                else clean = (before & dBit) != 0 && (before & sBit) != 0;
                after = clean ? before | dBit : before & ~dBit;
                break;
            }

            case OpClass.Ldx:
                // Traced no further, unless the value came from a spilled slot.
                after = e.Stack == StackEffect.Fill ? before & ~dBit : before | dBit;
                break;
            case OpClass.St:
            case OpClass.Stx:
                // A plain store moves slot marks only; an atomic's fetch defines a register traced no further.
                if (insn.Mode == MemMode.Atomic && (insn.Imm & 1) != 0) after = before | ((AtomicOp)insn.Imm == AtomicOp.CmpXchg ? 1 : sBit);
                break;
            case OpClass.Ld:
                after = before | (insn.IsWide ? dBit : 0b111111);
                break;
            default:
                var op = insn.JumpOp;
                if (op == JumpOp.Ja) break;
                if (op == JumpOp.Call && s == 0)
                {
                    // A helper's R0 is traced no further; R1–R5 would fall back to marking everything.
                    after = (before & ~0b111110) | 1;
                    break;
                }

                if (op is JumpOp.Call or JumpOp.Exit) return;
                // Both sides of a comparison are traced together: clean only if both were.
                if (insn.Source == OperandSource.Reg && ((before & dBit) == 0 || (before & sBit) == 0)) after = before & ~(dBit | sBit);
                break;
        }

        e.Clean = (ushort)after;
    }

    /// <summary>Marks a spilled slot precise as the current instruction reads it.</summary>
    private void MarkSlotPrecise(int frame, int slot)
    {
        ClearMasks();
        _btSlots[frame] = 1UL << slot;
        _btTop = frame;
        Backtrack(skipCurrent: true);
    }

    /// <summary>
    /// The kernel's <c>propagate_precision</c>: this path was pruned against <paramref name="old"/>, whose safety rests on
    /// its precise scalars; the same scalars of this path become precise.
    /// </summary>
    private void PropagatePrecision(VState old, bool[] live)
    {
        ClearMasks();
        bool any = false;
        for (int f = 0; f <= old.Cur; f++)
        {
            var o = old.Frames[f];
            int regs = o.PreciseRegs;
            if (f == old.Cur)
            {
                for (int r = 0; r < 10; r++)
                {
                    if (!live[r]) regs &= ~(1 << r);
                }
            }

            _btRegs[f] = (ushort)regs;
            _btSlots[f] = o.PreciseSlots;
            _btTop = f;
            any |= regs != 0 || o.PreciseSlots != 0;
        }

        if (any) Backtrack(skipCurrent: false);
    }

    // The highest frame whose masks may be non-zero: the mask loops stop there (most walks stay in frame 0).
    private int _btTop = ControlFlow.MaxCallFrames - 1;

    private void ClearMasks()
    {
        for (int f = 0; f <= _btTop; f++)
        {
            _btRegs[f] = 0;
            _btSlots[f] = 0;
        }

        _btTop = 0;
    }

    /// <summary>Whether the masks trace registers of frame <paramref name="fr"/> only (no slots, no other frame).</summary>
    private bool OnlyRegsOf(int fr)
    {
        for (int f = 0; f <= _btTop; f++)
        {
            if (_btSlots[f] != 0 || (f != fr && _btRegs[f] != 0)) return false;
        }

        return true;
    }

    private bool MasksEmpty()
    {
        for (int f = 0; f <= _btTop; f++)
        {
            if (_btRegs[f] != 0 || _btSlots[f] != 0) return false;
        }

        return true;
    }

    /// <summary>Records, for a conditional jump on scalars, every position sharing an id with either operand.</summary>
    private void NoteLinked(in RegisterState dst, in RegisterState src)
    {
        int a = dst.Type == RegisterType.Scalar ? dst.Id : 0;
        int b = src.Type == RegisterType.Scalar ? src.Id : 0;
        if (a == 0 && b == 0) return;
        int start = _linkedPool.Count;
        _linkedPool.Add(0);
        for (int f = 0; f <= _cur.Cur; f++)
        {
            var frame = _cur.Frames[f];
            for (int r = 0; r < 11; r++)
            {
                var x = frame.Regs[r];
                if (x.Type == RegisterType.Scalar && x.Id != 0 && (x.Id == a || x.Id == b)) _linkedPool.Add(f * 128 + r);
            }

            for (int s = 0; s < FuncFrame.Slots; s++)
            {
                if (frame.Bytes[s * 8] != StackByte.Spill && frame.Bytes[s * 8 + 7] != StackByte.Spill) continue;
                var x = frame.Spills[s];
                if (x.Type == RegisterType.Scalar && x.Id != 0 && (x.Id == a || x.Id == b)) _linkedPool.Add(f * 128 + LinkedSlotBase + s);
            }
        }

        _linkedPool[start] = _linkedPool.Count - start - 1;
        CurrentEntry().Linked = start + 1;
    }

    private ref HistEntry CurrentEntry() => ref CollectionsMarshal.AsSpan(_cur.Hist)[^1];

    /// <summary>Records what the current instruction did to a stack slot.</summary>
    private void NoteStack(StackEffect effect, int frame, int slot, int spillReg = -1)
    {
        ref var e = ref CurrentEntry();
        // An instruction touching two slots (an atomic reads then writes one) keeps the stronger effect.
        if (e.Stack == StackEffect.Spill && effect != StackEffect.Spill) return;
        e.Stack = effect;
        e.SlotFrame = (byte)frame;
        e.Slot = (byte)slot;
        e.SpillReg = (sbyte)spillReg;
    }

    /// <summary>Walks the current path backwards from its last instruction, marking kept states, until nothing is left to trace.</summary>
    private void Backtrack(bool skipCurrent)
    {
        int fr = _cur.Cur;
        // Every frame the walk writes masks for stays at or below the top: the walk's own frame included.
        _btTop = Math.Max(_btTop, fr);
        var entries = CollectionsMarshal.AsSpan(_cur.Hist);
        int k = entries.Length - 1 - (skipCurrent ? 1 : 0);
        var cp = _cur.Parent;
        while (true)
        {
            for (; k >= 0; k--)
            {
                ref var e = ref entries[k];
                if (e.Frame == fr && OnlyRegsOf(fr))
                {
                    // Registers traced from here before: the rest of the walk would mark nothing new (marks only grow).
                    ushort m = _btRegs[fr];
                    if ((m & ~e.Clean) == 0) return;
                    // This walk traces them now, to its end: a later walk reaching here with no more stops.
                    e.Clean |= m;
                }

                if (!BacktrackInsn(e, ref fr))
                {
                    MarkAllPrecise();
                    return;
                }

                if (MasksEmpty()) return;
            }

            // At the start of the segment: the masks describe the kept state the segment began from.
            if (cp is null) return;
            if (cp.Cur != fr)
            {
                MarkAllPrecise();
                return;
            }

            for (int f = 0; f <= cp.Cur; f++)
            {
                _btRegs[f] = (ushort)cp.MarkRegs(f, _btRegs[f]);
                _btSlots[f] = cp.MarkSlots(f, _btSlots[f]);
            }

            for (int f = cp.Cur + 1; f <= _btTop; f++)
            {
                if (_btRegs[f] != 0 || _btSlots[f] != 0)
                {
                    MarkAllPrecise();
                    return;
                }
            }

            if (MasksEmpty()) return;
            entries = cp.Hist;
            k = entries.Length - 1;
            cp = cp.Parent;
        }
    }

    private static bool Has(ushort mask, int r) => r < 16 && (mask & (1 << r)) != 0;

    /// <summary>
    /// One instruction backwards (the kernel's <c>backtrack_insn</c>): the masks before it from the masks after it.
    /// False when it cannot say (then everything is marked precise).
    /// </summary>
    private bool BacktrackInsn(in HistEntry e, ref int fr)
    {
        var insn = _insns[e.Insn];
        if (e.InCallback) return false;
        if (e.Frame != fr)
        {
            bool isExit = insn.Class == OpClass.Jmp && insn.JumpOp == JumpOp.Exit;
            bool isLocalCall = insn.Class == OpClass.Jmp && insn.JumpOp == JumpOp.Call && insn.SrcNumber == 1;
            if (e.Frame == fr + 1 && isExit && fr + 1 < _btRegs.Length)
            {
                // Back into the callee through its exit: the caller's R0 was the callee's; R1–R5 were clobbered.
                if ((_btRegs[fr] & 0b111110) != 0 || _btRegs[fr + 1] != 0 || _btSlots[fr + 1] != 0) return false;
                if ((_btRegs[fr] & 1) != 0)
                {
                    _btRegs[fr] &= unchecked((ushort)~1);
                    _btRegs[fr + 1] = 1;
                }

                fr++;
                _btTop = Math.Max(_btTop, fr);
                return true;
            }

            if (e.Frame == fr - 1 && isLocalCall)
            {
                // Back out of the callee through the call: its R1–R5 were the caller's; nothing else existed yet.
                if ((_btRegs[fr] & ~0b111110) != 0 || _btSlots[fr] != 0) return false;
                _btRegs[fr - 1] |= _btRegs[fr];
                _btRegs[fr] = 0;
                fr--;
                return true;
            }

            return false;
        }

        ref ushort regs = ref _btRegs[fr];
        int d = insn.DstNumber, s = insn.SrcNumber;
        switch (insn.Class)
        {
            case OpClass.Alu:
            case OpClass.Alu64:
                if (!Has(regs, d)) return true;
                if (insn.AluOp == AluOp.Mov)
                {
                    regs &= (ushort)~(1 << d);
                    if (insn.Source == OperandSource.Reg) regs |= (ushort)(1 << s);
                }
                else if (insn.AluOp is not (AluOp.Neg or AluOp.End) && insn.Source == OperandSource.Reg)
                {
                    regs |= (ushort)(1 << s);
                }

                return true;
            case OpClass.Ldx:
                if (!Has(regs, d)) return true;
                regs &= (ushort)~(1 << d);
                if (e.Stack == StackEffect.Fill)
                {
                    _btSlots[e.SlotFrame] |= 1UL << e.Slot;
                    _btTop = Math.Max(_btTop, e.SlotFrame);
                }

                return true;
            case OpClass.St:
            case OpClass.Stx:
                if (insn.Mode == MemMode.Atomic)
                {
                    // The loaded value and the slot's new content are unknown scalars: nothing before them matters.
                    bool fetch = (insn.Imm & 1) != 0;
                    if (fetch) regs &= (ushort)~(1 << ((AtomicOp)insn.Imm == AtomicOp.CmpXchg ? 0 : s));
                    if (e.Stack != StackEffect.None) _btSlots[e.SlotFrame] &= ~(1UL << e.Slot);
                    return true;
                }

                if (e.Stack == StackEffect.None || (_btSlots[e.SlotFrame] & (1UL << e.Slot)) == 0) return true;
                if (e.Stack != StackEffect.Spill) return false;
                _btSlots[e.SlotFrame] &= ~(1UL << e.Slot);
                if (e.SpillReg >= 0) regs |= (ushort)(1 << e.SpillReg);
                return true;
            case OpClass.Ld:
                if (insn.IsWide) regs &= (ushort)~(1 << d);
                else regs &= unchecked((ushort)~0b111111);
                return true;
            default:
                var op = insn.JumpOp;
                if (op == JumpOp.Ja) return true;
                if (op == JumpOp.Call)
                {
                    if (insn.SrcNumber != 0) return false;
                    // A helper's R0 is its own; R1–R5 were clobbered, so none can be traced past it.
                    if ((regs & 0b111110) != 0) return false;
                    regs &= unchecked((ushort)~1);
                    return true;
                }

                if (op == JumpOp.Exit) return false;
                if (insn.Source == OperandSource.Reg && (Has(regs, d) || Has(regs, s)))
                {
                    // Both sides of a comparison shape the range learnt by either.
                    regs |= (ushort)((1 << d) | (1 << s));
                }

                if (e.Linked != 0) BacktrackLinked(e);
                return true;
        }
    }

    // Registers and spills refined together by a jump: if any is traced, all are.
    private void BacktrackLinked(in HistEntry e)
    {
        int first = e.Linked, count = _linkedPool[first - 1];
        bool any = false;
        for (int k = 0; k < count && !any; k++)
        {
            int p = _linkedPool[first + k];
            int f = p / 128, x = p % 128;
            any = x < LinkedSlotBase ? Has(_btRegs[f], x) : (_btSlots[f] & (1UL << (x - LinkedSlotBase))) != 0;
        }

        if (!any) return;
        for (int k = 0; k < count; k++)
        {
            int p = _linkedPool[first + k];
            int f = p / 128, x = p % 128;
            if (x < LinkedSlotBase) _btRegs[f] |= (ushort)(1 << x);
            else _btSlots[f] |= 1UL << (x - LinkedSlotBase);
            _btTop = Math.Max(_btTop, f);
        }
    }

    /// <summary>
    /// The kernel's <c>mark_all_scalars_precise</c> fallback: every scalar of every kept state this path descends from
    /// becomes precise, when backtracking meets what it does not trace (callbacks, unexpected frames).
    /// </summary>
    private void MarkAllPrecise()
    {
        for (var cp = _cur.Parent; cp is not null && !cp.AllPrecise; cp = cp.Parent)
        {
            cp.AllPrecise = true;
            cp.MarkAll();
        }
    }
}
