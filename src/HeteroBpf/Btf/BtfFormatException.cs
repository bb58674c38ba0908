namespace HeteroBpf.Btf;

/// <summary>Malformed or unusable BTF: the location names the section (<c>.BTF</c> or <c>.BTF.ext</c>) and the byte offset in the blob.</summary>
/// <remarks>
/// <see cref="BpfLocation.FileOffset"/> holds the offset inside the section blob, since this layer never sees the file;
/// the ELF layer rebases it with <see cref="HbpfException.WithLocation"/>. <see cref="BlobOffset"/> keeps the original.
/// </remarks>
public sealed class BtfFormatException : HbpfException
{
    /// <summary>Creates the error.</summary>
    public BtfFormatException(ErrorCode code, string reason, string section, long? blobOffset, int? typeId = null)
        : base(code, typeId is null ? reason : $"type [{typeId}]: {reason}", new BpfLocation { Section = section, FileOffset = blobOffset })
    {
        BlobOffset = blobOffset;
        TypeId = typeId;
    }

    private BtfFormatException(BtfFormatException inner, BpfLocation location)
        : base(inner.Code, inner.Reason, location, inner)
    {
        BlobOffset = inner.BlobOffset;
        TypeId = inner.TypeId;
    }

    /// <summary>Byte offset of the problem inside the section blob, when it has one.</summary>
    public long? BlobOffset { get; }

    /// <summary>The type id concerned, when there is one.</summary>
    public int? TypeId { get; }

    /// <inheritdoc/>
    public override HbpfException WithLocation(BpfLocation location) => new BtfFormatException(this, location);
}
