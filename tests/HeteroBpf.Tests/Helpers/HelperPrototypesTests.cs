using HeteroBpf.Helpers;
using HeteroBpf.Maps;
using HeteroBpf.Offload;

namespace HeteroBpf.Tests.Helpers;

/// <summary>Every implemented helper has a kernel prototype, spelled in the kernel's vocabulary.</summary>
public sealed class HelperPrototypesTests
{
    [Fact]
    public void EveryHelperOfACollectionHasAPrototype()
    {
        var maps = new MapHelpers(Array.Empty<BpfMap>());
        var registry = HeteroBpf.Xdp.XdpOps.Instance.AddHelpers(new PrintfHelpers(new TraceLog()).AddTo(maps.AddTo(HelperRegistry.Basic)), maps);
        foreach (var id in registry.Ids)
        {
            Assert.True(registry.TryGetPrototype((int)id, out var prototype), $"{id} has no prototype");
            Assert.Equal(id, prototype.Id);
        }

        // bpf_tail_call, bpf_loop and bpf_for_each_map_elem are the interpreter's own, not registry entries.
        Assert.Equal(registry.Ids.Append(HelperId.TailCall).Append(HelperId.Loop).Append(HelperId.ForEachMapElem).Order(), HelperPrototypes.All.Select(p => p.Id));
    }

    [Fact]
    public void PrototypesReadAsTheKernelWritesThem()
    {
        Assert.True(HelperPrototypes.TryGet(HelperId.MapLookupElem, out var lookup));
        Assert.Equal(HelperReturn.PtrToMapValueOrNull, lookup.Returns);
        Assert.Equal(["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_KEY"], lookup.Args[..lookup.ArgCount].ToArray().Select(a => a.ToString()));
        Assert.True(HelperPrototypes.TryGet(HelperId.CsumDiff, out var csum));
        Assert.Equal("ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY", csum.Arg1.ToString());
        Assert.Equal("ARG_CONST_SIZE_OR_ZERO", csum.Arg2.ToString());
        Assert.Equal(5, csum.ArgCount);
        Assert.True(HelperPrototypes.TryGet(HelperId.MapPopElem, out var pop));
        Assert.Equal("ARG_PTR_TO_MAP_VALUE | MEM_UNINIT", pop.Arg2.ToString());
        Assert.False(HelperPrototypes.TryGet(HelperId.ProbeRead, out _));
    }
}
