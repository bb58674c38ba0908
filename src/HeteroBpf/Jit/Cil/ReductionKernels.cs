using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace HeteroBpf.Jit.Cil;

/// <summary>
/// What a vectorised reduction loop (<see cref="ReductionLoops"/>) calls: <c>acc ⊕ (e₀ ⊕ e₁ ⊕ … ⊕ eₙ₋₁)</c> over
/// <c>count</c> zero-extended little-endian elements of 1, 2, 4 or 8 bytes at <c>p</c>, exact modulo 2^64 (the scalar
/// loop's result in any order, since the operations are associative and commutative). Vector256 where the hardware
/// has it, Vector128 for what remains (or instead), scalar elements for the tail. Loads are unaligned.
/// </summary>
internal static unsafe class ReductionKernels
{
    /// <summary><paramref name="acc"/> + the sum of <paramref name="count"/> bytes.</summary>
    public static ulong AddU8(ulong acc, byte* p, nuint count)
    {
        nuint i = 0;
        // Each step adds two bytes (≤ 510) to each 16-bit lane: 128 steps fit, then the lanes move to 64 bits.
        if (Vector256.IsHardwareAccelerated)
        {
            var sum = Vector256<ulong>.Zero;
            var mask = Vector256.Create((ushort)0xff);
            while (count - i >= (nuint)Vector256<byte>.Count)
            {
                var lanes = Vector256<ushort>.Zero;
                for (int k = 0; k < 128 && count - i >= (nuint)Vector256<byte>.Count; k++, i += (nuint)Vector256<byte>.Count)
                {
                    var v = Vector256.Load(p + i).AsUInt16();
                    lanes += (v & mask) + (v >> 8);
                }

                var (low, high) = Vector256.Widen(lanes);
                var (a, b) = Vector256.Widen(low + high); // ≤ 2·65280 per 32-bit lane: no carry lost
                sum += a + b;
            }

            acc += Vector256.Sum(sum);
        }

        if (Vector128.IsHardwareAccelerated)
        {
            var sum = Vector128<ulong>.Zero;
            var mask = Vector128.Create((ushort)0xff);
            while (count - i >= (nuint)Vector128<byte>.Count)
            {
                var lanes = Vector128<ushort>.Zero;
                for (int k = 0; k < 128 && count - i >= (nuint)Vector128<byte>.Count; k++, i += (nuint)Vector128<byte>.Count)
                {
                    var v = Vector128.Load(p + i).AsUInt16();
                    lanes += (v & mask) + (v >> 8);
                }

                var (low, high) = Vector128.Widen(lanes);
                var (a, b) = Vector128.Widen(low + high);
                sum += a + b;
            }

            acc += Vector128.Sum(sum);
        }

        for (; i < count; i++) acc += p[i];
        return acc;
    }

    /// <summary><paramref name="acc"/> + the sum of <paramref name="count"/> 16-bit elements.</summary>
    public static ulong AddU16(ulong acc, byte* p, nuint count)
    {
        nuint bytes = count * 2, i = 0;
        // Each step adds two elements (≤ 131,070) to each 32-bit lane: 32,768 steps fit; flushed every 16,384.
        if (Vector256.IsHardwareAccelerated)
        {
            var sum = Vector256<ulong>.Zero;
            var mask = Vector256.Create(0xffffu);
            while (bytes - i >= (nuint)Vector256<byte>.Count)
            {
                var lanes = Vector256<uint>.Zero;
                for (int k = 0; k < 16384 && bytes - i >= (nuint)Vector256<byte>.Count; k++, i += (nuint)Vector256<byte>.Count)
                {
                    var v = Vector256.Load(p + i).AsUInt32();
                    lanes += (v & mask) + (v >> 16);
                }

                var (low, high) = Vector256.Widen(lanes);
                sum += low + high;
            }

            acc += Vector256.Sum(sum);
        }

        if (Vector128.IsHardwareAccelerated)
        {
            var sum = Vector128<ulong>.Zero;
            var mask = Vector128.Create(0xffffu);
            while (bytes - i >= (nuint)Vector128<byte>.Count)
            {
                var lanes = Vector128<uint>.Zero;
                for (int k = 0; k < 16384 && bytes - i >= (nuint)Vector128<byte>.Count; k++, i += (nuint)Vector128<byte>.Count)
                {
                    var v = Vector128.Load(p + i).AsUInt32();
                    lanes += (v & mask) + (v >> 16);
                }

                var (low, high) = Vector128.Widen(lanes);
                sum += low + high;
            }

            acc += Vector128.Sum(sum);
        }

        for (; i < bytes; i += 2) acc += Unsafe.ReadUnaligned<ushort>(p + i);
        return acc;
    }

    /// <summary><paramref name="acc"/> + the sum of <paramref name="count"/> 32-bit elements (modulo 2^64).</summary>
    public static ulong AddU32(ulong acc, byte* p, nuint count)
    {
        nuint bytes = count * 4, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var sum = Vector256<ulong>.Zero;
            var mask = Vector256.Create(0xffff_ffffUL);
            for (; bytes - i >= (nuint)Vector256<byte>.Count; i += (nuint)Vector256<byte>.Count)
            {
                var v = Vector256.Load(p + i).AsUInt64();
                sum += (v & mask) + (v >> 32);
            }

            acc += Vector256.Sum(sum);
        }

        if (Vector128.IsHardwareAccelerated)
        {
            var sum = Vector128<ulong>.Zero;
            var mask = Vector128.Create(0xffff_ffffUL);
            for (; bytes - i >= (nuint)Vector128<byte>.Count; i += (nuint)Vector128<byte>.Count)
            {
                var v = Vector128.Load(p + i).AsUInt64();
                sum += (v & mask) + (v >> 32);
            }

            acc += Vector128.Sum(sum);
        }

        for (; i < bytes; i += 4) acc += Unsafe.ReadUnaligned<uint>(p + i);
        return acc;
    }

    /// <summary><paramref name="acc"/> + the sum of <paramref name="count"/> 64-bit elements (modulo 2^64).</summary>
    public static ulong AddU64(ulong acc, byte* p, nuint count)
    {
        nuint bytes = count * 8, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var sum = Vector256<ulong>.Zero;
            for (; bytes - i >= (nuint)Vector256<byte>.Count; i += (nuint)Vector256<byte>.Count) sum += Vector256.Load(p + i).AsUInt64();
            acc += Vector256.Sum(sum);
        }

        if (Vector128.IsHardwareAccelerated)
        {
            var sum = Vector128<ulong>.Zero;
            for (; bytes - i >= (nuint)Vector128<byte>.Count; i += (nuint)Vector128<byte>.Count) sum += Vector128.Load(p + i).AsUInt64();
            acc += Vector128.Sum(sum);
        }

        for (; i < bytes; i += 8) acc += Unsafe.ReadUnaligned<ulong>(p + i);
        return acc;
    }

    /// <summary><paramref name="acc"/> ^ every one of <paramref name="count"/> elements of <paramref name="size"/> bytes.</summary>
    public static ulong Xor(ulong acc, byte* p, nuint count, int size) => count == 0 ? acc : acc ^ Bitwise<XorOp>(p, count, size);

    /// <summary><paramref name="acc"/> | every one of <paramref name="count"/> elements of <paramref name="size"/> bytes.</summary>
    public static ulong Or(ulong acc, byte* p, nuint count, int size) => count == 0 ? acc : acc | Bitwise<OrOp>(p, count, size);

    /// <summary><paramref name="acc"/> &amp; every one of <paramref name="count"/> elements of <paramref name="size"/> bytes (zero-extended: for fewer than 8 bytes the upper bits clear).</summary>
    public static ulong And(ulong acc, byte* p, nuint count, int size) => count == 0 ? acc : acc & Bitwise<AndOp>(p, count, size);

    // The combination of count ≥ 1 zero-extended elements. Bitwise operations act on each bit alone, so the whole
    // 8-byte words combine first and their size-wide lanes fold into one element; the tail (fewer than 8 bytes, whole
    // elements, since the size divides 8) goes element by element.
    private static ulong Bitwise<TOp>(byte* p, nuint count, int size)
        where TOp : struct, IBitOp
    {
        nuint bytes = count * (nuint)size, words = bytes / 8, w = 0;
        ulong word = TOp.Identity;
        if (Vector256.IsHardwareAccelerated && words >= 4)
        {
            var v = Vector256.Create(TOp.Identity);
            for (; words - w >= 4; w += 4) v = TOp.Apply(v, Vector256.Load((ulong*)p + w));
            word = TOp.Apply(TOp.Apply(word, v.GetElement(0)), TOp.Apply(TOp.Apply(v.GetElement(1), v.GetElement(2)), v.GetElement(3)));
        }

        if (Vector128.IsHardwareAccelerated && words - w >= 2)
        {
            var v = Vector128.Create(TOp.Identity);
            for (; words - w >= 2; w += 2) v = TOp.Apply(v, Vector128.Load((ulong*)p + w));
            word = TOp.Apply(word, TOp.Apply(v.GetElement(0), v.GetElement(1)));
        }

        for (; w < words; w++) word = TOp.Apply(word, Unsafe.ReadUnaligned<ulong>(p + (w * 8)));
        // Fold the lanes: with no whole word, word is still the identity and folds to the element identity.
        for (int width = 32; width >= size * 8; width >>= 1) word = TOp.Apply(word, word >> width) & (ulong.MaxValue >> (64 - width));
        for (nuint i = words * 8; i < bytes; i += (nuint)size)
        {
            ulong element = size switch
            {
                1 => p[i],
                2 => Unsafe.ReadUnaligned<ushort>(p + i),
                4 => Unsafe.ReadUnaligned<uint>(p + i),
                _ => Unsafe.ReadUnaligned<ulong>(p + i),
            };
            word = TOp.Apply(word, element);
        }

        return word;
    }

    private interface IBitOp
    {
        static abstract ulong Identity { get; }

        static abstract ulong Apply(ulong a, ulong b);

        static abstract Vector256<ulong> Apply(Vector256<ulong> a, Vector256<ulong> b);

        static abstract Vector128<ulong> Apply(Vector128<ulong> a, Vector128<ulong> b);
    }

    private readonly struct XorOp : IBitOp
    {
        public static ulong Identity => 0;

        public static ulong Apply(ulong a, ulong b) => a ^ b;

        public static Vector256<ulong> Apply(Vector256<ulong> a, Vector256<ulong> b) => a ^ b;

        public static Vector128<ulong> Apply(Vector128<ulong> a, Vector128<ulong> b) => a ^ b;
    }

    private readonly struct OrOp : IBitOp
    {
        public static ulong Identity => 0;

        public static ulong Apply(ulong a, ulong b) => a | b;

        public static Vector256<ulong> Apply(Vector256<ulong> a, Vector256<ulong> b) => a | b;

        public static Vector128<ulong> Apply(Vector128<ulong> a, Vector128<ulong> b) => a | b;
    }

    private readonly struct AndOp : IBitOp
    {
        public static ulong Identity => ulong.MaxValue;

        public static ulong Apply(ulong a, ulong b) => a & b;

        public static Vector256<ulong> Apply(Vector256<ulong> a, Vector256<ulong> b) => a & b;

        public static Vector128<ulong> Apply(Vector128<ulong> a, Vector128<ulong> b) => a & b;
    }
}
