using System.Collections.Immutable;
using HeteroBpf.KernelOracle;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>
/// HeteroBpf's verifier against the catalogue: the same verdict as the kernel on every entry and, for a refusal, the
/// kernel's message — except the entries <c>tests/data/verifier/message-divergences.txt</c> lists, which must still differ
/// (so the list only shrinks).
/// </summary>
public sealed class VerifierCatalogueTests
{
    private static readonly Lazy<ImmutableDictionary<string, string>> Divergences = new(() =>
        File.ReadAllLines(Path.Combine(RepoPaths.Data, "verifier", "message-divergences.txt"))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' ', 2))
            .ToImmutableDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal));

    /// <summary>The program, maps and options an entry stands for.</summary>
    public static (ProgramSpec Program, IReadOnlyList<MapSpec> Maps, VerifierOptions Options) Build(CatalogueEntry entry)
    {
        var program = new ProgramSpec
        {
            Name = entry.Id,
            SectionName = entry.Type.ToString(),
            Type = entry.Type,
            AttachType = entry.Attach,
            Instructions = [.. entry.Assemble()],
            License = "GPL",
        };
        var maps = entry.Maps.Select((m, i) => new MapSpec
        {
            Name = $"map{i}",
            Type = m.Type,
            KeySize = m.KeySize,
            ValueSize = m.ValueSize,
            MaxEntries = m.MaxEntries,
            Flags = (MapFlags)m.Flags,
            SpinLockOffset = m.SpinLock ? 0 : null,
            BtfValueTypeId = m.SpinLock ? 1u : 0u,
        }).ToList();
        var options = new VerifierOptions
        {
            Privilege = entry.Privilege == CataloguePrivilege.Bpf ? Privilege.Bpf : Privilege.Root,
            StrictAlignment = (entry.Flags & CatalogueEntry.FlagStrictAlignment) != 0,
        };
        return (program, maps, options);
    }

    /// <summary>Our verdict on <paramref name="entry"/>: null when accepted, else the refusal.</summary>
    public static HbpfException? Verdict(CatalogueEntry entry)
    {
        var (program, maps, options) = Build(entry);
        try
        {
            BpfVerifier.Verify(program, maps, options);
            return null;
        }
        catch (HbpfException e)
        {
            return e;
        }
    }

    [Theory]
    [MemberData(nameof(CatalogueEntries.Ids), MemberType = typeof(CatalogueEntries))]
    public void VerdictIsTheKernels(string id)
    {
        var entry = CatalogueEntries.All[id];
        var refusal = Verdict(entry);
        if (entry.Expect == CatalogueVerdict.Accept)
        {
            Assert.True(refusal is null, $"{id}: refused a safe entry: {refusal?.Message}\n{(refusal as VerifierException)?.Log}");
            return;
        }

        Assert.True(refusal is not null, $"{id}: accepted an entry the kernel refuses ({entry.Message})");
        bool matches = refusal.Reason.Contains(entry.Message!, StringComparison.Ordinal);
        if (Divergences.Value.ContainsKey(id))
        {
            Assert.False(matches, $"{id} now matches the kernel's message: remove it from message-divergences.txt");
            return;
        }

        Assert.True(matches, $"{id}: message '{refusal.Reason}' lacks the kernel's '{entry.Message}'");
    }

    /// <summary>Writes every entry's verdict, message and time to VERIFIER_SUMMARY (a development aid; no-op without it).</summary>
    [Fact]
    public void Summary()
    {
        string? path = Environment.GetEnvironmentVariable("VERIFIER_SUMMARY");
        if (path is null) return;
        using var w = new StreamWriter(path) { AutoFlush = true };
        foreach (string id in CatalogueEntries.All.Keys.Order(StringComparer.Ordinal))
        {
            var entry = CatalogueEntries.All[id];
            w.Write($"{id} ");
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var refusal = Verdict(entry);
            bool ok = entry.Expect == CatalogueVerdict.Accept ? refusal is null : refusal is not null;
            bool msg = refusal is not null && entry.Message is not null && refusal.Reason.Contains(entry.Message, StringComparison.Ordinal);
            w.WriteLine($"{(ok ? "OK" : "VERDICT")} {(entry.Expect == CatalogueVerdict.Refuse && ok && !msg ? "MSG" : "")} {sw.ElapsedMilliseconds}ms | want: {entry.Message} | got: {refusal?.Reason.Replace('\n', ' ')}");
        }
    }
}
