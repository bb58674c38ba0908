using System.Buffers.Binary;
using HeteroBpf.Maps;

namespace HeteroBpf.Tests.Maps;

/// <summary>
/// The LPM trie against a brute-force longest-prefix match over many random inserts and deletes, at sizes where its
/// top table has from a few to 2^16 slots: every lookup (both faces) finds the longest stored prefix covering the key,
/// and get_next_key visits every stored prefix exactly once.
/// </summary>
public sealed unsafe class LpmTrieMapTests
{
    [Theory]
    [InlineData(8u, 4u)]
    [InlineData(300u, 4u)]
    [InlineData(5000u, 4u)]
    [InlineData(70000u, 4u)]
    [InlineData(2000u, 2u)]
    [InlineData(2000u, 16u)]
    public void LookupsMatchBruteForce(uint maxEntries, uint dataSize)
    {
        using var map = BpfMap.Create(new MapSpec { Name = "t", Type = MapType.LpmTrie, KeySize = 4 + dataSize, ValueSize = 8, MaxEntries = maxEntries, Flags = MapFlags.NoPrealloc });
        var random = new Random((int)(maxEntries * 31 + dataSize));
        var stored = new Dictionary<string, ulong>();
        // Addresses from a few clusters, so prefixes nest and fork at every depth.
        var bases = Enumerable.Range(0, 8).Select(_ => RandomData(random, (int)dataSize)).ToArray();
        int bitsTotal = (int)dataSize * 8;
        int operations = (int)Math.Min(3 * maxEntries + 500, 8000);
        var value = new byte[8];
        for (int op = 0; op < operations; op++)
        {
            var (prefix, data) = RandomPrefix(random, bases, bitsTotal);
            byte[] key = Key(prefix, data);
            string name = Name(prefix, data);
            bool insert = stored.Count < maxEntries && random.Next(3) != 0;
            if (insert)
            {
                ulong v = (ulong)op;
                BinaryPrimitives.WriteUInt64LittleEndian(value, v);
                Assert.Equal(Errno.Ok, map.Update(key, value, UpdateFlags.Any));
                stored[name] = v;
            }
            else
            {
                Assert.Equal(stored.Remove(name) ? Errno.Ok : Errno.ENOENT, map.Delete(key));
            }

            for (int probe = 0; probe < 4; probe++)
            {
                var (probePrefix, probeData) = RandomPrefix(random, bases, bitsTotal);
                if (probe == 0) probePrefix = (uint)bitsTotal;
                ulong? expected = BruteForce(stored, probePrefix, probeData);
                byte[] probeKey = Key(probePrefix, probeData);
                fixed (byte* k = probeKey)
                {
                    byte* found = map.LookupElem(k, 0);
                    Assert.Equal(expected, found is null ? null : *(ulong*)found);
                }
            }
        }

        var seen = new HashSet<string>();
        byte[] at = [];
        var next = new byte[4 + dataSize];
        while (map.GetNextKey(at, next) == Errno.Ok)
        {
            uint prefix = BinaryPrimitives.ReadUInt32LittleEndian(next);
            Assert.True(seen.Add(Name(prefix, next[4..])), "get_next_key repeated a key");
            at = (byte[])next.Clone();
        }

        Assert.Equal(stored.Keys.Order(), seen.Order());
    }

    // The longest stored prefix of the key: every length from the key's own down to 0.
    private static ulong? BruteForce(Dictionary<string, ulong> stored, uint prefix, byte[] data)
    {
        for (long length = prefix; length >= 0; length--)
        {
            if (stored.TryGetValue(Name((uint)length, data), out ulong value)) return value;
        }

        return null;
    }

    private static (uint Prefix, byte[] Data) RandomPrefix(Random random, byte[][] bases, int bitsTotal)
    {
        byte[] data = (byte[])bases[random.Next(bases.Length)].Clone();
        // Keep a random number of the cluster's leading bits, randomise the rest.
        int keep = random.Next(bitsTotal + 1);
        for (int i = keep; i < bitsTotal; i++)
        {
            if (random.Next(2) == 0) data[i >> 3] ^= (byte)(0x80 >> (i & 7));
        }

        uint prefix = random.Next(4) == 0 ? (uint)random.Next(bitsTotal + 1) : (uint)Math.Min(bitsTotal, keep + random.Next(12));
        return (prefix, data);
    }

    private static byte[] RandomData(Random random, int size)
    {
        var data = new byte[size];
        random.NextBytes(data);
        return data;
    }

    // The stored identity of a prefix: its length and its bits up to that length (the kernel keys on both).
    private static string Name(uint prefix, byte[] data)
    {
        var masked = (byte[])data.Clone();
        for (int i = (int)prefix; i < masked.Length * 8; i++) masked[i >> 3] &= (byte)~(0x80 >> (i & 7));
        return $"{prefix}/{Convert.ToHexString(masked)}";
    }

    private static byte[] Key(uint prefix, byte[] data)
    {
        var key = new byte[4 + data.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(key, prefix);
        data.CopyTo(key, 4);
        return key;
    }
}
