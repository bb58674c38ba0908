namespace HeteroBpf.Offload;

/// <summary>
/// A map's storage on a device (the kernel's <c>bpf_map_dev_ops</c>): the only way the host reaches a device map. Calls
/// come from <see cref="BpfDeviceMap"/>, which holds the device's lock and checks the device is still there.
/// </summary>
public interface IDeviceMapOps : IDisposable
{
    /// <summary>Copies the value of <paramref name="key"/> out of the device.</summary>
    Errno Lookup(ReadOnlySpan<byte> key, Span<byte> value);

    /// <summary>Creates or replaces as <paramref name="flags"/> say (EEXIST, ENOENT, E2BIG as the kernel gives them).</summary>
    Errno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, UpdateFlags flags);

    /// <summary>Deletes <paramref name="key"/>.</summary>
    Errno Delete(ReadOnlySpan<byte> key);

    /// <summary>The key after <paramref name="key"/> (empty: the first); ENOENT after the last.</summary>
    Errno GetNextKey(ReadOnlySpan<byte> key, Span<byte> next);

    /// <summary>Bytes a host lookup copies per value (per-CPU maps: every CPU's value, 8-byte aligned).</summary>
    int UserValueSize { get; }
}

/// <summary>The context fields a test-run gives (<c>struct xdp_md</c> offsets from the start of the data, as the syscall takes them).</summary>
/// <param name="Data">Where the packet starts (= the metadata length).</param>
/// <param name="DataEnd">Where the packet ends (must be the data length).</param>
/// <param name="DataMeta">Must be 0.</param>
/// <param name="IngressIfindex">The receiving interface (0: none).</param>
/// <param name="RxQueueIndex">The receiving queue.</param>
/// <param name="EgressIfindex">Must be 0.</param>
public readonly record struct DeviceXdpContext(uint Data, uint DataEnd, uint DataMeta = 0, uint IngressIfindex = 0, uint RxQueueIndex = 0, uint EgressIfindex = 0);

/// <summary>One packet for a device's XDP frame, its inputs already checked (<see cref="DeviceTestRun"/>).</summary>
/// <param name="Data">Metadata then packet.</param>
/// <param name="MetaLength">Bytes of metadata at the front of <paramref name="Data"/>.</param>
/// <param name="IngressIfindex">The receiving interface the program sees.</param>
/// <param name="RxQueueIndex">The receiving queue the program sees.</param>
public readonly ref struct DeviceXdpInput(ReadOnlySpan<byte> Data, int MetaLength, uint IngressIfindex, uint RxQueueIndex)
{
    /// <summary>Metadata then packet.</summary>
    public ReadOnlySpan<byte> Data { get; } = Data;

    /// <summary>Bytes of metadata at the front of <see cref="Data"/>.</summary>
    public int MetaLength { get; } = MetaLength;

    /// <summary>The receiving interface the program sees.</summary>
    public uint IngressIfindex { get; } = IngressIfindex;

    /// <summary>The receiving queue the program sees.</summary>
    public uint RxQueueIndex { get; } = RxQueueIndex;
}

/// <summary>What one device test-run gave back (<c>BPF_PROG_TEST_RUN</c>'s outputs).</summary>
/// <param name="Error">The errno for refused inputs (<see cref="Errno.Ok"/> when the program ran).</param>
/// <param name="Retval">R0 of the last run (low 32 bits).</param>
/// <param name="DataOut">Metadata and packet after the last run.</param>
/// <param name="Context">The context after the last run, as offsets from data_meta.</param>
/// <param name="Instructions">Instructions the last run executed.</param>
/// <param name="RedirectKind">0 none, 1 <c>bpf_redirect</c>, 2 <c>bpf_redirect_map</c> hit, 3 broadcast (as the host's <c>XdpRedirectKind</c>).</param>
/// <param name="RedirectTarget">The ifindex or map key of the redirect.</param>
/// <param name="RedirectMap">For a map redirect: the index of the map in the program's map list; otherwise −1.</param>
/// <param name="Refusal">Why the inputs were refused, when they were.</param>
public sealed record DeviceTestRunResult(Errno Error, uint Retval, byte[] DataOut, DeviceXdpContext Context, long Instructions, uint RedirectKind = 0, uint RedirectTarget = 0, int RedirectMap = -1, string? Refusal = null)
{
    /// <summary>A refusal of the inputs: the program did not run.</summary>
    public static DeviceTestRunResult Refused(Errno error, string reason) => new(error, 0, [], default, 0, Refusal: reason);
}

/// <summary>
/// A program as a device's translator made it (the kernel's offloaded image): it runs only on its device, in the
/// device's memory. Runs are called with the device's lock held for reading, so the device memory cannot go away
/// under them; a code object may run on several threads at once.
/// </summary>
public abstract class DeviceCode : IDisposable
{
    /// <summary>Runs an XDP program over one frame, <paramref name="repeat"/> times (each run sees what the last left).</summary>
    /// <exception cref="BpfFaultException">The program faulted on the device.</exception>
    public abstract DeviceTestRunResult RunXdp(in DeviceXdpInput input, uint repeat);

    /// <summary>Frees the device resources of the code (idempotent).</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}
