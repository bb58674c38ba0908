namespace HeteroBpf.Capture;

/// <summary>One packet as read: bytes (valid until the reader is disposed), time, lengths, interface and file offset.</summary>
public readonly ref struct CapturedPacket
{
    internal CapturedPacket(ReadOnlySpan<byte> data, long timestampNs, uint originalLength, int interfaceIndex, LinkType linkType, long offset)
    {
        Data = data;
        TimestampNs = timestampNs;
        OriginalLength = originalLength;
        InterfaceIndex = interfaceIndex;
        LinkType = linkType;
        Offset = offset;
    }

    /// <summary>The captured bytes, a view of the file or memory the reader was given.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Capture time in nanoseconds since the Unix epoch; 0 for a pcapng simple packet block, which has none.</summary>
    public long TimestampNs { get; }

    /// <summary>Length of the packet on the wire; at least <see cref="Data"/>'s length.</summary>
    public uint OriginalLength { get; }

    /// <summary>Index into <see cref="CaptureReader.Interfaces"/> (the pcapng interface id within its section; 0 for pcap).</summary>
    public int InterfaceIndex { get; }

    /// <summary>Link type of the packet's interface.</summary>
    public LinkType LinkType { get; }

    /// <summary>File offset of the packet's record or block.</summary>
    public long Offset { get; }
}
