using HeteroBpf.Helpers;
using HeteroBpf.Isa;

namespace HeteroBpf.Tests.Jit;

/// <summary>
/// Random valid programs for differential runs: straight-line mixes of every ALU and jump opcode with forward branches,
/// stack and buffer loads, stores and atomics (some out of bounds), legacy packet loads, helper calls (some failing),
/// bounded loops (a counter in R6 and a backward branch), and sometimes a subprogram reached by <c>call</c>, <c>callx</c>
/// or as a <c>bpf_loop</c> callback (sometimes recursing until the depth fault).
/// </summary>
/// <remarks>
/// Entry: R1 = the read-write buffer (also the packet), R2 = a read-only region. R9 and R8 keep them; random ALU
/// results go to R0–R7 only, and R10 is used as a base only, so no stack address reaches R0 or memory (engines have
/// different stacks). After a helper call R1–R5 are reset for the same reason.
/// </remarks>
internal sealed class RandomProgramGen(int seed)
{
    public const int BufferSize = 64;
    public const int ReadOnlySize = 16;
    public const int DeterministicHelper = (int)HelperId.GetPrandomU32;
    public const int MissingHelper = 9999;

    private readonly Random _rng = new(seed);

    /// <summary>Basic helpers, with <c>get_prandom_u32</c> replaced by a deterministic mix of R1–R5 (so both engines agree).</summary>
    public static HelperRegistry Helpers { get; } = HelperRegistry.Basic.With(HelperId.GetPrandomU32, Mix);

    private static ulong Mix(ref HelperCall call)
    {
        ulong h = 0x9e3779b97f4a7c15;
        foreach (ulong r in (ReadOnlySpan<ulong>)[call.R1, call.R2, call.R3, call.R4, call.R5]) h = (h ^ r) * 0xff51afd7ed558ccd;
        return h ^ (h >> 29);
    }

    private sealed class Item
    {
        public List<Instruction> Code = [];
        public int JumpTarget = -1; // item index in the same function (for the last instruction)
        public bool CallsSub;       // last instruction is `call sub` (or the lddw of a callx sequence names sub)
    }

    /// <summary>False for backends without <c>bpf_loop</c> (the ARM64 JIT): no callback calls are generated.</summary>
    public bool Callbacks { get; init; } = true;

    public Instruction[] Next()
    {
        bool hasSub = _rng.Next(4) == 0;
        var main = new List<Item>();
        var prologue = new Item();
        prologue.Code.Add(Mov64Reg(9, 1));
        prologue.Code.Add(Mov64Reg(8, 2));
        for (int r = 0; r < 8; r++)
        {
            if (r is 1 or 2 && _rng.Next(2) == 0) continue;
            Lddw(prologue.Code, r, Value64());
        }

        main.Add(prologue);
        int n = _rng.Next(5, 40);
        for (int i = 0; i < n; i++) main.Add(RandomItem(hasSub, inSub: false));
        bool fallOff = _rng.Next(40) == 0;
        if (!fallOff) main.Add(new Item { Code = { Exit() } });
        AssignForwardTargets(main);

        var sub = new List<Item>();
        if (hasSub)
        {
            int m = _rng.Next(1, 12);
            for (int i = 0; i < m; i++) sub.Add(RandomItem(hasSub: true, inSub: true));
            sub.Add(new Item { Code = { Exit() } });
            AssignForwardTargets(sub);
        }

        return Layout(main, sub);
    }

    private void AssignForwardTargets(List<Item> items)
    {
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i].JumpTarget == -2) items[i].JumpTarget = _rng.Next(i + 1, items.Count + 1); // items.Count = end (fall off / next function)
        }
    }

    private static Instruction[] Layout(List<Item> main, List<Item> sub)
    {
        var all = new List<Item>(main);
        all.AddRange(sub);
        var slotOf = new int[all.Count + 1];
        int slot = 0;
        for (int i = 0; i < all.Count; i++)
        {
            slotOf[i] = slot;
            slot += all[i].Code.Count;
        }

        slotOf[all.Count] = slot;
        int subStart = slotOf[main.Count];
        var program = new List<Instruction>();
        for (int i = 0; i < all.Count; i++)
        {
            var code = all[i].Code;
            int baseItem = i < main.Count ? 0 : main.Count;
            for (int k = 0; k < code.Count; k++)
            {
                var insn = code[k];
                int at = slotOf[i] + k;
                bool last = k == code.Count - 1;
                if (last && all[i].JumpTarget >= 0)
                {
                    int target = slotOf[Math.Min(baseItem + all[i].JumpTarget, all.Count)];
                    // A branch of main may not jump into sub: clamp to main's end.
                    if (i < main.Count) target = Math.Min(target, subStart);
                    if (target >= slotOf[all.Count]) target = slotOf[all.Count] - 1; // stay inside the program
                    insn = Branches.WithTarget(insn, at, Math.Max(target, at + 1));
                }
                else if (all[i].CallsSub && Branches.NamesFunction(insn))
                {
                    insn = Branches.WithTarget(insn, at, subStart);
                }

                program.Add(insn);
            }
        }

        return [.. program];
    }

    private Item RandomItem(bool hasSub, bool inSub)
    {
        var item = new Item();
        var c = item.Code;
        int pick = _rng.Next(100);
        switch (pick)
        {
            case < 40: c.Add(AluInstruction()); break;
            case < 52:
                c.Add(CondJump());
                item.JumpTarget = -2;
                break;
            case < 54:
                c.Add(_rng.Next(2) == 0
                    ? I(Opcodes.Ja, 0, 0, 0, 0)
                    : I(Opcodes.Gotol, 0, 0, 0, 0));
                item.JumpTarget = -2;
                break;
            case < 57: Lddw(c, _rng.Next(8), Value64()); break;
            case < 67: c.Add(StackAccess()); break;
            case < 80: c.Add(BufferAccess()); break;
            case < 82: c.Add(ReadOnlyAccess()); break;
            case < 83: c.Add(WildAccess()); break;
            case < 85: c.Add(LegacyLoad()); break;
            case < 89: HelperCall(c); break;
            case < 91: BoundedLoop(c); break;
            case < 92 when hasSub && Callbacks:
                // bpf_loop(n, sub, buffer, flags): sub runs as the callback (R1 = index, R2 = the buffer, R9 = 0 there).
                item.CallsSub = true;
                c.Add(I(Opcodes.Alu(true, AluOp.Mov, OperandSource.Imm), 1, 0, 0, _rng.Next(8) == 0 ? Imm32() : _rng.Next(0, 6)));
                c.Add(I(Opcodes.Lddw, 2, (byte)LoadImmKind.Func, 0, 0));
                c.Add(I(0, 0, 0, 0, 0));
                c.Add(Mov64Reg(3, 9));
                c.Add(I(Opcodes.Alu(true, AluOp.Mov, OperandSource.Imm), 4, 0, 0, _rng.Next(10) == 0 ? 1 : 0));
                c.Add(I(Opcodes.Call, 0, 0, 0, (int)HelperId.Loop));
                for (byte r = 1; r <= 5; r++) c.Add(I(Opcodes.Alu(true, AluOp.Mov, OperandSource.Imm), r, 0, 0, Imm32()));
                break;
            default:
                if (!hasSub || (inSub && _rng.Next(6) != 0))
                {
                    c.Add(AluInstruction());
                    break;
                }

                item.CallsSub = true;
                if (_rng.Next(3) == 0)
                {
                    int r = _rng.Next(8);
                    c.Add(I(Opcodes.Lddw, (byte)r, (byte)LoadImmKind.Func, 0, 0));
                    c.Add(I(0, 0, 0, 0, 0));
                    c.Add(I(Opcodes.CallX, (byte)r, 0, 0, 0));
                }
                else
                {
                    c.Add(I(Opcodes.Call, 0, (byte)CallKind.Local, 0, 0));
                }

                break;
        }

        return item;
    }

    // A bounded loop: R6 counts 1–8 iterations down over a body of ALU instructions (never writing R6) and accesses,
    // closed by a backward conditional jump.
    private void BoundedLoop(List<Instruction> c)
    {
        c.Add(I(Opcodes.Alu(true, AluOp.Mov, OperandSource.Imm), 6, 0, 0, _rng.Next(1, 9)));
        int start = c.Count;
        int body = _rng.Next(1, 6);
        for (int i = 0; i < body; i++)
        {
            Instruction insn;
            do
            {
                insn = _rng.Next(3) switch { 0 => StackAccess(), 1 => BufferAccess(), _ => AluInstruction() };
            }
            while (WritesR6(insn));
            c.Add(insn);
        }

        c.Add(I(Opcodes.Alu(true, AluOp.Add, OperandSource.Imm), 6, 0, 0, -1));
        int back = start - (c.Count + 1);
        c.Add(I(Opcodes.Jump(_rng.Next(2) == 0, JumpOp.Jne, OperandSource.Imm), 6, 0, back, 0));
    }

    private static bool WritesR6(in Instruction insn)
    {
        var kind = InstructionForms.Of(insn.OpCode).Kind;
        if (kind is InstructionKind.StoreImm or InstructionKind.StoreReg) return false;
        if (kind == InstructionKind.Atomic) return insn.SrcNumber == 6;
        return insn.DstNumber == 6;
    }

    private static readonly AluOp[] AluOps = Enum.GetValues<AluOp>();
    private static readonly JumpOp[] CondOps = [JumpOp.Jeq, JumpOp.Jgt, JumpOp.Jge, JumpOp.Jset, JumpOp.Jne, JumpOp.Jsgt, JumpOp.Jsge, JumpOp.Jlt, JumpOp.Jle, JumpOp.Jslt, JumpOp.Jsle];
    private static readonly AtomicOp[] AtomicOps = Enum.GetValues<AtomicOp>();

    private Instruction AluInstruction()
    {
        bool is64 = _rng.Next(2) == 0;
        var op = AluOps[_rng.Next(AluOps.Length)];
        bool reg = _rng.Next(2) == 0;
        byte dst = (byte)_rng.Next(8);
        byte src = (byte)_rng.Next(8);
        switch (op)
        {
            case AluOp.Neg:
                return I(Opcodes.Alu(is64, op, OperandSource.Imm), dst, 0, 0, 0);
            case AluOp.End:
                {
                    int width = _rng.Next(3) switch { 0 => 16, 1 => 32, _ => 64 };
                    var source = is64 ? OperandSource.Imm : (reg ? OperandSource.Reg : OperandSource.Imm);
                    return I(Opcodes.Alu(is64, op, source), dst, 0, 0, width);
                }

            case AluOp.Div:
            case AluOp.Mod:
                {
                    short sign = (short)_rng.Next(2);
                    return reg
                        ? I(Opcodes.Alu(is64, op, OperandSource.Reg), dst, src, sign, 0)
                        : I(Opcodes.Alu(is64, op, OperandSource.Imm), dst, 0, sign, Imm32());
                }

            case AluOp.Mov when reg:
                {
                    short[] widths = is64 ? [0, 0, 8, 16, 32] : [0, 0, 8, 16];
                    return I(Opcodes.Alu(is64, op, OperandSource.Reg), dst, src, widths[_rng.Next(widths.Length)], 0);
                }

            case AluOp.Lsh or AluOp.Rsh or AluOp.Arsh when !reg:
                return I(Opcodes.Alu(is64, op, OperandSource.Imm), dst, 0, 0, _rng.Next(10) == 0 ? Imm32() : _rng.Next(64));
            default:
                return reg
                    ? I(Opcodes.Alu(is64, op, OperandSource.Reg), dst, (byte)_rng.Next(10), 0, 0)
                    : I(Opcodes.Alu(is64, op, OperandSource.Imm), dst, 0, 0, Imm32());
        }
    }

    private Instruction CondJump()
    {
        bool is64 = _rng.Next(2) == 0;
        var op = CondOps[_rng.Next(CondOps.Length)];
        return _rng.Next(2) == 0
            ? I(Opcodes.Jump(is64, op, OperandSource.Reg), (byte)_rng.Next(10), (byte)_rng.Next(10), 0, 0)
            : I(Opcodes.Jump(is64, op, OperandSource.Imm), (byte)_rng.Next(10), 0, 0, Imm32());
    }

    private MemSize Size() => _rng.Next(4) switch { 0 => MemSize.B, 1 => MemSize.H, 2 => MemSize.W, _ => MemSize.DW };

    // A load, store or atomic at base + offset.
    private Instruction Access(byte baseReg, short offset, bool allowWrite)
    {
        var size = Size();
        int kind = allowWrite ? _rng.Next(10) : _rng.Next(2) * 9; // 0: load, 9: sign-extending load (reads only)
        byte data = (byte)_rng.Next(8);
        switch (kind)
        {
            case < 3: return I(Opcodes.Memory(OpClass.Ldx, MemMode.Mem, size), data, baseReg, offset, 0);
            case 9 when size != MemSize.DW: return I(Opcodes.Memory(OpClass.Ldx, MemMode.MemSx, size), data, baseReg, offset, 0);
            case 9: return I(Opcodes.Memory(OpClass.Ldx, MemMode.Mem, size), data, baseReg, offset, 0);
            case < 5: return I(Opcodes.Memory(OpClass.St, MemMode.Mem, size), baseReg, 0, offset, Imm32());
            case < 8: return I(Opcodes.Memory(OpClass.Stx, MemMode.Mem, size), baseReg, data, offset, 0);
            default:
                {
                    var atomicSize = _rng.Next(2) == 0 ? MemSize.W : MemSize.DW;
                    var op = AtomicOps[_rng.Next(AtomicOps.Length)];
                    return I(Opcodes.Memory(OpClass.Stx, MemMode.Atomic, atomicSize), baseReg, data, offset, (int)op);
                }
        }
    }

    private Instruction StackAccess()
    {
        short offset = _rng.Next(12) == 0 ? (short)_rng.Next(-530, 16) : (short)-_rng.Next(1, 513);
        return Access(10, offset, allowWrite: true);
    }

    private Instruction BufferAccess()
    {
        short offset = _rng.Next(10) == 0 ? (short)_rng.Next(-16, BufferSize + 16) : (short)_rng.Next(0, BufferSize - 7);
        return Access(9, offset, allowWrite: true);
    }

    private Instruction ReadOnlyAccess() => Access(8, (short)_rng.Next(-2, ReadOnlySize + 2), allowWrite: _rng.Next(3) == 0);

    private Instruction WildAccess() => Access((byte)_rng.Next(8), (short)_rng.Next(-100, 100), allowWrite: true);

    private Instruction LegacyLoad()
    {
        var size = _rng.Next(3) switch { 0 => MemSize.B, 1 => MemSize.H, _ => MemSize.W };
        return _rng.Next(2) == 0
            ? I(Opcodes.Memory(OpClass.Ld, MemMode.Abs, size), 0, 0, 0, _rng.Next(0, BufferSize + 4))
            : I(Opcodes.Memory(OpClass.Ld, MemMode.Ind, size), 0, (byte)_rng.Next(8), 0, _rng.Next(-4, BufferSize + 4));
    }

    private void HelperCall(List<Instruction> c)
    {
        int which = _rng.Next(10);
        if (which < 5)
        {
            // csum_diff(from, from_size, to, to_size, seed): from in the buffer, to on the stack; some sizes overrun.
            c.Add(Mov64Reg(1, 9));
            c.Add(I(Opcodes.Alu(true, AluOp.Add, OperandSource.Imm), 1, 0, 0, _rng.Next(0, BufferSize)));
            c.Add(I(Opcodes.Alu(true, AluOp.Mov, OperandSource.Imm), 2, 0, 0, _rng.Next(0, 40)));
            c.Add(Mov64Reg(3, 10));
            c.Add(I(Opcodes.Alu(true, AluOp.Add, OperandSource.Imm), 3, 0, 0, -_rng.Next(1, 520)));
            c.Add(I(Opcodes.Alu(true, AluOp.Mov, OperandSource.Imm), 4, 0, 0, _rng.Next(0, 40)));
            c.Add(I(Opcodes.Alu(true, AluOp.Mov, OperandSource.Imm), 5, 0, 0, Imm32()));
            c.Add(I(Opcodes.Call, 0, 0, 0, (int)HelperId.CsumDiff));
        }
        else if (which < 9)
        {
            c.Add(I(Opcodes.Call, 0, 0, 0, DeterministicHelper));
        }
        else
        {
            c.Add(I(Opcodes.Call, 0, 0, 0, MissingHelper));
        }

        for (byte r = 1; r <= 5; r++) c.Add(I(Opcodes.Alu(true, AluOp.Mov, OperandSource.Imm), r, 0, 0, Imm32()));
    }

    /// <summary>An instruction from plain numbers.</summary>
    internal static Instruction I(byte opcode, int dst, int src, int offset, int imm) => new(opcode, (byte)dst, (byte)src, (short)offset, imm);

    private static Instruction Mov64Reg(byte dst, byte src) => I(Opcodes.Alu(true, AluOp.Mov, OperandSource.Reg), dst, src, 0, 0);

    private static Instruction Exit() => I(Opcodes.Exit, 0, 0, 0, 0);

    private static void Lddw(List<Instruction> c, int dst, ulong value)
    {
        c.Add(I(Opcodes.Lddw, (byte)dst, 0, 0, (int)(uint)value));
        c.Add(I(0, 0, 0, 0, (int)(uint)(value >> 32)));
    }

    private int Imm32() => _rng.Next(6) switch
    {
        0 => _rng.Next(int.MinValue, int.MaxValue),
        1 => _rng.Next(-300, 300),
        2 => new[] { 0, 1, -1, int.MinValue, int.MaxValue, short.MinValue, short.MaxValue, 0x8000, 0xffff, 63, 64, 31, 32 }[_rng.Next(13)],
        _ => _rng.Next(-5, 5),
    };

    private ulong Value64() => _rng.Next(5) switch
    {
        0 => (ulong)_rng.NextInt64() ^ ((ulong)_rng.Next() << 63),
        1 => (ulong)(long)Imm32(),
        2 => new[] { 0UL, 1UL, ulong.MaxValue, 0x8000_0000_0000_0000UL, 0x7fff_ffff_ffff_ffffUL, 0xffff_ffffUL, 0x8000_0000UL }[_rng.Next(7)],
        _ => (ulong)_rng.Next(-10, 10),
    };
}
