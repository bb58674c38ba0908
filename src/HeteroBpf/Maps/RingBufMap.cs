using System.Runtime.CompilerServices;

namespace HeteroBpf.Maps;

/// <summary>Flags and query selectors of the ring buffer helpers (<c>BPF_RB_*</c>), with the kernel's values.</summary>
public static class RingBufFlags
{
    /// <summary>BPF_RB_NO_WAKEUP: do not notify the consumer of this record.</summary>
    public const ulong NoWakeup = 1;

    /// <summary>BPF_RB_FORCE_WAKEUP: notify the consumer whatever its position.</summary>
    public const ulong ForceWakeup = 2;

    /// <summary>BPF_RB_AVAIL_DATA: bytes produced and not yet consumed (headers and padding included).</summary>
    public const ulong AvailData = 0;

    /// <summary>BPF_RB_RING_SIZE: size of the data area.</summary>
    public const ulong RingSize = 1;

    /// <summary>BPF_RB_CONS_POS: the consumer position.</summary>
    public const ulong ConsumerPosition = 2;

    /// <summary>BPF_RB_PROD_POS: the producer position.</summary>
    public const ulong ProducerPosition = 3;

    /// <summary>BPF_RINGBUF_BUSY_BIT: the record is reserved and not yet submitted or discarded.</summary>
    public const uint BusyBit = 1u << 31;

    /// <summary>BPF_RINGBUF_DISCARD_BIT: the record was discarded; consumers skip it.</summary>
    public const uint DiscardBit = 1u << 30;

    /// <summary>BPF_RINGBUF_HDR_SZ: a record's header, a u32 length (with the two bits above) and a u32 page offset.</summary>
    public const int HeaderSize = 8;
}

/// <summary>Called by <see cref="RingBufMap.Consume"/> for each submitted record; a negative result stops the drain and is returned.</summary>
public delegate int RingBufRecordHandler(ReadOnlySpan<byte> record);

/// <summary>
/// <c>BPF_MAP_TYPE_RINGBUF</c>: one ring shared by every producer, records reserved then submitted or discarded
/// by programs (<see cref="Reserve"/>, <see cref="Submit"/>, <see cref="Discard"/>, <see cref="Output"/>,
/// <see cref="Query"/>) and drained in order by one host consumer (<see cref="Consume"/>, as libbpf's
/// <c>ring_buffer__consume</c>).
/// </summary>
/// <remarks>
/// <para>Memory as the kernel lays it out for <c>mmap</c>: a page holding the u64 consumer position, a page holding the
/// u64 producer position, then the data area of max_entries bytes. Positions only grow; a position's byte in the
/// data area is <c>position &amp; (size - 1)</c>. Each record starts with an 8-byte header (u32 length with
/// <see cref="RingBufFlags.BusyBit"/> while reserved and <see cref="RingBufFlags.DiscardBit"/> once discarded; u32
/// page offset of the header, counted as the kernel does from one unmapped bookkeeping page before the consumer page) and takes header + length rounded up to 8 bytes.</para>
/// <para>The kernel maps the data pages twice in a row so that a record crossing the end stays contiguous; here the
/// data area is followed by a spill area of the same size that takes the part of a record crossing the end: reserve fills
/// it with the bytes at the start of the data area and commit copies it back there, where the kernel's alias keeps it. So the data
/// area is byte for byte the kernel's and every record is contiguous for its producer and its consumer; only the
/// second copy differs outside the records that crossed the end.</para>
/// <para>Producers serialise on a lock for the reservation only (the kernel's spinlock), then fill their record
/// without it; commit flips the header atomically. As in kernels since 6.10, a reservation is also refused when it
/// would make the ring span more than its size from the oldest record still busy, so a slow producer's record is
/// never overrun. The copying face has no elements: every element command gives ENOTSUPP, as the kernel's.</para>
/// <para>Wake-up flags are accepted and checked as the kernel does; there is no waiting consumer to wake here.</para>
/// </remarks>
public sealed unsafe class RingBufMap : BpfMap
{
    /// <summary>The largest record a reservation accepts (the kernel's RINGBUF_MAX_RECORD_SZ, UINT_MAX / 4).</summary>
    public const uint MaxRecordSize = uint.MaxValue / 4;

    // A header's page offset counts pages from the start of the kernel's struct bpf_ringbuf: one page of bookkeeping
    // that is never mapped, the consumer page, the producer page, then the data pages.
    private const ulong PagesBeforeData = 3;

    private readonly NativeBlock _block;
    private readonly byte* _data;
    private readonly ulong _mask;
    private readonly int _pageShift;
    private readonly Lock _producers = new();
    private readonly Lock _consumer = new();
    private readonly (nint, nint)[] _valueMemory;
    private ulong _pendingPosition;

    internal RingBufMap(MapSpec spec) : base(spec)
    {
        int page = Environment.SystemPageSize;
        _pageShift = System.Numerics.BitOperations.Log2((uint)page);
        _mask = spec.MaxEntries - 1UL;
        _block = NativeBlock.Allocate(2L * page + 2L * spec.MaxEntries, spec.Name);
        _data = _block.Start + 2 * page;
        _valueMemory = [((nint)_data, (nint)(2L * spec.MaxEntries))];
    }

    /// <summary>Size of the data area (max_entries).</summary>
    public ulong RingSize => _mask + 1;

    /// <summary>The u64 consumer position, first word of the consumer page.</summary>
    private ref ulong ConsumerPosition => ref *(ulong*)_block.Start;

    /// <summary>The u64 producer position, first word of the producer page.</summary>
    private ref ulong ProducerPosition => ref *(ulong*)(_block.Start + (1 << _pageShift));

    /// <inheritdoc/>
    public override IReadOnlyList<(nint Start, nint Length)> ValueMemory => _valueMemory;

    /// <summary>The three regions as the kernel's mmap presents them: consumer page, producer page, data area.</summary>
    public (nint ConsumerPage, nint ProducerPage, nint Data) Layout => ((nint)_block.Start, (nint)_block.Start + (1 << _pageShift), (nint)_data);

    // ---- program face ----------------------------------------------------------------------------------------

    /// <summary>
    /// <c>bpf_ringbuf_reserve</c>: room for <paramref name="size"/> bytes after an 8-byte header, or null when
    /// <paramref name="flags"/> is not 0, the record can never fit, or the ring is full.
    /// </summary>
    public byte* Reserve(ulong size, ulong flags)
    {
        if (flags != 0) return null;
        return ReserveCore(size);
    }

    /// <summary><c>bpf_ringbuf_submit</c>: publishes a record from <see cref="Reserve"/>.</summary>
    public void Submit(byte* sample, ulong flags) => Commit(sample, discard: false);

    /// <summary><c>bpf_ringbuf_discard</c>: gives a record from <see cref="Reserve"/> back; the consumer skips it.</summary>
    public void Discard(byte* sample, ulong flags) => Commit(sample, discard: true);

    /// <summary>
    /// <c>bpf_ringbuf_output</c>: copies <paramref name="size"/> bytes into a new record and submits it. 0, -EINVAL
    /// for flags other than the wake-up ones, -EAGAIN when the record does not fit.
    /// </summary>
    public long Output(byte* data, ulong size, ulong flags)
    {
        if ((flags & ~(RingBufFlags.NoWakeup | RingBufFlags.ForceWakeup)) != 0) return Fail(Errno.EINVAL);
        byte* record = ReserveCore(size);
        if (record is null) return Fail(Errno.EAGAIN);
        Buffer.MemoryCopy(data, record, (long)size, (long)size);
        Commit(record, discard: false);
        return 0;
    }

    /// <summary><c>bpf_ringbuf_query</c>: one of the <c>BPF_RB_*</c> selectors of <see cref="RingBufFlags"/>; 0 for any other.</summary>
    public ulong Query(ulong flags) => flags switch
    {
        RingBufFlags.AvailData => Volatile.Read(ref ProducerPosition) - Volatile.Read(ref ConsumerPosition),
        RingBufFlags.RingSize => _mask + 1,
        RingBufFlags.ConsumerPosition => Volatile.Read(ref ConsumerPosition),
        RingBufFlags.ProducerPosition => Volatile.Read(ref ProducerPosition),
        _ => 0,
    };

    /// <summary>A ring buffer has no keyed values: null.</summary>
    public override byte* LookupElem(byte* key, int cpu) => null;

    /// <inheritdoc/>
    public override long UpdateElem(byte* key, byte* value, ulong flags, int cpu) => Fail(Errno.ENOTSUPP);

    /// <inheritdoc/>
    public override long DeleteElem(byte* key) => Fail(Errno.ENOTSUPP);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RecordLength(ulong size) => (size + RingBufFlags.HeaderSize + 7) & ~7UL;

    private byte* ReserveCore(ulong size)
    {
        if (size > MaxRecordSize) return null;
        ulong length = RecordLength(size);
        if (length > _mask + 1) return null;
        ulong consumer = Volatile.Read(ref ConsumerPosition);
        lock (_producers)
        {
            ulong producer = ProducerPosition;
            // Move the oldest-busy mark past every record committed since; a busy one stops it.
            ulong pending = _pendingPosition;
            while (pending < producer)
            {
                uint header = Volatile.Read(ref *(uint*)(_data + (pending & _mask)));
                if ((header & RingBufFlags.BusyBit) != 0) break;
                pending += RecordLength(header & ~RingBufFlags.DiscardBit);
            }

            _pendingPosition = pending;
            ulong next = producer + length;
            if (next - consumer > _mask || next - pending > _mask) return null;

            byte* header0 = _data + (producer & _mask);
            // A record crossing the end continues in the spill area: show it there what the kernel's second mapping
            // of the data pages would (the bytes at the start), so unwritten bytes read the same.
            long spilled = (long)((producer & _mask) + length) - (long)(_mask + 1);
            if (spilled > 0) Buffer.MemoryCopy(_data, _data + _mask + 1, spilled, spilled);
            *(uint*)(header0 + 4) = (uint)(PagesBeforeData + ((producer & _mask) >> _pageShift));
            Volatile.Write(ref *(uint*)header0, (uint)size | RingBufFlags.BusyBit);
            Volatile.Write(ref ProducerPosition, next);
            return header0 + RingBufFlags.HeaderSize;
        }
    }

    private void Commit(byte* sample, bool discard)
    {
        byte* header = sample - RingBufFlags.HeaderSize;
        System.Diagnostics.Debug.Assert(header >= _data && header < _data + _mask + 1, "a sample that Reserve did not give");
        uint length = Volatile.Read(ref *(uint*)header) & ~RingBufFlags.BusyBit;
        // A record crossing the end of the data area was written on into the spill area; the kernel's second
        // mapping would have put those bytes at the start, so copy them there before the record is published.
        long end = header - _data + (long)RecordLength(length);
        long spilled = end - (long)(_mask + 1);
        if (spilled > 0) Buffer.MemoryCopy(_data + _mask + 1, _data, spilled, spilled);
        if (discard) length |= RingBufFlags.DiscardBit;
        Interlocked.Exchange(ref *(uint*)header, length);
    }

    // ---- host consumer ------------------------------------------------------------------------------------------

    /// <summary>
    /// Drains every submitted record in order, skipping discarded ones, until the ring is empty or the next record is
    /// still busy; each record's space is given back as soon as <paramref name="handler"/> returns. Gives the number
    /// of records handed over, or the handler's negative result (that record counts as consumed, as in libbpf).
    /// </summary>
    public long Consume(RingBufRecordHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        lock (_consumer)
        {
            long count = 0;
            ulong consumer = Volatile.Read(ref ConsumerPosition);
            bool progressed;
            do
            {
                progressed = false;
                ulong producer = Volatile.Read(ref ProducerPosition);
                while (consumer < producer)
                {
                    byte* header = _data + (consumer & _mask);
                    uint length = Volatile.Read(ref *(uint*)header);
                    if ((length & RingBufFlags.BusyBit) != 0) return count;
                    progressed = true;
                    consumer += RecordLength(length & ~RingBufFlags.DiscardBit);
                    if ((length & RingBufFlags.DiscardBit) == 0)
                    {
                        int result = handler(new ReadOnlySpan<byte>(header + RingBufFlags.HeaderSize, (int)length));
                        if (result < 0)
                        {
                            Volatile.Write(ref ConsumerPosition, consumer);
                            return result;
                        }

                        count++;
                    }

                    Volatile.Write(ref ConsumerPosition, consumer);
                }
            }
            while (progressed);

            return count;
        }
    }

    // ---- copying face: no elements ---------------------------------------------------------------------------

    private protected override Errno LookupCore(ReadOnlySpan<byte> key, Span<byte> value) => Errno.ENOTSUPP;

    private protected override Errno UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags) => Errno.ENOTSUPP;

    private protected override Errno DeleteCore(ReadOnlySpan<byte> key) => Errno.ENOTSUPP;

    private protected override Errno GetNextKeyCore(ReadOnlySpan<byte> key, Span<byte> next) => Errno.ENOTSUPP;

    private protected override void FreeMemory() => _block?.Dispose();
}
