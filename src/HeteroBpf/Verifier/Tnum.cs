using System.Numerics;

namespace HeteroBpf.Verifier;

/// <summary>A tristate number: bit i is unknown where <see cref="Mask"/> has a 1, else it equals bit i of <see cref="Value"/>.</summary>
/// <remarks>Invariant: <c>Value &amp; Mask == 0</c>. The set it stands for is every x with <c>(x &amp; ~Mask) == Value</c>.</remarks>
public readonly record struct Tnum(ulong Value, ulong Mask)
{
    /// <summary>Every 64-bit value.</summary>
    public static Tnum Unknown => new(0, ulong.MaxValue);

    /// <summary>Exactly <paramref name="value"/>.</summary>
    public static Tnum Const(ulong value) => new(value, 0);

    /// <summary>The smallest tnum holding every value of [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Tnum Range(ulong min, ulong max)
    {
        // Below the highest bit where min and max differ every pattern occurs; above it all members agree.
        ulong differ = min ^ max;
        if (differ == 0) return Const(min);
        int bits = 64 - BitOperations.LeadingZeroCount(differ);
        if (bits == 64) return Unknown;
        ulong low = (1UL << bits) - 1;
        return new(min & ~low, low);
    }

    /// <summary>Whether every bit is known.</summary>
    public bool IsConst => Mask == 0;

    /// <summary>Whether <paramref name="x"/> is a member.</summary>
    public bool Contains(ulong x) => (x & ~Mask) == Value;

    /// <summary>Whether every member is also a member of <paramref name="other"/>.</summary>
    public bool IsSubsetOf(Tnum other) => (Mask & ~other.Mask) == 0 && (Value & ~other.Mask) == other.Value;

    /// <summary>Whether some value is a member of both.</summary>
    public bool Overlaps(Tnum other) => ((Value ^ other.Value) & ~Mask & ~other.Mask) == 0;

    /// <summary>The members of both (meaningful only when they <see cref="Overlaps"/>).</summary>
    public Tnum Intersect(Tnum other)
    {
        ulong mask = Mask & other.Mask;
        return new((Value | other.Value) & ~mask, mask);
    }

    /// <summary>The smallest tnum holding the members of both (the join).</summary>
    public Tnum Union(Tnum other)
    {
        ulong mask = Mask | other.Mask | (Value ^ other.Value);
        return new(Value & other.Value & ~mask, mask);
    }

    /// <summary>Sum modulo 2^64.</summary>
    public Tnum Add(Tnum other)
    {
        // The sums of the minimal members and of the maximal members bracket every carry chain: a result bit can
        // differ between members only where those two sums differ or where an addend bit is itself unknown.
        ulong low = Value + other.Value;
        ulong high = low + Mask + other.Mask;
        ulong mask = (low ^ high) | Mask | other.Mask;
        return new(low & ~mask, mask);
    }

    /// <summary>Difference modulo 2^64.</summary>
    public Tnum Sub(Tnum other)
    {
        // Largest minus smallest and smallest minus largest bracket every borrow chain, as in Add.
        ulong diff = Value - other.Value;
        ulong high = diff + Mask;
        ulong low = diff - other.Mask;
        ulong mask = (low ^ high) | Mask | other.Mask;
        return new(diff & ~mask, mask);
    }

    /// <summary>Two's complement negation.</summary>
    public Tnum Neg() => Const(0).Sub(this);

    /// <summary>Product modulo 2^64.</summary>
    public Tnum Mul(Tnum other)
    {
        // a * b is the sum of b << i over the set bits i of a: a known 1 adds b << i, an unknown bit adds either 0
        // or b << i, whose union has every possibly-set bit of b << i unknown and no bit known to be 1.
        Tnum acc = Const(0);
        ulong ones = Value, unknown = Mask;
        Tnum partial = other;
        while ((ones | unknown) != 0)
        {
            if ((ones & 1) != 0) acc = acc.Add(partial);
            else if ((unknown & 1) != 0) acc = acc.Add(new Tnum(0, partial.Value | partial.Mask));
            ones >>= 1;
            unknown >>= 1;
            partial = partial.Lsh(1);
        }

        return acc;
    }

    /// <summary>Bitwise and.</summary>
    public Tnum And(Tnum other)
    {
        ulong value = Value & other.Value;
        return new(value, (Value | Mask) & (other.Value | other.Mask) & ~value);
    }

    /// <summary>Bitwise or.</summary>
    public Tnum Or(Tnum other)
    {
        ulong value = Value | other.Value;
        return new(value, (Mask | other.Mask) & ~value);
    }

    /// <summary>Bitwise exclusive or.</summary>
    public Tnum Xor(Tnum other)
    {
        ulong mask = Mask | other.Mask;
        return new((Value ^ other.Value) & ~mask, mask);
    }

    /// <summary>Left shift by <paramref name="shift"/> (0–63).</summary>
    public Tnum Lsh(int shift) => new(Value << shift, Mask << shift);

    /// <summary>Logical right shift by <paramref name="shift"/> (0–63).</summary>
    public Tnum Rsh(int shift) => new(Value >> shift, Mask >> shift);

    /// <summary>Arithmetic right shift of the 64-bit value by <paramref name="shift"/> (0–63).</summary>
    /// <remarks>An unknown sign bit stays unknown in every copy: the mask is shifted arithmetically too.</remarks>
    public Tnum Arsh(int shift) => new((ulong)((long)Value >> shift), (ulong)((long)Mask >> shift));

    /// <summary>Arithmetic right shift of the low 32 bits by <paramref name="shift"/> (0–31), zero-extended.</summary>
    public Tnum Arsh32(int shift) => new((uint)((int)Value >> shift), (uint)((int)Mask >> shift));

    /// <summary>The low <paramref name="bytes"/> bytes (1, 2, 4 or 8), zero-extended.</summary>
    public Tnum Cast(int bytes)
    {
        ulong keep = bytes >= 8 ? ulong.MaxValue : (1UL << (bytes * 8)) - 1;
        return new(Value & keep, Mask & keep);
    }

    /// <summary>The low 32 bits, zero-extended.</summary>
    public Tnum Subreg => Cast(4);

    /// <summary>The low <paramref name="bits"/> bits (8, 16, 32 or 64) sign-extended to 64 bits.</summary>
    public Tnum SignExtend(int bits)
    {
        int up = 64 - bits;
        return new((ulong)((long)(Value << up) >> up), (ulong)((long)(Mask << up) >> up));
    }

    /// <summary>The low <paramref name="bytes"/> bytes (2, 4 or 8) in reverse order, zero-extended.</summary>
    public Tnum ByteSwap(int bytes) => new(Swap(Value, bytes), Swap(Mask, bytes));

    /// <summary>This tnum with its low 32 bits replaced by those of <paramref name="low"/>.</summary>
    public Tnum WithSubreg(Tnum low) => new((Value & ~0xffff_ffffUL) | (uint)low.Value, (Mask & ~0xffff_ffffUL) | (uint)low.Mask);

    /// <summary>The kernel verifier log's form: <c>(0x0; 0xff)</c>.</summary>
    public override string ToString() => $"(0x{Value:x}; 0x{Mask:x})";

    private static ulong Swap(ulong v, int bytes) => bytes switch
    {
        2 => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((ushort)v),
        4 => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((uint)v),
        _ => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v),
    };
}
