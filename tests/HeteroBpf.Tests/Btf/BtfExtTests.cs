using HeteroBpf.Btf;
using HeteroBpf.Tests.Asm;

namespace HeteroBpf.Tests.Btf;

/// <summary>.BTF.ext of the fixtures: functions against llvm-objdump's symbols, lines against the C sources, CO-RE relocations against the types.</summary>
public sealed class BtfExtTests
{
    public static TheoryData<string> Objects => BtfFixtures.ObjectNames;

    [Theory]
    [MemberData(nameof(Objects))]
    public void FuncInfoNamesTheFunctionAtEachSymbol(string name)
    {
        var (btf, ext) = Parse(name);
        var listing = LlvmTools.Objdump(BtfFixtures.PathOf(name));
        Assert.NotEmpty(ext.FuncInfos);
        int total = 0;
        foreach (var (section, funcs) in ext.FuncInfos)
        {
            var symbols = listing.Single(s => s.Name == section).Symbols;
            foreach (var f in funcs)
            {
                var func = Assert.IsType<BtfFunc>(btf[f.TypeId]);
                Assert.Contains((func.Name, f.Slot), symbols);
                total++;
            }
        }

        // Every function symbol in a code section has its func_info.
        Assert.Equal(listing.Where(s => ext.FuncInfos.ContainsKey(s.Name)).Sum(s => s.Symbols.Count), total);
    }

    [Theory]
    [MemberData(nameof(Objects))]
    public void LineInfoTextIsTheSourceLine(string name)
    {
        var (_, ext) = Parse(name);
        Assert.NotEmpty(ext.LineInfos);
        var sources = new Dictionary<string, string[]>();
        foreach (var (section, lines) in ext.LineInfos)
        {
            Assert.NotEmpty(lines);
            foreach (var line in lines)
            {
                // build.sh maps the fixture directory to ".", so a fixture's own lines name "./x.c"; headers keep their path.
                string path = line.FileName.StartsWith("./", StringComparison.Ordinal) ? Path.Combine(RepoPaths.Fixtures, line.FileName[2..]) : line.FileName;
                if (!sources.TryGetValue(path, out var text)) sources[path] = text = File.ReadAllLines(path);
                Assert.InRange(line.Line, 1, text.Length);
                Assert.Equal(text[line.Line - 1], line.LineText);
                Assert.InRange(line.Column, 0, text[line.Line - 1].Length + 1);
                Assert.Equal(0u, line.InsnOffset % 8);
            }
        }

        Assert.Contains(sources.Keys, k => k.EndsWith(name[..name.LastIndexOf('-')] + ".c", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Objects))]
    public void LineInfoAgreesWithTheDwarfLinesOfLlvmObjdump(string name)
    {
        // llvm-objdump -l prints "; file:line" from DWARF before an instruction whose line changes; clang derives BTF
        // line info from the same debug locations, so at each BTF entry's slot DWARF must name the same file and line.
        var (btf, ext) = Parse(name);
        var dwarf = DwarfLines(LlvmTools.Run("llvm-objdump-19", "-d", "-l", "-z", "--no-show-raw-insn", BtfFixtures.PathOf(name)));
        foreach (var (section, lines) in ext.LineInfos)
        {
            // At a function's first slot clang's BTF may name the declaration line where DWARF already names the first
            // statement; such an entry must then declare the function that func_info puts there.
            var starts = ext.FuncInfos[section].ToDictionary(f => f.Slot, f => btf[f.TypeId].Name);
            foreach (var line in lines)
            {
                if (starts.TryGetValue(line.Slot, out string? function) && line.LineText.Contains(function + "(", StringComparison.Ordinal)) continue;

                Assert.True(dwarf.TryGetValue((section, line.Slot), out var expected), $"{section} slot {line.Slot}: no DWARF line");
                Assert.True(expected == (line.FileName, line.Line), $"{section} slot {line.Slot}: BTF {line}, DWARF {expected}");
            }
        }
    }

    /// <summary>The DWARF file and line in force at each (section, slot) of an <c>llvm-objdump -d -l</c> listing.</summary>
    private static Dictionary<(string Section, int Slot), (string File, int Line)> DwarfLines(string listing)
    {
        var result = new Dictionary<(string, int), (string, int)>();
        string section = "";
        (string, int) current = ("", 0);
        foreach (string raw in listing.Split('\n'))
        {
            string text = raw.Trim();
            if (text.StartsWith("Disassembly of section ", StringComparison.Ordinal))
            {
                section = text["Disassembly of section ".Length..].TrimEnd(':');
                current = ("", 0);
            }
            else if (text.StartsWith("; ", StringComparison.Ordinal) && text.LastIndexOf(':') is int colon and > 2
                     && int.TryParse(text[(colon + 1)..], out int number))
            {
                current = (text[2..colon], number);
            }
            else if (text.IndexOf(':') is int c and > 0 && int.TryParse(text[..c], out int slot))
            {
                result[(section, slot)] = current;
            }
        }

        return result;
    }

    [Theory]
    [MemberData(nameof(Objects))]
    public void LineTableCoversEveryInstructionAfterTheFirstLine(string name)
    {
        var (_, ext) = Parse(name);
        var listing = LlvmTools.Objdump(BtfFixtures.PathOf(name));
        foreach (string section in ext.LineInfos.Keys)
        {
            var table = ext.GetLineTable(section);
            int first = table.Entries[0].Slot;
            foreach (var insn in listing.Single(s => s.Name == section).Lines)
            {
                bool found = table.TryFind(insn.Slot, out var line);
                Assert.Equal(insn.Slot >= first, found);
                if (!found) continue;
                Assert.True(line!.Slot <= insn.Slot);
                // No entry lies strictly between the one found and the slot asked for.
                Assert.DoesNotContain(table.Entries, e => e.Slot > line.Slot && e.Slot <= insn.Slot);
            }

            foreach (var entry in table.Entries)
            {
                Assert.True(table.TryFind(entry.Slot, out var found));
                Assert.Equal(entry.Slot, found.Slot);
            }
        }

        Assert.False(ext.GetLineTable("no such section").TryFind(0, out _));
    }

    [Fact]
    public void CoreRelocationsOfTheKindsFixture()
    {
        var (btf, ext) = Parse("btf_kinds-v3.o");
        var relos = Assert.Single(ext.CoreRelocations).Value;
        Assert.Equal("xdp", Assert.Single(ext.CoreRelocations).Key);
        var sample = Assert.IsType<BtfStruct>(btf.Find("sample", BtfKind.Struct));
        foreach (var r in relos)
        {
            Assert.Equal(sample.Id, btf.Resolve(r.TypeId).Id);
            int[] access = [.. r.AccessString.Split(':').Select(int.Parse)];
            Assert.Equal(access, r.Access);
            Assert.Equal(0, access[0]);
            if (r.Kind is BtfCoreRelocationKind.TypeSize or BtfCoreRelocationKind.TypeExists)
            {
                Assert.Equal("0", r.AccessString);
                continue;
            }

            Assert.Equal(2, access.Length);
            Assert.InRange(access[1], 0, sample.Members.Length - 1);
        }

        var byKind = relos.ToLookup(r => r.Kind, r => sample.Members[int.Parse(r.AccessString.Split(':')[^1])].Name);
        Assert.Equal(["rest"], byKind[BtfCoreRelocationKind.FieldExists].Distinct());
        Assert.Contains("scale", byKind[BtfCoreRelocationKind.FieldByteOffset]);
        Assert.Contains("rest", byKind[BtfCoreRelocationKind.FieldByteOffset]);
        Assert.Equal(["rest"], byKind[BtfCoreRelocationKind.FieldByteSize].Distinct());
        Assert.Equal(["rest"], byKind[BtfCoreRelocationKind.FieldLShiftU64].Distinct());
        Assert.Equal(["rest"], byKind[BtfCoreRelocationKind.FieldRShiftU64].Distinct());
        Assert.Single(relos, r => r.Kind == BtfCoreRelocationKind.TypeSize);

        // Each relocated instruction exists in the section.
        var insns = LlvmTools.Objdump(BtfFixtures.PathOf("btf_kinds-v3.o")).Single(s => s.Name == "xdp").Lines.Select(l => l.Slot).ToHashSet();
        Assert.All(relos, r => Assert.Contains(r.Slot, insns));
    }

    [Fact]
    public void FixturesWithoutCoreHaveNoRelocations()
    {
        Assert.Empty(Parse("xdp_parse-v4.o").Ext.CoreRelocations);
    }

    private static (BtfSpec Btf, BtfExtSpec Ext) Parse(string name)
    {
        var (btfBytes, extBytes) = BtfFixtures.Get(name);
        var btf = BtfSpec.Parse(btfBytes);
        return (btf, BtfExtSpec.Parse(extBytes, btf));
    }
}
