namespace HeteroBpf.Isa;

/// <summary>Where jumps, local calls and function-address loads point, in slot numbers.</summary>
public static class Branches
{
    /// <summary>True when the instruction at <paramref name="slot"/> names another slot (jump, local call, <c>lddw</c> of a subprogram address); gives that slot.</summary>
    public static bool TryGetTarget(in Instruction insn, int slot, out long target)
    {
        switch (InstructionForms.Of(insn.OpCode).Kind)
        {
            case InstructionKind.Ja:
            case InstructionKind.CondJump:
                target = slot + 1L + insn.Offset;
                return true;
            case InstructionKind.Gotol:
                target = slot + 1L + insn.Imm;
                return true;
            case InstructionKind.Call when insn.SrcNumber == (byte)CallKind.Local:
                target = slot + 1L + insn.Imm;
                return true;
            case InstructionKind.Lddw when insn.SrcNumber == (byte)LoadImmKind.Func:
                target = slot + 1L + insn.Imm;
                return true;
            default:
                target = 0;
                return false;
        }
    }
}
