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
        int invalid = 0;
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
            var expected = Run(buffer, readOnly, (memory, r1, r2) => interpreter.Run(memory, r1, r2));
            buffer.CopyTo(afterInterpreter, 0);

            initialBuffer.CopyTo(buffer, 0);
            initialReadOnly.CopyTo(readOnly, 0);
            var actual = Run(buffer, readOnly, (memory, r1, r2) => compiled.Run(memory, r1, r2));

            var where = new Where(i, seed, budget, program);
            if (!(expected.Fault?.Code == actual.Fault?.Code)) Assert.Fail($"{where}\nfault {Describe(expected)} vs {Describe(actual)}");
            if (expected.Fault is { } e)
            {
                var a = actual.Fault!;
                if (!(e.Slot == a.Slot && e.Size == a.Size)) Assert.Fail($"{where}\nfault {Describe(expected)} vs {Describe(actual)}");
                if (!IsStackAddress(program, e, buffer, readOnly))
                {
                    if (!(e.Address == a.Address)) Assert.Fail($"{where}\nfault address 0x{e.Address:x} vs 0x{a.Address:x}");
                }

                Tally(outcomes, e.Code.ToString());
            }
            else
            {
                if (!(expected.Result == actual.Result)) Assert.Fail($"{where}\nresult {expected.Result} vs {actual.Result}");
                Tally(outcomes, "ok");
            }

            if (!(afterInterpreter.AsSpan().SequenceEqual(buffer))) Assert.Fail($"{where}\nbuffer differs: {Convert.ToHexString(afterInterpreter)} vs {Convert.ToHexString(buffer)}");
        }

        output.WriteLine($"{count} programs ({invalid} invalid layouts skipped): " + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}")));
        Assert.True(invalid < count / 100, $"{invalid} of {count} generated programs were invalid");
        Assert.True(outcomes.Count >= 5, "the generator should reach results and several kinds of fault");
    }

    // Formats the failing program only when an assertion message needs it.
    private sealed record Where(int Index, int Seed, long Budget, Instruction[] Program)
    {
        public override string ToString() => $"program {Index} (seed {Seed}, budget {Budget}):\n{Disassemble(Program)}";
    }

    private delegate ExecutionResult Runner(MemoryMap memory, ulong r1, ulong r2);

    private readonly record struct Outcome(ExecutionResult Result, BpfFaultException? Fault);

    private static Outcome Run(byte[] buffer, byte[] readOnly, Runner run)
    {
        var memory = new MemoryMap();
        fixed (byte* b = buffer)
        fixed (byte* ro = readOnly)
        {
            memory.Add(buffer, RegionKind.Packet);
            memory.Add(readOnly, RegionKind.Context, writable: false);
            try
            {
                return new Outcome(run(memory, (ulong)b, (ulong)ro), null);
            }
            catch (BpfFaultException fault)
            {
                return new Outcome(default, fault);
            }
        }
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

    private static string Describe(Outcome o) => o.Fault is { } f ? $"{f.Code} at {f.Slot} (0x{f.Address:x}+{f.Size}): {f.Reason}" : $"r0 = 0x{o.Result.ReturnValue:x} after {o.Result.InstructionCount}";

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
        Run(buffer, readOnly, (memory, r1, r2) => compiled.Run(memory, r1, r2)); // the first run includes RyuJIT
        var firstRun = clock.Elapsed;
        output.WriteLine($"{code.Length} slots: IL emitted in {emit.TotalMilliseconds:F2} ms ({compiled.IlBytes} bytes of IL, {compiled.Segments} segments); first run incl. RyuJIT {firstRun.TotalMilliseconds:F2} ms");
    }
}
