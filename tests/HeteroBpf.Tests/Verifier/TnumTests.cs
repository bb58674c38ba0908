using CsCheck;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>Tnum operations against every member of small tnums: sound always, exact where the operation can be.</summary>
public sealed class TnumTests
{
    // Tnums with at most 6 unknown bits, anywhere in the word: few enough members to enumerate (64 each).
    private static readonly Gen<Tnum> Small =
        from v in ScalarGen.Value
        from bits in Gen.Int[0, 63].Array[0, 6]
        select Make(v, bits);

    private static Tnum Make(ulong v, int[] bits)
    {
        ulong m = 0;
        foreach (int b in bits) m |= 1UL << b;
        return new Tnum(v & ~m, m);
    }

    private static IEnumerable<ulong> Members(Tnum t)
    {
        // Walk the subsets of the mask (Gosper-free: x = (x - mask) & mask steps through all of them).
        ulong sub = 0;
        do
        {
            yield return t.Value | sub;
            sub = (sub - t.Mask) & t.Mask;
        }
        while (sub != 0);
    }

    private static Tnum Hull(IEnumerable<ulong> values)
    {
        ulong first = 0, differ = 0;
        bool any = false;
        foreach (ulong x in values)
        {
            if (!any) (first, any) = (x, true);
            differ |= x ^ first;
        }

        return new Tnum(first & ~differ, differ);
    }

    private static IEnumerable<ulong> Pairs(Tnum a, Tnum b, Func<ulong, ulong, ulong> op) =>
        from x in Members(a) from y in Members(b) select op(x, y);

    public static TheoryData<string> BinaryNames { get; } = ["add", "sub", "and", "or", "xor", "mul"];

    [Theory]
    [MemberData(nameof(BinaryNames))]
    public void BinaryOperationsHoldEveryResult(string name)
    {
        // Add, sub, and, or, xor are also the smallest such tnum (the known optimal algorithms); mul only sound.
        Func<Tnum, Tnum, Tnum> abstractOp = name switch
        {
            "add" => (a, b) => a.Add(b),
            "sub" => (a, b) => a.Sub(b),
            "and" => (a, b) => a.And(b),
            "or" => (a, b) => a.Or(b),
            "xor" => (a, b) => a.Xor(b),
            _ => (a, b) => a.Mul(b),
        };
        Func<ulong, ulong, ulong> concrete = name switch
        {
            "add" => (x, y) => x + y,
            "sub" => (x, y) => x - y,
            "and" => (x, y) => x & y,
            "or" => (x, y) => x | y,
            "xor" => (x, y) => x ^ y,
            _ => (x, y) => x * y,
        };
        Gen.Select(Small, Small).Sample((a, b) =>
        {
            Tnum r = abstractOp(a, b);
            Assert.Equal(0UL, r.Value & r.Mask);
            Tnum hull = Hull(Pairs(a, b, concrete));
            Assert.True(hull.IsSubsetOf(r), $"{a} {name} {b} = {r} misses some of {hull}");
            if (name != "mul") Assert.Equal(hull, r);
        }, iter: 2_000);
    }

    [Fact]
    public void ShiftsCastsSwapsAndNegationAreExact()
    {
        Gen.Select(Small, Gen.Int[0, 63]).Sample((a, k) =>
        {
            Assert.Equal(Hull(Members(a).Select(x => x << k)), a.Lsh(k));
            Assert.Equal(Hull(Members(a).Select(x => x >> k)), a.Rsh(k));
            Assert.Equal(Hull(Members(a).Select(x => (ulong)((long)x >> k))), a.Arsh(k));
            Assert.Equal(Hull(Members(a).Select(x => (ulong)(uint)((int)x >> (k & 31)))), a.Arsh32(k & 31));
            Assert.Equal(Hull(Members(a).Select(x => (ulong)(uint)x)), a.Subreg);
            Assert.Equal(Hull(Members(a).Select(x => (ulong)(byte)x)), a.Cast(1));
            Assert.Equal(Hull(Members(a).Select(x => (ulong)(long)(short)x)), a.SignExtend(16));
            Assert.Equal(Hull(Members(a).Select(x => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(x))), a.ByteSwap(8));
            Assert.Equal(Hull(Members(a).Select(x => (ulong)System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((ushort)x))), a.ByteSwap(2));
            Assert.Equal(Hull(Members(a).Select(x => 0 - x)), a.Neg());
        }, iter: 2_000);
    }

    [Fact]
    public void SetOperationsAgreeWithMembership()
    {
        Gen.Select(Small, Small, ScalarGen.Value).Sample((a, b, x) =>
        {
            var union = a.Union(b);
            Assert.Equal(Hull(Members(a).Concat(Members(b))), union);
            Assert.True(a.IsSubsetOf(union) && b.IsSubsetOf(union));
            bool common = Members(a).Any(b.Contains);
            Assert.Equal(common, a.Overlaps(b));
            if (common) Assert.Equal(Hull(Members(a).Where(b.Contains)), a.Intersect(b));
            Assert.Equal(Members(a).All(b.Contains), a.IsSubsetOf(b));
            Assert.Equal((x & ~a.Mask) == a.Value, a.Contains(x));
            Assert.Equal(Hull(Members(a).Select(m => (m & ~0xffff_ffffUL) | (uint)b.Value)), a.WithSubreg(Tnum.Const(b.Value)));
        }, iter: 2_000);
    }

    [Fact]
    public void RangeIsTheSmallestTnumHoldingTheInterval()
    {
        Gen.Select(ScalarGen.Value, Gen.ULong[0, 3000]).Sample((min, length) =>
        {
            ulong max = ulong.MaxValue - min >= length ? min + length : ulong.MaxValue;
            var values = new List<ulong>();
            for (ulong x = min; ; x++)
            {
                values.Add(x);
                if (x == max) break;
            }

            Assert.Equal(Hull(values), Tnum.Range(min, max));
        }, iter: 1_000);
        Assert.Equal(Tnum.Unknown, Tnum.Range(0, ulong.MaxValue));
        Assert.Equal(new Tnum(0, 0xff), Tnum.Range(3, 200));
    }

    [Fact]
    public void FormatsLikeTheKernelLog()
    {
        Assert.Equal("(0x0; 0xff)", new Tnum(0, 0xff).ToString());
        Assert.Equal("(0x10; 0x0)", Tnum.Const(16).ToString());
        Assert.True(Tnum.Const(5).IsConst);
        Assert.False(Tnum.Unknown.IsConst);
    }
}
