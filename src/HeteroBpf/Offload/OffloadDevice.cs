using HeteroBpf.Isa;
using HeteroBpf.Verifier;

namespace HeteroBpf.Offload;

/// <summary>Where a device-bound program is in its life (netdevsim's per-program state, plus orphaned).</summary>
public enum DeviceProgramState
{
    /// <summary>Bound to the device at load; not yet verified.</summary>
    Bound,
    /// <summary>Verified with the device's hooks.</summary>
    Verified,
    /// <summary>Translated by the device from the original bytecode.</summary>
    Translated,
    /// <summary>On the device, ready to attach and run.</summary>
    Loaded,
    /// <summary>Its device was removed: listed, never run or attached again.</summary>
    Orphaned,
}

/// <summary>
/// One life of a device's memory, from its first port to the removal of its last (the kernel's
/// <c>bpf_offload_netdev</c> set): the maps and programs made in it, and the device memory they live in. Removal
/// orphans them all and frees the memory; a port added afterwards starts a new domain, so nothing comes back.
/// </summary>
public abstract class DeviceDomain : IDisposable
{
    /// <summary>Creates the domain of <paramref name="device"/>.</summary>
    protected DeviceDomain(OffloadDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
    }

    /// <summary>The device.</summary>
    public OffloadDevice Device { get; }

    /// <summary>True once the device's last port went.</summary>
    public bool IsRemoved { get; internal set; }

    internal List<BpfDeviceProgram> Programs { get; } = [];

    internal List<BpfDeviceMap> Maps { get; } = [];

    /// <summary>Frees the device memory; called once, under the device's write lock, after every object was orphaned.</summary>
    public abstract void Dispose();
}

/// <summary>
/// An offload device (the kernel's <c>bpf_offload_dev</c> with its netdevs): a name, a capability table, one or more
/// ports sharing the device's maps, and the verb set of the kernel's offload ops: verifier hooks from the capability
/// table (plus the device's own), map allocation in device memory, translation, and runs through the device.
/// </summary>
/// <remarks>
/// Concurrency: one reader/writer lock per device. Map operations, runs and each verifier hook hold it for reading;
/// adding and removing ports, binding and orphaning hold it for writing. So a removal waits for the runs, map
/// operations and hook calls in progress (a verification delay inside a hook included), then orphans everything at
/// once; an operation that starts afterwards finds its object orphaned and fails with <see cref="DeviceRemovedException"/>,
/// and device memory is freed only when no reader can be inside it.
/// </remarks>
public abstract class OffloadDevice
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.SupportsRecursion);
    private readonly List<DevicePort> _ports = [];
    private readonly List<BpfDeviceProgram> _programs = [];
    private DeviceDomain? _domain;
    private int _nextPort;

    /// <summary>Creates the device with <paramref name="ports"/> ports.</summary>
    protected OffloadDevice(string name, DeviceCapabilities capabilities, int ports)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(capabilities);
        ArgumentOutOfRangeException.ThrowIfLessThan(ports, 0);
        Name = name;
        Capabilities = capabilities;
        for (int i = 0; i < ports; i++) AddPort();
    }

    /// <summary>The device's name (also its <c>--device</c> name and the prefix of its verifier messages).</summary>
    public string Name { get; }

    /// <summary>The capability table.</summary>
    public DeviceCapabilities Capabilities { get; }

    /// <summary>The instruction set its translator emits.</summary>
    public string Isa => Capabilities.Isa;

    /// <summary>The ports there are now.</summary>
    public IReadOnlyList<DevicePort> Ports
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return [.. _ports];
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    // The ports, for callers that hold the lock.
    internal List<DevicePort> PortsUnlocked => _ports;

    /// <summary>True while the device has a port.</summary>
    public bool IsPresent => Volatile.Read(ref _domain) is not null;

    /// <summary>Every program bound to the device and not disposed, orphaned ones included (the kernel lists those too).</summary>
    public IReadOnlyList<BpfDeviceProgram> Programs
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return [.. _programs];
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>The maps of the current domain (none while the device is removed).</summary>
    public IReadOnlyList<BpfDeviceMap> Maps
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _domain is null ? [] : [.. _domain.Maps];
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>
    /// The device's verifier hooks (its own <c>prepare</c>, then the capability table) for a verification without a
    /// load (<c>hbpf verify --device</c>): pass as <see cref="VerifierOptions.Hooks"/>. A load uses its own, bound to the program.
    /// </summary>
    public IVerifierHooks VerifierHooks => new Hooks(this, null);

    /// <summary>Adds a port (the first one after a removal brings up a fresh domain: old objects stay orphaned).</summary>
    public DevicePort AddPort()
    {
        _lock.EnterWriteLock();
        try
        {
            _domain ??= CreateDomain();
            int n = _nextPort++;
            var port = new DevicePort(this, $"{Name}p{n}", 10 + n);
            _ports.Add(port);
            return port;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Removes <paramref name="port"/>: programs attached there are detached; programs and maps bound to it move to a
    /// surviving port; with none left, every object of the device is orphaned and its memory freed. Waits for the
    /// runs, map operations and verifier hooks in progress.
    /// </summary>
    /// <exception cref="HbpfException">The port is not one of this device's (HB9109).</exception>
    public void RemovePort(DevicePort port)
    {
        ArgumentNullException.ThrowIfNull(port);
        _lock.EnterWriteLock();
        try
        {
            if (!_ports.Remove(port)) throw new HbpfException(ErrorCode.OffloadBadPort, $"device '{Name}' has no port '{port.Name}'");
            port.Remove();
            var domain = _domain!;
            if (_ports.Count > 0)
            {
                var survivor = _ports[0];
                foreach (var p in domain.Programs) p.MoveFrom(port, survivor);
                foreach (var m in domain.Maps) m.MoveFrom(port, survivor);
                return;
            }

            domain.IsRemoved = true;
            foreach (var p in domain.Programs.ToArray()) p.Orphan();
            foreach (var m in domain.Maps.ToArray()) m.Orphan();
            domain.Programs.Clear();
            domain.Maps.Clear();
            domain.Dispose();
            _domain = null;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Creates a map in the device's memory, bound to <paramref name="port"/> (default: the first port).</summary>
    /// <exception cref="DeviceRemovedException">The device has no port.</exception>
    /// <exception cref="HbpfException">A type or size the device does not take, its map limit, or its refusal (HB9107); a bad spec (HB6xxx).</exception>
    public BpfDeviceMap CreateMap(MapSpec spec, DevicePort? port = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _lock.EnterWriteLock();
        try
        {
            var domain = _domain ?? throw new DeviceRemovedException(Name, $"cannot create map '{spec.Name}'");
            port = CheckPort(port);
            if (RefuseMap(spec) is { } refusal) throw MapRefused(spec, refusal);
            if (!Capabilities.MapTypes.TryGetValue(spec.Type, out var limits)) throw MapRefused(spec, $"map type {spec.Type} not supported");
            if (spec.KeySize > limits.MaxKeySize) throw MapRefused(spec, $"key of {spec.KeySize} bytes, the device takes at most {limits.MaxKeySize} for {spec.Type}");
            if (spec.ValueSize > limits.MaxValueSize) throw MapRefused(spec, $"value of {spec.ValueSize} bytes, the device takes at most {limits.MaxValueSize} for {spec.Type}");
            if (spec.MaxEntries > limits.MaxEntries) throw MapRefused(spec, $"{spec.MaxEntries} entries, the device takes at most {limits.MaxEntries} for {spec.Type}");
            if (domain.Maps.Count >= Capabilities.MaxMaps) throw MapRefused(spec, $"map limit reached: the device holds {Capabilities.MaxMaps} maps");
            var map = new BpfDeviceMap(spec, this, domain, port, AllocateMap(domain, spec));
            domain.Maps.Add(map);
            return map;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Loads <paramref name="program"/> for this device (<c>prog_ifindex</c>): bound at once to <paramref name="port"/>
    /// (default: the first), verified with the device's hooks, translated by the device from the original bytecode,
    /// then loaded. Its map <c>lddw</c>s index <paramref name="maps"/>, which must be maps of this device or offload-neutral
    /// host maps (a ring buffer or perf event array the device feeds, as <see cref="DeviceCapabilities.NeutralChannels"/> says).
    /// </summary>
    /// <exception cref="HbpfException">A host map that is not a neutral channel of the device, or a map of another device (HB9102); the device refuses to bind (HB9106).</exception>
    /// <exception cref="VerifierException">The verifier or the device's hooks refused (the device's message, prefixed with its name).</exception>
    /// <exception cref="DeviceRemovedException">The device was removed before or during the load (a verification in progress then fails).</exception>
    public BpfDeviceProgram Load(ProgramSpec program, IReadOnlyList<MapRef> maps, DevicePort? port = null, VerifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(maps);
        var checkedMaps = new MapRef[maps.Count];
        for (int i = 0; i < maps.Count; i++) checkedMaps[i] = CheckMap(program, maps[i]);
        var deviceMaps = checkedMaps.Where(m => m.Device is not null).Select(m => m.Device!).ToArray();

        // Bind: from here the program is the device's, listed, and orphaned if the device goes.
        BpfDeviceProgram bound;
        _lock.EnterWriteLock();
        try
        {
            var domain = _domain ?? throw new DeviceRemovedException(Name, $"cannot bind program '{program.Name}'");
            port = CheckPort(port);
            foreach (var m in deviceMaps)
            {
                if (m.IsOrphaned || !ReferenceEquals(m.Domain, domain)) throw new DeviceRemovedException(Name, $"map '{m.Spec.Name}' of program '{program.Name}' is orphaned");
            }

            if (RefuseBind(program) is { } refusal) throw new HbpfException(ErrorCode.OffloadBindRefused, $"{Name}: program '{program.Name}': {refusal}");
            if (!Capabilities.ProgramTypes.Contains(program.Type)) throw new HbpfException(ErrorCode.OffloadBindRefused, $"{Name}: program '{program.Name}': program type {program.Type} not supported");
            bound = new BpfDeviceProgram(program, this, domain, port, checkedMaps);
            domain.Programs.Add(bound);
            _programs.Add(bound);
        }
        finally
        {
            _lock.ExitWriteLock();
        }

        try
        {
            var verified = BpfVerifier.Verify(program, [.. checkedMaps.Select(m => m.Host?.Spec ?? m.Device!.Spec)], (options ?? new VerifierOptions()) with { Hooks = new Hooks(this, bound) });
            InDomain(bound, "translate", () =>
            {
                bound.Verified(verified);
                bound.Translated(Translate(bound.Domain, verified, checkedMaps));
                bound.Loaded();
            });
            return bound;
        }
        catch (HbpfException e) when (e is not DeviceRemovedException && bound.IsOrphaned)
        {
            // The device went while the program was verified or translated: that load fails, cleanly.
            Forget(bound);
            throw new DeviceRemovedException(Name, $"program '{program.Name}' was being verified", e);
        }
        catch
        {
            Forget(bound);
            bound.Dispose();
            throw;
        }
    }

    /// <summary>The device's memory for a new life of the device (called when its first port appears).</summary>
    protected abstract DeviceDomain CreateDomain();

    /// <summary>Allocates a map's storage in <paramref name="domain"/> (limits already checked against the capability table).</summary>
    protected abstract IDeviceMapOps AllocateMap(DeviceDomain domain, MapSpec spec);

    /// <summary>Translates a verified program (its original bytecode) into device code over <paramref name="maps"/>.</summary>
    protected abstract DeviceCode Translate(DeviceDomain domain, VerifiedProgram program, IReadOnlyList<BpfDeviceMap> maps);

    /// <summary>
    /// Translates a verified program over <paramref name="maps"/> in its <c>lddw</c> order: device maps of this device and
    /// the offload-neutral host maps its capability table lets it feed (<see cref="DeviceCapabilities.NeutralChannels"/>).
    /// A device that feeds neutral channels overrides this and writes the records back to those host maps; the default
    /// takes device maps only.
    /// </summary>
    /// <exception cref="HbpfException">A neutral map the device's translator does not take (HB9160).</exception>
    protected virtual DeviceCode Translate(DeviceDomain domain, VerifiedProgram program, IReadOnlyList<MapRef> maps)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(maps);
        var device = new BpfDeviceMap[maps.Count];
        for (int i = 0; i < maps.Count; i++)
        {
            device[i] = maps[i].Device ?? throw new HbpfException(
                ErrorCode.OffloadNeutralUnsupported,
                $"{Name}: program '{program.Program.Name}': map '{maps[i].Host!.Spec.Name}' is a neutral {maps[i].Host!.Type} channel, but the device's translator cannot feed host maps");
        }

        return Translate(domain, program, device);
    }

    /// <summary>The device's own refusal to bind, or null.</summary>
    protected virtual string? RefuseBind(ProgramSpec program) => null;

    /// <summary>The device's own refusal to create a map, or null.</summary>
    protected virtual string? RefuseMap(MapSpec spec) => null;

    /// <summary>The device's own refusal to attach, or null.</summary>
    protected internal virtual string? RefuseAttach(BpfDeviceProgram program) => null;

    /// <summary>The device's own <c>prepare</c> hook beyond the capability table (called with the device's lock held for reading), or null.</summary>
    protected virtual string? Prepare(ProgramSpec program) => null;

    /// <summary>
    /// The device's <c>replace_insn</c> (see <see cref="IVerifierHooks.ReplaceInstruction"/>): the verifier hard-wires a
    /// dead branch of <paramref name="program"/> at <paramref name="slot"/>; null accepts (the default: a device that
    /// runs the program as verified ignores the rewrite), else the device's reason to refuse the load.
    /// </summary>
    protected virtual string? ReplaceInstruction(VerifiedProgram program, int slot, Instruction replacement) => null;

    /// <summary>The device's <c>remove_insns</c> (see <see cref="IVerifierHooks.RemoveInstructions"/>); null accepts (the default), else the reason to refuse.</summary>
    protected virtual string? RemoveInstructions(VerifiedProgram program, int slot, int count) => null;

    /// <summary>Runs <paramref name="action"/> with the lock held for reading, after checking <paramref name="program"/> still has its device.</summary>
    internal void InDomain(BpfDeviceProgram program, string what, Action action)
    {
        _lock.EnterReadLock();
        try
        {
            if (program.IsOrphaned) throw new DeviceRemovedException(Name, $"cannot {what} program '{program.Spec.Name}'");
            action();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>The lock held for reading, for a map operation or a run (dispose to release).</summary>
    internal ReadLock EnterRead()
    {
        _lock.EnterReadLock();
        return new ReadLock(_lock);
    }

    /// <summary>The lock held for reading with the current domain, for a device's own runs outside a bound program (dispose to release).</summary>
    /// <exception cref="DeviceRemovedException">The device has no port.</exception>
    internal ReadLock EnterReadForRaw(out DeviceDomain domain)
    {
        _lock.EnterReadLock();
        if (_domain is null)
        {
            _lock.ExitReadLock();
            throw new DeviceRemovedException(Name, "cannot run a program");
        }

        domain = _domain;
        return new ReadLock(_lock);
    }

    /// <summary>Runs <paramref name="action"/> with the lock held for writing (attach, detach, disposal).</summary>
    internal T Exclusive<T>(Func<T> action)
    {
        _lock.EnterWriteLock();
        try
        {
            return action();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Removes a program from the device's lists (load failure or disposal).</summary>
    internal void Forget(BpfDeviceProgram program) => Exclusive(() =>
    {
        _programs.Remove(program);
        program.Domain.Programs.Remove(program);
        return 0;
    });

    /// <summary>Removes a map from its domain (disposal).</summary>
    internal void Forget(BpfDeviceMap map) => Exclusive(() => map.Domain.Maps.Remove(map));

    /// <summary>A held read lock.</summary>
    internal readonly struct ReadLock(ReaderWriterLockSlim held) : IDisposable
    {
        public void Dispose() => held.ExitReadLock();
    }

    private DevicePort CheckPort(DevicePort? port)
    {
        if (port is null) return _ports[0];
        if (!ReferenceEquals(port.Device, this)) throw new HbpfException(ErrorCode.OffloadWrongDevice, $"port '{port.Name}' belongs to device '{port.Device.Name}', not '{Name}'");
        if (port.IsRemoved) throw new HbpfException(ErrorCode.OffloadBadPort, $"port '{port.Name}' was removed");
        return port;
    }

    // A map of this device, or a host map the device can feed back as a neutral channel (the kernel's
    // bpf_offload_prog_map_match: an offloaded map must be the program's device's; a host map must be neutral).
    private MapRef CheckMap(ProgramSpec program, MapRef map)
    {
        if (map.Device is { } d && ReferenceEquals(d.Device, this)) return map;
        if (map.Host is { } h && Capabilities.IsNeutral(h.Type)) return map;
        string where = map.Device is { } other ? $"map '{other.Spec.Name}' lives on device '{other.Device.Name}'" : $"map '{map.Host!.Spec.Name}' lives on the host";
        throw new HbpfException(ErrorCode.OffloadMapMismatch, $"offload device mismatch between program and map: program '{program.Name}' is for device '{Name}', {where}");
    }

    private HbpfException MapRefused(MapSpec spec, string reason) => new(ErrorCode.OffloadMapRefused, $"{Name}: map '{spec.Name}': {reason}");

    // The verifier hooks of one load: the device's own prepare, then the capability table's checks; every call under
    // the read lock and only while the program still has its device (a removal in between makes the next call refuse).
    private sealed class Hooks(OffloadDevice device, BpfDeviceProgram? program) : IVerifierHooks
    {
        // A bound program's device is gone once it is orphaned; without one (a plain verify), once the device is.
        private bool Gone => program?.IsOrphaned ?? !device.IsPresent;

        private const string Removed = "device removed during verification";

        public string DeviceName => device.Name;

        public string? Prepare(ProgramSpec spec, IReadOnlyList<MapSpec> maps) => Guarded(() => device.Prepare(spec) ?? CapabilityHooks.Prepare(device.Capabilities, spec, maps));

        public string? Instruction(in HookVisit visit)
        {
            device._lock.EnterReadLock();
            try
            {
                return Gone ? Removed : CapabilityHooks.Instruction(device.Capabilities, visit);
            }
            finally
            {
                device._lock.ExitReadLock();
            }
        }

        public string? Finalize(VerifiedProgram verified) => Guarded(() => CapabilityHooks.Finalize(device.Capabilities, verified));

        public string? ReplaceInstruction(VerifiedProgram verified, int slot, Instruction replacement) => Guarded(() => device.ReplaceInstruction(verified, slot, replacement));

        public string? RemoveInstructions(VerifiedProgram verified, int slot, int count) => Guarded(() => device.RemoveInstructions(verified, slot, count));

        private string? Guarded(Func<string?> hook)
        {
            device._lock.EnterReadLock();
            try
            {
                if (Gone) return Removed;
                return hook() is { } refusal ? refusal : Gone ? Removed : null;
            }
            finally
            {
                device._lock.ExitReadLock();
            }
        }
    }
}
