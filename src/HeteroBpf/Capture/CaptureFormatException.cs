namespace HeteroBpf.Capture;

/// <summary>A capture file that cannot be read; the location names the file and the offset of the bad header, record or block.</summary>
public sealed class CaptureFormatException : HbpfException
{
    /// <summary>Creates the error.</summary>
    public CaptureFormatException(ErrorCode code, string reason, string file, long offset)
        : base(code, reason, new BpfLocation { File = file, FileOffset = offset })
    {
        Offset = offset;
    }

    private CaptureFormatException(CaptureFormatException inner, BpfLocation location)
        : base(inner.Code, inner.Reason, location, inner)
    {
        Offset = inner.Offset;
    }

    /// <summary>File offset of the header, record or block at fault.</summary>
    public long Offset { get; }

    /// <inheritdoc/>
    public override HbpfException WithLocation(BpfLocation location) => new CaptureFormatException(this, location);
}
