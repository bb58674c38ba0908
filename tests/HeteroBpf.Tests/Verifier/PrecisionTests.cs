using System.Globalization;
using System.Text;
using HeteroBpf.Asm;
using HeteroBpf.Elf;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>
/// Precision tracking (the kernel's <c>mark_chain_precision</c>): loop-heavy programs verify near the kernel's count,
/// imprecise scalars let pruning happen, and pruning with precision never changes a verdict that pruning with every
/// scalar compared gives (the independent baseline: a kept state then covers a new one only by whole inclusion).
/// The catalogue's <c>safe/116</c>–<c>118</c> and <c>unsafe/273</c>–<c>277</c> hold the same cases against the kernel.
/// </summary>
public sealed class PrecisionTests(ITestOutputHelper output)
{
    // The kernel's processed instructions (Linux 6.18 on this machine, from its log; docs/BENCHMARKS.md, verifier speed).
    public static TheoryData<string, string, int> LoopHeavy() => new()
    {
        { "bench/programs/parse.bpf.o", "parse_xdp", 227_067 },
        { "bench/programs/verifier_sieve.o", "prime_sieve", 203_620 },
        { "bench/programs/verifier_sieve_mark.o", "prime_sieve", 113_587 },
    };

    [Theory]
    [MemberData(nameof(LoopHeavy))]
    public void LoopHeavyProgramsVerifyNearTheKernelsCount(string file, string name, int kernelInsns)
    {
        var obj = ObjectFile.Load(Path.Combine(RepoPaths.Root, file));
        var program = obj.Programs.Single(p => p.Name == name);
        var verified = BpfVerifier.Verify(program, obj.Maps);
        output.WriteLine($"{file} {name}: {verified.ProcessedInstructions} insns, {verified.TotalStates} states (kernel {kernelInsns})");
        Assert.True(verified.ProcessedInstructions < 1_000_000);
        // The counters decide the loops' exits, so they are precise and the loops unroll as in the kernel: far fewer
        // instructions would mean pruning merged iterations it must not.
        Assert.InRange(verified.ProcessedInstructions, kernelInsns / 4, kernelInsns * 2);
        if (Environment.GetEnvironmentVariable("HBPF_MEASURE") != "1") return;
        // Measurement only (no timed assertion): the median of five warm runs, for docs/BENCHMARKS.md.
        // Wall time and the process's CPU time (a shared machine stretches the first, not the second).
        var times = new List<double>();
        var cpu = new List<double>();
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        for (int run = 0; run < 5; run++)
        {
            self.Refresh();
            var cpuStart = self.TotalProcessorTime;
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            BpfVerifier.Verify(program, obj.Maps);
            times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            self.Refresh();
            cpu.Add((self.TotalProcessorTime - cpuStart).TotalMilliseconds);
        }

        times.Sort();
        cpu.Sort();
        Console.Error.WriteLine($"{file} {name}: {verified.ProcessedInstructions} insns, {verified.TotalStates} states, median {times[2]:0.0} ms wall, {cpu[2]:0.0} ms CPU");
    }

    private static ProgramSpec Program(string text) => new()
    {
        Name = "p",
        SectionName = "xdp",
        Type = ProgramType.Xdp,
        Instructions = [.. Assembler.Assemble(text, "precision.s")],
        License = "GPL",
    };

    private static readonly MapSpec[] ArrayMap = [new MapSpec { Name = "a", Type = MapType.Array, KeySize = 4, ValueSize = 16, MaxEntries = 1 }];

    private const string Prelude = """
        *(u32 *)(r10 - 4) = 0
        r2 = r10
        r2 += -4
        ld_pseudo r1, 1, 0
        call 1
        if r0 == 0 goto out
        r7 = r0
        call 7
        r8 = r0
        call 7
        r9 = r0

        """;

    [Fact]
    public void ImpreciseAccumulatorLetsEveryJoinPrune()
    {
        // 2^20 paths if the accumulator's value mattered; it is only stored, so each join prunes the second arrival.
        var text = new StringBuilder(Prelude).AppendLine("r6 = 0");
        for (int i = 0; i < 20; i++)
            text.AppendLine(CultureInfo.InvariantCulture, $"r1 = r8\nr1 &= {1 << i}\nif r1 == 0 goto d{i}\nr6 += {i + 1}\nd{i}:");
        text.AppendLine("*(u64 *)(r7 + 0) = r6\nout:\nr0 = 0\nexit");
        var verified = BpfVerifier.Verify(Program(text.ToString()), ArrayMap);
        Assert.InRange(verified.ProcessedInstructions, 100, 400);
    }

    [Fact]
    public void PreciseOffsetKeepsTheSecondPathApart()
    {
        // r6 is 0 on the first path and 12 on the second: the 8-byte read at r7 + r6 is out of the 16-byte value only
        // on the second, which pruning must not merge into the first.
        var text = Prelude + """
            r6 = 0
            if r8 > 100 goto big
            goto join
            big:
            r6 = 12
            join:
            r7 += r6
            r0 = *(u64 *)(r7 + 0)
            out:
            r0 = 0
            exit
            """;
        var e = Assert.Throws<VerifierException>(() => BpfVerifier.Verify(Program(text), ArrayMap));
        Assert.Contains("invalid access to map value, value_size=16 off=12 size=8", e.Reason);
    }

    [Fact]
    public void ValueDecidingABranchIsPrecise()
    {
        // r6 decides the branch (0 or 1 on the two paths), and only the path where it is 1 reads out of bounds.
        var text = Prelude + """
            r6 = 0
            if r8 > 100 goto one
            goto join
            one:
            r6 = 1
            join:
            if r6 == 0 goto out
            r0 = *(u64 *)(r7 + 16)
            out:
            r0 = 0
            exit
            """;
        var e = Assert.Throws<VerifierException>(() => BpfVerifier.Verify(Program(text), ArrayMap));
        Assert.Contains("invalid access to map value, value_size=16 off=16 size=8", e.Reason);
    }

    /// <summary>Our verdict with precision (the default) or with every scalar compared when pruning.</summary>
    private static (bool Accepted, string Reason, int Processed) Run(ProgramSpec program, bool exact)
    {
        try
        {
            var flow = ControlFlow.Analyze(program.Instructions.AsSpan());
            var options = new VerifierOptions { MaxProcessedInstructions = 400_000 };
            var walker = new Walker(program, ArrayMap, options, flow, ProgramTypes.Get(program.Type), new VerifierLog(0), exact);
            var verified = walker.Run();
            return (true, "", verified.ProcessedInstructions);
        }
        catch (VerifierException e)
        {
            return (false, e.Reason, 0);
        }
    }

    // Random forward-only programs built to stress pruning: diamonds on unknowns and on the values themselves, constants,
    // copies (linked ids), ALU, spills and fills (whole and 32-bit), a subprogram call, and uses that need a value's
    // exact range (map value offsets, decided branches guarding out-of-bounds reads) or do not (stores).
    private static string Generate(Random rng)
    {
        var sb = new StringBuilder(Prelude);
        sb.AppendLine("r1 = 0\nr2 = 0\nr3 = 0\nr4 = 0\nr5 = 0\nr6 = 0\n*(u64 *)(r10 - 16) = r6\n*(u64 *)(r10 - 24) = r6");
        int labels = 0;
        string Reg() => "r" + rng.Next(1, 7).ToString(CultureInfo.InvariantCulture);
        string Any() => rng.Next(4) == 0 ? (rng.Next(2) == 0 ? "r8" : "r9") : Reg();
        string Slot() => rng.Next(2) == 0 ? "-16" : "-24";
        string Statement() => rng.Next(16) switch
        {
            0 => $"{Reg()} = {rng.Next(0, 20)}",
            14 or 15 => $"{Reg()} = {(rng.Next(2) == 0 ? "r8" : "r9")}",
            1 => $"{Reg()} = {Any()}",
            2 => $"{Reg()} += {Any()}",
            3 => $"{Reg()} += {rng.Next(-4, 9)}",
            4 => $"{Reg()} &= {rng.Next(1, 32)}",
            5 => $"{Reg()} -= {rng.Next(0, 5)}",
            6 => $"{Reg()} <<= {rng.Next(1, 3)}",
            7 => $"*(u64 *)(r10 {Slot()}) = {Reg()}",
            8 => $"{Reg()} = *(u64 *)(r10 {Slot()})",
            9 => $"*(u32 *)(r10 {Slot()}) = {Reg()}",
            10 => $"{Reg()} = *(u32 *)(r10 {Slot()})",
            11 => $"w{rng.Next(1, 7)} += {rng.Next(0, 9)}",
            12 => $"{Reg()} = {Any()}\n{Reg()} &= 15",
            _ => $"{Reg()} |= {rng.Next(0, 4)}",
        };
        string Cond() => rng.Next(6) switch
        {
            0 => ">",
            1 => "<",
            2 => "==",
            3 => "!=",
            4 => "s>",
            _ => ">=",
        };
        int blocks = rng.Next(4, 14);
        for (int b = 0; b < blocks; b++)
        {
            switch (rng.Next(13))
            {
                case 0:
                case 1:
                case 2:
                {
                    string l = $"l{labels++}";
                    sb.AppendLine(CultureInfo.InvariantCulture, $"if {Any()} {Cond()} {rng.Next(0, 16)} goto {l}");
                    for (int k = rng.Next(1, 4); k > 0; k--) sb.AppendLine(Statement());
                    sb.AppendLine(l + ":");
                    break;
                }

                case 3:
                case 4:
                    sb.AppendLine(Statement());
                    break;
                case 5:
                    sb.AppendLine(CultureInfo.InvariantCulture, $"r0 = r7\nr0 += {Reg()}\nr0 = *(u{8 << rng.Next(4)} *)(r0 + 0)");
                    break;
                case 6:
                {
                    string l = $"l{labels++}";
                    sb.AppendLine(CultureInfo.InvariantCulture, $"if {Reg()} {Cond()} {rng.Next(0, 16)} goto {l}\nr0 = *(u64 *)(r7 + {rng.Next(8, 17)})\n{l}:");
                    break;
                }

                case 7:
                {
                    // A bound on one register, then an offset from it or (through a copy's id) from another.
                    string l = $"l{labels++}";
                    string r = Reg();
                    string c = rng.Next(2) == 0 ? r : Any();
                    sb.AppendLine(CultureInfo.InvariantCulture, $"if {c} > {rng.Next(4, 20)} goto {l}\nr0 = r7\nr0 += {r}\nr0 = *(u8 *)(r0 + 0)\n{l}:");
                    break;
                }

                case 10:
                {
                    // A copy of r8 on one arm, something else on the other, then a bound learnt on r8 only.
                    string e = $"l{labels++}", j = $"l{labels++}", l = $"l{labels++}";
                    string r = Reg();
                    sb.AppendLine(CultureInfo.InvariantCulture, $"if {Any()} {Cond()} {rng.Next(0, 16)} goto {e}\n{r} = r8\ngoto {j}\n{e}:\n{r} = {Any()}\n{j}:");
                    sb.AppendLine(CultureInfo.InvariantCulture, $"if r8 > {rng.Next(4, 20)} goto {l}\nr0 = r7\nr0 += {r}\nr0 = *(u8 *)(r0 + 0)\n{l}:");
                    break;
                }

                case 11:
                {
                    // Different constants cross a join only in a stack slot, later filled and used as an offset.
                    string e = $"l{labels++}", j = $"l{labels++}";
                    string r = Reg(), q = Reg(), slot = Slot(), size = rng.Next(2) == 0 ? "u64" : "u32";
                    sb.AppendLine(CultureInfo.InvariantCulture, $"if {Any()} {Cond()} {rng.Next(0, 16)} goto {e}\n{r} = {rng.Next(0, 20)}\n*({size} *)(r10 {slot}) = {r}\n{r} = 0\ngoto {j}");
                    sb.AppendLine(CultureInfo.InvariantCulture, $"{e}:\n{r} = {rng.Next(0, 20)}\n*({size} *)(r10 {slot}) = {r}\n{r} = 0\n{j}:");
                    if (rng.Next(3) != 0) sb.AppendLine(Statement());
                    sb.AppendLine(CultureInfo.InvariantCulture, $"{q} = *({size} *)(r10 {slot})\nr0 = r7\nr0 += {q}\nr0 = *(u8 *)(r0 + 0)");
                    break;
                }

                case 9:
                {
                    // If/else: both arms set values, then they join.
                    string e = $"l{labels++}", j = $"l{labels++}";
                    sb.AppendLine(CultureInfo.InvariantCulture, $"if {Any()} {Cond()} {rng.Next(0, 16)} goto {e}");
                    for (int k = rng.Next(1, 3); k > 0; k--) sb.AppendLine(Statement());
                    sb.AppendLine(CultureInfo.InvariantCulture, $"goto {j}\n{e}:");
                    for (int k = rng.Next(1, 3); k > 0; k--) sb.AppendLine(Statement());
                    sb.AppendLine(j + ":");
                    break;
                }

                case 8:
                    sb.AppendLine(CultureInfo.InvariantCulture, $"*(u64 *)(r7 + 0) = {Reg()}");
                    break;
                default:
                    sb.AppendLine(CultureInfo.InvariantCulture, $"r1 = {Reg()}\nr2 = {Any()}\ncall sub\nr6 = r0\nr1 = r6\nr2 = 1\nr3 = r8\nr4 = 0\nr5 = r9");
                    break;
            }
        }

        sb.AppendLine("out:\nr0 = 0\nexit\nsub:\nr0 = r1\nif r2 > 5 goto s1\nr0 += 4\ns1:\nexit");
        return sb.ToString();
    }

    [Fact]
    public void PruningWithPrecisionGivesTheVerdictsOfPruningWithEveryScalarCompared()
    {
        // A longer run: HBPF_PRECISION_FUZZ_COUNT programs from HBPF_PRECISION_FUZZ_SEED.
        int count = int.TryParse(Environment.GetEnvironmentVariable("HBPF_PRECISION_FUZZ_COUNT"), CultureInfo.InvariantCulture, out int c) && c > 0 ? c : 3000;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("HBPF_PRECISION_FUZZ_SEED"), CultureInfo.InvariantCulture, out int s) && s > 0 ? s : 5126;
        var rng = new Random(seed);
        int accepted = 0, refused = 0, skipped = 0;
        long processedPrecise = 0, processedExact = 0;
        var differ = new List<string>();
        for (int n = 0; n < count; n++)
        {
            string text = Generate(rng);
            var program = Program(text);
            var exact = Run(program, exact: true);
            if (!exact.Accepted && exact.Reason.Contains("too large", StringComparison.Ordinal))
            {
                skipped++;
                continue;
            }

            var precise = Run(program, exact: false);
            if (precise.Accepted != exact.Accepted)
                differ.Add($"program {n}: with precision {(precise.Accepted ? "accepted" : "refused: " + precise.Reason)}; every scalar compared {(exact.Accepted ? "accepted" : "refused: " + exact.Reason)}\n{text}");
            if (exact.Accepted)
            {
                accepted++;
                processedPrecise += precise.Processed;
                processedExact += exact.Processed;
            }
            else
            {
                refused++;
            }
        }

        output.WriteLine($"{accepted} accepted, {refused} refused, {skipped} over budget; processed on accepted programs: {processedPrecise} with precision, {processedExact} every scalar compared");
        Assert.True(differ.Count == 0, $"{differ.Count} verdicts differ:\n" + string.Join("\n", differ.Take(2)));
        Assert.True(accepted > count / 10 && refused > count / 10, $"the generator is lopsided: {accepted} accepted, {refused} refused");
        Assert.True(processedPrecise < processedExact, "precision pruned no more than whole-state inclusion");
    }
}
