using HeteroBpf.Isa;

namespace HeteroBpf.Verifier;

/// <summary>ALU instructions: scalar ranges through <see cref="ScalarValue.Alu"/>, and the pointer arithmetic the kernel allows (<c>adjust_ptr_min_max_vals</c>).</summary>
internal sealed partial class Walker
{
    private static readonly Instruction Add64 = new(0x0f, (byte)0, (byte)0, 0, 0);
    private static readonly Instruction Sub64 = new(0x1f, (byte)0, (byte)0, 0, 0);

    private static string OpText(AluOp op) => op switch
    {
        AluOp.Add => "+=",
        AluOp.Sub => "-=",
        AluOp.Mul => "*=",
        AluOp.Div => "/=",
        AluOp.Or => "|=",
        AluOp.And => "&=",
        AluOp.Lsh => "<<=",
        AluOp.Rsh => ">>=",
        AluOp.Neg => "neg",
        AluOp.Mod => "%=",
        AluOp.Xor => "^=",
        AluOp.Mov => "=",
        AluOp.Arsh => "s>>=",
        AluOp.End => "endian",
        _ => "?",
    };

    private void Alu(in Instruction insn)
    {
        var op = insn.AluOp;
        bool is64 = insn.Class == OpClass.Alu64;
        int d = insn.DstNumber;
        if ((byte)op > 0xd0) throw Fail(ErrorCode.VerifierBadInstruction, $"unknown opcode {insn.OpCode:x2}");
        if (op == AluOp.Mov)
        {
            if (insn.Source == OperandSource.Imm)
            {
                // What ScalarValue.Alu gives for a move of an immediate: the immediate, sign- or zero-extended.
                WriteReg(d, new RegisterState(RegisterType.Scalar, ScalarValue.Const(is64 ? (ulong)(long)insn.Imm : (uint)insn.Imm)));
                return;
            }

            int s = insn.SrcNumber;
            var src = ReadReg(s);
            if (src.IsPointer)
            {
                if (is64 && insn.Offset == 0)
                {
                    WriteReg(d, src);
                    return;
                }

                if (!_root) throw Fail(ErrorCode.VerifierPointerLeak, insn.Offset == 0 ? $"R{s} partial copy of pointer" : $"R{s} sign-extension part of pointer");
                WriteReg(d, RegisterState.UnknownScalar);
                return;
            }

            if (is64 && insn.Offset == 0)
            {
                // A copy shares an id with its source so a bound learnt on either reaches both.
                if (src.Id == 0 && !src.Value.IsConst)
                {
                    src = src with { Id = NewId() };
                    _cur.Regs[s] = src;
                }

                WriteReg(d, src);
                return;
            }

            WriteReg(d, new RegisterState(RegisterType.Scalar, ScalarValue.Alu(insn, ScalarValue.Unknown, src.Value)));
            return;
        }

        if (TryFoldInPlace(insn, d)) return;
        var dst = ReadReg(d);
        if (op is AluOp.Neg or AluOp.End)
        {
            if (dst.IsPointer)
            {
                if (!_root) throw Fail(ErrorCode.VerifierPointerArithmetic, $"R{d} pointer arithmetic prohibited");
                WriteReg(d, RegisterState.UnknownScalar);
                return;
            }

            WriteReg(d, new RegisterState(RegisterType.Scalar, ScalarValue.Alu(insn, dst.Value, ScalarValue.Unknown)));
            return;
        }

        if (op is AluOp.Lsh or AluOp.Rsh or AluOp.Arsh && insn.Source == OperandSource.Imm && (uint)insn.Imm >= (is64 ? 64u : 32u))
            throw Fail(ErrorCode.VerifierBadInstruction, $"invalid shift {insn.Imm}");
        RegisterState off;
        if (insn.Source == OperandSource.Reg)
        {
            off = ReadReg(insn.SrcNumber);
        }
        else
        {
            off = new RegisterState(RegisterType.Scalar, ScalarValue.Const((ulong)(long)insn.Imm));
        }

        if (off.IsPointer)
        {
            if (dst.IsPointer)
            {
                if (op == AluOp.Sub && _root)
                {
                    WriteReg(d, RegisterState.UnknownScalar);
                    return;
                }

                throw Fail(ErrorCode.VerifierPointerArithmetic, $"R{d} pointer {OpText(op)} pointer prohibited");
            }

            // scalar op= pointer: the scalar's value becomes the pointer's offset.
            MarkRegPrecise(d);
            WriteReg(d, PointerArithmetic(insn, d, off, dst, offIsDst: true));
            return;
        }

        if (dst.IsPointer)
        {
            if (insn.Source == OperandSource.Reg) MarkRegPrecise(insn.SrcNumber);
            WriteReg(d, PointerArithmetic(insn, d, dst, off, offIsDst: false));
            return;
        }

        var result = ScalarValue.Alu(insn, dst.Value, off.Value);
        // dst += K on a copy keeps the link, shifted by K, so a bound learnt on either still reaches the other.
        if (is64 && dst.Id != 0 && op is AluOp.Add or AluOp.Sub && off.Value.IsConst)
        {
            long k = (long)off.Value.VarOff.Value;
            long delta = dst.Delta + (op == AluOp.Add ? k : -k);
            if (delta == (int)delta)
            {
                WriteReg(d, new RegisterState(RegisterType.Scalar, result, Id: dst.Id, Delta: delta));
                return;
            }
        }

        WriteReg(d, new RegisterState(RegisterType.Scalar, result));
    }

    /// <summary>
    /// The common case of loops with exactly tracked counters: a scalar constant without links combined with a constant
    /// (register or immediate) gives a constant, as <see cref="ScalarValue.Alu"/> would, without copying register states.
    /// </summary>
    private bool TryFoldInPlace(in Instruction insn, int d)
    {
        if (d == 10 || insn.AluOp is AluOp.Neg or AluOp.End) return false;
        var regs = _cur.Regs;
        ref readonly var dst = ref regs[d];
        if (dst.Type != RegisterType.Scalar || dst.Id != 0 || !dst.Value.IsExactConst) return false;
        ulong b = 0;
        if (insn.Source == OperandSource.Reg)
        {
            ref readonly var src = ref regs[insn.SrcNumber];
            if (src.Type != RegisterType.Scalar || !src.Value.IsExactConst) return false;
            b = src.Value.VarOff.Value;
        }
        else if (insn.AluOp is AluOp.Lsh or AluOp.Rsh or AluOp.Arsh && (uint)insn.Imm >= (insn.Class == OpClass.Alu64 ? 64u : 32u))
        {
            return false; // refused by the general path
        }

        if (!ScalarValue.TryFoldConst(insn, dst.Value.VarOff.Value, b, out ulong folded)) return false;
        regs[d] = new RegisterState(RegisterType.Scalar, ScalarValue.Const(folded));
        return true;
    }

    private RegisterState PointerArithmetic(in Instruction insn, int d, RegisterState ptr, RegisterState off, bool offIsDst)
    {
        var op = insn.AluOp;
        if (insn.Class != OpClass.Alu64)
        {
            if (op == AluOp.Sub && _root) return RegisterState.UnknownScalar;
            throw Fail(ErrorCode.VerifierPointerArithmetic, $"R{d} 32-bit pointer arithmetic prohibited");
        }

        string name = VerifierLog.TypeName(ptr);
        if (IsMaybeNull(ptr.Type))
            throw Fail(ErrorCode.VerifierPointerArithmetic, $"R{d} pointer arithmetic on {name} prohibited, null-check it first");
        bool known = off.Value.IsConst;
        long k = (long)off.Value.VarOff.Value;
        switch (ptr.Type)
        {
            case RegisterType.PtrToCtx:
            case RegisterType.PtrToMapValue:
            case RegisterType.PtrToMapKey:
            case RegisterType.PtrToStack:
            case RegisterType.PtrToPacketMeta:
            case RegisterType.PtrToPacket:
            case RegisterType.PtrToMem:
            case RegisterType.PtrToFunc:
                break;
            case RegisterType.PtrToFlowKeys when known:
                break;
            case RegisterType.ConstPtrToMap when known && k == 0 && op == AluOp.Add:
                break;
            default:
                throw Fail(ErrorCode.VerifierPointerArithmetic, $"R{d} pointer arithmetic on {name} prohibited");
        }

        SaneOffset(off, name);
        SaneOffset(ptr, name);
        RegisterState result;
        switch (op)
        {
            case AluOp.Add:
                if (known && ptr.Offset + k == (int)(ptr.Offset + k))
                {
                    result = ptr with { Offset = (int)(ptr.Offset + k) };
                    break;
                }

                result = ptr with { Value = ScalarValue.Alu(Add64, ptr.Value, off.Value) };
                if (ptr.Type is RegisterType.PtrToPacket or RegisterType.PtrToPacketMeta) result = result with { Id = NewId(), Range = 0 };
                break;
            case AluOp.Sub:
                if (offIsDst) throw Fail(ErrorCode.VerifierPointerArithmetic, $"R{d} tried to subtract pointer from scalar");
                if (ptr.Type == RegisterType.PtrToStack) throw Fail(ErrorCode.VerifierPointerArithmetic, $"R{d} subtraction from stack pointer prohibited");
                if (known && ptr.Offset - k == (int)(ptr.Offset - k))
                {
                    result = ptr with { Offset = (int)(ptr.Offset - k) };
                    break;
                }

                result = ptr with { Value = ScalarValue.Alu(Sub64, ptr.Value, off.Value) };
                if (ptr.Type is RegisterType.PtrToPacket or RegisterType.PtrToPacketMeta) result = result with { Id = NewId(), Range = 0 };
                break;
            case AluOp.And:
            case AluOp.Or:
            case AluOp.Xor:
                throw Fail(ErrorCode.VerifierPointerArithmetic, $"R{d} bitwise operator {OpText(op)} on pointer prohibited");
            default:
                throw Fail(ErrorCode.VerifierPointerArithmetic, $"R{d} pointer arithmetic with {OpText(op)} operator prohibited");
        }

        SaneOffset(result, name);
        if (!_root) SpectreBounds(d, result);
        return result;
    }

    // The kernel's check_reg_sane_offset: offsets beyond ±2^29 or without a lower bound are refused.
    private void SaneOffset(in RegisterState reg, string name)
    {
        var v = reg.Value;
        long val = (long)v.VarOff.Value;
        if (v.IsConst && (val >= MaxVarOff || val <= -MaxVarOff))
            throw Fail(ErrorCode.VerifierPointerArithmetic, $"math between {name} pointer and {val} is not allowed");
        if (reg.Offset >= MaxVarOff || reg.Offset <= -MaxVarOff)
            throw Fail(ErrorCode.VerifierPointerArithmetic, $"{name} pointer offset {reg.Offset} is not allowed");
        if (v.SMin == long.MinValue)
            throw Fail(ErrorCode.VerifierPointerArithmetic, $"math between {name} pointer and register with unbounded min value is not allowed");
        if (v.SMin >= MaxVarOff || v.SMin <= -MaxVarOff)
            throw Fail(ErrorCode.VerifierPointerArithmetic, $"value {v.SMin} makes {name} pointer be out of bounds");
    }

    // CAP_BPF without CAP_PERFMON: a pointer may not even point outside its object (Spectre v1).
    private void SpectreBounds(int d, in RegisterState reg)
    {
        if (reg.Type == RegisterType.PtrToStack)
        {
            if (!reg.Value.IsConst)
                throw Fail(ErrorCode.VerifierPointerArithmetic, $"R{d} variable stack access prohibited for !root, var_off={reg.Value.VarOff} off={reg.Offset}");
            long off = reg.Offset + (long)reg.Value.VarOff.Value;
            if (off < -FuncFrame.StackSize || off >= 0)
                throw Fail(ErrorCode.VerifierPointerArithmetic, $"R{d} stack pointer arithmetic goes out of range, prohibited for !root; off={off}");
        }
        else if (reg.Type == RegisterType.PtrToMapValue)
        {
            long size = _maps[reg.MapIndex].ValueSize;
            long lo = reg.Offset + reg.Value.SMin;
            long hi = reg.Offset + (long)reg.Value.UMax;
            if (reg.Value.SMin < 0 || lo < 0 || hi >= size || reg.Value.UMax >= MaxVarOff)
                throw Fail(ErrorCode.VerifierPointerArithmetic, $"R{d} pointer arithmetic of map value goes out of range, prohibited for !root");
        }
    }
}
