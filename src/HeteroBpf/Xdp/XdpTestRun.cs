using System.Diagnostics;
using HeteroBpf.Offload;

namespace HeteroBpf.Xdp;

/// <summary>The result of one test-run: what <c>BPF_PROG_TEST_RUN</c> gives back.</summary>
/// <param name="Error">The errno the kernel would return for these inputs (<see cref="Errno.Ok"/> when the program ran).</param>
/// <param name="Retval">R0 of the last run.</param>
/// <param name="DataOut">Metadata and packet after the last run (data_meta to data_end).</param>
/// <param name="ContextOut">The context after the last run, as offsets from data_meta.</param>
/// <param name="DurationNs">Mean time of one run in ns.</param>
/// <param name="Redirect">The redirect the last run set up.</param>
/// <param name="Refusal">Why the inputs were refused, when they were.</param>
public sealed record XdpTestRunResult(Errno Error, uint Retval, byte[] DataOut, XdpMd ContextOut, long DurationNs, XdpRedirect Redirect, string? Refusal = null)
{
    /// <summary>A refusal of the inputs: the program did not run.</summary>
    public static XdpTestRunResult Refused(Errno error, string reason) => new(error, 0, [], default, 0, default, reason);
}

/// <summary>
/// <c>BPF_PROG_TEST_RUN</c> for XDP programs with the kernel's rules (<c>bpf_prog_test_run_xdp</c>): the data given is
/// metadata then packet, the context (optional) says where the packet starts, the same frame runs <c>repeat</c> times
/// (each run sees what the previous one left, as in the kernel), and the inputs the kernel refuses get its errno.
/// </summary>
public static class XdpTestRun
{
    /// <summary>The interfaces of a fresh network namespace, what a host run pretends to receive on: <c>lo</c>, ifindex 1, one RX queue.</summary>
    public static IReadOnlyDictionary<uint, uint> LoopbackOnly { get; } = new Dictionary<uint, uint> { [LoopbackIfindex] = 1 };

    /// <summary>The loopback interface's index in every network namespace.</summary>
    public const uint LoopbackIfindex = 1;

    /// <summary>
    /// Runs <paramref name="runner"/>'s program over <paramref name="data"/>. Interfaces named by the context's
    /// <c>ingress_ifindex</c> must be in <paramref name="interfaces"/> (ifindex → number of RX queues; default
    /// <see cref="LoopbackOnly"/>).
    /// </summary>
    /// <exception cref="BpfFaultException">The program faulted.</exception>
    public static XdpTestRunResult Run(XdpRunner runner, ReadOnlySpan<byte> data, XdpMd? context = null, uint repeat = 1, IReadOnlyDictionary<uint, uint>? interfaces = null)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var given = context is { } c ? new DeviceXdpContext(c.Data, c.DataEnd, c.DataMeta, c.IngressIfindex, c.RxQueueIndex, c.EgressIfindex) : (DeviceXdpContext?)null;
        // The host pretends to receive on the given interfaces only (default: a fresh namespace's loopback).
        var known = interfaces ?? LoopbackOnly;
        if (DeviceTestRun.InputRefusal(runner.Program.Spec.AttachType, data.Length, given, "this runtime", ifindex => known.GetValueOrDefault(ifindex)) is { } refused)
            return XdpTestRunResult.Refused(refused.Error, refused.Reason);
        int metaLength = (int)(context?.Data ?? 0);
        uint ifindex = context?.IngressIfindex ?? 0, queue = context?.RxQueueIndex ?? 0;

        // Without an interface the kernel receives on the namespace's loopback (queue 0), which programs then see.
        runner.Load(data, metaLength, ifindex == 0 ? LoopbackIfindex : ifindex, queue);
        if (repeat == 0) repeat = 1;
        XdpVerdict verdict = default;
        long start = Stopwatch.GetTimestamp();
        for (uint i = 0; i < repeat; i++) verdict = runner.Run();
        long elapsed = (long)Stopwatch.GetElapsedTime(start).TotalNanoseconds;
        // The context given comes back with only data and data_end updated.
        var contextOut = runner.Context with { IngressIfindex = ifindex, RxQueueIndex = queue };
        return new XdpTestRunResult(Errno.Ok, verdict.Retval, runner.Output.ToArray(), contextOut, elapsed / repeat, runner.Redirect);
    }
}
