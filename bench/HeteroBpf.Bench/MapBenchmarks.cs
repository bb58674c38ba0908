using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using HeteroBpf.Maps;

namespace HeteroBpf.Bench;

/// <summary>
/// ns per lookup and per update of a present key, through the program face as a helper calls it
/// (<see cref="BpfMap.LookupElem"/>, <see cref="BpfMap.UpdateElem"/> with BPF_ANY), for array, hash, LRU hash and
/// LPM trie maps holding 1k or 1M entries (u32 keys, LPM: /32 IPv4 prefixes; u64 values), beside
/// <see cref="Dictionary{TKey,TValue}"/> and <see cref="ConcurrentDictionary{TKey,TValue}"/> of the same keys. Each
/// invocation touches 4096 keys in a fixed random order, so the 1M rows measure cache misses as a program would see them.
/// </summary>
public unsafe class MapBenchmarks
{
    private const int Batch = 4096;

    /// <summary>The structure under test.</summary>
    public enum Structure
    {
        /// <summary>BPF_MAP_TYPE_ARRAY.</summary>
        Array,
        /// <summary>BPF_MAP_TYPE_HASH.</summary>
        Hash,
        /// <summary>BPF_MAP_TYPE_LRU_HASH.</summary>
        LruHash,
        /// <summary>BPF_MAP_TYPE_LPM_TRIE with /32 keys.</summary>
        LpmTrie,
        /// <summary>Managed baseline: Dictionary&lt;uint, ulong&gt;.</summary>
        Dictionary,
        /// <summary>Managed baseline: ConcurrentDictionary&lt;uint, ulong&gt;.</summary>
        ConcurrentDictionary,
    }

    private BpfMap? _map;
    private Dictionary<uint, ulong>? _dictionary;
    private ConcurrentDictionary<uint, ulong>? _concurrent;
    private byte* _keys;
    private uint[] _plainKeys = [];
    private int _keySize;
    private ulong _value = 7;

    /// <summary>Entries in the map, all present before measuring.</summary>
    [Params(1_000, 1_000_000)]
    public int Entries { get; set; }

    /// <summary>Which map or baseline.</summary>
    [ParamsAllValues]
    public Structure Kind { get; set; }

    /// <summary>Fills the structure and draws the keys.</summary>
    [GlobalSetup]
    public void Setup()
    {
        bool lpm = Kind == Structure.LpmTrie;
        _keySize = lpm ? 8 : 4;
        byte* key = stackalloc byte[8];
        ulong value = 1;
        switch (Kind)
        {
            case Structure.Array or Structure.Hash or Structure.LruHash or Structure.LpmTrie:
                _map = BpfMap.Create(new MapSpec
                {
                    Name = "bench",
                    Type = Kind switch { Structure.Array => MapType.Array, Structure.Hash => MapType.Hash, Structure.LruHash => MapType.LruHash, _ => MapType.LpmTrie },
                    KeySize = (uint)_keySize,
                    ValueSize = 8,
                    MaxEntries = (uint)Entries,
                    Flags = lpm ? MapFlags.NoPrealloc : MapFlags.None,
                });
                for (uint i = 0; i < Entries; i++)
                {
                    WriteKey(key, i);
                    if (_map.UpdateElem(key, (byte*)&value, 0, 0) != 0) throw new InvalidOperationException($"{Kind}: filling entry {i} failed");
                }

                // A full map must still replace a present key (the kernel keeps spare elements for this).
                WriteKey(key, 0);
                if (_map.UpdateElem(key, (byte*)&value, 0, 0) != 0 || _map.LookupElem(key, 0) is null) throw new InvalidOperationException($"{Kind}: replacing a key of the full map failed");

                break;
            case Structure.Dictionary:
                _dictionary = new Dictionary<uint, ulong>(Entries);
                for (uint i = 0; i < Entries; i++) _dictionary[i] = value;
                break;
            default:
                _concurrent = new ConcurrentDictionary<uint, ulong>();
                for (uint i = 0; i < Entries; i++) _concurrent[i] = value;
                break;
        }

        var random = new Random(42);
        _plainKeys = new uint[Batch];
        _keys = (byte*)NativeMemory.AlignedAlloc((nuint)(Batch * _keySize), 8);
        for (int i = 0; i < Batch; i++)
        {
            _plainKeys[i] = (uint)random.Next(Entries);
            WriteKey(_keys + i * _keySize, _plainKeys[i]);
        }
    }

    // Array and hash keys are the index; an LPM key is prefix length 32 and a scrambled (still distinct) address.
    private void WriteKey(byte* key, uint i)
    {
        if (Kind != Structure.LpmTrie)
        {
            *(uint*)key = i;
            return;
        }

        *(uint*)key = 32;
        BinaryPrimitives.WriteUInt32BigEndian(new Span<byte>(key + 4, 4), i * 2654435761u);
    }

    /// <summary>Frees the map and the keys.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _map?.Dispose();
        NativeMemory.AlignedFree(_keys);
        _keys = null;
    }

    /// <summary>One lookup of a present key.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public ulong Lookup()
    {
        ulong sum = 0;
        if (_map is { } map)
        {
            for (int i = 0; i < Batch; i++) sum += *(ulong*)map.LookupElem(_keys + i * _keySize, 0);
        }
        else if (_dictionary is { } dictionary)
        {
            for (int i = 0; i < Batch; i++) sum += dictionary[_plainKeys[i]];
        }
        else
        {
            for (int i = 0; i < Batch; i++) sum += _concurrent![_plainKeys[i]];
        }

        return sum;
    }

    /// <summary>One update (BPF_ANY) of a present key.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public long Update()
    {
        long failures = 0;
        ulong value = ++_value;
        if (_map is { } map)
        {
            for (int i = 0; i < Batch; i++) failures += map.UpdateElem(_keys + i * _keySize, (byte*)&value, 0, 0);
        }
        else if (_dictionary is { } dictionary)
        {
            for (int i = 0; i < Batch; i++) dictionary[_plainKeys[i]] = value;
        }
        else
        {
            for (int i = 0; i < Batch; i++) _concurrent![_plainKeys[i]] = value;
        }

        return failures;
    }
}
