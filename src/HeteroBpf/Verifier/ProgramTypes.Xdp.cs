namespace HeteroBpf.Verifier;

// XDP (filter.c: xdp_is_valid_access, __is_valid_xdp_access).
public static partial class ProgramTypes
{
    /// <summary><c>sizeof(struct xdp_md)</c>.</summary>
    internal const int XdpMdSize = 24;

    private const int XdpData = 0, XdpDataEnd = 4, XdpDataMeta = 8, XdpEgressIfindex = 20;

    /// <summary>
    /// XDP: a read-only context of u32 fields read whole (writes only for offloaded programs, which no host load is);
    /// egress_ifindex only for devmap programs. The kernel does not check the return value at load time: an unknown
    /// action is a run-time warning and a drop, so <see cref="ProgramTypeInfo.ReturnRange"/> is null.
    /// </summary>
    private static TableProgramType Xdp(AttachType attach)
    {
        bool devmap = attach == AttachType.XdpDevmap;
        return new TableProgramType(ProgramType.Xdp, "xdp", XdpMdSize, null, true, true,
            devmap ? XdpDevmapAccess : XdpAccess, XdpHelpers);
    }

    private static bool XdpAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded) =>
        off != XdpEgressIfindex && XdpDevmapAccess(off, size, write, privilege, ref loaded);

    private static bool XdpDevmapAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded)
    {
        if (write) return false;
        loaded = off switch
        {
            XdpData => RegisterType.PtrToPacket,
            XdpDataMeta => RegisterType.PtrToPacketMeta,
            XdpDataEnd => RegisterType.PtrToPacketEnd,
            _ => RegisterType.Scalar,
        };
        return off >= 0 && off < XdpMdSize && off % size == 0 && size == 4;
    }
}
