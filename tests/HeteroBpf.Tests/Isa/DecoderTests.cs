using HeteroBpf.Isa;
using static HeteroBpf.Tests.Isa.Rfc9669;

namespace HeteroBpf.Tests.Isa;

/// <summary>
/// <see cref="InstructionDecoder"/> against RFC 9669: every kind of bad bytecode is refused with the slot it is in, a
/// reason and its own <see cref="ErrorCode"/>; every encoding the RFC defines is accepted.
/// </summary>
public sealed class DecoderTests
{
    // The offending slot sits at index 1 in most cases so that a decoder reporting slot 0 (or none) is caught.
    private static byte[] AtSlot1(byte[] bad) => Program(MovR0Zero, bad, ExitSlot);

    private static DecodeError AssertRefused(byte[] bytecode, ErrorCode code, int slot, params string[] reasonParts)
    {
        Assert.False(InstructionDecoder.TryDecode(bytecode, out var program, out var error), "bytecode was accepted");
        Assert.Null(program);
        Assert.Equal(code, error.Code);
        Assert.Equal(slot, error.Slot);
        Assert.False(string.IsNullOrWhiteSpace(error.Reason));
        foreach (string part in reasonParts) Assert.Contains(part, error.Reason, StringComparison.OrdinalIgnoreCase);

        // The throwing form carries the same code and slot, and its message says where.
        var thrown = Assert.Throws<InvalidBytecodeException>(() => InstructionDecoder.Decode(bytecode));
        Assert.Equal(code, thrown.Code);
        Assert.Equal(slot, thrown.Location.Instruction);
        Assert.StartsWith($"insn {slot}: ", thrown.Message, StringComparison.Ordinal);
        return error;
    }

    private static Instruction[] AssertAccepted(byte[] bytecode)
    {
        bool ok = InstructionDecoder.TryDecode(bytecode, out var program, out var error);
        Assert.True(ok, $"refused: slot {error.Slot}: {error.Reason} ({error.Code})");
        Assert.Equal(bytecode.Length / 8, program!.Length);
        return program;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(15)]
    [InlineData(17)]
    public void LengthNotAMultipleOf8IsRefusedNamingTheLengthAndOffset(int length)
    {
        var bytes = Program(MovR0Zero, MovR0Zero, ExitSlot).AsSpan(0, length).ToArray();
        int partialSlot = length / 8;
        AssertRefused(bytes, ErrorCode.TruncatedBytecode, partialSlot, $"length {length}", $"offset {partialSlot * 8}");
    }

    [Fact]
    public void EmptyProgramIsRefused()
    {
        AssertRefused([], ErrorCode.EmptyProgram, 0);
    }

    /// <summary>Opcode bytes RFC 9669 gives no instruction, each with the rule that excludes it.</summary>
    public static TheoryData<byte, string> UndefinedOpcodes() => new()
    {
        { 0x00, "LD class only has the IMM mode with DW size (lddw)" },
        { 0x08, "LD IMM with H size" },
        { 0x60, "LD class has no MEM mode" },
        { 0x38, "legacy ABS loads have no DW size" },
        { 0x58, "legacy IND loads have no DW size" },
        { 0x99, "sign-extending loads have no DW size" },
        { 0xa1, "load mode 0xa0 is not defined" },
        { 0xe3, "store mode 0xe0 is not defined" },
        { 0x82, "ST has no sign-extending mode" },
        { 0xc2, "atomics are STX only" },
        { 0xd3, "no 8-bit atomics" },
        { 0xcb, "no 16-bit atomics" },
        { 0x8c, "NEG uses source 0 only" },
        { 0x8f, "NEG uses source 0 only" },
        { 0xdf, "64-bit bswap uses source 0 only" },
        { 0xe4, "ALU operation 0xe0 is not defined" },
        { 0xf7, "ALU64 operation 0xf0 is not defined" },
        { 0x0d, "JA uses source 0 only" },
        { 0x0e, "JMP32 JA (gotol) uses source 0 only" },
        { 0x86, "CALL is JMP class only" },
        { 0x96, "EXIT is JMP class only" },
        { 0x9d, "EXIT uses source 0 only" },
        { 0xe5, "jump operation 0xe0 is not defined" },
        { 0xf6, "JMP32 operation 0xf0 is not defined" },
    };

    [Theory]
    [MemberData(nameof(UndefinedOpcodes))]
    public void UndefinedOpcodeIsRefused(byte opcode, string why)
    {
        Assert.False(Rfc9669.Opcodes.Contains(opcode), why);
        AssertRefused(AtSlot1(Slot(opcode, 0, 0, 0, 0)), ErrorCode.UnknownOpcode, 1, $"0x{opcode:x2}");
    }

    /// <summary>Fields RFC 9669 requires to be zero, set non-zero.</summary>
    public static TheoryData<string, byte[]> ReservedFields() => new()
    {
        { "src on add64 with immediate", Slot(Add64Imm, 1, 2, 0, 5) },
        { "src on add32 with immediate", Slot(Add32Imm, 1, 2, 0, 5) },
        { "offset on add64 with register", Slot(Add64Reg, 1, 2, 1, 0) },
        { "offset on add64 with immediate", Slot(Add64Imm, 1, 0, -1, 5) },
        { "imm on add64 with register", Slot(Add64Reg, 1, 2, 0, 1) },
        { "offset on mov64 with immediate (movsx is register-only)", Slot(Mov64Imm, 1, 0, 8, 5) },
        { "imm on mov64 with register", Slot(Mov64Reg, 1, 2, 0, 7) },
        { "src on neg", Slot(Neg64, 1, 2, 0, 0) },
        { "src on le", Slot(Le, 1, 2, 0, 16) },
        { "offset on be", Slot(Be, 1, 0, 4, 32) },
        { "imm on jeq with register", Slot(JeqReg, 1, 2, 0, 3) },
        { "src on jeq with immediate", Slot(JeqImm, 1, 2, 0, 3) },
        { "imm on ja", Slot(Ja, 0, 0, 0, 1) },
        { "dst on ja", Slot(Ja, 1, 0, 0, 0) },
        { "offset on gotol", Slot(Gotol, 0, 0, 1, 0) },
        { "dst on call", Slot(Call, 1, 0, 0, 1) },
        { "offset on a helper call", Slot(Call, 0, 0, 1, 1) },
        { "dst on exit", Slot(Exit, 1, 0, 0, 0) },
        { "imm on exit", Slot(Exit, 0, 0, 0, 1) },
        { "imm on ldxw", Slot(LdxW, 1, 2, 0, 1) },
        { "src on stw (store of an immediate)", Slot(StW, 1, 2, 0, 1) },
        { "imm on stxw", Slot(StxW, 1, 2, 0, 1) },
        { "dst on legacy abs load", Slot(LdAbsW, 1, 0, 0, 0) },
    };

    [Theory]
    [MemberData(nameof(ReservedFields))]
    public void ReservedFieldIsRefused(string what, byte[] slot)
    {
        Assert.NotEmpty(what);
        AssertRefused(Program(MovR0Zero, slot, MovR0Zero, ExitSlot), ErrorCode.ReservedField, 1);
    }

    [Fact]
    public void LddwOffsetIsReserved()
    {
        AssertRefused(Program(MovR0Zero, Slot(Lddw, 1, 0, 1, 5), Slot(0, 0, 0, 0, 0), ExitSlot), ErrorCode.ReservedField, 1, "offset");
    }

    [Theory]
    [InlineData(Sdiv64Imm, 2, "signed division takes offset 0 or 1")]
    [InlineData(Mov64Reg, 24, "movsx64 widths are 8, 16, 32")]
    [InlineData(Mov64Reg, 1, "movsx64 widths are 8, 16, 32")]
    [InlineData(Mov32Reg, 32, "movsx32 widths are 8 and 16 only")]
    public void OffsetOutsideTheAllowedValuesIsRefused(int opcode, int offset, string why)
    {
        int src = opcode == Sdiv64Imm ? 0 : 2;
        var error = AssertRefused(AtSlot1(Slot(opcode, 1, src, offset, opcode == Sdiv64Imm ? 3 : 0)), ErrorCode.InvalidOffset, 1, "offset");
        Assert.Contains(offset.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Reason, StringComparison.Ordinal);
        Assert.NotEmpty(why);
    }

    [Theory]
    [InlineData(Le, 8)]
    [InlineData(Be, 0)]
    [InlineData(Bswap64, 48)]
    [InlineData(AtomicDw, 0x02)]
    [InlineData(AtomicDw, 0xe0)] // xchg always carries FETCH
    [InlineData(AtomicW, 0xf0)] // cmpxchg always carries FETCH
    [InlineData(AtomicW, 0x11)]
    public void ImmediateOutsideTheAllowedValuesIsRefused(int opcode, int imm)
    {
        bool atomic = opcode is AtomicW or AtomicDw;
        AssertRefused(AtSlot1(Slot(opcode, 1, atomic ? 2 : 0, 0, imm)), ErrorCode.InvalidImmediate, 1, "immediate");
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(15)]
    public void RegisterNumberAbove10IsRefused(int reg)
    {
        AssertRefused(AtSlot1(Slot(Mov64Imm, reg, 0, 0, 1)), ErrorCode.InvalidRegister, 1, "dst");
        AssertRefused(AtSlot1(Slot(Mov64Reg, 1, reg, 0, 0)), ErrorCode.InvalidRegister, 1, "src");
        AssertRefused(AtSlot1(Slot(LdxDw, 1, reg, 0, 0)), ErrorCode.InvalidRegister, 1, "src");
        AssertRefused(AtSlot1(Slot(StxDw, reg, 1, 0, 0)), ErrorCode.InvalidRegister, 1, "dst");
        AssertRefused(AtSlot1(Slot(JeqReg, reg, 1, 0, 0)), ErrorCode.InvalidRegister, 1, "dst");
    }

    /// <summary>Instructions that would write R10, the read-only frame pointer of the BPF ABI.</summary>
    public static TheoryData<string, byte[]> FramePointerWrites() => new()
    {
        { "r10 += 1", Slot(Add64Imm, 10, 0, 0, 1) },
        { "w10 += 1", Slot(Add32Imm, 10, 0, 0, 1) },
        { "r10 = r1", Slot(Mov64Reg, 10, 1, 0, 0) },
        { "r10 = -r10", Slot(Neg64, 10, 0, 0, 0) },
        { "r10 = be16 r10", Slot(Be, 10, 0, 0, 16) },
        { "r10 = *(u64 *)(r1 + 0)", Slot(LdxDw, 10, 1, 0, 0) },
        { "r10 = *(s8 *)(r1 + 0)", Slot(LdxSxB, 10, 1, 0, 0) },
        { "r10 = atomic_fetch_add((u64 *)(r1 + 0), r10)", Slot(AtomicDw, 1, 10, 0, 0x01) },
        { "r10 = xchg_64(r1 + 0, r10)", Slot(AtomicDw, 1, 10, 0, 0xe1) },
    };

    [Theory]
    [MemberData(nameof(FramePointerWrites))]
    public void WritingTheFramePointerIsRefused(string text, byte[] slot)
    {
        Assert.NotEmpty(text);
        AssertRefused(AtSlot1(slot), ErrorCode.InvalidRegister, 1, "r10");
    }

    [Fact]
    public void LddwIntoTheFramePointerIsRefused()
    {
        AssertRefused(Program(MovR0Zero, Slot(Lddw, 10, 0, 0, 1), Slot(0, 0, 0, 0, 0), ExitSlot), ErrorCode.InvalidRegister, 1, "r10");
    }

    [Fact]
    public void ReadingTheFramePointerAndStoringThroughItAreAccepted()
    {
        AssertAccepted(Program(
            Slot(Mov64Reg, 1, 10, 0, 0),        // r1 = r10
            Slot(StxDw, 10, 1, -8, 0),           // *(u64 *)(r10 - 8) = r1
            Slot(LdxDw, 0, 10, -8, 0),           // r0 = *(u64 *)(r10 - 8)
            Slot(AtomicDw, 10, 1, -8, 0x00),     // lock *(u64 *)(r10 - 8) += r1
            Slot(AtomicDw, 1, 10, 0, 0xf1),      // cmpxchg loads the old value into r0, not into src
            Slot(AtomicDw, 1, 10, 0, 0x00),      // a non-fetching atomic only reads src
            ExitSlot));
    }

    [Theory]
    [InlineData(Ja, 2, "forward past the end")]
    [InlineData(Ja, -3, "backward before slot 0")]
    [InlineData(JeqImm, 5, "conditional, forward")]
    [InlineData(Jeq32Imm, -100, "32-bit conditional, backward")]
    [InlineData(Ja, short.MaxValue, "largest 16-bit offset")]
    [InlineData(Ja, short.MinValue, "smallest 16-bit offset")]
    public void JumpOutsideTheProgramIsRefused(int opcode, int offset, string what)
    {
        // Slots: 0 mov, 1 jump, 2 exit; a jump at slot 1 reaches slot 2 + offset.
        var error = AssertRefused(AtSlot1(Slot(opcode, opcode == Ja ? 0 : 1, 0, offset, 0)), ErrorCode.JumpOutOfRange, 1);
        Assert.Contains((2L + offset).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Reason, StringComparison.Ordinal);
        Assert.NotEmpty(what);
    }

    [Fact]
    public void JumpsToTheFirstAndLastSlotAndToThemselvesAreInRange()
    {
        AssertAccepted(Program(
            MovR0Zero,                           // 0
            Slot(JeqImm, 1, 0, 3, 0),            // 1: to 5, the last slot
            Slot(Ja, 0, 0, -3, 0),               // 2: to 0, the first slot
            Slot(Jeq32Imm, 1, 0, -1, 0),         // 3: to itself
            Slot(Gotol, 0, 0, 0, 0),             // 4: to the next slot
            ExitSlot));                          // 5
    }

    [Fact]
    public void GotolUses32BitOffsets()
    {
        // A target 40 000 slots ahead fits gotol's immediate but no 16-bit offset.
        const int Distance = 40_000;
        var slots = new List<byte[]> { Slot(Gotol, 0, 0, 0, Distance) };
        for (int i = 0; i < Distance; i++) slots.Add(MovR0Zero);
        slots.Add(ExitSlot);
        var program = AssertAccepted(Program([.. slots]));
        Assert.Equal(Distance, program[0].Imm);

        slots[0] = Slot(Gotol, 0, 0, 0, Distance + 1);
        AssertRefused(Program([.. slots]), ErrorCode.JumpOutOfRange, 0);
        slots[0] = Slot(Gotol, 0, 0, 0, -2);
        AssertRefused(Program([.. slots]), ErrorCode.JumpOutOfRange, 0);
    }

    [Fact]
    public void JumpIntoTheSecondHalfOfLddwIsRefused()
    {
        // Slots: 0 ja, 1-2 lddw, 3 ja back, 4 exit.
        AssertRefused(Program(
            Slot(Ja, 0, 0, 1, 0),
            Slot(Lddw, 0, 0, 0, 1), Slot(0, 0, 0, 0, 0),
            ExitSlot), ErrorCode.JumpIntoLddw, 0, "slot 2");
        AssertRefused(Program(
            MovR0Zero,
            Slot(Lddw, 0, 0, 0, 1), Slot(0, 0, 0, 0, 0),
            Slot(JeqImm, 0, 0, -2, 0),
            ExitSlot), ErrorCode.JumpIntoLddw, 3, "slot 2");
        AssertRefused(Program(
            Slot(Call, 0, 1, 0, 1),              // local call to slot 2
            Slot(Lddw, 0, 0, 0, 1), Slot(0, 0, 0, 0, 0),
            ExitSlot), ErrorCode.JumpIntoLddw, 0, "slot 2");
    }

    [Fact]
    public void LddwInTheLastSlotIsRefused()
    {
        AssertRefused(Program(MovR0Zero, ExitSlot, Slot(Lddw, 0, 0, 0, 1)), ErrorCode.LddwMissingSecondHalf, 2);
        AssertRefused(Slot(Lddw, 0, 0, 0, 1), ErrorCode.LddwMissingSecondHalf, 0);
    }

    [Theory]
    [InlineData(0x18, 0, 0, 0, "opcode")]
    [InlineData(0x00, 1, 0, 0, "dst")]
    [InlineData(0x00, 0, 1, 0, "src")]
    [InlineData(0x00, 0, 0, 1, "offset")]
    [InlineData(0x95, 0, 0, 0, "an exit")]
    public void LddwSecondHalfWithNonZeroFieldsIsRefused(int opcode, int dst, int src, int offset, string what)
    {
        AssertRefused(Program(MovR0Zero, Slot(Lddw, 0, 0, 0, 1), Slot(opcode, dst, src, offset, 2), ExitSlot), ErrorCode.LddwBadSecondHalf, 2);
        Assert.NotEmpty(what);
    }

    [Fact]
    public void LddwSecondHalfCarriesTheUpperImmediateOnlyWhereTheSourceUsesIt()
    {
        // src 0 (plain 64-bit), 2 and 6 (map value + offset) use the second immediate; the others must leave it 0.
        foreach (int src in new[] { 0, 2, 6 })
        {
            var program = AssertAccepted(Program(Slot(Lddw, 1, src, 0, 0x55667788), Slot(0, 0, 0, 0, 0x11223344), ExitSlot));
            Assert.Equal(0x1122334455667788UL, Instruction.WideImmediate(program[0], program[1]));
        }

        foreach (int src in new[] { 1, 3, 5 })
        {
            AssertRefused(Program(Slot(Lddw, 1, src, 0, 1), Slot(0, 0, 0, 0, 1), ExitSlot), ErrorCode.LddwBadSecondHalf, 1);
        }
    }

    [Theory]
    [InlineData(7)]
    [InlineData(15)]
    public void LddwWithAnUndefinedSourceIsRefused(int src)
    {
        AssertRefused(Program(MovR0Zero, Slot(Lddw, 1, src, 0, 1), Slot(0, 0, 0, 0, 0), ExitSlot), ErrorCode.InvalidRegister, 1, "src");
    }

    [Fact]
    public void LddwOfASubprogramAddressMustPointInsideTheProgram()
    {
        // src 4 (BPF_PSEUDO_FUNC): the immediate is a slot offset from the next slot, as for a local call.
        AssertAccepted(Program(Slot(Lddw, 1, 4, 0, 1), Slot(0, 0, 0, 0, 0), ExitSlot, ExitSlot));
        AssertRefused(Program(Slot(Lddw, 1, 4, 0, 5), Slot(0, 0, 0, 0, 0), ExitSlot), ErrorCode.JumpOutOfRange, 0);
    }

    [Fact]
    public void CallSourceSelectsHelperLocalOrKfunc()
    {
        AssertAccepted(Program(Slot(Call, 0, 0, 0, 1), ExitSlot));                      // helper 1
        AssertAccepted(Program(Slot(Call, 0, 1, 0, 1), ExitSlot, ExitSlot));           // local call to slot 2
        AssertAccepted(Program(Slot(Call, 0, 2, 0, 12345), ExitSlot));                 // kfunc by BTF id
        AssertAccepted(Program(Slot(Call, 0, 2, 3, 12345), ExitSlot));                 // kfunc in module BTF fd index 3

        // A helper id is not a slot: a large helper id is not a jump out of range.
        AssertAccepted(Program(Slot(Call, 0, 0, 0, 100_000), ExitSlot));

        AssertRefused(Program(Slot(Call, 0, 1, 0, 5), ExitSlot), ErrorCode.JumpOutOfRange, 0);
        AssertRefused(Program(Slot(Call, 0, 1, 0, -2), ExitSlot), ErrorCode.JumpOutOfRange, 0);
        AssertRefused(Program(Slot(Call, 0, 1, 1, 0), ExitSlot), ErrorCode.ReservedField, 0, "offset");
        AssertRefused(Program(Slot(Call, 0, 3, 0, 1), ExitSlot), ErrorCode.InvalidRegister, 0, "src");
    }

    [Fact]
    public void TheValidityTableHoldsExactlyTheRfcOpcodes()
    {
        var table = InstructionForms.ValidOpcodes().ToHashSet();
        var missing = Rfc9669.Opcodes.Where(op => !table.Contains(op)).Select(op => $"0x{op:x2}").ToList();
        var extra = table.Where(op => !Rfc9669.Opcodes.Contains(op) && !Rfc9669.Extensions.ContainsKey(op)).Select(op => $"0x{op:x2}").ToList();
        Assert.True(missing.Count == 0, "RFC opcodes the table refuses: " + string.Join(", ", missing));
        Assert.True(extra.Count == 0, "opcodes the table accepts that RFC 9669 does not define: " + string.Join(", ", extra));
        foreach (byte op in Rfc9669.Extensions.Keys) Assert.Contains(op, table);
        Assert.Equal(125, Rfc9669.Opcodes.Count);
    }

    /// <summary>Every opcode the table accepts, as an id for one theory row each.</summary>
    public static TheoryData<byte> ValidOpcodes() => new(InstructionForms.ValidOpcodes());

    [Theory]
    [MemberData(nameof(ValidOpcodes))]
    public void EveryLegalValueOfEveryFieldOfEveryFormIsAccepted(byte opcode)
    {
        var form = InstructionForms.Of(opcode);
        int accepted = 0;
        foreach (int dst in Values(form.Dst, Writes(form.Kind)))
        {
            foreach (int src in Values(form.Src, false))
            {
                foreach (int offset in Values(form.Offset, false))
                {
                    foreach (int imm in Values(form.Imm, false))
                    {
                        if (form.Kind == InstructionKind.Call && src != 2 && offset != 0) continue; // only kfuncs take an offset
                        if (form.Kind == InstructionKind.Atomic && src == 10 && (imm & 1) != 0 && imm != 0xf1) continue; // fetch into r10
                        var first = Slot(opcode, dst, src, offset, imm);
                        byte[] bytecode = form.Kind == InstructionKind.Lddw
                            ? Program(first, Slot(0, 0, 0, 0, 0), ExitSlot)
                            : Program(first, ExitSlot);
                        var program = AssertAccepted(bytecode);
                        var insn = program[0];
                        Assert.Equal(opcode, insn.OpCode);
                        Assert.Equal(dst, insn.DstNumber);
                        Assert.Equal(src, insn.SrcNumber);
                        Assert.Equal(offset, insn.Offset);
                        Assert.Equal(imm, insn.Imm);
                        accepted++;
                    }
                }
            }
        }

        Assert.True(accepted > 0);
    }

    private static bool Writes(InstructionKind kind) => kind is InstructionKind.Alu or InstructionKind.Neg or InstructionKind.End
        or InstructionKind.Lddw or InstructionKind.Load or InstructionKind.LoadSx;

    // Legal values of one field; branch fields stay 0 (next slot) so that every program is two slots.
    private static int[] Values(FieldRule rule, bool writtenRegister) => rule switch
    {
        FieldRule.Zero => [0],
        FieldRule.Register => writtenRegister ? [0, 1, 5, 9] : [0, 1, 5, 9, 10],
        FieldRule.Any => [0],
        FieldRule.DivSign => [0, 1],
        FieldRule.MovSx64 => [0, 8, 16, 32],
        FieldRule.MovSx32 => [0, 8, 16],
        FieldRule.EndWidth => [16, 32, 64],
        FieldRule.AtomicOp => [.. AtomicImmediates],
        FieldRule.CallKind => [0, 1, 2],
        FieldRule.LoadImmKind => [0, 1, 2, 3, 5, 6],
        _ => throw new InvalidOperationException($"no legal values for {rule}"),
    };
}
