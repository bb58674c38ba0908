using HeteroBpf.Elf;
using HeteroBpf.Isa;

namespace HeteroBpf.Tests.Elf;

/// <summary>Every committed fixture object, read by <see cref="ObjectFile"/> and checked against llvm-readelf/llvm-objdump.</summary>
public sealed class ObjectFileTests
{
    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (string f in RepoPaths.Glob(RepoPaths.Fixtures, "*.o")) data.Add(Path.GetFileName(f));
        return data;
    }

    private static string PathOf(string fixture) => Path.Combine(RepoPaths.Fixtures, fixture);

    // What each section name of the fixtures must classify as; a new fixture section must be added here.
    private static readonly Dictionary<string, (ProgramType Type, AttachType? Attach, bool Known)> SectionTypes = new()
    {
        ["xdp"] = (ProgramType.Xdp, AttachType.Xdp, true),
        ["tc"] = (ProgramType.SchedCls, null, true),
        ["socket"] = (ProgramType.SocketFilter, null, true),
        ["kprobe/do_sys_open"] = (ProgramType.Kprobe, null, true),
        ["cgroup_skb/ingress"] = (ProgramType.CgroupSkb, AttachType.CgroupInetIngress, true),
        ["hbpf_custom"] = (ProgramType.Unspec, null, false),
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void ProgramsAreTheGlobalFunctionsReadelfLists(string fixture)
    {
        var oracle = ReadelfOracle.Of(PathOf(fixture));
        var obj = ObjectFile.Load(PathOf(fixture));
        var expected = oracle.Programs();
        Assert.Equal(expected.Select(s => (s.Name, oracle.Section(s.Section).Name)), obj.Programs.Select(p => (p.Name, p.SectionName)));
        foreach (var (sym, prog) in expected.Zip(obj.Programs))
        {
            Assert.Equal(sym.Size / 8, prog.Functions[0].Length);
            Assert.Equal(sym.Value, prog.SectionOffset);
            Assert.Equal(prog.Name, prog.Functions[0].Name);
            Assert.Equal(0, prog.Functions[0].Slot);
            var (type, attach, known) = SectionTypes[prog.SectionName];
            Assert.Equal(type, prog.Type);
            Assert.Equal(attach, prog.AttachType);
            Assert.Equal(known, !prog.UnknownSection);
            Assert.False(string.IsNullOrEmpty(prog.License));
            Assert.Equal(obj.License, prog.License);
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void LinkedProgramsAreValidAndMadeOfWholeFunctions(string fixture)
    {
        var oracle = ReadelfOracle.Of(PathOf(fixture));
        var obj = ObjectFile.Load(PathOf(fixture));
        foreach (var prog in obj.Programs)
        {
            Assert.True(InstructionDecoder.TryValidate(prog.Instructions.AsSpan(), out var error), $"{prog.Name}: {error}");
            Assert.Equal(prog.Instructions.Length, prog.Functions.Sum(f => f.Length));
            Assert.Equal(prog.Functions.Length, prog.Functions.Select(f => f.Name).Distinct().Count());
            int slot = 0;
            foreach (var f in prog.Functions)
            {
                Assert.Equal(slot, f.Slot);
                var sym = oracle.Symbols.Single(s => s.Name == f.Name && s.Type == "FUNC");
                Assert.Equal(oracle.Section(sym.Section).Name, f.Section);
                Assert.Equal(sym.Value, f.SectionOffset);
                Assert.Equal(sym.Size / 8, f.Length);
                slot += f.Length;

                // Unrelocated slots are the object's bytes unchanged.
                for (int i = 0; i < f.Length; i++)
                {
                    if (prog.Relocations.Any(r => r.Slot == f.Slot + i || r.Slot == f.Slot + i - 1)) continue;
                    var raw = oracle.Objdump[f.Section].Lines.SingleOrDefault(l => l.Slot == (f.SectionOffset / 8) + i);
                    if (raw is null) continue; // the second half of a lddw is not a line of its own
                    Assert.Equal(Convert.ToHexStringLower(raw.Bytes.AsSpan(0, 8)), prog.Instructions[f.Slot + i].ToString());
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void RelocationsResolveAsTheSymbolTableSays(string fixture)
    {
        var oracle = ReadelfOracle.Of(PathOf(fixture));
        var obj = ObjectFile.Load(PathOf(fixture));
        int checkedCount = 0;
        foreach (var prog in obj.Programs)
        {
            foreach (var span in prog.Functions)
            {
                int section = oracle.Sections.Single(s => s.Name == span.Section).Index;
                foreach (var rel in oracle.Relocations.Where(r => r.TargetSection == section && r.Offset >= span.SectionOffset && r.Offset < span.SectionOffset + (span.Length * 8L)))
                {
                    int slot = span.Slot + (int)((rel.Offset - span.SectionOffset) / 8);
                    var insn = prog.Instructions[slot];
                    var sym = oracle.Symbols.Single(s => s.Index == rel.Symbol);
                    var symSection = oracle.Section(sym.Section);
                    int addend = oracle.ImmAt(section, rel.Offset);
                    Assert.Contains(prog.Relocations, r => r.Slot == slot);
                    if (rel.Type == "R_BPF_64_32")
                    {
                        // A call: the callee is the .text function at symbol + (imm + 1) slots.
                        long calleeOffset = sym.Value + ((addend + 1L) * 8);
                        var callee = oracle.Symbols.Single(s => s.Type == "FUNC" && s.Section == sym.Section && s.Value == calleeOffset);
                        Assert.Equal(Opcodes.Call, insn.OpCode);
                        Assert.Equal((byte)CallKind.Local, insn.SrcNumber);
                        Assert.Equal(prog.Functions.Single(f => f.Name == callee.Name).Slot, slot + 1 + insn.Imm);
                    }
                    else if (symSection.IsExecutable)
                    {
                        // A function address: the .text function at symbol + imm bytes.
                        var callee = oracle.Symbols.Single(s => s.Type == "FUNC" && s.Section == sym.Section && s.Value == sym.Value + addend);
                        Assert.Equal((byte)LoadImmKind.Func, insn.SrcNumber);
                        Assert.Equal(prog.Functions.Single(f => f.Name == callee.Name).Slot, slot + 1 + insn.Imm);
                    }
                    else if (symSection.Name is "maps" or ".maps")
                    {
                        Assert.Equal((byte)LoadImmKind.MapByFd, insn.SrcNumber);
                        Assert.Equal(sym.Name, obj.Maps[insn.Imm].Name);
                        Assert.Contains(sym.Name, prog.MapsUsed);
                    }
                    else
                    {
                        // Global data: map named by the section, offset = symbol value + addend in the second slot.
                        Assert.Equal((byte)LoadImmKind.MapValueByFd, insn.SrcNumber);
                        Assert.Equal(symSection.Name, obj.Maps[insn.Imm].Name);
                        Assert.Equal(sym.Value + addend, prog.Instructions[slot + 1].Imm);
                    }

                    checkedCount++;
                }
            }
        }

        int inPrograms = oracle.Relocations.Count(r => oracle.Section(r.TargetSection).IsExecutable);
        Assert.True(inPrograms == 0 || checkedCount > 0, $"{fixture}: {inPrograms} code relocations, none checked");
        Assert.Equal(inPrograms, obj.Relocations.Length);
    }

    [Fact]
    public void EachProgramGetsItsOwnCopyOfASharedSubprogram()
    {
        var obj = ObjectFile.Load(PathOf("globals-v3.o"));
        Assert.Equal(["xdp_first", "xdp_second", "tc_only"], obj.Programs.Select(p => p.Name));
        Assert.All(obj.Programs, p => Assert.Contains(p.Functions, f => f.Name == "clamp"));
        var second = obj.Programs[1];
        Assert.Equal(["xdp_second", "bump", "clamp"], second.Functions.Select(f => f.Name));
        Assert.Contains(second.Relocations, r => r.Kind == RelocationKind.FunctionAddress && r.Target == "bump");
        Assert.Equal(["tc_only", "clamp"], obj.Programs[2].Functions.Select(f => f.Name));
    }

    [Fact]
    public void GlobalDataSectionsBecomeOneEntryArrays()
    {
        var obj = ObjectFile.Load(PathOf("globals-v3.o"));
        Assert.Equal([".data", ".rodata", ".data.tagged", ".rodata.table", ".bss", ".rodata.str1.1"], obj.Maps.Select(m => m.Name));
        Assert.All(obj.Maps, m => Assert.Equal((MapType.Array, 4u, 1u), (m.Type, m.KeySize, m.MaxEntries)));
        var data = obj.Maps[0];
        Assert.Equal(4u, data.ValueSize);
        Assert.Equal(MapFlags.None, data.Flags);
        Assert.Equal([7, 0, 0, 0], data.Contents.Single().Value);
        Assert.Equal([0, 0, 0, 0], data.Contents.Single().Key);
        Assert.Equal(MapFlags.ReadOnlyProg, obj.Maps[1].Flags);
        Assert.Equal([100, 0, 0, 0], obj.Maps[1].Contents.Single().Value);
        Assert.Equal([1, 2, 3, 4], obj.Maps[3].Contents.Single().Value);
        var bss = obj.Maps[4];
        Assert.Equal(24u, bss.ValueSize);
        Assert.Empty(bss.Contents);
        Assert.Equal("hello, world!\0"u8.ToArray(), obj.Maps[5].Contents.Single().Value);
        Assert.Equal(["xdp_first", "xdp_second", "tc_only"], obj.Programs.Select(p => p.Name));
        Assert.Equal([".data", ".bss", ".rodata"], obj.Programs[0].MapsUsed);
        Assert.True(obj.Btf.HasValue && obj.Btf.Value.Length > 24);
        Assert.True(obj.BtfExt.HasValue && obj.BtfExt.Value.Length > 24);
        Assert.Equal(0xeb9f, BitConverter.ToUInt16(obj.Btf.Value.Span)); // BTF magic
    }

    [Fact]
    public void LegacyMapsAreReadFromStructBpfMapDef()
    {
        var obj = ObjectFile.Load(PathOf("legacy_maps-v3.o"));
        Assert.Equal("Dual BSD/GPL", obj.License);
        Assert.Equal(["packet_count", "flows", "wide_def"], obj.Maps.Select(m => m.Name));
        Assert.Equal((MapType.Array, 4u, 8u, 2u, MapFlags.None), Shape(obj.Maps[0]));
        Assert.Equal((MapType.Hash, 4u, 8u, 1024u, MapFlags.NoPrealloc), Shape(obj.Maps[1]));
        Assert.Equal((MapType.PerCpuArray, 4u, 4u, 1u, MapFlags.None), Shape(obj.Maps[2]));
        Assert.Empty(obj.BtfMaps);
        Assert.True(obj.BtfMapsResolved);
        var trace = obj.Programs.Single(p => p.Name == "trace_open");
        Assert.Equal("do_sys_open", trace.AttachTo);
        Assert.Equal(["flows", "wide_def"], trace.MapsUsed);
        Assert.True(obj.Programs.Single(p => p.Name == "unknown_section").UnknownSection);
    }

    private static (MapType, uint, uint, uint, MapFlags) Shape(MapSpec m) => (m.Type, m.KeySize, m.ValueSize, m.MaxEntries, m.Flags);

    private sealed class FixedResolver(MapSpec spec) : IBtfMapResolver
    {
        public List<(BtfMapDeclaration Map, int BtfLength)> Calls { get; } = [];

        public MapSpec Resolve(BtfMapDeclaration map, ReadOnlyMemory<byte>? btf)
        {
            Calls.Add((map, btf?.Length ?? -1));
            return spec;
        }
    }

    private sealed class RefusingResolver : IBtfMapResolver
    {
        public MapSpec Resolve(BtfMapDeclaration map, ReadOnlyMemory<byte>? btf) => throw new HbpfException(ErrorCode.BadArgument, "no such BTF variable");
    }

    [Fact]
    public void BtfMapsGoThroughTheResolverSeam()
    {
        var unresolved = ObjectFile.Load(PathOf("xdp_parse-v3.o"), BtfMapResolver.None);
        Assert.False(unresolved.BtfMapsResolved);
        var decl = Assert.Single(unresolved.BtfMaps);
        Assert.Equal(("counters", 0, 0L), (decl.Name, decl.MapIndex, decl.SectionOffset));
        Assert.Equal((MapType.Unspec, 0u), (unresolved.Maps[0].Type, unresolved.Maps[0].ValueSize));
        Assert.Equal(["counters"], unresolved.Programs[0].MapsUsed);

        var spec = new MapSpec { Name = "ignored", Type = MapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 4 };
        var resolver = new FixedResolver(spec);
        var resolved = ObjectFile.Load(PathOf("xdp_parse-v3.o"), resolver);
        Assert.True(resolved.BtfMapsResolved);
        Assert.Equal(spec with { Name = "counters" }, resolved.Maps[0]);
        Assert.Equal(unresolved.Btf!.Value.Length, Assert.Single(resolver.Calls).BtfLength);
        Assert.Equal(unresolved.Programs[0].Instructions, resolved.Programs[0].Instructions);

        var later = unresolved.ResolveBtfMaps(new FixedResolver(spec));
        Assert.Equal(resolved.Maps, later.Maps);

        var e = Assert.Throws<HbpfException>(() => unresolved.ResolveBtfMaps(new RefusingResolver()));
        Assert.Contains(".maps (counters)", e.Message, StringComparison.Ordinal);
        Assert.Contains("xdp_parse-v3.o", e.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.BadArgument, e.Code);
    }

    [Fact]
    public void StreamAndSpanReadsAgreeWithLoad()
    {
        string path = PathOf("subprogs-v4.o");
        var a = ObjectFile.Load(path);
        var b = ObjectFile.Read(File.ReadAllBytes(path), "x.o");
        using var stream = File.OpenRead(path);
        var c = ObjectFile.Read(stream, "y.o");
        Assert.Equal(a.Programs.Single().Instructions, b.Programs.Single().Instructions);
        Assert.Equal(a.Programs.Single().Instructions, c.Programs.Single().Instructions);
        Assert.Equal(a.Maps.Select(m => (m.Name, m.ValueSize)), b.Maps.Select(m => (m.Name, m.ValueSize)));
    }

    [Fact]
    public void MissingFileIsAnInputError()
    {
        var e = Assert.Throws<HbpfException>(() => ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, "no-such.o")));
        Assert.Equal(ErrorCode.FileNotReadable, e.Code);
    }
}
