namespace HeteroBpf.Elf;

/// <summary>An object file that cannot be read as an eBPF ELF object; the location names file offset, section and
/// instruction, the reason the phase and symbol.</summary>
public sealed class ElfFormatException : HbpfException
{
    /// <summary>Creates the error.</summary>
    public ElfFormatException(ErrorCode code, string reason, BpfLocation location, Exception? inner = null, IReadOnlyList<ElfFormatException>? problems = null)
        : base(code, reason, location, inner)
    {
        Problems = problems ?? [this];
    }

    /// <summary>Every problem the failing phase found, in file order; this error reports the first.</summary>
    public IReadOnlyList<ElfFormatException> Problems { get; }

    /// <inheritdoc/>
    public override HbpfException WithLocation(BpfLocation location) => new ElfFormatException(Code, Reason, location, this, Problems);
}
