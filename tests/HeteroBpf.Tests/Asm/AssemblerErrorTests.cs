using HeteroBpf.Asm;

namespace HeteroBpf.Tests.Asm;

/// <summary>Bad assembler text: each error is an <see cref="AsmSyntaxException"/> with a stable code, the file, line and column of the culprit, and a message that names it.</summary>
public sealed class AssemblerErrorTests
{
    /// <summary>Source, then where the error must point (line, column), its code and words its reason must contain.</summary>
    public static TheoryData<string, string, int, int, ErrorCode, string> Errors() => new()
    {
        { "unknown mnemonic", "r0 = 0x1\nfoo r1\nexit", 2, 1, ErrorCode.AsmSyntax, "unknown instruction 'foo'" },
        { "unknown operation", "r0 = bar r1\nexit", 1, 6, ErrorCode.AsmSyntax, "unknown operation 'bar'" },
        { "register r11 as destination", "r11 = 0x1\nexit", 1, 1, ErrorCode.AsmSyntax, "r11 is not a register" },
        { "register r11 as source", "r0 = r11\nexit", 1, 6, ErrorCode.AsmSyntax, "r11 is not a register" },
        { "register w12 in a jump", "if w12 > 0x1 goto +0x0\nexit", 1, 4, ErrorCode.AsmSyntax, "w12 is not a register" },
        { "register r15 as a base", "r0 = *(u32 *)(r15 + 0x0)\nexit", 1, 15, ErrorCode.AsmSyntax, "r15 is not a register" },
        { "mixed register widths", "r0 += w1\nexit", 1, 7, ErrorCode.AsmSyntax, "mix 64-bit (r) and 32-bit (w)" },
        { "ALU64 immediate above 32 bits", "r0 += 0x100000000\nexit", 1, 7, ErrorCode.AsmOutOfRange, "does not fit a sign-extended 32-bit immediate" },
        { "ALU64 immediate not sign-extendable", "r0 = 0x80000000\nexit", 1, 6, ErrorCode.AsmOutOfRange, "0x80000000 does not fit" },
        { "ALU32 immediate below 32 bits", "w0 = -0x80000001\nexit", 1, 6, ErrorCode.AsmOutOfRange, "does not fit a 32-bit immediate" },
        { "lddw immediate above 64 bits", "r0 = 0x10000000000000000 ll\nexit", 1, 6, ErrorCode.AsmOutOfRange, "does not fit in 64 bits" },
        { "memory offset above 16 bits", "r0 = *(u64 *)(r1 + 0x8000)\nexit", 1, 18, ErrorCode.AsmOutOfRange, "does not fit a 16-bit offset" },
        { "jump offset above 16 bits", "goto +0x8000\nexit", 1, 6, ErrorCode.AsmOutOfRange, "does not fit a 16-bit offset" },
        { "jump offset below 16 bits", "if r1 == 0x0 goto -0x8001\nexit", 1, 19, ErrorCode.AsmOutOfRange, "does not fit a 16-bit offset" },
        { "unknown label", "r0 = 0x0\nif r0 == 0x0 goto nowhere\nexit", 2, 19, ErrorCode.AsmUnknownLabel, "unknown label 'nowhere'" },
        { "unknown call label", "call missing\nexit", 1, 6, ErrorCode.AsmUnknownLabel, "unknown label 'missing'" },
        { "duplicate label", "top:\nr0 = 0x0\n  top: exit", 3, 3, ErrorCode.AsmDuplicateLabel, "label 'top' is already defined on line 1" },
        { "register as a label", "r1:\nexit", 1, 1, ErrorCode.AsmSyntax, "'r1' is a register and cannot be a label" },
        { "missing operand", "r0 +=\nexit", 1, 6, ErrorCode.AsmSyntax, "expected a register or an immediate, found end of line" },
        { "missing jump target", "goto\nexit", 1, 5, ErrorCode.AsmSyntax, "expected a jump target" },
        { "missing store value", "*(u32 *)(r10 - 0x4) =\nexit", 1, 22, ErrorCode.AsmSyntax, "found end of line" },
        { "missing goto", "if r1 > 0x2 +0x1\nexit", 1, 13, ErrorCode.AsmSyntax, "expected 'goto'" },
        { "trailing junk", "exit now", 1, 6, ErrorCode.AsmSyntax, "unexpected 'now' after the instruction" },
        { "trailing operand", "r0 = 0x1 0x2\nexit", 1, 10, ErrorCode.AsmSyntax, "unexpected '0x2' after the instruction" },
        { "stray character", "r0 = 0x1 @\nexit", 1, 10, ErrorCode.AsmSyntax, "unexpected character '@'" },
        { "bad number", "r0 = 0x1g\nexit", 1, 6, ErrorCode.AsmSyntax, "'0x1g' is not a number" },
        { "bad access size", "r0 = *(u12 *)(r1 + 0x0)\nexit", 1, 8, ErrorCode.AsmSyntax, "expected an access size" },
        { "jump outside the program", "r0 = 0x0\ngoto +0x5\nexit", 2, 1, ErrorCode.JumpOutOfRange, "outside the program" },
        { "listing bytes disagree with the text", "       0:\tb7 00 00 00 01 00 00 00\tr0 = 0x2\n       1:\t95 00 00 00 00 00 00 00\texit", 1, 11, ErrorCode.AsmSyntax, "the listed bytes b7 00 00 00 01 00 00 00 disagree with the text" },
        { "listing with a partial slot", "       0:\tb7 00 00 00 01 00\tr0 = 0x1", 1, 11, ErrorCode.AsmSyntax, "expected 8 or 16 instruction bytes, found 6" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void ErrorNamesFileLineColumnAndCause(string what, string source, int line, int column, ErrorCode code, string reason)
    {
        var error = Assert.Throws<AsmSyntaxException>(() => Assembler.Assemble(source, "prog.s"));
        Assert.IsAssignableFrom<HbpfException>(error);
        Assert.True(error.Code == code, $"{what}: code {error.Code}, expected {code} ({error.Message})");
        Assert.Equal(("prog.s", line, column), (error.Location.File, error.Location.Line, error.Location.Column));
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.StartsWith($"prog.s:{line}:{column}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelBeyondTheSixteenBitOffsetAsksForGotol()
    {
        // 32768 slots ahead is one past the largest 16-bit offset; gotol reaches it.
        string filler = string.Concat(Enumerable.Repeat("r0 += 0x1\n", 32768));
        var error = Assert.Throws<AsmSyntaxException>(() => Assembler.Assemble("goto far\n" + filler + "far:\nexit\n", "long.s"));
        Assert.Equal(ErrorCode.AsmOutOfRange, error.Code);
        Assert.Equal(("long.s", 1, 6), (error.Location.File, error.Location.Line, error.Location.Column));
        Assert.Contains("32768 slots away", error.Reason, StringComparison.Ordinal);
        Assert.Contains("gotol", error.Reason, StringComparison.Ordinal);

        var backward = Assert.Throws<AsmSyntaxException>(() => Assembler.Assemble("back:\n" + filler + "if r0 != 0x0 goto back\nexit\n", "long.s"));
        Assert.Equal(ErrorCode.AsmOutOfRange, backward.Code);
        Assert.Equal((32770, 19), (backward.Location.Line ?? 0, backward.Location.Column ?? 0));

        Assert.Equal(32770, Assembler.Assemble("gotol far\n" + filler + "far:\nexit\n").Length);
    }

    [Fact]
    public void AssembleOneRefusesLabels()
    {
        var error = Assert.Throws<AsmSyntaxException>(() => Assembler.AssembleOne("goto out"));
        Assert.Equal(ErrorCode.AsmUnknownLabel, error.Code);
        Assert.Equal(6, error.Location.Column);
    }

    [Fact]
    public void ErrorWithoutFileNamesTheLine()
    {
        var error = Assert.Throws<AsmSyntaxException>(() => Assembler.Assemble("exit\nfoo\n"));
        Assert.Null(error.Location.File);
        Assert.StartsWith("line 2:1: ", error.Message, StringComparison.Ordinal);
    }
}
