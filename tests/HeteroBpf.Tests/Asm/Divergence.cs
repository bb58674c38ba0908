using System.Text.RegularExpressions;

namespace HeteroBpf.Tests.Asm;

/// <summary>Which text of ours is compared with llvm-objdump's.</summary>
public enum TextMode
{
    /// <summary>Disassembler's normal text, which assembles back to the same bytes.</summary>
    Default,
    /// <summary>DisassemblerOptions.ExactLlvmText.</summary>
    Exact,
}

/// <summary>One documented difference between our text and llvm-objdump-19's (a line of <c>tests/data/disasm/divergences.txt</c>).</summary>
public sealed record Divergence(string Name, bool InDefault, bool InExact, bool PlainOnly, Regex Ours, string Llvm, string Why)
{
    /// <summary>Every documented divergence.</summary>
    public static IReadOnlyList<Divergence> All { get; } = Load();

    /// <summary>Checks that <paramref name="ours"/> equals <paramref name="llvm"/>, directly or through one documented divergence; gives the divergence used (null when equal) or a failure message.</summary>
    public static bool TryExplain(string ours, string llvm, TextMode mode, bool alu32, out Divergence? used, out string failure)
    {
        used = null;
        failure = "";
        if (ours == llvm) return true;
        foreach (var d in All)
        {
            if (!(mode == TextMode.Default ? d.InDefault : d.InExact) || (d.PlainOnly && alu32)) continue;
            if (d.Ours.IsMatch(ours) && d.Ours.Replace(ours, d.Llvm) == llvm)
            {
                used = d;
                return true;
            }
        }

        failure = $"ours '{ours}' vs llvm-objdump '{llvm}' ({mode} text, {(alu32 ? "--mcpu alu32" : "plain")} syntax): no line of divergences.txt explains the difference";
        return false;
    }

    private static List<Divergence> Load()
    {
        string path = Path.Combine(RepoPaths.Data, "disasm", "divergences.txt");
        var result = new List<Divergence>();
        string[] lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0 || line.StartsWith('#')) continue;
            string[] parts = line.Split(" | ");
            if (parts.Length != 5) throw new InvalidDataException($"divergences.txt:{i + 1}: expected 'NAME | WHEN | OURS | LLVM | WHY'");
            var when = parts[1].Split(',', StringSplitOptions.TrimEntries);
            if (when.Except(["default", "exact", "plain"]).Any() || !when.Intersect(["default", "exact"]).Any())
            {
                throw new InvalidDataException($"divergences.txt:{i + 1}: WHEN must name 'default' and/or 'exact', optionally 'plain'");
            }

            if (string.IsNullOrWhiteSpace(parts[4])) throw new InvalidDataException($"divergences.txt:{i + 1}: a divergence needs its reason");
            result.Add(new Divergence(parts[0].Trim(), when.Contains("default"), when.Contains("exact"), when.Contains("plain"),
                new Regex("^(?:" + parts[2] + ")$", RegexOptions.CultureInvariant), parts[3], parts[4]));
        }

        Assert.True(result.Count > 0, "divergences.txt lists no divergence");
        return result;
    }
}
