using System.Diagnostics;
using HeteroBpf.Cli;

namespace HeteroBpf.Tests.Cli;

/// <summary>What one run of <c>hbpf</c> gave: exit code, standard output and standard error.</summary>
public sealed record HbpfRun(int ExitCode, string Out, string Error)
{
    /// <summary>Non-empty lines of standard error.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Asserts the contract for bad input: non-zero exit, nothing on stdout, one line on stderr, no stack trace; returns the line.</summary>
    public string SingleErrorLine(int expectedExitCode = 1)
    {
        Assert.True(ExitCode == expectedExitCode, $"exit code {ExitCode}, expected {expectedExitCode}; stderr: {Error}");
        Assert.True(Out.Length == 0, $"unexpected stdout: {Out}");
        Assert.DoesNotContain("   at ", Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", Error, StringComparison.Ordinal);
        Assert.True(ErrorLines.Length == 1, $"expected one line on stderr, got {ErrorLines.Length}:\n{Error}");
        return ErrorLines[0];
    }
}

/// <summary>Runs <c>hbpf</c> in-process through <see cref="HbpfCli.Run"/>, or as the real executable in a child process.</summary>
public static class Hbpf
{
    /// <summary>Runs one command line in-process with <paramref name="stdin"/> as standard input and captured streams.</summary>
    public static HbpfRun RunWithInput(string stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = HbpfCli.Run(args, new StringReader(stdin), output, error);
        return new HbpfRun(code, output.ToString().Replace("\r\n", "\n", StringComparison.Ordinal), error.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    /// <summary>Runs one command line in-process with empty standard input.</summary>
    public static HbpfRun Run(params string[] args) => RunWithInput("", args);

    /// <summary>
    /// The hbpf.dll built with the tests: the CLI project is a reference of the test project, so its build output
    /// (with its runtimeconfig) is copied beside the test binary.
    /// </summary>
    public static string Dll
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory, "hbpf.dll");
            Assert.True(File.Exists(path), $"hbpf.dll not found at {path}");
            return path;
        }
    }

    /// <summary>The dotnet host running these tests (the one that will run hbpf.dll).</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
        : "dotnet";

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="args"/>, writes <paramref name="stdin"/> and waits for it.</summary>
    public static HbpfRun RunProcess(string fileName, IEnumerable<string> args, string stdin, string? workingDirectory = null, int timeoutSeconds = 120)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string a in args) info.ArgumentList.Add(a);

        // No telemetry banner or first-run text from the dotnet host in what we read.
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} {string.Join(' ', args)} did not finish in {timeoutSeconds} s");
        }

        return new HbpfRun(process.ExitCode, stdout.Result.Replace("\r\n", "\n", StringComparison.Ordinal), stderr.Result.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    /// <summary>Runs the built hbpf executable as a child process.</summary>
    public static HbpfRun RunExecutable(string stdin, params string[] args) => RunProcess(DotnetHost, [Dll, .. args], stdin);
}

/// <summary>A scratch directory for one test class, deleted afterwards.</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>The directory.</summary>
    public string Path { get; } = Directory.CreateTempSubdirectory("hbpf-tests-").FullName;

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="name"/> and returns its full path.</summary>
    public string Write(string name, byte[] bytes)
    {
        string file = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(file, bytes);
        return file;
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="name"/> and returns its full path.</summary>
    public string Write(string name, string text)
    {
        string file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, text);
        return file;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover scratch directory in /tmp is harmless.
        }
    }
}
