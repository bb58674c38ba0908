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
            error = new(ErrorCode.TruncatedBytecode, $"bytecode length {bytecode.Length} is not a multiple of 8 ({bytecode.Length % 8} trailing bytes)", bytecode.Length / 8);
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
}
