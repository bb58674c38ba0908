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

    /// <summary>The ARM64 JIT does not translate an instruction or helper (named in the message: tail calls, callbacks, kfuncs).</summary>
    Arm64Unsupported = 3101,
    /// <summary>An <c>lddw</c> of a map or BTF reference reached the ARM64 JIT unresolved (the loader must turn it into a plain immediate).</summary>
    Arm64UnresolvedReference = 3102,

    /// <summary>A command-line argument or option is wrong.</summary>
    BadArgument = 4001,
    /// <summary>An input file is missing or unreadable.</summary>
    FileNotReadable = 4002,
    /// <summary>No device has the given name.</summary>
    UnknownDevice = 4003,
    /// <summary>Text that should be hex is not.</summary>
    BadHex = 4004,

    /// <summary>A BTF or BTF.ext blob shorter than its header.</summary>
    BtfTruncatedHeader = 5001,
    /// <summary>A BTF or BTF.ext blob whose magic is not 0xeB9F (big-endian BTF included).</summary>
    BtfBadMagic = 5002,
    /// <summary>A BTF or BTF.ext version other than 1.</summary>
    BtfBadVersion = 5003,
    /// <summary>A header length or a sub-section (types, strings, func/line/CO-RE info) outside the blob.</summary>
    BtfSectionOutOfBounds = 5004,
    /// <summary>A type record that runs past the end of the type section.</summary>
    BtfTypeTruncated = 5005,
    /// <summary>A type kind the format does not define.</summary>
    BtfUnknownKind = 5006,
    /// <summary>A vlen whose members, parameters or variables do not fit in the type section.</summary>
    BtfVlenTooLarge = 5007,
    /// <summary>A string offset beyond the string section.</summary>
    BtfBadStringOffset = 5008,
    /// <summary>A string that runs to the end of the string section without a NUL.</summary>
    BtfUnterminatedString = 5009,
    /// <summary>A reference to a type id that does not exist.</summary>
    BtfBadTypeId = 5010,
    /// <summary>A type that contains itself without a pointer in between, met while computing a size.</summary>
    BtfTypeCycle = 5011,
    /// <summary>A BTF.ext info block whose record size is smaller than the known record or not a multiple of 4.</summary>
    BtfExtBadRecordSize = 5012,
    /// <summary>A BTF.ext info block whose records run past the block.</summary>
    BtfExtTruncated = 5013,
    /// <summary>A <c>.maps</c> variable whose type does not follow libbpf's map-definition conventions.</summary>
    BtfBadMapDefinition = 5014,
    /// <summary>A type without a size (void, function, forward declaration) asked for its size.</summary>
    BtfTypeHasNoSize = 5015,
    /// <summary>A type whose size does not fit in 32 bits.</summary>
    BtfSizeOverflow = 5016,
    /// <summary>A CO-RE access string that is not colon-separated decimal indices (<c>0:1:2</c>).</summary>
    BtfBadAccessString = 5017,

    /// <summary>A jump or call whose target lies outside the program.</summary>
    VerifierJumpOutOfRange = 5101,
    /// <summary>A jump from one subprogram into another (only calls and function addresses may cross).</summary>
    VerifierJumpOutOfSubprogram = 5102,
    /// <summary>A jump that lands in the second slot of a <c>lddw</c> (a call there makes the <c>lddw</c> end a subprogram: <see cref="VerifierFallThrough"/>, as in the kernel).</summary>
    VerifierJumpIntoLddw = 5103,
    /// <summary>An instruction no path from the entry reaches.</summary>
    VerifierUnreachable = 5104,
    /// <summary>A subprogram whose last instruction is neither <c>exit</c> nor an unconditional jump, so it falls into the next.</summary>
    VerifierFallThrough = 5105,
    /// <summary>A call chain of more frames than the kernel's MAX_CALL_FRAMES (8).</summary>
    VerifierCallStackTooDeep = 5106,
    /// <summary>A call chain whose frames together use more than the kernel's 512-byte stack.</summary>
    VerifierStackTooLarge = 5107,
    /// <summary>A subprogram that calls itself, directly or through others.</summary>
    VerifierRecursiveCall = 5108,
    /// <summary>More subprograms than the kernel's BPF_MAX_SUBPROGS (256).</summary>
    VerifierTooManySubprograms = 5109,
    /// <summary>A subprogram that makes a tail call while the frames above it use 256 bytes of stack or more.</summary>
    VerifierTailCallStack = 5110,
    /// <summary>A device's verifier hook refused the program (the message is the device's own).</summary>
    VerifierDeviceRefused = 5111,
    /// <summary>A register read before any write (the kernel's <c>!read_ok</c>).</summary>
    VerifierUninitRegister = 5112,
    /// <summary>A load, store or atomic outside what the pointer is proven to reach, or through a non-pointer.</summary>
    VerifierInvalidAccess = 5113,
    /// <summary>Pointer arithmetic the kernel prohibits (on that pointer type, with that operator, or out of range).</summary>
    VerifierPointerArithmetic = 5114,
    /// <summary>A pointer leaked or compared at the CAP_BPF privilege level.</summary>
    VerifierPointerLeak = 5115,
    /// <summary>A helper call the program type may not make, or whose arguments break the helper's prototype.</summary>
    VerifierHelperCall = 5116,
    /// <summary>A return value outside the program type's (or callback's) range, or not set.</summary>
    VerifierReturnValue = 5117,
    /// <summary>A reference (ring-buffer reservation) not released on some path.</summary>
    VerifierUnreleasedReference = 5118,
    /// <summary>A <c>bpf_spin_lock</c> rule broken (missing lock, calls while held, wrong lock).</summary>
    VerifierSpinLock = 5119,
    /// <summary>The processed-instruction budget (1,000,000) spent: the program or a loop is too large.</summary>
    VerifierProgramTooLarge = 5120,
    /// <summary>A loop whose state repeats exactly: it never ends.</summary>
    VerifierInfiniteLoop = 5121,
    /// <summary>An instruction the verifier does not accept (unknown opcode, reserved field, unsupported mode).</summary>
    VerifierBadInstruction = 5122,
    /// <summary>A program type, map or helper kind the verifier has no rules for.</summary>
    VerifierUnsupported = 5123,
    /// <summary>A context access the program type does not allow.</summary>
    VerifierContextAccess = 5124,
    /// <summary>A misaligned access under strict alignment (the stack is always strict).</summary>
    VerifierMisaligned = 5125,

    /// <summary>A program type whose context or helpers depend on an attach BTF id (tracing, lsm, struct_ops, ext): not supported by the verifier.</summary>
    ProgramTypeNeedsAttachBtf = 5200,
    /// <summary>A program type the verifier has no tables for (unspec, or a number the kernel does not name).</summary>
    ProgramTypeUnknown = 5201,
    /// <summary>An expected attach type the kernel refuses for the program type (e.g. cgroup_sock_addr without one of its attach types).</summary>
    ProgramTypeBadAttach = 5202,

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

    /// <summary>The file ends before a structure the ELF header or a section header says is there.</summary>
    ElfTruncated = 7001,
    /// <summary>Not an eBPF relocatable object: bad magic, not ET_REL, or a machine other than EM_BPF (247).</summary>
    ElfNotBpfObject = 7002,
    /// <summary>An ELF encoding this reader does not take: ELFCLASS32, big-endian, or extended symbol section indices.</summary>
    ElfUnsupportedEncoding = 7003,
    /// <summary>The section header table is malformed: outside the file, wrong entry size, bad string table index.</summary>
    ElfBadSectionTable = 7004,
    /// <summary>A section's header is inconsistent: data outside the file, a name outside the string table, a bad link.</summary>
    ElfBadSection = 7005,
    /// <summary>A symbol table entry is malformed: bad name, section index or entry size.</summary>
    ElfBadSymbol = 7006,
    /// <summary>A program section is malformed: size not a multiple of 8, a function outside it or misaligned.</summary>
    ElfBadProgramSection = 7007,
    /// <summary>A relocation is malformed: missing symbol, outside its section, or of a type eBPF does not use.</summary>
    ElfBadRelocation = 7008,
    /// <summary>A relocation on an instruction that is neither <c>lddw</c> nor a local <c>call</c>.</summary>
    ElfRelocationTarget = 7009,
    /// <summary>A relocation or call whose target the object does not define (extern, kfunc, or no function there).</summary>
    ElfUnresolvedSymbol = 7010,
    /// <summary>A map definition that cannot be read (legacy <c>maps</c> entry too small or with unknown non-zero fields).</summary>
    ElfBadMapDefinition = 7011,

    /// <summary>A capture file with no bytes at all.</summary>
    CaptureEmpty = 8001,
    /// <summary>A capture whose first four bytes are no pcap or pcapng magic, or a pcapng byte-order magic that is neither order.</summary>
    CaptureUnknownMagic = 8002,
    /// <summary>A file header, record or block cut by the end of the file.</summary>
    CaptureTruncated = 8003,
    /// <summary>A pcap file or pcapng section whose major version this reader does not take (pcap 2, pcapng 1).</summary>
    CaptureBadVersion = 8004,
    /// <summary>A pcap record whose captured length exceeds its original length or the sane limit.</summary>
    CaptureBadRecordLength = 8005,
    /// <summary>A pcapng block total length not a multiple of 4, below the block type's minimum, or unequal to its trailing copy.</summary>
    CaptureBadBlockLength = 8006,
    /// <summary>A pcapng packet naming an interface no IDB of its section described.</summary>
    CaptureBadInterface = 8007,
    /// <summary>A pcapng packet whose captured length runs past its block.</summary>
    CaptureBadPacketLength = 8008,
    /// <summary>A pcapng option running past its block, or an <c>if_tsresol</c> finer than 64 bits can count.</summary>
    CaptureBadOption = 8009,

    /// <summary>A context access the loader cannot rewrite to the runtime layout (through a maybe-context or moved context pointer).</summary>
    ContextAccess = 9001,
    /// <summary>A context field the program type does not have, or an access of the wrong size or direction.</summary>
    ContextField = 9002,
    /// <summary>A program of a type the command or device does not run (e.g. a socket filter given to <c>hbpf run</c>).</summary>
    WrongProgramType = 9003,
    /// <summary>A test-run or run input that cannot be used (bad JSON, unknown map or program, bad hex).</summary>
    BadRunInput = 9004,

    /// <summary>The device an object is bound to was removed (its last port went): the object is orphaned.</summary>
    DeviceRemoved = 9101,
    /// <summary>A device program with a host map or a map of another device, or a host program with a device map.</summary>
    OffloadMapMismatch = 9102,
    /// <summary>A program bound to one device used on another (attached to its port, run through it).</summary>
    OffloadWrongDevice = 9103,
    /// <summary>A device-bound program asked to run on the host (test-run it through its device instead).</summary>
    OffloadHostRunRefused = 9104,
    /// <summary>An attach mode the program cannot use (a device program in a host mode, a host program in device mode, or two host modes at once).</summary>
    OffloadAttachMode = 9105,
    /// <summary>The device refused to bind the program (its own switch or a program type it does not run).</summary>
    OffloadBindRefused = 9106,
    /// <summary>The device refused to create a map (type, key, value or entry limits, its map limit, or its own switch).</summary>
    OffloadMapRefused = 9107,
    /// <summary>The device refused to attach the program (its own switch).</summary>
    OffloadAttachRefused = 9108,
    /// <summary>A port that is not (or no longer) a port of the device named.</summary>
    OffloadBadPort = 9109,
    /// <summary>The device could not allocate its own memory (e.g. no room below 4 GiB for the sim's 32-bit address space).</summary>
    DeviceMemoryUnavailable = 9110,
    /// <summary>A run input the device cannot take (a packet larger than its frame, every frame busy).</summary>
    DeviceRunInput = 9111,
    /// <summary>An <c>arm64-nic</c> core count outside 1–8 (<c>--cores N</c>).</summary>
    NicBadCores = 9140,
    /// <summary>The disassembler for <c>prog dump jited --device arm64-nic</c> (libLLVM-19) could not be loaded.</summary>
    NicDisassemblerUnavailable = 9141,
    /// <summary>A device's capability table names a neutral channel its translator does not feed.</summary>
    OffloadNeutralUnsupported = 9160,
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
