namespace HeteroBpf.Asm;

/// <summary>The file and line being assembled: the one place that turns a column and a reason into an error.</summary>
internal sealed class SourceLine(string? file, int line)
{
    /// <summary>1-based line number.</summary>
    public int Line { get; } = line;

    /// <summary>The location of <paramref name="column"/> on this line.</summary>
    public BpfLocation At(int column) => new() { File = file, Line = Line, Column = column };

    /// <summary>An error at <paramref name="column"/> (throw it).</summary>
    public AsmSyntaxException Fail(int column, string reason, ErrorCode code = ErrorCode.AsmSyntax) => new(code, reason, At(column));
}
