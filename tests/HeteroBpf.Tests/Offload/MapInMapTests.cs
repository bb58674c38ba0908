using System.Collections.Immutable;
using HeteroBpf.Asm;
using HeteroBpf.Elf;
using HeteroBpf.Offload;

namespace HeteroBpf.Tests.Offload;

/// <summary>A map of maps whose initial entry names its inner map: the program looks up the slot, then uses it as a map.</summary>
public sealed class MapInMapTests
{
    private static readonly MapSpec Inner = new()
    {
        Name = "inner",
        Type = MapType.Array,
        KeySize = 4,
        ValueSize = 8,
        MaxEntries = 1,
        Contents = [new MapEntrySpec([0, 0, 0, 0], [42, 0, 0, 0, 0, 0, 0, 0])],
    };

    private static ObjectFile Object(ImmutableArray<MapEntrySpec> outerContents) => new()
    {
        Name = "map-in-map",
        Maps =
        [
            Inner,
            new MapSpec { Name = "outer", Type = MapType.ArrayOfMaps, KeySize = 4, ValueSize = 4, MaxEntries = 2, InnerMap = Inner with { Contents = [] }, Contents = outerContents },
        ],
        Programs =
        [
            new ProgramSpec
            {
                Name = "nested",
                SectionName = "socket",
                Type = ProgramType.SocketFilter,
                Instructions = [.. Assembler.Assemble("""
                    r1 = 0x0
                    *(u32 *)(r10 - 0x4) = r1
                    ld_pseudo r1, 0x1, 0x1
                    r2 = r10
                    r2 += -0x4
                    call 0x1
                    if r0 == 0x0 goto fail
                    r1 = r0
                    r2 = r10
                    r2 += -0x4
                    call 0x1
                    if r0 == 0x0 goto fail
                    r0 = *(u64 *)(r0 + 0x0)
                    exit
                    fail:
                    r0 = -0x1
                    exit
                    """, "nested.s")],
            },
        ],
    };

    [Fact]
    public void AnInnerMapNamedByTheOuterMapsContentsIsReachable()
    {
        using var collection = BpfCollection.Load(Object([new MapEntrySpec([0, 0, 0, 0], [], MapName: "inner")]));
        Assert.Equal(42ul, collection.Programs[0].Run(new byte[16]).ReturnValue);
    }

    [Fact]
    public void AnEmptySlotIsAMiss()
    {
        using var collection = BpfCollection.Load(Object([]));
        Assert.Equal(ulong.MaxValue, collection.Programs[0].Run(new byte[16]).ReturnValue);
    }

    [Fact]
    public void AContentNamingNoMapIsALoadError()
    {
        var ex = Assert.ThrowsAny<HbpfException>(() => BpfCollection.Load(Object([new MapEntrySpec([0, 0, 0, 0], [], MapName: "missing")])));
        Assert.Contains("'missing'", ex.Message, StringComparison.Ordinal);
    }
}
