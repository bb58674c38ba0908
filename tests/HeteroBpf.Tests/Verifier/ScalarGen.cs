using CsCheck;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>CsCheck generators of abstract values built around a known member, and the reference interpreter as concrete semantics.</summary>
internal static class ScalarGen
{
    /// <summary>64-bit values with the edges of every range (0, ±1, 2^31, 2^32, 2^63) weighted in.</summary>
    public static Gen<ulong> Value { get; } = Gen.Frequency(
        (4, Gen.ULong),
        (2, Gen.Long[-300, 300].Select(v => (ulong)v)),
        (2, Gen.OneOf<ulong>(0, 1, ulong.MaxValue, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, 0x7fff_ffff_ffff_ffff,
            0x8000_0000_0000_0000, 0xffff_ffff_8000_0000, 0xffff_ffff_0000_0000, 0xff, 0x100, 0xffff)),
        (1, Gen.UInt.Select(v => (ulong)v)),
        (1, Gen.Int.Select(v => (ulong)(long)v)));

    /// <summary>Unknown-bit masks: none, all, a low run, random, sparse.</summary>
    public static Gen<ulong> Mask { get; } = Gen.Frequency(
        (1, Gen.Const(0UL)),
        (1, Gen.Const(ulong.MaxValue)),
        (3, Gen.Int[1, 64].Select(k => k == 64 ? ulong.MaxValue : (1UL << k) - 1)),
        (2, Gen.ULong),
        (2, Gen.Select(Gen.ULong, Gen.ULong, Gen.ULong, (a, b, c) => a & b & c)),
        (1, Gen.Select(Gen.Int[0, 63], Gen.Int[1, 12], (at, k) => ((1UL << k) - 1) << at)));

    /// <summary>A tnum holding <paramref name="x"/>.</summary>
    public static Gen<Tnum> TnumAround(ulong x) => Mask.Select(m => new Tnum(x & ~m, m));

    private static readonly Gen<ulong> Spread = Gen.Frequency(
        (3, Gen.ULong[0, 16]),
        (2, Gen.ULong[0, 1000]),
        (1, Gen.ULong[0, 1UL << 33]),
        (1, Gen.ULong),
        (2, Gen.Const(ulong.MaxValue)));

    /// <summary>An abstract value with a seed member: each part independently unconstrained or a range around the seed, then synchronised.</summary>
    public static Gen<Seeded> Built { get; } = Gen.Frequency(
        (1, Value.Select(x => new Seeded(ScalarValue.Const(x), x))),
        (1, Value.Select(x => new Seeded(ScalarValue.Unknown, x))),
        (8, from x in Value
            from t in TnumAround(x)
            from d in Spread.Array[8]
            from use in Gen.Int[0, 15]
            select Build(x, t, d, use)));

    /// <summary>An abstract value with a seed member: mostly <see cref="Built"/>, sometimes an (unsynchronised) join of two.</summary>
    public static Gen<Seeded> Seeded { get; } = Gen.Frequency(
        (6, Built),
        (1, from a in Built from b in Built select new Seeded(a.Value.Join(b.Value), a.Seed)));

    private static Seeded Build(ulong x, Tnum t, ulong[] d, int use)
    {
        ulong umin = 0, umax = ulong.MaxValue, u32min = 0, u32max = uint.MaxValue;
        long smin = long.MinValue, smax = long.MaxValue, s32min = int.MinValue, s32max = int.MaxValue;
        if ((use & 1) != 0) (umin, umax) = (x >= d[0] ? x - d[0] : 0, ulong.MaxValue - x >= d[1] ? x + d[1] : ulong.MaxValue);
        if ((use & 2) != 0) (smin, smax) = ((long)Int128.Max((Int128)(long)x - d[2], long.MinValue), (long)Int128.Min((Int128)(long)x + d[3], long.MaxValue));
        uint lo = (uint)x;
        if ((use & 4) != 0) (u32min, u32max) = ((ulong)Int128.Max((Int128)lo - d[4], 0), (ulong)Int128.Min((Int128)lo + d[5], uint.MaxValue));
        if ((use & 8) != 0) (s32min, s32max) = ((long)Int128.Max((Int128)(int)lo - d[6], int.MinValue), (long)Int128.Min((Int128)(int)lo + d[7], int.MaxValue));
        Assert.True(ScalarValue.TryCreate(t, umin, umax, smin, smax, (uint)u32min, (uint)u32max, (int)s32min, (int)s32max, out var v), $"sync emptied a set holding {x:x}");
        return new Seeded(v, x);
    }

    /// <summary>The seed, every part's ends, and tnum members drawn from <paramref name="noise"/>, kept where they are members.</summary>
    public static List<ulong> Members(Seeded s, ulong[] noise)
    {
        var v = s.Value;
        var all = new List<ulong> { s.Seed, v.UMin, v.UMax, (ulong)v.SMin, (ulong)v.SMax, v.VarOff.Value, v.VarOff.Value | v.VarOff.Mask };
        foreach (ulong n in noise)
        {
            all.Add(v.VarOff.Value | (n & v.VarOff.Mask));
            all.Add(s.Seed + (n & 0xf) - 8);
            all.Add((s.Seed & ~0xffff_ffffUL) | (uint)(v.U32Min + (n & 0xf)));
            all.Add((s.Seed & ~0xffff_ffffUL) | (uint)(v.U32Max - (n & 0xf)));
        }

        return all.Where(v.Contains).Distinct().ToList();
    }

    /// <summary>Every valid ALU and ALU64 form (edge immediates, every offset, END width), as dst r1 and src r2.</summary>
    public static Gen<Instruction> AluInstruction { get; } = Gen.OneOf(InstructionForms.ValidOpcodes()
        .Where(op => new Instruction(op, Register.R0, Register.R0, 0, 0).IsAlu)
        .Select(op => (IGen<Instruction>)Asm.InstructionGen.Of(op).Select(i => At(i[0])))
        .ToArray());

    private static Instruction At(Instruction i) =>
        new(i.OpCode, Register.R1, InstructionForms.Of(i.OpCode).Src == FieldRule.Register ? Register.R2 : Register.R0, i.Offset, i.Imm);

    /// <summary>The conditional jumps.</summary>
    public static JumpOp[] Conditions { get; } =
        [JumpOp.Jeq, JumpOp.Jne, JumpOp.Jgt, JumpOp.Jge, JumpOp.Jlt, JumpOp.Jle, JumpOp.Jsgt, JumpOp.Jsge, JumpOp.Jslt, JumpOp.Jsle, JumpOp.Jset];

    /// <summary>One draw in four: make the second operand equal the first (equality and its edges are rare at random).</summary>
    public static bool RandomEqual(ulong a, ulong b) => ((a ^ b) & 3) == 0;

    /// <summary>r1 after <paramref name="insn"/> with r1 = <paramref name="a"/>, r2 = <paramref name="b"/>, in the reference interpreter.</summary>
    public static ulong RunAlu(Instruction insn, ulong a, ulong b) =>
        Run([insn, new Instruction(0xbf, Register.R0, Register.R1, 0, 0), new Instruction(0x95, Register.R0, Register.R0, 0, 0)], a, b);

    /// <summary>Whether the jump <c>if r1 op r2</c> is taken with r1 = <paramref name="a"/>, r2 = <paramref name="b"/>, in the reference interpreter.</summary>
    public static bool RunJump(JumpOp op, bool is32, ulong a, ulong b)
    {
        byte opcode = (byte)((byte)op | (byte)OperandSource.Reg | (byte)(is32 ? OpClass.Jmp32 : OpClass.Jmp));
        Instruction[] program =
        [
            new(opcode, Register.R1, Register.R2, 2, 0),
            new(0xb7, Register.R0, Register.R0, 0, 0),
            new(0x95, Register.R0, Register.R0, 0, 0),
            new(0xb7, Register.R0, Register.R0, 0, 1),
            new(0x95, Register.R0, Register.R0, 0, 0),
        ];
        return Run(program, a, b) == 1;
    }

    private static ulong Run(Instruction[] program, ulong a, ulong b) =>
        new BpfInterpreter(program, HelperRegistry.Empty).Run(new MemoryMap(), a, b).ReturnValue;
}

/// <summary>An abstract value and one value known to be its member.</summary>
internal readonly record struct Seeded(ScalarValue Value, ulong Seed);
