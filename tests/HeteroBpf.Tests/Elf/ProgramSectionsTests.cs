using HeteroBpf.Elf;

namespace HeteroBpf.Tests.Elf;

/// <summary>libbpf's SEC() names, one case per line: name → program type, attach type, what follows the prefix.</summary>
public sealed class ProgramSectionsTests
{
    public static TheoryData<string, ProgramType, AttachType?, string?> Cases() => new()
    {
        { "xdp", ProgramType.Xdp, AttachType.Xdp, null },
        { "xdp/anything", ProgramType.Xdp, AttachType.Xdp, "anything" },
        { "xdp.frags", ProgramType.Xdp, AttachType.Xdp, null },
        { "xdp/devmap", ProgramType.Xdp, AttachType.XdpDevmap, null },
        { "xdp.frags/cpumap", ProgramType.Xdp, AttachType.XdpCpumap, null },
        { "tc", ProgramType.SchedCls, null, null },
        { "tc/ingress", ProgramType.SchedCls, AttachType.TcxIngress, null },
        { "tcx/egress", ProgramType.SchedCls, AttachType.TcxEgress, null },
        { "classifier", ProgramType.SchedCls, null, null },
        { "classifier/foo", ProgramType.SchedCls, null, "foo" },
        { "action", ProgramType.SchedAct, null, null },
        { "socket", ProgramType.SocketFilter, null, null },
        { "kprobe/do_sys_open", ProgramType.Kprobe, null, "do_sys_open" },
        { "kretprobe/tcp_v4_connect", ProgramType.Kprobe, null, "tcp_v4_connect" },
        { "kprobe.multi/tcp_*", ProgramType.Kprobe, AttachType.TraceKprobeMulti, "tcp_*" },
        { "uprobe.s//bin/sh:main", ProgramType.Kprobe, null, "/bin/sh:main" },
        { "tracepoint/syscalls/sys_enter_open", ProgramType.Tracepoint, null, "syscalls/sys_enter_open" },
        { "tp/sched/sched_switch", ProgramType.Tracepoint, null, "sched/sched_switch" },
        { "raw_tracepoint/sched_switch", ProgramType.RawTracepoint, null, "sched_switch" },
        { "raw_tp.w/bpf_test_finish", ProgramType.RawTracepointWritable, null, "bpf_test_finish" },
        { "tp_btf/sched_switch", ProgramType.Tracing, AttachType.TraceRawTp, "sched_switch" },
        { "fentry/do_unlinkat", ProgramType.Tracing, AttachType.TraceFentry, "do_unlinkat" },
        { "fexit/do_unlinkat", ProgramType.Tracing, AttachType.TraceFexit, "do_unlinkat" },
        { "fmod_ret/security_x", ProgramType.Tracing, AttachType.ModifyReturn, "security_x" },
        { "freplace/handler", ProgramType.Ext, null, "handler" },
        { "lsm/file_open", ProgramType.Lsm, AttachType.LsmMac, "file_open" },
        { "iter/task", ProgramType.Tracing, AttachType.TraceIter, "task" },
        { "cgroup_skb/ingress", ProgramType.CgroupSkb, AttachType.CgroupInetIngress, null },
        { "cgroup_skb/egress", ProgramType.CgroupSkb, AttachType.CgroupInetEgress, null },
        { "cgroup/connect4", ProgramType.CgroupSockAddr, AttachType.CgroupInet4Connect, null },
        { "cgroup/sock_create", ProgramType.CgroupSock, AttachType.CgroupInetSockCreate, null },
        { "cgroup/dev", ProgramType.CgroupDevice, AttachType.CgroupDevice, null },
        { "cgroup/sysctl", ProgramType.CgroupSysctl, AttachType.CgroupSysctl, null },
        { "sockops", ProgramType.SockOps, AttachType.CgroupSockOps, null },
        { "sk_skb", ProgramType.SkSkb, null, null },
        { "sk_skb/stream_parser", ProgramType.SkSkb, AttachType.SkSkbStreamParser, null },
        { "sk_msg", ProgramType.SkMsg, AttachType.SkMsgVerdict, null },
        { "sk_lookup", ProgramType.SkLookup, AttachType.SkLookup, null },
        { "lwt_in", ProgramType.LwtIn, null, null },
        { "lwt_xmit", ProgramType.LwtXmit, null, null },
        { "lwt_seg6local", ProgramType.LwtSeg6Local, null, null },
        { "perf_event", ProgramType.PerfEvent, null, null },
        { "flow_dissector", ProgramType.FlowDissector, AttachType.FlowDissector, null },
        { "struct_ops/tcp_init", ProgramType.StructOps, null, "tcp_init" },
        { "syscall", ProgramType.Syscall, null, null },
        { "netfilter", ProgramType.Netfilter, AttachType.Netfilter, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void KnownNames(string name, ProgramType type, AttachType? attach, string? attachTo)
    {
        var info = ProgramSections.Classify(name);
        Assert.True(info.Known);
        Assert.Equal((type, attach, attachTo), (info.Type, info.AttachType, info.AttachTo));
    }

    [Theory]
    [InlineData("xdpfoo")]
    [InlineData("socketX")]
    [InlineData("kprobeX/foo")]
    [InlineData("prog")]
    [InlineData("")]
    [InlineData("cgroup_skb/sideways")]
    public void UnknownNamesAreUnspec(string name)
    {
        var info = ProgramSections.Classify(name);
        Assert.False(info.Known);
        Assert.Equal(ProgramType.Unspec, info.Type);
    }

    [Theory]
    [InlineData("fentry.s/x", true, false)]
    [InlineData("lsm.s/file_open", true, false)]
    [InlineData("xdp.frags", false, true)]
    [InlineData("xdp", false, false)]
    public void Variants(string name, bool sleepable, bool frags)
    {
        var info = ProgramSections.Classify(name);
        Assert.Equal((sleepable, frags), (info.Sleepable, info.XdpFrags));
    }
}
