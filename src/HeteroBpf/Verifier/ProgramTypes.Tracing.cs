namespace HeteroBpf.Verifier;

// Tracing-style contexts: kprobe (x86-64 pt_regs), tracepoint, perf_event, raw_tracepoint(+writable)
// (kernel/trace/bpf_trace.c), lirc_mode2 (drivers/media/rc/bpf-lirc.c), syscall (kernel/bpf/syscall.c) and
// netfilter (net/netfilter/nf_bpf_link.c). All of them are read-only, except syscall's.
public static partial class ProgramTypes
{
    /// <summary><c>sizeof(struct pt_regs)</c> on x86-64.</summary>
    internal const int PtRegsSize = 168;

    /// <summary>PERF_MAX_TRACE_SIZE: the largest tracepoint record.</summary>
    internal const int TracepointSize = 8192;

    /// <summary><c>sizeof(struct bpf_perf_event_data)</c>: pt_regs, sample_period, addr.</summary>
    internal const int PerfEventDataSize = 184;

    /// <summary>MAX_BPF_FUNC_ARGS (12) u64 arguments.</summary>
    internal const int RawTracepointSize = 96;

    /// <summary>lirc_mode2's one u32 sample.</summary>
    internal const int LircSize = 4;

    /// <summary>A syscall program's context is whatever the caller passes, up to U16_MAX bytes.</summary>
    internal const int SyscallContextSize = ushort.MaxValue;

    /// <summary><c>sizeof(struct bpf_nf_ctx)</c>: the hook state and skb pointers.</summary>
    internal const int NfContextSize = 16;

    /// <summary><c>kprobe_prog_is_valid_access</c>: aligned reads inside pt_regs.</summary>
    private static bool KprobeAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded) =>
        off >= 0 && off < PtRegsSize && !write && off % size == 0 && off + size <= PtRegsSize;

    /// <summary><c>tp_prog_is_valid_access</c>: aligned reads after the 8-byte common header.</summary>
    private static bool TracepointAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded) =>
        off >= 8 && off < TracepointSize && !write && off % size == 0;

    /// <summary><c>pe_prog_is_valid_access</c>: the registers as whole longs, sample_period and addr also narrow.</summary>
    private static bool PerfEventAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded)
    {
        if (off < 0 || off >= PerfEventDataSize || write || off % size != 0) return false;
        return off >= PtRegsSize ? NarrowOk(size, 8) : size == 8;
    }

    /// <summary><c>raw_tp_prog_is_valid_access</c>: aligned reads of the u64 arguments.</summary>
    private static bool RawTracepointAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded) =>
        off >= 0 && off < RawTracepointSize && !write && off % size == 0;

    /// <summary>
    /// <c>raw_tp_writable_prog_is_valid_access</c>: argument 0 is the writable tracepoint buffer, read whole. The
    /// kernel types it PTR_TO_TP_BUFFER, which this verifier does not model: it loads as a scalar, so programs that
    /// dereference it are refused here (conservative).
    /// </summary>
    private static bool RawTracepointWritableAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded)
    {
        if (off == 0 && (size != 8 || write)) return false;
        return RawTracepointAccess(off, size, write, privilege, ref loaded);
    }

    /// <summary><c>lirc_mode2_is_valid_access</c>: the one u32, read whole.</summary>
    private static bool LircAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded) =>
        !write && off == 0 && size == 4;

    /// <summary><c>syscall_prog_is_valid_access</c>: any aligned access below U16_MAX, reads and writes.</summary>
    private static bool SyscallAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded) =>
        off >= 0 && off < SyscallContextSize && off % size == 0;

    /// <summary>
    /// <c>nf_is_valid_access</c>: the two pointers, read whole. The kernel types them as BTF pointers (PTR_TO_BTF_ID),
    /// which this verifier does not model: they load as scalars, so programs that dereference them are refused here.
    /// </summary>
    private static bool NetfilterAccess(int off, int size, bool write, Privilege privilege, ref RegisterType loaded) =>
        off >= 0 && off < NfContextSize && !write && size == 8;
}
