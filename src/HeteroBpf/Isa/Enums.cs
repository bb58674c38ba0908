namespace HeteroBpf.Isa;

/// <summary>Instruction class: the low three bits of the opcode (RFC 9669 §3).</summary>
public enum OpClass : byte
{
    /// <summary>Non-standard loads: <c>lddw</c> and the legacy packet loads.</summary>
    Ld = 0x00,
    /// <summary>Load into a register.</summary>
    Ldx = 0x01,
    /// <summary>Store an immediate.</summary>
    St = 0x02,
    /// <summary>Store a register (and the atomics).</summary>
    Stx = 0x03,
    /// <summary>32-bit arithmetic.</summary>
    Alu = 0x04,
    /// <summary>64-bit jumps, calls and exit.</summary>
    Jmp = 0x05,
    /// <summary>32-bit jumps.</summary>
    Jmp32 = 0x06,
    /// <summary>64-bit arithmetic.</summary>
    Alu64 = 0x07,
}

/// <summary>Arithmetic operation: bits 4–7 of an ALU/ALU64 opcode.</summary>
public enum AluOp : byte
{
    /// <summary>dst += src.</summary>
    Add = 0x00,
    /// <summary>dst -= src.</summary>
    Sub = 0x10,
    /// <summary>dst *= src.</summary>
    Mul = 0x20,
    /// <summary>dst /= src (offset 1: signed).</summary>
    Div = 0x30,
    /// <summary>dst |= src.</summary>
    Or = 0x40,
    /// <summary>dst &amp;= src.</summary>
    And = 0x50,
    /// <summary>dst &lt;&lt;= src.</summary>
    Lsh = 0x60,
    /// <summary>dst &gt;&gt;= src (logical).</summary>
    Rsh = 0x70,
    /// <summary>dst = -dst.</summary>
    Neg = 0x80,
    /// <summary>dst %= src (offset 1: signed).</summary>
    Mod = 0x90,
    /// <summary>dst ^= src.</summary>
    Xor = 0xa0,
    /// <summary>dst = src (offset 8/16/32: sign-extending).</summary>
    Mov = 0xb0,
    /// <summary>dst &gt;&gt;= src (arithmetic).</summary>
    Arsh = 0xc0,
    /// <summary>Byte swap or conversion (le/be/bswap).</summary>
    End = 0xd0,
}

/// <summary>Jump operation: bits 4–7 of a JMP/JMP32 opcode.</summary>
public enum JumpOp : byte
{
    /// <summary>Unconditional jump (<c>goto</c>, or <c>gotol</c> in JMP32).</summary>
    Ja = 0x00,
    /// <summary>==</summary>
    Jeq = 0x10,
    /// <summary>&gt; unsigned.</summary>
    Jgt = 0x20,
    /// <summary>&gt;= unsigned.</summary>
    Jge = 0x30,
    /// <summary>dst &amp; src != 0.</summary>
    Jset = 0x40,
    /// <summary>!=</summary>
    Jne = 0x50,
    /// <summary>&gt; signed.</summary>
    Jsgt = 0x60,
    /// <summary>&gt;= signed.</summary>
    Jsge = 0x70,
    /// <summary>Function call (helper, local or kfunc).</summary>
    Call = 0x80,
    /// <summary>Return from the current function.</summary>
    Exit = 0x90,
    /// <summary>&lt; unsigned.</summary>
    Jlt = 0xa0,
    /// <summary>&lt;= unsigned.</summary>
    Jle = 0xb0,
    /// <summary>&lt; signed.</summary>
    Jslt = 0xc0,
    /// <summary>&lt;= signed.</summary>
    Jsle = 0xd0,
}

/// <summary>Access size: bits 3–4 of a load/store opcode.</summary>
public enum MemSize : byte
{
    /// <summary>4 bytes.</summary>
    W = 0x00,
    /// <summary>2 bytes.</summary>
    H = 0x08,
    /// <summary>1 byte.</summary>
    B = 0x10,
    /// <summary>8 bytes.</summary>
    DW = 0x18,
}

/// <summary>Addressing mode: bits 5–7 of a load/store opcode.</summary>
public enum MemMode : byte
{
    /// <summary>64-bit immediate (<c>lddw</c>).</summary>
    Imm = 0x00,
    /// <summary>Legacy packet load at an absolute offset.</summary>
    Abs = 0x20,
    /// <summary>Legacy packet load at a register-relative offset.</summary>
    Ind = 0x40,
    /// <summary>Regular load/store.</summary>
    Mem = 0x60,
    /// <summary>Sign-extending load.</summary>
    MemSx = 0x80,
    /// <summary>Atomic operation.</summary>
    Atomic = 0xc0,
}

/// <summary>Operand source bit (0x08) of ALU and jump opcodes; for END it selects big-endian.</summary>
public enum OperandSource : byte
{
    /// <summary>Use the 32-bit immediate.</summary>
    Imm = 0x00,
    /// <summary>Use the source register.</summary>
    Reg = 0x08,
}

/// <summary>Atomic operation code, held in the immediate of an atomic store.</summary>
public enum AtomicOp
{
    /// <summary>*addr += src.</summary>
    Add = 0x00,
    /// <summary>*addr |= src.</summary>
    Or = 0x40,
    /// <summary>*addr &amp;= src.</summary>
    And = 0x50,
    /// <summary>*addr ^= src.</summary>
    Xor = 0xa0,
    /// <summary>src = atomic_fetch_add(addr, src).</summary>
    FetchAdd = 0x01,
    /// <summary>src = atomic_fetch_or(addr, src).</summary>
    FetchOr = 0x41,
    /// <summary>src = atomic_fetch_and(addr, src).</summary>
    FetchAnd = 0x51,
    /// <summary>src = atomic_fetch_xor(addr, src).</summary>
    FetchXor = 0xa1,
    /// <summary>src = xchg(addr, src).</summary>
    Xchg = 0xe1,
    /// <summary>r0 = cmpxchg(addr, r0, src).</summary>
    CmpXchg = 0xf1,
}

/// <summary>What the source field of a <c>lddw</c> says its immediate is (kernel BPF_PSEUDO_*).</summary>
public enum LoadImmKind : byte
{
    /// <summary>A plain 64-bit immediate.</summary>
    Imm64 = 0,
    /// <summary>A map, by file descriptor (BPF_PSEUDO_MAP_FD).</summary>
    MapByFd = 1,
    /// <summary>A map value address, by map fd and offset (BPF_PSEUDO_MAP_VALUE).</summary>
    MapValueByFd = 2,
    /// <summary>A kernel variable, by BTF id (BPF_PSEUDO_BTF_ID).</summary>
    BtfId = 3,
    /// <summary>The address of a subprogram, by relative slot offset (BPF_PSEUDO_FUNC).</summary>
    Func = 4,
    /// <summary>A map, by index into the program's map array (BPF_PSEUDO_MAP_IDX).</summary>
    MapByIndex = 5,
    /// <summary>A map value address, by map index and offset (BPF_PSEUDO_MAP_IDX_VALUE).</summary>
    MapValueByIndex = 6,
}

/// <summary>What the source field of a <c>call</c> says its immediate is.</summary>
public enum CallKind : byte
{
    /// <summary>A helper, by static id.</summary>
    Helper = 0,
    /// <summary>A bpf-to-bpf call, by relative slot offset (BPF_PSEUDO_CALL).</summary>
    Local = 1,
    /// <summary>A kernel function, by BTF id (BPF_PSEUDO_KFUNC_CALL).</summary>
    Kfunc = 2,
}

/// <summary>The eleven eBPF registers.</summary>
public enum Register : byte
{
    /// <summary>Return value.</summary>
    R0 = 0,
    /// <summary>Argument 1 (the context on entry).</summary>
    R1,
    /// <summary>Argument 2.</summary>
    R2,
    /// <summary>Argument 3.</summary>
    R3,
    /// <summary>Argument 4.</summary>
    R4,
    /// <summary>Argument 5.</summary>
    R5,
    /// <summary>Callee-saved.</summary>
    R6,
    /// <summary>Callee-saved.</summary>
    R7,
    /// <summary>Callee-saved.</summary>
    R8,
    /// <summary>Callee-saved.</summary>
    R9,
    /// <summary>Read-only frame pointer.</summary>
    R10,
}
