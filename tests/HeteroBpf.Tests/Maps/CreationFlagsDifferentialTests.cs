using HeteroBpf.KernelOracle;
using HeteroBpf.Maps;

namespace HeteroBpf.Tests.Maps;

/// <summary>
/// BPF_MAP_CREATE's flag rules, every implemented map type × every flag bit of <c>linux/bpf.h</c> (and none), each
/// created here and in the kernel: both accept, or both refuse with the same errno.
/// </summary>
public sealed class CreationFlagsDifferentialTests
{
    private static readonly (MapType Type, uint Key, uint Value, uint Max)[] Shapes =
    [
        (MapType.Hash, 4, 8, 16), (MapType.Array, 4, 8, 16), (MapType.ProgArray, 4, 4, 16), (MapType.PerfEventArray, 4, 4, 2),
        (MapType.PerCpuHash, 4, 8, 16), (MapType.PerCpuArray, 4, 8, 16), (MapType.LruHash, 4, 8, 16), (MapType.LruPerCpuHash, 4, 8, 16),
        (MapType.LpmTrie, 8, 8, 16), (MapType.DevMap, 4, 4, 16), (MapType.CpuMap, 4, 4, 2), (MapType.XskMap, 4, 4, 16),
        (MapType.Queue, 0, 8, 16), (MapType.Stack, 0, 8, 16), (MapType.DevMapHash, 4, 4, 16), (MapType.RingBuf, 0, 0, 4096),
        (MapType.BloomFilter, 0, 8, 16),
    ];

    public static TheoryData<MapType, int> Cases()
    {
        var data = new TheoryData<MapType, int>();
        foreach (var s in Shapes)
        {
            for (int bit = -1; bit <= 12; bit++) data.Add(s.Type, bit);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FlagsAreTakenOrRefusedAsTheKernelDoes(MapType type, int bit)
    {
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        var shape = Shapes.Single(s => s.Type == type);
        var flags = bit < 0 ? MapFlags.None : (MapFlags)(1u << bit);
        // LPM tries must be created without preallocation; every other flag is tried on top of that.
        if (type == MapType.LpmTrie) flags |= MapFlags.NoPrealloc;
        var spec = new MapSpec { Name = "m", Type = type, KeySize = shape.Key, ValueSize = shape.Value, MaxEntries = shape.Max, Flags = flags };
        Errno ours = Errno.Ok;
        try
        {
            BpfMap.Create(spec).Dispose();
        }
        catch (MapSpecException e)
        {
            ours = e.Errno;
        }

        int fd = KernelBpf.CreateMap((uint)type, shape.Key, shape.Value, shape.Max, (uint)flags, out Errno kernel);
        if (fd >= 0)
        {
            KernelBpf.Close(fd);
            kernel = Errno.Ok;
        }

        // BPF_F_NUMA_NODE needs a node id the raw create does not pass (node 0 is valid either way).
        Assert.True(kernel == ours, $"{type} with {flags}: kernel {kernel}, ours {ours}");
    }
}
