using System.Collections.Frozen;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;

namespace HeteroBpf.Offload;

/// <summary>What a device allows for one map type (the NFP firmware's map capability record).</summary>
/// <param name="MaxKeySize">Largest key in bytes.</param>
/// <param name="MaxValueSize">Largest value in bytes.</param>
/// <param name="MaxEntries">Most entries.</param>
public readonly record struct MapLimits(uint MaxKeySize, uint MaxValueSize, uint MaxEntries);

/// <summary>
/// The range a constant <c>bpf_xdp_adjust_head</c> delta must lie in for the device to accept it at verification (the
/// NFP's <c>adjust_head</c> capability); a delta only known at run time is checked by the helper against the frame.
/// </summary>
/// <param name="Min">Most negative delta (growing the head into the headroom).</param>
/// <param name="Max">Largest positive delta (shrinking the head).</param>
public readonly record struct AdjustHeadRange(int Min, int Max);

/// <summary>
/// A device's capability table as data, in the spirit of the NFP firmware's capability TLVs: the verifier hooks
/// (<see cref="CapabilityHooks"/>) and map allocation read it, so adding a device means filling one in plus a translator.
/// </summary>
public sealed record DeviceCapabilities
{
    /// <summary>The instruction set the device's translator emits (<c>ebpf</c> for the sim, which runs bytecode as is; <c>a64</c> for an ARM64 NIC).</summary>
    public required string Isa { get; init; }

    /// <summary>The program types the device runs.</summary>
    public required FrozenSet<ProgramType> ProgramTypes { get; init; }

    /// <summary>The instruction classes the device executes.</summary>
    public required FrozenSet<OpClass> InstructionClasses { get; init; }

    /// <summary>True when atomic read-modify-write instructions (<c>BPF_ATOMIC</c>) are supported.</summary>
    public required bool Atomics { get; init; }

    /// <summary>True when bpf-to-bpf calls (and <c>callx</c>) are supported.</summary>
    public required bool Subprograms { get; init; }

    /// <summary>The helpers a program may call.</summary>
    public required FrozenSet<HelperId> Helpers { get; init; }

    /// <summary>The map types the device keeps, each with its limits.</summary>
    public required FrozenDictionary<MapType, MapLimits> MapTypes { get; init; }

    /// <summary>Most maps the device holds at once (over every port).</summary>
    public required int MaxMaps { get; init; }

    /// <summary>Stack bytes per program call chain.</summary>
    public required int StackSize { get; init; }

    /// <summary>Most instruction slots in a program.</summary>
    public required int MaxInstructions { get; init; }

    /// <summary>The accepted range of a constant <c>bpf_xdp_adjust_head</c> delta.</summary>
    public required AdjustHeadRange AdjustHead { get; init; }

    /// <summary>RX queues per port (what a test-run's <c>rx_queue_index</c> may name).</summary>
    public int RxQueuesPerPort { get; init; } = 1;

    /// <summary>
    /// The offload-neutral channels the device can feed back to the host: host maps of these types (only
    /// <see cref="MapType.RingBuf"/> and <see cref="MapType.PerfEventArray"/> can be neutral) a device program may use.
    /// Empty by default: a device without the channel refuses such a map as any other host map.
    /// </summary>
    public FrozenSet<MapType> NeutralChannels { get; init; } = FrozenSet<MapType>.Empty;

    /// <summary>
    /// True when a host map of <paramref name="type"/> is offload-neutral for this device: the kernel's
    /// <c>bpf_map_offload_neutral</c> (a perf event array; here also a ring buffer), if the device feeds that channel.
    /// </summary>
    public bool IsNeutral(MapType type) => type is MapType.RingBuf or MapType.PerfEventArray && NeutralChannels.Contains(type);
}
