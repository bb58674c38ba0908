using System.Text;
using HeteroBpf.KernelOracle;
using HeteroBpf.Maps;

namespace HeteroBpf.Tests.Maps;

/// <summary>
/// LRU maps against the kernel's, on what the kernel guarantees only. Its eviction is approximate: per-CPU free
/// lists may evict before the map is full, and an update takes its new node (possibly evicting) before it looks for
/// the key, so even BPF_EXIST on a present key can give ENOENT. Compared: an insert (BPF_ANY, or BPF_NOEXIST on a key
/// both sides lack) succeeds on both and leaves the key present with its value; unknown flags are EINVAL on both;
/// deleting a key both lack is ENOENT on both; values agree for keys whose last write succeeded on both sides; neither
/// side ever holds more than max_entries keys.
/// </summary>
public sealed class LruDifferentialTests
{
    public static TheoryData<string, MapType, uint, MapFlags, int> Cases() => new()
    {
        { "lru", MapType.LruHash, 8, MapFlags.ZeroSeed, 21 },
        { "lru-no-common", MapType.LruHash, 8, MapFlags.NoCommonLru, 22 },
        { "lru-percpu", MapType.LruPerCpuHash, 6, MapFlags.None, 23 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void GuaranteedBehavioursMatchTheKernel(string name, MapType type, uint maxEntries, MapFlags flags, int seed)
    {
        var spec = new MapSpec { Name = name, Type = type, KeySize = 4, ValueSize = 8, MaxEntries = maxEntries, Flags = flags };
        using var both = KernelMap.Create(spec);
        var ours = both.Ours;
        var random = new Random(seed);
        var log = new StringBuilder();
        int inserts = 0;
        // Keys whose last write succeeded on both sides with the same value.
        var agreed = new HashSet<string>();

        for (int op = 0; op < 500; op++)
        {
            byte[] key = KernelDifferentialTests.Key(random.Next((int)maxEntries * 3), 4, type);
            string name_ = Convert.ToHexString(key);
            var value = new byte[ours.UserValueSize];
            var kernelValue = new byte[ours.UserValueSize];
            bool oursHas = ours.Lookup(key, value) == Errno.Ok;
            bool kernelHas = KernelBpf.Lookup(both.Fd, key, kernelValue) == Errno.Ok;
            if (oursHas && kernelHas && agreed.Contains(name_)) Assert.True(value.AsSpan().SequenceEqual(kernelValue), $"{log}values of {name_} differ");

            if (random.Next(4) == 0)
            {
                log.AppendLine($"{op}: delete {name_}");
                Errno mine = ours.Delete(key), theirs = KernelBpf.Delete(both.Fd, key);
                if (!oursHas && !kernelHas) Assert.True(mine == Errno.ENOENT && theirs == Errno.ENOENT, $"{log}deleting a missing key: ours {mine}, kernel {theirs}");
                if (oursHas) Assert.Equal(Errno.Ok, mine);
                agreed.Remove(name_);
            }
            else
            {
                random.NextBytes(value);
                ulong f = (ulong)random.Next(5);
                log.AppendLine($"{op}: update {name_} flags {f}");
                Errno mine = ours.Update(key, value, (UpdateFlags)f), theirs = KernelBpf.Update(both.Fd, key, value, f);
                if (f > 2) Assert.True(mine == Errno.EINVAL && theirs == Errno.EINVAL, $"{log}unknown flags: ours {mine}, kernel {theirs}");
                bool insert = f == 0 || (f == 1 && !oursHas && !kernelHas);
                if (insert)
                {
                    Assert.True(mine == Errno.Ok && theirs == Errno.Ok, $"{log}an insert into an LRU map must succeed: ours {mine}, kernel {theirs}");
                    var back = new byte[value.Length];
                    Assert.True(ours.Lookup(key, back) == Errno.Ok && back.AsSpan().SequenceEqual(value), $"{log}our LRU map lost the key just written");
                    Assert.True(KernelBpf.Lookup(both.Fd, key, back) == Errno.Ok && back.AsSpan().SequenceEqual(value), $"{log}the kernel's LRU map lost the key just written");
                    inserts++;
                }

                if (mine == Errno.Ok && theirs == Errno.Ok) agreed.Add(name_);
                else if (mine == Errno.Ok || theirs == Errno.Ok) agreed.Remove(name_);
            }

            int count = both.Dump(kernel: false).Count;
            Assert.True(count <= maxEntries, $"{log}our LRU map holds {count} keys, above max_entries {maxEntries}");
            Assert.True(both.Dump(kernel: true).Count <= maxEntries, $"{log}the kernel's LRU map exceeds max_entries");
        }

        Assert.True(inserts > maxEntries * 4, "too few inserts to exercise eviction");
        Assert.Equal((int)maxEntries, both.Dump(kernel: false).Count);
    }
}
