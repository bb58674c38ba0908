using System.Collections.Immutable;
using HeteroBpf.KernelOracle;

namespace HeteroBpf.Tests.Verifier;

/// <summary>
/// The verifier catalogue (<c>tests/data/verifier/</c>, format in its README.md), read once. The verifier's own tests
/// take <see cref="Ids"/> as their theory data and assert that HeteroBpf's verdict on <c>All[id]</c> equals
/// <see cref="CatalogueEntry.Expect"/>, which <see cref="CatalogueTests"/> keeps equal to the kernel's.
/// </summary>
public static class CatalogueEntries
{
    private static readonly Lazy<ImmutableDictionary<string, CatalogueEntry>> Entries = new(() =>
    {
        string root = Path.Combine(RepoPaths.Data, "verifier");
        RepoPaths.Glob(root, "*.s");
        return CatalogueEntry.ReadAll(root).ToImmutableDictionary(e => e.Id, StringComparer.Ordinal);
    });

    /// <summary>Every entry by id (<c>safe/NNN-name</c>, <c>unsafe/NNN-name</c>).</summary>
    public static ImmutableDictionary<string, CatalogueEntry> All => Entries.Value;

    /// <summary>Theory data: every entry's id, in order.</summary>
    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (string id in All.Keys.Order(StringComparer.Ordinal)) data.Add(id);
        return data;
    }
}
