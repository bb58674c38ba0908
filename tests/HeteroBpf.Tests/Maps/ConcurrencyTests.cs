using System.Buffers.Binary;
using HeteroBpf.Maps;

namespace HeteroBpf.Tests.Maps;

/// <summary>
/// Several threads on one map: each owns a counter key it increments by lookup + update (no update may be lost),
/// all write whole repeated-byte patterns to shared keys through both faces and check that every copy they read is
/// one pattern (never torn); on a hash map another thread keeps inserting and deleting further keys, and an owned
/// key must never look absent to a program's lock-free lookup meanwhile. An LPM trie's lock-free lookup must keep
/// finding a worker's prefix while another thread reshapes the trie around it.
/// </summary>
public sealed unsafe class ConcurrencyTests
{
    private const int Threads = 4;
    private const int Iterations = 20_000;
    private const int ValueSize = 64;

    [Theory]
    [InlineData(MapType.Array)]
    [InlineData(MapType.Hash)]
    [InlineData(MapType.LruHash)]
    public void NoLostUpdatesNoTornValues(MapType type)
    {
        // Room for every key an LRU map will see, so that eviction never takes a worker's key.
        var spec = new MapSpec { Name = "c", Type = type, KeySize = 4, ValueSize = ValueSize, MaxEntries = type == MapType.LruHash ? 32u : 16u };
        using var map = BpfMap.Create(spec);
        var zero = new byte[ValueSize];
        for (int k = 0; k < 2 * Threads; k++) Assert.Equal(Errno.Ok, map.Update(Key(k), zero, UpdateFlags.Any));

        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var churn = type == MapType.Array ? null : new Thread(() => Churn(map, stop.Token));
        churn?.Start();
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() => Work(map, t, failures))).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        stop.Cancel();
        churn?.Join();

        Assert.True(failures.IsEmpty, string.Join('\n', failures.Take(10)));
        var value = new byte[ValueSize];
        for (int t = 0; t < Threads; t++)
        {
            Assert.Equal(Errno.Ok, map.Lookup(Key(t), value));
            Assert.Equal((ulong)Iterations, BinaryPrimitives.ReadUInt64LittleEndian(value));
        }
    }

    private static void Work(BpfMap map, int thread, System.Collections.Concurrent.ConcurrentQueue<string> failures)
    {
        byte[] own = Key(thread);
        var value = new byte[ValueSize];
        var pattern = new byte[ValueSize];
        var random = new Random(thread);
        for (int i = 0; i < Iterations; i++)
        {
            if (map.Lookup(own, value) != Errno.Ok) { failures.Enqueue($"thread {thread}: own key missing"); return; }
            BinaryPrimitives.WriteUInt64LittleEndian(value, BinaryPrimitives.ReadUInt64LittleEndian(value) + 1);
            if (map.Update(own, value, UpdateFlags.Exist) != Errno.Ok) { failures.Enqueue($"thread {thread}: own update failed"); return; }
            fixed (byte* k = own)
            {
                if (map.LookupElem(k, 0) is null) { failures.Enqueue($"thread {thread}: lock-free lookup missed its own key at {i}"); return; }
            }

            byte[] shared = Key(Threads + random.Next(Threads));
            Array.Fill(pattern, (byte)(thread * 64 + i % 64));
            fixed (byte* k = shared)
            fixed (byte* v = pattern)
            {
                long r = i % 2 == 0 ? -(long)map.Update(shared, pattern, UpdateFlags.Any) : map.UpdateElem(k, v, 0, 0);
                if (r != 0) { failures.Enqueue($"thread {thread}: shared update gave {r}"); return; }
            }

            if (map.Lookup(Key(Threads + random.Next(Threads)), value) != Errno.Ok) { failures.Enqueue($"thread {thread}: shared key missing"); return; }
            if (value.AsSpan().IndexOfAnyExcept(value[0]) >= 0) { failures.Enqueue($"thread {thread}: torn value {Convert.ToHexString(value)}"); return; }
        }
    }

    private static void Churn(BpfMap map, CancellationToken stop)
    {
        var value = new byte[ValueSize];
        var random = new Random(99);
        var next = new byte[4];
        while (!stop.IsCancellationRequested)
        {
            byte[] key = Key(100 + random.Next(12));
            // Full and missing keys are expected here; only the workers' keys matter.
            if (random.Next(2) == 0) map.Update(key, value, UpdateFlags.Any);
            else map.Delete(key);
            map.GetNextKey(key, next);
        }
    }

    [Fact]
    public void LpmTrieLookupsNeverMissWhileTheTrieChanges()
    {
        // Each worker owns 10.0.t.0/24; another thread keeps inserting and deleting prefixes above it (10/8, 10.0/16,
        // 10.0.0/20), beside it and inside its lower half (10.0.t.0/25, /26, /32s), so forks come and go and freed
        // nodes are reused. A lock-free lookup of 10.0.t.200/32 must always end at the worker's own /24 node.
        var spec = new MapSpec { Name = "c", Type = MapType.LpmTrie, KeySize = 8, ValueSize = 8, MaxEntries = 256, Flags = MapFlags.NoPrealloc };
        using var map = BpfMap.Create(spec);
        var own = new nint[Threads];
        for (int t = 0; t < Threads; t++)
        {
            Assert.Equal(Errno.Ok, map.Update(LpmKey(24, 10, 0, t, 0), new byte[8], UpdateFlags.NoExist));
            fixed (byte* k = LpmKey(32, 10, 0, t, 200)) own[t] = (nint)map.LookupElem(k, 0);
            Assert.NotEqual(0, own[t]);
        }

        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var churn = new Thread(() =>
        {
            var random = new Random(7);
            var value = new byte[8];
            var next = new byte[8];
            while (!stop.IsCancellationRequested)
            {
                int t = random.Next(Threads + 1);
                byte[] key = random.Next(6) switch
                {
                    0 => LpmKey(8, 10, 0, 0, 0),
                    1 => LpmKey(16, 10, 0, 0, 0),
                    2 => LpmKey(20, 10, 0, 0, 0),
                    3 => LpmKey(25, 10, 0, t, 0),
                    4 => LpmKey(26, 10, 0, t, 64),
                    _ => LpmKey(32, 10, 0, t, random.Next(128)),
                };
                if (random.Next(2) == 0) map.Update(key, value, UpdateFlags.Any);
                else map.Delete(key);
                map.GetNextKey(key, next);
            }
        });
        churn.Start();
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            byte[] probe = LpmKey(32, 10, 0, t, 200);
            byte[] mine = LpmKey(24, 10, 0, t, 0);
            var value = new byte[8];
            fixed (byte* k = probe)
            {
                for (int i = 0; i < Iterations; i++)
                {
                    nint found = (nint)map.LookupElem(k, 0);
                    if (found != own[t]) { failures.Enqueue($"thread {t}: lookup {i} gave {found:x}, not its /24 at {own[t]:x}"); return; }
                    if (map.Lookup(mine, value) != Errno.Ok) { failures.Enqueue($"thread {t}: own /24 missing"); return; }
                    BinaryPrimitives.WriteUInt64LittleEndian(value, BinaryPrimitives.ReadUInt64LittleEndian(value) + 1);
                    if (map.Update(mine, value, UpdateFlags.Exist) != Errno.Ok) { failures.Enqueue($"thread {t}: own update failed"); return; }
                }
            }
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        stop.Cancel();
        churn.Join();

        Assert.True(failures.IsEmpty, string.Join('\n', failures.Take(10)));
        var final = new byte[8];
        for (int t = 0; t < Threads; t++)
        {
            Assert.Equal(Errno.Ok, map.Lookup(LpmKey(24, 10, 0, t, 0), final));
            Assert.Equal((ulong)Iterations, BinaryPrimitives.ReadUInt64LittleEndian(final));
        }
    }

    private static byte[] LpmKey(uint prefix, int a, int b, int c, int d)
    {
        var key = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(key, prefix);
        key[4] = (byte)a;
        key[5] = (byte)b;
        key[6] = (byte)c;
        key[7] = (byte)d;
        return key;
    }

    private static byte[] Key(int n)
    {
        var key = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(key, n);
        return key;
    }
}
