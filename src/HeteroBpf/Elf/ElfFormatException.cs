namespace HeteroBpf.Elf;

/// <summary>An object file that cannot be read as an eBPF ELF object; the location names file offset, section and symbol.</summary>
public sealed class ElfFormatException : HbpfException
{
    /// <summary>Creates the error.</summary>
    public ElfFormatException(ErrorCode code, string reason, BpfLocation location, Exception? inner = null)
        : base(code, reason, location, inner)
    {
    }

    /// <inheritdoc/>
    public override HbpfException WithLocation(BpfLocation location) => new ElfFormatException(Code, Reason, location, this);
}
