using HeteroBpf.Isa;

namespace HeteroBpf.Verifier;

/// <summary>
/// Which 32-bit definitions need no explicit zero-extension: the kernel's <c>insn_has_def32</c> / <c>mark_insn_zext</c>
/// pair (consumed by <c>opt_subreg_zext_lo32_rnd_hi32</c>), as a static analysis of its own. A 32-bit definition (ALU32,
/// a byte, half or word load, a 32-bit atomic fetch, <c>ld_abs</c>/<c>ld_ind</c>) leaves the upper half of its register
/// zero by the ISA's rule; a backend that computes it with 64-bit instructions must zero it explicitly only if some
/// later instruction reads the register as 64 bits before redefining it.
/// </summary>
/// <remarks>
/// The kernel marks a definition while walking paths (each register remembers the slot of its 32-bit definition); this
/// is a backward "read as 64 bits" liveness over every edge of the program instead, which is a sound over-approximation
/// of it: any 64-bit read reachable from the definition, on any path, feasible or not, keeps the zero-extension. What
/// counts as a 64-bit read follows the kernel's <c>is_reg64</c>: ALU64 and JMP operands, addresses, 8-byte stores,
/// helper arguments R1–R5, R0 at <c>exit</c>; ALU32, JMP32 and narrower stores read only the low half. Two refinements
/// the kernel does not make are sound because the instruction physically reads only low bits: a sign-extending 64-bit
/// move (<c>r = (s32)w</c>) and a narrow 64-bit <c>bswap</c>. A call of any kind also reads whatever registers a
/// subprogram's entry reads before writing them, so a callee (or callback) that reads R6–R9 of its caller — refused by
/// the verifier, but possible in the unverified programs the JITs' tests feed — is covered too. For the same reason a
/// call or <c>ld_abs</c> counts as writing R0 only: the kernel clobbers R1–R5 there, but the engines leave them as they
/// were, and a verified program never reads them before writing them again, so nothing is lost by it.
/// </remarks>
public static class ZeroExtension
{
    private const ushort Args = 0b11_1110; // R1–R5
    private const ushort AllRegs = 0x3ff; // R0–R9 (R10 is never written)

    /// <summary>
    /// The register a 32-bit definition at <paramref name="insn"/> writes (the kernel's <c>insn_def_regno</c> where
    /// <c>insn_has_def32</c> holds), or −1 when the instruction writes all 64 bits or no register.
    /// </summary>
    public static int Def32Register(in Instruction insn)
    {
        switch (InstructionForms.Of(insn.OpCode).Kind)
        {
            case InstructionKind.Alu:
            case InstructionKind.Neg:
                return insn.Class == OpClass.Alu ? insn.DstNumber : -1;
            case InstructionKind.End:
                return insn.Class == OpClass.Alu && insn.Imm != 64 ? insn.DstNumber : -1;
            case InstructionKind.Load:
                return insn.Size != MemSize.DW ? insn.DstNumber : -1;
            case InstructionKind.LoadAbs:
            case InstructionKind.LoadInd:
                return 0;
            case InstructionKind.Atomic when insn.Size == MemSize.W && (insn.Imm & 1) != 0: // BPF_FETCH
                return insn.Imm == (int)AtomicOp.CmpXchg ? 0 : insn.SrcNumber;
            default:
                return -1;
        }
    }

    /// <summary>
    /// True for an instruction whose only effect is to zero the upper half of its register: <c>w = w</c> (the kernel's
    /// zext idiom, <c>BPF_ZEXT_REG</c>) and <c>le32</c>; a backend may emit nothing for it where
    /// <see cref="SlotFacts.NoZeroExtension"/> holds.
    /// </summary>
    public static bool IsZeroExtensionOnly(in Instruction insn) =>
        insn.Class == OpClass.Alu
        && ((insn.AluOp == AluOp.Mov && insn.Source == OperandSource.Reg && insn.SrcNumber == insn.DstNumber && insn.Offset == 0)
            || (insn.AluOp == AluOp.End && insn.Source == OperandSource.Imm && insn.Imm == 32));

    /// <summary>
    /// Per slot of <paramref name="program"/>: true when the instruction there is a 32-bit definition (see
    /// <see cref="Def32Register"/>) whose register no path reads as 64 bits before writing it again, so its explicit
    /// zero-extension may be skipped. False everywhere else (the second slot of a <c>lddw</c> included).
    /// </summary>
    /// <remarks>Needs only a layout-valid program (<see cref="InstructionDecoder.TryValidate"/>): jumps out of range are ignored.</remarks>
    public static bool[] Analyze(ReadOnlySpan<Instruction> program)
    {
        int n = program.Length;
        var use64 = new ushort[n];
        var def = new ushort[n];
        var succ = new int[2 * n];
        var calls = new bool[n];
        var entries = new List<int>();
        for (int i = 0; i < n; i++)
        {
            succ[2 * i] = succ[2 * i + 1] = -1;
            if (i > 0 && program[i - 1].IsWide) continue; // the second slot of a lddw: never executed on its own
            Describe(program[i], out use64[i], out def[i], out calls[i]);
            Branches.Successors(program[i], i, out long next, out long branch);
            succ[2 * i] = Slot(next, n);
            succ[2 * i + 1] = Slot(branch, n);
            if (Branches.NamesFunction(program[i]) && Branches.TryGetTarget(program[i], i, out long target) && (ulong)target < (ulong)n)
                entries.Add((int)target);
        }

        // liveIn[i]: registers some path from slot i reads as 64 bits before writing them. Calls read the union of what
        // the subprogram entries read, itself part of the fixpoint.
        var liveIn = new ushort[n];
        ushort entryReads = 0;
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int i = n - 1; i >= 0; i--)
            {
                ushort uses = calls[i] ? (ushort)(use64[i] | entryReads) : use64[i];
                ushort next = (ushort)((uses | (Out(liveIn, succ, i) & ~def[i])) & AllRegs);
                if (next != liveIn[i])
                {
                    liveIn[i] = next;
                    changed = true;
                }
            }

            ushort reads = 0;
            foreach (int e in entries) reads |= liveIn[e];
            if (reads != entryReads)
            {
                entryReads = reads;
                changed = true;
            }
        }

        var result = new bool[n];
        for (int i = 0; i < n; i++)
        {
            if (i > 0 && program[i - 1].IsWide) continue;
            int r = Def32Register(program[i]);
            if (r >= 0) result[i] = (Out(liveIn, succ, i) & (1 << r)) == 0;
        }

        return result;
    }

    private static int Out(ushort[] liveIn, int[] succ, int i)
    {
        int o = 0;
        for (int k = 0; k < 2; k++)
        {
            int t = succ[2 * i + k];
            if ((uint)t < (uint)liveIn.Length) o |= liveIn[t];
        }

        return o;
    }

    // A successor slot inside the program, or −1.
    private static int Slot(long target, int n) => (ulong)target < (ulong)n ? (int)target : -1;

    // What one instruction reads as 64 bits, writes (any width), and whether it is a call.
    private static void Describe(in Instruction insn, out ushort use64, out ushort def, out bool call)
    {
        ushort d = (ushort)(1 << insn.DstNumber);
        ushort s = (ushort)(insn.SrcNumber < 11 ? 1 << insn.SrcNumber : 0);
        bool reg = insn.Source == OperandSource.Reg;
        bool wide = insn.Class is OpClass.Alu64 or OpClass.Jmp;
        use64 = 0;
        def = 0;
        call = false;
        switch (InstructionForms.Of(insn.OpCode).Kind)
        {
            case InstructionKind.Alu:
                def = d;
                if (!wide) break; // ALU32 reads both operands' low halves only
                if (insn.AluOp == AluOp.Mov)
                {
                    // A sign-extending move reads at most the low 32 bits of its source.
                    if (reg && insn.Offset == 0) use64 = s;
                }
                else
                {
                    use64 = (ushort)(d | (reg ? s : 0));
                }

                break;
            case InstructionKind.Neg:
                def = d;
                if (wide) use64 = d;
                break;
            case InstructionKind.End:
                def = d;
                if (insn.Imm == 64) use64 = d; // a 16- or 32-bit swap reads only the low half
                break;
            case InstructionKind.CondJump:
                if (wide) use64 = (ushort)(d | (reg ? s : 0));
                break;
            case InstructionKind.Call:
                use64 = Args;
                def = 1; // R0 (R1–R5 are clobbered too, but engines keep them: see the remarks)
                call = true;
                break;
            case InstructionKind.CallX:
                use64 = (ushort)(Args | d);
                def = 1; // R0 (R1–R5 are clobbered too, but engines keep them: see the remarks)
                call = true;
                break;
            case InstructionKind.Exit:
                use64 = 1;
                break;
            case InstructionKind.Lddw:
                def = d;
                break;
            case InstructionKind.LoadAbs:
                use64 = 1 << 6;
                def = 1; // R0 (R1–R5 are clobbered too, but engines keep them: see the remarks)
                break;
            case InstructionKind.LoadInd:
                use64 = (ushort)(1 << 6 | s);
                def = 1; // R0 (R1–R5 are clobbered too, but engines keep them: see the remarks)
                break;
            case InstructionKind.Load:
            case InstructionKind.LoadSx:
                use64 = s; // the address
                def = d;
                break;
            case InstructionKind.StoreImm:
                use64 = d;
                break;
            case InstructionKind.StoreReg:
                use64 = (ushort)(d | (insn.Size == MemSize.DW ? s : 0));
                break;
            case InstructionKind.Atomic:
                {
                    bool dw = insn.Size == MemSize.DW;
                    use64 = (ushort)(d | (dw ? s : 0));
                    if (insn.Imm == (int)AtomicOp.CmpXchg)
                    {
                        if (dw) use64 |= 1; // R0 is the expected value
                        def = 1;
                    }
                    else if ((insn.Imm & 1) != 0)
                    {
                        def = s;
                    }

                    break;
                }
        }
    }
}
