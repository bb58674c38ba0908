using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using HeteroBpf.Jit.Arm64;
using static HeteroBpf.Jit.Arm64.A64Register;
using static HeteroBpf.Jit.Arm64.A64Width;

namespace HeteroBpf.Tests.Arm64;

/// <summary>
/// The A64 encoder against binutils: every case of <see cref="A64Cases"/> is encoded, written as a raw binary and read
/// back by <c>aarch64-linux-gnu-objdump -D -b binary -m aarch64</c>, whose text must be the case's; the case's text is
/// also assembled by <c>aarch64-linux-gnu-as</c> and must give the very words (ADRP excepted: gas leaves a relocation).
/// </summary>
public sealed partial class A64EncoderTests
{
    private const string Package = "binutils-aarch64-linux-gnu";

    private sealed record Encoded(A64Case Case, int Start, int Count);

    private static (List<Encoded> Cases, A64Encoder Code) EncodeAll()
    {
        var code = new A64Encoder();
        var list = new List<Encoded>();
        foreach (var c in A64Cases.All())
        {
            int start = code.Count;
            c.Emit(code);
            int count = code.Count - start;
            Assert.True(count == c.Asm.Split("; ").Length, $"{c}: wrote {count} words");
            list.Add(new Encoded(c, start, count));
        }
        return (list, code);
    }

    [Fact]
    public void ObjdumpReadsEveryCaseAsItsAssembly()
    {
        var (cases, code) = EncodeAll();
        string dir = Directory.CreateTempSubdirectory("a64-objdump").FullName;
        try
        {
            string bin = Path.Combine(dir, "code.bin");
            File.WriteAllBytes(bin, code.ToBytes());
            string listing = ExternalTool.Run("aarch64-linux-gnu-objdump", Package, false, "-D", "-b", "binary", "-m", "aarch64", bin);
            var byAddress = new Dictionary<long, (uint Word, string Text)>();
            foreach (Match m in ListingLine().Matches(listing))
                byAddress[long.Parse(m.Groups["addr"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)] =
                    (uint.Parse(m.Groups["word"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), Normalise(m.Groups["text"].Value));

            var failures = new List<string>();
            foreach (var e in cases)
            {
                string[] lines = e.Case.Asm.Split("; ");
                for (int k = 0; k < e.Count; k++)
                {
                    long address = (e.Start + k) * 4L;
                    string expected = Normalise(Resolve(lines[k], address));
                    if (!byAddress.TryGetValue(address, out var got)) { failures.Add($"{e.Case}: objdump printed nothing at 0x{address:x}"); continue; }
                    Assert.Equal(code.Words[e.Start + k], got.Word);
                    if (got.Text != expected) failures.Add($"{e.Case.Form}: 0x{got.Word:x8} is '{got.Text}', expected '{expected}'");
                }
            }
            Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases differ from objdump:\n" + string.Join('\n', failures.Take(60)));
            Assert.True(cases.Count > 2000, $"only {cases.Count} cases");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void GasAssemblesEveryCaseToTheSameWords()
    {
        var (cases, code) = EncodeAll();
        string dir = Directory.CreateTempSubdirectory("a64-gas").FullName;
        try
        {
            // One instruction per case line, at the same address as ours; ADRP (a relocation in gas's object) becomes a
            // NOP placeholder and is compared by objdump only.
            var source = new System.Text.StringBuilder();
            foreach (var e in cases)
                foreach (string line in e.Case.Asm.Split("; "))
                    source.Append(line.StartsWith("adrp", StringComparison.Ordinal) ? "nop" : line).Append('\n');
            string s = Path.Combine(dir, "code.s"), o = Path.Combine(dir, "code.o"), bin = Path.Combine(dir, "code.bin");
            File.WriteAllText(s, source.ToString());
            ExternalTool.Run("aarch64-linux-gnu-as", Package, false, "-march=armv8.1-a", "-o", o, s);
            ExternalTool.Run("aarch64-linux-gnu-objcopy", Package, false, "-O", "binary", "-j", ".text", o, bin);
            byte[] gas = File.ReadAllBytes(bin);
            Assert.Equal(code.Count * 4, gas.Length);

            var failures = new List<string>();
            foreach (var e in cases)
            {
                if (e.Case.Form == nameof(A64Encoder.Adrp)) continue;
                for (int k = 0; k < e.Count; k++)
                {
                    uint theirs = BitConverter.ToUInt32(gas, (e.Start + k) * 4);
                    uint ours = code.Words[e.Start + k];
                    if (theirs != ours) failures.Add($"{e.Case}: ours 0x{ours:x8}, gas 0x{theirs:x8}");
                }
            }
            Assert.True(failures.Count == 0, $"{failures.Count} cases differ from gas:\n" + string.Join('\n', failures.Take(60)));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void EveryEncoderMethodHasACase()
    {
        var forms = A64Cases.All().Select(c => c.Form).ToHashSet();
        string[] notForms = [nameof(A64Encoder.ToBytes), nameof(A64Encoder.Clear), nameof(A64Encoder.Patch), nameof(A64Encoder.Invert), nameof(A64Encoder.IsAddSubImmediate)];
        var missing = typeof(A64Encoder).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName && !notForms.Contains(m.Name) && !forms.Contains(m.Name))
            .Select(m => m.Name).Distinct().ToList();
        Assert.True(missing.Count == 0, "encoder methods without a case: " + string.Join(", ", missing));
    }

    // ------------------------------------------------------------------ out of range

    public static TheoryData<string, string> OutOfRange() => new()
    {
        { "MOVZ", "imm16" }, { "MOVK", "shift" }, { "MOVN", "shift" }, { "MOVZ", "rd" }, { "MOV (constant)", "value" },
        { "ADD (immediate)", "imm12" }, { "ADD (immediate)", "rd" }, { "ADDS (immediate)", "rd" }, { "SUB (immediate)", "rn" },
        { "ADD (shifted register)", "amount" }, { "SUB (shifted register)", "shift" }, { "ADD (shifted register)", "rn" }, { "AND (shifted register)", "amount" },
        { "AND (immediate)", "imm" }, { "ORR (immediate)", "imm" }, { "EOR (immediate)", "imm" }, { "ANDS (immediate)", "rd" }, { "AND (immediate)", "rn" },
        { "LSL (immediate)", "shift" }, { "LSR (immediate)", "shift" }, { "ASR (immediate)", "shift" }, { "UBFM", "immr" }, { "SBFM", "imms" },
        { "UBFX", "fieldWidth" }, { "BFI", "lsb" },
        { "LDR (unsigned immediate)", "offset" }, { "STR (unsigned immediate)", "offset" }, { "LDRS (unsigned immediate)", "width" }, { "LDRS (unsigned immediate)", "size" },
        { "LDR (unsigned immediate)", "rt" }, { "LDR (register)", "rn" }, { "LDUR", "offset" }, { "STUR", "offset" },
        { "LDP", "offset" }, { "STP", "offset" }, { "LDP", "rt2" }, { "STP", "rn" },
        { "STXR", "rs" }, { "LDXR", "rn" }, { "LSE atomic", "rn" }, { "LSE atomic", "ordering" }, { "CAS", "rs" },
        { "B", "words" }, { "BL", "words" }, { "B.cond", "words" }, { "CBZ", "words" }, { "TBZ", "bit" }, { "TBNZ", "words" }, { "BR", "rn" },
        { "CSEL", "rd" }, { "CSET", "cond" }, { "DMB", "domain" }, { "ADR", "bytes" }, { "ADRP", "pages" }, { "BRK", "imm16" }, { "SVC", "imm16" }, { "HVC", "imm16" },
    };

    private static readonly Dictionary<(string, string), Action<A64Encoder>[]> Throwers = new()
    {
        [("MOVZ", "imm16")] = [e => e.Movz(X64, X0, 0x10000)],
        [("MOVK", "shift")] = [e => e.Movk(W32, X0, 1, 32), e => e.Movk(X64, X0, 1, 8), e => e.Movk(X64, X0, 1, 64)],
        [("MOVN", "shift")] = [e => e.Movn(X64, X0, 1, -16)],
        [("MOVZ", "rd")] = [e => e.Movz(X64, Sp, 1)],
        [("MOV (constant)", "value")] = [e => e.MovConstant(W32, X0, 0x1_0000_0000)],
        [("ADD (immediate)", "imm12")] = [e => e.AddImmediate(X64, X0, X1, 4096), e => e.AddImmediate(X64, X0, X1, 0x1000, true)],
        [("ADD (immediate)", "rd")] = [e => e.AddImmediate(X64, Zr, X1, 1)],
        [("ADDS (immediate)", "rd")] = [e => e.AddsImmediate(X64, Sp, X1, 1)],
        [("SUB (immediate)", "rn")] = [e => e.SubImmediate(X64, X0, Zr, 1)],
        [("ADD (shifted register)", "amount")] = [e => e.AddRegister(X64, X0, X1, X2, A64Shift.Lsl, 64), e => e.AddRegister(W32, X0, X1, X2, A64Shift.Lsl, 32), e => e.AddRegister(X64, X0, X1, X2, A64Shift.Lsl, -1)],
        [("SUB (shifted register)", "shift")] = [e => e.SubRegister(X64, X0, X1, X2, A64Shift.Ror, 1)],
        [("ADD (shifted register)", "rn")] = [e => e.AddRegister(X64, X0, Sp, X2)],
        [("AND (shifted register)", "amount")] = [e => e.AndRegister(W32, X0, X1, X2, A64Shift.Ror, 32)],
        [("AND (immediate)", "imm")] = [e => e.AndImmediate(X64, X0, X1, 0), e => e.AndImmediate(X64, X0, X1, ulong.MaxValue), e => e.AndImmediate(X64, X0, X1, 0x1234), e => e.AndImmediate(W32, X0, X1, 0x1_0000_00ff)],
        [("ORR (immediate)", "imm")] = [e => e.OrrImmediate(W32, X0, X1, 0xffffffff), e => e.OrrImmediate(X64, X0, X1, 5)],
        [("EOR (immediate)", "imm")] = [e => e.EorImmediate(X64, X0, X1, 0x0000_ffff_0000_fffe)],
        [("ANDS (immediate)", "rd")] = [e => e.AndsImmediate(X64, Sp, X1, 1)],
        [("AND (immediate)", "rn")] = [e => e.AndImmediate(X64, X0, Sp, 1)],
        [("LSL (immediate)", "shift")] = [e => e.LslImmediate(X64, X0, X1, 64), e => e.LslImmediate(W32, X0, X1, 32), e => e.LslImmediate(W32, X0, X1, -1)],
        [("LSR (immediate)", "shift")] = [e => e.LsrImmediate(W32, X0, X1, 32)],
        [("ASR (immediate)", "shift")] = [e => e.AsrImmediate(X64, X0, X1, 64)],
        [("UBFM", "immr")] = [e => e.Ubfm(W32, X0, X1, 32, 0)],
        [("SBFM", "imms")] = [e => e.Sbfm(X64, X0, X1, 0, 64)],
        [("UBFX", "fieldWidth")] = [e => e.Ubfx(X64, X0, X1, 60, 5), e => e.Ubfx(W32, X0, X1, 0, 0)],
        [("BFI", "lsb")] = [e => e.Bfi(W32, X0, X1, 32, 1)],
        [("LDR (unsigned immediate)", "offset")] = [e => e.LdrImmediate(A64MemSize.Double, X0, X1, 4), e => e.LdrImmediate(A64MemSize.Double, X0, X1, 32768), e => e.LdrImmediate(A64MemSize.Byte, X0, X1, -1), e => e.LdrImmediate(A64MemSize.Half, X0, X1, 8192)],
        [("STR (unsigned immediate)", "offset")] = [e => e.StrImmediate(A64MemSize.Word, X0, X1, 16384)],
        [("LDRS (unsigned immediate)", "width")] = [e => e.LdrsImmediate(A64MemSize.Word, W32, X0, X1)],
        [("LDRS (unsigned immediate)", "size")] = [e => e.LdrsImmediate(A64MemSize.Double, X64, X0, X1)],
        [("LDR (unsigned immediate)", "rt")] = [e => e.LdrImmediate(A64MemSize.Double, Sp, X1)],
        [("LDR (register)", "rn")] = [e => e.LdrRegister(A64MemSize.Double, X0, Zr, X1)],
        [("LDUR", "offset")] = [e => e.Ldur(A64MemSize.Double, X0, X1, 256), e => e.Ldur(A64MemSize.Double, X0, X1, -257)],
        [("STUR", "offset")] = [e => e.Stur(A64MemSize.Byte, X0, X1, 300)],
        [("LDP", "offset")] = [e => e.Ldp(X64, X0, X1, Sp, 512), e => e.Ldp(X64, X0, X1, Sp, -520), e => e.Ldp(W32, X0, X1, Sp, 6)],
        [("STP", "offset")] = [e => e.Stp(W32, X0, X1, Sp, 256)],
        [("LDP", "rt2")] = [e => e.Ldp(X64, X3, X3, Sp, 0), e => e.Ldp(W32, Zr, Zr, X1, 8)],
        [("STP", "rn")] = [e => e.Stp(X64, X3, X4, X3, 16, A64PairMode.PreIndex)],
        [("STXR", "rs")] = [e => e.Stxr(A64MemSize.Double, X1, X1, X2), e => e.Stxr(A64MemSize.Double, X2, X1, X2)],
        [("LDXR", "rn")] = [e => e.Ldxr(A64MemSize.Double, X0, Zr)],
        [("LSE atomic", "rn")] = [e => e.Ldadd(A64MemSize.Double, X0, X1, Zr)],
        [("LSE atomic", "ordering")] = [e => e.Ldadd(A64MemSize.Double, X0, X1, X2, (A64Ordering)4)],
        [("CAS", "rs")] = [e => e.Cas(A64MemSize.Double, Sp, X1, X2)],
        [("B", "words")] = [e => e.B(1L << 25), e => e.B(-(1L << 25) - 1)],
        [("BL", "words")] = [e => e.Bl(1L << 25)],
        [("B.cond", "words")] = [e => e.BCond(A64Condition.Eq, 1L << 18), e => e.BCond(A64Condition.Eq, -(1L << 18) - 1)],
        [("CBZ", "words")] = [e => e.Cbz(X64, X0, 1L << 18)],
        [("TBZ", "bit")] = [e => e.Tbz(X0, 64, 0), e => e.Tbz(X0, -1, 0)],
        [("TBNZ", "words")] = [e => e.Tbnz(X0, 1, 1L << 13), e => e.Tbnz(X0, 1, -(1L << 13) - 1)],
        [("BR", "rn")] = [e => e.Br(Sp)],
        [("CSEL", "rd")] = [e => e.Csel(X64, Sp, X1, X2, A64Condition.Eq)],
        [("DMB", "domain")] = [e => e.Dmb((A64Barrier)16)],
        [("CSET", "cond")] = [e => e.Cset(X64, X0, A64Condition.Al), e => e.Cset(X64, X0, A64Condition.Nv)],
        [("ADR", "bytes")] = [e => e.Adr(X0, 1L << 20), e => e.Adr(X0, -(1L << 20) - 1)],
        [("ADRP", "pages")] = [e => e.Adrp(X0, 1L << 20)],
        [("BRK", "imm16")] = [e => e.Brk(0x10000)],
        [("SVC", "imm16")] = [e => e.Svc(0x10000)],
        [("HVC", "imm16")] = [e => e.Hvc(0x10000)],
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void OutOfRangeArgumentsThrowNamingFormAndValue(string form, string parameter)
    {
        foreach (var emit in Throwers[(form, parameter)])
        {
            var code = new A64Encoder();
            code.Nop();
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => emit(code));
            Assert.Equal(parameter, e.ParamName);
            Assert.StartsWith(form + ": " + parameter + " = ", e.Message, StringComparison.Ordinal);
            Assert.Equal(1, code.Count); // nothing written
        }
    }

    [Fact]
    public void TryLogicalImmediateRefusesWithoutWriting()
    {
        var code = new A64Encoder();
        Assert.False(code.TryAndImmediate(X64, X0, X1, 0x1234));
        Assert.False(code.TryOrrImmediate(W32, X0, X1, 0));
        Assert.False(code.TryEorImmediate(W32, X0, X1, 0xffffffff));
        Assert.False(code.TryAndsImmediate(X64, X0, X1, 0xf0f0f0f0f0f0f0f1));
        Assert.Equal(0, code.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => code.TryAndImmediate(X64, X0, Sp, 1)); // registers still checked
    }

    [Fact]
    public void BufferGrowsAndPatches()
    {
        var code = new A64Encoder(4);
        for (int i = 0; i < 1000; i++) code.Nop();
        Assert.Equal(1000, code.Count);
        code.Patch(999, 0xd65f03c0);
        Assert.Equal(0xd65f03c0u, code.Words[999]);
        Assert.Equal(new byte[] { 0xc0, 0x03, 0x5f, 0xd6 }, code.ToBytes()[^4..]);
        Assert.Throws<ArgumentOutOfRangeException>(() => code.Patch(1000, 0));
        code.Clear();
        Assert.Equal(0, code.Count);
    }

    [Fact]
    public void EmittingAllocatesNothing()
    {
        var code = new A64Encoder(20_000);
        void Batch()
        {
            for (int i = 0; i < 1000; i++)
            {
                code.MovConstant(X64, X0, 0x1234_5678_9abc_def0);
                code.AddImmediate(X64, X1, Sp, 16);
                code.AndImmediate(W32, X2, X3, 0xff);
                code.LdrImmediate(A64MemSize.Double, X4, X5, 8);
                code.Ldadd(A64MemSize.Word, X6, X7, X8, A64Ordering.AcquireRelease);
                code.BCond(A64Condition.Ne, -5);
                code.Cset(X64, X9, A64Condition.Lt);
                code.Ret();
            }
        }
        Batch();
        code.Clear();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Batch();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(11_000, code.Count);
    }

    // ------------------------------------------------------------------ text

    [GeneratedRegex(@"^\s*(?<addr>[0-9a-f]+):\s+(?<word>[0-9a-f]{8})\s+(?<text>[^\n]*)$", RegexOptions.Multiline)]
    private static partial Regex ListingLine();

    [GeneratedRegex(@"\.([+-])(\d+)")]
    private static partial Regex Relative();

    [GeneratedRegex(@"@page(-?\d+)")]
    private static partial Regex Page();

    /// <summary>Case text → objdump's addresses: <c>.+N</c> is this address + N, <c>@pageN</c> this page + N × 4096.</summary>
    private static string Resolve(string asm, long address)
    {
        asm = Relative().Replace(asm, m =>
        {
            long off = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) * (m.Groups[1].Value == "-" ? -1 : 1);
            return "0x" + ((ulong)(address + off)).ToString("x", CultureInfo.InvariantCulture);
        });
        return Page().Replace(asm, m => "0x" + ((ulong)((address & ~0xfffL) + long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 4096)).ToString("x", CultureInfo.InvariantCulture));
    }

    /// <summary>Whitespace collapsed, objdump's <c>// …</c> comments dropped, its condition names cs/cc read as hs/lo.</summary>
    private static string Normalise(string text)
    {
        int comment = text.IndexOf("//", StringComparison.Ordinal);
        if (comment >= 0) text = text[..comment];
        text = WhiteSpace().Replace(text.Trim(), " ");
        text = text.Replace("b.cs ", "b.hs ", StringComparison.Ordinal).Replace("b.cc ", "b.lo ", StringComparison.Ordinal);
        if (text.EndsWith(", cs", StringComparison.Ordinal)) text = text[..^2] + "hs";
        if (text.EndsWith(", cc", StringComparison.Ordinal)) text = text[..^2] + "lo";
        return text;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
