using System.Numerics;

namespace HeteroBpf.Jit.Arm64;

/// <summary>
/// The logical ("bitmask") immediates of AND/ORR/EOR/ANDS: a 2-, 4-, 8-, 16-, 32- or 64-bit element holding a rotated
/// run of ones, replicated across the register. Encoded as the 13-bit field <c>N:immr:imms</c>.
/// </summary>
public static class A64BitmaskImmediate
{
    /// <summary>
    /// Finds the <c>N:immr:imms</c> field (N in bit 12, immr in bits 11–6, imms in bits 5–0) for <paramref name="value"/>,
    /// or answers false when no encoding exists: 0, all ones, a value that is not a replicated rotated run of ones, and
    /// for <see cref="A64Width.W32"/> anything with bits above 31.
    /// </summary>
    public static bool TryEncode(ulong value, A64Width width, out uint field)
    {
        field = 0;
        if (width == A64Width.W32)
        {
            if (value > uint.MaxValue) return false;
            value |= value << 32;
        }
        if (value == 0 || value == ulong.MaxValue) return false;

        // The smallest element size whose replication gives the value.
        int size = 64;
        while (size > 2)
        {
            int half = size / 2;
            ulong halfMask = (1UL << half) - 1;
            if ((value & halfMask) != ((value >> half) & halfMask)) break;
            size = half;
        }

        ulong elementMask = size == 64 ? ulong.MaxValue : (1UL << size) - 1;
        ulong element = value & elementMask;
        int ones = BitOperations.PopCount(element);

        // Rotate the element left until its run of ones starts at bit 0; the rotation to undo is immr.
        ulong run = (1UL << ones) - 1; // ones < size ≤ 64, so no overflow
        for (int left = 0; left < size; left++)
        {
            ulong rotated = left == 0 ? element : ((element << left) | (element >> (size - left))) & elementMask;
            if (rotated != run) continue;
            uint immr = (uint)left; // element = ROR(run, immr) = ROL(run, size - immr) → rotated = ROL(element, immr)
            uint n = size == 64 ? 1u : 0u;
            uint imms = (uint)((~(size - 1) << 1) & 0x3f) | (uint)(ones - 1);
            field = (n << 12) | (immr << 6) | imms;
            return true;
        }
        return false; // not a single run of ones
    }

    /// <summary>Whether <paramref name="value"/> has a logical-immediate encoding at <paramref name="width"/>.</summary>
    public static bool IsEncodable(ulong value, A64Width width) => TryEncode(value, width, out _);
}
