using System.Diagnostics;
using System.Globalization;
using System.Text;
using HeteroBpf.Btf;
using HeteroBpf.Elf;
using HeteroBpf.KernelOracle;
using HeteroBpf.Verifier;

namespace HeteroBpf.Bench;

/// <summary>
/// <c>--verifier-table</c>: every program of every committed object (tests/fixtures, examples, bench/programs) through
/// our verifier and through the kernel's (BPF_PROG_LOAD with log stats), side by side, as a Markdown table. A plain
/// measured table rather than a BenchmarkDotNet class: about 60 programs, one of them taking the kernel a fifth of a
/// second per load, would make a BenchmarkDotNet run last tens of minutes. Our time is the median of repeated
/// <see cref="BpfVerifier.Verify"/> calls after one warm-up (wall clock, this process); the kernel's is the median of
/// the <c>verification time</c> its own log reports over repeated loads.
/// </summary>
internal static class VerifierTable
{
    /// <summary>Our runs per program: at least this many, and more until the measured time reaches <see cref="MinTotal"/>.</summary>
    private const int MinRuns = 5;

    /// <summary>
    /// Warm-up before our timed runs: at least this long, so the verifier's hot methods run tiered-up (optimised) code
    /// rather than the first tier the runtime compiles them with.
    /// </summary>
    private static readonly TimeSpan WarmUp = TimeSpan.FromMilliseconds(500);

    /// <summary>Kernel loads per program (each one a full verification).</summary>
    private const int KernelLoads = 5;

    private static readonly TimeSpan MinTotal = TimeSpan.FromMilliseconds(300);

    /// <summary>Objects whose programs are measured, relative to the repository root.</summary>
    private static readonly string[] Globs = ["tests/fixtures", "examples", "bench/programs"];

    /// <summary>Runs the table; gives the process exit code (0 when the kernel was available).</summary>
    public static int Run(string[] args)
    {
        string root = RepoRoot();
        string? output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault();
        // --verifier-only NAME: only the programs whose "object program" name contains NAME (e.g. verifier_sieve.o).
        string? only = args.SkipWhile(a => a != "--verifier-only").Skip(1).FirstOrDefault();
        if (KernelBpf.UnavailableReason is { } why)
        {
            Console.Error.WriteLine($"verifier table: the kernel is unavailable ({why}); the table needs both verifiers");
            return 1;
        }

        var rows = new List<string>();
        var notes = new List<string>();
        foreach (string file in Objects(root))
        {
            string rel = Path.GetRelativePath(root, file);
            ObjectFile obj;
            try
            {
                obj = ObjectFile.Load(file);
            }
            catch (HbpfException e)
            {
                notes.Add($"- `{rel}`: not loadable here ({e.Message})");
                continue;
            }

            KernelObject kernel;
            try
            {
                kernel = KernelObject.Open(obj);
            }
            catch (KernelRefusedException e)
            {
                notes.Add($"- `{rel}`: the kernel refused its maps ({e.Message})");
                continue;
            }

            using (kernel)
            {
                var ext = obj.Btf is { } btf && obj.BtfExt is { } rawExt ? BtfExtSpec.Parse(rawExt.Span, BtfSpec.Parse(btf.Span)) : null;
                foreach (var program in obj.Programs)
                {
                    string name = $"{rel} {program.Name}";
                    if (only is not null && !name.Contains(only, StringComparison.Ordinal)) continue;
                    var ks = KernelSide(kernel, ext, program, out string refusal);
                    var ours = OurSide(program, obj.Maps, out string ourRefusal);
                    if (ks is null)
                    {
                        notes.Add($"- `{name}`: refused by the kernel ({refusal}); ours: {(ours is null ? "refused: " + ourRefusal : "accepted")}");
                        continue;
                    }

                    if (ours is null)
                    {
                        notes.Add($"- `{name}`: accepted by the kernel ({ks.Value.Stats.ProcessedInsns} insns, {ks.Value.MedianUs} µs), refused by ours: {ourRefusal}");
                        continue;
                    }

                    var (verified, ourUs) = ours.Value;
                    var k = ks.Value;
                    double ratio = k.MedianUs > 0 ? ourUs / k.MedianUs : double.NaN;
                    rows.Add(string.Create(CultureInfo.InvariantCulture,
                        $"| `{rel}` {program.Name} | {program.Instructions.Length} | {verified.ProcessedInstructions} | {verified.TotalStates} / {verified.PeakStates} | {ourUs:0.#} | {k.Stats.ProcessedInsns} | {k.Stats.TotalStates} / {k.Stats.PeakStates} | {k.MedianUs:0} | {ratio:0.00} |"));
                    Console.Error.WriteLine(rows[^1]);
                }
            }
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Load average at start: {LoadAverage()}; {Environment.ProcessorCount} CPUs; kernel {Environment.OSVersion.VersionString}.");
        text.AppendLine();
        text.AppendLine("| Program | Slots | Ours: processed | Ours: states total / peak | Ours: µs (median) | Kernel: processed | Kernel: states total / peak | Kernel: µs (median) | Ours / kernel |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (string row in rows) text.AppendLine(row);
        text.AppendLine();
        foreach (string note in notes) text.AppendLine(note);
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Load average at end: {LoadAverage()}.");
        Console.WriteLine(text.ToString());
        if (output is not null) File.WriteAllText(output, text.ToString());
        return 0;
    }

    private static (KernelVerifierStats Stats, double MedianUs)? KernelSide(KernelObject kernel, BtfExtSpec? ext, ProgramSpec program, out string refusal)
    {
        var times = new List<double>();
        KernelVerifierStats? last = null;
        refusal = "";
        for (int i = 0; i < KernelLoads; i++)
        {
            var stats = VerifierKernelLoad.Load(kernel, ext, program, out refusal);
            if (stats is null) return null;
            last = stats;
            times.Add(stats.Value.VerificationUs);
        }

        return (last!.Value, Median(times));
    }

    private static (VerifiedProgram Verified, double MedianUs)? OurSide(ProgramSpec program, IReadOnlyList<MapSpec> maps, out string refusal)
    {
        refusal = "";
        VerifiedProgram verified;
        try
        {
            verified = BpfVerifier.Verify(program, maps); // warm-up: JIT compilation of the verifier's paths
        }
        catch (HbpfException e)
        {
            refusal = e.Message.Split('\n')[0];
            return null;
        }

        var warm = Stopwatch.StartNew();
        for (int i = 0; i < MinRuns || warm.Elapsed < WarmUp; i++) verified = BpfVerifier.Verify(program, maps);

        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < MinRuns || total.Elapsed < MinTotal)
        {
            long start = Stopwatch.GetTimestamp();
            verified = BpfVerifier.Verify(program, maps);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        return (verified, Median(times));
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    private static IEnumerable<string> Objects(string root) =>
        Globs.SelectMany(g => Directory.EnumerateFiles(Path.Combine(root, g), "*.o", SearchOption.AllDirectories))
            .Select(Path.GetFullPath)
            .Order(StringComparer.Ordinal);

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>The repository root: the first directory above the binary holding HeteroBpf.slnx.</summary>
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HeteroBpf.slnx"))) return dir.FullName;
        }

        return Directory.GetCurrentDirectory();
    }
}
