using HeteroBpf.Isa;

namespace HeteroBpf.Verifier;

/// <summary>
/// Which registers an instruction's successors may still read (static liveness per slot, within each function): pruning
/// ignores the others, as the kernel ignores registers its liveness marks never read.
/// </summary>
internal static class Liveness
{
    public static bool[][] Compute(ReadOnlySpan<Instruction> insns)
    {
        int n = insns.Length;
        var use = new ushort[n];
        var def = new ushort[n];
        var succ = new int[n * 2];
        for (int i = 0; i < n; i++)
        {
            var insn = insns[i];
            Branches.Successors(insn, i, out long next, out long branch);
            succ[2 * i] = (int)next;
            succ[2 * i + 1] = (int)branch;
            int d = insn.DstNumber, s = insn.SrcNumber;
            ushort dBit = (ushort)(1 << d), sBit = (ushort)(s < 11 ? 1 << s : 0);
            switch (insn.Class)
            {
                case OpClass.Alu:
                case OpClass.Alu64:
                    if (insn.AluOp == AluOp.Mov) use[i] = insn.Source == OperandSource.Reg ? sBit : (ushort)0;
                    else use[i] = (ushort)(dBit | (insn.Source == OperandSource.Reg ? sBit : 0));
                    def[i] = dBit;
                    break;
                case OpClass.Ldx:
                    use[i] = sBit;
                    def[i] = dBit;
                    break;
                case OpClass.St:
                    use[i] = dBit;
                    break;
                case OpClass.Stx:
                    use[i] = (ushort)(dBit | sBit | (insn.Mode == MemMode.Atomic ? 1 : 0));
                    if (insn.Mode == MemMode.Atomic) def[i] = 0; // a fetch writes src (or R0) but reads it too
                    break;
                case OpClass.Ld:
                    if (insn.IsWide)
                    {
                        def[i] = dBit;
                    }
                    else
                    {
                        use[i] = (ushort)(1 << 6 | (insn.Mode == MemMode.Ind ? sBit : 0));
                        def[i] = 0b111111;
                    }

                    break;
                default:
                    var op = insn.JumpOp;
                    if (op == JumpOp.Exit)
                    {
                        use[i] = 1;
                    }
                    else if (op == JumpOp.Call)
                    {
                        use[i] = 0b111110;
                        def[i] = 0b111111;
                    }
                    else if (op != JumpOp.Ja)
                    {
                        use[i] = (ushort)(dBit | (insn.Source == OperandSource.Reg ? sBit : 0));
                    }

                    break;
            }
        }

        var liveIn = new ushort[n];
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int i = n - 1; i >= 0; i--)
            {
                int outSet = 0;
                for (int k = 0; k < 2; k++)
                {
                    int t = succ[2 * i + k];
                    if ((uint)t < (uint)n) outSet |= liveIn[t];
                }

                ushort inSet = (ushort)((use[i] | (outSet & ~def[i])) & 0x3ff);
                if (inSet != liveIn[i])
                {
                    liveIn[i] = inSet;
                    changed = true;
                }
            }
        }

        var result = new bool[n][];
        for (int i = 0; i < n; i++)
        {
            result[i] = new bool[10];
            for (int r = 0; r < 10; r++) result[i][r] = (liveIn[i] & (1 << r)) != 0;
        }

        return result;
    }

    /// <summary>
    /// Which registers' values at each slot may still reach a safety decision (a branch, a helper argument, the return
    /// value, an address or a stored value), by a backward flow through the ALU. A scalar outside this set may differ
    /// freely when pruning: a static superset of the kernel's precision marks, used only against callback states still being
    /// explored, whose backtracked marks (<c>Precision.cs</c>) are not final yet.
    /// </summary>
    public static bool[][] ComputePrecise(ReadOnlySpan<Instruction> insns, Func<int, bool> exitReadsR0, out ulong[] preciseSlots)
    {
        int n = insns.Length;
        var preciseIn = new ushort[n];
        var slotsIn = new ulong[n];
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int i = n - 1; i >= 0; i--)
            {
                var insn = insns[i];
                int d = insn.DstNumber, s = insn.SrcNumber;
                ushort dBit = (ushort)(1 << d), sBit = (ushort)(s < 11 ? 1 << s : 0);
                ulong before = slotsIn[i];
                int outSet = 0;
                ulong slotsOut = 0;
                void From(int t, ushort[] set, int len, ref int o)
                {
                    if ((uint)t >= (uint)len) return;
                    o |= set[t];
                    slotsOut |= slotsIn[t];
                }

                int inSet;
                ulong slotsNow;
                // Stack slots addressed straight from r10 are tracked one by one; any other access may be the stack.
                int slot = insn.Offset is >= -512 and < 0 ? (insn.Offset + 512) / 8 : -1;
                switch (insn.Class)
                {
                    case OpClass.Alu:
                    case OpClass.Alu64:
                        From(i + 1, preciseIn, n, ref outSet);
                        inSet = outSet;
                        if ((outSet & dBit) != 0)
                        {
                            if (insn.AluOp == AluOp.Mov) inSet &= ~dBit;
                            if (insn.Source == OperandSource.Reg) inSet |= sBit;
                        }

                        break;
                    case OpClass.Ldx:
                        From(i + 1, preciseIn, n, ref outSet);
                        inSet = (outSet & ~dBit) | sBit;
                        slotsNow = slotsOut;
                        if ((outSet & dBit) != 0) slotsNow |= s == 10 && slot >= 0 ? 1UL << slot : ulong.MaxValue;
                        slotsIn[i] = slotsNow;
                        break;
                    case OpClass.St:
                        From(i + 1, preciseIn, n, ref outSet);
                        inSet = outSet | dBit;
                        if (d == 10 && slot >= 0 && insn.Size == MemSize.DW && (slot * 8 - 512) == insn.Offset) slotsOut &= ~(1UL << slot);
                        slotsIn[i] = slotsOut;
                        break;
                    case OpClass.Stx:
                        From(i + 1, preciseIn, n, ref outSet);
                        inSet = outSet | dBit | 1;
                        if (d == 10 && slot >= 0 && insn.Mode != MemMode.Atomic)
                        {
                            // A value spilled to a tracked slot matters only if the slot does.
                            if ((slotsOut & (1UL << slot)) != 0) inSet |= sBit;
                            if (insn.Size == MemSize.DW && (slot * 8 - 512) == insn.Offset) slotsOut &= ~(1UL << slot);
                        }
                        else
                        {
                            inSet |= sBit;
                            if (insn.Mode == MemMode.Atomic) slotsOut = ulong.MaxValue;
                        }

                        slotsIn[i] = slotsOut;
                        break;
                    case OpClass.Ld:
                        if (insn.IsWide)
                        {
                            From(i + 2, preciseIn, n, ref outSet);
                            inSet = outSet & ~dBit;
                        }
                        else
                        {
                            From(i + 1, preciseIn, n, ref outSet);
                            inSet = (outSet & ~0b111111) | (1 << 6) | (insn.Mode == MemMode.Ind ? sBit : 0);
                        }

                        break;
                    default:
                        var op = insn.JumpOp;
                        if (op == JumpOp.Exit)
                        {
                            inSet = exitReadsR0(i) ? 1 : 0;
                        }
                        else if (op == JumpOp.Call)
                        {
                            From(i + 1, preciseIn, n, ref outSet);
                            inSet = (outSet & ~0b111111) | 0b111110;
                            slotsOut = ulong.MaxValue;
                        }
                        else if (op == JumpOp.Ja)
                        {
                            From(i + 1 + (insn.Class == OpClass.Jmp32 ? insn.Imm : insn.Offset), preciseIn, n, ref outSet);
                            inSet = outSet;
                        }
                        else
                        {
                            From(i + 1, preciseIn, n, ref outSet);
                            From(i + 1 + insn.Offset, preciseIn, n, ref outSet);
                            inSet = outSet | dBit | (insn.Source == OperandSource.Reg ? sBit : 0);
                        }

                        break;
                }

                if (insn.Class is not (OpClass.Ldx or OpClass.St or OpClass.Stx)) slotsIn[i] = slotsOut;
                ushort next = (ushort)(inSet & 0x3ff);
                if (next != preciseIn[i] || slotsIn[i] != before)
                {
                    preciseIn[i] = next;
                    changed = true;
                }
            }
        }

        var result = new bool[n][];
        for (int i = 0; i < n; i++)
        {
            result[i] = new bool[10];
            for (int r = 0; r < 10; r++) result[i][r] = (preciseIn[i] & (1 << r)) != 0;
        }

        preciseSlots = slotsIn;
        return result;
    }
}
