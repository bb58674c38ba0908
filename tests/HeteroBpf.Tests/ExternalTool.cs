using System.Diagnostics;

namespace HeteroBpf.Tests;

/// <summary>Runs an oracle tool (llvm-objdump, tshark, …) and gives its standard output, failing the test when it fails.</summary>
internal static class ExternalTool
{
    /// <summary>
    /// Runs <paramref name="tool"/>; when it is not installed, the test fails (<paramref name="skipWhenMissing"/> false)
    /// or is skipped, either way naming the Debian <paramref name="package"/> that test.sh installs.
    /// </summary>
    public static string Run(string tool, string package, bool skipWhenMissing, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            string why = $"{tool} is not installed or not on PATH ({e.Message}): install the Debian package {package} (test.sh does)";
            if (skipWhenMissing) Assert.Skip(why);
            Assert.Fail(why);
            throw;
        }

        using (process)
        {
            // Read both streams concurrently: a tool that fills stderr's pipe (tshark warns there as root) would block forever.
            var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', args)} exited with {process.ExitCode}: {stderr.Result}");
            return stdout;
        }
    }
}
