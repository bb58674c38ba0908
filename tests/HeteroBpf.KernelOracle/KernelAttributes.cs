using System.Buffers.Binary;
using HeteroBpf.Isa;

namespace HeteroBpf.KernelOracle;

/// <summary>What <c>BPF_PROG_LOAD</c> is given (the fields of <c>union bpf_attr</c> this oracle uses).</summary>
public sealed record KernelProgramLoad
{
    /// <summary>Size of one <c>struct bpf_func_info</c> record (<c>insn_off</c>, <c>type_id</c>).</summary>
    public const int FuncInfoRecordSize = 8;

    /// <summary>Size of one <c>struct bpf_line_info</c> record (<c>insn_off</c>, <c>file_name_off</c>, <c>line_off</c>, <c>line_col</c>).</summary>
    public const int LineInfoRecordSize = 16;

    /// <summary><c>BPF_F_SLEEPABLE</c>.</summary>
    public const uint FlagSleepable = 1u << 4;

    /// <summary><c>BPF_F_XDP_HAS_FRAGS</c>.</summary>
    public const uint FlagXdpHasFrags = 1u << 5;

    /// <summary><c>prog_type</c>.</summary>
    public required ProgramType Type { get; init; }

    /// <summary><c>insns</c> / <c>insn_cnt</c>, with map <c>lddw</c>s already holding kernel fds.</summary>
    public required ReadOnlyMemory<Instruction> Instructions { get; init; }

    /// <summary><c>license</c>.</summary>
    public string License { get; init; } = "GPL";

    /// <summary><c>prog_name</c> (cut to what the kernel accepts: 15 characters of letters, digits, '_' and '.').</summary>
    public string Name { get; init; } = "";

    /// <summary><c>expected_attach_type</c>.</summary>
    public AttachType? ExpectedAttachType { get; init; }

    /// <summary><c>prog_flags</c> (<see cref="FlagXdpHasFrags"/>, <see cref="FlagSleepable"/>).</summary>
    public uint Flags { get; init; }

    /// <summary><c>prog_btf_fd</c> (0: no BTF, and then no func or line info is sent).</summary>
    public int BtfFd { get; init; }

    /// <summary><c>func_info</c>: <see cref="FuncInfoRecordSize"/>-byte records, <c>insn_off</c> in instructions.</summary>
    public ReadOnlyMemory<byte> FuncInfo { get; init; }

    /// <summary><c>line_info</c>: <see cref="LineInfoRecordSize"/>-byte records, <c>insn_off</c> in instructions.</summary>
    public ReadOnlyMemory<byte> LineInfo { get; init; }
}

/// <summary>What <c>BPF_MAP_CREATE</c> is given.</summary>
public readonly record struct KernelMapCreate
{
    /// <summary><c>map_type</c>.</summary>
    public MapType Type { get; init; }

    /// <summary><c>key_size</c>.</summary>
    public uint KeySize { get; init; }

    /// <summary><c>value_size</c>.</summary>
    public uint ValueSize { get; init; }

    /// <summary><c>max_entries</c>.</summary>
    public uint MaxEntries { get; init; }

    /// <summary><c>map_flags</c>.</summary>
    public MapFlags Flags { get; init; }

    /// <summary><c>inner_map_fd</c> (maps of maps: a map shaped like every inner map).</summary>
    public int InnerMapFd { get; init; }

    /// <summary><c>map_name</c> (cut as for programs).</summary>
    public string? Name { get; init; }

    /// <summary><c>btf_fd</c> (0: none).</summary>
    public int BtfFd { get; init; }

    /// <summary><c>btf_key_type_id</c>.</summary>
    public uint BtfKeyTypeId { get; init; }

    /// <summary><c>btf_value_type_id</c>.</summary>
    public uint BtfValueTypeId { get; init; }

    /// <summary><c>map_extra</c>.</summary>
    public ulong MapExtra { get; init; }
}

/// <summary>
/// The inputs of <c>BPF_PROG_TEST_RUN</c>. An empty span is passed as a null pointer with size 0: an empty
/// <see cref="DataOut"/> or <see cref="CtxOut"/> asks for no copy (the kernel still reports the sizes).
/// </summary>
public ref struct KernelTestRun
{
    /// <summary><c>BPF_F_TEST_RUN_ON_CPU</c>: run on <see cref="Cpu"/> (raw tracepoints only).</summary>
    public const uint FlagRunOnCpu = 1u << 0;

    /// <summary><c>BPF_F_TEST_XDP_LIVE_FRAMES</c>: XDP frames really transmitted or redirected.</summary>
    public const uint FlagXdpLiveFrames = 1u << 1;

    /// <summary><c>data_in</c> / <c>data_size_in</c>: the packet.</summary>
    public ReadOnlySpan<byte> DataIn;

    /// <summary><c>data_out</c> / <c>data_size_out</c>: where the packet as the program left it is copied.</summary>
    public Span<byte> DataOut;

    /// <summary><c>ctx_in</c> / <c>ctx_size_in</c> (XDP: a <c>struct xdp_md</c>, see <see cref="HeteroBpf.Xdp.XdpMd"/>).</summary>
    public ReadOnlySpan<byte> CtxIn;

    /// <summary><c>ctx_out</c> / <c>ctx_size_out</c>.</summary>
    public Span<byte> CtxOut;

    /// <summary><c>repeat</c> (0 counts as 1).</summary>
    public uint Repeat;

    /// <summary><c>flags</c> (<see cref="FlagRunOnCpu"/>, <see cref="FlagXdpLiveFrames"/>).</summary>
    public uint Flags;

    /// <summary><c>cpu</c> (with <c>BPF_F_TEST_RUN_ON_CPU</c>).</summary>
    public uint Cpu;
}

/// <summary>The outputs of <c>BPF_PROG_TEST_RUN</c>: the errno, and what the kernel wrote back into the attribute.</summary>
/// <param name="Errno">Ok, or why the kernel refused (EINVAL for a bad input; ENOSPC when an output buffer was short).</param>
/// <param name="Retval">The program's 32-bit return value.</param>
/// <param name="DurationNs">The kernel's average duration of one run, in ns.</param>
/// <param name="DataSizeOut">The full size of the output packet (also when larger than the buffer given).</param>
/// <param name="CtxSizeOut">The full size of the output context.</param>
public readonly record struct KernelTestRunResult(Errno Errno, uint Retval, uint DurationNs, uint DataSizeOut, uint CtxSizeOut);

/// <summary>Part of <c>struct bpf_prog_info</c>: what the kernel kept of a loaded program.</summary>
/// <param name="Id">The program's kernel id.</param>
/// <param name="Type">Its program type.</param>
/// <param name="BtfId">The kernel id of its BTF (0: loaded without).</param>
/// <param name="FuncInfoCount">Number of func_info records kept (one per function).</param>
/// <param name="LineInfoCount">Number of line_info records kept.</param>
public readonly record struct KernelProgramInfo(uint Id, ProgramType Type, uint BtfId, uint FuncInfoCount, uint LineInfoCount);

/// <summary>Part of <c>struct bpf_map_info</c>: what the kernel kept of a map.</summary>
/// <param name="Id">The map's kernel id.</param>
/// <param name="Type">Its map type.</param>
/// <param name="BtfId">The kernel id of its BTF (0: created without).</param>
/// <param name="BtfKeyTypeId">Its BTF key type id.</param>
/// <param name="BtfValueTypeId">Its BTF value type id.</param>
public readonly record struct KernelMapInfo(uint Id, MapType Type, uint BtfId, uint BtfKeyTypeId, uint BtfValueTypeId);
