using System.Diagnostics.CodeAnalysis;

namespace HeteroBpf.Isa;

/// <summary>Why bytecode was refused, and at which slot.</summary>
public readonly record struct DecodeError(ErrorCode Code, string Reason, int Slot)
{
    /// <summary>The error as an exception carrying its slot.</summary>
    public InvalidBytecodeException ToException() => new(Code, Reason, BpfLocation.AtInstruction(Slot));
}

/// <summary>Bytecode that is not a valid eBPF program (bad length, reserved encoding, stray jump).</summary>
public sealed class InvalidBytecodeException : HbpfException
{
    /// <summary>Creates the error.</summary>
    public InvalidBytecodeException(ErrorCode code, string reason, BpfLocation location, Exception? inner = null)
        : base(code, reason, location, inner)
    {
    }

    /// <inheritdoc/>
    public override HbpfException WithLocation(BpfLocation location) => new InvalidBytecodeException(Code, Reason, location, this);
}

/// <summary>Decodes raw bytecode into slots and checks every encoding and every branch target.</summary>
public static class InstructionDecoder
{
    /// <summary>Decodes and validates <paramref name="bytecode"/>; on failure gives the first error with its slot.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytecode, [NotNullWhen(true)] out Instruction[]? program, out DecodeError error)
    {
        program = null;
        if (bytecode.Length % 8 != 0)
        {
            int last = bytecode.Length / 8;
            error = new(ErrorCode.TruncatedBytecode, $"bytecode length {bytecode.Length} is not a multiple of 8: slot {last} at byte offset {last * 8} has only {bytecode.Length % 8} of 8 bytes", last);
            return false;
        }

        var slots = Instruction.Cast(bytecode).ToArray();
        if (!TryValidate(slots, out error)) return false;
        program = slots;
        return true;
    }

    /// <summary>Decodes and validates <paramref name="bytecode"/>, throwing <see cref="InvalidBytecodeException"/> on the first error.</summary>
    public static Instruction[] Decode(ReadOnlySpan<byte> bytecode)
    {
        if (!TryDecode(bytecode, out var program, out var error)) throw error.ToException();
        return program;
    }

    /// <summary>Checks every slot's encoding, <c>lddw</c> pairing and every branch target.</summary>
    public static bool TryValidate(ReadOnlySpan<Instruction> slots, out DecodeError error)
    {
        if (slots.Length == 0)
        {
            error = new(ErrorCode.EmptyProgram, "program has no instructions", 0);
            return false;
        }

        // Pass 1: encodings, and which slots are second halves of lddw.
        Span<bool> secondHalf = slots.Length <= 4096 ? stackalloc bool[slots.Length] : new bool[slots.Length];
        for (int pc = 0; pc < slots.Length; pc++)
        {
            ref readonly var insn = ref slots[pc];
            if (!InstructionForms.TryValidate(insn, out var code, out var reason))
            {
                error = new(code, reason, pc);
                return false;
            }

            if (WritesReadOnlyRegister(insn, out string? written))
            {
                error = new(ErrorCode.InvalidRegister, $"opcode 0x{insn.OpCode:x2} ({InstructionForms.Of(insn.OpCode).Kind}) writes {written}, the read-only frame pointer", pc);
                return false;
            }

            if (insn.IsWide)
            {
                if (pc + 1 >= slots.Length)
                {
                    error = new(ErrorCode.LddwMissingSecondHalf, "lddw in the last slot has no second half", pc);
                    return false;
                }

                ref readonly var next = ref slots[pc + 1];
                if (next.OpCode != 0 || next.DstNumber != 0 || next.SrcNumber != 0 || next.Offset != 0)
                {
                    error = new(ErrorCode.LddwBadSecondHalf, $"second slot of lddw must be opcode 0 with zero registers and offset, is {next}", pc + 1);
                    return false;
                }

                var kind = (LoadImmKind)insn.SrcNumber;
                if (next.Imm != 0 && kind is not (LoadImmKind.Imm64 or LoadImmKind.MapValueByFd or LoadImmKind.MapValueByIndex))
                {
                    error = new(ErrorCode.LddwBadSecondHalf, $"second slot of lddw ({kind}) must have immediate 0, is {next.Imm}", pc + 1);
                    return false;
                }

                secondHalf[++pc] = true;
            }
        }

        // Pass 2: branch targets.
        for (int pc = 0; pc < slots.Length; pc++)
        {
            if (secondHalf[pc]) continue;
            if (Branches.TryGetTarget(slots[pc], pc, out long target))
            {
                if (target < 0 || target >= slots.Length)
                {
                    error = new(ErrorCode.JumpOutOfRange, $"jump to slot {target} is outside the program (0..{slots.Length - 1})", pc);
                    return false;
                }

                if (secondHalf[(int)target])
                {
                    error = new(ErrorCode.JumpIntoLddw, $"jump to slot {target} lands in the second half of a lddw", pc);
                    return false;
                }
            }
        }

        error = default;
        return true;
    }

    // R10 is a valid operand everywhere (stores and loads use it as a base), so the encoding table allows it; only a
    // program that writes it is wrong, because the BPF ABI makes the frame pointer read-only and engines keep their
    // stack at R10. The encoding itself is well-formed (llvm-objdump prints it and so does our disassembler), hence a
    // check on whole programs rather than in InstructionForms.
    private static bool WritesReadOnlyRegister(in Instruction insn, [NotNullWhen(true)] out string? written)
    {
        const byte Fp = (byte)Register.R10;
        switch (InstructionForms.Of(insn.OpCode).Kind)
        {
            case InstructionKind.Alu or InstructionKind.Neg or InstructionKind.End or InstructionKind.Lddw
                or InstructionKind.Load or InstructionKind.LoadSx when insn.DstNumber == Fp:
                written = "dst r10";
                return true;
            case InstructionKind.Atomic when insn.SrcNumber == Fp && (insn.Imm & AtomicFetch) != 0 && insn.Imm != (int)AtomicOp.CmpXchg:
                // Fetching atomics and xchg load the old value into src; cmpxchg loads it into R0 instead.
                written = "src r10";
                return true;
            default:
                written = null;
                return false;
        }
    }

    // The FETCH flag of an atomic operation (RFC 9669 section 5.3).
    private const int AtomicFetch = 0x01;
}
