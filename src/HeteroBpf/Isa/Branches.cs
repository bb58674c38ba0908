namespace HeteroBpf.Isa;

/// <summary>Where jumps, local calls and function-address loads point, in slot numbers.</summary>
public static class Branches
{
    /// <summary>True for the two instructions that name a subprogram's first slot: a local <c>call</c> and <c>lddw</c> of a function address.</summary>
    public static bool NamesFunction(in Instruction insn) =>
        (insn.OpCode == Opcodes.Call && insn.SrcNumber == (byte)CallKind.Local)
        || (insn.IsWide && insn.SrcNumber == (byte)LoadImmKind.Func);

    /// <summary>
    /// <paramref name="insn"/> (at <paramref name="slot"/>, one that <see cref="TryGetTarget"/> accepts) pointed at
    /// <paramref name="target"/>, the relative distance written to the field its kind uses: the offset for jumps, the
    /// immediate for <c>gotol</c>, local calls and function addresses.
    /// </summary>
    /// <exception cref="OverflowException">A jump's distance does not fit its 16-bit offset.</exception>
    public static Instruction WithTarget(in Instruction insn, int slot, long target)
    {
        long relative = target - (slot + 1L);
        return InstructionForms.Of(insn.OpCode).Kind is InstructionKind.Ja or InstructionKind.CondJump
            ? insn.WithOffset(checked((short)relative))
            : insn.WithImm(checked((int)relative));
    }

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

    /// <summary>
    /// Where control goes after <paramref name="insn"/> at <paramref name="slot"/>, within its function: <paramref name="next"/>
    /// (the following instruction, past both slots of a <c>lddw</c>; an unconditional jump's target; −1 after
    /// <c>exit</c>) and <paramref name="branch"/> (a conditional jump's target, else −1). Calls return to the next slot.
    /// </summary>
    public static void Successors(in Instruction insn, int slot, out long next, out long branch)
    {
        next = slot + (insn.IsWide ? 2L : 1L);
        branch = -1;
        switch (InstructionForms.Of(insn.OpCode).Kind)
        {
            case InstructionKind.Ja:
            case InstructionKind.Gotol:
                TryGetTarget(insn, slot, out next);
                break;
            case InstructionKind.CondJump:
                TryGetTarget(insn, slot, out branch);
                break;
            case InstructionKind.Exit:
                next = -1;
                break;
        }
    }
}
