using System.Collections.Immutable;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;

namespace HeteroBpf.Verifier;

/// <summary>A program the verifier refuses, blaming one instruction slot.</summary>
public sealed class VerifierException : HbpfException
{
    /// <summary>Creates the error at <paramref name="slot"/>.</summary>
    public VerifierException(ErrorCode code, string reason, int slot)
        : this(code, reason, slot, BpfLocation.AtInstruction(slot))
    {
    }

    private VerifierException(ErrorCode code, string reason, int slot, BpfLocation location, Exception? inner = null, string log = "")
        : base(code, reason, location, inner)
    {
        Slot = slot;
        Log = log;
    }

    /// <summary>The instruction slot the refusal blames (kernel slot numbering).</summary>
    public int Slot { get; }

    /// <summary>The verifier log up to the refusal, in the kernel's style (empty when the log level was 0 and nothing was logged).</summary>
    public string Log { get; }

    /// <summary>This error carrying <paramref name="log"/>.</summary>
    public VerifierException WithLog(string log) => new(Code, Reason, Slot, Location, InnerException, log);

    /// <inheritdoc/>
    public override HbpfException WithLocation(BpfLocation location) =>
        new VerifierException(Code, Reason, Slot, location with { Instruction = location.Instruction ?? Slot }, this, Log);
}

/// <summary>How one subprogram is entered from another.</summary>
public enum CallEdgeKind
{
    /// <summary>A bpf-to-bpf <c>call</c> (source 1).</summary>
    Call,
    /// <summary>A <c>lddw</c> of the callee's address (source 4), a callback a helper such as <c>bpf_loop</c> calls one frame deeper.</summary>
    FunctionAddress,
}

/// <summary>An edge of the call graph: the instruction at <paramref name="Slot"/> in subprogram <paramref name="Caller"/> enters <paramref name="Callee"/>.</summary>
public readonly record struct CallEdge(int Slot, int Caller, int Callee, CallEdgeKind Kind);

/// <summary>A loop: the instruction at slot <paramref name="From"/> (a jump, or one falling into a loop entered from below) goes back to the loop head at slot <paramref name="To"/>: a back edge of a depth-first walk, fall-through first, as the kernel's.</summary>
public readonly record struct BackEdge(int From, int To);

/// <summary>A straight run of instructions entered only at <paramref name="Start"/> and left only after <paramref name="Last"/>.</summary>
/// <param name="Start">First slot.</param>
/// <param name="Last">Slot of the last instruction (the first slot of a <c>lddw</c>).</param>
/// <param name="End">One past the last slot.</param>
/// <param name="Subprogram">Index of the subprogram holding it.</param>
/// <param name="Successors">Indices of the blocks control may go to next, fall-through first; calls are not successors.</param>
public sealed record BasicBlock(int Start, int Last, int End, int Subprogram, ImmutableArray<int> Successors);

/// <summary>A function of the program: slots <paramref name="Start"/> up to <paramref name="End"/> (exclusive).</summary>
/// <param name="Start">Entry slot (0 for the main program).</param>
/// <param name="End">One past its last slot.</param>
/// <param name="StackDepth">Deepest byte below R10 it reaches, unrounded (see <see cref="ControlFlow"/> for the rule).</param>
/// <param name="Blocks">Its blocks in reverse postorder, entry first: a forward analysis visits each block after its non-loop predecessors.</param>
public sealed record Subprogram(int Start, int End, int StackDepth, ImmutableArray<int> Blocks);

/// <summary>
/// The shape of a program, checked as the kernel's <c>check_subprogs</c>, <c>check_cfg</c> and
/// <c>check_max_stack_depth</c> check it before and after walking paths: subprograms, basic blocks, call graph and loops.
/// </summary>
/// <remarks>
/// Stack depth is found from the instructions alone: a register holds <c>r10 + k</c> after <c>r = r10</c> and 64-bit
/// constant adds and subtracts (followed along every path, forgotten where paths disagree, on any other write, and in
/// R0–R5 at calls), and a subprogram's depth is the deepest byte such an address reaches: <c>-(k + off)</c> for an access
/// at <c>off</c> through it, and <c>-k</c> for the register itself, since a pointer handed to a helper is used upwards
/// from there. Spilled pointers and variable offsets are not followed. Along a call chain each frame counts its depth
/// rounded up to 16 bytes, the kernel's rule for JITed programs (its interpreter's 32-byte rounding is not modelled);
/// a callback whose address a <c>lddw</c> takes counts as one frame below the subprogram that takes it, as the kernel
/// counts it (the helper calls it from there).
/// </remarks>
public sealed class ControlFlow
{
    /// <summary>Most frames a call chain may have, the entry's included (kernel MAX_CALL_FRAMES).</summary>
    public const int MaxCallFrames = Abi.MaxCallFrames;

    /// <summary>Most bytes of stack all frames of a call chain may use together (kernel MAX_BPF_STACK).</summary>
    public const int MaxStackBytes = Abi.FrameSize;

    /// <summary>Most subprograms a program may have, the main one included (kernel BPF_MAX_SUBPROGS).</summary>
    public const int MaxSubprograms = 256;

    /// <summary>Bytes of stack the frames above a subprogram that makes a tail call must stay under.</summary>
    public const int MaxStackAboveTailCall = 256;

    // Per slot: its block, or -1 for the second slot of a lddw.
    private readonly int[] _blockOf;

    // Per slot: whether a block starts there (the walker asks once per processed instruction).
    private readonly bool[] _blockStart;

    private ControlFlow(int[] blockOf, ImmutableArray<BasicBlock> blocks, ImmutableArray<Subprogram> subprograms,
        ImmutableArray<CallEdge> calls, ImmutableArray<BackEdge> backEdges, int maxFrames, int combinedStackDepth)
    {
        _blockOf = blockOf;
        _blockStart = new bool[blockOf.Length];
        foreach (var block in blocks) _blockStart[block.Start] = true;
        Blocks = blocks;
        Subprograms = subprograms;
        Calls = calls;
        BackEdges = backEdges;
        MaxFrames = maxFrames;
        CombinedStackDepth = combinedStackDepth;
    }

    /// <summary>Basic blocks in slot order; every one is reachable from slot 0 (else <see cref="Analyze"/> refuses).</summary>
    public ImmutableArray<BasicBlock> Blocks { get; }

    /// <summary>Subprograms in slot order; index 0 is the main program.</summary>
    public ImmutableArray<Subprogram> Subprograms { get; }

    /// <summary>The call graph: every local call and function address, in slot order (acyclic: recursion is refused).</summary>
    public ImmutableArray<CallEdge> Calls { get; }

    /// <summary>Every loop's back edge, in slot order of the instruction it leaves.</summary>
    public ImmutableArray<BackEdge> BackEdges { get; }

    /// <summary>Frames of the longest call chain, the main program's included.</summary>
    public int MaxFrames { get; }

    /// <summary>Bytes of stack the deepest call chain uses, each frame rounded up to 16.</summary>
    public int CombinedStackDepth { get; }

    /// <summary>True when a block starts at <paramref name="slot"/>.</summary>
    public bool IsBlockStart(int slot) => (uint)slot < (uint)_blockStart.Length && _blockStart[slot];

    /// <summary>Index of the block holding <paramref name="slot"/> (-1 for the second slot of a <c>lddw</c>).</summary>
    public int BlockAt(int slot) => _blockOf[slot];

    /// <summary>Index of the subprogram holding <paramref name="slot"/>.</summary>
    public int SubprogramAt(int slot)
    {
        int block = _blockOf[slot] >= 0 ? _blockOf[slot] : _blockOf[slot - 1];
        return Blocks[block].Subprogram;
    }

    /// <summary>A frame's stack depth as a call chain counts it: rounded up to 16 bytes.</summary>
    public static int RoundStackDepth(int depth) => (depth + 15) & ~15;

    /// <summary>Splits <paramref name="program"/> (valid encodings; its targets are checked again here) into subprograms and blocks and checks its shape.</summary>
    /// <exception cref="VerifierException">A jump leaves the program or its subprogram or lands in a <c>lddw</c>, a subprogram falls through its end, an instruction is unreachable, or the call graph recurses, nests too deep, needs too much stack or tail-calls below too much.</exception>
    public static ControlFlow Analyze(ReadOnlySpan<Instruction> program)
    {
        if (program.IsEmpty) throw new ArgumentException("program has no instructions", nameof(program));
        var secondHalf = MarkSecondHalves(program);
        var entries = FindSubprograms(program);
        var subOf = CheckSubprograms(program, entries);
        CheckReachable(program, secondHalf);
        var (blocks, blockOf) = SplitBlocks(program, entries, subOf);
        var calls = CallEdges(program, secondHalf, entries, subOf);
        var (orders, backEdges) = WalkBlocks(blocks, entries, blockOf);
        var depths = new int[entries.Length];
        for (int s = 0; s < entries.Length; s++) depths[s] = StackDepth(program, blocks, orders[s]);
        var (frames, stack) = CheckCallGraph(entries, calls, depths, TailCallers(program, entries));

        var subprograms = ImmutableArray.CreateBuilder<Subprogram>(entries.Length);
        for (int s = 0; s < entries.Length; s++)
        {
            int end = s + 1 < entries.Length ? entries[s + 1] : program.Length;
            subprograms.Add(new Subprogram(entries[s], end, depths[s], orders[s]));
        }

        return new ControlFlow(blockOf, blocks, subprograms.MoveToImmutable(), calls, backEdges, frames, stack);
    }

    private static bool[] MarkSecondHalves(ReadOnlySpan<Instruction> program)
    {
        var second = new bool[program.Length];
        for (int i = 0; i < program.Length; i++)
        {
            if (program[i].IsWide && i + 1 < program.Length) second[++i] = true;
        }

        return second;
    }

    // Slot 0 and every call or function-address target start a subprogram, as the kernel's add_subprog. A target in
    // the second slot of a lddw is refused as the kernel refuses it: the subprogram before then ends in that lddw.
    private static int[] FindSubprograms(ReadOnlySpan<Instruction> program)
    {
        var isEntry = new bool[program.Length];
        isEntry[0] = true;
        int count = 1;
        for (int i = 0; i < program.Length; i += program[i].Width)
        {
            if (!Branches.NamesFunction(program[i]) || !Branches.TryGetTarget(program[i], i, out long target)) continue;
            if (target < 0 || target >= program.Length)
                throw new VerifierException(ErrorCode.VerifierJumpOutOfRange, $"call to invalid destination: insn {i} to {target}", i);
            if (isEntry[target]) continue;
            if (++count > MaxSubprograms)
                throw new VerifierException(ErrorCode.VerifierTooManySubprograms, $"too many subprograms: more than {MaxSubprograms}", i);
            isEntry[target] = true;
        }

        var entries = new int[count];
        for (int i = 0, n = 0; i < program.Length; i++)
        {
            if (isEntry[i]) entries[n++] = i;
        }

        return entries;
    }

    // check_subprogs: every jump stays in its own subprogram, and each subprogram's last instruction is an exit or an
    // unconditional jump, so no path falls into the next function. Gives each slot's subprogram.
    private static int[] CheckSubprograms(ReadOnlySpan<Instruction> program, int[] entries)
    {
        var subOf = new int[program.Length];
        for (int s = 0; s < entries.Length; s++)
        {
            int start = entries[s], end = s + 1 < entries.Length ? entries[s + 1] : program.Length;
            Array.Fill(subOf, s, start, end - start);
            int last = start;
            for (int i = start; i < end; i += program[i].Width)
            {
                last = i;
                if (Branches.NamesFunction(program[i]) || !Branches.TryGetTarget(program[i], i, out long target)) continue;
                if (target < 0 || target >= program.Length)
                    throw new VerifierException(ErrorCode.VerifierJumpOutOfRange, $"jump out of range from insn {i} to {target}", i);
                if (target < start || target >= end)
                    throw new VerifierException(ErrorCode.VerifierJumpOutOfSubprogram, $"jump out of range from insn {i} to {target}: out of the subprogram at insns {start}..{end - 1}", i);
            }

            var kind = InstructionForms.Of(program[last].OpCode).Kind;
            if (last + program[last].Width > end || kind is not (InstructionKind.Exit or InstructionKind.Ja or InstructionKind.Gotol))
                throw new VerifierException(ErrorCode.VerifierFallThrough, "last insn is not an exit or jmp", last);
        }

        return subOf;
    }

    // check_cfg: a walk over slots from slot 0, following jumps, fall-through, and calls and function addresses into
    // their callees. Then, in slot order as the kernel reports them, the first slot never reached is refused, and so is
    // a lddw whose second slot was reached (the walk treats that slot as an instruction of its own, as the kernel).
    private static void CheckReachable(ReadOnlySpan<Instruction> program, bool[] secondHalf)
    {
        var reached = new bool[program.Length];
        var from = new int[program.Length];
        var pending = new Stack<int>();
        reached[0] = true;
        pending.Push(0);
        while (pending.Count > 0)
        {
            int i = pending.Pop();
            var insn = program[i];
            var kind = InstructionForms.Of(insn.OpCode).Kind;
            int next = i + (secondHalf[i] ? 1 : insn.Width);
            bool falls = kind is not (InstructionKind.Exit or InstructionKind.Ja or InstructionKind.Gotol);
            if (falls && next < program.Length) Visit(next, i);
            if (!secondHalf[i] && Branches.TryGetTarget(insn, i, out long target)) Visit((int)target, i);
        }

        for (int i = 0; i < program.Length; i++)
        {
            if (!reached[i])
                throw new VerifierException(ErrorCode.VerifierUnreachable, $"unreachable insn {i}", i);
            if (!program[i].IsWide) continue;
            if (i + 1 < program.Length && reached[i + 1])
                throw new VerifierException(ErrorCode.VerifierJumpIntoLddw, $"jump into the middle of ldimm64 insn {i} (from insn {from[i + 1]})", from[i + 1]);
            i++;
        }

        void Visit(int slot, int source)
        {
            if (reached[slot]) return;
            reached[slot] = true;
            from[slot] = source;
            pending.Push(slot);
        }
    }

    // A block starts at each subprogram entry and jump target and after each jump or exit. Calls do not end blocks:
    // control comes back to the next instruction, and the call graph holds the callee.
    private static (ImmutableArray<BasicBlock> Blocks, int[] BlockOf) SplitBlocks(ReadOnlySpan<Instruction> program, int[] entries, int[] subOf)
    {
        var leader = new bool[program.Length];
        foreach (int e in entries) leader[e] = true;
        for (int i = 0; i < program.Length; i += program[i].Width)
        {
            var kind = InstructionForms.Of(program[i].OpCode).Kind;
            if (kind is not (InstructionKind.CondJump or InstructionKind.Ja or InstructionKind.Gotol or InstructionKind.Exit)) continue;
            if (i + 1 < program.Length) leader[i + 1] = true;
            if (kind != InstructionKind.Exit && Branches.TryGetTarget(program[i], i, out long target)) leader[target] = true;
        }

        var blockOf = new int[program.Length];
        var spans = new List<(int Start, int Last, int End)>();
        for (int i = 0; i < program.Length;)
        {
            int start = i, last;
            do
            {
                blockOf[i] = spans.Count;
                last = i;
                if (program[i].IsWide) blockOf[i + 1] = -1;
                i += program[i].Width;
            }
            while (i < program.Length && !leader[i]);
            spans.Add((start, last, i));
        }

        var blocks = ImmutableArray.CreateBuilder<BasicBlock>(spans.Count);
        for (int b = 0; b < spans.Count; b++)
        {
            var (start, last, end) = spans[b];
            var kind = InstructionForms.Of(program[last].OpCode).Kind;
            ImmutableArray<int> successors;
            if (kind == InstructionKind.Exit)
            {
                successors = [];
            }
            else if (kind is InstructionKind.Ja or InstructionKind.Gotol)
            {
                Branches.TryGetTarget(program[last], last, out long target);
                successors = [blockOf[target]];
            }
            else if (kind == InstructionKind.CondJump)
            {
                Branches.TryGetTarget(program[last], last, out long target);
                successors = blockOf[target] == b + 1 ? [b + 1] : [b + 1, blockOf[target]];
            }
            else
            {
                successors = [b + 1];
            }

            blocks.Add(new BasicBlock(start, last, end, subOf[start], successors));
        }

        return (blocks.MoveToImmutable(), blockOf);
    }

    private static ImmutableArray<CallEdge> CallEdges(ReadOnlySpan<Instruction> program, bool[] secondHalf, int[] entries, int[] subOf)
    {
        var calls = ImmutableArray.CreateBuilder<CallEdge>();
        for (int i = 0; i < program.Length; i++)
        {
            if (secondHalf[i] || !Branches.NamesFunction(program[i])) continue;
            Branches.TryGetTarget(program[i], i, out long target);
            var kind = program[i].IsWide ? CallEdgeKind.FunctionAddress : CallEdgeKind.Call;
            calls.Add(new CallEdge(i, subOf[i], Array.BinarySearch(entries, (int)target), kind));
        }

        return calls.ToImmutable();
    }

    // A depth-first walk of each subprogram's blocks from its entry, fall-through first as the kernel's check_cfg walks,
    // so its back edges are the kernel's; also gives each subprogram's reverse postorder.
    private static (ImmutableArray<int>[] Orders, ImmutableArray<BackEdge> BackEdges) WalkBlocks(
        ImmutableArray<BasicBlock> blocks, int[] entries, int[] blockOf)
    {
        var color = new byte[blocks.Length]; // 0 unseen, 1 on the walk's path, 2 done
        var backEdges = new List<BackEdge>();
        var orders = new ImmutableArray<int>[entries.Length];
        var path = new Stack<(int Block, int Next)>();
        for (int s = 0; s < entries.Length; s++)
        {
            var postorder = new List<int>();
            int entry = blockOf[entries[s]];
            color[entry] = 1;
            path.Push((entry, 0));
            while (path.Count > 0)
            {
                var (b, next) = path.Pop();
                var successors = blocks[b].Successors;
                if (next == successors.Length)
                {
                    color[b] = 2;
                    postorder.Add(b);
                    continue;
                }

                path.Push((b, next + 1));
                int to = successors[next];
                if (color[to] == 1) backEdges.Add(new BackEdge(blocks[b].Last, blocks[to].Start));
                if (color[to] != 0) continue;
                color[to] = 1;
                path.Push((to, 0));
            }

            postorder.Reverse();
            orders[s] = [.. postorder];
        }

        backEdges.Sort((x, y) => x.From != y.From ? x.From.CompareTo(y.From) : x.To.CompareTo(y.To));
        return (orders, [.. backEdges]);
    }

    // Subprograms that call bpf_tail_call: a tail call replaces only the current frame, so the frames above it stay.
    private static bool[] TailCallers(ReadOnlySpan<Instruction> program, int[] entries)
    {
        var tail = new bool[entries.Length];
        for (int s = 0; s < entries.Length; s++)
        {
            int end = s + 1 < entries.Length ? entries[s + 1] : program.Length;
            for (int i = entries[s]; i < end && !tail[s]; i += program[i].Width)
            {
                tail[s] = program[i].OpCode == Opcodes.Call && program[i].SrcNumber == (byte)CallKind.Helper && program[i].Imm == (int)HelperId.TailCall;
            }
        }

        return tail;
    }

    // The call graph must be acyclic, no chain deeper than MaxCallFrames, no chain's stack over MaxStackBytes, and a
    // subprogram that tail-calls must have less than MaxStackAboveTailCall above it: the kernel's bound on what 33 tail
    // calls can stack up. Each subprogram's deepest chain below it is found once (postorder over an acyclic graph); a
    // refusal then follows the offending chain from the main program to name the call that crosses the limit.
    private static (int Frames, int Stack) CheckCallGraph(int[] entries, ImmutableArray<CallEdge> calls, int[] depths, bool[] tailCallers)
    {
        int n = entries.Length;
        var frames = new int[n];
        var stack = new int[n];
        var color = new byte[n];
        var postorder = new List<int>(n);
        var path = new Stack<(int Sub, int Next)>();
        color[0] = 1;
        path.Push((0, 0));
        while (path.Count > 0)
        {
            var (sub, next) = path.Pop();
            int i = next;
            while (i < calls.Length && calls[i].Caller != sub) i++;
            if (i == calls.Length)
            {
                color[sub] = 2;
                postorder.Add(sub);
                frames[sub] = 1;
                stack[sub] = RoundStackDepth(depths[sub]);
                foreach (var call in calls)
                {
                    if (call.Caller != sub) continue;
                    frames[sub] = Math.Max(frames[sub], 1 + frames[call.Callee]);
                    stack[sub] = Math.Max(stack[sub], RoundStackDepth(depths[sub]) + stack[call.Callee]);
                }

                continue;
            }

            path.Push((sub, i + 1));
            var edge = calls[i];
            if (color[edge.Callee] == 1)
                throw new VerifierException(ErrorCode.VerifierRecursiveCall, $"recursive call from insn {edge.Slot} to {entries[edge.Callee]}", edge.Slot);
            if (color[edge.Callee] != 0) continue;
            color[edge.Callee] = 1;
            path.Push((edge.Callee, 0));
        }

        if (frames[0] > MaxCallFrames)
        {
            for (int sub = 0, chain = 1; ; chain++)
            {
                var edge = calls.First(c => c.Caller == sub && chain + frames[c.Callee] > MaxCallFrames);
                if (chain + 1 > MaxCallFrames)
                    throw new VerifierException(ErrorCode.VerifierCallStackTooDeep, $"the call stack of {chain + 1} frames is too deep", edge.Slot);
                sub = edge.Callee;
            }
        }

        // The most stack any chain puts above each subprogram, callers before callees.
        var above = new int[n];
        for (int p = postorder.Count - 1; p >= 0; p--)
        {
            int caller = postorder[p];
            foreach (var call in calls)
            {
                if (call.Caller == caller) above[call.Callee] = Math.Max(above[call.Callee], above[caller] + RoundStackDepth(depths[caller]));
            }
        }

        for (int s = 1; s < n; s++)
        {
            if (!tailCallers[s] || above[s] < MaxStackAboveTailCall) continue;
            var edge = calls.First(c => c.Callee == s && above[c.Caller] + RoundStackDepth(depths[c.Caller]) == above[s]);
            throw new VerifierException(ErrorCode.VerifierTailCallStack, $"tail_calls are not allowed when call stack of previous frames is {above[s]} bytes. Too large", edge.Slot);
        }

        int used = RoundStackDepth(depths[0]);
        if (used > MaxStackBytes)
            throw new VerifierException(ErrorCode.VerifierStackTooLarge, $"combined stack size of 1 calls is {used}. Too large", entries[0]);
        if (stack[0] > MaxStackBytes)
        {
            for (int sub = 0, chain = 1; ; chain++)
            {
                int prefix = used;
                var edge = calls.First(c => c.Caller == sub && prefix + stack[c.Callee] > MaxStackBytes);
                used += RoundStackDepth(depths[edge.Callee]);
                if (used > MaxStackBytes)
                    throw new VerifierException(ErrorCode.VerifierStackTooLarge, $"combined stack size of {chain + 1} calls is {used}. Too large", edge.Slot);
                sub = edge.Callee;
            }
        }

        return (frames[0], stack[0]);
    }

    // The deepest byte below R10 one subprogram reaches (see the class remarks), by a forward walk to a fixed point:
    // each register is r10 + k or unknown, and paths that disagree make it unknown, so every state only loses facts.
    private static int StackDepth(ReadOnlySpan<Instruction> program, ImmutableArray<BasicBlock> blocks, ImmutableArray<int> order)
    {
        const long Unknown = long.MinValue;
        const int Registers = 11;
        var entryStates = new Dictionary<int, long[]>();
        var start = new long[Registers];
        Array.Fill(start, Unknown);
        start[(int)Register.R10] = 0;
        entryStates[order[0]] = start;
        long deepest = 0;
        var regs = new long[Registers];
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (int b in order)
            {
                if (!entryStates.TryGetValue(b, out var entry)) continue;
                entry.CopyTo(regs, 0);
                var block = blocks[b];
                for (int i = block.Start; i < block.End; i += program[i].Width) Step(program[i], regs, ref deepest);
                foreach (int to in block.Successors)
                {
                    if (!entryStates.TryGetValue(to, out var target))
                    {
                        entryStates[to] = (long[])regs.Clone();
                        changed = true;
                        continue;
                    }

                    for (int r = 0; r < Registers; r++)
                    {
                        if (target[r] == regs[r] || target[r] == Unknown) continue;
                        target[r] = Unknown;
                        changed = true;
                    }
                }
            }
        }

        return (int)Math.Min(deepest, int.MaxValue);

        static void Step(in Instruction insn, long[] regs, ref long deepest)
        {
            switch (InstructionForms.Of(insn.OpCode).Kind)
            {
                case InstructionKind.Alu when insn.Class == OpClass.Alu64 && insn.AluOp == AluOp.Mov && insn.Source == OperandSource.Reg && insn.Offset == 0:
                    Set(regs, insn.DstNumber, regs[insn.SrcNumber], ref deepest);
                    break;
                case InstructionKind.Alu when insn.Class == OpClass.Alu64 && insn.AluOp is AluOp.Add or AluOp.Sub && insn.Source == OperandSource.Imm && regs[insn.DstNumber] != Unknown:
                    Set(regs, insn.DstNumber, regs[insn.DstNumber] + (insn.AluOp == AluOp.Add ? insn.Imm64 : -insn.Imm64), ref deepest);
                    break;
                case InstructionKind.Alu or InstructionKind.Neg or InstructionKind.End or InstructionKind.Lddw:
                    regs[insn.DstNumber] = Unknown;
                    break;
                case InstructionKind.Load or InstructionKind.LoadSx:
                    Access(regs[insn.SrcNumber], insn.Offset, ref deepest);
                    regs[insn.DstNumber] = Unknown;
                    break;
                case InstructionKind.StoreImm or InstructionKind.StoreReg:
                    Access(regs[insn.DstNumber], insn.Offset, ref deepest);
                    break;
                case InstructionKind.Atomic:
                    Access(regs[insn.DstNumber], insn.Offset, ref deepest);
                    if (insn.Imm == (int)AtomicOp.CmpXchg) regs[(int)Register.R0] = Unknown;
                    else if ((insn.Imm & 1) != 0) regs[insn.SrcNumber] = Unknown;
                    break;
                case InstructionKind.Call or InstructionKind.CallX or InstructionKind.LoadAbs or InstructionKind.LoadInd:
                    // Calls return in R0 and clobber R1-R5; so do the legacy packet loads, which may call out.
                    Array.Fill(regs, Unknown, 0, 6);
                    break;
            }
        }

        static void Set(long[] regs, int reg, long value, ref long deepest)
        {
            regs[reg] = value;
            // A pointer formed beyond the frame is not a use of it: the walk refuses any access through it there.
            if (value != Unknown && value < 0 && value >= -MaxStackBytes) deepest = Math.Max(deepest, -value);
        }

        static void Access(long baseOffset, short offset, ref long deepest)
        {
            if (baseOffset == Unknown || baseOffset + offset >= 0 || baseOffset + offset < -MaxStackBytes) return;
            deepest = Math.Max(deepest, -(baseOffset + offset));
        }
    }
}
