using System.Buffers.Binary;

namespace HeteroBpf.Helpers;

/// <summary>Checksum helpers: <c>bpf_csum_diff</c>.</summary>
internal static class ChecksumHelpers
{
    /// <summary>
    /// <c>bpf_csum_diff(from, from_size, to, to_size, seed)</c> as Linux 6.12+ computes it (checked against the running
    /// kernel): the one's-complement sum of <c>seed</c> and <c>to</c>, minus that of <c>from</c>, each buffer summed as
    /// <c>csum_partial</c> does (little-endian 32-bit words, a short tail zero-padded), folded to 16 bits without
    /// complement. Any sizes are accepted (older kernels refused sizes that were not multiples of 4, and more than 512
    /// bytes in all, with -EINVAL); the verifier bounds them by the memory passed.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static ulong CsumDiff(ref HelperCall call)
    {
        uint fromSize = (uint)call.R2, toSize = (uint)call.R4, seed = (uint)call.R5;
        var from = call.Bytes(call.R1, fromSize, false, "R1 (from)");
        var to = call.Bytes(call.R3, toSize, false, "R3 (to)");
        uint result;
        if (fromSize != 0 && toSize != 0) result = Sub(Partial(to, seed), Partial(from, 0));
        else if (toSize != 0) result = Partial(to, seed);
        else if (fromSize != 0) result = ~Partial(from, ~seed);
        else result = seed;
        return From32To16(result);
    }

    /// <summary>The 32-bit one's-complement sum of <paramref name="seed"/> and the little-endian words of <paramref name="bytes"/> (a short tail zero-padded).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static uint Partial(ReadOnlySpan<byte> bytes, uint seed)
    {
        ulong sum = seed;
        int i = 0;
        for (; i + 4 <= bytes.Length; i += 4) sum += BinaryPrimitives.ReadUInt32LittleEndian(bytes[i..]);
        uint tail = 0;
        for (int shift = 0; i < bytes.Length; i++, shift += 8) tail |= (uint)bytes[i] << shift;
        sum += tail;
        sum = (sum & 0xffff_ffff) + (sum >> 32);
        sum = (sum & 0xffff_ffff) + (sum >> 32);
        return (uint)sum;
    }

    /// <summary>One's-complement <paramref name="a"/> − <paramref name="b"/> (the kernel's <c>csum_sub</c>).</summary>
    private static uint Sub(uint a, uint b)
    {
        uint sum = a + ~b;
        return sum + (sum < ~b ? 1u : 0u);
    }

    /// <summary>Folds 32 bits into 16 with end-around carry, no complement (the kernel's <c>csum_from32to16</c>).</summary>
    internal static ushort From32To16(uint sum)
    {
        sum += (sum >> 16) | (sum << 16);
        return (ushort)(sum >> 16);
    }
}
