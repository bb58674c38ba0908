using System.Collections.Immutable;
using HeteroBpf.Isa;

namespace HeteroBpf.Verifier;

/// <summary>The kernel's two privilege levels for loading a program.</summary>
public enum Privilege : byte
{
    /// <summary>CAP_SYS_ADMIN, CAP_PERFMON and CAP_BPF: pointers may be compared and leaked, uninitialised stack read.</summary>
    Root,
    /// <summary>CAP_BPF (plus CAP_NET_ADMIN) alone: no pointer leaks or comparisons, no uninitialised stack reads, Spectre v1 checks.</summary>
    Bpf,
}

/// <summary>What the verifier knows a register holds (the kernel's <c>enum bpf_reg_type</c>, with <c>PTR_MAYBE_NULL</c> as its own members).</summary>
public enum RegisterType : byte
{
    /// <summary>NOT_INIT: never written, or clobbered by a call.</summary>
    NotInit,
    /// <summary>SCALAR_VALUE: a number, bounded by <see cref="RegisterState.Value"/>.</summary>
    Scalar,
    /// <summary>PTR_TO_CTX: the program's context.</summary>
    PtrToCtx,
    /// <summary>CONST_PTR_TO_MAP: a map from a map <c>lddw</c>.</summary>
    ConstPtrToMap,
    /// <summary>PTR_TO_MAP_VALUE: inside a map value.</summary>
    PtrToMapValue,
    /// <summary>PTR_TO_MAP_VALUE | PTR_MAYBE_NULL: a lookup's result before its null check.</summary>
    PtrToMapValueOrNull,
    /// <summary>PTR_TO_MAP_KEY: a key a callback receives.</summary>
    PtrToMapKey,
    /// <summary>PTR_TO_STACK: into a frame of the call chain.</summary>
    PtrToStack,
    /// <summary>PTR_TO_PACKET_META: the packet's metadata start.</summary>
    PtrToPacketMeta,
    /// <summary>PTR_TO_PACKET: into the packet.</summary>
    PtrToPacket,
    /// <summary>PTR_TO_PACKET_END: one past the packet; only compared.</summary>
    PtrToPacketEnd,
    /// <summary>PTR_TO_MEM: helper-allocated memory of a known size (a ring-buffer record).</summary>
    PtrToMem,
    /// <summary>PTR_TO_MEM | PTR_MAYBE_NULL: a ring-buffer reservation before its null check.</summary>
    PtrToMemOrNull,
    /// <summary>PTR_TO_FUNC: a subprogram address from a <c>lddw</c> of source 4.</summary>
    PtrToFunc,
    /// <summary>PTR_TO_FLOW_KEYS: the flow dissector's keys.</summary>
    PtrToFlowKeys,
    /// <summary>PTR_TO_SOCK_COMMON: a socket's common fields.</summary>
    PtrToSockCommon,
    /// <summary>PTR_TO_SOCK_COMMON | PTR_MAYBE_NULL.</summary>
    PtrToSockCommonOrNull,
    /// <summary>PTR_TO_SOCKET: a full socket.</summary>
    PtrToSocket,
    /// <summary>PTR_TO_SOCKET | PTR_MAYBE_NULL.</summary>
    PtrToSocketOrNull,
}

/// <summary>
/// One register as the verifier sees it (the kernel's <c>bpf_reg_state</c>): a scalar's value, or a pointer's type,
/// fixed offset and variable offset.
/// </summary>
/// <param name="Type">What the register holds.</param>
/// <param name="Value">A scalar's value; for a pointer, its variable offset.</param>
/// <param name="Offset">A pointer's fixed offset from the start of its object.</param>
/// <param name="MapIndex">For map pointers and map values: the map's index in the program's map list; otherwise −1.</param>
/// <param name="Id">Links copies of one pointer (null checks, packet ranges) or one scalar (bounds learnt on a copy); 0 for none.</param>
/// <param name="Range">For packet pointers: bytes from the pointer proven to lie before the packet end. For memory: its size.</param>
/// <param name="RefId">The reference this pointer holds (a ring-buffer reservation), released on every path; 0 for none.</param>
/// <param name="Frame">For stack pointers: the call frame (0 = the entry function) whose stack it points into.</param>
/// <param name="Delta">For a scalar linked to others by <paramref name="Id"/>: the constant it was moved by since the copy (the kernel's <c>BPF_ADD_CONST</c> links).</param>
public readonly record struct RegisterState(
    RegisterType Type,
    ScalarValue Value,
    int Offset = 0,
    int MapIndex = -1,
    int Id = 0,
    int Range = 0,
    int RefId = 0,
    int Frame = 0,
    long Delta = 0)
{
    /// <summary>A register never written.</summary>
    public static RegisterState NotInit { get; } = new(RegisterType.NotInit, ScalarValue.Unknown);

    /// <summary>A scalar about which nothing is known.</summary>
    public static RegisterState UnknownScalar { get; } = new(RegisterType.Scalar, ScalarValue.Unknown);

    /// <summary>True for every pointer type.</summary>
    public bool IsPointer => Type is not (RegisterType.NotInit or RegisterType.Scalar);
}

/// <summary>What a device's hook sees at one instruction: the instruction, and the state the verifier reached it with.</summary>
/// <param name="Slot">The instruction slot.</param>
/// <param name="PreviousSlot">The slot the verifier came from (−1 at the entry).</param>
/// <param name="Instruction">The instruction.</param>
/// <param name="Registers">R0–R10 of the current frame.</param>
/// <param name="Frame">The call depth (0 = entry function).</param>
public readonly ref struct HookVisit(int Slot, int PreviousSlot, Instruction Instruction, ReadOnlySpan<RegisterState> Registers, int Frame)
{
    /// <summary>The instruction slot.</summary>
    public int Slot { get; } = Slot;

    /// <summary>The slot the verifier came from (−1 at the entry).</summary>
    public int PreviousSlot { get; } = PreviousSlot;

    /// <summary>The instruction.</summary>
    public Instruction Instruction { get; } = Instruction;

    /// <summary>R0–R10 of the current frame.</summary>
    public ReadOnlySpan<RegisterState> Registers { get; } = Registers;

    /// <summary>The call depth (0 = entry function).</summary>
    public int Frame { get; } = Frame;
}

/// <summary>
/// A device's say in verification (the kernel's <c>bpf_prog_offload_ops</c>): a hook returns null to accept, or the
/// device's own reason to refuse, which the verifier logs prefixed with <see cref="DeviceName"/> and reports as the
/// refusal. The host devices have no hooks.
/// </summary>
public interface IVerifierHooks
{
    /// <summary>The device's name, prefixed to its messages in the log.</summary>
    string DeviceName { get; }

    /// <summary>Called once before the walk (<c>prepare</c>): refuse whole-program properties (size, maps, program type).</summary>
    string? Prepare(ProgramSpec program, IReadOnlyList<MapSpec> maps);

    /// <summary>Called on every visit of every instruction with the full register state (<c>insn_hook</c>).</summary>
    string? Instruction(in HookVisit visit);

    /// <summary>Called once after a successful walk with the facts found (<c>finalize</c>): refuse e.g. a stack too large.</summary>
    string? Finalize(VerifiedProgram program);

    /// <summary>
    /// Optional (<c>replace_insn</c>): after <see cref="Finalize"/>, at full privilege, for each conditional jump the
    /// dead-code pass hard-wires into a <c>goto</c>, before it is made; <paramref name="slot"/> numbers the program as it
    /// stands then (see <see cref="VerifiedProgram.Optimized"/>). The default accepts.
    /// </summary>
    string? ReplaceInstruction(VerifiedProgram program, int slot, Instruction replacement) => null;

    /// <summary>
    /// Optional (<c>remove_insns</c>): after the replacements, for each run of unreached slots and each <c>goto +0</c> the
    /// dead-code passes remove, before it goes, in the numbering of the program as it stands then. The default accepts.
    /// </summary>
    string? RemoveInstructions(VerifiedProgram program, int slot, int count) => null;
}

/// <summary>How to verify.</summary>
public sealed record VerifierOptions
{
    /// <summary>The loader's privilege (default <see cref="Privilege.Root"/>).</summary>
    public Privilege Privilege { get; init; } = Privilege.Root;

    /// <summary><c>BPF_F_STRICT_ALIGNMENT</c>: every access aligned to its size, packet accesses included.</summary>
    public bool StrictAlignment { get; init; }

    /// <summary>Log verbosity as the kernel's <c>log_level</c>: 0 none, 1 the path to an error and branch states, 2 every instruction with its state.</summary>
    public int LogLevel { get; init; }

    /// <summary>The budget of processed instructions over all paths (the kernel's 1,000,000).</summary>
    public int MaxProcessedInstructions { get; init; } = 1_000_000;

    /// <summary>A device's hooks, or null for the host.</summary>
    public IVerifierHooks? Hooks { get; init; }

    /// <summary>The program type's rules to verify against, or null to take them from the program's type and attach type.</summary>
    public ProgramTypeInfo? TypeInfo { get; init; }
}

/// <summary>What the verifier proved about one instruction slot, for the backends.</summary>
[Flags]
public enum SlotFacts : ushort
{
    /// <summary>Nothing (an unreached slot, or the second half of an <c>lddw</c>).</summary>
    None = 0,
    /// <summary>Some path reaches the slot.</summary>
    Reached = 1,
    /// <summary>A load, store or atomic proven within its object on every path: a backend may drop its bounds check.</summary>
    AccessProven = 2,
    /// <summary>A conditional jump whose branch is taken on no path.</summary>
    NeverTaken = 4,
    /// <summary>A conditional jump that falls through on no path.</summary>
    AlwaysTaken = 8,
    /// <summary>
    /// A 32-bit definition (ALU32, a narrow load, a 32-bit atomic fetch, <c>ld_abs</c>) whose register no later
    /// instruction reads as 64 bits before writing it again: a backend may skip its explicit zero-extension (the kernel's
    /// <c>zext_dst</c> left clear; see <see cref="ZeroExtension"/>).
    /// </summary>
    NoZeroExtension = 16,
    /// <summary>A memory access through the context pointer (to be rewritten to the runtime layout).</summary>
    ContextAccess = 32,
    /// <summary>A memory access through a packet, packet-meta or packet-end-derived pointer.</summary>
    PacketAccess = 64,
    /// <summary>A memory access to the stack.</summary>
    StackAccess = 128,
    /// <summary>A memory access to a map value.</summary>
    MapValueAccess = 256,
}

/// <summary>A program the verifier accepted, with what it proved; the only input the backends compile without checks.</summary>
public sealed class VerifiedProgram
{
    /// <summary>Creates the result (the verifier's job).</summary>
    public VerifiedProgram(ProgramSpec program, IReadOnlyList<MapSpec> maps, ImmutableArray<SlotFacts> facts, ImmutableArray<int> stackDepths, int processedInstructions, int totalStates, int peakStates, string log, ProgramSpec? optimized = null, ImmutableArray<DeadCodeEdit> edits = default)
    {
        Optimized = optimized;
        Edits = edits.IsDefault ? [] : edits;
        Program = program;
        Maps = maps;
        Facts = facts;
        StackDepths = stackDepths;
        ProcessedInstructions = processedInstructions;
        TotalStates = totalStates;
        PeakStates = peakStates;
        Log = log;
    }

    /// <summary>
    /// The program as submitted and verified, slot for slot with <see cref="Facts"/>: what the host backends compile (the
    /// facts mark its dead branches). The kernel's dead-code rewrite, which a device applies through its
    /// <c>replace_insn</c>/<c>remove_insns</c> hooks, is <see cref="Optimized"/>.
    /// </summary>
    public ProgramSpec Program { get; }

    /// <summary>
    /// The program after the kernel's dead-code passes (<see cref="DeadCode"/>: dead branches hard-wired, unreached code
    /// and <c>goto +0</c> removed, jumps, functions and line info adjusted), as a kernel at full privilege would keep it;
    /// null when they do not run (<see cref="Privilege.Bpf"/>).
    /// </summary>
    public ProgramSpec? Optimized { get; }

    /// <summary>The edits that turned <see cref="Program"/> into <see cref="Optimized"/>, in the order a device's hooks saw them.</summary>
    public ImmutableArray<DeadCodeEdit> Edits { get; }

    /// <summary>The maps its map <c>lddw</c>s index.</summary>
    public IReadOnlyList<MapSpec> Maps { get; }

    /// <summary>Per instruction slot: what was proven there.</summary>
    public ImmutableArray<SlotFacts> Facts { get; }

    /// <summary>Stack bytes each subprogram uses, rounded as the kernel does, in subprogram order.</summary>
    public ImmutableArray<int> StackDepths { get; }

    /// <summary>Instructions processed over all paths (the kernel's <c>processed N insns</c>).</summary>
    public int ProcessedInstructions { get; }

    /// <summary>States kept for pruning, in total.</summary>
    public int TotalStates { get; }

    /// <summary>The most states kept at one time.</summary>
    public int PeakStates { get; }

    /// <summary>The verifier log at the requested level (empty at level 0).</summary>
    public string Log { get; }
}
