using System.Buffers.Binary;

namespace HeteroBpf.Maps;

/// <summary>Called by <see cref="PerfEventReader.Consume"/> for each record's raw data; a negative result stops the drain and is returned.</summary>
public delegate int PerfEventRecordHandler(ReadOnlySpan<byte> data);

/// <summary>
/// <c>BPF_MAP_TYPE_PERF_EVENT_ARRAY</c> as an output channel: <c>bpf_perf_event_output</c> (<see cref="Output"/>)
/// appends a record to the buffer of the reader attached at an index, and the host drains each reader
/// (<see cref="OpenReader"/>, <see cref="PerfEventReader.Consume"/>), as libbpf's perf buffer does with one
/// <c>PERF_COUNT_SW_BPF_OUTPUT</c> event per CPU.
/// </summary>
/// <remarks>
/// The kernel stores a perf event fd at each index; here the host attaches a <see cref="PerfEventReader"/> instead,
/// bound to one CPU like the event it stands for. Output's errors are the kernel's: flags beyond the index bits
/// -EINVAL, an index past max_entries -E2BIG, no reader there -ENOENT, a reader bound to another CPU than the
/// caller's -EOPNOTSUPP, a full reader buffer -ENOSPC (the reader counts it as lost). The skb/xdp variants' context
/// length (the upper 32 flag bits) is the helper's business, not the map's: it is refused here as -EINVAL.
/// The copying face has no perf event fds to take or give: lookup gives ENOTSUPP and update EINVAL for flags other than BPF_ANY, E2BIG past
/// the end, EBADF for a negative fd (all as the kernel), while an update with any other value is EOPNOTSUPP, since readers are attached with
/// <see cref="OpenReader"/>; delete detaches (E2BIG past the end, ENOENT when nothing is attached) and get_next_key
/// walks indices as every array does.
/// </remarks>
public sealed unsafe class PerfEventArrayMap : BpfMap
{
    /// <summary>BPF_F_CURRENT_CPU: output to the index of the calling CPU.</summary>
    public const ulong CurrentCpu = 0xffff_ffff;

    /// <summary>BPF_F_INDEX_MASK: the flag bits holding the index.</summary>
    public const ulong IndexMask = 0xffff_ffff;

    private readonly PerfEventReader?[] _readers;
    private readonly Lock _attach = new();

    internal PerfEventArrayMap(MapSpec spec) : base(spec) => _readers = new PerfEventReader?[MaxEntries];

    /// <inheritdoc/>
    public override IReadOnlyList<(nint Start, nint Length)> ValueMemory => [];

    /// <summary>
    /// Attaches a reader at <paramref name="index"/> standing for an event on <paramref name="cpu"/> (default: the
    /// index), with a buffer of <paramref name="bytes"/> bytes; a reader already there is detached, as a kernel update
    /// replaces the event.
    /// </summary>
    public PerfEventReader OpenReader(int index, int bytes = 64 * 1024, int cpu = -1)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxEntries);
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 64);
        var reader = new PerfEventReader(this, index, cpu < 0 ? index : cpu, bytes);
        lock (_attach)
        {
            Volatile.Read(ref _readers[index])?.Detach();
            Volatile.Write(ref _readers[index], reader);
        }

        return reader;
    }

    internal void Remove(PerfEventReader reader)
    {
        lock (_attach)
        {
            if (ReferenceEquals(_readers[reader.Index], reader)) Volatile.Write(ref _readers[reader.Index], null);
        }
    }

    /// <summary><c>bpf_perf_event_output</c> from CPU <paramref name="cpu"/>: 0 or a negative errno (see the remarks).</summary>
    public long Output(ulong flags, byte* data, ulong size, int cpu)
    {
        if ((flags & ~IndexMask) != 0) return Fail(Errno.EINVAL);
        ulong index = flags == CurrentCpu ? (ulong)cpu : flags;
        if (index >= (ulong)MaxEntries) return Fail(Errno.E2BIG);
        PerfEventReader? reader = Volatile.Read(ref _readers[index]);
        if (reader is null) return Fail(Errno.ENOENT);
        if (reader.Cpu != cpu) return Fail(Errno.EOPNOTSUPP);
        return reader.Append(data, size);
    }

    /// <summary>A perf event array has no values programs can reach: null.</summary>
    public override byte* LookupElem(byte* key, int cpu) => null;

    /// <inheritdoc/>
    public override long UpdateElem(byte* key, byte* value, ulong flags, int cpu) => Fail(Errno.EINVAL);

    /// <inheritdoc/>
    public override long DeleteElem(byte* key) => Fail(Errno.EINVAL);

    private protected override Errno LookupCore(ReadOnlySpan<byte> key, Span<byte> value) => Errno.ENOTSUPP;

    private protected override Errno UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        // bpf_fd_array_map_update_elem: BPF_ANY only, the index, then the fd.
        if (flags != (ulong)UpdateFlags.Any) return Errno.EINVAL;
        if (BinaryPrimitives.ReadUInt32LittleEndian(key) >= (uint)MaxEntries) return Errno.E2BIG;
        return BinaryPrimitives.ReadInt32LittleEndian(value) < 0 ? Errno.EBADF : Errno.EOPNOTSUPP;
    }

    private protected override Errno DeleteCore(ReadOnlySpan<byte> key)
    {
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(key);
        if (index >= (uint)MaxEntries) return Errno.E2BIG;
        PerfEventReader? reader;
        lock (_attach)
        {
            reader = _readers[index];
            if (reader is null) return Errno.ENOENT;
            _readers[index] = null;
        }

        reader.Detach();
        return Errno.Ok;
    }

    private protected override Errno GetNextKeyCore(ReadOnlySpan<byte> key, Span<byte> next) => NextIndex(key, next);

    private protected override void FreeMemory()
    {
        if (_readers is null) return;
        foreach (var reader in _readers) reader?.Detach();
    }
}

/// <summary>
/// The host's end of one perf event array index: a byte ring of records, each a u32 length and the raw data,
/// taking what the kernel's sample takes (an 8-byte perf_event_header, then the u32 size and data padded to 8).
/// A record that does not fit is lost (counted in <see cref="Lost"/>), as with a full perf buffer.
/// </summary>
public sealed unsafe class PerfEventReader : IDisposable
{
    private const int HeaderSize = 8;
    private readonly PerfEventArrayMap _map;
    private readonly NativeBlock _buffer;
    private readonly Lock _lock = new();
    private readonly long _capacity;
    private byte[] _scratch = [];
    private long _head;
    private long _tail;
    private long _lost;
    private bool _detached;

    internal PerfEventReader(PerfEventArrayMap map, int index, int cpu, int bytes)
    {
        _map = map;
        Index = index;
        Cpu = cpu;
        _capacity = bytes;
        _buffer = NativeBlock.Allocate(bytes, map.Spec.Name);
    }

    /// <summary>The array index this reader is attached at.</summary>
    public int Index { get; }

    /// <summary>The CPU whose programs may write to it (the kernel event's CPU).</summary>
    public int Cpu { get; }

    /// <summary>Records dropped because the buffer was full.</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>True once detached (disposed, replaced by another reader, or deleted from the map).</summary>
    public bool IsDetached => Volatile.Read(ref _detached);

    internal long Append(byte* data, ulong size)
    {
        // The sample's footprint: perf_event_header (8) + u32 size + data, padded to 8 bytes.
        ulong footprint = HeaderSize + ((size + 4 + 7) & ~7UL);
        lock (_lock)
        {
            if (_detached) return -(long)Errno.ENOENT;
            if (footprint > (ulong)(_capacity - (_head - _tail)))
            {
                _lost++;
                return -(long)Errno.ENOSPC;
            }

            uint length = (uint)size;
            Write(_head + HeaderSize, (byte*)&length, 4);
            Write(_head + HeaderSize + 4, data, (long)size);
            _head += (long)footprint;
            return 0;
        }
    }

    private void Write(long position, byte* source, long length)
    {
        long at = position % _capacity;
        long first = Math.Min(length, _capacity - at);
        Buffer.MemoryCopy(source, _buffer.Start + at, first, first);
        if (first < length) Buffer.MemoryCopy(source + first, _buffer.Start, length - first, length - first);
    }

    private void Read(long position, byte* destination, long length)
    {
        long at = position % _capacity;
        long first = Math.Min(length, _capacity - at);
        Buffer.MemoryCopy(_buffer.Start + at, destination, first, first);
        if (first < length) Buffer.MemoryCopy(_buffer.Start, destination + first, length - first, length - first);
    }

    /// <summary>Hands every record written so far to <paramref name="handler"/> in order; gives the count, or the handler's negative result.</summary>
    public long Consume(PerfEventRecordHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        long count = 0;
        lock (_lock)
        {
            if (_detached) return 0;
            while (_tail < _head)
            {
                uint length;
                Read(_tail + HeaderSize, (byte*)&length, 4);
                if (_scratch.Length < length) _scratch = new byte[Math.Max(length, 64)];
                fixed (byte* s = _scratch)
                {
                    Read(_tail + HeaderSize + 4, s, length);
                }

                _tail += HeaderSize + ((length + 4 + 7) & ~7L);
                int result = handler(_scratch.AsSpan(0, (int)length));
                if (result < 0) return result;
                count++;
            }
        }

        return count;
    }

    internal void Detach()
    {
        lock (_lock)
        {
            if (_detached) return;
            _detached = true;
            _buffer.Dispose();
        }
    }

    /// <summary>Detaches from the map and frees the buffer; records not consumed are gone.</summary>
    public void Dispose()
    {
        _map.Remove(this);
        Detach();
    }
}
