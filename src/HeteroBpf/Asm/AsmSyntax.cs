using HeteroBpf.Isa;

namespace HeteroBpf.Asm;

/// <summary>The words of llvm-objdump's BPF syntax, shared by the disassembler (to print) and the assembler (to parse).</summary>
internal static class AsmSyntax
{
    /// <summary>Compound assignment of each ALU operation; <c>Signed</c> marks the offset-1 forms of div/mod.</summary>
    public static readonly (string Text, AluOp Op, bool Signed)[] AluOperators =
    [
        ("+=", AluOp.Add, false), ("-=", AluOp.Sub, false), ("*=", AluOp.Mul, false), ("/=", AluOp.Div, false),
        ("s/=", AluOp.Div, true), ("|=", AluOp.Or, false), ("&=", AluOp.And, false), ("<<=", AluOp.Lsh, false),
        (">>=", AluOp.Rsh, false), ("%=", AluOp.Mod, false), ("s%=", AluOp.Mod, true), ("^=", AluOp.Xor, false),
        ("s>>=", AluOp.Arsh, false),
    ];

    /// <summary>Comparison of each conditional jump.</summary>
    public static readonly (string Text, JumpOp Op)[] JumpOperators =
    [
        ("==", JumpOp.Jeq), (">", JumpOp.Jgt), (">=", JumpOp.Jge), ("&", JumpOp.Jset), ("!=", JumpOp.Jne),
        ("s>", JumpOp.Jsgt), ("s>=", JumpOp.Jsge), ("<", JumpOp.Jlt), ("<=", JumpOp.Jle), ("s<", JumpOp.Jslt),
        ("s<=", JumpOp.Jsle),
    ];

    /// <summary>Compound assignment of each non-fetching atomic (<c>lock *(u64 *)(r1 + 0x0) += r2</c>).</summary>
    public static readonly (string Text, AtomicOp Op)[] LockOperators =
    [
        ("+=", AtomicOp.Add), ("|=", AtomicOp.Or), ("&=", AtomicOp.And), ("^=", AtomicOp.Xor),
    ];

    /// <summary>Function-call name of each fetching atomic (<c>r2 = atomic_fetch_add((u64 *)(r1 + 0x0), r2)</c>).</summary>
    public static readonly (string Text, AtomicOp Op)[] FetchFunctions =
    [
        ("atomic_fetch_add", AtomicOp.FetchAdd), ("atomic_fetch_or", AtomicOp.FetchOr),
        ("atomic_fetch_and", AtomicOp.FetchAnd), ("atomic_fetch_xor", AtomicOp.FetchXor),
    ];

    /// <summary>Byte-swap mnemonics by opcode: <c>le</c>/<c>be</c> (ALU, source bit) and <c>bswap</c> (ALU64).</summary>
    public static readonly (string Text, byte OpCode)[] SwapMnemonics =
    [
        ("le", Opcodes.Alu(false, AluOp.End, OperandSource.Imm)),
        ("be", Opcodes.Alu(false, AluOp.End, OperandSource.Reg)),
        ("bswap", Opcodes.Alu(true, AluOp.End, OperandSource.Imm)),
    ];

    /// <summary>Sizes by their width in bits.</summary>
    public static readonly (int Bits, MemSize Size)[] Sizes = [(8, MemSize.B), (16, MemSize.H), (32, MemSize.W), (64, MemSize.DW)];

    /// <summary>The BPF_PSEUDO_FUNC source of <c>ld_pseudo</c>, whose immediate is a relative slot offset and may be a label.</summary>
    public const int PseudoFunc = (int)LoadImmKind.Func;

    /// <summary>Width in bits of an access size.</summary>
    public static int Bits(MemSize size) => Instruction.SizeInBytes(size) * 8;

    /// <summary>Text of an ALU operation.</summary>
    public static string AluOperator(AluOp op, bool signed)
    {
        foreach (var (text, o, s) in AluOperators)
        {
            if (o == op && s == signed) return text;
        }

        throw new ArgumentOutOfRangeException(nameof(op), op, "no compound assignment");
    }

    /// <summary>Text of a conditional jump's comparison.</summary>
    public static string JumpOperator(JumpOp op)
    {
        foreach (var (text, o) in JumpOperators)
        {
            if (o == op) return text;
        }

        throw new ArgumentOutOfRangeException(nameof(op), op, "not a conditional jump");
    }

    /// <summary>Finds the name of an atomic operation in one of the tables.</summary>
    public static string? AtomicName((string Text, AtomicOp Op)[] table, AtomicOp op)
    {
        foreach (var (text, o) in table)
        {
            if (o == op) return text;
        }

        return null;
    }

    /// <summary>Hex as llvm 19 prints immediates: <c>0x1f</c>, <c>-0x1</c>.</summary>
    public static string Hex(long value) =>
        value < 0 ? "-0x" + unchecked((ulong)-value).ToString("x") : "0x" + ((ulong)value).ToString("x");

    /// <summary>A relative target as llvm prints it: <c>+0x4</c>, <c>-0x2</c>, <c>+0x0</c>.</summary>
    public static string SignedHex(long value) => value < 0 ? Hex(value) : "+" + Hex(value);
}
