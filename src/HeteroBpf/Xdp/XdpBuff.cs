using System.Runtime.InteropServices;

namespace HeteroBpf.Xdp;

/// <summary>
/// The context as XDP programs see it on the host after the loader's rewrite (<see cref="XdpOps"/>): the three packet
/// pointers as real 64-bit addresses, then the 32-bit fields, then what the helpers need and programs never see.
/// </summary>
/// <remarks>The first <see cref="ProgramVisible"/> bytes are the program's read-only context region.</remarks>
[StructLayout(LayoutKind.Sequential)]
internal struct XdpBuff
{
    public const int ProgramVisible = 36;

    public ulong Data;            // 0  ← xdp_md.data (4)
    public ulong DataEnd;         // 8  ← xdp_md.data_end (4)
    public ulong DataMeta;        // 16 ← xdp_md.data_meta (8)
    public uint IngressIfindex;   // 24 ← xdp_md.ingress_ifindex (12)
    public uint RxQueueIndex;     // 28 ← xdp_md.rx_queue_index (16)
    public uint EgressIfindex;    // 32 ← xdp_md.egress_ifindex (20)
    public XdpRedirectKind RedirectKind;
    public ulong HardStart;       // the frame's first byte (headroom starts here)
    public ulong HardEnd;         // the last byte data_end may reach: frame end minus the reserved tailroom
    public ulong RedirectMap;     // map handle of a bpf_redirect_map
    public uint RedirectTarget;   // ifindex (bpf_redirect) or key (bpf_redirect_map)
    public uint RedirectFlags;
}
