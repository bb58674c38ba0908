using System.Text.RegularExpressions;

namespace HeteroBpf.Tests.Asm;

/// <summary>One instruction line of an <c>llvm-objdump -d</c> listing: its slot, raw bytes and text.</summary>
public sealed record ObjdumpLine(int Slot, byte[] Bytes, string Text);

/// <summary>One section of an <c>llvm-objdump -d</c> listing: its instruction lines, the symbol headers between them, and every line of its body as printed.</summary>
public sealed record ObjdumpSection(string Name, List<ObjdumpLine> Lines, List<(string Name, int Slot)> Symbols, List<string> Body)
{
    /// <summary>The section's bytes, concatenated from the listed instructions.</summary>
    public byte[] Bytes => Lines.SelectMany(l => l.Bytes).ToArray();
}

/// <summary>Runs the LLVM 19 tools the oracle tests compare against; a missing tool fails the test, never skips it.</summary>
public static partial class LlvmTools
{
    /// <summary>The Debian package that provides llvm-mc-19 and llvm-objdump-19 (test.sh installs it).</summary>
    public const string Package = "llvm-19";

    [GeneratedRegex(@"^Disassembly of section (?<name>.+):$")]
    private static partial Regex SectionHeader();

    [GeneratedRegex(@"^(?<addr>[0-9a-f]{16}) <(?<name>[^<>]+)>:$")]
    private static partial Regex SymbolHeader();

    // "%8d:\t<bytes>\t<text>"; llvm pads nothing after the bytes, the text may itself hold tabs (ld_pseudo).
    [GeneratedRegex(@"^\s*(?<slot>\d+):\t(?<bytes>[0-9a-f]{2}(?: [0-9a-f]{2})*)\t(?<text>.*)$")]
    private static partial Regex InstructionLine();

    /// <summary>Runs <paramref name="tool"/> and gives its standard output; fails the test if the tool is missing or fails.</summary>
    public static string Run(string tool, params string[] args) => ExternalTool.Run(tool, Package, skipWhenMissing: false, args);

    /// <summary><c>llvm-objdump-19 -d -z [--mcpu=cpu] file</c>, parsed into sections.</summary>
    /// <remarks><c>-z</c>: without it llvm-objdump prints runs of zero bytes as "...", and the listing would lose slots.</remarks>
    public static List<ObjdumpSection> Objdump(string file, string? mcpu = null)
    {
        string[] args = mcpu is null ? ["-d", "-z", file] : ["-d", "-z", "--mcpu=" + mcpu, file];
        return ParseObjdump(Run("llvm-objdump-19", args));
    }

    /// <summary>Assembles <paramref name="source"/> with <c>llvm-mc-19 -triple bpf -mcpu=v4 -filetype=obj</c> and disassembles the object.</summary>
    public static List<ObjdumpSection> AssembleWithLlvmMc(string source, string? objdumpMcpu = null)
    {
        string dir = Directory.CreateTempSubdirectory("hbpf-llvm-mc-").FullName;
        try
        {
            string asm = Path.Combine(dir, "in.s"), obj = Path.Combine(dir, "out.o");
            File.WriteAllText(asm, source);
            Run("llvm-mc-19", "-triple", "bpf", "-mcpu=v4", "-filetype=obj", asm, "-o", obj);
            return Objdump(obj, objdumpMcpu);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Parses an <c>llvm-objdump -d</c> listing; slot numbers restart at each section.</summary>
    public static List<ObjdumpSection> ParseObjdump(string listing)
    {
        var sections = new List<ObjdumpSection>();
        ObjdumpSection? current = null;
        foreach (string line in listing.Split('\n'))
        {
            if (SectionHeader().Match(line) is { Success: true } s)
            {
                current = new ObjdumpSection(s.Groups["name"].Value, [], [], []);
                sections.Add(current);
                continue;
            }

            current?.Body.Add(line);
            if (SymbolHeader().Match(line) is { Success: true } h)
            {
                Assert.NotNull(current);
                current.Symbols.Add((h.Groups["name"].Value, (int)(Convert.ToInt64(h.Groups["addr"].Value, 16) / 8)));
            }
            else if (InstructionLine().Match(line) is { Success: true } m)
            {
                Assert.NotNull(current);
                byte[] bytes = Convert.FromHexString(m.Groups["bytes"].Value.Replace(" ", "", StringComparison.Ordinal));
                current.Lines.Add(new ObjdumpLine(int.Parse(m.Groups["slot"].Value), bytes, m.Groups["text"].Value));
            }
        }

        return sections;
    }
}
