using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;
using HeteroBpf.Maps;

namespace HeteroBpf.Interpreter;

/// <summary>Limits of one interpreter run.</summary>
public sealed record InterpreterOptions
{
    /// <summary>Default instruction budget: enough for any program the kernel's verifier accepts to finish many times over.</summary>
    public const long DefaultInstructionBudget = 100_000_000;

    /// <summary>Instructions a run may execute before it is stopped as runaway.</summary>
    public long InstructionBudget { get; init; } = DefaultInstructionBudget;

    /// <summary>
    /// Resolves <c>bpf_tail_call</c> targets (a loader knows its prog arrays and programs); without it a tail call is
    /// an unknown helper.
    /// </summary>
    public TailCallResolver? TailCalls { get; init; }

    /// <summary>The live map a map handle names, for the helpers the interpreter runs itself (<c>for_each_map_elem</c>); null: no maps.</summary>
    public MapResolver? Maps { get; init; }
}

/// <summary>The program in slot <paramref name="index"/> of the prog array whose map handle is <paramref name="programArray"/>, or null (the tail call then falls through).</summary>
public delegate BpfInterpreter? TailCallResolver(ulong programArray, uint index);

/// <summary>The map a program's map handle names, or null when it names none.</summary>
public delegate BpfMap? MapResolver(ulong handle);

/// <summary>
/// The reference semantics of RFC 9669: a plain fetch–decode–execute loop, one switch on the opcode byte, every memory
/// access checked against the run's <see cref="MemoryMap"/>. It is the oracle every other backend is compared with, so
/// each case states the rule it implements; speed comes second (it is measured in <c>bench/</c>).
/// </summary>
/// <remarks>
/// The program must have passed <see cref="InstructionDecoder.TryValidate"/>; the interpreter trusts encodings and
/// branch targets. An instance is immutable and may run on several threads at once, each with its own memory map.
/// </remarks>
public sealed unsafe class BpfInterpreter
{
    /// <summary>Bytes of stack per frame (kernel MAX_BPF_STACK).</summary>
    public const int FrameSize = Abi.FrameSize;

    /// <summary>Frames in a call chain, the entry frame included (kernel MAX_CALL_FRAMES).</summary>
    public const int MaxCallDepth = Abi.MaxCallFrames;

    /// <summary>
    /// Where subprogram addresses live: <c>lddw rX, func</c> loads <c>CodeBase + slot * 8</c> and <c>callx</c> accepts only
    /// such values. The range is non-canonical on x86-64 and ARM64, so it can never alias data a program may access.
    /// </summary>
    public const ulong CodeBase = Abi.CodeBase;

    /// <summary>Tail calls one run may make (kernel MAX_TAIL_CALL_CNT); the next one falls through.</summary>
    public const int MaxTailCalls = Abi.MaxTailCalls;

    /// <summary>Most iterations <c>bpf_loop</c> runs (kernel BPF_MAX_LOOPS); more is -E2BIG.</summary>
    public const ulong MaxLoops = 1 << 23;

    private readonly Instruction[] _program;
    private readonly HelperRegistry _helpers;
    private readonly long _budget;
    private readonly bool[] _functionEntry;
    private readonly TailCallResolver? _tailCalls;
    private readonly MapResolver? _maps;

    /// <summary>Prepares <paramref name="program"/> (already validated) to run with <paramref name="helpers"/>.</summary>
    public BpfInterpreter(Instruction[] program, HelperRegistry helpers, InterpreterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(helpers);
        Debug.Assert(InstructionDecoder.TryValidate(program, out _), "the interpreter runs validated programs only");
        _program = program;
        _helpers = helpers;
        _budget = (options ?? new InterpreterOptions()).InstructionBudget;
        _tailCalls = options?.TailCalls;
        _maps = options?.Maps;
        _functionEntry = FindFunctionEntries(program);
    }

    /// <summary>The program this interpreter runs.</summary>
    public ReadOnlySpan<Instruction> Program => _program;

    /// <summary>
    /// Compiles the interpreter loop to native code now, so that the first packets of a timed run do not pay for it:
    /// runs a short program once (the whole dispatch method is compiled on its first call).
    /// </summary>
    public static void WarmUp()
    {
        var warm = new BpfInterpreter(
            [new Instruction(Opcodes.Alu(true, AluOp.Mov, OperandSource.Imm), Register.R0, Register.R0, 0, 0), new Instruction(Opcodes.Exit, Register.R0, Register.R0, 0, 0)],
            HelperRegistry.Empty);
        var memory = new MemoryMap();
        warm.Run(memory);
    }

    /// <summary>Runs once from slot 0 with R1 and R2 set, R10 at the top of a fresh zeroed stack; other registers start at 0.</summary>
    /// <exception cref="BpfFaultException">The program faulted; nothing outside <paramref name="memory"/> and the stack was touched.</exception>
    [SkipLocalsInit] // the stack is cleared frame by frame below, not all 4 KiB up front
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per packet: no slow first tier while a capture runs
    public ExecutionResult Run(MemoryMap memory, ulong r1 = 0, ulong r2 = 0)
    {
        ArgumentNullException.ThrowIfNull(memory);
        const int stackBytes = FrameSize * MaxCallDepth;
        byte* stack = stackalloc byte[stackBytes];
        // Every frame starts zeroed; a callee's frame is cleared when it is pushed, so a run pays for the frames it uses.
        new Span<byte>(stack + stackBytes - FrameSize, FrameSize).Clear();
        ulong stackTop = (ulong)stack + stackBytes;
        int stackRegion = memory.Add(new MemoryRegion(stackTop - FrameSize, FrameSize, RegionKind.Stack, true));
        try
        {
            var run = new RunState { Memory = memory, StackRegion = stackRegion, StackTop = stackTop };
            ulong r0 = Execute(ref run, 0, 1, stackTop - FrameSize, r1, r2);
            return new ExecutionResult(r0, run.Count);
        }
        finally
        {
            memory.RemoveAt(stackRegion);
        }
    }

    // What every level of a run shares: nested executions (bpf_loop callbacks) count against one budget.
    private struct RunState
    {
        public MemoryMap Memory;
        public int StackRegion;
        public ulong StackTop;
        public long Count;
        public int TailCalls;
    }

    private struct Frame
    {
        public ulong R6, R7, R8, R9;
        public int ReturnSlot;
    }

    // Runs from slot startPc in the frame at frameLow, which is call depth baseDepth, until that frame exits; gives R0.
    // The entry program runs at depth 1; a bpf_loop callback runs re-entrantly one frame deeper than its caller.
    [SkipLocalsInit] // registers are zeroed explicitly; frames are written before they are read
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong Execute(ref RunState run, int startPc, int baseDepth, ulong frameLow, ulong r1, ulong r2, ulong r3 = 0, ulong r4 = 0)
    {
        var current = this;
        ReadOnlySpan<Instruction> prog = _program;
        var memory = run.Memory;
        int stackRegion = run.StackRegion;
        ulong stackTop = run.StackTop;
        ulong* reg = stackalloc ulong[11];
        for (int i = 0; i < 11; i++) reg[i] = 0;
        Frame* frames = stackalloc Frame[MaxCallDepth];
        int depth = baseDepth;
        reg[1] = r1;
        reg[2] = r2;
        reg[3] = r3;
        reg[4] = r4;
        reg[10] = frameLow + FrameSize;

        // The instruction count lives in a register while this level runs (a count in memory, through the ref, would be
        // a store-to-load chain on every instruction); it goes back to run.Count before anything that reads it: a
        // nested level (bpf_loop, for_each_map_elem callbacks) and every return.
        long count = run.Count, budget = _budget;
        int pc = startPc;
        while (true)
        {
            if (++count > budget) ThrowBudget(pc);
            // Validation keeps every jump inside the program, but not a fall-through past the last slot.
            if ((uint)pc >= (uint)prog.Length) ThrowFellOffEnd(pc);
            ref readonly Instruction insn = ref prog[pc];
            int dst = insn.DstNumber, src = insn.SrcNumber;
            int imm = insn.Imm;
            short off = insn.Offset;
            int next = pc + 1;

            switch (insn.OpCode)
            {
                // ---- ALU64 (class 0x07): 64-bit operands; an immediate is sign-extended to 64 bits. ----
                case 0x07: reg[dst] += (ulong)(long)imm; break;
                case 0x0f: reg[dst] += reg[src]; break;
                case 0x17: reg[dst] -= (ulong)(long)imm; break;
                case 0x1f: reg[dst] -= reg[src]; break;
                case 0x27: reg[dst] *= (ulong)(long)imm; break;
                case 0x2f: reg[dst] *= reg[src]; break;
                case 0x37: reg[dst] = off == 0 ? DivisionRules.UDiv64(reg[dst], (ulong)(long)imm) : DivisionRules.SDiv64(reg[dst], imm); break;
                case 0x3f: reg[dst] = off == 0 ? DivisionRules.UDiv64(reg[dst], reg[src]) : DivisionRules.SDiv64(reg[dst], (long)reg[src]); break;
                case 0x47: reg[dst] |= (ulong)(long)imm; break;
                case 0x4f: reg[dst] |= reg[src]; break;
                case 0x57: reg[dst] &= (ulong)(long)imm; break;
                case 0x5f: reg[dst] &= reg[src]; break;
                case 0x67: reg[dst] <<= imm & 63; break;
                case 0x6f: reg[dst] <<= (int)(reg[src] & 63); break;
                case 0x77: reg[dst] >>= imm & 63; break;
                case 0x7f: reg[dst] >>= (int)(reg[src] & 63); break;
                case 0x87: reg[dst] = (ulong)-(long)reg[dst]; break;
                case 0x97: reg[dst] = off == 0 ? DivisionRules.UMod64(reg[dst], (ulong)(long)imm) : DivisionRules.SMod64(reg[dst], imm); break;
                case 0x9f: reg[dst] = off == 0 ? DivisionRules.UMod64(reg[dst], reg[src]) : DivisionRules.SMod64(reg[dst], (long)reg[src]); break;
                case 0xa7: reg[dst] ^= (ulong)(long)imm; break;
                case 0xaf: reg[dst] ^= reg[src]; break;
                case 0xb7: reg[dst] = (ulong)(long)imm; break;
                case 0xbf: reg[dst] = off == 0 ? reg[src] : MovSx64(reg[src], off); break;
                case 0xc7: reg[dst] = (ulong)((long)reg[dst] >> (imm & 63)); break;
                case 0xcf: reg[dst] = (ulong)((long)reg[dst] >> (int)(reg[src] & 63)); break;
                case 0xd7: reg[dst] = ByteSwap(reg[dst], imm); break;

                // ---- ALU (class 0x04): 32-bit operands; the result is zero-extended into the 64-bit register. ----
                case 0x04: reg[dst] = (uint)reg[dst] + (uint)imm; break;
                case 0x0c: reg[dst] = (uint)reg[dst] + (uint)reg[src]; break;
                case 0x14: reg[dst] = (uint)reg[dst] - (uint)imm; break;
                case 0x1c: reg[dst] = (uint)reg[dst] - (uint)reg[src]; break;
                case 0x24: reg[dst] = (uint)reg[dst] * (uint)imm; break;
                case 0x2c: reg[dst] = (uint)reg[dst] * (uint)reg[src]; break;
                case 0x34: reg[dst] = off == 0 ? DivisionRules.UDiv32((uint)reg[dst], (uint)imm) : DivisionRules.SDiv32((int)reg[dst], imm); break;
                case 0x3c: reg[dst] = off == 0 ? DivisionRules.UDiv32((uint)reg[dst], (uint)reg[src]) : DivisionRules.SDiv32((int)reg[dst], (int)reg[src]); break;
                case 0x44: reg[dst] = (uint)reg[dst] | (uint)imm; break;
                case 0x4c: reg[dst] = (uint)reg[dst] | (uint)reg[src]; break;
                case 0x54: reg[dst] = (uint)reg[dst] & (uint)imm; break;
                case 0x5c: reg[dst] = (uint)reg[dst] & (uint)reg[src]; break;
                case 0x64: reg[dst] = (uint)reg[dst] << (imm & 31); break;
                case 0x6c: reg[dst] = (uint)reg[dst] << (int)(reg[src] & 31); break;
                case 0x74: reg[dst] = (uint)reg[dst] >> (imm & 31); break;
                case 0x7c: reg[dst] = (uint)reg[dst] >> (int)(reg[src] & 31); break;
                case 0x84: reg[dst] = (uint)-(int)reg[dst]; break;
                case 0x94: reg[dst] = off == 0 ? DivisionRules.UMod32((uint)reg[dst], (uint)imm) : DivisionRules.SMod32((int)reg[dst], imm); break;
                case 0x9c: reg[dst] = off == 0 ? DivisionRules.UMod32((uint)reg[dst], (uint)reg[src]) : DivisionRules.SMod32((int)reg[dst], (int)reg[src]); break;
                case 0xa4: reg[dst] = (uint)reg[dst] ^ (uint)imm; break;
                case 0xac: reg[dst] = (uint)reg[dst] ^ (uint)reg[src]; break;
                case 0xb4: reg[dst] = (uint)imm; break;
                case 0xbc: reg[dst] = off == 0 ? (uint)reg[src] : MovSx32(reg[src], off); break;
                case 0xc4: reg[dst] = (uint)((int)reg[dst] >> (imm & 31)); break;
                case 0xcc: reg[dst] = (uint)((int)reg[dst] >> (int)(reg[src] & 31)); break;
                // le: on a little-endian machine only truncation (zero-extension) to the width; be: swap.
                case 0xd4: reg[dst] = imm switch { 16 => (ushort)reg[dst], 32 => (uint)reg[dst], _ => reg[dst] }; break;
                case 0xdc: reg[dst] = ByteSwap(reg[dst], imm); break;

                // ---- Unconditional jumps, calls, exit. ----
                case 0x05: next += off; break;
                case 0x06: next += imm; break;
                case 0x85:
                    if (src == (byte)CallKind.Local)
                    {
                        next = PushFrame(reg, frames, ref depth, ref frameLow, stackTop, memory, stackRegion, pc, next + imm);
                    }
                    else if (src == (byte)CallKind.Helper && imm == (int)HelperId.TailCall && current._tailCalls is { } resolve)
                    {
                        if (depth != 1) ThrowUnsupported(pc, "bpf_tail_call from a subprogram or callback is not supported by the interpreter");
                        // Kernel semantics: on success the target replaces this program in the same frame, registers as
                        // they are (R1 is the context); a missing entry or the 34th tail call falls through.
                        if (run.TailCalls < MaxTailCalls && resolve(reg[2], (uint)reg[3]) is { } target)
                        {
                            run.TailCalls++;
                            current = target;
                            prog = target._program;
                            next = 0;
                        }
                    }
                    else if (src == (byte)CallKind.Helper && imm == (int)HelperId.Loop)
                    {
                        run.Count = count;
                        reg[0] = current.Loop(ref run, reg, depth, frameLow, pc);
                        count = run.Count;
                    }
                    else if (src == (byte)CallKind.Helper && imm == (int)HelperId.ForEachMapElem && current._maps is not null)
                    {
                        run.Count = count;
                        reg[0] = current.ForEachMapElem(ref run, reg, depth, frameLow, pc);
                        count = run.Count;
                    }
                    else if (src == (byte)CallKind.Helper)
                    {
                        reg[0] = current.CallHelper(reg, memory, pc, imm);
                    }
                    else
                    {
                        ThrowUnsupported(pc, $"kfunc call (BTF id {imm}) is not available to the interpreter");
                    }

                    break;
                case 0x8d:
                    {
                        ulong target = reg[dst];
                        int slot;
                        if (!current.IsFunctionEntry(target, out slot))
                        {
                            ThrowFault(ErrorCode.MemoryFault, pc, $"callx r{dst}: 0x{target:x} is not the address of a function of this program", target, 0);
                        }

                        next = PushFrame(reg, frames, ref depth, ref frameLow, stackTop, memory, stackRegion, pc, slot);
                        break;
                    }

                case 0x95:
                    if (depth == baseDepth)
                    {
                        run.Count = count;
                        return reg[0];
                    }

                    {
                        ref Frame f = ref frames[--depth];
                        reg[6] = f.R6;
                        reg[7] = f.R7;
                        reg[8] = f.R8;
                        reg[9] = f.R9;
                        next = f.ReturnSlot;
                        frameLow += FrameSize;
                        reg[10] = frameLow + FrameSize;
                        memory.Set(stackRegion, new MemoryRegion(frameLow, stackTop - frameLow, RegionKind.Stack, true));
                    }

                    break;

                // ---- JMP (class 0x05): 64-bit compares; the immediate is sign-extended to 64 bits. ----
                case 0x15: if (reg[dst] == (ulong)(long)imm) next += off; break;
                case 0x1d: if (reg[dst] == reg[src]) next += off; break;
                case 0x25: if (reg[dst] > (ulong)(long)imm) next += off; break;
                case 0x2d: if (reg[dst] > reg[src]) next += off; break;
                case 0x35: if (reg[dst] >= (ulong)(long)imm) next += off; break;
                case 0x3d: if (reg[dst] >= reg[src]) next += off; break;
                case 0x45: if ((reg[dst] & (ulong)(long)imm) != 0) next += off; break;
                case 0x4d: if ((reg[dst] & reg[src]) != 0) next += off; break;
                case 0x55: if (reg[dst] != (ulong)(long)imm) next += off; break;
                case 0x5d: if (reg[dst] != reg[src]) next += off; break;
                case 0x65: if ((long)reg[dst] > imm) next += off; break;
                case 0x6d: if ((long)reg[dst] > (long)reg[src]) next += off; break;
                case 0x75: if ((long)reg[dst] >= imm) next += off; break;
                case 0x7d: if ((long)reg[dst] >= (long)reg[src]) next += off; break;
                case 0xa5: if (reg[dst] < (ulong)(long)imm) next += off; break;
                case 0xad: if (reg[dst] < reg[src]) next += off; break;
                case 0xb5: if (reg[dst] <= (ulong)(long)imm) next += off; break;
                case 0xbd: if (reg[dst] <= reg[src]) next += off; break;
                case 0xc5: if ((long)reg[dst] < imm) next += off; break;
                case 0xcd: if ((long)reg[dst] < (long)reg[src]) next += off; break;
                case 0xd5: if ((long)reg[dst] <= imm) next += off; break;
                case 0xdd: if ((long)reg[dst] <= (long)reg[src]) next += off; break;

                // ---- JMP32 (class 0x06): compare the low 32 bits only. ----
                case 0x16: if ((uint)reg[dst] == (uint)imm) next += off; break;
                case 0x1e: if ((uint)reg[dst] == (uint)reg[src]) next += off; break;
                case 0x26: if ((uint)reg[dst] > (uint)imm) next += off; break;
                case 0x2e: if ((uint)reg[dst] > (uint)reg[src]) next += off; break;
                case 0x36: if ((uint)reg[dst] >= (uint)imm) next += off; break;
                case 0x3e: if ((uint)reg[dst] >= (uint)reg[src]) next += off; break;
                case 0x46: if (((uint)reg[dst] & (uint)imm) != 0) next += off; break;
                case 0x4e: if (((uint)reg[dst] & (uint)reg[src]) != 0) next += off; break;
                case 0x56: if ((uint)reg[dst] != (uint)imm) next += off; break;
                case 0x5e: if ((uint)reg[dst] != (uint)reg[src]) next += off; break;
                case 0x66: if ((int)reg[dst] > imm) next += off; break;
                case 0x6e: if ((int)reg[dst] > (int)reg[src]) next += off; break;
                case 0x76: if ((int)reg[dst] >= imm) next += off; break;
                case 0x7e: if ((int)reg[dst] >= (int)reg[src]) next += off; break;
                case 0xa6: if ((uint)reg[dst] < (uint)imm) next += off; break;
                case 0xae: if ((uint)reg[dst] < (uint)reg[src]) next += off; break;
                case 0xb6: if ((uint)reg[dst] <= (uint)imm) next += off; break;
                case 0xbe: if ((uint)reg[dst] <= (uint)reg[src]) next += off; break;
                case 0xc6: if ((int)reg[dst] < imm) next += off; break;
                case 0xce: if ((int)reg[dst] < (int)reg[src]) next += off; break;
                case 0xd6: if ((int)reg[dst] <= imm) next += off; break;
                case 0xde: if ((int)reg[dst] <= (int)reg[src]) next += off; break;

                // ---- 64-bit immediate load (two slots). ----
                case 0x18:
                    reg[dst] = (LoadImmKind)src switch
                    {
                        LoadImmKind.Imm64 => Instruction.WideImmediate(insn, prog[pc + 1]),
                        LoadImmKind.Func => CodeBase + (ulong)(pc + 1 + imm) * 8,
                        var kind => ThrowUnsupported<ulong>(pc, $"lddw of a {kind} reference must be resolved by the loader before it runs"),
                    };
                    next = pc + 2;
                    break;

                // ---- Loads: zero-extending (LDX MEM) and sign-extending (LDX MEMSX). ----
                case 0x61: reg[dst] = Unsafe.ReadUnaligned<uint>(Access(memory, reg[src] + (ulong)(long)off, 4, false, frameLow, stackTop, pc)); break;
                case 0x69: reg[dst] = Unsafe.ReadUnaligned<ushort>(Access(memory, reg[src] + (ulong)(long)off, 2, false, frameLow, stackTop, pc)); break;
                case 0x71: reg[dst] = *Access(memory, reg[src] + (ulong)(long)off, 1, false, frameLow, stackTop, pc); break;
                case 0x79: reg[dst] = Unsafe.ReadUnaligned<ulong>(Access(memory, reg[src] + (ulong)(long)off, 8, false, frameLow, stackTop, pc)); break;
                case 0x81: reg[dst] = (ulong)(long)Unsafe.ReadUnaligned<int>(Access(memory, reg[src] + (ulong)(long)off, 4, false, frameLow, stackTop, pc)); break;
                case 0x89: reg[dst] = (ulong)(long)Unsafe.ReadUnaligned<short>(Access(memory, reg[src] + (ulong)(long)off, 2, false, frameLow, stackTop, pc)); break;
                case 0x91: reg[dst] = (ulong)(long)*(sbyte*)Access(memory, reg[src] + (ulong)(long)off, 1, false, frameLow, stackTop, pc); break;

                // ---- Stores of an immediate (ST) and of a register (STX). ----
                case 0x62: Unsafe.WriteUnaligned(Access(memory, reg[dst] + (ulong)(long)off, 4, true, frameLow, stackTop, pc), imm); break;
                case 0x6a: Unsafe.WriteUnaligned(Access(memory, reg[dst] + (ulong)(long)off, 2, true, frameLow, stackTop, pc), (short)imm); break;
                case 0x72: *Access(memory, reg[dst] + (ulong)(long)off, 1, true, frameLow, stackTop, pc) = (byte)imm; break;
                case 0x7a: Unsafe.WriteUnaligned(Access(memory, reg[dst] + (ulong)(long)off, 8, true, frameLow, stackTop, pc), (long)imm); break;
                case 0x63: Unsafe.WriteUnaligned(Access(memory, reg[dst] + (ulong)(long)off, 4, true, frameLow, stackTop, pc), (uint)reg[src]); break;
                case 0x6b: Unsafe.WriteUnaligned(Access(memory, reg[dst] + (ulong)(long)off, 2, true, frameLow, stackTop, pc), (ushort)reg[src]); break;
                case 0x73: *Access(memory, reg[dst] + (ulong)(long)off, 1, true, frameLow, stackTop, pc) = (byte)reg[src]; break;
                case 0x7b: Unsafe.WriteUnaligned(Access(memory, reg[dst] + (ulong)(long)off, 8, true, frameLow, stackTop, pc), reg[src]); break;

                // ---- Atomics (STX ATOMIC): real atomic instructions, since map memory may be shared with other runs. ----
                case 0xc3: Atomic32(reg, src, (AtomicOp)imm, Access(memory, reg[dst] + (ulong)(long)off, 4, true, frameLow, stackTop, pc), pc); break;
                case 0xdb: Atomic64(reg, src, (AtomicOp)imm, Access(memory, reg[dst] + (ulong)(long)off, 8, true, frameLow, stackTop, pc), pc); break;

                // ---- Legacy packet loads: big-endian value of the packet at imm (ABS) or src + imm (IND); out of bounds ends the program with R0 = 0. ----
                case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50:
                    {
                        ulong offset = (uint)imm;
                        if (insn.Mode == MemMode.Ind) offset = (uint)((uint)reg[src] + (uint)imm);
                        int size = Instruction.SizeInBytes(insn.Size);
                        if (!memory.TryFind(RegionKind.Packet, out var packet) || offset > packet.Length || (ulong)size > packet.Length - offset)
                        {
                            run.Count = count;
                            return 0;
                        }

                        byte* p = (byte*)(packet.Start + offset);
                        reg[0] = size switch
                        {
                            1 => *p,
                            2 => BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(p, 2)),
                            _ => BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p, 4)),
                        };
                        break;
                    }

                default:
                    throw new UnreachableException($"opcode 0x{insn.OpCode:x2} at slot {pc} passed validation but has no semantics");
            }

            pc = next;
        }
    }

    private static int PushFrame(ulong* reg, Frame* frames, ref int depth, ref ulong frameLow, ulong stackTop, MemoryMap memory, int stackRegion, int pc, int target)
    {
        if (depth >= MaxCallDepth) ThrowFault(ErrorCode.CallDepthExceeded, pc, $"call depth exceeds {MaxCallDepth} frames", 0, 0);
        ref Frame f = ref frames[depth++];
        f.R6 = reg[6];
        f.R7 = reg[7];
        f.R8 = reg[8];
        f.R9 = reg[9];
        f.ReturnSlot = pc + 1;
        reg[10] = frameLow;
        frameLow -= FrameSize;
        new Span<byte>((void*)frameLow, FrameSize).Clear();
        memory.Set(stackRegion, new MemoryRegion(frameLow, stackTop - frameLow, RegionKind.Stack, true));
        return target;
    }

    private bool IsFunctionEntry(ulong address, out int slot)
    {
        slot = (int)((address - CodeBase) / 8);
        return address >= CodeBase && (address - CodeBase) % 8 == 0 && (ulong)slot < (ulong)_functionEntry.Length && _functionEntry[slot];
    }

    // bpf_loop(nr_loops, callback, ctx, flags): calls callback(i, ctx) for i = 0.. until it returns 1 (0 continues),
    // each call a fresh zeroed frame one deeper than the caller's, run re-entrantly by this interpreter (not a second
    // instance), sharing the run's budget; gives the number of calls made. flags != 0: -EINVAL; nr_loops > 1 << 23: -E2BIG.
    private ulong Loop(ref RunState run, ulong* reg, int depth, ulong frameLow, int pc)
    {
        ulong loops = reg[1], callback = reg[2], ctx = reg[3], flags = reg[4];
        if (flags != 0) return unchecked((ulong)-(long)Errno.EINVAL);
        if (loops > MaxLoops) return unchecked((ulong)-(long)Errno.E2BIG);
        if (!IsFunctionEntry(callback, out int entry))
        {
            ThrowFault(ErrorCode.HelperFault, pc, $"helper argument R2 (callback_fn): 0x{callback:x} is not the address of a function of this program", callback, 0);
        }

        if (depth >= MaxCallDepth) ThrowFault(ErrorCode.CallDepthExceeded, pc, $"call depth exceeds {MaxCallDepth} frames", 0, 0);
        ulong calleeLow = frameLow - FrameSize;
        var stack = new MemoryRegion(calleeLow, run.StackTop - calleeLow, RegionKind.Stack, true);
        ulong i = 0;
        try
        {
            while (i < loops)
            {
                new Span<byte>((void*)calleeLow, FrameSize).Clear();
                run.Memory.Set(run.StackRegion, stack);
                ulong stop = Execute(ref run, entry, depth + 1, calleeLow, i, ctx);
                i++;
                if (stop != 0) break; // the verifier allows 0 and 1; the kernel stops on anything but 0
            }
        }
        finally
        {
            run.Memory.Set(run.StackRegion, new MemoryRegion(frameLow, run.StackTop - frameLow, RegionKind.Stack, true));
        }

        return i;
    }

    // bpf_for_each_map_elem(map, callback, ctx, flags): calls callback(map, key, value, ctx) for each element in the
    // map's get_next_key order until it returns non-zero, like bpf_loop's callback (fresh frame one deeper, the run's
    // budget); gives the number of calls. The key is a read-only region for the call; per-CPU maps give this CPU's value.
    private ulong ForEachMapElem(ref RunState run, ulong* reg, int depth, ulong frameLow, int pc)
    {
        ulong handle = reg[1], callback = reg[2], ctx = reg[3], flags = reg[4];
        var map = _maps!(handle) ?? throw new BpfFaultException(ErrorCode.HelperFault, $"helper argument R1 (map): 0x{handle:x} is not a map", pc, handle, 0);
        if (flags != 0) return unchecked((ulong)-(long)Errno.EINVAL);
        if (map.Type is not (MapType.Array or MapType.PerCpuArray or MapType.Hash or MapType.PerCpuHash or MapType.LruHash or MapType.LruPerCpuHash))
        {
            return unchecked((ulong)-(long)Errno.EINVAL); // the kernel offers the iterator for these types only
        }

        if (!IsFunctionEntry(callback, out int entry))
        {
            ThrowFault(ErrorCode.HelperFault, pc, $"helper argument R2 (callback_fn): 0x{callback:x} is not the address of a function of this program", callback, 0);
        }

        if (depth >= MaxCallDepth) ThrowFault(ErrorCode.CallDepthExceeded, pc, $"call depth exceeds {MaxCallDepth} frames", 0, 0);
        ulong calleeLow = frameLow - FrameSize;
        var stack = new MemoryRegion(calleeLow, run.StackTop - calleeLow, RegionKind.Stack, true);
        int keySize = map.KeySize;
        // The current key and the next one; on the stack (no allocation per call) unless the key is unusually large.
        Span<byte> keys = keySize <= 256 ? stackalloc byte[2 * keySize] : GC.AllocateArray<byte>(2 * keySize, pinned: true);
        fixed (byte* keyBase = keys)
        {
            int keyRegion = run.Memory.Add(new MemoryRegion((ulong)keyBase, (ulong)keySize, RegionKind.MapKey, false));
            ulong calls = 0;
            try
            {
                scoped Span<byte> current = default;
                Span<byte> next = keys[keySize..];
                int cpu = MapHelpers.CurrentCpu;
                while (map.GetNextKey(current, next) == Errno.Ok)
                {
                    next.CopyTo(keys);
                    current = keys[..keySize];
                    byte* value = map.LookupElem(keyBase, cpu);
                    if (value is null) continue; // deleted by an earlier callback
                    new Span<byte>((void*)calleeLow, FrameSize).Clear();
                    run.Memory.Set(run.StackRegion, stack);
                    ulong stop = Execute(ref run, entry, depth + 1, calleeLow, handle, (ulong)keyBase, (ulong)value, ctx);
                    calls++;
                    if (stop != 0) break;
                }
            }
            finally
            {
                run.Memory.RemoveAt(keyRegion);
                run.Memory.Set(run.StackRegion, new MemoryRegion(frameLow, run.StackTop - frameLow, RegionKind.Stack, true));
            }

            return calls;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong CallHelper(ulong* reg, MemoryMap memory, int pc, int id)
    {
        if (!_helpers.TryGet(id, out var helper))
        {
            string name = HelperIds.Describe(id);
            ThrowFault(ErrorCode.UnknownHelper, pc, $"helper {name} is not available here", 0, 0);
        }

        var call = new HelperCall { R1 = reg[1], R2 = reg[2], R3 = reg[3], R4 = reg[4], R5 = reg[5], Memory = memory, Slot = pc };
        return helper(ref call);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* Access(MemoryMap memory, ulong address, int size, bool write, ulong frameLow, ulong stackTop, int pc)
    {
        // The current call chain's frames are the common case: check them without walking the map.
        if (address >= frameLow && address - frameLow <= stackTop - frameLow - (ulong)size) return (byte*)address;
        if (!memory.CanAccess(address, (ulong)size, write)) ThrowAccess(memory, address, size, write, pc);
        return (byte*)address;
    }

    private static void Atomic32(ulong* reg, int src, AtomicOp op, byte* p, int pc)
    {
        if (!AtomicOps.TryApply32(ref Unsafe.AsRef<int>(p), op, (int)reg[src], (int)reg[0], out int old))
            throw new UnreachableException($"atomic op 0x{(int)op:x} at slot {pc} passed validation");
        // The old value, zero-extended: into R0 for cmpxchg (whether or not it matched), into src for the other fetching forms.
        if (op == AtomicOp.CmpXchg) reg[0] = (uint)old;
        else if (AtomicOps.Fetches(op)) reg[src] = (uint)old;
    }

    private static void Atomic64(ulong* reg, int src, AtomicOp op, byte* p, int pc)
    {
        if (!AtomicOps.TryApply64(ref Unsafe.AsRef<long>(p), op, (long)reg[src], (long)reg[0], out long old))
            throw new UnreachableException($"atomic op 0x{(int)op:x} at slot {pc} passed validation");
        if (op == AtomicOp.CmpXchg) reg[0] = (ulong)old;
        else if (AtomicOps.Fetches(op)) reg[src] = (ulong)old;
    }

    // MOVSX: offset 0 is a plain move; 8/16/32 sign-extend that many low bits (32-bit form: to 32 bits, then zero-extend).
    private static ulong MovSx64(ulong v, short width) => width switch
    {
        8 => (ulong)(long)(sbyte)v,
        16 => (ulong)(long)(short)v,
        32 => (ulong)(long)(int)v,
        _ => v,
    };

    private static ulong MovSx32(ulong v, short width) => width switch
    {
        8 => (uint)(int)(sbyte)v,
        16 => (uint)(int)(short)v,
        _ => (uint)v,
    };

    private static ulong ByteSwap(ulong v, int width) => width switch
    {
        16 => BinaryPrimitives.ReverseEndianness((ushort)v),
        32 => BinaryPrimitives.ReverseEndianness((uint)v),
        _ => BinaryPrimitives.ReverseEndianness(v),
    };

    private static bool[] FindFunctionEntries(Instruction[] program)
    {
        var entry = new bool[program.Length];
        entry[0] = true;
        for (int pc = 0; pc < program.Length; pc += program[pc].Width)
        {
            if (Branches.NamesFunction(program[pc]) && Branches.TryGetTarget(program[pc], pc, out long target)) entry[target] = true;
        }

        return entry;
    }

    [DoesNotReturn]
    private static void ThrowAccess(MemoryMap memory, ulong address, int size, bool write, int pc) =>
        ThrowFault(
            ErrorCode.MemoryFault,
            pc,
            $"out of bounds {(write ? "write" : "read")} of {size} bytes at 0x{address:x}: outside every region the program may {(write ? "write" : "read")} ({memory.Describe()})",
            address,
            size);

    [DoesNotReturn]
    private static void ThrowFellOffEnd(int pc) =>
        ThrowFault(ErrorCode.FellOffEnd, pc - 1, $"execution ran past the last instruction (slot {pc - 1}) without exit", 0, 0);

    [DoesNotReturn]
    private void ThrowBudget(int pc) =>
        ThrowFault(ErrorCode.InstructionBudgetExceeded, pc, $"instruction budget of {_budget} exhausted (runaway loop?)", 0, 0);

    [DoesNotReturn]
    private static void ThrowUnsupported(int pc, string reason) => ThrowFault(ErrorCode.UnsupportedInstruction, pc, reason, 0, 0);

    [DoesNotReturn]
    private static T ThrowUnsupported<T>(int pc, string reason) => throw new BpfFaultException(ErrorCode.UnsupportedInstruction, reason, pc);

    [DoesNotReturn]
    private static void ThrowFault(ErrorCode code, int pc, string reason, ulong address, int size) =>
        throw new BpfFaultException(code, reason, pc, address, size);
}
