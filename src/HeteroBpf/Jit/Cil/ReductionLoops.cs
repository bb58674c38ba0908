using System.Diagnostics;
using System.Globalization;
using System.Text;
using HeteroBpf.Isa;

namespace HeteroBpf.Jit.Cil;

/// <summary>How a reduction loop folds each loaded element into its accumulator.</summary>
internal enum ReductionOp
{
    /// <summary><c>acc += t</c>.</summary>
    Add,

    /// <summary><c>acc ^= t</c>.</summary>
    Xor,

    /// <summary><c>acc |= t</c>.</summary>
    Or,

    /// <summary><c>acc &amp;= t</c>.</summary>
    And,
}

/// <summary>The unsigned 64-bit comparison that sends a reduction loop back to its header while it holds.</summary>
internal enum LoopTest
{
    /// <summary>value &lt; limit (the value counts up).</summary>
    Less,

    /// <summary>value &lt;= limit (the value counts up).</summary>
    LessOrEqual,

    /// <summary>value != limit (either way).</summary>
    NotEqual,

    /// <summary>value &gt; limit (the value counts down).</summary>
    Greater,

    /// <summary>value &gt;= limit (the value counts down).</summary>
    GreaterOrEqual,
}

/// <summary>
/// A value as an affine form over the registers' values at the loop header: <c>Constant + Σ Coefficients[r]·r</c>,
/// modulo 2^64 (exact: adds, subtracts and multiplies by constants commute with reduction modulo 2^64).
/// </summary>
internal sealed class Affine
{
    private readonly long[] _coefficients;

    private Affine(ulong constant, long[] coefficients)
    {
        Constant = constant;
        _coefficients = coefficients;
    }

    public ulong Constant { get; }

    public long Coefficient(int register) => _coefficients[register];

    /// <summary>Registers with a non-zero coefficient.</summary>
    public IEnumerable<int> Terms
    {
        get
        {
            for (int r = 0; r < _coefficients.Length; r++)
            {
                if (_coefficients[r] != 0) yield return r;
            }
        }
    }

    public static Affine Of(ulong constant) => new(constant, new long[11]);

    /// <summary>Register <paramref name="register"/>'s value at the header.</summary>
    public static Affine Header(int register)
    {
        var c = new long[11];
        c[register] = 1;
        return new Affine(0, c);
    }

    public Affine Plus(ulong constant) => new(unchecked(Constant + constant), _coefficients);

    public Affine Plus(Affine other, bool subtract = false)
    {
        var c = new long[11];
        for (int r = 0; r < c.Length; r++) c[r] = unchecked(subtract ? _coefficients[r] - other._coefficients[r] : _coefficients[r] + other._coefficients[r]);
        return new Affine(unchecked(subtract ? Constant - other.Constant : Constant + other.Constant), c);
    }

    public Affine Times(ulong factor)
    {
        var c = new long[11];
        for (int r = 0; r < c.Length; r++) c[r] = unchecked(_coefficients[r] * (long)factor);
        return new Affine(unchecked(Constant * factor), c);
    }

    /// <summary>True when this is exactly <c>register + constant</c> (no other term).</summary>
    public bool IsRegisterPlusConstant(int register)
    {
        for (int r = 0; r < _coefficients.Length; r++)
        {
            if (_coefficients[r] != (r == register ? 1 : 0)) return false;
        }

        return true;
    }

    /// <summary>True when this is exactly the header value of <paramref name="register"/>.</summary>
    public bool IsHeader(int register) => Constant == 0 && IsRegisterPlusConstant(register);

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (int r in Terms)
        {
            if (text.Length > 0) text.Append(" + ");
            if (_coefficients[r] != 1) text.Append(_coefficients[r].ToString(CultureInfo.InvariantCulture)).Append('*');
            text.Append('r').Append(r);
        }

        if (Constant != 0 || text.Length == 0)
        {
            if (text.Length > 0) text.Append(" + ");
            text.Append("0x").Append(Constant.ToString("x", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}

/// <summary>
/// A single-block counted loop whose only lasting effect is an accumulator reduced over contiguous loads (see
/// <see cref="ReductionLoops"/>). Iteration j (from the header) loads <see cref="ElementSize"/> bytes at
/// <c>Address + j·ElementSize</c> (header values), folds them into <see cref="Accumulator"/> with <see cref="Op"/>, adds
/// each induction variable's step to it, and goes back while <c>TestValue + j·TestStep</c> (header values, modulo
/// 2^64; TestStep read as signed: positive counts up, negative down) passes <see cref="Test"/> against the limit. Every
/// other register the body writes is dead at the header (written before any read in the body), and every other
/// register it reads is unchanged by it.
/// </summary>
internal sealed record ReductionLoop(
    int Header,
    int BackEdge,
    IReadOnlyList<(int Register, ulong Step)> Inductions,
    int Accumulator,
    ReductionOp Op,
    bool Accumulator32,
    int ElementSize,
    Affine Address,
    Affine TestValue,
    ulong TestStep,
    LoopTest Test,
    int LimitRegister,
    ulong Limit)
{
    /// <summary>Instructions per iteration (the body has no two-slot instruction).</summary>
    public int Length => BackEdge - Header + 1;

    public override string ToString()
    {
        string op = Op switch { ReductionOp.Add => "+", ReductionOp.Xor => "^", ReductionOp.Or => "|", _ => "&" };
        string acc = Accumulator32 ? $"w{Accumulator}" : $"r{Accumulator}";
        string test = Test switch { LoopTest.Less => "<", LoopTest.LessOrEqual => "<=", LoopTest.NotEqual => "!=", LoopTest.Greater => ">", _ => ">=" };
        string limit = LimitRegister >= 0 ? $"r{LimitRegister}" : "0x" + Limit.ToString("x", CultureInfo.InvariantCulture);
        string steps = string.Join(", ", Inductions.Select(i => $"r{i.Register} += {(long)i.Step}"));
        return $"slots {Header}..{BackEdge}: {acc} {op}= u{ElementSize * 8} at ({Address}) + {ElementSize}*i; {steps} while {TestValue} {test} {limit}";
    }
}

/// <summary>
/// Finds reduction loops (a pure analysis of the program; the compiler decides what to emit for them): a back edge
/// <c>if X op K goto h</c> at slot e (h ≤ e) whose body h..e is straight-line — nothing jumps into h+1..e, no jump,
/// call, exit, store, atomic, legacy load or <c>lddw</c> inside, every load proven in bounds — and whose registers
/// split into: induction variables (<c>ivᵢ = ivᵢ + cᵢ</c> over the iteration, cᵢ a non-zero constant: an index, a
/// pointer, a down counter), one accumulator (<c>acc = acc ⊕ t</c>, t a zero-extending load of S bytes whose address
/// is affine in the induction variables and unchanged registers and advances by exactly S per iteration, ⊕ one of
/// + ^ | &amp;, 64-bit or 32-bit), registers the body leaves unchanged, and temporaries the body writes before it reads
/// them. The exit test compares X — affine in the same registers, moving by a non-zero constant per iteration (a copy
/// of an index taken before or after its increment, a down counter) — with a constant or an unchanged register by an
/// unsigned comparison that holds while X moves towards the limit: &lt;, &lt;= or != counting up, &gt;, &gt;= or != down.
/// </summary>
/// <remarks>
/// The body is evaluated symbolically over the header values: a register holds an affine form, a loaded element (its
/// address affine), an accumulator step, or an opaque value. Opaque values (any other ALU operation, a sign-extending
/// load, a load at an address that is not affine) are harmless in temporaries: no iteration reads a temporary's value
/// from the one before, and the scalar body that runs after the vectorised iterations writes each of them again before
/// the loop can exit. Anything that would carry such a value across iterations is not recognised.
/// </remarks>
internal static class ReductionLoops
{
    private enum Kind : byte { Affine, Loaded, Reduced, Opaque }

    // One register's symbolic value.
    private readonly record struct Sym(Kind Kind, Affine? Value = null, int Size = 0, int Accumulator = -1, ReductionOp Op = ReductionOp.Add, bool Is32 = false)
    {
        public static readonly Sym Opaque = new(Kind.Opaque);
    }

    /// <summary>
    /// The reduction loops of <paramref name="program"/>, by header slot. <paramref name="provenSafe"/>: per slot, true
    /// when a verifier proved the access there in bounds; a loop needs every load of its body proven.
    /// </summary>
    public static Dictionary<int, ReductionLoop> Find(ReadOnlySpan<Instruction> program, IReadOnlyList<bool> provenSafe)
    {
        var found = new Dictionary<int, ReductionLoop>();
        bool[] entered = Entered(program);
        for (int pc = 0; pc < program.Length; pc += program[pc].Width)
        {
            var insn = program[pc];
            if (InstructionForms.Of(insn.OpCode).Kind != InstructionKind.CondJump || !Branches.TryGetTarget(insn, pc, out long target)) continue;
            if (target < 0 || target > pc || found.ContainsKey((int)target)) continue;
            if (Recognise(program, provenSafe, entered, (int)target, pc) is { } loop) found[loop.Header] = loop;
        }

        return found;
    }

    // Slots reached other than by falling through from the slot before: jump targets and function entries.
    private static bool[] Entered(ReadOnlySpan<Instruction> program)
    {
        var entered = new bool[program.Length + 1];
        for (int pc = 0; pc < program.Length; pc += program[pc].Width)
        {
            var insn = program[pc];
            var kind = InstructionForms.Of(insn.OpCode).Kind;
            bool jump = kind is InstructionKind.CondJump or InstructionKind.Ja or InstructionKind.Gotol || Branches.NamesFunction(insn);
            if (jump && Branches.TryGetTarget(insn, pc, out long target) && target >= 0 && target <= program.Length) entered[target] = true;
            if (kind is InstructionKind.Call or InstructionKind.CallX) entered[pc + 1] = true; // return sites
        }

        return entered;
    }

    /// <summary>The loop with header <paramref name="header"/> and back edge at <paramref name="backEdge"/>, or null.</summary>
    internal static ReductionLoop? Recognise(ReadOnlySpan<Instruction> program, IReadOnlyList<bool> provenSafe, bool[] entered, int header, int backEdge)
    {
        var test = program[backEdge];
        if (test.Class != OpClass.Jmp) return null; // JMP32 compares only the low halves
        for (int pc = header + 1; pc <= backEdge; pc++)
        {
            if (entered[pc]) return null;
        }

        var sym = new Sym[11];
        for (int r = 0; r < sym.Length; r++) sym[r] = new Sym(Kind.Affine, Affine.Header(r));
        var written = new bool[11];
        var readFirst = new bool[11]; // the header value is read somewhere in the body
        for (int pc = header; pc < backEdge; pc++)
        {
            var insn = program[pc];
            var kind = InstructionForms.Of(insn.OpCode).Kind;
            if (kind is not (InstructionKind.Alu or InstructionKind.Neg or InstructionKind.End or InstructionKind.Load or InstructionKind.LoadSx)) return null;
            int dst = insn.DstNumber, src = insn.SrcNumber;
            if (dst == 10) return null;
            if (kind is InstructionKind.Load or InstructionKind.LoadSx)
            {
                if (pc >= provenSafe.Count || !provenSafe[pc]) return null; // scalar code could fault here: its order matters
                Sym pointer = Read(src);
                sym[dst] = kind == InstructionKind.Load && pointer.Kind == Kind.Affine
                    ? new Sym(Kind.Loaded, pointer.Value!.Plus((ulong)(long)insn.Offset), Instruction.SizeInBytes(insn.Size))
                    : Sym.Opaque;
                written[dst] = true;
                continue;
            }

            sym[dst] = kind == InstructionKind.Alu ? Alu(insn) : Opaque(Read(dst));
            written[dst] = true;
        }

        // Classify what the body leaves in each register for the next iteration.
        var steps = new ulong[11]; // per induction variable its step, else 0
        var inductions = new List<(int Register, ulong Step)>();
        int acc = -1;
        for (int r = 0; r <= 10; r++)
        {
            var s = sym[r];
            if (s.Kind == Kind.Affine && s.Value!.IsHeader(r)) continue; // unchanged
            if (!readFirst[r]) continue; // a temporary: written before it is read
            if (s.Kind == Kind.Affine && s.Value!.IsRegisterPlusConstant(r))
            {
                steps[r] = s.Value.Constant; // non-zero: else the register would be unchanged
                inductions.Add((r, s.Value.Constant));
            }
            else if (s.Kind == Kind.Reduced && s.Accumulator == r && acc < 0)
            {
                acc = r;
            }
            else
            {
                return null;
            }
        }

        if (inductions.Count == 0 || acc < 0) return null;
        var reduced = sym[acc];
        var address = reduced.Value!;
        if (Advance(address) is not { } stride || stride != (ulong)reduced.Size) return null; // contiguous elements

        // The exit test: X op K, or K op' X, with X affine (moving by a constant per iteration) and K a constant or
        // an unchanged register.
        LoopTest kindOfTest;
        int xRegister, limitRegister = -1;
        if (test.Source == OperandSource.Imm)
        {
            xRegister = test.DstNumber;
            kindOfTest = Comparison(test.JumpOp, swapped: false);
        }
        else
        {
            bool dstIsLimit = Unchanged(test.DstNumber);
            xRegister = dstIsLimit ? test.SrcNumber : test.DstNumber;
            limitRegister = dstIsLimit ? test.DstNumber : test.SrcNumber;
            if (!Unchanged(limitRegister) || limitRegister == xRegister) return null;
            kindOfTest = Comparison(test.JumpOp, swapped: dstIsLimit);
        }

        var x = sym[xRegister];
        if (!Enum.IsDefined(kindOfTest) || x.Kind != Kind.Affine || Advance(x.Value!) is not { } testStep || testStep == 0) return null;
        bool up = (long)testStep > 0;
        if (kindOfTest is LoopTest.Less or LoopTest.LessOrEqual && !up || kindOfTest is LoopTest.Greater or LoopTest.GreaterOrEqual && up) return null;
        return new ReductionLoop(
            header, backEdge, inductions, acc, reduced.Op, reduced.Is32, reduced.Size, address, x.Value!, testStep, kindOfTest,
            limitRegister, limitRegister >= 0 ? 0 : (ulong)(long)test.Imm);

        bool Unchanged(int r) => sym[r].Kind == Kind.Affine && sym[r].Value!.IsHeader(r);

        // How much an affine value of header registers grows per iteration (modulo 2^64), or null when it reads a
        // register that is neither unchanged nor an induction variable.
        ulong? Advance(Affine value)
        {
            ulong advance = 0;
            foreach (int r in value.Terms)
            {
                if (steps[r] != 0) advance = unchecked(advance + ((ulong)value.Coefficient(r) * steps[r]));
                else if (!Unchanged(r)) return null;
            }

            return advance;
        }

        Sym Read(int r)
        {
            if (!written[r]) readFirst[r] = true;
            return sym[r];
        }

        // A result that depends on an operand read before (Neg, End): opaque.
        static Sym Opaque(Sym operand) => Sym.Opaque;

        Sym Alu(in Instruction insn)
        {
            bool is64 = insn.Class == OpClass.Alu64;
            bool reg = insn.Source == OperandSource.Reg;
            var op = insn.AluOp;
            Sym b = reg ? Read(insn.SrcNumber) : new Sym(Kind.Affine, Affine.Of((ulong)(long)insn.Imm));
            if (op == AluOp.Mov) return is64 && insn.Offset == 0 ? b : Sym.Opaque; // movsx and 32-bit moves: opaque
            Sym a = Read(insn.DstNumber);
            if (!is64)
            {
                // 32-bit forms: only an accumulator step, whose zero-extended result depends on the low halves alone.
                return op is AluOp.Add or AluOp.Xor or AluOp.Or or AluOp.And && reg ? Step(a, b, op, true) : Sym.Opaque;
            }

            bool linear = a.Kind == Kind.Affine && b.Kind == Kind.Affine;
            switch (op)
            {
                case AluOp.Add when linear: return new Sym(Kind.Affine, a.Value!.Plus(b.Value!));
                case AluOp.Sub when linear: return new Sym(Kind.Affine, a.Value!.Plus(b.Value!, subtract: true));
                case AluOp.Mul when linear && !reg: return new Sym(Kind.Affine, a.Value!.Times(b.Value!.Constant));
                case AluOp.Lsh when a.Kind == Kind.Affine && !reg: return new Sym(Kind.Affine, a.Value!.Times(1UL << (insn.Imm & 63)));
                case AluOp.Add or AluOp.Xor or AluOp.Or or AluOp.And when reg: return Step(a, b, op, false);
                default: return Sym.Opaque;
            }
        }
    }

    // The test that keeps the loop going, for X in dst (swapped: in src).
    private static LoopTest Comparison(JumpOp op, bool swapped) => (op, swapped) switch
    {
        (JumpOp.Jlt, false) or (JumpOp.Jgt, true) => LoopTest.Less,
        (JumpOp.Jle, false) or (JumpOp.Jge, true) => LoopTest.LessOrEqual,
        (JumpOp.Jgt, false) or (JumpOp.Jlt, true) => LoopTest.Greater,
        (JumpOp.Jge, false) or (JumpOp.Jle, true) => LoopTest.GreaterOrEqual,
        (JumpOp.Jne, _) => LoopTest.NotEqual,
        _ => (LoopTest)(-1),
    };

    // acc ⊕ t with one side the header value of a register and the other a loaded element (either order: ⊕ commutes).
    private static Sym Step(Sym a, Sym b, AluOp op, bool is32)
    {
        if (b.Kind == Kind.Affine && a.Kind == Kind.Loaded) (a, b) = (b, a);
        if (a.Kind != Kind.Affine || b.Kind != Kind.Loaded) return Sym.Opaque;
        int accumulator = -1;
        for (int r = 0; r <= 10 && accumulator < 0; r++)
        {
            if (a.Value!.IsHeader(r)) accumulator = r;
        }

        if (accumulator < 0) return Sym.Opaque;
        var reduction = op switch { AluOp.Add => ReductionOp.Add, AluOp.Xor => ReductionOp.Xor, AluOp.Or => ReductionOp.Or, AluOp.And => ReductionOp.And, _ => throw new UnreachableException() };
        return new Sym(Kind.Reduced, b.Value, b.Size, accumulator, reduction, is32);
    }
}
