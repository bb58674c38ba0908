using System.Collections.Frozen;
using HeteroBpf.Helpers;

namespace HeteroBpf.Verifier;

// The helpers each program type may call (its func_proto) and the prototypes the verifier knows.
//
// The sets are the kernel's composition as Linux 6.18 builds it: bpf_base_func_proto (kernel/bpf/helpers.c; its
// second half behind CAP_PERFMON), bpf_sk_base_func_proto (filter.c: base plus ktime_get_coarse_ns, and the
// bpf_skc_to_* casts behind CAP_PERFMON), cgroup_common_func_proto (kernel/bpf/cgroup.c), bpf_tracing_func_proto
// (kernel/trace/bpf_trace.c) and each type's own switch. Which branches exist depends on the kernel's configuration
// (CONFIG_IPV6_SEG6_BPF, CONFIG_XFRM, ...): these are the running 6.18 kernel's, and ProgramTypesHelperTests loads
// every (type, helper) pair into the kernel to prove them.
public static partial class ProgramTypes
{
    /// <summary>A type's helpers: those always allowed and those that also need CAP_PERFMON (absent at <see cref="Privilege.Bpf"/>).</summary>
    internal sealed class HelperSet(IEnumerable<HelperId> always, IEnumerable<HelperId> perfmon, IReadOnlyDictionary<HelperId, HelperPrototype>? variants = null)
    {
        private readonly FrozenSet<HelperId> always = always.ToFrozenSet();
        private readonly FrozenSet<HelperId> perfmon = perfmon.ToFrozenSet();
        private readonly FrozenDictionary<HelperId, HelperPrototype> variants = (variants ?? new Dictionary<HelperId, HelperPrototype>()).ToFrozenDictionary();

        /// <summary>True when the type's func_proto returns a prototype for <paramref name="id"/> at <paramref name="privilege"/>.</summary>
        public bool Allows(HelperId id, Privilege privilege) => always.Contains(id) || (privilege == Privilege.Root && perfmon.Contains(id));

        /// <summary>The prototype the type sees (its own variant, or the common one); null when not allowed or not known.</summary>
        public HelperPrototype? Get(HelperId id, Privilege privilege) =>
            !Allows(id, privilege) ? null : variants.TryGetValue(id, out var variant) ? variant : Prototype(id);

        /// <summary>This set plus <paramref name="more"/> (always allowed) and <paramref name="morePerfmon"/>, with more variants.</summary>
        public HelperSet With(IEnumerable<HelperId> more, IEnumerable<HelperId>? morePerfmon = null, IReadOnlyDictionary<HelperId, HelperPrototype>? moreVariants = null)
        {
            var merged = new Dictionary<HelperId, HelperPrototype>(variants);
            foreach (var (id, p) in moreVariants ?? new Dictionary<HelperId, HelperPrototype>()) merged[id] = p;
            return new HelperSet(always.Concat(more), perfmon.Concat(morePerfmon ?? []), merged);
        }
    }

    /// <summary>
    /// Whether <paramref name="type"/> (with <paramref name="attachType"/>) may call helper <paramref name="id"/> at
    /// <paramref name="privilege"/>, whether or not the verifier knows its prototype (the kernel's func_proto returning
    /// non-null). <see cref="ProgramTypeInfo.GetHelper"/> is null also for an allowed helper whose prototype is not known.
    /// </summary>
    public static bool IsHelperAllowed(ProgramType type, AttachType? attachType, HelperId id, Privilege privilege) =>
        Get(type, attachType) is TableProgramType t && t.Helpers.Allows(id, privilege);

    /// <summary>Every prototype the verifier knows: the runtime's (<see cref="HelperPrototypes"/>) and the verifier's own, by ascending id.</summary>
    public static IEnumerable<HelperPrototype> KnownPrototypes =>
        HelperPrototypes.All.Concat(VerifierPrototypes.Values.Where(p => !HelperPrototypes.TryGet(p.Id, out _))).OrderBy(p => p.Id);

    /// <summary>The common prototype of helper <paramref name="id"/> (a type may see a variant), or null when the verifier does not know it.</summary>
    public static HelperPrototype? Prototype(HelperId id) =>
        HelperPrototypes.TryGet(id, out var p) ? p : VerifierPrototypes.GetValueOrDefault(id);

    private static readonly HelperArg Ctx = new(HelperArgType.PtrToCtx);
    private static readonly HelperArg CtxOrNull = new(HelperArgType.PtrToCtx, HelperArgFlags.MaybeNull);
    private static readonly HelperArg Any = new(HelperArgType.Anything);
    private static readonly HelperArg MapArg = new(HelperArgType.ConstMapPtr);
    private static readonly HelperArg KeyArg = new(HelperArgType.PtrToMapKey);
    private static readonly HelperArg ReadMem = new(HelperArgType.PtrToMem, HelperArgFlags.ReadOnly);
    private static readonly HelperArg ReadMemOrNull = new(HelperArgType.PtrToMem, HelperArgFlags.MaybeNull | HelperArgFlags.ReadOnly);
    private static readonly HelperArg UninitMem = new(HelperArgType.PtrToMem, HelperArgFlags.Uninit);
    private static readonly HelperArg Size = new(HelperArgType.ConstSize);
    private static readonly HelperArg SizeOrZero = new(HelperArgType.ConstSizeOrZero);
    private static readonly HelperArg SockCommon = new(HelperArgType.PtrToSockCommon);
    private static readonly HelperArg BtfSockCommon = new(HelperArgType.PtrToBtfIdSockCommon);
    private static readonly HelperArg ConstStr = new(HelperArgType.PtrToConstStr);

    /// <summary>
    /// Prototypes of helpers the runtime does not implement but the verifier checks calls to (as the kernel declares
    /// them: <c>net/core/filter.c</c>, <c>kernel/trace/bpf_trace.c</c>, <c>kernel/bpf/helpers.c</c>, <c>kernel/bpf/cgroup.c</c>).
    /// Helpers whose arguments or results need BTF types, dynptrs, timers or kptrs are not here: a call to them is refused.
    /// </summary>
    private static readonly FrozenDictionary<HelperId, HelperPrototype> VerifierPrototypes = new HelperPrototype[]
    {
        new(HelperId.ProbeRead, HelperReturn.Integer, UninitMem, SizeOrZero, Any) { GplOnly = true },
        new(HelperId.SkbStoreBytes, HelperReturn.Integer, Ctx, Any, ReadMem, Size, Any),
        new(HelperId.L3CsumReplace, HelperReturn.Integer, Ctx, Any, Any, Any, Any),
        new(HelperId.L4CsumReplace, HelperReturn.Integer, Ctx, Any, Any, Any, Any),
        new(HelperId.CloneRedirect, HelperReturn.Integer, Ctx, Any, Any),
        new(HelperId.GetCurrentPidTgid, HelperReturn.Integer),
        new(HelperId.GetCurrentUidGid, HelperReturn.Integer),
        new(HelperId.GetCurrentComm, HelperReturn.Integer, UninitMem, Size),
        new(HelperId.GetCgroupClassid, HelperReturn.Integer),
        new(HelperId.SkbVlanPush, HelperReturn.Integer, Ctx, Any, Any),
        new(HelperId.SkbVlanPop, HelperReturn.Integer, Ctx),
        new(HelperId.GetRouteRealm, HelperReturn.Integer, Ctx),
        new(HelperId.SkbLoadBytes, HelperReturn.Integer, Ctx, Any, UninitMem, Size),
        new(HelperId.GetStackid, HelperReturn.Integer, Ctx, MapArg, Any) { GplOnly = true },
        new(HelperId.SkbChangeProto, HelperReturn.Integer, Ctx, Any, Any),
        new(HelperId.SkbChangeType, HelperReturn.Integer, Ctx, Any),
        new(HelperId.SkbUnderCgroup, HelperReturn.Integer, Ctx, MapArg, Any),
        new(HelperId.GetHashRecalc, HelperReturn.Integer, Ctx),
        new(HelperId.GetCurrentTask, HelperReturn.Integer) { GplOnly = true },
        new(HelperId.CurrentTaskUnderCgroup, HelperReturn.Integer, MapArg, Any),
        new(HelperId.SkbChangeTail, HelperReturn.Integer, Ctx, Any, Any),
        new(HelperId.SkbPullData, HelperReturn.Integer, Ctx, Any),
        new(HelperId.CsumUpdate, HelperReturn.Integer, Ctx, Any),
        new(HelperId.SetHashInvalid, HelperReturn.Void, Ctx),
        new(HelperId.GetNumaNodeId, HelperReturn.Integer),
        new(HelperId.SkbChangeHead, HelperReturn.Integer, Ctx, Any, Any),
        new(HelperId.ProbeReadStr, HelperReturn.Integer, UninitMem, SizeOrZero, Any) { GplOnly = true },
        new(HelperId.GetSocketCookie, HelperReturn.Integer, Ctx),
        new(HelperId.GetSocketUid, HelperReturn.Integer, Ctx),
        new(HelperId.SetHash, HelperReturn.Integer, Ctx, Any),
        new(HelperId.Setsockopt, HelperReturn.Integer, Ctx, Any, Any, ReadMem, Size),
        new(HelperId.SkbAdjustRoom, HelperReturn.Integer, Ctx, Any, Any, Any),
        new(HelperId.Getsockopt, HelperReturn.Integer, Ctx, Any, Any, UninitMem, Size),
        new(HelperId.SockOpsCbFlagsSet, HelperReturn.Integer, Ctx, Any),
        new(HelperId.MsgApplyBytes, HelperReturn.Integer, Ctx, Any),
        new(HelperId.MsgCorkBytes, HelperReturn.Integer, Ctx, Any),
        new(HelperId.MsgPullData, HelperReturn.Integer, Ctx, Any, Any, Any),
        new(HelperId.Bind, HelperReturn.Integer, Ctx, ReadMem, Size),
        new(HelperId.SkbLoadBytesRelative, HelperReturn.Integer, Ctx, Any, UninitMem, Size, Any),
        new(HelperId.FibLookup, HelperReturn.Integer, Ctx, new(HelperArgType.PtrToMem), Size, Any),
        new(HelperId.SkbCgroupId, HelperReturn.Integer, Ctx),
        new(HelperId.GetCurrentCgroupId, HelperReturn.Integer),
        new(HelperId.GetLocalStorage, HelperReturn.PtrToMapValue, MapArg, Any),
        new(HelperId.SkSelectReuseport, HelperReturn.Integer, Ctx, MapArg, KeyArg, Any),
        new(HelperId.SkbAncestorCgroupId, HelperReturn.Integer, Ctx, Any),
        new(HelperId.SkLookupTcp, HelperReturn.PtrToSocketOrNull, Ctx, ReadMem, Size, Any, Any),
        new(HelperId.SkLookupUdp, HelperReturn.PtrToSocketOrNull, Ctx, ReadMem, Size, Any, Any),
        new(HelperId.SkRelease, HelperReturn.Integer, BtfSockCommon),
        new(HelperId.MsgPushData, HelperReturn.Integer, Ctx, Any, Any, Any),
        new(HelperId.MsgPopData, HelperReturn.Integer, Ctx, Any, Any, Any),
        new(HelperId.SkFullsock, HelperReturn.PtrToSocketOrNull, SockCommon),
        new(HelperId.SkbEcnSetCe, HelperReturn.Integer, Ctx),
        new(HelperId.GetListenerSock, HelperReturn.PtrToSocketOrNull, SockCommon),
        new(HelperId.SkcLookupTcp, HelperReturn.PtrToSockCommonOrNull, Ctx, ReadMem, Size, Any, Any),
        new(HelperId.TcpCheckSyncookie, HelperReturn.Integer, BtfSockCommon, ReadMem, Size, ReadMem, Size),
        new(HelperId.SysctlGetName, HelperReturn.Integer, Ctx, UninitMem, Size, Any),
        new(HelperId.SysctlGetCurrentValue, HelperReturn.Integer, Ctx, UninitMem, Size),
        new(HelperId.SysctlGetNewValue, HelperReturn.Integer, Ctx, UninitMem, Size),
        new(HelperId.SysctlSetNewValue, HelperReturn.Integer, Ctx, ReadMem, Size),
        new(HelperId.SendSignal, HelperReturn.Integer, Any),
        new(HelperId.ProbeReadUser, HelperReturn.Integer, UninitMem, SizeOrZero, Any) { GplOnly = true },
        new(HelperId.ProbeReadKernel, HelperReturn.Integer, UninitMem, SizeOrZero, Any) { GplOnly = true },
        new(HelperId.ProbeReadUserStr, HelperReturn.Integer, UninitMem, SizeOrZero, Any) { GplOnly = true },
        new(HelperId.ProbeReadKernelStr, HelperReturn.Integer, UninitMem, SizeOrZero, Any) { GplOnly = true },
        new(HelperId.SendSignalThread, HelperReturn.Integer, Any),
        new(HelperId.GetNetnsCookie, HelperReturn.Integer, CtxOrNull),
        new(HelperId.GetCurrentAncestorCgroupId, HelperReturn.Integer, Any),
        new(HelperId.CsumLevel, HelperReturn.Integer, Ctx, Any),
        new(HelperId.RedirectPeer, HelperReturn.Integer, Any, Any),
        new(HelperId.RedirectNeigh, HelperReturn.Integer, Any, ReadMemOrNull, SizeOrZero, Any),
        new(HelperId.KtimeGetCoarseNs, HelperReturn.Integer),
        new(HelperId.GetFuncIp, HelperReturn.Integer, Ctx),
        new(HelperId.GetAttachCookie, HelperReturn.Integer, Ctx),
        new(HelperId.Strncmp, HelperReturn.Integer, ReadMem, Size, ConstStr),
        new(HelperId.GetRetval, HelperReturn.Integer),
        new(HelperId.SetRetval, HelperReturn.Integer, Any),
        new(HelperId.XdpGetBuffLen, HelperReturn.Integer, Ctx),
        new(HelperId.XdpLoadBytes, HelperReturn.Integer, Ctx, Any, UninitMem, Size),
        new(HelperId.XdpStoreBytes, HelperReturn.Integer, Ctx, Any, ReadMem, Size),
        new(HelperId.SkbSetTstamp, HelperReturn.Integer, Ctx, Any, Any),
        new(HelperId.MapLookupPercpuElem, HelperReturn.PtrToMapValueOrNull, MapArg, KeyArg, Any),
        new(HelperId.KtimeGetTaiNs, HelperReturn.Integer),
    }.ToFrozenDictionary(p => p.Id);

    // Per-type variants of a common prototype.
    private static readonly Dictionary<HelperId, HelperPrototype> SkbClassid = new()
    {
        // tc and lwt read the classid of the skb (bpf_get_cgroup_classid_proto), the others of the current task.
        [HelperId.GetCgroupClassid] = new(HelperId.GetCgroupClassid, HelperReturn.Integer, Ctx),
    };

    private static readonly Dictionary<HelperId, HelperPrototype> TracingVariants = new()
    {
        // bpf_perf_event_output_proto is GPL-only; the skb, xdp and sock variants are not.
        [HelperId.PerfEventOutput] = new(HelperId.PerfEventOutput, HelperReturn.Integer, Ctx, MapArg, Any, ReadMem, SizeOrZero) { GplOnly = true },
    };

    private static readonly HelperSet BaseHelpers = new(
        [
            HelperId.MapLookupElem, HelperId.MapUpdateElem, HelperId.MapDeleteElem, HelperId.KtimeGetNs, HelperId.GetPrandomU32,
            HelperId.GetSmpProcessorId, HelperId.TailCall, HelperId.GetCurrentPidTgid, HelperId.GetCurrentUidGid, HelperId.GetCgroupClassid,
            HelperId.CurrentTaskUnderCgroup, HelperId.GetNumaNodeId, HelperId.GetCurrentCgroupId, HelperId.MapPushElem, HelperId.MapPopElem,
            HelperId.MapPeekElem, HelperId.SpinLock, HelperId.SpinUnlock, HelperId.Strtol, HelperId.Strtoul, HelperId.Jiffies64,
            HelperId.GetNsCurrentPidTgid, HelperId.GetCurrentAncestorCgroupId, HelperId.KtimeGetBootNs, HelperId.RingbufOutput,
            HelperId.RingbufReserve, HelperId.RingbufSubmit, HelperId.RingbufDiscard, HelperId.RingbufQuery, HelperId.TaskStorageGet,
            HelperId.TaskStorageDelete, HelperId.ForEachMapElem, HelperId.TimerInit, HelperId.TimerSetCallback, HelperId.TimerStart,
            HelperId.TimerCancel, HelperId.Loop, HelperId.Strncmp, HelperId.KptrXchg, HelperId.MapLookupPercpuElem, HelperId.DynptrFromMem,
            HelperId.RingbufReserveDynptr, HelperId.RingbufSubmitDynptr, HelperId.RingbufDiscardDynptr, HelperId.DynptrRead,
            HelperId.DynptrWrite, HelperId.DynptrData, HelperId.KtimeGetTaiNs, HelperId.UserRingbufDrain, HelperId.CgrpStorageGet,
            HelperId.CgrpStorageDelete,
        ],
        [
            HelperId.TracePrintk, HelperId.GetCurrentComm, HelperId.PerfEventRead, HelperId.GetCurrentTask, HelperId.PerfEventReadValue,
            HelperId.SendSignal, HelperId.ProbeReadUser, HelperId.ProbeReadKernel, HelperId.ProbeReadUserStr, HelperId.ProbeReadKernelStr,
            HelperId.SendSignalThread, HelperId.GetTaskStack, HelperId.SnprintfBtf, HelperId.PerCpuPtr, HelperId.ThisCpuPtr,
            HelperId.GetCurrentTaskBtf, HelperId.Snprintf, HelperId.TaskPtRegs, HelperId.GetBranchSnapshot, HelperId.TraceVprintk,
            HelperId.FindVma,
        ]);

    private static readonly HelperId[] SkcCasts =
    [
        HelperId.SkcToTcp6Sock, HelperId.SkcToTcpSock, HelperId.SkcToTcpTimewaitSock, HelperId.SkcToTcpRequestSock,
        HelperId.SkcToUdp6Sock, HelperId.SkcToUnixSock, HelperId.SkcToMptcpSock,
    ];

    /// <summary>bpf_sk_base_func_proto.</summary>
    private static readonly HelperSet SkBaseHelpers = BaseHelpers.With([HelperId.KtimeGetCoarseNs], SkcCasts);

    private static readonly HelperSet SocketFilterHelpers = SkBaseHelpers.With(
    [
        HelperId.PerfEventOutput, HelperId.SkbLoadBytes, HelperId.GetSocketCookie, HelperId.GetSocketUid, HelperId.SkbLoadBytesRelative,
        HelperId.GetNetnsCookie,
    ]);

    private static readonly HelperSet TcHelpers = SkBaseHelpers.With(
    [
        HelperId.SkbStoreBytes, HelperId.L3CsumReplace, HelperId.L4CsumReplace, HelperId.CloneRedirect, HelperId.SkbVlanPush,
        HelperId.SkbVlanPop, HelperId.SkbGetTunnelKey, HelperId.SkbSetTunnelKey, HelperId.Redirect, HelperId.GetRouteRealm,
        HelperId.PerfEventOutput, HelperId.SkbLoadBytes, HelperId.CsumDiff, HelperId.SkbGetTunnelOpt, HelperId.SkbSetTunnelOpt,
        HelperId.SkbChangeProto, HelperId.SkbChangeType, HelperId.SkbUnderCgroup, HelperId.GetHashRecalc, HelperId.SkbChangeTail,
        HelperId.SkbPullData, HelperId.CsumUpdate, HelperId.SetHashInvalid, HelperId.SkbChangeHead, HelperId.GetSocketCookie,
        HelperId.GetSocketUid, HelperId.SetHash, HelperId.SkbAdjustRoom, HelperId.SkbGetXfrmState, HelperId.SkbLoadBytesRelative,
        HelperId.FibLookup, HelperId.SkbCgroupId, HelperId.SkbAncestorCgroupId, HelperId.SkLookupTcp, HelperId.SkLookupUdp,
        HelperId.SkRelease, HelperId.SkFullsock, HelperId.TcpSock, HelperId.SkbEcnSetCe, HelperId.GetListenerSock, HelperId.SkcLookupTcp,
        HelperId.TcpCheckSyncookie, HelperId.SkStorageGet, HelperId.SkStorageDelete, HelperId.TcpGenSyncookie, HelperId.GetNetnsCookie,
        HelperId.SkAssign, HelperId.CsumLevel, HelperId.SkbCgroupClassid, HelperId.RedirectNeigh, HelperId.RedirectPeer, HelperId.CheckMtu,
        HelperId.SkbSetTstamp, HelperId.TcpRawGenSyncookieIpv4, HelperId.TcpRawGenSyncookieIpv6, HelperId.TcpRawCheckSyncookieIpv4,
        HelperId.TcpRawCheckSyncookieIpv6,
    ], moreVariants: SkbClassid);

    private static readonly HelperSet XdpHelpers = SkBaseHelpers.With(
    [
        HelperId.Redirect, HelperId.PerfEventOutput, HelperId.CsumDiff, HelperId.XdpAdjustHead, HelperId.RedirectMap, HelperId.XdpAdjustMeta,
        HelperId.XdpAdjustTail, HelperId.FibLookup, HelperId.SkLookupTcp, HelperId.SkLookupUdp, HelperId.SkRelease, HelperId.SkcLookupTcp,
        HelperId.TcpCheckSyncookie, HelperId.TcpGenSyncookie, HelperId.CheckMtu, HelperId.XdpGetBuffLen, HelperId.XdpLoadBytes,
        HelperId.XdpStoreBytes, HelperId.TcpRawGenSyncookieIpv4, HelperId.TcpRawGenSyncookieIpv6, HelperId.TcpRawCheckSyncookieIpv4,
        HelperId.TcpRawCheckSyncookieIpv6,
    ]);

    private static readonly HelperSet CgroupSkbHelpers = SkBaseHelpers.With(
    [
        HelperId.PerfEventOutput, HelperId.SkbLoadBytes, HelperId.GetSocketCookie, HelperId.GetSocketUid, HelperId.SkbLoadBytesRelative,
        HelperId.SkbCgroupId, HelperId.GetLocalStorage, HelperId.SkbAncestorCgroupId, HelperId.SkLookupTcp, HelperId.SkLookupUdp,
        HelperId.SkRelease, HelperId.SkFullsock, HelperId.TcpSock, HelperId.SkbEcnSetCe, HelperId.GetListenerSock, HelperId.SkcLookupTcp,
        HelperId.SkStorageGet, HelperId.SkStorageDelete, HelperId.GetNetnsCookie, HelperId.SkCgroupId, HelperId.SkAncestorCgroupId,
    ]);

    private static readonly HelperSet LwtOutHelpers = SkBaseHelpers.With(
    [
        HelperId.GetRouteRealm, HelperId.PerfEventOutput, HelperId.SkbLoadBytes, HelperId.CsumDiff, HelperId.SkbUnderCgroup,
        HelperId.GetHashRecalc, HelperId.SkbPullData,
    ], moreVariants: SkbClassid);

    private static readonly HelperSet LwtInHelpers = LwtOutHelpers.With([HelperId.LwtPushEncap]);

    private static readonly HelperSet LwtXmitHelpers = LwtOutHelpers.With(
    [
        HelperId.SkbStoreBytes, HelperId.L3CsumReplace, HelperId.L4CsumReplace, HelperId.CloneRedirect, HelperId.SkbGetTunnelKey,
        HelperId.SkbSetTunnelKey, HelperId.Redirect, HelperId.SkbGetTunnelOpt, HelperId.SkbSetTunnelOpt, HelperId.SkbChangeTail,
        HelperId.CsumUpdate, HelperId.SetHashInvalid, HelperId.SkbChangeHead, HelperId.LwtPushEncap, HelperId.CsumLevel,
    ]);

    private static readonly HelperSet SkSkbHelpers = SkBaseHelpers.With(
    [
        HelperId.SkbStoreBytes, HelperId.PerfEventOutput, HelperId.SkbLoadBytes, HelperId.SkbChangeTail, HelperId.SkbPullData,
        HelperId.SkbChangeHead, HelperId.GetSocketCookie, HelperId.GetSocketUid, HelperId.SkbAdjustRoom, HelperId.SkRedirectMap,
        HelperId.SkRedirectHash, HelperId.SkLookupTcp, HelperId.SkLookupUdp, HelperId.SkRelease, HelperId.SkcLookupTcp,
    ]);

    private static readonly HelperSet FlowDissectorHelpers = SkBaseHelpers.With([HelperId.SkbLoadBytes]);

    private static readonly HelperSet SockOpsHelpers = SkBaseHelpers.With(
    [
        HelperId.PerfEventOutput, HelperId.GetSocketCookie, HelperId.Setsockopt, HelperId.SockMapUpdate, HelperId.Getsockopt,
        HelperId.SockOpsCbFlagsSet, HelperId.SockHashUpdate, HelperId.GetLocalStorage, HelperId.TcpSock, HelperId.SkStorageGet,
        HelperId.SkStorageDelete, HelperId.GetNetnsCookie, HelperId.LoadHdrOpt, HelperId.StoreHdrOpt, HelperId.ReserveHdrOpt,
    ]);

    private static readonly HelperSet SkMsgHelpers = SkBaseHelpers.With(
    [
        HelperId.PerfEventOutput, HelperId.MsgRedirectMap, HelperId.MsgApplyBytes, HelperId.MsgCorkBytes, HelperId.MsgPullData,
        HelperId.MsgRedirectHash, HelperId.MsgPushData, HelperId.MsgPopData, HelperId.SkStorageGet, HelperId.SkStorageDelete,
        HelperId.GetNetnsCookie,
    ]);

    private static readonly HelperSet SkLookupHelpers = SkBaseHelpers.With([HelperId.PerfEventOutput, HelperId.SkRelease, HelperId.SkAssign]);

    // The cgroup types below build on bpf_base_func_proto directly (no skc casts).
    private static readonly HelperSet CgroupSockHelpers = BaseHelpers.With(
    [
        HelperId.PerfEventOutput, HelperId.GetSocketCookie, HelperId.GetLocalStorage, HelperId.SkStorageGet, HelperId.GetNetnsCookie,
        HelperId.KtimeGetCoarseNs, HelperId.GetRetval, HelperId.SetRetval,
    ]);

    private static readonly HelperSet CgroupDeviceHelpers = BaseHelpers.With([HelperId.PerfEventOutput, HelperId.GetLocalStorage]);

    private static readonly HelperSet SysctlHelpers = BaseHelpers.With(
    [
        HelperId.PerfEventOutput, HelperId.GetLocalStorage, HelperId.SysctlGetName, HelperId.SysctlGetCurrentValue,
        HelperId.SysctlGetNewValue, HelperId.SysctlSetNewValue, HelperId.KtimeGetCoarseNs,
    ]);

    private static readonly HelperSet GetsockoptHelpers = BaseHelpers.With(
    [
        HelperId.PerfEventOutput, HelperId.GetLocalStorage, HelperId.TcpSock, HelperId.SkStorageGet, HelperId.SkStorageDelete,
        HelperId.GetNetnsCookie, HelperId.GetRetval, HelperId.SetRetval,
    ]);

    private static readonly HelperSet SetsockoptHelpers = GetsockoptHelpers.With([HelperId.Setsockopt, HelperId.Getsockopt]);

    private static readonly HelperSet SkReuseportHelpers = BaseHelpers.With(
    [
        HelperId.SkbLoadBytes, HelperId.GetSocketCookie, HelperId.SkbLoadBytesRelative, HelperId.SkSelectReuseport, HelperId.KtimeGetCoarseNs,
    ]);

    /// <summary>bpf_tracing_func_proto's additions for kprobe, tracepoint and raw_tracepoint (root-only types).</summary>
    private static readonly HelperSet TracingHelpers = BaseHelpers.With(
    [
        HelperId.ProbeRead, HelperId.PerfEventOutput, HelperId.GetStackid, HelperId.ProbeReadStr, HelperId.GetStack, HelperId.GetFuncIp,
        HelperId.GetAttachCookie,
    ], moreVariants: TracingVariants);

    private static readonly HelperSet PerfEventHelpers = TracingHelpers.With([HelperId.PerfProgReadValue, HelperId.ReadBranchRecords]);

    /// <summary>lirc_mode2 (drivers/media/rc/bpf-lirc.c): the base helpers and its own rc_* (not configured on the reference kernel).</summary>
    private static readonly HelperSet LircHelpers = BaseHelpers.With([HelperId.RcRepeat, HelperId.RcKeydown, HelperId.RcPointerRel]);

    /// <summary>syscall programs (sleepable): tracing-style helpers plus the sys_* ones; copy_from_user and sys_bpf need CAP_PERFMON.</summary>
    private static readonly HelperSet SyscallHelpers = BaseHelpers.With(
    [
        HelperId.ProbeRead, HelperId.PerfEventOutput, HelperId.GetStackid, HelperId.ProbeReadStr, HelperId.GetSocketCookie,
        HelperId.GetStack, HelperId.SkbOutput, HelperId.XdpOutput, HelperId.SkcToTcp6Sock, HelperId.SkcToTcpSock,
        HelperId.SkcToTcpTimewaitSock, HelperId.SkcToTcpRequestSock, HelperId.SkcToUdp6Sock, HelperId.SockFromFile,
        HelperId.BtfFindByNameKind, HelperId.SysClose, HelperId.GetFuncIp, HelperId.SkcToUnixSock, HelperId.KallsymsLookupName,
        HelperId.XdpGetBuffLen, HelperId.SkcToMptcpSock,
    ], [HelperId.CopyFromUser, HelperId.SysBpf, HelperId.CopyFromUserTask], TracingVariants);

    private static readonly HelperSet NetfilterHelpers = BaseHelpers;

    /// <summary>cgroup_sock_addr: setsockopt/getsockopt and the socket lookups everywhere, bind only on inet connect, get/set_retval not on the recvmsg, getpeername and getsockname hooks.</summary>
    private static HelperSet SockAddrHelpers(AttachType attach)
    {
        var set = SkBaseHelpers.With(
        [
            HelperId.PerfEventOutput, HelperId.GetSocketCookie, HelperId.Setsockopt, HelperId.Getsockopt, HelperId.GetLocalStorage,
            HelperId.SkLookupTcp, HelperId.SkLookupUdp, HelperId.SkRelease, HelperId.SkcLookupTcp, HelperId.SkStorageGet,
            HelperId.SkStorageDelete, HelperId.GetNetnsCookie,
        ]);
        bool noRetval = attach is AttachType.CgroupUdp4Recvmsg or AttachType.CgroupUdp6Recvmsg or AttachType.CgroupUnixRecvmsg
            or AttachType.CgroupInet4Getpeername or AttachType.CgroupInet6Getpeername or AttachType.CgroupUnixGetpeername
            or AttachType.CgroupInet4Getsockname or AttachType.CgroupInet6Getsockname or AttachType.CgroupUnixGetsockname;
        if (!noRetval) set = set.With([HelperId.GetRetval, HelperId.SetRetval]);
        if (attach is AttachType.CgroupInet4Connect or AttachType.CgroupInet6Connect) set = set.With([HelperId.Bind]);
        return set;
    }
}
