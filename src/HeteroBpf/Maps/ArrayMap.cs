using System.Buffers.Binary;

namespace HeteroBpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_ARRAY</c> and <c>BPF_MAP_TYPE_PERCPU_ARRAY</c>: <see cref="BpfMap.MaxEntries"/> zero-initialised
/// values indexed by a u32 key, all present from creation, none deletable.
/// </summary>
/// <remarks>
/// Values sit in one native block, 8-byte aligned (per-CPU: index-major, each index's CPUs side by side), so a
/// program's lookup is pointer arithmetic with no lock. Copies in and out are ordered by a sequence counter per
/// index: writers hold the map's lock and make the counter odd while they copy; a copying reader retries until it
/// saw the same even counter before and after, so it never returns half of one update and half of another.
/// </remarks>
public sealed unsafe class ArrayMap : BpfMap
{
    private readonly NativeBlock _values;
    private readonly int[] _sequence;
    private readonly Lock _writer = new();
    private readonly int _cpus;
    private readonly (nint, nint)[] _valueMemory;

    internal ArrayMap(MapSpec spec) : base(spec)
    {
        _cpus = IsPerCpu ? PossibleCpus : 1;
        _values = NativeBlock.Allocate((long)MaxEntries * _cpus * ValueStride, spec.Name);
        _sequence = new int[MaxEntries];
        _valueMemory = [((nint)_values.Start, _values.Length)];
    }

    /// <inheritdoc/>
    public override IReadOnlyList<(nint Start, nint Length)> ValueMemory => _valueMemory;

    private byte* Slot(uint index, int cpu) => _values.Start + ((long)index * _cpus + cpu) * ValueStride;

    private protected override Errno LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(key);
        if (index >= (uint)MaxEntries) return Errno.ENOENT;
        fixed (byte* destination = value)
        {
            ref int sequence = ref _sequence[index];
            while (true)
            {
                int before = Volatile.Read(ref sequence);
                if ((before & 1) != 0)
                {
                    Thread.SpinWait(1);
                    continue;
                }

                if (IsPerCpu)
                {
                    // The syscall copies each CPU's whole rounded-up slot, padding included.
                    for (int cpu = 0; cpu < _cpus; cpu++) Buffer.MemoryCopy(Slot(index, cpu), destination + cpu * ValueStride, ValueStride, ValueStride);
                }
                else
                {
                    CopyValue(destination, Slot(index, 0), ValueSize, intoMap: false);
                }

                // The copy's loads must complete before the counter is read again.
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref sequence) == before) return Errno.Ok;
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

    private protected override Errno DeleteCore(ReadOnlySpan<byte> key) => Errno.EINVAL;

    private protected override Errno GetNextKeyCore(ReadOnlySpan<byte> key, Span<byte> next) => NextIndex(key, next);

    /// <inheritdoc/>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override byte* LookupElem(byte* key, int cpu)
    {
        System.Diagnostics.Debug.Assert((uint)cpu < (uint)PossibleCpus, "a helper passes the CPU it runs on");
        uint index = *(uint*)key;
        return index < (uint)MaxEntries ? Slot(index, IsPerCpu ? cpu : 0) : null;
    }

    /// <inheritdoc/>
    public override long UpdateElem(byte* key, byte* value, ulong flags, int cpu) => Write(key, value, flags, cpu);

    /// <inheritdoc/>
    public override long DeleteElem(byte* key) => Fail(Errno.EINVAL);

    // One update; cpu -1 is the syscall (a per-CPU value then holds every CPU's slot).
    private long Write(byte* key, byte* value, ulong flags, int cpu)
    {
        ulong mode = flags & ~(ulong)UpdateFlags.Lock;
        if (mode > (ulong)UpdateFlags.Exist) return Fail(Errno.EINVAL);
        // A per-CPU value has no room for a spin lock, so BPF_F_LOCK is an unknown flag there.
        if (IsPerCpu && flags > (ulong)UpdateFlags.Exist) return Fail(Errno.EINVAL);
        if ((flags & (ulong)UpdateFlags.Lock) != 0 && Spec.SpinLockOffset is null) return Fail(Errno.EINVAL);
        uint index = *(uint*)key;
        if (index >= (uint)MaxEntries) return Fail(Errno.E2BIG);
        // Every element of an array exists, so "create only" always collides.
        if ((flags & (ulong)UpdateFlags.NoExist) != 0) return Fail(Errno.EEXIST);

        lock (_writer)
        {
            ref int sequence = ref _sequence[index];
            Interlocked.Increment(ref sequence);
            if (!IsPerCpu) CopyValue(Slot(index, 0), value, ValueSize, intoMap: true);
            else if (cpu >= 0) Buffer.MemoryCopy(value, Slot(index, cpu), ValueSize, ValueSize);
            else for (int c = 0; c < _cpus; c++) Buffer.MemoryCopy(value + c * ValueStride, Slot(index, c), ValueStride, ValueStride);
            Volatile.Write(ref sequence, sequence + 1);
        }

        return 0;
    }

    private protected override void FreeMemory() => _values?.Dispose();
}
