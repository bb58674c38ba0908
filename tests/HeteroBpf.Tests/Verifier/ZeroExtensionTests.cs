using System.Collections.Immutable;
using System.Runtime.InteropServices;
using HeteroBpf.Asm;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;
using HeteroBpf.Jit.Arm64;
using HeteroBpf.Jit.Cil;
using HeteroBpf.Tests.Jit;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>
/// <see cref="SlotFacts.NoZeroExtension"/>: set on a reached 32-bit definition exactly when no path reads its register as
/// 64 bits before overwriting it (the kernel's <c>zext_dst</c> rule, <c>is_reg64</c>'s notion of a 64-bit read); and the
/// backends that skip zero-extensions on it (CIL, ARM64) still agree with the interpreter on random programs.
/// </summary>
public sealed unsafe class ZeroExtensionTests(ITestOutputHelper output)
{
    private static VerifiedProgram Verify(string text) => BpfVerifier.Verify(
        new ProgramSpec { Name = "p", SectionName = "xdp", Type = ProgramType.Xdp, Instructions = [.. Assembler.Assemble(text, "zext.s")], License = "GPL" },
        []);

    private static bool NoZext(VerifiedProgram v, int slot) => (v.Facts[slot] & SlotFacts.NoZeroExtension) != 0;

    /// <summary>Programs with the expected fact at slot 0 (the 32-bit definition of w2 or w0), and why.</summary>
    public static TheoryData<string, string, bool> Cases() => new()
    {
        { "read as 64 bits by a 64-bit move", "w2 = 5\nr0 = r2\nexit", false },
        { "R0 read as 64 bits at exit", "w0 = 2\nexit", false },
        { "read only by an ALU32 move", "w2 = 5\nw0 = w2\nexit", true },
        { "overwritten before any read", "w2 = 5\nr2 = 7\nr0 = r2\nexit", true },
        { "read only by a JMP32 compare", "w2 = 5\nr0 = 2\nif w2 > 3 goto +1\nr0 = 1\nexit", true },
        { "read by a 64-bit compare", "w2 = 5\nr0 = 2\nif r2 > 3 goto +1\nr0 = 1\nexit", false },
        { "stored as a word", "w2 = 5\n*(u32 *)(r10 - 4) = r2\nr0 = 2\nexit", true },
        { "stored as a double word", "w2 = 5\n*(u64 *)(r10 - 8) = r2\nr0 = 2\nexit", false },
        { "used as an address", "w2 = 5\nr2 = r10\nr2 += -8\nr0 = *(u64 *)(r2 + 0)\nexit", true },
        { "a helper argument (R1–R5 read as 64 bits)", "w1 = 5\ncall 7\nr0 = 2\nexit", false },
        { "overwritten by a call's clobber", "w0 = 5\ncall 7\nr0 = 2\nexit", true },
        { "an argument slot of a call (R1–R5 all count as read, conservatively)", "w3 = 5\ncall 7\nr0 = 2\nexit", false },
        { "read as 64 bits on one path only", "w2 = 5\nr0 = 2\nif r1 == 0 goto +2\nr0 = r2\nexit\nw0 = w2\nexit", false },
        { "read as 32 bits on both paths", "w2 = 5\nr0 = 2\nif r1 == 0 goto +2\nw0 = w2\nexit\nw0 = w2\nexit", true },
        { "sign-extended from 32 bits (reads the low half)", "w2 = 5\nr0 = (s32)r2\nexit", true },
        { "read by a 64-bit add", "w2 = 5\nr0 = 1\nr0 += r2\nexit", false },
        { "ALU32 add result read as 32", "w2 = 5\nw2 += 1\nw0 = w2\nexit", true },
        { "a 32-bit le byte swap reads only the low half", "w2 = 5\nr2 = le32 r2\nr0 = r2\nexit", true },
        { "a 64-bit byte swap reads all of it", "w2 = 5\nr2 = be64 r2\nr0 = 2\nexit", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FactFollowsTheLaterReads(string why, string text, bool expected)
    {
        var v = Verify(text);
        Assert.True(expected == NoZext(v, 0), $"{why}: slot 0 NoZeroExtension should be {expected}");
    }

    [Fact]
    public void LoadsAndUnreachedSlots()
    {
        // A narrow load is a 32-bit definition; a double-word load, a 64-bit move and an unreached slot never carry the fact.
        var v = Verify("""
            *(u64 *)(r10 - 8) = 0
            r2 = *(u32 *)(r10 - 8)
            r3 = *(u64 *)(r10 - 8)
            w0 = w2
            r4 = 1
            if r4 == 1 goto +1
            w5 = 1
            exit
            """);
        Assert.True(NoZext(v, 1));
        Assert.False(NoZext(v, 2));
        Assert.False(NoZext(v, 3)); // R0 read as 64 bits at exit
        Assert.False(NoZext(v, 4));
        Assert.False(v.Facts[6].HasFlag(SlotFacts.Reached));
        Assert.False(NoZext(v, 6));
    }

    [Fact]
    public void Def32RegisterFollowsInsnHasDef32()
    {
        Instruction One(string text) => Assembler.Assemble(text, "d.s")[0];
        Assert.Equal(3, ZeroExtension.Def32Register(One("w3 += w4")));
        Assert.Equal(-1, ZeroExtension.Def32Register(One("r3 += r4")));
        Assert.Equal(3, ZeroExtension.Def32Register(One("r3 = *(u8 *)(r1 + 0)")));
        Assert.Equal(-1, ZeroExtension.Def32Register(One("r3 = *(u64 *)(r1 + 0)")));
        Assert.Equal(-1, ZeroExtension.Def32Register(One("r3 = *(s32 *)(r1 + 0)")));
        Assert.Equal(3, ZeroExtension.Def32Register(One("r3 = be16 r3")));
        Assert.Equal(-1, ZeroExtension.Def32Register(One("r3 = be64 r3")));
        Assert.Equal(-1, ZeroExtension.Def32Register(One("*(u32 *)(r10 - 4) = r3")));
        Assert.Equal(-1, ZeroExtension.Def32Register(One("call 1")));
        Assert.True(ZeroExtension.IsZeroExtensionOnly(One("w3 = w3")));
        Assert.True(ZeroExtension.IsZeroExtensionOnly(One("r3 = le32 r3")));
        Assert.False(ZeroExtension.IsZeroExtensionOnly(One("w3 = w4")));
        Assert.False(ZeroExtension.IsZeroExtensionOnly(One("r3 = le16 r3")));
    }

    /// <summary>
    /// Random programs (the JIT differential generator) with some instructions replaced by the zext idioms (<c>w = w</c>,
    /// <c>le32</c>), facts from the static analysis: the CIL and ARM64 JITs, skipping those idioms where the fact holds,
    /// give the interpreter's result, fault and buffer.
    /// </summary>
    [Fact]
    public void BackendsSkippingZeroExtensionsAgreeWithTheInterpreter()
    {
        bool arm64 = Arm64Core.IsAvailable(out string? why);
        if (!arm64) output.WriteLine($"ARM64 part skipped: {why}");
        const int Programs = 300;
        var gen = new RandomProgramGen(5131) { Callbacks = false };
        var rng = new Random(5131);
        byte* block = (byte*)NativeMemory.AlignedAlloc(4 * 4096, 4096);
        int skipped = 0, programsWithSkips = 0, compared = 0;
        try
        {
            var buffer = new Span<byte>(block + 4096 - RandomProgramGen.BufferSize, RandomProgramGen.BufferSize);
            var readOnly = new Span<byte>(block + 3 * 4096 - RandomProgramGen.ReadOnlySize, RandomProgramGen.ReadOnlySize);
            byte[] initial = new byte[buffer.Length], initialRo = new byte[readOnly.Length], expectedBuffer = new byte[buffer.Length];
            for (int n = 0; n < Programs; n++)
            {
                var program = gen.Next();
                // Turn a few plain ALU instructions into zext idioms of their destination.
                for (int k = 0; k < 4; k++)
                {
                    int i = rng.Next(program.Length);
                    if ((i > 0 && program[i - 1].IsWide) || InstructionForms.Of(program[i].OpCode).Kind != InstructionKind.Alu || program[i].DstNumber >= 10) continue;
                    byte d = program[i].DstNumber;
                    program[i] = rng.Next(2) == 0
                        ? new Instruction((byte)((byte)OpClass.Alu | (byte)AluOp.Mov | (byte)OperandSource.Reg), d, d, 0, 0)
                        : new Instruction((byte)((byte)OpClass.Alu | (byte)AluOp.End | (byte)OperandSource.Imm), d, 0, 0, 32);
                }

                if (!InstructionDecoder.TryValidate(program, out _)) continue;
                var noZext = ZeroExtension.Analyze(program);
                var facts = noZext.Select(b => b ? SlotFacts.NoZeroExtension | SlotFacts.Reached : SlotFacts.Reached).ToImmutableArray();
                int skips = program.Where((insn, i) => noZext[i] && ZeroExtension.IsZeroExtensionOnly(insn)).Count();
                skipped += skips;
                if (skips == 0) continue;
                programsWithSkips++;
                rng.NextBytes(initial);
                rng.NextBytes(initialRo);
                var interpreter = new BpfInterpreter(program, RandomProgramGen.Helpers);
                initial.CopyTo(buffer);
                initialRo.CopyTo(readOnly);
                var expected = RunOutcome.Of(buffer, readOnly, (m, r1, r2) => interpreter.Run(m, r1, r2));
                buffer.CopyTo(expectedBuffer);

                var cil = CilCompiler.Compile(program, RandomProgramGen.Helpers, new CilCompilerOptions { Facts = facts });
                initial.CopyTo(buffer);
                initialRo.CopyTo(readOnly);
                Same("CIL", n, program, expected, RunOutcome.Of(buffer, readOnly, (m, r1, r2) => cil.Run(m, r1, r2)), expectedBuffer, buffer);
                compared++;
                if (!arm64) continue;
                var code = Arm64Translator.Translate(program, new Arm64TranslatorOptions { Facts = facts });
                using var executor = new Arm64Executor(code, RandomProgramGen.Helpers);
                initial.CopyTo(buffer);
                initialRo.CopyTo(readOnly);
                Same("ARM64", n, program, expected, RunOutcome.Of(buffer, readOnly, executor.Run), expectedBuffer, buffer);
            }
        }
        finally
        {
            NativeMemory.AlignedFree(block);
        }

        output.WriteLine($"{Programs} programs: {programsWithSkips} with a skipped zero-extension ({skipped} skipped), {compared} compared");
        Assert.True(programsWithSkips > Programs / 20, $"only {programsWithSkips} programs skipped a zero-extension");
    }

    private static void Same(string engine, int n, Instruction[] program, RunOutcome expected, RunOutcome actual, byte[] expectedBuffer, Span<byte> buffer)
    {
        string Where() => $"{engine}, program {n}:\n{Disassembler.Listing(program)}";
        Assert.True(expected.Fault?.Code == actual.Fault?.Code, $"{Where()}\nfault {expected.Fault?.Message} vs {actual.Fault?.Message}");
        // Budgets differ by engine (the ARM64 JIT counts back edges, the others instructions): a runaway loop compares by code.
        if (expected.Fault is { } e && e.Code != ErrorCode.InstructionBudgetExceeded) Assert.True(e.Slot == actual.Fault!.Slot, $"{Where()}\nfault slot {e.Slot} vs {actual.Fault.Slot}");
        else Assert.True(expected.Result.ReturnValue == actual.Result.ReturnValue, $"{Where()}\nr0 0x{expected.Result.ReturnValue:x} vs 0x{actual.Result.ReturnValue:x}");
        bool sameCount = engine == "CIL" || expected.Fault?.Code != ErrorCode.InstructionBudgetExceeded; // ran as far
        Assert.True(!sameCount || expectedBuffer.AsSpan().SequenceEqual(buffer), $"{Where()}\nbuffer differs");
    }
}
