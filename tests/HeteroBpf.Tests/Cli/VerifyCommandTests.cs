using System.Text.Json;

namespace HeteroBpf.Tests.Cli;

/// <summary>
/// <c>hbpf verify</c> in-process: every example is accepted; a program the kernel refuses is refused with its section,
/// instruction, C line and rule; the log, JSON and device hooks; bad options as one-line errors.
/// </summary>
public sealed class VerifyCommandTests
{
    private static string Example(string name) => Path.Combine(RepoPaths.Root, "examples", name, name + ".o");

    private static string Fixture(string file) => Path.Combine(RepoPaths.Fixtures, file);

    public static TheoryData<string> Examples() => new("counter", "firewall", "reflector", "ipip", "dns_truncate", "lb");

    [Theory]
    [MemberData(nameof(Examples))]
    public void EveryExampleIsAccepted(string example)
    {
        var run = Hbpf.Run("verify", Example(example));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Matches(@"\(section xdp, Xdp\): accepted: \d+ instructions processed, \d+ states \(peak \d+\), stack \d+", run.Out);
        Assert.Equal("", run.Error);
    }

    [Fact]
    public void RefusalNamesSectionInstructionSourceLineAndRule()
    {
        // The kernel refuses calls_main too: checksum() reads the packet without a bounds check (KernelObjectTests).
        var run = Hbpf.Run("verify", Fixture("subprogs-v3.o"), "--section", "tc");
        Assert.Equal(1, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.Contains("section tc", line, StringComparison.Ordinal);
        Assert.Matches(@"insn \d+", line);
        Assert.Contains("subprogs.c:", line, StringComparison.Ordinal);
        Assert.Contains("calls_main", line, StringComparison.Ordinal);
        Assert.Contains("packet", line, StringComparison.Ordinal);
        Assert.Matches(@"\(HB5\d{3}\)$", line);
    }

    [Fact]
    public void LogLevelTwoPrintsEveryInstructionAndTheStatistics()
    {
        var run = Hbpf.Run("verify", Example("counter"), "--log-level", "2");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Matches(@"(?m)^0: \([0-9a-f]{2}\) ", run.Out);
        Assert.Contains("processed ", run.Out, StringComparison.Ordinal);
        Assert.Contains("accepted", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonGivesAVerdictPerProgram()
    {
        var run = Hbpf.Run("verify", Fixture("subprogs-v3.o"), "--json");
        Assert.Equal(1, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        var programs = doc.RootElement.GetProperty("programs").EnumerateArray().ToList();
        Assert.NotEmpty(programs);
        var refused = programs.Single(p => p.GetProperty("name").GetString() == "calls_main");
        Assert.False(refused.GetProperty("accepted").GetBoolean());
        Assert.StartsWith("HB5", refused.GetProperty("error").GetProperty("code").GetString(), StringComparison.Ordinal);
        Assert.True(refused.GetProperty("error").GetProperty("sourceLine").GetInt32() > 0);
        using var accepted = JsonDocument.Parse(Hbpf.Run("verify", Example("lb"), "--json").Out);
        var lb = Assert.Single(accepted.RootElement.GetProperty("programs").EnumerateArray());
        Assert.True(lb.GetProperty("accepted").GetBoolean());
        Assert.True(lb.GetProperty("processed").GetInt32() > 0);
        Assert.Equal(JsonValueKind.Null, lb.GetProperty("error").ValueKind);
    }

    [Fact]
    public void AnOffloadDeviceRefusesWhatItCannotRunInItsOwnName()
    {
        // The sim offers no tail calls: its hooks refuse the program, and the refusal carries the device's name.
        var run = Hbpf.Run("verify", Fixture("map_init-v3.o"), "--device", "sim");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("sim: ", run.Error, StringComparison.Ordinal);
        Assert.Contains("(HB5111)", run.Error, StringComparison.Ordinal);
        Assert.True(Hbpf.Run("verify", Fixture("map_init-v3.o")).ExitCode == 0, "the host refuses nothing the verifier accepts");
    }

    [Fact]
    public void BadOptionsAreOneLineErrors()
    {
        Assert.Contains("'admin' not recognized", Hbpf.Run("verify", Example("counter"), "--privilege", "admin").SingleErrorLine(2), StringComparison.Ordinal);
        Assert.Contains("no such file", Hbpf.Run("verify", "missing.o").SingleErrorLine(), StringComparison.Ordinal);
        Assert.Contains("no program in section", Hbpf.Run("verify", Example("counter"), "--section", "nope").SingleErrorLine(), StringComparison.Ordinal);
    }
}
