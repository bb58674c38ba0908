namespace HeteroBpf.Asm;

/// <summary>Assembler text that cannot be assembled; the location carries file, line and column.</summary>
public sealed class AsmSyntaxException : HbpfException
{
    /// <summary>Creates the error.</summary>
    public AsmSyntaxException(ErrorCode code, string reason, BpfLocation location, Exception? inner = null)
        : base(code, reason, location, inner)
    {
    }

    /// <inheritdoc/>
    public override HbpfException WithLocation(BpfLocation location) => new AsmSyntaxException(Code, Reason, location, this);
}
