using System.Globalization;
using static HeteroBpf.Tests.Isa.Rfc9669;

namespace HeteroBpf.Tests.Cli;

/// <summary>
/// <c>hbpf conformance-plugin</c> speaks the plugin protocol of bpf_conformance (Alan-Jowett/bpf_conformance,
/// src/bpf_conformance.cc): the runner writes the program as hex bytes, each followed by two spaces, and a newline on
/// the plugin's stdin; passes the input memory in the same format as the first argument (left out when the test has
/// no memory; older runners pass an empty string) followed by the plugin options; reads stdout and parses it with
/// <c>stoull(…, 16)</c> as the 64-bit R0, so lowercase hex with or without <c>0x</c>; and on a non-zero exit compares
/// stdout, or stderr when stdout is empty, with the test's expected error.
/// </summary>
public sealed class ConformancePluginTests
{
    /// <summary>Bytes as the runner's <c>_base_16_encode</c> writes them: two hex digits, then two spaces, per byte.</summary>
    private static string RunnerHex(byte[] bytes) => string.Concat(bytes.Select(b => b.ToString("x2", CultureInfo.InvariantCulture) + "  "));

    private static readonly byte[] Return42 = Program(Slot(Mov64Imm, 0, 0, 0, 42), ExitSlot);

    // r0 = *(u32 *)(r1 + 0) + r2: needs R1 pointing at the memory and R2 holding its length.
    private static readonly byte[] LoadPlusLength = Program(Slot(LdxW, 0, 1, 0, 0), Slot(Add64Reg, 0, 2, 0, 0), ExitSlot);

    // r0 = r1 | r2 (so both are 0 without memory).
    private static readonly byte[] R1OrR2 = Program(Slot(Mov64Reg, 0, 1, 0, 0), Slot(0x4f, 0, 2, 0, 0), ExitSlot);

    private static ulong ParseR0(HbpfRun run)
    {
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Error}");
        string text = run.Out.Trim();
        Assert.Matches("^[0-9a-f]+$", text); // lowercase hex, which stoull(…, 16) reads whole
        return ulong.Parse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    [Fact]
    public void PrintsR0InLowercaseHex()
    {
        Assert.Equal("2a\n", Hbpf.RunWithInput(RunnerHex(Return42) + "\n", "conformance-plugin").Out);

        // All 64 bits of R0: lddw r0, 0xdeadbeefcafebabe.
        var wide = Program(Slot(Lddw, 0, 0, 0, unchecked((int)0xcafebabe)), Slot(0, 0, 0, 0, unchecked((int)0xdeadbeef)), ExitSlot);
        var run = Hbpf.RunWithInput(RunnerHex(wide), "conformance-plugin");
        Assert.Equal("deadbeefcafebabe\n", run.Out);

        // -1 is printed as its 64-bit two's complement, as stoull would need it.
        Assert.Equal(ulong.MaxValue, ParseR0(Hbpf.RunWithInput(RunnerHex(Program(Slot(Mov64Imm, 0, 0, 0, -1), ExitSlot)), "conformance-plugin")));
    }

    [Theory]
    [InlineData("b7 00 00 00 2a 00 00 00 95 00 00 00 00 00 00 00")]
    [InlineData("b7  00  00  00  2a  00  00  00  95  00  00  00  00  00  00  00  \n")]
    [InlineData("b7\t00\t00 00\n2a 00 00 00\r\n95 00 00 00 00 00 00 00\n\n")]
    [InlineData("  b7000000 2a000000\n9500000000000000")]
    [InlineData("B7 00 00 00 2A 00 00 00 95 00 00 00 00 00 00 00")]
    public void AcceptsAnyWhitespaceBetweenProgramBytes(string stdin)
    {
        Assert.Equal(42UL, ParseR0(Hbpf.RunWithInput(stdin, "conformance-plugin")));
    }

    [Fact]
    public void MemoryIsTheFirstArgumentWithR1AtItAndR2ItsLength()
    {
        byte[] memory = [0x01, 0x02, 0x03, 0x04, 0x05];
        ulong r0 = ParseR0(Hbpf.RunWithInput(RunnerHex(LoadPlusLength), "conformance-plugin", RunnerHex(memory)));
        Assert.Equal(0x04030201UL + 5, r0);

        // Plugin options follow the memory.
        r0 = ParseR0(Hbpf.RunWithInput(RunnerHex(LoadPlusLength), "conformance-plugin", RunnerHex(memory), "--device", "host-interp"));
        Assert.Equal(0x04030201UL + 5, r0);
    }

    [Fact]
    public void WithoutMemoryR1AndR2AreZero()
    {
        Assert.Equal(0UL, ParseR0(Hbpf.RunWithInput(RunnerHex(R1OrR2), "conformance-plugin")));

        // Older runners always pass the memory and the options, as empty strings when there are none.
        Assert.Equal(0UL, ParseR0(Hbpf.RunWithInput(RunnerHex(R1OrR2), "conformance-plugin", "", "")));
    }

    [Fact]
    public void RefusedProgramGivesAReasonOnStderrAndExit1()
    {
        string line = Hbpf.RunWithInput(RunnerHex(Program(Slot(0x8e, 0, 0, 0, 0), ExitSlot)), "conformance-plugin").SingleErrorLine();
        Assert.Equal("insn 0: unknown opcode 0x8e (HB1002)", line);

        line = Hbpf.RunWithInput(RunnerHex(Program(MovR0Zero, Slot(Ja, 0, 0, 3, 0), ExitSlot)), "conformance-plugin").SingleErrorLine();
        Assert.StartsWith("insn 1: ", line, StringComparison.Ordinal);
        Assert.EndsWith("(HB1009)", line, StringComparison.Ordinal);

        line = Hbpf.RunWithInput(RunnerHex(Return42)[..^4], "conformance-plugin").SingleErrorLine();
        Assert.EndsWith("(HB1001)", line, StringComparison.Ordinal);

        line = Hbpf.RunWithInput("b7 00 zz", "conformance-plugin").SingleErrorLine();
        Assert.Contains("standard input", line, StringComparison.Ordinal);
        Assert.EndsWith("(HB4004)", line, StringComparison.Ordinal);

        line = Hbpf.RunWithInput("", "conformance-plugin").SingleErrorLine();
        Assert.EndsWith("(HB1011)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void RuntimeFaultGivesAReasonOnStderrAndExit1()
    {
        // Reading through R1 without memory reads address 0.
        string line = Hbpf.RunWithInput(RunnerHex(LoadPlusLength), "conformance-plugin").SingleErrorLine();
        Assert.StartsWith("insn 0: ", line, StringComparison.Ordinal);
        Assert.Contains("4 bytes", line, StringComparison.Ordinal);
        Assert.Contains("0x0", line, StringComparison.Ordinal);
        Assert.EndsWith("(HB3001)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void ElfModeIsRefusedClearly()
    {
        string line = Hbpf.RunWithInput(RunnerHex(Return42), "conformance-plugin", "--elf").SingleErrorLine();
        Assert.Contains("ELF", line, StringComparison.Ordinal);
        Assert.Contains("not supported", line, StringComparison.Ordinal);
    }

    [Fact]
    public void TheExecutableSpeaksTheProtocolOverStdinArgvAndExitCode()
    {
        // The way bpf_conformance starts a plugin: memory (when any) and options in argv, program on stdin.
        var run = Hbpf.RunExecutable(RunnerHex(Return42) + "\n", "conformance-plugin");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("2a\n", run.Out);
        Assert.Equal("", run.Error);

        byte[] memory = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60];
        run = Hbpf.RunExecutable(RunnerHex(LoadPlusLength) + "\n", "conformance-plugin", RunnerHex(memory), "--device", "host-interp");
        Assert.Equal(0x40302010UL + 6, ParseR0(run));

        run = Hbpf.RunExecutable(RunnerHex(Program(Slot(0x8e, 0, 0, 0, 0), ExitSlot)) + "\n", "conformance-plugin");
        Assert.Equal("insn 0: unknown opcode 0x8e (HB1002)", run.SingleErrorLine());

        run = Hbpf.RunExecutable(RunnerHex(LoadPlusLength) + "\n", "conformance-plugin");
        Assert.EndsWith("(HB3001)", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheDocumentedWrapperTakesTheRunnersArgvAsIs()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("the wrapper of docs/CLI.md is a POSIX shell script");
            return;
        }

        // bpf_conformance runs PLUGIN_PATH MEMORY OPTIONS…: the memory comes first, so a wrapper adds the command word.
        using var dir = new TempDir();
        string wrapper = dir.Write("hbpf-plugin", $"#!/bin/sh\nexec '{Hbpf.DotnetHost}' '{Hbpf.Dll}' conformance-plugin \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        byte[] memory = [0xaa, 0xbb, 0xcc, 0xdd];
        var run = Hbpf.RunProcess(wrapper, [RunnerHex(memory), "--device", "host-interp"], RunnerHex(LoadPlusLength) + "\n");
        Assert.Equal(0xddccbbaaUL + 4, ParseR0(run));
    }
}
