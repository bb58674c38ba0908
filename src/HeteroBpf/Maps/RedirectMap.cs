using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace HeteroBpf.Maps;

/// <summary>What a redirect-target map holds at a key: the target an XDP redirect through it reaches.</summary>
/// <param name="Target">Devmaps: the ifindex; cpumap: the CPU (the key); xskmap: the AF_XDP socket handle.</param>
/// <param name="Program">Devmaps and cpumap with 8-byte values: the handle of the program to run on the target (0: none).</param>
/// <param name="QueueSize">Cpumap: the queue size (qsize); 0 for the others.</param>
public readonly record struct RedirectTarget(int Target, int Program, uint QueueSize);

/// <summary>
/// The redirect-target maps: <c>BPF_MAP_TYPE_DEVMAP</c>, <c>BPF_MAP_TYPE_DEVMAP_HASH</c>, <c>BPF_MAP_TYPE_CPUMAP</c>
/// and <c>BPF_MAP_TYPE_XSKMAP</c>, with the kernel's element commands and a lookup face for XDP redirect
/// (<see cref="TryGetTarget"/>).
/// </summary>
/// <remarks>
/// <para>There are no network devices, CPUs' kthreads or AF_XDP sockets behind these maps: they store what the user
/// gave, and resolving it is the redirecting layer's job. Devmaps store the value
/// (<c>struct bpf_devmap_val</c>: ifindex, then with 8-byte values a program handle, stored only when positive, as
/// the kernel keeps a program id only for an fd above 0); any nonzero ifindex is taken, where the kernel refuses an
/// ifindex with no device in the caller's network namespace (EINVAL). The cpumap stores
/// <c>struct bpf_cpumap_val</c> (qsize, program handle); qsize 0 empties the slot and qsize above 16384 is EOVERFLOW, a
/// CPU that is not possible ENODEV, as the kernel. The xskmap stores the socket handle (a negative one is EBADF);
/// the kernel would refuse a descriptor that is not an AF_XDP socket.</para>
/// <para>Errors otherwise follow the kernel's order and codes: updates take only BPF_ANY/NOEXIST/EXIST (EINVAL),
/// array kinds refuse an index past the end (E2BIG) and BPF_NOEXIST on devmaps and the cpumap (EEXIST, their slots
/// always "exist"); deleting from an array kind is EINVAL past the end and otherwise always succeeds; a devmap-hash
/// update with ifindex 0 is EINVAL, BPF_EXIST does not require the key (as in the kernel) and a new key in a full map
/// is E2BIG; its get_next_key walks buckets as the kernel's (key &amp; (buckets - 1), newest first in a bucket).
/// Programs see none of these values: lookups from programs go through <see cref="TryGetTarget"/>.</para>
/// </remarks>
public sealed unsafe class RedirectMap : BpfMap
{
    /// <summary>The cpumap's qsize limit.</summary>
    public const uint MaxQueueSize = 16384;

    // Readers (redirects, on packet threads) take no lock: a slot is an immutable box swapped whole (a reference
    // write, never torn), and the devmap-hash dictionary is a concurrent one, whose reads are lock-free. Writers still
    // take _lock, which keeps the buckets (get_next_key order) in step with the dictionary.
    private readonly Slot?[] _slots;
    private readonly List<uint>[] _buckets;
    private readonly ConcurrentDictionary<uint, RedirectTarget> _hash;
    private readonly Lock _lock = new();

    internal RedirectMap(MapSpec spec) : base(spec)
    {
        if (spec.Type == MapType.DevMapHash)
        {
            _slots = [];
            _hash = new ConcurrentDictionary<uint, RedirectTarget>();
            _buckets = new List<uint>[MapSpecCheck.RoundUpPowerOfTwo(spec.MaxEntries)];
        }
        else
        {
            _slots = new Slot?[MaxEntries];
            _hash = new ConcurrentDictionary<uint, RedirectTarget>();
            _buckets = [];
        }
    }

    /// <inheritdoc/>
    public override IReadOnlyList<(nint Start, nint Length)> ValueMemory => [];

    /// <summary>The target stored at <paramref name="key"/>, for an XDP redirect; no allocation and no lock, safe from any thread.</summary>
    public bool TryGetTarget(uint key, out RedirectTarget target)
    {
        if (Type == MapType.DevMapHash) return _hash.TryGetValue(key, out target);
        target = default;
        if (key >= (uint)MaxEntries || Volatile.Read(ref _slots[key]) is not { } slot) return false;
        target = slot.Target;
        return true;
    }

    private sealed class Slot(RedirectTarget target)
    {
        public RedirectTarget Target { get; } = target;
    }

    private void Store(uint index, RedirectTarget? target) => Volatile.Write(ref _slots[index], target is { } t ? new Slot(t) : null);

    private protected override Errno LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        // The kernel's xskmap has no syscall lookup.
        if (Type == MapType.XskMap) return Errno.EOPNOTSUPP;
        if (!TryGetTarget(BinaryPrimitives.ReadUInt32LittleEndian(key), out RedirectTarget target)) return Errno.ENOENT;
        BinaryPrimitives.WriteInt32LittleEndian(value, Type == MapType.CpuMap ? (int)target.QueueSize : target.Target);
        if (value.Length == 8) BinaryPrimitives.WriteInt32LittleEndian(value[4..], target.Program);
        return Errno.Ok;
    }

    private protected override Errno UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        if (flags > (ulong)UpdateFlags.Exist) return Errno.EINVAL;
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(key);
        int first = BinaryPrimitives.ReadInt32LittleEndian(value);
        int program = value.Length == 8 ? BinaryPrimitives.ReadInt32LittleEndian(value[4..]) : 0;
        return Type switch
        {
            MapType.DevMap => UpdateDevMap(index, first, program, flags),
            MapType.DevMapHash => UpdateDevMapHash(index, first, program, flags),
            MapType.CpuMap => UpdateCpuMap(index, (uint)first, program, flags),
            _ => UpdateXskMap(index, first, flags),
        };
    }

    private Errno UpdateDevMap(uint index, int ifindex, int program, ulong flags)
    {
        if (index >= (uint)MaxEntries) return Errno.E2BIG;
        if (flags == (ulong)UpdateFlags.NoExist) return Errno.EEXIST;
        if (ifindex == 0 && program > 0) return Errno.EINVAL;
        lock (_lock) Store(index, ifindex == 0 ? null : new RedirectTarget(ifindex, Math.Max(program, 0), 0));
        return Errno.Ok;
    }

    private Errno UpdateDevMapHash(uint key, int ifindex, int program, ulong flags)
    {
        if (ifindex == 0) return Errno.EINVAL;
        lock (_lock)
        {
            bool present = _hash.ContainsKey(key);
            if (present && flags == (ulong)UpdateFlags.NoExist) return Errno.EEXIST;
            if (!present && _hash.Count >= MaxEntries) return Errno.E2BIG;
            List<uint> bucket = _buckets[key & (uint)(_buckets.Length - 1)] ??= [];
            // A replaced entry is a new node at the head of its bucket, as the kernel's.
            bucket.Remove(key);
            bucket.Insert(0, key);
            _hash[key] = new RedirectTarget(ifindex, Math.Max(program, 0), 0);
            return Errno.Ok;
        }
    }

    private Errno UpdateCpuMap(uint cpu, uint queueSize, int program, ulong flags)
    {
        if (cpu >= (uint)MaxEntries) return Errno.E2BIG;
        if (flags == (ulong)UpdateFlags.NoExist) return Errno.EEXIST;
        if (queueSize > MaxQueueSize) return Errno.EOVERFLOW;
        if (cpu >= (uint)PossibleCpus) return Errno.ENODEV;
        lock (_lock) Store(cpu, queueSize == 0 ? null : new RedirectTarget((int)cpu, Math.Max(program, 0), queueSize));
        return Errno.Ok;
    }

    private Errno UpdateXskMap(uint index, int socket, ulong flags)
    {
        if (index >= (uint)MaxEntries) return Errno.E2BIG;
        if (socket < 0) return Errno.EBADF;
        lock (_lock)
        {
            bool present = _slots[index] is not null;
            if (present && flags == (ulong)UpdateFlags.NoExist) return Errno.EEXIST;
            if (!present && flags == (ulong)UpdateFlags.Exist) return Errno.ENOENT;
            Store(index, new RedirectTarget(socket, 0, 0));
            return Errno.Ok;
        }
    }

    private protected override Errno DeleteCore(ReadOnlySpan<byte> key)
    {
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(key);
        lock (_lock)
        {
            if (Type == MapType.DevMapHash)
            {
                if (!_hash.TryRemove(index, out _)) return Errno.ENOENT;
                _buckets[index & (uint)(_buckets.Length - 1)].Remove(index);
                return Errno.Ok;
            }

            if (index >= (uint)MaxEntries) return Errno.EINVAL;
            Store(index, null);
            return Errno.Ok;
        }
    }

    private protected override Errno GetNextKeyCore(ReadOnlySpan<byte> key, Span<byte> next)
    {
        if (Type != MapType.DevMapHash) return NextIndex(key, next);
        lock (_lock)
        {
            long bucket = 0;
            if (!key.IsEmpty)
            {
                uint current = BinaryPrimitives.ReadUInt32LittleEndian(key);
                if (_hash.ContainsKey(current))
                {
                    List<uint> own = _buckets[current & (uint)(_buckets.Length - 1)];
                    int at = own.IndexOf(current);
                    if (at + 1 < own.Count)
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(next, own[at + 1]);
                        return Errno.Ok;
                    }

                    bucket = (current & (uint)(_buckets.Length - 1)) + 1;
                }
            }

            for (; bucket < _buckets.Length; bucket++)
            {
                if (_buckets[bucket] is { Count: > 0 } list)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(next, list[0]);
                    return Errno.Ok;
                }
            }

            return Errno.ENOENT;
        }
    }

    /// <summary>Programs reach targets through redirects, never through a value pointer: null.</summary>
    public override byte* LookupElem(byte* key, int cpu) => null;

    /// <inheritdoc/>
    public override long UpdateElem(byte* key, byte* value, ulong flags, int cpu) => Fail(Errno.EINVAL);

    /// <inheritdoc/>
    public override long DeleteElem(byte* key) => Fail(Errno.EINVAL);

    private protected override void FreeMemory()
    {
    }
}
