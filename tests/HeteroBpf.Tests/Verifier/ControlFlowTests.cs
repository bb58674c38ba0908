using System.Buffers.Binary;
using System.Text;
using HeteroBpf.Asm;
using HeteroBpf.Elf;
using HeteroBpf.Isa;
using HeteroBpf.KernelOracle;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>The verifier's shape checks on hand-written programs, each refusal also refused by the running kernel, and on every committed object.</summary>
public sealed class ControlFlowTests
{
    private static Instruction[] Asm(string text) => Assembler.Assemble(text, "test.s");

    // The assembler refuses stray jumps, so those are written valid and then re-aimed.
    private static Instruction[] Retarget(string text, int slot, long target)
    {
        var program = Asm(text);
        program[slot] = Branches.WithTarget(program[slot], slot, target);
        return program;
    }

    // main calls f1, f1 calls f2, ... f(n-1) calls f(n): n + 1 frames.
    private static string Chain(int calls)
    {
        var text = new StringBuilder();
        for (int f = 0; f < calls; f++) text.Append(f == 0 ? "" : $"f{f}:\n").Append($"call f{f + 1}\nexit\n");
        return text.Append($"f{calls}:\nr0 = 0x0\nexit\n").ToString();
    }

    // main and each callee store at r10 - depth, then main calls f1, f1 calls f2...
    private static string StackChain(params int[] depths)
    {
        var text = new StringBuilder();
        for (int f = 0; f < depths.Length; f++)
        {
            if (f > 0) text.Append($"f{f}:\n");
            text.Append($"*(u64 *)(r10 - 0x{depths[f]:x}) = 0x0\n");
            text.Append(f + 1 < depths.Length ? $"call f{f + 1}\nexit\n" : "r0 = 0x0\nexit\n");
        }

        return text.ToString();
    }

    private static string ManySubprograms(int count)
    {
        var text = new StringBuilder();
        for (int f = 1; f < count; f++) text.Append($"call f{f}\n");
        text.Append("r0 = 0x0\nexit\n");
        for (int f = 1; f < count; f++) text.Append($"f{f}:\nr0 = 0x0\nexit\n");
        return text.ToString();
    }

    // The kernel wants BTF func_info for callbacks and for tail calls in subprograms: a minimal BTF with one FUNC "int
    // fN(void)" per subprogram start, which it also checks against its own split of the program into subprograms.
    private static int LoadWithFuncInfo(Instruction[] program, int[] starts, out string refusal)
    {
        var strings = new StringBuilder("\0int\0");
        var types = new List<uint> { 1, 1u << 24, 4, 1u << 24 | 32, 0, 13u << 24, 1 }; // [1] int (signed, 32 bits), [2] int (void)
        var funcInfo = new byte[starts.Length * KernelProgramLoad.FuncInfoRecordSize];
        for (int f = 0; f < starts.Length; f++)
        {
            types.AddRange([(uint)strings.Length, 12u << 24, 2]);
            strings.Append($"f{f}\0");
            BinaryPrimitives.WriteInt32LittleEndian(funcInfo.AsSpan(f * 8), starts[f]);
            BinaryPrimitives.WriteInt32LittleEndian(funcInfo.AsSpan(f * 8 + 4), 3 + f);
        }

        byte[] str = Encoding.ASCII.GetBytes(strings.ToString());
        var blob = new byte[24 + types.Count * 4 + str.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(blob, 0xeb9f);
        blob[2] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), 24);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(12), (uint)types.Count * 4);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(16), (uint)types.Count * 4);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(20), (uint)str.Length);
        for (int i = 0; i < types.Count; i++) BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(24 + i * 4), types[i]);
        str.CopyTo(blob, 24 + types.Count * 4);
        int btf = KernelBpf.LoadBtf(blob, out refusal);
        Assert.True(btf >= 0, $"BTF: {refusal}");
        try
        {
            return KernelBpf.Load(new KernelProgramLoad { Type = ProgramType.SocketFilter, Instructions = program, BtfFd = btf, FuncInfo = funcInfo }, out refusal, out _);
        }
        finally
        {
            KernelBpf.Close(btf);
        }
    }

    /// <summary>One refused program: the slot and message expected here, and a word of the kernel's reason.</summary>
    private sealed record Refusal(Instruction[] Program, ErrorCode Code, int Slot, string Message, string KernelSays);

    private static readonly Dictionary<string, Refusal> Refusals = new()
    {
        ["jump out of the program"] = new(
            Retarget("r0 = 0x0\nif r1 == 0x0 goto +0x0\nexit", 1, 9),
            ErrorCode.VerifierJumpOutOfRange, 1, "jump out of range from insn 1 to 9", "jump out of range from insn 1 to 9"),
        ["jump before the program"] = new(
            Retarget("r0 = 0x0\ngoto +0x0\nexit", 1, -3),
            ErrorCode.VerifierJumpOutOfRange, 1, "jump out of range from insn 1 to -3", "jump out of range from insn 1 to -3"),
        ["call out of the program"] = new(
            Retarget("call f\nexit\nf:\nr0 = 0x0\nexit", 0, 7),
            ErrorCode.VerifierJumpOutOfRange, 0, "call to invalid destination: insn 0 to 7", "call to invalid destination"),
        ["jump into another subprogram"] = new(
            Asm("call f\nif r0 == 0x0 goto other\nexit\nf:\nr0 = 0x1\nother:\nr0 = 0x2\nexit"),
            ErrorCode.VerifierJumpOutOfSubprogram, 1, "jump out of range from insn 1 to 4: out of the subprogram at insns 0..2", "jump out of range from insn 1 to 4"),
        ["call into the second slot of lddw"] = new(
            Retarget("call f\nexit\nr0 = 0x1 ll\nf:\nr0 = 0x0\nexit", 0, 3),
            ErrorCode.VerifierFallThrough, 2, "last insn is not an exit or jmp", "last insn is not an exit or jmp"),
        ["jump into lddw after an unreachable slot"] = new(
            Retarget("r0 = 0x0\nif r1 == 0x0 goto +0x0\nexit\nr0 = 0x1\nr0 = 0x1 ll\nexit", 1, 5),
            ErrorCode.VerifierUnreachable, 3, "unreachable insn 3", "unreachable insn 3"),
        ["jump into the second slot of lddw"] = new(
            Retarget("r0 = 0x0\nif r1 == 0x0 goto +0x0\nr0 = 0x1 ll\nexit", 1, 3),
            ErrorCode.VerifierJumpIntoLddw, 1, "jump into the middle of ldimm64 insn 2 (from insn 1)", "jump into the middle of ldimm64 insn 2"),
        ["unreachable after exit"] = new(
            Asm("r0 = 0x0\nexit\nr0 = 0x1\nexit"),
            ErrorCode.VerifierUnreachable, 2, "unreachable insn 2", "unreachable insn 2"),
        ["unreachable jumped over"] = new(
            Asm("r0 = 0x0\ngoto out\nr0 = 0x1\nout:\nexit"),
            ErrorCode.VerifierUnreachable, 2, "unreachable insn 2", "unreachable insn 2"),
        ["subprogram called only from dead code"] = new(
            Asm("r0 = 0x0\nexit\ncall f\nexit\nf:\nr0 = 0x1\nexit"),
            ErrorCode.VerifierUnreachable, 2, "unreachable insn 2", "unreachable insn 2"),
        ["main falls off its end"] = new(
            Asm("r0 = 0x0"),
            ErrorCode.VerifierFallThrough, 0, "last insn is not an exit or jmp", "last insn is not an exit or jmp"),
        ["main falls into a subprogram"] = new(
            Asm("call f\nr0 = 0x0\nf:\nr0 = 0x1\nexit"),
            ErrorCode.VerifierFallThrough, 1, "last insn is not an exit or jmp", "last insn is not an exit or jmp"),
        ["subprogram ends with a conditional jump"] = new(
            Asm("call f\nexit\nf:\nr0 = 0x1\nif r0 == 0x1 goto f\n"),
            ErrorCode.VerifierFallThrough, 3, "last insn is not an exit or jmp", "last insn is not an exit or jmp"),
        ["subprogram ends with lddw"] = new(
            Asm("call f\nexit\nf:\nr0 = 0x1\nexit\nr0 = 0x1 ll"),
            ErrorCode.VerifierFallThrough, 4, "last insn is not an exit or jmp", "last insn is not an exit or jmp"),
        ["nine frames"] = new(
            Asm(Chain(8)),
            ErrorCode.VerifierCallStackTooDeep, 14, "the call stack of 9 frames is too deep", "the call stack of 9 frames is too deep"),
        ["stack of three calls over 512"] = new(
            Asm(StackChain(256, 256, 128)),
            ErrorCode.VerifierStackTooLarge, 4, "combined stack size of 3 calls is 640. Too large", "combined stack size of 3 calls is 640. Too large"),
        ["stack rounded up to 16"] = new(
            Asm(StackChain(256, 248, 8)),
            ErrorCode.VerifierStackTooLarge, 4, "combined stack size of 3 calls is 528. Too large", "combined stack size of 3 calls is 528. Too large"),
        ["direct recursion"] = new(
            Asm("call f\nexit\nf:\ncall f\nexit"),
            ErrorCode.VerifierRecursiveCall, 2, "recursive call from insn 2 to 2", "too deep"),
        ["recursion through another"] = new(
            Asm("call f\nexit\nf:\ncall g\nexit\ng:\ncall f\nexit"),
            ErrorCode.VerifierRecursiveCall, 4, "recursive call from insn 4 to 2", "too deep"),
        ["257 subprograms"] = new(
            Asm(ManySubprograms(257)),
            ErrorCode.VerifierTooManySubprograms, 255, "too many subprograms: more than 256", "too many subprograms"),
    };

    public static TheoryData<string> RefusalNames() => new(Refusals.Keys);

    [Theory]
    [MemberData(nameof(RefusalNames))]
    public void RefusesWithSlotAndMessage(string name)
    {
        var expected = Refusals[name];
        var error = Assert.Throws<VerifierException>(() => ControlFlow.Analyze(expected.Program));
        Assert.Equal(expected.Code, error.Code);
        Assert.Equal(expected.Slot, error.Slot);
        Assert.Equal(expected.Slot, error.Location.Instruction);
        Assert.Equal(expected.Message, error.Reason);
    }

    [Fact]
    public void OuterLayersAddWhereAndKeepTheSlot()
    {
        var error = Assert.Throws<VerifierException>(() => ControlFlow.Analyze(Asm("r0 = 0x0\nexit\nr0 = 0x1\nexit")));
        var located = Assert.IsType<VerifierException>(error.WithLocation(new BpfLocation { File = "prog.o", Section = "xdp" }));
        Assert.Equal(2, located.Slot);
        Assert.Equal("prog.o: section xdp: insn 2: unreachable insn 2", located.Message);
        Assert.Equal("HB5104", located.CodeText);
        Assert.Same(error, located.InnerException);
    }

    [Theory]
    [MemberData(nameof(RefusalNames))]
    public void TheKernelRefusesToo(string name)
    {
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        var expected = Refusals[name];
        int fd = KernelBpf.Load(expected.Program, KernelBpf.SocketFilter, out string refusal);
        if (fd >= 0) KernelBpf.Close(fd);
        Assert.True(fd < 0, $"the kernel accepts {name}");
        Assert.Contains(expected.KernelSays, refusal, StringComparison.Ordinal);
    }

    // bpf_loop(3, add, &sum, 0).
    private const string Callback = """
            r6 = r1
            r1 = 0x0
            *(u64 *)(r10 - 0x8) = r1
            r1 = 0x3
            ld_pseudo r2, 0x4, add
            r3 = r10
            r3 += -0x8
            r4 = 0x0
            call 0xb5
            r0 = *(u64 *)(r10 - 0x8)
            exit
            add:
            r3 = *(u64 *)(r2 + 0x0)
            r3 += r1
            *(u64 *)(r2 + 0x0) = r3
            r0 = 0x0
            exit
            """;

    /// <summary>Accepted shapes, each also accepted by the kernel's whole verifier.</summary>
    private static readonly Dictionary<string, string> Accepted = new()
    {
        ["bounded loop"] = "r0 = 0x0\nloop:\nr0 += 0x1\nif r0 < 0xa goto loop\nexit",
        ["nested loops"] = "r0 = 0x0\nr1 = 0x0\nouter:\nr2 = 0x0\ninner:\nr0 += 0x1\nr2 += 0x1\nif r2 < 0x3 goto inner\nr1 += 0x1\nif r1 < 0x3 goto outer\nexit",
        ["nested subprograms"] = "call a\ncall b\nexit\na:\ncall b\nr0 += 0x1\nexit\nb:\nr0 = 0x2\nexit",
        ["callback through ld_pseudo"] = Callback,
        ["eight frames"] = Chain(7),
        ["512 bytes in two frames"] = StackChain(256, 256),
        ["gotol ends a subprogram"] = "call f\nexit\nf:\ngoto over\nback:\nexit\nover:\nr0 = 0x1\ngotol back",
    };

    public static TheoryData<string> AcceptedNames() => new(Accepted.Keys);

    [Theory]
    [MemberData(nameof(AcceptedNames))]
    public void AcceptsWhatTheKernelAccepts(string name)
    {
        var program = Asm(Accepted[name]);
        var cfg = ControlFlow.Analyze(program);
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        int fd = LoadWithFuncInfo(program, [.. cfg.Subprograms.Select(s => s.Start)], out string refusal);
        Assert.True(fd >= 0, $"the kernel refuses {name}: {refusal}");
        KernelBpf.Close(fd);
    }

    [Fact]
    public void LoopsAreBackEdgesFromTheJumpToTheHead()
    {
        var cfg = ControlFlow.Analyze(Asm(Accepted["nested loops"]));
        Assert.Equal([new BackEdge(5, 3), new BackEdge(7, 2)], cfg.BackEdges);
        var self = ControlFlow.Analyze(Asm("r0 = 0x0\nspin:\nif r0 == 0x0 goto spin\nexit"));
        Assert.Equal([new BackEdge(1, 1)], self.BackEdges);
        // Entered at its test (slot 2): the walk reaches the body (slot 1) last, and its fall-through closes the loop.
        var bottomTested = ControlFlow.Analyze(Asm("goto head\nbody:\nr0 += 0x1\nhead:\nif r0 < 0x5 goto body\nexit"));
        Assert.Equal([new BackEdge(1, 2)], bottomTested.BackEdges);
        Assert.Empty(ControlFlow.Analyze(Asm(Accepted["nested subprograms"])).BackEdges);
    }

    [Fact]
    public void BlocksSplitAtTargetsAndAfterJumps()
    {
        // 0: r0 = 0; 1: if r1 == 0 goto 4; 2-3: lddw; 4: r0 += 1; 5: if r0 < 10 goto 4; 6: exit
        var cfg = ControlFlow.Analyze(Asm("r0 = 0x0\nif r1 == 0x0 goto body\nr0 = 0x1 ll\nbody:\nr0 += 0x1\nif r0 < 0xa goto body\nexit"));
        Assert.Equal(
            [new BasicBlock(0, 1, 2, 0, [1, 2]), new BasicBlock(2, 2, 4, 0, [2]), new BasicBlock(4, 5, 6, 0, [3, 2]), new BasicBlock(6, 6, 7, 0, [])],
            cfg.Blocks,
            BlockComparer.Instance);
        Assert.Equal([true, false, true, false, true, false, true], Enumerable.Range(0, 7).Select(cfg.IsBlockStart));
        Assert.Equal(-1, cfg.BlockAt(3));
        Assert.Equal(1, cfg.BlockAt(2));
        Assert.Equal([0, 1, 2, 3], cfg.Subprograms[0].Blocks);
    }

    [Fact]
    public void CallGraphNamesCallsAndCallbacks()
    {
        var cfg = ControlFlow.Analyze(Asm(Accepted["nested subprograms"]));
        Assert.Equal([(0, 3), (3, 6), (6, 8)], cfg.Subprograms.Select(s => (s.Start, s.End)));
        Assert.Equal(
            [new CallEdge(0, 0, 1, CallEdgeKind.Call), new CallEdge(1, 0, 2, CallEdgeKind.Call), new CallEdge(3, 1, 2, CallEdgeKind.Call)],
            cfg.Calls);
        Assert.Equal(3, cfg.MaxFrames);
        Assert.Equal(2, cfg.SubprogramAt(7));

        var loop = ControlFlow.Analyze(Asm(Callback));
        Assert.Equal([new CallEdge(4, 0, 1, CallEdgeKind.FunctionAddress)], loop.Calls);
        Assert.Equal(12, loop.Subprograms[1].Start);
        Assert.Equal(0, loop.SubprogramAt(5)); // the second slot of the lddw
        Assert.Equal(2, loop.MaxFrames);
        Assert.Equal(8, loop.Subprograms[0].StackDepth);
        Assert.Equal(0, loop.Subprograms[1].StackDepth); // r2 points into the caller's frame
        Assert.Equal(16 + 0, loop.CombinedStackDepth);
    }

    [Fact]
    public void EightFramesIsTheLimit()
    {
        var cfg = ControlFlow.Analyze(Asm(Chain(7)));
        Assert.Equal(8, cfg.MaxFrames);
        Assert.Equal(8, cfg.Subprograms.Length);
    }

    [Fact]
    public void AMillionSlotsIsOneWalk()
    {
        // The kernel's largest program (BPF_COMPLEXITY_LIMIT_INSNS): every walk here is iterative, none recurses per block.
        const int Rounds = 333_333;
        var round = Asm("r0 += 0x1\nif r0 > 0x3 goto +0x1\n*(u64 *)(r10 - 0x8) = r0\nexit")[..3];
        var program = new Instruction[Rounds * 3 + 1];
        for (int r = 0; r < Rounds; r++) round.CopyTo(program, r * 3);
        program[^1] = Asm("exit")[0];
        var cfg = ControlFlow.Analyze(program);
        Assert.Equal(Rounds * 2 + 1, cfg.Blocks.Length);
        Assert.Equal(8, cfg.Subprograms[0].StackDepth);
        Assert.Empty(cfg.BackEdges);
    }

    [Theory]
    [InlineData("*(u64 *)(r10 - 0x10) = 0x0\nr0 = 0x0\nexit", 16, 16)]
    [InlineData("*(u32 *)(r10 - 0x6) = 0x0\nr0 = 0x0\nexit", 6, 16)]
    [InlineData("r0 = *(u8 *)(r10 - 0x11)\nexit", 17, 32)]
    [InlineData("r1 = r10\nr1 += -0x18\n*(u32 *)(r1 + 0x4) = 0x0\nr0 = 0x0\nexit", 24, 32)]
    [InlineData("r1 = r10\nr1 -= 0x20\nr2 = r1\nr0 = 0x0\nexit", 32, 32)]
    [InlineData("r1 = r10\nif r0 == 0x0 goto a\nr1 += -0x40\ngoto b\na:\nr1 += -0x8\nb:\n*(u64 *)(r1 - 0x8) = 0x0\nexit", 64, 64)]
    [InlineData("r1 = r10\ncall 0x5\n*(u64 *)(r1 - 0x100) = 0x0\nexit", 0, 0)]
    [InlineData("r1 = r10\nr1 = 0x0\n*(u64 *)(r1 - 0x100) = 0x0\nexit", 0, 0)]
    [InlineData("r1 = r10\nw1 += -0x8\nexit", 0, 0)]
    [InlineData("r0 = 0x0\nexit", 0, 0)]
    public void StackDepthIsTheDeepestR10RelativeByte(string text, int depth, int rounded)
    {
        var cfg = ControlFlow.Analyze(Asm(text));
        Assert.Equal(depth, cfg.Subprograms[0].StackDepth);
        Assert.Equal(rounded, cfg.CombinedStackDepth);
    }

    [Fact]
    public void StackDepthFollowsPointersAroundLoops()
    {
        // r1 is set before the loop and kept around it, so the paths into the loop head agree on it.
        var cfg = ControlFlow.Analyze(Asm("r1 = r10\nr1 += -0x10\nr2 = 0x0\nloop:\n*(u64 *)(r1 + 0x0) = 0x0\nr2 += 0x1\nif r2 < 0x4 goto loop\nr0 = 0x0\nexit"));
        Assert.Equal(16, cfg.Subprograms[0].StackDepth);
        Assert.Equal([new BackEdge(5, 3)], cfg.BackEdges);
    }

    // main stores at r10 - depth and calls f, which tail-calls through the prog array in r2.
    private static Instruction[] TailCallBelow(int depth, int mapFd)
    {
        var program = Asm($"*(u64 *)(r10 - 0x{depth:x}) = 0x0\ncall f\nr0 = 0x0\nexit\nf:\nr2 = 0x0 ll\nr3 = 0x0\ncall 0xc\nr0 = 0x0\nexit");
        program[4] = program[4].WithSrc((byte)LoadImmKind.MapByFd).WithImm(mapFd);
        return program;
    }

    [Theory]
    [InlineData(240, true)]
    [InlineData(256, false)]
    public void TailCallsNeedLessThan256BytesAbove(int depth, bool accepted)
    {
        if (accepted)
        {
            Assert.Equal(depth, ControlFlow.Analyze(TailCallBelow(depth, 0)).CombinedStackDepth);
        }
        else
        {
            var error = Assert.Throws<VerifierException>(() => ControlFlow.Analyze(TailCallBelow(depth, 0)));
            Assert.Equal(ErrorCode.VerifierTailCallStack, error.Code);
            Assert.Equal(1, error.Slot);
            Assert.Equal($"tail_calls are not allowed when call stack of previous frames is {depth} bytes. Too large", error.Reason);
        }

        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        int map = KernelBpf.CreateMap((uint)MapType.ProgArray, 4, 4, 1, 0, out var errno);
        Assert.True(map >= 0, $"prog array: {errno}");
        try
        {
            int fd = LoadWithFuncInfo(TailCallBelow(depth, map), [0, 4], out string refusal);
            if (fd >= 0) KernelBpf.Close(fd);
            Assert.True(accepted == fd >= 0, refusal);
            if (!accepted) Assert.Contains($"tail_calls are not allowed when call stack of previous frames is {depth} bytes", refusal, StringComparison.Ordinal);
        }
        finally
        {
            KernelBpf.Close(map);
        }
    }

    // Phrases of the kernel's shape checks (check_subprogs, check_cfg), which run before it walks any path.
    private static readonly string[] ShapePhrases =
    [
        "jump out of range", "unreachable insn", "last insn is not an exit or jmp", "jump into the middle of ldimm64",
        "call to invalid destination", "too many subprograms",
    ];

    // Small programs of moves, adds, jumps both ways (a few out of the program), exits, local calls and lddw, most
    // ending in an exit.
    private static Instruction[] RandomProgram(Random random)
    {
        int length = random.Next(2, 16);
        var slots = new List<Instruction>();
        short Offset() => (short)(random.Next(-1, length + 1) - slots.Count - 1);
        while (slots.Count < length)
        {
            switch (random.Next(12))
            {
                case 0 or 7 or 8:
                    slots.Add(new Instruction(Opcodes.Alu(true, AluOp.Mov, OperandSource.Imm), Register.R0, Register.R0, 0, random.Next(4)));
                    break;
                case 1:
                    slots.Add(new Instruction(Opcodes.Alu(true, AluOp.Add, OperandSource.Imm), Register.R0, Register.R0, 0, 1));
                    break;
                case 2:
                    slots.Add(new Instruction(Opcodes.Jump(true, JumpOp.Jgt, OperandSource.Imm), Register.R0, Register.R0, Offset(), 2));
                    break;
                case 3:
                    slots.Add(new Instruction(Opcodes.Ja, Register.R0, Register.R0, Offset(), 0));
                    break;
                case 4:
                    slots.Add(new Instruction(Opcodes.Call, Register.R0, (Register)CallKind.Local, 0, Offset()));
                    break;
                case 5:
                    slots.Add(new Instruction(Opcodes.Lddw, Register.R0, Register.R0, 0, 7));
                    slots.Add(default);
                    break;
                default:
                    slots.Add(new Instruction(Opcodes.Exit, Register.R0, Register.R0, 0, 0));
                    break;
            }
        }

        if (random.Next(4) != 0) slots.Add(new Instruction(Opcodes.Exit, Register.R0, Register.R0, 0, 0));
        return [.. slots];
    }

    [Fact]
    public void RandomShapesAgreeWithTheKernel()
    {
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        const int Programs = 1000;
        var random = new Random(20261204);
        var disagreements = new List<string>();
        int refusedHere = 0;
        var codes = new HashSet<ErrorCode>();
        for (int n = 0; n < Programs; n++)
        {
            var program = RandomProgram(random);
            VerifierException? ours = null;
            try
            {
                ControlFlow.Analyze(program);
            }
            catch (VerifierException e)
            {
                ours = e;
                refusedHere++;
                codes.Add(e.Code);
            }

            int fd = KernelBpf.Load(program, KernelBpf.SocketFilter, out string refusal);
            if (fd >= 0) KernelBpf.Close(fd);
            string verdict = ours is null ? "accepted" : ours.Reason;
            bool agree = (ours, fd >= 0) switch
            {
                (null, true) => true,
                (null, false) => !ShapePhrases.Any(p => refusal.Contains(p, StringComparison.Ordinal)),
                (_, true) => false,
                // The kernel's own words end where ours add a detail (": …" or " (…)").
                _ when ShapePhrases.Any(p => ours.Reason.StartsWith(p, StringComparison.Ordinal)) => refusal.Contains(ours.Reason.Split([':', '('])[0].TrimEnd(), StringComparison.Ordinal),
                // Recursion, depth and stack: the kernel finds them while walking paths, and may stop earlier on another error.
                _ => true,
            };
            if (!agree) disagreements.Add($"{string.Join(' ', program.Select(i => i.ToString()))}: here {verdict}; kernel {(fd >= 0 ? "accepted" : refusal)}");
        }

        Assert.True(disagreements.Count == 0, string.Join('\n', disagreements.Take(10)));
        // Both verdicts and every shape refusal are exercised.
        Assert.InRange(refusedHere, 100, Programs - 50);
        Assert.Superset(
            new HashSet<ErrorCode> { ErrorCode.VerifierJumpOutOfRange, ErrorCode.VerifierJumpOutOfSubprogram, ErrorCode.VerifierJumpIntoLddw, ErrorCode.VerifierUnreachable, ErrorCode.VerifierFallThrough },
            codes);
    }

    public static TheoryData<string> CommittedObjects() => new(
        RepoPaths.Glob(RepoPaths.Fixtures, "*.o").Select(f => Path.Combine("fixtures", Path.GetFileName(f)))
            .Concat(RepoPaths.Glob(Path.Combine(RepoPaths.Root, "examples"), "*.o").Select(f => Path.GetRelativePath(RepoPaths.Root, f))));

    [Theory]
    [MemberData(nameof(CommittedObjects))]
    public void EveryCommittedProgramHasAGoodShape(string file)
    {
        string path = file.StartsWith("fixtures", StringComparison.Ordinal) ? Path.Combine(AppContext.BaseDirectory, file) : Path.Combine(RepoPaths.Root, file);
        var obj = ObjectFile.Load(path);
        Assert.NotEmpty(obj.Programs);
        foreach (var program in obj.Programs)
        {
            var cfg = ControlFlow.Analyze(program.Instructions.AsSpan());
            // The linker copies in exactly the functions the program calls or takes the address of.
            Assert.Equal(program.Functions.Select(f => f.Slot).Order(), cfg.Subprograms.Select(s => s.Start));
            Assert.InRange(cfg.CombinedStackDepth, 0, ControlFlow.MaxStackBytes);
            Assert.InRange(cfg.MaxFrames, 1, ControlFlow.MaxCallFrames);
        }
    }

    [Fact]
    public void CommittedObjectsHaveLoopsCallsAndCallbacks()
    {
        var graphs = RepoPaths.Glob(RepoPaths.Fixtures, "*.o")
            .SelectMany(f => ObjectFile.Load(f).Programs)
            .Select(p => ControlFlow.Analyze(p.Instructions.AsSpan()))
            .ToList();
        Assert.Contains(graphs, g => g.BackEdges.Length > 0);
        Assert.Contains(graphs, g => g.Calls.Any(c => c.Kind == CallEdgeKind.Call));
        Assert.Contains(graphs, g => g.Calls.Any(c => c.Kind == CallEdgeKind.FunctionAddress));
        Assert.Contains(graphs, g => g.MaxFrames >= 2);
    }

    // Records holding ImmutableArray compare it by reference; blocks are compared by value here.
    private sealed class BlockComparer : IEqualityComparer<BasicBlock>
    {
        public static readonly BlockComparer Instance = new();

        public bool Equals(BasicBlock? x, BasicBlock? y) =>
            x is not null && y is not null && (x.Start, x.Last, x.End, x.Subprogram) == (y.Start, y.Last, y.End, y.Subprogram) && x.Successors.SequenceEqual(y.Successors);

        public int GetHashCode(BasicBlock obj) => obj.Start;
    }
}
