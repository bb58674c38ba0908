using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using HeteroBpf.Isa;

namespace HeteroBpf.Verifier;

/// <summary>What the verifier knows of a scalar register: known bits plus unsigned and signed ranges of its 64 and low 32 bits.</summary>
/// <remarks>It stands for every x all parts admit; every operation keeps that set a superset of the concrete results.</remarks>
public readonly record struct ScalarValue
{
    // Each result is synchronised (Work.Sync): every part tightens the others, the idea of the kernel's reg_bounds_sync.
    private const ulong Low32 = 0xffff_ffff;

    internal ScalarValue(Tnum varOff, ulong umin, ulong umax, long smin, long smax, uint u32min, uint u32max, int s32min, int s32max)
    {
        VarOff = varOff;
        UMin = umin;
        UMax = umax;
        SMin = smin;
        SMax = smax;
        U32Min = u32min;
        U32Max = u32max;
        S32Min = s32min;
        S32Max = s32max;
    }

    /// <summary>The known bits.</summary>
    public Tnum VarOff { get; }

    /// <summary>Unsigned 64-bit lower bound.</summary>
    public ulong UMin { get; }

    /// <summary>Unsigned 64-bit upper bound.</summary>
    public ulong UMax { get; }

    /// <summary>Signed 64-bit lower bound.</summary>
    public long SMin { get; }

    /// <summary>Signed 64-bit upper bound.</summary>
    public long SMax { get; }

    /// <summary>Unsigned lower bound of the low 32 bits.</summary>
    public uint U32Min { get; }

    /// <summary>Unsigned upper bound of the low 32 bits.</summary>
    public uint U32Max { get; }

    /// <summary>Signed lower bound of the low 32 bits.</summary>
    public int S32Min { get; }

    /// <summary>Signed upper bound of the low 32 bits.</summary>
    public int S32Max { get; }

    /// <summary>Whether every part equals <paramref name="other"/>'s (compared as the 64 bytes the parts fill, with no padding: state comparisons make this hot).</summary>
    public bool Equals(ScalarValue other)
    {
        ref byte a = ref Unsafe.As<ScalarValue, byte>(ref Unsafe.AsRef(in this));
        ref byte b = ref Unsafe.As<ScalarValue, byte>(ref other);
        if (Vector256.IsHardwareAccelerated)
            return Vector256.LoadUnsafe(ref a) == Vector256.LoadUnsafe(ref b) && Vector256.LoadUnsafe(ref a, 32) == Vector256.LoadUnsafe(ref b, 32);
        return MemoryMarshal.CreateReadOnlySpan(ref a, 64).SequenceEqual(MemoryMarshal.CreateReadOnlySpan(ref b, 64));
    }

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(VarOff, UMin, UMax, SMin, SMax, HashCode.Combine(U32Min, U32Max, S32Min, S32Max));

    /// <summary>Any 64-bit value.</summary>
    public static ScalarValue Unknown { get; } = new(Tnum.Unknown, 0, ulong.MaxValue, long.MinValue, long.MaxValue, 0, uint.MaxValue, int.MinValue, int.MaxValue);

    /// <summary>Whether exactly one value is possible (then it is <c>VarOff.Value</c>).</summary>
    public bool IsConst => VarOff.IsConst;

    /// <summary>Exactly <paramref name="value"/>.</summary>
    public static ScalarValue Const(ulong value) =>
        new(Tnum.Const(value), value, value, (long)value, (long)value, (uint)value, (uint)value, (int)value, (int)value);

    /// <summary>Any value in the unsigned range [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static ScalarValue FromUnsigned(ulong min, ulong max)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(min, max);
        var w = Work.Of(Tnum.Unknown);
        w.UMin = min;
        w.UMax = max;
        return w.Finish();
    }

    /// <summary>Any value in the signed range [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static ScalarValue FromSigned(long min, long max)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(min, max);
        var w = Work.Of(Tnum.Unknown);
        w.SMin = min;
        w.SMax = max;
        return w.Finish();
    }

    /// <summary>Whether <paramref name="x"/> is one of the values.</summary>
    public bool Contains(ulong x) =>
        VarOff.Contains(x) && x >= UMin && x <= UMax && (long)x >= SMin && (long)x <= SMax
        && (uint)x >= U32Min && (uint)x <= U32Max && (int)x >= S32Min && (int)x <= S32Max;

    /// <summary>Whether every value of this is a value of <paramref name="other"/> (each part inside the other's; for pruning).</summary>
    public bool IsSubsetOf(ScalarValue other) =>
        VarOff.IsSubsetOf(other.VarOff) && UMin >= other.UMin && UMax <= other.UMax && SMin >= other.SMin && SMax <= other.SMax
        && U32Min >= other.U32Min && U32Max <= other.U32Max && S32Min >= other.S32Min && S32Max <= other.S32Max;

    /// <summary>A value holding both (the least upper bound of each part, so both are <see cref="IsSubsetOf"/> it), for merging states.</summary>
    public ScalarValue Join(ScalarValue other)
    {
        // Not synchronised: tightening could fall below a part of either input and break IsSubsetOf, which pruning needs.
        var w = Work.Of(VarOff.Union(other.VarOff));
        w.UMin = Math.Min(UMin, other.UMin);
        w.UMax = Math.Max(UMax, other.UMax);
        w.SMin = Math.Min(SMin, other.SMin);
        w.SMax = Math.Max(SMax, other.SMax);
        w.U32Min = Math.Min(U32Min, other.U32Min);
        w.U32Max = Math.Max(U32Max, other.U32Max);
        w.S32Min = Math.Min(S32Min, other.S32Min);
        w.S32Max = Math.Max(S32Max, other.S32Max);
        return w.ToValue();
    }

    /// <summary>The destination after the ALU or ALU64 instruction <paramref name="insn"/> (<paramref name="src"/> is ignored for an immediate operand).</summary>
    public static ScalarValue Alu(Instruction insn, ScalarValue dst, ScalarValue src)
    {
        if (!insn.IsAlu) throw new ArgumentException($"opcode 0x{insn.OpCode:x2} is not an ALU instruction", nameof(insn));
        // Exactly tracked loop counters make constant operands the common case: the one result, without the range work.
        if (dst.IsExactConst && (insn.Source == OperandSource.Imm || insn.AluOp == AluOp.Neg || src.IsExactConst)
            && TryFoldConst(insn, dst.VarOff.Value, src.VarOff.Value, out ulong folded)) return Const(folded);
        return AluGeneral(insn, dst, src);
    }

    /// <summary>
    /// A value that is one constant in every part (what <see cref="Const"/> builds and every synchronised constant is):
    /// on such values the transfer functions are exact, so the concrete result is theirs too.
    /// </summary>
    internal bool IsExactConst
    {
        get
        {
            ulong v = VarOff.Value;
            return VarOff.Mask == 0 && UMin == v && UMax == v && SMin == (long)v && SMax == (long)v
                && U32Min == (uint)v && U32Max == (uint)v && S32Min == (int)v && S32Max == (int)v;
        }
    }

    /// <summary>
    /// The concrete result of an ALU instruction on exact constants <paramref name="a"/> and <paramref name="src"/> (the
    /// immediate replaces <paramref name="src"/> for an immediate operand; RFC 9669 semantics); false where the general
    /// path decides. The caller checks the operands are <see cref="IsExactConst"/>.
    /// </summary>
    internal static bool TryFoldConst(in Instruction insn, ulong a, ulong src, out ulong result)
    {
        result = 0;
        var op = insn.AluOp;
        bool imm = insn.Source == OperandSource.Imm;
        // Moves are already cheap; byte swaps and sign-extending moves are left to the general path.
        if (op is AluOp.Mov or AluOp.End) return false;
        ulong b = imm ? (ulong)(long)insn.Imm : src;
        bool signed = insn.Offset == 1;
        if (op is AluOp.Div or AluOp.Mod ? insn.Offset > 1 : insn.Offset != 0) return false;
        if (insn.Class == OpClass.Alu64)
        {
            switch (op)
            {
                case AluOp.Add: result = a + b; return true;
                case AluOp.Sub: result = a - b; return true;
                case AluOp.Mul: result = a * b; return true;
                case AluOp.Or: result = a | b; return true;
                case AluOp.And: result = a & b; return true;
                case AluOp.Xor: result = a ^ b; return true;
                case AluOp.Lsh: result = a << (int)(b & 63); return true;
                case AluOp.Rsh: result = a >> (int)(b & 63); return true;
                case AluOp.Arsh: result = (ulong)((long)a >> (int)(b & 63)); return true;
                case AluOp.Neg: result = 0 - a; return true;
                case AluOp.Div: result = signed ? DivisionRules.SDiv64(a, (long)b) : DivisionRules.UDiv64(a, b); return true;
                case AluOp.Mod: result = signed ? DivisionRules.SMod64(a, (long)b) : DivisionRules.UMod64(a, b); return true;
                default: return false;
            }
        }

        uint x = (uint)a, y = (uint)b;
        uint r;
        switch (op)
        {
            case AluOp.Add: r = x + y; break;
            case AluOp.Sub: r = x - y; break;
            case AluOp.Mul: r = x * y; break;
            case AluOp.Or: r = x | y; break;
            case AluOp.And: r = x & y; break;
            case AluOp.Xor: r = x ^ y; break;
            case AluOp.Lsh: r = x << (int)(y & 31); break;
            case AluOp.Rsh: r = x >> (int)(y & 31); break;
            case AluOp.Arsh: r = (uint)((int)x >> (int)(y & 31)); break;
            case AluOp.Neg: r = 0 - x; break;
            case AluOp.Div: r = (uint)(signed ? DivisionRules.SDiv32((int)x, (int)y) : DivisionRules.UDiv32(x, y)); break;
            case AluOp.Mod: r = (uint)(signed ? DivisionRules.SMod32((int)x, (int)y) : DivisionRules.UMod32(x, y)); break;
            default: return false;
        }

        result = r;
        return true;
    }

    /// <summary><see cref="Alu"/> through the range transfer functions alone (no constant folding): what the folding must equal.</summary>
    internal static ScalarValue AluGeneral(Instruction insn, ScalarValue dst, ScalarValue src)
    {
        bool is64 = insn.Class == OpClass.Alu64;
        ScalarValue operand = insn.Source == OperandSource.Imm ? Const((ulong)(long)insn.Imm) : src;
        switch (insn.AluOp)
        {
            case AluOp.Mov:
                if (insn.Source == OperandSource.Imm) return is64 ? operand : Const((uint)insn.Imm);
                ScalarValue moved = insn.Offset == 0 ? src : SignExtend(src, insn.Offset);
                return is64 ? moved : Truncate(moved, 32);
            case AluOp.Neg:
                return is64 ? Sub(Const(0), dst) : Truncate(Sub(Const(0), Truncate(dst, 32)), 32);
            case AluOp.End:
                // ALU64 END is bswap; ALU END is "to big endian" (a swap on this little-endian ISA) or "to little
                // endian", which only truncates to the width.
                if (is64 || insn.Source == OperandSource.Reg) return ByteSwap(dst, insn.Imm / 8);
                return insn.Imm == 64 ? dst : Truncate(dst, insn.Imm);
        }

        bool signed = insn.Offset == 1 && insn.AluOp is AluOp.Div or AluOp.Mod;
        if (is64) return Binary(insn.AluOp, signed, 63, dst, operand);

        // The low 32 bits of a 64-bit operation on extended operands are the 32-bit result: zero-extended for
        // unsigned operations, sign-extended where the sign matters (arsh, signed div/mod; INT_MIN / -1 included).
        bool sext = signed || insn.AluOp == AluOp.Arsh;
        ScalarValue a = sext ? SignExtend(dst, 32) : Truncate(dst, 32);
        ScalarValue b = sext ? SignExtend(operand, 32) : Truncate(operand, 32);
        return Truncate(Binary(insn.AluOp, signed, 31, a, b), 32);
    }

    /// <summary>Both operands of a conditional jump narrowed to the pairs that go one way; false if none can (a dead branch).</summary>
    public static bool TryRefine(JumpOp op, bool is32, bool taken, ScalarValue dst, ScalarValue src, out ScalarValue dstOut, out ScalarValue srcOut)
    {
        if (op is JumpOp.Ja or JumpOp.Call or JumpOp.Exit) throw new ArgumentOutOfRangeException(nameof(op), op, "not a conditional jump");
        dstOut = dst;
        srcOut = src;
        // Two exact constants: the comparison itself decides, and a possible branch learns nothing new.
        if (dst.IsExactConst && src.IsExactConst) return Compare(op, is32, dst.VarOff.Value, src.VarOff.Value) == taken;
        return TryRefineGeneral(op, is32, taken, dst, src, out dstOut, out srcOut);
    }

    /// <summary>The concrete outcome of a conditional jump (RFC 9669), on the low 32 bits for <c>JMP32</c>.</summary>
    internal static bool Compare(JumpOp op, bool is32, ulong d, ulong s)
    {
        if (is32)
        {
            d = (uint)d;
            s = (uint)s;
        }

        long sd = is32 ? (int)d : (long)d, ss = is32 ? (int)s : (long)s;
        return op switch
        {
            JumpOp.Jeq => d == s,
            JumpOp.Jne => d != s,
            JumpOp.Jgt => d > s,
            JumpOp.Jge => d >= s,
            JumpOp.Jlt => d < s,
            JumpOp.Jle => d <= s,
            JumpOp.Jsgt => sd > ss,
            JumpOp.Jsge => sd >= ss,
            JumpOp.Jslt => sd < ss,
            JumpOp.Jsle => sd <= ss,
            _ => (d & s) != 0,
        };
    }

    /// <summary><see cref="TryRefine"/> through the range refinement alone (no constant shortcut): what the shortcut must equal.</summary>
    internal static bool TryRefineGeneral(JumpOp op, bool is32, bool taken, ScalarValue dst, ScalarValue src, out ScalarValue dstOut, out ScalarValue srcOut)
    {
        var d = Work.Of(dst);
        var s = Work.Of(src);
        bool possible = (taken ? op : Negate(op)) switch
        {
            JumpOp.Jeq => Equal(ref d, ref s, is32),
            JumpOp.Jne => NotEqual(ref d, ref s, is32) && NotEqual(ref s, ref d, is32),
            JumpOp.Jgt => Less(ref s, ref d, is32, false, true),
            JumpOp.Jge => Less(ref s, ref d, is32, false, false),
            JumpOp.Jlt => Less(ref d, ref s, is32, false, true),
            JumpOp.Jle => Less(ref d, ref s, is32, false, false),
            JumpOp.Jsgt => Less(ref s, ref d, is32, true, true),
            JumpOp.Jsge => Less(ref s, ref d, is32, true, false),
            JumpOp.Jslt => Less(ref d, ref s, is32, true, true),
            JumpOp.Jsle => Less(ref d, ref s, is32, true, false),
            _ => taken ? SomeBitShared(ref d, ref s, is32) : NoBitShared(ref d, ref s, is32),
        };
        possible = possible && d.Sync() && s.Sync();
        dstOut = possible ? d.ToValue() : dst;
        srcOut = possible ? s.ToValue() : src;
        return possible;
    }

    /// <summary>The kernel verifier log's form: the value if constant, else <c>scalar(…,var_off=(…))</c> with every part that says something.</summary>
    public override string ToString()
    {
        if (IsConst) return ((long)VarOff.Value).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var text = new StringBuilder("scalar(");
        if (SMin != long.MinValue) text.Append($"smin={SMin},");
        if (SMax != long.MaxValue) text.Append($"smax={SMax},");
        if (UMin != 0) text.Append($"umin={UMin},");
        if (UMax != ulong.MaxValue) text.Append($"umax={UMax},");
        if (S32Min != int.MinValue) text.Append($"smin32={S32Min},");
        if (S32Max != int.MaxValue) text.Append($"smax32={S32Max},");
        if (U32Min != 0) text.Append($"umin32={U32Min},");
        if (U32Max != uint.MaxValue) text.Append($"umax32={U32Max},");
        if (VarOff != Tnum.Unknown) text.Append($"var_off={VarOff},");
        if (text[^1] == ',') text.Length--;
        return text.Append(')').ToString();
    }

    /// <summary>The synchronised value of these parts, or false when they admit no value at all.</summary>
    internal static bool TryCreate(Tnum varOff, ulong umin, ulong umax, long smin, long smax, uint u32min, uint u32max, int s32min, int s32max, out ScalarValue value)
    {
        var w = Work.Of(new ScalarValue(varOff, umin, umax, smin, smax, u32min, u32max, s32min, s32max));
        bool ok = w.Sync();
        value = ok ? w.ToValue() : Unknown;
        return ok;
    }

    /// <summary>The low <paramref name="bits"/> bits (8, 16, 32 or 64), zero-extended.</summary>
    internal static ScalarValue Truncate(ScalarValue a, int bits)
    {
        if (bits == 64) return a;
        var w = Work.Of(a.VarOff.Cast(bits / 8));
        Project(a, bits, false, out Int128 lo, out Int128 hi);
        w.ClampU(64, lo, hi);
        if (bits == 32)
        {
            w.ClampU(32, lo, hi);
            Project(a, 32, true, out lo, out hi);
            w.ClampS(32, lo, hi);
        }

        return w.Finish();
    }

    /// <summary>The low <paramref name="bits"/> bits (8, 16, 32 or 64), sign-extended to 64 bits.</summary>
    internal static ScalarValue SignExtend(ScalarValue a, int bits)
    {
        if (bits == 64) return a;
        var w = Work.Of(a.VarOff.SignExtend(bits));
        Project(a, bits, true, out Int128 lo, out Int128 hi);
        w.ClampS(64, lo, hi);
        w.ClampS(32, lo, hi);
        if (bits == 32)
        {
            Project(a, 32, false, out lo, out hi);
            w.ClampU(32, lo, hi);
        }

        return w.Finish();
    }

    private static JumpOp Negate(JumpOp op) => op switch
    {
        JumpOp.Jeq => JumpOp.Jne,
        JumpOp.Jne => JumpOp.Jeq,
        JumpOp.Jgt => JumpOp.Jle,
        JumpOp.Jle => JumpOp.Jgt,
        JumpOp.Jge => JumpOp.Jlt,
        JumpOp.Jlt => JumpOp.Jge,
        JumpOp.Jsgt => JumpOp.Jsle,
        JumpOp.Jsle => JumpOp.Jsgt,
        JumpOp.Jsge => JumpOp.Jslt,
        JumpOp.Jslt => JumpOp.Jsge,
        _ => op,
    };

    // ---- Transfer functions on 64-bit values: bounds come from exact integer intervals, wrapped (Work.Set). ----

    private static ScalarValue Binary(AluOp op, bool signed, int shiftMask, ScalarValue a, ScalarValue b) => op switch
    {
        AluOp.Add => Add(a, b),
        AluOp.Sub => Sub(a, b),
        AluOp.Mul => Mul(a, b),
        AluOp.Div => signed ? SignedDiv(a, b) : UnsignedDiv(a, b),
        AluOp.Mod => signed ? SignedMod(a, b) : UnsignedMod(a, b),
        AluOp.And => And(a, b),
        AluOp.Or => Or(a, b),
        AluOp.Xor => Work.Of(a.VarOff.Xor(b.VarOff)).Finish(),
        AluOp.Lsh or AluOp.Rsh or AluOp.Arsh => Shift(op, a, b, shiftMask),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "not a binary ALU operation"),
    };

    private static ScalarValue Add(ScalarValue a, ScalarValue b)
    {
        var w = Work.Of(a.VarOff.Add(b.VarOff));
        w.Set(64, false, (Int128)a.UMin + b.UMin, (Int128)a.UMax + b.UMax);
        w.Set(64, true, (Int128)a.SMin + b.SMin, (Int128)a.SMax + b.SMax);
        w.Set(32, false, (Int128)a.U32Min + b.U32Min, (Int128)a.U32Max + b.U32Max);
        w.Set(32, true, (Int128)a.S32Min + b.S32Min, (Int128)a.S32Max + b.S32Max);
        return w.Finish();
    }

    private static ScalarValue Sub(ScalarValue a, ScalarValue b)
    {
        var w = Work.Of(a.VarOff.Sub(b.VarOff));
        w.Set(64, false, (Int128)a.UMin - b.UMax, (Int128)a.UMax - b.UMin);
        w.Set(64, true, (Int128)a.SMin - b.SMax, (Int128)a.SMax - b.SMin);
        w.Set(32, false, (Int128)a.U32Min - b.U32Max, (Int128)a.U32Max - b.U32Min);
        w.Set(32, true, (Int128)a.S32Min - b.S32Max, (Int128)a.S32Max - b.S32Min);
        return w.Finish();
    }

    private static ScalarValue Mul(ScalarValue a, ScalarValue b)
    {
        var w = Work.Of(a.VarOff.Mul(b.VarOff));
        // An unsigned 64-bit product may reach 2^128, past Int128: then the bounds say nothing anyway.
        UInt128 high = (UInt128)a.UMax * b.UMax;
        if (high <= (UInt128)Int128.MaxValue) w.Set(64, false, (Int128)a.UMin * b.UMin, (Int128)high);
        Corners(a.SMin, a.SMax, b.SMin, b.SMax, out Int128 lo, out Int128 hi);
        w.Set(64, true, lo, hi);
        w.Set(32, false, (Int128)a.U32Min * b.U32Min, (Int128)a.U32Max * b.U32Max);
        Corners(a.S32Min, a.S32Max, b.S32Min, b.S32Max, out lo, out hi);
        w.Set(32, true, lo, hi);
        return w.Finish();
    }

    private static void Corners(long amin, long amax, long bmin, long bmax, out Int128 lo, out Int128 hi)
    {
        // The product of two intervals of integers takes its extremes at the corners.
        Int128 p1 = (Int128)amin * bmin, p2 = (Int128)amin * bmax, p3 = (Int128)amax * bmin, p4 = (Int128)amax * bmax;
        lo = Int128.Min(Int128.Min(p1, p2), Int128.Min(p3, p4));
        hi = Int128.Max(Int128.Max(p1, p2), Int128.Max(p3, p4));
    }

    private static ScalarValue UnsignedDiv(ScalarValue a, ScalarValue b)
    {
        // RFC 9669: x / 0 = 0, so a divisor range reaching 0 adds 0 to the results.
        if (b.UMax == 0) return Const(0);
        if (b.IsConst && BitOperations.IsPow2(b.VarOff.Value)) return ShiftBy(AluOp.Rsh, a, BitOperations.Log2(b.VarOff.Value));
        var w = Work.Of(Tnum.Unknown);
        w.Set(64, false, b.UMin == 0 ? 0 : a.UMin / b.UMax, a.UMax / Math.Max(b.UMin, 1));
        return w.Finish();
    }

    private static ScalarValue SignedDiv(ScalarValue a, ScalarValue b)
    {
        var w = Work.Of(Tnum.Unknown);
        long c = (long)b.VarOff.Value;
        if (b.IsConst && c == 0) return Const(0);
        if (b.IsConst && c == -1) return Sub(Const(0), a);
        if (b.IsConst)
        {
            // Truncating division by a fixed c is monotone in the dividend: rising for c > 0, falling for c < 0.
            (long lo, long hi) = c > 0 ? (a.SMin / c, a.SMax / c) : (a.SMax / c, a.SMin / c);
            w.Set(64, true, lo, hi);
        }
        else if (a.SMin >= 0 && b.SMin >= 0)
        {
            if (b.SMax == 0) return Const(0);
            w.Set(64, true, b.SMin == 0 ? 0 : a.SMin / Math.Max(b.SMax, 1), a.SMax / Math.Max(b.SMin, 1));
        }
        else if (a.SMin != long.MinValue)
        {
            // |a / b| <= |a| for every b (0 gives 0); only LLONG_MIN / -1 overflows, excluded here.
            long magnitude = Math.Max(-a.SMin, a.SMax);
            w.Set(64, true, -magnitude, magnitude);
        }

        return w.Finish();
    }

    private static ScalarValue UnsignedMod(ScalarValue a, ScalarValue b)
    {
        // RFC 9669: x % 0 = x.
        if (b.UMax == 0 || a.UMax < b.UMin) return a;
        if (b.IsConst && BitOperations.IsPow2(b.VarOff.Value)) return And(a, Const(b.VarOff.Value - 1));
        var w = Work.Of(Tnum.Unknown);
        ulong c = b.VarOff.Value;
        if (b.IsConst && a.UMin / c == a.UMax / c)
        {
            // One quotient for the whole range: the remainder is the dividend shifted down, still a range.
            w.Set(64, false, a.UMin % c, a.UMax % c);
            return w.Finish();
        }

        w.Set(64, false, 0, b.UMin > 0 ? Math.Min(a.UMax, b.UMax - 1) : a.UMax);
        return w.Finish();
    }

    private static ScalarValue SignedMod(ScalarValue a, ScalarValue b)
    {
        long c = (long)b.VarOff.Value;
        if (b.IsConst && c == 0) return a;
        if (b.IsConst && c == -1) return Const(0);
        var w = Work.Of(Tnum.Unknown);
        if (b.IsConst && a.SMin / c == a.SMax / c)
        {
            // Truncating division is monotone, so equal quotients at both ends mean one quotient q for the whole
            // range, and the remainder a - q * c rises with a.
            w.Set(64, true, a.SMin % c, a.SMax % c);
            return w.Finish();
        }

        // The remainder takes the dividend's sign and never exceeds it in magnitude (x % 0 = x, x % -1 = 0).
        Int128 hi = Math.Max(a.SMax, 0);
        if (a.SMin >= 0 && b.SMin > 0) hi = Int128.Min(hi, (Int128)b.SMax - 1);
        w.Set(64, true, Math.Min(a.SMin, 0), hi);
        return w.Finish();
    }

    private static ScalarValue And(ScalarValue a, ScalarValue b)
    {
        var w = Work.Of(a.VarOff.And(b.VarOff));
        // x & y <= min(x, y) unsigned; a non-negative operand bounds the result to [0, it]; two negative ones stay negative.
        w.UMax = Math.Min(a.UMax, b.UMax);
        w.U32Max = Math.Min(a.U32Max, b.U32Max);
        AndSigned(a.SMin, a.SMax, b.SMin, b.SMax, ref w.SMin, ref w.SMax);
        AndSigned(a.S32Min, a.S32Max, b.S32Min, b.S32Max, ref w.S32Min, ref w.S32Max);
        return w.Finish();
    }

    private static void AndSigned(long amin, long amax, long bmin, long bmax, ref long min, ref long max)
    {
        if (amin >= 0 || bmin >= 0)
        {
            min = 0;
            max = amin >= 0 && bmin >= 0 ? Math.Min(amax, bmax) : amin >= 0 ? amax : bmax;
        }
        else if (amax < 0 && bmax < 0)
        {
            max = Math.Min(amax, bmax);
        }
    }

    private static ScalarValue Or(ScalarValue a, ScalarValue b)
    {
        var w = Work.Of(a.VarOff.Or(b.VarOff));
        // x | y >= max(x, y) unsigned; a negative operand makes the result negative and no smaller than it.
        w.UMin = Math.Max(a.UMin, b.UMin);
        w.U32Min = Math.Max(a.U32Min, b.U32Min);
        OrSigned(a.SMin, a.SMax, b.SMin, b.SMax, ref w.SMin, ref w.SMax);
        OrSigned(a.S32Min, a.S32Max, b.S32Min, b.S32Max, ref w.S32Min, ref w.S32Max);
        return w.Finish();
    }

    private static void OrSigned(long amin, long amax, long bmin, long bmax, ref long min, ref long max)
    {
        if (amin >= 0 && bmin >= 0)
        {
            min = Math.Max(amin, bmin);
        }
        else if (amax < 0 || bmax < 0)
        {
            max = -1;
            min = amax < 0 && bmax < 0 ? Math.Max(amin, bmin) : amax < 0 ? amin : bmin;
        }
    }

    private static ScalarValue Shift(AluOp op, ScalarValue a, ScalarValue b, int mask)
    {
        // The amount is src & mask: join the exact result of every amount src can still have.
        var amounts = new Tnum(b.VarOff.Value & (ulong)mask, b.VarOff.Mask & (ulong)mask);
        ulong first = 0, last = (ulong)mask;
        if (b.UMax <= (ulong)mask) (first, last) = (b.UMin, b.UMax);
        else if (b.U32Max <= (ulong)mask) (first, last) = (b.U32Min, b.U32Max);
        ScalarValue? result = null;
        for (ulong k = first; k <= last; k++)
        {
            if (!amounts.Contains(k)) continue;
            ScalarValue one = ShiftBy(op, a, (int)k);
            result = result is { } r ? r.Join(one) : one;
        }

        return result is { } joined ? Work.Of(joined).Finish() : Unknown;
    }

    private static ScalarValue ShiftBy(AluOp op, ScalarValue a, int k)
    {
        if (k == 0) return a;
        Work w;
        switch (op)
        {
            case AluOp.Lsh:
                w = Work.Of(a.VarOff.Lsh(k));
                w.Set(64, false, (Int128)a.UMin << k, (Int128)a.UMax << k);
                w.Set(64, true, (Int128)a.SMin << k, (Int128)a.SMax << k);
                if (k < 32)
                {
                    // The low 32 bits of x << k depend on the low 32 bits of x alone.
                    w.Set(32, false, (Int128)a.U32Min << k, (Int128)a.U32Max << k);
                    w.Set(32, true, (Int128)a.S32Min << k, (Int128)a.S32Max << k);
                }

                break;
            case AluOp.Rsh:
                w = Work.Of(a.VarOff.Rsh(k));
                w.Set(64, false, a.UMin >> k, a.UMax >> k);
                break;
            default:
                w = Work.Of(a.VarOff.Arsh(k));
                w.Set(64, true, a.SMin >> k, a.SMax >> k);
                break;
        }

        return w.Finish();
    }

    private static ScalarValue ByteSwap(ScalarValue a, int bytes)
    {
        // A byte swap permutes bits: the tnum follows exactly, the ranges are rebuilt from it.
        var w = Work.Of(a.VarOff.ByteSwap(bytes));
        return w.Finish();
    }

    /// <summary>Bounds of x mod 2^<paramref name="bits"/> (signed or unsigned) over the values of <paramref name="a"/>, from each range.</summary>
    private static void Project(ScalarValue a, int bits, bool signed, out Int128 lo, out Int128 hi)
    {
        Window(bits, signed, out lo, out hi);
        Meet(ref lo, ref hi, a.UMin, a.UMax, bits, signed);
        Meet(ref lo, ref hi, a.SMin, a.SMax, bits, signed);
        if (bits > 32) return;
        // x and its low 32 bits agree modulo 2^bits for bits <= 32.
        Meet(ref lo, ref hi, a.U32Min, a.U32Max, bits, signed);
        Meet(ref lo, ref hi, a.S32Min, a.S32Max, bits, signed);
    }

    private static void Meet(ref Int128 lo, ref Int128 hi, Int128 min, Int128 max, int bits, bool signed)
    {
        Wrap(min, max, bits, signed, out Int128 l, out Int128 h);
        lo = Int128.Max(lo, l);
        hi = Int128.Min(hi, h);
    }

    private static void Window(int bits, bool signed, out Int128 lo, out Int128 hi)
    {
        Int128 size = Int128.One << bits;
        lo = signed ? -(size >> 1) : 0;
        hi = lo + size - 1;
    }

    /// <summary>
    /// The tightest range of x mod 2^<paramref name="bits"/> (in the signed or unsigned window) for x in the exact integer
    /// interval [<paramref name="min"/>, <paramref name="max"/>]: the interval shifted into the window if it fits in
    /// one turn without crossing the window's end, else the whole window.
    /// </summary>
    private static void Wrap(Int128 min, Int128 max, int bits, bool signed, out Int128 lo, out Int128 hi)
    {
        Window(bits, signed, out Int128 first, out Int128 last);
        Int128 size = Int128.One << bits;
        Int128 span = max - min;
        if (span < 0 || span >= size)
        {
            (lo, hi) = (first, last);
            return;
        }

        // (min − first) mod 2^bits, in [0, size): a mask, since Int128 division is a slow software routine.
        Int128 offset = (min - first) & (size - 1);
        lo = first + offset;
        hi = lo + span;
        if (hi > last) (lo, hi) = (first, last);
    }

    // ---- Branch refinement, on the 64-bit or the low-32-bit view of each operand. ----

    private static bool Equal(ref Work d, ref Work s, bool is32)
    {
        Tnum dt = is32 ? d.T.Subreg : d.T, st = is32 ? s.T.Subreg : s.T;
        if (!dt.Overlaps(st)) return false;
        Tnum both = dt.Intersect(st);
        d.T = is32 ? d.T.WithSubreg(both) : both;
        s.T = is32 ? s.T.WithSubreg(both) : both;
        d.Get(is32, out ulong dumin, out ulong dumax, out long dsmin, out long dsmax);
        s.Get(is32, out ulong sumin, out ulong sumax, out long ssmin, out long ssmax);
        ulong umin = Math.Max(dumin, sumin), umax = Math.Min(dumax, sumax);
        long smin = Math.Max(dsmin, ssmin), smax = Math.Min(dsmax, ssmax);
        d.Put(is32, umin, umax, smin, smax);
        s.Put(is32, umin, umax, smin, smax);
        return umin <= umax && smin <= smax;
    }

    /// <summary>Narrows <paramref name="d"/> given d != s: only a constant s can cut an end off d's ranges.</summary>
    private static bool NotEqual(ref Work d, ref Work s, bool is32)
    {
        Tnum st = is32 ? s.T.Subreg : s.T;
        if (!st.IsConst) return true;
        ulong c = st.Value;
        d.Get(is32, out ulong umin, out ulong umax, out long smin, out long smax);
        long sc = is32 ? (int)c : (long)c;
        // Only a range that is c alone leaves nothing; otherwise cutting an end that equals c cannot overflow.
        if (umin == c)
        {
            if (umax == c) return false;
            umin++;
        }
        else if (umax == c)
        {
            umax--;
        }

        if (smin == sc)
        {
            if (smax == sc) return false;
            smin++;
        }
        else if (smax == sc)
        {
            smax--;
        }

        d.Put(is32, umin, umax, smin, smax);
        return true;
    }

    /// <summary>Narrows both given lo &lt; hi (<paramref name="strict"/>) or lo &lt;= hi, signed or unsigned.</summary>
    private static bool Less(ref Work lo, ref Work hi, bool is32, bool signed, bool strict)
    {
        lo.Get(is32, out ulong lumin, out ulong lumax, out long lsmin, out long lsmax);
        hi.Get(is32, out ulong humin, out ulong humax, out long hsmin, out long hsmax);
        ulong gap = strict ? 1UL : 0;
        if (signed)
        {
            long floor = is32 ? int.MinValue : long.MinValue, ceiling = is32 ? int.MaxValue : long.MaxValue;
            if (strict && (lsmin == ceiling || hsmax == floor)) return false;
            hsmin = Math.Max(hsmin, lsmin + (long)gap);
            lsmax = Math.Min(lsmax, hsmax - (long)gap);
        }
        else
        {
            ulong ceiling = is32 ? Low32 : ulong.MaxValue;
            if (strict && (lumin == ceiling || humax == 0)) return false;
            humin = Math.Max(humin, lumin + gap);
            lumax = Math.Min(lumax, humax - gap);
        }

        lo.Put(is32, lumin, lumax, lsmin, lsmax);
        hi.Put(is32, humin, humax, hsmin, hsmax);
        return lumin <= lumax && humin <= humax && lsmin <= lsmax && hsmin <= hsmax;
    }

    private static bool SomeBitShared(ref Work d, ref Work s, bool is32)
    {
        ulong width = is32 ? Low32 : ulong.MaxValue;
        ulong maybeD = (d.T.Value | d.T.Mask) & width, maybeS = (s.T.Value | s.T.Mask) & width;
        ulong shared = maybeD & maybeS;
        if (shared == 0) return false;
        // With one side constant and only one bit left that both may have, that bit must be set.
        if (BitOperations.PopCount(shared) == 1)
        {
            if ((s.T.Mask & width) == 0) d.T = new Tnum(d.T.Value | shared, d.T.Mask & ~shared);
            if ((d.T.Mask & width) == 0) s.T = new Tnum(s.T.Value | shared, s.T.Mask & ~shared);
        }

        return true;
    }

    private static bool NoBitShared(ref Work d, ref Work s, bool is32)
    {
        ulong width = is32 ? Low32 : ulong.MaxValue;
        if ((d.T.Value & s.T.Value & width) != 0) return false;
        // Every bit known set on one side is known clear on the other.
        ulong dOnes = d.T.Value & width, sOnes = s.T.Value & width;
        d.T = new Tnum(d.T.Value & ~sOnes, d.T.Mask & ~sOnes);
        s.T = new Tnum(s.T.Value & ~dOnes, s.T.Mask & ~dOnes);
        return true;
    }

    /// <summary>A scalar under construction: parts a transfer function narrows, then <see cref="Sync"/>.</summary>
    private record struct Work
    {
        public Tnum T;
        public ulong UMin, UMax;
        public long SMin, SMax;
        public ulong U32Min, U32Max;
        public long S32Min, S32Max;

        public static Work Of(Tnum t) => new()
        {
            T = t, UMin = 0, UMax = ulong.MaxValue, SMin = long.MinValue, SMax = long.MaxValue,
            U32Min = 0, U32Max = Low32, S32Min = int.MinValue, S32Max = int.MaxValue,
        };

        public static Work Of(ScalarValue v) => new()
        {
            T = v.VarOff, UMin = v.UMin, UMax = v.UMax, SMin = v.SMin, SMax = v.SMax,
            U32Min = v.U32Min, U32Max = v.U32Max, S32Min = v.S32Min, S32Max = v.S32Max,
        };

        public readonly ScalarValue ToValue() =>
            new(T, UMin, UMax, SMin, SMax, (uint)U32Min, (uint)U32Max, (int)S32Min, (int)S32Max);

        /// <summary>Synchronised; Unknown if the parts contradict, which a sound transfer only meets on empty inputs.</summary>
        public ScalarValue Finish() => Sync() ? ToValue() : Unknown;

        /// <summary>Narrows the range of the given width and sign to the wrapped image of the exact interval [lo, hi].</summary>
        public void Set(int bits, bool signed, Int128 lo, Int128 hi)
        {
            Wrap(lo, hi, bits, signed, out Int128 l, out Int128 h);
            if (signed) ClampS(bits, l, h);
            else ClampU(bits, l, h);
        }

        public void ClampU(int bits, Int128 lo, Int128 hi)
        {
            ref ulong min = ref bits == 64 ? ref UMin : ref U32Min;
            ref ulong max = ref bits == 64 ? ref UMax : ref U32Max;
            if (lo > min) min = (ulong)lo;
            if (hi < max) max = (ulong)hi;
        }

        public void ClampS(int bits, Int128 lo, Int128 hi)
        {
            ref long min = ref bits == 64 ? ref SMin : ref S32Min;
            ref long max = ref bits == 64 ? ref SMax : ref S32Max;
            if (lo > min) min = (long)lo;
            if (hi < max) max = (long)hi;
        }

        public readonly void Get(bool is32, out ulong umin, out ulong umax, out long smin, out long smax)
        {
            (umin, umax, smin, smax) = is32 ? (U32Min, U32Max, S32Min, S32Max) : (UMin, UMax, SMin, SMax);
        }

        public void Put(bool is32, ulong umin, ulong umax, long smin, long smax)
        {
            if (is32) (U32Min, U32Max, S32Min, S32Max) = (umin, umax, smin, smax);
            else (UMin, UMax, SMin, SMax) = (umin, umax, smin, smax);
        }

        /// <summary>Lets every part tighten the others until nothing changes; false when they admit no value.</summary>
        public bool Sync()
        {
            for (int round = 0; round < 8; round++)
            {
                Work before = this;
                BoundsFromTnum();
                Cross(ref UMin, ref UMax, ref SMin, ref SMax, 64);
                Cross(ref U32Min, ref U32Max, ref S32Min, ref S32Max, 32);
                // The low 32 bits of a 64-bit range (unsigned or signed), when it wraps them at most once.
                Project32(UMin, UMax);
                Project32(SMin, SMax);
                if (IsEmpty || !Lift()) return false;
                if (!TnumFromBounds()) return false;
                if (this == before) break;
            }

            return !IsEmpty;
        }

        private readonly bool IsEmpty => UMin > UMax || SMin > SMax || U32Min > U32Max || S32Min > S32Max;

        private void BoundsFromTnum()
        {
            // The smallest member has every unknown bit clear, the largest every one set; signed, an unknown sign
            // bit counts as set for the minimum and clear for the maximum.
            const ulong sign = 1UL << 63;
            UMin = Math.Max(UMin, T.Value);
            UMax = Math.Min(UMax, T.Value | T.Mask);
            SMin = Math.Max(SMin, (long)(T.Value | (T.Mask & sign)));
            SMax = Math.Min(SMax, (long)((T.Value | T.Mask) & ~(T.Mask & sign)));
            Tnum low = T.Subreg;
            const ulong sign32 = 1UL << 31;
            U32Min = Math.Max(U32Min, low.Value);
            U32Max = Math.Min(U32Max, low.Value | low.Mask);
            S32Min = Math.Max(S32Min, (int)(uint)(low.Value | (low.Mask & sign32)));
            S32Max = Math.Min(S32Max, (int)(uint)((low.Value | low.Mask) & ~(low.Mask & sign32)));
        }

        private void Project32(Int128 min, Int128 max)
        {
            Wrap(min, max, 32, false, out Int128 lo, out Int128 hi);
            ClampU(32, lo, hi);
            Wrap(min, max, 32, true, out lo, out hi);
            ClampS(32, lo, hi);
        }

        /// <summary>Signed and unsigned ranges of one width, each narrowed by the other.</summary>
        private static void Cross(ref ulong umin, ref ulong umax, ref long smin, ref long smax, int bits)
        {
            ulong all = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
            if (smin >= 0 || smax < 0)
            {
                // A signed range on one side of zero is an unsigned range too.
                umin = Math.Max(umin, (ulong)smin & all);
                umax = Math.Min(umax, (ulong)smax & all);
            }
            else if (umax < ((ulong)smin & all))
            {
                // Signed it spans [smin, -1] ∪ [0, smax]; the unsigned range misses the negative part.
                umax = Math.Min(umax, (ulong)smax);
                if (umin <= umax) smin = Math.Max(smin, (long)umin);
            }
            else if (umin > (ulong)smax)
            {
                umin = Math.Max(umin, (ulong)smin & all);
                if (umin <= umax) smax = Math.Min(smax, Signed(umax, bits));
            }

            if (umin > umax) return;
            long lo = Signed(umin, bits), hi = Signed(umax, bits);
            if (lo <= hi)
            {
                // An unsigned range within one half is a signed range too.
                smin = Math.Max(smin, lo);
                smax = Math.Min(smax, hi);
            }
            else if (smax < lo)
            {
                // Unsigned it spans [lo, max] ∪ [min, hi] as signed pieces; the signed range misses the first.
                smax = Math.Min(smax, hi);
            }
            else if (smin > hi)
            {
                smin = Math.Max(smin, lo);
            }
        }

        private static long Signed(ulong x, int bits) => bits == 64 ? (long)x : (long)(x << (64 - bits)) >> (64 - bits);

        /// <summary>64-bit ends moved to the nearest values whose low 32 bits lie in the 32-bit ranges; false if none.</summary>
        private bool Lift()
        {
            const ulong turn = 1UL << 32;
            ulong high = UMin & ~Low32, low = UMin & Low32;
            if (low < U32Min) UMin = high | U32Min;
            else if (low > U32Max)
            {
                if (high == ~Low32) return false;
                UMin = (high + turn) | U32Min;
            }

            high = UMax & ~Low32;
            low = UMax & Low32;
            if (low > U32Max) UMax = high | U32Max;
            else if (low < U32Min)
            {
                if (high == 0) return false;
                UMax = (high - turn) | U32Max;
            }

            // Signed order is (signed high half, unsigned low half) lexicographically, so the same steps apply.
            long shigh = SMin & ~(long)Low32;
            low = (ulong)SMin & Low32;
            if (low < U32Min) SMin = shigh | (long)U32Min;
            else if (low > U32Max)
            {
                if (shigh == (long.MaxValue & ~(long)Low32)) return false;
                SMin = (shigh + (long)turn) | (long)U32Min;
            }

            shigh = SMax & ~(long)Low32;
            low = (ulong)SMax & Low32;
            if (low > U32Max) SMax = shigh | (long)U32Max;
            else if (low < U32Min)
            {
                if (shigh == long.MinValue) return false;
                SMax = (shigh - (long)turn) | (long)U32Max;
            }

            return true;
        }

        private bool TnumFromBounds()
        {
            Tnum range = Tnum.Range(UMin, UMax);
            if (!T.Overlaps(range)) return false;
            T = T.Intersect(range);
            Tnum low = T.Subreg, range32 = Tnum.Range(U32Min, U32Max);
            if (!low.Overlaps(range32)) return false;
            T = T.WithSubreg(low.Intersect(range32));
            return true;
        }
    }
}
