using HeteroBpf.Helpers;
using HeteroBpf.Maps;

namespace HeteroBpf.Xdp;

/// <summary>
/// The XDP helpers with the kernel's bounds and return codes (<c>net/core/filter.c</c>): they move the packet pointers
/// of the <see cref="XdpBuff"/> that R1 points at and keep the run's packet regions in step.
/// </summary>
internal sealed unsafe class XdpHelpers(MapHelpers maps)
{
    /// <summary>ETH_HLEN: the packet never shrinks below an Ethernet header.</summary>
    public const int EthernetHeader = 14;

    /// <summary><c>sizeof(struct xdp_frame)</c>: the front of the headroom the kernel keeps for itself.</summary>
    public const int FrameHeader = 40;

    /// <summary>
    /// Most metadata bytes (and they come in multiples of 4): what <c>skb_shared_info.meta_len</c>, a u8, can hold, as
    /// Linux 6.x checks it (older kernels allowed 32; the running kernel's test-run agrees with 255).
    /// </summary>
    public const int MaxMeta = 255;

    private const ulong EINVAL = unchecked((ulong)-(long)Errno.EINVAL);
    private const ulong EACCES = unchecked((ulong)-(long)Errno.EACCES);
    private const ulong ActionMask = 3;              // XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX
    private const ulong Broadcast = 1 << 3;          // BPF_F_BROADCAST
    private const ulong ExcludeIngress = 1 << 4;     // BPF_F_EXCLUDE_INGRESS

    // bpf_xdp_adjust_head(ctx, delta): data may move down to the end of the kernel's xdp_frame (plus metadata, which
    // moves along) and up to ETH_HLEN before data_end.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static ulong AdjustHead(ref HelperCall call)
    {
        var xdp = Buff(ref call);
        int delta = (int)call.R2;
        ulong metaLength = xdp->Data - xdp->DataMeta;
        ulong data = xdp->Data + (ulong)(long)delta;
        if ((long)data < (long)(xdp->HardStart + FrameHeader + metaLength) || (long)data > (long)(xdp->DataEnd - EthernetHeader)) return EINVAL;
        if (metaLength != 0) Buffer.MemoryCopy((void*)xdp->DataMeta, (void*)(xdp->DataMeta + (ulong)(long)delta), (long)metaLength, (long)metaLength);
        xdp->DataMeta += (ulong)(long)delta;
        xdp->Data = data;
        SyncRegions(call.Memory, xdp);
        return 0;
    }

    // bpf_xdp_adjust_meta(ctx, delta): metadata grows down into the headroom, in steps of 4, up to MaxMeta bytes.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static ulong AdjustMeta(ref HelperCall call)
    {
        var xdp = Buff(ref call);
        ulong meta = xdp->DataMeta + (ulong)(long)(int)call.R2;
        if ((long)meta < (long)(xdp->HardStart + FrameHeader) || (long)meta > (long)xdp->Data) return EINVAL;
        ulong length = xdp->Data - meta;
        if ((length & 3) != 0 || length > MaxMeta) return EACCES;
        xdp->DataMeta = meta;
        SyncRegions(call.Memory, xdp);
        return 0;
    }

    // bpf_xdp_adjust_tail(ctx, delta): data_end moves within [data + ETH_HLEN, hard end]; grown bytes are zeroed.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static ulong AdjustTail(ref HelperCall call)
    {
        var xdp = Buff(ref call);
        int delta = (int)call.R2;
        ulong end = xdp->DataEnd + (ulong)(long)delta;
        if ((long)end > (long)xdp->HardEnd || (long)end < (long)(xdp->Data + EthernetHeader)) return EINVAL;
        if (delta > 0) new Span<byte>((void*)xdp->DataEnd, delta).Clear();
        xdp->DataEnd = end;
        SyncRegions(call.Memory, xdp);
        return 0;
    }

    // bpf_redirect(ifindex, flags): XDP takes no flags (anything else aborts).
    public static ulong Redirect(ref HelperCall call)
    {
        var xdp = RunBuff(ref call);
        if (call.R2 != 0) return (ulong)XdpAction.Aborted;
        xdp->RedirectKind = XdpRedirectKind.Interface;
        xdp->RedirectTarget = (uint)call.R1;
        xdp->RedirectFlags = 0;
        return (ulong)XdpAction.Redirect;
    }

    // bpf_redirect_map(map, key, flags): the low two flag bits are the action when the key is missing; devmaps also
    // take BPF_F_BROADCAST and BPF_F_EXCLUDE_INGRESS.
    public ulong RedirectMap(ref HelperCall call)
    {
        var xdp = RunBuff(ref call);
        if (!maps.TryResolve(call.R1, out var map) || map is not RedirectMap redirect)
        {
            throw new BpfFaultException(ErrorCode.HelperFault, $"bpf_redirect_map: R1 0x{call.R1:x} is not a devmap, cpumap or xskmap", call.Slot, call.R1, 0);
        }

        ulong flags = call.R3;
        ulong allowed = ActionMask | (map.Type is MapType.DevMap or MapType.DevMapHash ? Broadcast | ExcludeIngress : 0);
        if ((flags & ~allowed) != 0) return (ulong)XdpAction.Aborted;
        uint key = (uint)call.R2;
        if ((flags & Broadcast) != 0)
        {
            xdp->RedirectKind = XdpRedirectKind.Broadcast;
        }
        else if (redirect.TryGetTarget(key, out _))
        {
            xdp->RedirectKind = XdpRedirectKind.Map;
        }
        else
        {
            // A failed lookup clears the redirect, so that the last lookup of a run always decides.
            xdp->RedirectKind = XdpRedirectKind.None;
            return flags & ActionMask;
        }

        xdp->RedirectMap = call.R1;
        xdp->RedirectTarget = key;
        xdp->RedirectFlags = (uint)flags;
        return (ulong)XdpAction.Redirect;
    }

    // R1 must be the run's context itself (the verifier will insist on it; the interpreter runs unverified code).
    private static XdpBuff* Buff(ref HelperCall call)
    {
        var xdp = RunBuff(ref call);
        if ((ulong)xdp != call.R1) throw new BpfFaultException(ErrorCode.HelperFault, $"XDP helper: R1 0x{call.R1:x} is not the context", call.Slot, call.R1, 0);
        return xdp;
    }

    private static XdpBuff* RunBuff(ref HelperCall call)
    {
        if (!call.Memory.TryFind(RegionKind.Context, out var context) || context.Length != XdpBuff.ProgramVisible)
        {
            throw new BpfFaultException(ErrorCode.HelperFault, "XDP helper called outside an XDP run", call.Slot, call.R1, 0);
        }

        return (XdpBuff*)context.Start;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    // The packet and metadata regions follow the context's pointers (after a helper moved them, and before each run).
    internal static void SyncRegions(MemoryMap memory, XdpBuff* xdp)
    {
        memory.Set(memory.IndexOf(RegionKind.Packet), new MemoryRegion(xdp->Data, xdp->DataEnd - xdp->Data, RegionKind.Packet, true));
        memory.Set(memory.IndexOf(RegionKind.PacketMeta), new MemoryRegion(xdp->DataMeta, xdp->Data - xdp->DataMeta, RegionKind.PacketMeta, true));
    }
}
