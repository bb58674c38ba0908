using HeteroBpf.Helpers;
using HeteroBpf.Isa;

namespace HeteroBpf.Offload;

/// <summary>One load, store or atomic whose base register is, on every path, the unmodified context pointer.</summary>
/// <param name="Slot">The instruction.</param>
/// <param name="Offset">Byte offset into the UAPI context struct (the instruction's offset field).</param>
/// <param name="Size">Access size in bytes.</param>
/// <param name="Write">True for stores and atomics.</param>
public readonly record struct ContextAccess(int Slot, int Offset, int Size, bool Write);

/// <summary>
/// Finds every context-field access of a program, so that a loader can rewrite it to the runtime's real layout, as the
/// kernel's <c>convert_ctx_access</c> does after verification.
/// </summary>
/// <remarks>
/// Until the verifier exists this is a small abstract interpretation of its own: per register and per 8-byte slot of
/// the frame it knows "the context", "a stack address" or "not the context", joined over every path, across
/// bpf-to-bpf calls (context-insensitively) and into <c>bpf_loop</c>/<c>for_each_map_elem</c> callbacks. It is built to
/// be sound rather than clever: an access through a register that may or may not be the context, or through a context
/// pointer with an offset added, is refused (the kernel refuses both too), and once the context pointer is stored
/// anywhere but a tracked stack slot, values loaded from untracked memory count as "maybe the context".
/// </remarks>
public static class ContextAccesses
{
    private const int Registers = 11;
    private const int Slots = 64; // 512-byte frame, 8 bytes a slot
    private const int Width = Registers + Slots;

    private enum Kind : byte
    {
        Unreached,
        Scalar,       // not the context (numbers, packet/map/foreign-stack pointers)
        Context,
        ModifiedContext,
        MaybeContext,
        Stack,        // this frame's address R10 + Offset
        AnyStack,     // somewhere in this frame
        Function,     // a subprogram address; Offset = its slot
    }

    private readonly record struct Value(Kind Kind, int Offset = 0)
    {
        public static readonly Value Scalar = new(Kind.Scalar);
        public static readonly Value Unreached = new(Kind.Unreached);

        public bool MayBeContext => Kind is Kind.Context or Kind.ModifiedContext or Kind.MaybeContext;

        public bool IsStack => Kind is Kind.Stack or Kind.AnyStack;

        public static Value Join(Value a, Value b)
        {
            if (a == b || b.Kind == Kind.Unreached) return a;
            if (a.Kind == Kind.Unreached) return b;
            if (a.MayBeContext || b.MayBeContext) return new(Kind.MaybeContext);
            if (a.IsStack || b.IsStack) return new(Kind.AnyStack);
            return Scalar;
        }
    }

    /// <summary>
    /// The context accesses of <paramref name="program"/> (validated), entered at slot 0 with R1 = context; slots no
    /// path reaches are not reported.
    /// </summary>
    /// <exception cref="HbpfException">An access through a pointer that may or may not be the context, or through a
    /// context pointer moved by arithmetic (HB9001, with the slot).</exception>
    public static IReadOnlyList<ContextAccess> Find(ReadOnlySpan<Instruction> program)
    {
        var insns = program.ToArray();
        // The two global facts only ever turn true; when one does, the fixed point is recomputed from scratch.
        bool escaped = false, spilled = false;
        while (true)
        {
            var analysis = new Analysis(insns, escaped, spilled);
            analysis.Run();
            if (analysis.Escaped == escaped && analysis.Spilled == spilled) return analysis.Collect();
            escaped = analysis.Escaped;
            spilled = analysis.Spilled;
        }
    }

    private sealed class Analysis(Instruction[] insns, bool escaped, bool spilled)
    {
        private readonly Value[] _states = new Value[insns.Length * Width];
        private readonly bool[] _reached = new bool[insns.Length];
        private readonly Stack<int> _work = new();

        public bool Escaped { get; private set; } = escaped;

        public bool Spilled { get; private set; } = spilled;

        // Whatever memory no slot tracks may hold the context once it was stored there (or anywhere).
        private Value Untracked => Escaped || Spilled ? new(Kind.MaybeContext) : Value.Scalar;

        public void Run()
        {
            var entry = Fresh();
            entry[1] = new(Kind.Context);
            Merge(0, entry);
            var state = new Value[Width];
            while (_work.TryPop(out int pc))
            {
                _states.AsSpan(pc * Width, Width).CopyTo(state);
                Step(pc, state);
            }
        }

        private static Value[] Fresh()
        {
            var s = new Value[Width];
            Array.Fill(s, Value.Scalar);
            s[10] = new(Kind.Stack, 0);
            return s;
        }

        private void Merge(int pc, ReadOnlySpan<Value> incoming)
        {
            if ((uint)pc >= (uint)insns.Length) return;
            var target = _states.AsSpan(pc * Width, Width);
            bool changed = !_reached[pc];
            _reached[pc] = true;
            for (int i = 0; i < Width; i++)
            {
                var joined = Value.Join(target[i], incoming[i]);
                if (joined != target[i])
                {
                    target[i] = joined;
                    changed = true;
                }
            }

            if (changed) _work.Push(pc);
        }

        private void Step(int pc, Value[] s)
        {
            var insn = insns[pc];
            var form = InstructionForms.Of(insn.OpCode);
            int dst = insn.DstNumber, src = insn.SrcNumber;
            switch (form.Kind)
            {
                case InstructionKind.Alu:
                    s[dst] = Alu(insn, s[dst], s[src]);
                    break;
                case InstructionKind.Neg:
                case InstructionKind.End:
                    s[dst] = Derived(s[dst]);
                    break;
                case InstructionKind.Lddw:
                    s[dst] = insn.SrcNumber == (byte)LoadImmKind.Func ? new(Kind.Function, pc + 1 + insn.Imm) : Value.Scalar;
                    Merge(pc + 2, s);
                    return;
                case InstructionKind.LoadAbs:
                case InstructionKind.LoadInd:
                    Clobber(s);
                    break;
                case InstructionKind.Load:
                case InstructionKind.LoadSx:
                    s[dst] = Load(s, s[src], insn.Offset, Instruction.SizeInBytes(insn.Size));
                    break;
                case InstructionKind.StoreImm:
                    Store(s, s[dst], insn.Offset, Instruction.SizeInBytes(insn.Size), Value.Scalar);
                    break;
                case InstructionKind.StoreReg:
                    Store(s, s[dst], insn.Offset, Instruction.SizeInBytes(insn.Size), s[src]);
                    break;
                case InstructionKind.Atomic:
                    Atomic(s, insn);
                    break;
                case InstructionKind.Call when insn.SrcNumber == (byte)CallKind.Local:
                    Enter(pc + 1 + insn.Imm, s[1], s[2], s[3], s[4], s[5]);
                    AfterCall(s, stackArgsMayBeWritten: true);
                    break;
                case InstructionKind.Call:
                    Helper(s, insn);
                    break;
                case InstructionKind.CallX:
                    if (s[dst].Kind == Kind.Function) Enter(s[dst].Offset, s[1], s[2], s[3], s[4], s[5]);
                    AfterCall(s, stackArgsMayBeWritten: true);
                    break;
                case InstructionKind.Exit:
                    return;
                case InstructionKind.Ja:
                    Merge(pc + 1 + insn.Offset, s);
                    return;
                case InstructionKind.Gotol:
                    Merge(pc + 1 + insn.Imm, s);
                    return;
                case InstructionKind.CondJump:
                    Merge(pc + 1 + insn.Offset, s);
                    break;
            }

            Merge(pc + 1, s);
        }

        // Pointer arithmetic keeps a stack address exact when the addend is a constant; anything done to the context
        // pointer makes it a pointer the kernel would refuse to dereference.
        private static Value Alu(in Instruction insn, Value dst, Value src)
        {
            bool is64 = insn.Class == OpClass.Alu64;
            bool fromReg = insn.Source == OperandSource.Reg;
            if (insn.AluOp == AluOp.Mov)
            {
                // A sign-extending or 32-bit move never keeps a pointer whole.
                return fromReg && is64 && insn.Offset == 0 ? src : (fromReg && src.MayBeContext ? new(Kind.MaybeContext) : Value.Scalar);
            }

            if (!is64) return dst.MayBeContext || (fromReg && src.MayBeContext) ? new(Kind.MaybeContext) : Value.Scalar;
            if (!fromReg && insn.AluOp is AluOp.Add or AluOp.Sub && dst.Kind == Kind.Stack)
            {
                long offset = dst.Offset + (insn.AluOp == AluOp.Add ? insn.Imm64 : -insn.Imm64);
                return offset is >= -512 and <= 0 ? new(Kind.Stack, (int)offset) : new(Kind.AnyStack);
            }

            if (fromReg && dst.Kind == Kind.Scalar) return Derived(src);
            return Derived(dst);
        }

        private static Value Derived(Value v) => v.Kind switch
        {
            Kind.Context or Kind.ModifiedContext => new(Kind.ModifiedContext),
            Kind.MaybeContext => v,
            Kind.Stack or Kind.AnyStack => new(Kind.AnyStack),
            _ => Value.Scalar,
        };

        private Value Load(Value[] s, Value baseValue, int offset, int size)
        {
            switch (baseValue.Kind)
            {
                case Kind.Context:
                    return Value.Scalar;
                case Kind.Stack:
                    int at = baseValue.Offset + offset;
                    if (at < -512 || at + size > 0) return Value.Scalar; // the access itself faults at run time
                    int slot = (at + 512) >> 3;
                    var held = s[Registers + slot];
                    if (size == 8 && (at & 7) == 0) return held;
                    return held.MayBeContext || held.IsStack || held.Kind == Kind.Function ? new(Kind.MaybeContext) : Value.Scalar;
                case Kind.AnyStack:
                    for (int i = 0; i < Slots; i++)
                    {
                        if (s[Registers + i].MayBeContext) return new(Kind.MaybeContext);
                    }

                    return Untracked;
                default:
                    return Untracked;
            }
        }

        private void Store(Value[] s, Value baseValue, int offset, int size, Value stored)
        {
            if (baseValue.Kind == Kind.Stack)
            {
                int at = baseValue.Offset + offset;
                if (at < -512 || at + size > 0) return; // faults at run time
                int first = (at + 512) >> 3, last = (at + 512 + size - 1) >> 3;
                if (size == 8 && (at & 7) == 0)
                {
                    s[Registers + first] = stored;
                    if (stored.MayBeContext) Spilled = true;
                    return;
                }

                // A partial overwrite of a spilled pointer leaves a value nobody may dereference as the context.
                for (int i = first; i <= last; i++)
                {
                    s[Registers + i] = s[Registers + i].Kind == Kind.Scalar && !stored.MayBeContext ? Value.Scalar : new(Kind.MaybeContext);
                }

                if (stored.MayBeContext) Spilled = true;
                return;
            }

            if (baseValue.Kind == Kind.AnyStack) SpoilContextSlots(s);
            if (stored.MayBeContext) Escaped = true;
        }

        private void Atomic(Value[] s, in Instruction insn)
        {
            var op = (AtomicOp)insn.Imm;
            int size = Instruction.SizeInBytes(insn.Size);
            var old = Load(s, s[insn.DstNumber], insn.Offset, size);
            Store(s, s[insn.DstNumber], insn.Offset, size, s[insn.SrcNumber].MayBeContext ? new(Kind.MaybeContext) : Value.Scalar);
            if (op == AtomicOp.CmpXchg) s[0] = old.MayBeContext ? new(Kind.MaybeContext) : Value.Scalar;
            else if (((int)op & 1) != 0) s[insn.SrcNumber] = old.MayBeContext ? new(Kind.MaybeContext) : Value.Scalar;
        }

        private void Helper(Value[] s, in Instruction insn)
        {
            if (insn.SrcNumber == (byte)CallKind.Helper)
            {
                var id = (HelperId)insn.Imm;
                // Callbacks: bpf_loop(n, fn, ctx, flags) calls fn(i, ctx); for_each_map_elem(map, fn, ctx, flags) calls fn(map, key, value, ctx).
                if (id == HelperId.Loop && s[2].Kind == Kind.Function) Enter(s[2].Offset, Value.Scalar, Foreign(s[3]), Value.Scalar, Value.Scalar, Value.Scalar);
                if (id == HelperId.ForEachMapElem && s[2].Kind == Kind.Function) Enter(s[2].Offset, Value.Scalar, Value.Scalar, Value.Scalar, Foreign(s[3]), Value.Scalar);
                bool writes = !HelperPrototypes.TryGet(id, out var prototype) || WritesMemory(prototype);
                AfterCall(s, writes);
                return;
            }

            AfterCall(s, stackArgsMayBeWritten: true); // kfuncs: unknown
        }

        private static bool WritesMemory(HelperPrototype prototype)
        {
            foreach (var arg in prototype.Args)
            {
                bool writes = arg.Type switch
                {
                    HelperArgType.PtrToMem or HelperArgType.PtrToStack => !arg.Flags.HasFlag(HelperArgFlags.ReadOnly),
                    HelperArgType.PtrToMapValue => arg.Flags.HasFlag(HelperArgFlags.Uninit),
                    _ => false,
                };
                if (writes) return true;
            }

            return false;
        }

        // A pointer into the caller's frame means nothing in the callee's (its R10 differs).
        private static Value Foreign(Value v) => v.IsStack || v.Kind == Kind.Function ? Value.Scalar : v;

        private void Enter(int entry, Value r1, Value r2, Value r3, Value r4, Value r5)
        {
            var s = Fresh();
            s[1] = Foreign(r1);
            s[2] = Foreign(r2);
            s[3] = Foreign(r3);
            s[4] = Foreign(r4);
            s[5] = Foreign(r5);
            Merge(entry, s);
        }

        private void AfterCall(Value[] s, bool stackArgsMayBeWritten)
        {
            if (stackArgsMayBeWritten)
            {
                for (int r = 1; r <= 5; r++)
                {
                    if (s[r].IsStack) SpoilContextSlots(s);
                }
            }

            Clobber(s);
        }

        private static void Clobber(Value[] s)
        {
            for (int r = 0; r <= 5; r++) s[r] = Value.Scalar;
        }

        private static void SpoilContextSlots(Value[] s)
        {
            for (int i = 0; i < Slots; i++)
            {
                if (s[Registers + i].MayBeContext) s[Registers + i] = new(Kind.MaybeContext);
            }
        }

        public IReadOnlyList<ContextAccess> Collect()
        {
            var found = new List<ContextAccess>();
            for (int pc = 0; pc < insns.Length; pc++)
            {
                if (!_reached[pc]) continue;
                var insn = insns[pc];
                var kind = InstructionForms.Of(insn.OpCode).Kind;
                int baseRegister;
                bool write;
                switch (kind)
                {
                    case InstructionKind.Load or InstructionKind.LoadSx:
                        baseRegister = insn.SrcNumber;
                        write = false;
                        break;
                    case InstructionKind.StoreImm or InstructionKind.StoreReg or InstructionKind.Atomic:
                        baseRegister = insn.DstNumber;
                        write = true;
                        break;
                    default:
                        continue;
                }

                var value = _states[pc * Width + baseRegister];
                switch (value.Kind)
                {
                    case Kind.Context:
                        found.Add(new ContextAccess(pc, insn.Offset, Instruction.SizeInBytes(insn.Size), write || kind == InstructionKind.Atomic));
                        break;
                    case Kind.ModifiedContext:
                        throw Refused(pc, $"dereference of modified ctx ptr R{baseRegister}: the context may be accessed only at constant offsets from its unmodified pointer");
                    case Kind.MaybeContext:
                        throw Refused(pc, $"R{baseRegister} is the context pointer on some paths and not on others (or was kept where the loader cannot follow it); the loader cannot rewrite this access");
                }
            }

            return found;
        }

        private static HbpfException Refused(int pc, string reason) =>
            new(ErrorCode.ContextAccess, reason, new BpfLocation { Instruction = pc });
    }
}
