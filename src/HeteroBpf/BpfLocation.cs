using System.Text;

namespace HeteroBpf;

/// <summary>Where an input error is: file, byte offset, section, instruction slot, C source line, text line/column.</summary>
/// <remarks>Every part is optional; <see cref="ToString"/> prints only the parts that are known, outermost first.</remarks>
public readonly record struct BpfLocation
{
    /// <summary>The input file.</summary>
    public string? File { get; init; }

    /// <summary>Byte offset in the file.</summary>
    public long? FileOffset { get; init; }

    /// <summary>ELF section.</summary>
    public string? Section { get; init; }

    /// <summary>Instruction index in kernel slot numbering (a <c>lddw</c> counts two).</summary>
    public int? Instruction { get; init; }

    /// <summary>C source file from BTF line info.</summary>
    public string? SourceFile { get; init; }

    /// <summary>C source line from BTF line info.</summary>
    public int? SourceLine { get; init; }

    /// <summary>1-based line of a text input (assembler, JSON).</summary>
    public int? Line { get; init; }

    /// <summary>1-based column of a text input.</summary>
    public int? Column { get; init; }

    /// <summary>A location naming only an instruction slot.</summary>
    public static BpfLocation AtInstruction(int slot) => new() { Instruction = slot };

    /// <summary>This location with the file set (outer layers fill what inner ones cannot know).</summary>
    public BpfLocation InFile(string file) => this with { File = File ?? file };

    /// <summary>True when no part is known.</summary>
    public bool IsEmpty => File is null && FileOffset is null && Section is null && Instruction is null && SourceLine is null && Line is null;

    /// <summary>Formats as <c>file:line:col</c> or <c>file: offset 0x40: section xdp: insn 12 (xdp.c:41)</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        void Sep()
        {
            if (sb.Length > 0) sb.Append(": ");
        }

        if (File is not null) sb.Append(File);
        if (Line is not null)
        {
            sb.Append(File is null ? "line " : ":").Append(Line);
            if (Column is not null) sb.Append(':').Append(Column);
        }

        if (FileOffset is not null)
        {
            Sep();
            sb.Append("offset 0x").Append(FileOffset.Value.ToString("x"));
        }

        if (Section is not null)
        {
            Sep();
            sb.Append("section ").Append(Section);
        }

        if (Instruction is not null)
        {
            Sep();
            sb.Append("insn ").Append(Instruction);
        }

        if (SourceLine is not null)
        {
            sb.Append(sb.Length > 0 ? " (" : "(").Append(SourceFile ?? "?").Append(':').Append(SourceLine).Append(')');
        }

        return sb.ToString();
    }
}
