using HeteroBpf.Isa;

namespace HeteroBpf.Verifier;

/// <summary>Loads, stores and atomics by region (the kernel's <c>check_mem_access</c>), and helpers' memory arguments.</summary>
internal sealed partial class Walker
{
    private const byte RegionCtx = 1, RegionPacket = 2, RegionStack = 3, RegionMapValue = 4, RegionOther = 5;

    private void Load(in Instruction insn)
    {
        if (insn.Mode is not (MemMode.Mem or MemMode.MemSx)) throw Fail(ErrorCode.VerifierBadInstruction, $"unknown opcode {insn.OpCode:x2}");
        int size = Instruction.SizeInBytes(insn.Size);
        var value = Access(insn.SrcNumber, insn.Offset, size, write: false, valueReg: -1, insn.Mode == MemMode.MemSx);
        WriteReg(insn.DstNumber, value);
    }

    private void Store(in Instruction insn)
    {
        if (insn.Mode != MemMode.Mem) throw Fail(ErrorCode.VerifierBadInstruction, $"unknown opcode {insn.OpCode:x2}");
        int size = Instruction.SizeInBytes(insn.Size);
        int valueReg = -1;
        if (insn.Class == OpClass.Stx)
        {
            valueReg = insn.SrcNumber;
            ReadReg(valueReg);
        }

        ReadReg(insn.DstNumber);
        Access(insn.DstNumber, insn.Offset, size, write: true, valueReg, signExtend: false, imm: insn.Class == OpClass.St ? insn.Imm : null);
    }

    private void Atomic(in Instruction insn)
    {
        int size = Instruction.SizeInBytes(insn.Size);
        if (insn.Class != OpClass.Stx || size is not (4 or 8)) throw Fail(ErrorCode.VerifierBadInstruction, "invalid atomic operand size");
        var aop = (AtomicOp)insn.Imm;
        if (aop is not (AtomicOp.Add or AtomicOp.Or or AtomicOp.And or AtomicOp.Xor or AtomicOp.FetchAdd or AtomicOp.FetchOr or AtomicOp.FetchAnd or AtomicOp.FetchXor or AtomicOp.Xchg or AtomicOp.CmpXchg))
            throw Fail(ErrorCode.VerifierBadInstruction, $"BPF_ATOMIC uses invalid atomic opcode {insn.Imm:x2}");
        int s = insn.SrcNumber, d = insn.DstNumber;
        var src = ReadReg(s);
        var dst = ReadReg(d);
        if (aop == AtomicOp.CmpXchg)
        {
            var r0 = ReadReg(0);
            if (r0.IsPointer && !_root) throw Fail(ErrorCode.VerifierPointerLeak, "R0 leaks addr into mem");
        }

        if (src.IsPointer && !_root) throw Fail(ErrorCode.VerifierPointerLeak, $"R{s} leaks addr into mem");
        if (dst.Type is RegisterType.PtrToCtx or RegisterType.PtrToPacket or RegisterType.PtrToPacketMeta or RegisterType.PtrToFlowKeys
            or RegisterType.PtrToSocket or RegisterType.PtrToSockCommon)
            throw Fail(ErrorCode.VerifierInvalidAccess, $"BPF_ATOMIC stores into R{d} {VerifierLog.TypeName(dst)} is not allowed");
        Access(d, insn.Offset, size, write: false, valueReg: -1, signExtend: false);
        Access(d, insn.Offset, size, write: true, valueReg: s, signExtend: false, atomic: true);
        bool fetch = (insn.Imm & 1) != 0;
        if (fetch)
        {
            int load = aop == AtomicOp.CmpXchg ? 0 : s;
            WriteReg(load, new RegisterState(RegisterType.Scalar, size == 8 ? ScalarValue.Unknown : ScalarValue.FromUnsigned(0, uint.MaxValue)));
        }
    }

    private void LoadPacketAbs(in Instruction insn)
    {
        if (_type.Type is not (ProgramType.SocketFilter or ProgramType.SchedCls or ProgramType.SchedAct))
            throw Fail(ErrorCode.VerifierBadInstruction, "BPF_LD_[ABS|IND] instructions not allowed for this program type");
        if (_cur.LockMap >= 0) throw Fail(ErrorCode.VerifierSpinLock, "BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region");
        int size = Instruction.SizeInBytes(insn.Size);
        if (size == 8 || insn.DstNumber != 0 || insn.Offset != 0 || (insn.Mode == MemMode.Abs && insn.SrcNumber != 0))
            throw Fail(ErrorCode.VerifierBadInstruction, "BPF_LD_[ABS|IND] uses reserved fields");
        var ctx = ReadReg(6);
        if (ctx.Type != RegisterType.PtrToCtx) throw Fail(ErrorCode.VerifierInvalidAccess, "at the time of BPF_LD_ABS|IND R6 != pointer to skb");
        if (insn.Mode == MemMode.Ind) ReadReg(insn.SrcNumber);
        for (int r = 1; r <= 5; r++) _cur.Regs[r] = RegisterState.NotInit;
        _cur.Regs[0] = new RegisterState(RegisterType.Scalar, ScalarValue.FromUnsigned(0, size == 4 ? uint.MaxValue : (1UL << (size * 8)) - 1));
    }

    private void NoteRegion(byte region)
    {
        var flag = region switch
        {
            RegionCtx => SlotFacts.ContextAccess,
            RegionPacket => SlotFacts.PacketAccess,
            RegionStack => SlotFacts.StackAccess,
            RegionMapValue => SlotFacts.MapValueAccess,
            _ => SlotFacts.None,
        };
        ref byte seen = ref _region[_slot];
        if (seen != 0 && seen != region && (seen == RegionCtx || region == RegionCtx))
            throw Fail(ErrorCode.VerifierInvalidAccess, "same insn cannot be used with different pointers");
        seen = region;
        _facts[_slot] |= flag | SlotFacts.AccessProven;
    }

    private static ScalarValue Sized(int size, bool signExtend) => size switch
    {
        1 => signExtend ? S8 : U8,
        2 => signExtend ? S16 : U16,
        4 => signExtend ? S32 : U32,
        _ => ScalarValue.Unknown,
    };

    // What a load of each width gives (every access builds one: built once here rather than synchronised each time).
    private static readonly ScalarValue U8 = SizedRange(1, false), U16 = SizedRange(2, false), U32 = SizedRange(4, false);
    private static readonly ScalarValue S8 = SizedRange(1, true), S16 = SizedRange(2, true), S32 = SizedRange(4, true);

    private static ScalarValue SizedRange(int size, bool signExtend)
    {
        int bits = size * 8;
        return signExtend ? ScalarValue.FromSigned(-(1L << (bits - 1)), (1L << (bits - 1)) - 1) : ScalarValue.FromUnsigned(0, (1UL << bits) - 1);
    }

    /// <summary>One load or store through register <paramref name="regno"/>; returns what a load reads.</summary>
    private RegisterState Access(int regno, int off, int size, bool write, int valueReg, bool signExtend, int? imm = null, bool atomic = false)
    {
        var reg = ReadReg(regno);
        var value = valueReg >= 0 ? _cur.Regs[valueReg] : default;
        bool leak = write && valueReg >= 0 && value.IsPointer && !_root;
        var scalar = new RegisterState(RegisterType.Scalar, Sized(size, signExtend));
        switch (reg.Type)
        {
            case RegisterType.PtrToMapValue:
            {
                if (leak) throw Fail(ErrorCode.VerifierPointerLeak, $"R{valueReg} leaks addr into map");
                var map = _maps[reg.MapIndex];
                int o = off + reg.Offset;
                if (write && (map.Flags & MapFlags.ReadOnlyProg) != 0)
                    throw Fail(ErrorCode.VerifierInvalidAccess, $"write into map forbidden, value_size={map.ValueSize} off={o} size={size}");
                if (!write && (map.Flags & MapFlags.WriteOnlyProg) != 0)
                    throw Fail(ErrorCode.VerifierInvalidAccess, $"read from map forbidden, value_size={map.ValueSize} off={o} size={size}");
                Align(reg, off, size, "value ", Strict);
                Region(regno, reg, o, size, map.ValueSize, "map value", false);
                if (map.SpinLockOffset is int lockAt)
                {
                    long lo = o + reg.Value.SMin, hi = o + (long)reg.Value.UMax + size;
                    if (lo < lockAt + 4 && hi > lockAt)
                        throw Fail(ErrorCode.VerifierSpinLock, "bpf_spin_lock cannot be accessed directly by load/store");
                }

                NoteRegion(RegionMapValue);
                return scalar;
            }

            case RegisterType.PtrToMapKey:
                if (write) throw Fail(ErrorCode.VerifierInvalidAccess, $"write to change key R{regno} not allowed");
                Region(regno, reg, off + reg.Offset, size, _maps[reg.MapIndex].KeySize, "map key", false);
                NoteRegion(RegionOther);
                return scalar;
            case RegisterType.PtrToMem:
                if (leak) throw Fail(ErrorCode.VerifierPointerLeak, $"R{valueReg} leaks addr into mem");
                Align(reg, off, size, "", Strict);
                Region(regno, reg, off + reg.Offset, size, (uint)reg.Range, "memory", false);
                NoteRegion(RegionOther);
                return scalar;
            case RegisterType.PtrToCtx:
                return ContextAccess(regno, reg, off, size, write, leak ? valueReg : -1, signExtend);
            case RegisterType.PtrToStack:
                NoteRegion(RegionStack);
                return StackAccess(regno, reg, off, size, write, valueReg, imm, signExtend, atomic);
            case RegisterType.PtrToPacket:
            case RegisterType.PtrToPacketMeta:
                if (write && !_type.CanWritePacket) throw Fail(ErrorCode.VerifierInvalidAccess, "cannot write into packet");
                if (!write && !_type.CanReadPacket) throw Fail(ErrorCode.VerifierInvalidAccess, $"R{regno} invalid mem access '{VerifierLog.TypeName(reg)}'");
                if (leak) throw Fail(ErrorCode.VerifierPointerLeak, $"R{valueReg} leaks addr into packet");
                if (Strict) PacketAlign(reg, off, size);
                PacketRange(regno, reg, off, size, false);
                NoteRegion(RegionPacket);
                return scalar;
            case RegisterType.ConstPtrToMap when write:
                throw Fail(ErrorCode.VerifierInvalidAccess, "only read from bpf_array is supported");
            case RegisterType.ConstPtrToMap:
                if (!_root) throw Fail(ErrorCode.VerifierInvalidAccess, $"R{regno} invalid mem access 'map_ptr': access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN");
                // Reads of struct bpf_map fields go through the kernel's BTF, which this verifier does not model.
                if (off + reg.Offset >= 256) throw Fail(ErrorCode.VerifierInvalidAccess, $"access beyond struct bpf_map at off {off + reg.Offset} size {size}");
                throw Fail(ErrorCode.VerifierUnsupported, $"R{regno} reads struct bpf_map fields, which this verifier does not support");
            case RegisterType.PtrToFlowKeys:
                if (leak) throw Fail(ErrorCode.VerifierPointerLeak, $"R{valueReg} leaks addr into flow keys");
                if (!reg.Value.IsConst) throw Fail(ErrorCode.VerifierInvalidAccess, $"R{regno} invalid access to flow keys with variable offset");
                Align(reg, off, size, "flow keys ", Strict);
                MemBounds(off + reg.Offset, size, 56, "flow keys", regno, reg, false);
                NoteRegion(RegionOther);
                return scalar;
            default:
                throw Fail(ErrorCode.VerifierInvalidAccess, $"R{regno} invalid mem access '{VerifierLog.TypeName(reg)}'");
        }
    }

    private RegisterState ContextAccess(int regno, in RegisterState reg, int off, int size, bool write, int leakReg, bool signExtend)
    {
        if (leakReg >= 0) throw Fail(ErrorCode.VerifierPointerLeak, $"R{leakReg} leaks addr into ctx");
        if (!reg.Value.IsConst)
            throw Fail(ErrorCode.VerifierContextAccess, $"variable ctx access var_off={reg.Value.VarOff} disallowed");
        if (reg.Offset != 0 || reg.Value.VarOff.Value != 0)
            throw Fail(ErrorCode.VerifierContextAccess, $"dereference of modified ctx ptr R{regno} off={reg.Offset} disallowed");
        Align(reg, off, size, "context ", Strict);
        if (_type.CheckContextAccess(off, size, write, _options.Privilege, out var loaded) is { } refusal)
            throw Fail(ErrorCode.VerifierContextAccess, refusal);
        NoteRegion(RegionCtx);
        if (write) return default;
        return loaded switch
        {
            RegisterType.Scalar or RegisterType.NotInit => new RegisterState(RegisterType.Scalar, Sized(size, signExtend)),
            RegisterType.PtrToPacket or RegisterType.PtrToPacketMeta or RegisterType.PtrToPacketEnd => Pointer(loaded),
            _ when IsMaybeNull(loaded) => Pointer(loaded) with { Id = NewId() },
            _ => Pointer(loaded),
        };
    }

    private void Align(in RegisterState reg, int off, int size, string desc, bool strict)
    {
        if (!strict || size == 1) return;
        var sum = reg.Value.VarOff.Add(Tnum.Const((ulong)(long)(reg.Offset + off)));
        if ((sum.Value & (ulong)(size - 1)) == 0 && (sum.Mask & (ulong)(size - 1)) == 0) return;
        throw Fail(ErrorCode.VerifierMisaligned, $"misaligned {desc}access off {VarText(reg.Value)}+{reg.Offset}+{off} size {size}");
    }

    private static string VarText(ScalarValue v) => v.IsConst ? ((long)v.VarOff.Value).ToString(System.Globalization.CultureInfo.InvariantCulture) : v.VarOff.ToString();

    private void PacketAlign(in RegisterState reg, int off, int size)
    {
        if (size == 1) return;
        const int ipAlign = 2;
        var sum = reg.Value.VarOff.Add(Tnum.Const((ulong)(long)(ipAlign + reg.Offset + off)));
        if ((sum.Value & (ulong)(size - 1)) == 0 && (sum.Mask & (ulong)(size - 1)) == 0) return;
        throw Fail(ErrorCode.VerifierMisaligned, $"misaligned packet access off {ipAlign}+{VarText(reg.Value)}+{reg.Offset}+{off} size {size}");
    }

    private void PacketRange(int regno, in RegisterState reg, int off, int size, bool zeroOk)
    {
        if (reg.Value.SMin < 0)
            throw Fail(ErrorCode.VerifierInvalidAccess, $"R{regno} min value is negative, either use unsigned index or do a if (index >=0) check.");
        long o = (long)off + reg.Offset;
        bool sizeOk = size > 0 || (size == 0 && zeroOk);
        if (o >= 0 && sizeOk && o + size <= reg.Range) return;
        _log.Error($"invalid access to packet, off={o} size={size}, R{regno}(id={reg.Id},off={reg.Offset},r={reg.Range})");
        throw Fail(ErrorCode.VerifierInvalidAccess, $"invalid access to packet, off={o} size={size}, R{regno}(id={reg.Id},off={reg.Offset},r={reg.Range}): R{regno} offset is outside of the packet");
    }

    /// <summary>The kernel's <c>check_mem_region_access</c>: both ends of a variable offset within the object.</summary>
    private void Region(int regno, in RegisterState reg, int off, int size, uint memSize, string kind, bool zeroOk)
    {
        var v = reg.Value;
        if (v.SMin < 0 && (v.SMin == long.MinValue || off + v.SMin != (int)(off + v.SMin) || v.SMin + off < 0))
            throw Fail(ErrorCode.VerifierInvalidAccess, $"R{regno} min value is negative, either use unsigned index or do a if (index >=0) check.");
        MemBounds(v.SMin + off, size, memSize, kind, regno, reg, zeroOk);
        if (v.UMax >= MaxVarOff)
            throw Fail(ErrorCode.VerifierInvalidAccess, $"R{regno} unbounded memory access, make sure to bounds check any such access");
        MemBounds((long)v.UMax + off, size, memSize, kind, regno, reg, zeroOk);
    }

    private void MemBounds(long off, int size, uint memSize, string kind, int regno, in RegisterState reg, bool zeroOk)
    {
        bool sizeOk = size > 0 || (size == 0 && zeroOk);
        if (off >= 0 && sizeOk && off + size <= memSize) return;
        if (size == 0 && !zeroOk) throw Fail(ErrorCode.VerifierInvalidAccess, $"R{regno} invalid zero-sized read");
        string text = kind switch
        {
            "map value" => $"invalid access to map value, value_size={memSize} off={off} size={size}",
            "map key" => $"invalid access to map key, key_size={memSize} off={off} size={size}",
            "flow keys" => $"invalid access to flow keys off={off} size={size}",
            _ => $"invalid access to memory, mem_size={memSize} off={off} size={size}",
        };
        throw Fail(ErrorCode.VerifierInvalidAccess, text);
    }

    private RegisterState StackAccess(int regno, in RegisterState reg, int off, int size, bool write, int valueReg, int? imm, bool signExtend, bool atomic)
    {
        // The stack is always strictly aligned: spill tracking relies on it.
        Align(reg, off, size, "stack ", true);
        var frame = _cur.Frames[reg.Frame];
        string rw = write ? "write to" : "read from";
        if (!reg.Value.IsConst)
        {
            var v = reg.Value;
            if (!_root) throw Fail(ErrorCode.VerifierInvalidAccess, $"R{regno} variable stack access prohibited for !root, var_off={v.VarOff} off={off}");
            if (v.SMax >= MaxVarOff || v.SMin <= -MaxVarOff)
                throw Fail(ErrorCode.VerifierInvalidAccess, $"invalid unbounded variable-offset {rw} stack R{regno}");
            long lo = v.SMin + reg.Offset + off, hi = v.SMax + reg.Offset + off + size;
            if (lo < -FuncFrame.StackSize || hi > 0)
                throw Fail(ErrorCode.VerifierInvalidAccess, $"invalid variable-offset {rw} stack R{regno} var_off={v.VarOff} off={off} size={size}");
            if (write) Deepen(frame, (int)lo);
            for (long a = lo; a < hi; a++)
            {
                int pos = (int)a + FuncFrame.StackSize;
                if (write)
                {
                    DestroySpill(frame, pos / 8);
                    frame.WritableBytes[pos] = StackByte.Misc;
                }
                else if (frame.Bytes[pos] == StackByte.Invalid && !_root)
                {
                    throw Fail(ErrorCode.VerifierInvalidAccess, $"invalid variable-offset read from stack R{regno} var_off={v.VarOff} off={off} size={size}");
                }
            }

            return new RegisterState(RegisterType.Scalar, Sized(size, signExtend));
        }

        long at = (long)reg.Value.VarOff.Value + reg.Offset + off;
        if (at < -FuncFrame.StackSize || at + size > 0)
            throw Fail(ErrorCode.VerifierInvalidAccess, $"invalid {rw} stack R{regno} off={at} size={size}");
        int p = (int)at + FuncFrame.StackSize;
        if (write)
        {
            Deepen(frame, (int)at);
            WriteStack(frame, p, size, valueReg, imm, reg.Frame, atomic);
            return default;
        }

        // Bytes below the deepest write were never allocated (the kernel's allocated_stack).
        if (-at > frame.Depth && !_root)
            throw Fail(ErrorCode.VerifierInvalidAccess, $"invalid read from stack R{regno} off={at} size={size}");
        return ReadStack(frame, p, size, (int)at, signExtend);
    }

    private static void Deepen(FuncFrame frame, int at) => frame.Depth = Math.Max(frame.Depth, -at);

    private static void DestroySpill(FuncFrame frame, int slot)
    {
        for (int i = 0; i < 8; i++)
        {
            if (frame.Bytes[slot * 8 + i] == StackByte.Spill) frame.WritableBytes[slot * 8 + i] = StackByte.Misc;
        }
    }

    private void WriteStack(FuncFrame frame, int p, int size, int valueReg, int? imm, int frameNo, bool atomic)
    {
        int slot = p / 8, b = p % 8;
        bool hadSpill = frame.HoldsSpill(slot);
        if (hadSpill && size != 8 && !_root && frame.Spills[slot].Type != RegisterType.Scalar)
            throw Fail(ErrorCode.VerifierInvalidAccess, "attempt to corrupt spilled pointer on stack");
        RegisterState value;
        if (atomic) value = RegisterState.UnknownScalar;
        else if (valueReg >= 0) value = _cur.Regs[valueReg];
        else value = new RegisterState(RegisterType.Scalar, ScalarValue.Const((ulong)(long)imm!.Value));
        if (value.IsPointer)
        {
            if (size != 8) throw Fail(ErrorCode.VerifierInvalidAccess, "invalid size of register spill");
            if (frameNo != _cur.Cur && value.Type == RegisterType.PtrToStack && value.Frame > frameNo)
                throw Fail(ErrorCode.VerifierInvalidAccess, "cannot spill pointers to stack into stack frame of the caller");
        }

        if (hadSpill) DestroySpill(frame, slot);
        bool zero = value.Type == RegisterType.Scalar && value.Value.IsConst && value.Value.VarOff.Value == 0;
        // Like the kernel (for any bpf-capable loader), a scalar register stored at a slot's start is spilled whole, zero
        // included, so an imprecise one matches any other when pruning; an immediate zero is plain zero bytes.
        if (b == 0 && (!zero || (valueReg >= 0 && !atomic)))
        {
            NoteStack(StackEffect.Spill, frameNo, slot, atomic ? -1 : valueReg);
            var spilled = value;
            if (size < 8) spilled = spilled with { Value = ScalarValue.Truncate(spilled.Value, size * 8), Id = 0 };
            frame.WritableSpills[slot] = spilled;
            for (int i = 0; i < size; i++) frame.WritableBytes[p + i] = StackByte.Spill;
            for (int i = size; i < 8; i++)
            {
                if (frame.Bytes[slot * 8 + i] == StackByte.Spill) frame.WritableBytes[slot * 8 + i] = StackByte.Misc;
            }

            return;
        }

        // Zero bytes are compared exactly when pruning, so the register they came from must have been zero on every
        // path pruned here (the kernel marks it precise for STACK_ZERO too).
        if (zero && valueReg >= 0 && !atomic) MarkRegPrecise(valueReg);
        NoteStack(StackEffect.Write, frameNo, slot);
        for (int i = 0; i < size; i++) frame.WritableBytes[p + i] = zero ? StackByte.Zero : StackByte.Misc;
    }

    private RegisterState ReadStack(FuncFrame frame, int p, int size, int at, bool signExtend)
    {
        int slot = p / 8, b = p % 8;
        if (frame.Bytes[p] == StackByte.Spill)
        {
            var spilled = frame.Spills[slot];
            if (size == 8)
            {
                for (int i = 0; i < 8; i++)
                {
                    if (frame.Bytes[slot * 8 + i] != StackByte.Spill)
                    {
                        if (spilled.Type != RegisterType.Scalar) throw Fail(ErrorCode.VerifierInvalidAccess, "corrupted spill memory");
                        return ReadPlain(frame, p, size, at, signExtend);
                    }
                }

                NoteStack(StackEffect.Fill, frame.Number, slot);
                return spilled;
            }

            if (spilled.Type != RegisterType.Scalar) throw Fail(ErrorCode.VerifierInvalidAccess, "invalid size of register fill");
            bool whole = b == 0;
            for (int i = 0; i < size && whole; i++) whole = frame.Bytes[p + i] == StackByte.Spill;
            if (whole && (size == 8 || spilled.Value.UMax < 1UL << (size * 8)) && !signExtend)
            {
                NoteStack(StackEffect.Fill, frame.Number, slot);
                return spilled;
            }

            return ReadPlain(frame, p, size, at, signExtend);
        }

        return ReadPlain(frame, p, size, at, signExtend);
    }

    private RegisterState ReadPlain(FuncFrame frame, int p, int size, int at, bool signExtend)
    {
        bool allZero = true;
        int zeroSpill = -1;
        for (int i = 0; i < size; i++)
        {
            var kind = frame.Bytes[p + i];
            if (kind == StackByte.Spill)
            {
                var spilled = frame.Spills[(p + i) / 8];
                if (spilled.Type != RegisterType.Scalar) throw Fail(ErrorCode.VerifierInvalidAccess, "invalid size of register fill");
                // Any part of a spilled zero reads as zero (the kernel's fill of a const-zero spill).
                if (spilled.Value.IsConst && spilled.Value.VarOff.Value == 0)
                {
                    zeroSpill = (p + i) / 8;
                    continue;
                }
            }

            if (kind == StackByte.Invalid && !_root) throw Fail(ErrorCode.VerifierInvalidAccess, $"invalid read from stack off {at}+{i} size {size}");
            if (kind != StackByte.Zero) allZero = false;
        }

        if (allZero && zeroSpill >= 0) NoteStack(StackEffect.Fill, frame.Number, zeroSpill);
        return new RegisterState(RegisterType.Scalar, allZero ? ScalarValue.Const(0) : Sized(size, signExtend));
    }

    /// <summary>A helper's memory argument (the kernel's <c>check_helper_mem_access</c>): <paramref name="size"/> bytes at the pointer in <paramref name="regno"/>.</summary>
    private void HelperMemory(int regno, int size, bool write, bool zeroOk)
    {
        var reg = _cur.Regs[regno];
        switch (reg.Type)
        {
            case RegisterType.PtrToPacket:
            case RegisterType.PtrToPacketMeta:
                if (write && !_type.CanWritePacket) throw Fail(ErrorCode.VerifierInvalidAccess, "helper access to the packet is not allowed");
                PacketRange(regno, reg, 0, size, zeroOk);
                return;
            case RegisterType.PtrToMapKey:
                Region(regno, reg, reg.Offset, size, _maps[reg.MapIndex].KeySize, "map key", zeroOk);
                return;
            case RegisterType.PtrToMapValue:
            {
                var map = _maps[reg.MapIndex];
                if (write && (map.Flags & MapFlags.ReadOnlyProg) != 0)
                    throw Fail(ErrorCode.VerifierInvalidAccess, $"write into map forbidden, value_size={map.ValueSize} off={reg.Offset} size={size}");
                if (!write && (map.Flags & MapFlags.WriteOnlyProg) != 0)
                    throw Fail(ErrorCode.VerifierInvalidAccess, $"read from map forbidden, value_size={map.ValueSize} off={reg.Offset} size={size}");
                Region(regno, reg, reg.Offset, size, map.ValueSize, "map value", zeroOk);
                return;
            }

            case RegisterType.PtrToMem:
                Region(regno, reg, reg.Offset, size, (uint)reg.Range, "memory", zeroOk);
                return;
            case RegisterType.PtrToStack:
                HelperStack(regno, reg, size, write, zeroOk);
                return;
            case RegisterType.Scalar when zeroOk && size == 0 && reg.Value.IsConst && reg.Value.VarOff.Value == 0:
                MarkRegPrecise(regno);
                return;
            default:
                throw Fail(ErrorCode.VerifierHelperCall, $"R{regno} type={VerifierLog.TypeName(reg)} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_");
        }
    }

    private void HelperStack(int regno, in RegisterState reg, int size, bool write, bool zeroOk)
    {
        var frame = _cur.Frames[reg.Frame];
        string rw = write ? "write to" : "read from";
        long lo, hi;
        var v = reg.Value;
        if (v.IsConst)
        {
            lo = (long)v.VarOff.Value + reg.Offset;
            hi = lo + size;
            if (lo < -FuncFrame.StackSize || hi > 0 || (size == 0 && !zeroOk))
                throw Fail(ErrorCode.VerifierInvalidAccess, $"invalid {rw} stack R{regno} off={lo} size={size}");
        }
        else
        {
            if (!_root) throw Fail(ErrorCode.VerifierInvalidAccess, $"R{regno} variable offset stack access prohibited for !root, var_off={v.VarOff}");
            if (v.SMax >= MaxVarOff || v.SMin <= -MaxVarOff)
                throw Fail(ErrorCode.VerifierInvalidAccess, $"invalid unbounded variable-offset {rw} stack R{regno}");
            lo = v.SMin + reg.Offset;
            hi = v.SMax + reg.Offset + size;
            if (lo < -FuncFrame.StackSize || hi > 0)
                throw Fail(ErrorCode.VerifierInvalidAccess, $"invalid variable-offset {rw} stack R{regno} var_off={v.VarOff} off={reg.Offset} size={size}");
        }

        if (size == 0) return;
        if (write) Deepen(frame, (int)lo);
        else if (-lo > frame.Depth && !_root && v.IsConst)
            throw Fail(ErrorCode.VerifierInvalidAccess, $"invalid read from stack R{regno} off={lo} size={size}");
        for (long a = lo; a < hi; a++)
        {
            int pos = (int)a + FuncFrame.StackSize;
            var kind = frame.Bytes[pos];
            if (write)
            {
                if (kind == StackByte.Spill && frame.Spills[pos / 8].Type != RegisterType.Scalar && !_root)
                    throw Fail(ErrorCode.VerifierInvalidAccess, "attempt to corrupt spilled pointer on stack");
                DestroySpill(frame, pos / 8);
                frame.WritableBytes[pos] = StackByte.Misc;
                continue;
            }

            if (kind is StackByte.Misc or StackByte.Zero) continue;
            if (kind == StackByte.Spill && (frame.Spills[pos / 8].Type == RegisterType.Scalar || _root)) continue;
            if (kind == StackByte.Invalid && _root) continue;
            if (v.IsConst) throw Fail(ErrorCode.VerifierInvalidAccess, $"invalid read from stack R{regno} off {lo}+{a - lo} size {size}");
            throw Fail(ErrorCode.VerifierInvalidAccess, $"invalid variable-offset read from stack R{regno} var_off={v.VarOff} size={size}");
        }
    }
}
