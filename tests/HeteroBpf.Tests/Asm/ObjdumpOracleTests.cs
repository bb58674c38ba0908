using System.Collections.Concurrent;
using System.Text;
using CsCheck;
using HeteroBpf.Asm;
using HeteroBpf.Isa;

namespace HeteroBpf.Tests.Asm;

/// <summary>
/// Our disassembly against <c>llvm-objdump-19 -d</c>, run at test time on every committed fixture object and on the
/// bytes of every <c>forms.txt</c> case: the text must be llvm's line for line, except through a documented
/// divergence (<c>tests/data/disasm/divergences.txt</c>); and our text, like llvm's own listing, must assemble back
/// to the very bytes.
/// </summary>
public sealed class ObjdumpOracleTests
{
    private static readonly ConcurrentDictionary<(string File, string? Mcpu), List<ObjdumpSection>> Listings = new();

    /// <summary>Fixture objects × the llvm-objdump syntaxes that apply: plain always, and <c>--mcpu=vN</c> (alu32 syntax) for objects built for v3 and v4.</summary>
    public static TheoryData<string, string> FixtureSyntaxes()
    {
        var data = new TheoryData<string, string>();
        foreach (var (file, syntax) in FixturesAndSyntaxes()) data.Add(file, syntax);
        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureSyntaxes))]
    public void ExactLlvmTextIsObjdumpsListing(string fixture, string syntax)
    {
        var failures = new List<string>();
        foreach (var section in ObjdumpOf(fixture, syntax)) CompareListing(section, TextMode.Exact, syntax != "plain", failures, []);
        Assert.True(failures.Count == 0, $"{fixture} ({syntax}):\n" + string.Join('\n', failures));
    }

    [Theory]
    [MemberData(nameof(FixtureSyntaxes))]
    public void DefaultTextDiffersFromObjdumpOnlyAsDocumented(string fixture, string syntax)
    {
        var failures = new List<string>();
        foreach (var section in ObjdumpOf(fixture, syntax)) CompareListing(section, TextMode.Default, syntax != "plain", failures, []);
        Assert.True(failures.Count == 0, $"{fixture} ({syntax}):\n" + string.Join('\n', failures));
    }

    [Theory]
    [MemberData(nameof(FixtureSyntaxes))]
    public void OurTextAssemblesToTheSectionBytes(string fixture, string syntax)
    {
        foreach (var section in ObjdumpOf(fixture, syntax))
        {
            var program = Instruction.Cast(section.Bytes).ToArray();
            var options = new DisassemblerOptions { Alu32Syntax = syntax != "plain", Symbols = SymbolsOf(section) };

            // Text alone, instruction by instruction: nothing but the text can carry the bytes back.
            var assembled = section.Lines.SelectMany(line => Assembler.AssembleOne(Disassembler.Format(program, line.Slot, options))).ToArray();
            AssertSameBytes(program, assembled, $"{fixture} {section.Name}: our text, one instruction at a time");

            // Our whole listing, as a user would paste it.
            AssertAssemblesAsProgram(program, Disassembler.Listing(program, options), $"{fixture} {section.Name}: our listing");
        }
    }

    [Theory]
    [MemberData(nameof(FixtureSyntaxes))]
    public void ObjdumpListingAssemblesToTheSectionBytes(string fixture, string syntax)
    {
        foreach (var section in ObjdumpOf(fixture, syntax))
        {
            var program = Instruction.Cast(section.Bytes).ToArray();
            AssertAssemblesAsProgram(program, string.Join('\n', section.Body), $"{fixture} {section.Name}: llvm-objdump's listing");
        }
    }

    // A whole listing assembles as one program, so it must give the bytes back when every branch lands in the section;
    // an object's call to another section is unlinked (relocation pending) and the assembler must refuse that target.
    private static void AssertAssemblesAsProgram(Instruction[] program, string listing, string what)
    {
        int outside = -1;
        for (int slot = 0; slot < program.Length; slot += program[slot].Width)
        {
            if (Branches.TryGetTarget(program[slot], slot, out long target) && (target < 0 || target >= program.Length))
            {
                outside = slot;
                break;
            }
        }

        if (outside < 0)
        {
            AssertSameBytes(program, Assembler.Assemble(listing, what), what);
            return;
        }

        var error = Assert.Throws<AsmSyntaxException>(() => Assembler.Assemble(listing, what));
        Assert.True(error.Code == ErrorCode.JumpOutOfRange && error.Location.Instruction == outside,
            $"{what}: the unlinked call at slot {outside} should be refused as out of range, got {error.Code} at {error.Location}");
    }

    [Fact]
    public void FormsTableTextIsObjdumpsText()
    {
        var failures = new List<string>();
        CompareForms(failures, []);
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void EveryDivergenceIsStillNeeded()
    {
        var used = new HashSet<Divergence>();
        var failures = new List<string>();
        foreach (var (fixture, syntax) in FixturesAndSyntaxes())
        {
            foreach (var section in ObjdumpOf(fixture, syntax))
            {
                CompareListing(section, TextMode.Exact, syntax != "plain", failures, used);
                CompareListing(section, TextMode.Default, syntax != "plain", failures, used);
            }
        }

        CompareForms(failures, used);
        var stale = Divergence.All.Where(d => !used.Contains(d)).Select(d => d.Name).ToList();
        Assert.True(stale.Count == 0, "divergences no fixture or forms.txt case needs any more (remove them from divergences.txt): " + string.Join(", ", stale));
    }

    [Fact]
    public void GeneratedInstructionsOfEveryFormMatchLlvm()
    {
        // Eight random instructions of each form per sample: llvm-objdump must print ours (through the documented
        // divergences only), and where our text is llvm's, llvm-mc must assemble that text to the same bytes.
        Gen<List<Instruction[]>> all = Gen.Const(() => new List<Instruction[]>());
        foreach (byte opcode in InstructionForms.ValidOpcodes())
        {
            all = Gen.Select(all, InstructionGen.Of(opcode).Array[8], (list, more) => list.Concat(more).ToList());
        }

        all.Sample(instructions =>
        {
            var failures = new List<string>();
            var bytes = new StringBuilder();
            for (int i = 0; i < instructions.Count; i++)
            {
                bytes.Append(".section .text.g").Append(i).Append(",\"ax\"\n.byte ");
                bytes.AppendJoin(',', Instruction.AsBytes(instructions[i]).ToArray().Select(b => "0x" + b.ToString("x2"))).Append('\n');
            }

            var plain = LlvmTools.AssembleWithLlvmMc(bytes.ToString()).ToDictionary(s => s.Name);
            var alu32 = LlvmTools.AssembleWithLlvmMc(bytes.ToString(), "v4").ToDictionary(s => s.Name);
            var text = new StringBuilder();
            var textIndex = new List<int>();
            for (int i = 0; i < instructions.Count; i++)
            {
                var slots = instructions[i];
                foreach (bool isAlu32 in new[] { false, true })
                {
                    var section = (isAlu32 ? alu32 : plain)[".text.g" + i];
                    string llvm = section.Lines.Count == 1 ? section.Lines[0].Text : string.Join(" / ", section.Lines.Select(l => l.Text));
                    foreach (var mode in new[] { TextMode.Default, TextMode.Exact })
                    {
                        var options = new DisassemblerOptions { Alu32Syntax = isAlu32, ExactLlvmText = mode == TextMode.Exact, Symbols = SymbolsOf(section) };
                        string ours = Disassembler.Format(slots, 0, options);
                        if (!Divergence.TryExplain(ours, llvm, mode, isAlu32, out var divergence, out string failure)) failures.Add($"{Disassembler.FormatBytes(slots)}: {failure}");
                        // llvm-mc reads a numeric gotol target as a 16-bit value only (a label it takes in full).
                        bool llvmMcReads = !(slots[0].OpCode == HeteroBpf.Isa.Opcodes.Gotol && slots[0].Imm is < short.MinValue or > short.MaxValue);
                        if (mode == TextMode.Default && divergence is null && ours == llvm && llvmMcReads)
                        {
                            text.Append(".section .text.t").Append(textIndex.Count).Append(",\"ax\"\n")
                                .Append(Disassembler.Format(slots, 0, options with { Symbols = [] })).Append('\n');
                            textIndex.Add(i);
                        }
                    }
                }
            }

            var assembled = LlvmTools.AssembleWithLlvmMc(text.ToString()).ToDictionary(s => s.Name);
            for (int t = 0; t < textIndex.Count; t++)
            {
                var expected = instructions[textIndex[t]];
                byte[] llvmBytes = assembled[".text.t" + t].Bytes;
                if (!llvmBytes.AsSpan().SequenceEqual(Instruction.AsBytes(expected)))
                {
                    failures.Add($"{Disassembler.FormatBytes(expected)}: llvm-mc assembles our text '{Disassembler.Format(expected, 0)}' to {Convert.ToHexStringLower(llvmBytes)}");
                }
            }

            Assert.True(failures.Count == 0, string.Join('\n', failures.Distinct().Take(40)));
        }, iter: 2, threads: 1, print: list => $"{list.Count} instructions");
    }

    // Every forms.txt case goes to llvm-mc as raw bytes in a section of its own (so one that llvm cannot decode
    // cannot shift the others), then through llvm-objdump in the syntax the case is written in.
    private static void CompareForms(List<string> failures, HashSet<Divergence> used)
    {
        var cases = FormsTable.All;
        var source = new StringBuilder();
        foreach (var c in cases)
        {
            source.Append(".section .text.f").Append(c.Line).Append(",\"ax\"\n.byte ");
            source.AppendJoin(',', c.Bytes.Select(b => "0x" + b.ToString("x2"))).Append('\n');
        }

        var plain = LlvmTools.AssembleWithLlvmMc(source.ToString()).ToDictionary(s => s.Name);
        var alu32 = LlvmTools.AssembleWithLlvmMc(source.ToString(), "v4").ToDictionary(s => s.Name);
        foreach (var c in cases)
        {
            var section = (c.Alu32 ? alu32 : plain)[".text.f" + c.Line];
            if (section.Lines.Count != 1 || !section.Lines[0].Bytes.SequenceEqual(c.Bytes))
            {
                failures.Add($"{c.Id}: llvm-objdump split the bytes into {section.Lines.Count} instructions: " + string.Join(" / ", section.Lines.Select(l => l.Text)));
                continue;
            }

            foreach (var mode in new[] { TextMode.Default, TextMode.Exact })
            {
                var options = new DisassemblerOptions { Alu32Syntax = c.Alu32, ExactLlvmText = mode == TextMode.Exact, Symbols = SymbolsOf(section) };
                string ours = Disassembler.Format(c.Slots, 0, options);
                if (!Divergence.TryExplain(ours, section.Lines[0].Text, mode, c.Alu32, out var divergence, out string failure)) failures.Add($"{c.Id}: {failure}");
                if (divergence is not null) used.Add(divergence);
            }
        }
    }

    // Our Listing against llvm-objdump's section body, line by line: headers and slot/byte columns must be equal,
    // instruction texts equal or documented as divergent.
    private static void CompareListing(ObjdumpSection section, TextMode mode, bool alu32, List<string> failures, HashSet<Divergence> used)
    {
        var program = Instruction.Cast(section.Bytes).ToArray();
        var options = new DisassemblerOptions { Alu32Syntax = alu32, ExactLlvmText = mode == TextMode.Exact, Symbols = SymbolsOf(section) };
        string[] ours = Disassembler.Listing(program, options).TrimEnd('\n').Split('\n');
        string[] llvm = string.Join('\n', section.Body).Trim('\n').Split('\n');
        if (ours.Length != llvm.Length) failures.Add($"section {section.Name}: {ours.Length} lines, llvm-objdump has {llvm.Length}");
        for (int i = 0; i < Math.Min(ours.Length, llvm.Length); i++)
        {
            if (ours[i] == llvm[i]) continue;
            var (ourColumns, ourText) = SplitText(ours[i]);
            var (llvmColumns, llvmText) = SplitText(llvm[i]);
            if (ourColumns != llvmColumns)
            {
                failures.Add($"section {section.Name} line {i + 1}: '{ours[i]}' vs llvm-objdump '{llvm[i]}'");
                continue;
            }

            if (!Divergence.TryExplain(ourText, llvmText, mode, alu32, out var divergence, out string failure)) failures.Add($"section {section.Name} {llvmColumns.Trim()}: {failure}");
            if (divergence is not null) used.Add(divergence);
        }
    }

    // "      12:\t<bytes>\t<text>": the text starts after the second tab (ld_pseudo's own tab comes later).
    private static (string Columns, string Text) SplitText(string line)
    {
        int first = line.IndexOf('\t', StringComparison.Ordinal);
        int second = first < 0 ? -1 : line.IndexOf('\t', first + 1);
        return second < 0 ? (line, "") : (line[..(second + 1)], line[(second + 1)..]);
    }

    private static List<CodeSymbol> SymbolsOf(ObjdumpSection section) => section.Symbols.Select(s => new CodeSymbol(s.Name, s.Slot)).ToList();

    private static void AssertSameBytes(Instruction[] expected, Instruction[] actual, string what)
    {
        if (expected.AsSpan().SequenceEqual(actual)) return;
        int at = 0;
        while (at < Math.Min(expected.Length, actual.Length) && expected[at] == actual[at]) at++;
        Assert.Fail($"{what}: {actual.Length} slots assembled, {expected.Length} expected; first difference at slot {at}: "
            + (at < actual.Length ? actual[at].ToString() : "none") + " vs " + (at < expected.Length ? expected[at].ToString() : "none"));
    }

    private static List<ObjdumpSection> ObjdumpOf(string fixture, string syntax)
    {
        var sections = Listings.GetOrAdd((fixture, syntax == "plain" ? null : syntax),
            key => LlvmTools.Objdump(Path.Combine(RepoPaths.Fixtures, key.File), key.Mcpu));
        Assert.True(sections.Count > 0 && sections.All(s => s.Lines.Count > 0), $"llvm-objdump-19 -d {fixture} shows no code section");
        return sections;
    }

    private static IEnumerable<(string File, string Syntax)> FixturesAndSyntaxes()
    {
        foreach (string file in Fixtures())
        {
            yield return (file, "plain");
            string cpu = CpuOf(file);
            if (cpu != "v2") yield return (file, cpu);
        }
    }

    private static string[] Fixtures() =>
        RepoPaths.Glob(RepoPaths.Fixtures, "*.o").Select(Path.GetFileName).Select(f => f!).ToArray();

    // NAME-vN.o was built with -mcpu=vN (tests/fixtures/build.sh).
    private static string CpuOf(string file)
    {
        string stem = Path.GetFileNameWithoutExtension(file);
        string cpu = stem[(stem.LastIndexOf('-') + 1)..];
        Assert.True(cpu is "v2" or "v3" or "v4", $"{file}: fixture names end in -v2, -v3 or -v4 (build.sh)");
        return cpu;
    }
}
