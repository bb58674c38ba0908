using System.Buffers.Binary;

namespace HeteroBpf.Xdp;

/// <summary>What an XDP program returns (<c>enum xdp_action</c>).</summary>
public enum XdpAction : uint
{
    /// <summary>XDP_ABORTED: an error; the packet is dropped (also what any unknown return value counts as).</summary>
    Aborted = 0,
    /// <summary>XDP_DROP.</summary>
    Drop = 1,
    /// <summary>XDP_PASS: on to the network stack.</summary>
    Pass = 2,
    /// <summary>XDP_TX: back out of the receiving port.</summary>
    Tx = 3,
    /// <summary>XDP_REDIRECT: to the target of <c>bpf_redirect</c>/<c>bpf_redirect_map</c>.</summary>
    Redirect = 4,
}

/// <summary>
/// <c>struct xdp_md</c> as <c>BPF_PROG_TEST_RUN</c> takes and gives it: offsets from the start of the data given (the
/// metadata first), not pointers.
/// </summary>
public readonly record struct XdpMd(uint Data, uint DataEnd, uint DataMeta = 0, uint IngressIfindex = 0, uint RxQueueIndex = 0, uint EgressIfindex = 0)
{
    /// <summary>Size of the UAPI struct in bytes.</summary>
    public const int Size = 24;

    /// <summary>The 24 bytes of the struct (little-endian).</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Data);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), DataEnd);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), DataMeta);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), IngressIfindex);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), RxQueueIndex);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), EgressIfindex);
        return bytes;
    }

    /// <summary>Reads the struct from its 24 bytes.</summary>
    public static XdpMd Read(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(bytes),
        BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]),
        BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]),
        BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]),
        BinaryPrimitives.ReadUInt32LittleEndian(bytes[16..]),
        BinaryPrimitives.ReadUInt32LittleEndian(bytes[20..]));
}
