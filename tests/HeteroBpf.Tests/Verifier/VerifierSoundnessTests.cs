using HeteroBpf.Elf;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;
using HeteroBpf.KernelOracle;
using HeteroBpf.Offload;
using HeteroBpf.Verifier;
using HeteroBpf.Xdp;

namespace HeteroBpf.Tests.Verifier;

/// <summary>
/// Soundness: mutants of the catalogue's XDP entries and of the XDP examples that the verifier accepts never fault in the
/// bounds-checked interpreter (a fault would be a verifier bug), over packets of several lengths. Fixed seed by default;
/// the longer run (docs/BENCHMARKS.md) sets <c>HBPF_VERIFIER_FUZZ_COUNT</c> (mutants) and <c>HBPF_VERIFIER_FUZZ_SEED</c>.
/// </summary>
public sealed class VerifierSoundnessTests(ITestOutputHelper output)
{
    private const int DefaultMutants = 4000;
    internal const int DefaultSeed = 20261204;

    /// <summary>A positive integer from environment variable <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    private static int FromEnvironment(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value) && value > 0 ? value : fallback;

    /// <summary>The programs mutants start from: the root XDP catalogue entries with runnable maps, and the XDP examples (shared with <see cref="VerifierFuzzKernelTests"/>).</summary>
    internal static IEnumerable<(ProgramSpec Program, IReadOnlyList<MapSpec> Maps)> Seeds()
    {
        foreach (var entry in CatalogueEntries.All.Values.Where(e => e.Type == ProgramType.Xdp && e.Privilege == CataloguePrivilege.Root).OrderBy(e => e.Id, StringComparer.Ordinal))
        {
            var (program, maps, _) = VerifierCatalogueTests.Build(entry);
            // Maps the XDP runner can hold (arrays and hashes).
            if (maps.Any(m => m.Type is not (MapType.Array or MapType.Hash or MapType.PerCpuArray))) continue;
            yield return (program with { SectionName = "xdp" }, maps);
        }

        foreach (string file in RepoPaths.Glob(Path.Combine(RepoPaths.Root, "examples"), "*.o").Order(StringComparer.Ordinal))
        {
            var obj = ObjectFile.Load(file);
            foreach (var p in obj.Programs.Where(p => p.Type == ProgramType.Xdp)) yield return (p, obj.Maps);
        }
    }

    /// <summary>One random edit of one instruction: an offset, immediate, register or comparison nudged.</summary>
    internal static Instruction[] Mutate(Instruction[] code, Random rng)
    {
        var copy = (Instruction[])code.Clone();
        int edits = rng.Next(1, 3);
        for (int e = 0; e < edits; e++)
        {
            int i = rng.Next(copy.Length);
            var insn = copy[i];
            if (i > 0 && copy[i - 1].IsWide) continue;
            switch (rng.Next(6))
            {
                case 0 when insn.Class is OpClass.Ldx or OpClass.St or OpClass.Stx:
                    copy[i] = insn.WithOffset((short)(insn.Offset + rng.Next(-9, 10)));
                    break;
                case 1 when insn.Source == OperandSource.Imm && !insn.IsWide && insn.Class is OpClass.Alu or OpClass.Alu64 or OpClass.Jmp or OpClass.Jmp32 or OpClass.St:
                    if (insn.Class is OpClass.Jmp or OpClass.Jmp32 && insn.JumpOp is JumpOp.Call or JumpOp.Exit or JumpOp.Ja) break;
                    copy[i] = insn.WithImm(insn.Imm + rng.Next(-70, 71));
                    break;
                case 2 when insn.Class is OpClass.Jmp or OpClass.Jmp32 && insn.JumpOp is not (JumpOp.Call or JumpOp.Exit or JumpOp.Ja):
                    JumpOp[] ops = [JumpOp.Jeq, JumpOp.Jne, JumpOp.Jgt, JumpOp.Jge, JumpOp.Jlt, JumpOp.Jle, JumpOp.Jsgt, JumpOp.Jsge, JumpOp.Jslt, JumpOp.Jsle, JumpOp.Jset];
                    copy[i] = new Instruction((byte)((insn.OpCode & 0x0f) | (byte)ops[rng.Next(ops.Length)]), insn.DstNumber, insn.SrcNumber, insn.Offset, insn.Imm);
                    break;
                case 3 when insn.Class is OpClass.Alu or OpClass.Alu64 && insn.Source == OperandSource.Reg:
                    copy[i] = new Instruction(insn.OpCode, insn.DstNumber, (byte)rng.Next(0, 11), insn.Offset, insn.Imm);
                    break;
                case 4 when insn.Class is OpClass.Alu or OpClass.Alu64:
                    AluOp[] alu = [AluOp.Add, AluOp.Sub, AluOp.And, AluOp.Or, AluOp.Lsh, AluOp.Rsh, AluOp.Xor, AluOp.Mov, AluOp.Arsh, AluOp.Mul];
                    copy[i] = new Instruction((byte)((insn.OpCode & 0x0f) | (byte)alu[rng.Next(alu.Length)]), insn.DstNumber, insn.SrcNumber, insn.Offset, insn.Imm);
                    break;
                case 5 when insn.Class is OpClass.Ldx or OpClass.Stx or OpClass.St:
                    MemSize[] sizes = [MemSize.B, MemSize.H, MemSize.W, MemSize.DW];
                    copy[i] = new Instruction((byte)((insn.OpCode & ~0x18) | (byte)sizes[rng.Next(4)]), insn.DstNumber, insn.SrcNumber, insn.Offset, insn.Imm);
                    break;
            }
        }

        return copy;
    }

    [Fact]
    public void AcceptedMutantsNeverFault()
    {
        var seeds = Seeds().ToList();
        Assert.NotEmpty(seeds);
        int mutants = FromEnvironment("HBPF_VERIFIER_FUZZ_COUNT", DefaultMutants);
        int seedValue = FromEnvironment("HBPF_VERIFIER_FUZZ_SEED", DefaultSeed);
        var rng = new Random(seedValue);
        int accepted = 0, refused = 0, runs = 0;
        var faults = new List<string>();
        var deadSlotRefusals = new List<string>();
        for (int n = 0; n < mutants; n++)
        {
            var (seed, maps) = seeds[n % seeds.Count];
            var code = Mutate([.. seed.Instructions], rng);
            var program = seed with { Instructions = [.. code], Lines = [] };
            VerifiedProgram verified;
            try
            {
                verified = BpfVerifier.Verify(program, maps, new VerifierOptions { MaxProcessedInstructions = 200_000 });
            }
            catch (HbpfException)
            {
                refused++;
                continue;
            }

            accepted++;
            var obj = new ObjectFile { Name = "mutant", Programs = [program], Maps = [.. maps], License = "GPL" };
            BpfCollection collection;
            try
            {
                collection = BpfCollection.Load(obj, typeOps: XdpOps.Instance, options: new InterpreterOptions { InstructionBudget = 10_000_000 });
            }
            catch (HbpfException e)
            {
                // The loader's own checks (context conversion) refusing what the verifier accepted: a verifier bug when
                // the refused slot is reachable; when the verifier proved it dead (the kernel then accepts the program
                // and never visits the slot), the loader is stricter than the kernel, counted and listed, not a fault.
                var at = System.Text.RegularExpressions.Regex.Match(e.Message, @"insn (\d+)");
                int slot = at.Success ? int.Parse(at.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
                string finding = $"{seed.Name} mutant {n}: accepted by the verifier, refused at load: {e.Message}\n{HeteroBpf.Asm.Disassembler.Listing(code)}";
                if (slot >= 0 && slot < verified.Facts.Length && !verified.Facts[slot].HasFlag(SlotFacts.Reached))
                {
                    deadSlotRefusals.Add(finding);
                }
                else
                {
                    faults.Add(finding);
                }

                continue;
            }

            using var owned = collection;
            using var runner = new XdpRunner(collection, collection.Program(program.Name));
            foreach (int length in (int[])[0, 1, 14, 34, 60, 200])
            {
                var packet = new byte[length];
                rng.NextBytes(packet);
                runner.Load(packet, 0);
                runs++;
                try
                {
                    runner.Run();
                }
                catch (BpfFaultException e)
                {
                    faults.Add($"{seed.Name} mutant {n}, {length}-byte packet: {e.Message}\n{HeteroBpf.Asm.Disassembler.Listing(code)}");
                    break;
                }
            }
        }

        string summary = $"seed {seedValue}, {mutants} mutants: {accepted} accepted, {refused} refused, {runs} runs, {faults.Count} faults, {deadSlotRefusals.Count} refused at load for a dead slot";
        output.WriteLine(summary);
        foreach (string finding in deadSlotRefusals.Take(3)) output.WriteLine(finding);
        if (Environment.GetEnvironmentVariable("VERIFIER_SUMMARY") is { } path) File.WriteAllText(path, summary);
        Assert.True(faults.Count == 0, $"{faults.Count} accepted programs faulted:\n" + string.Join("\n", faults.Take(3)));
        Assert.True(accepted > mutants / 10, $"only {accepted} mutants accepted");
    }
}
