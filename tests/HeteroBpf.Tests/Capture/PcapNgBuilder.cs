using System.Buffers.Binary;

namespace HeteroBpf.Tests.Capture;

/// <summary>Writes pcapng blocks by hand, in either byte order, for cases no tool makes (bad lengths, odd options).</summary>
public sealed class PcapNgBuilder(bool bigEndian = false)
{
    private readonly List<byte> _bytes = [];

    /// <summary>Where the next block starts.</summary>
    public long Length => _bytes.Count;

    public byte[] ToArray() => [.. _bytes];

    public PcapNgBuilder Section(ushort major = 1, byte[]? options = null, uint byteOrderMagic = 0x1A2B3C4D) =>
        Block(0x0A0D0D0A, [.. U32(byteOrderMagic), .. U16(major), .. U16(0), .. U64(ulong.MaxValue), .. options ?? []]);

    public PcapNgBuilder Interface(ushort linkType, uint snapLength = 0, byte[]? options = null) =>
        Block(1, [.. U16(linkType), .. U16(0), .. U32(snapLength), .. options ?? []]);

    public PcapNgBuilder Enhanced(uint interfaceId, ulong timestamp, byte[] data, uint? originalLength = null, byte[]? options = null) =>
        Block(6, [.. U32(interfaceId), .. U32((uint)(timestamp >> 32)), .. U32((uint)timestamp), .. U32((uint)data.Length), .. U32(originalLength ?? (uint)data.Length), .. Pad(data), .. options ?? []]);

    public PcapNgBuilder Simple(uint originalLength, byte[] data) => Block(3, [.. U32(originalLength), .. Pad(data)]);

    /// <summary>A block with the given body (padded to 4); <paramref name="total"/> and <paramref name="trailer"/> override the lengths.</summary>
    public PcapNgBuilder Block(uint type, byte[] body, uint? total = null, uint? trailer = null)
    {
        byte[] padded = Pad(body);
        uint length = (uint)(12 + padded.Length);
        _bytes.AddRange(U32(type));
        _bytes.AddRange(U32(total ?? length));
        _bytes.AddRange(padded);
        _bytes.AddRange(U32(trailer ?? total ?? length));
        return this;
    }

    public byte[] Option(ushort code, byte[] value) => [.. U16(code), .. U16((ushort)value.Length), .. Pad(value)];

    public byte[] EndOfOptions() => [0, 0, 0, 0];

    public byte[] U16(ushort v)
    {
        byte[] b = new byte[2];
        if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v);
        else BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        return b;
    }

    public byte[] U32(uint v)
    {
        byte[] b = new byte[4];
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v);
        else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    public byte[] U64(ulong v)
    {
        byte[] b = new byte[8];
        if (bigEndian) BinaryPrimitives.WriteUInt64BigEndian(b, v);
        else BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return b;
    }

    private static byte[] Pad(byte[] b) => [.. b, .. new byte[(4 - (b.Length % 4)) % 4]];
}
