using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace HeteroBpf.Helpers;

/// <summary>What a region of memory holds, as a program sees it.</summary>
public enum RegionKind : byte
{
    /// <summary>The program's context (e.g. <c>xdp_md</c>).</summary>
    Context,
    /// <summary>Packet data (also the input memory of a raw run).</summary>
    Packet,
    /// <summary>Packet metadata in front of the data.</summary>
    PacketMeta,
    /// <summary>The frames of the call chain.</summary>
    Stack,
    /// <summary>A map value.</summary>
    MapValue,
    /// <summary>A map key.</summary>
    MapKey,
    /// <summary>Ring-buffer record memory.</summary>
    RingBuffer,
    /// <summary>Read-only data (e.g. a frozen <c>.rodata</c> map).</summary>
    ReadOnlyData,
}

/// <summary>A span of native memory a program may touch, with what it is and whether it may be written.</summary>
public readonly record struct MemoryRegion(ulong Start, ulong Length, RegionKind Kind, bool Writable)
{
    /// <summary>One past the last byte.</summary>
    public ulong End => Start + Length;

    /// <summary>True when the <paramref name="size"/> bytes at <paramref name="address"/> lie wholly inside (no overflow tricks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(ulong address, ulong size) => address >= Start && size <= Length && address - Start <= Length - size;

    /// <summary>Formats as <c>packet 0x7f..00+20</c>.</summary>
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()} 0x{Start:x}+{Length}{(Writable ? "" : " (read-only)")}";
}

/// <summary>The set of regions one run may access; every load, store and helper pointer is checked against it.</summary>
/// <remarks>
/// Regions are native memory that does not move while the run lasts (pinned arrays, native blocks), so engines and
/// helpers share real addresses. One map belongs to one run at a time: it is not thread-safe. The interpreter pushes
/// its stack as a region for the length of a run so that helpers can check stack pointers the same way.
/// </remarks>
public sealed class MemoryMap
{
    private MemoryRegion[] _regions = new MemoryRegion[4];
    private int _count;

    // The region the last successful scan of CanAccess ended on: consecutive accesses mostly hit the same region
    // (a parser walking the packet, a program updating one map value), so it is checked first. Only a hint: it is
    // range-checked against the count and the region is checked in full, so a stale hint costs one compare.
    private int _hint;

    /// <summary>Number of regions.</summary>
    public int Count => _count;

    /// <summary>The regions, in the order they were added.</summary>
    public ReadOnlySpan<MemoryRegion> Regions => _regions.AsSpan(0, _count);

    /// <summary>Adds a region and gives its index; an empty region is kept but matches no access.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Add(MemoryRegion region)
    {
        if (region.Start + region.Length < region.Start) throw new ArgumentOutOfRangeException(nameof(region), "region wraps around the address space");
        if (_count == _regions.Length) Array.Resize(ref _regions, _count * 2);
        _regions[_count] = region;
        return _count++;
    }

    /// <summary>Adds a region over <paramref name="memory"/>, which the caller keeps pinned while the map is in use; gives its index.</summary>
    public unsafe int Add(Span<byte> memory, RegionKind kind, bool writable = true) =>
        Add(new MemoryRegion(memory.IsEmpty ? 0 : (ulong)Unsafe.AsPointer(ref memory[0]), (ulong)memory.Length, kind, writable));

    /// <summary>Replaces region <paramref name="index"/> (the interpreter moves its stack region as frames come and go).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Set(int index, MemoryRegion region)
    {
        Debug.Assert((uint)index < (uint)_count);
        _regions[index] = region;
    }

    /// <summary>Removes region <paramref name="index"/>; later regions move down by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void RemoveAt(int index)
    {
        if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index));
        if (index == _count - 1)
        {
            // The common case (a run's stack, a callback's key): nothing moves.
            _count--;
            return;
        }

        Array.Copy(_regions, index + 1, _regions, index, _count - index - 1);
        _count--;
    }

    /// <summary>Removes every region.</summary>
    public void Clear() => _count = 0;

    [ThreadStatic]
    private static MemoryMap? t_idle;

    /// <summary>
    /// An empty map owned by the calling thread, reused from run to run so that a run allocates nothing; the caller
    /// must <see cref="Clear"/> it when done. A nested run (from a helper) finds it in use and gets a new one.
    /// </summary>
    public static MemoryMap ForThisThread() => t_idle is { Count: 0 } idle ? idle : t_idle = new MemoryMap();

    /// <summary>True when the access lies wholly inside one region that allows it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool CanAccess(ulong address, ulong size, bool write)
    {
        int hint = _hint;
        if ((uint)hint < (uint)_count)
        {
            ref readonly var r = ref _regions[hint];
            if (r.Contains(address, size) && (!write || r.Writable)) return true;
        }

        return Scan(address, size, write);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Scan(ulong address, ulong size, bool write)
    {
        var regions = _regions;
        for (int i = 0; i < _count; i++)
        {
            ref readonly var r = ref regions[i];
            if (r.Contains(address, size) && (!write || r.Writable))
            {
                _hint = i;
                return true;
            }
        }

        return false;
    }

    /// <summary>The index of the first region of <paramref name="kind"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int IndexOf(RegionKind kind)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_regions[i].Kind == kind) return i;
        }

        return -1;
    }

    /// <summary>The first region of <paramref name="kind"/>, if any.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryFind(RegionKind kind, out MemoryRegion region)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_regions[i].Kind == kind)
            {
                region = _regions[i];
                return true;
            }
        }

        region = default;
        return false;
    }

    /// <summary>Names the regions, for fault messages.</summary>
    public string Describe() => _count == 0 ? "no regions" : string.Join(", ", Regions.ToArray());
}
