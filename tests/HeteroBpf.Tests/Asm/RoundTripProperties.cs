using CsCheck;
using HeteroBpf.Asm;
using HeteroBpf.Isa;

namespace HeteroBpf.Tests.Asm;

/// <summary>
/// Generated instructions of every form of <see cref="InstructionForms"/> (random registers, offsets and immediates,
/// edge values weighted in): text → bytes → text round-trips, and bytes → decode → bytes is the identity.
/// </summary>
public sealed class RoundTripProperties
{
    private const int PerForm = 300;

    /// <summary>Every legal opcode byte.</summary>
    public static TheoryData<byte> Opcodes() => new(InstructionForms.ValidOpcodes());

    [Theory]
    [MemberData(nameof(Opcodes))]
    public void TextOfEveryFormAssemblesBackToItsBytes(byte opcode)
    {
        Gen.Select(InstructionGen.Of(opcode), Gen.Bool).Sample((slots, alu32) =>
        {
            var options = new DisassemblerOptions { Alu32Syntax = alu32 };
            string text = Disassembler.Format(slots, 0, options);
            Assert.NotEqual(Disassembler.Unknown, text);
            var assembled = Assembler.AssembleOne(text);
            Assert.True(assembled.AsSpan().SequenceEqual(slots), $"'{text}' assembles to {Disassembler.FormatBytes(assembled)}, expected {Disassembler.FormatBytes(slots)}");
        }, iter: PerForm, print: Print);
    }

    [Fact]
    public void AnySlotWithALegalOpcodeRoundTripsOrPrintsUnknown()
    {
        // Raw fields: most break a rule of the form (reserved bits, registers above 10); those must print as
        // <unknown>, and whichever pass the table must round-trip like the generated ones.
        var opcodes = InstructionForms.ValidOpcodes().Where(op => op != HeteroBpf.Isa.Opcodes.Lddw).ToArray();
        Gen.Select(Gen.OneOf(opcodes), Gen.Byte, Gen.Frequency((3, Gen.Short), (1, Gen.OneOf<short>(0, 1, 8, 16, 32))), Gen.Frequency((3, Gen.Int), (1, Gen.OneOf(0, 1, 16, 32, 64, 0xe1, 0xf1))))
            .Select(t => new Instruction(t.Item1, (byte)(t.Item2 & 0xf), (byte)(t.Item2 >> 4), t.Item3, t.Item4))
            .Sample(insn =>
            {
                string text = Disassembler.Format([insn], 0);
                if (!InstructionForms.TryValidate(insn, out _, out _))
                {
                    Assert.Equal(Disassembler.Unknown, text);
                    return;
                }

                var assembled = Assembler.AssembleOne(text);
                Assert.True(assembled.Length == 1 && assembled[0] == insn, $"'{text}' assembles to {Disassembler.FormatBytes(assembled)}, expected {insn}");
            }, iter: 20_000, print: i => i.ToString());
    }

    [Fact]
    public void ProgramsDecodeToTheirBytesAndTheirTextAssemblesBack()
    {
        // Programs mixing every form; branches are pointed at instruction starts so that the decoder's
        // target checks pass and the text assembles as a whole program.
        var anyForm = InstructionGen.AnyForm;
        Gen.Select(anyForm.Array[1, 40], Gen.Int.Array[40], Gen.Bool).Sample((parts, picks, alu32) =>
        {
            var program = WithTargetsInside(parts, picks);
            byte[] bytes = Instruction.AsBytes(program).ToArray();
            Assert.True(InstructionDecoder.TryDecode(bytes, out var decoded, out var error), error.Reason);
            Assert.Equal(bytes, Instruction.AsBytes(decoded).ToArray());

            var options = new DisassemblerOptions { Alu32Syntax = alu32, Symbols = [new CodeSymbol("prog", 0)] };
            var lines = new List<string>();
            for (int slot = 0; slot < program.Length; slot += program[slot].Width) lines.Add(Disassembler.Format(program, slot, options));
            Assert.Equal(program, Assembler.Assemble(string.Join('\n', lines)));
            Assert.Equal(program, Assembler.Assemble(Disassembler.Listing(program, options)));
        }, iter: 2_000, print: (t) => Disassembler.Listing(WithTargetsInside(t.Item1, t.Item2)));
    }

    // Lays the parts out and points every branch at the start of some instruction (picked by picks).
    private static Instruction[] WithTargetsInside(Instruction[][] parts, int[] picks)
    {
        var starts = new List<int>();
        var program = new List<Instruction>();
        foreach (var part in parts)
        {
            starts.Add(program.Count);
            program.AddRange(part);
        }

        for (int i = 0; i < parts.Length; i++)
        {
            int slot = starts[i];
            var insn = program[slot];
            if (!Branches.TryGetTarget(insn, slot, out _)) continue;
            program[slot] = Branches.WithTarget(insn, slot, starts[(int)((uint)picks[i % picks.Length] % (uint)starts.Count)]);
        }

        // Loading refuses writes to the read-only frame pointer; such a slot gets r9 in place of r10.
        while (!InstructionDecoder.TryValidate(program.ToArray(), out var error) && error.Code == ErrorCode.InvalidRegister)
        {
            var insn = program[error.Slot];
            program[error.Slot] = new Instruction(insn.OpCode, insn.DstNumber == 10 ? (byte)9 : insn.DstNumber, insn.SrcNumber == 10 ? (byte)9 : insn.SrcNumber, insn.Offset, insn.Imm);
        }

        return program.ToArray();
    }

    private static string Print((Instruction[] Slots, bool Alu32) sample) => Disassembler.FormatBytes(sample.Slots) + (sample.Alu32 ? " (alu32)" : "");
}
