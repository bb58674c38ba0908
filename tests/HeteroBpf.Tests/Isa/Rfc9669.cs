namespace HeteroBpf.Tests.Isa;

/// <summary>
/// The instruction encoding and opcode list of RFC 9669, written out on the test side so that the decoder and the
/// validity table are checked against the RFC, not against themselves.
/// </summary>
internal static class Rfc9669
{
    /// <summary>
    /// Encodes one slot as RFC 9669 section 3 lays it out, little-endian: opcode byte; dst register in the low nibble
    /// and src register in the high nibble of byte 1; signed 16-bit offset; signed 32-bit immediate.
    /// </summary>
    public static byte[] Slot(int opcode, int dst, int src, int offset, int imm) =>
    [
        (byte)opcode,
        (byte)((dst & 0x0f) | ((src & 0x0f) << 4)),
        (byte)offset, (byte)(offset >> 8),
        (byte)imm, (byte)(imm >> 8), (byte)(imm >> 16), (byte)(imm >> 24),
    ];

    /// <summary>Concatenates slots into bytecode.</summary>
    public static byte[] Program(params byte[][] slots) => slots.SelectMany(s => s).ToArray();

    // Opcode bytes used by the tests, spelled as the RFC's appendix lists them.
    public const int Add64Imm = 0x07, Add64Reg = 0x0f, Add32Imm = 0x04;
    public const int Mov64Imm = 0xb7, Mov64Reg = 0xbf, Mov32Reg = 0xbc;
    public const int Sdiv64Imm = 0x37, Neg64 = 0x87, Le = 0xd4, Be = 0xdc, Bswap64 = 0xd7;
    public const int Ja = 0x05, Gotol = 0x06, JeqImm = 0x15, JeqReg = 0x1d, Jeq32Imm = 0x16, Call = 0x85, Exit = 0x95;
    public const int Lddw = 0x18, LdAbsW = 0x20;
    public const int LdxW = 0x61, LdxDw = 0x79, LdxSxB = 0x91, StW = 0x62, StxW = 0x63, StxDw = 0x7b;
    public const int AtomicW = 0xc3, AtomicDw = 0xdb;

    /// <summary><c>r0 = 0</c>, a filler slot that is valid anywhere.</summary>
    public static byte[] MovR0Zero => Slot(Mov64Imm, 0, 0, 0, 0);

    /// <summary><c>exit</c>.</summary>
    public static byte[] ExitSlot => Slot(Exit, 0, 0, 0, 0);

    /// <summary>
    /// Every opcode byte RFC 9669 defines (appendix A), built from its tables: ALU/ALU64 operations with K and X
    /// sources, NEG (K only), the three byte-swap encodings, JMP/JMP32 compares with both sources, JA/gotol,
    /// CALL and EXIT (JMP only), LDDW, the legacy ABS/IND packet loads (W, H, B), LDX/ST/STX in all four sizes,
    /// sign-extending LDX (B, H, W) and the 32/64-bit atomics.
    /// </summary>
    public static IReadOnlySet<byte> Opcodes { get; } = BuildOpcodes();

    /// <summary>Opcodes the decoder accepts beyond the RFC, each with why.</summary>
    public static IReadOnlyDictionary<byte, string> Extensions { get; } = new Dictionary<byte, string>
    {
        [0x8d] = "callx (call through a register): emitted by LLVM for indirect calls, not in RFC 9669",
    };

    private static HashSet<byte> BuildOpcodes()
    {
        var set = new HashSet<byte>();
        int[] aluOps = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0];
        foreach (int cls in new[] { 0x04, 0x07 })
        {
            foreach (int op in aluOps)
            {
                set.Add((byte)(cls | op));
                set.Add((byte)(cls | op | 0x08));
            }

            set.Add((byte)(cls | 0x80)); // NEG
        }

        set.Add(0xd4); // le
        set.Add(0xdc); // be
        set.Add(0xd7); // bswap

        int[] compares = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
        foreach (int cls in new[] { 0x05, 0x06 })
        {
            foreach (int op in compares)
            {
                set.Add((byte)(cls | op));
                set.Add((byte)(cls | op | 0x08));
            }

            set.Add((byte)cls); // JA (JMP) and gotol (JMP32)
        }

        set.Add(0x85); // call
        set.Add(0x95); // exit

        set.Add(0x18); // lddw
        foreach (int size in new[] { 0x00, 0x08, 0x10 })
        {
            set.Add((byte)(0x20 | size)); // LD ABS
            set.Add((byte)(0x40 | size)); // LD IND
            set.Add((byte)(0x81 | size)); // LDX MEMSX
        }

        foreach (int size in new[] { 0x00, 0x08, 0x10, 0x18 })
        {
            set.Add((byte)(0x61 | size)); // LDX MEM
            set.Add((byte)(0x62 | size)); // ST MEM
            set.Add((byte)(0x63 | size)); // STX MEM
        }

        set.Add(0xc3); // STX ATOMIC W
        set.Add(0xdb); // STX ATOMIC DW
        return set;
    }

    /// <summary>The atomic operation immediates of RFC 9669 section 5.3 (with and without FETCH, XCHG, CMPXCHG).</summary>
    public static IReadOnlyList<int> AtomicImmediates { get; } = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];
}
