using CsCheck;
using HeteroBpf.Isa;
using static HeteroBpf.Tests.Isa.Rfc9669;

namespace HeteroBpf.Tests.Isa;

/// <summary>
/// Properties of the 8-byte encoding over generated instructions of every valid form: the bytes are RFC 9669's layout
/// (checked against the test-side encoder in <see cref="Rfc9669"/>), decoding gives back the instruction, and arbitrary
/// bytes are either a valid program or refused with a reason, never an exception.
/// </summary>
public sealed class EncodingProperties
{
    private static readonly byte[] ValidOpcodes = InstructionForms.ValidOpcodes().ToArray();

    // Programs are this many slots around the generated instruction, so that its jump (if any) has room both ways.
    private const int ProgramSlots = 12;

    /// <summary>One generated instruction, where it sits, and the upper immediate when it is a lddw.</summary>
    private sealed record Case(byte OpCode, int Dst, int Src, short Offset, int Imm, int NextImm, int Position)
    {
        public bool Wide => OpCode == Lddw;

        public byte[] Bytecode()
        {
            var slots = new List<byte[]>();
            for (int i = 0; i < Position; i++) slots.Add(MovR0Zero);
            slots.Add(Slot(OpCode, Dst, Src, Offset, Imm));
            if (Wide) slots.Add(Slot(0, 0, 0, 0, NextImm));
            while (slots.Count < ProgramSlots - 1) slots.Add(MovR0Zero);
            slots.Add(ExitSlot);
            return Program([.. slots]);
        }

        public override string ToString() =>
            $"op 0x{OpCode:x2} ({InstructionForms.Of(OpCode).Kind}) dst {Dst} src {Src} off {Offset} imm {Imm} next {NextImm} at {Position}";
    }

    private static bool WritesDst(InstructionKind kind) => kind is InstructionKind.Alu or InstructionKind.Neg or InstructionKind.End
        or InstructionKind.Lddw or InstructionKind.Load or InstructionKind.LoadSx;

    private static Gen<int> Field(FieldRule rule, Gen<int> any, bool writtenRegister) => rule switch
    {
        FieldRule.Zero => Gen.Const(0),
        FieldRule.Register => Gen.Int[0, writtenRegister ? 9 : 10],
        FieldRule.Any => any,
        FieldRule.DivSign => Gen.OneOf(0, 1),
        FieldRule.MovSx64 => Gen.OneOf(0, 8, 16, 32),
        FieldRule.MovSx32 => Gen.OneOf(0, 8, 16),
        FieldRule.EndWidth => Gen.OneOf(16, 32, 64),
        FieldRule.AtomicOp => Gen.OneOf([.. AtomicImmediates]),
        FieldRule.CallKind => Gen.Int[0, 2],
        FieldRule.LoadImmKind => Gen.Int[0, 6],
        _ => throw new InvalidOperationException($"no generator for {rule}"),
    };

    private static readonly Gen<int> AnyOffset = Gen.Short.Select(s => (int)s);

    /// <summary>A legal instruction of a random valid form, with a branch target (when it has one) on a real slot.</summary>
    private static readonly Gen<Case> ValidCase =
        Gen.Int[0, ValidOpcodes.Length - 1].SelectMany(index =>
        {
            byte op = ValidOpcodes[index];
            var form = InstructionForms.Of(op);
            bool wide = form.Kind == InstructionKind.Lddw;
            int lastPosition = ProgramSlots - (wide ? 3 : 2);
            var dst = Field(form.Dst, Gen.Int, WritesDst(form.Kind));

            // Atomics that fetch load into src; keep src off r10 so that no case writes the frame pointer.
            var src = form.Kind == InstructionKind.Atomic ? Gen.Int[0, 9] : Field(form.Src, Gen.Int, false);
            return Gen.Select(dst, src, Field(form.Offset, AnyOffset, false), Field(form.Imm, Gen.Int, false), Gen.Int, Gen.Int[0, lastPosition], Gen.Int[0, ProgramSlots - 1],
                    (d, s, off, imm, nextImm, position, target) => (d, s, off, imm, nextImm, position, target))
                .Where(t => !wide || t.Item7 != t.Item6 + 1) // a lddw's own second half is no target
                .Select(t =>
                {
                    var (d, s, off, imm, nextImm, position, target) = t;
                    int relative = target - (position + 1);
                    switch (form.Kind)
                    {
                        case InstructionKind.Ja or InstructionKind.CondJump:
                            off = relative;
                            break;
                        case InstructionKind.Gotol:
                            imm = relative;
                            break;
                        case InstructionKind.Call:
                            if (s == (int)CallKind.Local) imm = relative;
                            if (s != (int)CallKind.Kfunc) off = 0;
                            break;
                        case InstructionKind.Lddw:
                            if (s == (int)LoadImmKind.Func) imm = relative;
                            break;
                    }

                    // Only a plain 64-bit load and the map-value loads use the second slot's immediate.
                    bool usesNext = wide && s is 0 or 2 or 6;
                    return new Case(op, d, s, (short)off, imm, usesNext ? nextImm : 0, position);
                });
        });

    [Fact]
    public void EncodingIsTheRfcLayout()
    {
        ValidCase.Sample(c =>
        {
            var insn = new Instruction(c.OpCode, (byte)c.Dst, (byte)c.Src, c.Offset, c.Imm);
            byte[] ours = Instruction.AsBytes([insn]).ToArray();
            Assert.Equal(Slot(c.OpCode, c.Dst, c.Src, c.Offset, c.Imm), ours);

            // And the typed fields read back what was put in.
            Assert.Equal(c.OpCode, insn.OpCode);
            Assert.Equal(c.Dst, insn.DstNumber);
            Assert.Equal(c.Src, insn.SrcNumber);
            Assert.Equal(c.Offset, insn.Offset);
            Assert.Equal(c.Imm, insn.Imm);
            Assert.Equal(c.OpCode & 0x07, (int)insn.Class);
        }, iter: 5_000);
    }

    [Fact]
    public void DecodeOfEncodeIsTheIdentity()
    {
        ValidCase.Sample(c =>
        {
            byte[] bytecode = c.Bytecode();
            Assert.True(InstructionDecoder.TryDecode(bytecode, out var program, out var error), $"{c}: refused: slot {error.Slot}: {error.Reason}");
            var expected = new Instruction(c.OpCode, (byte)c.Dst, (byte)c.Src, c.Offset, c.Imm);
            Assert.Equal(expected, program[c.Position]);
            if (c.Wide) Assert.Equal(c.NextImm, program[c.Position + 1].Imm);
            Assert.Equal(bytecode, Instruction.AsBytes(program).ToArray());
        }, iter: 5_000);
    }

    /// <summary>Checks that decoding arbitrary bytes either succeeds with RFC-legal slots or fails with a located reason.</summary>
    private static void DecodesOrRefusesWithAReason(byte[] bytes)
    {
        bool ok = InstructionDecoder.TryDecode(bytes, out var program, out var error);
        int slots = bytes.Length / 8;
        if (ok)
        {
            Assert.Equal(slots, program!.Length);
            for (int i = 0; i < program.Length; i++)
            {
                var insn = program[i];
                Assert.True(Rfc9669.Opcodes.Contains(insn.OpCode) || Rfc9669.Extensions.ContainsKey(insn.OpCode), $"accepted opcode 0x{insn.OpCode:x2}");
                Assert.InRange(insn.DstNumber, 0, 10);
                Assert.InRange(insn.SrcNumber, 0, 10);
                if (insn.IsWide) i++;
            }

            Assert.Equal(bytes, Instruction.AsBytes(program).ToArray());
        }
        else
        {
            Assert.Null(program);
            Assert.False(string.IsNullOrWhiteSpace(error.Reason));
            Assert.True(Enum.IsDefined(error.Code), $"undefined error code {(int)error.Code}");
            Assert.InRange((int)error.Code, 1001, 1999);
            Assert.InRange(error.Slot, 0, slots);
            if (bytes.Length > 0 && bytes.Length % 8 == 0 && !Rfc9669.Opcodes.Contains(bytes[0]) && !Rfc9669.Extensions.ContainsKey(bytes[0]))
            {
                Assert.Equal(ErrorCode.UnknownOpcode, error.Code);
                Assert.Equal(0, error.Slot);
            }
        }
    }

    [Fact]
    public void RandomBytesDecodeToValidFormsOrAreRefusedWithAReason()
    {
        Gen.Byte.Array[8].Sample(DecodesOrRefusesWithAReason, iter: 20_000);
        Gen.Byte.Array[0, 40].Sample(DecodesOrRefusesWithAReason, iter: 20_000);
    }

    [Fact]
    public void RandomFieldsOnValidOpcodesDecodeOrAreRefusedWithAReason()
    {
        // Random bytes rarely hit a valid opcode with legal registers; this reaches the field checks of every form.
        var gen = Gen.Select(Gen.Int[0, ValidOpcodes.Length - 1], Gen.Byte.Array[7], Gen.Int[1, 3]).Select(t =>
        {
            var (index, rest, slots) = t;
            var bytes = new byte[8 * slots];
            bytes[0] = ValidOpcodes[index];
            rest.CopyTo(bytes, 1);
            for (int i = 1; i < slots; i++) ExitSlot.CopyTo(bytes, 8 * i);
            return bytes;
        });
        gen.Sample(DecodesOrRefusesWithAReason, iter: 50_000);
    }
}
