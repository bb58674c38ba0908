using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace HeteroBpf.Maps;

/// <summary>
/// Bob Jenkins' lookup3 hash as the kernel's <c>jhash</c>/<c>jhash2</c> compute it, written from the published
/// algorithm. Hash maps pick buckets with it, as the kernel's do, so that with <see cref="MapFlags.ZeroSeed"/> a map
/// walks its keys (<c>get_next_key</c>) in exactly the kernel's order.
/// </summary>
internal static class JHash
{
    // lookup3's arbitrary starting value (JHASH_INITVAL).
    private const uint InitialValue = 0xdeadbeef;

    /// <summary>The kernel's htab hash: whole 32-bit words (<c>jhash2</c>) when the key is a multiple of 4 bytes, else bytes (<c>jhash</c>).</summary>
    public static uint HashKey(ReadOnlySpan<byte> key, uint seed) => (key.Length & 3) == 0 ? Words(key, seed) : Bytes(key, seed);

    /// <summary><see cref="HashKey(ReadOnlySpan{byte}, uint)"/> over a key in memory, with the one- and two-word keys of u32 and u64 maps unrolled.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe uint HashKey(byte* key, int length, uint seed)
    {
        uint a, b, c;
        switch (length)
        {
            case 4:
                a = b = c = InitialValue + 4 + seed;
                a += Word(key);
                break;
            case 8:
                a = b = c = InitialValue + 8 + seed;
                b += Word(key + 4);
                a += Word(key);
                break;
            default:
                return HashKey(new ReadOnlySpan<byte>(key, length), seed);
        }

        Final(ref a, ref b, ref c);
        return c;
    }

    // A little-endian word, as the span versions read them.
    private static unsafe uint Word(byte* at) => BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(at, 4));

    /// <summary><c>jhash</c>: any length, tail bytes assembled little-endian.</summary>
    public static uint Bytes(ReadOnlySpan<byte> key, uint seed)
    {
        uint a, b, c;
        a = b = c = InitialValue + (uint)key.Length + seed;
        while (key.Length > 12)
        {
            a += BinaryPrimitives.ReadUInt32LittleEndian(key);
            b += BinaryPrimitives.ReadUInt32LittleEndian(key[4..]);
            c += BinaryPrimitives.ReadUInt32LittleEndian(key[8..]);
            Mix(ref a, ref b, ref c);
            key = key[12..];
        }

        if (key.IsEmpty) return c;
        // The last 1..12 bytes fill a, then b, then c, lowest byte first; missing bytes count as zero.
        Span<byte> tail = stackalloc byte[12];
        tail.Clear();
        key.CopyTo(tail);
        a += BinaryPrimitives.ReadUInt32LittleEndian(tail);
        b += BinaryPrimitives.ReadUInt32LittleEndian(tail[4..]);
        c += BinaryPrimitives.ReadUInt32LittleEndian(tail[8..]);
        Final(ref a, ref b, ref c);
        return c;
    }

    /// <summary><c>jhash2</c>: a key of whole 32-bit words in host (little-endian) order.</summary>
    public static uint Words(ReadOnlySpan<byte> key, uint seed)
    {
        int words = key.Length / 4;
        uint a, b, c;
        a = b = c = InitialValue + ((uint)words << 2) + seed;
        while (words > 3)
        {
            a += BinaryPrimitives.ReadUInt32LittleEndian(key);
            b += BinaryPrimitives.ReadUInt32LittleEndian(key[4..]);
            c += BinaryPrimitives.ReadUInt32LittleEndian(key[8..]);
            Mix(ref a, ref b, ref c);
            key = key[12..];
            words -= 3;
        }

        if (words == 0) return c;
        if (words >= 3) c += BinaryPrimitives.ReadUInt32LittleEndian(key[8..]);
        if (words >= 2) b += BinaryPrimitives.ReadUInt32LittleEndian(key[4..]);
        a += BinaryPrimitives.ReadUInt32LittleEndian(key);
        Final(ref a, ref b, ref c);
        return c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mix(ref uint a, ref uint b, ref uint c)
    {
        a -= c; a ^= BitOperations.RotateLeft(c, 4); c += b;
        b -= a; b ^= BitOperations.RotateLeft(a, 6); a += c;
        c -= b; c ^= BitOperations.RotateLeft(b, 8); b += a;
        a -= c; a ^= BitOperations.RotateLeft(c, 16); c += b;
        b -= a; b ^= BitOperations.RotateLeft(a, 19); a += c;
        c -= b; c ^= BitOperations.RotateLeft(b, 4); b += a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Final(ref uint a, ref uint b, ref uint c)
    {
        c ^= b; c -= BitOperations.RotateLeft(b, 14);
        a ^= c; a -= BitOperations.RotateLeft(c, 11);
        b ^= a; b -= BitOperations.RotateLeft(a, 25);
        c ^= b; c -= BitOperations.RotateLeft(b, 16);
        a ^= c; a -= BitOperations.RotateLeft(c, 4);
        b ^= a; b -= BitOperations.RotateLeft(a, 14);
        c ^= b; c -= BitOperations.RotateLeft(b, 24);
    }
}
