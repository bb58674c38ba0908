using System.Text.RegularExpressions;

namespace HeteroBpf.Tests.Cli;

/// <summary>The first command of README.md, run exactly as written from the repository root, prints what the README says.</summary>
public sealed partial class ReadmeTests
{
    [Fact]
    public void FirstReadmeCommandRunsAndPrintsWhatTheReadmeSays()
    {
        string readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var block = FirstShellBlock().Match(readme);
        Assert.True(block.Success, "README.md has no ```sh block");
        string command = block.Groups[1].Value.Split('\n')[0].Trim();
        Assert.StartsWith("dotnet run ", command, StringComparison.Ordinal);

        // The promise is in the prose after the block: "(21 dropped, 42 passed)".
        var promise = PromisedResult().Match(readme, block.Index + block.Length);
        Assert.True(promise.Success, "README.md does not say what the first command prints");

        // The command has no quoting, so splitting on spaces gives its argv.
        string[] words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var run = Hbpf.RunProcess(Hbpf.DotnetHost, words[1..], "", RepoPaths.Root, timeoutSeconds: 600);
        Assert.True(run.ExitCode == 0, $"`{command}` exited {run.ExitCode}:\n{run.Out}\n{run.Error}");
        Assert.Matches($@"(?m)^\s*XDP_DROP\s+{promise.Groups[1].Value}\s", run.Out);
        Assert.Matches($@"(?m)^\s*XDP_PASS\s+{promise.Groups[2].Value}\s", run.Out);
        Assert.Contains("device host-cil", run.Out, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex FirstShellBlock();

    [GeneratedRegex(@"\((\d+) dropped, (\d+) passed\)")]
    private static partial Regex PromisedResult();
}
