using System.Globalization;
using HeteroBpf.Asm;
using HeteroBpf.Isa;
using HeteroBpf.KernelOracle;
using HeteroBpf.Tests.Kernel;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>
/// The soundness fuzzer's mutants (<see cref="VerifierSoundnessTests"/>' generator, same seed) through the running
/// kernel's verifier and ours, at root: disagreements counted and listed in both directions. We accept what the kernel
/// refuses = a potential soundness hole, which must not happen; the kernel accepts what we refuse = incompleteness,
/// counted and listed. Skips with the reason when <c>bpf()</c> is denied. Count: <c>HBPF_VERIFIER_KERNEL_FUZZ_COUNT</c>.
/// </summary>
public sealed class VerifierFuzzKernelTests(ITestOutputHelper output)
{
    private const int DefaultMutants = 2000;

    [Fact]
    public void MutantsAgreeWithTheKernelVerifier()
    {
        KernelOracleExtensions.SkipUnlessAvailable();
        var seeds = VerifierSoundnessTests.Seeds().ToList();
        Assert.NotEmpty(seeds);
        int mutants = int.TryParse(Environment.GetEnvironmentVariable("HBPF_VERIFIER_KERNEL_FUZZ_COUNT"), out int c) && c > 0 ? c : DefaultMutants;
        var rng = new Random(VerifierSoundnessTests.DefaultSeed);
        int tried = 0, notExpressible = 0, bothAccept = 0, bothRefuse = 0;
        var weAcceptKernelRefuses = new List<string>();
        var kernelAcceptsWeRefuse = new List<string>();
        var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int n = 0; n < mutants; n++)
        {
            var (seed, maps) = seeds[n % seeds.Count];
            var code = VerifierSoundnessTests.Mutate([.. seed.Instructions], rng);
            if (ToEntry(seed, maps, code, n) is not { } entry)
            {
                notExpressible++;
                continue;
            }

            KernelCatalogueVerdict kernel;
            try
            {
                kernel = KernelCatalogue.Load(entry);
            }
            catch (InvalidOperationException)
            {
                notExpressible++;
                continue;
            }

            tried++;
            string? ours = null;
            try
            {
                BpfVerifier.Verify(seed with { Instructions = [.. code], Lines = [] }, maps);
            }
            catch (HbpfException e)
            {
                ours = e.Message;
            }

            string listing = Disassembler.Listing(code);
            if (kernel.Accepted && ours is null) bothAccept++;
            else if (!kernel.Accepted && ours is not null) bothRefuse++;
            else if (ours is null) weAcceptKernelRefuses.Add($"{seed.Name} mutant {n}: kernel: {kernel.Message}\n{listing}");
            else
            {
                kernelAcceptsWeRefuse.Add($"{seed.Name} mutant {n}: ours: {ours}\n{listing}");
                string reason = System.Text.RegularExpressions.Regex.Replace(ours, @"\d+", "N");
                reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
            }
        }

        string summary = string.Create(CultureInfo.InvariantCulture,
            $"seed {VerifierSoundnessTests.DefaultSeed}, {mutants} mutants, {tried} loaded in the kernel ({notExpressible} not expressible as a kernel load): both accept {bothAccept}, both refuse {bothRefuse}, we accept / kernel refuses {weAcceptKernelRefuses.Count}, kernel accepts / we refuse {kernelAcceptsWeRefuse.Count}");
        output.WriteLine(summary);
        foreach (var r in reasons.OrderByDescending(r => r.Value)) output.WriteLine($"  incomplete ({r.Value}): {r.Key}");
        foreach (string s in kernelAcceptsWeRefuse.Take(10)) output.WriteLine("  kernel accepts, we refuse: " + s);
        foreach (string s in weAcceptKernelRefuses.Take(10)) output.WriteLine("  WE ACCEPT, KERNEL REFUSES: " + s);
        if (Environment.GetEnvironmentVariable("VERIFIER_KERNEL_FUZZ_SUMMARY") is { } path)
            File.WriteAllText(path, summary + "\nINCOMPLETE:\n" + string.Join("\n", kernelAcceptsWeRefuse) + "\nUNSOUND:\n" + string.Join("\n", weAcceptKernelRefuses));
        Assert.True(tried > mutants / 2, summary);
        Assert.True(weAcceptKernelRefuses.Count == 0, $"{summary}\n" + string.Join("\n---\n", weAcceptKernelRefuses.Take(3)));
    }

    /// <summary>The mutant as a catalogue entry the kernel oracle can load (its maps created, map lddws patched), or null when its text does not assemble back to the same code.</summary>
    private static CatalogueEntry? ToEntry(ProgramSpec seed, IReadOnlyList<MapSpec> maps, Instruction[] code, int n)
    {
        var lines = new List<string>();
        for (int i = 0; i < code.Length; i += code[i].Width) lines.Add(Disassembler.Format(code, i));
        string text = string.Join('\n', lines) + "\n";
        var entry = new CatalogueEntry
        {
            Id = $"fuzz/{seed.Name}#{n}",
            File = "fuzz.s",
            Rule = "fuzz mutant",
            Expect = CatalogueVerdict.Accept,
            Type = ProgramType.Xdp,
            Privilege = CataloguePrivilege.Root,
            Maps = [.. maps.Select(m => new CatalogueMap(m.Type, m.KeySize, m.ValueSize, m.MaxEntries, (uint)m.Flags, false))],
            Text = text,
        };
        try
        {
            return entry.Assemble().AsSpan().SequenceEqual(code) ? entry : null;
        }
        catch (HbpfException)
        {
            return null;
        }
    }
}
