namespace HeteroBpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_BLOOM_FILTER</c>: a keyless set that answers "maybe present" or "certainly absent". Programs push
/// values (<c>bpf_map_push_elem</c>, flags 0 only) and ask with <c>bpf_map_peek_elem</c> (0 maybe present, -ENOENT
/// absent); the syscall's update pushes and its lookup asks, with the value as input. Nothing can be removed, so
/// delete, pop and get_next_key are EOPNOTSUPP.
/// </summary>
/// <remarks>
/// Sized and hashed as the kernel's: k = map_extra's low 4 bits (0 means 5) hash functions, each the jhash of the value
/// (jhash2 over words when the size is a multiple of 4) seeded with seed + i, masked to a bit array of
/// max_entries·k·7/5 bits rounded up to a power of two (at least 64; 2^32 when that overflows). With
/// <see cref="MapFlags.ZeroSeed"/> the seed is 0, so the same pushes set the same bits as in the kernel and the false
/// positives agree too. Bits are set with an interlocked OR, as the kernel's atomic set_bit, so concurrent pushes never
/// lose a bit; a peek may race a push and miss it, which a Bloom filter allows.
/// </remarks>
public sealed unsafe class BloomFilterMap : BpfMap
{
    private readonly NativeBlock _bits;
    private readonly uint _mask;
    private readonly uint _seed;
    private readonly uint _hashes;

    internal BloomFilterMap(MapSpec spec) : base(spec)
    {
        _hashes = HashFunctions(spec);
        ulong bits = BitCount(spec.MaxEntries, _hashes);
        _mask = (uint)(bits - 1);
        _bits = NativeBlock.Allocate((long)(bits / 8), spec.Name);
        _seed = spec.Flags.HasFlag(MapFlags.ZeroSeed) ? 0 : (uint)Random.Shared.Next();
    }

    /// <summary>Number of hash functions (map_extra's low 4 bits, 0 meaning the kernel's default of 5).</summary>
    public int HashCount => (int)_hashes;

    /// <summary>Size of the bit array in bits (a power of two).</summary>
    public ulong Bits => (ulong)_mask + 1;

    /// <inheritdoc/>
    public override IReadOnlyList<(nint Start, nint Length)> ValueMemory => [];

    internal static uint HashFunctions(MapSpec spec) => spec.MapExtra == 0 ? 5u : (uint)spec.MapExtra;

    // n·k/ln 2 bits with 7/5 for 1/ln 2, as bloom_map_alloc computes it in u32 arithmetic (n·k first, then /5·7).
    internal static ulong BitCount(uint maxEntries, uint hashes)
    {
        ulong product = (ulong)maxEntries * hashes;
        if (product > uint.MaxValue) return 1UL << 32;
        ulong bits = product / 5 * 7;
        if (bits > uint.MaxValue || bits > 1UL << 31) return 1UL << 32;
        return bits <= 64 ? 64 : MapSpecCheck.RoundUpPowerOfTwo((uint)bits);
    }

    private protected override Errno LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        fixed (byte* v = value)
        {
            return (Errno)(-Peek(v));
        }
    }

    private protected override Errno UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        fixed (byte* v = value)
        {
            return (Errno)(-Push(v, flags));
        }
    }

    private protected override Errno DeleteCore(ReadOnlySpan<byte> key) => Errno.EOPNOTSUPP;

    private protected override Errno GetNextKeyCore(ReadOnlySpan<byte> key, Span<byte> next) => Errno.EOPNOTSUPP;

    /// <summary>A Bloom filter has no keyed values: null (the verifier refuses map_lookup_elem on it).</summary>
    public override byte* LookupElem(byte* key, int cpu) => null;

    /// <summary>Programs must push: -EINVAL, as the kernel's.</summary>
    public override long UpdateElem(byte* key, byte* value, ulong flags, int cpu) => Fail(Errno.EINVAL);

    /// <summary>Nothing can be removed: -EOPNOTSUPP.</summary>
    public override long DeleteElem(byte* key) => Fail(Errno.EOPNOTSUPP);

    /// <summary>Adds the value's bits; flags other than BPF_ANY are -EINVAL.</summary>
    public override long Push(byte* value, ulong flags)
    {
        if (flags != 0) return Fail(Errno.EINVAL);
        ulong* words = (ulong*)_bits.Start;
        for (uint i = 0; i < _hashes; i++)
        {
            uint bit = Bit(value, i);
            ulong mask = 1UL << (int)(bit & 63);
            // Skip the locked OR when the bit is already set: repeated pushes of hot values stay read-only.
            if ((Volatile.Read(ref words[bit >> 6]) & mask) == 0) Interlocked.Or(ref words[bit >> 6], mask);
        }

        return 0;
    }

    /// <summary>0 when every one of the value's bits is set (maybe present), else -ENOENT (certainly absent).</summary>
    public override long Peek(byte* value)
    {
        ulong* words = (ulong*)_bits.Start;
        for (uint i = 0; i < _hashes; i++)
        {
            uint bit = Bit(value, i);
            if ((Volatile.Read(ref words[bit >> 6]) & (1UL << (int)(bit & 63))) == 0) return Fail(Errno.ENOENT);
        }

        return 0;
    }

    /// <summary>Nothing can be removed: -EOPNOTSUPP.</summary>
    public override long Pop(byte* value) => Fail(Errno.EOPNOTSUPP);

    private uint Bit(byte* value, uint index) => JHash.HashKey(value, ValueSize, _seed + index) & _mask;

    private protected override void FreeMemory() => _bits?.Dispose();
}
