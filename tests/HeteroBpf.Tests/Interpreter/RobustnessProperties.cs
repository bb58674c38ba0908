using CsCheck;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;

namespace HeteroBpf.Tests.Interpreter;

/// <summary>
/// The interpreter runs unverified programs (it is the oracle, below the verifier), so it must survive any valid
/// encoding: random programs end with R0 or a <see cref="BpfFaultException"/>, never another exception, and never
/// change a byte outside the regions they were given.
/// </summary>
public sealed class RobustnessProperties
{
    private static readonly byte[] Opcodes = [.. InstructionForms.ValidOpcodes()];

    private static readonly Gen<int> Imm = Gen.OneOf<int>(
        Gen.Int[-3, 3],
        Gen.OneOf(8, 16, 32, 64, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 5, 7, 8, int.MaxValue, int.MinValue),
        Gen.Int);

    private static readonly Gen<short> Offset = Gen.OneOf<short>(Gen.Short[-3, 3], Gen.OneOf((short)8, (short)16, (short)32, (short)-8, (short)-16), Gen.Short);

    private static readonly Gen<Instruction> Slot =
        from op in Gen.OneOf(Opcodes)
        from dst in Gen.Byte[0, 10]
        from src in Gen.Byte[0, 10]
        from off in Offset
        from imm in Imm
        select Repair(new Instruction(op, dst, src, off, imm));

    private static readonly Gen<Instruction[]> Programs =
        from slots in Slot.Array[1, 24]
        from seed in Gen.Int[0, int.MaxValue]
        select Link(slots, seed);

    [Fact]
    public void RandomProgramsEndWithAValueOrAFaultAndTouchOnlyTheirRegions()
    {
        Programs.Where(p => InstructionDecoder.TryValidate(p, out _)).Sample(program =>
        {
            // 32 writable bytes between two 64-byte canaries.
            byte[] buffer = GC.AllocateArray<byte>(160, pinned: true);
            buffer.AsSpan().Fill(0x5a);
            unsafe
            {
                fixed (byte* p = buffer)
                {
                    var memory = new MemoryMap();
                    memory.Add(new MemoryRegion((ulong)p + 64, 32, RegionKind.Packet, Writable: true));
                    var interpreter = new BpfInterpreter(program, HelperRegistry.Basic, new InterpreterOptions { InstructionBudget = 5_000 });
                    try
                    {
                        interpreter.Run(memory, (ulong)p + 64, 32);
                    }
                    catch (BpfFaultException)
                    {
                        // A fault is an acceptable end; any other exception fails the property.
                    }
                }
            }

            Assert.All(buffer.AsSpan(0, 64).ToArray(), b => Assert.Equal(0x5a, b));
            Assert.All(buffer.AsSpan(96).ToArray(), b => Assert.Equal(0x5a, b));
        }, iter: 20_000, seed: null);
    }

    // Zeroes fields until the slot is a valid form; random field values rarely satisfy every rule at once.
    private static Instruction Repair(Instruction insn)
    {
        Instruction[] attempts =
        [
            insn,
            insn.WithSrc(0),
            insn.WithOffset(0),
            insn.WithSrc(0).WithOffset(0),
            insn.WithImm(0),
            insn.WithSrc(0).WithImm(0),
            insn.WithOffset(0).WithImm(0),
            insn.WithSrc(0).WithOffset(0).WithImm(0),
        ];
        foreach (var attempt in attempts)
        {
            if (InstructionForms.TryValidate(attempt, out _, out _)) return attempt;
        }

        return insn;
    }

    // Gives every lddw its second slot and points every branch at a real slot of the program.
    private static Instruction[] Link(Instruction[] slots, int seed)
    {
        var code = new List<Instruction>();
        foreach (var insn in slots)
        {
            code.Add(insn);
            if (insn.IsWide) code.Add(new Instruction(0, Register.R0, Register.R0, 0, 0));
        }

        var random = new Random(seed);
        var starts = Enumerable.Range(0, code.Count).Where(i => i == 0 || !code[i - 1].IsWide).ToArray();
        foreach (int slot in starts)
        {
            var insn = code[slot];
            if (!Branches.TryGetTarget(insn, slot, out long target)) continue;
            if (target >= 0 && target < code.Count && starts.Contains((int)target)) continue;
            code[slot] = Branches.WithTarget(insn, slot, starts[random.Next(starts.Length)]);
        }

        return [.. code];
    }
}
