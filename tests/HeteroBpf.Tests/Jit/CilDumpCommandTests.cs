using HeteroBpf.Tests.Cli;

namespace HeteroBpf.Tests.Jit;

/// <summary><c>hbpf prog dump jited</c>: IL per eBPF slot with its C source line, then RyuJIT's code through Iced.</summary>
public sealed class CilDumpCommandTests
{
    private static string Fixture(string file) => Path.Combine(RepoPaths.Fixtures, file);

    [Fact]
    public void PrintsIlPerSlotWithSourceLinesAndTheNativeCode()
    {
        var run = Hbpf.Run("prog", "dump", "jited", Fixture("xdp_parse-v3.o"), "--device", "host-cil");
        Assert.True(run.ExitCode == 0, run.Error);
        string[] lines = run.Out.Split('\n');
        Assert.StartsWith("xdp_parse: section xdp, 46 slots", lines[0], StringComparison.Ordinal);
        // Slot 1 reads data_end: the C line from BTF, then the instruction as the disassembler prints it, then its IL.
        int source = Array.FindIndex(lines, l => l.StartsWith("; xdp_parse.c:21: void *data_end", StringComparison.Ordinal));
        Assert.True(source > 0, run.Out);
        Assert.Equal(";    1: r2 = *(u64 *)(r1 + 0x8)", lines[source + 1]);
        Assert.Contains(lines.Skip(source + 2).TakeWhile(l => !l.StartsWith(';')), l => l.Contains("ldind.i8", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("call MapHelpers::", StringComparison.Ordinal) || l.Contains("stloc r0", StringComparison.Ordinal));
        // Native code: the runtime reports the method; Iced decodes it (a prologue push first, a ret somewhere).
        int native = Array.FindIndex(lines, l => l.StartsWith("; native code: x86-64", StringComparison.Ordinal));
        Assert.True(native > 0, run.Out);
        Assert.Contains("push", lines[native + 1], StringComparison.Ordinal);
        Assert.Contains(lines.Skip(native), l => l.TrimEnd().EndsWith("ret", StringComparison.Ordinal));
    }

    [Fact]
    public void SectionSelectsProgramsAndOtherDevicesAreRefusedByName()
    {
        var run = Hbpf.Run("prog", "dump", "jited", Fixture("helpers-v3.o"), "--section", "xdp");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Single(run.Out.Split('\n'), l => l.Contains(": section xdp,", StringComparison.Ordinal));
        var refused = Hbpf.Run("prog", "dump", "jited", Fixture("helpers-v3.o"), "--device", "host-interp");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("no JIT to dump", refused.Error, StringComparison.Ordinal);
    }

    /// <summary>The dump shows the code <c>hbpf run</c> runs: verified, with the checksum's loop vectorised; a program type
    /// without verifier tables is shown as checked code and says why.</summary>
    [Fact]
    public void VerifiedProgramsShowTheirProofsAndVectorisedLoops()
    {
        string checksum = Path.Combine(RepoPaths.Root, "bench", "programs", "checksum.bpf.o");
        var run = Hbpf.Run("prog", "dump", "jited", checksum, "--section", "xdp");
        Assert.True(run.ExitCode == 0, run.Error);
        string[] lines = run.Out.Split('\n');
        Assert.EndsWith("verified: 1 access(es) proven in bounds run unchecked, 1 vectorised reduction loop(s)", lines[0], StringComparison.Ordinal);
        int loop = Array.FindIndex(lines, l => l.Contains("// vectorised reduction loop, slots 8..14: r1 += u16 at (r2 + r3) + 2*i; r3 += 2 while r3 < 0x5da", StringComparison.Ordinal));
        Assert.True(loop > 0, run.Out);
        Assert.Contains(lines.Skip(loop), l => l.Contains("call ReductionKernels::AddU16", StringComparison.Ordinal));

        var raw = Hbpf.Run("prog", "dump", "jited", checksum, "--section", "raw");
        Assert.True(raw.ExitCode == 0, raw.Error);
        Assert.Contains("every access bounds-checked, not verified (program type 0 (Unspec) has no verifier tables", raw.Out.Split('\n')[0], StringComparison.Ordinal);
        Assert.DoesNotContain("vectorised reduction loop", raw.Out, StringComparison.Ordinal);
    }
}
