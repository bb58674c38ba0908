using System.Text;
using HeteroBpf.Isa;

namespace HeteroBpf.Asm;

/// <summary>Prints instructions in the text <c>llvm-objdump-19 -d</c> prints for BPF, extended only where llvm's text loses information.</summary>
/// <remarks>
/// The extensions (each recorded in <c>tests/data/disasm/divergences.txt</c>) make every valid instruction's text assemble
/// back to the same bytes: <c>call pc+0x4</c> (local call), <c>call kfunc 0x64[, 0x1]</c> (kfunc call and its module
/// offset), a fourth <c>ld_pseudo</c> operand (the second slot's immediate of a map-value load), <c>skb[r2 + 0x5]</c>
/// (the immediate of <c>ld_ind</c>) and the <c>w</c>-register syntax of 32-bit atomics even without
/// <see cref="DisassemblerOptions.Alu32Syntax"/>. Encodings <see cref="InstructionForms"/> rejects print as <c>&lt;unknown&gt;</c>.
/// </remarks>
public static class Disassembler
{
    /// <summary>Text of an encoding that is not a valid instruction.</summary>
    public const string Unknown = "<unknown>";

    /// <summary>The listing <c>llvm-objdump -d</c> prints for a section: <c>%8d:\t&lt;hex bytes&gt;\t&lt;text&gt;</c> per instruction (a <c>lddw</c> is one line of 16 bytes), with a symbol header before each symbol's first slot.</summary>
    public static string Listing(ReadOnlySpan<Instruction> program, DisassemblerOptions? options = null)
    {
        options ??= DisassemblerOptions.Default;
        var sb = new StringBuilder(program.Length * 48);
        for (int slot = 0; slot < program.Length;)
        {
            foreach (var symbol in options.Symbols)
            {
                if (symbol.Slot != slot) continue;
                if (sb.Length > 0) sb.Append('\n');
                sb.Append(((long)slot * 8).ToString("x16")).Append(" <").Append(symbol.Name).Append(">:\n");
            }

            ref readonly var insn = ref program[slot];
            bool wide = insn.IsWide && slot + 1 < program.Length && InstructionForms.TryValidate(insn, out _, out _);
            var next = slot + 1 < program.Length ? program[slot + 1] : default;
            sb.Append(slot.ToString().PadLeft(8)).Append(":\t");
            AppendBytes(sb, program.Slice(slot, wide ? 2 : 1));
            sb.Append('\t');
            if (insn.IsWide && !wide) sb.Append(Unknown);
            else Append(sb, insn, slot, next, options);
            sb.Append('\n');
            slot += wide ? 2 : 1;
        }

        return sb.ToString();
    }

    /// <summary>Text of the instruction at <paramref name="slot"/> of <paramref name="program"/> (a <c>lddw</c> reads the next slot too).</summary>
    public static string Format(ReadOnlySpan<Instruction> program, int slot, DisassemblerOptions? options = null)
    {
        var insn = program[slot];
        if (insn.IsWide && slot + 1 >= program.Length) return Unknown;
        return Format(insn, slot, slot + 1 < program.Length ? program[slot + 1] : default, options);
    }

    /// <summary>Text of one instruction at <paramref name="slot"/>; <paramref name="next"/> is the following slot (the upper half of a <c>lddw</c>).</summary>
    public static string Format(in Instruction insn, int slot, in Instruction next, DisassemblerOptions? options = null)
    {
        var sb = new StringBuilder(48);
        Append(sb, insn, slot, next, options ?? DisassemblerOptions.Default);
        return sb.ToString();
    }

    /// <summary>Raw bytes as llvm-objdump prints them: lowercase hex pairs separated by spaces.</summary>
    public static string FormatBytes(ReadOnlySpan<Instruction> slots)
    {
        var sb = new StringBuilder(slots.Length * 24);
        AppendBytes(sb, slots);
        return sb.ToString();
    }

    private static void AppendBytes(StringBuilder sb, ReadOnlySpan<Instruction> slots)
    {
        var bytes = Instruction.AsBytes(slots);
        for (int i = 0; i < bytes.Length; i++)
        {
            if (i > 0) sb.Append(' ');
            sb.Append(bytes[i].ToString("x2"));
        }
    }

    private static void Append(StringBuilder sb, in Instruction insn, int slot, in Instruction next, DisassemblerOptions options)
    {
        var form = InstructionForms.Of(insn.OpCode);
        if (!InstructionForms.TryValidate(insn, out _, out _))
        {
            sb.Append(Unknown);
            return;
        }

        bool is64 = insn.Class is OpClass.Alu64 or OpClass.Jmp;
        char p = is64 ? 'r' : 'w';
        switch (form.Kind)
        {
            case InstructionKind.Alu:
                AppendAlu(sb, insn, p);
                break;
            case InstructionKind.Neg:
                sb.Append(p).Append(insn.DstNumber).Append(" = -").Append(p).Append(insn.DstNumber);
                break;
            case InstructionKind.End:
                byte opcode = insn.OpCode;
                string mnemonic = Array.Find(AsmSyntax.SwapMnemonics, m => m.OpCode == opcode).Text;
                sb.Append('r').Append(insn.DstNumber).Append(" = ").Append(mnemonic).Append(insn.Imm).Append(" r").Append(insn.DstNumber);
                break;
            case InstructionKind.CondJump:
                sb.Append("if ").Append(p).Append(insn.DstNumber).Append(' ').Append(AsmSyntax.JumpOperator(insn.JumpOp)).Append(' ');
                if (insn.Source == OperandSource.Reg) sb.Append(p).Append(insn.SrcNumber);
                else sb.Append(AsmSyntax.Hex(insn.Imm));
                sb.Append(" goto ");
                AppendTarget(sb, insn.Offset, slot, options);
                break;
            case InstructionKind.Ja:
                sb.Append("goto ");
                AppendTarget(sb, insn.Offset, slot, options);
                break;
            case InstructionKind.Gotol:
                sb.Append("gotol ");
                AppendTarget(sb, insn.Imm, slot, options);
                break;
            case InstructionKind.Call:
                AppendCall(sb, insn, options);
                break;
            case InstructionKind.CallX:
                sb.Append("callx r").Append(insn.DstNumber);
                break;
            case InstructionKind.Exit:
                sb.Append("exit");
                break;
            case InstructionKind.Lddw:
                AppendLddw(sb, insn, next, options);
                break;
            case InstructionKind.LoadAbs:
                sb.Append("r0 = *(u").Append(AsmSyntax.Bits(insn.Size)).Append(" *)skb[").Append(AsmSyntax.Hex(insn.Imm)).Append(']');
                break;
            case InstructionKind.LoadInd:
                sb.Append("r0 = *(u").Append(AsmSyntax.Bits(insn.Size)).Append(" *)skb[r").Append(insn.SrcNumber);
                // llvm prints no immediate here, though the kernel adds it to the register.
                if (insn.Imm != 0 && !options.ExactLlvmText) AppendDisplacement(sb, insn.Imm);
                sb.Append(']');
                break;
            case InstructionKind.Load:
                sb.Append(NarrowRegister(insn.Size, options)).Append(insn.DstNumber).Append(" = *(u").Append(AsmSyntax.Bits(insn.Size)).Append(" *)");
                AppendAddress(sb, insn.SrcNumber, insn.Offset);
                break;
            case InstructionKind.LoadSx:
                sb.Append('r').Append(insn.DstNumber).Append(" = *(s").Append(AsmSyntax.Bits(insn.Size)).Append(" *)");
                AppendAddress(sb, insn.SrcNumber, insn.Offset);
                break;
            case InstructionKind.StoreImm:
                sb.Append("*(u").Append(AsmSyntax.Bits(insn.Size)).Append(" *)");
                AppendAddress(sb, insn.DstNumber, insn.Offset);
                sb.Append(" = ").Append(AsmSyntax.Hex(insn.Imm));
                break;
            case InstructionKind.StoreReg:
                sb.Append("*(u").Append(AsmSyntax.Bits(insn.Size)).Append(" *)");
                AppendAddress(sb, insn.DstNumber, insn.Offset);
                sb.Append(" = ").Append(NarrowRegister(insn.Size, options)).Append(insn.SrcNumber);
                break;
            case InstructionKind.Atomic:
                AppendAtomic(sb, insn, options);
                break;
            default:
                sb.Append(Unknown);
                break;
        }
    }

    private static void AppendAlu(StringBuilder sb, in Instruction insn, char p)
    {
        sb.Append(p).Append(insn.DstNumber);
        if (insn.AluOp == AluOp.Mov)
        {
            sb.Append(" = ");
            if (insn.Source == OperandSource.Imm)
            {
                sb.Append(AsmSyntax.Hex(insn.Imm));
                return;
            }

            // A non-zero offset makes the move sign-extend from that many bits (movsx).
            if (insn.Offset != 0) sb.Append("(s").Append(insn.Offset).Append(')');
            sb.Append(p).Append(insn.SrcNumber);
            return;
        }

        bool signed = insn.AluOp is AluOp.Div or AluOp.Mod && insn.Offset == 1;
        sb.Append(' ').Append(AsmSyntax.AluOperator(insn.AluOp, signed)).Append(' ');
        if (insn.Source == OperandSource.Reg) sb.Append(p).Append(insn.SrcNumber);
        else sb.Append(AsmSyntax.Hex(insn.Imm));
    }

    private static void AppendCall(StringBuilder sb, in Instruction insn, DisassemblerOptions options)
    {
        sb.Append("call ");
        switch ((CallKind)insn.SrcNumber)
        {
            case CallKind.Local when !options.ExactLlvmText:
                // The kernel verifier's own notation (kernel/bpf/disasm.c prints "call pc+3").
                sb.Append("pc").Append(AsmSyntax.SignedHex(insn.Imm));
                return;
            case CallKind.Kfunc when !options.ExactLlvmText:
                sb.Append("kfunc ").Append(AsmSyntax.Hex(insn.Imm));
                if (insn.Offset != 0) sb.Append(", ").Append(AsmSyntax.Hex(insn.Offset));
                return;
            default:
                sb.Append(AsmSyntax.Hex(insn.Imm));
                return;
        }
    }

    private static void AppendLddw(StringBuilder sb, in Instruction insn, in Instruction next, DisassemblerOptions options)
    {
        if (insn.SrcNumber == (byte)LoadImmKind.Imm64)
        {
            sb.Append('r').Append(insn.DstNumber).Append(" = ").Append(AsmSyntax.Hex((long)Instruction.WideImmediate(insn, next))).Append(" ll");
            return;
        }

        // llvm prints the pseudo source and the first immediate (unsigned) only; a map-value load keeps its
        // value offset in the second slot, so we print that as a fourth operand when it is not zero.
        sb.Append("ld_pseudo\tr").Append(insn.DstNumber).Append(", ").Append(AsmSyntax.Hex(insn.SrcNumber))
            .Append(", 0x").Append(((uint)insn.Imm).ToString("x"));
        if (next.Imm != 0 && !options.ExactLlvmText) sb.Append(", 0x").Append(((uint)next.Imm).ToString("x"));
    }

    private static void AppendAtomic(StringBuilder sb, in Instruction insn, DisassemblerOptions options)
    {
        bool is64 = insn.Size == MemSize.DW;
        var op = (AtomicOp)insn.Imm;
        if (!is64 && !options.Alu32Syntax && options.ExactLlvmText)
        {
            // Without --mcpu=v3 llvm decodes only the 32-bit add, and ignores its fetch bit.
            if (op is not (AtomicOp.Add or AtomicOp.FetchAdd))
            {
                sb.Append(Unknown);
                return;
            }

            op = AtomicOp.Add;
        }

        // 32-bit atomics print with w registers unless llvm's plain syntax is asked for and it is the plain add.
        char p = is64 || (!options.Alu32Syntax && op == AtomicOp.Add) ? 'r' : 'w';
        int bits = is64 ? 64 : 32;
        string? lockOp = AsmSyntax.AtomicName(AsmSyntax.LockOperators, op);
        string? fetch = AsmSyntax.AtomicName(AsmSyntax.FetchFunctions, op);
        if (lockOp is not null)
        {
            sb.Append("lock *(u").Append(bits).Append(" *)");
            AppendAddress(sb, insn.DstNumber, insn.Offset);
            sb.Append(' ').Append(lockOp).Append(' ').Append(p).Append(insn.SrcNumber);
        }
        else if (fetch is not null)
        {
            sb.Append(p).Append(insn.SrcNumber).Append(" = ").Append(fetch).Append("((u").Append(bits).Append(" *)");
            AppendAddress(sb, insn.DstNumber, insn.Offset);
            sb.Append(", ").Append(p).Append(insn.SrcNumber).Append(')');
        }
        else if (op == AtomicOp.Xchg)
        {
            sb.Append(p).Append(insn.SrcNumber).Append(" = ").Append(is64 ? "xchg_64(" : "xchg32_32(");
            AppendBareAddress(sb, insn.DstNumber, insn.Offset);
            sb.Append(", ").Append(p).Append(insn.SrcNumber).Append(')');
        }
        else
        {
            sb.Append(p).Append("0 = ").Append(is64 ? "cmpxchg_64(" : "cmpxchg32_32(");
            AppendBareAddress(sb, insn.DstNumber, insn.Offset);
            sb.Append(", ").Append(p).Append("0, ").Append(p).Append(insn.SrcNumber).Append(')');
        }
    }

    private static char NarrowRegister(MemSize size, DisassemblerOptions options) =>
        options.Alu32Syntax && size != MemSize.DW ? 'w' : 'r';

    private static void AppendAddress(StringBuilder sb, byte register, short offset)
    {
        sb.Append('(');
        AppendBareAddress(sb, register, offset);
        sb.Append(')');
    }

    private static void AppendBareAddress(StringBuilder sb, byte register, long offset)
    {
        sb.Append('r').Append(register);
        AppendDisplacement(sb, offset);
    }

    private static void AppendDisplacement(StringBuilder sb, long offset) =>
        sb.Append(offset < 0 ? " - " : " + ").Append(AsmSyntax.Hex(Math.Abs(offset)));

    private static void AppendTarget(StringBuilder sb, long relative, int slot, DisassemblerOptions options)
    {
        sb.Append(AsmSyntax.SignedHex(relative));
        long target = slot + 1 + relative;
        CodeSymbol? best = null, first = null;
        foreach (var symbol in options.Symbols)
        {
            if (symbol.Slot <= target && (best is null || symbol.Slot > best.Value.Slot)) best = symbol;
            if (first is null || symbol.Slot < first.Value.Slot) first = symbol;
        }

        // A target before every symbol (a backward jump out of the section) still gets llvm's suffix: the first
        // symbol plus the offset wrapped to 64 bits, as llvm-objdump-19 prints it ("<.text+0xfffffffffffffff0>").
        best ??= first;
        if (best is null) return;
        ulong bytes = unchecked((ulong)((target - best.Value.Slot) * 8));
        sb.Append(" <").Append(best.Value.Name);
        if (bytes != 0) sb.Append("+0x").Append(bytes.ToString("x"));
        sb.Append('>');
    }
}
