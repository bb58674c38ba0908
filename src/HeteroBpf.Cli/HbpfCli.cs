using System.CommandLine;
using HeteroBpf.Cli.Commands;

namespace HeteroBpf.Cli;

/// <summary>The <c>hbpf</c> command tree; <see cref="Run"/> is the whole program, callable in-process by tests.</summary>
public static class HbpfCli
{
    /// <summary>Exit code for a bad command line.</summary>
    public const int UsageError = 2;

    /// <summary>Parses and runs one command line; input errors print one line on <paramref name="stderr"/> and return non-zero.</summary>
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var io = new CliIo(stdin, stdout, stderr);
        var root = new RootCommand("hbpf: eBPF as a heterogeneous processing ABI — assemble, disassemble, run and offload eBPF programs.")
        {
            AsmCommand.Create(io),
            DisasmCommand.Create(io),
            ExecCommand.Create(io),
            ProgCommand.Create(io),
            MapCommand.Create(io),
            TestRunCommand.Create(io),
            RunCommand.Create(io),
            VerifyCommand.Create(io),
            ConformancePluginCommand.Create(io),
            DevicesCommand.Create(io),
        };

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line like every other error: the command, what is wrong, where to look, the code.
            string command = string.Join(' ', CommandPath(parse).Prepend("hbpf"));
            var errors = parse.Errors.Select(e => OneLine(e.Message).TrimEnd('.')).ToList();

            // With a mistyped command word, "Required command was not provided" only restates the more precise error.
            if (errors.Count > 1) errors.RemoveAll(m => m.StartsWith("Required command was not provided", StringComparison.Ordinal));
            string reasons = string.Join("; ", errors);
            stderr.WriteLine($"{command}: {reasons}; see '{command} --help' (HB{(int)ErrorCode.BadArgument:D4})");
            return UsageError;
        }

        return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
    }

    // Some parser messages list choices on indented lines; the error contract is one line.
    private static string OneLine(string message) =>
        string.Join(' ', message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var c = parse.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (c.Command is not RootCommand) names.Insert(0, c.Command.Name);
        }

        return names;
    }
}
