using System.Diagnostics;
using System.Runtime.InteropServices;
using HeteroBpf.Asm;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;
using HeteroBpf.Jit.Arm64;
using HeteroBpf.Tests.Jit;

namespace HeteroBpf.Tests.Arm64;

/// <summary>
/// The interpreter and the ARM64 JIT (checked accesses) on Unicorn on the same random programs: same R0, same fault
/// (code, slot, size, and address unless it is on the stack, whose address differs per engine), same buffer after.
/// </summary>
public sealed unsafe class Arm64DifferentialTests(ITestOutputHelper output)
{
    private const int Programs = 5_000;

    /// <summary>Checked code: every outcome identical.</summary>
    [Fact]
    public void RandomProgramsAgreeWithTheInterpreter() => Compare(checkedAccesses: true);

    /// <summary>
    /// Code without checks (what a verifier's proof allows): identical wherever the interpreter's run stayed inside its
    /// memory; where it faulted on an access, the emulator faults at the same slot unless the access lay inside a mapped
    /// page (counted, then nothing more is compared).
    /// </summary>
    [Fact]
    public void UncheckedCodeAgreesWhereTheRunStaysInItsMemory() => Compare(checkedAccesses: false);

    private void Compare(bool checkedAccesses)
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        int seed = int.TryParse(Environment.GetEnvironmentVariable("HBPF_ARM64_DIFF_SEED"), out int s) ? s : 9669;
        int count = int.TryParse(Environment.GetEnvironmentVariable("HBPF_ARM64_DIFF_COUNT"), out int c) ? c : Programs;
        var gen = new RandomProgramGen(seed); // bpf_loop callers included: the JIT translates bpf_loop in line
        var rng = new Random(seed ^ 0x5eed);

        // Both regions end at a page end in native memory of their own: nothing else shares their pages.
        byte* block = (byte*)NativeMemory.AlignedAlloc(4 * 4096, 4096);
        try
        {
            var buffer = new Span<byte>(block + 4096 - RandomProgramGen.BufferSize, RandomProgramGen.BufferSize);
            var readOnly = new Span<byte>(block + 3 * 4096 - RandomProgramGen.ReadOnlySize, RandomProgramGen.ReadOnlySize);
            byte[] initialBuffer = new byte[buffer.Length], initialReadOnly = new byte[readOnly.Length], afterInterpreter = new byte[buffer.Length];
            var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
            int invalid = 0, loops = 0;
            var clock = Stopwatch.StartNew();
            for (int i = 0; i - invalid < count; i++)
            {
                var program = gen.Next();
                if (!InstructionDecoder.TryValidate(program, out _))
                {
                    invalid++;
                    continue;
                }

                rng.NextBytes(initialBuffer);
                rng.NextBytes(initialReadOnly);
                var interpreter = new BpfInterpreter(program, RandomProgramGen.Helpers);
                var code = Arm64Translator.Translate(program, new Arm64TranslatorOptions { CheckAccesses = checkedAccesses });
                using var executor = new Arm64Executor(code, RandomProgramGen.Helpers);
                if (program.Any(p => p.OpCode == Opcodes.Call && p.SrcNumber == 0 && p.Imm == (int)HelperId.Loop)) loops++;

                initialBuffer.CopyTo(buffer);
                initialReadOnly.CopyTo(readOnly);
                var expected = RunOutcome.Of(buffer, readOnly, (memory, r1, r2) => interpreter.Run(memory, r1, r2));
                buffer.CopyTo(afterInterpreter);

                initialBuffer.CopyTo(buffer);
                initialReadOnly.CopyTo(readOnly);
                var actual = RunOutcome.Of(buffer, readOnly, executor.Run);

                string Where() => $"program {i} (seed {seed}, {(checkedAccesses ? "checked" : "unchecked")}):\n{Disassemble(program)}";
                if (!checkedAccesses && expected.Fault is { Code: ErrorCode.MemoryFault } m && (actual.Fault is null || actual.Fault.Slot != m.Slot))
                {
                    Tally(outcomes, "MemoryFault not seen (inside a mapped page)");
                    continue;
                }

                if (expected.Fault?.Code != actual.Fault?.Code) Assert.Fail($"{Where()}\nfault {Describe(expected)} vs {Describe(actual)}");
                if (expected.Fault is { } e)
                {
                    var a = actual.Fault!;
                    // The emulator splits a misaligned access that straddles into an unmapped page: it names the piece that faulted.
                    bool sameSize = e.Size == a.Size || (!checkedAccesses && e.Code == ErrorCode.MemoryFault);
                    if (e.Slot != a.Slot || !sameSize) Assert.Fail($"{Where()}\nfault {Describe(expected)} vs {Describe(actual)}");
                    // The emulator names the first unmapped byte of an access that straddles into an unmapped page.
                    bool sameAddress = e.Address == a.Address || (!checkedAccesses && a.Address - e.Address < (ulong)e.Size);
                    if (!OnStack(program, e) && !sameAddress) Assert.Fail($"{Where()}\nfault address 0x{e.Address:x} vs 0x{a.Address:x}");
                    Tally(outcomes, e.Code.ToString());
                    if (!checkedAccesses && e.Address != a.Address)
                    {
                        // A store straddling into an unmapped page wrote its first bytes before the emulator faulted.
                        Tally(outcomes, "straddling fault (buffer not compared)");
                        continue;
                    }
                }
                else
                {
                    if (expected.Result.ReturnValue != actual.Result.ReturnValue) Assert.Fail($"{Where()}\nresult 0x{expected.Result.ReturnValue:x} vs 0x{actual.Result.ReturnValue:x}");
                    Tally(outcomes, "ok");
                }

                if (!afterInterpreter.AsSpan().SequenceEqual(buffer)) Assert.Fail($"{Where()}\nbuffer differs: {Convert.ToHexString(afterInterpreter)} vs {Convert.ToHexString(buffer)}");
            }

            output.WriteLine($"{count} programs ({invalid} invalid layouts skipped; {loops} call bpf_loop) in {clock.Elapsed.TotalSeconds:F1} s: " + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}")));
            Assert.True(outcomes.Count >= 5, "the generator should reach results and several kinds of fault");
            Assert.True(loops >= 50, $"only {loops} programs called bpf_loop");
        }
        finally
        {
            NativeMemory.AlignedFree(block);
        }
    }

    // The engines' stacks lie at different addresses: a fault there compares by code, slot and size.
    private static bool OnStack(Instruction[] program, BpfFaultException fault)
    {
        if (fault.Code is not (ErrorCode.MemoryFault or ErrorCode.HelperFault) || fault.Slot >= program.Length) return false;
        var insn = program[fault.Slot];
        if (insn.OpCode == Opcodes.Call) return true; // csum_diff's "to" argument is on the stack
        var kind = InstructionForms.Of(insn.OpCode).Kind;
        return (kind is InstructionKind.Load or InstructionKind.LoadSx ? insn.SrcNumber : insn.DstNumber) == 10;
    }

    private static string Describe(RunOutcome o) => o.Fault is { } f ? $"{f.Code} at {f.Slot} (0x{f.Address:x}+{f.Size}): {f.Reason}" : $"r0 = 0x{o.Result.ReturnValue:x}";

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
}
