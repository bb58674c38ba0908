using BenchmarkDotNet.Attributes;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;
using HeteroBpf.Jit.Cil;

namespace HeteroBpf.Bench;

/// <summary>
/// What the CIL JIT costs to compile a program: <see cref="CilCompiler.Compile"/> (validation, translation to IL,
/// the <c>DynamicMethod</c> and its delegate) on a fixed 1,000-instruction program mixing ALU, memory and branch
/// instructions. RyuJIT's own compile happens on the first call and is not in it (the measure).
/// </summary>
[MemoryDiagnoser]
public class CilCompileBenchmarks
{
    private Instruction[] _program = [];

    [GlobalSetup]
    public void Setup()
    {
        // 1,000 instructions from a fixed seed: 64-bit ALU between r0..r5, stack stores and loads, forward branches.
        var random = new Random(1000);
        var insns = new List<Instruction>();
        for (int r = 0; r <= 5; r++) insns.Add(new Instruction(Opcodes.Alu(true, AluOp.Mov, OperandSource.Imm), (Register)r, Register.R0, 0, random.Next()));
        AluOp[] ops = [AluOp.Add, AluOp.Sub, AluOp.Mul, AluOp.Or, AluOp.And, AluOp.Xor, AluOp.Lsh, AluOp.Rsh, AluOp.Div, AluOp.Mod];
        while (insns.Count < 998)
        {
            var dst = (Register)random.Next(6);
            var src = (Register)random.Next(6);
            switch (random.Next(8))
            {
                case 0:
                    insns.Add(new Instruction(Opcodes.Memory(OpClass.Stx, MemMode.Mem, MemSize.DW), Register.R10, src, (short)(-8 * (1 + random.Next(8))), 0));
                    break;
                case 1:
                    insns.Add(new Instruction(Opcodes.Memory(OpClass.Ldx, MemMode.Mem, MemSize.DW), dst, Register.R10, (short)(-8 * (1 + random.Next(8))), 0));
                    break;
                case 2:
                    insns.Add(new Instruction(Opcodes.Jump(true, JumpOp.Jgt, OperandSource.Reg), dst, src, 1, 0));
                    break;
                default:
                    insns.Add(new Instruction(Opcodes.Alu(random.Next(2) == 0, ops[random.Next(ops.Length)], OperandSource.Reg), dst, src, 0, 0));
                    break;
            }
        }

        // Every stack slot a load may read is written first, so the program also runs (it is valid, not only decodable).
        for (int slot = 1; slot <= 8; slot++) insns.Insert(0, new Instruction(Opcodes.Memory(OpClass.St, MemMode.Mem, MemSize.DW), Register.R10, Register.R0, (short)(-8 * slot), 0));
        insns.RemoveRange(998, insns.Count - 998);
        insns.Add(new Instruction(Opcodes.Alu(true, AluOp.Mov, OperandSource.Imm), Register.R0, Register.R0, 0, 0));
        insns.Add(new Instruction(Opcodes.Exit, Register.R0, Register.R0, 0, 0));
        _program = [.. insns];
        if (!InstructionDecoder.TryValidate(_program, out var error)) throw error.ToException();
    }

    [Benchmark(Description = "CilCompiler.Compile, 1,000 instructions")]
    public object Compile() => CilCompiler.Compile(_program, HelperRegistry.Basic);
}
