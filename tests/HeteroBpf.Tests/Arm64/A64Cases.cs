using System.Globalization;
using HeteroBpf.Jit.Arm64;
using static HeteroBpf.Jit.Arm64.A64Register;
using static HeteroBpf.Jit.Arm64.A64Width;

namespace HeteroBpf.Tests.Arm64;

/// <summary>
/// One encoder call and the assembly it must be, written as binutils prints it (preferred aliases, hex immediates).
/// Branch targets are written <c>.+N</c>/<c>.-N</c> (bytes from the instruction) and ADRP pages <c>@pageN</c>, resolved
/// to absolute addresses for objdump. A case may write several words; its lines are separated by "; ".
/// </summary>
public sealed record A64Case(string Form, string Asm, Action<A64Encoder> Emit)
{
    public override string ToString() => $"{Form}: {Asm}";
}

/// <summary>The table of encoder cases: every form, the edges of every immediate, every register including 31.</summary>
internal static class A64Cases
{
    private static readonly string[] Conds = ["eq", "ne", "hs", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al", "nv"];

    public static string Name(A64Register r, A64Width w) => r switch
    {
        Zr => w == X64 ? "xzr" : "wzr",
        Sp => w == X64 ? "sp" : "wsp",
        _ => (w == X64 ? "x" : "w") + ((int)r).ToString(CultureInfo.InvariantCulture),
    };

    private static string Hex(ulong v) => "#0x" + v.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Register i in 0..31 where 31 is ZR (zero-register fields) or SP (stack-pointer fields).</summary>
    private static A64Register Z(int i) => i % 32 == 31 ? Zr : (A64Register)(i % 32);
    private static A64Register S(int i) => i % 32 == 31 ? Sp : (A64Register)(i % 32);

    private static string Shift(A64Shift s, int amount) =>
        s == A64Shift.Lsl && amount == 0 ? "" : $", {s.ToString().ToLowerInvariant()} #{amount}";

    private static readonly A64Width[] Widths = [W32, X64];

    public static List<A64Case> All()
    {
        var c = new List<A64Case>();
        void Add(string form, string asm, Action<A64Encoder> emit) => c.Add(new A64Case(form, asm, emit));

        // ---- Move wide
        foreach (var w in Widths)
        {
            int bits = w == X64 ? 64 : 32;
            ulong mask = w == X64 ? ulong.MaxValue : uint.MaxValue;
            for (int i = 0; i < 32; i++)
            {
                var rd = Z(i);
                foreach (ulong imm in new ulong[] { 0, 1, 0x1234, 0xffff })
                    for (int sh16 = 0; sh16 < bits; sh16 += 16)
                    {
                        int shift = sh16; // a copy per iteration: the lambdas capture it
                        if (i % 4 != 0 && (imm != 0x1234 || shift != 16) && i != 31) continue; // all registers on one value, all values on some
                        string d = Name(rd, w);
                        string movz = imm == 0 && shift != 0 ? $"movz {d}, {Hex(imm)}, lsl #{shift}" : $"mov {d}, {Hex(imm << shift)}";
                        Add(nameof(A64Encoder.Movz), movz, e => e.Movz(w, rd, imm, shift));
                        ulong notv = ~(imm << shift) & mask;
                        bool movnAlias = !(imm == 0 && shift != 0) && !(w == W32 && imm == 0xffff);
                        string movn = movnAlias ? $"mov {d}, {Hex(notv)}" : $"movn {d}, {Hex(imm)}" + (shift != 0 ? $", lsl #{shift}" : "");
                        Add(nameof(A64Encoder.Movn), movn, e => e.Movn(w, rd, imm, shift));
                        Add(nameof(A64Encoder.Movk), $"movk {d}, {Hex(imm)}" + (shift != 0 ? $", lsl #{shift}" : ""), e => e.Movk(w, rd, imm, shift));
                    }
            }
        }
        Add(nameof(A64Encoder.MovConstant), "mov x3, #0x0", e => e.MovConstant(X64, X3, 0));
        Add(nameof(A64Encoder.MovConstant), "mov x3, #0xffffffffffffffff", e => e.MovConstant(X64, X3, ulong.MaxValue));
        Add(nameof(A64Encoder.MovConstant), "mov x3, #0x1234; movk x3, #0x5678, lsl #32", e => e.MovConstant(X64, X3, 0x0000_5678_0000_1234));
        Add(nameof(A64Encoder.MovConstant), "mov x3, #0xffffffffffff1234; movk x3, #0x5678, lsl #32", e => e.MovConstant(X64, X3, 0xffff_5678_ffff_1234));
        Add(nameof(A64Encoder.MovConstant), "mov x3, #0x5555555555555555", e => e.MovConstant(X64, X3, 0x5555_5555_5555_5555));
        Add(nameof(A64Encoder.MovConstant), "mov x3, #0xdef0; movk x3, #0x9abc, lsl #16; movk x3, #0x5678, lsl #32; movk x3, #0x1234, lsl #48", e => e.MovConstant(X64, X3, 0x1234_5678_9abc_def0));
        Add(nameof(A64Encoder.MovConstant), "mov w3, #0x5678; movk w3, #0x1234, lsl #16", e => e.MovConstant(W32, X3, 0x1234_5678));
        Add(nameof(A64Encoder.MovConstant), "mov w3, #0xffffedcb", e => e.MovConstant(W32, X3, 0xffff_edcb));

        // ---- Add/subtract immediate
        foreach (var w in Widths)
            for (int i = 0; i < 32; i++)
            {
                ulong imm = (ulong)(i * 4095 / 31);
                bool sh = i % 2 == 1;
                var dSp = S(i); var nSp = S(i + 9); var dZr = Z(i);
                string rdS = Name(dSp, w), rnS = Name(nSp, w), rdZ = Name(dZr, w);
                string im = Hex(imm) + (sh ? ", lsl #12" : "");
                bool movAlias = imm == 0 && !sh && (dSp == Sp || nSp == Sp);
                Add(nameof(A64Encoder.AddImmediate), movAlias ? $"mov {rdS}, {rnS}" : $"add {rdS}, {rnS}, {im}", e => e.AddImmediate(w, dSp, nSp, imm, sh));
                Add(nameof(A64Encoder.SubImmediate), $"sub {rdS}, {rnS}, {im}", e => e.SubImmediate(w, dSp, nSp, imm, sh));
                Add(nameof(A64Encoder.AddsImmediate), dZr == Zr ? $"cmn {rnS}, {im}" : $"adds {rdZ}, {rnS}, {im}", e => e.AddsImmediate(w, dZr, nSp, imm, sh));
                Add(nameof(A64Encoder.SubsImmediate), dZr == Zr ? $"cmp {rnS}, {im}" : $"subs {rdZ}, {rnS}, {im}", e => e.SubsImmediate(w, dZr, nSp, imm, sh));
                Add(nameof(A64Encoder.CmpImmediate), $"cmp {rnS}, {im}", e => e.CmpImmediate(w, nSp, imm, sh));
                Add(nameof(A64Encoder.CmnImmediate), $"cmn {rnS}, {im}", e => e.CmnImmediate(w, nSp, imm, sh));
            }
        Add(nameof(A64Encoder.AddImmediate), "add x0, x1, #0xfff, lsl #12", e => e.AddImmediate(X64, X0, X1, 0xfff, true));
        Add(nameof(A64Encoder.MovSp), "mov sp, x29", e => e.MovSp(X64, Sp, X29));
        Add(nameof(A64Encoder.MovSp), "mov x29, sp", e => e.MovSp(X64, X29, Sp));
        Add(nameof(A64Encoder.MovSp), "mov wsp, w3", e => e.MovSp(W32, Sp, X3));

        // ---- Add/subtract shifted register
        foreach (var w in Widths)
            for (int i = 0; i < 32; i++)
            {
                var rd = Z(i); var rn = Z(i + 7); var rm = Z(i + 13);
                var shift = (A64Shift)(i % 3);
                int amount = i * ((w == X64 ? 63 : 31)) / 31;
                string d = Name(rd, w), n = Name(rn, w), m = Name(rm, w), sh = Shift(shift, amount);
                Add(nameof(A64Encoder.AddRegister), $"add {d}, {n}, {m}{sh}", e => e.AddRegister(w, rd, rn, rm, shift, amount));
                Add(nameof(A64Encoder.SubRegister), rn == Zr ? $"neg {d}, {m}{sh}" : $"sub {d}, {n}, {m}{sh}", e => e.SubRegister(w, rd, rn, rm, shift, amount));
                Add(nameof(A64Encoder.AddsRegister), rd == Zr ? $"cmn {n}, {m}{sh}" : $"adds {d}, {n}, {m}{sh}", e => e.AddsRegister(w, rd, rn, rm, shift, amount));
                Add(nameof(A64Encoder.SubsRegister), rd == Zr ? $"cmp {n}, {m}{sh}" : rn == Zr ? $"negs {d}, {m}{sh}" : $"subs {d}, {n}, {m}{sh}", e => e.SubsRegister(w, rd, rn, rm, shift, amount));
                Add(nameof(A64Encoder.CmpRegister), $"cmp {n}, {m}{sh}", e => e.CmpRegister(w, rn, rm, shift, amount));
                Add(nameof(A64Encoder.CmnRegister), $"cmn {n}, {m}{sh}", e => e.CmnRegister(w, rn, rm, shift, amount));
                Add(nameof(A64Encoder.Neg), $"neg {d}, {m}{sh}", e => e.Neg(w, rd, rm, shift, amount));
            }

        // ---- Logical shifted register
        foreach (var w in Widths)
            for (int i = 0; i < 32; i++)
            {
                var rd = Z(i); var rn = Z(i + 7); var rm = Z(i + 13);
                var shift = (A64Shift)(i % 4);
                int amount = i * ((w == X64 ? 63 : 31)) / 31;
                string d = Name(rd, w), n = Name(rn, w), m = Name(rm, w), sh = Shift(shift, amount);
                bool plain = shift == A64Shift.Lsl && amount == 0;
                Add(nameof(A64Encoder.AndRegister), $"and {d}, {n}, {m}{sh}", e => e.AndRegister(w, rd, rn, rm, shift, amount));
                Add(nameof(A64Encoder.OrrRegister), rn == Zr && plain ? $"mov {d}, {m}" : $"orr {d}, {n}, {m}{sh}", e => e.OrrRegister(w, rd, rn, rm, shift, amount));
                Add(nameof(A64Encoder.EorRegister), $"eor {d}, {n}, {m}{sh}", e => e.EorRegister(w, rd, rn, rm, shift, amount));
                Add(nameof(A64Encoder.AndsRegister), rd == Zr ? $"tst {n}, {m}{sh}" : $"ands {d}, {n}, {m}{sh}", e => e.AndsRegister(w, rd, rn, rm, shift, amount));
                Add(nameof(A64Encoder.BicRegister), $"bic {d}, {n}, {m}{sh}", e => e.BicRegister(w, rd, rn, rm, shift, amount));
                Add(nameof(A64Encoder.OrnRegister), rn == Zr ? $"mvn {d}, {m}{sh}" : $"orn {d}, {n}, {m}{sh}", e => e.OrnRegister(w, rd, rn, rm, shift, amount));
                Add(nameof(A64Encoder.TstRegister), $"tst {n}, {m}{sh}", e => e.TstRegister(w, rn, rm, shift, amount));
                Add(nameof(A64Encoder.Mvn), $"mvn {d}, {m}{sh}", e => e.Mvn(w, rd, rm, shift, amount));
                Add(nameof(A64Encoder.Mov), $"mov {d}, {m}", e => e.Mov(w, rd, rm));
            }

        // ---- Logical immediate
        foreach (var w in Widths)
        {
            ulong[] imms = w == X64
                ? [1, 0xff, 0xff0000, 0x5555555555555555, 0x7fffffffffffffff, 0x8000000000000000, 0xfffffffffffffffe, 0x00ff00ff00ff00ff, 0x0f0f0f0f0f0f0f0f, 0x3333333333333333, 0xc000000000000003, 0xffffffff00000000, 0x8000000180000001]
                : [1, 0xff, 0xff0000, 0x55555555, 0x7fffffff, 0x80000000, 0xfffffffe, 0x00ff00ff, 0x0f0f0f0f, 0xc0000003, 0xffff0000];
            for (int k = 0; k < imms.Length * 3; k++)
            {
                ulong imm = imms[k % imms.Length];
                int i = k * 5 % 32;
                var dSp = S(i); var dZr = Z(i); var rn = Z(i + 3);
                string dS = Name(dSp, w), dZ = Name(dZr, w), n = Name(rn, w), im = Hex(imm);
                Add(nameof(A64Encoder.AndImmediate), $"and {dS}, {n}, {im}", e => e.AndImmediate(w, dSp, rn, imm));
                Add(nameof(A64Encoder.OrrImmediate), rn == Zr && !MoveWidePreferred(imm, w) ? $"mov {dS}, {im}" : $"orr {dS}, {n}, {im}", e => e.OrrImmediate(w, dSp, rn, imm));
                Add(nameof(A64Encoder.EorImmediate), $"eor {dS}, {n}, {im}", e => e.EorImmediate(w, dSp, rn, imm));
                Add(nameof(A64Encoder.AndsImmediate), dZr == Zr ? $"tst {n}, {im}" : $"ands {dZ}, {n}, {im}", e => e.AndsImmediate(w, dZr, rn, imm));
                Add(nameof(A64Encoder.TstImmediate), $"tst {n}, {im}", e => e.TstImmediate(w, rn, imm));
                Add(nameof(A64Encoder.TryAndImmediate), $"and {dS}, {n}, {im}", e => Assert.True(e.TryAndImmediate(w, dSp, rn, imm)));
                Add(nameof(A64Encoder.TryOrrImmediate), rn == Zr && !MoveWidePreferred(imm, w) ? $"mov {dS}, {im}" : $"orr {dS}, {n}, {im}", e => Assert.True(e.TryOrrImmediate(w, dSp, rn, imm)));
                Add(nameof(A64Encoder.TryEorImmediate), $"eor {dS}, {n}, {im}", e => Assert.True(e.TryEorImmediate(w, dSp, rn, imm)));
                Add(nameof(A64Encoder.TryAndsImmediate), dZr == Zr ? $"tst {n}, {im}" : $"ands {dZ}, {n}, {im}", e => Assert.True(e.TryAndsImmediate(w, dZr, rn, imm)));
            }
        }

        // ---- Data processing
        foreach (var w in Widths)
            for (int i = 0; i < 32; i++)
            {
                var rd = Z(i); var rn = Z(i + 7); var rm = Z(i + 13); var ra = Z(i + 21);
                string d = Name(rd, w), n = Name(rn, w), m = Name(rm, w), a = Name(ra, w);
                Add(nameof(A64Encoder.Rev16), $"rev16 {d}, {n}", e => e.Rev16(w, rd, rn));
                Add(nameof(A64Encoder.Rev), $"rev {d}, {n}", e => e.Rev(w, rd, rn));
                Add(nameof(A64Encoder.Rbit), $"rbit {d}, {n}", e => e.Rbit(w, rd, rn));
                Add(nameof(A64Encoder.Clz), $"clz {d}, {n}", e => e.Clz(w, rd, rn));
                Add(nameof(A64Encoder.Udiv), $"udiv {d}, {n}, {m}", e => e.Udiv(w, rd, rn, rm));
                Add(nameof(A64Encoder.Sdiv), $"sdiv {d}, {n}, {m}", e => e.Sdiv(w, rd, rn, rm));
                Add(nameof(A64Encoder.Lslv), $"lsl {d}, {n}, {m}", e => e.Lslv(w, rd, rn, rm));
                Add(nameof(A64Encoder.Lsrv), $"lsr {d}, {n}, {m}", e => e.Lsrv(w, rd, rn, rm));
                Add(nameof(A64Encoder.Asrv), $"asr {d}, {n}, {m}", e => e.Asrv(w, rd, rn, rm));
                Add(nameof(A64Encoder.Rorv), $"ror {d}, {n}, {m}", e => e.Rorv(w, rd, rn, rm));
                Add(nameof(A64Encoder.Madd), ra == Zr ? $"mul {d}, {n}, {m}" : $"madd {d}, {n}, {m}, {a}", e => e.Madd(w, rd, rn, rm, ra));
                Add(nameof(A64Encoder.Msub), ra == Zr ? $"mneg {d}, {n}, {m}" : $"msub {d}, {n}, {m}, {a}", e => e.Msub(w, rd, rn, rm, ra));
                Add(nameof(A64Encoder.Mul), $"mul {d}, {n}, {m}", e => e.Mul(w, rd, rn, rm));
                if (w == X64) Add(nameof(A64Encoder.Rev32), $"rev32 {d}, {n}", e => e.Rev32(rd, rn));
            }

        // ---- Bitfield
        foreach (var w in Widths)
        {
            int bits = w == X64 ? 64 : 32;
            for (int i = 0; i < 32; i++)
            {
                var rd = Z(i); var rn = Z(i + 7);
                string d = Name(rd, w), n = Name(rn, w), n32 = Name(rn, W32);
                int sh = i * (bits - 1) / 31;
                Add(nameof(A64Encoder.LslImmediate), sh == 0 ? $"lsr {d}, {n}, #0" : $"lsl {d}, {n}, #{sh}", e => e.LslImmediate(w, rd, rn, sh));
                Add(nameof(A64Encoder.LsrImmediate), $"lsr {d}, {n}, #{sh}", e => e.LsrImmediate(w, rd, rn, sh));
                Add(nameof(A64Encoder.AsrImmediate), $"asr {d}, {n}, #{sh}", e => e.AsrImmediate(w, rd, rn, sh));
                int lsb = sh, width = Math.Max(1, (bits - lsb) / 2);
                string extend = lsb == 0 && width is 8 or 16 or 32 ? (width == 8 ? "b" : width == 16 ? "h" : "w") : "";
                string ubfx = lsb + width == bits ? $"lsr {d}, {n}, #{lsb}" : extend is "b" or "h" && w == W32 ? $"uxt{extend} {d}, {n}" : $"ubfx {d}, {n}, #{lsb}, #{width}";
                string sbfx = lsb + width == bits ? $"asr {d}, {n}, #{lsb}" : extend != "" ? $"sxt{extend} {d}, {n32}" : $"sbfx {d}, {n}, #{lsb}, #{width}";
                Add(nameof(A64Encoder.Ubfx), ubfx, e => e.Ubfx(w, rd, rn, lsb, width));
                Add(nameof(A64Encoder.Sbfx), sbfx, e => e.Sbfx(w, rd, rn, lsb, width));
                if (rn != Zr) Add(nameof(A64Encoder.Bfi), lsb == 0 ? $"bfxil {d}, {n}, #0, #{width}" : $"bfi {d}, {n}, #{lsb}, #{width}", e => e.Bfi(w, rd, rn, lsb, width));
                Add(nameof(A64Encoder.Sxtb), $"sxtb {d}, {n32}", e => e.Sxtb(w, rd, rn));
                Add(nameof(A64Encoder.Sxth), $"sxth {d}, {n32}", e => e.Sxth(w, rd, rn));
                if (w == X64)
                {
                    Add(nameof(A64Encoder.Sxtw), $"sxtw {d}, {n32}", e => e.Sxtw(rd, rn));
                    Add(nameof(A64Encoder.Uxtw), $"ubfx {d}, {n}, #0, #32", e => e.Uxtw(rd, rn));
                }
                else
                {
                    Add(nameof(A64Encoder.Uxtb), $"uxtb {d}, {n}", e => e.Uxtb(rd, rn));
                    Add(nameof(A64Encoder.Uxth), $"uxth {d}, {n}", e => e.Uxth(rd, rn));
                }
            }
        }
        Add(nameof(A64Encoder.LslImmediate), "lsl x0, x1, #63", e => e.LslImmediate(X64, X0, X1, 63));
        Add(nameof(A64Encoder.LslImmediate), "lsl w0, w1, #31", e => e.LslImmediate(W32, X0, X1, 31));
        Add(nameof(A64Encoder.Ubfm), "ubfx x0, x1, #1, #5", e => e.Ubfm(X64, X0, X1, 1, 5));
        Add(nameof(A64Encoder.Ubfm), "ubfiz x0, x1, #60, #3", e => e.Ubfm(X64, X0, X1, 4, 2));
        Add(nameof(A64Encoder.Ubfm), "lsr w0, w1, #31", e => e.Ubfm(W32, X0, X1, 31, 31));
        Add(nameof(A64Encoder.Sbfm), "sbfiz x2, x3, #1, #63", e => e.Sbfm(X64, X2, X3, 63, 62));
        Add(nameof(A64Encoder.Sbfm), "sxtw x2, w3", e => e.Sbfm(X64, X2, X3, 0, 31));
        Add(nameof(A64Encoder.Bfm), "bfi x0, x1, #4, #4", e => e.Bfm(X64, X0, X1, 60, 3));
        Add(nameof(A64Encoder.Bfm), "bfxil w0, w1, #3, #29", e => e.Bfm(W32, X0, X1, 3, 31));
        Add(nameof(A64Encoder.Bfi), "bfi x0, x1, #63, #1", e => e.Bfi(X64, X0, X1, 63, 1));

        // ---- Loads and stores
        string[] suffix = ["b", "h", "", ""];
        for (int i = 0; i < 32; i++)
        {
            var rt = Z(i); var rn = S(i + 5); var rm = Z(i + 11);
            foreach (A64MemSize size in Enum.GetValues<A64MemSize>())
            {
                int scale = 1 << (int)size;
                var tw = size == A64MemSize.Double ? X64 : W32;
                string t = Name(rt, tw), n = Name(rn, X64), m = Name(rm, X64), sfx = suffix[(int)size];
                long off = (long)(i * 4095 / 31) * scale;
                string mem = off == 0 ? $"[{n}]" : $"[{n}, #{off}]";
                Add(nameof(A64Encoder.LdrImmediate), $"ldr{sfx} {t}, {mem}", e => e.LdrImmediate(size, rt, rn, off));
                Add(nameof(A64Encoder.StrImmediate), $"str{sfx} {t}, {mem}", e => e.StrImmediate(size, rt, rn, off));
                bool scaled = i % 2 == 1;
                string rmem = scaled ? $"[{n}, {m}, lsl #{(int)size}]" : $"[{n}, {m}]";
                Add(nameof(A64Encoder.LdrRegister), $"ldr{sfx} {t}, {rmem}", e => e.LdrRegister(size, rt, rn, rm, scaled));
                Add(nameof(A64Encoder.StrRegister), $"str{sfx} {t}, {rmem}", e => e.StrRegister(size, rt, rn, rm, scaled));
                long uoff = -256 + i * 511 / 31;
                string umem = uoff == 0 ? $"[{n}]" : $"[{n}, #{uoff}]";
                Add(nameof(A64Encoder.Ldur), $"ldur{sfx} {t}, {umem}", e => e.Ldur(size, rt, rn, uoff));
                Add(nameof(A64Encoder.Stur), $"stur{sfx} {t}, {umem}", e => e.Stur(size, rt, rn, uoff));
                if (size == A64MemSize.Double) continue;
                foreach (var w in Widths)
                {
                    if (size == A64MemSize.Word && w == W32) continue;
                    string ts = Name(rt, w), s = size == A64MemSize.Word ? "w" : sfx;
                    Add(nameof(A64Encoder.LdrsImmediate), $"ldrs{s} {ts}, {mem}", e => e.LdrsImmediate(size, w, rt, rn, off));
                    Add(nameof(A64Encoder.LdrsRegister), $"ldrs{s} {ts}, {rmem}", e => e.LdrsRegister(size, w, rt, rn, rm, scaled));
                    Add(nameof(A64Encoder.Ldurs), $"ldurs{s} {ts}, {umem}", e => e.Ldurs(size, w, rt, rn, uoff));
                }
            }

            foreach (var w in Widths)
            {
                int scale = w == X64 ? 8 : 4;
                var t1 = Z(i); var t2 = Z(i + 1); var pn = S(i + 2);
                long off = (-64 + i * 127 / 31) * scale;
                string a = Name(t1, w), b = Name(t2, w), n = Name(pn, X64);
                string so = off == 0 ? $"[{n}]" : $"[{n}, #{off}]";
                Add(nameof(A64Encoder.Ldp), $"ldp {a}, {b}, {so}", e => e.Ldp(w, t1, t2, pn, off));
                Add(nameof(A64Encoder.Stp), $"stp {a}, {b}, {so}", e => e.Stp(w, t1, t2, pn, off));
                if (pn == Sp || (pn != t1 && pn != t2))
                {
                    Add(nameof(A64Encoder.Ldp), $"ldp {a}, {b}, [{n}, #{off}]!", e => e.Ldp(w, t1, t2, pn, off, A64PairMode.PreIndex));
                    Add(nameof(A64Encoder.Stp), $"stp {a}, {b}, [{n}], #{off}", e => e.Stp(w, t1, t2, pn, off, A64PairMode.PostIndex));
                }
            }
        }
        Add(nameof(A64Encoder.Stp), "stp x29, x30, [sp, #-16]!", e => e.Stp(X64, Fp, Lr, Sp, -16, A64PairMode.PreIndex));
        Add(nameof(A64Encoder.Ldp), "ldp x29, x30, [sp], #16", e => e.Ldp(X64, Fp, Lr, Sp, 16, A64PairMode.PostIndex));

        // ---- Exclusives and atomics
        string[] ord = ["", "a", "l", "al"];
        for (int i = 0; i < 32; i++)
        {
            var rs = Z(i + 3); var rt = Z(i); var rn = S(i + 17);
            foreach (A64MemSize size in Enum.GetValues<A64MemSize>())
            {
                var w = size == A64MemSize.Double ? X64 : W32;
                string sfx = suffix[(int)size], t = Name(rt, w), s = Name(rs, w), s32 = Name(rs, W32), n = Name(rn, X64);
                Add(nameof(A64Encoder.Ldxr), $"ldxr{sfx} {t}, [{n}]", e => e.Ldxr(size, rt, rn));
                Add(nameof(A64Encoder.Ldaxr), $"ldaxr{sfx} {t}, [{n}]", e => e.Ldaxr(size, rt, rn));
                if (rs != rt && (rn == Sp || (int)rs != (int)rn))
                {
                    Add(nameof(A64Encoder.Stxr), $"stxr{sfx} {s32}, {t}, [{n}]", e => e.Stxr(size, rs, rt, rn));
                    Add(nameof(A64Encoder.Stlxr), $"stlxr{sfx} {s32}, {t}, [{n}]", e => e.Stlxr(size, rs, rt, rn));
                }
                var o = (A64Ordering)(i % 4);
                string op = ord[(int)o];
                bool st = rt == Zr && (o == A64Ordering.None || o == A64Ordering.Release);
                string Lse(string name) => st ? $"st{name}{(o == A64Ordering.Release ? "l" : "")}{sfx} {s}, [{n}]" : $"ld{name}{op}{sfx} {s}, {t}, [{n}]";
                Add(nameof(A64Encoder.Ldadd), Lse("add"), e => e.Ldadd(size, rs, rt, rn, o));
                Add(nameof(A64Encoder.Ldclr), Lse("clr"), e => e.Ldclr(size, rs, rt, rn, o));
                Add(nameof(A64Encoder.Ldeor), Lse("eor"), e => e.Ldeor(size, rs, rt, rn, o));
                Add(nameof(A64Encoder.Ldset), Lse("set"), e => e.Ldset(size, rs, rt, rn, o));
                Add(nameof(A64Encoder.Swp), $"swp{op}{sfx} {s}, {t}, [{n}]", e => e.Swp(size, rs, rt, rn, o));
                Add(nameof(A64Encoder.AtomicMemory), Lse("add"), e => e.AtomicMemory(A64AtomicOp.Add, o, size, rs, rt, rn));
                Add(nameof(A64Encoder.Cas), $"cas{op}{sfx} {s}, {t}, [{n}]", e => e.Cas(size, rs, rt, rn, o));
            }
        }
        Add(nameof(A64Encoder.Ldadd), "ldaddal x0, x1, [x2]", e => e.Ldadd(A64MemSize.Double, X0, X1, X2, A64Ordering.AcquireRelease));

        // ---- Branches
        foreach (long words in new long[] { -(1L << 25), -1, 0, 1, 2, 1000, (1L << 25) - 1 })
        {
            Add(nameof(A64Encoder.B), $"b {Rel(words)}", e => e.B(words));
            Add(nameof(A64Encoder.Bl), $"bl {Rel(words)}", e => e.Bl(words));
        }
        foreach (long words in new long[] { -(1L << 18), -7, 0, 3, (1L << 18) - 1 })
            for (int cond = 0; cond < 16; cond++)
            {
                var cc = (A64Condition)cond;
                Add(nameof(A64Encoder.BCond), $"b.{Conds[cond]} {Rel(words)}", e => e.BCond(cc, words));
            }
        for (int i = 0; i < 32; i++)
            foreach (var w in Widths)
            {
                var rt = Z(i);
                long words = -(1L << 18) + i * ((1L << 19) - 1) / 31;
                Add(nameof(A64Encoder.Cbz), $"cbz {Name(rt, w)}, {Rel(words)}", e => e.Cbz(w, rt, words));
                Add(nameof(A64Encoder.Cbnz), $"cbnz {Name(rt, w)}, {Rel(words)}", e => e.Cbnz(w, rt, words));
                int bit = i * 2 + (w == X64 ? 1 : 0);
                long tw = -(1L << 13) + i * ((1L << 14) - 1) / 31;
                string tr = Name(rt, bit < 32 ? W32 : X64);
                Add(nameof(A64Encoder.Tbz), $"tbz {tr}, #{bit}, {Rel(tw)}", e => e.Tbz(rt, bit, tw));
                Add(nameof(A64Encoder.Tbnz), $"tbnz {tr}, #{bit}, {Rel(tw)}", e => e.Tbnz(rt, bit, tw));
            }
        for (int i = 0; i < 32; i++)
        {
            var rn = Z(i);
            Add(nameof(A64Encoder.Br), $"br {Name(rn, X64)}", e => e.Br(rn));
            Add(nameof(A64Encoder.Blr), $"blr {Name(rn, X64)}", e => e.Blr(rn));
            Add(nameof(A64Encoder.Ret), rn == Lr ? "ret" : $"ret {Name(rn, X64)}", e => e.Ret(rn));
        }
        Add(nameof(A64Encoder.Ret), "ret", e => e.Ret());

        // ---- Conditional select
        foreach (var w in Widths)
            for (int i = 0; i < 32; i++)
            {
                var rd = Z(i); var rn = Z(i + 7); var rm = Z(i + 13);
                var cc = (A64Condition)(i % 16);
                string d = Name(rd, w), n = Name(rn, w), m = Name(rm, w), c1 = Conds[i % 16];
                Add(nameof(A64Encoder.Csel), $"csel {d}, {n}, {m}, {c1}", e => e.Csel(w, rd, rn, rm, cc));
                Add(nameof(A64Encoder.Csinc), $"csinc {d}, {n}, {m}, {c1}", e => e.Csinc(w, rd, rn, rm, cc));
                Add(nameof(A64Encoder.Csinv), $"csinv {d}, {n}, {m}, {c1}", e => e.Csinv(w, rd, rn, rm, cc));
                Add(nameof(A64Encoder.Csneg), $"csneg {d}, {n}, {m}, {c1}", e => e.Csneg(w, rd, rn, rm, cc));
                if (cc < A64Condition.Al)
                {
                    Add(nameof(A64Encoder.Cset), $"cset {d}, {c1}", e => e.Cset(w, rd, cc));
                    Add(nameof(A64Encoder.Csetm), $"csetm {d}, {c1}", e => e.Csetm(w, rd, cc));
                }
            }

        // ---- PC-relative, system
        for (int i = 0; i < 32; i++)
        {
            var rd = Z(i);
            long bytes = -(1L << 20) + i * ((1L << 21) - 1) / 31;
            Add(nameof(A64Encoder.Adr), $"adr {Name(rd, X64)}, {Rel(bytes, 1)}", e => e.Adr(rd, bytes));
            long pages = -(1L << 20) + i * ((1L << 21) - 1) / 31;
            Add(nameof(A64Encoder.Adrp), $"adrp {Name(rd, X64)}, @page{pages}", e => e.Adrp(rd, pages));
        }
        Add(nameof(A64Encoder.Nop), "nop", e => e.Nop());
        foreach (ulong imm in new ulong[] { 0, 1, 0x1234, 0xffff })
        {
            Add(nameof(A64Encoder.Brk), $"brk {Hex(imm)}", e => e.Brk(imm));
            Add(nameof(A64Encoder.Svc), $"svc {Hex(imm)}", e => e.Svc(imm));
            Add(nameof(A64Encoder.Hvc), $"hvc {Hex(imm)}", e => e.Hvc(imm));
        }
        foreach (A64Barrier b in Enum.GetValues<A64Barrier>())
            Add(nameof(A64Encoder.Dmb), $"dmb {b.ToString().ToLowerInvariant()}", e => e.Dmb(b));
        Add(nameof(A64Encoder.Emit), "nop", e => e.Emit(0xd503201f));
        return c;
    }

    private static string Rel(long units, int unitBytes = 4)
    {
        long bytes = units * unitBytes;
        return bytes < 0 ? $".-{-bytes}" : $".+{bytes}";
    }

    /// <summary>The ARM ARM's MoveWidePreferred: ORR ZR, #imm prints as MOV only when no single MOVZ/MOVN makes the value.</summary>
    private static bool MoveWidePreferred(ulong imm, A64Width w)
    {
        int bits = w == X64 ? 64 : 32;
        ulong mask = w == X64 ? ulong.MaxValue : uint.MaxValue;
        bool Single(ulong v)
        {
            for (int s = 0; s < bits; s += 16) if ((v & ~(0xffffUL << s) & mask) == 0) return true;
            return false;
        }
        return Single(imm & mask) || Single(~imm & mask);
    }
}
