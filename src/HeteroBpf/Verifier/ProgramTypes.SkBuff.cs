namespace HeteroBpf.Verifier;

// The __sk_buff family: socket_filter, sched_cls/sched_act, cgroup_skb, lwt_*, sk_skb, flow_dissector
// (filter.c: bpf_skb_is_valid_access and the per-type wrappers in front of it).
public static partial class ProgramTypes
{
    /// <summary><c>sizeof(struct __sk_buff)</c>.</summary>
    internal const int SkBuffSize = 192;

    // struct __sk_buff offsets (linux/bpf.h).
    private const int SkbMark = 8, SkbQueueMapping = 12, SkbPriority = 32, SkbTcIndex = 44, SkbCb = 48, SkbCbEnd = 68;
    private const int SkbTcClassid = 72, SkbData = 76, SkbDataEnd = 80, SkbFamily = 88, SkbRemoteIp4 = 92, SkbLocalIp4 = 96;
    private const int SkbRemoteIp6 = 100, SkbLocalIp6 = 116, SkbLocalPortEnd = 140, SkbDataMeta = 140, SkbFlowKeys = 144;
    private const int SkbTstamp = 152, SkbWireLen = 160, SkbSk = 168, SkbTstampType = 180, SkbHwtstamp = 184;

    private static bool IsFamilyToLocalPort(int off) => off >= SkbFamily && off < SkbLocalPortEnd;

    private static bool IsCb(int off) => off >= SkbCb && off < SkbCbEnd;

    /// <summary><c>bpf_skb_is_valid_access</c>: the rules every __sk_buff type shares after its own.</summary>
    private static bool SkbBase(int off, int size, bool write, ref RegisterType loaded)
    {
        if (off < 0 || off >= SkBuffSize || off % size != 0) return false;
        if (IsCb(off)) return off + size <= SkbCbEnd;
        if (In(off, SkbData, 4) || In(off, SkbDataMeta, 4) || In(off, SkbDataEnd, 4)) return size == 4;
        if (In(off, SkbRemoteIp6, 16) || In(off, SkbLocalIp6, 16) || In(off, SkbRemoteIp4, 4) || In(off, SkbLocalIp4, 4)) return size == 4;
        if (In(off, SkbFlowKeys, 8)) return false;
        if (In(off, SkbHwtstamp, 8)) return !write && size == 8;
        if (In(off, SkbTstamp, 8)) return size == 8;
        if (In(off, SkbSk, 8))
        {
            if (write || size != 8) return false;
            loaded = RegisterType.PtrToSockCommonOrNull;
            return true;
        }

        // tstamp_type itself, and the padding after it up to hwtstamp.
        if (off >= SkbTstampType && off < SkbHwtstamp) return false;
        // Everything else is a u32: written whole, read whole or narrower.
        return write ? size == 4 : NarrowOk(size, 4);
    }

    /// <summary><c>sk_filter_is_valid_access</c>.</summary>
    private static bool SocketFilterAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded)
    {
        if (In(off, SkbTcClassid, 4) || In(off, SkbData, 4) || In(off, SkbDataMeta, 4) || In(off, SkbDataEnd, 4) || IsFamilyToLocalPort(off)
            || In(off, SkbTstamp, 8) || In(off, SkbWireLen, 4) || In(off, SkbHwtstamp, 8)) return false;
        if (write && !IsCb(off)) return false;
        return SkbBase(off, size, write, ref loaded);
    }

    /// <summary><c>tc_cls_act_is_valid_access</c>.</summary>
    private static bool TcAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded)
    {
        if (write && !(In(off, SkbMark, 4) || In(off, SkbTcIndex, 4) || In(off, SkbPriority, 4) || In(off, SkbTcClassid, 4) || IsCb(off)
            || In(off, SkbTstamp, 8) || In(off, SkbQueueMapping, 4))) return false;
        if (In(off, SkbData, 4)) loaded = RegisterType.PtrToPacket;
        else if (In(off, SkbDataMeta, 4)) loaded = RegisterType.PtrToPacketMeta;
        else if (In(off, SkbDataEnd, 4)) loaded = RegisterType.PtrToPacketEnd;
        else if (IsFamilyToLocalPort(off)) return false;
        else if (off == SkbTstampType) return size == 1; // read only (writes were refused above)
        return SkbBase(off, size, write, ref loaded);
    }

    /// <summary><c>cg_skb_is_valid_access</c> (data and tstamp writes need CAP_BPF, which both privilege levels have).</summary>
    private static bool CgroupSkbAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded)
    {
        if (In(off, SkbTcClassid, 4) || In(off, SkbDataMeta, 4) || In(off, SkbWireLen, 4)) return false;
        if (write && !(In(off, SkbMark, 4) || In(off, SkbPriority, 4) || IsCb(off) || In(off, SkbTstamp, 8))) return false;
        if (In(off, SkbData, 4)) loaded = RegisterType.PtrToPacket;
        else if (In(off, SkbDataEnd, 4)) loaded = RegisterType.PtrToPacketEnd;
        return SkbBase(off, size, write, ref loaded);
    }

    /// <summary><c>lwt_is_valid_access</c> (lwt_in, lwt_out, lwt_xmit, lwt_seg6local).</summary>
    private static bool LwtAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded)
    {
        if (In(off, SkbTcClassid, 4) || IsFamilyToLocalPort(off) || In(off, SkbDataMeta, 4) || In(off, SkbTstamp, 8)
            || In(off, SkbWireLen, 4) || In(off, SkbHwtstamp, 8)) return false;
        if (write && !(In(off, SkbMark, 4) || In(off, SkbPriority, 4) || IsCb(off))) return false;
        if (In(off, SkbData, 4)) loaded = RegisterType.PtrToPacket;
        else if (In(off, SkbDataEnd, 4)) loaded = RegisterType.PtrToPacketEnd;
        return SkbBase(off, size, write, ref loaded);
    }

    /// <summary><c>sk_skb_is_valid_access</c>.</summary>
    private static bool SkSkbAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded)
    {
        if (In(off, SkbTcClassid, 4) || In(off, SkbDataMeta, 4) || In(off, SkbTstamp, 8) || In(off, SkbWireLen, 4) || In(off, SkbHwtstamp, 8)) return false;
        if (write && !(In(off, SkbTcIndex, 4) || In(off, SkbPriority, 4))) return false;
        if (In(off, SkbMark, 4)) return false;
        if (In(off, SkbData, 4)) loaded = RegisterType.PtrToPacket;
        else if (In(off, SkbDataEnd, 4)) loaded = RegisterType.PtrToPacketEnd;
        return SkbBase(off, size, write, ref loaded);
    }

    /// <summary><c>flow_dissector_is_valid_access</c>: read-only data, data_end and flow_keys.</summary>
    private static bool FlowDissectorAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded)
    {
        if (off < 0 || off >= SkBuffSize || off % size != 0 || write) return false;
        if (In(off, SkbData, 4))
        {
            loaded = RegisterType.PtrToPacket;
            return size == 4;
        }

        if (In(off, SkbDataEnd, 4))
        {
            loaded = RegisterType.PtrToPacketEnd;
            return size == 4;
        }

        if (In(off, SkbFlowKeys, 8))
        {
            loaded = RegisterType.PtrToFlowKeys;
            return size == 8;
        }

        return false;
    }

    /// <summary>cgroup_skb: the kernel allows only the ingress and egress attach types; egress may also return 2 and 3 (congestion notification).</summary>
    private static TableProgramType CgroupSkb(AttachType attach) => attach switch
    {
        AttachType.CgroupInetIngress => new(ProgramType.CgroupSkb, "cgroup_skb", SkBuffSize, (0, 1), true, false, CgroupSkbAccess, CgroupSkbHelpers),
        AttachType.CgroupInetEgress => new(ProgramType.CgroupSkb, "cgroup_skb", SkBuffSize, (0, 3), true, false, CgroupSkbAccess, CgroupSkbHelpers),
        _ => throw BadAttach(ProgramType.CgroupSkb, attach, "BPF_CGROUP_INET_INGRESS or BPF_CGROUP_INET_EGRESS"),
    };
}
