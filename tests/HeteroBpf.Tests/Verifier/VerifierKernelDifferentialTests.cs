using System.Text.RegularExpressions;
using HeteroBpf.KernelOracle;
using HeteroBpf.Tests.Kernel;

namespace HeteroBpf.Tests.Verifier;

/// <summary>
/// Mutated catalogue programs through the running kernel's verifier and ours: wherever the kernel refuses, we refuse
/// (soundness); the agreement rate on what the kernel accepts is reported. Fixed seed.
/// </summary>
public sealed partial class VerifierKernelDifferentialTests(ITestOutputHelper output)
{
    private const int Mutants = 600;

    [GeneratedRegex(@"(?<![\w.])-?\d+(?![\w.])")]
    private static partial Regex Number();

    /// <summary>The entry's text with one number of one instruction line nudged (offsets, immediates, bounds).</summary>
    private static string? Mutate(string text, Random rng)
    {
        var lines = text.Split('\n');
        var candidates = Enumerable.Range(0, lines.Length).Where(i =>
        {
            string l = lines[i].Trim();
            return l.Length > 0 && !l.StartsWith(';') && !l.StartsWith("call", StringComparison.Ordinal) && !l.StartsWith("ld_pseudo", StringComparison.Ordinal) && Number().IsMatch(l);
        }).ToList();
        if (candidates.Count == 0) return null;
        int at = candidates[rng.Next(candidates.Count)];
        var matches = Number().Matches(lines[at]);
        var m = matches[rng.Next(matches.Count)];
        long value = long.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture);
        long next = rng.Next(4) switch
        {
            0 => value + 1,
            1 => value - 1,
            2 => value + rng.Next(-16, 17),
            _ => value * 2,
        };
        lines[at] = lines[at][..m.Index] + next.ToString(System.Globalization.CultureInfo.InvariantCulture) + lines[at][(m.Index + m.Length)..];
        return string.Join('\n', lines);
    }

    [Fact]
    public void WhereTheKernelRefusesWeRefuse()
    {
        KernelOracleExtensions.SkipUnlessAvailable();
        var entries = CatalogueEntries.All.Values.OrderBy(e => e.Id, StringComparer.Ordinal).ToList();
        var rng = new Random(5112);
        int tried = 0, kernelAccepts = 0, bothAccept = 0, kernelRefuses = 0;
        var unsound = new List<string>();
        var conservative = new List<string>();
        for (int n = 0; n < Mutants; n++)
        {
            var entry = entries[rng.Next(entries.Count)];
            if (Mutate(entry.Text, rng) is not { } text) continue;
            var mutant = entry with { Text = text, Id = $"{entry.Id}#m{n}" };
            try
            {
                mutant.Assemble();
                if (mutant.Assemble().Where(i => i.IsWide && i.SrcNumber is 1 or 2).Any(i => i.Imm >= mutant.Maps.Length)) continue;
            }
            catch (HbpfException)
            {
                continue;
            }

            KernelCatalogueVerdict kernel;
            try
            {
                kernel = KernelCatalogue.Load(mutant);
            }
            catch (InvalidOperationException)
            {
                continue;
            }

            tried++;
            var ours = VerifierCatalogueTests.Verdict(mutant);
            if (kernel.Accepted)
            {
                kernelAccepts++;
                if (ours is null) bothAccept++;
                else conservative.Add($"{mutant.Id}: {ours.Reason}\n{text}");
            }
            else
            {
                kernelRefuses++;
                if (ours is null) unsound.Add($"{mutant.Id}: kernel: {kernel.Message}\n{text}");
            }
        }

        string summary = $"{tried} mutants: kernel refuses {kernelRefuses} (we accept {unsound.Count}), kernel accepts {kernelAccepts} (we accept {bothAccept}, {(kernelAccepts == 0 ? 100 : 100.0 * bothAccept / kernelAccepts):F1}%)";
        output.WriteLine(summary);
        foreach (string c in conservative.Take(20)) output.WriteLine("  refused, kernel accepts: " + c);
        if (Environment.GetEnvironmentVariable("VERIFIER_SUMMARY") is { } path) File.WriteAllText(path, summary + "\n" + string.Join("\n", conservative) + "\nUNSOUND:\n" + string.Join("\n", unsound));
        Assert.True(tried > Mutants / 2, summary);
        Assert.True(unsound.Count == 0, $"{summary}\n" + string.Join("\n---\n", unsound.Take(3)));
    }
}
