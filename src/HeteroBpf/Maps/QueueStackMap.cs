namespace HeteroBpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_QUEUE</c> (FIFO) and <c>BPF_MAP_TYPE_STACK</c> (LIFO): keyless values pushed, popped and peeked
/// whole. The syscall's lookup peeks, its update pushes, <see cref="Pop(Span{byte})"/> is its lookup-and-delete;
/// delete and get_next_key are EINVAL.
/// </summary>
/// <remarks>
/// A ring of max_entries + 1 slots (one always empty, so head == tail means empty) under one lock, as the kernel's.
/// Values are only ever copied, so programs get no pointers into it and <see cref="ValueMemory"/> is empty.
/// </remarks>
public sealed unsafe class QueueStackMap : BpfMap
{
    private readonly NativeBlock _slots;
    private readonly uint _size;
    private readonly bool _stack;
    private readonly Lock _lock = new();
    private uint _head;
    private uint _tail;

    internal QueueStackMap(MapSpec spec) : base(spec)
    {
        _stack = spec.Type == MapType.Stack;
        _size = spec.MaxEntries + 1;
        _slots = NativeBlock.Allocate((long)_size * ValueSize, spec.Name);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<(nint Start, nint Length)> ValueMemory => [];

    /// <summary><c>BPF_MAP_LOOKUP_AND_DELETE_ELEM</c>: pops the next value (queue: oldest; stack: newest); ENOENT when empty.</summary>
    public Errno Pop(Span<byte> value)
    {
        CheckValue(value.Length);
        if (Spec.Flags.HasFlag(MapFlags.ReadOnly) || Spec.Flags.HasFlag(MapFlags.WriteOnly)) return Errno.EPERM;
        fixed (byte* v = value)
        {
            return (Errno)(-Take(v, remove: true));
        }
    }

    private protected override Errno LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        fixed (byte* v = value)
        {
            return (Errno)(-Take(v, remove: false));
        }
    }

    private protected override Errno UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        fixed (byte* v = value)
        {
            return (Errno)(-Push(v, flags));
        }
    }

    private protected override Errno DeleteCore(ReadOnlySpan<byte> key) => Errno.EINVAL;

    private protected override Errno GetNextKeyCore(ReadOnlySpan<byte> key, Span<byte> next) => Errno.EINVAL;

    /// <summary>A queue or stack has no keyed values: null, as the kernel's lookup.</summary>
    public override byte* LookupElem(byte* key, int cpu) => null;

    /// <inheritdoc/>
    public override long UpdateElem(byte* key, byte* value, ulong flags, int cpu) => Fail(Errno.EINVAL);

    /// <inheritdoc/>
    public override long DeleteElem(byte* key) => Fail(Errno.EINVAL);

    /// <summary>Pushes; when full, BPF_EXIST drops the oldest value to make room, otherwise E2BIG. BPF_NOEXIST and unknown flags are EINVAL.</summary>
    public override long Push(byte* value, ulong flags)
    {
        if ((flags & (ulong)UpdateFlags.NoExist) != 0 || flags > (ulong)UpdateFlags.Exist) return Fail(Errno.EINVAL);
        lock (_lock)
        {
            if (Next(_head) == _tail)
            {
                if ((flags & (ulong)UpdateFlags.Exist) == 0) return Fail(Errno.E2BIG);
                _tail = Next(_tail);
            }

            Buffer.MemoryCopy(value, _slots.Start + (long)_head * ValueSize, ValueSize, ValueSize);
            _head = Next(_head);
            return 0;
        }
    }

    /// <inheritdoc/>
    public override long Pop(byte* value) => Take(value, remove: true);

    /// <inheritdoc/>
    public override long Peek(byte* value) => Take(value, remove: false);

    private uint Next(uint slot) => slot + 1 == _size ? 0 : slot + 1;

    private long Take(byte* value, bool remove)
    {
        lock (_lock)
        {
            if (_head == _tail) return Fail(Errno.ENOENT);
            // A queue takes from the tail (oldest), a stack from the slot below the head (newest).
            uint slot = _stack ? (_head == 0 ? _size - 1 : _head - 1) : _tail;
            Buffer.MemoryCopy(_slots.Start + (long)slot * ValueSize, value, ValueSize, ValueSize);
            if (remove)
            {
                if (_stack) _head = slot;
                else _tail = Next(_tail);
            }

            return 0;
        }
    }

    private protected override void FreeMemory() => _slots?.Dispose();
}
