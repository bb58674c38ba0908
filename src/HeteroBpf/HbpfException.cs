namespace HeteroBpf;

/// <summary>Stable error codes (<c>HBnnnn</c>) of input errors; numbers never change meaning.</summary>
public enum ErrorCode
{
    /// <summary>Bytecode length is not a multiple of 8.</summary>
    TruncatedBytecode = 1001,
    /// <summary>An opcode byte no instruction has.</summary>
    UnknownOpcode = 1002,
    /// <summary>A register number above 10, or a register the form does not allow.</summary>
    InvalidRegister = 1003,
    /// <summary>A field the form reserves is not zero.</summary>
    ReservedField = 1004,
    /// <summary>An offset value the form does not allow.</summary>
    InvalidOffset = 1005,
    /// <summary>An immediate value the form does not allow.</summary>
    InvalidImmediate = 1006,
    /// <summary>A <c>lddw</c> in the last slot.</summary>
    LddwMissingSecondHalf = 1007,
    /// <summary>The second slot of a <c>lddw</c> is not a zero pseudo-instruction.</summary>
    LddwBadSecondHalf = 1008,
    /// <summary>A jump or call whose target lies outside the program.</summary>
    JumpOutOfRange = 1009,
    /// <summary>A jump or call into the second slot of a <c>lddw</c>.</summary>
    JumpIntoLddw = 1010,
    /// <summary>A program with no instructions.</summary>
    EmptyProgram = 1011,

    /// <summary>Assembler syntax error.</summary>
    AsmSyntax = 2001,
    /// <summary>A jump to a label that is not defined.</summary>
    AsmUnknownLabel = 2002,
    /// <summary>A label defined twice.</summary>
    AsmDuplicateLabel = 2003,
    /// <summary>An immediate or offset that does not fit its field.</summary>
    AsmOutOfRange = 2004,

    /// <summary>A memory access outside every region the program may touch.</summary>
    MemoryFault = 3001,
    /// <summary>The instruction budget ran out.</summary>
    InstructionBudgetExceeded = 3002,
    /// <summary>bpf-to-bpf calls nested deeper than allowed.</summary>
    CallDepthExceeded = 3003,
    /// <summary>A call of a helper id with no implementation.</summary>
    UnknownHelper = 3004,
    /// <summary>A helper refused its arguments.</summary>
    HelperFault = 3005,
    /// <summary>An instruction the engine does not execute (e.g. a kfunc call).</summary>
    UnsupportedInstruction = 3006,
    /// <summary>Execution ran past the last instruction without an exit.</summary>
    FellOffEnd = 3007,

    /// <summary>A command-line argument or option is wrong.</summary>
    BadArgument = 4001,
    /// <summary>An input file is missing or unreadable.</summary>
    FileNotReadable = 4002,
    /// <summary>No device has the given name.</summary>
    UnknownDevice = 4003,
    /// <summary>Text that should be hex is not.</summary>
    BadHex = 4004,

    /// <summary>A map type this runtime does not implement (yet).</summary>
    MapTypeUnsupported = 6001,
    /// <summary>A map's key size the type does not allow (e.g. not 4 for an array, 0 for a hash).</summary>
    MapKeySizeInvalid = 6002,
    /// <summary>A map's value size the type does not allow (zero or above its limit).</summary>
    MapValueSizeInvalid = 6003,
    /// <summary>A map's max_entries the type does not allow (zero or too many).</summary>
    MapMaxEntriesInvalid = 6004,
    /// <summary>Map creation flags the type does not accept, or a contradictory combination.</summary>
    MapFlagsInvalid = 6005,
    /// <summary>The map's memory could not be allocated.</summary>
    MapAllocationFailed = 6006,
    /// <summary>A map-in-map without an inner map spec.</summary>
    MapInnerMapMissing = 6007,
    /// <summary>A <c>bpf_spin_lock</c> in a value where the map type allows none, or outside the value.</summary>
    MapSpinLockInvalid = 6008,
}

/// <summary>Base of every input error: a stable <see cref="ErrorCode"/>, a <see cref="BpfLocation"/> and a one-line reason.</summary>
/// <remarks>Layers wrap, never replace, inner errors: use <see cref="WithLocation"/> to add what an outer layer knows.</remarks>
public class HbpfException : Exception
{
    /// <summary>Creates an input error.</summary>
    public HbpfException(ErrorCode code, string reason, BpfLocation location = default, Exception? inner = null)
        : base(Format(code, reason, location), inner)
    {
        Code = code;
        Reason = reason;
        Location = location;
    }

    /// <summary>Stable error code.</summary>
    public ErrorCode Code { get; }

    /// <summary>Where the error is.</summary>
    public BpfLocation Location { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Reason { get; }

    /// <summary>The code as printed: <c>HB1002</c>.</summary>
    public string CodeText => $"HB{(int)Code:D4}";

    /// <summary>A copy of this error with a location completed by an outer layer.</summary>
    public virtual HbpfException WithLocation(BpfLocation location) => new(Code, Reason, location, this);

    private static string Format(ErrorCode code, string reason, BpfLocation location) =>
        location.IsEmpty ? reason : $"{location}: {reason}";
}
