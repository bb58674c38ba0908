namespace HeteroBpf;

/// <summary>Map types with the kernel's names and values (<c>enum bpf_map_type</c>).</summary>
public enum MapType : uint
{
    /// <summary>BPF_MAP_TYPE_UNSPEC.</summary>
    Unspec = 0,
    /// <summary>BPF_MAP_TYPE_HASH.</summary>
    Hash = 1,
    /// <summary>BPF_MAP_TYPE_ARRAY.</summary>
    Array = 2,
    /// <summary>BPF_MAP_TYPE_PROG_ARRAY.</summary>
    ProgArray = 3,
    /// <summary>BPF_MAP_TYPE_PERF_EVENT_ARRAY.</summary>
    PerfEventArray = 4,
    /// <summary>BPF_MAP_TYPE_PERCPU_HASH.</summary>
    PerCpuHash = 5,
    /// <summary>BPF_MAP_TYPE_PERCPU_ARRAY.</summary>
    PerCpuArray = 6,
    /// <summary>BPF_MAP_TYPE_STACK_TRACE.</summary>
    StackTrace = 7,
    /// <summary>BPF_MAP_TYPE_CGROUP_ARRAY.</summary>
    CgroupArray = 8,
    /// <summary>BPF_MAP_TYPE_LRU_HASH.</summary>
    LruHash = 9,
    /// <summary>BPF_MAP_TYPE_LRU_PERCPU_HASH.</summary>
    LruPerCpuHash = 10,
    /// <summary>BPF_MAP_TYPE_LPM_TRIE.</summary>
    LpmTrie = 11,
    /// <summary>BPF_MAP_TYPE_ARRAY_OF_MAPS.</summary>
    ArrayOfMaps = 12,
    /// <summary>BPF_MAP_TYPE_HASH_OF_MAPS.</summary>
    HashOfMaps = 13,
    /// <summary>BPF_MAP_TYPE_DEVMAP.</summary>
    DevMap = 14,
    /// <summary>BPF_MAP_TYPE_SOCKMAP.</summary>
    SockMap = 15,
    /// <summary>BPF_MAP_TYPE_CPUMAP.</summary>
    CpuMap = 16,
    /// <summary>BPF_MAP_TYPE_XSKMAP.</summary>
    XskMap = 17,
    /// <summary>BPF_MAP_TYPE_SOCKHASH.</summary>
    SockHash = 18,
    /// <summary>BPF_MAP_TYPE_CGROUP_STORAGE.</summary>
    CgroupStorage = 19,
    /// <summary>BPF_MAP_TYPE_REUSEPORT_SOCKARRAY.</summary>
    ReuseportSockArray = 20,
    /// <summary>BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE.</summary>
    PerCpuCgroupStorage = 21,
    /// <summary>BPF_MAP_TYPE_QUEUE.</summary>
    Queue = 22,
    /// <summary>BPF_MAP_TYPE_STACK.</summary>
    Stack = 23,
    /// <summary>BPF_MAP_TYPE_SK_STORAGE.</summary>
    SkStorage = 24,
    /// <summary>BPF_MAP_TYPE_DEVMAP_HASH.</summary>
    DevMapHash = 25,
    /// <summary>BPF_MAP_TYPE_STRUCT_OPS.</summary>
    StructOps = 26,
    /// <summary>BPF_MAP_TYPE_RINGBUF.</summary>
    RingBuf = 27,
    /// <summary>BPF_MAP_TYPE_INODE_STORAGE.</summary>
    InodeStorage = 28,
    /// <summary>BPF_MAP_TYPE_TASK_STORAGE.</summary>
    TaskStorage = 29,
    /// <summary>BPF_MAP_TYPE_BLOOM_FILTER.</summary>
    BloomFilter = 30,
    /// <summary>BPF_MAP_TYPE_USER_RINGBUF.</summary>
    UserRingBuf = 31,
    /// <summary>BPF_MAP_TYPE_CGRP_STORAGE.</summary>
    CgrpStorage = 32,
    /// <summary>BPF_MAP_TYPE_ARENA.</summary>
    Arena = 33,
}

/// <summary>Map creation flags with the kernel's values (<c>BPF_F_*</c> of map_create).</summary>
[Flags]
public enum MapFlags : uint
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>BPF_F_NO_PREALLOC: hash elements allocated on demand.</summary>
    NoPrealloc = 1 << 0,
    /// <summary>BPF_F_NO_COMMON_LRU: per-CPU LRU lists.</summary>
    NoCommonLru = 1 << 1,
    /// <summary>BPF_F_NUMA_NODE.</summary>
    NumaNode = 1 << 2,
    /// <summary>BPF_F_RDONLY: read-only from the syscall side.</summary>
    ReadOnly = 1 << 3,
    /// <summary>BPF_F_WRONLY: write-only from the syscall side.</summary>
    WriteOnly = 1 << 4,
    /// <summary>BPF_F_STACK_BUILD_ID.</summary>
    StackBuildId = 1 << 5,
    /// <summary>BPF_F_ZERO_SEED.</summary>
    ZeroSeed = 1 << 6,
    /// <summary>BPF_F_RDONLY_PROG: programs may not write values.</summary>
    ReadOnlyProg = 1 << 7,
    /// <summary>BPF_F_WRONLY_PROG: programs may not read values.</summary>
    WriteOnlyProg = 1 << 8,
    /// <summary>BPF_F_CLONE.</summary>
    Clone = 1 << 9,
    /// <summary>BPF_F_MMAPABLE.</summary>
    Mmapable = 1 << 10,
    /// <summary>BPF_F_PRESERVE_ELEMS.</summary>
    PreserveElems = 1 << 11,
    /// <summary>BPF_F_INNER_MAP: inner maps of different max_entries are accepted.</summary>
    InnerMap = 1 << 12,
}

/// <summary>Flags of a map update (<c>BPF_ANY</c>, <c>BPF_NOEXIST</c>, <c>BPF_EXIST</c>, <c>BPF_F_LOCK</c>).</summary>
[Flags]
public enum UpdateFlags : ulong
{
    /// <summary>BPF_ANY: create or replace.</summary>
    Any = 0,
    /// <summary>BPF_NOEXIST: create only (EEXIST if present).</summary>
    NoExist = 1,
    /// <summary>BPF_EXIST: replace only (ENOENT if absent).</summary>
    Exist = 2,
    /// <summary>BPF_F_LOCK: update under the value's spin lock.</summary>
    Lock = 4,
}

/// <summary>Kernel error numbers as map operations and test-runs return them (never thrown for a miss).</summary>
public enum Errno
{
    /// <summary>Success.</summary>
    Ok = 0,
    /// <summary>EPERM.</summary>
    EPERM = 1,
    /// <summary>ENOENT: no such key / no more keys.</summary>
    ENOENT = 2,
    /// <summary>E2BIG: map full or index beyond max_entries.</summary>
    E2BIG = 7,
    /// <summary>EBADF: not an open descriptor (a bad program or map handle in a prog array or map-in-map).</summary>
    EBADF = 9,
    /// <summary>EAGAIN: try again (a full ring buffer).</summary>
    EAGAIN = 11,
    /// <summary>ENOMEM.</summary>
    ENOMEM = 12,
    /// <summary>EACCES.</summary>
    EACCES = 13,
    /// <summary>EFAULT.</summary>
    EFAULT = 14,
    /// <summary>EBUSY.</summary>
    EBUSY = 16,
    /// <summary>EEXIST: key already present (BPF_NOEXIST).</summary>
    EEXIST = 17,
    /// <summary>ENODEV: the device is gone.</summary>
    ENODEV = 19,
    /// <summary>EINVAL: bad argument or flags.</summary>
    EINVAL = 22,
    /// <summary>ENOSPC.</summary>
    ENOSPC = 28,
    /// <summary>ERANGE.</summary>
    ERANGE = 34,
    /// <summary>EOVERFLOW: a value beyond its limit (a cpumap qsize above 16384).</summary>
    EOVERFLOW = 75,
    /// <summary>EOPNOTSUPP.</summary>
    EOPNOTSUPP = 95,
    /// <summary>ENOTSUPP (kernel-internal 524).</summary>
    ENOTSUPP = 524,
}

/// <summary>Program types with the kernel's names and values (<c>enum bpf_prog_type</c>).</summary>
public enum ProgramType : uint
{
    /// <summary>BPF_PROG_TYPE_UNSPEC: also what an unknown section name loads as.</summary>
    Unspec = 0,
    /// <summary>BPF_PROG_TYPE_SOCKET_FILTER.</summary>
    SocketFilter = 1,
    /// <summary>BPF_PROG_TYPE_KPROBE.</summary>
    Kprobe = 2,
    /// <summary>BPF_PROG_TYPE_SCHED_CLS.</summary>
    SchedCls = 3,
    /// <summary>BPF_PROG_TYPE_SCHED_ACT.</summary>
    SchedAct = 4,
    /// <summary>BPF_PROG_TYPE_TRACEPOINT.</summary>
    Tracepoint = 5,
    /// <summary>BPF_PROG_TYPE_XDP.</summary>
    Xdp = 6,
    /// <summary>BPF_PROG_TYPE_PERF_EVENT.</summary>
    PerfEvent = 7,
    /// <summary>BPF_PROG_TYPE_CGROUP_SKB.</summary>
    CgroupSkb = 8,
    /// <summary>BPF_PROG_TYPE_CGROUP_SOCK.</summary>
    CgroupSock = 9,
    /// <summary>BPF_PROG_TYPE_LWT_IN.</summary>
    LwtIn = 10,
    /// <summary>BPF_PROG_TYPE_LWT_OUT.</summary>
    LwtOut = 11,
    /// <summary>BPF_PROG_TYPE_LWT_XMIT.</summary>
    LwtXmit = 12,
    /// <summary>BPF_PROG_TYPE_SOCK_OPS.</summary>
    SockOps = 13,
    /// <summary>BPF_PROG_TYPE_SK_SKB.</summary>
    SkSkb = 14,
    /// <summary>BPF_PROG_TYPE_CGROUP_DEVICE.</summary>
    CgroupDevice = 15,
    /// <summary>BPF_PROG_TYPE_SK_MSG.</summary>
    SkMsg = 16,
    /// <summary>BPF_PROG_TYPE_RAW_TRACEPOINT.</summary>
    RawTracepoint = 17,
    /// <summary>BPF_PROG_TYPE_CGROUP_SOCK_ADDR.</summary>
    CgroupSockAddr = 18,
    /// <summary>BPF_PROG_TYPE_LWT_SEG6LOCAL.</summary>
    LwtSeg6Local = 19,
    /// <summary>BPF_PROG_TYPE_LIRC_MODE2.</summary>
    LircMode2 = 20,
    /// <summary>BPF_PROG_TYPE_SK_REUSEPORT.</summary>
    SkReuseport = 21,
    /// <summary>BPF_PROG_TYPE_FLOW_DISSECTOR.</summary>
    FlowDissector = 22,
    /// <summary>BPF_PROG_TYPE_CGROUP_SYSCTL.</summary>
    CgroupSysctl = 23,
    /// <summary>BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE.</summary>
    RawTracepointWritable = 24,
    /// <summary>BPF_PROG_TYPE_CGROUP_SOCKOPT.</summary>
    CgroupSockopt = 25,
    /// <summary>BPF_PROG_TYPE_TRACING.</summary>
    Tracing = 26,
    /// <summary>BPF_PROG_TYPE_STRUCT_OPS.</summary>
    StructOps = 27,
    /// <summary>BPF_PROG_TYPE_EXT.</summary>
    Ext = 28,
    /// <summary>BPF_PROG_TYPE_LSM.</summary>
    Lsm = 29,
    /// <summary>BPF_PROG_TYPE_SK_LOOKUP.</summary>
    SkLookup = 30,
    /// <summary>BPF_PROG_TYPE_SYSCALL.</summary>
    Syscall = 31,
    /// <summary>BPF_PROG_TYPE_NETFILTER.</summary>
    Netfilter = 32,
}

/// <summary>Attach types with the kernel's names and values (<c>enum bpf_attach_type</c>), as a section name implies them.</summary>
public enum AttachType : uint
{
    /// <summary>BPF_CGROUP_INET_INGRESS.</summary>
    CgroupInetIngress = 0,
    /// <summary>BPF_CGROUP_INET_EGRESS.</summary>
    CgroupInetEgress = 1,
    /// <summary>BPF_CGROUP_INET_SOCK_CREATE.</summary>
    CgroupInetSockCreate = 2,
    /// <summary>BPF_CGROUP_SOCK_OPS.</summary>
    CgroupSockOps = 3,
    /// <summary>BPF_SK_SKB_STREAM_PARSER.</summary>
    SkSkbStreamParser = 4,
    /// <summary>BPF_SK_SKB_STREAM_VERDICT.</summary>
    SkSkbStreamVerdict = 5,
    /// <summary>BPF_CGROUP_DEVICE.</summary>
    CgroupDevice = 6,
    /// <summary>BPF_SK_MSG_VERDICT.</summary>
    SkMsgVerdict = 7,
    /// <summary>BPF_CGROUP_INET4_BIND.</summary>
    CgroupInet4Bind = 8,
    /// <summary>BPF_CGROUP_INET6_BIND.</summary>
    CgroupInet6Bind = 9,
    /// <summary>BPF_CGROUP_INET4_CONNECT.</summary>
    CgroupInet4Connect = 10,
    /// <summary>BPF_CGROUP_INET6_CONNECT.</summary>
    CgroupInet6Connect = 11,
    /// <summary>BPF_CGROUP_INET4_POST_BIND.</summary>
    CgroupInet4PostBind = 12,
    /// <summary>BPF_CGROUP_INET6_POST_BIND.</summary>
    CgroupInet6PostBind = 13,
    /// <summary>BPF_CGROUP_UDP4_SENDMSG.</summary>
    CgroupUdp4Sendmsg = 14,
    /// <summary>BPF_CGROUP_UDP6_SENDMSG.</summary>
    CgroupUdp6Sendmsg = 15,
    /// <summary>BPF_LIRC_MODE2.</summary>
    LircMode2 = 16,
    /// <summary>BPF_FLOW_DISSECTOR.</summary>
    FlowDissector = 17,
    /// <summary>BPF_CGROUP_SYSCTL.</summary>
    CgroupSysctl = 18,
    /// <summary>BPF_CGROUP_UDP4_RECVMSG.</summary>
    CgroupUdp4Recvmsg = 19,
    /// <summary>BPF_CGROUP_UDP6_RECVMSG.</summary>
    CgroupUdp6Recvmsg = 20,
    /// <summary>BPF_CGROUP_GETSOCKOPT.</summary>
    CgroupGetsockopt = 21,
    /// <summary>BPF_CGROUP_SETSOCKOPT.</summary>
    CgroupSetsockopt = 22,
    /// <summary>BPF_TRACE_RAW_TP.</summary>
    TraceRawTp = 23,
    /// <summary>BPF_TRACE_FENTRY.</summary>
    TraceFentry = 24,
    /// <summary>BPF_TRACE_FEXIT.</summary>
    TraceFexit = 25,
    /// <summary>BPF_MODIFY_RETURN.</summary>
    ModifyReturn = 26,
    /// <summary>BPF_LSM_MAC.</summary>
    LsmMac = 27,
    /// <summary>BPF_TRACE_ITER.</summary>
    TraceIter = 28,
    /// <summary>BPF_CGROUP_INET4_GETPEERNAME.</summary>
    CgroupInet4Getpeername = 29,
    /// <summary>BPF_CGROUP_INET6_GETPEERNAME.</summary>
    CgroupInet6Getpeername = 30,
    /// <summary>BPF_CGROUP_INET4_GETSOCKNAME.</summary>
    CgroupInet4Getsockname = 31,
    /// <summary>BPF_CGROUP_INET6_GETSOCKNAME.</summary>
    CgroupInet6Getsockname = 32,
    /// <summary>BPF_XDP_DEVMAP.</summary>
    XdpDevmap = 33,
    /// <summary>BPF_CGROUP_INET_SOCK_RELEASE.</summary>
    CgroupInetSockRelease = 34,
    /// <summary>BPF_XDP_CPUMAP.</summary>
    XdpCpumap = 35,
    /// <summary>BPF_SK_LOOKUP.</summary>
    SkLookup = 36,
    /// <summary>BPF_XDP.</summary>
    Xdp = 37,
    /// <summary>BPF_SK_SKB_VERDICT.</summary>
    SkSkbVerdict = 38,
    /// <summary>BPF_SK_REUSEPORT_SELECT.</summary>
    SkReuseportSelect = 39,
    /// <summary>BPF_SK_REUSEPORT_SELECT_OR_MIGRATE.</summary>
    SkReuseportSelectOrMigrate = 40,
    /// <summary>BPF_PERF_EVENT.</summary>
    PerfEvent = 41,
    /// <summary>BPF_TRACE_KPROBE_MULTI.</summary>
    TraceKprobeMulti = 42,
    /// <summary>BPF_LSM_CGROUP.</summary>
    LsmCgroup = 43,
    /// <summary>BPF_STRUCT_OPS.</summary>
    StructOps = 44,
    /// <summary>BPF_NETFILTER.</summary>
    Netfilter = 45,
    /// <summary>BPF_TCX_INGRESS.</summary>
    TcxIngress = 46,
    /// <summary>BPF_TCX_EGRESS.</summary>
    TcxEgress = 47,
    /// <summary>BPF_TRACE_UPROBE_MULTI.</summary>
    TraceUprobeMulti = 48,
    /// <summary>BPF_CGROUP_UNIX_CONNECT.</summary>
    CgroupUnixConnect = 49,
    /// <summary>BPF_CGROUP_UNIX_SENDMSG.</summary>
    CgroupUnixSendmsg = 50,
    /// <summary>BPF_CGROUP_UNIX_RECVMSG.</summary>
    CgroupUnixRecvmsg = 51,
    /// <summary>BPF_CGROUP_UNIX_GETPEERNAME.</summary>
    CgroupUnixGetpeername = 52,
    /// <summary>BPF_CGROUP_UNIX_GETSOCKNAME.</summary>
    CgroupUnixGetsockname = 53,
    /// <summary>BPF_NETKIT_PRIMARY.</summary>
    NetkitPrimary = 54,
    /// <summary>BPF_NETKIT_PEER.</summary>
    NetkitPeer = 55,
}
