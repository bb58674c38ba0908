using System.Globalization;
using System.Text.RegularExpressions;
using HeteroBpf.Tests.Asm;

namespace HeteroBpf.Tests.Elf;

/// <summary>A section as <c>llvm-readelf -S</c> prints it.</summary>
public sealed record ReadelfSection(int Index, string Name, string Type, long Offset, long Size, string Flags)
{
    public bool IsExecutable => Flags.Contains('X', StringComparison.Ordinal);
}

/// <summary>A symbol as <c>llvm-readelf -s</c> prints it; <see cref="Section"/> is -1 for UND/ABS/COM.</summary>
public sealed record ReadelfSymbol(int Index, long Value, long Size, string Type, string Bind, int Section, string Name);

/// <summary>A relocation as <c>llvm-readelf -r</c> prints it, with the index of the section it applies to.</summary>
public sealed record ReadelfRelocation(int TargetSection, long Offset, int Symbol, string Type);

/// <summary>The independent view of an object: <c>llvm-readelf-19 -S -s -r</c> and <c>llvm-objdump-19 -d</c>, parsed.</summary>
public sealed partial class ReadelfOracle
{
    [GeneratedRegex(@"^\s*\[\s*(?<idx>\d+)\]\s+(?<name>\S+)\s+(?<type>[A-Z_]+)\s+[0-9a-f]{16}\s+(?<off>[0-9a-f]+)\s+(?<size>[0-9a-f]+)\s+[0-9a-f]+\s+(?<flg>[A-Za-z]*)\s+\d+\s+(?<inf>\d+)\s+\d+$")]
    private static partial Regex SectionLine();

    [GeneratedRegex(@"^\s*(?<num>\d+):\s+(?<value>[0-9a-f]{16})\s+(?<size>\d+)\s+(?<type>\w+)\s+(?<bind>\w+)\s+\w+\s+(?<ndx>\w+)\s?(?<name>.*)$")]
    private static partial Regex SymbolLine();

    [GeneratedRegex(@"^Relocation section '(?<name>[^']+)'")]
    private static partial Regex RelocationHeader();

    [GeneratedRegex(@"^(?<off>[0-9a-f]{16})\s+(?<info>[0-9a-f]{16})\s+(?<type>R_BPF_\w+)")]
    private static partial Regex RelocationLine();

    private ReadelfOracle(string file)
    {
        File = file;
        string text = LlvmTools.Run("llvm-readelf-19", "-S", "-s", "-r", "--wide", file);
        var relSectionInfo = new Dictionary<string, int>();
        int currentRelTarget = -1;
        bool inSymbols = false;
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith("Symbol table", StringComparison.Ordinal)) inSymbols = true;
            if (line.StartsWith("Relocation section", StringComparison.Ordinal)) inSymbols = false;

            var s = SectionLine().Match(line);
            if (s.Success && !inSymbols)
            {
                int idx = int.Parse(s.Groups["idx"].Value, CultureInfo.InvariantCulture);
                Sections.Add(new(idx, s.Groups["name"].Value, s.Groups["type"].Value, Hex(s.Groups["off"].Value), Hex(s.Groups["size"].Value), s.Groups["flg"].Value));
                if (s.Groups["type"].Value == "REL") relSectionInfo[s.Groups["name"].Value] = int.Parse(s.Groups["inf"].Value, CultureInfo.InvariantCulture);
                continue;
            }

            var y = SymbolLine().Match(line);
            if (y.Success && inSymbols)
            {
                string ndx = y.Groups["ndx"].Value;
                Symbols.Add(new(
                    int.Parse(y.Groups["num"].Value, CultureInfo.InvariantCulture),
                    Hex(y.Groups["value"].Value),
                    long.Parse(y.Groups["size"].Value, CultureInfo.InvariantCulture),
                    y.Groups["type"].Value,
                    y.Groups["bind"].Value,
                    int.TryParse(ndx, CultureInfo.InvariantCulture, out int n) ? n : -1,
                    y.Groups["name"].Value.Trim()));
                continue;
            }

            var h = RelocationHeader().Match(line);
            if (h.Success)
            {
                currentRelTarget = relSectionInfo[h.Groups["name"].Value];
                continue;
            }

            var r = RelocationLine().Match(line);
            if (r.Success && currentRelTarget >= 0)
            {
                long info = Hex(r.Groups["info"].Value);
                Relocations.Add(new(currentRelTarget, Hex(r.Groups["off"].Value), (int)(info >> 32), r.Groups["type"].Value));
            }
        }

        Assert.NotEmpty(Sections);
        Assert.NotEmpty(Symbols);
        Objdump = LlvmTools.Objdump(file).ToDictionary(x => x.Name);
    }

    public string File { get; }

    public List<ReadelfSection> Sections { get; } = [];

    public List<ReadelfSymbol> Symbols { get; } = [];

    public List<ReadelfRelocation> Relocations { get; } = [];

    /// <summary>Disassembled code sections by name.</summary>
    public Dictionary<string, ObjdumpSection> Objdump { get; }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<ReadelfOracle>> Cache = new();

    /// <summary>The oracle of <paramref name="file"/>, run once per test process (the committed objects do not change).</summary>
    public static ReadelfOracle Of(string file) => Cache.GetOrAdd(file, f => new Lazy<ReadelfOracle>(() => new ReadelfOracle(f))).Value;

    public ReadelfSection Section(int index) => Sections.Single(s => s.Index == index);

    /// <summary>Entry programs: global functions of executable sections other than .text, in section then offset order.</summary>
    public List<ReadelfSymbol> Programs() =>
        Symbols.Where(s => s.Type == "FUNC" && s.Bind != "LOCAL" && s.Section > 0 && Section(s.Section).IsExecutable && Section(s.Section).Name != ".text")
            .OrderBy(s => s.Section).ThenBy(s => s.Value).ToList();

    /// <summary>The raw instruction bytes at <paramref name="offset"/> of section <paramref name="section"/>, from objdump.</summary>
    public byte[] InstructionBytes(int section, long offset)
    {
        var listing = Objdump[Section(section).Name];
        var line = listing.Lines.Single(l => l.Slot == offset / 8);
        return line.Bytes;
    }

    /// <summary>The signed immediate of the instruction at <paramref name="offset"/>, as objdump shows its bytes.</summary>
    public int ImmAt(int section, long offset) => BitConverter.ToInt32(InstructionBytes(section, offset), 4);

    private static long Hex(string s) => long.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
