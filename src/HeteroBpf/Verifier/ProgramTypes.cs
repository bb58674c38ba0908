using System.Collections.Concurrent;
using System.Collections.Frozen;
using HeteroBpf.Helpers;

namespace HeteroBpf.Verifier;

/// <summary>
/// The kernel's per-type verifier tables (<c>bpf_verifier_ops</c>: <c>is_valid_access</c>, <c>get_func_proto</c>;
/// <c>may_access_direct_pkt_data</c>; <c>check_return_code</c>) for every program type libbpf names, as Linux 6.18
/// has them (<c>net/core/filter.c</c>, <c>kernel/trace/bpf_trace.c</c>, <c>kernel/bpf/cgroup.c</c>,
/// <c>kernel/bpf/verifier.c</c>). One file per family holds the context rules; <c>ProgramTypes.Helpers.cs</c> the
/// helper sets and the prototypes the verifier knows beyond the ones the runtime implements.
/// </summary>
public static partial class ProgramTypes
{
    private static readonly ConcurrentDictionary<(ProgramType, AttachType?), ProgramTypeInfo> Cache = new();

    /// <summary>
    /// The tables of <paramref name="type"/> loaded with expected attach type <paramref name="attachType"/> (null:
    /// none given, which the kernel reads as 0 and, for cgroup_sock, fixes up to <c>BPF_CGROUP_INET_SOCK_CREATE</c>).
    /// </summary>
    /// <exception cref="HbpfException">
    /// <see cref="ErrorCode.ProgramTypeNeedsAttachBtf"/> for tracing, lsm, struct_ops and ext (their context and helpers
    /// come from the attach target's BTF, which this verifier does not read); <see cref="ErrorCode.ProgramTypeUnknown"/>
    /// for unspec or an unnamed number; <see cref="ErrorCode.ProgramTypeBadAttach"/> for an attach type the kernel's
    /// <c>bpf_prog_load_check_attach</c> refuses for the type.
    /// </exception>
    public static ProgramTypeInfo Get(ProgramType type, AttachType? attachType = null) =>
        Cache.GetOrAdd((type, attachType), static key => Create(key.Item1, key.Item2));

    private static ProgramTypeInfo Create(ProgramType type, AttachType? attach)
    {
        // The kernel reads a missing expected_attach_type as 0 (BPF_CGROUP_INET_INGRESS).
        var effective = attach ?? AttachType.CgroupInetIngress;
        return type switch
        {
            ProgramType.SocketFilter => SkBuff(type, "socket_filter", SocketFilterAccess, SocketFilterHelpers),
            ProgramType.SchedCls => SkBuff(type, "sched_cls", TcAccess, TcHelpers, read: true, write: true),
            ProgramType.SchedAct => SkBuff(type, "sched_act", TcAccess, TcHelpers, read: true, write: true),
            ProgramType.CgroupSkb => CgroupSkb(effective),
            ProgramType.LwtIn => SkBuff(type, "lwt_in", LwtAccess, LwtInHelpers, read: true),
            ProgramType.LwtOut => SkBuff(type, "lwt_out", LwtAccess, LwtOutHelpers, read: true),
            ProgramType.LwtXmit => SkBuff(type, "lwt_xmit", LwtAccess, LwtXmitHelpers, read: true, write: true),
            ProgramType.LwtSeg6Local => SkBuff(type, "lwt_seg6local", LwtAccess, LwtOutHelpers, read: true),
            ProgramType.SkSkb => SkBuff(type, "sk_skb", SkSkbAccess, SkSkbHelpers, read: true, write: true),
            ProgramType.FlowDissector => SkBuff(type, "flow_dissector", FlowDissectorAccess, FlowDissectorHelpers, read: true),
            ProgramType.Xdp => Xdp(effective),
            ProgramType.CgroupSock => CgroupSock(attach),
            ProgramType.CgroupSockAddr => CgroupSockAddr(attach),
            ProgramType.SockOps => new TableProgramType(type, "sock_ops", SockOpsSize, (0, 1), true, false, SockOpsAccess, SockOpsHelpers),
            ProgramType.SkMsg => new TableProgramType(type, "sk_msg", SkMsgSize, null, true, true, SkMsgAccess, SkMsgHelpers),
            ProgramType.SkReuseport => new TableProgramType(type, "sk_reuseport", SkReuseportSize, null, true, false, SkReuseportAccess, SkReuseportHelpers),
            ProgramType.SkLookup => attach == AttachType.SkLookup
                ? new TableProgramType(type, "sk_lookup", SkLookupSize, (0, 1), false, false, SkLookupAccess, SkLookupHelpers)
                : throw BadAttach(type, attach, "BPF_SK_LOOKUP"),
            ProgramType.CgroupDevice => new TableProgramType(type, "cgroup_device", CgroupDevSize, (0, 1), false, false, CgroupDevAccess, CgroupDeviceHelpers),
            ProgramType.CgroupSysctl => new TableProgramType(type, "cgroup_sysctl", SysctlSize, (0, 1), false, false, SysctlAccess, SysctlHelpers),
            ProgramType.CgroupSockopt => CgroupSockopt(attach),
            ProgramType.Kprobe => new TableProgramType(type, "kprobe", PtRegsSize, null, false, false, KprobeAccess, TracingHelpers),
            ProgramType.Tracepoint => new TableProgramType(type, "tracepoint", TracepointSize, null, false, false, TracepointAccess, TracingHelpers),
            ProgramType.PerfEvent => new TableProgramType(type, "perf_event", PerfEventDataSize, null, false, false, PerfEventAccess, PerfEventHelpers),
            ProgramType.RawTracepoint => new TableProgramType(type, "raw_tracepoint", RawTracepointSize, null, false, false, RawTracepointAccess, TracingHelpers),
            ProgramType.RawTracepointWritable => new TableProgramType(type, "raw_tracepoint_writable", RawTracepointSize, null, false, false, RawTracepointWritableAccess, TracingHelpers),
            ProgramType.LircMode2 => new TableProgramType(type, "lirc_mode2", LircSize, null, false, false, LircAccess, LircHelpers),
            ProgramType.Syscall => new TableProgramType(type, "syscall", SyscallContextSize, null, false, false, SyscallAccess, SyscallHelpers),
            ProgramType.Netfilter => attach == AttachType.Netfilter
                ? new TableProgramType(type, "netfilter", NfContextSize, (0, 1), false, false, NetfilterAccess, NetfilterHelpers)
                : throw BadAttach(type, attach, "BPF_NETFILTER"),
            ProgramType.Tracing or ProgramType.Lsm or ProgramType.StructOps or ProgramType.Ext => throw new HbpfException(
                ErrorCode.ProgramTypeNeedsAttachBtf,
                $"program type {type} takes its context and helpers from an attach BTF id (attach_btf_id), which this verifier does not read: not supported"),
            _ => throw new HbpfException(ErrorCode.ProgramTypeUnknown, $"program type {(uint)type} ({type}) has no verifier tables: the kernel loads no program of it"),
        };
    }

    private static HbpfException BadAttach(ProgramType type, AttachType? attach, string allowed) => new(
        ErrorCode.ProgramTypeBadAttach,
        $"program type {type} needs expected attach type {allowed}; {(attach is { } a ? a.ToString() : "none")} was given (the kernel refuses the load with EINVAL)");

    private static TableProgramType SkBuff(ProgramType type, string name, ContextRule rule, HelperSet helpers, bool read = false, bool write = false) =>
        new(type, name, SkBuffSize, null, read, write, rule, helpers);

    /// <summary>The kernel's <c>invalid bpf_context access off=%d size=%d</c>.</summary>
    internal static string InvalidAccess(int offset, int size) => $"invalid bpf_context access off={offset} size={size}";

    /// <summary><c>bpf_ctx_narrow_access_ok</c>: a load no wider than the field, of a power-of-two size.</summary>
    internal static bool NarrowOk(int size, int fieldSize) => size <= fieldSize && (size & (size - 1)) == 0;

    /// <summary><c>bpf_ctx_wide_access_ok</c>: an aligned 8-byte access inside the array field [<paramref name="start"/>, <paramref name="end"/>).</summary>
    internal static bool WideOk(int offset, int size, int start, int end) => size == 8 && offset >= start && offset + 8 <= end && offset % 8 == 0;

    /// <summary>True when <paramref name="offset"/> lies in [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>): the kernel's <c>bpf_ctx_range</c>.</summary>
    internal static bool In(int offset, int start, int length) => offset >= start && offset < start + length;
}

/// <summary>One program type's <c>is_valid_access</c>: true when allowed, with the loaded register type.</summary>
internal delegate bool ContextRule(int offset, int size, bool write, Privilege privilege, ref RegisterType loaded);

/// <summary>A program type's tables: the context rule and helper set of its family, with its sizes and return range.</summary>
internal sealed class TableProgramType(
    ProgramType type,
    string name,
    int contextSize,
    (long Min, long Max)? returnRange,
    bool canReadPacket,
    bool canWritePacket,
    ContextRule rule,
    ProgramTypes.HelperSet helpers) : ProgramTypeInfo
{
    /// <inheritdoc/>
    public override ProgramType Type => type;

    /// <inheritdoc/>
    public override string Name => name;

    /// <inheritdoc/>
    public override int ContextSize => contextSize;

    /// <inheritdoc/>
    public override (long Min, long Max)? ReturnRange => returnRange;

    /// <inheritdoc/>
    public override bool CanReadPacket => canReadPacket;

    /// <inheritdoc/>
    public override bool CanWritePacket => canWritePacket;

    /// <inheritdoc/>
    public override string? CheckContextAccess(int offset, int size, bool write, Privilege privilege, out RegisterType loaded)
    {
        loaded = RegisterType.Scalar;
        // The verifier only asks with the sizes of loads and stores (1, 2, 4, 8); anything else is refused as the
        // kernel's size checks would.
        if (size is not (1 or 2 or 4 or 8) || !rule(offset, size, write, privilege, ref loaded))
        {
            loaded = RegisterType.Scalar;
            return ProgramTypes.InvalidAccess(offset, size);
        }

        if (write) loaded = RegisterType.Scalar;
        return null;
    }

    /// <inheritdoc/>
    public override HelperPrototype? GetHelper(HelperId id, Privilege privilege) => helpers.Get(id, privilege);

    /// <summary>The type's helper set (membership also for helpers without a known prototype).</summary>
    internal ProgramTypes.HelperSet Helpers => helpers;

    /// <summary>The name, e.g. <c>sched_cls</c>.</summary>
    public override string ToString() => name;
}
