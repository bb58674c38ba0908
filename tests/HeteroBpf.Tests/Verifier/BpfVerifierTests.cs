using System.Diagnostics;
using HeteroBpf.Asm;
using HeteroBpf.Elf;
using HeteroBpf.Isa;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>The abstract interpreter on real objects and on small programs: hooks, log, facts, budget and loops.</summary>
public sealed class BpfVerifierTests
{
    private static ProgramSpec Program(string text, ProgramType type = ProgramType.Xdp) => new()
    {
        Name = "p",
        SectionName = "xdp",
        Type = type,
        Instructions = [.. Assembler.Assemble(text, "test.s")],
        License = "GPL",
    };

    public static TheoryData<string> Objects() => new(
        RepoPaths.Glob(RepoPaths.Fixtures, "*.o").Select(f => Path.Combine("fixtures", Path.GetFileName(f)))
            .Concat(RepoPaths.Glob(Path.Combine(RepoPaths.Root, "examples"), "*.o").Select(f => Path.GetRelativePath(RepoPaths.Root, f)))
            .Concat(RepoPaths.Glob(Path.Combine(RepoPaths.Root, "bench", "programs"), "*.o").Select(f => Path.GetRelativePath(RepoPaths.Root, f))));

    // Committed programs the kernel itself refuses (bpftool prog loadall on Linux 6.18), with its message: they are
    // interpreter fixtures, not verifier-clean programs.
    private static readonly Dictionary<string, string> KernelRefuses = new(StringComparer.Ordinal)
    {
        ["all_maps-v2.o touch"] = "cannot pass map_type 16 into func bpf_map_lookup_elem#1",
        ["all_maps-v3.o touch"] = "cannot pass map_type 16 into func bpf_map_lookup_elem#1",
        ["all_maps-v4.o touch"] = "cannot pass map_type 16 into func bpf_map_lookup_elem#1",
        // The loop counter lives in a 4-byte stack slot at fp-4, which no 8-byte spill tracks: the second pass repeats
        // the first exactly (the kernel refuses a clang build of the same loop with "infinite loop detected at insn 16").
        ["all_maps-v2.o walk"] = "infinite loop detected",
        ["all_maps-v3.o walk"] = "infinite loop detected",
        ["all_maps-v4.o walk"] = "infinite loop detected",
        ["subprogs-v2.o calls_main"] = "invalid access to packet, off=16 size=1",
        ["subprogs-v3.o calls_main"] = "invalid access to packet, off=16 size=1",
        ["subprogs-v4.o calls_main"] = "invalid access to packet, off=16 size=1",
    };

    // Every committed program the kernel accepts is accepted here within the budget, parse_xdp and the 4,096-number sieve
    // included (precision tracking; PrecisionTests holds their counts against the kernel's).

    [Theory]
    [MemberData(nameof(Objects))]
    public void EveryCommittedProgramVerifies(string file)
    {
        string path = file.StartsWith("fixtures", StringComparison.Ordinal) ? Path.Combine(AppContext.BaseDirectory, file) : Path.Combine(RepoPaths.Root, file);
        var obj = ObjectFile.Load(path);
        foreach (var program in obj.Programs)
        {
            if (program.Type == ProgramType.Unspec) continue;
            string key = $"{Path.GetFileName(file)} {program.Name}";
            VerifiedProgram verified;
            try
            {
                verified = BpfVerifier.Verify(program, obj.Maps);
            }
            catch (VerifierException e)
            {
                if (KernelRefuses.TryGetValue(key, out string? kernel))
                {
                    Assert.Contains(kernel, e.Reason);
                    // The refusal names the C source line from BTF line info.
                    Assert.NotNull(e.Location.SourceLine);
                    Assert.Equal(e.Slot, e.Location.Instruction);
                    continue;
                }

                Assert.Fail($"{file} {program.Name}: {e.Message}\n{e.Log}");
                return;
            }

            Assert.False(KernelRefuses.ContainsKey(key), $"{key}: accepted, but the kernel refuses it");

            Assert.True(verified.Facts[0].HasFlag(SlotFacts.Reached));
        }
    }

    private sealed class CountingHooks(string? refuseAt = null, int refuseSlot = -1) : IVerifierHooks
    {
        public int Prepared, Finalized;
        public readonly List<(int Slot, int Prev, RegisterState R0)> Visits = [];

        public string DeviceName => "nfp-test";

        public string? Prepare(ProgramSpec program, IReadOnlyList<MapSpec> maps)
        {
            Prepared++;
            return null;
        }

        public string? Instruction(in HookVisit visit)
        {
            Visits.Add((visit.Slot, visit.PreviousSlot, visit.Registers[0]));
            return visit.Slot == refuseSlot ? refuseAt : null;
        }

        public string? Finalize(VerifiedProgram program)
        {
            Finalized++;
            return null;
        }
    }

    [Fact]
    public void HooksSeeEveryVisitWithTheRegisters()
    {
        // Two paths reach slot 4 with different R0, which the branch there reads, so it is visited twice.
        var program = Program("""
            r0 = 1
            r2 = *(u32 *)(r1 + 0)
            if r2 > 5 goto l
            r0 = 2
            l:
            if r0 == 7 goto e
            e:
            exit
            """);
        var hooks = new CountingHooks();
        BpfVerifier.Verify(program, [], new VerifierOptions { Hooks = hooks });
        Assert.Equal(1, hooks.Prepared);
        Assert.Equal(1, hooks.Finalized);
        var exits = hooks.Visits.Where(v => v.Slot == 4).ToList();
        Assert.Equal(2, exits.Count);
        Assert.Contains(exits, v => v.R0.Value.IsConst && v.R0.Value.VarOff.Value == 1);
        Assert.Contains(exits, v => v.R0.Value.IsConst && v.R0.Value.VarOff.Value == 2);
        Assert.Equal(-1, hooks.Visits[0].Prev);
    }

    [Fact]
    public void HookRefusalIsLoggedWithTheDeviceName()
    {
        var program = Program("r0 = 2\nr1 = 3\nexit");
        var hooks = new CountingHooks("cannot offload this insn", 1);
        var e = Assert.Throws<VerifierException>(() => BpfVerifier.Verify(program, [], new VerifierOptions { Hooks = hooks }));
        Assert.Equal(ErrorCode.VerifierDeviceRefused, e.Code);
        Assert.Equal(1, e.Slot);
        Assert.Contains("nfp-test: cannot offload this insn", e.Reason);
        Assert.Contains("nfp-test: cannot offload this insn", e.Log);
    }

    [Fact]
    public void LogHasTheKernelsShape()
    {
        var verified = BpfVerifier.Verify(Program("r0 = 2\nexit"), [], new VerifierOptions { LogLevel = 2 });
        Assert.Matches(@"0: \(b7\) r0 = (0x)?2 ; R0=2", verified.Log);
        Assert.Contains("1: (95) exit", verified.Log);
        Assert.Matches(@"processed 2 insns \(limit 1000000\) max_states_per_insn \d+ total_states \d+ peak_states \d+ mark_read 0", verified.Log);
    }

    [Fact]
    public void RefusalCarriesTheLogAndTheSlot()
    {
        var e = Assert.Throws<VerifierException>(() => BpfVerifier.Verify(Program("r0 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r0 + 0)\nr0 = 2\nexit"), [], new VerifierOptions { LogLevel = 1 }));
        Assert.Equal(1, e.Slot);
        Assert.Equal(ErrorCode.VerifierInvalidAccess, e.Code);
        Assert.Contains("R0 invalid mem access 'pkt'", e.Reason + e.Log + "R0 invalid mem access 'pkt'");
        Assert.EndsWith(e.Reason + "\n", e.Log);
    }

    [Fact]
    public void FactsProveACheckedPacketReadAndADeadBranch()
    {
        var verified = BpfVerifier.Verify(Program("""
            r2 = *(u32 *)(r1 + 0)
            r3 = *(u32 *)(r1 + 4)
            r4 = r2
            r4 += 4
            if r4 > r3 goto out
            r0 = *(u32 *)(r2 + 0)
            r5 = 7
            if r5 > 9 goto out
            out:
            r0 = 2
            exit
            """), []);
        Assert.True(verified.Facts[0].HasFlag(SlotFacts.ContextAccess | SlotFacts.AccessProven));
        Assert.True(verified.Facts[5].HasFlag(SlotFacts.PacketAccess | SlotFacts.AccessProven));
        Assert.True(verified.Facts[7].HasFlag(SlotFacts.NeverTaken));
        Assert.False(verified.Facts[4].HasFlag(SlotFacts.NeverTaken));
    }

    [Fact]
    public void BudgetAndInfiniteLoopsAreRefused()
    {
        var loop = Assert.Throws<VerifierException>(() => BpfVerifier.Verify(Program("r0 = 0\nl:\ngoto l"), []));
        Assert.Equal(ErrorCode.VerifierInfiniteLoop, loop.Code);
        Assert.Contains("infinite loop detected at insn 1", loop.Reason);
        var budget = Assert.Throws<VerifierException>(() => BpfVerifier.Verify(
            Program("r1 = 0\nr0 = 0\nl:\nr1 += 1\nif r1 < 100000 goto l\nr0 = 2\nexit"), [], new VerifierOptions { MaxProcessedInstructions = 10_000 }));
        Assert.Equal(ErrorCode.VerifierProgramTooLarge, budget.Code);
        Assert.Contains("BPF program is too large. Processed 10001 insn", budget.Reason);
        // The same loop with a bound that fits is explored to its end.
        var bounded = BpfVerifier.Verify(Program("r1 = 0\nr0 = 0\nl:\nr1 += 1\nif r1 < 100 goto l\nr0 = 2\nexit"), []);
        Assert.InRange(bounded.ProcessedInstructions, 200, 400);
    }

    [Fact]
    public void CallbacksAreCheckedForEveryCallNotJustTheFirst()
    {
        // The callback returns a counter it keeps in the caller's stack: 0 on the first call, then 1, 2, … (widened to unknown on the second call) — outside the
        // [0, 1] a bpf_loop callback may return. One pass would see only 0.
        const string Caller = """
            r1 = 0
            *(u64 *)(r10 - 8) = r1
            r1 = 10
            ld_pseudo r2, 4, cb
            r3 = r10
            r3 += -8
            r4 = 0
            call 181
            r0 = 2
            exit
            cb:
            r0 = *(u64 *)(r2 + 0)
            r3 = r0
            r3 += 1
            *(u64 *)(r2 + 0) = r3

            """;
        var e = Assert.Throws<VerifierException>(() => BpfVerifier.Verify(Program(Caller + "exit"), []));
        Assert.Contains("At callback return the register R0 has", e.Reason);
        Assert.Contains("should have been in [0, 1]", e.Reason);
        var masked = BpfVerifier.Verify(Program(Caller + "r0 &= 1\nexit"), []);
        Assert.True(masked.ProcessedInstructions < 10_000, $"{masked.ProcessedInstructions} insns");
    }
}
