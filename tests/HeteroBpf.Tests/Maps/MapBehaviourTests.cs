using System.Buffers.Binary;
using HeteroBpf.KernelOracle;
using HeteroBpf.Maps;

namespace HeteroBpf.Tests.Maps;

/// <summary>The program face (pointers, per-CPU values, queue helpers), value memory and the no-allocation promise.</summary>
public sealed unsafe class MapBehaviourTests
{
    private static MapSpec Spec(MapType type, uint keySize, uint valueSize, uint maxEntries, MapFlags flags = MapFlags.None) =>
        new() { Name = "t", Type = type, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries, Flags = flags };

    [Theory]
    [InlineData(MapType.PerCpuArray)]
    [InlineData(MapType.PerCpuHash)]
    [InlineData(MapType.LruPerCpuHash)]
    public void PerCpuValuesAreIsolated(MapType type)
    {
        if (BpfMap.PossibleCpus < 2) Assert.Skip("needs two CPUs");
        using var map = BpfMap.Create(Spec(type, 4, 12, 4));
        uint key = 1;
        byte[] all = new byte[map.UserValueSize];
        Assert.Equal(16 * BpfMap.PossibleCpus, map.UserValueSize); // 12 rounded up to 16 per CPU
        for (int cpu = 0; cpu < BpfMap.PossibleCpus; cpu++) all.AsSpan(cpu * 16, 12).Fill((byte)(cpu + 1));
        Assert.Equal(Errno.Ok, map.Update(BitConverter.GetBytes(key), all, UpdateFlags.Any));

        var mine = new byte[12];
        mine.AsSpan().Fill(0xaa);
        fixed (byte* v = mine) Assert.Equal(0, map.UpdateElem((byte*)&key, v, 0, cpu: 0));

        Assert.Equal(Errno.Ok, map.Lookup(BitConverter.GetBytes(key), all));
        Assert.True(all.AsSpan(0, 12).IndexOfAnyExcept((byte)0xaa) < 0, "CPU 0's value was not written");
        Assert.True(all.AsSpan(16, 12).IndexOfAnyExcept((byte)2) < 0, "CPU 1's value changed when CPU 0's was written");
        byte* one = map.LookupElem((byte*)&key, 1);
        Assert.Equal(2, one[0]);
        Assert.True(map.LookupElem((byte*)&key, 0) != one);
    }

    [Fact]
    public void ProgramCreatingPerCpuHashElementZeroesOtherCpus()
    {
        if (BpfMap.PossibleCpus < 2) Assert.Skip("needs two CPUs");
        using var map = BpfMap.Create(Spec(MapType.PerCpuHash, 4, 8, 4));
        uint key = 7;
        ulong value = 0x1122334455667788;
        Assert.Equal(0, map.UpdateElem((byte*)&key, (byte*)&value, 0, cpu: 1));
        Assert.Equal(0UL, *(ulong*)map.LookupElem((byte*)&key, 0));
        Assert.Equal(value, *(ulong*)map.LookupElem((byte*)&key, 1));
    }

    [Theory]
    [InlineData(MapType.Array)]
    [InlineData(MapType.Hash)]
    [InlineData(MapType.PerCpuHash)]
    public void ValuePointersLieInValueMemoryAndWritesShow(MapType type)
    {
        using var map = BpfMap.Create(Spec(type, 4, 8, 4));
        uint key = 2;
        ulong value = 5;
        Assert.Equal(0, map.UpdateElem((byte*)&key, (byte*)&value, 0, 0));
        byte* p = map.LookupElem((byte*)&key, 0);
        Assert.True(p != null);
        Assert.Equal(0, (long)p % 8);
        Assert.Contains(map.ValueMemory, r => (nint)p >= r.Start && (nint)p + 8 <= r.Start + r.Length);
        *(ulong*)p = 42;
        var copy = new byte[map.UserValueSize];
        Assert.Equal(Errno.Ok, map.Lookup(BitConverter.GetBytes(key), copy));
        Assert.Equal(42UL, BinaryPrimitives.ReadUInt64LittleEndian(copy));
    }

    [Fact]
    public void ProgramFaceErrnos()
    {
        using var hash = BpfMap.Create(Spec(MapType.Hash, 4, 4, 1));
        uint a = 1, b = 2, v = 9;
        Assert.True(hash.LookupElem((byte*)&a, 0) is null);
        Assert.Equal(-(long)Errno.ENOENT, hash.UpdateElem((byte*)&a, (byte*)&v, (ulong)UpdateFlags.Exist, 0));
        Assert.Equal(0, hash.UpdateElem((byte*)&a, (byte*)&v, (ulong)UpdateFlags.NoExist, 0));
        Assert.Equal(-(long)Errno.EEXIST, hash.UpdateElem((byte*)&a, (byte*)&v, (ulong)UpdateFlags.NoExist, 0));
        Assert.Equal(-(long)Errno.E2BIG, hash.UpdateElem((byte*)&b, (byte*)&v, 0, 0));
        Assert.Equal(0, hash.UpdateElem((byte*)&a, (byte*)&v, 0, 0)); // replacing in a full map is fine
        Assert.Equal(-(long)Errno.EINVAL, hash.UpdateElem((byte*)&a, (byte*)&v, 3, 0));
        Assert.Equal(-(long)Errno.EINVAL, hash.Push((byte*)&v, 0));
        Assert.Equal(0, hash.DeleteElem((byte*)&a));
        Assert.Equal(-(long)Errno.ENOENT, hash.DeleteElem((byte*)&a));

        using var array = BpfMap.Create(Spec(MapType.Array, 4, 4, 2));
        Assert.Equal(-(long)Errno.E2BIG, array.UpdateElem((byte*)&b, (byte*)&v, 0, 0));
        Assert.Equal(-(long)Errno.EEXIST, array.UpdateElem((byte*)&a, (byte*)&v, (ulong)UpdateFlags.NoExist, 0));
        Assert.Equal(-(long)Errno.EINVAL, array.DeleteElem((byte*)&a));
        Assert.True(array.LookupElem((byte*)&b, 0) is null);
    }

    [Fact]
    public void QueueAndStackHelpers()
    {
        using var queue = BpfMap.Create(Spec(MapType.Queue, 0, 4, 2));
        using var stack = BpfMap.Create(Spec(MapType.Stack, 0, 4, 2));
        foreach (var map in new[] { queue, stack })
        {
            for (uint i = 1; i <= 3; i++) Assert.Equal(i == 3 ? -(long)Errno.E2BIG : 0, map.Push((byte*)&i, 0));
            uint three = 3;
            Assert.Equal(0, map.Push((byte*)&three, (ulong)UpdateFlags.Exist)); // drops the oldest (1)
            Assert.Equal(-(long)Errno.EINVAL, map.Push((byte*)&three, (ulong)UpdateFlags.NoExist));
            Assert.Empty(map.ValueMemory);
            Assert.True(map.LookupElem(null, 0) is null);
        }

        uint got;
        Assert.Equal(0, queue.Peek((byte*)&got));
        Assert.Equal(2u, got);
        Assert.Equal(0, queue.Pop((byte*)&got));
        Assert.Equal(2u, got);
        Assert.Equal(0, queue.Pop((byte*)&got));
        Assert.Equal(3u, got);
        Assert.Equal(-(long)Errno.ENOENT, queue.Pop((byte*)&got));
        Assert.Equal(0, stack.Pop((byte*)&got));
        Assert.Equal(3u, got);
        Assert.Equal(0, stack.Pop((byte*)&got));
        Assert.Equal(2u, got);
        Assert.Equal(-(long)Errno.ENOENT, stack.Peek((byte*)&got));
    }

    [Fact]
    public void AccessFlagsRefuseTheSyscallFace()
    {
        using var readOnly = BpfMap.Create(Spec(MapType.Hash, 4, 4, 2, MapFlags.ReadOnly));
        using var writeOnly = BpfMap.Create(Spec(MapType.Hash, 4, 4, 2, MapFlags.WriteOnly));
        var key = new byte[4];
        var value = new byte[4];
        Errno[] ours =
        [
            readOnly.Update(key, value, UpdateFlags.Any), readOnly.Delete(key), readOnly.Lookup(key, value),
            writeOnly.Update(key, value, UpdateFlags.Any), writeOnly.Lookup(key, value), writeOnly.GetNextKey([], key),
        ];
        Assert.Equal([Errno.EPERM, Errno.EPERM, Errno.ENOENT, Errno.Ok, Errno.EPERM, Errno.EPERM], ours);

        // The kernel gives the creating fd the same access, so the same calls fail the same way there.
        if (KernelBpf.UnavailableReason is { } unavailable) Assert.Skip(unavailable);
        int ro = KernelBpf.CreateMap((uint)MapType.Hash, 4, 4, 2, (uint)MapFlags.ReadOnly, out _);
        int wo = KernelBpf.CreateMap((uint)MapType.Hash, 4, 4, 2, (uint)MapFlags.WriteOnly, out _);
        try
        {
            Errno[] kernel =
            [
                KernelBpf.Update(ro, key, value, 0), KernelBpf.Delete(ro, key), KernelBpf.Lookup(ro, key, value),
                KernelBpf.Update(wo, key, value, 0), KernelBpf.Lookup(wo, key, value), KernelBpf.GetNextKey(wo, [], key),
            ];
            Assert.Equal(kernel, ours);
        }
        finally
        {
            KernelBpf.Close(ro);
            KernelBpf.Close(wo);
        }
    }

    [Fact]
    public void LruEvictsTheEntryNotUsedRecently()
    {
        using var map = BpfMap.Create(Spec(MapType.LruHash, 4, 4, 3));
        uint v = 0;
        for (uint k = 0; k < 3; k++) Assert.Equal(0, map.UpdateElem((byte*)&k, (byte*)&v, 0, 0));
        // One full sweep clears every referenced bit; then keys 0 and 2 are used again and key 1 is not.
        uint extra = 10;
        Assert.Equal(0, map.UpdateElem((byte*)&extra, (byte*)&v, 0, 0));
        uint zero = 0, two = 2, one = 1;
        bool zeroKept = map.LookupElem((byte*)&zero, 0) != null;
        Assert.Equal(3, ((HashMap)map).Count);
        Assert.False(zeroKept && map.LookupElem((byte*)&one, 0) != null && map.LookupElem((byte*)&two, 0) != null, "nothing was evicted");
        Assert.True(map.LookupElem((byte*)&extra, 0) != null);
        uint extra2 = 11;
        map.LookupElem((byte*)&extra, 0);
        Assert.Equal(0, map.UpdateElem((byte*)&extra2, (byte*)&v, 0, 0));
        Assert.True(map.LookupElem((byte*)&extra, 0) != null, "the entry just used was evicted");
        Assert.True(map.LookupElem((byte*)&extra2, 0) != null);
    }

    [Theory]
    [InlineData(MapType.Array)]
    [InlineData(MapType.PerCpuArray)]
    [InlineData(MapType.Hash)]
    [InlineData(MapType.LruPerCpuHash)]
    [InlineData(MapType.Queue)]
    [InlineData(MapType.LpmTrie)]
    public void ProgramFaceDoesNotAllocate(MapType type)
    {
        bool keyless = type == MapType.Queue;
        // LPM keys are a prefix length and 4 data bytes.
        uint keySize = keyless ? 0u : type == MapType.LpmTrie ? 8u : 4u;
        using var map = BpfMap.Create(Spec(type, keySize, 16, 64, type == MapType.LpmTrie ? MapFlags.NoPrealloc : MapFlags.None));
        byte* value = stackalloc byte[16];
        Exercise(map, value, keyless); // warm up (JIT, statics)

        // The runtime may allocate on this thread while it moves a method to its next JIT tier (seen under heavy load);
        // a map that allocates would do so in every attempt, so one clean attempt of three is the proof.
        long allocated = long.MaxValue;
        for (int attempt = 0; attempt < 3 && allocated != 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int round = 0; round < 100; round++) Exercise(map, value, keyless);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.Equal(0, allocated);
    }

    private static void Exercise(BpfMap map, byte* value, bool keyless)
    {
        for (uint k = 0; k < 80; k++)
        {
            if (keyless)
            {
                map.Push(value, (ulong)UpdateFlags.Exist);
                map.Peek(value);
                if (k % 2 == 0) map.Pop(value);
                continue;
            }

            ulong key = k % 33; // an LPM key: prefix k % 33 over zero data; for the others just the index
            map.UpdateElem((byte*)&key, value, 0, 0);
            map.LookupElem((byte*)&key, 0);
            if (k % 3 == 0) map.DeleteElem((byte*)&key);
        }
    }

    [Fact]
    public void LpmTrieFindsTheLongestPrefixAndWalksMostSpecificFirst()
    {
        using var map = BpfMap.Create(Spec(MapType.LpmTrie, 8, 4, 8, MapFlags.NoPrealloc));
        (uint Prefix, byte[] Address)[] entries = [(16, [192, 168, 0, 0]), (24, [192, 168, 0, 0]), (24, [192, 168, 1, 0]), (24, [192, 168, 128, 0])];
        for (int i = 0; i < entries.Length; i++)
            Assert.Equal(Errno.Ok, map.Update(LpmKey(entries[i].Prefix, entries[i].Address), BitConverter.GetBytes(i), UpdateFlags.NoExist));

        Assert.Equal(2, LookupValue(map, LpmKey(32, [192, 168, 1, 5])));
        Assert.Equal(0, LookupValue(map, LpmKey(32, [192, 168, 2, 1])));
        Assert.Equal(0, LookupValue(map, LpmKey(24, [192, 168, 2, 0])));
        Assert.Equal(-1, LookupValue(map, LpmKey(32, [10, 0, 0, 1])));
        Assert.Equal(-1, LookupValue(map, LpmKey(8, [192, 168, 1, 5]))); // the key's own prefix bounds the match

        // The kernel's documented order: more specific prefixes before the ones covering them.
        var walk = new List<string>();
        byte[] key = [];
        var next = new byte[8];
        while (map.GetNextKey(key, next) == Errno.Ok)
        {
            walk.Add($"{string.Join('.', next[4..])}/{BitConverter.ToUInt32(next)}");
            key = next.ToArray();
        }

        Assert.Equal(["192.168.0.0/24", "192.168.1.0/24", "192.168.128.0/24", "192.168.0.0/16"], walk);
        Assert.Equal(Errno.Ok, map.Delete(LpmKey(16, [192, 168, 0, 0])));
        Assert.Equal(-1, LookupValue(map, LpmKey(32, [192, 168, 2, 1])));
        Assert.Equal(Errno.ENOENT, map.Delete(LpmKey(16, [192, 168, 0, 0])));
        Assert.Equal(Errno.EINVAL, map.Delete(LpmKey(33, [192, 168, 0, 0])));
    }

    private static byte[] LpmKey(uint prefix, byte[] address) => [.. BitConverter.GetBytes(prefix), .. address];

    private static int LookupValue(BpfMap map, byte[] key)
    {
        fixed (byte* k = key)
        {
            byte* v = map.LookupElem(k, 0);
            return v is null ? -1 : *(int*)v;
        }
    }

    [Theory]
    [InlineData(MapType.Hash, MapFlags.None)]
    [InlineData(MapType.PerCpuHash, MapFlags.NoPrealloc)]
    [InlineData(MapType.LruHash, MapFlags.None)]
    public void RandomSeedWalkVisitsEveryKeyOnce(MapType type, MapFlags flags)
    {
        using var map = BpfMap.Create(Spec(type, 4, 4, 64, flags));
        var value = new byte[map.UserValueSize];
        for (int k = 0; k < 64; k += 2) Assert.Equal(Errno.Ok, map.Update(BitConverter.GetBytes(k), value, UpdateFlags.NoExist));
        for (int k = 0; k < 64; k += 6) Assert.Equal(Errno.Ok, map.Delete(BitConverter.GetBytes(k)));

        var seen = new List<int>();
        byte[] key = [];
        var next = new byte[4];
        while (map.GetNextKey(key, next) == Errno.Ok)
        {
            seen.Add(BitConverter.ToInt32(next));
            key = next.ToArray();
        }

        Assert.Equal(Enumerable.Range(0, 32).Select(i => i * 2).Where(k => k % 6 != 0), seen.Order());
    }

    [Theory]
    [InlineData(MapType.Array)]
    [InlineData(MapType.Hash)]
    public void SpinLockWordIsNeverCopied(MapType type)
    {
        using var map = BpfMap.Create(Spec(type, 4, 12, 2) with { SpinLockOffset = 4 });
        byte[] key = BitConverter.GetBytes(1);
        byte[] value = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3];
        Assert.Equal(Errno.Ok, map.Update(key, value, UpdateFlags.Any));
        Assert.Equal(Errno.Ok, map.Update(key, value, UpdateFlags.Lock));
        fixed (byte* k = key)
        {
            byte* stored = map.LookupElem(k, 0);
            Assert.Equal(0u, *(uint*)(stored + 4)); // never written from the value
            *(uint*)(stored + 4) = 0xdead;          // as if a program held the lock
        }

        value[0] = 9;
        Assert.Equal(Errno.Ok, map.Update(key, value, UpdateFlags.Exist | UpdateFlags.Lock));
        var copy = new byte[12];
        Assert.Equal(Errno.Ok, map.Lookup(key, copy));
        Assert.Equal(new byte[] { 9, 1, 1, 1, 0, 0, 0, 0, 3, 3, 3, 3 }, copy); // the lock reads as zero
        fixed (byte* k = key) Assert.Equal(0xdeadu, *(uint*)(map.LookupElem(k, 0) + 4));
    }

    [Theory]
    [InlineData(MapType.PerCpuArray, 0, Errno.EOPNOTSUPP)]
    [InlineData(MapType.Hash, 10, Errno.EINVAL)]
    [InlineData(MapType.Array, 2, Errno.EINVAL)]
    public void SpinLockPlacementIsChecked(MapType type, int offset, Errno errno)
    {
        var e = Assert.Throws<MapSpecException>(() => BpfMap.Create(Spec(type, 4, 12, 2) with { SpinLockOffset = offset }));
        Assert.Equal(ErrorCode.MapSpinLockInvalid, e.Code);
        Assert.Equal(errno, e.Errno);
    }

    [Fact]
    public void DisposedMapRefusesTheSyscallFace()
    {
        var map = BpfMap.Create(Spec(MapType.Array, 4, 4, 1));
        map.Dispose();
        map.Dispose();
        Assert.Throws<ObjectDisposedException>(() => map.Lookup(new byte[4], new byte[4]));
    }
}
