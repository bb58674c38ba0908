namespace HeteroBpf.Isa;

/// <summary>Opcode bytes composed from their fields, for builders and tables.</summary>
public static class Opcodes
{
    /// <summary>The first slot of a 64-bit immediate load.</summary>
    public const byte Lddw = (byte)OpClass.Ld | (byte)MemMode.Imm | (byte)MemSize.DW;

    /// <summary>Helper, local or kfunc call.</summary>
    public const byte Call = (byte)OpClass.Jmp | (byte)JumpOp.Call;

    /// <summary>Indirect call through a register.</summary>
    public const byte CallX = (byte)OpClass.Jmp | (byte)JumpOp.Call | (byte)OperandSource.Reg;

    /// <summary>Return.</summary>
    public const byte Exit = (byte)OpClass.Jmp | (byte)JumpOp.Exit;

    /// <summary>Unconditional jump with a 16-bit offset.</summary>
    public const byte Ja = (byte)OpClass.Jmp | (byte)JumpOp.Ja;

    /// <summary>Unconditional jump with a 32-bit offset in the immediate (<c>gotol</c>).</summary>
    public const byte Gotol = (byte)OpClass.Jmp32 | (byte)JumpOp.Ja;

    /// <summary>An ALU or ALU64 opcode.</summary>
    public static byte Alu(bool is64, AluOp op, OperandSource source) =>
        (byte)((byte)(is64 ? OpClass.Alu64 : OpClass.Alu) | (byte)op | (byte)source);

    /// <summary>A JMP or JMP32 opcode.</summary>
    public static byte Jump(bool is64, JumpOp op, OperandSource source) =>
        (byte)((byte)(is64 ? OpClass.Jmp : OpClass.Jmp32) | (byte)op | (byte)source);

    /// <summary>A load/store opcode.</summary>
    public static byte Memory(OpClass cls, MemMode mode, MemSize size) => (byte)((byte)cls | (byte)mode | (byte)size);
}
