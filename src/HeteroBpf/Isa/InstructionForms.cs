namespace HeteroBpf.Isa;

/// <summary>What an instruction does, independent of its exact opcode byte.</summary>
public enum InstructionKind : byte
{
    /// <summary>No instruction has this opcode.</summary>
    Invalid,
    /// <summary>Binary ALU/ALU64 operation or move.</summary>
    Alu,
    /// <summary>Negation.</summary>
    Neg,
    /// <summary>Byte swap or endianness conversion.</summary>
    End,
    /// <summary>Conditional jump (JMP/JMP32).</summary>
    CondJump,
    /// <summary>Unconditional jump with a 16-bit offset.</summary>
    Ja,
    /// <summary>Unconditional jump with a 32-bit offset in the immediate.</summary>
    Gotol,
    /// <summary>Helper, local or kfunc call.</summary>
    Call,
    /// <summary>Call through a register.</summary>
    CallX,
    /// <summary>Return.</summary>
    Exit,
    /// <summary>64-bit immediate load (two slots).</summary>
    Lddw,
    /// <summary>Legacy packet load at an absolute offset.</summary>
    LoadAbs,
    /// <summary>Legacy packet load at a register-relative offset.</summary>
    LoadInd,
    /// <summary>Zero-extending load.</summary>
    Load,
    /// <summary>Sign-extending load.</summary>
    LoadSx,
    /// <summary>Store of an immediate.</summary>
    StoreImm,
    /// <summary>Store of a register.</summary>
    StoreReg,
    /// <summary>Atomic read-modify-write.</summary>
    Atomic,
}

/// <summary>What a field of an instruction form may hold.</summary>
public enum FieldRule : byte
{
    /// <summary>Reserved: must be zero.</summary>
    Zero,
    /// <summary>A register number 0–10.</summary>
    Register,
    /// <summary>Any value.</summary>
    Any,
    /// <summary>Offset 0 (unsigned) or 1 (signed) of division and modulo.</summary>
    DivSign,
    /// <summary>Offset 0, 8, 16 or 32 of a 64-bit move (sign extension width).</summary>
    MovSx64,
    /// <summary>Offset 0, 8 or 16 of a 32-bit move (sign extension width).</summary>
    MovSx32,
    /// <summary>Width 16, 32 or 64 of a byte swap.</summary>
    EndWidth,
    /// <summary>One of the <see cref="AtomicOp"/> codes.</summary>
    AtomicOp,
    /// <summary>A <see cref="CallKind"/> (0–2).</summary>
    CallKind,
    /// <summary>A <see cref="LoadImmKind"/> (0–6).</summary>
    LoadImmKind,
}

/// <summary>One legal opcode: its kind and a rule for each field (uBPF's declarative validity table, RFC 9669).</summary>
public readonly record struct InstructionForm(InstructionKind Kind, FieldRule Dst, FieldRule Src, FieldRule Offset, FieldRule Imm)
{
    /// <summary>True when the opcode exists.</summary>
    public bool IsValid => Kind != InstructionKind.Invalid;
}

/// <summary>The validity table: the form of every one of the 256 opcode bytes, checked once at load so engines can trust their input.</summary>
public static class InstructionForms
{
    private static readonly InstructionForm[] Table = Build();

    /// <summary>The form of <paramref name="opcode"/> (<see cref="InstructionKind.Invalid"/> when none).</summary>
    public static InstructionForm Of(byte opcode) => Table[opcode];

    /// <summary>Every legal opcode byte, ascending.</summary>
    public static IEnumerable<byte> ValidOpcodes()
    {
        for (int op = 0; op < 256; op++)
        {
            if (Table[op].IsValid) yield return (byte)op;
        }
    }

    /// <summary>Checks one slot's fields against its form; the first broken rule is returned as an error code and reason.</summary>
    public static bool TryValidate(in Instruction insn, out ErrorCode code, out string reason)
    {
        var form = Table[insn.OpCode];
        if (!form.IsValid)
        {
            code = ErrorCode.UnknownOpcode;
            reason = $"unknown opcode 0x{insn.OpCode:x2}";
            return false;
        }

        if (!Check(form.Dst, insn.DstNumber, insn, "dst register", out code, out reason)) return false;
        if (!Check(form.Src, insn.SrcNumber, insn, "src register", out code, out reason)) return false;
        if (!Check(form.Offset, insn.Offset, insn, "offset", out code, out reason)) return false;
        if (!Check(form.Imm, insn.Imm, insn, "immediate", out code, out reason)) return false;

        // A kfunc call is the only call that may carry an offset (a module BTF fd index).
        if (form.Kind == InstructionKind.Call && insn.Offset != 0 && insn.SrcNumber != (byte)CallKind.Kfunc)
        {
            code = ErrorCode.ReservedField;
            reason = $"opcode 0x{insn.OpCode:x2}: offset must be 0 for a helper or local call, is {insn.Offset}";
            return false;
        }

        code = default;
        reason = "";
        return true;
    }

    private static bool Check(FieldRule rule, long value, in Instruction insn, string field, out ErrorCode code, out string reason)
    {
        bool ok = rule switch
        {
            FieldRule.Zero => value == 0,
            FieldRule.Register => value is >= 0 and <= 10,
            FieldRule.Any => true,
            FieldRule.DivSign => value is 0 or 1,
            FieldRule.MovSx64 => value is 0 or 8 or 16 or 32,
            FieldRule.MovSx32 => value is 0 or 8 or 16,
            FieldRule.EndWidth => value is 16 or 32 or 64,
            FieldRule.AtomicOp => Enum.IsDefined((AtomicOp)(int)value),
            FieldRule.CallKind => value is >= 0 and <= 2,
            FieldRule.LoadImmKind => value is >= 0 and <= 6,
            _ => false,
        };
        if (ok)
        {
            code = default;
            reason = "";
            return true;
        }

        code = rule switch
        {
            FieldRule.Zero => ErrorCode.ReservedField,
            FieldRule.Register => ErrorCode.InvalidRegister,
            FieldRule.CallKind or FieldRule.LoadImmKind => field.EndsWith("register", StringComparison.Ordinal) ? ErrorCode.InvalidRegister : ErrorCode.InvalidImmediate,
            _ => field == "offset" ? ErrorCode.InvalidOffset : ErrorCode.InvalidImmediate,
        };
        string expected = rule switch
        {
            FieldRule.Zero => "must be 0",
            FieldRule.Register => "must be r0..r10",
            FieldRule.DivSign => "must be 0 (unsigned) or 1 (signed)",
            FieldRule.MovSx64 => "must be 0, 8, 16 or 32",
            FieldRule.MovSx32 => "must be 0, 8 or 16",
            FieldRule.EndWidth => "must be 16, 32 or 64",
            FieldRule.AtomicOp => "is not an atomic operation",
            FieldRule.CallKind => "must be 0 (helper), 1 (local) or 2 (kfunc)",
            FieldRule.LoadImmKind => "must be a pseudo source 0..6",
            _ => "is invalid",
        };
        reason = $"opcode 0x{insn.OpCode:x2} ({Table[insn.OpCode].Kind}): {field} {value} {expected}";
        return false;
    }

    private static InstructionForm[] Build()
    {
        var t = new InstructionForm[256];
        const FieldRule Z = FieldRule.Zero, R = FieldRule.Register, A = FieldRule.Any;

        foreach (bool is64 in new[] { false, true })
        {
            foreach (AluOp op in Enum.GetValues<AluOp>())
            {
                byte k = Opcodes.Alu(is64, op, OperandSource.Imm), x = Opcodes.Alu(is64, op, OperandSource.Reg);
                switch (op)
                {
                    case AluOp.Neg:
                        t[k] = new(InstructionKind.Neg, R, Z, Z, Z);
                        break;
                    case AluOp.End:
                        // ALU: le (0xd4) and be (0xdc); ALU64: bswap (0xd7), whose source bit is reserved.
                        t[k] = new(InstructionKind.End, R, Z, Z, FieldRule.EndWidth);
                        if (!is64) t[x] = new(InstructionKind.End, R, Z, Z, FieldRule.EndWidth);
                        break;
                    case AluOp.Div or AluOp.Mod:
                        t[k] = new(InstructionKind.Alu, R, Z, FieldRule.DivSign, A);
                        t[x] = new(InstructionKind.Alu, R, R, FieldRule.DivSign, Z);
                        break;
                    case AluOp.Mov:
                        t[k] = new(InstructionKind.Alu, R, Z, Z, A);
                        t[x] = new(InstructionKind.Alu, R, R, is64 ? FieldRule.MovSx64 : FieldRule.MovSx32, Z);
                        break;
                    default:
                        t[k] = new(InstructionKind.Alu, R, Z, Z, A);
                        t[x] = new(InstructionKind.Alu, R, R, Z, Z);
                        break;
                }
            }

            foreach (JumpOp op in Enum.GetValues<JumpOp>())
            {
                byte k = Opcodes.Jump(is64, op, OperandSource.Imm), x = Opcodes.Jump(is64, op, OperandSource.Reg);
                switch (op)
                {
                    case JumpOp.Ja:
                        t[k] = is64 ? new(InstructionKind.Ja, Z, Z, A, Z) : new(InstructionKind.Gotol, Z, Z, Z, A);
                        break;
                    case JumpOp.Call:
                        if (is64)
                        {
                            t[k] = new(InstructionKind.Call, Z, FieldRule.CallKind, A, A);
                            t[x] = new(InstructionKind.CallX, R, Z, Z, Z);
                        }

                        break;
                    case JumpOp.Exit:
                        if (is64) t[k] = new(InstructionKind.Exit, Z, Z, Z, Z);
                        break;
                    default:
                        t[k] = new(InstructionKind.CondJump, R, Z, A, A);
                        t[x] = new(InstructionKind.CondJump, R, R, A, Z);
                        break;
                }
            }
        }

        t[Opcodes.Lddw] = new(InstructionKind.Lddw, R, FieldRule.LoadImmKind, Z, A);
        foreach (MemSize size in new[] { MemSize.W, MemSize.H, MemSize.B })
        {
            t[Opcodes.Memory(OpClass.Ld, MemMode.Abs, size)] = new(InstructionKind.LoadAbs, Z, Z, Z, A);
            t[Opcodes.Memory(OpClass.Ld, MemMode.Ind, size)] = new(InstructionKind.LoadInd, Z, R, Z, A);
            t[Opcodes.Memory(OpClass.Ldx, MemMode.MemSx, size)] = new(InstructionKind.LoadSx, R, R, A, Z);
        }

        foreach (MemSize size in Enum.GetValues<MemSize>())
        {
            t[Opcodes.Memory(OpClass.Ldx, MemMode.Mem, size)] = new(InstructionKind.Load, R, R, A, Z);
            t[Opcodes.Memory(OpClass.St, MemMode.Mem, size)] = new(InstructionKind.StoreImm, R, Z, A, A);
            t[Opcodes.Memory(OpClass.Stx, MemMode.Mem, size)] = new(InstructionKind.StoreReg, R, R, A, Z);
        }

        t[Opcodes.Memory(OpClass.Stx, MemMode.Atomic, MemSize.W)] = new(InstructionKind.Atomic, R, R, A, FieldRule.AtomicOp);
        t[Opcodes.Memory(OpClass.Stx, MemMode.Atomic, MemSize.DW)] = new(InstructionKind.Atomic, R, R, A, FieldRule.AtomicOp);
        return t;
    }
}
