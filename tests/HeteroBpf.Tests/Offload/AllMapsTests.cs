using HeteroBpf.Elf;
using HeteroBpf.Offload;

namespace HeteroBpf.Tests.Offload;

/// <summary>
/// The <c>all_maps</c> fixture declares one BTF-defined map of every implemented type; each must load with the shape
/// its C declaration gives, and a program touching them all must run through the map helpers.
/// </summary>
public sealed class AllMapsTests
{
    public static TheoryData<string> Fixtures() => new(["all_maps-v2.o", "all_maps-v3.o", "all_maps-v4.o"]);

    // (name, type, key size, value size, max entries), from all_maps.c.
    private static readonly (string Name, MapType Type, int Key, int Value, int Max)[] Declared =
    [
        ("array", MapType.Array, 4, 8, 8),
        ("percpu_array", MapType.PerCpuArray, 4, 8, 8),
        ("hash", MapType.Hash, 4, 8, 16),
        ("percpu_hash", MapType.PerCpuHash, 4, 8, 16),
        ("lru_hash", MapType.LruHash, 4, 8, 16),
        ("lru_percpu_hash", MapType.LruPerCpuHash, 4, 8, 16),
        ("lpm", MapType.LpmTrie, 8, 4, 32),
        ("queue", MapType.Queue, 0, 4, 8),
        ("stack", MapType.Stack, 0, 4, 8),
        ("devmap", MapType.DevMap, 4, 4, 4),
        ("cpumap", MapType.CpuMap, 4, 4, 2),
        ("xskmap", MapType.XskMap, 4, 4, 4),
    ];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void EveryMapLoadsWithItsDeclaredShapeAndTheProgramUsesThemAll(string fixture)
    {
        using var collection = BpfCollection.Load(ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture)));
        foreach (var (name, type, key, value, max) in Declared)
        {
            var map = collection.Map(name);
            Assert.Equal((name, type, key, value, max), (name, map.Type, map.KeySize, map.ValueSize, map.MaxEntries));
        }

        // Six maps of u64 42, the LPM trie, queue and stack of u32 7: 6 * 42 + 3 * 7.
        Assert.Equal(6UL * 42 + 3 * 7, collection.Program("touch").Run(new byte[64]).ReturnValue);
    }
}

/// <summary><c>bpf_for_each_map_elem</c>, which the interpreter runs itself (its callback is a subprogram of the caller).</summary>
public sealed class ForEachMapElemTests
{
    [Theory]
    [InlineData("all_maps-v2.o")]
    [InlineData("all_maps-v3.o")]
    [InlineData("all_maps-v4.o")]
    public void VisitsEveryElementAndStopsWhenTheCallbackSaysSo(string fixture)
    {
        using var collection = BpfCollection.Load(ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture)));
        // Hash {0: 10, 1: 20, 2: 30} weighted by key + 1: 10 + 40 + 90 = 140, 3 visits; the array walk stops after
        // its second element (2 calls, result 2).
        Assert.Equal(140UL * 1000 + 3 * 100 + 2 * 10 + 2, collection.Program("walk").Run(new byte[64]).ReturnValue);
    }
}

/// <summary>A runtime fault in a program loaded from an object names its section, slot and C source line.</summary>
public sealed class FaultLocationTests
{
    [Theory]
    [InlineData("xdp_parse-v2.o")]
    [InlineData("xdp_parse-v4.o")]
    public void FaultNamesTheCSourceLineOfTheFaultingInstruction(string fixture)
    {
        using var collection = BpfCollection.Load(ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture)));
        // R1 stands for the context: with a 2-byte "context" the first context read (data_end, 4 bytes at offset 4) faults.
        var fault = Assert.Throws<BpfFaultException>(() => collection.Program("xdp_parse").Run(new byte[2]));

        string[] source = File.ReadAllLines(Path.Combine(RepoPaths.Fixtures, "xdp_parse.c"));
        int expected = Array.FindIndex(source, l => l.Contains("ctx->data_end", StringComparison.Ordinal)) + 1;
        Assert.Equal("xdp", fault.Location.Section);
        Assert.Equal(expected, fault.Location.SourceLine);
        Assert.Equal("xdp_parse.c", Path.GetFileName(fault.Location.SourceFile));
        Assert.Contains($"xdp_parse.c:{expected}", fault.Message);
        Assert.Equal(fault.Slot, fault.Location.Instruction);
    }
}
