namespace HeteroBpf.Elf;

/// <summary>What a program's section name says about it.</summary>
/// <param name="Type">The program type (<see cref="ProgramType.Unspec"/> for an unknown name).</param>
/// <param name="AttachType">The expected attach type, when the name implies one.</param>
/// <param name="AttachTo">What follows the matched prefix and its <c>/</c>, when anything does.</param>
/// <param name="Known">False when no entry of the table matched.</param>
/// <param name="Sleepable">A sleepable (<c>.s</c>) variant.</param>
/// <param name="XdpFrags">An <c>xdp.frags</c> variant.</param>
public readonly record struct SectionInfo(ProgramType Type, AttachType? AttachType, string? AttachTo, bool Known, bool Sleepable, bool XdpFrags);

/// <summary>
/// libbpf's <c>SEC()</c> conventions as a table: section name → program type and expected attach type. A pattern ending
/// in <c>+</c> matches the bare name or the name followed by <c>/extras</c>; one ending in <c>/</c> requires extras; any
/// other matches only exactly. The first matching entry wins, so specific names come before their general forms.
/// </summary>
public static class ProgramSections
{
    [Flags]
    private enum Tags
    {
        None = 0,
        Sleepable = 1,
        Frags = 2,
    }

    private readonly record struct Entry(string Pattern, ProgramType Type, AttachType? Attach, Tags Tags = Tags.None);

    private static readonly Entry[] Table =
    [
        new("socket", ProgramType.SocketFilter, null),
        new("sk_reuseport/migrate", ProgramType.SkReuseport, AttachType.SkReuseportSelectOrMigrate),
        new("sk_reuseport", ProgramType.SkReuseport, AttachType.SkReuseportSelect),
        new("kprobe.multi+", ProgramType.Kprobe, AttachType.TraceKprobeMulti),
        new("kretprobe.multi+", ProgramType.Kprobe, AttachType.TraceKprobeMulti),
        new("uprobe.multi+", ProgramType.Kprobe, AttachType.TraceUprobeMulti),
        new("uretprobe.multi+", ProgramType.Kprobe, AttachType.TraceUprobeMulti),
        new("uprobe.multi.s+", ProgramType.Kprobe, AttachType.TraceUprobeMulti, Tags.Sleepable),
        new("uretprobe.multi.s+", ProgramType.Kprobe, AttachType.TraceUprobeMulti, Tags.Sleepable),
        new("kprobe+", ProgramType.Kprobe, null),
        new("kretprobe+", ProgramType.Kprobe, null),
        new("uprobe+", ProgramType.Kprobe, null),
        new("uprobe.s+", ProgramType.Kprobe, null, Tags.Sleepable),
        new("uretprobe+", ProgramType.Kprobe, null),
        new("uretprobe.s+", ProgramType.Kprobe, null, Tags.Sleepable),
        new("ksyscall+", ProgramType.Kprobe, null),
        new("kretsyscall+", ProgramType.Kprobe, null),
        new("usdt+", ProgramType.Kprobe, null),
        new("usdt.s+", ProgramType.Kprobe, null, Tags.Sleepable),
        new("tc/ingress", ProgramType.SchedCls, AttachType.TcxIngress),
        new("tc/egress", ProgramType.SchedCls, AttachType.TcxEgress),
        new("tcx/ingress", ProgramType.SchedCls, AttachType.TcxIngress),
        new("tcx/egress", ProgramType.SchedCls, AttachType.TcxEgress),
        new("tc", ProgramType.SchedCls, null),
        new("classifier+", ProgramType.SchedCls, null),
        new("action+", ProgramType.SchedAct, null),
        new("netkit/primary", ProgramType.SchedCls, AttachType.NetkitPrimary),
        new("netkit/peer", ProgramType.SchedCls, AttachType.NetkitPeer),
        new("tracepoint+", ProgramType.Tracepoint, null),
        new("tp+", ProgramType.Tracepoint, null),
        new("raw_tracepoint+", ProgramType.RawTracepoint, null),
        new("raw_tp+", ProgramType.RawTracepoint, null),
        new("raw_tracepoint.w+", ProgramType.RawTracepointWritable, null),
        new("raw_tp.w+", ProgramType.RawTracepointWritable, null),
        new("tp_btf+", ProgramType.Tracing, AttachType.TraceRawTp),
        new("fentry+", ProgramType.Tracing, AttachType.TraceFentry),
        new("fmod_ret+", ProgramType.Tracing, AttachType.ModifyReturn),
        new("fexit+", ProgramType.Tracing, AttachType.TraceFexit),
        new("fentry.s+", ProgramType.Tracing, AttachType.TraceFentry, Tags.Sleepable),
        new("fmod_ret.s+", ProgramType.Tracing, AttachType.ModifyReturn, Tags.Sleepable),
        new("fexit.s+", ProgramType.Tracing, AttachType.TraceFexit, Tags.Sleepable),
        new("freplace+", ProgramType.Ext, null),
        new("lsm+", ProgramType.Lsm, AttachType.LsmMac),
        new("lsm.s+", ProgramType.Lsm, AttachType.LsmMac, Tags.Sleepable),
        new("lsm_cgroup+", ProgramType.Lsm, AttachType.LsmCgroup),
        new("iter+", ProgramType.Tracing, AttachType.TraceIter),
        new("iter.s+", ProgramType.Tracing, AttachType.TraceIter, Tags.Sleepable),
        new("syscall", ProgramType.Syscall, null, Tags.Sleepable),
        new("xdp.frags/devmap", ProgramType.Xdp, AttachType.XdpDevmap, Tags.Frags),
        new("xdp/devmap", ProgramType.Xdp, AttachType.XdpDevmap),
        new("xdp.frags/cpumap", ProgramType.Xdp, AttachType.XdpCpumap, Tags.Frags),
        new("xdp/cpumap", ProgramType.Xdp, AttachType.XdpCpumap),
        new("xdp.frags", ProgramType.Xdp, AttachType.Xdp, Tags.Frags),
        new("xdp+", ProgramType.Xdp, AttachType.Xdp),
        new("perf_event", ProgramType.PerfEvent, null),
        new("lwt_in", ProgramType.LwtIn, null),
        new("lwt_out", ProgramType.LwtOut, null),
        new("lwt_xmit", ProgramType.LwtXmit, null),
        new("lwt_seg6local", ProgramType.LwtSeg6Local, null),
        new("sockops", ProgramType.SockOps, AttachType.CgroupSockOps),
        new("sk_skb/stream_parser", ProgramType.SkSkb, AttachType.SkSkbStreamParser),
        new("sk_skb/stream_verdict", ProgramType.SkSkb, AttachType.SkSkbStreamVerdict),
        new("sk_skb/verdict", ProgramType.SkSkb, AttachType.SkSkbVerdict),
        new("sk_skb", ProgramType.SkSkb, null),
        new("sk_msg", ProgramType.SkMsg, AttachType.SkMsgVerdict),
        new("lirc_mode2", ProgramType.LircMode2, AttachType.LircMode2),
        new("flow_dissector", ProgramType.FlowDissector, AttachType.FlowDissector),
        new("cgroup_skb/ingress", ProgramType.CgroupSkb, AttachType.CgroupInetIngress),
        new("cgroup_skb/egress", ProgramType.CgroupSkb, AttachType.CgroupInetEgress),
        new("cgroup/skb", ProgramType.CgroupSkb, null),
        new("cgroup/sock_create", ProgramType.CgroupSock, AttachType.CgroupInetSockCreate),
        new("cgroup/sock_release", ProgramType.CgroupSock, AttachType.CgroupInetSockRelease),
        new("cgroup/sock", ProgramType.CgroupSock, AttachType.CgroupInetSockCreate),
        new("cgroup/post_bind4", ProgramType.CgroupSock, AttachType.CgroupInet4PostBind),
        new("cgroup/post_bind6", ProgramType.CgroupSock, AttachType.CgroupInet6PostBind),
        new("cgroup/bind4", ProgramType.CgroupSockAddr, AttachType.CgroupInet4Bind),
        new("cgroup/bind6", ProgramType.CgroupSockAddr, AttachType.CgroupInet6Bind),
        new("cgroup/connect4", ProgramType.CgroupSockAddr, AttachType.CgroupInet4Connect),
        new("cgroup/connect6", ProgramType.CgroupSockAddr, AttachType.CgroupInet6Connect),
        new("cgroup/connect_unix", ProgramType.CgroupSockAddr, AttachType.CgroupUnixConnect),
        new("cgroup/sendmsg4", ProgramType.CgroupSockAddr, AttachType.CgroupUdp4Sendmsg),
        new("cgroup/sendmsg6", ProgramType.CgroupSockAddr, AttachType.CgroupUdp6Sendmsg),
        new("cgroup/sendmsg_unix", ProgramType.CgroupSockAddr, AttachType.CgroupUnixSendmsg),
        new("cgroup/recvmsg4", ProgramType.CgroupSockAddr, AttachType.CgroupUdp4Recvmsg),
        new("cgroup/recvmsg6", ProgramType.CgroupSockAddr, AttachType.CgroupUdp6Recvmsg),
        new("cgroup/recvmsg_unix", ProgramType.CgroupSockAddr, AttachType.CgroupUnixRecvmsg),
        new("cgroup/getpeername4", ProgramType.CgroupSockAddr, AttachType.CgroupInet4Getpeername),
        new("cgroup/getpeername6", ProgramType.CgroupSockAddr, AttachType.CgroupInet6Getpeername),
        new("cgroup/getpeername_unix", ProgramType.CgroupSockAddr, AttachType.CgroupUnixGetpeername),
        new("cgroup/getsockname4", ProgramType.CgroupSockAddr, AttachType.CgroupInet4Getsockname),
        new("cgroup/getsockname6", ProgramType.CgroupSockAddr, AttachType.CgroupInet6Getsockname),
        new("cgroup/getsockname_unix", ProgramType.CgroupSockAddr, AttachType.CgroupUnixGetsockname),
        new("cgroup/sysctl", ProgramType.CgroupSysctl, AttachType.CgroupSysctl),
        new("cgroup/getsockopt", ProgramType.CgroupSockopt, AttachType.CgroupGetsockopt),
        new("cgroup/setsockopt", ProgramType.CgroupSockopt, AttachType.CgroupSetsockopt),
        new("cgroup/dev", ProgramType.CgroupDevice, AttachType.CgroupDevice),
        new("struct_ops+", ProgramType.StructOps, null),
        new("struct_ops.s+", ProgramType.StructOps, null, Tags.Sleepable),
        new("sk_lookup", ProgramType.SkLookup, AttachType.SkLookup),
        new("netfilter", ProgramType.Netfilter, AttachType.Netfilter),
    ];

    /// <summary>Classifies a program section name; an unknown name gives <see cref="ProgramType.Unspec"/> with <c>Known = false</c>.</summary>
    public static SectionInfo Classify(string sectionName)
    {
        foreach (var e in Table)
        {
            if (!Matches(e.Pattern, sectionName, out string? extras)) continue;
            return new(e.Type, e.Attach, extras, true, (e.Tags & Tags.Sleepable) != 0, (e.Tags & Tags.Frags) != 0);
        }

        return new(ProgramType.Unspec, null, null, false, false, false);
    }

    private static bool Matches(string pattern, string name, out string? extras)
    {
        extras = null;
        if (pattern.EndsWith('+'))
        {
            var stem = pattern.AsSpan(0, pattern.Length - 1);
            if (!name.AsSpan().StartsWith(stem, StringComparison.Ordinal)) return false;
            if (name.Length == stem.Length) return true;
            if (name[stem.Length] != '/') return false;
            extras = name[(stem.Length + 1)..];
            return true;
        }

        return string.Equals(pattern, name, StringComparison.Ordinal);
    }
}
