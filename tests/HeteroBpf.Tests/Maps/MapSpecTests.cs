using HeteroBpf.KernelOracle;
using HeteroBpf.Maps;

namespace HeteroBpf.Tests.Maps;

/// <summary>Creation checks: each refused spec gives its error code and the errno the kernel's BPF_MAP_CREATE gives (checked against it when available).</summary>
public sealed class MapSpecTests
{
    public static TheoryData<string, MapType, uint, uint, uint, MapFlags, ErrorCode, Errno> Refused() => new()
    {
        { "array key 8", MapType.Array, 8, 4, 4, MapFlags.None, ErrorCode.MapKeySizeInvalid, Errno.EINVAL },
        { "array key 0", MapType.Array, 0, 4, 4, MapFlags.None, ErrorCode.MapKeySizeInvalid, Errno.EINVAL },
        { "array value 0", MapType.Array, 4, 0, 4, MapFlags.None, ErrorCode.MapValueSizeInvalid, Errno.EINVAL },
        { "array max 0", MapType.Array, 4, 4, 0, MapFlags.None, ErrorCode.MapMaxEntriesInvalid, Errno.EINVAL },
        { "array no-prealloc", MapType.Array, 4, 4, 4, MapFlags.NoPrealloc, ErrorCode.MapFlagsInvalid, Errno.EINVAL },
        { "array unknown flag", MapType.Array, 4, 4, 4, (MapFlags)(1u << 20), ErrorCode.MapFlagsInvalid, Errno.EINVAL },
        { "array rdonly+wronly prog", MapType.Array, 4, 4, 4, MapFlags.ReadOnlyProg | MapFlags.WriteOnlyProg, ErrorCode.MapFlagsInvalid, Errno.EINVAL },
        { "array rdonly+wronly", MapType.Array, 4, 4, 4, MapFlags.ReadOnly | MapFlags.WriteOnly, ErrorCode.MapFlagsInvalid, Errno.EINVAL },
        { "array value above INT_MAX", MapType.Array, 4, 1u << 31, 1, MapFlags.None, ErrorCode.MapValueSizeInvalid, Errno.E2BIG },
        { "percpu array mmapable", MapType.PerCpuArray, 4, 4, 4, MapFlags.Mmapable, ErrorCode.MapFlagsInvalid, Errno.EINVAL },
        { "percpu array value 32K+1", MapType.PerCpuArray, 4, 32 * 1024 + 1, 4, MapFlags.None, ErrorCode.MapValueSizeInvalid, Errno.E2BIG },
        { "hash key 0", MapType.Hash, 0, 4, 4, MapFlags.None, ErrorCode.MapKeySizeInvalid, Errno.EINVAL },
        { "hash value 0", MapType.Hash, 4, 0, 4, MapFlags.None, ErrorCode.MapValueSizeInvalid, Errno.EINVAL },
        { "hash max 0", MapType.Hash, 4, 4, 0, MapFlags.None, ErrorCode.MapMaxEntriesInvalid, Errno.EINVAL },
        { "hash mmapable", MapType.Hash, 4, 4, 4, MapFlags.Mmapable, ErrorCode.MapFlagsInvalid, Errno.EINVAL },
        { "hash no-common-lru", MapType.Hash, 4, 4, 4, MapFlags.NoCommonLru, ErrorCode.MapFlagsInvalid, Errno.EINVAL },
        { "hash 4 MiB value", MapType.Hash, 4, 4 << 20, 4, MapFlags.None, ErrorCode.MapValueSizeInvalid, Errno.E2BIG },
        { "percpu hash value 32K+1", MapType.PerCpuHash, 4, 32 * 1024 + 1, 4, MapFlags.None, ErrorCode.MapValueSizeInvalid, Errno.E2BIG },
        { "lru no-prealloc", MapType.LruHash, 4, 4, 4, MapFlags.NoPrealloc, ErrorCode.MapFlagsInvalid, Errno.ENOTSUPP },
        { "queue with key", MapType.Queue, 4, 4, 4, MapFlags.None, ErrorCode.MapKeySizeInvalid, Errno.EINVAL },
        { "stack value 0", MapType.Stack, 0, 0, 4, MapFlags.None, ErrorCode.MapValueSizeInvalid, Errno.EINVAL },
        { "stack max 0", MapType.Stack, 0, 4, 0, MapFlags.None, ErrorCode.MapMaxEntriesInvalid, Errno.EINVAL },
        { "queue zero seed", MapType.Queue, 0, 4, 4, MapFlags.ZeroSeed, ErrorCode.MapFlagsInvalid, Errno.EINVAL },
        { "queue value above kmalloc", MapType.Queue, 0, (4 << 20) + 1, 1, MapFlags.None, ErrorCode.MapValueSizeInvalid, Errno.E2BIG },
        { "lpm preallocated", MapType.LpmTrie, 8, 4, 4, MapFlags.None, ErrorCode.MapFlagsInvalid, Errno.EINVAL },
        { "lpm key 4", MapType.LpmTrie, 4, 4, 4, MapFlags.NoPrealloc, ErrorCode.MapKeySizeInvalid, Errno.EINVAL },
        { "lpm key 261", MapType.LpmTrie, 261, 4, 4, MapFlags.NoPrealloc, ErrorCode.MapKeySizeInvalid, Errno.EINVAL },
        { "lpm value 0", MapType.LpmTrie, 8, 0, 4, MapFlags.NoPrealloc, ErrorCode.MapValueSizeInvalid, Errno.EINVAL },
        { "lpm max 0", MapType.LpmTrie, 8, 4, 0, MapFlags.NoPrealloc, ErrorCode.MapMaxEntriesInvalid, Errno.EINVAL },
        { "lpm zero seed", MapType.LpmTrie, 8, 4, 4, MapFlags.NoPrealloc | MapFlags.ZeroSeed, ErrorCode.MapFlagsInvalid, Errno.EINVAL },
        { "prog array value 8", MapType.ProgArray, 4, 8, 4, MapFlags.None, ErrorCode.MapValueSizeInvalid, Errno.EINVAL },
        { "prog array mmapable", MapType.ProgArray, 4, 4, 4, MapFlags.Mmapable, ErrorCode.MapFlagsInvalid, Errno.EINVAL },
        { "prog array key 8", MapType.ProgArray, 8, 4, 4, MapFlags.None, ErrorCode.MapKeySizeInvalid, Errno.EINVAL },
        { "hash of maps value 8", MapType.HashOfMaps, 4, 8, 4, MapFlags.None, ErrorCode.MapValueSizeInvalid, Errno.EINVAL },
        { "unknown type", (MapType)200, 4, 4, 4, MapFlags.None, ErrorCode.MapTypeUnsupported, Errno.EINVAL },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void RefusedLikeTheKernel(string name, MapType type, uint keySize, uint valueSize, uint maxEntries, MapFlags flags, ErrorCode code, Errno errno)
    {
        var spec = new MapSpec { Name = "m", Type = type, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries, Flags = flags };
        var e = Assert.Throws<MapSpecException>(() => BpfMap.Create(spec));
        Assert.Equal(code, e.Code);
        Assert.Equal(errno, e.Errno);
        Assert.Contains("map 'm'", e.Message, StringComparison.Ordinal);

        if (KernelBpf.UnavailableReason is { } unavailable) Assert.Skip(unavailable);
        int fd = KernelBpf.CreateMap((uint)type, keySize, valueSize, maxEntries, (uint)flags, out Errno kernel);
        if (fd >= 0) KernelBpf.Close(fd);
        Assert.True(fd < 0, $"{name}: the kernel accepts what we refuse");
        Assert.True(kernel == errno, $"{name}: the kernel gives {kernel}, we give {errno}");
    }

    [Theory]
    [InlineData(MapType.Array, 4u, 1u, 1u, MapFlags.Mmapable | MapFlags.ReadOnlyProg)]
    [InlineData(MapType.PerCpuArray, 4u, 32u * 1024, 2u, MapFlags.None)]
    [InlineData(MapType.Hash, 512u, 1u, 1u, MapFlags.NoPrealloc | MapFlags.ZeroSeed)]
    [InlineData(MapType.LruPerCpuHash, 1u, 1u, 3u, MapFlags.NoCommonLru)]
    [InlineData(MapType.Stack, 0u, 1u, 1u, MapFlags.ReadOnly)]
    [InlineData(MapType.LpmTrie, 260u, 1u, 1u, MapFlags.NoPrealloc)]
    [InlineData(MapType.LpmTrie, 5u, 4096u, 2u, MapFlags.NoPrealloc | MapFlags.ReadOnlyProg)]
    public void AcceptedLikeTheKernel(MapType type, uint keySize, uint valueSize, uint maxEntries, MapFlags flags)
    {
        var spec = new MapSpec { Name = "m", Type = type, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries, Flags = flags };
        using (BpfMap.Create(spec)) { }
        if (KernelBpf.UnavailableReason is { } unavailable) Assert.Skip(unavailable);
        int fd = KernelBpf.CreateMap((uint)type, keySize, valueSize, maxEntries, (uint)flags, out Errno kernel);
        Assert.True(fd >= 0, $"the kernel refuses what we accept: {kernel}");
        KernelBpf.Close(fd);
    }

    [Theory]
    [InlineData(MapType.ArrayOfMaps)]
    [InlineData(MapType.HashOfMaps)]
    public void MapOfMapsNeedsItsInnerMap(MapType type)
    {
        var spec = new MapSpec { Name = "outer", Type = type, KeySize = 4, ValueSize = 4, MaxEntries = 2 };
        var e = Assert.Throws<MapSpecException>(() => BpfMap.Create(spec));
        Assert.Equal(ErrorCode.MapInnerMapMissing, e.Code);
        using (BpfMap.Create(spec with { InnerMap = spec with { Type = MapType.Array } })) { }
    }

    [Fact]
    public void UnimplementedTypeSaysSo()
    {
        var spec = new MapSpec { Name = "urb", Type = MapType.UserRingBuf, KeySize = 0, ValueSize = 0, MaxEntries = 4096 };
        var e = Assert.Throws<MapSpecException>(() => BpfMap.Create(spec));
        Assert.Equal(ErrorCode.MapTypeUnsupported, e.Code);
        Assert.Contains("not implemented", e.Message, StringComparison.Ordinal);
    }
}
