using System.Globalization;
using System.Text.RegularExpressions;
using static HeteroBpf.Tests.Isa.Rfc9669;

namespace HeteroBpf.Tests.Cli;

/// <summary>
/// <c>hbpf asm | exec | disasm</c> in-process: the shipped checksum example end to end, and for each kind of bad input
/// exactly one line on stderr that says what and where, a non-zero exit and no stack trace (docs/CLI.md).
/// </summary>
public sealed partial class CliTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Example(string name) => Path.Combine(RepoPaths.Root, "examples", "checksum", name);

    /// <summary>RFC 1071: one's-complement sum of big-endian 16-bit words (an odd last byte padded with zero), complemented.</summary>
    private static ushort InternetChecksum(byte[] data)
    {
        uint sum = 0;
        for (int i = 0; i < data.Length; i += 2) sum += (uint)(data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0));
        while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }

    [Fact]
    public void ChecksumExampleAssemblesAndRunsWithMemoryFromAFile()
    {
        byte[] header = File.ReadAllBytes(Example("ipv4-header.bin"));
        Assert.Equal(20, header.Length);
        ushort expected = InternetChecksum(header);
        Assert.Equal(0xb861, expected); // the value README.md and examples/README.md promise

        string bin = Path.Combine(_dir.Path, "checksum.bin");
        var asm = Hbpf.Run("asm", Example("checksum.s"), "-o", bin);
        Assert.Equal(0, asm.ExitCode);
        Assert.Equal("", asm.Error);
        long slots = new FileInfo(bin).Length / 8;
        Assert.Equal($"{bin}: {slots} slots, {slots * 8} bytes\n", asm.Out);

        var run = Hbpf.Run("exec", bin, "--mem-file", Example("ipv4-header.bin"));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal("", run.Error);
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal($"r0 = 0x{expected:x} ({expected})", lines[0]);
        Assert.Equal($"instructions: {ChecksumInstructionCount(header)} on host-cil", lines[1]);

        // The assembler text runs directly too, with the same result.
        var direct = Hbpf.Run("exec", Example("checksum.s"), "--mem-file", Example("ipv4-header.bin"));
        Assert.Equal(run, direct);
    }

    [Fact]
    public void ExecJsonGivesTheSameNumbers()
    {
        byte[] header = File.ReadAllBytes(Example("ipv4-header.bin"));
        var run = Hbpf.Run("exec", Example("checksum.s"), "--mem-file", Example("ipv4-header.bin"), "--json");
        Assert.Equal(0, run.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(run.Out);
        Assert.Equal(InternetChecksum(header), json.RootElement.GetProperty("r0").GetUInt64());
        Assert.Equal(ChecksumInstructionCount(header), json.RootElement.GetProperty("instructions").GetInt64());
        Assert.Equal("host-cil", json.RootElement.GetProperty("device").GetString());
    }

    /// <summary>
    /// How many instructions examples/checksum/checksum.s executes, counted from its text: 2 to start, 10 per
    /// 16-bit word, 3 for the loop test that ends the words, 1 (even length) or 6 (odd last byte) in the tail, 3 per
    /// fold test plus 3 per fold taken, and 2 to finish.
    /// </summary>
    private static long ChecksumInstructionCount(byte[] data)
    {
        int words = data.Length / 2;
        ulong sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2) sum += (ulong)(data[i] << 8 | data[i + 1]);
        if (data.Length % 2 == 1) sum += (ulong)data[^1] << 8;
        int folds = 0;
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
            folds++;
        }

        return 2 + 10L * words + 3 + (data.Length % 2 == 1 ? 6 : 1) + 3 * (folds + 1) + 3 * folds + 2;
    }

    [Fact]
    public void ExecWithHexMemorySetsR1AndR2()
    {
        // r0 = r2 + the byte at r1 + 2: proves R2 is the length and R1 points at the bytes given.
        string prog = _dir.Write("mem.s", "r0 = *(u8 *)(r1 + 0x2)\nr0 += r2\nexit\n");
        var run = Hbpf.Run("exec", prog, "--mem", "0a 0b 0c 0d 0e");
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("r0 = 0x11 (17)\n", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileIsOneLine()
    {
        string missing = Path.Combine(_dir.Path, "nope.bin");
        string line = Hbpf.Run("exec", missing).SingleErrorLine();
        Assert.Equal($"{missing}: no such file (HB4002)", line);

        line = Hbpf.Run("disasm", missing).SingleErrorLine();
        Assert.StartsWith($"{missing}: ", line, StringComparison.Ordinal);
        line = Hbpf.Run("asm", missing).SingleErrorLine();
        Assert.StartsWith($"{missing}: ", line, StringComparison.Ordinal);

        string prog = _dir.Write("ok.s", "r0 = 0\nexit\n");
        line = Hbpf.Run("exec", prog, "--mem-file", missing).SingleErrorLine();
        Assert.StartsWith($"{missing}: ", line, StringComparison.Ordinal);
        Assert.EndsWith("(HB4002)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void BytecodeLengthNotAMultipleOf8IsOneLine()
    {
        string file = _dir.Write("trunc.bin", Program(MovR0Zero, ExitSlot).AsSpan(0, 13).ToArray());
        string line = Hbpf.Run("exec", file).SingleErrorLine();
        Assert.StartsWith($"{file}: insn 1: ", line, StringComparison.Ordinal);
        Assert.Contains("length 13", line, StringComparison.Ordinal);
        Assert.Contains("offset 8", line, StringComparison.Ordinal);
        Assert.EndsWith("(HB1001)", line, StringComparison.Ordinal);
    }

    /// <summary>Bytecode files the decoder refuses, with the slot and code each must report.</summary>
    public static TheoryData<string, byte[], int, string> RefusedBytecode() => new()
    {
        { "unknown opcode", Program(MovR0Zero, Slot(0x8e, 0, 0, 0, 0), ExitSlot), 1, "HB1002" },
        { "jump out of range", Program(MovR0Zero, Slot(Ja, 0, 0, 5, 0), ExitSlot), 1, "HB1009" },
        { "jump backward out of range", Program(MovR0Zero, Slot(JeqImm, 1, 0, -3, 0), ExitSlot), 1, "HB1009" },
        { "jump into lddw half", Program(Slot(Ja, 0, 0, 1, 0), Slot(Lddw, 0, 0, 0, 1), Slot(0, 0, 0, 0, 0), ExitSlot), 0, "HB1010" },
        { "lddw missing second half", Program(MovR0Zero, ExitSlot, Slot(Lddw, 0, 0, 0, 1)), 2, "HB1007" },
        { "lddw second half not zero", Program(Slot(Lddw, 0, 0, 0, 1), ExitSlot, ExitSlot), 1, "HB1008" },
        { "reserved field", Program(Slot(Exit, 0, 0, 0, 7)), 0, "HB1004" },
        { "register 11", Program(Slot(Mov64Imm, 11, 0, 0, 0), ExitSlot), 0, "HB1003" },
    };

    [Theory]
    [MemberData(nameof(RefusedBytecode))]
    public void RefusedBytecodeIsOneLineNamingFileAndSlot(string what, byte[] bytecode, int slot, string code)
    {
        string file = _dir.Write(what.Replace(' ', '-') + ".bin", bytecode);
        foreach (string command in new[] { "exec", "disasm" })
        {
            string line = Hbpf.Run(command, file).SingleErrorLine();
            Assert.StartsWith($"{file}: insn {slot}: ", line, StringComparison.Ordinal);
            Assert.EndsWith($"({code})", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AssemblerSyntaxErrorNamesFileLineAndColumn()
    {
        string file = _dir.Write("bad.s", "r0 = 1\n\tr0 += $\nexit\n");
        string line = Hbpf.Run("exec", file).SingleErrorLine();
        Assert.StartsWith($"{file}:2:", line, StringComparison.Ordinal);
        var column = ColumnPattern().Match(line[(file.Length + 3)..]);
        Assert.True(column.Success, line);
        // The '$' is the 8th character of "\tr0 += $" (a tab counts as one column).
        Assert.Equal(8, int.Parse(column.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Contains("'$'", line, StringComparison.Ordinal);
        Assert.EndsWith("(HB2001)", line, StringComparison.Ordinal);

        string asmLine = Hbpf.Run("asm", file, "-o", Path.Combine(_dir.Path, "bad.bin")).SingleErrorLine();
        Assert.Equal(line, asmLine);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "bad.bin")));
    }

    [GeneratedRegex(@"^(\d+): ")]
    private static partial Regex ColumnPattern();

    [Fact]
    public void BadHexInMemIsOneLineNamingTheOption()
    {
        string prog = _dir.Write("ok.s", "r0 = 0\nexit\n");
        string line = Hbpf.Run("exec", prog, "--mem", "01 zz").SingleErrorLine();
        Assert.Contains("--mem", line, StringComparison.Ordinal);
        Assert.Contains("'zz'", line, StringComparison.Ordinal);
        Assert.EndsWith("(HB4004)", line, StringComparison.Ordinal);
        Assert.DoesNotContain(prog, line, StringComparison.Ordinal); // the program file is not what is wrong

        line = Hbpf.Run("exec", prog, "--mem", "012").SingleErrorLine();
        Assert.Contains("odd number of hex digits", line, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownDeviceIsOneLineListingTheDevices()
    {
        string prog = _dir.Write("ok.s", "r0 = 0\nexit\n");
        string line = Hbpf.Run("exec", prog, "--device", "warp-drive").SingleErrorLine();
        Assert.Contains("'warp-drive'", line, StringComparison.Ordinal);
        Assert.Contains("host-interp", line, StringComparison.Ordinal);
        Assert.EndsWith("(HB4003)", line, StringComparison.Ordinal);
        Assert.DoesNotContain(prog, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("exec", "--bogus")]
    [InlineData("disasm", "--frobnicate")]
    [InlineData("conformance-plugin", "--nope=1")]
    public void UnknownOptionIsOneLineAndExitCode2(string command, string option)
    {
        string prog = _dir.Write("ok.s", "r0 = 0\nexit\n");
        string line = Hbpf.Run(command, prog, option).SingleErrorLine(expectedExitCode: 2);
        Assert.StartsWith($"hbpf {command}: ", line, StringComparison.Ordinal);
        Assert.Contains(option, line, StringComparison.Ordinal);
        Assert.Contains($"hbpf {command} --help", line, StringComparison.Ordinal);
        Assert.EndsWith("(HB4001)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownCommandIsOneLineAndExitCode2()
    {
        string line = Hbpf.Run("frob", "x.bin").SingleErrorLine(expectedExitCode: 2);
        Assert.StartsWith("hbpf: ", line, StringComparison.Ordinal);
        Assert.Contains("'frob'", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Required command", line, StringComparison.Ordinal);
        Assert.EndsWith("(HB4001)", line, StringComparison.Ordinal);

        line = Hbpf.Run().SingleErrorLine(expectedExitCode: 2);
        Assert.Contains("hbpf --help", line, StringComparison.Ordinal);
    }

    [Fact]
    public void HelpListsTheCommands()
    {
        var run = Hbpf.Run("--help");
        Assert.Equal(0, run.ExitCode);
        foreach (string command in new[] { "asm", "disasm", "exec", "conformance-plugin" }) Assert.Contains(command, run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void UnwritableAsmOutputNamesTheOutputNotTheInput()
    {
        string prog = _dir.Write("ok.s", "r0 = 0\nexit\n");
        string target = Path.Combine(_dir.Path, "no-such-dir", "ok.bin");
        string line = Hbpf.Run("asm", prog, "-o", target).SingleErrorLine();
        Assert.StartsWith($"{target}: cannot write", line, StringComparison.Ordinal);
    }

    [Fact]
    public void ElfObjectIsRefusedSayingSo()
    {
        // The ELF magic (0x7f 'E' 'L' 'F') and padding to a whole slot.
        string file = _dir.Write("prog.o", new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0 });
        string line = Hbpf.Run("exec", file).SingleErrorLine();
        Assert.StartsWith($"{file}: ", line, StringComparison.Ordinal);
        Assert.Contains("ELF", line, StringComparison.Ordinal);
        Assert.Contains("hbpf run", line, StringComparison.Ordinal);

        // disasm reads objects, so a truncated one is an ELF format error (HB70xx), still one line.
        string disasm = Hbpf.Run("disasm", file).SingleErrorLine();
        Assert.StartsWith($"{file}: ", disasm, StringComparison.Ordinal);
        Assert.Matches(@"\(HB70\d\d\)$", disasm);
    }

    [Fact]
    public void UnknownMcpuIsAUsageError()
    {
        string prog = _dir.Write("ok.s", "r0 = 0\nexit\n");
        string line = Hbpf.Run("disasm", prog, "--mcpu", "v9").SingleErrorLine(expectedExitCode: 2);
        Assert.Contains("v9", line, StringComparison.Ordinal);
    }

    [Fact]
    public void MemAndMemFileTogetherIsAUsageError()
    {
        string prog = _dir.Write("ok.s", "r0 = 0\nexit\n");
        string line = Hbpf.Run("exec", prog, "--mem", "01", "--mem-file", prog).SingleErrorLine(expectedExitCode: 2);
        Assert.Contains("--mem-file", line, StringComparison.Ordinal);
    }

    [Fact]
    public void OutOfBoundsReadReportsSlotAddressAndSize()
    {
        // Two bytes of memory; slot 1 reads four bytes 16 past its start.
        string prog = _dir.Write("oob.s", "r0 = 0\nr0 = *(u32 *)(r1 + 0x10)\nexit\n");
        string line = Hbpf.Run("exec", prog, "--mem", "01 02").SingleErrorLine();
        Assert.StartsWith($"{prog}: insn 1: ", line, StringComparison.Ordinal);
        Assert.Contains("4 bytes", line, StringComparison.Ordinal);
        Assert.EndsWith("(HB3001)", line, StringComparison.Ordinal);

        // The faulting address is the memory's address (R1) + 0x10; the line names both.
        var at = AddressPattern().Match(line);
        var region = PacketRegionPattern().Match(line);
        Assert.True(at.Success && region.Success, line);
        ulong address = ulong.Parse(at.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        ulong start = ulong.Parse(region.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Assert.Equal(start + 0x10, address);
    }

    [GeneratedRegex(@"\bat 0x([0-9a-f]+)")]
    private static partial Regex AddressPattern();

    [GeneratedRegex(@"packet 0x([0-9a-f]+)\+2\b")]
    private static partial Regex PacketRegionPattern();

    [Fact]
    public void DisasmOfRawBytecodePrintsLlvmObjdumpLines()
    {
        string file = _dir.Write("prog.bin", Program(
            Slot(Mov64Imm, 1, 0, 0, 42),
            Slot(Lddw, 0, 0, 0, 2), Slot(0, 0, 0, 0, 1),
            Slot(JeqImm, 1, 0, 1, 0),
            ExitSlot,
            ExitSlot));
        var run = Hbpf.Run("disasm", file);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);

        // llvm-objdump -d: right-aligned slot number and colon, a tab, the slot's bytes (all 16 of a lddw), a tab, the
        // text; the lddw takes slots 1 and 2, so the next line is slot 3.
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => ObjdumpLinePattern().IsMatch(l)).ToArray();
        Assert.Equal(5, lines.Length);
        Assert.Equal("       0:\tb7 01 00 00 2a 00 00 00\tr1 = 0x2a", lines[0]);
        Assert.Equal("       1:\t18 00 00 00 02 00 00 00 00 00 00 00 01 00 00 00\tr0 = 0x100000002 ll", lines[1]);
        Assert.StartsWith("       3:\t15 01 01 00 00 00 00 00\tif r1 == 0x0 goto +0x1", lines[2], StringComparison.Ordinal);
        Assert.Equal("       4:\t95 00 00 00 00 00 00 00\texit", lines[3]);
        Assert.Equal("       5:\t95 00 00 00 00 00 00 00\texit", lines[4]);
    }

    [GeneratedRegex(@"^ {0,7}\d+:\t([0-9a-f]{2} ){7}([0-9a-f]{2} ){0,8}[0-9a-f]{2}\t\S.*$")]
    private static partial Regex ObjdumpLinePattern();
}
