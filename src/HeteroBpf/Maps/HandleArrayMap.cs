using System.Buffers.Binary;

namespace HeteroBpf.Maps;

/// <summary>
/// <c>BPF_MAP_TYPE_PROG_ARRAY</c> and <c>BPF_MAP_TYPE_ARRAY_OF_MAPS</c>: an array whose slots hold program or map
/// handles (the kernel's fds going in, ids coming out; here the caller's handles both ways), each slot empty until set.
/// </summary>
/// <remarks>
/// Slots are 32-bit handles in native memory (-1 = empty), written and read atomically, so no copy can tear. As in the
/// kernel, only BPF_ANY updates are accepted, and a slot can be emptied with delete. Programs see only a map of maps'
/// slots (<see cref="LookupElem"/> gives the slot, which the helper layer reads as "this inner map"); a prog array is
/// reached through <see cref="BpfMap.HandleAt"/> by tail calls, and programs may not update or delete either type.
/// </remarks>
public sealed unsafe class HandleArrayMap : BpfMap
{
    private const int Empty = -1;

    private readonly NativeBlock _slots;
    private readonly (nint, nint)[] _valueMemory;

    internal HandleArrayMap(MapSpec spec) : base(spec)
    {
        _slots = NativeBlock.Allocate((long)MaxEntries * 4, spec.Name);
        new Span<int>(_slots.Start, MaxEntries).Fill(Empty);
        _valueMemory = spec.Type == MapType.ArrayOfMaps ? [((nint)_slots.Start, _slots.Length)] : [];
    }

    /// <summary>Programs read a map of maps' slots; a prog array's they never see.</summary>
    public override IReadOnlyList<(nint Start, nint Length)> ValueMemory => _valueMemory;

    internal byte* SlotOf(byte* key)
    {
        uint index = *(uint*)key;
        return index < (uint)MaxEntries && Volatile.Read(ref ((int*)_slots.Start)[index]) != Empty ? _slots.Start + index * 4L : null;
    }

    private ref int Slot(uint index) => ref ((int*)_slots.Start)[index];

    private protected override Errno LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(key);
        int handle = index < (uint)MaxEntries ? Volatile.Read(ref Slot(index)) : Empty;
        if (handle == Empty) return Errno.ENOENT;
        BinaryPrimitives.WriteInt32LittleEndian(value, handle);
        return Errno.Ok;
    }

    private protected override Errno UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        if (flags != (ulong)UpdateFlags.Any) return Errno.EINVAL;
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(key);
        if (index >= (uint)MaxEntries) return Errno.E2BIG;
        int handle = BinaryPrimitives.ReadInt32LittleEndian(value);
        if (handle < 0) return Errno.EBADF;
        Volatile.Write(ref Slot(index), handle);
        return Errno.Ok;
    }

    private protected override Errno DeleteCore(ReadOnlySpan<byte> key)
    {
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(key);
        if (index >= (uint)MaxEntries) return Errno.E2BIG;
        return Interlocked.Exchange(ref Slot(index), Empty) == Empty ? Errno.ENOENT : Errno.Ok;
    }

    // The plain array's walk: every index, set or not.
    private protected override Errno GetNextKeyCore(ReadOnlySpan<byte> key, Span<byte> next) => NextIndex(key, next);

    /// <inheritdoc/>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override byte* LookupElem(byte* key, int cpu) => Type == MapType.ArrayOfMaps ? SlotOf(key) : null;

    /// <summary>Programs cannot change a prog array or map of maps (the kernel's verifier refuses the call).</summary>
    public override long UpdateElem(byte* key, byte* value, ulong flags, int cpu) => Fail(Errno.EOPNOTSUPP);

    /// <summary>Programs cannot change a prog array or map of maps (the kernel's verifier refuses the call).</summary>
    public override long DeleteElem(byte* key) => Fail(Errno.EOPNOTSUPP);

    private protected override void FreeMemory() => _slots?.Dispose();
}
