using System.Buffers.Binary;
using HeteroBpf.Elf;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;

namespace HeteroBpf.Tests.Elf;

/// <summary><c>.maps</c> resolved from BTF by default, static <c>values</c> initialisers, and per-program line info.
/// Expectations are stated from the C sources in tests/fixtures (sizes computed by hand from the declared types).</summary>
public sealed class BtfMapResolverTests
{
    private static string PathOf(string fixture) => Path.Combine(RepoPaths.Fixtures, fixture);

    private sealed record Expected(string Name, MapType Type, uint Key, uint Value, uint Max, MapFlags Flags = MapFlags.None,
        PinType Pin = PinType.None, ulong Extra = 0, int? SpinLock = null, bool KeyTyped = true, bool ValueTyped = true);

    // From each fixture's SEC(".maps") declarations; every fixture with .maps must be listed.
    private static readonly Dictionary<string, Expected[]> BtfMaps = new()
    {
        // struct counters { u64; u64; u32; u32; u64 } = 32 bytes.
        ["atomics"] = [new("stats", MapType.Hash, 4, 32, 128)],
        // struct sample: int 0, float 4, double 8, union 16, bitfields 20, enum wide 24 (8), enum narrow 32, ptr 40, ptr 48 = 56.
        ["btf_kinds"] =
        [
            new("outer", MapType.ArrayOfMaps, 4, 4, 3, ValueTyped: false),
            new("jumps", MapType.ProgArray, 4, 4, 4, KeyTyped: false, ValueTyped: false),
            new("samples", MapType.Hash, 4, 56, 16, MapFlags.NoPrealloc, PinType.ByName),
            new("bloom", MapType.BloomFilter, 0, 8, 8, Extra: 5, KeyTyped: false, ValueTyped: false),
        ],
        // struct locked { u64 hits; struct bpf_spin_lock lock (4, at 8); u32 tail } = 16.
        ["map_init"] =
        [
            new("locks", MapType.Hash, 4, 16, 32, SpinLock: 8),
            new("inner_a", MapType.Array, 4, 4, 1),
            new("inner_b", MapType.Array, 4, 4, 1),
            new("outer", MapType.HashOfMaps, 4, 4, 4, ValueTyped: false),
            new("jump_table", MapType.ProgArray, 4, 4, 3, ValueTyped: false),
        ],
        ["all_maps"] =
        [
            new("array", MapType.Array, 4, 8, 8),
            new("percpu_array", MapType.PerCpuArray, 4, 8, 8),
            new("hash", MapType.Hash, 4, 8, 16),
            new("percpu_hash", MapType.PerCpuHash, 4, 8, 16),
            new("lru_hash", MapType.LruHash, 4, 8, 16),
            new("lru_percpu_hash", MapType.LruPerCpuHash, 4, 8, 16),
            new("lpm", MapType.LpmTrie, 8, 4, 32, MapFlags.NoPrealloc),
            new("queue", MapType.Queue, 0, 4, 8, KeyTyped: false),
            new("stack", MapType.Stack, 0, 4, 8, KeyTyped: false),
            new("devmap", MapType.DevMap, 4, 4, 4),
            new("cpumap", MapType.CpuMap, 4, 4, 2),
            new("xskmap", MapType.XskMap, 4, 4, 4),
        ],
        // No key or value types: a ring buffer has neither; the perf event array declares sizes only.
        ["ringbuf"] =
        [
            new("rb", MapType.RingBuf, 0, 0, 4096, KeyTyped: false, ValueTyped: false),
            new("events", MapType.PerfEventArray, 4, 4, 64, KeyTyped: false, ValueTyped: false),
        ],
        ["xdp_parse"] = [new("counters", MapType.Array, 4, 8, 4)],
        // Keyless, zero-seeded Bloom filters; pairs takes 3 hash functions from map_extra.
        ["bloom"] =
        [
            new("seen", MapType.BloomFilter, 0, 1, 8, MapFlags.ZeroSeed, KeyTyped: false),
            new("pairs", MapType.BloomFilter, 0, 4, 16, MapFlags.ZeroSeed, Extra: 3, KeyTyped: false),
            new("hits", MapType.Array, 4, 8, 3),
        ],
        ["xdp_helpers"] = [new("ports", MapType.DevMap, 4, 4, 4)],
    };

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (string f in RepoPaths.Glob(RepoPaths.Fixtures, "*.o")) data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void BtfMapsHaveTheShapesTheSourceDeclares(string fixture)
    {
        var obj = ObjectFile.Load(PathOf(fixture));
        string stem = fixture[..fixture.LastIndexOf('-')];
        var expected = BtfMaps.GetValueOrDefault(stem, []);
        Assert.True(obj.BtfMapsResolved);
        Assert.Equal(expected.Select(e => e.Name).Order(), obj.BtfMaps.Select(d => d.Name).Order());
        foreach (var e in expected)
        {
            var m = obj.Maps.Single(m => m.Name == e.Name && obj.BtfMaps.Any(d => d.MapIndex == obj.Maps.IndexOf(m)));
            Assert.Equal((e.Type, e.Key, e.Value, e.Max, e.Flags, e.Pin, e.Extra, e.SpinLock),
                (m.Type, m.KeySize, m.ValueSize, m.MaxEntries, m.Flags, m.Pinning, m.MapExtra, m.SpinLockOffset));
            Assert.Equal(e.KeyTyped, m.BtfKeyTypeId != 0);
            Assert.Equal(e.ValueTyped, m.BtfValueTypeId != 0);
        }
    }

    [Theory]
    [InlineData("btf_kinds-v3.o", MapType.Array, 4u, 8u, 2u)]
    [InlineData("map_init-v3.o", MapType.Array, 4u, 4u, 1u)]
    public void MapInMapCarriesItsInnerMap(string fixture, MapType type, uint key, uint value, uint max)
    {
        var outer = ObjectFile.Load(PathOf(fixture)).Maps.Single(m => m.Name == "outer");
        var inner = Assert.IsType<MapSpec>(outer.InnerMap);
        Assert.Equal(("outer.inner", type, key, value, max), (inner.Name, inner.Type, inner.KeySize, inner.ValueSize, inner.MaxEntries));
    }

    private static uint Key(MapEntrySpec e) => BinaryPrimitives.ReadUInt32LittleEndian(e.Key.AsSpan());

    [Fact]
    public void StaticValuesBecomeEntries()
    {
        var obj = ObjectFile.Load(PathOf("map_init-v3.o"));
        // outer = { .values = { [0] = &inner_a, [2] = &inner_b } }
        var outer = obj.Maps.Single(m => m.Name == "outer");
        Assert.Equal([(0u, (string?)null, (string?)"inner_a"), (2u, null, "inner_b")], outer.Contents.Select(c => (Key(c), c.ProgramName, c.MapName)));
        // jump_table = { .values = { [1] = &tail_one, [2] = &tail_two } }
        var jumps = obj.Maps.Single(m => m.Name == "jump_table");
        Assert.Equal([(1u, (string?)"tail_one", (string?)null), (2u, "tail_two", null)], jumps.Contents.Select(c => (Key(c), c.ProgramName, c.MapName)));
        Assert.All(jumps.Contents.Concat(outer.Contents), c => Assert.Empty(c.Value));
        Assert.Empty(obj.Maps.Single(m => m.Name == "locks").Contents);
        // The targets are entry programs and maps of the object.
        Assert.All(jumps.Contents, c => Assert.Contains(obj.Programs, p => p.Name == c.ProgramName));
    }

    [Fact]
    public void NoneLeavesMapsForLater()
    {
        var unresolved = ObjectFile.Load(PathOf("map_init-v3.o"), BtfMapResolver.None);
        Assert.False(unresolved.BtfMapsResolved);
        Assert.All(unresolved.BtfMaps, d => Assert.Equal(MapType.Unspec, unresolved.Maps[d.MapIndex].Type));
        Assert.Equal(2, unresolved.BtfMaps.Single(d => d.Name == "jump_table").Values.Length);
        var later = unresolved.ResolveBtfMaps(new BtfMapResolver());
        // MapSpec equality compares Contents by reference, so compare them as text.
        static string Text(MapSpec m) => (m with { Contents = [] }) + string.Join(",", m.Contents.Select(c => $"{Convert.ToHexString(c.Key.AsSpan())}:{c.ProgramName}{c.MapName}"));
        Assert.Equal(ObjectFile.Load(PathOf("map_init-v3.o")).Maps.Select(Text), later.Maps.Select(Text));
    }

    [Fact]
    public void AMissingMapIsAnErrorAtItsName()
    {
        var unresolved = ObjectFile.Load(PathOf("xdp_parse-v3.o"), BtfMapResolver.None);
        var renamed = unresolved with { BtfMaps = [unresolved.BtfMaps[0] with { Name = "nosuch" }] };
        var e = Assert.ThrowsAny<HbpfException>(() => renamed.ResolveBtfMaps(new BtfMapResolver()));
        Assert.Equal(ErrorCode.BtfBadMapDefinition, e.Code);
        Assert.Contains("xdp_parse-v3.o: section .maps (nosuch)", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void LinesAreTheSourceLines(string fixture)
    {
        var obj = ObjectFile.Load(PathOf(fixture));
        string[] source = File.ReadAllLines(PathOf(fixture[..fixture.LastIndexOf('-')] + ".c"));
        foreach (var p in obj.Programs)
        {
            Assert.NotEmpty(p.Lines);
            Assert.True(p.TryGetLine(0, out var first));
            Assert.Equal(0, first.Slot);
            foreach (var l in p.Lines)
            {
                Assert.Equal(source[l.Line - 1], l.Text);
                Assert.InRange(l.Slot, 0, p.Instructions.Length - 1);
            }

            // Each copied subprogram's first slot lies in that function's body in the source.
            foreach (var f in p.Functions.Skip(1))
            {
                Assert.True(p.TryGetLine(f.Slot, out var line), $"{p.Name}: {f.Name} has no line");
                var (start, end) = Body(source, f.Name);
                Assert.InRange(line.Line, start, end);
            }
        }
    }

    // 1-based lines of a function's definition: the line with "name(" that does not end in ';', to the next "}".
    private static (int Start, int End) Body(string[] source, string name)
    {
        int start = Array.FindIndex(source, s => s.Contains(name + "(", StringComparison.Ordinal) && !s.TrimEnd().EndsWith(';') && !s.StartsWith('\t'));
        Assert.True(start >= 0, name);
        int end = Array.FindIndex(source, start, s => s == "}");
        return (start + 1, end + 1);
    }

    [Fact]
    public void KnownInstructionsHaveTheirLines()
    {
        var obj = ObjectFile.Load(PathOf("map_init-v3.o"));
        string[] source = File.ReadAllLines(PathOf("map_init.c"));
        var entry = obj.Programs.Single(p => p.Name == "entry");
        AssertCallLine(entry, HelperId.SpinLock, source, "bpf_spin_lock(&l->lock);");
        AssertCallLine(entry, HelperId.MapLookupElem, source, "bpf_map_lookup_elem(&locks, &key);");
        AssertCallLine(entry, HelperId.TailCall, source, "bpf_tail_call(ctx, &jump_table, 1);");
    }

    private static void AssertCallLine(ProgramSpec p, HelperId helper, string[] source, string text)
    {
        int slot = p.Instructions.IndexOf(p.Instructions.First(i => i.OpCode == Opcodes.Call && i.SrcNumber == 0 && i.Imm == (int)helper));
        Assert.True(p.TryGetLine(slot, out var line));
        int expected = Array.FindIndex(source, s => s.Contains(text, StringComparison.Ordinal)) + 1;
        Assert.Equal(("map_init.c", expected), (Path.GetFileName(line.File), line.Line));
        Assert.Contains(text, line.Text, StringComparison.Ordinal);
    }
    [Fact]
    public void BadStaticValuesAreErrorsAtTheMap()
    {
        var unresolved = ObjectFile.Load(PathOf("map_init-v3.o"), BtfMapResolver.None);
        ObjectFile With(string map, BtfMapValueReference v) => unresolved with
        {
            BtfMaps = [.. unresolved.BtfMaps.Select(d => d.Name == map ? d with { Values = d.Values.Add(v) } : d)],
        };

        var jumps = unresolved.BtfMaps.Single(d => d.Name == "jump_table");
        long values = jumps.Values[0].Offset - 8; // slot 1 is the first initialised one
        foreach (var (map, v, says) in new[]
        {
            ("jump_table", new BtfMapValueReference(values + (3 * 8), "tail_one", true), "past max_entries 3"),
            ("jump_table", new BtfMapValueReference(values + 4, "tail_one", true), "not a slot of 'values'"),
            ("jump_table", new BtfMapValueReference(values, "inner_a", false), "holds map 'inner_a', but the map holds programs"),
            ("locks", new BtfMapValueReference(0, "tail_one", true), "need a prog array or map-in-map"),
        })
        {
            var e = Assert.ThrowsAny<HbpfException>(() => With(map, v).ResolveBtfMaps(new BtfMapResolver()));
            Assert.Equal(ErrorCode.BtfBadMapDefinition, e.Code);
            Assert.Contains($"section .maps ({map})", e.Message, StringComparison.Ordinal);
            Assert.Contains(says, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void RelMapsRelocationsAreChecked()
    {
        string file = PathOf("map_init-v3.o");
        var oracle = ReadelfOracle.Of(file);
        var rel = oracle.Sections.Single(s => s.Name == ".rel.maps");
        var b = File.ReadAllBytes(file);

        // Symbol 0 (the null symbol) does not exist as a target.
        var zero = (byte[])b.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(zero.AsSpan((int)rel.Offset + 12), 0);
        var e = Assert.Throws<ElfFormatException>(() => ObjectFile.Read(zero, "bad.o"));
        Assert.Equal(ErrorCode.ElfBadRelocation, e.Code);
        Assert.Contains("section .maps", e.Message, StringComparison.Ordinal);
        Assert.Contains("symbol 0 does not exist", e.Message, StringComparison.Ordinal);

        // A pointer to something that is neither an entry program nor a map: the LICENSE string.
        int license = oracle.Symbols.Single(s => s.Name == "LICENSE").Index;
        var other = (byte[])b.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(other.AsSpan((int)rel.Offset + 12), (uint)license);
        e = Assert.Throws<ElfFormatException>(() => ObjectFile.Read(other, "bad.o"));
        Assert.Equal(ErrorCode.ElfRelocationTarget, e.Code);
        Assert.Contains("against 'LICENSE'", e.Message, StringComparison.Ordinal);
    }
}
