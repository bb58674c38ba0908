namespace HeteroBpf.Maps;

/// <summary>
/// The kernel's creation checks (<c>map_alloc_check</c> of each map type, plus the size limits of its allocation),
/// applied to a <see cref="MapSpec"/> before any memory is taken, so a spec is refused here with the errno
/// <c>BPF_MAP_CREATE</c> would give.
/// </summary>
internal static class MapSpecCheck
{
    // The largest per-CPU unit the kernel's percpu allocator hands out (PCPU_MIN_UNIT_SIZE).
    public const uint PerCpuUnitLimit = 32 * 1024;

    // KMALLOC_MAX_SIZE on x86-64 with 4 KiB pages (MAX_PAGE_ORDER 10).
    public const ulong KmallocMax = 4UL << 20;

    // sizeof(struct htab_elem) on x86-64: the hash limit is key + value + this header below KmallocMax.
    private const ulong HashElemHeader = 48;

    private const MapFlags Access = MapFlags.ReadOnly | MapFlags.WriteOnly | MapFlags.ReadOnlyProg | MapFlags.WriteOnlyProg;
    private const MapFlags ArrayFlags = MapFlags.NumaNode | MapFlags.Mmapable | Access | MapFlags.PreserveElems | MapFlags.InnerMap;
    private const MapFlags HashFlags = MapFlags.NoPrealloc | MapFlags.NoCommonLru | MapFlags.NumaNode | Access | MapFlags.ZeroSeed;
    private const MapFlags QueueStackFlags = MapFlags.NumaNode | Access;
    private const MapFlags LpmTrieFlags = MapFlags.NoPrealloc | MapFlags.NumaNode | Access;
    private const MapFlags BloomFilterFlags = MapFlags.NumaNode | MapFlags.ZeroSeed | Access;

    // LPM_DATA_SIZE_MAX, and LPM_VAL_SIZE_MAX: what kmalloc allows after the stack-sized key and a 40-byte node header.
    private const uint LpmDataMax = 256;
    private const uint LpmValueMax = (uint)KmallocMax - 512 - 40 - LpmDataMax;

    /// <summary>Throws <see cref="MapSpecException"/> when the kernel would refuse <paramref name="spec"/>.</summary>
    public static void Validate(MapSpec spec)
    {
        // map_create refuses read-only plus write-only before the type looks at anything.
        if ((spec.Flags & (MapFlags.ReadOnly | MapFlags.WriteOnly)) == (MapFlags.ReadOnly | MapFlags.WriteOnly))
            Fail(spec, ErrorCode.MapFlagsInvalid, Errno.EINVAL, "BPF_F_RDONLY and BPF_F_WRONLY together");
        // map_create: map_extra means something only to Bloom filters (and arenas, which this runtime lacks).
        if (spec.MapExtra != 0 && spec.Type != MapType.BloomFilter)
            Fail(spec, ErrorCode.MapFlagsInvalid, Errno.EINVAL, $"map_extra 0x{spec.MapExtra:x} is only for Bloom filter maps");

        switch (spec.Type)
        {
            case MapType.Array or MapType.PerCpuArray: CheckArray(spec); break;
            case MapType.ProgArray or MapType.ArrayOfMaps:
                CheckHandleValue(spec);
                // fd_array_map_alloc_check: programs cannot read file pointers, so no program access flags either.
                if ((spec.Flags & (MapFlags.ReadOnlyProg | MapFlags.WriteOnlyProg)) != 0)
                    Fail(spec, ErrorCode.MapFlagsInvalid, Errno.EINVAL, $"a {spec.Type} takes no BPF_F_RDONLY_PROG or BPF_F_WRONLY_PROG");
                if (spec.Flags.HasFlag(MapFlags.Mmapable)) Fail(spec, ErrorCode.MapFlagsInvalid, Errno.EINVAL, "a map of handles cannot be BPF_F_MMAPABLE");
                CheckArray(spec);
                CheckInnerMap(spec);
                break;
            case MapType.Hash or MapType.PerCpuHash or MapType.LruHash or MapType.LruPerCpuHash: CheckHash(spec); break;
            case MapType.HashOfMaps:
                CheckHandleValue(spec);
                CheckHash(spec);
                CheckInnerMap(spec);
                break;
            case MapType.Queue or MapType.Stack: CheckQueueStack(spec); break;
            case MapType.LpmTrie: CheckLpmTrie(spec); break;
            case MapType.BloomFilter: CheckBloomFilter(spec); break;
            case MapType.RingBuf: CheckRingBuf(spec); break;
            case MapType.DevMap or MapType.DevMapHash or MapType.CpuMap or MapType.XskMap: CheckRedirect(spec); break;
            case MapType.PerfEventArray:
                // fd_array_map_alloc_check: a u32 fd, no program access flags, then the array rules.
                CheckHandleValue(spec);
                if ((spec.Flags & (MapFlags.ReadOnlyProg | MapFlags.WriteOnlyProg)) != 0)
                    Fail(spec, ErrorCode.MapFlagsInvalid, Errno.EINVAL, "a perf event array takes no BPF_F_RDONLY_PROG or BPF_F_WRONLY_PROG");
                CheckArray(spec);
                break;
            default:
                bool known = Enum.IsDefined(spec.Type) && spec.Type != MapType.Unspec;
                Fail(spec, ErrorCode.MapTypeUnsupported, known ? Errno.EOPNOTSUPP : Errno.EINVAL,
                    known ? $"map type {spec.Type} is not implemented by this runtime" : $"unknown map type {(uint)spec.Type}");
                break;
        }

        CheckSpinLock(spec);
    }

    // The kernel's map_check_btf: of the types here, only plain arrays and hashes may hold a bpf_spin_lock, a
    // 4-byte aligned word inside the value.
    private static void CheckSpinLock(MapSpec spec)
    {
        if (spec.SpinLockOffset is not { } at) return;
        if (spec.Type is not (MapType.Array or MapType.Hash))
            Fail(spec, ErrorCode.MapSpinLockInvalid, Errno.EOPNOTSUPP, $"{spec.Type} values cannot hold a bpf_spin_lock");
        if (at < 0 || at % 4 != 0 || (ulong)at + 4 > spec.ValueSize)
            Fail(spec, ErrorCode.MapSpinLockInvalid, Errno.EINVAL, $"a bpf_spin_lock at offset {at} is not an aligned word inside the {spec.ValueSize}-byte value");
    }

    private static void CheckArray(MapSpec spec)
    {
        bool perCpu = spec.Type == MapType.PerCpuArray;
        bool plain = spec.Type is MapType.Array;
        CheckFlags(spec, ArrayFlags);
        if (perCpu && spec.Flags.HasFlag(MapFlags.NumaNode)) Fail(spec, ErrorCode.MapFlagsInvalid, Errno.EINVAL, "a per-CPU array cannot be bound to a NUMA node");
        if (spec.MaxEntries == 0) Fail(spec, ErrorCode.MapMaxEntriesInvalid, Errno.EINVAL, "max_entries is 0");
        if (spec.KeySize != 4) Fail(spec, ErrorCode.MapKeySizeInvalid, Errno.EINVAL, $"an array's key is a u32 index (key_size 4), not {spec.KeySize} bytes");
        if (spec.ValueSize == 0) Fail(spec, ErrorCode.MapValueSizeInvalid, Errno.EINVAL, "value_size is 0");
        if (!plain && (spec.Flags & (MapFlags.Mmapable | MapFlags.InnerMap)) != 0)
            Fail(spec, ErrorCode.MapFlagsInvalid, Errno.EINVAL, "BPF_F_MMAPABLE and BPF_F_INNER_MAP are for plain arrays only");
        if (spec.Flags.HasFlag(MapFlags.PreserveElems) && spec.Type != MapType.PerfEventArray) Fail(spec, ErrorCode.MapFlagsInvalid, Errno.EINVAL, "BPF_F_PRESERVE_ELEMS is for perf event arrays only");
        if (spec.ValueSize > int.MaxValue) Fail(spec, ErrorCode.MapValueSizeInvalid, Errno.E2BIG, $"value_size {spec.ValueSize} is above INT_MAX");
        if (perCpu) CheckPerCpuValue(spec);
    }

    private static void CheckHash(MapSpec spec)
    {
        bool perCpu = spec.Type is MapType.PerCpuHash or MapType.LruPerCpuHash;
        bool lru = spec.Type is MapType.LruHash or MapType.LruPerCpuHash;
        CheckFlags(spec, HashFlags);
        if (!lru && spec.Flags.HasFlag(MapFlags.NoCommonLru)) Fail(spec, ErrorCode.MapFlagsInvalid, Errno.EINVAL, "BPF_F_NO_COMMON_LRU is for LRU maps only");
        if (lru && spec.Flags.HasFlag(MapFlags.NoPrealloc)) Fail(spec, ErrorCode.MapFlagsInvalid, Errno.ENOTSUPP, "LRU maps are always preallocated (BPF_F_NO_PREALLOC)");
        if (spec.Flags.HasFlag(MapFlags.NumaNode) && (perCpu || spec.Flags.HasFlag(MapFlags.NoCommonLru)))
            Fail(spec, ErrorCode.MapFlagsInvalid, Errno.EINVAL, "a per-CPU map or per-CPU LRU cannot be bound to a NUMA node");
        if (spec.MaxEntries == 0) Fail(spec, ErrorCode.MapMaxEntriesInvalid, Errno.EINVAL, "max_entries is 0");
        if (spec.KeySize == 0) Fail(spec, ErrorCode.MapKeySizeInvalid, Errno.EINVAL, "key_size is 0");
        if (spec.ValueSize == 0) Fail(spec, ErrorCode.MapValueSizeInvalid, Errno.EINVAL, "value_size is 0");
        if ((ulong)spec.KeySize + spec.ValueSize >= KmallocMax - HashElemHeader)
            Fail(spec, ErrorCode.MapValueSizeInvalid, Errno.E2BIG, $"key_size + value_size ({(ulong)spec.KeySize + spec.ValueSize}) reaches the kernel's element limit");
        if (perCpu) CheckPerCpuValue(spec);
        // htab_map_alloc: the bucket array (16 bytes a bucket, max_entries rounded up to a power of two) must fit a u32.
        if (RoundUpPowerOfTwo(spec.MaxEntries) > uint.MaxValue / 16UL)
            Fail(spec, ErrorCode.MapMaxEntriesInvalid, Errno.E2BIG, $"max_entries {spec.MaxEntries} needs more buckets than the kernel allows");
    }

    private static void CheckQueueStack(MapSpec spec)
    {
        if (spec.MaxEntries == 0) Fail(spec, ErrorCode.MapMaxEntriesInvalid, Errno.EINVAL, "max_entries is 0");
        if (spec.KeySize != 0) Fail(spec, ErrorCode.MapKeySizeInvalid, Errno.EINVAL, $"a queue or stack has no key (key_size 0), not {spec.KeySize} bytes");
        if (spec.ValueSize == 0) Fail(spec, ErrorCode.MapValueSizeInvalid, Errno.EINVAL, "value_size is 0");
        CheckFlags(spec, QueueStackFlags);
        if (spec.ValueSize > KmallocMax) Fail(spec, ErrorCode.MapValueSizeInvalid, Errno.E2BIG, $"value_size {spec.ValueSize} is above the kernel's allocation limit");
        ulong bytes = ((ulong)spec.MaxEntries + 1) * spec.ValueSize;
        if (bytes >= uint.MaxValue) Fail(spec, ErrorCode.MapAllocationFailed, Errno.ENOMEM, $"{spec.MaxEntries} elements of {spec.ValueSize} bytes are too many");
    }

    // bloom_map_alloc_check, then bloom_map_alloc: keyless, a value, entries, its flags, and map_extra's low 4 bits
    // (the number of hash functions) and nothing above them.
    private static void CheckBloomFilter(MapSpec spec)
    {
        if (spec.ValueSize > KmallocMax) Fail(spec, ErrorCode.MapValueSizeInvalid, Errno.E2BIG, $"value_size {spec.ValueSize} is above the kernel's allocation limit");
        if (spec.KeySize != 0) Fail(spec, ErrorCode.MapKeySizeInvalid, Errno.EINVAL, $"a Bloom filter has no key (key_size 0), not {spec.KeySize} bytes");
        if (spec.ValueSize == 0) Fail(spec, ErrorCode.MapValueSizeInvalid, Errno.EINVAL, "value_size is 0");
        if (spec.MaxEntries == 0) Fail(spec, ErrorCode.MapMaxEntriesInvalid, Errno.EINVAL, "max_entries is 0");
        CheckFlags(spec, BloomFilterFlags);
        if ((spec.MapExtra & ~0xFUL) != 0)
            Fail(spec, ErrorCode.MapFlagsInvalid, Errno.EINVAL, $"map_extra 0x{spec.MapExtra:x}: a Bloom filter takes only its number of hash functions (0-15) there");
    }

    // Prog arrays and maps of maps hold a u32 (an fd from user space; here a handle).
    private static void CheckHandleValue(MapSpec spec)
    {
        if (spec.ValueSize != 4) Fail(spec, ErrorCode.MapValueSizeInvalid, Errno.EINVAL, $"a {spec.Type} value is a 4-byte program or map handle, not {spec.ValueSize} bytes");
    }

    // The kernel takes the inner map's shape from an fd (inner_map_fd); a spec must describe it.
    private static void CheckInnerMap(MapSpec spec)
    {
        if (spec.Type is MapType.ArrayOfMaps or MapType.HashOfMaps && spec.InnerMap is null)
            Fail(spec, ErrorCode.MapInnerMapMissing, Errno.EINVAL, "a map of maps needs the spec of its inner map");
    }

    private static void CheckLpmTrie(MapSpec spec)
    {
        if (spec.MaxEntries == 0) Fail(spec, ErrorCode.MapMaxEntriesInvalid, Errno.EINVAL, "max_entries is 0");
        if (!spec.Flags.HasFlag(MapFlags.NoPrealloc)) Fail(spec, ErrorCode.MapFlagsInvalid, Errno.EINVAL, "an LPM trie needs BPF_F_NO_PREALLOC");
        CheckFlags(spec, LpmTrieFlags);
        if (spec.KeySize < 4 + 1 || spec.KeySize > 4 + LpmDataMax)
            Fail(spec, ErrorCode.MapKeySizeInvalid, Errno.EINVAL, $"an LPM key is a u32 prefix length and 1 to {LpmDataMax} data bytes (key_size 5..{4 + LpmDataMax}), not {spec.KeySize}");
        if (spec.ValueSize == 0 || spec.ValueSize > LpmValueMax)
            Fail(spec, ErrorCode.MapValueSizeInvalid, Errno.EINVAL, $"an LPM value is 1 to {LpmValueMax} bytes, not {spec.ValueSize}");
    }

    // ringbuf_map_alloc: only BPF_F_NUMA_NODE; no key or value; a power-of-two, page-aligned data size.
    private static void CheckRingBuf(MapSpec spec)
    {
        CheckFlags(spec, MapFlags.NumaNode);
        if (spec.KeySize != 0) Fail(spec, ErrorCode.MapKeySizeInvalid, Errno.EINVAL, $"a ring buffer has no key (key_size 0), not {spec.KeySize} bytes");
        if (spec.ValueSize != 0) Fail(spec, ErrorCode.MapValueSizeInvalid, Errno.EINVAL, $"a ring buffer has no value (value_size 0), not {spec.ValueSize} bytes");
        if (!System.Numerics.BitOperations.IsPow2(spec.MaxEntries) || spec.MaxEntries % (uint)Environment.SystemPageSize != 0)
            Fail(spec, ErrorCode.MapMaxEntriesInvalid, Errno.EINVAL, $"a ring buffer's size (max_entries) is a power of two and a multiple of the {Environment.SystemPageSize}-byte page, not {spec.MaxEntries}");
    }

    // dev_map_alloc / cpu_map_alloc / xsk_map_alloc: a u32 key; values as each type's struct (devmap: ifindex [+ program
    // fd]; cpumap: qsize [+ program fd]; xskmap: a socket fd).
    private static void CheckRedirect(MapSpec spec)
    {
        bool cpu = spec.Type == MapType.CpuMap;
        bool twoSizes = spec.Type is not MapType.XskMap;
        if (spec.MaxEntries == 0) Fail(spec, ErrorCode.MapMaxEntriesInvalid, Errno.EINVAL, "max_entries is 0");
        if (spec.KeySize != 4) Fail(spec, ErrorCode.MapKeySizeInvalid, Errno.EINVAL, $"a {spec.Type} key is a u32 (key_size 4), not {spec.KeySize} bytes");
        if (spec.ValueSize != 4 && !(twoSizes && spec.ValueSize == 8))
            Fail(spec, ErrorCode.MapValueSizeInvalid, Errno.EINVAL, $"a {spec.Type} value is {(twoSizes ? "4 or 8" : "4")} bytes, not {spec.ValueSize}");
        CheckFlags(spec, cpu ? MapFlags.NumaNode : MapFlags.NumaNode | MapFlags.ReadOnly | MapFlags.WriteOnly);
        if (cpu && spec.MaxEntries > KernelMaxCpus)
            Fail(spec, ErrorCode.MapMaxEntriesInvalid, Errno.E2BIG, $"a cpumap has at most NR_CPUS ({KernelMaxCpus}) entries, not {spec.MaxEntries}");
        if (spec.Type == MapType.DevMapHash && spec.MaxEntries > 1u << 31)
            Fail(spec, ErrorCode.MapMaxEntriesInvalid, Errno.EINVAL, $"a devmap hash has at most 2^31 entries, not {spec.MaxEntries}");
    }

    /// <summary>The kernel's NR_CPUS (<c>/sys/devices/system/cpu/kernel_max</c> + 1 where readable, else x86-64's largest, 8192).</summary>
    public static uint KernelMaxCpus { get; } = ReadKernelMaxCpus();

    private static uint ReadKernelMaxCpus()
    {
        try
        {
            return uint.Parse(File.ReadAllText("/sys/devices/system/cpu/kernel_max").Trim(), System.Globalization.CultureInfo.InvariantCulture) + 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return 8192;
        }
    }

    private static void CheckFlags(MapSpec spec, MapFlags allowed)
    {
        if ((spec.Flags & ~allowed) != 0)
            Fail(spec, ErrorCode.MapFlagsInvalid, Errno.EINVAL, $"flags 0x{(uint)(spec.Flags & ~allowed):x} are not accepted by {spec.Type} maps");
        if ((spec.Flags & (MapFlags.ReadOnlyProg | MapFlags.WriteOnlyProg)) == (MapFlags.ReadOnlyProg | MapFlags.WriteOnlyProg))
            Fail(spec, ErrorCode.MapFlagsInvalid, Errno.EINVAL, "BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together");
    }

    private static void CheckPerCpuValue(MapSpec spec)
    {
        if (RoundUp8(spec.ValueSize) > PerCpuUnitLimit)
            Fail(spec, ErrorCode.MapValueSizeInvalid, Errno.E2BIG, $"a per-CPU value of {spec.ValueSize} bytes is above the kernel's {PerCpuUnitLimit}-byte unit");
    }

    public static ulong RoundUp8(uint size) => ((ulong)size + 7) & ~7UL;

    public static ulong RoundUpPowerOfTwo(uint n) => n <= 1 ? 1 : 1UL << (64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)n - 1));

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(MapSpec spec, ErrorCode code, Errno errno, string reason) => throw new MapSpecException(code, errno, spec.Name, reason);
}
