using System.Diagnostics;
using System.Text.Json.Nodes;
using HeteroBpf.Btf;

namespace HeteroBpf.Tests.Btf;

/// <summary>.BTF of the fixtures and of the running kernel against bpftool, plus the loader's queries.</summary>
public sealed class BtfSpecTests
{
    private const string Vmlinux = "/sys/kernel/btf/vmlinux";

    public static TheoryData<string> Objects => BtfFixtures.ObjectNames;

    [Theory]
    [MemberData(nameof(Objects))]
    public void EveryTypeOfAFixtureMatchesBpftool(string name)
    {
        var btf = BtfSpec.Parse(BtfFixtures.Get(name).Btf);
        var expected = BtfFixtures.BpftoolTypes(BtfFixtures.PathOf(name));
        Assert.Equal(expected.Count, btf.Count - 1);
        for (int id = 1; id < btf.Count; id++) AssertSameAsBpftool(expected[id - 1]!, btf[id]);
    }

    [Fact]
    public void KernelBtfParsesCompletelyAndMatchesBpftool()
    {
        if (!File.Exists(Vmlinux)) Assert.Skip($"{Vmlinux} is absent: the kernel was built without CONFIG_DEBUG_INFO_BTF");
        byte[] blob = File.ReadAllBytes(Vmlinux);
        var clock = Stopwatch.StartNew();
        var btf = BtfSpec.Parse(blob);
        long cold = clock.ElapsedMilliseconds;
        clock.Restart();
        BtfSpec.Parse(blob);
        // Reported, not asserted: speed is measured in bench/, and this machine's cores are shared.
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Vmlinux}: {btf.Count - 1} types, {blob.Length} bytes, parsed in {cold} ms (first, with JIT) and {clock.ElapsedMilliseconds} ms (again)");

        var expected = BtfFixtures.BpftoolTypes(Vmlinux);
        Assert.True(expected.Count > 100_000, $"bpftool lists only {expected.Count} types");
        Assert.Equal(expected.Count, btf.Count - 1);
        // A fixed sample with every kind in it: every 37th id, the first and last ids, and the first of each kind.
        var firstOfKind = new Dictionary<BtfKind, int>();
        for (int id = 1; id < btf.Count; id++) firstOfKind.TryAdd(btf[id].Kind, id);
        var sample = Enumerable.Range(1, btf.Count - 1).Where(id => id % 37 == 0).Concat([1, btf.Count - 1]).Concat(firstOfKind.Values);
        foreach (int id in sample) AssertSameAsBpftool(expected[id - 1]!, btf[id]);

        // The name index against a scan of bpftool's list: same ids, ascending, for names that repeat too.
        foreach (int id in sample.Where(id => btf[id].Name.Length > 0).Take(200))
        {
            string name = btf[id].Name;
            var byScan = expected.Where(t => (string)t!["name"]! == name).Select(t => (int)t!["id"]!);
            Assert.Equal(byScan, btf.FindAll(name).Select(t => t.Id));
            Assert.Equal(btf.FindAll(name).First(t => t.Kind == btf[id].Kind), btf.Find(name, btf[id].Kind));
        }
    }

    [Fact]
    public void KernelStructMembersFitTheirStructs()
    {
        // An oracle for SizeOf independent of bpftool: the compiler laid every member inside its struct, so each
        // non-bitfield member's offset plus its computed size must be within the struct's declared size.
        if (!File.Exists(Vmlinux)) Assert.Skip($"{Vmlinux} is absent");
        var btf = BtfSpec.Parse(File.ReadAllBytes(Vmlinux));
        int checkedMembers = 0;
        foreach (var c in btf.Types.OfType<BtfComposite>())
        {
            foreach (var m in c.Members)
            {
                if (m.BitfieldSize != 0 || btf.Resolve(m.TypeId) is BtfFwd or BtfFuncProto) continue;
                long end = (m.BitOffset / 8) + btf.SizeOf(m.TypeId);
                Assert.True(end <= c.Size, $"{c}: member {m.Name} ends at byte {end}, beyond the size {c.Size}");
                checkedMembers++;
            }
        }

        Assert.True(checkedMembers > 50_000, $"only {checkedMembers} members checked");
    }

    [Fact]
    public void QueriesFindResolveAndSize()
    {
        var btf = BtfSpec.Parse(BtfFixtures.Get("btf_kinds-v4.o").Btf);
        var sample = Assert.IsType<BtfStruct>(btf.Find("sample", BtfKind.Struct));
        Assert.Equal(56, btf.SizeOf(sample.Id));
        Assert.Equal(["id", "ratio", "scale", "u", "flag", "rest", "w", "n", "hidden", "tagged"], sample.Members.Select(m => m.Name));
        var rest = sample.Members[5];
        Assert.Equal((163u, 5), (rest.BitOffset, rest.BitfieldSize));

        var typedef = Assert.IsType<BtfTypedef>(btf.Find("sample_t"));
        Assert.Same(sample, btf.Resolve(typedef.Id));
        Assert.Equal(56, btf.SizeOf(typedef.Id));

        // config is "volatile const __u64": VAR -> CONST -> VOLATILE -> TYPEDEF __u64 -> INT.
        var config = Assert.IsType<BtfVar>(btf.Find("config", BtfKind.Var));
        var u64 = Assert.IsType<BtfInt>(btf.Resolve(config.TypeId));
        Assert.Equal((8u, 64, BtfIntEncoding.None), (u64.Size, u64.Bits, u64.Encoding));
        Assert.Equal(8, btf.SizeOf(config.Id));

        var wide = Assert.IsType<BtfEnum64>(btf.Find("wide"));
        Assert.Equal([("WIDE_SMALL", 1L), ("WIDE_BIG", 0x123456789aL)], wide.Values.Select(v => (v.Name, v.Value)));
        var narrow = Assert.IsType<BtfEnum>(btf.Find("narrow"));
        Assert.True(narrow.IsSigned);
        Assert.Equal(-3, narrow.Values[0].Value);
        Assert.IsType<BtfFwd>(btf.Find("opaque"));
        var tag = Assert.IsType<BtfTypeTag>(btf.Find("user"));
        Assert.Equal(4, btf.SizeOf(tag.Id));
        Assert.Equal(8, btf.SizeOf(btf.Types.OfType<BtfPtr>().Single(p => p.TargetId == tag.Id).Id));
        Assert.Contains(btf.Types.OfType<BtfDeclTag>(), t => t is { Name: "member_tag", ComponentIndex: 0 } && t.TypeId == sample.Id);
        Assert.Contains(btf.Types.OfType<BtfDeclTag>(), t => t is { Name: "struct_tag", ComponentIndex: -1 } && t.TypeId == sample.Id);

        Assert.NotNull(btf.FindDatasec(".rodata"));
        Assert.Null(btf.FindDatasec(".bss"));
        Assert.Null(btf.Find("no_such_type"));
        Assert.Equal(BtfKind.Func, btf.Find("helper")!.Kind);
        Assert.Single(btf.FindAll("int"));
        Assert.IsType<BtfVoid>(btf[0]);

        var funcProto = btf.Types.OfType<BtfFuncProto>().First();
        var e = Assert.Throws<BtfFormatException>(() => btf.SizeOf(funcProto.Id));
        Assert.Equal(ErrorCode.BtfTypeHasNoSize, e.Code);
        Assert.Equal(ErrorCode.BtfBadTypeId, Assert.Throws<BtfFormatException>(() => btf[btf.Count]).Code);
    }

    [Fact]
    public void MapsOfTheKindsFixtureDecodeAsLibbpfWould()
    {
        var btf = BtfSpec.Parse(BtfFixtures.Get("btf_kinds-v4.o").Btf);
        var maps = btf.GetMaps().ToDictionary(m => m.Name);
        Assert.Equal(["samples", "jumps", "outer", "bloom"], btf.GetMaps().Select(m => m.Name));

        var samples = maps["samples"].Definition;
        Assert.Equal((uint)MapType.Hash, samples.MapType);
        Assert.Equal((16u, 1u, 1u), (samples.MaxEntries, samples.MapFlags, samples.Pinning));
        Assert.Equal((4u, 56u), (samples.KeySize, samples.ValueSize));
        Assert.Equal("__u32", btf[samples.KeyTypeId].Name);
        Assert.Equal("sample_t", btf[samples.ValueTypeId].Name);
        Assert.Equal(48u, maps["samples"].Size);

        var jumps = maps["jumps"].Definition;
        Assert.Equal((uint)MapType.ProgArray, jumps.MapType);
        Assert.Equal((4u, 4u, 4u), (jumps.MaxEntries, jumps.KeySize, jumps.ValueSize));
        Assert.IsType<BtfFuncProto>(btf[jumps.ValuesProtoId]);
        Assert.True(jumps.Fields.HasFlag(BtfMapFields.ProgramValues));
        Assert.Null(jumps.InnerMap);

        var outer = maps["outer"].Definition;
        Assert.Equal((uint)MapType.ArrayOfMaps, outer.MapType);
        Assert.Equal((3u, 4u, 4u), (outer.MaxEntries, outer.KeySize, outer.ValueSize));
        var inner = Assert.IsType<BtfMapDefinition>(outer.InnerMap);
        Assert.Equal("outer.inner", inner.Name);
        Assert.Equal((uint)MapType.Array, inner.MapType);
        Assert.Equal((2u, 4u, 8u), (inner.MaxEntries, inner.KeySize, inner.ValueSize));
        Assert.Equal("inner_map", btf[inner.StructTypeId].Name);

        var bloom = maps["bloom"].Definition;
        Assert.Equal((uint)MapType.BloomFilter, bloom.MapType);
        Assert.Equal((8u, 0u, 8u, 5ul), (bloom.MaxEntries, bloom.KeySize, bloom.ValueSize, bloom.MapExtra));
        Assert.Equal(0, bloom.KeyTypeId);
        Assert.All(maps.Values, m => Assert.Empty(m.Definition.IgnoredFields));
    }

    [Fact]
    public void XdpParseCountersMap()
    {
        var map = Assert.Single(BtfSpec.Parse(BtfFixtures.Get("xdp_parse-v3.o").Btf).GetMaps());
        Assert.Equal("counters", map.Name);
        Assert.Equal(((uint)MapType.Array, 4u, 4u, 8u), (map.Definition.MapType, map.Definition.MaxEntries, map.Definition.KeySize, map.Definition.ValueSize));
    }

    [Fact]
    public void ObjectsWithoutMapsHaveNone()
    {
        Assert.Empty(BtfSpec.Parse(BtfFixtures.Get("swaps-v4.o").Btf).GetMaps());
    }

    private static void AssertSameAsBpftool(JsonNode expected, BtfType actual)
    {
        var mine = BtfFixtures.ToBpftoolJson(actual);
        Assert.True(JsonNode.DeepEquals(expected, mine), $"type [{actual.Id}]:\n bpftool: {expected.ToJsonString()}\n ours:    {mine.ToJsonString()}");
    }
}
