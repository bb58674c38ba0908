namespace HeteroBpf.Verifier;

// Socket and cgroup program types: cgroup_sock, cgroup_sock_addr, sock_ops, sk_msg, sk_reuseport, sk_lookup
// (filter.c), cgroup_device, cgroup_sysctl, cgroup_sockopt (kernel/bpf/cgroup.c).
public static partial class ProgramTypes
{
    internal const int BpfSockSize = 80, SockAddrSize = 72, SockOpsSize = 224, SkMsgSize = 80, SkReuseportSize = 56;
    internal const int SkLookupSize = 72, CgroupDevSize = 12, SysctlSize = 8, SockoptSize = 40;

    // ---- cgroup_sock: struct bpf_sock, with rights by attach type ----

    private static ProgramTypeInfo CgroupSock(AttachType? attach)
    {
        // bpf_prog_load_fixup_attach_type: no attach type means BPF_CGROUP_INET_SOCK_CREATE.
        var effective = attach is null or AttachType.CgroupInetIngress ? AttachType.CgroupInetSockCreate : attach.Value;
        if (effective is not (AttachType.CgroupInetSockCreate or AttachType.CgroupInetSockRelease or AttachType.CgroupInet4PostBind or AttachType.CgroupInet6PostBind))
            throw BadAttach(ProgramType.CgroupSock, attach, "BPF_CGROUP_INET_SOCK_CREATE, _SOCK_RELEASE, INET4_POST_BIND or INET6_POST_BIND");
        ContextRule rule = (int off, int size, bool write, Privilege privilege, ref RegisterType loaded) =>
            BpfSockAccess(off, size) && SockFilterAttachAccess(off, write, effective);
        return new TableProgramType(ProgramType.CgroupSock, "cgroup_sock", BpfSockSize, (0, 1), false, false, rule, CgroupSockHelpers);
    }

    /// <summary><c>bpf_sock_is_valid_access</c>: sizes and alignment of struct bpf_sock (the same for reads and writes).</summary>
    internal static bool BpfSockAccess(int off, int size)
    {
        if (off < 0 || off >= BpfSockSize || off % size != 0) return false;
        // state, family, type, protocol, src_port, rx_queue_mapping at their first byte; the address ranges anywhere.
        if (off is 72 or 4 or 8 or 12 or 44 or 76 || In(off, 24, 4) || In(off, 28, 16) || In(off, 52, 4) || In(off, 56, 16)) return NarrowOk(size, 4);
        // dst_port is a __be16 that may also be read as the u32 it shares with its padding.
        if (In(off, 48, 2)) return NarrowOk(size, size == 4 ? 4 : 2);
        if (In(off, 50, 2)) return false;
        return size == 4;
    }

    /// <summary><c>__sock_filter_check_attach_type</c>.</summary>
    private static bool SockFilterAttachAccess(int off, bool write, AttachType attach)
    {
        switch (off)
        {
            case 0 or 16 or 20: // bound_dev_if, mark, priority
                return attach is AttachType.CgroupInetSockCreate or AttachType.CgroupInetSockRelease;
            case >= 24 and < 28: // src_ip4
                return attach == AttachType.CgroupInet4PostBind && !write;
            case >= 28 and < 44: // src_ip6
                return attach == AttachType.CgroupInet6PostBind && !write;
            case >= 44 and < 48: // src_port
                return attach is AttachType.CgroupInet4PostBind or AttachType.CgroupInet6PostBind && !write;
            default:
                return !write;
        }
    }

    // ---- cgroup_sock_addr: struct bpf_sock_addr ----

    private static ProgramTypeInfo CgroupSockAddr(AttachType? attach)
    {
        var a = attach ?? AttachType.CgroupInetIngress;
        bool ip4 = a is AttachType.CgroupInet4Bind or AttachType.CgroupInet4Connect or AttachType.CgroupInet4Getpeername or AttachType.CgroupInet4Getsockname or AttachType.CgroupUdp4Sendmsg or AttachType.CgroupUdp4Recvmsg;
        bool ip6 = a is AttachType.CgroupInet6Bind or AttachType.CgroupInet6Connect or AttachType.CgroupInet6Getpeername or AttachType.CgroupInet6Getsockname or AttachType.CgroupUdp6Sendmsg or AttachType.CgroupUdp6Recvmsg;
        bool unix = a is AttachType.CgroupUnixConnect or AttachType.CgroupUnixSendmsg or AttachType.CgroupUnixRecvmsg or AttachType.CgroupUnixGetpeername or AttachType.CgroupUnixGetsockname;
        if (!ip4 && !ip6 && !unix) throw BadAttach(ProgramType.CgroupSockAddr, attach, "one of the cgroup bind, connect, sendmsg, recvmsg, getpeername or getsockname attach types");
        bool msg4 = a == AttachType.CgroupUdp4Sendmsg, msg6 = a == AttachType.CgroupUdp6Sendmsg;
        ContextRule rule = (int off, int size, bool write, Privilege privilege, ref RegisterType loaded) =>
            SockAddrAccess(off, size, write, ip4, ip6, msg4, msg6, ref loaded);
        // check_return_code: the recvmsg, getpeername and getsockname hooks must return 1; bind may also ask for
        // 2 and 3 (bit 1: skip the port-range check); the rest return 0 or 1.
        (long, long) range = a switch
        {
            AttachType.CgroupUdp4Recvmsg or AttachType.CgroupUdp6Recvmsg or AttachType.CgroupUnixRecvmsg
                or AttachType.CgroupInet4Getpeername or AttachType.CgroupInet6Getpeername or AttachType.CgroupUnixGetpeername
                or AttachType.CgroupInet4Getsockname or AttachType.CgroupInet6Getsockname or AttachType.CgroupUnixGetsockname => (1, 1),
            AttachType.CgroupInet4Bind or AttachType.CgroupInet6Bind => (0, 3),
            _ => (0, 1),
        };
        return new TableProgramType(ProgramType.CgroupSockAddr, "cgroup_sock_addr", SockAddrSize, range, false, false, rule, SockAddrHelpers(a));
    }

    /// <summary><c>sock_addr_is_valid_access</c>.</summary>
    private static bool SockAddrAccess(int off, int size, bool write, bool ip4, bool ip6, bool msg4, bool msg6, ref RegisterType loaded)
    {
        if (off < 0 || off >= SockAddrSize || off % size != 0) return false;
        bool userIp4 = In(off, 4, 4), userIp6 = In(off, 8, 16), msgIp4 = In(off, 40, 4), msgIp6 = In(off, 44, 16);
        // Only the fields of the attach type's address family.
        if ((userIp4 && !ip4) || (userIp6 && !ip6) || (msgIp4 && !msg4) || (msgIp6 && !msg6)) return false;
        if (userIp4 || userIp6 || msgIp4 || msgIp6 || In(off, 24, 4))
        {
            if (WideOk(off, size, 8, 24) || WideOk(off, size, 44, 60)) return true;
            return write ? size == 4 : NarrowOk(size, 4);
        }

        if (In(off, 64, 8))
        {
            if (write || size != 8) return false;
            loaded = RegisterType.PtrToSocket;
            return true;
        }

        // user_family, family, type, protocol: read-only u32s.
        if (In(off, 0, 4) || In(off, 28, 4) || In(off, 32, 4) || In(off, 36, 4)) return !write && size == 4;
        return false;
    }

    // ---- sock_ops: struct bpf_sock_ops ----

    /// <summary><c>sock_ops_is_valid_access</c>.</summary>
    private static bool SockOpsAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded)
    {
        if (off < 0 || off >= SockOpsSize || off % size != 0) return false;
        if (write) return off is 4 or 164 && size == 4; // reply, sk_txhash
        switch (off)
        {
            case >= 168 and < 184: // bytes_received, bytes_acked
                return size == 8;
            case >= 184 and < 192:
                loaded = RegisterType.PtrToSocketOrNull;
                return size == 8;
            case >= 192 and < 200:
                loaded = RegisterType.PtrToPacket;
                return size == 8;
            case >= 200 and < 208:
                loaded = RegisterType.PtrToPacketEnd;
                return size == 8;
            case 212: // skb_tcp_flags
                return NarrowOk(size, 4);
            case >= 216 and < 224: // skb_hwtstamp
                return size == 8;
            default:
                return size == 4;
        }
    }

    // ---- sk_msg: struct sk_msg_md ----

    /// <summary><c>sk_msg_is_valid_access</c>: read-only.</summary>
    private static bool SkMsgAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded)
    {
        if (write || off % size != 0) return false;
        switch (off)
        {
            case >= 0 and < 8:
                loaded = RegisterType.PtrToPacket;
                return size == 8;
            case >= 8 and < 16:
                loaded = RegisterType.PtrToPacketEnd;
                return size == 8;
            case >= 72 and < 80:
                loaded = RegisterType.PtrToSocket;
                return size == 8;
            case >= 16 and < 72: // family .. size
                return size == 4;
            default:
                return false;
        }
    }

    // ---- sk_reuseport: struct sk_reuseport_md ----

    /// <summary><c>sk_reuseport_is_valid_access</c>: read-only.</summary>
    private static bool SkReuseportAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded)
    {
        if (off < 0 || off >= SkReuseportSize || off % size != 0 || write) return false;
        switch (off)
        {
            case 0:
                loaded = RegisterType.PtrToPacket;
                return size == 8;
            case 8:
                loaded = RegisterType.PtrToPacketEnd;
                return size == 8;
            case 32: // hash
                return size == 4;
            case 40:
                loaded = RegisterType.PtrToSocket;
                return size == 8;
            case 48:
                loaded = RegisterType.PtrToSockCommonOrNull;
                return size == 8;
            case >= 20 and < 24: // eth_protocol: at least the width of skb->protocol
                return size >= 2 && NarrowOk(size, 4);
            case >= 16 and < 32: // len, ip_protocol, bind_inany
                return NarrowOk(size, 4);
            default:
                return false;
        }
    }

    // ---- sk_lookup: struct bpf_sk_lookup ----

    /// <summary><c>sk_lookup_is_valid_access</c>: read-only.</summary>
    private static bool SkLookupAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded)
    {
        if (off < 0 || off >= SkLookupSize || off % size != 0 || write) return false;
        switch (off)
        {
            case 0:
                loaded = RegisterType.PtrToSocketOrNull;
                return size == 8;
            case >= 36 and < 38: // remote_port: a __be16, also read as a u32 for backward compatibility
                return size == 4 || NarrowOk(size, 2);
            case >= 38 and < 40: // its zero padding
                return NarrowOk(size, 2);
            case >= 8 and < 68: // family, protocol, remote_ip4/6, local_ip4/6, local_port, ingress_ifindex
                return NarrowOk(size, 4);
            default:
                return false;
        }
    }

    // ---- cgroup_device, cgroup_sysctl, cgroup_sockopt ----

    /// <summary><c>cgroup_dev_is_valid_access</c>: read-only; access_type may be read narrow.</summary>
    private static bool CgroupDevAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded)
    {
        if (write || off < 0 || off + size > CgroupDevSize || off % size != 0) return false;
        return off < 4 ? NarrowOk(size, 4) : size == 4;
    }

    /// <summary><c>sysctl_is_valid_access</c>: write is read-only, file_pos read narrow or written whole.</summary>
    private static bool SysctlAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded)
    {
        if (off < 0 || off + size > SysctlSize || off % size != 0) return false;
        if (off < 4) return !write && NarrowOk(size, 4);
        return write ? size == 4 : NarrowOk(size, 4);
    }

    private static ProgramTypeInfo CgroupSockopt(AttachType? attach)
    {
        bool get = attach == AttachType.CgroupGetsockopt;
        if (!get && attach != AttachType.CgroupSetsockopt) throw BadAttach(ProgramType.CgroupSockopt, attach, "BPF_CGROUP_GETSOCKOPT or BPF_CGROUP_SETSOCKOPT");
        ContextRule rule = (int off, int size, bool write, Privilege privilege, ref RegisterType loaded) => SockoptAccess(off, size, write, get, ref loaded);
        return new TableProgramType(ProgramType.CgroupSockopt, "cgroup_sockopt", SockoptSize, (0, 1), true, true, rule, get ? GetsockoptHelpers : SetsockoptHelpers);
    }

    /// <summary><c>cg_sockopt_is_valid_access</c>: retval belongs to getsockopt, level and optname are writable by setsockopt.</summary>
    private static bool SockoptAccess(int off, int size, bool write, bool get, ref RegisterType loaded)
    {
        if (off < 0 || off >= SockoptSize || off % size != 0) return false;
        if (write)
        {
            return off switch
            {
                36 => size == 4 && get,
                24 or 28 => size == 4 && !get,
                32 => size == 4,
                _ => false,
            };
        }

        switch (off)
        {
            case >= 0 and < 8:
                loaded = RegisterType.PtrToSocket;
                return size == 8;
            case >= 8 and < 16:
                loaded = RegisterType.PtrToPacket;
                return size == 8;
            case >= 16 and < 24:
                loaded = RegisterType.PtrToPacketEnd;
                return size == 8;
            case 36:
                return size == 4 && get;
            default:
                return size == 4;
        }
    }
}
