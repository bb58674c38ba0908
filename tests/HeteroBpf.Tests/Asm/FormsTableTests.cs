using HeteroBpf.Asm;
using HeteroBpf.Isa;

namespace HeteroBpf.Tests.Asm;

/// <summary>
/// <c>tests/data/disasm/forms.txt</c> both ways through our own tools: the bytes print as the text and the text
/// assembles to the bytes. Its text is checked against llvm-objdump-19 by <see cref="ObjdumpOracleTests"/>.
/// </summary>
public sealed class FormsTableTests
{
    /// <summary>Every case, by id.</summary>
    public static TheoryData<string> Cases() => new(FormsTable.All.Select(c => c.Id));

    [Theory]
    [MemberData(nameof(Cases))]
    public void BytesPrintAsTheText(string id)
    {
        var c = FormsTable.All.Single(f => f.Id == id);
        Assert.Equal(c.Text, Disassembler.Format(c.Slots, 0, new DisassemblerOptions { Alu32Syntax = c.Alu32 }));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TextAssemblesToTheBytes(string id)
    {
        var c = FormsTable.All.Single(f => f.Id == id);
        Assert.Equal(Disassembler.FormatBytes(c.Slots), Disassembler.FormatBytes(Assembler.AssembleOne(c.Text)));
    }

    [Fact]
    public void EveryOpcodeHasACase()
    {
        var seen = FormsTable.All.Select(c => c.Bytes[0]).ToHashSet();
        var missing = InstructionForms.ValidOpcodes().Where(op => !seen.Contains(op)).ToList();
        Assert.True(missing.Count == 0, "opcodes with no forms.txt line: " + string.Join(", ", missing.Select(op => $"0x{op:x2} ({InstructionForms.Of(op).Kind})")));
        var invalid = FormsTable.All.Where(c => !InstructionForms.TryValidate(c.Slots[0], out _, out _)).Select(c => c.Id).ToList();
        Assert.True(invalid.Count == 0, "forms.txt lines that are not valid instructions: " + string.Join(", ", invalid));
    }
}
