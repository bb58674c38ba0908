using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace HeteroBpf.Maps;

/// <summary>
/// A live map with the Linux kernel's semantics. Values live in native memory that never moves until
/// <see cref="Dispose()"/>, so a value pointer a program got from <see cref="LookupElem"/> stays valid.
/// </summary>
/// <remarks>
/// Two faces. The user-space face (<see cref="Lookup"/>, <see cref="Update"/>, <see cref="Delete"/>,
/// <see cref="GetNextKey"/>) behaves like the <c>bpf()</c> commands: it copies, a per-CPU value is
/// <see cref="UserValueSize"/> bytes (each CPU's value rounded up to 8), and results are the errno the syscall
/// would give. The program face (<see cref="LookupElem"/>, <see cref="UpdateElem"/>, <see cref="DeleteElem"/>,
/// <see cref="Push"/>, <see cref="Pop"/>, <see cref="Peek"/>) is what helpers call: raw pointers, no allocation,
/// 0 or a negative errno. All operations are safe from several threads; a copy made by either face never mixes
/// two updates (a program's own stores through a value pointer are, as in the kernel, not synchronised).
/// </remarks>
public abstract unsafe class BpfMap : IDisposable
{
    /// <summary>Number of CPUs per-CPU maps keep a value for (the kernel's <c>num_possible_cpus()</c>).</summary>
    public static int PossibleCpus { get; } = Environment.ProcessorCount;

    private protected BpfMap(MapSpec spec)
    {
        Spec = spec;
        KeySize = (int)spec.KeySize;
        ValueSize = (int)spec.ValueSize;
        MaxEntries = (int)spec.MaxEntries;
        IsPerCpu = spec.Type is MapType.PerCpuArray or MapType.PerCpuHash or MapType.LruPerCpuHash;
        ValueStride = (int)MapSpecCheck.RoundUp8(spec.ValueSize);
        UserValueSize = IsPerCpu ? ValueStride * PossibleCpus : ValueSize;
    }

    /// <summary>The spec the map was created from.</summary>
    public MapSpec Spec { get; }

    /// <summary>Kernel map type.</summary>
    public MapType Type => Spec.Type;

    /// <summary>Key size in bytes.</summary>
    public int KeySize { get; }

    /// <summary>Value size in bytes (one CPU's value for per-CPU maps).</summary>
    public int ValueSize { get; }

    /// <summary>Maximum number of entries.</summary>
    public int MaxEntries { get; }

    /// <summary>True for maps keeping one value per CPU.</summary>
    public bool IsPerCpu { get; }

    /// <summary>Bytes the user-space face copies per value: <see cref="ValueSize"/>, or for per-CPU maps each CPU's value rounded up to 8, times <see cref="PossibleCpus"/>.</summary>
    public int UserValueSize { get; }

    /// <summary>Distance between consecutive values in native memory (value size rounded up to 8, as the kernel aligns them).</summary>
    private protected int ValueStride { get; }

    /// <summary>The native ranges holding values (what a program may reach through a looked-up pointer), for the memory map.</summary>
    public abstract IReadOnlyList<(nint Start, nint Length)> ValueMemory { get; }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>Creates an empty map, refusing a spec as the kernel's <c>BPF_MAP_CREATE</c> would (<see cref="MapSpecException"/>).</summary>
    public static BpfMap Create(MapSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        MapSpecCheck.Validate(spec);
        return spec.Type switch
        {
            MapType.Array or MapType.PerCpuArray => new ArrayMap(spec),
            MapType.Hash or MapType.PerCpuHash or MapType.LruHash or MapType.LruPerCpuHash or MapType.HashOfMaps => new HashMap(spec),
            MapType.ProgArray or MapType.ArrayOfMaps => new HandleArrayMap(spec),
            MapType.Queue or MapType.Stack => new QueueStackMap(spec),
            MapType.LpmTrie => new LpmTrieMap(spec),
            MapType.BloomFilter => new BloomFilterMap(spec),
            MapType.RingBuf => new RingBufMap(spec),
            MapType.PerfEventArray => new PerfEventArrayMap(spec),
            MapType.DevMap or MapType.DevMapHash or MapType.CpuMap or MapType.XskMap => new RedirectMap(spec),
            _ => throw new System.Diagnostics.UnreachableException($"MapSpecCheck let {spec.Type} through"),
        };
    }

    // ---- user-space face -------------------------------------------------------------------------------------

    /// <summary><c>BPF_MAP_LOOKUP_ELEM</c>: copies the value of <paramref name="key"/> (a queue or stack: peeks).</summary>
    public Errno Lookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        CheckKey(key);
        CheckValue(value.Length);
        if (Spec.Flags.HasFlag(MapFlags.WriteOnly)) return Errno.EPERM;
        return LookupCore(key, value);
    }

    /// <summary><c>BPF_MAP_UPDATE_ELEM</c>: creates or replaces as <paramref name="flags"/> say (a queue or stack: pushes).</summary>
    public Errno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, UpdateFlags flags)
    {
        CheckKey(key);
        CheckValue(value.Length);
        if (Spec.Flags.HasFlag(MapFlags.ReadOnly)) return Errno.EPERM;
        // The syscall refuses BPF_F_LOCK before the map sees it unless the value holds a bpf_spin_lock.
        if (flags.HasFlag(UpdateFlags.Lock) && Spec.SpinLockOffset is null) return Errno.EINVAL;
        // A hash of maps resolves the fd before anything else, so a bad one is EBADF whatever the flags.
        if (Type == MapType.HashOfMaps && BinaryPrimitives.ReadInt32LittleEndian(value) < 0) return Errno.EBADF;
        return UpdateCore(key, value, (ulong)flags);
    }

    /// <summary>True for maps whose values are program or map handles (the kernel's fd maps).</summary>
    public bool HoldsHandles => Type is MapType.ProgArray or MapType.ArrayOfMaps or MapType.HashOfMaps;

    /// <summary>
    /// The handle stored under <paramref name="key"/> in a prog array or map of maps, or -1. Handles are what the
    /// user stored (the kernel takes fds and reports ids); resolving them to programs or maps is the caller's job.
    /// </summary>
    public int HandleAt(byte* key)
    {
        if (!HoldsHandles) return -1;
        byte* slot = Type == MapType.ProgArray ? ((HandleArrayMap)this).SlotOf(key) : LookupElem(key, 0);
        return slot is null ? -1 : Volatile.Read(ref *(int*)slot);
    }

    /// <summary><c>BPF_MAP_DELETE_ELEM</c> (arrays, queues and stacks: EINVAL).</summary>
    public Errno Delete(ReadOnlySpan<byte> key)
    {
        CheckKey(key);
        if (Spec.Flags.HasFlag(MapFlags.ReadOnly)) return Errno.EPERM;
        return DeleteCore(key);
    }

    /// <summary><c>BPF_MAP_GET_NEXT_KEY</c>: the key after <paramref name="key"/> (empty: the first key); ENOENT past the last.</summary>
    public Errno GetNextKey(ReadOnlySpan<byte> key, Span<byte> next)
    {
        if (!key.IsEmpty) CheckKey(key);
        if (next.Length != KeySize) throw new ArgumentException($"the next-key buffer must be {KeySize} bytes, not {next.Length}", nameof(next));
        if (Spec.Flags.HasFlag(MapFlags.WriteOnly)) return Errno.EPERM;
        return GetNextKeyCore(key, next);
    }

    /// <summary>
    /// Every entry in <c>get_next_key</c> order with its user-space value (per-CPU maps: every CPU's, 8-byte aligned;
    /// prog arrays and maps of maps: the stored handle), as a dump by syscalls would see it. Maps without keys
    /// (queue, stack, Bloom filter, ring buffer, perf event array) give none; entries that vanish mid-walk are skipped.
    /// </summary>
    public IReadOnlyList<(byte[] Key, byte[] Value)> Entries()
    {
        var entries = new List<(byte[], byte[])>();
        if (Type is MapType.Queue or MapType.Stack or MapType.BloomFilter or MapType.RingBuf or MapType.PerfEventArray or MapType.XskMap) return entries;
        byte[] key = [];
        var next = new byte[KeySize];
        while (GetNextKey(key, next) == Errno.Ok)
        {
            key = (byte[])next.Clone();
            var value = new byte[UserValueSize];
            if (HoldsHandles)
            {
                fixed (byte* k = key)
                {
                    int handle = HandleAt(k);
                    if (handle < 0) continue;
                    BinaryPrimitives.WriteInt32LittleEndian(value, handle);
                }
            }
            else if (Lookup(key, value) != Errno.Ok)
            {
                continue;
            }

            entries.Add((key, value));
        }

        return entries;
    }

    private protected abstract Errno LookupCore(ReadOnlySpan<byte> key, Span<byte> value);

    private protected abstract Errno UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags);

    private protected abstract Errno DeleteCore(ReadOnlySpan<byte> key);

    private protected abstract Errno GetNextKeyCore(ReadOnlySpan<byte> key, Span<byte> next);

    // ---- program face ----------------------------------------------------------------------------------------

    /// <summary><c>bpf_map_lookup_elem</c>: the value of the key at <paramref name="key"/> (per-CPU maps: CPU <paramref name="cpu"/>'s), or null.</summary>
    public abstract byte* LookupElem(byte* key, int cpu);

    /// <summary><c>bpf_map_update_elem</c> from CPU <paramref name="cpu"/>: 0 or a negative errno.</summary>
    public abstract long UpdateElem(byte* key, byte* value, ulong flags, int cpu);

    /// <summary><c>bpf_map_delete_elem</c>: 0 or a negative errno.</summary>
    public abstract long DeleteElem(byte* key);

    /// <summary><c>bpf_map_push_elem</c> (queue, stack, Bloom filter); other types have no push and give -EINVAL.</summary>
    public virtual long Push(byte* value, ulong flags) => -(long)Errno.EINVAL;

    /// <summary><c>bpf_map_pop_elem</c> (queue, stack); other types have no pop and give -EINVAL.</summary>
    public virtual long Pop(byte* value) => -(long)Errno.EINVAL;

    /// <summary><c>bpf_map_peek_elem</c> (queue, stack, Bloom filter); other types have no peek and give -EINVAL.</summary>
    public virtual long Peek(byte* value) => -(long)Errno.EINVAL;

    // ---- shared --------------------------------------------------------------------------------------------

    /// <summary>Frees the map's native memory; pointers handed out before become invalid.</summary>
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        FreeMemory();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees native memory if the map was never disposed.</summary>
    ~BpfMap() => FreeMemory();

    private protected abstract void FreeMemory();

    /// <summary>
    /// Copies one value (one CPU's) of <see cref="ValueSize"/> bytes. As the kernel's copy_map_value, a
    /// <c>bpf_spin_lock</c> inside the value is never copied: into the map it is left alone, out of the map it reads
    /// as zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected void CopyValue(byte* destination, byte* source, int length, bool intoMap)
    {
        int lockAt = Spec.SpinLockOffset ?? -1;
        if (lockAt < 0)
        {
            Buffer.MemoryCopy(source, destination, length, length);
            return;
        }

        Buffer.MemoryCopy(source, destination, lockAt, lockAt);
        if (!intoMap) *(uint*)(destination + lockAt) = 0;
        int rest = length - lockAt - 4;
        if (rest > 0) Buffer.MemoryCopy(source + lockAt + 4, destination + lockAt + 4, rest, rest);
    }

    /// <summary>
    /// get_next_key of every array type: indices in order, all present. A missing or out-of-range key starts over at
    /// index 0; the last index has no successor.
    /// </summary>
    private protected Errno NextIndex(ReadOnlySpan<byte> key, Span<byte> next)
    {
        uint index = key.IsEmpty ? uint.MaxValue : BinaryPrimitives.ReadUInt32LittleEndian(key);
        if (index >= (uint)MaxEntries)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(next, 0);
            return Errno.Ok;
        }

        if (index == (uint)MaxEntries - 1) return Errno.ENOENT;
        BinaryPrimitives.WriteUInt32LittleEndian(next, index + 1);
        return Errno.Ok;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected static long Fail(Errno errno) => -(long)errno;

    private protected void CheckKey(ReadOnlySpan<byte> key)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (key.Length != KeySize) throw new ArgumentException($"map '{Spec.Name}' has {KeySize}-byte keys, not {key.Length}", nameof(key));
    }

    private protected void CheckValue(int length)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (length != UserValueSize) throw new ArgumentException($"map '{Spec.Name}' copies {UserValueSize}-byte values, not {length}", "value");
    }
}
