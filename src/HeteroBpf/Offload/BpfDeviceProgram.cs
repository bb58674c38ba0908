using HeteroBpf.Verifier;

namespace HeteroBpf.Offload;

/// <summary>
/// A program loaded for a device (<c>prog_ifindex</c>): bound at load, verified with the device's hooks, translated by
/// the device, and run only there. Its state goes bound → verified → translated → loaded, or orphaned when the device
/// is removed (then it stays listed, but never runs or attaches again).
/// </summary>
public sealed class BpfDeviceProgram : IDisposable
{
    private DevicePort _port;
    private DeviceCode? _code;
    private int _state;

    internal BpfDeviceProgram(ProgramSpec spec, OffloadDevice device, DeviceDomain domain, DevicePort port, IReadOnlyList<MapRef> maps)
    {
        Spec = spec;
        Device = device;
        Domain = domain;
        _port = port;
        MapRefs = maps;
        Maps = [.. maps.Where(m => m.Device is not null).Select(m => m.Device!)];
        Channels = [.. maps.Where(m => m.Host is not null).Select(m => m.Host!)];
        _state = (int)DeviceProgramState.Bound;
    }

    /// <summary>The spec the program was loaded from (the original bytecode the device translated).</summary>
    public ProgramSpec Spec { get; }

    /// <summary>The device the program is bound to.</summary>
    public OffloadDevice Device { get; }

    /// <summary>The port it is bound to (moves to a surviving port when that one is removed).</summary>
    public DevicePort Port => Volatile.Read(ref _port);

    /// <summary>The device maps it uses (all of its device), in <c>lddw</c> order without the neutral channels.</summary>
    public IReadOnlyList<BpfDeviceMap> Maps { get; }

    /// <summary>Every map its map <c>lddw</c>s index, in their order: device maps and offload-neutral host maps.</summary>
    public IReadOnlyList<MapRef> MapRefs { get; }

    /// <summary>The offload-neutral host maps (ring buffers, perf event arrays) it feeds: host objects that outlive the device.</summary>
    public IReadOnlyList<Maps.BpfMap> Channels { get; }

    /// <summary>Where the program is in its life.</summary>
    public DeviceProgramState State => (DeviceProgramState)Volatile.Read(ref _state);

    /// <summary>True once its device was removed.</summary>
    public bool IsOrphaned => State == DeviceProgramState.Orphaned;

    /// <summary>What the verifier proved (null until verified).</summary>
    public VerifiedProgram? Verification { get; private set; }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed { get; private set; }

    internal DeviceDomain Domain { get; }

    /// <summary>
    /// <c>BPF_PROG_TEST_RUN</c> for this XDP program, run by <paramref name="through"/>, which must be its device: the
    /// host cannot run device code (null = on the host, refused). Inputs follow the kernel's test-run rules (errno
    /// and reason in the result); the program runs <paramref name="repeat"/> times over one frame in device memory.
    /// </summary>
    /// <exception cref="HbpfException">Run on the host (HB9104) or through another device (HB9103).</exception>
    /// <exception cref="DeviceRemovedException">The device was removed.</exception>
    /// <exception cref="BpfFaultException">The program faulted on the device.</exception>
    public DeviceTestRunResult TestRun(OffloadDevice? through, ReadOnlySpan<byte> data, DeviceXdpContext? context = null, uint repeat = 1)
    {
        if (through is null)
        {
            throw new HbpfException(ErrorCode.OffloadHostRunRefused, $"program '{Spec.Name}' is bound to device '{Device.Name}' and runs only there: test-run it through the device (--device {Device.Name})");
        }

        if (!ReferenceEquals(through, Device))
        {
            throw new HbpfException(ErrorCode.OffloadWrongDevice, $"program '{Spec.Name}' is bound to device '{Device.Name}', not to '{through.Name}'");
        }

        using var held = Device.EnterRead();
        if (IsOrphaned) throw new DeviceRemovedException(Device.Name, $"cannot run program '{Spec.Name}'");
        // Read under the lock: disposal and orphaning drop the code only while holding it for writing.
        var code = _code ?? throw new ObjectDisposedException(nameof(BpfDeviceProgram), $"program '{Spec.Name}' was unloaded");
        if (DeviceTestRun.Check(this, data, context) is { } refused) return refused;
        var input = new DeviceXdpInput(data, (int)(context?.Data ?? 0), context is { IngressIfindex: not 0 and var i } ? i : DeviceTestRun.LoopbackIfindex, context?.RxQueueIndex ?? 0);
        var result = code.RunXdp(input, repeat == 0 ? 1 : repeat);
        // The context given comes back with only data and data_end updated.
        return result with { Context = result.Context with { IngressIfindex = context?.IngressIfindex ?? 0, RxQueueIndex = context?.RxQueueIndex ?? 0 } };
    }

    /// <summary>Unloads the program from its device (detached from every port).</summary>
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Device.Exclusive(() =>
        {
            foreach (var port in Device.PortsUnlocked) port.DetachIf(this);
            return 0;
        });
        Device.Forget(this);
        Device.Exclusive(() =>
        {
            _code?.Dispose();
            _code = null;
            return 0;
        });
    }

    internal void Verified(VerifiedProgram verified)
    {
        Verification = verified;
        Volatile.Write(ref _state, (int)DeviceProgramState.Verified);
    }

    // The device's translation (for a device's own tools, e.g. the arm64-nic's jited dump); null before translation.
    internal DeviceCode? Code => Volatile.Read(ref _code);

    internal void Translated(DeviceCode code)
    {
        _code = code;
        Volatile.Write(ref _state, (int)DeviceProgramState.Translated);
    }

    internal void Loaded() => Volatile.Write(ref _state, (int)DeviceProgramState.Loaded);

    // Called under the device's write lock.
    internal void MoveFrom(DevicePort removed, DevicePort survivor)
    {
        if (ReferenceEquals(_port, removed)) Volatile.Write(ref _port, survivor);
    }

    // Called under the device's write lock: no run is inside the code.
    internal void Orphan()
    {
        Volatile.Write(ref _state, (int)DeviceProgramState.Orphaned);
        _code?.Dispose();
        _code = null;
    }
}

/// <summary>
/// The kernel's <c>bpf_prog_test_run_xdp</c> input rules for a run through a device: a frame with the kernel's test-run
/// geometry (256 bytes of headroom, the first 40 kept for <c>xdp_frame</c>; 3520 bytes of data at most), and a context
/// that may only place the packet after up to 216 bytes of metadata and name a receiving interface and queue.
/// </summary>
public static class DeviceTestRun
{
    /// <summary>XDP_PACKET_HEADROOM.</summary>
    public const int Headroom = 256;

    /// <summary><c>sizeof(struct xdp_frame)</c>, kept at the front of the headroom.</summary>
    public const int FrameHeader = 40;

    /// <summary>The page a frame is.</summary>
    public const int FrameSize = 4096;

    /// <summary>Tailroom kept for <c>skb_shared_info</c>.</summary>
    public const int TailroomReserve = 320;

    /// <summary>The longest data (metadata included) a frame holds.</summary>
    public const int MaxData = FrameSize - Headroom - TailroomReserve;

    /// <summary>ETH_HLEN.</summary>
    public const int EthernetHeader = 14;

    /// <summary>Most metadata bytes <c>bpf_xdp_adjust_meta</c> may make.</summary>
    public const int MaxMeta = 255;

    /// <summary>What a run without an interface receives on: the namespace's loopback.</summary>
    public const uint LoopbackIfindex = 1;

    /// <summary>The refusal the kernel would give these inputs, or null when they run.</summary>
    public static DeviceTestRunResult? Check(BpfDeviceProgram program, ReadOnlySpan<byte> data, DeviceXdpContext? context)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (program.Spec.Type != ProgramType.Xdp) return DeviceTestRunResult.Refused(Errno.EINVAL, $"program '{program.Spec.Name}' is {program.Spec.Type}; device test-runs take XDP programs");
        // The loopback (one queue) and the device's own ports (their queues) can receive.
        var device = program.Device;
        return InputRefusal(program.Spec.AttachType, data.Length, context, "the device",
            ifindex => device.Ports.FirstOrDefault(p => p.Ifindex == ifindex) is null ? 0u : (uint)device.Capabilities.RxQueuesPerPort) is { } r
            ? DeviceTestRunResult.Refused(r.Error, r.Reason)
            : null;
    }

    /// <summary>
    /// <c>bpf_prog_test_run_xdp</c>'s input rules, shared by host and device test-runs: the errno and reason the kernel
    /// would refuse <paramref name="dataLength"/> bytes and <paramref name="context"/> with, or null when they run.
    /// <paramref name="queuesOf"/> gives an interface's RX queues (0: no such interface); the loopback has one.
    /// </summary>
    public static (Errno Error, string Reason)? InputRefusal(AttachType? attach, int dataLength, DeviceXdpContext? context, string runtime, Func<uint, uint> queuesOf)
    {
        ArgumentNullException.ThrowIfNull(queuesOf);
        if (attach is AttachType.XdpDevmap or AttachType.XdpCpumap) return (Errno.EINVAL, $"a program for {attach} cannot be test-run");
        if (context is { } ctx)
        {
            // No user data before the metadata; the packet ends where the data does; metadata in 4-byte steps up to 32.
            if (ctx.DataMeta != 0 || ctx.DataEnd > (uint)dataLength || ctx.Data > ctx.DataEnd || (ctx.Data & 3) != 0 || ctx.Data > MaxMeta || ctx.Data > Headroom - FrameHeader)
            {
                return (Errno.EINVAL, $"context refused: data_meta must be 0, data_end at most the data length ({dataLength}), and data (the metadata length) a multiple of 4 that fits the headroom after xdp_frame ({Headroom - FrameHeader} bytes) and at most data_end");
            }

            // Linux 6.18 takes a shorter data_end as the linear part, the rest going into fragments.
            if (ctx.DataEnd < (uint)dataLength) return (Errno.EOPNOTSUPP, $"data_end {ctx.DataEnd} below the data length {dataLength} asks for a multi-buffer frame (the rest in fragments), which {runtime} does not have");
        }

        // Longer packets become multi-buffer frames in the kernel.
        if (dataLength > MaxData) return (Errno.EOPNOTSUPP, $"{dataLength} bytes: packets over {MaxData} bytes need multi-buffer (fragment) frames, which {runtime} does not have");
        if (dataLength < EthernetHeader) return (Errno.EINVAL, $"{dataLength} bytes: shorter than an Ethernet header ({EthernetHeader})");
        uint ifindex = context?.IngressIfindex ?? 0, queue = context?.RxQueueIndex ?? 0;
        if (context is { EgressIfindex: not 0 }) return (Errno.EINVAL, "egress_ifindex must be 0");
        if (ifindex == 0 && queue != 0) return (Errno.EINVAL, "rx_queue_index needs an ingress_ifindex");
        if (ifindex != 0)
        {
            uint queues = ifindex == LoopbackIfindex ? 1u : queuesOf(ifindex);
            if (queues == 0) return (Errno.ENODEV, $"no interface {ifindex}");
            if (queue >= queues) return (Errno.EINVAL, $"interface {ifindex} has {queues} RX queue(s), no queue {queue}");
        }

        return null;
    }
}
