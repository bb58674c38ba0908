using CsCheck;
using HeteroBpf.Isa;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>
/// Soundness of the scalar domain by brute force: random abstract values built around known members, concrete results
/// from the reference interpreter, and the abstract result required to hold every one of them.
/// </summary>
public sealed class ScalarValueTests
{
    private static readonly Gen<ulong[]> Noise = Gen.ULong.Array[6];

    [Fact]
    public void SyncNeverLosesTheMemberItWasBuiltAround()
    {
        // ScalarGen.Seeded asserts TryCreate succeeds; here also that the result still holds the seed.
        ScalarGen.Built.Sample(s => Assert.True(s.Value.Contains(s.Seed), $"{s.Value} lost {s.Seed:x}"), iter: 50_000);
    }

    [Fact]
    public void SyncedPartsAgreeWithEachOther()
    {
        ScalarGen.Built.Sample(s =>
        {
            var v = s.Value;
            Assert.True(v.UMin <= v.UMax && v.SMin <= v.SMax && v.U32Min <= v.U32Max && v.S32Min <= v.S32Max, v.ToString());
            Assert.True(v.VarOff.Contains(v.VarOff.Value) && (v.VarOff.Value & v.VarOff.Mask) == 0);
            Assert.True(v.UMin >= v.VarOff.Value && v.UMax <= (v.VarOff.Value | v.VarOff.Mask), v.ToString());
        }, iter: 20_000);
    }

    [Fact]
    public void EveryAluTransferHoldsTheConcreteResult()
    {
        int pairs = 0;
        Gen.Select(ScalarGen.AluInstruction, ScalarGen.Seeded, ScalarGen.Seeded, Noise).Sample((insn, a, b, noise) =>
        {
            var result = ScalarValue.Alu(insn, a.Value, b.Value);
            var bs = ScalarGen.Members(b, noise);
            foreach (ulong x in ScalarGen.Members(a, noise))
            {
                foreach (ulong y in bs)
                {
                    ulong concrete = ScalarGen.RunAlu(insn, x, y);
                    Interlocked.Increment(ref pairs);
                    Assert.True(result.Contains(concrete),
                        $"{Text(insn)}: r1 = 0x{x:x} in {a.Value}, r2 = 0x{y:x} in {b.Value} gives 0x{concrete:x}, not in {result}");
                }
            }
        }, iter: 30_000);
        Assert.True(pairs > 100_000, $"only {pairs} concrete pairs checked");
    }

    [Fact]
    public void ConstantsGiveTheConstantResult()
    {
        Gen.Select(ScalarGen.AluInstruction, ScalarGen.Value, ScalarGen.Value).Sample((insn, x, y) =>
        {
            var result = ScalarValue.Alu(insn, ScalarValue.Const(x), ScalarValue.Const(y));
            ulong concrete = ScalarGen.RunAlu(insn, x, y);
            Assert.True(ScalarValue.Const(concrete) == result, $"{Text(insn)}: r1 = 0x{x:x}, r2 = 0x{y:x} gives 0x{concrete:x}, abstractly {result}");
        }, iter: 50_000);
    }

    [Fact]
    public void BranchRefinementKeepsEveryPairThatGoesEachWay()
    {
        int dead = 0, pairs = 0;
        // Half the sources are constants near the destination's seed, so equalities and near misses occur; some others constants.
        var source = Gen.Frequency(
            (2, ScalarGen.Seeded),
            (1, ScalarGen.Value.Select(x => new Seeded(ScalarValue.Const(x), x))));
        var pair =
            from a in ScalarGen.Seeded
            from near in Gen.Long[-3, 3]
            from b in source
            from close in Gen.Bool
            select (a, close ? new Seeded(ScalarValue.Const(a.Seed + (ulong)near), a.Seed + (ulong)near) : b);
        Gen.Select(Gen.OneOf(ScalarGen.Conditions), Gen.Bool, pair, Noise).Sample((op, is32, ab, noise) =>
        {
            var (a, b) = ab;
            bool takenPossible = ScalarValue.TryRefine(op, is32, true, a.Value, b.Value, out var takenDst, out var takenSrc);
            bool fallPossible = ScalarValue.TryRefine(op, is32, false, a.Value, b.Value, out var fallDst, out var fallSrc);
            if (!takenPossible || !fallPossible) Interlocked.Increment(ref dead);
            var bs = ScalarGen.Members(b, noise);
            foreach (ulong x in ScalarGen.Members(a, noise))
            {
                foreach (ulong y in bs)
                {
                    bool jumps = ScalarGen.RunJump(op, is32, x, y);
                    Interlocked.Increment(ref pairs);
                    string what = $"{op}{(is32 ? "32" : "")} r1 = 0x{x:x} in {a.Value}, r2 = 0x{y:x} in {b.Value}, {(jumps ? "taken" : "fall-through")}";
                    if (jumps)
                    {
                        Assert.True(takenPossible, what + ": claimed impossible");
                        Assert.True(takenDst.Contains(x) && takenSrc.Contains(y), $"{what}: refined to {takenDst}, {takenSrc}");
                    }
                    else
                    {
                        Assert.True(fallPossible, what + ": claimed impossible");
                        Assert.True(fallDst.Contains(x) && fallSrc.Contains(y), $"{what}: refined to {fallDst}, {fallSrc}");
                    }
                }
            }
        }, iter: 30_000);
        Assert.True(dead > 1_000 && pairs > 100_000, $"{dead} dead sides over {pairs} pairs: too few to mean much");
    }

    [Fact]
    public void RefinementOnlyNarrowsAndIsExactForConstants()
    {
        var near = from x in ScalarGen.Value from d in Gen.Frequency((1, Gen.ULong), (2, Gen.ULong[0, 3]), (1, Gen.Const(0x1_0000_0000UL))) select (x, x + d);
        Gen.Select(Gen.OneOf(ScalarGen.Conditions), Gen.Bool, near, ScalarGen.Seeded, ScalarGen.Seeded).Sample((op, is32, xy, a, b) =>
        {
            // Two constants: exactly the side the interpreter takes is possible.
            var (x, y) = xy;
            bool jumps = ScalarGen.RunJump(op, is32, x, y);
            Assert.Equal(jumps, ScalarValue.TryRefine(op, is32, true, ScalarValue.Const(x), ScalarValue.Const(y), out _, out _));
            Assert.Equal(!jumps, ScalarValue.TryRefine(op, is32, false, ScalarValue.Const(x), ScalarValue.Const(y), out _, out _));

            // Any operands: a possible side is inside what was known before.
            foreach (bool taken in new[] { true, false })
            {
                if (!ScalarValue.TryRefine(op, is32, taken, a.Value, b.Value, out var d, out var s)) continue;
                Assert.True(d.IsSubsetOf(a.Value) && s.IsSubsetOf(b.Value), $"{op} {taken}: {a.Value} → {d}, {b.Value} → {s}");
            }
        }, iter: 20_000);
    }

    [Fact]
    public void JoinHoldsBothAndIsSubsetOfAgreesWithMembership()
    {
        int subsets = 0;
        Gen.Select(ScalarGen.Seeded, ScalarGen.Seeded, Gen.Bool, Noise).Sample((a, c, widen, noise) =>
        {
            var join = a.Value.Join(c.Value);
            foreach (ulong x in ScalarGen.Members(a, noise)) Assert.True(join.Contains(x), $"{a.Value} ⊔ {c.Value} = {join} lost 0x{x:x}");
            foreach (ulong x in ScalarGen.Members(c, noise)) Assert.True(join.Contains(x), $"{a.Value} ⊔ {c.Value} = {join} lost 0x{x:x}");
            Assert.True(a.Value.IsSubsetOf(join) && c.Value.IsSubsetOf(join), $"{a.Value} ⊔ {c.Value} = {join} is not above both");

            // Against the join (often a superset) or an unrelated value: a claimed subset must hold every sampled member.
            var b = widen ? join : c.Value;
            if (a.Value.IsSubsetOf(b))
            {
                if (!widen) Interlocked.Increment(ref subsets);
                foreach (ulong x in ScalarGen.Members(a, noise)) Assert.True(b.Contains(x), $"{a.Value} ⊆ {b} claimed, but 0x{x:x}");
            }

            // For a constant the answer is exact.
            Assert.Equal(b.Contains(a.Seed), ScalarValue.Const(a.Seed).IsSubsetOf(b));
            Assert.True(a.Value.IsSubsetOf(a.Value));
        }, iter: 30_000);
        Assert.True(subsets > 100, $"only {subsets} unrelated pairs were subsets: the property says little");
    }

    // ---- Precision: what the verifier must know to accept ordinary programs. ----

    private static string Text(Instruction insn) => global::HeteroBpf.Asm.Disassembler.Format([insn], 0);

    /// <summary>The abstract r1 after one instruction written in assembly (dst r1, src r2).</summary>
    private static ScalarValue Alu(string asm, ScalarValue dst, ScalarValue src = default) =>
        ScalarValue.Alu(global::HeteroBpf.Asm.Assembler.Assemble(asm, "precision.s")[0], dst, src);

    [Fact]
    public void AndWithAConstantBoundsTheValue()
    {
        var r = Alu("r1 &= 0xff", ScalarValue.Unknown);
        Assert.Equal(255UL, r.UMax);
        Assert.Equal(0UL, r.UMin);
        Assert.Equal(0, r.SMin);
        Assert.Equal(new Tnum(0, 0xff), r.VarOff);
        Assert.Equal("scalar(smin=0,smax=255,umax=255,smin32=0,smax32=255,umax32=255,var_off=(0x0; 0xff))", r.ToString());
    }

    [Fact]
    public void ALessThanBranchBoundsTheTakenSide()
    {
        Assert.True(ScalarValue.TryRefine(JumpOp.Jlt, false, true, ScalarValue.Unknown, ScalarValue.Const(10), out var taken, out _));
        Assert.Equal(9UL, taken.UMax);
        Assert.Equal(0, taken.SMin);
        Assert.True(ScalarValue.TryRefine(JumpOp.Jlt, false, false, ScalarValue.Unknown, ScalarValue.Const(10), out var fall, out _));
        Assert.Equal(10UL, fall.UMin);

        // Signed, 32-bit: if w1 s> 5 leaves [6, INT_MAX] in the low half only.
        Assert.True(ScalarValue.TryRefine(JumpOp.Jsgt, true, true, ScalarValue.Unknown, ScalarValue.Const(5), out var s32, out _));
        Assert.Equal(6, s32.S32Min);
        Assert.Equal(6u, s32.U32Min);
        Assert.Equal(long.MinValue + 6, s32.SMin);
    }

    [Fact]
    public void DeadBranchesAreKnown()
    {
        var small = ScalarValue.FromUnsigned(0, 9);
        Assert.False(ScalarValue.TryRefine(JumpOp.Jgt, false, true, small, ScalarValue.Const(9), out _, out _));
        Assert.True(ScalarValue.TryRefine(JumpOp.Jgt, false, false, small, ScalarValue.Const(9), out var same, out _));
        Assert.Equal(small, same);
        Assert.False(ScalarValue.TryRefine(JumpOp.Jeq, false, false, ScalarValue.Const(3), ScalarValue.Const(3), out _, out _));
        Assert.False(ScalarValue.TryRefine(JumpOp.Jset, false, true, small, ScalarValue.Const(0x10), out _, out _));
        Assert.True(ScalarValue.TryRefine(JumpOp.Jeq, false, true, small, ScalarValue.Const(7), out var seven, out _));
        Assert.True(seven.IsConst);
        Assert.Equal(7UL, seven.VarOff.Value);
    }

    [Fact]
    public void ThirtyTwoBitResultsAreZeroExtended()
    {
        var r = Alu("w1 += w2", ScalarValue.Unknown, ScalarValue.Unknown);
        Assert.Equal(0xffff_ffffUL, r.UMax);
        Assert.Equal(0, r.SMin);
        Assert.Equal(new Tnum(0, 0xffff_ffff), r.VarOff);

        var neg = Alu("w1 = -w1", ScalarValue.Const(1), default);
        Assert.Equal(ScalarValue.Const(0xffff_ffff), neg);
    }

    [Fact]
    public void DivisionAndModuloByZeroFollowRfc9669()
    {
        var zero = ScalarValue.Const(0);
        var any = ScalarValue.FromUnsigned(100, 200);
        Assert.Equal(zero, Alu("r1 /= r2", any, zero));
        Assert.Equal(any, Alu("r1 %= r2", any, zero));
        Assert.Equal(any, Alu("r1 s%= r2", any, zero));
        var quotient = Alu("r1 /= 10", any);
        Assert.Equal((10UL, 20UL), (quotient.UMin, quotient.UMax));
        var remainder = Alu("r1 %= r2", any, ScalarValue.FromUnsigned(0, 7));
        Assert.Equal(200UL, remainder.UMax);
    }

    [Fact]
    public void ShiftsAndMovesStayPrecise()
    {
        var b = ScalarValue.FromUnsigned(0, 0xff);
        var shifted = Alu("r1 <<= 8", b);
        Assert.Equal(0xff00UL, shifted.UMax);
        Assert.Equal(new Tnum(0, 0xff00), shifted.VarOff);

        var sext = Alu("r1 = (s8)r2", default, ScalarValue.FromUnsigned(0x80, 0xff));
        Assert.Equal((-128L, -1L), (sext.SMin, sext.SMax));

        var arsh = Alu("r1 s>>= 4", ScalarValue.FromSigned(-256, 255));
        Assert.Equal((-16L, 15L), (arsh.SMin, arsh.SMax));

        var swapped = Alu("r1 = be16 r1", ScalarValue.Const(0x1234));
        Assert.Equal(ScalarValue.Const(0x3412), swapped);

        var variable = Alu("r1 <<= r2", ScalarValue.Const(1), ScalarValue.FromUnsigned(0, 3));
        Assert.Equal((1UL, 8UL), (variable.UMin, variable.UMax));
    }

    [Fact]
    public void PowersOfTwoDivideAndReduceBitwise()
    {
        var mod = Alu("r1 %= 8", ScalarValue.Unknown);
        Assert.Equal(new Tnum(0, 7), mod.VarOff);
        var div = Alu("r1 /= 16", ScalarValue.Unknown);
        Assert.Equal(new Tnum(0, 0x0fff_ffff_ffff_ffff), div.VarOff);
        var low = Alu("r1 = le16 r1", ScalarValue.Unknown);
        Assert.Equal(0xffffUL, low.UMax);
        var w = Alu("w1 s>>= 31", ScalarValue.Unknown);
        Assert.Equal((0UL, 0xffff_ffffUL), (w.UMin, w.UMax));
        Assert.Equal((-1, 0), (w.S32Min, w.S32Max));
    }

    [Fact]
    public void PointlessRefinementChangesNothing()
    {
        Assert.True(ScalarValue.TryRefine(JumpOp.Jne, false, true, ScalarValue.Unknown, ScalarValue.Unknown, out var d, out var s));
        Assert.Equal(ScalarValue.Unknown, d);
        Assert.Equal(ScalarValue.Unknown, s);
        Assert.Equal("scalar()", ScalarValue.Unknown.ToString());
        Assert.Equal("-1", ScalarValue.Const(ulong.MaxValue).ToString());
    }

    [Fact]
    public void ConstantFoldingEqualsTheTransferFunctionsAndTheInterpreter()
    {
        // Alu folds two exact constants to the concrete result; the range transfer functions must give exactly that
        // value (not merely a superset), or the shortcut would change what the verifier explores.
        int folded = 0;
        Gen.Select(ScalarGen.AluInstruction, ScalarGen.Value, ScalarGen.Value).Sample((insn, a, b) =>
        {
            var ca = ScalarValue.Const(a);
            var cb = ScalarValue.Const(b);
            var fast = ScalarValue.Alu(insn, ca, cb);
            var general = ScalarValue.AluGeneral(insn, ca, cb);
            Assert.True(fast == general, $"{insn}: {a:x} {b:x}: folded {fast}, general {general}");
            if (!fast.IsExactConst) return;
            folded++;
            Assert.Equal(ScalarGen.RunAlu(insn, a, b), fast.VarOff.Value);
        }, iter: 100_000);
        Assert.True(folded > 50_000, $"only {folded} folded");
    }

    [Fact]
    public void ConstantComparisonEqualsTheRefinementAndTheInterpreter()
    {
        Gen.Select(Gen.OneOf(ScalarGen.Conditions.Select(Gen.Const).ToArray()), Gen.Bool, ScalarGen.Value, ScalarGen.Value).Sample((op, is32, a, b) =>
        {
            if (ScalarGen.RandomEqual(a, b)) b = a;
            var ca = ScalarValue.Const(a);
            var cb = ScalarValue.Const(b);
            bool taken = ScalarGen.RunJump(op, is32, a, b);
            foreach (bool way in (bool[])[true, false])
            {
                bool fast = ScalarValue.TryRefine(op, is32, way, ca, cb, out var fd, out var fs);
                bool general = ScalarValue.TryRefineGeneral(op, is32, way, ca, cb, out var gd, out var gs);
                Assert.True(fast == general && fd == gd && fs == gs, $"{op} {is32} {way}: {a:x} {b:x}");
                Assert.Equal(way == taken, fast);
            }
        }, iter: 100_000);
    }

    [Fact]
    public void EqualityIsPartByPartOnSixtyFourBytesWithoutPadding()
    {
        // Equals compares the value's bytes: right only while the nine parts fill exactly 64 bytes.
        Assert.Equal(64, System.Runtime.CompilerServices.Unsafe.SizeOf<ScalarValue>());
        ScalarGen.Built.Sample(a =>
        {
            var v = a.Value;
            var same = new ScalarValue(v.VarOff, v.UMin, v.UMax, v.SMin, v.SMax, v.U32Min, v.U32Max, v.S32Min, v.S32Max);
            Assert.True(v == same && v.GetHashCode() == same.GetHashCode());
            Assert.False(v == new ScalarValue(v.VarOff, v.UMin, v.UMax, v.SMin, v.SMax, v.U32Min, v.U32Max, v.S32Min, v.S32Max ^ 1));
            Assert.False(v == new ScalarValue(new Tnum(v.VarOff.Value, v.VarOff.Mask ^ 1), v.UMin, v.UMax, v.SMin, v.SMax, v.U32Min, v.U32Max, v.S32Min, v.S32Max));
        }, iter: 2_000);
    }
}
