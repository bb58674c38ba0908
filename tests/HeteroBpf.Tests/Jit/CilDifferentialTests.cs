using System.Diagnostics;
using HeteroBpf.Asm;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;
using HeteroBpf.Jit.Cil;

namespace HeteroBpf.Tests.Jit;

/// <summary>
/// The interpreter and the CIL JIT on the same random programs: same R0, same instruction count, same fault (code,
/// slot, size, and address unless it is a stack address, which differs with each engine's stack), same memory after.
/// </summary>
public sealed unsafe class CilDifferentialTests(ITestOutputHelper output)
{
    private const int Programs = 20_000;

    /// <summary>The fixed-seed run. A longer one: <c>HBPF_CIL_DIFF_SEED=n HBPF_CIL_DIFF_COUNT=1000000</c> with this test.</summary>
    [Fact]
    public void RandomProgramsAgreeWithTheInterpreter()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("HBPF_CIL_DIFF_SEED"), out int s) ? s : 9669;
        int count = int.TryParse(Environment.GetEnvironmentVariable("HBPF_CIL_DIFF_COUNT"), out int c) ? c : Programs;
        var gen = new RandomProgramGen(seed);
        var budgetRng = new Random(seed ^ 0x5eed);
        byte[] buffer = GC.AllocateArray<byte>(RandomProgramGen.BufferSize, pinned: true);
        byte[] readOnly = GC.AllocateArray<byte>(RandomProgramGen.ReadOnlySize, pinned: true);
        byte[] initialBuffer = new byte[buffer.Length];
        byte[] initialReadOnly = new byte[readOnly.Length];
        byte[] afterInterpreter = new byte[buffer.Length];
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        int invalid = 0, provenPrograms = 0, withCallbacks = 0, withLoops = 0, uncountedPrograms = 0, promoted = 0;
        for (int i = 0; i - invalid < count; i++)
        {
            var program = gen.Next();
            if (!InstructionDecoder.TryValidate(program, out _))
            {
                invalid++;
                continue;
            }

            budgetRng.NextBytes(initialBuffer);
            budgetRng.NextBytes(initialReadOnly);
            long budget = budgetRng.Next(8) == 0 ? budgetRng.Next(1, 60) : InterpreterOptions.DefaultInstructionBudget;
            var interpreter = new BpfInterpreter(program, RandomProgramGen.Helpers, new InterpreterOptions { InstructionBudget = budget });
            var compiled = CilCompiler.Compile(program, RandomProgramGen.Helpers, new CilCompilerOptions { InstructionBudget = budget });

            initialBuffer.CopyTo(buffer, 0);
            initialReadOnly.CopyTo(readOnly, 0);
            var expected = RunOutcome.Of(buffer, readOnly, (memory, r1, r2) => interpreter.Run(memory, r1, r2));
            buffer.CopyTo(afterInterpreter, 0);

            initialBuffer.CopyTo(buffer, 0);
            initialReadOnly.CopyTo(readOnly, 0);
            var actual = RunOutcome.Of(buffer, readOnly, (memory, r1, r2) => compiled.Run(memory, r1, r2));

            var where = new Where(i, seed, budget, program);
            if (program.Any(x => x.OpCode == Opcodes.Call && x.SrcNumber == 0 && x.Imm == (int)HelperId.Loop)) withCallbacks++;
            if (program.Any(x => InstructionForms.Of(x.OpCode).Kind == InstructionKind.CondJump && x.Offset < 0)) withLoops++;
            Compare(where, program, expected, actual, afterInterpreter, buffer, readOnly, outcomes);

            // Again with the accesses that are safe by construction compiled unchecked (ProvenSafe, as a verifier's facts would).
            if (ProvenSafeByConstruction(program) is { } proven)
            {
                provenPrograms++;
                var unchecked_ = CilCompiler.Compile(program, RandomProgramGen.Helpers, new CilCompilerOptions { InstructionBudget = budget, ProvenSafe = proven });
                initialBuffer.CopyTo(buffer, 0);
                initialReadOnly.CopyTo(readOnly, 0);
                var fast = RunOutcome.Of(buffer, readOnly, (memory, r1, r2) => unchecked_.Run(memory, r1, r2));
                Compare(where with { ProvenSafe = true }, program, expected, fast, afterInterpreter, buffer, readOnly, null);

                // As a verified program compiles (termination proven: no budget checks), where the run ends within the
                // default budget: the exact count without checks, or no count at all (R0, faults and memory still equal).
                if (budget == InterpreterOptions.DefaultInstructionBudget && expected.Fault?.Code != ErrorCode.InstructionBudgetExceeded)
                {
                    var counting = (i & 1) == 0 ? CilCounting.Count : CilCounting.None;
                    var verified = CilCompiler.Compile(program, RandomProgramGen.Helpers, new CilCompilerOptions { ProvenSafe = proven, Counting = counting });
                    if (verified.PromotedStackSlots > 0) promoted++;
                    initialBuffer.CopyTo(buffer, 0);
                    initialReadOnly.CopyTo(readOnly, 0);
                    var uncounted = RunOutcome.Of(buffer, readOnly, (memory, r1, r2) => verified.Run(memory, r1, r2));
                    if (counting == CilCounting.None && expected.Fault is null && uncounted.Fault is null)
                    {
                        if (uncounted.Result.InstructionCount != 0) Assert.Fail($"{where}\nCounting.None counted {uncounted.Result.InstructionCount}");
                        uncounted = uncounted with { Result = uncounted.Result with { InstructionCount = expected.Result.InstructionCount } };
                    }

                    Compare(where with { ProvenSafe = true, Counting = counting }, program, expected, uncounted, afterInterpreter, buffer, readOnly, null);
                    uncountedPrograms++;
                }
            }
        }

        output.WriteLine($"{count} programs ({invalid} invalid layouts skipped, {provenPrograms} also run with proven-safe accesses unchecked, {withLoops} with bounded loops, {withCallbacks} with bpf_loop callbacks, {uncountedPrograms} also without budget checks, {promoted} of them with stack slots in locals): " + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}")));
        Assert.True(invalid < count / 100, $"{invalid} of {count} generated programs were invalid");
        Assert.True(outcomes.Count >= 5, "the generator should reach results and several kinds of fault");
        Assert.True(provenPrograms > count / 2, $"only {provenPrograms} programs had proven-safe accesses");
        Assert.True(withLoops > count / 10 && withCallbacks > count / 100, $"{withLoops} programs with loops, {withCallbacks} with callbacks");
        Assert.True(uncountedPrograms > count / 4 && promoted > count / 50, $"{uncountedPrograms} programs ran without budget checks, {promoted} with stack slots in locals");
    }

    /// <summary>
    /// Per slot, true for the accesses that cannot fail by construction of the generator (a hand-made stand-in for the
    /// verifier's <c>AccessProven</c>): R10 with the whole access inside its 512-byte frame, and R9 (the buffer, which
    /// nothing writes) inside the buffer unless a <c>bpf_loop</c> callback may run (R9 is 0 there). Null when there is none.
    /// </summary>
    internal static bool[]? ProvenSafeByConstruction(Instruction[] program)
    {
        bool callbacks = program.Any(i => i.OpCode == Opcodes.Call && i.SrcNumber == 0 && i.Imm == (int)HelperId.Loop);
        var proven = new bool[program.Length];
        bool any = false;
        for (int pc = 0; pc < program.Length; pc += program[pc].Width)
        {
            var insn = program[pc];
            var kind = InstructionForms.Of(insn.OpCode).Kind;
            if (kind is not (InstructionKind.Load or InstructionKind.LoadSx or InstructionKind.StoreImm or InstructionKind.StoreReg or InstructionKind.Atomic)) continue;
            int size = Instruction.SizeInBytes(insn.Size);
            byte baseRegister = kind is InstructionKind.Load or InstructionKind.LoadSx ? insn.SrcNumber : insn.DstNumber;
            bool safe = baseRegister switch
            {
                10 => insn.Offset >= -512 && insn.Offset <= -size,
                9 => !callbacks && insn.Offset >= 0 && insn.Offset <= RandomProgramGen.BufferSize - size,
                _ => false,
            };
            proven[pc] = safe;
            any |= safe;
        }

        return any ? proven : null;
    }

    private static void Compare(Where where, Instruction[] program, RunOutcome expected, RunOutcome actual, byte[] afterInterpreter, byte[] buffer, byte[] readOnly, Dictionary<string, int>? outcomes)
    {
            if (!(expected.Fault?.Code == actual.Fault?.Code)) Assert.Fail($"{where}\nfault {Describe(expected)} vs {Describe(actual)}");
            if (expected.Fault is { } e)
            {
                var a = actual.Fault!;
                if (!(e.Slot == a.Slot && e.Size == a.Size)) Assert.Fail($"{where}\nfault {Describe(expected)} vs {Describe(actual)}");
                if (!IsStackAddress(program, e, buffer, readOnly))
                {
                    if (!(e.Address == a.Address)) Assert.Fail($"{where}\nfault address 0x{e.Address:x} vs 0x{a.Address:x}");
                }

                if (outcomes is not null) Tally(outcomes, e.Code.ToString());
            }
            else
            {
                if (!(expected.Result == actual.Result)) Assert.Fail($"{where}\nresult {expected.Result} vs {actual.Result}");
                if (outcomes is not null) Tally(outcomes, "ok");
            }

            if (!(afterInterpreter.AsSpan().SequenceEqual(buffer))) Assert.Fail($"{where}\nbuffer differs: {Convert.ToHexString(afterInterpreter)} vs {Convert.ToHexString(buffer)}");
    }

    // Formats the failing program only when an assertion message needs it.
    private sealed record Where(int Index, int Seed, long Budget, Instruction[] Program, bool ProvenSafe = false, CilCounting Counting = CilCounting.Budget)
    {
        public override string ToString() => $"program {Index} (seed {Seed}, budget {Budget}{(ProvenSafe ? ", proven-safe accesses unchecked" : "")}, counting {Counting}):\n{Disassemble(Program)}";
    }

    // The engines' stacks lie at different addresses; a fault there is compared by code, slot and size only.
    private static bool IsStackAddress(Instruction[] program, BpfFaultException fault, byte[] buffer, byte[] readOnly)
    {
        if (fault.Code is not (ErrorCode.MemoryFault or ErrorCode.HelperFault) || fault.Slot >= program.Length) return false;
        var insn = program[fault.Slot];
        if (insn.OpCode == Opcodes.Call) return fault.Address - Address(buffer) > 0x10000 && fault.Address - Address(readOnly) > 0x10000;
        var kind = InstructionForms.Of(insn.OpCode).Kind;
        byte baseRegister = kind is InstructionKind.Load or InstructionKind.LoadSx ? insn.SrcNumber : insn.DstNumber;
        return baseRegister == 10;
    }

    private static ulong Address(byte[] pinned)
    {
        fixed (byte* p = pinned) return (ulong)p;
    }

    private static string Describe(RunOutcome o) => o.Fault is { } f ? $"{f.Code} at {f.Slot} (0x{f.Address:x}+{f.Size}): {f.Reason}" : $"r0 = 0x{o.Result.ReturnValue:x} after {o.Result.InstructionCount}";

    private static string Disassemble(Instruction[] program)
    {
        try
        {
            return Disassembler.Listing(program);
        }
        catch (HbpfException)
        {
            return string.Join(" ", program.Select(p => p.ToString()));
        }
    }

    private static void Tally(Dictionary<string, int> outcomes, string key) => outcomes[key] = outcomes.GetValueOrDefault(key) + 1;

    /// <summary>Compiling a 1,000-instruction program: prints the time (speed is measured in bench/, not asserted here).</summary>
    [Fact]
    public void ThousandInstructionProgramCompiles()
    {
        var gen = new RandomProgramGen(1000);
        var program = new List<Instruction>();
        while (program.Count < 1000)
        {
            var next = gen.Next();
            if (!InstructionDecoder.TryValidate(next, out _)) continue;
            // Straight-line chunks without their exit, so that the whole program is one function.
            for (int pc = 0; pc < next.Length; pc += next[pc].Width)
            {
                var insn = next[pc];
                var kind = InstructionForms.Of(insn.OpCode).Kind;
                if (kind is InstructionKind.Exit or InstructionKind.CondJump or InstructionKind.Ja or InstructionKind.Gotol or InstructionKind.CallX || Branches.NamesFunction(insn)) continue;
                program.AddRange(next.AsSpan(pc, insn.Width));
            }
        }

        program.Add(RandomProgramGen.I(Opcodes.Exit, 0, 0, 0, 0));
        var code = program.ToArray();
        Assert.True(InstructionDecoder.TryValidate(code, out var error), error.Reason);
        CilCompiler.Compile(code, RandomProgramGen.Helpers); // warm the compiler itself
        var clock = Stopwatch.StartNew();
        var compiled = CilCompiler.Compile(code, RandomProgramGen.Helpers);
        var emit = clock.Elapsed;
        byte[] buffer = GC.AllocateArray<byte>(RandomProgramGen.BufferSize, pinned: true);
        byte[] readOnly = GC.AllocateArray<byte>(RandomProgramGen.ReadOnlySize, pinned: true);
        clock.Restart();
        RunOutcome.Of(buffer, readOnly, (memory, r1, r2) => compiled.Run(memory, r1, r2)); // the first run includes RyuJIT
        var firstRun = clock.Elapsed;
        output.WriteLine($"{code.Length} slots: IL emitted in {emit.TotalMilliseconds:F2} ms ({compiled.IlBytes} bytes of IL, {compiled.Segments} segments); first run incl. RyuJIT {firstRun.TotalMilliseconds:F2} ms");
    }
}
