using CsCheck;
using HeteroBpf.Isa;

namespace HeteroBpf.Tests.Asm;

/// <summary>CsCheck generators of valid instructions, one per form of <see cref="InstructionForms"/>, edge values weighted in.</summary>
public static class InstructionGen
{
    private static readonly Gen<int> Imm32 = Gen.Frequency(
        (3, Gen.Int),
        (1, Gen.Int[-300, 300]),
        (1, Gen.OneOf(0, 1, -1, int.MinValue, int.MaxValue, short.MinValue, short.MaxValue, 0x8000, 0xffff, -0x8001)));

    private static readonly Gen<int> Offset16 = Gen.Frequency(
        (3, Gen.Short.Select(s => (int)s)),
        (1, Gen.Int[-20, 20]),
        (1, Gen.OneOf<int>(0, 1, -1, short.MinValue, short.MaxValue)));

    /// <summary>An instruction of any form, each form equally likely.</summary>
    public static Gen<Instruction[]> AnyForm { get; } = Gen.OneOf(InstructionForms.ValidOpcodes().Select(op => (IGen<Instruction[]>)Of(op)).ToArray());

    /// <summary>One instruction of the form of <paramref name="opcode"/>: each field drawn from what its rule allows, edge values included.</summary>
    public static Gen<Instruction[]> Of(byte opcode)
    {
        var form = InstructionForms.Of(opcode);
        return Gen.Select(Field(form.Dst, false), Field(form.Src, false), Field(form.Offset, true), Field(form.Imm, false), Imm32, (dst, src, offset, imm, upper) =>
        {
            // A kfunc call alone may carry an offset (its module BTF index).
            if (form.Kind == InstructionKind.Call && src != (int)CallKind.Kfunc) offset = 0;
            var first = new Instruction(opcode, (byte)dst, (byte)src, (short)offset, imm);
            if (form.Kind != InstructionKind.Lddw) return new[] { first };

            // Only a plain 64-bit value and the map-value sources use the second slot's immediate.
            bool wide = (LoadImmKind)src is LoadImmKind.Imm64 or LoadImmKind.MapValueByFd or LoadImmKind.MapValueByIndex;
            return [first, new Instruction(0, (byte)0, (byte)0, 0, wide ? upper : 0)];
        });
    }

    private static Gen<int> Field(FieldRule rule, bool isOffset) => rule switch
    {
        FieldRule.Zero => Gen.Const(0),
        FieldRule.Register => Gen.Int[0, 10],
        FieldRule.Any => isOffset ? Offset16 : Imm32,
        FieldRule.DivSign => Gen.OneOf(0, 1),
        FieldRule.MovSx64 => Gen.OneOf(0, 8, 16, 32),
        FieldRule.MovSx32 => Gen.OneOf(0, 8, 16),
        FieldRule.EndWidth => Gen.OneOf(16, 32, 64),
        FieldRule.AtomicOp => Gen.OneOf(Enum.GetValues<AtomicOp>().Select(op => (int)op).ToArray()),
        FieldRule.CallKind => Gen.Int[0, 2],
        FieldRule.LoadImmKind => Gen.Int[0, 6],
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "a field rule with no generator: add one"),
    };
}
