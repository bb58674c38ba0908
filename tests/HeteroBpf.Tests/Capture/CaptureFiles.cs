using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using HeteroBpf.Capture;

namespace HeteroBpf.Tests.Capture;

/// <summary>A <see cref="CapturedPacket"/> copied out of the reader, plus where its bytes start in the input.</summary>
public sealed record PacketCopy(long TimestampNs, uint OriginalLength, int InterfaceIndex, LinkType LinkType, long Offset, byte[] Data, long DataOffset);

/// <summary>The committed captures of tests/data/captures (made by its make.sh) and helpers to read them whole.</summary>
public static class CaptureFiles
{
    /// <summary>tests/data/captures as copied beside the test binary.</summary>
    public static string Directory => Path.Combine(RepoPaths.Data, "captures");

    /// <summary>Every committed .pcap and .pcapng, by file name; fails when there are none.</summary>
    public static string[] Names =>
    [
        .. RepoPaths.Glob(Directory, "*.pcap").Concat(RepoPaths.Glob(Directory, "*.pcapng")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!,
    ];

    /// <summary>The bytes of a committed capture.</summary>
    public static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    /// <summary>Reads <paramref name="bytes"/> to the end; the packets read before an error are in <paramref name="packets"/> when it is thrown.</summary>
    public static void ReadAll(byte[] bytes, List<PacketCopy> packets, string name = "<memory>")
    {
        using var reader = CaptureReader.FromBytes(bytes, name);
        while (reader.TryRead(out var p))
        {
            // The reader hands out views of the input, never copies: find where in it the bytes are.
            long at = p.Data.IsEmpty ? -1 : Unsafe.ByteOffset(ref MemoryMarshal.GetArrayDataReference(bytes), ref MemoryMarshal.GetReference(p.Data));
            packets.Add(new PacketCopy(p.TimestampNs, p.OriginalLength, p.InterfaceIndex, p.LinkType, p.Offset, p.Data.ToArray(), at));
        }
    }

    /// <summary>Every packet of a capture that must read cleanly.</summary>
    public static List<PacketCopy> ReadAll(byte[] bytes)
    {
        var packets = new List<PacketCopy>();
        ReadAll(bytes, packets);
        return packets;
    }
}
