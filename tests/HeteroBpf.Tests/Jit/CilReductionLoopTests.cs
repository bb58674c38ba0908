using System.Globalization;
using System.Text;
using CsCheck;
using HeteroBpf.Asm;
using HeteroBpf.Elf;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;
using HeteroBpf.Jit.Cil;
using HeteroBpf.Offload;
using HeteroBpf.Verifier;
using HeteroBpf.Xdp;

namespace HeteroBpf.Tests.Jit;

/// <summary>
/// The CIL JIT's reduction-loop vectorizer: which loops <see cref="ReductionLoops"/> recognises (the RFC 1071 checksum
/// loop clang makes, and not its near misses), that compiled code gives the interpreter's registers, memory and
/// instruction count on random verified loops of that shape, and that the kernels are exact.
/// </summary>
public sealed unsafe class CilReductionLoopTests(ITestOutputHelper output)
{
    // The loop of bench/programs checksum.bpf.o (section raw), as clang-19 -O2 compiles workload_checksum.
    private const string ChecksumLoop = """
        r3 = 0x0
        r1 = 0x0
        loop:
        r4 = r3
        r5 = r2
        r5 += r4
        r5 = *(u16 *)(r5 + 0x0)
        r1 += r5
        r3 += 0x2
        if r4 < 0x5da goto loop
        r0 = r1
        exit
        """;

    private static bool[] AllProven(Instruction[] program) => Enumerable.Repeat(true, program.Length).ToArray();

    private static Dictionary<int, ReductionLoop> Find(string text)
    {
        var program = Assembler.Assemble(text, "loop.s");
        return ReductionLoops.Find(program, AllProven(program));
    }

    [Fact]
    public void TheChecksumObjectsLoopIsRecognised()
    {
        var obj = ObjectFile.Load(Path.Combine(RepoPaths.Root, "bench", "programs", "checksum.bpf.o"));
        var raw = obj.Programs.Single(p => p.SectionName == "raw").Instructions.ToArray();
        var found = ReductionLoops.Find(raw, AllProven(raw));
        var loop = Assert.Single(found).Value;
        output.WriteLine(loop.ToString());
        Assert.Equal((8, 14, 7), (loop.Header, loop.BackEdge, loop.Length));
        Assert.Equal([(3, 2UL)], loop.Inductions);
        Assert.Equal((1, ReductionOp.Add, false, 2), (loop.Accumulator, loop.Op, loop.Accumulator32, loop.ElementSize));
        Assert.Equal("r2 + r3", loop.Address.ToString());
        Assert.Equal(("r3", 2UL), (loop.TestValue.ToString(), loop.TestStep));
        Assert.Equal((LoopTest.Less, -1, 0x5daUL), (loop.Test, loop.LimitRegister, loop.Limit));

        // Unverified (no proof for the load): nothing is vectorised.
        var proven = AllProven(raw);
        proven[11] = false;
        Assert.Empty(ReductionLoops.Find(raw, proven));
        Assert.Equal(0, CilCompiler.Compile(raw, HelperRegistry.Basic).VectorisedLoops);
        Assert.Equal(1, CilCompiler.Compile(raw, HelperRegistry.Basic, new CilCompilerOptions { ProvenSafe = AllProven(raw), Counting = CilCounting.Count }).VectorisedLoops);
    }

    /// <summary>
    /// Of the benchmark workloads only the checksum has a reduction loop: the sieve, hash-mix, compute, parse and TLV
    /// loops (stores, several carried values, data-dependent exits) compile exactly as before.
    /// </summary>
    [Theory]
    [InlineData("checksum", 1)]
    [InlineData("sieve", 0)]
    [InlineData("hashmix", 0)]
    [InlineData("compute", 0)]
    [InlineData("parse", 0)]
    [InlineData("tlv", 0)]
    public void OnlyTheChecksumWorkloadHasAReductionLoop(string workload, int loops)
    {
        var obj = ObjectFile.Load(Path.Combine(RepoPaths.Root, "bench", "programs", $"{workload}.bpf.o"));
        foreach (var program in obj.Programs)
        {
            var code = program.Instructions.ToArray();
            Assert.Equal(loops, ReductionLoops.Find(code, AllProven(code)).Count);
        }
    }

    /// <summary>Loops that look like reductions and are not (or not provably so), each a small edit of the checksum loop.</summary>
    public static TheoryData<string, string, string> NearMisses() => new()
    {
        { "a store in the body", "r1 += r5", "r1 += r5\n*(u64 *)(r10 - 8) = r1" },
        { "the accumulator in the address", "r5 += r4", "r5 += r4\nr5 += r1" },
        { "the accumulator in the exit test", "if r4 < 0x5da goto loop", "if r1 < 0x5da goto loop" },
        { "the accumulator folded twice", "r1 += r5", "r1 += r5\nr1 += r1" },
        { "the accumulator multiplied", "r1 += r5", "r1 *= r5" },
        { "stride (4) is not the element size (2)", "r3 += 0x2", "r3 += 0x4" },
        { "a signed compare", "if r4 < 0x5da goto loop", "if r4 s< 0x5da goto loop" },
        { "a 32-bit compare", "if r4 < 0x5da goto loop", "if w4 < 0x5da goto loop" },
        { "a greater-than test (counting the wrong way)", "if r4 < 0x5da goto loop", "if r4 > 0x5da goto loop" },
        { "a jump into the body", "r1 = 0x0\nloop:", "r1 = 0x0\nif r2 == 0x0 goto inside\nloop:\nr4 = r3\ninside:" },
        { "the induction variable changed non-linearly", "r3 += 0x2", "r3 += 0x2\nr3 |= 0x1" },
        { "the induction variable counting down", "r3 += 0x2", "r3 += -0x2" },
        { "a test on a value the loop does not move", "if r4 < 0x5da goto loop", "if r6 < 0x5da goto loop" },
        { "a down counter tested counting up", "r3 += 0x2\nif r4 < 0x5da goto loop", "r3 += 0x2\nr0 += -0x1\nif r0 < 0x5da goto loop" },
        { "a helper call", "r1 += r5", "r1 += r5\ncall 7" },
        { "a sign-extending load", "r5 = *(u16 *)(r5 + 0x0)", "r5 = *(s16 *)(r5 + 0x0)" },
        { "a load at a fixed address", "r5 = *(u16 *)(r5 + 0x0)", "r5 = *(u16 *)(r2 + 0x0)" },
        { "two accumulators", "r1 += r5", "r1 += r5\nr6 += r5" },
        { "the base changes in the body", "r3 += 0x2", "r3 += 0x2\nr2 += 0x1" },
        { "an lddw in the body", "r5 = r2", "r5 = 0x0 ll\nr5 += r2" },
        { "a subtraction (not a reduction)", "r1 += r5", "r1 -= r5" },
        { "a jump out of the body", "r1 += r5", "r1 += r5\nif r1 == 0x7 goto out" },
    };

    [Theory]
    [MemberData(nameof(NearMisses))]
    public void NearMissesAreNotRecognised(string why, string find, string replace)
    {
        Assert.Single(Find(ChecksumLoop));
        string text = ChecksumLoop.Replace(find, replace, StringComparison.Ordinal) + "\nout:\nexit";
        Assert.NotEqual(ChecksumLoop, text);
        Assert.True(Find(text).Count == 0, $"{why}: recognised\n{text}");
    }

    /// <summary>Variations with the same meaning that are still one reduction: the analysis follows values, not spelling.</summary>
    public static TheoryData<string, string, string> Variants() => new()
    {
        { "the accumulator copied into a dead temporary", "r1 += r5", "r0 = r1\nr1 += r5" },
        { "operands the other way round", "r1 += r5", "r5 += r1\nr1 = r5" },
        { "a 32-bit accumulator", "r1 += r5", "w1 += w5" },
        { "xor", "r1 += r5", "r1 ^= r5" },
        { "the limit in a register, reversed", "if r4 < 0x5da goto loop", "if r6 > r4 goto loop" },
        { "the increment split in two", "r3 += 0x2", "r3 += 0x1\nr3 += 0x1" },
        { "a scaled index", "r5 += r4\nr5 = *(u16 *)(r5 + 0x0)\nr1 += r5\nr3 += 0x2", "r0 = r3\nr0 <<= 0x1\nr5 += r0\nr5 = *(u16 *)(r5 + 0x0)\nr1 += r5\nr3 += 0x1" },
        { "a test after the increment", "if r4 < 0x5da goto loop", "if r3 != 0x5dc goto loop" },
        { "a second induction variable", "r3 += 0x2", "r3 += 0x2\nr0 += 0x1" },
        { "a down counter (clang's shape for a length in a register)", "r3 += 0x2\nif r4 < 0x5da goto loop", "r3 += 0x2\nr0 += -0x1\nif r0 != 0x0 goto loop" },
        { "a pointer compared with an end pointer", "if r4 < 0x5da goto loop", "r0 = r2\nr0 += r3\nif r6 > r0 goto loop" },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void VariantsAreRecognised(string why, string find, string replace)
    {
        string text = ChecksumLoop.Replace(find, replace, StringComparison.Ordinal);
        var found = Find(text);
        Assert.True(found.Count == 1, $"{why}: not recognised\n{text}");
        output.WriteLine($"{why}: {found.Values.Single()}");
    }

    /// <summary>
    /// Reduction loops as clang-19 -O2 -target bpf compiles them from C (XDP programs over the packet):
    /// <c>for (int i = 0; i &lt; 512; i++) s += d[i];</c> (u64 s, u8 elements, != test);
    /// <c>for (u32 i = 0; i &lt; 256; i++) x ^= ((u32 *)d)[i];</c> (the accumulator carried through a second register);
    /// <c>for (u64 *p = (u64 *)d; p &lt; (u64 *)(d + 800); p++) s += *p;</c> (limit in a register, reversed compare);
    /// <c>for (u32 i = 20; i &lt; 1400; i += 2) s |= *(u16 *)(d + i);</c>. Each is recognised, verified, and gives the
    /// interpreter's result and count on the CIL JIT.
    /// </summary>
    public static TheoryData<string, string> ClangLoops() => new()
    {
        {
            "sum_bytes",
            """
            r0 = 0x0
            r2 = *(u32 *)(r1 + 0x4)
            r1 = *(u32 *)(r1 + 0x0)
            r3 = r1
            r3 += 0x200
            if r3 > r2 goto +0x7
            r2 = 0x0
            r3 = r1
            r3 += r2
            r3 = *(u8 *)(r3 + 0x0)
            r0 += r3
            r2 += 0x1
            if r2 != 0x200 goto -0x6
            exit
            """
        },
        {
            "xor_words",
            """
            r0 = 0x0
            r2 = *(u32 *)(r1 + 0x4)
            r1 = *(u32 *)(r1 + 0x0)
            r3 = r1
            r3 += 0x400
            if r3 > r2 goto +0x9
            r2 = 0x0
            r3 = 0x0
            r4 = r1
            r4 += r2
            r0 = *(u32 *)(r4 + 0x0)
            r0 ^= r3
            r2 += 0x4
            r3 = r0
            if r2 != 0x400 goto -0x7
            exit
            """
        },
        {
            "sum_u64",
            """
            r0 = 0x0
            r2 = *(u32 *)(r1 + 0x4)
            r1 = *(u32 *)(r1 + 0x0)
            r3 = r1
            r3 += 0x320
            if r3 > r2 goto +0xc
            r2 = 0x0
            r3 = 0x318
            r4 = 0x0
            r5 = r2
            r0 = r1
            r0 += r5
            r0 = *(u64 *)(r0 + 0x0)
            r0 += r4
            r2 += 0x8
            r4 = r0
            if r3 > r5 goto -0x8
            r0 >>= 0x7
            exit
            """
        },
        {
            "or_u16_from",
            """
            r0 = 0x0
            r2 = *(u32 *)(r1 + 0x4)
            r1 = *(u32 *)(r1 + 0x0)
            r3 = r1
            r3 += 0x578
            if r3 > r2 goto +0x9
            r2 = 0x14
            r3 = 0x576
            r4 = r2
            r5 = r1
            r5 += r4
            r5 = *(u16 *)(r5 + 0x0)
            r0 |= r5
            r2 += 0x2
            if r3 > r4 goto -0x7
            exit
            """
        },
    };

    [Theory]
    [MemberData(nameof(ClangLoops))]
    public void ClangsReductionLoopsAreVectorisedExactly(string name, string text)
    {
        var spec = new ProgramSpec { Name = name, SectionName = "xdp", Type = ProgramType.Xdp, Instructions = [.. Assembler.Assemble(text, name + ".s")], License = "GPL" };
        var obj = new ObjectFile { Name = name, Programs = [spec], Maps = [], License = "GPL" };
        using var interpreted = BpfCollection.Load(obj, typeOps: XdpOps.Instance, verifier: new VerifierOptions());
        using var compiled = BpfCollection.Load(obj, typeOps: XdpOps.Instance, engine: HostEngine.Cil, verifier: new VerifierOptions());
        Assert.Equal(1, compiled.Program(name).Compiled!.VectorisedLoops);
        using var a = new XdpRunner(interpreted, interpreted.Program(name));
        using var b = new XdpRunner(compiled, compiled.Program(name));
        var rng = new Random(name.Length);
        foreach (int length in (int[])[100, 1400, 1500])
        {
            var packet = new byte[length];
            rng.NextBytes(packet);
            a.Load(packet, 0);
            b.Load(packet, 0);
            var expected = a.Run();
            Assert.Equal(expected, b.Run());
            if (length == 1500) Assert.True(expected.Retval != 0 && expected.Instructions > 500, $"{name}: {expected}");
        }
    }

    [Fact]
    public void TheDumpNamesTheVectorisedLoop()
    {
        var program = Assembler.Assemble(ChecksumLoop, "loop.s");
        var dump = CilCompiler.Dump(program, HelperRegistry.Basic, new CilCompilerOptions { ProvenSafe = AllProven(program), Counting = CilCounting.None });
        var header = dump.Il.Single(s => s.Slot == 2);
        Assert.Contains(header.Lines, l => l.Contains("// vectorised reduction loop, slots 2..8: r1 += u16 at (r2 + r3) + 2*i; r3 += 2 while r3 < 0x5da", StringComparison.Ordinal));
        Assert.Contains(header.Lines, l => l.Contains("ReductionKernels::AddU16", StringComparison.Ordinal));
    }

    /// <summary>
    /// The checksum workload as the kernel would load it (section xdp, verified here), on every packet length around
    /// the 1,500 bytes it reads: the CIL JIT vectorises its loop and gives the interpreter's verdict, instruction count
    /// and the RFC 1071 checksum computed independently.
    /// </summary>
    [Fact]
    public void TheChecksumWorkloadMatchesTheInterpreterAndRfc1071()
    {
        var file = ObjectFile.Load(Path.Combine(RepoPaths.Root, "bench", "programs", "checksum.bpf.o"));
        var xdp = file.Programs.Single(p => p.SectionName == "xdp");
        var obj = file with { Programs = [xdp] }; // the raw entry has no program type to verify against
        using var interpreted = BpfCollection.Load(obj, typeOps: XdpOps.Instance, verifier: new VerifierOptions());
        using var compiled = BpfCollection.Load(obj, typeOps: XdpOps.Instance, engine: HostEngine.Cil, verifier: new VerifierOptions());
        Assert.Equal(1, compiled.Program(xdp.Name).Compiled!.VectorisedLoops);
        using var a = new XdpRunner(interpreted, interpreted.Program(xdp.Name));
        using var b = new XdpRunner(compiled, compiled.Program(xdp.Name));
        var rng = new Random(1071);
        foreach (int length in (int[])[1499, 1500, 1501, 2048])
        {
            var packet = new byte[length];
            rng.NextBytes(packet);
            a.Load(packet, 0);
            b.Load(packet, 0);
            var expected = a.Run();
            var actual = b.Run();
            Assert.Equal(expected, actual);
            if (length >= 1500)
            {
                ulong sum = 0;
                for (int i = 0; i < 1500; i += 2) sum += (ulong)(packet[i] | (packet[i + 1] << 8));
                while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
                Assert.Equal((uint)(ushort)~sum, actual.Retval);
                Assert.True(actual.Instructions > 5000);
            }
        }
    }

    [Fact]
    public void KernelsAreExact()
    {
        var rng = new Random(8);
        var buffer = new byte[4096 + 64];
        foreach (int size in (int[])[1, 2, 4, 8])
        {
            for (int trial = 0; trial < 400; trial++)
            {
                rng.NextBytes(buffer);
                if (trial % 7 == 0) buffer.AsSpan().Fill(0xff); // lanes at their largest
                int start = rng.Next(32);
                int count = trial < 200 ? trial : rng.Next((buffer.Length - start) / size + 1);
                ulong acc = (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 40);
                fixed (byte* p = buffer)
                {
                    byte* at = p + start;
                    ulong sum = acc, xor = acc, or = acc, and = acc;
                    for (int i = 0; i < count; i++)
                    {
                        ulong e = size switch { 1 => at[i], 2 => *(ushort*)(at + (2 * i)), 4 => *(uint*)(at + (4 * i)), _ => *(ulong*)(at + (8 * i)) };
                        sum += e;
                        xor ^= e;
                        or |= e;
                        and &= e;
                    }

                    ulong kernelSum = size switch
                    {
                        1 => ReductionKernels.AddU8(acc, at, (nuint)count),
                        2 => ReductionKernels.AddU16(acc, at, (nuint)count),
                        4 => ReductionKernels.AddU32(acc, at, (nuint)count),
                        _ => ReductionKernels.AddU64(acc, at, (nuint)count),
                    };
                    string where = $"size {size}, count {count}, start {start}";
                    Assert.True(sum == kernelSum, where + " add");
                    Assert.True(xor == ReductionKernels.Xor(acc, at, (nuint)count, size), where + " xor");
                    Assert.True(or == ReductionKernels.Or(acc, at, (nuint)count, size), where + " or");
                    Assert.True(and == ReductionKernels.And(acc, at, (nuint)count, size), where + " and");
                }
            }
        }
    }

    [Fact]
    public void WideLanesDoNotOverflowOnLongRuns()
    {
        // 1 MiB of 0xff: the 16-bit (bytes) and 32-bit (words) partial sums pass their flush points many times.
        const int bytes = 1 << 20;
        var buffer = new byte[bytes];
        buffer.AsSpan().Fill(0xff);
        fixed (byte* p = buffer)
        {
            Assert.Equal(7 + (255UL * bytes), ReductionKernels.AddU8(7, p, bytes));
            Assert.Equal(7 + (65535UL * (bytes / 2)), ReductionKernels.AddU16(7, p, bytes / 2));
            Assert.Equal(7 + (0xffff_ffffUL * (bytes / 4)), ReductionKernels.AddU32(7, p, bytes / 4));
            Assert.Equal(unchecked(7 + (ulong.MaxValue * (bytes / 8))), ReductionKernels.AddU64(7, p, bytes / 8));
        }
    }

    // ---- Exactness on random verified loops. ----

    /// <summary>One generated loop: its shape, its numbers and the packet it runs on.</summary>
    public sealed record LoopCase(
        int Size, string Op, bool Acc32, bool Reversed, bool CopyBefore, bool IncrementBefore, bool Scaled, string Test,
        ulong Start, long TestAdd, long Offset, int FirstByte, ulong Limit, bool LimitInRegister, ulong AccStart, int Trips, int Budget, int Seed,
        int Counter, ulong CounterStart)
    {
        public ulong Step => Scaled ? (ulong)Size / 2 : (ulong)Size;

        public override string ToString() =>
            $"S={Size} {Op}{(Acc32 ? "32" : "")} {(Reversed ? "reversed " : "")}{Test} start=0x{Start:x} d={TestAdd} off={Offset} first={FirstByte} K=0x{Limit:x}{(LimitInRegister ? " (reg)" : "")} trips={Trips}{(Counter > 0 ? $" counter r0=0x{CounterStart:x} -= {Counter}" : "")} copyBefore={CopyBefore} incBefore={IncrementBefore} scaled={Scaled} budget={Budget}";
    }

    private const int MaxTrips = 400;

    // Iterations the loop runs (the last one's test fails), or -1 when it would run more than MaxTrips.
    private static int Trips(ulong x0, ulong step, string test, ulong limit)
    {
        ulong x = x0;
        for (int n = 1; n <= MaxTrips; n++, x += step)
        {
            bool back = test switch { "<" => x < limit, "<=" => x <= limit, ">" => x > limit, ">=" => x >= limit, _ => x != limit };
            if (!back) return n;
        }

        return -1;
    }

    private static readonly Gen<int> TripTarget = Gen.Frequency(
        (2, Gen.Int[1, 3]),
        (3, Gen.Int[14, 19]), // around the vector threshold
        (2, Gen.Int[30, 36]), // around one 256-bit vector of bytes
        (3, Gen.Int[40, MaxTrips - 10]));

    private static readonly Gen<ulong> StartValue = Gen.Frequency(
        (4, Gen.ULong[0, 40]),
        (1, Gen.ULong[0, 40].Select(v => 0UL - v - 1))); // near 2^64: the index wraps past zero

    private static readonly Gen<long> TestAddend = Gen.Frequency(
        (4, Gen.Const(0L)),
        (2, Gen.Long[-64, 64]),
        (1, Gen.Long[int.MinValue, int.MaxValue])); // the compared copy far from the index, often past 2^64

    private static readonly Gen<LoopCase> Cases =
        from size in Gen.OneOf(Gen.Const(1), Gen.Const(2), Gen.Const(4), Gen.Const(8))
        from op in Gen.OneOf(Gen.Const("+"), Gen.Const("^"), Gen.Const("|"), Gen.Const("&"))
        from shape in Gen.Int[0, 63]
        from test in Gen.OneOf(Gen.Const("<"), Gen.Const("<="), Gen.Const("!="))
        from start in StartValue
        from testAdd in TestAddend
        from offset in Gen.Long[-16, 16]
        from firstByte in Gen.Int[0, 24]
        from trips in TripTarget
        from slack in Gen.ULong[0, 7]
        from random in Gen.Int[0, 9]
        from randomLimit in Gen.ULong
        from accStart in Gen.Frequency((3, Gen.ULong), (1, Gen.Const(0UL)), (1, Gen.Const(ulong.MaxValue)))
        from budget in Gen.Int[-4, 2]
        from seed in Gen.Int
        from counter in Gen.Frequency((3, Gen.Const(0)), (2, Gen.Int[1, 3]))
        from counterStart in Gen.Frequency((3, Gen.ULong[0, 1000]), (1, Gen.ULong))
        select Build(size, op, shape, test, start, testAdd, offset, firstByte, trips, slack, random == 0 ? randomLimit : (ulong?)null, accStart, budget, seed, counter, counterStart);

    // Picks the limit K so that the loop runs the targeted number of trips from its first compared value (or takes a
    // random K), then the trips it really runs (wrap-around included) by simulation.
    private static LoopCase Build(int size, string op, int shape, string test, ulong start, long testAdd, long offset, int firstByte, int target, ulong slack, ulong? randomLimit, ulong accStart, int budget, int seed, int counter, ulong counterStart)
    {
        bool scaled = (shape & 8) != 0 && size > 1;
        bool copyBefore = (shape & 1) != 0, incrementBefore = (shape & 2) != 0;
        ulong step = scaled ? (ulong)size / 2 : (ulong)size;
        ulong limit, x0, testStep;
        if (counter > 0)
        {
            // A down counter r0 (a second induction variable) decremented at the end of the body and tested: > >= !=.
            test = test switch { "<" => ">", "<=" => ">=", _ => "!=" };
            ulong m = (ulong)counter;
            testStep = 0 - m;
            x0 = counterStart - m;
            ulong last = x0 - ((ulong)(target - 1) * m);
            limit = randomLimit ?? test switch
            {
                ">" => last + (slack % m), // x > K until last
                ">=" => last + 1 + (slack % m),
                _ => last,
            };
        }
        else
        {
            testStep = step;
            x0 = start + (ulong)testAdd + (copyBefore ? 0 : step); // a copy at the top of the body sees the header value
            ulong last = x0 + ((ulong)(target - 1) * step); // the value the exiting trip compares
            limit = randomLimit ?? test switch
            {
                "<" => last - (slack % step), // x < K until last
                "<=" => last - 1 - (slack % step),
                _ => last,
            };
        }

        bool inRegister = limit + 0x8000_0000UL > 0xffff_ffffUL || (shape & 16) != 0; // an immediate is a sign-extended 32-bit value
        int trips = Trips(x0, testStep, test, limit);
        return new LoopCase(size, op, (shape & 4) != 0, (shape & 32) != 0, copyBefore, incrementBefore, scaled, test,
            start, testAdd, offset, firstByte, limit, inRegister, accStart, trips, budget, seed, counter, counterStart);
    }

    private static string Assembly(LoopCase c, out int packetBytes)
    {
        int k = c.Scaled ? 2 : 1;
        // Iteration 0 loads at base + k·(index at the load) + offset; base = data + B puts that at byte FirstByte.
        ulong indexAtLoad = c.Start + (c.IncrementBefore ? c.Step : 0);
        long b = c.FirstByte - c.Offset - (long)((ulong)k * indexAtLoad);
        packetBytes = Math.Max(48, c.FirstByte + (c.Trips * c.Size));
        string sizeName = c.Size switch { 1 => "u8", 2 => "u16", 4 => "u32", _ => "u64" };
        string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);
        string Signed(long v) => v < 0 ? "-0x" + ((ulong)-v).ToString("x", CultureInfo.InvariantCulture) : "0x" + v.ToString("x", CultureInfo.InvariantCulture);
        var s = new StringBuilder();
        s.AppendLine("r2 = *(u32 *)(r1 + 0x0)");
        s.AppendLine("r3 = *(u32 *)(r1 + 0x4)");
        s.AppendLine("r1 = r2");
        s.AppendLine($"r1 += {Signed(packetBytes)}");
        s.AppendLine("if r1 > r3 goto drop");
        s.AppendLine("r6 = r2");
        s.AppendLine($"r6 += {Signed(b)}");
        s.AppendLine($"r7 = {Hex(c.Start)} ll");
        s.AppendLine($"r8 = {Hex(c.AccStart)} ll");
        if (c.LimitInRegister) s.AppendLine($"r9 = {Hex(c.Limit)} ll");
        if (c.Counter > 0) s.AppendLine($"r0 = {Hex(c.CounterStart)} ll");
        s.AppendLine("loop:");
        void Copy()
        {
            s.AppendLine("r4 = r7");
            if (c.TestAdd != 0) s.AppendLine($"r4 += {Signed(c.TestAdd)}");
        }

        if (c.CopyBefore) Copy();
        if (c.IncrementBefore) s.AppendLine($"r7 += {Signed((long)c.Step)}");
        s.AppendLine("r5 = r6");
        if (c.Scaled)
        {
            s.AppendLine("r1 = r7");
            s.AppendLine("r1 <<= 0x1");
            s.AppendLine("r5 += r1");
        }
        else
        {
            s.AppendLine("r5 += r7");
        }

        s.AppendLine($"r1 = *({sizeName} *)(r5 {(c.Offset < 0 ? "-" : "+")} {Hex((ulong)Math.Abs(c.Offset))})");
        if (c.Reversed)
        {
            s.AppendLine(c.Acc32 ? $"w1 {c.Op}= w8" : $"r1 {c.Op}= r8");
            s.AppendLine("r8 = r1");
        }
        else if (c.Acc32)
        {
            s.AppendLine($"w8 {c.Op}= w1");
        }
        else
        {
            s.AppendLine($"r8 {c.Op}= r1");
        }

        if (!c.IncrementBefore) s.AppendLine($"r7 += {Signed((long)c.Step)}");
        if (!c.CopyBefore) Copy();
        string limit = c.LimitInRegister ? "r9" : Signed((long)c.Limit);
        if (c.Counter > 0) s.AppendLine($"r0 += -{c.Counter}");
        s.AppendLine($"if {(c.Counter > 0 ? "r0" : "r4")} {c.Test} {limit} goto loop");
        // Every register the loop leaves behind goes to the packet (pointers as offsets from data).
        s.AppendLine("r5 -= r2");
        s.AppendLine("*(u64 *)(r2 + 0x0) = r8");
        s.AppendLine("*(u64 *)(r2 + 0x8) = r7");
        s.AppendLine("*(u64 *)(r2 + 0x10) = r4");
        s.AppendLine("*(u64 *)(r2 + 0x18) = r1");
        s.AppendLine("*(u64 *)(r2 + 0x20) = r5");
        if (c.Counter > 0) s.AppendLine("*(u64 *)(r2 + 0x28) = r0");
        s.AppendLine("r0 = r8");
        s.AppendLine("exit");
        s.AppendLine("drop:");
        s.AppendLine("r0 = 0x1");
        s.AppendLine("exit");
        return s.ToString();
    }

    /// <summary>
    /// Random loops of the recognised shape — element sizes 1/2/4/8, + ^ | &amp; (64- and 32-bit, either operand
    /// order), copies before or after the increment, a scaled index, offsets, starts near 0 and near 2^64, compared
    /// values shifted by up to ±2^31 (often past 2^64), limits in an immediate or a register, &lt; &lt;= != tests, trip
    /// counts from 1 through the threshold and the vector widths to hundreds, random limits — verified, then run on the
    /// interpreter and on the CIL JIT (counting, and with a budget just around the count): verdict, R0, instruction count,
    /// fault and every register written to the packet must be equal.
    /// </summary>
    [Fact]
    public void RandomVerifiedLoopsGiveTheInterpretersResults()
    {
        int runs = 0, vectorised = 0, refused = 0;
        long iterationsSaved = 0;
        Cases.Where(c => c.Trips > 0).Sample(c =>
        {
            string text = Assembly(c, out int packetBytes);
            var spec = new ProgramSpec { Name = "loop", SectionName = "xdp", Type = ProgramType.Xdp, Instructions = [.. Assembler.Assemble(text, "loop.s")], License = "GPL" };
            var obj = new ObjectFile { Name = "loop", Programs = [spec], Maps = [], License = "GPL" };
            BpfCollection interpreted;
            try
            {
                interpreted = BpfCollection.Load(obj, typeOps: XdpOps.Instance, verifier: new VerifierOptions());
            }
            catch (HbpfException)
            {
                refused++;
                return;
            }

            using var owned = interpreted;
            using var compiled = BpfCollection.Load(obj, typeOps: XdpOps.Instance, engine: HostEngine.Cil, verifier: new VerifierOptions());
            Assert.True(compiled.Program("loop").Compiled!.VectorisedLoops == 1, $"not vectorised: {c}\n{text}");
            var packet = new byte[packetBytes + (c.Seed & 31)];
            new Random(c.Seed).NextBytes(packet);
            using var a = new XdpRunner(interpreted, interpreted.Program("loop"));
            using var b = new XdpRunner(compiled, compiled.Program("loop"));
            a.Load(packet, 0);
            b.Load(packet, 0);
            var expected = a.Run();
            var actual = b.Run();
            Assert.True(expected == actual, $"{c}: interpreter {expected}, CIL {actual}\n{text}");
            Assert.True(a.Packet.SequenceEqual(b.Packet), $"{c}: registers differ\ninterpreter {Convert.ToHexString(a.Packet[..40])}\nCIL         {Convert.ToHexString(b.Packet[..40])}\n{text}");
            runs++;
            if (c.Trips > CilEmitter.VectorThreshold)
            {
                vectorised++;
                iterationsSaved += c.Trips - 1;
            }

            // A budget a few instructions either side of the count: a fault at the same slot and count, or the same result.
            var options = new InterpreterOptions { InstructionBudget = c.Budget == -4 ? expected.Instructions / 2 : expected.Instructions + c.Budget };
            using var budgetA = BpfCollection.Load(obj, typeOps: XdpOps.Instance, options: options, verifier: new VerifierOptions());
            using var budgetB = BpfCollection.Load(obj, typeOps: XdpOps.Instance, options: options, engine: HostEngine.Cil, verifier: new VerifierOptions());
            Assert.Equal(1, budgetB.Program("loop").Compiled!.VectorisedLoops);
            using var ra = new XdpRunner(budgetA, budgetA.Program("loop"));
            using var rb = new XdpRunner(budgetB, budgetB.Program("loop"));
            ra.Load(packet, 0);
            rb.Load(packet, 0);
            Assert.Equal(Outcome(ra), Outcome(rb));
        }, iter: 1000, seed: "0N0XIzNsQ0O2");
        output.WriteLine($"{runs} loops run, {refused} refused by the verifier, {vectorised} with more than {CilEmitter.VectorThreshold} trips ({iterationsSaved} iterations in kernels at most)");
        Assert.True(runs > 700, $"only {runs} loops ran ({refused} refused)");
        Assert.True(vectorised > runs / 3, $"only {vectorised} of {runs} loops were long enough to vectorise");
    }

    private static string Outcome(XdpRunner runner)
    {
        try
        {
            return runner.Run().ToString();
        }
        catch (BpfFaultException e)
        {
            return $"{e.Code} at {e.Slot}: {e.Message}";
        }
    }
}
