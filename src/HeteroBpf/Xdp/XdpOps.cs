using HeteroBpf.Helpers;
using HeteroBpf.Isa;
using HeteroBpf.Offload;

namespace HeteroBpf.Xdp;

/// <summary>
/// XDP on the host: every <c>xdp_md</c> field read becomes a read of <see cref="XdpBuff"/> (packet pointers widened to
/// 64 bits, as the kernel's <c>xdp_convert_ctx_access</c> turns them into <c>xdp_buff</c> pointers), and the XDP helpers
/// are added. Load with <c>BpfCollection.Load(obj, typeOps: XdpOps.Instance)</c>.
/// </summary>
public sealed class XdpOps : IProgramTypeOps
{
    private XdpOps()
    {
    }

    /// <summary>The one instance.</summary>
    public static XdpOps Instance { get; } = new();

    /// <inheritdoc/>
    public bool Handles(ProgramType type) => type == ProgramType.Xdp;

    /// <inheritdoc/>
    public Instruction Convert(in Instruction insn, ContextAccess access)
    {
        // The kernel's xdp_is_valid_access: programs only read, and only whole aligned u32 fields of xdp_md.
        if (access.Write) throw new HbpfException(ErrorCode.ContextField, $"invalid bpf_context access off={access.Offset} size={access.Size}: xdp_md is read-only");
        if (access.Size != 4 || access.Offset is < 0 or >= XdpMd.Size || access.Offset % 4 != 0 || insn.Mode != MemMode.Mem)
        {
            throw new HbpfException(ErrorCode.ContextField, $"invalid bpf_context access off={access.Offset} size={access.Size}: xdp_md has six u32 fields, read whole with plain loads");
        }

        (short offset, MemSize size) = access.Offset switch
        {
            0 => ((short)0, MemSize.DW),    // data
            4 => ((short)8, MemSize.DW),    // data_end
            8 => ((short)16, MemSize.DW),   // data_meta
            12 => ((short)24, MemSize.W),   // ingress_ifindex
            16 => ((short)28, MemSize.W),   // rx_queue_index
            _ => ((short)32, MemSize.W),    // egress_ifindex
        };
        return new Instruction(Opcodes.Memory(OpClass.Ldx, MemMode.Mem, size), insn.DstNumber, insn.SrcNumber, offset, 0);
    }

    /// <inheritdoc/>
    public HelperRegistry AddHelpers(HelperRegistry registry, MapHelpers maps)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var helpers = new XdpHelpers(maps);
        return registry
            .With(HelperId.XdpAdjustHead, XdpHelpers.AdjustHead)
            .With(HelperId.XdpAdjustMeta, XdpHelpers.AdjustMeta)
            .With(HelperId.XdpAdjustTail, XdpHelpers.AdjustTail)
            .With(HelperId.Redirect, XdpHelpers.Redirect)
            .With(HelperId.RedirectMap, helpers.RedirectMap);
    }
}
