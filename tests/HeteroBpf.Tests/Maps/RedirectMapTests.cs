using System.Buffers.Binary;
using System.Text;
using HeteroBpf.KernelOracle;
using HeteroBpf.Maps;

namespace HeteroBpf.Tests.Maps;

/// <summary>
/// DEVMAP, DEVMAP_HASH, CPUMAP, XSKMAP: creation rules against the kernel's; element commands against the kernel's
/// wherever they need no real device, CPU thread or socket (ifindex 0, qsize 0, refused flags, keys and values, fd -1:
/// a nonzero ifindex would make the kernel look up an interface, a nonzero qsize start a kthread, a socket fd need an
/// AF_XDP socket, so those are checked here only); stored targets and the devmap hash's walk order here.
/// </summary>
public sealed class RedirectMapTests
{
    private static MapSpec Spec(MapType type, uint keySize, uint valueSize, uint maxEntries, MapFlags flags = MapFlags.None) =>
        new() { Name = "targets", Type = type, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries, Flags = flags };

    public static TheoryData<string, MapType, uint, uint, uint, MapFlags, Errno> Refused() => new()
    {
        { "devmap value 12", MapType.DevMap, 4, 12, 4, MapFlags.None, Errno.EINVAL },
        { "devmap value 0", MapType.DevMap, 4, 0, 4, MapFlags.None, Errno.EINVAL },
        { "devmap key 8", MapType.DevMap, 8, 4, 4, MapFlags.None, Errno.EINVAL },
        { "devmap max 0", MapType.DevMap, 4, 4, 0, MapFlags.None, Errno.EINVAL },
        { "devmap no-prealloc", MapType.DevMap, 4, 4, 4, MapFlags.NoPrealloc, Errno.EINVAL },
        { "devmap mmapable", MapType.DevMap, 4, 4, 4, MapFlags.Mmapable, Errno.EINVAL },
        { "devmap rdonly prog", MapType.DevMap, 4, 4, 4, MapFlags.ReadOnlyProg, Errno.EINVAL },
        { "devmap hash value 16", MapType.DevMapHash, 4, 16, 4, MapFlags.None, Errno.EINVAL },
        { "devmap hash max 0", MapType.DevMapHash, 4, 4, 0, MapFlags.None, Errno.EINVAL },
        { "cpumap value 12", MapType.CpuMap, 4, 12, 4, MapFlags.None, Errno.EINVAL },
        { "cpumap key 2", MapType.CpuMap, 2, 4, 4, MapFlags.None, Errno.EINVAL },
        { "cpumap rdonly", MapType.CpuMap, 4, 4, 4, MapFlags.ReadOnly, Errno.EINVAL },
        { "cpumap max 0", MapType.CpuMap, 4, 4, 0, MapFlags.None, Errno.EINVAL },
        { "cpumap above NR_CPUS", MapType.CpuMap, 4, 4, MapSpecCheck.KernelMaxCpus + 1, MapFlags.None, Errno.E2BIG },
        { "xskmap value 8", MapType.XskMap, 4, 8, 4, MapFlags.None, Errno.EINVAL },
        { "xskmap key 8", MapType.XskMap, 8, 4, 4, MapFlags.None, Errno.EINVAL },
        { "xskmap max 0", MapType.XskMap, 4, 4, 0, MapFlags.None, Errno.EINVAL },
        { "xskmap zero seed", MapType.XskMap, 4, 4, 4, MapFlags.ZeroSeed, Errno.EINVAL },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void RefusedLikeTheKernel(string name, MapType type, uint keySize, uint valueSize, uint maxEntries, MapFlags flags, Errno errno)
    {
        var e = Assert.Throws<MapSpecException>(() => BpfMap.Create(Spec(type, keySize, valueSize, maxEntries, flags)));
        Assert.Equal(errno, e.Errno);
        KernelCreation.AssertRefused(name, type, keySize, valueSize, maxEntries, flags, errno);
    }

    [Theory]
    [InlineData(MapType.DevMap, 4u, 4u, MapFlags.ReadOnly)]
    [InlineData(MapType.DevMap, 8u, 64u, MapFlags.NumaNode)]
    [InlineData(MapType.DevMapHash, 8u, 3u, MapFlags.WriteOnly)]
    [InlineData(MapType.CpuMap, 4u, 2u, MapFlags.None)]
    [InlineData(MapType.CpuMap, 8u, 0u, MapFlags.NumaNode)]
    [InlineData(MapType.XskMap, 4u, 16u, MapFlags.ReadOnly)]
    public void AcceptedLikeTheKernel(MapType type, uint valueSize, uint maxEntries, MapFlags flags)
    {
        if (maxEntries == 0) maxEntries = MapSpecCheck.KernelMaxCpus;
        using (BpfMap.Create(Spec(type, 4, valueSize, maxEntries, flags))) { }
        KernelCreation.AssertAccepted(type, 4, valueSize, maxEntries, flags);
    }

    /// <summary>Random element commands with device-free values only, on both sides; every errno, value and next key must match.</summary>
    [Theory]
    [InlineData(MapType.DevMap, 4u)]
    [InlineData(MapType.DevMap, 8u)]
    [InlineData(MapType.DevMapHash, 8u)]
    [InlineData(MapType.CpuMap, 4u)]
    [InlineData(MapType.CpuMap, 8u)]
    [InlineData(MapType.XskMap, 4u)]
    public void DeviceFreeCommandsLikeTheKernel(MapType type, uint valueSize)
    {
        uint maxEntries = type == MapType.CpuMap ? (uint)BpfMap.PossibleCpus + 2 : 4;
        if (type == MapType.CpuMap && KernelBpf.UnavailableReason is null && KernelBpf.PossibleCpus() != BpfMap.PossibleCpus)
            Assert.Skip("possible CPUs differ between the kernel and this process");
        using var both = KernelMap.Create(Spec(type, 4, valueSize, maxEntries));
        var random = new Random((int)type * 10 + (int)valueSize);
        var log = new StringBuilder();
        for (int op = 0; op < 400; op++)
        {
            byte[] key = BitConverter.GetBytes((uint)random.Next((int)maxEntries + 2));
            var value = new byte[valueSize];
            var kernelValue = new byte[valueSize];
            switch (random.Next(4))
            {
                case 0:
                {
                    // Values that need no device: ifindex/qsize 0 (with or without a program fd), a qsize above the
                    // limit, fd -1 for an xskmap.
                    int first = type switch
                    {
                        MapType.XskMap => -1,
                        MapType.CpuMap => random.Next(3) == 0 ? (int)RedirectMap.MaxQueueSize + 1 : 0,
                        _ => 0,
                    };
                    BinaryPrimitives.WriteInt32LittleEndian(value, first);
                    if (valueSize == 8) BinaryPrimitives.WriteInt32LittleEndian(value.AsSpan(4), random.Next(3) - 1);
                    var flags = (UpdateFlags)random.Next(5);
                    log.AppendLine($"{op}: update {BitConverter.ToUInt32(key)} {Convert.ToHexString(value)} {flags}");
                    Same(log, both.Ours.Update(key, value, flags), KernelBpf.Update(both.Fd, key, value, (ulong)flags));
                    break;
                }

                case 1:
                    log.AppendLine($"{op}: lookup {BitConverter.ToUInt32(key)}");
                    if (Same(log, both.Ours.Lookup(key, value), KernelBpf.Lookup(both.Fd, key, kernelValue)) == Errno.Ok)
                        Assert.True(value.AsSpan().SequenceEqual(kernelValue), $"{log}values differ");
                    break;
                case 2:
                    log.AppendLine($"{op}: delete {BitConverter.ToUInt32(key)}");
                    Same(log, both.Ours.Delete(key), KernelBpf.Delete(both.Fd, key));
                    break;
                default:
                {
                    byte[] from = random.Next(3) == 0 ? [] : key;
                    var next = new byte[4];
                    var kernelNext = new byte[4];
                    log.AppendLine($"{op}: get_next_key {(from.Length == 0 ? "null" : BitConverter.ToUInt32(from))}");
                    if (Same(log, both.Ours.GetNextKey(from, next), KernelBpf.GetNextKey(both.Fd, from, kernelNext)) == Errno.Ok)
                        Assert.True(next.AsSpan().SequenceEqual(kernelNext), $"{log}next keys differ");
                    break;
                }
            }
        }
    }

    private static Errno Same(StringBuilder log, Errno ours, Errno kernel)
    {
        Assert.True(ours == kernel, $"{log}errnos differ: ours {ours}, kernel {kernel}");
        return ours;
    }

    private static byte[] Key(uint k) => BitConverter.GetBytes(k);

    private static byte[] Value(int first, int program) => [.. BitConverter.GetBytes(first), .. BitConverter.GetBytes(program)];

    [Fact]
    public void DevMapStoresTargetsForRedirect()
    {
        using var map = (RedirectMap)BpfMap.Create(Spec(MapType.DevMap, 4, 8, 4));
        Assert.Equal(Errno.Ok, map.Update(Key(1), Value(7, 12), UpdateFlags.Any));
        Assert.Equal(Errno.Ok, map.Update(Key(2), Value(9, -1), UpdateFlags.Exist));
        Assert.True(map.TryGetTarget(1, out var target));
        Assert.Equal(new RedirectTarget(7, 12, 0), target);
        var value = new byte[8];
        Assert.Equal(Errno.Ok, map.Lookup(Key(2), value));
        Assert.Equal(Value(9, 0), value);
        Assert.Equal(Errno.Ok, map.Update(Key(1), Value(0, 0), UpdateFlags.Any));
        Assert.False(map.TryGetTarget(1, out _));
        Assert.False(map.TryGetTarget(4, out _));
    }

    [Fact]
    public void DevMapHashWalksBucketsNewestFirst()
    {
        // 4 entries → 4 buckets; 1 and 5 share bucket 1, 2 is alone in bucket 2.
        using var map = (RedirectMap)BpfMap.Create(Spec(MapType.DevMapHash, 4, 4, 4));
        Assert.Equal(Errno.Ok, map.Update(Key(1), Key(10), UpdateFlags.Any));
        Assert.Equal(Errno.Ok, map.Update(Key(2), Key(20), UpdateFlags.Exist));
        Assert.Equal(Errno.Ok, map.Update(Key(5), Key(50), UpdateFlags.NoExist));
        Assert.Equal(Errno.EEXIST, map.Update(Key(5), Key(51), UpdateFlags.NoExist));
        Assert.Equal(Errno.Ok, map.Update(Key(8), Key(80), UpdateFlags.Any));
        Assert.Equal(Errno.E2BIG, map.Update(Key(9), Key(90), UpdateFlags.Any));
        Assert.Equal(Errno.Ok, map.Update(Key(9 - 1), Key(81), UpdateFlags.Any));

        var order = new List<uint>();
        byte[] from = [];
        var next = new byte[4];
        while (map.GetNextKey(from, next) == Errno.Ok)
        {
            order.Add(BitConverter.ToUInt32(next));
            from = next.ToArray();
        }

        Assert.Equal([8u, 5u, 1u, 2u], order);
        Assert.True(map.TryGetTarget(8, out var target) && target.Target == 81);
        Assert.Equal(Errno.Ok, map.Delete(Key(5)));
        Assert.Equal(Errno.ENOENT, map.Delete(Key(5)));
        Assert.Equal(Errno.Ok, map.GetNextKey(Key(8), next));
        Assert.Equal(1u, BitConverter.ToUInt32(next));
    }

    [Fact]
    public void CpuMapAndXskMapStoreTheirTargets()
    {
        using var cpus = (RedirectMap)BpfMap.Create(Spec(MapType.CpuMap, 4, 8, 1));
        Assert.Equal(Errno.Ok, cpus.Update(Key(0), Value(256, 3), UpdateFlags.Any));
        Assert.True(cpus.TryGetTarget(0, out var cpu));
        Assert.Equal(new RedirectTarget(0, 3, 256), cpu);
        Assert.Equal(Errno.EEXIST, cpus.Update(Key(0), Value(256, 3), UpdateFlags.NoExist));
        Assert.Equal(Errno.E2BIG, cpus.Update(Key(1), Value(256, 3), UpdateFlags.Any));

        using var sockets = (RedirectMap)BpfMap.Create(Spec(MapType.XskMap, 4, 4, 2));
        Assert.Equal(Errno.ENOENT, sockets.Update(Key(0), Key(3), UpdateFlags.Exist));
        Assert.Equal(Errno.Ok, sockets.Update(Key(0), Key(3), UpdateFlags.NoExist));
        Assert.Equal(Errno.EEXIST, sockets.Update(Key(0), Key(4), UpdateFlags.NoExist));
        Assert.True(sockets.TryGetTarget(0, out var socket) && socket.Target == 3);
        Assert.Equal(Errno.EOPNOTSUPP, sockets.Lookup(Key(0), new byte[4]));
        Assert.Equal(Errno.Ok, sockets.Delete(Key(0)));
        Assert.False(sockets.TryGetTarget(0, out _));
    }
}
