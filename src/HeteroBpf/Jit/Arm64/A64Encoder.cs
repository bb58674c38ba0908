using System.Diagnostics.CodeAnalysis;

namespace HeteroBpf.Jit.Arm64;

/// <summary>
/// A64 instruction encoder: one method per instruction form, named after the ARM ARM encoding group, each appending one
/// 32-bit word to a growable buffer. Mnemonics that are aliases (CMP, MOV, LSL #n, MUL, CSET…) are one-line methods
/// over their group. Every register, immediate, offset and shift is range-checked: a value the form cannot hold throws
/// <see cref="ArgumentOutOfRangeException"/> naming the form and the value, and nothing is written.
/// Branch offsets are signed distances in instructions (words) from the branch itself.
/// </summary>
public sealed class A64Encoder
{
    private uint[] _words;

    /// <summary>An empty buffer with room for <paramref name="capacity"/> instructions before it grows.</summary>
    public A64Encoder(int capacity = 64) => _words = new uint[Math.Max(capacity, 4)];

    /// <summary>Number of instructions written.</summary>
    public int Count { get; private set; }

    /// <summary>The instructions written so far.</summary>
    public ReadOnlySpan<uint> Words => _words.AsSpan(0, Count);

    /// <summary>The code as little-endian bytes (A64 instruction memory is always little-endian).</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Count * 4];
        for (int i = 0; i < Count; i++) System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), _words[i]);
        return bytes;
    }

    /// <summary>Forgets every instruction, keeping the storage.</summary>
    public void Clear() => Count = 0;

    /// <summary>Appends a raw instruction word.</summary>
    public void Emit(uint word)
    {
        if (Count == _words.Length) Array.Resize(ref _words, _words.Length * 2);
        _words[Count++] = word;
    }

    /// <summary>Replaces the word at <paramref name="index"/> (a branch fixed up once its target is known).</summary>
    public void Patch(int index, uint word)
    {
        if ((uint)index >= (uint)Count) Fail("Patch", nameof(index), index, $"not an instruction index (0..{Count - 1})");
        _words[index] = word;
    }

    // ---------------------------------------------------------------- Move wide immediate

    /// <summary>Move wide immediate, opc field: MOVN 00, MOVZ 10, MOVK 11.</summary>
    private enum MoveWideOp : uint { N = 0b00, Z = 0b10, K = 0b11 }

    private void MoveWide(string form, MoveWideOp op, A64Width width, A64Register rd, ulong imm16, int shift)
    {
        uint d = Zr(form, nameof(rd), rd);
        if (imm16 > 0xffff) Fail(form, nameof(imm16), imm16, "must fit in 16 bits");
        int maxShift = width == A64Width.X64 ? 48 : 16;
        if (shift < 0 || shift > maxShift || shift % 16 != 0) Fail(form, nameof(shift), shift, $"must be 0, 16{(width == A64Width.X64 ? ", 32 or 48" : "")}");
        Emit(Sf(width) | 0x12800000u | ((uint)op << 29) | ((uint)(shift / 16) << 21) | ((uint)imm16 << 5) | d);
    }

    /// <summary>MOVZ: <c>rd = imm16 &lt;&lt; shift</c>.</summary>
    public void Movz(A64Width width, A64Register rd, ulong imm16, int shift = 0) => MoveWide("MOVZ", MoveWideOp.Z, width, rd, imm16, shift);

    /// <summary>MOVN: <c>rd = ~(imm16 &lt;&lt; shift)</c>.</summary>
    public void Movn(A64Width width, A64Register rd, ulong imm16, int shift = 0) => MoveWide("MOVN", MoveWideOp.N, width, rd, imm16, shift);

    /// <summary>MOVK: replaces the 16 bits of rd at <paramref name="shift"/>.</summary>
    public void Movk(A64Width width, A64Register rd, ulong imm16, int shift = 0) => MoveWide("MOVK", MoveWideOp.K, width, rd, imm16, shift);

    /// <summary>
    /// Materialises any constant in <paramref name="rd"/> with the fewest instructions among MOVZ+MOVKs, MOVN+MOVKs and
    /// a single ORR of a logical immediate. For <see cref="A64Width.W32"/> the value must fit in 32 bits.
    /// Returns the number of instructions written (1–4).
    /// </summary>
    public int MovConstant(A64Width width, A64Register rd, ulong value)
    {
        Zr("MOV (constant)", nameof(rd), rd);
        if (width == A64Width.W32 && value > uint.MaxValue) Fail("MOV (constant)", nameof(value), value, "does not fit in 32 bits");
        int chunks = width == A64Width.X64 ? 4 : 2;
        int zeros = 0, ones = 0;
        for (int i = 0; i < chunks; i++)
        {
            ulong c = (value >> (16 * i)) & 0xffff;
            if (c == 0) zeros++;
            if (c == 0xffff) ones++;
        }
        int viaMovz = Math.Max(1, chunks - zeros);
        int viaMovn = Math.Max(1, chunks - ones);
        if (Math.Min(viaMovz, viaMovn) > 1 && rd != A64Register.Zr && A64BitmaskImmediate.TryEncode(value, width, out uint field))
        {
            Emit(LogicalImmediateWord(LogicalOp.Orr, width, (uint)rd, 31, field)); // ORR rd, ZR, #imm (rd is not SP here)
            return 1;
        }

        int start = Count;
        bool inverted = viaMovn < viaMovz;
        ulong skip = inverted ? 0xffffUL : 0UL;
        bool first = true;
        for (int i = 0; i < chunks; i++)
        {
            ulong c = (value >> (16 * i)) & 0xffff;
            if (c == skip) continue;
            if (first)
            {
                if (inverted) Movn(width, rd, ~c & 0xffff, 16 * i);
                else Movz(width, rd, c, 16 * i);
                first = false;
            }
            else Movk(width, rd, c, 16 * i);
        }
        if (first)
        {
            // Every chunk equals the skipped pattern: 0 or all ones.
            if (inverted) Movn(width, rd, 0);
            else Movz(width, rd, 0);
        }
        return Count - start;
    }

    // ---------------------------------------------------------------- Add/subtract

    private void AddSubImmediate(string form, bool sub, bool setFlags, A64Width width, A64Register rd, A64Register rn, ulong imm12, bool shift12)
    {
        uint d = setFlags ? Zr(form, nameof(rd), rd) : SpReg(form, nameof(rd), rd);
        uint n = SpReg(form, nameof(rn), rn);
        if (imm12 > 0xfff) Fail(form, nameof(imm12), imm12, "must fit in 12 bits (0..4095)");
        Emit(Sf(width) | 0x11000000u | (sub ? 1u << 30 : 0) | (setFlags ? 1u << 29 : 0) | (shift12 ? 1u << 22 : 0) | ((uint)imm12 << 10) | (n << 5) | d);
    }

    /// <summary>ADD (immediate): <c>rd = rn + (imm12 &lt;&lt; (shift12 ? 12 : 0))</c>; rd and rn may be SP.</summary>
    public void AddImmediate(A64Width width, A64Register rd, A64Register rn, ulong imm12, bool shift12 = false) => AddSubImmediate("ADD (immediate)", false, false, width, rd, rn, imm12, shift12);

    /// <summary>SUB (immediate); rd and rn may be SP.</summary>
    public void SubImmediate(A64Width width, A64Register rd, A64Register rn, ulong imm12, bool shift12 = false) => AddSubImmediate("SUB (immediate)", true, false, width, rd, rn, imm12, shift12);

    /// <summary>ADDS (immediate): sets NZCV; rd may be ZR, rn SP.</summary>
    public void AddsImmediate(A64Width width, A64Register rd, A64Register rn, ulong imm12, bool shift12 = false) => AddSubImmediate("ADDS (immediate)", false, true, width, rd, rn, imm12, shift12);

    /// <summary>SUBS (immediate): sets NZCV; rd may be ZR, rn SP.</summary>
    public void SubsImmediate(A64Width width, A64Register rd, A64Register rn, ulong imm12, bool shift12 = false) => AddSubImmediate("SUBS (immediate)", true, true, width, rd, rn, imm12, shift12);

    /// <summary>CMP (immediate) = SUBS ZR, rn, #imm.</summary>
    public void CmpImmediate(A64Width width, A64Register rn, ulong imm12, bool shift12 = false) => AddSubImmediate("CMP (immediate)", true, true, width, A64Register.Zr, rn, imm12, shift12);

    /// <summary>CMN (immediate) = ADDS ZR, rn, #imm.</summary>
    public void CmnImmediate(A64Width width, A64Register rn, ulong imm12, bool shift12 = false) => AddSubImmediate("CMN (immediate)", false, true, width, A64Register.Zr, rn, imm12, shift12);

    /// <summary>MOV (to/from SP) = ADD rd, rn, #0; one of them is normally SP.</summary>
    public void MovSp(A64Width width, A64Register rd, A64Register rn) => AddSubImmediate("MOV (to/from SP)", false, false, width, rd, rn, 0, false);

    private void AddSubShiftedRegister(string form, bool sub, bool setFlags, A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Shift shift, int amount)
    {
        uint d = Zr(form, nameof(rd), rd), n = Zr(form, nameof(rn), rn), m = Zr(form, nameof(rm), rm);
        if (shift == A64Shift.Ror || shift > A64Shift.Ror) Fail(form, nameof(shift), shift, "must be LSL, LSR or ASR");
        ShiftAmount(form, width, amount);
        Emit(Sf(width) | 0x0B000000u | (sub ? 1u << 30 : 0) | (setFlags ? 1u << 29 : 0) | ((uint)shift << 22) | (m << 16) | ((uint)amount << 10) | (n << 5) | d);
    }

    /// <summary>ADD (shifted register): <c>rd = rn + (rm shift amount)</c>.</summary>
    public void AddRegister(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Shift shift = A64Shift.Lsl, int amount = 0) => AddSubShiftedRegister("ADD (shifted register)", false, false, width, rd, rn, rm, shift, amount);

    /// <summary>SUB (shifted register).</summary>
    public void SubRegister(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Shift shift = A64Shift.Lsl, int amount = 0) => AddSubShiftedRegister("SUB (shifted register)", true, false, width, rd, rn, rm, shift, amount);

    /// <summary>ADDS (shifted register).</summary>
    public void AddsRegister(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Shift shift = A64Shift.Lsl, int amount = 0) => AddSubShiftedRegister("ADDS (shifted register)", false, true, width, rd, rn, rm, shift, amount);

    /// <summary>SUBS (shifted register).</summary>
    public void SubsRegister(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Shift shift = A64Shift.Lsl, int amount = 0) => AddSubShiftedRegister("SUBS (shifted register)", true, true, width, rd, rn, rm, shift, amount);

    /// <summary>CMP (shifted register) = SUBS ZR, rn, rm.</summary>
    public void CmpRegister(A64Width width, A64Register rn, A64Register rm, A64Shift shift = A64Shift.Lsl, int amount = 0) => AddSubShiftedRegister("CMP (shifted register)", true, true, width, A64Register.Zr, rn, rm, shift, amount);

    /// <summary>CMN (shifted register) = ADDS ZR, rn, rm.</summary>
    public void CmnRegister(A64Width width, A64Register rn, A64Register rm, A64Shift shift = A64Shift.Lsl, int amount = 0) => AddSubShiftedRegister("CMN (shifted register)", false, true, width, A64Register.Zr, rn, rm, shift, amount);

    /// <summary>NEG = SUB rd, ZR, rm.</summary>
    public void Neg(A64Width width, A64Register rd, A64Register rm, A64Shift shift = A64Shift.Lsl, int amount = 0) => AddSubShiftedRegister("NEG", true, false, width, rd, A64Register.Zr, rm, shift, amount);

    // ---------------------------------------------------------------- Logical

    /// <summary>opc of the logical groups.</summary>
    private enum LogicalOp : uint { And = 0b00, Orr = 0b01, Eor = 0b10, Ands = 0b11 }

    private void LogicalShiftedRegister(string form, LogicalOp op, bool invert, A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Shift shift, int amount)
    {
        uint d = Zr(form, nameof(rd), rd), n = Zr(form, nameof(rn), rn), m = Zr(form, nameof(rm), rm);
        if (shift > A64Shift.Ror) Fail(form, nameof(shift), shift, "not a shift");
        ShiftAmount(form, width, amount);
        Emit(Sf(width) | 0x0A000000u | ((uint)op << 29) | ((uint)shift << 22) | (invert ? 1u << 21 : 0) | (m << 16) | ((uint)amount << 10) | (n << 5) | d);
    }

    /// <summary>AND (shifted register).</summary>
    public void AndRegister(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Shift shift = A64Shift.Lsl, int amount = 0) => LogicalShiftedRegister("AND (shifted register)", LogicalOp.And, false, width, rd, rn, rm, shift, amount);

    /// <summary>ORR (shifted register).</summary>
    public void OrrRegister(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Shift shift = A64Shift.Lsl, int amount = 0) => LogicalShiftedRegister("ORR (shifted register)", LogicalOp.Orr, false, width, rd, rn, rm, shift, amount);

    /// <summary>EOR (shifted register).</summary>
    public void EorRegister(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Shift shift = A64Shift.Lsl, int amount = 0) => LogicalShiftedRegister("EOR (shifted register)", LogicalOp.Eor, false, width, rd, rn, rm, shift, amount);

    /// <summary>ANDS (shifted register).</summary>
    public void AndsRegister(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Shift shift = A64Shift.Lsl, int amount = 0) => LogicalShiftedRegister("ANDS (shifted register)", LogicalOp.Ands, false, width, rd, rn, rm, shift, amount);

    /// <summary>BIC (shifted register): <c>rd = rn &amp; ~rm</c>.</summary>
    public void BicRegister(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Shift shift = A64Shift.Lsl, int amount = 0) => LogicalShiftedRegister("BIC (shifted register)", LogicalOp.And, true, width, rd, rn, rm, shift, amount);

    /// <summary>ORN (shifted register): <c>rd = rn | ~rm</c>.</summary>
    public void OrnRegister(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Shift shift = A64Shift.Lsl, int amount = 0) => LogicalShiftedRegister("ORN (shifted register)", LogicalOp.Orr, true, width, rd, rn, rm, shift, amount);

    /// <summary>TST (shifted register) = ANDS ZR, rn, rm.</summary>
    public void TstRegister(A64Width width, A64Register rn, A64Register rm, A64Shift shift = A64Shift.Lsl, int amount = 0) => LogicalShiftedRegister("TST (shifted register)", LogicalOp.Ands, false, width, A64Register.Zr, rn, rm, shift, amount);

    /// <summary>MOV (register) = ORR rd, ZR, rm (not for SP: use <see cref="MovSp"/>).</summary>
    public void Mov(A64Width width, A64Register rd, A64Register rm) => LogicalShiftedRegister("MOV (register)", LogicalOp.Orr, false, width, rd, A64Register.Zr, rm, A64Shift.Lsl, 0);

    /// <summary>MVN = ORN rd, ZR, rm.</summary>
    public void Mvn(A64Width width, A64Register rd, A64Register rm, A64Shift shift = A64Shift.Lsl, int amount = 0) => LogicalShiftedRegister("MVN", LogicalOp.Orr, true, width, rd, A64Register.Zr, rm, shift, amount);

    private static uint LogicalImmediateWord(LogicalOp op, A64Width width, uint d, uint n, uint field) =>
        Sf(width) | 0x12000000u | ((uint)op << 29) | (field << 10) | (n << 5) | d;

    private bool TryLogicalImmediate(string form, LogicalOp op, A64Width width, A64Register rd, A64Register rn, ulong imm, bool throwIfNotEncodable)
    {
        uint d = op == LogicalOp.Ands ? Zr(form, nameof(rd), rd) : SpReg(form, nameof(rd), rd);
        uint n = Zr(form, nameof(rn), rn);
        if (!A64BitmaskImmediate.TryEncode(imm, width, out uint field))
        {
            if (throwIfNotEncodable) Fail(form, nameof(imm), $"0x{imm:x}", $"is not a {(width == A64Width.X64 ? 64 : 32)}-bit logical (bitmask) immediate");
            return false;
        }
        Emit(LogicalImmediateWord(op, width, d, n, field));
        return true;
    }

    /// <summary>AND (immediate); rd may be SP. Throws when <paramref name="imm"/> is not a bitmask immediate.</summary>
    public void AndImmediate(A64Width width, A64Register rd, A64Register rn, ulong imm) => TryLogicalImmediate("AND (immediate)", LogicalOp.And, width, rd, rn, imm, true);

    /// <summary>ORR (immediate); rd may be SP.</summary>
    public void OrrImmediate(A64Width width, A64Register rd, A64Register rn, ulong imm) => TryLogicalImmediate("ORR (immediate)", LogicalOp.Orr, width, rd, rn, imm, true);

    /// <summary>EOR (immediate); rd may be SP.</summary>
    public void EorImmediate(A64Width width, A64Register rd, A64Register rn, ulong imm) => TryLogicalImmediate("EOR (immediate)", LogicalOp.Eor, width, rd, rn, imm, true);

    /// <summary>ANDS (immediate); rd may be ZR.</summary>
    public void AndsImmediate(A64Width width, A64Register rd, A64Register rn, ulong imm) => TryLogicalImmediate("ANDS (immediate)", LogicalOp.Ands, width, rd, rn, imm, true);

    /// <summary>TST (immediate) = ANDS ZR, rn, #imm.</summary>
    public void TstImmediate(A64Width width, A64Register rn, ulong imm) => TryLogicalImmediate("TST (immediate)", LogicalOp.Ands, width, A64Register.Zr, rn, imm, true);

    /// <summary>AND (immediate) when <paramref name="imm"/> is encodable; false (nothing written) otherwise. Registers are still checked.</summary>
    public bool TryAndImmediate(A64Width width, A64Register rd, A64Register rn, ulong imm) => TryLogicalImmediate("AND (immediate)", LogicalOp.And, width, rd, rn, imm, false);

    /// <summary>ORR (immediate) when encodable; false otherwise.</summary>
    public bool TryOrrImmediate(A64Width width, A64Register rd, A64Register rn, ulong imm) => TryLogicalImmediate("ORR (immediate)", LogicalOp.Orr, width, rd, rn, imm, false);

    /// <summary>EOR (immediate) when encodable; false otherwise.</summary>
    public bool TryEorImmediate(A64Width width, A64Register rd, A64Register rn, ulong imm) => TryLogicalImmediate("EOR (immediate)", LogicalOp.Eor, width, rd, rn, imm, false);

    /// <summary>ANDS (immediate) when encodable; false otherwise.</summary>
    public bool TryAndsImmediate(A64Width width, A64Register rd, A64Register rn, ulong imm) => TryLogicalImmediate("ANDS (immediate)", LogicalOp.Ands, width, rd, rn, imm, false);

    // ---------------------------------------------------------------- Data processing (1, 2 and 3 sources)

    private void DataProcessing1Source(string form, uint opcode, A64Width width, A64Register rd, A64Register rn)
    {
        uint d = Zr(form, nameof(rd), rd), n = Zr(form, nameof(rn), rn);
        Emit(Sf(width) | 0x5AC00000u | (opcode << 10) | (n << 5) | d);
    }

    /// <summary>REV16: swaps the bytes of each halfword.</summary>
    public void Rev16(A64Width width, A64Register rd, A64Register rn) => DataProcessing1Source("REV16", 0b000001, width, rd, rn);

    /// <summary>REV32 (64-bit only): swaps the bytes of each word.</summary>
    public void Rev32(A64Register rd, A64Register rn) => DataProcessing1Source("REV32", 0b000010, A64Width.X64, rd, rn);

    /// <summary>REV: reverses all bytes of the register (REV Wd for 32 bits, REV Xd for 64).</summary>
    public void Rev(A64Width width, A64Register rd, A64Register rn) => DataProcessing1Source("REV", width == A64Width.X64 ? 0b000011u : 0b000010u, width, rd, rn);

    /// <summary>RBIT: reverses the bits.</summary>
    public void Rbit(A64Width width, A64Register rd, A64Register rn) => DataProcessing1Source("RBIT", 0b000000, width, rd, rn);

    /// <summary>CLZ: counts leading zeros.</summary>
    public void Clz(A64Width width, A64Register rd, A64Register rn) => DataProcessing1Source("CLZ", 0b000100, width, rd, rn);

    private void DataProcessing2Source(string form, uint opcode, A64Width width, A64Register rd, A64Register rn, A64Register rm)
    {
        uint d = Zr(form, nameof(rd), rd), n = Zr(form, nameof(rn), rn), m = Zr(form, nameof(rm), rm);
        Emit(Sf(width) | 0x1AC00000u | (m << 16) | (opcode << 10) | (n << 5) | d);
    }

    /// <summary>UDIV (a zero divisor gives 0).</summary>
    public void Udiv(A64Width width, A64Register rd, A64Register rn, A64Register rm) => DataProcessing2Source("UDIV", 0b000010, width, rd, rn, rm);

    /// <summary>SDIV (a zero divisor gives 0, MIN / -1 gives MIN).</summary>
    public void Sdiv(A64Width width, A64Register rd, A64Register rn, A64Register rm) => DataProcessing2Source("SDIV", 0b000011, width, rd, rn, rm);

    /// <summary>LSLV: shift left by rm modulo the width.</summary>
    public void Lslv(A64Width width, A64Register rd, A64Register rn, A64Register rm) => DataProcessing2Source("LSLV", 0b001000, width, rd, rn, rm);

    /// <summary>LSRV: logical shift right by rm modulo the width.</summary>
    public void Lsrv(A64Width width, A64Register rd, A64Register rn, A64Register rm) => DataProcessing2Source("LSRV", 0b001001, width, rd, rn, rm);

    /// <summary>ASRV: arithmetic shift right by rm modulo the width.</summary>
    public void Asrv(A64Width width, A64Register rd, A64Register rn, A64Register rm) => DataProcessing2Source("ASRV", 0b001010, width, rd, rn, rm);

    /// <summary>RORV: rotate right by rm modulo the width.</summary>
    public void Rorv(A64Width width, A64Register rd, A64Register rn, A64Register rm) => DataProcessing2Source("RORV", 0b001011, width, rd, rn, rm);

    private void DataProcessing3Source(string form, bool subtract, A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Register ra)
    {
        uint d = Zr(form, nameof(rd), rd), n = Zr(form, nameof(rn), rn), m = Zr(form, nameof(rm), rm), a = Zr(form, nameof(ra), ra);
        Emit(Sf(width) | 0x1B000000u | (m << 16) | (subtract ? 1u << 15 : 0) | (a << 10) | (n << 5) | d);
    }

    /// <summary>MADD: <c>rd = ra + rn * rm</c>.</summary>
    public void Madd(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Register ra) => DataProcessing3Source("MADD", false, width, rd, rn, rm, ra);

    /// <summary>MSUB: <c>rd = ra - rn * rm</c> (the remainder after a division).</summary>
    public void Msub(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Register ra) => DataProcessing3Source("MSUB", true, width, rd, rn, rm, ra);

    /// <summary>MUL = MADD rd, rn, rm, ZR.</summary>
    public void Mul(A64Width width, A64Register rd, A64Register rn, A64Register rm) => DataProcessing3Source("MUL", false, width, rd, rn, rm, A64Register.Zr);

    // ---------------------------------------------------------------- Bitfield

    private void Bitfield(string form, uint opc, A64Width width, A64Register rd, A64Register rn, int immr, int imms)
    {
        uint d = Zr(form, nameof(rd), rd), n = Zr(form, nameof(rn), rn);
        int bits = Bits(width);
        if ((uint)immr >= (uint)bits) Fail(form, nameof(immr), immr, $"must be 0..{bits - 1}");
        if ((uint)imms >= (uint)bits) Fail(form, nameof(imms), imms, $"must be 0..{bits - 1}");
        uint nBit = width == A64Width.X64 ? 1u << 22 : 0;
        Emit(Sf(width) | 0x13000000u | (opc << 29) | nBit | ((uint)immr << 16) | ((uint)imms << 10) | (n << 5) | d);
    }

    /// <summary>SBFM: signed bitfield move.</summary>
    public void Sbfm(A64Width width, A64Register rd, A64Register rn, int immr, int imms) => Bitfield("SBFM", 0b00, width, rd, rn, immr, imms);

    /// <summary>BFM: bitfield move keeping the other bits of rd.</summary>
    public void Bfm(A64Width width, A64Register rd, A64Register rn, int immr, int imms) => Bitfield("BFM", 0b01, width, rd, rn, immr, imms);

    /// <summary>UBFM: unsigned bitfield move.</summary>
    public void Ubfm(A64Width width, A64Register rd, A64Register rn, int immr, int imms) => Bitfield("UBFM", 0b10, width, rd, rn, immr, imms);

    /// <summary>LSL (immediate) = UBFM rd, rn, #(-shift mod width), #(width-1-shift).</summary>
    public void LslImmediate(A64Width width, A64Register rd, A64Register rn, int shift)
    {
        int bits = Bits(width);
        if ((uint)shift >= (uint)bits) Fail("LSL (immediate)", nameof(shift), shift, $"must be 0..{bits - 1}");
        Bitfield("LSL (immediate)", 0b10, width, rd, rn, (bits - shift) & (bits - 1), bits - 1 - shift);
    }

    /// <summary>LSR (immediate) = UBFM rd, rn, #shift, #(width-1).</summary>
    public void LsrImmediate(A64Width width, A64Register rd, A64Register rn, int shift)
    {
        int bits = Bits(width);
        if ((uint)shift >= (uint)bits) Fail("LSR (immediate)", nameof(shift), shift, $"must be 0..{bits - 1}");
        Bitfield("LSR (immediate)", 0b10, width, rd, rn, shift, bits - 1);
    }

    /// <summary>ASR (immediate) = SBFM rd, rn, #shift, #(width-1).</summary>
    public void AsrImmediate(A64Width width, A64Register rd, A64Register rn, int shift)
    {
        int bits = Bits(width);
        if ((uint)shift >= (uint)bits) Fail("ASR (immediate)", nameof(shift), shift, $"must be 0..{bits - 1}");
        Bitfield("ASR (immediate)", 0b00, width, rd, rn, shift, bits - 1);
    }

    /// <summary>UBFX = UBFM rd, rn, #lsb, #(lsb+width-1): extracts <paramref name="fieldWidth"/> bits at <paramref name="lsb"/>, zero-extended.</summary>
    public void Ubfx(A64Width width, A64Register rd, A64Register rn, int lsb, int fieldWidth)
    {
        BitfieldRange("UBFX", width, lsb, fieldWidth);
        Bitfield("UBFX", 0b10, width, rd, rn, lsb, lsb + fieldWidth - 1);
    }

    /// <summary>SBFX = SBFM rd, rn, #lsb, #(lsb+width-1): extracts bits, sign-extended.</summary>
    public void Sbfx(A64Width width, A64Register rd, A64Register rn, int lsb, int fieldWidth)
    {
        BitfieldRange("SBFX", width, lsb, fieldWidth);
        Bitfield("SBFX", 0b00, width, rd, rn, lsb, lsb + fieldWidth - 1);
    }

    /// <summary>BFI = BFM rd, rn, #(-lsb mod width), #(fieldWidth-1): inserts the low bits of rn at <paramref name="lsb"/>.</summary>
    public void Bfi(A64Width width, A64Register rd, A64Register rn, int lsb, int fieldWidth)
    {
        BitfieldRange("BFI", width, lsb, fieldWidth);
        int bits = Bits(width);
        Bitfield("BFI", 0b01, width, rd, rn, (bits - lsb) & (bits - 1), fieldWidth - 1);
    }

    /// <summary>UXTB = UBFM Wd, Wn, #0, #7 (zero-extends the low byte; writing Wd clears the upper 32 bits).</summary>
    public void Uxtb(A64Register rd, A64Register rn) => Bitfield("UXTB", 0b10, A64Width.W32, rd, rn, 0, 7);

    /// <summary>UXTH = UBFM Wd, Wn, #0, #15.</summary>
    public void Uxth(A64Register rd, A64Register rn) => Bitfield("UXTH", 0b10, A64Width.W32, rd, rn, 0, 15);

    /// <summary>UXTW = UBFM Xd, Xn, #0, #31 (disassembled as <c>ubfx x, x, #0, #32</c>).</summary>
    public void Uxtw(A64Register rd, A64Register rn) => Bitfield("UXTW", 0b10, A64Width.X64, rd, rn, 0, 31);

    /// <summary>SXTB = SBFM rd, rn, #0, #7 (to a W or an X register).</summary>
    public void Sxtb(A64Width width, A64Register rd, A64Register rn) => Bitfield("SXTB", 0b00, width, rd, rn, 0, 7);

    /// <summary>SXTH = SBFM rd, rn, #0, #15.</summary>
    public void Sxth(A64Width width, A64Register rd, A64Register rn) => Bitfield("SXTH", 0b00, width, rd, rn, 0, 15);

    /// <summary>SXTW = SBFM Xd, Xn, #0, #31.</summary>
    public void Sxtw(A64Register rd, A64Register rn) => Bitfield("SXTW", 0b00, A64Width.X64, rd, rn, 0, 31);

    // ---------------------------------------------------------------- Loads and stores

    /// <summary>opc of the single-register load/store groups.</summary>
    private enum LoadStoreOp : uint { Store = 0b00, Load = 0b01, LoadSigned64 = 0b10, LoadSigned32 = 0b11 }

    private static LoadStoreOp SignedOp(string form, A64MemSize size, A64Width width)
    {
        if (size == A64MemSize.Double) Fail(form, nameof(size), size, "a sign-extending load is of 1, 2 or 4 bytes");
        if (size == A64MemSize.Word && width == A64Width.W32) Fail(form, nameof(width), width, "LDRSW loads into an X register");
        return width == A64Width.X64 ? LoadStoreOp.LoadSigned64 : LoadStoreOp.LoadSigned32;
    }

    private void LoadStoreUnsignedImmediate(string form, LoadStoreOp op, A64MemSize size, A64Register rt, A64Register rn, long offset)
    {
        uint t = Zr(form, nameof(rt), rt), n = SpReg(form, nameof(rn), rn);
        CheckSize(form, size);
        int scale = 1 << (int)size;
        if (offset < 0 || offset > 4095L * scale || offset % scale != 0)
            Fail(form, nameof(offset), offset, $"must be a multiple of {scale} in 0..{4095 * scale}");
        Emit(((uint)size << 30) | 0x39000000u | ((uint)op << 22) | ((uint)(offset / scale) << 10) | (n << 5) | t);
    }

    /// <summary>LDR/LDRB/LDRH (unsigned immediate): zero-extending load of <paramref name="size"/> from <c>[rn, #offset]</c>, offset scaled by the size.</summary>
    public void LdrImmediate(A64MemSize size, A64Register rt, A64Register rn, long offset = 0) => LoadStoreUnsignedImmediate("LDR (unsigned immediate)", LoadStoreOp.Load, size, rt, rn, offset);

    /// <summary>STR/STRB/STRH (unsigned immediate).</summary>
    public void StrImmediate(A64MemSize size, A64Register rt, A64Register rn, long offset = 0) => LoadStoreUnsignedImmediate("STR (unsigned immediate)", LoadStoreOp.Store, size, rt, rn, offset);

    /// <summary>LDRSB/LDRSH/LDRSW (unsigned immediate): sign-extending load into a W or X register.</summary>
    public void LdrsImmediate(A64MemSize size, A64Width width, A64Register rt, A64Register rn, long offset = 0) =>
        LoadStoreUnsignedImmediate("LDRS (unsigned immediate)", SignedOp("LDRS (unsigned immediate)", size, width), size, rt, rn, offset);

    private void LoadStoreRegisterOffset(string form, LoadStoreOp op, A64MemSize size, A64Register rt, A64Register rn, A64Register rm, bool scaled)
    {
        uint t = Zr(form, nameof(rt), rt), n = SpReg(form, nameof(rn), rn), m = Zr(form, nameof(rm), rm);
        CheckSize(form, size);
        const uint optionLsl = 0b011;
        Emit(((uint)size << 30) | 0x38200800u | ((uint)op << 22) | (m << 16) | (optionLsl << 13) | (scaled ? 1u << 12 : 0) | (n << 5) | t);
    }

    /// <summary>LDR/LDRB/LDRH (register): load from <c>[rn, rm]</c>, or <c>[rn, rm, lsl #log2(size)]</c> when <paramref name="scaled"/>.</summary>
    public void LdrRegister(A64MemSize size, A64Register rt, A64Register rn, A64Register rm, bool scaled = false) => LoadStoreRegisterOffset("LDR (register)", LoadStoreOp.Load, size, rt, rn, rm, scaled);

    /// <summary>STR/STRB/STRH (register).</summary>
    public void StrRegister(A64MemSize size, A64Register rt, A64Register rn, A64Register rm, bool scaled = false) => LoadStoreRegisterOffset("STR (register)", LoadStoreOp.Store, size, rt, rn, rm, scaled);

    /// <summary>LDRSB/LDRSH/LDRSW (register).</summary>
    public void LdrsRegister(A64MemSize size, A64Width width, A64Register rt, A64Register rn, A64Register rm, bool scaled = false) =>
        LoadStoreRegisterOffset("LDRS (register)", SignedOp("LDRS (register)", size, width), size, rt, rn, rm, scaled);

    private void LoadStoreUnscaled(string form, LoadStoreOp op, A64MemSize size, A64Register rt, A64Register rn, long offset)
    {
        uint t = Zr(form, nameof(rt), rt), n = SpReg(form, nameof(rn), rn);
        CheckSize(form, size);
        if (offset < -256 || offset > 255) Fail(form, nameof(offset), offset, "must be -256..255");
        Emit(((uint)size << 30) | 0x38000000u | ((uint)op << 22) | (((uint)offset & 0x1ff) << 12) | (n << 5) | t);
    }

    /// <summary>LDUR/LDURB/LDURH: load from <c>[rn, #offset]</c>, offset unscaled in -256..255.</summary>
    public void Ldur(A64MemSize size, A64Register rt, A64Register rn, long offset) => LoadStoreUnscaled("LDUR", LoadStoreOp.Load, size, rt, rn, offset);

    /// <summary>STUR/STURB/STURH.</summary>
    public void Stur(A64MemSize size, A64Register rt, A64Register rn, long offset) => LoadStoreUnscaled("STUR", LoadStoreOp.Store, size, rt, rn, offset);

    /// <summary>LDURSB/LDURSH/LDURSW.</summary>
    public void Ldurs(A64MemSize size, A64Width width, A64Register rt, A64Register rn, long offset) =>
        LoadStoreUnscaled("LDURS", SignedOp("LDURS", size, width), size, rt, rn, offset);

    private void LoadStorePair(string form, bool load, A64Width width, A64Register rt, A64Register rt2, A64Register rn, long offset, A64PairMode mode)
    {
        uint t = Zr(form, nameof(rt), rt), t2 = Zr(form, nameof(rt2), rt2), n = SpReg(form, nameof(rn), rn);
        if (mode is not (A64PairMode.PostIndex or A64PairMode.SignedOffset or A64PairMode.PreIndex)) Fail(form, nameof(mode), mode, "not an addressing mode");
        int scale = width == A64Width.X64 ? 8 : 4;
        if (offset < -64L * scale || offset > 63L * scale || offset % scale != 0)
            Fail(form, nameof(offset), offset, $"must be a multiple of {scale} in {-64 * scale}..{63 * scale}");
        if (load && t == t2) Fail(form, nameof(rt2), rt2, "LDP with rt2 = rt is unpredictable");
        if (mode != A64PairMode.SignedOffset && n != 31 && (n == t || n == t2))
            Fail(form, nameof(rn), rn, "writeback to a transfer register is unpredictable");
        uint opc = width == A64Width.X64 ? 0b10u : 0b00u;
        Emit((opc << 30) | 0x28000000u | ((uint)mode << 23) | (load ? 1u << 22 : 0) | (((uint)(offset / scale) & 0x7f) << 15) | (t2 << 10) | (n << 5) | t);
    }

    /// <summary>LDP: loads rt and rt2 from consecutive words/doublewords; pre/post-index modes pop a frame.</summary>
    public void Ldp(A64Width width, A64Register rt, A64Register rt2, A64Register rn, long offset, A64PairMode mode = A64PairMode.SignedOffset) => LoadStorePair("LDP", true, width, rt, rt2, rn, offset, mode);

    /// <summary>STP: stores rt and rt2; <c>stp x29, x30, [sp, #-16]!</c> pushes a frame.</summary>
    public void Stp(A64Width width, A64Register rt, A64Register rt2, A64Register rn, long offset, A64PairMode mode = A64PairMode.SignedOffset) => LoadStorePair("STP", false, width, rt, rt2, rn, offset, mode);

    // ---------------------------------------------------------------- Exclusives and LSE atomics

    private void LoadStoreExclusive(string form, bool load, bool ordered, A64MemSize size, A64Register rs, A64Register rt, A64Register rn)
    {
        uint t = Zr(form, nameof(rt), rt), n = SpReg(form, nameof(rn), rn);
        uint s = 31;
        CheckSize(form, size);
        if (!load)
        {
            s = Zr(form, nameof(rs), rs);
            if (s == t || (s == n && n != 31)) Fail(form, nameof(rs), rs, "the status register must differ from rt and rn");
        }
        Emit(((uint)size << 30) | 0x08000000u | (load ? 1u << 22 : 0) | (s << 16) | (ordered ? 1u << 15 : 0) | (31u << 10) | (n << 5) | t);
    }

    /// <summary>LDXR/LDXRB/LDXRH: load exclusive from <c>[rn]</c>.</summary>
    public void Ldxr(A64MemSize size, A64Register rt, A64Register rn) => LoadStoreExclusive("LDXR", true, false, size, A64Register.Zr, rt, rn);

    /// <summary>LDAXR: load-acquire exclusive.</summary>
    public void Ldaxr(A64MemSize size, A64Register rt, A64Register rn) => LoadStoreExclusive("LDAXR", true, true, size, A64Register.Zr, rt, rn);

    /// <summary>STXR: store exclusive; Ws = 0 on success, 1 on failure.</summary>
    public void Stxr(A64MemSize size, A64Register rs, A64Register rt, A64Register rn) => LoadStoreExclusive("STXR", false, false, size, rs, rt, rn);

    /// <summary>STLXR: store-release exclusive.</summary>
    public void Stlxr(A64MemSize size, A64Register rs, A64Register rt, A64Register rn) => LoadStoreExclusive("STLXR", false, true, size, rs, rt, rn);

    /// <summary>
    /// LSE atomic memory operation (LDADD, LDCLR, LDEOR, LDSET, SWP and their A/L/AL, B/H variants):
    /// <c>rt = [rn]; [rn] = [rn] op rs</c> atomically.
    /// </summary>
    public void AtomicMemory(A64AtomicOp op, A64Ordering ordering, A64MemSize size, A64Register rs, A64Register rt, A64Register rn)
    {
        const string form = "LSE atomic";
        uint s = Zr(form, nameof(rs), rs), t = Zr(form, nameof(rt), rt), n = SpReg(form, nameof(rn), rn);
        CheckSize(form, size);
        if (op is not (A64AtomicOp.Add or A64AtomicOp.Clr or A64AtomicOp.Eor or A64AtomicOp.Set or A64AtomicOp.Swp)) Fail(form, nameof(op), op, "not an atomic operation");
        if (ordering > A64Ordering.AcquireRelease) Fail(form, nameof(ordering), ordering, "not an ordering");
        uint a = ((uint)ordering & 1) << 23, r = ((uint)ordering >> 1) << 22;
        Emit(((uint)size << 30) | 0x38200000u | a | r | (s << 16) | ((uint)op << 12) | (n << 5) | t);
    }

    /// <summary>LDADD / LDADDAL…: <c>rt = [rn]; [rn] += rs</c>.</summary>
    public void Ldadd(A64MemSize size, A64Register rs, A64Register rt, A64Register rn, A64Ordering ordering = A64Ordering.None) => AtomicMemory(A64AtomicOp.Add, ordering, size, rs, rt, rn);

    /// <summary>LDCLR: <c>[rn] &amp;= ~rs</c>.</summary>
    public void Ldclr(A64MemSize size, A64Register rs, A64Register rt, A64Register rn, A64Ordering ordering = A64Ordering.None) => AtomicMemory(A64AtomicOp.Clr, ordering, size, rs, rt, rn);

    /// <summary>LDEOR: <c>[rn] ^= rs</c>.</summary>
    public void Ldeor(A64MemSize size, A64Register rs, A64Register rt, A64Register rn, A64Ordering ordering = A64Ordering.None) => AtomicMemory(A64AtomicOp.Eor, ordering, size, rs, rt, rn);

    /// <summary>LDSET: <c>[rn] |= rs</c>.</summary>
    public void Ldset(A64MemSize size, A64Register rs, A64Register rt, A64Register rn, A64Ordering ordering = A64Ordering.None) => AtomicMemory(A64AtomicOp.Set, ordering, size, rs, rt, rn);

    /// <summary>SWP: <c>rt = [rn]; [rn] = rs</c>.</summary>
    public void Swp(A64MemSize size, A64Register rs, A64Register rt, A64Register rn, A64Ordering ordering = A64Ordering.None) => AtomicMemory(A64AtomicOp.Swp, ordering, size, rs, rt, rn);

    /// <summary>CAS / CASA / CASL / CASAL (B/H variants by size): if <c>[rn] == rs</c> then <c>[rn] = rt</c>; rs receives the old value.</summary>
    public void Cas(A64MemSize size, A64Register rs, A64Register rt, A64Register rn, A64Ordering ordering = A64Ordering.None)
    {
        const string form = "CAS";
        uint s = Zr(form, nameof(rs), rs), t = Zr(form, nameof(rt), rt), n = SpReg(form, nameof(rn), rn);
        CheckSize(form, size);
        if (ordering > A64Ordering.AcquireRelease) Fail(form, nameof(ordering), ordering, "not an ordering");
        uint l = ((uint)ordering & 1) << 22, o0 = ((uint)ordering >> 1) << 15;
        Emit(((uint)size << 30) | 0x08A07C00u | l | (s << 16) | o0 | (n << 5) | t);
    }

    // ---------------------------------------------------------------- Branches

    private void UnconditionalBranchImmediate(string form, bool link, long words)
    {
        CheckBranch(form, words, 26);
        Emit((link ? 0x94000000u : 0x14000000u) | ((uint)words & 0x03ffffff));
    }

    /// <summary>B: branch by <paramref name="words"/> instructions (±32 MiB).</summary>
    public void B(long words) => UnconditionalBranchImmediate("B", false, words);

    /// <summary>BL: branch with link (return address in X30).</summary>
    public void Bl(long words) => UnconditionalBranchImmediate("BL", true, words);

    /// <summary>B.cond: conditional branch by <paramref name="words"/> (±1 MiB).</summary>
    public void BCond(A64Condition cond, long words)
    {
        if (cond > A64Condition.Nv) Fail("B.cond", nameof(cond), cond, "not a condition");
        CheckBranch("B.cond", words, 19);
        Emit(0x54000000u | (((uint)words & 0x7ffff) << 5) | (uint)cond);
    }

    private void CompareAndBranch(string form, bool nonZero, A64Width width, A64Register rt, long words)
    {
        uint t = Zr(form, nameof(rt), rt);
        CheckBranch(form, words, 19);
        Emit(Sf(width) | 0x34000000u | (nonZero ? 1u << 24 : 0) | (((uint)words & 0x7ffff) << 5) | t);
    }

    /// <summary>CBZ: branch if rt is zero (±1 MiB).</summary>
    public void Cbz(A64Width width, A64Register rt, long words) => CompareAndBranch("CBZ", false, width, rt, words);

    /// <summary>CBNZ: branch if rt is not zero.</summary>
    public void Cbnz(A64Width width, A64Register rt, long words) => CompareAndBranch("CBNZ", true, width, rt, words);

    private void TestAndBranch(string form, bool nonZero, A64Register rt, int bit, long words)
    {
        uint t = Zr(form, nameof(rt), rt);
        if ((uint)bit > 63) Fail(form, nameof(bit), bit, "must be 0..63");
        CheckBranch(form, words, 14);
        Emit(((uint)(bit >> 5) << 31) | 0x36000000u | (nonZero ? 1u << 24 : 0) | ((uint)(bit & 31) << 19) | (((uint)words & 0x3fff) << 5) | t);
    }

    /// <summary>TBZ: branch if bit <paramref name="bit"/> of rt is zero (±32 KiB).</summary>
    public void Tbz(A64Register rt, int bit, long words) => TestAndBranch("TBZ", false, rt, bit, words);

    /// <summary>TBNZ: branch if bit <paramref name="bit"/> of rt is one.</summary>
    public void Tbnz(A64Register rt, int bit, long words) => TestAndBranch("TBNZ", true, rt, bit, words);

    private void UnconditionalBranchRegister(string form, uint opc, A64Register rn)
    {
        uint n = Zr(form, nameof(rn), rn);
        Emit(0xD61F0000u | (opc << 21) | (n << 5));
    }

    /// <summary>BR: branch to the address in rn.</summary>
    public void Br(A64Register rn) => UnconditionalBranchRegister("BR", 0b0000, rn);

    /// <summary>BLR: call the address in rn.</summary>
    public void Blr(A64Register rn) => UnconditionalBranchRegister("BLR", 0b0001, rn);

    /// <summary>RET: return to the address in rn (X30 by default).</summary>
    public void Ret(A64Register rn = A64Register.Lr) => UnconditionalBranchRegister("RET", 0b0010, rn);

    // ---------------------------------------------------------------- Conditional select

    private void ConditionalSelect(string form, bool invert, bool increment, A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Condition cond)
    {
        uint d = Zr(form, nameof(rd), rd), n = Zr(form, nameof(rn), rn), m = Zr(form, nameof(rm), rm);
        if (cond > A64Condition.Nv) Fail(form, nameof(cond), cond, "not a condition");
        Emit(Sf(width) | 0x1A800000u | (invert ? 1u << 30 : 0) | (m << 16) | ((uint)cond << 12) | (increment ? 1u << 10 : 0) | (n << 5) | d);
    }

    /// <summary>CSEL: <c>rd = cond ? rn : rm</c>.</summary>
    public void Csel(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Condition cond) => ConditionalSelect("CSEL", false, false, width, rd, rn, rm, cond);

    /// <summary>CSINC: <c>rd = cond ? rn : rm + 1</c>.</summary>
    public void Csinc(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Condition cond) => ConditionalSelect("CSINC", false, true, width, rd, rn, rm, cond);

    /// <summary>CSINV: <c>rd = cond ? rn : ~rm</c>.</summary>
    public void Csinv(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Condition cond) => ConditionalSelect("CSINV", true, false, width, rd, rn, rm, cond);

    /// <summary>CSNEG: <c>rd = cond ? rn : -rm</c>.</summary>
    public void Csneg(A64Width width, A64Register rd, A64Register rn, A64Register rm, A64Condition cond) => ConditionalSelect("CSNEG", true, true, width, rd, rn, rm, cond);

    /// <summary>CSET = CSINC rd, ZR, ZR, !cond: <c>rd = cond ? 1 : 0</c> (cond not AL/NV).</summary>
    public void Cset(A64Width width, A64Register rd, A64Condition cond)
    {
        if (cond >= A64Condition.Al) Fail("CSET", nameof(cond), cond, "must not be AL or NV");
        ConditionalSelect("CSET", false, true, width, rd, A64Register.Zr, A64Register.Zr, Invert(cond));
    }

    /// <summary>CSETM = CSINV rd, ZR, ZR, !cond: <c>rd = cond ? -1 : 0</c>.</summary>
    public void Csetm(A64Width width, A64Register rd, A64Condition cond)
    {
        if (cond >= A64Condition.Al) Fail("CSETM", nameof(cond), cond, "must not be AL or NV");
        ConditionalSelect("CSETM", true, false, width, rd, A64Register.Zr, A64Register.Zr, Invert(cond));
    }

    /// <summary>The opposite condition (EQ ↔ NE, HS ↔ LO…).</summary>
    public static A64Condition Invert(A64Condition cond) => (A64Condition)((uint)cond ^ 1);

    // ---------------------------------------------------------------- PC-relative addressing

    private void PcRelativeAddress(string form, bool page, A64Register rd, long imm21)
    {
        uint d = Zr(form, nameof(rd), rd);
        Emit((page ? 0x90000000u : 0x10000000u) | (((uint)imm21 & 3) << 29) | ((((uint)imm21 >> 2) & 0x7ffff) << 5) | d);
    }

    /// <summary>ADR: <c>rd = pc + bytes</c> (±1 MiB).</summary>
    public void Adr(A64Register rd, long bytes)
    {
        if (bytes < -(1L << 20) || bytes >= 1L << 20) Fail("ADR", nameof(bytes), bytes, "must be -1048576..1048575");
        PcRelativeAddress("ADR", false, rd, bytes);
    }

    /// <summary>ADRP: <c>rd = (pc &amp; ~0xfff) + pages * 4096</c> (±4 GiB).</summary>
    public void Adrp(A64Register rd, long pages)
    {
        if (pages < -(1L << 20) || pages >= 1L << 20) Fail("ADRP", nameof(pages), pages, "must be -1048576..1048575");
        PcRelativeAddress("ADRP", true, rd, pages);
    }

    // ---------------------------------------------------------------- System and exceptions

    /// <summary>NOP.</summary>
    public void Nop() => Emit(0xD503201Fu);

    /// <summary>DMB: data memory barrier over <paramref name="domain"/> (CRm option, e.g. <see cref="A64Barrier.Ish"/>).</summary>
    public void Dmb(A64Barrier domain)
    {
        if ((uint)domain > 15) Fail("DMB", nameof(domain), domain, "must be a 4-bit option");
        Emit(0xD50330BFu | ((uint)domain << 8));
    }

    private void ExceptionGeneration(string form, uint baseWord, ulong imm16)
    {
        if (imm16 > 0xffff) Fail(form, nameof(imm16), imm16, "must fit in 16 bits");
        Emit(baseWord | ((uint)imm16 << 5));
    }

    /// <summary>BRK: breakpoint exception with a 16-bit comment.</summary>
    public void Brk(ulong imm16) => ExceptionGeneration("BRK", 0xD4200000u, imm16);

    /// <summary>SVC: supervisor call.</summary>
    public void Svc(ulong imm16) => ExceptionGeneration("SVC", 0xD4000001u, imm16);

    /// <summary>HVC: hypervisor call.</summary>
    public void Hvc(ulong imm16) => ExceptionGeneration("HVC", 0xD4000002u, imm16);

    // ---------------------------------------------------------------- Field checks

    private static uint Sf(A64Width width) => width switch
    {
        A64Width.X64 => 1u << 31,
        A64Width.W32 => 0,
        _ => Fail<uint>("A64", nameof(width), width, "not a width"),
    };

    private static int Bits(A64Width width) => width == A64Width.X64 ? 64 : 32;

    /// <summary>A register field where 31 is the zero register.</summary>
    private static uint Zr(string form, string name, A64Register r)
    {
        if ((uint)r > 31) Fail(form, name, r, "must be X0–X30 or ZR here (register 31 is the zero register in this field)");
        return (uint)r;
    }

    /// <summary>A register field where 31 is the stack pointer.</summary>
    private static uint SpReg(string form, string name, A64Register r)
    {
        if (r == A64Register.Sp) return 31;
        if ((uint)r > 30) Fail(form, name, r, "must be X0–X30 or SP here (register 31 is the stack pointer in this field)");
        return (uint)r;
    }

    private static void CheckSize(string form, A64MemSize size)
    {
        if (size > A64MemSize.Double) Fail(form, nameof(size), size, "not an access size");
    }

    private static void ShiftAmount(string form, A64Width width, int amount)
    {
        int bits = Bits(width);
        if ((uint)amount >= (uint)bits) Fail(form, nameof(amount), amount, $"shift amount must be 0..{bits - 1}");
    }

    private static void BitfieldRange(string form, A64Width width, int lsb, int fieldWidth)
    {
        int bits = Bits(width);
        if ((uint)lsb >= (uint)bits) Fail(form, nameof(lsb), lsb, $"must be 0..{bits - 1}");
        if (fieldWidth < 1 || fieldWidth > bits - lsb) Fail(form, nameof(fieldWidth), fieldWidth, $"must be 1..{bits - lsb}");
    }

    private static void CheckBranch(string form, long words, int bits)
    {
        long limit = 1L << (bits - 1);
        if (words < -limit || words >= limit) Fail(form, nameof(words), words, $"branch distance must be {-limit}..{limit - 1} instructions");
    }

    [DoesNotReturn]
    private static void Fail(string form, string name, object value, string rule) =>
        throw new ArgumentOutOfRangeException(name, value, $"{form}: {name} = {value} {rule}");

    [DoesNotReturn]
    private static T Fail<T>(string form, string name, object value, string rule) =>
        throw new ArgumentOutOfRangeException(name, value, $"{form}: {name} = {value} {rule}");

    /// <summary>Whether <paramref name="value"/> fits ADD/SUB (immediate): 12 bits, optionally shifted by 12.</summary>
    public static bool IsAddSubImmediate(ulong value) => value <= 0xfff || ((value & 0xfff) == 0 && value >> 12 <= 0xfff);
}
