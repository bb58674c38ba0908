using System.Globalization;
using System.Runtime.InteropServices;
using HeteroBpf.Asm;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Jit.Arm64;

namespace HeteroBpf.Tests.Arm64;

/// <summary>
/// <c>bpf_tail_call</c> on the executor against the interpreter (with a resolver over the same program array): a call
/// that happens, its own program again until the limit of 33, an empty slot, an index out of range, and a call from a
/// subprogram (refused by both).
/// </summary>
public sealed unsafe class Arm64TailCallTests
{
    // A: counts its runs at mem[4], tail-calls index mem[0]; falling through gives 0x1000 | runs.
    private const string A = """
        r6 = r1
        r7 = *(u32 *)(r6 + 0x0)
        r8 = *(u32 *)(r6 + 0x4)
        r8 += 0x1
        *(u32 *)(r6 + 0x4) = r8
        r1 = r6
        r2 = ARRAY ll
        r3 = r7
        call 12
        r0 = *(u32 *)(r6 + 0x4)
        r0 |= 0x1000
        exit
        """;

    // B: runs in A's frame with A's registers (R6 still the memory): gives 0x4200 | runs.
    private const string B = """
        r0 = *(u32 *)(r6 + 0x4)
        r0 |= 0x4200
        exit
        """;

    // C: a tail call from a subprogram.
    private const string C = """
        call sub
        exit
        sub:
        r2 = ARRAY ll
        r3 = 0x0
        call 12
        r0 = 0x0
        exit
        """;

    [Theory]
    [InlineData(0u, 0x4201UL)]   // A → B
    [InlineData(1u, 0x1022UL)]   // A → A … 33 tail calls, then the 34th falls through: 34 runs
    [InlineData(2u, 0x1001UL)]   // empty slot: falls through
    [InlineData(9u, 0x1001UL)]   // index ≥ count: falls through
    [InlineData(3u, null)]       // A → C, whose subprogram's tail call is refused
    public void TailCallsMatchTheInterpreter(uint index, ulong? expected)
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        byte* block = (byte*)NativeMemory.AlignedAlloc(3 * 4096, 4096);
        try
        {
            byte* mem = block + 4096 - 16;
            ulong* array = (ulong*)(block + 2 * 4096);
            string Fill(string text) => text.Replace("ARRAY", "0x" + ((ulong)array).ToString("x", CultureInfo.InvariantCulture), StringComparison.Ordinal);
            var programs = new[] { Assembler.Assemble(Fill(A), "A"), Assembler.Assemble(Fill(B), "B"), Assembler.Assemble(Fill(C), "C") };

            // The interpreter's program array: index → program (0: B, 1: A, 2: empty, 3: C).
            var interpreters = new BpfInterpreter?[4];
            var options = new InterpreterOptions
            {
                TailCalls = (handle, i) => handle == (ulong)array && i < interpreters.Length ? interpreters[i] : null,
            };
            interpreters[0] = new BpfInterpreter(programs[1], HelperRegistry.Basic, options);
            interpreters[1] = new BpfInterpreter(programs[0], HelperRegistry.Basic, options);
            interpreters[3] = new BpfInterpreter(programs[2], HelperRegistry.Basic, options);
            var interpreter = interpreters[1]!;

            using var executor = new Arm64Executor(Arm64Translator.Translate(programs[0]), HelperRegistry.Basic);
            ulong b = executor.AddTailCallTarget(Arm64Translator.Translate(programs[1]));
            ulong c = executor.AddTailCallTarget(Arm64Translator.Translate(programs[2]));
            array[Arm64ProgramArray.Count / 8] = 4;
            array[1] = b;
            array[2] = executor.TailCallEntry;
            array[3] = 0;
            array[4] = c;

            var memory = new MemoryMap();
            memory.Add(new MemoryRegion((ulong)mem, 16, RegionKind.Packet, true));
            memory.Add(new MemoryRegion((ulong)array, 5 * 8, RegionKind.ReadOnlyData, false));
            (ulong? R0, ErrorCode? Fault, byte[] Memory) Run(Func<ExecutionResult> run)
            {
                new Span<byte>(mem, 16).Clear();
                *(uint*)mem = index;
                try
                {
                    return (run().ReturnValue, null, new Span<byte>(mem, 16).ToArray());
                }
                catch (BpfFaultException f)
                {
                    return (null, f.Code, new Span<byte>(mem, 16).ToArray());
                }
            }

            var expectedRun = Run(() => interpreter.Run(memory, (ulong)mem));
            var actualRun = Run(() => executor.Run(memory, (ulong)mem));
            Assert.Equal(expected, expectedRun.R0);
            Assert.Equal(expectedRun.R0, actualRun.R0);
            Assert.Equal(expectedRun.Fault, actualRun.Fault);
            Assert.Equal(expectedRun.Memory, actualRun.Memory);
            if (expected is null) Assert.Equal(ErrorCode.UnsupportedInstruction, actualRun.Fault);
        }
        finally
        {
            NativeMemory.AlignedFree(block);
        }
    }
}
