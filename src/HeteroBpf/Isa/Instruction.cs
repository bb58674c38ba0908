using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace HeteroBpf.Isa;

/// <summary>One 8-byte eBPF instruction slot exactly as RFC 9669 lays it out (little-endian); read zero-copy from bytecode.</summary>
/// <remarks>
/// A <c>lddw</c> is one instruction two slots wide: this struct is the first slot, the next slot carries the upper
/// 32 bits of the immediate in its <see cref="Imm"/>. Field values are not validated here: <see cref="InstructionForms"/>
/// decides whether an encoding is legal.
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 1, Size = 8)]
public readonly struct Instruction : IEquatable<Instruction>
{
    /// <summary>The raw opcode byte.</summary>
    public readonly byte OpCode;
    private readonly byte _regs;
    /// <summary>The signed 16-bit offset field.</summary>
    public readonly short Offset;
    /// <summary>The signed 32-bit immediate field.</summary>
    public readonly int Imm;

    /// <summary>Builds an instruction from raw field values; register numbers may be out of range (for tests of the decoder).</summary>
    public Instruction(byte opCode, byte dst, byte src, short offset, int imm)
    {
        OpCode = opCode;
        _regs = (byte)((dst & 0xf) | (src << 4));
        Offset = offset;
        Imm = imm;
    }

    /// <summary>Builds an instruction from typed fields.</summary>
    public Instruction(byte opCode, Register dst, Register src, short offset, int imm)
        : this(opCode, (byte)dst, (byte)src, offset, imm)
    {
    }

    /// <summary>Destination register number (raw nibble, may exceed 10 in invalid encodings).</summary>
    public byte DstNumber => (byte)(_regs & 0xf);

    /// <summary>Source register number (raw nibble, may exceed 10 in invalid encodings).</summary>
    public byte SrcNumber => (byte)(_regs >> 4);

    /// <summary>Destination register.</summary>
    public Register Dst => (Register)(_regs & 0xf);

    /// <summary>Source register.</summary>
    public Register Src => (Register)(_regs >> 4);

    /// <summary>Instruction class.</summary>
    public OpClass Class => (OpClass)(OpCode & 0x07);

    /// <summary>True for ALU and ALU64.</summary>
    public bool IsAlu => Class is OpClass.Alu or OpClass.Alu64;

    /// <summary>ALU operation (meaningful for ALU/ALU64 only).</summary>
    public AluOp AluOp => (AluOp)(OpCode & 0xf0);

    /// <summary>Jump operation (meaningful for JMP/JMP32 only).</summary>
    public JumpOp JumpOp => (JumpOp)(OpCode & 0xf0);

    /// <summary>Operand source (meaningful for ALU and jumps).</summary>
    public OperandSource Source => (OperandSource)(OpCode & 0x08);

    /// <summary>Access size (meaningful for loads and stores).</summary>
    public MemSize Size => (MemSize)(OpCode & 0x18);

    /// <summary>Addressing mode (meaningful for loads and stores).</summary>
    public MemMode Mode => (MemMode)(OpCode & 0xe0);

    /// <summary>True for the first slot of a <c>lddw</c> (two slots wide).</summary>
    public bool IsWide => OpCode == Opcodes.Lddw;

    /// <summary>Number of slots this instruction occupies (2 for <c>lddw</c>).</summary>
    public int Width => OpCode == Opcodes.Lddw ? 2 : 1;

    /// <summary>The signed immediate widened to 64 bits (as ALU64 and JMP use it).</summary>
    public long Imm64 => Imm;

    /// <summary>Returns this instruction with a new offset (for jump fix-ups).</summary>
    public Instruction WithOffset(short offset) => new(OpCode, DstNumber, SrcNumber, offset, Imm);

    /// <summary>Returns this instruction with a new immediate (for relocations).</summary>
    public Instruction WithImm(int imm) => new(OpCode, DstNumber, SrcNumber, Offset, imm);

    /// <summary>Returns this instruction with a new source register field (for relocations).</summary>
    public Instruction WithSrc(byte src) => new(OpCode, DstNumber, src, Offset, Imm);

    /// <summary>The 64-bit value of a <c>lddw</c> whose second slot is <paramref name="next"/>.</summary>
    public static ulong WideImmediate(in Instruction first, in Instruction next) => (uint)first.Imm | ((ulong)(uint)next.Imm << 32);

    /// <summary>Size in bytes of an access of size <paramref name="size"/>.</summary>
    public static int SizeInBytes(MemSize size) => size switch
    {
        MemSize.B => 1,
        MemSize.H => 2,
        MemSize.W => 4,
        _ => 8,
    };

    /// <summary>Reads slots zero-copy from little-endian bytecode (length must be a multiple of 8).</summary>
    public static ReadOnlySpan<Instruction> Cast(ReadOnlySpan<byte> bytecode) => MemoryMarshal.Cast<byte, Instruction>(bytecode);

    /// <summary>Views slots as their raw bytes.</summary>
    public static ReadOnlySpan<byte> AsBytes(ReadOnlySpan<Instruction> slots) => MemoryMarshal.AsBytes(slots);

    /// <inheritdoc/>
    public bool Equals(Instruction other) => Unsafe.As<Instruction, ulong>(ref Unsafe.AsRef(in this)) == Unsafe.As<Instruction, ulong>(ref other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Instruction other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Unsafe.As<Instruction, ulong>(ref Unsafe.AsRef(in this)).GetHashCode();

    /// <summary>Value equality.</summary>
    public static bool operator ==(Instruction left, Instruction right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Instruction left, Instruction right) => !left.Equals(right);

    /// <summary>Raw hex of the slot, as <c>llvm-objdump</c> prints it (e.g. <c>b7 00 00 00 01 00 00 00</c>).</summary>
    public override string ToString()
    {
        Span<byte> b = stackalloc byte[8];
        MemoryMarshal.Write(b, in this);
        return Convert.ToHexStringLower(b);
    }
}
