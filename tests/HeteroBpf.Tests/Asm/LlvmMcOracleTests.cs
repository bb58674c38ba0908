using System.Text;
using System.Text.RegularExpressions;
using HeteroBpf.Asm;
using HeteroBpf.Isa;
using HeteroBpf.Tests.Semantics;

namespace HeteroBpf.Tests.Asm;

/// <summary>
/// Our assembler against <c>llvm-mc-19 -triple bpf -mcpu=v4</c>: every semantics-table case (and a few label programs)
/// must give llvm's bytes. One llvm-mc run per table file: each case goes to a section of its own, its labels
/// prefixed with the case number so that cases cannot see each other's.
/// </summary>
public sealed partial class LlvmMcOracleTests
{
    [GeneratedRegex(@"^\s*(?<name>[A-Za-z_.$][A-Za-z0-9_.$]*)\s*:")]
    private static partial Regex LabelDefinition();

    // "ld_pseudo rX, 0x4, label": llvm-mc-19 accepts it but writes the label's relative offset into the 16-bit offset
    // field, as for a jump, and leaves the immediate 0 (llvm-objdump then prints <unknown>); such cases are compared
    // by LlvmMcMisplacesLdPseudoLabels instead. A numeric ld_pseudo is compared like any instruction.
    [GeneratedRegex(@"^\s*ld_pseudo\s+r\d+\s*,\s*[0-9a-fx]+\s*,\s*[A-Za-z_.$]", RegexOptions.Multiline)]
    private static partial Regex LdPseudoWithLabel();

    /// <summary>Every semantics table file.</summary>
    public static TheoryData<string> TableFiles() =>
        new(RepoPaths.Glob(Path.Combine(RepoPaths.Data, "semantics"), "*.data").Select(f => Path.GetFileName(f)));

    [Theory]
    [MemberData(nameof(TableFiles))]
    public void SemanticsCasesAssembleToLlvmMcBytes(string tableFile)
    {
        var cases = SemanticsCase.Parse(File.ReadAllLines(Path.Combine(RepoPaths.Data, "semantics", tableFile)), tableFile)
            .Where(c => !LdPseudoWithLabel().IsMatch(c.Asm))
            .ToList();
        Assert.True(cases.Count > 0, $"{tableFile}: no case llvm-mc can assemble");
        var programs = cases.Select(c => c.Asm).ToList();
        var failures = CompareWithLlvmMc(programs, cases.Select(c => c.Id).ToList());
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void LlvmMcMisplacesLdPseudoLabels()
    {
        // The cases skipped above, asserted as still divergent: every slot is llvm-mc's except each ld_pseudo with a
        // label, where llvm-mc has our immediate (the relative slot offset) in the offset field and 0 as immediate.
        var cases = SemanticsCase.All.Values.Where(c => LdPseudoWithLabel().IsMatch(c.Asm)).OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
        Assert.True(cases.Count is > 0 and < 10, $"{cases.Count} cases use ld_pseudo with a label: " + string.Join(", ", cases.Select(c => c.Id)));
        var source = new StringBuilder();
        for (int i = 0; i < cases.Count; i++) source.Append(".section .text.c").Append(i).Append(",\"ax\"\n").Append(WithPrefixedLabels(cases[i].Asm, $"c{i}_"));
        var sections = LlvmTools.AssembleWithLlvmMc(source.ToString()).ToDictionary(s => s.Name);
        for (int i = 0; i < cases.Count; i++)
        {
            var ours = Assembler.Assemble(cases[i].Asm, cases[i].Id);
            var llvm = Instruction.Cast(sections[".text.c" + i].Bytes).ToArray();
            Assert.Equal(ours.Length, llvm.Length);
            int misplaced = 0;
            for (int slot = 0; slot < ours.Length; slot++)
            {
                if (ours[slot].OpCode == HeteroBpf.Isa.Opcodes.Lddw && ours[slot].SrcNumber == (byte)LoadImmKind.Func && ours[slot].Imm != 0)
                {
                    Assert.Equal(ours[slot].WithImm(0).WithOffset((short)ours[slot].Imm), llvm[slot]);
                    misplaced++;
                }
                else
                {
                    Assert.True(ours[slot] == llvm[slot], $"{cases[i].Id} slot {slot}: ours {ours[slot]}, llvm-mc {llvm[slot]}");
                }
            }

            Assert.True(misplaced > 0, $"{cases[i].Id}: llvm-mc now encodes ld_pseudo labels like we do; compare these cases directly");
        }
    }

    /// <summary>Label programs: forward and backward jumps, jumps to the next slot and to themselves, across a <c>lddw</c>, <c>gotol</c> both ways and local calls.</summary>
    public static TheoryData<string, string> LabelPrograms() => new()
    {
        { "forward and backward", "start:\nr0 = 0x0\nif r0 > 0x2 goto out\nr0 += 0x1\ngoto start\nout:\nexit\n" },
        { "to the next slot and to itself", "goto next\nnext:\nself: if w1 s< -0x5 goto self\nexit\n" },
        { "across a lddw", "r1 = 0x1122334455667788 ll\nif r1 == r2 goto after\nr2 = 0x8000000000000000 ll\nafter:\ngoto before\nbefore:\nr3 = -0x1 ll\nif r3 != 0x0 goto after\nexit\n" },
        { "gotol", "gotol far\nback:\nexit\nfar:\nr0 = 0x1\ngotol back\n" },
        { "call label", "call fn\ncall fn2\nexit\nfn:\nr0 = 0x29\nexit\nfn2:\ncall fn\nexit\n" },
        { "jmp32 to labels", "top:\nif w0 == 0x1 goto end\nif w1 & w2 goto top\nend:\nexit\n" },
        { "compiler-style labels", "if r1 == 0x0 goto .LBB0_2\nr0 = 0x1\n.LBB0_2:\nif r0 s> 0x3 goto LBB_x.y\nLBB_x.y:\nexit\n" },
        { "two labels on one slot", "goto b\na:\nb:\nr0 = 0x0\ngoto a\nexit\n" },
    };

    [Theory]
    [MemberData(nameof(LabelPrograms))]
    public void LabelsResolveToLlvmMcOffsets(string name, string program)
    {
        var failures = CompareWithLlvmMc([program], [name]);
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void LongJumpsResolveToLlvmMcOffsets()
    {
        // Offsets at the edges of the 16-bit field (+32767, -32768) and gotol beyond them, both ways.
        string filler(int n) => string.Concat(Enumerable.Repeat("r0 += 0x1\n", n));
        string[] programs =
        [
            "goto fwd\n" + filler(32767) + "fwd:\nexit\n",
            "back:\n" + filler(32767) + "goto back\nexit\n",
            "start:\ngotol far\n" + filler(40000) + "far:\ngotol start\nexit\n",
        ];
        var failures = CompareWithLlvmMc(programs, ["goto +32767", "goto -32768", "gotol +-40001"]);
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Theory]
    [InlineData("r0 = 0xffffffff", 0xffffffffL)]
    [InlineData("r0 += 4294967295", 0xffffffffL)]
    [InlineData("r0 = 0x100000000", 0x100000000L)]
    [InlineData("if r1 > 0xffffffff goto +0x1", 0xffffffffL)]
    [InlineData("*(u64 *)(r1 + 0x0) = 0xffffffff", 0xffffffffL)]
    public void ImmediatesLlvmMcTruncatesAreRefused(string line, long written)
    {
        // A deliberate divergence: llvm-mc keeps the low 32 bits, which the CPU then sign-extends to another value
        // than the one written; we refuse instead. Asserted both ways so that a change in either shows up here.
        var llvm = LlvmTools.AssembleWithLlvmMc(line + "\n").Single().Lines.Single();
        Assert.NotEqual(written, (long)BitConverter.ToInt32(llvm.Bytes, 4));
        var error = Assert.Throws<AsmSyntaxException>(() => Assembler.Assemble(line + "\nexit\n"));
        Assert.Equal(ErrorCode.AsmOutOfRange, error.Code);
    }

    // Assembles every program with llvm-mc in one run, each in a section of its own, and with our assembler.
    private static List<string> CompareWithLlvmMc(IReadOnlyList<string> programs, IReadOnlyList<string> ids)
    {
        var source = new StringBuilder();
        for (int i = 0; i < programs.Count; i++)
        {
            source.Append(".section .text.c").Append(i).Append(",\"ax\"\n");
            source.Append(WithPrefixedLabels(programs[i], $"c{i}_"));
        }

        var sections = LlvmTools.AssembleWithLlvmMc(source.ToString()).ToDictionary(s => s.Name);
        var failures = new List<string>();
        for (int i = 0; i < programs.Count; i++)
        {
            byte[] llvm = sections.TryGetValue(".text.c" + i, out var section) ? section.Bytes : [];
            byte[] ours = Instruction.AsBytes(Assembler.Assemble(programs[i], ids[i])).ToArray();
            if (ours.AsSpan().SequenceEqual(llvm)) continue;
            int slot = 0;
            while ((slot + 1) * 8 <= Math.Min(ours.Length, llvm.Length) && ours.AsSpan(slot * 8, 8).SequenceEqual(llvm.AsSpan(slot * 8, 8))) slot++;
            failures.Add($"{ids[i]}: {ours.Length / 8} slots, llvm-mc {llvm.Length / 8}; slot {slot} is {Hex(ours, slot)}, llvm-mc {Hex(llvm, slot)}");
        }

        return failures;
    }

    // Labels are file-wide in llvm-mc: give each case's its own prefix (definitions and whole-word uses).
    private static string WithPrefixedLabels(string asm, string prefix)
    {
        string[] lines = asm.Split('\n');
        var labels = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in lines)
        {
            var m = LabelDefinition().Match(line);
            if (m.Success) labels.Add(m.Groups["name"].Value);
        }

        if (labels.Count == 0) return asm.EndsWith('\n') ? asm : asm + "\n";
        var word = new Regex(@"(?<![A-Za-z0-9_.$])(?:" + string.Join('|', labels.Select(Regex.Escape)) + @")(?![A-Za-z0-9_.$])");
        var sb = new StringBuilder();
        foreach (string line in lines) sb.Append(word.Replace(line, m => prefix + m.Value)).Append('\n');
        return sb.ToString();
    }

    private static string Hex(byte[] bytes, int slot) =>
        (slot + 1) * 8 <= bytes.Length ? Convert.ToHexStringLower(bytes, slot * 8, 8) : "missing";
}
