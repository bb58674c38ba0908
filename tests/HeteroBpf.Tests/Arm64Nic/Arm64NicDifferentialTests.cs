using System.Diagnostics;
using HeteroBpf.Asm;
using HeteroBpf.Devices;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;
using HeteroBpf.Tests.Jit;

namespace HeteroBpf.Tests.Arm64Nic;

/// <summary>
/// Random programs (fixed seed) run through the <c>arm64-nic</c> device's conformance path (translated to ARM64 with
/// checked accesses, run on an emulated core over a device buffer) against the reference interpreter over the very
/// same device buffer, so pointer arithmetic gives the same numbers: same R0, same fault (code, slot, size, and the
/// address unless on the stack, whose address differs per engine), same buffer after.
/// </summary>
public sealed unsafe class Arm64NicDifferentialTests(ITestOutputHelper output)
{
    private const int Programs = 5_000;

    [Fact]
    public void RandomProgramsOnTheNicAgreeWithTheInterpreter()
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        int seed = int.TryParse(Environment.GetEnvironmentVariable("HBPF_NIC_DIFF_SEED"), out int s) ? s : 9669;
        int count = int.TryParse(Environment.GetEnvironmentVariable("HBPF_NIC_DIFF_COUNT"), out int c) ? c : Programs;
        var gen = new RandomProgramGen(seed);
        var rng = new Random(seed ^ 0x5eed);
        var nic = new Arm64NicDevice("nic-diff");
        var initial = new byte[RandomProgramGen.BufferSize];
        var buffer = new byte[RandomProgramGen.BufferSize];

        // The device copies an input of this length to the same place of the same buffer every time (its buffers are
        // a LIFO and this test runs alone on its device): find that address once.
        ulong at;
        using (var probe = nic.Load(Assembler.Assemble("r0 = r1\nexit", "probe")))
        {
            at = probe.Execute(buffer).ReturnValue;
        }

        Assert.True(at is > 0 and < 1UL << 32, $"device buffer at 0x{at:x}");
        var deviceBuffer = new Span<byte>((void*)at, buffer.Length);
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

            rng.NextBytes(initial);
            // The interpreter over the device's own buffer (free between runs), R1 = its address, R2 = its length.
            initial.CopyTo(deviceBuffer);
            var memory = new MemoryMap();
            memory.Add(new MemoryRegion(at, (ulong)buffer.Length, RegionKind.Packet, true));
            var expected = Run(() => new BpfInterpreter(program, RandomProgramGen.Helpers).Run(memory, at, (ulong)buffer.Length));
            var afterInterpreter = deviceBuffer.ToArray();

            initial.CopyTo(buffer);
            var loaded = nic.Load(program, RandomProgramGen.Helpers);
            if (CallsLoop(program)) loops++;
            using var owned = loaded;
            var actual = Run(() => loaded.Execute(buffer));
            string Where() => $"program {i} (seed {seed}):\n{string.Join("\n", program.Select(p => p.ToString()))}";
            if (expected.Fault?.Code != actual.Fault?.Code) Assert.Fail($"{Where()}\nfault {Describe(expected)} vs {Describe(actual)}");
            if (expected.Fault is { } e)
            {
                var a = actual.Fault!;
                if (e.Slot != a.Slot || e.Size != a.Size) Assert.Fail($"{Where()}\nfault {Describe(expected)} vs {Describe(actual)}");
                bool onStack = e.Address - at >= (ulong)buffer.Length && a.Address - at >= (ulong)buffer.Length && e.Address >= 1UL << 32;
                if (e.Address != a.Address && !onStack && e.Code == ErrorCode.MemoryFault && !StackAccess(program, e.Slot)) Assert.Fail($"{Where()}\nfault address 0x{e.Address:x} vs 0x{a.Address:x}");
                Tally(outcomes, e.Code.ToString());
            }
            else
            {
                if (expected.Result.ReturnValue != actual.Result.ReturnValue) Assert.Fail($"{Where()}\nresult 0x{expected.Result.ReturnValue:x} vs 0x{actual.Result.ReturnValue:x}");
                Tally(outcomes, "ok");
            }

            if (!afterInterpreter.AsSpan().SequenceEqual(buffer)) Assert.Fail($"{Where()}\nbuffer differs: {Convert.ToHexString(afterInterpreter)} vs {Convert.ToHexString(buffer)}");
        }

        output.WriteLine($"{count} programs ({invalid} invalid layouts skipped; {loops} call bpf_loop) in {clock.Elapsed.TotalSeconds:F1} s: " + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}")));
        Assert.True(outcomes.Count >= 4, "the generator should reach results and several kinds of fault");
        Assert.True(loops >= 50, $"only {loops} programs called bpf_loop");
    }

    private static bool CallsLoop(Instruction[] program) => program.Any(p => p.OpCode == Opcodes.Call && p.SrcNumber == 0 && p.Imm == (int)HelperId.Loop);

    private readonly record struct Outcome(ExecutionResult Result, BpfFaultException? Fault);

    private static Outcome Run(Func<ExecutionResult> run)
    {
        try
        {
            return new Outcome(run(), null);
        }
        catch (BpfFaultException fault)
        {
            return new Outcome(default, fault);
        }
    }

    // Stack addresses differ per engine: a fault through R10 or in a helper compares by code, slot and size.
    private static bool StackAccess(Instruction[] program, int slot)
    {
        if (slot < 0 || slot >= program.Length) return false;
        var insn = program[slot];
        if (insn.OpCode == Opcodes.Call) return true;
        var kind = InstructionForms.Of(insn.OpCode).Kind;
        return (kind is InstructionKind.Load or InstructionKind.LoadSx ? insn.SrcNumber : insn.DstNumber) == 10;
    }

    private static string Describe(Outcome o) => o.Fault is { } f ? $"{f.Code} at {f.Slot} (0x{f.Address:x}+{f.Size}): {f.Reason}" : $"r0 = 0x{o.Result.ReturnValue:x}";

    private static void Tally(Dictionary<string, int> outcomes, string key) => outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
}
