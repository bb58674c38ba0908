using HeteroBpf.Maps;

namespace HeteroBpf.Offload;

/// <summary>A map a program may use: a host map or a device map (what the kernel's map fds in a program are).</summary>
/// <param name="Host">The host map, or null.</param>
/// <param name="Device">The device map, or null.</param>
public readonly record struct MapRef(BpfMap? Host, BpfDeviceMap? Device)
{
    /// <summary>A host map.</summary>
    public static implicit operator MapRef(BpfMap map) => new(map, null);

    /// <summary>A device map.</summary>
    public static implicit operator MapRef(BpfDeviceMap map) => new(null, map);

    /// <summary>A host map.</summary>
    public static MapRef FromHost(BpfMap map) => new(map, null);

    /// <summary>A device map.</summary>
    public static MapRef FromDevice(BpfDeviceMap map) => new(null, map);
}

/// <summary>
/// A map living in a device's memory (<c>map_ifindex</c>): the host reaches it only through the device's map operations
/// (lookup copies out, update with flags, delete, get-next-key with none = first), each under the device's lock. Once
/// the device is removed every operation fails with <see cref="DeviceRemovedException"/>.
/// </summary>
public sealed class BpfDeviceMap : IDisposable
{
    private DevicePort _port;
    private bool _orphaned;
    private bool _disposed;
    private bool _freed;

    internal BpfDeviceMap(MapSpec spec, OffloadDevice device, DeviceDomain domain, DevicePort port, IDeviceMapOps ops)
    {
        Spec = spec;
        Device = device;
        Domain = domain;
        _port = port;
        Ops = ops;
    }

    /// <summary>The spec the map was created from.</summary>
    public MapSpec Spec { get; }

    /// <summary>The device the map lives on.</summary>
    public OffloadDevice Device { get; }

    /// <summary>The port the map is bound to (moves to a surviving port when that one is removed).</summary>
    public DevicePort Port => Volatile.Read(ref _port);

    /// <summary>True once the device was removed.</summary>
    public bool IsOrphaned => Volatile.Read(ref _orphaned);

    /// <summary>Bytes a lookup copies per value (per-CPU maps: every CPU's value).</summary>
    public int UserValueSize => Ops.UserValueSize;

    internal DeviceDomain Domain { get; }

    /// <summary>The device's storage; only the device's own code (translator, runs) touches it directly.</summary>
    public IDeviceMapOps Ops { get; }

    /// <summary>Copies the value of <paramref name="key"/> out of the device (ENOENT when absent).</summary>
    /// <exception cref="DeviceRemovedException">The device was removed.</exception>
    public Errno Lookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        using var held = Enter("lookup");
        return Ops.Lookup(key, value);
    }

    /// <summary>Creates or replaces as <paramref name="flags"/> say: EEXIST (<see cref="UpdateFlags.NoExist"/> on a present key), ENOENT (<see cref="UpdateFlags.Exist"/> on an absent one), E2BIG (full, or an index beyond max_entries).</summary>
    /// <exception cref="DeviceRemovedException">The device was removed.</exception>
    public Errno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, UpdateFlags flags = UpdateFlags.Any)
    {
        using var held = Enter("update");
        return Ops.Update(key, value, flags);
    }

    /// <summary>Deletes <paramref name="key"/> (ENOENT when absent; EINVAL for arrays).</summary>
    /// <exception cref="DeviceRemovedException">The device was removed.</exception>
    public Errno Delete(ReadOnlySpan<byte> key)
    {
        using var held = Enter("delete");
        return Ops.Delete(key);
    }

    /// <summary>The key after <paramref name="key"/> (empty: the first key); ENOENT after the last ("no more keys").</summary>
    /// <exception cref="DeviceRemovedException">The device was removed.</exception>
    public Errno GetNextKey(ReadOnlySpan<byte> key, Span<byte> next)
    {
        using var held = Enter("get next key");
        return Ops.GetNextKey(key, next);
    }

    /// <summary>Every entry in get-next-key order, each read through the device (entries deleted mid-walk are skipped).</summary>
    /// <exception cref="DeviceRemovedException">The device was removed.</exception>
    public IReadOnlyList<(byte[] Key, byte[] Value)> Entries()
    {
        var entries = new List<(byte[], byte[])>();
        if (Spec.Type is MapType.Queue or MapType.Stack or MapType.RingBuf or MapType.PerfEventArray or MapType.XskMap) return entries;
        using var held = Enter("dump");
        byte[] key = [];
        var next = new byte[Spec.KeySize];
        while (Ops.GetNextKey(key, next) == Errno.Ok)
        {
            key = (byte[])next.Clone();
            var value = new byte[Ops.UserValueSize];
            if (Ops.Lookup(key, value) == Errno.Ok) entries.Add((key, value));
        }

        return entries;
    }

    /// <summary>
    /// Closes the map. Its device memory is freed now when no loaded program uses it, otherwise when the device goes
    /// (the kernel's reference counting, cut short: programs keep their maps).
    /// </summary>
    public void Dispose() => Device.Exclusive(() =>
    {
        if (_disposed) return 0;
        _disposed = true;
        if (!_orphaned && !Domain.Programs.Any(p => p.Maps.Contains(this))) Free();
        return 0;
    });

    // Called under the device's write lock.
    internal void MoveFrom(DevicePort removed, DevicePort survivor)
    {
        if (ReferenceEquals(_port, removed)) Volatile.Write(ref _port, survivor);
    }

    // Called under the device's write lock, before the domain frees its memory: no reader is inside the map.
    internal void Orphan()
    {
        Volatile.Write(ref _orphaned, true);
        if (!_freed) Free();
    }

    private void Free()
    {
        _freed = true;
        Domain.Maps.Remove(this);
        Ops.Dispose();
    }

    private OffloadDevice.ReadLock Enter(string what)
    {
        var held = Device.EnterRead();
        if (_orphaned)
        {
            held.Dispose();
            throw new DeviceRemovedException(Device.Name, $"cannot {what} map '{Spec.Name}'");
        }

        if (_disposed)
        {
            held.Dispose();
            throw new ObjectDisposedException(nameof(BpfDeviceMap), $"map '{Spec.Name}' was disposed");
        }

        return held;
    }
}
