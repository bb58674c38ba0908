using HeteroBpf.Isa;

namespace HeteroBpf.Jit.Arm64;

/// <summary>
/// Where eBPF registers live in translated code, after the Linux arm64 JIT's choice: R1–R5 in the AAPCS64 argument
/// registers, R6–R9 and R10 in callee-saved registers (so a bpf-to-bpf callee that saves them restores the caller's),
/// R0 in a caller-saved register that is not an argument.
/// </summary>
public static class Arm64RegisterMap
{
    private static readonly A64Register[] Map =
    [
        A64Register.X7,                                                             // R0
        A64Register.X0, A64Register.X1, A64Register.X2, A64Register.X3, A64Register.X4, // R1–R5
        A64Register.X19, A64Register.X20, A64Register.X21, A64Register.X22,         // R6–R9
        A64Register.X25,                                                            // R10, the frame pointer
    ];

    /// <summary>The A64 register that holds eBPF register <paramref name="register"/> (0–10).</summary>
    public static A64Register Of(int register) => Map[register];

    /// <summary>The A64 register that holds <paramref name="register"/>.</summary>
    public static A64Register Of(Register register) => Map[(int)register];

    /// <summary>Scratch for immediates and addresses (never an eBPF register).</summary>
    public const A64Register Tmp = A64Register.X9;

    /// <summary>Second scratch: the address of a checked access, an immediate divisor.</summary>
    public const A64Register Tmp2 = A64Register.X10;

    /// <summary>Third scratch (legacy packet loads, access checks).</summary>
    public const A64Register Tmp3 = A64Register.X11;

    /// <summary>Back-edge budget: decremented on every backward jump; zero is a budget fault.</summary>
    public const A64Register Budget = A64Register.X26;

    /// <summary>Pointer to the run context (<see cref="Arm64RunContext"/>).</summary>
    public const A64Register Context = A64Register.X28;
}

/// <summary>
/// The run context a translated program reads through <see cref="Arm64RegisterMap.Context"/>: byte offsets of its
/// 8-byte fields. The entry passes its address in X2; the caller (an executor, or a host) fills it before each run.
/// </summary>
public static class Arm64RunContext
{
    /// <summary>One past the top of the eBPF data stack (8 frames of 512 bytes below it); the entry frame's R10.</summary>
    public const int StackTop = 0;

    /// <summary>The back-edge budget the run starts with.</summary>
    public const int Budget = 8;

    /// <summary>Written by the entry: its SP, so that a legacy packet load out of bounds can end the run from any depth.</summary>
    public const int EntrySp = 16;

    /// <summary>The lowest R10 from which a call may still push a frame (StackTop − 512 × (MaxCallFrames − 2)).</summary>
    public const int DepthLimit = 24;

    /// <summary>Packet start for legacy packet loads (LD ABS/IND).</summary>
    public const int PacketStart = 32;

    /// <summary>Packet length for legacy packet loads; 0 without a packet.</summary>
    public const int PacketLength = 40;

    /// <summary>Tail calls made so far in this run (set to 0 by the entry; at <see cref="Abi.MaxTailCalls"/> the next falls through).</summary>
    public const int TailCallCount = 48;

    /// <summary>Number of entries in the region table (checked accesses).</summary>
    public const int RegionCount = 56;

    /// <summary>The region table: per region its start, length and writable flag (0 or 1), 8 bytes each.</summary>
    public const int Regions = 64;

    /// <summary>Bytes per region-table entry.</summary>
    public const int RegionEntrySize = 24;

    /// <summary>Regions that fit in a one-page context.</summary>
    public const int MaxRegions = (4096 - Regions) / RegionEntrySize;

    /// <summary>Size of the context block.</summary>
    public const int Size = 4096;

    /// <summary>Bytes of the eBPF data stack: every frame of a call chain.</summary>
    public const int StackBytes = Abi.FrameSize * Abi.MaxCallFrames;
}

/// <summary>
/// The BRK immediates translated code traps with. Below <see cref="FirstSpecial"/> an immediate is a helper id (in the
/// helper stubs a linker appends for <see cref="Arm64RelocationKind.HelperCall"/>).
/// </summary>
public static class Arm64Trap
{
    /// <summary>First immediate that is not a helper id.</summary>
    public const ushort FirstSpecial = 0xF000;

    /// <summary>Execution ran past the last slot (the trap follows the last slot's code).</summary>
    public const ushort FellOffEnd = 0xF001;

    /// <summary>A call at the BRK's own slot would exceed the call depth.</summary>
    public const ushort CallDepth = 0xF002;

    /// <summary>The back-edge budget ran out at the BRK's slot.</summary>
    public const ushort Budget = 0xF003;

    /// <summary>A <c>callx</c> target (in X9) is not a function entry; the call site is LR − 4.</summary>
    public const ushort CallxNotFunction = 0xF004;

    /// <summary>A <c>callx</c> would exceed the call depth; the call site is LR − 4.</summary>
    public const ushort CallxDepth = 0xF005;

    /// <summary><c>bpf_tail_call</c> from a subprogram (below the entry frame), which the interpreter does not run either.</summary>
    public const ushort TailCallDepth = 0xF007;

    /// <summary>A checked access is outside every region: address X10, size X11, write X12; the access is at LR − 4.</summary>
    public const ushort AccessFault = 0xF006;
}

/// <summary>
/// The program array <c>bpf_tail_call</c> reads (R2 holds its address, which the loader put in the program's
/// <c>lddw</c>): an 8-byte entry count, then per index the address of a program's tail-call entry
/// (<see cref="Arm64Code.TailCallEntryWord"/> where that program is mapped), 0 for an empty slot.
/// </summary>
public static class Arm64ProgramArray
{
    /// <summary>Offset of the entry count.</summary>
    public const int Count = 0;

    /// <summary>Offset of entry 0; entry i is at <c>Entries + 8 i</c>.</summary>
    public const int Entries = 8;
}

/// <summary>
/// Where an array map's values live in device memory (not per-CPU): value i at <c>Values + i × ValueStride</c> for
/// i &lt; <c>MaxEntries</c>. Given for a map handle, the translator inlines that map's <c>bpf_map_lookup_elem</c>.
/// </summary>
public readonly record struct Arm64ArrayMapLayout(ulong Values, uint ValueStride, uint MaxEntries);

/// <summary>What a relocation asks the linker to fill in.</summary>
public enum Arm64RelocationKind : byte
{
    /// <summary>A BL at <see cref="Arm64Relocation.WordIndex"/> to the routine for helper <see cref="Arm64Relocation.Target"/>.</summary>
    HelperCall,
}

/// <summary>A word the linker patches: a BL whose target lies outside the translated code.</summary>
public readonly record struct Arm64Relocation(int WordIndex, Arm64RelocationKind Kind, int Target);
