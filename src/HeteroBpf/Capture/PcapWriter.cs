using System.Buffers.Binary;

namespace HeteroBpf.Capture;

/// <summary>Writes a little-endian pcap file (version 2.4), microsecond or nanosecond, one record per <see cref="Write"/>.</summary>
public sealed class PcapWriter : IDisposable
{
    private const int RecordHeaderLength = 16;
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly uint _snapLength;
    private readonly bool _nanosecond;

    /// <summary>Writes the file header to <paramref name="stream"/>, which the caller keeps owning.</summary>
    public PcapWriter(Stream stream, LinkType linkType, uint snapLength = 262144, bool nanosecond = true)
        : this(stream, linkType, snapLength, nanosecond, ownsStream: false)
    {
    }

    private PcapWriter(Stream stream, LinkType linkType, uint snapLength, bool nanosecond, bool ownsStream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfZero(snapLength);
        _stream = stream;
        _ownsStream = ownsStream;
        _snapLength = snapLength;
        _nanosecond = nanosecond;
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, nanosecond ? 0xA1B23C4Du : 0xA1B2C3D4u);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)linkType);
        _stream.Write(header);
    }

    /// <summary>Records written so far.</summary>
    public long Count { get; private set; }

    /// <summary>Creates (or replaces) the file at <paramref name="path"/> and writes its header; disposing closes the file.</summary>
    public static PcapWriter Create(string path, LinkType linkType, uint snapLength = 262144, bool nanosecond = true)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        try
        {
            return new PcapWriter(stream, linkType, snapLength, nanosecond, ownsStream: true);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Appends one record; <paramref name="originalLength"/> 0 means <paramref name="data"/>'s length; microsecond files drop the rest of a microsecond.</summary>
    public void Write(ReadOnlySpan<byte> data, long timestampNs, uint originalLength = 0)
    {
        if ((uint)data.Length > _snapLength) throw new ArgumentException($"{data.Length} bytes exceed the snap length {_snapLength}", nameof(data));
        if (originalLength == 0) originalLength = (uint)data.Length;
        if (originalLength < (uint)data.Length) throw new ArgumentOutOfRangeException(nameof(originalLength), originalLength, $"below the {data.Length} bytes captured");

        // pcap's seconds are an unsigned 32-bit count: 1970 to 2106.
        long seconds = Math.DivRem(timestampNs, 1_000_000_000L, out long nanoseconds);
        if (timestampNs < 0 || seconds > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(timestampNs), timestampNs, "outside pcap's 1970-2106");

        Span<byte> header = stackalloc byte[RecordHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)(_nanosecond ? nanoseconds : nanoseconds / 1000));
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], originalLength);
        _stream.Write(header);
        _stream.Write(data);
        Count++;
    }

    /// <summary>Flushes; closes the file only if <see cref="Create"/> opened it.</summary>
    public void Dispose()
    {
        if (_ownsStream) _stream.Dispose();
        else _stream.Flush();
    }
}
