using HeteroBpf.KernelOracle;
using HeteroBpf.Maps;

namespace HeteroBpf.Tests.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_BLOOM_FILTER</c> against the running kernel: creation verdicts, the syscall face's errnos, and —
/// zero-seeded, so both hash alike — the same "maybe present" answer for every value asked, false positives included.
/// </summary>
public sealed class BloomFilterMapTests
{
    public static TheoryData<uint, uint, uint, ulong, uint> Shapes() => new()
    {
        // key, value, max_entries, map_extra, extra flags
        { 0, 1, 8, 0, 0 }, { 0, 4, 16, 3, 0 }, { 0, 5, 100, 1, 0 }, { 0, 8, 1000, 15, 0 }, { 0, 13, 64, 7, 0 },
        { 0, 64, 10, 2, 0 }, { 0, 3, 1, 0, (uint)MapFlags.ReadOnlyProg },
    };

    public static TheoryData<uint, uint, uint, ulong, uint> Refused() => new()
    {
        { 4, 8, 16, 0, 0 },        // a key
        { 0, 0, 16, 0, 0 },        // no value
        { 0, 8, 0, 0, 0 },         // no entries
        { 0, 8, 16, 16, 0 },       // map_extra above the 4 hash-count bits
        { 0, 8, 16, 1UL << 40, 0 },
        { 0, 8, 16, 0, (uint)MapFlags.NoPrealloc },
        { 0, 8, 16, 0, (uint)(MapFlags.ReadOnlyProg | MapFlags.WriteOnlyProg) },
        { 0, (4u << 20) + 1, 16, 0, 0 }, // value above KMALLOC_MAX_SIZE: E2BIG before anything else
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    [MemberData(nameof(Refused))]
    public void CreationIsTakenOrRefusedAsTheKernelDoes(uint key, uint value, uint max, ulong extra, uint flags)
    {
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        var spec = Spec(key, value, max, extra, flags);
        Errno ours = Errno.Ok;
        try
        {
            BpfMap.Create(spec).Dispose();
        }
        catch (MapSpecException e)
        {
            ours = e.Errno;
        }

        Assert.Equal(KernelCreate(spec, out int fd), ours);
        if (fd >= 0) KernelBpf.Close(fd);
    }

    [Fact]
    public void MapExtraIsRefusedOnEveryOtherTypeAsByTheKernel()
    {
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        var spec = new MapSpec { Name = "m", Type = MapType.Hash, KeySize = 4, ValueSize = 8, MaxEntries = 4, MapExtra = 1 };
        var e = Assert.Throws<MapSpecException>(() => BpfMap.Create(spec));
        Assert.Equal(KernelCreate(spec, out _), e.Errno);
        Assert.Contains("map_extra", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryAnswerEqualsTheKernelsFalsePositivesIncluded(uint key, uint value, uint max, ulong extra, uint flags)
    {
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        var spec = Spec(key, value, max, extra, flags | (uint)MapFlags.ZeroSeed);
        Assert.Equal(Errno.Ok, KernelCreate(spec, out int fd));
        using var ours = (BloomFilterMap)BpfMap.Create(spec);
        try
        {
            var random = new Random((int)(value * 7919 + max));
            var v = new byte[value];
            int pushes = (int)Math.Min(max, 400), positives = 0, asked = 0;
            for (int round = 0; round < 3; round++)
            {
                for (int i = 0; i < pushes / 3 + 1; i++)
                {
                    random.NextBytes(v);
                    Assert.Equal(KernelBpf.Update(fd, [], v, 0), ours.Update([], v, UpdateFlags.Any));
                }

                // Ask about fresh random values (absent unless a false positive) and about small ones (often pushed).
                for (int i = 0; i < 600; i++)
                {
                    random.NextBytes(v);
                    if (i % 3 == 0) Array.Clear(v, 1, v.Length - 1);
                    Errno kernel = KernelBpf.Lookup(fd, [], v);
                    Assert.True(kernel == ours.Lookup([], v), $"value {Convert.ToHexString(v)} after round {round}: kernel {kernel}, ours {ours.Lookup([], v)}");
                    asked++;
                    if (kernel == Errno.Ok) positives++;
                }
            }

            Assert.True(asked > 0 && positives < asked, $"{positives} of {asked} answers were 'maybe present': the filter is saturated, so the comparison proves little");
        }
        finally
        {
            KernelBpf.Close(fd);
        }
    }

    [Fact]
    public void TheSyscallFaceGivesTheKernelsErrnos()
    {
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        var spec = Spec(0, 4, 16, 0, (uint)MapFlags.ZeroSeed);
        Assert.Equal(Errno.Ok, KernelCreate(spec, out int fd));
        using var ours = BpfMap.Create(spec);
        try
        {
            byte[] v = [1, 2, 3, 4];
            Assert.Equal(KernelBpf.Lookup(fd, [], v), ours.Lookup([], v));
            Assert.Equal(Errno.ENOENT, ours.Lookup([], v));
            Assert.Equal(KernelBpf.Update(fd, [], v, (ulong)UpdateFlags.Exist), ours.Update([], v, UpdateFlags.Exist));
            Assert.Equal(KernelBpf.Update(fd, [], v, (ulong)UpdateFlags.NoExist), ours.Update([], v, UpdateFlags.NoExist));
            Assert.Equal(KernelBpf.Update(fd, [], v, 0), ours.Update([], v, UpdateFlags.Any));
            Assert.Equal(Errno.Ok, ours.Lookup([], v));
            Assert.Equal(KernelBpf.Delete(fd, []), ours.Delete([]));
            Assert.Equal(KernelBpf.GetNextKey(fd, [], []), ours.GetNextKey([], []));
            Assert.Empty(ours.Entries());
        }
        finally
        {
            KernelBpf.Close(fd);
        }
    }

    [Theory]
    [InlineData(1u, 0ul, 64ul)]          // 1·5·7/5 = 7 bits: at least 64
    [InlineData(100u, 0ul, 1024ul)]      // 700 → 1024
    [InlineData(1000u, 15ul, 32768ul)]   // 21000 → 32768
    [InlineData(0x40000000u, 15ul, 1ul << 32)] // n·k overflows a u32: 2^32 bits
    public void TheBitArrayIsSizedAsTheKernelSizesIt(uint max, ulong extra, ulong bits)
    {
        var spec = Spec(0, 4, max, extra, 0);
        Assert.Equal(bits, BloomFilterMap.BitCount(max, BloomFilterMap.HashFunctions(spec)));
        if (bits <= 1UL << 20)
        {
            using var map = (BloomFilterMap)BpfMap.Create(spec);
            Assert.Equal(bits, map.Bits);
            Assert.Equal(extra == 0 ? 5 : (int)extra, map.HashCount);
        }
    }

    [Fact]
    public unsafe void ConcurrentPushesLoseNoBit()
    {
        using var map = BpfMap.Create(Spec(0, 8, 4096, 0, 0));
        const int threads = 4, each = 2000;
        Parallel.For(0, threads, t =>
        {
            ulong value;
            for (int i = 0; i < each; i++)
            {
                value = (ulong)(t * each + i);
                Assert.Equal(0, map.Push((byte*)&value, 0));
            }
        });
        for (ulong i = 0; i < threads * each; i++) Assert.Equal(0, map.Peek((byte*)&i));
    }

    private static MapSpec Spec(uint key, uint value, uint max, ulong extra, uint flags) =>
        new() { Name = "bloom", Type = MapType.BloomFilter, KeySize = key, ValueSize = value, MaxEntries = max, MapExtra = extra, Flags = (MapFlags)flags };

    private static Errno KernelCreate(MapSpec spec, out int fd)
    {
        fd = KernelBpf.CreateMap(new KernelMapCreate { Type = spec.Type, KeySize = spec.KeySize, ValueSize = spec.ValueSize, MaxEntries = spec.MaxEntries, Flags = spec.Flags, MapExtra = spec.MapExtra }, out Errno error);
        return fd >= 0 ? Errno.Ok : error;
    }
}
