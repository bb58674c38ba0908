using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using HeteroBpf.Isa;

namespace HeteroBpf.Elf;

/// <summary>What a section is to the loader, decided once from its name, type and flags.</summary>
internal enum SectionKind
{
    Other,
    Program,
    Text,
    LegacyMaps,
    BtfMaps,
    Data,
    ReadOnlyData,
    Bss,
    License,
    Btf,
    BtfExt,
}

/// <summary>A function symbol of a program or <c>.text</c> section, with its slots.</summary>
internal sealed record Function(string Name, int Section, string SectionName, long Offset, Instruction[] Slots, bool IsGlobal);

/// <summary>A relocation resolved against the object: for calls and function addresses the target byte offset in
/// <c>.text</c>; for maps the index and (map values) the byte offset into the value.</summary>
internal readonly record struct ResolvedRelocation(RelocationKind Kind, string Symbol, long TextOffset, int MapIndex, long ValueOffset);

/// <summary>
/// Reads an ELF image into an <see cref="ObjectFile"/> in named phases — sections, maps, functions, relocations,
/// linking — each failing with the phase's location (file offset, section, symbol). Short-lived: one per object.
/// </summary>
internal sealed class ObjectLoader
{
    internal const string TextSection = ".text", BtfMapsSection = ".maps", LegacyMapsSection = "maps";
    private const int LegacyMapDefSize = 20;

    private readonly ElfImage _elf;
    private readonly string _file;
    private readonly SectionKind[] _kinds;
    private readonly List<MapSpec> _maps = [];
    private readonly List<BtfMapDeclaration> _btfMaps = [];
    private readonly Dictionary<(int Section, ulong Offset), int> _mapBySymbol = [];
    private readonly Dictionary<int, int> _mapBySection = [];
    private readonly List<Function> _functions = [];
    private readonly Dictionary<(int Section, long Offset), ResolvedRelocation> _relocations = [];
    private readonly List<ObjectRelocation> _report = [];
    private readonly List<ElfFormatException> _problems = [];
    private int _text;

    private ObjectLoader(ElfImage elf, string file)
    {
        _elf = elf;
        _file = file;
        _kinds = new SectionKind[elf.Sections.Length];
    }

    public static ObjectFile Load(byte[] bytes, string file, IBtfMapResolver? btfMaps)
    {
        var loader = new ObjectLoader(ElfImage.Parse(bytes, file), file);
        loader.ClassifySections();
        loader.CollectMaps();
        loader.EndPhase("maps");
        loader.CollectFunctions();
        loader.EndPhase("functions");
        loader.CollectRelocations();
        loader.EndPhase("relocations");
        string license = loader.ReadLicense();
        var programs = loader.LinkPrograms(license);
        loader.EndPhase("linking");
        var btfRaw = loader.RawSection(SectionKind.Btf);
        var btfExtRaw = loader.RawSection(SectionKind.BtfExt);
        var btf = btfRaw is { } raw ? loader.ParseBtf(raw, SectionKind.Btf) : null;
        if (btf is not null && btfExtRaw is { } ext) programs = loader.AttachLines(programs, btf, ext);

        var obj = new ObjectFile
        {
            Name = file,
            Programs = programs,
            Maps = [.. loader._maps],
            BtfMaps = [.. loader._btfMaps],
            BtfMapsResolved = loader._btfMaps.Count == 0,
            License = license,
            Btf = btfRaw,
            BtfExt = btfExtRaw,
            Relocations = [.. loader._report],
        };
        if (obj.BtfMapsResolved || ReferenceEquals(btfMaps, BtfMapResolver.None)) return obj;
        // By default the object's own BTF defines its .maps; without .BTF they stay unresolved (placeholders).
        btfMaps ??= btf is null ? null : new BtfMapResolver(btf);
        return btfMaps is null ? obj : obj.ResolveBtfMaps(btfMaps);
    }

    private Btf.BtfSpec ParseBtf(ReadOnlyMemory<byte> raw, SectionKind kind)
    {
        try
        {
            return Btf.BtfSpec.Parse(raw.Span);
        }
        catch (HbpfException e)
        {
            throw Rebased(e, kind);
        }
    }

    // BTF errors carry offsets inside their section; the file offset is the section's plus that.
    private HbpfException Rebased(HbpfException e, SectionKind kind)
    {
        long start = 0;
        for (int i = 1; i < _kinds.Length; i++)
        {
            if (_kinds[i] == kind)
            {
                start = (long)Math.Min(_elf.Sections[i].Offset, long.MaxValue / 2);
                break;
            }
        }

        return e.WithLocation(e.Location with { File = _file, FileOffset = e.Location.FileOffset + start });
    }

    // Line info is per section and section offset; each function copied into a program brings its own lines, moved to
    // the slot where the linker placed it.
    private ImmutableArray<ProgramSpec> AttachLines(ImmutableArray<ProgramSpec> programs, Btf.BtfSpec btf, ReadOnlyMemory<byte> raw)
    {
        Btf.BtfExtSpec ext;
        try
        {
            ext = Btf.BtfExtSpec.Parse(raw.Span, btf);
        }
        catch (HbpfException e)
        {
            throw Rebased(e, SectionKind.BtfExt);
        }

        var result = ImmutableArray.CreateBuilder<ProgramSpec>(programs.Length);
        foreach (var p in programs)
        {
            var lines = new List<SourceLine>();
            foreach (var f in p.Functions)
            {
                if (!ext.LineInfos.TryGetValue(f.Section, out var infos)) continue;
                long end = f.SectionOffset + (f.Length * 8L);
                foreach (var l in infos)
                {
                    if (l.InsnOffset < f.SectionOffset || l.InsnOffset >= end || l.InsnOffset % 8 != 0) continue;
                    lines.Add(new SourceLine(f.Slot + (int)((l.InsnOffset - f.SectionOffset) / 8), l.FileName, l.Line, l.Column, l.LineText));
                }
            }

            lines.Sort((a, b) => a.Slot.CompareTo(b.Slot));
            result.Add(p with { Lines = [.. lines] });
        }

        return result.MoveToImmutable();
    }

    private ElfFormatException Error(ErrorCode code, string reason, in ElfSection section, long? fileOffset = null, int? instruction = null) =>
        _elf.Error(code, reason, fileOffset ?? (long)Math.Min(section.Offset, long.MaxValue), section.Name, instruction);

    // Within a phase, items (maps, functions, relocations, programs) are independent: every problem is collected, and
    // the phase then fails with the first, naming the phase and counting the others.
    private void Problem(ElfFormatException e) => _problems.Add(e);

    private void EndPhase(string phase)
    {
        if (_problems.Count == 0) return;
        var first = _problems[0];
        string more = _problems.Count == 1 ? "" : $" (and {_problems.Count - 1} more: {string.Join("; ", _problems.Skip(1).Take(3).Select(p => p.Message))}{(_problems.Count > 4 ? "; …" : "")})";
        throw new ElfFormatException(first.Code, $"{phase}: {first.Reason}{more}", first.Location, first, [.. _problems]);
    }

    // Phase 1: one kind per section, so later phases never look at names again.
    private void ClassifySections()
    {
        foreach (var s in _elf.Sections)
        {
            _kinds[s.Index] = s switch
            {
                { Index: 0 } => SectionKind.Other,
                { Name: TextSection } when s.IsExecutable => SectionKind.Text,
                _ when s.IsExecutable => SectionKind.Program,
                { Name: LegacyMapsSection } => SectionKind.LegacyMaps,
                { Name: BtfMapsSection } => SectionKind.BtfMaps,
                { Name: "license" } => SectionKind.License,
                { Name: ".BTF" } => SectionKind.Btf,
                { Name: ".BTF.ext" } => SectionKind.BtfExt,
                // As in libbpf: initialised data must have bytes (PROGBITS), .bss must not (NOBITS); others are ignored.
                _ when s.Type == ElfSection.ProgBits && IsDataName(s.Name, ".rodata") => SectionKind.ReadOnlyData,
                _ when s.Type == ElfSection.ProgBits && IsDataName(s.Name, ".data") => SectionKind.Data,
                _ when s.Type == ElfSection.NoBits && IsDataName(s.Name, ".bss") => SectionKind.Bss,
                _ => SectionKind.Other,
            };
            if (_kinds[s.Index] == SectionKind.Text)
            {
                if (_text != 0) throw Error(ErrorCode.ElfBadSection, "a second .text section", s);
                _text = s.Index;
            }
        }
    }

    // libbpf takes ".data", ".data.<anything>" and the same for .rodata and .bss as global data.
    private static bool IsDataName(string name, string stem) =>
        name == stem || (name.Length > stem.Length + 1 && name.StartsWith(stem, StringComparison.Ordinal) && name[stem.Length] == '.');

    // Phase 2: maps, in libbpf's order (legacy, BTF-defined, global data), so indices agree with libbpf's.
    private void CollectMaps()
    {
        for (int i = 1; i < _kinds.Length; i++)
        {
            if (_kinds[i] == SectionKind.LegacyMaps) CollectLegacyMaps(_elf.Sections[i]);
        }

        for (int i = 1; i < _kinds.Length; i++)
        {
            if (_kinds[i] == SectionKind.BtfMaps) CollectBtfMaps(_elf.Sections[i]);
        }

        CollectBtfMapValues();

        for (int i = 1; i < _kinds.Length; i++)
        {
            if (_kinds[i] is SectionKind.Data or SectionKind.ReadOnlyData or SectionKind.Bss) CollectDataMap(_elf.Sections[i], _kinds[i]);
        }
    }

    private List<ElfSymbol> MapSymbols(in ElfSection section)
    {
        var result = new List<ElfSymbol>();
        foreach (var sym in _elf.Symbols)
        {
            if (sym.SectionIndex != section.Index || sym.Type is ElfSymbol.TypeSection or ElfSymbol.TypeFile || sym.Name.Length == 0) continue;
            result.Add(sym);
        }

        result.Sort((a, b) => a.Value.CompareTo(b.Value));
        return result;
    }

    private void CollectLegacyMaps(in ElfSection section)
    {
        var data = _elf.Data(section);
        var symbols = MapSymbols(section);
        foreach (var sym in symbols)
        {
            try
            {
                AddLegacyMap(section, data, sym, symbols.Count);
            }
            catch (ElfFormatException e)
            {
                Problem(e);
            }
        }
    }

    private void AddLegacyMap(in ElfSection section, ReadOnlySpan<byte> data, in ElfSymbol sym, int count)
    {
        // Old objects leave map symbols unsized; libbpf then splits the section evenly between them.
        ulong size = sym.Size != 0 ? sym.Size : (ulong)data.Length / (ulong)count;
        long at = (long)section.Offset + (long)Math.Min(sym.Value, int.MaxValue);
        if (size < LegacyMapDefSize)
            throw Error(ErrorCode.ElfBadMapDefinition, $"map '{sym.Name}': definition of {size} bytes is shorter than struct bpf_map_def ({LegacyMapDefSize})", section, at);
        if (sym.Value > (ulong)data.Length || size > (ulong)data.Length - sym.Value)
            throw Error(ErrorCode.ElfBadMapDefinition, $"map '{sym.Name}' at offset 0x{sym.Value:x}, size {size}, extends past the section (size {data.Length})", section, at);
        var def = data.Slice((int)sym.Value, (int)size);
        // Fields past the five libbpf reads must be zero: a non-zero one asks for something this loader would drop.
        if (def[LegacyMapDefSize..].ContainsAnyExcept((byte)0))
            throw Error(ErrorCode.ElfBadMapDefinition, $"map '{sym.Name}': bytes {LegacyMapDefSize}..{size} of the definition are not zero (unknown map options)", section, at);
        Add(new MapSpec
        {
            Name = sym.Name,
            Type = (MapType)BinaryPrimitives.ReadUInt32LittleEndian(def),
            KeySize = BinaryPrimitives.ReadUInt32LittleEndian(def[4..]),
            ValueSize = BinaryPrimitives.ReadUInt32LittleEndian(def[8..]),
            MaxEntries = BinaryPrimitives.ReadUInt32LittleEndian(def[12..]),
            Flags = (MapFlags)BinaryPrimitives.ReadUInt32LittleEndian(def[16..]),
        });
        _mapBySymbol[(section.Index, sym.Value)] = _maps.Count - 1;
    }

    private void CollectBtfMaps(in ElfSection section)
    {
        foreach (var sym in MapSymbols(section))
        {
            // Only the name is known without BTF; the resolver (or ObjectFile.ResolveBtfMaps) fills in the rest.
            Add(new MapSpec { Name = sym.Name, Type = MapType.Unspec, KeySize = 0, ValueSize = 0, MaxEntries = 0 });
            _btfMaps.Add(new BtfMapDeclaration(sym.Name, _maps.Count - 1, (long)Math.Min(sym.Value, long.MaxValue), (long)Math.Min(sym.Size, long.MaxValue)));
            _mapBySymbol[(section.Index, sym.Value)] = _maps.Count - 1;
        }
    }

    // Relocations inside .maps are static initialisers of a prog array's or map-in-map's `values` (libbpf's
    // bpf_object__collect_map_relos): each stores a program or a map into one slot. Which slot needs BTF (the offset of
    // `values` in the definition), so this phase only says which map, where and what; the resolver makes the entries.
    private void CollectBtfMapValues()
    {
        foreach (var rel in _elf.Sections)
        {
            if (rel.Type != ElfSection.Rel || rel.Info == 0 || rel.Info >= _kinds.Length || _kinds[rel.Info] != SectionKind.BtfMaps) continue;
            var maps = _elf.Sections[rel.Info];
            try
            {
                if (rel.Link != _elf.SymbolTableIndex || _elf.SymbolTableIndex == 0)
                    throw Error(ErrorCode.ElfBadSection, $"relocation section links to section {rel.Link}, not the symbol table", rel);
                var entries = _elf.Relocations(rel);
                Array.Sort(entries, (a, b) => a.Offset.CompareTo(b.Offset));
                foreach (var r in entries)
                {
                    try
                    {
                        AddBtfMapValue(r, maps);
                    }
                    catch (ElfFormatException e)
                    {
                        Problem(e);
                    }
                }
            }
            catch (ElfFormatException e)
            {
                Problem(e);
            }
        }
    }

    private void AddBtfMapValue(in ElfRelocation r, in ElfSection maps)
    {
        if (r.Type == ElfRelocation.None) return;
        long at = (long)maps.Offset + (long)Math.Min(r.Offset, int.MaxValue);
        string where = $"relocation at offset 0x{r.Offset:x}";
        if (r.Symbol == 0 || r.Symbol >= _elf.Symbols.Length)
            throw Error(ErrorCode.ElfBadRelocation, $"{where}: symbol {r.Symbol} does not exist (the table has {_elf.Symbols.Length})", maps, at);
        var sym = _elf.Symbols[r.Symbol];
        where += $" against '{SymbolName(sym)}'";
        if (r.Type is not (ElfRelocation.Bpf64Abs64 or ElfRelocation.Bpf64_64))
            throw Error(ErrorCode.ElfBadRelocation, $"{where}: type {r.Type} is not a 64-bit pointer (R_BPF_64_ABS64 = 2)", maps, at);
        if (sym.IsUndefined)
            throw Error(ErrorCode.ElfUnresolvedSymbol, $"{where}: the symbol is not defined in this object (extern maps and programs are not supported)", maps, at);
        ulong offset = r.Offset;
        int owner = _btfMaps.FindIndex(d => offset >= (ulong)d.SectionOffset && offset - (ulong)d.SectionOffset < (ulong)d.Size);
        if (owner < 0)
            throw Error(ErrorCode.ElfBadRelocation, $"{where}: offset is inside no map definition", maps, at);
        var symKind = sym.SectionIndex < _kinds.Length ? _kinds[sym.SectionIndex] : SectionKind.Other;
        bool isProgram;
        if (sym.Type == ElfSymbol.TypeFunc && symKind == SectionKind.Program && sym.Bind != ElfSymbol.BindLocal) isProgram = true;
        else if (symKind == SectionKind.BtfMaps && _mapBySymbol.ContainsKey((sym.SectionIndex, sym.Value)) && sym.Name.Length > 0) isProgram = false;
        else
            throw Error(ErrorCode.ElfRelocationTarget, $"{where}: a .maps value must point to an entry program or a map in .maps", maps, at);
        var decl = _btfMaps[owner];
        _btfMaps[owner] = decl with { Values = decl.Values.Add(new BtfMapValueReference((long)offset - decl.SectionOffset, sym.Name, isProgram)) };
    }

    private void CollectDataMap(in ElfSection section, SectionKind kind)
    {
        // Empty data sections make no map, as in libbpf; a relocation against one is then an error.
        if (section.Size == 0) return;
        if (section.Size > uint.MaxValue)
        {
            Problem(Error(ErrorCode.ElfBadSection, $"global data section of {section.Size} bytes does not fit a map value", section));
            return;
        }

        var contents = ImmutableArray<MapEntrySpec>.Empty;
        if (section.Type != ElfSection.NoBits)
        {
            // A .bss-like section has no bytes in the file: its map starts zeroed, which needs no contents.
            contents = [new MapEntrySpec([0, 0, 0, 0], [.. _elf.Data(section)])];
        }

        Add(new MapSpec
        {
            Name = section.Name,
            Type = MapType.Array,
            KeySize = 4,
            ValueSize = (uint)section.Size,
            MaxEntries = 1,
            Flags = kind == SectionKind.ReadOnlyData ? MapFlags.ReadOnlyProg : MapFlags.None,
            Contents = contents,
        });
        _mapBySection[section.Index] = _maps.Count - 1;
    }

    private void Add(MapSpec map) => _maps.Add(map);

    // Phase 3: functions of program and .text sections, checked against their section.
    private void CollectFunctions()
    {
        var counts = new int[_kinds.Length];
        var usable = new bool[_kinds.Length];
        for (int i = 1; i < _kinds.Length; i++)
        {
            if (_kinds[i] is not (SectionKind.Program or SectionKind.Text)) continue;
            var s = _elf.Sections[i];
            if (s.Size % 8 != 0)
                Problem(Error(ErrorCode.ElfBadProgramSection, $"size {s.Size} is not a multiple of 8 (instruction size)", s));
            else usable[i] = true;
        }

        foreach (var sym in _elf.Symbols)
        {
            if (sym.Type != ElfSymbol.TypeFunc || sym.SectionIndex >= _kinds.Length || !usable[sym.SectionIndex]) continue;
            try
            {
                AddFunction(sym);
                counts[sym.SectionIndex]++;
            }
            catch (ElfFormatException e)
            {
                Problem(e);
            }
        }

        for (int i = 1; i < _kinds.Length; i++)
        {
            var s = _elf.Sections[i];
            if (_kinds[i] == SectionKind.Program && usable[i] && s.Size != 0 && counts[i] == 0 && !_problems.Any(p => p.Location.Section == s.Name))
                Problem(Error(ErrorCode.ElfBadProgramSection, "program section has no function symbol, so its programs have no names", s));
        }

        _functions.Sort((a, b) => a.Section != b.Section ? a.Section.CompareTo(b.Section) : a.Offset.CompareTo(b.Offset));
    }

    private void AddFunction(in ElfSymbol sym)
    {
        var section = _elf.Sections[sym.SectionIndex];
        var data = _elf.Data(section);
        long at = (long)section.Offset + (long)Math.Min(sym.Value, int.MaxValue);
        if (sym.Value % 8 != 0 || sym.Size % 8 != 0 || sym.Size == 0)
            throw Error(ErrorCode.ElfBadProgramSection, $"function '{sym.Name}' at offset 0x{sym.Value:x} with size {sym.Size} is not a whole number of instructions", section, at);
        if (sym.Value > (ulong)data.Length || sym.Size > (ulong)data.Length - sym.Value)
            throw Error(ErrorCode.ElfBadProgramSection, $"function '{sym.Name}' at offset 0x{sym.Value:x} with size {sym.Size} extends past the section (size {data.Length})", section, at);
        bool global = sym.Bind != ElfSymbol.BindLocal;
        // libbpf refuses static entry programs: only .text may hold static (sub)functions.
        if (!global && _kinds[sym.SectionIndex] == SectionKind.Program)
            throw Error(ErrorCode.ElfBadProgramSection, $"program '{sym.Name}' is static; entry programs must be global", section, at);
        var slots = Instruction.Cast(data.Slice((int)sym.Value, (int)sym.Size)).ToArray();
        _functions.Add(new Function(sym.Name, section.Index, section.Name, (long)sym.Value, slots, global));
    }

    // Phase 4: relocations of program and .text sections, each checked and resolved to a map or a .text offset.
    private void CollectRelocations()
    {
        foreach (var rel in _elf.Sections)
        {
            if (rel.Type != ElfSection.Rel) continue;
            if (rel.Info == 0 || rel.Info >= _kinds.Length)
            {
                Problem(Error(ErrorCode.ElfBadSection, $"relocation section applies to section {rel.Info}, which does not exist", rel));
                continue;
            }

            // Relocations of debug info, BTF and data are not the loader's business (libbpf skips them as well).
            if (_kinds[rel.Info] is not (SectionKind.Program or SectionKind.Text)) continue;
            try
            {
                if (rel.Link != _elf.SymbolTableIndex || _elf.SymbolTableIndex == 0)
                    throw Error(ErrorCode.ElfBadSection, $"relocation section links to section {rel.Link}, not the symbol table", rel);
                var target = _elf.Sections[rel.Info];
                var code = _elf.Data(target);
                var entries = _elf.Relocations(rel);
                Array.Sort(entries, (a, b) => a.Offset.CompareTo(b.Offset));
                foreach (var r in entries)
                {
                    try
                    {
                        Resolve(r, target, code);
                    }
                    catch (ElfFormatException e)
                    {
                        Problem(e);
                    }
                }
            }
            catch (ElfFormatException e)
            {
                Problem(e);
            }
        }
    }

    private void Resolve(in ElfRelocation r, in ElfSection section, ReadOnlySpan<byte> code)
    {
        if (r.Type == ElfRelocation.None) return;
        long at = (long)section.Offset + (long)Math.Min(r.Offset, int.MaxValue);
        // Only an offset that is an instruction of the section gets an instruction number in the location.
        bool isInstruction = r.Offset % 8 == 0 && r.Offset <= (ulong)code.Length && (ulong)code.Length - r.Offset >= 8;
        int? insnNumber = isInstruction ? (int)(r.Offset / 8) : null;
        string where = $"relocation at offset 0x{r.Offset:x}";
        if (r.Symbol == 0 || r.Symbol >= _elf.Symbols.Length)
            throw Error(ErrorCode.ElfBadRelocation, $"{where}: symbol {r.Symbol} does not exist (the table has {_elf.Symbols.Length})", section, at, insnNumber);
        var sym = _elf.Symbols[r.Symbol];
        where += $" against '{SymbolName(sym)}'";
        if (r.Type is not (ElfRelocation.Bpf64_64 or ElfRelocation.Bpf64_32))
            throw Error(ErrorCode.ElfBadRelocation, $"{where}: type {r.Type} is not one eBPF code uses (R_BPF_64_64 = 1, R_BPF_64_32 = 10)", section, at, insnNumber);
        if (!isInstruction)
            throw Error(ErrorCode.ElfBadRelocation, $"{where}: offset is not an instruction of the section (size {code.Length})", section, at);
        if (sym.IsUndefined)
            throw Error(ErrorCode.ElfUnresolvedSymbol, $"{where}: the symbol is not defined in this object (extern, kfunc and ksym are not supported)", section, at, insnNumber);

        var insn = Instruction.Cast(code.Slice((int)r.Offset, 8))[0];
        int slot = (int)(r.Offset / 8);
        var symSection = sym.SectionIndex < _kinds.Length ? _kinds[sym.SectionIndex] : SectionKind.Other;
        string symSectionName = sym.SectionIndex < _kinds.Length ? _elf.Sections[sym.SectionIndex].Name : $"#{sym.SectionIndex}";
        ResolvedRelocation resolved;
        if (insn.OpCode == Opcodes.Call && insn.SrcNumber == (byte)CallKind.Local)
        {
            if (symSection != SectionKind.Text)
                throw Error(ErrorCode.ElfBadRelocation, $"{where}: call target is in section {symSectionName}, not .text", section, at, slot);
            // The call's immediate stays relative to the symbol: target = symbol + (imm + 1) slots.
            long target = (long)sym.Value + (((long)insn.Imm + 1) * 8);
            resolved = new(RelocationKind.Call, SymbolName(sym), target, -1, 0);
        }
        else if (insn.IsWide)
        {
            if ((ulong)code.Length - r.Offset < 16)
                throw Error(ErrorCode.ElfBadRelocation, $"{where}: lddw has no second slot in the section", section, at, slot);
            resolved = symSection switch
            {
                // The immediate is the addend in bytes (clang's REL relocations keep it in the instruction).
                SectionKind.Text => new(RelocationKind.FunctionAddress, SymbolName(sym), (long)sym.Value + insn.Imm, -1, 0),
                SectionKind.LegacyMaps or SectionKind.BtfMaps when _mapBySymbol.TryGetValue((sym.SectionIndex, sym.Value), out int map) =>
                    new(RelocationKind.Map, SymbolName(sym), 0, map, 0),
                SectionKind.LegacyMaps or SectionKind.BtfMaps =>
                    throw Error(ErrorCode.ElfUnresolvedSymbol, $"{where}: no map starts at offset 0x{sym.Value:x} of {symSectionName}", section, at, slot),
                SectionKind.Data or SectionKind.ReadOnlyData or SectionKind.Bss => DataRelocation(sym, insn, where, slot, section, at),
                _ => throw Error(ErrorCode.ElfBadRelocation, $"{where}: lddw of a symbol in section {symSectionName}, which is neither code, maps nor global data", section, at, slot),
            };
        }
        else
        {
            throw Error(ErrorCode.ElfRelocationTarget, $"{where}: opcode 0x{insn.OpCode:x2} (src {insn.SrcNumber}) is neither lddw nor a local call", section, at, slot);
        }

        _relocations[(section.Index, (long)r.Offset)] = resolved;
        string targetName = resolved.MapIndex >= 0 ? _maps[resolved.MapIndex].Name : DescribeText(resolved.TextOffset);
        _report.Add(new ObjectRelocation(section.Name, (long)r.Offset, resolved.Symbol, resolved.Kind, targetName));
    }

    private ResolvedRelocation DataRelocation(in ElfSymbol sym, in Instruction insn, string where, int slot, in ElfSection section, long at)
    {
        var data = _elf.Sections[sym.SectionIndex];
        if (!_mapBySection.TryGetValue(sym.SectionIndex, out int map))
            throw Error(ErrorCode.ElfUnresolvedSymbol, $"{where}: section {data.Name} is empty, so it has no map", section, at, slot);
        // libbpf: the offset into the value is the symbol's value plus the addend clang left in the immediate.
        long offset = (long)Math.Min(sym.Value, int.MaxValue) + insn.Imm;
        if (offset < 0 || (ulong)offset > data.Size || offset > int.MaxValue)
            throw Error(ErrorCode.ElfBadRelocation, $"{where}: offset {offset} is outside {data.Name} (size {data.Size})", section, at, slot);
        return new(RelocationKind.MapValue, SymbolName(sym), 0, map, offset);
    }

    private string SymbolName(in ElfSymbol sym) =>
        sym.Name.Length > 0 ? sym.Name : sym.SectionIndex < _elf.Sections.Length ? _elf.Sections[sym.SectionIndex].Name : $"#{sym.Index}";

    private string DescribeText(long offset)
    {
        var f = FunctionAt(_text, offset);
        if (f is null) return $"{TextSection}+0x{offset:x}";
        return offset == f.Offset ? f.Name : $"{f.Name}+0x{offset - f.Offset:x}";
    }

    internal Function? FunctionAt(int section, long offset)
    {
        foreach (var f in _functions)
        {
            if (f.Section == section && offset >= f.Offset && offset < f.Offset + (f.Slots.Length * 8L)) return f;
        }

        return null;
    }

    private string ReadLicense()
    {
        for (int i = 1; i < _kinds.Length; i++)
        {
            if (_kinds[i] != SectionKind.License) continue;
            var data = _elf.Data(_elf.Sections[i]);
            int end = data.IndexOf((byte)0);
            return Encoding.UTF8.GetString(end < 0 ? data : data[..end]);
        }

        return "";
    }

    private ReadOnlyMemory<byte>? RawSection(SectionKind kind)
    {
        for (int i = 1; i < _kinds.Length; i++)
        {
            if (_kinds[i] == kind) return _elf.Data(_elf.Sections[i]).ToArray();
        }

        return null;
    }

    // Phase 5: each entry program with its own copy of every subprogram it reaches.
    private ImmutableArray<ProgramSpec> LinkPrograms(string license)
    {
        var programs = ImmutableArray.CreateBuilder<ProgramSpec>();
        foreach (var f in _functions)
        {
            if (_kinds[f.Section] != SectionKind.Program) continue;
            var info = ProgramSections.Classify(f.SectionName);
            Linker.Linked linked;
            try
            {
                linked = Linker.Link(f, this);
            }
            catch (ElfFormatException e)
            {
                Problem(e);
                continue;
            }

            programs.Add(new ProgramSpec
            {
                Name = f.Name,
                SectionName = f.SectionName,
                Type = info.Type,
                AttachType = info.AttachType,
                AttachTo = info.AttachTo,
                UnknownSection = !info.Known,
                Sleepable = info.Sleepable,
                XdpFrags = info.XdpFrags,
                Instructions = linked.Instructions,
                License = license,
                SectionOffset = f.Offset,
                Functions = linked.Functions,
                Relocations = linked.Relocations,
                MapsUsed = linked.MapsUsed,
            });
        }

        return programs.ToImmutable();
    }

    internal bool TryGetRelocation(int section, long offset, out ResolvedRelocation relocation) => _relocations.TryGetValue((section, offset), out relocation);

    internal string MapName(int index) => _maps[index].Name;

    internal int TextSectionIndex => _text;

    internal ElfFormatException LinkError(ErrorCode code, string reason, Function f, int slot) =>
        Error(code, $"function '{f.Name}': {reason}", _elf.Sections[f.Section], (long)_elf.Sections[f.Section].Offset + f.Offset + (slot * 8L), (int)(f.Offset / 8) + slot);
}
