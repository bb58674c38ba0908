using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace HeteroBpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_HASH</c>, <c>PERCPU_HASH</c>, <c>LRU_HASH</c>, <c>LRU_PERCPU_HASH</c> and <c>HASH_OF_MAPS</c>: up to
/// <see cref="BpfMap.MaxEntries"/> keys in a preallocated pool of elements.
/// </summary>
/// <remarks>
/// <para>Layout follows the kernel's so that behaviour visible through the syscall matches it: the bucket count is
/// max_entries rounded up to a power of two, buckets are picked by <see cref="JHash"/> with the map's seed (random,
/// or 0 with <see cref="MapFlags.ZeroSeed"/>), a new element goes to the head of its bucket's chain, and an update
/// that the kernel does by replacing the element (plain and LRU hash without <c>BPF_F_LOCK</c>) moves it to the head.
/// <c>HASH_OF_MAPS</c> is a plain hash of 4-byte handles updated in place, as the kernel's.
/// <c>get_next_key</c> therefore walks keys in the kernel's order when both use the zero seed.</para>
/// <para>Elements never move: each element's hash, chain link and key sit together in one native record (so a
/// step along a chain is one cache miss, not one per array), its values in a second native pool at the element's
/// index (only values are program-visible memory). The pool has one spare
/// element beyond max_entries so that a replacing update can, like the kernel's, link the new element before
/// unlinking the old one: a concurrent lookup of that key finds the old value or the new, never neither. A program
/// still holding a pointer into the replaced element reads memory that may be reused, as in the kernel.</para>
/// <para>Concurrency: writers and copying readers hold the map's lock; a program's lookup is lock-free, walking a
/// chain whose end marker names its bucket (the kernel's "nulls" list), so a walk that was carried into another
/// bucket by a concurrent delete and reuse notices and starts over.</para>
/// <para>LRU policy (the kernel's is approximate too): second chance. A program's lookup and every update set an
/// element's referenced bit; inserting into a full map sweeps a hand over the pool, clearing set bits, and evicts the
/// first element found clear. An insert into a full LRU map therefore always succeeds and never exceeds
/// max_entries. <see cref="MapFlags.NoCommonLru"/> is accepted but shares one list.</para>
/// </remarks>
public sealed unsafe class HashMap : BpfMap
{
    // An element's record: the header, then the key (padded so records are a power of two up to a cache line).
    [StructLayout(LayoutKind.Sequential)]
    private struct Element
    {
        public uint Hash;
        // The next element of the chain, or the bucket's end marker.
        public int Next;
    }

    private readonly NativeBlock _elements;
    private readonly NativeBlock _values;
    private readonly int _elementStride;
    private readonly int _cpus;
    private readonly uint _bucketMask;
    private readonly uint _seed;
    private readonly bool _lru;
    // Chain links: an element index, or for the end of bucket b the marker ~b (always negative).
    private readonly int[] _heads;
    private readonly int[] _free;
    // LRU only: which elements hold a key, for the eviction hand.
    private readonly bool[] _used;
    private readonly byte[] _referenced;
    private readonly Lock _writer = new();
    private readonly (nint, nint)[] _valueMemory;
    private int _freeCount;
    private int _count;
    private int _hand;

    internal HashMap(MapSpec spec) : base(spec)
    {
        _lru = spec.Type is MapType.LruHash or MapType.LruPerCpuHash;
        _cpus = IsPerCpu ? PossibleCpus : 1;
        int record = sizeof(Element) + (int)MapSpecCheck.RoundUp8(spec.KeySize);
        _elementStride = record <= NativeBlock.CacheLine ? (int)BitOperations.RoundUpToPowerOf2((uint)record) : record;
        int pool = MaxEntries + 1;
        _elements = NativeBlock.Allocate((long)pool * _elementStride, spec.Name, NativeBlock.CacheLine);
        _values = NativeBlock.Allocate((long)pool * _cpus * ValueStride, spec.Name);
        _valueMemory = [((nint)_values.Start, _values.Length)];
        int buckets = (int)MapSpecCheck.RoundUpPowerOfTwo(spec.MaxEntries);
        _bucketMask = (uint)buckets - 1;
        _seed = spec.Flags.HasFlag(MapFlags.ZeroSeed) ? 0 : (uint)Random.Shared.Next();
        _heads = new int[buckets];
        for (int b = 0; b < buckets; b++) _heads[b] = ~b;
        _used = _lru ? new bool[pool] : [];
        _referenced = _lru ? new byte[pool] : [];
        _free = new int[pool];
        // Lowest index on top, so a fresh map fills its pool in order.
        for (int i = 0; i < pool; i++) _free[i] = pool - 1 - i;
        _freeCount = pool;
    }

    /// <inheritdoc/>
    public override IReadOnlyList<(nint Start, nint Length)> ValueMemory => _valueMemory;

    /// <summary>Number of keys present.</summary>
    public int Count
    {
        get
        {
            lock (_writer) return _count;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Element* ElementAt(int element) => (Element*)(_elements.Start + (nint)element * _elementStride);

    private byte* KeyAt(int element) => (byte*)(ElementAt(element) + 1);

    private byte* ValueAt(int element, int cpu) => _values.Start + ((long)element * _cpus + cpu) * ValueStride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Hash(byte* key) => JHash.HashKey(key, KeySize, _seed);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool SameKey(byte* stored, byte* key) => KeySize switch
    {
        4 => *(uint*)stored == Unsafe.ReadUnaligned<uint>(key),
        8 => *(ulong*)stored == Unsafe.ReadUnaligned<ulong>(key),
        _ => new ReadOnlySpan<byte>(stored, KeySize).SequenceEqual(new ReadOnlySpan<byte>(key, KeySize)),
    };

    // Lock-free: see the remarks on the chain end markers.
    private int Find(byte* key, uint hash)
    {
        int bucket = (int)(hash & _bucketMask);
        while (true)
        {
            int i = Volatile.Read(ref _heads[bucket]);
            while (i >= 0)
            {
                Element* element = ElementAt(i);
                if (element->Hash == hash && SameKey((byte*)(element + 1), key)) return i;
                i = Volatile.Read(ref element->Next);
            }

            if (i == ~bucket) return -1;
        }
    }

    private ref int Next(int element) => ref ElementAt(element)->Next;

    // Under the lock: takes element out of its chain, leaving its own link so a concurrent walk can go on.
    private void Unlink(int element)
    {
        int bucket = (int)(ElementAt(element)->Hash & _bucketMask);
        if (_heads[bucket] == element)
        {
            Volatile.Write(ref _heads[bucket], Next(element));
            return;
        }

        int i = _heads[bucket];
        while (Next(i) != element) i = Next(i);
        Volatile.Write(ref Next(i), Next(element));
    }

    private void LinkAtHead(int element)
    {
        int bucket = (int)(ElementAt(element)->Hash & _bucketMask);
        Volatile.Write(ref Next(element), _heads[bucket]);
        Volatile.Write(ref _heads[bucket], element);
    }

    private void Release(int element)
    {
        Unlink(element);
        if (_lru) _used[element] = false;
        _free[_freeCount++] = element;
    }

    // Second chance: the first element whose referenced bit is clear, clearing bits on the way.
    private void EvictOne()
    {
        while (true)
        {
            int i = _hand;
            _hand = i + 1 == _used.Length ? 0 : i + 1;
            if (!_used[i]) continue;
            if (_referenced[i] != 0)
            {
                _referenced[i] = 0;
                continue;
            }

            Release(i);
            _count--;
            return;
        }
    }

    private protected override Errno LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        fixed (byte* k = key)
        fixed (byte* destination = value)
        {
            lock (_writer)
            {
                int e = Find(k, Hash(k));
                if (e < 0) return Errno.ENOENT;
                // The syscall's lookup does not count as a use for the LRU (the kernel's lookup_elem_sys_only).
                if (!IsPerCpu) CopyValue(destination, ValueAt(e, 0), ValueSize, intoMap: false);
                else for (int cpu = 0; cpu < _cpus; cpu++) Buffer.MemoryCopy(ValueAt(e, cpu), destination + cpu * ValueStride, ValueStride, ValueStride);
                return Errno.Ok;
            }
        }
    }

    private protected override Errno UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            return (Errno)(-Write(k, v, flags, cpu: -1));
        }
    }

    private protected override Errno DeleteCore(ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            return (Errno)(-DeleteElem(k));
        }
    }

    private protected override Errno GetNextKeyCore(ReadOnlySpan<byte> key, Span<byte> next)
    {
        fixed (byte* k = key)
        {
            lock (_writer)
            {
                int bucket = 0;
                if (!key.IsEmpty)
                {
                    uint hash = Hash(k);
                    int e = Find(k, hash);
                    // A key that is gone restarts the walk at the first key, as the kernel does.
                    if (e >= 0)
                    {
                        if (Next(e) >= 0) return CopyKey(Next(e), next);
                        bucket = (int)(hash & _bucketMask) + 1;
                    }
                }

                for (; bucket < _heads.Length; bucket++)
                {
                    if (_heads[bucket] >= 0) return CopyKey(_heads[bucket], next);
                }

                return Errno.ENOENT;
            }
        }
    }

    private Errno CopyKey(int element, Span<byte> destination)
    {
        new ReadOnlySpan<byte>(KeyAt(element), KeySize).CopyTo(destination);
        return Errno.Ok;
    }

    /// <inheritdoc/>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override byte* LookupElem(byte* key, int cpu)
    {
        System.Diagnostics.Debug.Assert((uint)cpu < (uint)PossibleCpus, "a helper passes the CPU it runs on");
        int e = Find(key, Hash(key));
        if (e < 0) return null;
        // Set only when clear, so lookups of a hot key do not keep writing its cache line (the kernel's check too).
        if (_lru && _referenced[e] == 0) _referenced[e] = 1;
        return ValueAt(e, IsPerCpu ? cpu : 0);
    }

    /// <inheritdoc/>
    public override long UpdateElem(byte* key, byte* value, ulong flags, int cpu) => Write(key, value, flags, cpu);

    /// <inheritdoc/>
    public override long DeleteElem(byte* key)
    {
        uint hash = Hash(key);
        lock (_writer)
        {
            int e = Find(key, hash);
            if (e < 0) return Fail(Errno.ENOENT);
            Release(e);
            _count--;
            return 0;
        }
    }

    // One update; cpu -1 is the syscall (a per-CPU value then holds every CPU's slot).
    private long Write(byte* key, byte* value, ulong flags, int cpu)
    {
        bool locked = (flags & (ulong)UpdateFlags.Lock) != 0;
        ulong mode = flags & ~(ulong)UpdateFlags.Lock;
        // Only the plain hash knows BPF_F_LOCK; per-CPU and LRU maps take it for an unknown flag.
        if (mode > (ulong)UpdateFlags.Exist || (locked && (IsPerCpu || _lru))) return Fail(Errno.EINVAL);
        if (locked && Spec.SpinLockOffset is null) return Fail(Errno.EINVAL);
        uint hash = Hash(key);

        lock (_writer)
        {
            int e = Find(key, hash);
            if (e >= 0 && mode == (ulong)UpdateFlags.NoExist) return Fail(Errno.EEXIST);
            if (e < 0 && mode == (ulong)UpdateFlags.Exist) return Fail(Errno.ENOENT);

            // Per-CPU values, maps of maps and BPF_F_LOCK updates are written in place and keep their position.
            if (e >= 0 && (IsPerCpu || locked || Type == MapType.HashOfMaps))
            {
                WriteValue(e, value, cpu, fresh: false);
                if (_lru) _referenced[e] = 1;
                return 0;
            }

            if (e < 0 && _count == MaxEntries)
            {
                if (!_lru) return Fail(Errno.E2BIG);
                EvictOne();
            }

            // A new element at the head of the bucket; a replaced one leaves only after it (the spare makes room).
            int fresh = _free[--_freeCount];
            Buffer.MemoryCopy(key, KeyAt(fresh), KeySize, KeySize);
            ElementAt(fresh)->Hash = hash;
            WriteValue(fresh, value, cpu, fresh: true);
            if (_lru)
            {
                _used[fresh] = true;
                _referenced[fresh] = 1;
            }

            LinkAtHead(fresh);
            if (e >= 0) Release(e);
            else _count++;
            return 0;
        }
    }

    private void WriteValue(int element, byte* value, int cpu, bool fresh)
    {
        if (!IsPerCpu)
        {
            if (fresh && Spec.SpinLockOffset is { } at) *(uint*)(ValueAt(element, 0) + at) = 0;
            CopyValue(ValueAt(element, 0), value, ValueSize, intoMap: true);
        }
        else if (cpu < 0)
        {
            for (int c = 0; c < _cpus; c++) Buffer.MemoryCopy(value + c * ValueStride, ValueAt(element, c), ValueStride, ValueStride);
        }
        else
        {
            // A program creating a per-CPU element sets its own CPU's value; the others start at zero.
            if (fresh) new Span<byte>(ValueAt(element, 0), _cpus * ValueStride).Clear();
            Buffer.MemoryCopy(value, ValueAt(element, cpu), ValueSize, ValueSize);
        }
    }

    private protected override void FreeMemory()
    {
        _elements?.Dispose();
        _values?.Dispose();
    }
}
