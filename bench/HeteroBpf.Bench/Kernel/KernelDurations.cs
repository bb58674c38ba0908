using System.Diagnostics;
using System.Globalization;

namespace HeteroBpf.Bench.Kernel;

/// <summary>
/// Hands the kernel's own per-run duration, averaged over every BPF_PROG_TEST_RUN of the benchmark process, to the
/// host process that prints the summary: one small file per workload (or per XDP example, by key) under the temp directory. The host accepts a file
/// only if it was written after the host started, so a stale one from an earlier run is never shown.
/// </summary>
internal static class KernelDurations
{
    private static string PathOf(string key) => Path.Combine(Path.GetTempPath(), "hbpf-bench", $"kernel-{key}.txt");

    public static void Write(Workload workload, double nsPerRun, long runs) => Write(workload.ToString(), nsPerRun, runs);

    public static (double NsPerRun, long Runs)? Read(Workload workload) => Read(workload.ToString());

    public static void Write(string key, double nsPerRun, long runs)
    {
        string path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, FormattableString.Invariant($"{nsPerRun:0.0} {runs}\n"));
    }

    /// <summary>ns per run and the number of runs it averages, if the benchmark process of this host run wrote them.</summary>
    public static (double NsPerRun, long Runs)? Read(string key)
    {
        string path = PathOf(key);
        if (!File.Exists(path)) return null;
        if (File.GetLastWriteTimeUtc(path) < Process.GetCurrentProcess().StartTime.ToUniversalTime()) return null;
        string[] parts = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (double.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
