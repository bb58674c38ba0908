namespace HeteroBpf.Verifier;

/// <summary>What one stack byte holds (the kernel's <c>STACK_INVALID</c>, <c>STACK_MISC</c>, <c>STACK_ZERO</c>, <c>STACK_SPILL</c>).</summary>
internal enum StackByte : byte
{
    Invalid,
    Misc,
    Zero,
    Spill,
}

/// <summary>One function's frame: its registers and its 512-byte stack, bytes addressed from the lowest (fp−512) up.</summary>
internal sealed class FuncFrame
{
    public const int StackSize = 512;
    public const int Slots = StackSize / 8;

    public readonly RegisterState[] Regs = new RegisterState[11];

    // The stack bytes and spilled registers are shared copy-on-write between a frame and its copies (forks and kept
    // checkpoints copy frames far more often than they write the stack): a write goes through WritableBytes or
    // WritableSpills, which copy a shared array first.
    private StackByte[] _bytes;
    private bool _bytesShared;

    // Allocated at the first spill: a register state is large, and most frames copied at forks and checkpoints spill
    // few registers or none.
    private RegisterState[]? _spills;
    private bool _spillsShared;

    public FuncFrame() => _bytes = new StackByte[StackSize];

    private FuncFrame(StackByte[] bytes) => _bytes = bytes;

    /// <summary>The stack bytes, for reading only (writes go through <see cref="WritableBytes"/>).</summary>
    public StackByte[] Bytes => _bytes;

    /// <summary>The stack bytes, this frame's own copy, for writing.</summary>
    public StackByte[] WritableBytes
    {
        get
        {
            if (_bytesShared)
            {
                _bytes = (StackByte[])_bytes.Clone();
                _bytesShared = false;
            }

            return _bytes;
        }
    }

    /// <summary>The spilled register of each slot (meaningful where the slot's bytes are <see cref="StackByte.Spill"/>), for reading only.</summary>
    public RegisterState[] Spills => _spills ??= new RegisterState[Slots];

    /// <summary>The spilled registers, this frame's own copy, for writing.</summary>
    public RegisterState[] WritableSpills
    {
        get
        {
            if (_spills is null)
            {
                _spills = new RegisterState[Slots];
            }
            else if (_spillsShared)
            {
                _spills = (RegisterState[])_spills.Clone();
                _spillsShared = false;
            }

            return _spills;
        }
    }

    /// <summary>The call instruction in the caller that made this frame (−1 for the entry function).</summary>
    public int CallSite = -1;

    /// <summary>The frame's depth (0 = entry function).</summary>
    public int Number;

    /// <summary>True when a helper (bpf_loop, for_each_map_elem) calls this frame: its R0 is checked against [0, 1] at exit.</summary>
    public bool IsCallback;

    /// <summary>For a callback frame: its entry and the arguments the helper passes on every call.</summary>
    public int CallbackEntry = -1;
    public RegisterState[]? CallbackArgs;

    /// <summary>The lowest stack byte written (for the depth estimate), as a positive depth.</summary>
    public int Depth;

    /// <summary>
    /// In a kept state only: the registers (bit r) and spilled slots (bit s) whose scalar values some later safety decision
    /// depends on (the kernel's <c>precise</c> marks). Set by backtracking; a copy starts with none.
    /// </summary>
    public ushort PreciseRegs;
    public ulong PreciseSlots;

    public FuncFrame Clone() => CloneInto(new FuncFrame(_bytes));

    /// <summary>Makes <paramref name="f"/> (a fresh frame, or one of a finished path) a copy of this frame.</summary>
    public FuncFrame CloneInto(FuncFrame f)
    {
        f.CallSite = CallSite;
        f.Number = Number;
        f.IsCallback = IsCallback;
        f.Depth = Depth;
        f.CallbackEntry = CallbackEntry;
        f.CallbackArgs = CallbackArgs;
        f.PreciseRegs = 0;
        f.PreciseSlots = 0;
        Regs.CopyTo(f.Regs, 0);

        // Both frames share the stack arrays until one writes. Every stack write deepens the frame first, so the slots
        // below the depth are as a new frame has them in both.
        f._bytes = _bytes;
        _bytesShared = f._bytesShared = true;

        // Spilled registers are read only where the slot's bytes say Spill: a copy of a frame without one needs none.
        f._spills = null;
        f._spillsShared = false;
        if (_spills is not null && HasSpill(FirstSlot))
        {
            f._spills = _spills;
            _spillsShared = f._spillsShared = true;
        }

        return f;
    }

    /// <summary>A frame for <see cref="CloneInto"/>, sharing (until it is overwritten) a byte array it never writes.</summary>
    public static FuncFrame Blank() => new(EmptyBytes) { _bytesShared = true };

    private static readonly StackByte[] EmptyBytes = new StackByte[StackSize];

    private bool HasSpill(int first)
    {
        for (int s = first; s < Slots; s++)
        {
            if (HoldsSpill(s)) return true;
        }

        return false;
    }

    /// <summary>Whether slot <paramref name="slot"/> holds a spilled register (its first or last byte says so: a partial overwrite keeps the other end).</summary>
    public bool HoldsSpill(int slot) => _bytes[slot * 8] == StackByte.Spill || _bytes[slot * 8 + 7] == StackByte.Spill;

    /// <summary>The lowest slot any write reached: the slots below it were never written.</summary>
    public int FirstSlot => (StackSize - Math.Min(Depth, StackSize)) / 8;
}

/// <summary>
/// The states and frames of finished paths, reused for the copies later forks make (a path's state is referenced by
/// nothing once its walk ends: kept checkpoints and pending paths hold copies of their own).
/// </summary>
internal sealed class StatePool
{
    private readonly Stack<VState> _states = new();
    private readonly Stack<FuncFrame> _frames = new();

    public VState? TakeState() => _states.TryPop(out var s) ? s : null;

    public FuncFrame? TakeFrame() => _frames.TryPop(out var f) ? f : null;

    /// <summary>Takes back a finished path's state and its frames.</summary>
    public void Release(VState s)
    {
        for (int i = 0; i < s.Frames.Length; i++)
        {
            if (s.Frames[i] is { } f) _frames.Push(f);
            s.Frames[i] = null!;
        }

        s.Hist.Clear();
        s.KeptHist = [];
        s.Parent = null;
        _states.Push(s);
    }
}

/// <summary>A reference a path holds (a ring-buffer reservation) until a release helper or its null branch ends it.</summary>
internal readonly record struct HeldReference(int Id, int Insn);

/// <summary>One path's verifier state (the kernel's <c>bpf_verifier_state</c>).</summary>
internal sealed class VState
{
    public FuncFrame[] Frames = new FuncFrame[ControlFlow.MaxCallFrames];
    public int Cur;
    public HeldReference[] Refs = [];

    /// <summary>The held spin lock: the map of the value and the id of the pointer (−1 map: none).</summary>
    public int LockMap = -1;
    public int LockId;
    public int LockOffset;

    public int Insn;
    public int Prev = -1;

    /// <summary>The explored checkpoint this path descends from (for completion counting and precision backtracking).</summary>
    public Checkpoint? Parent;

    /// <summary>The instructions this path executed since <see cref="Parent"/> was kept (the kernel's jump history, here every instruction).</summary>
    public List<HistEntry> Hist = [];

    /// <summary>
    /// For a kept state: the history of the path up to it (what <see cref="Hist"/> held then), at its exact size, so the
    /// path keeps its grown list for what follows.
    /// </summary>
    public HistEntry[] KeptHist = [];

    public FuncFrame Frame => Frames[Cur];

    public RegisterState[] Regs => Frames[Cur].Regs;

    /// <summary>
    /// A copy of this state and its history (a forked path's), built from <paramref name="pool"/>'s finished states when
    /// it has any: their history lists keep the capacity earlier paths grew them to.
    /// </summary>
    public VState Clone(StatePool? pool = null)
    {
        var s = pool?.TakeState();
        if (s is null) s = new VState { Hist = new List<HistEntry>(Hist) };
        else s.Hist.AddRange(Hist);
        s.CopyFrom(this, pool);
        return s;
    }

    /// <summary>A copy of this state to keep as a checkpoint: its history moves to <see cref="KeptHist"/>, sized exactly.</summary>
    public VState CloneToKeep(StatePool pool)
    {
        var s = pool.TakeState() ?? new VState();
        s.KeptHist = Hist.Count == 0 ? [] : Hist.ToArray();
        s.CopyFrom(this, pool);
        return s;
    }

    private void CopyFrom(VState source, StatePool? pool)
    {
        Cur = source.Cur;
        Refs = source.Refs;
        LockMap = source.LockMap;
        LockId = source.LockId;
        LockOffset = source.LockOffset;
        Insn = source.Insn;
        Prev = source.Prev;
        Parent = source.Parent;
        for (int i = 0; i <= Cur; i++) Frames[i] = source.Frames[i].CloneInto(pool?.TakeFrame() ?? FuncFrame.Blank());
    }

    /// <summary>Every register and spilled register in every frame, for id-wide updates (struct visitor, no allocation).</summary>
    public void ForEachReg<T>(ref T visit)
        where T : struct, IRegVisitor
    {
        for (int f = 0; f <= Cur; f++)
        {
            var frame = Frames[f];
            var regs = frame.Regs;
            for (int r = 0; r < 11; r++) visit.Visit(ref regs[r]);
            var bytes = frame.Bytes;
            for (int s = frame.FirstSlot; s < FuncFrame.Slots; s++)
            {
                if (bytes[s * 8 + 7] != StackByte.Spill && bytes[s * 8] != StackByte.Spill) continue;
                // Visit a copy: a shared spill array is copied only when the visitor really changes a spilled register.
                var x = frame.Spills[s];
                visit.Visit(ref x);
                if (x != frame.Spills[s]) frame.WritableSpills[s] = x;
            }
        }
    }

    /// <summary>Every register and spilled register in every frame, for id-wide updates.</summary>
    public void ForEachReg(RegVisitor visit)
    {
        for (int f = 0; f <= Cur; f++)
        {
            var frame = Frames[f];
            for (int r = 0; r < 11; r++) visit(ref frame.Regs[r]);
            for (int s = frame.FirstSlot; s < FuncFrame.Slots; s++)
            {
                if (frame.HoldsSpill(s)) visit(ref frame.WritableSpills[s]);
            }
        }
    }
}

internal delegate void RegVisitor(ref RegisterState reg);

/// <summary>A visitor for <see cref="VState.ForEachReg{T}(ref T)"/>: a struct, so hot id-wide updates allocate no closure.</summary>
internal interface IRegVisitor
{
    void Visit(ref RegisterState reg);
}

/// <summary>What an instruction did to the stack, as precision backtracking needs it.</summary>
internal enum StackEffect : byte
{
    None,

    /// <summary>A register (or an immediate, or an atomic's unknown result) became the slot's spilled register.</summary>
    Spill,

    /// <summary>A load took its value from the slot's spilled register.</summary>
    Fill,

    /// <summary>Any other write touching the slot.</summary>
    Write,
}

/// <summary>One executed instruction of a path: what backtracking needs beyond the instruction itself.</summary>
internal struct HistEntry(int insn, int frame, bool inCallback)
{
    public readonly int Insn = insn;
    public readonly byte Frame = (byte)frame;
    public readonly bool InCallback = inCallback;
    public StackEffect Stack;
    public byte SlotFrame;
    public byte Slot;

    /// <summary>For <see cref="StackEffect.Spill"/>: the register spilled, −1 for an immediate or an atomic's result.</summary>
    public sbyte SpillReg;

    /// <summary>
    /// Registers of <see cref="Frame"/> whose backtracking from just after this instruction is known to mark nothing new:
    /// traced from here (or later, untouched since) by an earlier walk. Precision marks only grow, so a walk with no more
    /// than these stops here.
    /// </summary>
    public ushort Clean;

    /// <summary>
    /// For a conditional jump on scalars with ids: 1 + where in the walker's pool the positions it refined together are
    /// listed (their count, then the positions); 0 for none. One field keeps an entry at 16 bytes.
    /// </summary>
    public int Linked;
}

/// <summary>How <see cref="Subsumption.StateWithin"/> treats scalars.</summary>
internal enum PruneMode
{
    /// <summary>Every register and scalar compared (loop detection).</summary>
    Exact,

    /// <summary>Scalars outside the static precise set of the slot match any scalar (in-progress callback states).</summary>
    Static,

    /// <summary>Scalars the old state did not mark precise match any scalar (the kernel's rule).</summary>
    Dynamic,
}

/// <summary>A state kept at a prune point; usable for pruning once every path below it has finished (<see cref="Branches"/> = 0).</summary>
internal sealed class Checkpoint(VState state, Checkpoint? parent)
{
    /// <summary>The kept state; null once <see cref="Compact"/> gave it back to the pool.</summary>
    public VState? State = state;
    public readonly Checkpoint? Parent = parent;

    /// <summary>The kept state's call depth (its <see cref="VState.Cur"/>).</summary>
    public readonly int Cur = state.Cur;

    /// <summary>The history of the path up to the kept state (its <see cref="VState.KeptHist"/>), for backtracking through it.</summary>
    public readonly HistEntry[] Hist = state.KeptHist;

    public int Branches = 1;
    public int Hits;
    public int Misses;

    /// <summary>True once a fallback marked every scalar here and in every ancestor precise.</summary>
    public bool AllPrecise;

    /// <summary>Dropped from its explored list: its state goes back to the pool once <see cref="Branches"/> reaches 0.</summary>
    public bool Evicted;

    // After Compact: per frame, which registers and spilled slots hold scalars, and their precision marks.
    private FrameMarks[]? _marks;

    private struct FrameMarks
    {
        public ushort ScalarRegs;
        public ushort PreciseRegs;
        public ulong ScalarSlots;
        public ulong PreciseSlots;
    }

    /// <summary>
    /// For an evicted checkpoint whose paths are still running: keeps only what backtracking through it needs (which
    /// registers and spilled slots are scalars, and their marks) and gives the state back to <paramref name="pool"/>:
    /// nothing compares against it any more, and loops evict most of the checkpoints on the path being walked.
    /// </summary>
    public void Compact(StatePool pool)
    {
        var st = State!;
        var marks = new FrameMarks[st.Cur + 1];
        for (int f = 0; f <= st.Cur; f++)
        {
            var frame = st.Frames[f];
            ref var m = ref marks[f];
            for (int r = 0; r < 11; r++)
            {
                if (frame.Regs[r].Type == RegisterType.Scalar) m.ScalarRegs |= (ushort)(1 << r);
            }

            for (int slot = frame.FirstSlot; slot < FuncFrame.Slots; slot++)
            {
                if (frame.HoldsSpill(slot) && frame.Spills[slot].Type == RegisterType.Scalar) m.ScalarSlots |= 1UL << slot;
            }

            m.PreciseRegs = frame.PreciseRegs;
            m.PreciseSlots = frame.PreciseSlots;
        }

        _marks = marks;
        State = null;
        pool.Release(st);
    }

    /// <summary>
    /// Marks precise, in frame <paramref name="f"/>, the registers of <paramref name="regs"/> that hold scalars here and
    /// were not precise yet; gives those (the ones to trace further back). A register that is not a scalar here is
    /// compared whole anyway; one already precise was traced further back when it was marked.
    /// </summary>
    public int MarkRegs(int f, int regs)
    {
        if (_marks is not null)
        {
            ref var m = ref _marks[f];
            int fresh = regs & m.ScalarRegs & ~m.PreciseRegs;
            m.PreciseRegs |= (ushort)fresh;
            return fresh;
        }

        var frame = State!.Frames[f];
        for (int r = 0; r < 16 && regs != 0; r++)
        {
            int bit = 1 << r;
            if ((regs & bit) == 0) continue;
            if (r > 10 || frame.Regs[r].Type != RegisterType.Scalar || (frame.PreciseRegs & bit) != 0) regs &= ~bit;
            else frame.PreciseRegs |= (ushort)bit;
        }

        return regs;
    }

    /// <summary>As <see cref="MarkRegs"/>, for spilled slots.</summary>
    public ulong MarkSlots(int f, ulong slots)
    {
        if (_marks is not null)
        {
            ref var m = ref _marks[f];
            ulong fresh = slots & m.ScalarSlots & ~m.PreciseSlots;
            m.PreciseSlots |= fresh;
            return fresh;
        }

        var frame = State!.Frames[f];
        for (int s = 0; s < FuncFrame.Slots && slots != 0; s++)
        {
            ulong bit = 1UL << s;
            if ((slots & bit) == 0) continue;
            if (!frame.HoldsSpill(s) || frame.Spills[s].Type != RegisterType.Scalar || (frame.PreciseSlots & bit) != 0) slots &= ~bit;
            else frame.PreciseSlots |= bit;
        }

        return slots;
    }

    /// <summary>Every scalar of every frame precise (the kernel's fallback).</summary>
    public void MarkAll()
    {
        for (int f = 0; f <= Cur; f++)
        {
            if (_marks is not null)
            {
                _marks[f].PreciseRegs = 0xffff;
                _marks[f].PreciseSlots = ulong.MaxValue;
            }
            else
            {
                State!.Frames[f].PreciseRegs = 0xffff;
                State.Frames[f].PreciseSlots = ulong.MaxValue;
            }
        }
    }
}

/// <summary>The kernel's <c>states_equal</c>: whether a new state lies within an explored one (then it is safe too).</summary>
internal sealed class Subsumption
{
    // Old id → current id pairs, so ids link the same registers in both states: a few per comparison, so a linear scan
    // of two small arrays beats hashing (and clearing is resetting a count).
    private int[] _oldIds = new int[16];
    private int[] _curIds = new int[16];
    private int _idCount;

    public bool StateWithin(VState old, VState cur, PruneMode mode, bool[]? liveRegs = null, bool[]? staticRegs = null, ulong staticSlots = ulong.MaxValue)
    {
        if (old.Cur != cur.Cur || old.LockMap != cur.LockMap || old.LockOffset != cur.LockOffset) return false;
        if (old.Refs.Length != cur.Refs.Length) return false;
        _idCount = 0;
        if (old.LockMap >= 0 && !Ids(old.LockId, cur.LockId)) return false;
        for (int i = 0; i < old.Refs.Length; i++)
        {
            if (!Ids(old.Refs[i].Id, cur.Refs[i].Id)) return false;
        }

        for (int f = 0; f <= old.Cur; f++)
        {
            var o = old.Frames[f];
            var c = cur.Frames[f];
            if (o.CallSite != c.CallSite || o.IsCallback != c.IsCallback) return false;
            int preciseRegs;
            ulong preciseSlots;
            switch (mode)
            {
                case PruneMode.Dynamic:
                    preciseRegs = o.PreciseRegs;
                    preciseSlots = o.PreciseSlots;
                    break;
                case PruneMode.Static when f == old.Cur && staticRegs is not null:
                    preciseRegs = 0;
                    for (int r = 0; r < 10; r++) preciseRegs |= staticRegs[r] ? 1 << r : 0;
                    preciseSlots = staticSlots;
                    break;
                default:
                    preciseRegs = 0xffff;
                    preciseSlots = ulong.MaxValue;
                    break;
            }

            for (int r = 0; r < 11; r++)
            {
                // Liveness only for the current frame; callers' registers are compared whole.
                if (f == old.Cur && liveRegs is not null && r < 10 && !liveRegs[r]) continue;
                // A scalar whose value reaches no safety decision from here matches any scalar.
                if ((preciseRegs & (1 << r)) == 0 && o.Regs[r].Type == RegisterType.Scalar)
                {
                    if (c.Regs[r].Type != RegisterType.Scalar) return false;
                    continue;
                }

                if (!RegWithin(o.Regs[r], c.Regs[r])) return false;
            }

            if (!StackWithin(o, c, preciseSlots)) return false;
        }

        return true;
    }

    private bool StackWithin(FuncFrame o, FuncFrame c, ulong preciseSlots)
    {
        // Slots the old state never wrote are invalid there and match anything.
        if (ReferenceEquals(o.Bytes, c.Bytes)) return SharedStackWithin(o, c, preciseSlots);
        for (int s = o.FirstSlot; s < FuncFrame.Slots; s++)
        {
            int b0 = s * 8;
            bool oSpill = o.HoldsSpill(s);
            bool cSpill = c.HoldsSpill(s);
            if (oSpill)
            {
                if (!cSpill) return false;
                for (int i = 0; i < 8; i++)
                {
                    if (o.Bytes[b0 + i] != c.Bytes[b0 + i] && o.Bytes[b0 + i] != StackByte.Invalid) return false;
                }

                // A spilled scalar no later decision reads matches any spilled scalar.
                if ((preciseSlots & (1UL << s)) == 0 && o.Spills[s].Type == RegisterType.Scalar && c.Spills[s].Type == RegisterType.Scalar) continue;
                if (!RegWithin(o.Spills[s], c.Spills[s])) return false;
                continue;
            }

            for (int i = 0; i < 8; i++)
            {
                var ob = o.Bytes[b0 + i];
                var cb = c.Bytes[b0 + i];
                if (ob == StackByte.Invalid || ob == cb) continue;
                if (ob == StackByte.Misc && cb == StackByte.Zero) continue;
                if (ob == StackByte.Misc && cb == StackByte.Spill && c.Spills[s].Type == RegisterType.Scalar) continue;
                if (ob == StackByte.Zero && cb == StackByte.Spill && c.Spills[s].Type == RegisterType.Scalar && c.Spills[s].Value.IsConst && c.Spills[s].Value.VarOff.Value == 0) continue;
                return false;
            }
        }

        return true;
    }

    // StackWithin when both frames still share one byte array (copy-on-write): every byte equals its counterpart, so
    // only the spilled registers are left to compare.
    private bool SharedStackWithin(FuncFrame o, FuncFrame c, ulong preciseSlots)
    {
        var bytes = o.Bytes;
        for (int s = o.FirstSlot; s < FuncFrame.Slots; s++)
        {
            if (bytes[s * 8 + 7] != StackByte.Spill && bytes[s * 8] != StackByte.Spill) continue;
            if ((preciseSlots & (1UL << s)) == 0 && o.Spills[s].Type == RegisterType.Scalar && c.Spills[s].Type == RegisterType.Scalar) continue;
            if (!RegWithin(o.Spills[s], c.Spills[s])) return false;
        }

        return true;
    }

    private bool RegWithin(in RegisterState o, in RegisterState c)
    {
        if (o.Type == RegisterType.NotInit) return true;
        if (o.Type != c.Type) return false;
        if (o.Type == RegisterType.Scalar)
        {
            if (!c.Value.IsSubsetOf(o.Value)) return false;
            return o.Id == 0 || (Ids(o.Id, c.Id) && o.Delta == c.Delta);
        }

        if (o.Offset != c.Offset || o.MapIndex != c.MapIndex || o.Frame != c.Frame) return false;
        if (!c.Value.IsSubsetOf(o.Value)) return false;
        if (o.Type is RegisterType.PtrToPacket or RegisterType.PtrToPacketMeta)
        {
            if (c.Range < o.Range) return false;
        }
        else if (o.Range != c.Range)
        {
            return false;
        }

        if (o.Id != 0 || c.Id != 0)
        {
            if (!Ids(o.Id, c.Id)) return false;
        }

        if (o.RefId != 0 || c.RefId != 0)
        {
            if (!Ids(o.RefId, c.RefId)) return false;
        }

        return true;
    }

    private bool Ids(int oldId, int curId)
    {
        if (oldId == 0 || curId == 0) return oldId == curId;
        // Each old id and each current id appears in at most one pair, so the first pair naming either decides.
        for (int k = 0; k < _idCount; k++)
        {
            if (_oldIds[k] == oldId) return _curIds[k] == curId;
            if (_curIds[k] == curId) return false;
        }

        if (_idCount == _oldIds.Length)
        {
            Array.Resize(ref _oldIds, _idCount * 2);
            Array.Resize(ref _curIds, _idCount * 2);
        }

        _oldIds[_idCount] = oldId;
        _curIds[_idCount] = curId;
        _idCount++;
        return true;
    }

    /// <summary>The kernel's <c>states_maybe_looping</c>: the current frame's registers identical.</summary>
    public static bool MaybeLooping(VState old, VState cur)
    {
        if (old.Cur != cur.Cur) return false;
        var o = old.Frame.Regs;
        var c = cur.Frame.Regs;
        // Types and offsets first: cheap, and a loop's states usually differ in a counter's value only.
        for (int r = 0; r < 11; r++)
        {
            if (o[r].Type != c[r].Type || o[r].Offset != c[r].Offset) return false;
        }

        for (int r = 0; r < 11; r++)
        {
            if (!o[r].Value.Equals(c[r].Value)) return false;
        }

        return true;
    }
}
