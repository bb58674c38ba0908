namespace HeteroBpf.Offload;

/// <summary>How an XDP program is attached to a port (the kernel's generic, driver and hardware modes).</summary>
public enum AttachMode
{
    /// <summary>On the host, by the reference interpreter (XDP generic mode).</summary>
    HostInterpreter,
    /// <summary>On the host, by the CIL JIT (XDP driver mode).</summary>
    HostJit,
    /// <summary>On the device (XDP hardware offload mode): only programs bound to this device at load.</summary>
    Device,
}

/// <summary>
/// One port of a device (a netdev of the kernel's <c>bpf_offload_dev</c>): programs attach to it; objects bound to it move
/// to a surviving port when it is removed. One program per mode; the two host modes exclude each other, as the kernel's
/// generic and driver modes do, while the device mode may sit beside either.
/// </summary>
public sealed class DevicePort
{
    private BpfDeviceProgram? _device;
    private BpfProgram? _host;
    private AttachMode _hostMode;

    internal DevicePort(OffloadDevice device, string name, int ifindex)
    {
        Device = device;
        Name = name;
        Ifindex = ifindex;
    }

    /// <summary>The device the port belongs to.</summary>
    public OffloadDevice Device { get; }

    /// <summary>The port's name (<c>simp0</c>).</summary>
    public string Name { get; }

    /// <summary>The port's interface index (unique within its device).</summary>
    public int Ifindex { get; }

    /// <summary>True once removed.</summary>
    public bool IsRemoved { get; private set; }

    /// <summary>The program attached in device mode, if any.</summary>
    public BpfDeviceProgram? DeviceProgram => Volatile.Read(ref _device);

    /// <summary>The program attached in a host mode, if any, and that mode.</summary>
    public (BpfProgram Program, AttachMode Mode)? HostProgram => Device.Exclusive(() => _host is null ? ((BpfProgram, AttachMode)?)null : (_host, _hostMode));

    /// <summary>Attaches a device-bound program; <paramref name="mode"/> must be <see cref="AttachMode.Device"/>.</summary>
    /// <exception cref="HbpfException">A host mode (HB9105), a program of another device (HB9103), a removed port (HB9109) or the device's refusal (HB9108).</exception>
    /// <exception cref="DeviceRemovedException">The program is orphaned.</exception>
    public void Attach(BpfDeviceProgram program, AttachMode mode = AttachMode.Device)
    {
        ArgumentNullException.ThrowIfNull(program);
        Device.Exclusive(() =>
        {
            CheckPresent();
            if (program.IsOrphaned) throw new DeviceRemovedException(program.Device.Name, $"cannot attach orphaned program '{program.Spec.Name}'");
            if (mode != AttachMode.Device)
            {
                throw new HbpfException(ErrorCode.OffloadAttachMode, $"program '{program.Spec.Name}' is bound to device '{program.Device.Name}': attach it in device mode, not {mode}");
            }

            if (!ReferenceEquals(program.Device, Device))
            {
                throw new HbpfException(ErrorCode.OffloadWrongDevice, $"program '{program.Spec.Name}' is bound to device '{program.Device.Name}', not to '{Device.Name}' of port '{Name}'");
            }

            if (Device.RefuseAttach(program) is { } refusal) throw new HbpfException(ErrorCode.OffloadAttachRefused, $"{Device.Name}: attach of program '{program.Spec.Name}' refused: {refusal}");
            _device = program;
            return 0;
        });
    }

    /// <summary>Attaches a host program in <paramref name="mode"/>, which must be the host mode of its engine.</summary>
    /// <exception cref="HbpfException">Device mode for a host program, a mode that is not the program's engine, or the other host mode already in use (HB9105); a removed port (HB9109).</exception>
    public void Attach(BpfProgram program, AttachMode mode)
    {
        ArgumentNullException.ThrowIfNull(program);
        Device.Exclusive(() =>
        {
            CheckPresent();
            if (mode == AttachMode.Device)
            {
                throw new HbpfException(ErrorCode.OffloadAttachMode, $"program '{program.Spec.Name}' was loaded for the host: device mode takes only a program bound to device '{Device.Name}' at load");
            }

            var wanted = mode == AttachMode.HostJit ? HostEngine.Cil : HostEngine.Interpreter;
            if (program.Engine != wanted)
            {
                throw new HbpfException(ErrorCode.OffloadAttachMode, $"program '{program.Spec.Name}' runs on the host {program.Engine}: {mode} mode needs one loaded for {wanted}");
            }

            if (_host is not null && _hostMode != mode)
            {
                throw new HbpfException(ErrorCode.OffloadAttachMode, $"port '{Name}' has a program in {_hostMode} mode: host interpreter and host JIT modes can't be active at the same time");
            }

            _host = program;
            _hostMode = mode;
            return 0;
        });
    }

    /// <summary>Detaches the program of <paramref name="mode"/>; true when one was attached (detaching nothing is not an error).</summary>
    public bool Detach(AttachMode mode) => Device.Exclusive(() =>
    {
        if (mode == AttachMode.Device)
        {
            bool had = _device is not null;
            _device = null;
            return had;
        }

        if (_host is null || _hostMode != mode) return false;
        _host = null;
        return true;
    });

    // Called under the device's write lock.
    internal void Remove()
    {
        IsRemoved = true;
        _device = null;
        _host = null;
    }

    // Called under the device's write lock: a removed device program leaves every port.
    internal void DetachIf(BpfDeviceProgram program)
    {
        if (ReferenceEquals(_device, program)) _device = null;
    }

    private void CheckPresent()
    {
        if (IsRemoved) throw new HbpfException(ErrorCode.OffloadBadPort, $"port '{Name}' of device '{Device.Name}' was removed");
    }

    /// <summary>The port's name.</summary>
    public override string ToString() => Name;
}
