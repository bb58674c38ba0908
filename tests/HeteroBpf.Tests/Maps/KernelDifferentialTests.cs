using System.Buffers.Binary;
using System.Text;
using HeteroBpf.KernelOracle;
using HeteroBpf.Maps;

namespace HeteroBpf.Tests.Maps;

/// <summary>
/// Our maps against the running kernel's: the same map is created on both sides and driven by the same seeded random
/// operations (update with every flag, lookup, delete, get_next_key from nothing, present and missing keys; push,
/// peek and pop for queues and stacks) over a key space a little larger than the map, so collisions, full maps and
/// missing keys all occur. Every errno and every value must agree, and so must the final walk of all keys. Hash maps
/// use BPF_F_ZERO_SEED so that even the walk order (bucket order) must match.
/// </summary>
public sealed class KernelDifferentialTests
{
    private const int Operations = 600;

    // Update flags tried: the defined ones, BPF_F_LOCK (no spin lock here: EINVAL) and unknown bits.
    private static readonly ulong[] ValidFlags = [0, 0, 1, 2];
    private static readonly ulong[] InvalidFlags = [3, 4, 5, 6, 8, 16, 1UL << 40];

    public static TheoryData<string, MapType, uint, uint, uint, MapFlags, int> Cases() => new()
    {
        { "array", MapType.Array, 4, 12, 8, MapFlags.None, 1 },
        { "array-small", MapType.Array, 4, 8, 3, MapFlags.None, 2 },
        { "percpu-array", MapType.PerCpuArray, 4, 12, 6, MapFlags.None, 3 },
        { "hash-u32", MapType.Hash, 4, 12, 8, MapFlags.ZeroSeed, 4 },
        { "hash-6-byte-key", MapType.Hash, 6, 8, 5, MapFlags.ZeroSeed, 5 },
        { "hash-16-byte-key-no-prealloc", MapType.Hash, 16, 4, 10, MapFlags.ZeroSeed | MapFlags.NoPrealloc, 6 },
        { "hash-13-byte-key", MapType.Hash, 13, 3, 7, MapFlags.ZeroSeed, 7 },
        { "percpu-hash", MapType.PerCpuHash, 4, 12, 8, MapFlags.ZeroSeed, 8 },
        { "percpu-hash-no-prealloc", MapType.PerCpuHash, 5, 4, 4, MapFlags.ZeroSeed | MapFlags.NoPrealloc, 9 },
        { "lpm-ipv4", MapType.LpmTrie, 8, 8, 12, MapFlags.NoPrealloc, 12 },
        { "lpm-2-byte", MapType.LpmTrie, 6, 3, 5, MapFlags.NoPrealloc, 13 },
        { "lpm-ipv4-large", MapType.LpmTrie, 8, 4, 40, MapFlags.NoPrealloc, 14 },
        { "queue", MapType.Queue, 0, 8, 5, MapFlags.None, 10 },
        { "stack", MapType.Stack, 0, 12, 4, MapFlags.None, 11 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void SameErrnosValuesAndWalkAsTheKernel(string name, MapType type, uint keySize, uint valueSize, uint maxEntries, MapFlags flags, int seed)
    {
        var spec = new MapSpec { Name = name, Type = type, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries, Flags = flags };
        using var both = KernelMap.Create(spec);
        var ours = both.Ours;
        var random = new Random(seed);
        var log = new StringBuilder();
        int keySpace = type == MapType.LpmTrie ? LpmPrefixes.Length * LpmData.Length : (int)maxEntries + 4;
        bool keyless = keySize == 0;

        for (int op = 0; op < Operations; op++)
        {
            byte[] key = keyless ? [] : Key(random.Next(keySpace), (int)keySize, type);
            var value = new byte[ours.UserValueSize];
            string hexKey = Convert.ToHexString(key);
            // Windows of 150 operations alternate between filling (mostly updates) and draining (mostly deletes and
            // pops), so the map is often full and often empty.
            bool filling = op % 150 < 75;
            int roll = random.Next(100);
            int drop = keyless ? 4 : 2;
            int kind = filling
                ? roll < 70 ? 0 : roll < 80 ? 1 : roll < 85 ? drop : 3
                : roll < 15 ? 0 : roll < 30 ? 1 : roll < 80 ? drop : 3;
            if (keyless && random.Next(10) == 0) kind = random.Next(2) == 0 ? 2 : 3;
            switch (kind)
            {
                case 0:
                {
                    random.NextBytes(value);
                    ulong f = random.Next(8) == 0 ? InvalidFlags[random.Next(InvalidFlags.Length)] : ValidFlags[random.Next(ValidFlags.Length)];
                    log.AppendLine($"{op}: update {hexKey} flags {f}");
                    Same(log, ours.Update(key, value, (UpdateFlags)f), KernelBpf.Update(both.Fd, key, value, f));
                    break;
                }
                case 1:
                {
                    var kernelValue = new byte[value.Length];
                    log.AppendLine($"{op}: lookup {hexKey}");
                    Errno e = Same(log, ours.Lookup(key, value), KernelBpf.Lookup(both.Fd, key, kernelValue));
                    if (e == Errno.Ok) Assert.True(value.AsSpan().SequenceEqual(kernelValue), $"{log}values differ: ours {Convert.ToHexString(value)}, kernel {Convert.ToHexString(kernelValue)}");
                    break;
                }
                case 2:
                    log.AppendLine($"{op}: delete {hexKey}");
                    Same(log, ours.Delete(key), KernelBpf.Delete(both.Fd, key));
                    break;
                case 3:
                {
                    byte[] from = keyless || random.Next(4) == 0 ? [] : key;
                    var next = new byte[keySize];
                    var kernelNext = new byte[keySize];
                    log.AppendLine($"{op}: get_next_key {(from.Length == 0 ? "null" : hexKey)}");
                    Errno e = Same(log, ours.GetNextKey(from, next), KernelBpf.GetNextKey(both.Fd, from, kernelNext));
                    if (e == Errno.Ok) Assert.True(next.AsSpan().SequenceEqual(kernelNext), $"{log}next keys differ: ours {Convert.ToHexString(next)}, kernel {Convert.ToHexString(kernelNext)}");
                    break;
                }
                default:
                {
                    var kernelValue = new byte[value.Length];
                    log.AppendLine($"{op}: pop");
                    Errno e = Same(log, ((QueueStackMap)ours).Pop(value), KernelBpf.LookupAndDelete(both.Fd, kernelValue));
                    if (e == Errno.Ok) Assert.True(value.AsSpan().SequenceEqual(kernelValue), $"{log}popped values differ: ours {Convert.ToHexString(value)}, kernel {Convert.ToHexString(kernelValue)}");
                    break;
                }
            }
        }

        // The sequence must have reached the cases that matter, or agreement proves little.
        string outcomes = log.ToString();
        string[] expected = type switch
        {
            MapType.Array or MapType.PerCpuArray => ["flags 0 -> Ok", "-> E2BIG", "flags 1 -> EEXIST", "delete", "-> EINVAL", "lookup 00000000 -> Ok"],
            // The large trie is there for depth, not to fill up.
            MapType.LpmTrie => ["flags 0 -> Ok", maxEntries < 20 ? "-> ENOSPC" : "-> Ok", "flags 1 -> EEXIST", "flags 2 -> ENOENT", "flags 2 -> Ok", "lookup", "-> EINVAL", "get_next_key null -> Ok"],
            MapType.Queue or MapType.Stack => ["flags 0 -> Ok", "flags 0 -> E2BIG", "flags 2 -> Ok", "flags 1 -> EINVAL", "pop -> Ok", "pop -> ENOENT", "lookup  -> Ok"],
            _ => ["flags 0 -> Ok", "-> E2BIG", "flags 1 -> EEXIST", "flags 2 -> ENOENT", "flags 2 -> Ok", "-> ENOENT", "delete", "get_next_key null -> Ok"],
        };
        foreach (string outcome in expected) Assert.True(outcomes.Contains(outcome, StringComparison.Ordinal), $"no '{outcome}' in the operations:\n{outcomes}");

        if (keyless) return;
        var mine = both.Dump(kernel: false);
        var theirs = both.Dump(kernel: true);
        Assert.Equal(Describe(theirs), Describe(mine));
    }

    /// <summary>Key number <paramref name="n"/>: an array index (sometimes far out of range) or a hash key of the given size.</summary>
    internal static byte[] Key(int n, int size, MapType type)
    {
        var key = new byte[size];
        if (type == MapType.LpmTrie)
        {
            // Prefix lengths from 0 to one past the longest (refused), over data that share some leading bits.
            uint bits = (uint)(size - 4) * 8;
            uint listed = LpmPrefixes[n % LpmPrefixes.Length];
            uint prefix = listed == 33 ? bits + 1 : Math.Min(listed, bits);
            BinaryPrimitives.WriteUInt32LittleEndian(key, prefix);
            LpmData[n / LpmPrefixes.Length % LpmData.Length].AsSpan(0, Math.Min(4, size - 4)).CopyTo(key.AsSpan(4));
            return key;
        }

        if (type is MapType.Array or MapType.PerCpuArray && n == 0) n = -1; // index 0xffffffff
        else if (type is MapType.Array or MapType.PerCpuArray) n--;
        for (int i = 0; i < size; i++) key[i] = (byte)(i < 4 ? n >> (8 * i) : n * 31 + i);
        if (size >= 4) BinaryPrimitives.WriteInt32LittleEndian(key, n);
        return key;
    }

    // 33 stands for "one past the longest prefix" (refused by update and delete).
    private static readonly uint[] LpmPrefixes = [0, 1, 3, 8, 9, 12, 16, 20, 24, 32, 33];

    private static readonly byte[][] LpmData = [[10, 0, 0, 0], [10, 1, 0, 0], [10, 1, 2, 3], [10, 129, 0, 0], [192, 168, 1, 7], [255, 255, 0, 1]];

    private static Errno Same(StringBuilder log, Errno ours, Errno kernel)
    {
        Assert.True(ours == kernel, $"{log}errnos differ: ours {ours}, kernel {kernel}");
        // Remember the outcome next to its operation, so the test can check that the interesting ones happened.
        log.Insert(log.Length - Environment.NewLine.Length, $" -> {ours}");
        return ours;
    }

    private static string Describe(List<(byte[] Key, byte[] Value)> entries) =>
        string.Join('\n', entries.Select(e => $"{Convert.ToHexString(e.Key)} = {Convert.ToHexString(e.Value)}"));
}
