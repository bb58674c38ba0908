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
            succ[2 * i] = succ[2 * i + 1] = -1;
            var insn = insns[i];
            int d = insn.DstNumber, s = insn.SrcNumber;
            ushort dBit = (ushort)(1 << d), sBit = (ushort)(s < 11 ? 1 << s : 0);
            switch (insn.Class)
            {
                case OpClass.Alu:
                case OpClass.Alu64:
                    if (insn.AluOp == AluOp.Mov) use[i] = insn.Source == OperandSource.Reg ? sBit : (ushort)0;
                    else use[i] = (ushort)(dBit | (insn.Source == OperandSource.Reg ? sBit : 0));
                    def[i] = dBit;
                    succ[2 * i] = i + 1;
                    break;
                case OpClass.Ldx:
                    use[i] = sBit;
                    def[i] = dBit;
                    succ[2 * i] = i + 1;
                    break;
                case OpClass.St:
                    use[i] = dBit;
                    succ[2 * i] = i + 1;
                    break;
                case OpClass.Stx:
                    use[i] = (ushort)(dBit | sBit | (insn.Mode == MemMode.Atomic ? 1 : 0));
                    if (insn.Mode == MemMode.Atomic) def[i] = 0; // a fetch writes src (or R0) but reads it too
                    succ[2 * i] = i + 1;
                    break;
                case OpClass.Ld:
                    if (insn.IsWide)
                    {
                        def[i] = dBit;
                        succ[2 * i] = i + 2;
                    }
                    else
                    {
                        use[i] = (ushort)(1 << 6 | (insn.Mode == MemMode.Ind ? sBit : 0));
                        def[i] = 0b111111;
                        succ[2 * i] = i + 1;
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
                        succ[2 * i] = i + 1;
                    }
                    else if (op == JumpOp.Ja)
                    {
                        succ[2 * i] = i + 1 + (insn.Class == OpClass.Jmp32 ? insn.Imm : insn.Offset);
                    }
                    else
                    {
                        use[i] = (ushort)(dBit | (insn.Source == OperandSource.Reg ? sBit : 0));
                        succ[2 * i] = i + 1;
                        succ[2 * i + 1] = i + 1 + insn.Offset;
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
}
