using HeteroBpf.Isa;

namespace HeteroBpf.Asm;

/// <summary>Which field a label reference fills once labels are known.</summary>
internal enum LabelField : byte
{
    /// <summary>The 16-bit offset (<c>goto</c>, conditional jumps).</summary>
    Offset,
    /// <summary>The 32-bit immediate (<c>gotol</c>, local <c>call</c>, <c>ld_pseudo</c> of a function).</summary>
    Imm,
}

/// <summary>A label used by an instruction, resolved to a relative slot offset in the second pass.</summary>
internal readonly record struct LabelRef(string Name, int Column, LabelField Field);

/// <summary>One parsed instruction: its slots (a second one for <c>lddw</c>) and an unresolved label, if any.</summary>
internal readonly record struct ParsedStatement(Instruction First, Instruction? Second, LabelRef? Label)
{
    /// <summary>Number of slots.</summary>
    public int Width => Second is null ? 1 : 2;
}

/// <summary>Parses the tokens of one statement in llvm-objdump's BPF syntax (plus the extensions the disassembler prints).</summary>
internal sealed class StatementParser
{
    private static readonly NumberRange Imm32Signed = new(int.MinValue, int.MaxValue, "a sign-extended 32-bit immediate");
    private static readonly NumberRange Imm32 = new(int.MinValue, uint.MaxValue, "a 32-bit immediate");
    private static readonly NumberRange Offset16 = new(short.MinValue, short.MaxValue, "a 16-bit offset");
    private static readonly NumberRange Imm64 = new(long.MinValue, ulong.MaxValue, "64 bits");
    private static readonly NumberRange PseudoSource = new(0, 15, "a 4-bit pseudo source");

    private readonly List<Token> _tokens;
    private readonly SourceLine _line;
    private readonly int _endColumn;
    private int _next;

    private StatementParser(List<Token> tokens, SourceLine line, int endColumn)
    {
        _tokens = tokens;
        _line = line;
        _endColumn = endColumn;
    }

    private readonly record struct NumberRange(Int128 Min, Int128 Max, string What);

    private readonly record struct Reg(byte Number, bool Is64, int Column)
    {
        public string Name => (Is64 ? "r" : "w") + Number;
    }

    private readonly record struct SizeCast(bool Signed, int Bits, MemSize Size, int Column);

    /// <summary>Parses <paramref name="tokens"/> as one instruction; <paramref name="endColumn"/> is the column just past the text (for "found end of line").</summary>
    public static ParsedStatement Parse(List<Token> tokens, SourceLine line, int endColumn) => new StatementParser(tokens, line, endColumn).Statement();

    /// <summary>True when <paramref name="text"/> names a register (<c>r0</c>..<c>r10</c>, <c>w0</c>..<c>w10</c>).</summary>
    public static bool IsRegister(string text) =>
        text.Length is 2 or 3 && text[0] is 'r' or 'w' && byte.TryParse(text.AsSpan(1), out byte n) && n <= 10 && (text.Length == 2 || text[1] != '0');

    private ParsedStatement Statement()
    {
        var first = Peek();
        if (first is { Kind: TokenKind.Punctuation, Text: "*" }) return Store();
        if (first is not { Kind: TokenKind.Identifier } t) throw Expected("an instruction");
        switch (t.Text)
        {
            case "exit":
                Advance();
                return Done(Make(Opcodes.Exit, 0, 0, 0, 0));
            case "callx":
                Advance();
                return Done(Make(Opcodes.CallX, ExpectRegister64("callx").Number, 0, 0, 0));
            case "call":
                Advance();
                return Call();
            case "goto":
                Advance();
                return Target(Make(Opcodes.Ja, 0, 0, 0, 0), LabelField.Offset);
            case "gotol":
                Advance();
                return Target(Make(Opcodes.Gotol, 0, 0, 0, 0), LabelField.Imm);
            case "if":
                Advance();
                return ConditionalJump();
            case "lock":
                Advance();
                return Lock();
            case "ld_pseudo":
                Advance();
                return LoadPseudo();
        }

        RejectBadRegister(t);
        if (IsRegister(t.Text)) return RegisterStatement();
        throw _line.Fail(t.Column, $"unknown instruction '{t.Text}'");
    }

    // call 0x1 (helper) | call pc+0x4 (local) | call kfunc 0x64[, 0x1] | call label (local)
    private ParsedStatement Call()
    {
        if (Peek() is { Kind: TokenKind.Identifier, Text: "pc" } && PeekAt(1) is { Text: "+" or "-" })
        {
            Advance();
            int imm = (int)SignedNumber("a relative slot offset", Imm32Signed, requireSign: true);
            return Done(Make(Opcodes.Call, 0, (byte)CallKind.Local, 0, imm));
        }

        if (Peek() is { Kind: TokenKind.Identifier, Text: "kfunc" } && PeekAt(1) is { Kind: TokenKind.Number } or { Text: "-" or "+" })
        {
            Advance();
            int id = unchecked((int)SignedNumber("a kfunc BTF id", Imm32));
            short offset = 0;
            if (Accept(",")) offset = (short)SignedNumber("a module BTF index", Offset16);
            return Done(Make(Opcodes.Call, 0, (byte)CallKind.Kfunc, offset, id));
        }

        if (Peek() is { Kind: TokenKind.Identifier } label && !IsRegister(label.Text))
        {
            Advance();
            return Done(Make(Opcodes.Call, 0, (byte)CallKind.Local, 0, 0), new LabelRef(label.Text, label.Column, LabelField.Imm));
        }

        int helper = unchecked((int)SignedNumber("a helper id, 'pc+N', 'kfunc N' or a label", Imm32));
        return Done(Make(Opcodes.Call, 0, (byte)CallKind.Helper, 0, helper));
    }

    // if r1 > 0x5 goto +0x4   |   if w1 s< w2 goto label
    private ParsedStatement ConditionalJump()
    {
        var dst = ExpectRegister();
        var opToken = Peek();
        var match = Array.FindIndex(AsmSyntax.JumpOperators, o => opToken is { Kind: TokenKind.Punctuation } && o.Text == opToken.Value.Text);
        if (match < 0) throw Expected("a comparison such as '==', '>', 's<' or '&'");
        Advance();
        var op = AsmSyntax.JumpOperators[match].Op;
        Instruction insn;
        if (TryRegister(out var src))
        {
            SameWidth(dst, src);
            insn = Make(Opcodes.Jump(dst.Is64, op, OperandSource.Reg), dst.Number, src.Number, 0, 0);
        }
        else
        {
            int imm = unchecked((int)SignedNumber("a register or an immediate", dst.Is64 ? Imm32Signed : Imm32));
            insn = Make(Opcodes.Jump(dst.Is64, op, OperandSource.Imm), dst.Number, 0, 0, imm);
        }

        ExpectWord("goto");
        return Target(insn, LabelField.Offset);
    }

    // The target of a jump: +0x4, -2, 7 (relative slots) or a label; llvm's "<sym+0x50>" suffix is ignored.
    private ParsedStatement Target(Instruction insn, LabelField field)
    {
        LabelRef? label = null;
        if (Peek() is { Kind: TokenKind.Identifier } name && !IsRegister(name.Text))
        {
            Advance();
            label = new LabelRef(name.Text, name.Column, field);
        }
        else
        {
            long relative = SignedNumber("a jump target (+N, -N or a label)", field == LabelField.Offset ? Offset16 : Imm32Signed);
            insn = field == LabelField.Offset ? insn.WithOffset((short)relative) : insn.WithImm((int)relative);
        }

        if (Peek() is { Text: "<" })
        {
            // Skip llvm-objdump's symbolic target; the numeric offset before it is what counts.
            while (_next < _tokens.Count && _tokens[_next].Text != ">") _next++;
            if (_next == _tokens.Count) throw Expected("'>' closing the symbolic target");
            _next++;
        }

        return Done(insn, label);
    }

    // lock *(u64 *)(r1 + 0x8) += r2
    private ParsedStatement Lock()
    {
        ExpectPunctuation("*");
        var size = ExpectSizeCast();
        if (size.Signed || size.Bits < 32) throw _line.Fail(size.Column, "atomic operations are u32 or u64");
        var (baseReg, offset) = ExpectAddress(parenthesised: true);
        var opToken = Peek();
        int match = Array.FindIndex(AsmSyntax.LockOperators, o => opToken is { Kind: TokenKind.Punctuation } && o.Text == opToken.Value.Text);
        if (match < 0) throw Expected("'+=', '|=', '&=' or '^='");
        Advance();
        var src = ExpectRegister();
        CheckAtomicWidth(size, src);
        return Done(Atomic(size, baseReg, src, offset, AsmSyntax.LockOperators[match].Op));
    }

    // ld_pseudo r1, 0x2, 0x5[, 0x8]   (src 4 may name a label)
    private ParsedStatement LoadPseudo()
    {
        var dst = ExpectRegister64("ld_pseudo");
        ExpectPunctuation(",");
        byte source = (byte)SignedNumber("a pseudo source", PseudoSource);
        ExpectPunctuation(",");
        LabelRef? label = null;
        int imm = 0;
        if (Peek() is { Kind: TokenKind.Identifier } name && !IsRegister(name.Text))
        {
            if (source != AsmSyntax.PseudoFunc) throw _line.Fail(name.Column, $"a label is allowed only with pseudo source {AsmSyntax.PseudoFunc} (a function address)");
            Advance();
            label = new LabelRef(name.Text, name.Column, LabelField.Imm);
        }
        else
        {
            imm = unchecked((int)SignedNumber("an immediate", Imm32));
        }

        int upper = Accept(",") ? unchecked((int)SignedNumber("an immediate", Imm32)) : 0;
        return Done(Make(Opcodes.Lddw, dst.Number, source, 0, imm), Make(0, 0, 0, 0, upper), label);
    }

    // *(u32 *)(r1 + 0x4) = w2 | 0x5
    private ParsedStatement Store()
    {
        ExpectPunctuation("*");
        var size = ExpectUnsignedSize();
        var (baseReg, offset) = ExpectAddress(parenthesised: true);
        ExpectPunctuation("=");
        if (TryRegister(out var src))
        {
            if (!src.Is64 && size.Bits == 64) throw _line.Fail(src.Column, "a 64-bit store takes an r register");
            return Done(Make(Opcodes.Memory(OpClass.Stx, MemMode.Mem, size.Size), baseReg, src.Number, offset, 0));
        }

        int imm = unchecked((int)SignedNumber("a register or an immediate", size.Bits == 64 ? Imm32Signed : Imm32));
        return Done(Make(Opcodes.Memory(OpClass.St, MemMode.Mem, size.Size), baseReg, 0, offset, imm));
    }

    private ParsedStatement RegisterStatement()
    {
        var dst = ExpectRegister();
        if (Accept("=")) return Assignment(dst);

        var opToken = Peek();
        int match = Array.FindIndex(AsmSyntax.AluOperators, o => opToken is { Kind: TokenKind.Punctuation } && o.Text == opToken.Value.Text);
        if (match < 0) throw Expected("'=' or a compound assignment such as '+='");
        Advance();
        var (_, op, signed) = AsmSyntax.AluOperators[match];
        return AluOperand(dst, op, (short)(signed ? 1 : 0));
    }

    private ParsedStatement AluOperand(Reg dst, AluOp op, short offset)
    {
        if (TryRegister(out var src))
        {
            SameWidth(dst, src);
            return Done(Make(Opcodes.Alu(dst.Is64, op, OperandSource.Reg), dst.Number, src.Number, offset, 0));
        }

        int imm = unchecked((int)SignedNumber("a register or an immediate", dst.Is64 ? Imm32Signed : Imm32));
        return Done(Make(Opcodes.Alu(dst.Is64, op, OperandSource.Imm), dst.Number, 0, offset, imm));
    }

    private ParsedStatement Assignment(Reg dst)
    {
        var t = Peek() ?? throw Expected("a value");
        if (t is { Kind: TokenKind.Punctuation, Text: "*" })
        {
            Advance();
            return Load(dst);
        }

        if (t is { Kind: TokenKind.Punctuation, Text: "-" } && PeekAt(1) is { Kind: TokenKind.Identifier } negated && IsRegister(negated.Text))
        {
            Advance();
            var src = ExpectRegister();
            if (src != dst with { Column = src.Column }) throw _line.Fail(src.Column, $"negation works in place: write {dst.Name} = -{dst.Name}");
            return Done(Make(Opcodes.Alu(dst.Is64, AluOp.Neg, OperandSource.Imm), dst.Number, 0, 0, 0));
        }

        if (t is { Kind: TokenKind.Punctuation, Text: "(" }) return SignExtendingMove(dst);

        if (t is { Kind: TokenKind.Number } || t is { Kind: TokenKind.Punctuation, Text: "-" or "+" })
        {
            if (PeekIsWideSuffix())
            {
                if (!dst.Is64) throw _line.Fail(dst.Column, "a 64-bit immediate load ('ll') needs an r register");
                ulong value = unchecked((ulong)(long)SignedNumber("a 64-bit immediate", Imm64));
                Advance();
                return Done(Make(Opcodes.Lddw, dst.Number, 0, 0, unchecked((int)value)), Make(0, 0, 0, 0, unchecked((int)(value >> 32))));
            }

            return AluOperand(dst, AluOp.Mov, 0);
        }

        if (t.Kind != TokenKind.Identifier) throw Expected("a value, a register, a memory operand or an operation");
        RejectBadRegister(t);
        if (IsRegister(t.Text)) return AluOperand(dst, AluOp.Mov, 0);

        foreach (var (mnemonic, opcode) in AsmSyntax.SwapMnemonics)
        {
            if (t.Text.StartsWith(mnemonic, StringComparison.Ordinal) && int.TryParse(t.Text.AsSpan(mnemonic.Length), out int width) && width is 16 or 32 or 64)
            {
                Advance();
                var src = ExpectRegister();
                if (!dst.Is64 || src != dst with { Column = src.Column }) throw _line.Fail(src.Column, $"byte swaps work in place on an r register: write r{dst.Number} = {t.Text} r{dst.Number}");
                return Done(Make(opcode, dst.Number, 0, 0, width));
            }
        }

        int fetch = Array.FindIndex(AsmSyntax.FetchFunctions, f => f.Text == t.Text);
        if (fetch >= 0)
        {
            Advance();
            ExpectPunctuation("(");
            ExpectPunctuation("(");
            var size = ExpectUnsignedSize(openParenthesisTaken: true);
            if (size.Bits < 32) throw _line.Fail(size.Column, "atomic operations are u32 or u64");
            var (baseReg, offset) = ExpectAddress(parenthesised: true);
            ExpectPunctuation(",");
            var src = ExpectRegister();
            ExpectPunctuation(")");
            CheckAtomicWidth(size, src);
            if (src != dst with { Column = src.Column }) throw _line.Fail(dst.Column, $"{t.Text} returns the old value in its source register: write {src.Name} = {t.Text}(..., {src.Name})");
            return Done(Atomic(size, baseReg, src, offset, AsmSyntax.FetchFunctions[fetch].Op));
        }

        if (t.Text is "xchg_64" or "xchg32_32" or "cmpxchg_64" or "cmpxchg32_32")
        {
            Advance();
            bool is64 = t.Text.EndsWith("_64", StringComparison.Ordinal);
            bool compare = t.Text.StartsWith("cmp", StringComparison.Ordinal);
            var size = new SizeCast(false, is64 ? 64 : 32, is64 ? MemSize.DW : MemSize.W, t.Column);
            ExpectPunctuation("(");
            var (baseReg, offset) = ExpectAddress(parenthesised: false);
            ExpectPunctuation(",");
            if (compare)
            {
                var expected = ExpectRegister();
                if (expected.Number != 0 || dst.Number != 0) throw _line.Fail(expected.Number != 0 ? expected.Column : dst.Column, $"{t.Text} compares with and returns in r0: write r0 = {t.Text}(..., r0, src)");
                CheckAtomicWidth(size, expected);
                ExpectPunctuation(",");
            }

            var src = ExpectRegister();
            ExpectPunctuation(")");
            CheckAtomicWidth(size, src);
            CheckAtomicWidth(size, dst);
            if (!compare && src.Number != dst.Number) throw _line.Fail(dst.Column, $"{t.Text} returns the old value in its source register: write {src.Name} = {t.Text}(..., {src.Name})");
            return Done(Atomic(size, baseReg, src, offset, compare ? AtomicOp.CmpXchg : AtomicOp.Xchg));
        }

        throw _line.Fail(t.Column, $"unknown operation '{t.Text}'");
    }

    // r1 = (s8)r2   |   w1 = (s16)w2
    private ParsedStatement SignExtendingMove(Reg dst)
    {
        ExpectPunctuation("(");
        var width = Peek();
        short bits = width?.Text switch { "s8" => 8, "s16" => 16, "s32" => 32, _ => 0 };
        if (bits == 0) throw Expected("'s8', 's16' or 's32'");
        if (bits == 32 && !dst.Is64) throw _line.Fail(width!.Value.Column, "a 32-bit move sign-extends from s8 or s16 only");
        Advance();
        ExpectPunctuation(")");
        var src = ExpectRegister();
        SameWidth(dst, src);
        return Done(Make(Opcodes.Alu(dst.Is64, AluOp.Mov, OperandSource.Reg), dst.Number, src.Number, bits, 0));
    }

    // After "dst = *": (u32 *)(r1 + 0x4) | (s8 *)(r1 - 0x2) | (u16 *)skb[0x4] | (u8 *)skb[r2 + 0x1]
    private ParsedStatement Load(Reg dst)
    {
        var size = ExpectSizeCast();
        if (Peek() is { Kind: TokenKind.Identifier, Text: "skb" })
        {
            Advance();
            if (size.Signed || size.Bits == 64) throw _line.Fail(size.Column, "packet loads are u8, u16 or u32");
            if (dst.Number != 0 || !dst.Is64) throw _line.Fail(dst.Column, "packet loads (ld_abs, ld_ind) always load into r0");
            ExpectPunctuation("[");
            Instruction insn;
            if (TryRegister(out var index))
            {
                if (!index.Is64) throw _line.Fail(index.Column, "the packet index register is written as an r register");
                long displacement = 0;
                if (Peek() is { Text: "+" or "-" }) displacement = SignedNumber("a displacement", Imm32, requireSign: true);
                insn = Make(Opcodes.Memory(OpClass.Ld, MemMode.Ind, size.Size), 0, index.Number, 0, unchecked((int)displacement));
            }
            else
            {
                int offset = unchecked((int)SignedNumber("a packet offset or a register", Imm32));
                insn = Make(Opcodes.Memory(OpClass.Ld, MemMode.Abs, size.Size), 0, 0, 0, offset);
            }

            ExpectPunctuation("]");
            return Done(insn);
        }

        var (baseReg, memOffset) = ExpectAddress(parenthesised: true);
        if (size.Signed)
        {
            if (size.Bits == 64) throw _line.Fail(size.Column, "there is no sign-extending 64-bit load: use u64");
            if (!dst.Is64) throw _line.Fail(dst.Column, "a sign-extending load fills a whole r register");
            return Done(Make(Opcodes.Memory(OpClass.Ldx, MemMode.MemSx, size.Size), dst.Number, baseReg, memOffset, 0));
        }

        if (!dst.Is64 && size.Bits == 64) throw _line.Fail(dst.Column, "a 64-bit load needs an r register");
        return Done(Make(Opcodes.Memory(OpClass.Ldx, MemMode.Mem, size.Size), dst.Number, baseReg, memOffset, 0));
    }

    // Fields are range-checked before they get here; the casts only pick the field widths.
    private static Instruction Make(byte opcode, int dst, int src, int offset, int imm) => new(opcode, (byte)dst, (byte)src, (short)offset, imm);

    private static Instruction Atomic(SizeCast size, byte baseReg, Reg src, short offset, AtomicOp op) =>
        new(Opcodes.Memory(OpClass.Stx, MemMode.Atomic, size.Size), baseReg, src.Number, offset, (int)op);

    private void CheckAtomicWidth(SizeCast size, Reg reg)
    {
        if (size.Bits == 64 && !reg.Is64) throw _line.Fail(reg.Column, $"a 64-bit atomic takes r registers, not {reg.Name}");
    }

    private void SameWidth(Reg dst, Reg src)
    {
        if (dst.Is64 != src.Is64) throw _line.Fail(src.Column, $"{dst.Name} and {src.Name} mix 64-bit (r) and 32-bit (w) registers");
    }

    // (u32 *) — the opening "(" may already be consumed (atomic_fetch_add((u64 *)...).
    private SizeCast ExpectSizeCast(bool openParenthesisTaken = false)
    {
        if (!openParenthesisTaken) ExpectPunctuation("(");
        if (Peek() is not { Kind: TokenKind.Identifier } word || word.Text.Length < 2 || word.Text[0] is not ('u' or 's'))
        {
            throw Expected("an access size (u8, u16, u32, u64, s8, s16, s32)");
        }

        int index = Array.FindIndex(AsmSyntax.Sizes, s => word.Text.AsSpan(1).SequenceEqual(s.Bits.ToString()));
        if (index < 0) throw Expected("an access size (u8, u16, u32, u64, s8, s16, s32)");
        Advance();
        ExpectPunctuation("*");
        ExpectPunctuation(")");
        var (bits, size) = AsmSyntax.Sizes[index];
        return new SizeCast(word.Text[0] == 's', bits, size, word.Column);
    }

    private SizeCast ExpectUnsignedSize(bool openParenthesisTaken = false)
    {
        var size = ExpectSizeCast(openParenthesisTaken);
        if (size.Signed) throw _line.Fail(size.Column, $"stores and atomics take an unsigned size (u{size.Bits})");
        return size;
    }

    // (r1 + 0x4) or, inside xchg/cmpxchg, r1 - 0x4; the offset may be left out.
    private (byte Register, short Offset) ExpectAddress(bool parenthesised)
    {
        if (parenthesised) ExpectPunctuation("(");
        var reg = ExpectRegister();
        if (!reg.Is64) throw _line.Fail(reg.Column, $"addresses are 64-bit: write r{reg.Number}, not {reg.Name}");
        short offset = 0;
        if (Peek() is { Text: "+" or "-" }) offset = (short)SignedNumber("an offset", Offset16, requireSign: true);
        if (parenthesised) ExpectPunctuation(")");
        return (reg.Number, offset);
    }

    private Reg ExpectRegister()
    {
        if (!TryRegister(out var reg)) throw Expected("a register");
        return reg;
    }

    private Reg ExpectRegister64(string instruction)
    {
        var reg = ExpectRegister();
        if (!reg.Is64) throw _line.Fail(reg.Column, $"{instruction} takes an r register, not {reg.Name}");
        return reg;
    }

    // A name shaped like a register but numbered past 10 (r11, w12) gets its own error rather than "unknown instruction".
    private void RejectBadRegister(Token t)
    {
        if (t.Kind == TokenKind.Identifier && t.Text.Length >= 2 && t.Text[0] is 'r' or 'w' && !t.Text.AsSpan(1).ContainsAnyExceptInRange('0', '9') && !IsRegister(t.Text))
        {
            throw _line.Fail(t.Column, $"{t.Text} is not a register: eBPF has r0..r10 (w0..w10 for their low 32 bits)");
        }
    }

    private bool TryRegister(out Reg reg)
    {
        if (Peek() is { } next) RejectBadRegister(next);
        if (Peek() is { Kind: TokenKind.Identifier } t && IsRegister(t.Text))
        {
            Advance();
            reg = new Reg(byte.Parse(t.Text.AsSpan(1)), t.Text[0] == 'r', t.Column);
            return true;
        }

        reg = default;
        return false;
    }

    // An optionally signed number checked against a field's range; out of range is an error, never truncation.
    private long SignedNumber(string what, NumberRange range, bool requireSign = false)
    {
        var first = Peek();
        bool negative = false;
        if (first is { Kind: TokenKind.Punctuation, Text: "+" or "-" })
        {
            negative = first.Value.Text == "-";
            Advance();
        }
        else if (requireSign)
        {
            throw Expected($"'+' or '-' and {what}");
        }

        if (Peek() is not { Kind: TokenKind.Number } number) throw Expected(what);
        Advance();
        Int128 value = negative ? -(Int128)number.Value : number.Value;
        int column = first!.Value.Column;
        if (value < range.Min || value > range.Max)
        {
            throw _line.Fail(column, $"{(negative ? "-" : "")}{number.Text} does not fit {range.What} ({AsmSyntax.Hex((long)range.Min)}..0x{(ulong)range.Max:x})", ErrorCode.AsmOutOfRange);
        }

        // Values above the signed maximum keep their two's-complement bits in the (narrower) field.
        return value > long.MaxValue ? unchecked((long)(ulong)value) : (long)value;
    }

    private bool PeekIsWideSuffix()
    {
        int i = _next;
        if (i < _tokens.Count && _tokens[i].Text is "+" or "-") i++;
        return i + 1 < _tokens.Count && _tokens[i].Kind == TokenKind.Number && _tokens[i + 1] is { Kind: TokenKind.Identifier, Text: "ll" };
    }

    private void ExpectWord(string word)
    {
        if (Peek() is not { Kind: TokenKind.Identifier } t || t.Text != word) throw Expected($"'{word}'");
        Advance();
    }

    private void ExpectPunctuation(string text)
    {
        if (!Accept(text)) throw Expected($"'{text}'");
    }

    private bool Accept(string text)
    {
        if (Peek() is { Kind: TokenKind.Punctuation } t && t.Text == text)
        {
            Advance();
            return true;
        }

        return false;
    }

    private ParsedStatement Done(Instruction first, LabelRef? label = null) => Done(first, null, label);

    private ParsedStatement Done(Instruction first, Instruction? second, LabelRef? label = null)
    {
        if (Peek() is { } extra) throw _line.Fail(extra.Column, $"unexpected {extra.Describe()} after the instruction");
        return new ParsedStatement(first, second, label);
    }

    private AsmSyntaxException Expected(string what)
    {
        var t = Peek();
        return _line.Fail(t?.Column ?? _endColumn, $"expected {what}, found {(t is { } found ? found.Describe() : "end of line")}");
    }

    private Token? Peek() => _next < _tokens.Count ? _tokens[_next] : null;

    private Token? PeekAt(int ahead) => _next + ahead < _tokens.Count ? _tokens[_next + ahead] : null;

    private void Advance() => _next++;
}
