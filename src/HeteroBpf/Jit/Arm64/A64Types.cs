namespace HeteroBpf.Jit.Arm64;

/// <summary>
/// An A64 general-purpose register. Number 31 means the zero register or the stack pointer depending on the operand
/// position, so the two are distinct values here and every encoder method accepts only the one its field can mean.
/// </summary>
public enum A64Register : byte
{
#pragma warning disable CS1591 // X0…X30 are their own documentation
    X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15,
    X16, X17, X18, X19, X20, X21, X22, X23, X24, X25, X26, X27, X28, X29, X30,
#pragma warning restore CS1591
    /// <summary>XZR/WZR: register field 31 where it reads as zero and discards writes.</summary>
    Zr = 31,
    /// <summary>SP/WSP: register field 31 where it names the stack pointer.</summary>
    Sp = 32,
    /// <summary>The frame pointer, X29 by the AAPCS64.</summary>
    Fp = X29,
    /// <summary>The link register, X30.</summary>
    Lr = X30,
}

/// <summary>The <c>sf</c> bit: a 32-bit (W registers, upper half zeroed) or 64-bit (X registers) operation.</summary>
public enum A64Width : byte
{
    /// <summary>32-bit: W registers.</summary>
    W32,
    /// <summary>64-bit: X registers.</summary>
    X64,
}

/// <summary>Condition codes (the 4-bit <c>cond</c> field).</summary>
public enum A64Condition : byte
{
    /// <summary>Equal (Z).</summary>
    Eq = 0,
    /// <summary>Not equal.</summary>
    Ne = 1,
    /// <summary>Unsigned higher or same (carry set).</summary>
    Hs = 2,
    /// <summary>Unsigned lower (carry clear).</summary>
    Lo = 3,
    /// <summary>Negative.</summary>
    Mi = 4,
    /// <summary>Positive or zero.</summary>
    Pl = 5,
    /// <summary>Overflow.</summary>
    Vs = 6,
    /// <summary>No overflow.</summary>
    Vc = 7,
    /// <summary>Unsigned higher.</summary>
    Hi = 8,
    /// <summary>Unsigned lower or same.</summary>
    Ls = 9,
    /// <summary>Signed greater or equal.</summary>
    Ge = 10,
    /// <summary>Signed less than.</summary>
    Lt = 11,
    /// <summary>Signed greater than.</summary>
    Gt = 12,
    /// <summary>Signed less or equal.</summary>
    Le = 13,
    /// <summary>Always.</summary>
    Al = 14,
    /// <summary>Always (the encoding reserved as "never" in A32).</summary>
    Nv = 15,
}

/// <summary>The shift applied to the second register of a shifted-register form.</summary>
public enum A64Shift : byte
{
    /// <summary>Logical shift left.</summary>
    Lsl = 0,
    /// <summary>Logical shift right.</summary>
    Lsr = 1,
    /// <summary>Arithmetic shift right.</summary>
    Asr = 2,
    /// <summary>Rotate right (logical forms only).</summary>
    Ror = 3,
}

/// <summary>Access size of a load, store or atomic (the <c>size</c> field, log2 of the byte count).</summary>
public enum A64MemSize : byte
{
    /// <summary>1 byte (B forms).</summary>
    Byte = 0,
    /// <summary>2 bytes (H forms).</summary>
    Half = 1,
    /// <summary>4 bytes (W register).</summary>
    Word = 2,
    /// <summary>8 bytes (X register).</summary>
    Double = 3,
}

/// <summary>Memory ordering of an exclusive or LSE atomic access: the A (acquire) and L/R (release) bits.</summary>
public enum A64Ordering : byte
{
    /// <summary>No ordering (LDADD, CAS, LDXR, STXR).</summary>
    None = 0,
    /// <summary>Acquire (LDADDA, CASA, LDAXR).</summary>
    Acquire = 1,
    /// <summary>Release (LDADDL, CASL, STLXR).</summary>
    Release = 2,
    /// <summary>Acquire and release (LDADDAL, CASAL).</summary>
    AcquireRelease = 3,
}

/// <summary>The LSE atomic memory operations (<c>o3:opc</c> of the atomic memory group).</summary>
public enum A64AtomicOp : byte
{
    /// <summary>LDADD: add.</summary>
    Add = 0b0000,
    /// <summary>LDCLR: bit clear (AND NOT).</summary>
    Clr = 0b0001,
    /// <summary>LDEOR: exclusive or.</summary>
    Eor = 0b0010,
    /// <summary>LDSET: or.</summary>
    Set = 0b0011,
    /// <summary>SWP: swap.</summary>
    Swp = 0b1000,
}

/// <summary>Addressing of a load/store pair.</summary>
public enum A64PairMode : byte
{
    /// <summary><c>[Xn], #imm</c>: access at Xn, then Xn += imm.</summary>
    PostIndex = 0b01,
    /// <summary><c>[Xn, #imm]</c>: no writeback.</summary>
    SignedOffset = 0b10,
    /// <summary><c>[Xn, #imm]!</c>: Xn += imm, then access.</summary>
    PreIndex = 0b11,
}

/// <summary>Barrier options (the CRm field of DMB): shareability domain and access types.</summary>
public enum A64Barrier : byte
{
    /// <summary>Outer shareable, loads.</summary>
    OshLd = 0b0001,
    /// <summary>Outer shareable, stores.</summary>
    OshSt = 0b0010,
    /// <summary>Outer shareable, all.</summary>
    Osh = 0b0011,
    /// <summary>Non-shareable, loads.</summary>
    NshLd = 0b0101,
    /// <summary>Non-shareable, stores.</summary>
    NshSt = 0b0110,
    /// <summary>Non-shareable, all.</summary>
    Nsh = 0b0111,
    /// <summary>Inner shareable, loads.</summary>
    IshLd = 0b1001,
    /// <summary>Inner shareable, stores.</summary>
    IshSt = 0b1010,
    /// <summary>Inner shareable, all (what SMP code uses).</summary>
    Ish = 0b1011,
    /// <summary>Full system, loads.</summary>
    Ld = 0b1101,
    /// <summary>Full system, stores.</summary>
    St = 0b1110,
    /// <summary>Full system, all.</summary>
    Sy = 0b1111,
}
