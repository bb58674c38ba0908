using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;
using HeteroBpf.Jit.Arm64;

namespace HeteroBpf.Devices.Unicorn;

/// <summary>Limits of an <see cref="Arm64Executor"/>.</summary>
public sealed record Arm64ExecutorOptions
{
    /// <summary>Default back-edge budget: as many backward jumps as the interpreter's default instruction budget.</summary>
    public const long DefaultBackEdgeBudget = 100_000_000;

    /// <summary>
    /// Backward jumps a run may take before it is stopped as runaway (code translated with
    /// <see cref="Arm64TranslatorOptions.CountBackEdges"/>). Each is at least one executed instruction, so a program
    /// within the interpreter's instruction budget is within this one.
    /// </summary>
    public long BackEdgeBudget { get; init; } = DefaultBackEdgeBudget;

    /// <summary>
    /// For code without access checks: make the emulator's PC exact at a fault (a no-op read/write hook, one callback
    /// per access) so that the fault names its slot; off, a fault names the first slot of its translation block.
    /// </summary>
    public bool PrecisePc { get; init; } = true;
}

/// <summary>
/// Runs one translated program (<see cref="Arm64Code"/>) on one emulated ARM64 core, run after run. Every native block
/// is mapped at the guest address equal to its host address (host user-space addresses are below 2^47, valid guest
/// addresses), so pointers mean the same on both sides: the run's regions, map values and the stack are the host's own
/// memory, and helpers from <see cref="HelperRegistry"/> run on the host over device memory when the code traps (a BRK
/// with the helper id in a stub the linker appends). Faults name the eBPF slot, as the interpreter's do.
/// </summary>
/// <remarks>
/// Mapped: the code (read/execute), a one-page run context, a machine stack for saved registers, the eBPF data stack
/// (one page of 8 × 512-byte frames with unmapped pages on both sides) and the pages of the run's regions, kept from one
/// run to the next while they stay the same (no mapping churn in the steady state). Code translated without access
/// checks touches whole pages: an access past a region inside a page it shares with other memory is not caught.
/// Not thread-safe: one run at a time.
/// </remarks>
public sealed unsafe class Arm64Executor : IDisposable
{
    private const ulong Page = 4096;
    private const ulong ControlStackBytes = 16 * 1024;

    private readonly Arm64Code _code;
    private readonly List<Segment> _segments = [];
    private readonly HelperRegistry _helpers;
    private readonly long _budget;
    private readonly Arm64Core _core;
    private readonly uint[] _words;
    private readonly int _stubStart;
    private readonly byte* _codeBlock;
    private readonly ulong _codeBytes;
    private readonly byte* _context;
    private readonly byte* _entryPage;
    private readonly byte* _controlStack;
    private readonly byte* _dataStackBlock;
    private readonly ulong _stackTop;
    private readonly ulong _exit;

    // Pages of run regions mapped now (start, length, writable), sorted and merged; _needed is the scratch for the next run.
    private (ulong Start, ulong Length, bool Writable)[] _mapped = new (ulong, ulong, bool)[8];
    private int _mappedCount;
    private (ulong Start, ulong Length, bool Writable)[] _needed = new (ulong, ulong, bool)[8];

    private MemoryMap? _memory;
    private int _stackRegion;

    // Device memory mapped once for the executor's life (MapDeviceMemory): run regions inside it need no mapping of their own.
    private readonly List<(ulong Start, ulong End)> _pinned = [];
    private bool _firmwareRun;
    private BpfFaultException? _fault;
    private ulong _faultPc;
    private readonly bool _precisePc;

    /// <summary>Links <paramref name="code"/> (helper stubs appended) and maps it into a new core.</summary>
    /// <exception cref="UnicornUnavailableException">libunicorn.so.2 is missing.</exception>
    public Arm64Executor(Arm64Code code, HelperRegistry helpers, Arm64ExecutorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(helpers);
        _code = code;
        _helpers = helpers;
        _budget = (options ?? new Arm64ExecutorOptions()).BackEdgeBudget;
        _words = Link(code, out _stubStart);
        _core = new Arm64Core();
        try
        {
            _codeBytes = RoundUp((ulong)_words.Length * 4);
            _codeBlock = Allocate(_codeBytes);
            new Span<uint>(_codeBlock, _words.Length).Clear();
            _words.AsSpan().CopyTo(new Span<uint>(_codeBlock, _words.Length));
            // Each start and stop is at an address of a page of its own (X16 = the code, BR X16; then the exit NOP), so
            // whatever Unicorn does to the translation at those addresses on every uc_emu_start spares the program's blocks.
            _entryPage = Allocate(Page);
            var entry = new A64Encoder(8);
            entry.MovConstant(A64Width.X64, A64Register.X16, (ulong)_codeBlock);
            entry.Br(A64Register.X16);
            _exit = (ulong)_entryPage + (ulong)entry.Count * 4;
            entry.Nop();
            entry.Words.CopyTo(new Span<uint>(_entryPage, entry.Count));
            _context = Allocate(Page);
            _controlStack = Allocate(ControlStackBytes);
            // Three pages: only the middle one is mapped, so the pages around the eBPF stack fault.
            _dataStackBlock = Allocate(3 * Page);
            new Span<byte>(_dataStackBlock, (int)(3 * Page)).Clear();
            _stackTop = (ulong)_dataStackBlock + 2 * Page;

            _core.MapHostMemory((ulong)_codeBlock, (nuint)_codeBytes, (IntPtr)_codeBlock, UnicornProtection.Read | UnicornProtection.Exec);
            _segments.Add(new Segment((ulong)_codeBlock, _words, _stubStart, code, IntPtr.Zero));
            _core.MapHostMemory((ulong)_entryPage, (nuint)Page, (IntPtr)_entryPage, UnicornProtection.Read | UnicornProtection.Exec);
            _core.MapHostMemory((ulong)_context, (nuint)Page, (IntPtr)_context, UnicornProtection.Read | UnicornProtection.Write);
            _core.MapHostMemory((ulong)_controlStack, (nuint)ControlStackBytes, (IntPtr)_controlStack, UnicornProtection.Read | UnicornProtection.Write);
            _core.MapHostMemory(_stackTop - Page, (nuint)Page, (IntPtr)(_stackTop - Page), UnicornProtection.Read | UnicornProtection.Write);
            _core.OnException = OnTrap;
            _core.OnInvalidMemory = OnInvalidMemory;
            // Without checks a fault is the emulator's: its PC must be exact to name the slot.
            _precisePc = (options ?? new Arm64ExecutorOptions()).PrecisePc;
            if (!code.CheckedAccesses && _precisePc) _core.EnablePrecisePc();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The linked code as mapped (translated words, then helper stubs).</summary>
    public ReadOnlySpan<uint> LinkedWords => _words;

    /// <summary>The guest (and host) address of word 0.</summary>
    public ulong CodeAddress => (ulong)_codeBlock;

    /// <summary>Where a tail call enters this executor's own program (for a program array entry).</summary>
    public ulong TailCallEntry => (ulong)_codeBlock + (ulong)_code.TailCallEntryWord * 4;

    /// <summary>
    /// Links and maps another translated program into this core so that a <c>bpf_tail_call</c> can reach it; gives the
    /// address to write in an <see cref="Arm64ProgramArray"/> entry. Its faults name its own slots.
    /// </summary>
    public ulong AddTailCallTarget(Arm64Code code)
    {
        ArgumentNullException.ThrowIfNull(code);
        uint[] words = Link(code, out int stubStart);
        ulong bytes = RoundUp((ulong)words.Length * 4);
        byte* block = Allocate(bytes);
        words.AsSpan().CopyTo(new Span<uint>(block, words.Length));
        try
        {
            _core.MapHostMemory((ulong)block, (nuint)bytes, (IntPtr)block, UnicornProtection.Read | UnicornProtection.Exec);
        }
        catch
        {
            Free(block);
            throw;
        }

        _segments.Add(new Segment((ulong)block, words, stubStart, code, (IntPtr)block));
        if (!code.CheckedAccesses && _precisePc) _core.EnablePrecisePc();
        return (ulong)block + (ulong)code.TailCallEntryWord * 4;
    }

    /// <summary>
    /// Maps a whole block of host-owned device memory (page-aligned) into this core at its own address for the
    /// executor's life, read/write: run regions inside it are then reached without per-run mapping, and helpers that
    /// move the packet within it never leave mapped memory.
    /// </summary>
    public void MapDeviceMemory(ulong start, ulong length, bool executable = false)
    {
        if ((start & (Page - 1)) != 0 || (length & (Page - 1)) != 0 || length == 0) throw new ArgumentException($"device memory 0x{start:x} + 0x{length:x} is not whole pages");
        _core.MapHostMemory(start, (nuint)length, (IntPtr)start, executable ? UnicornProtection.Read | UnicornProtection.Exec : UnicornProtection.Read | UnicornProtection.Write);
        _pinned.Add((start, start + length));
    }

    /// <summary>
    /// During <see cref="RunFirmware"/>, called at every trap (helper call, fault) with the value of
    /// <see cref="FirmwareCursor"/>, by which the firmware names the packet in hand: the host points the run's memory
    /// map at that packet before the helper runs or the fault is described.
    /// </summary>
    public Action<MemoryMap, ulong>? FirmwarePacket { get; set; }

    /// <summary>
    /// The register <see cref="FirmwarePacket"/> reads at a trap (X23 by default: callee-saved and no eBPF register,
    /// so translated code never writes it).
    /// </summary>
    public A64Register FirmwareCursor { get; set; } = A64Register.X23;

    /// <summary>The value of <see cref="FirmwareCursor"/> now: after a firmware run stopped by a fault, the packet it stopped at.</summary>
    public ulong FirmwareCursorValue => _core.ReadRegister(FirmwareCursor);

    /// <summary>
    /// Runs device firmware (code in an executable block given to <see cref="MapDeviceMemory"/>) at
    /// <paramref name="entry"/> with X0, X1, X3, X4 as given, X2 = the run context, SP = the top of the machine stack
    /// and X30 = the exit: one emulator entry for whatever the firmware does (e.g. a batch of packets, each entering
    /// this executor's program, at <see cref="ProgramEntry"/> or <see cref="TailCallEntry"/>).
    /// </summary>
    /// <exception cref="BpfFaultException">The program faulted (the batch stops there).</exception>
    public ulong RunFirmware(ulong entry, MemoryMap memory, ulong x0, ulong x1, ulong x3, ulong x4)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _core.WriteRegister(A64Register.X3, x3);
        _core.WriteRegister(A64Register.X4, x4);
        _firmwareRun = true;
        try
        {
            return RunFrom(entry, memory, x0, x1).ReturnValue;
        }
        finally
        {
            _firmwareRun = false;
        }
    }

    /// <summary>The address of the first word of this executor's own program (what a firmware calls per packet).</summary>
    public ulong ProgramEntry => (ulong)_codeBlock;

    // One linked program in the core: where it is, its words, where its helper stubs start.
    private sealed record Segment(ulong Base, uint[] Words, int StubStart, Arm64Code Code, IntPtr OwnedBlock)
    {
        public long WordOf(ulong pc) => (long)(pc - Base) / 4;

        public bool Contains(ulong pc) => pc >= Base && pc - Base < (ulong)Words.Length * 4;
    }

    private Segment? SegmentAt(ulong pc)
    {
        foreach (var segment in _segments)
        {
            if (segment.Contains(pc)) return segment;
        }

        return null;
    }

    /// <summary>
    /// Runs once with R1 and R2 set over the regions of <paramref name="memory"/> (the first packet region also serves
    /// legacy packet loads). Gives R0; the instruction count is not kept by translated code and is reported as 0.
    /// </summary>
    /// <exception cref="BpfFaultException">The program faulted.</exception>
    public ExecutionResult Run(MemoryMap memory, ulong r1 = 0, ulong r2 = 0)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return RunFrom((ulong)_entryPage, memory, r1, r2);
    }

    private ExecutionResult RunFrom(ulong start, MemoryMap memory, ulong r1, ulong r2)
    {
        SyncMappings(memory);
        FillContext(memory);
        _memory = memory;
        _fault = null;
        _stackRegion = memory.Add(new MemoryRegion(_stackTop - (ulong)Abi.FrameSize, (ulong)Abi.FrameSize, RegionKind.Stack, true));
        try
        {
            _core.WriteRegister(A64Register.X0, r1);
            _core.WriteRegister(A64Register.X1, r2);
            _core.WriteRegister(A64Register.X2, (ulong)_context);
            _core.WriteRegister(A64Register.X30, _exit);
            _core.Sp = (ulong)_controlStack + ControlStackBytes;
            try
            {
                _core.Run(start, _exit);
            }
            catch (UnicornException) when (_fault is null && _core.LastFault is { } fault)
            {
                throw AccessFault(SlotAt(_faultPc), fault.Address, fault.Size, fault.Access is UnicornMemoryAccess.WriteUnmapped or UnicornMemoryAccess.WriteProtected, memory);
            }

            if (_fault is { } trapped) throw trapped;
            if (_core.Pc != _exit) throw new InvalidOperationException($"the ARM64 core stopped at 0x{_core.Pc:x}, not at the exit");
            return new ExecutionResult(_core.ReadRegister(A64Register.X0), 0);
        }
        finally
        {
            memory.RemoveAt(_stackRegion);
            _memory = null;
        }
    }

    /// <summary>Unmaps everything and frees the native blocks.</summary>
    public void Dispose()
    {
        _core.Dispose();
        Free(_codeBlock);
        foreach (var segment in _segments)
        {
            if (segment.OwnedBlock != IntPtr.Zero) Free((byte*)segment.OwnedBlock);
        }
        Free(_context);
        Free(_entryPage);
        Free(_controlStack);
        Free(_dataStackBlock);
    }

    private static void Free(byte* block)
    {
        if (block != null) NativeMemory.AlignedFree(block);
    }

    // The translated words and a stub "BRK #id; RET" per helper the code calls (its BLs patched to it).
    private static uint[] Link(Arm64Code code, out int stubStart)
    {
        var e = new A64Encoder(code.Words.Length + 2 * code.Relocations.Length);
        foreach (uint w in code.Words) e.Emit(w);
        stubStart = e.Count;
        var stubs = new Dictionary<int, int>();
        var scratch = new A64Encoder(1);
        foreach (var r in code.Relocations)
        {
            if (!stubs.TryGetValue(r.Target, out int at))
            {
                at = e.Count;
                stubs[r.Target] = at;
                e.Brk((ulong)r.Target);
                e.Ret();
            }

            scratch.Clear();
            scratch.Bl(at - r.WordIndex);
            e.Patch(r.WordIndex, scratch.Words[0]);
        }

        return e.Words.ToArray();
    }

    private static ulong RoundUp(ulong bytes) => (bytes + Page - 1) & ~(Page - 1);

    private static byte* Allocate(ulong bytes)
    {
        var p = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, (nuint)Page);
        new Span<byte>(p, (int)bytes).Clear();
        return p;
    }

    private void FillContext(MemoryMap memory)
    {
        ulong* c = (ulong*)_context;
        c[Arm64RunContext.StackTop / 8] = _stackTop;
        c[Arm64RunContext.Budget / 8] = (ulong)_budget;
        c[Arm64RunContext.DepthLimit / 8] = _stackTop - (ulong)(Abi.FrameSize * (Abi.MaxCallFrames - 2));
        if (memory.TryFind(RegionKind.Packet, out var packet))
        {
            c[Arm64RunContext.PacketStart / 8] = packet.Start;
            c[Arm64RunContext.PacketLength / 8] = packet.Length;
        }
        else
        {
            c[Arm64RunContext.PacketStart / 8] = 0;
            c[Arm64RunContext.PacketLength / 8] = 0;
        }

        FillRegionTable(memory, -1);
    }

    // The region table of checked accesses: every region of the run but the one at index skip (the stack, checked apart).
    private void FillRegionTable(MemoryMap memory, int skip)
    {
        ulong* c = (ulong*)_context;
        var regions = memory.Regions;
        if (regions.Length > Arm64RunContext.MaxRegions) ThrowTooManyRegions(regions.Length);
        ulong* table = c + Arm64RunContext.Regions / 8;
        int n = 0;
        for (int i = 0; i < regions.Length; i++)
        {
            if (i == skip) continue;
            table[3 * n] = regions[i].Start;
            table[3 * n + 1] = regions[i].Length;
            table[3 * n + 2] = regions[i].Writable ? 1UL : 0UL;
            n++;
        }

        c[Arm64RunContext.RegionCount / 8] = (ulong)n;
    }

    [DoesNotReturn]
    private static void ThrowTooManyRegions(int count) =>
        throw new ArgumentException($"{count} memory regions: the ARM64 run context holds at most {Arm64RunContext.MaxRegions}");

    // Maps the pages of the run's regions at their own addresses; unchanged pages stay mapped from the last run.
    private void SyncMappings(MemoryMap memory)
    {
        int count = 0;
        foreach (var r in memory.Regions)
        {
            if (r.Length == 0 || InPinned(r.Start, r.End)) continue;
            ulong start = r.Start & ~(Page - 1), end = RoundUp(r.End);
            if (count == _needed.Length) Array.Resize(ref _needed, count * 2);
            _needed[count++] = (start, end - start, r.Writable);
        }

        // Sort by start (a handful of regions: insertion sort), then merge overlapping or touching pages.
        for (int i = 1; i < count; i++)
        {
            var x = _needed[i];
            int j = i - 1;
            while (j >= 0 && _needed[j].Start > x.Start)
            {
                _needed[j + 1] = _needed[j];
                j--;
            }

            _needed[j + 1] = x;
        }

        int merged = 0;
        for (int i = 0; i < count; i++)
        {
            var x = _needed[i];
            if (merged > 0 && x.Start <= _needed[merged - 1].Start + _needed[merged - 1].Length)
            {
                ref var last = ref _needed[merged - 1];
                ulong end = Math.Max(last.Start + last.Length, x.Start + x.Length);
                last = (last.Start, end - last.Start, last.Writable | x.Writable);
            }
            else _needed[merged++] = x;
        }

        if (merged == _mappedCount && _needed.AsSpan(0, merged).SequenceEqual(_mapped.AsSpan(0, merged))) return;
        for (int i = 0; i < _mappedCount; i++) _core.Unmap(_mapped[i].Start, (nuint)_mapped[i].Length);
        _mappedCount = 0;
        if (_mapped.Length < merged) _mapped = new (ulong, ulong, bool)[_needed.Length];
        for (int i = 0; i < merged; i++)
        {
            var x = _needed[i];
            _core.MapHostMemory(x.Start, (nuint)x.Length, (IntPtr)x.Start, x.Writable ? UnicornProtection.Read | UnicornProtection.Write : UnicornProtection.Read);
            _mapped[_mappedCount++] = x;
        }
    }

    private bool InPinned(ulong start, ulong end)
    {
        foreach (var (s, e) in _pinned)
        {
            if (start >= s && end <= e) return true;
        }

        return false;
    }

    // Unicorn syncs PC for memory hooks but not when uc_emu_start returns with the error: keep the faulting PC here.
    private bool OnInvalidMemory(Arm64Core core, UnicornMemoryFault fault)
    {
        _faultPc = core.Pc;
        return false;
    }

    private int SlotAt(ulong pc) => SegmentAt(pc) is { } segment ? segment.Code.SlotOfWord(segment.WordOf(pc)) : -1;

    // The slot of the BL that brought the code to a shared routine.
    private int SlotOfCaller(Arm64Core core) => SlotAt(core.ReadRegister(A64Register.X30) - 4);

    private void OnTrap(Arm64Core core, uint number)
    {
        ulong pc = core.Pc;
        var segment = SegmentAt(pc);
        // Under firmware the region table is the truth (the firmware writes each packet's entries): the host's view
        // follows it before any helper or fault message reads the memory map.
        if (_firmwareRun && FirmwarePacket is { } follow) follow(_memory!, core.ReadRegister(FirmwareCursor));

        if (number != Arm64Exception.Breakpoint || segment is null)
        {
            Fail(core, new BpfFaultException(ErrorCode.MemoryFault, $"the ARM64 core took exception {number} at 0x{pc:x} (a misaligned atomic access or an unexpected instruction)", SlotAt(pc), pc));
            return;
        }

        long word = segment.WordOf(pc);
        int imm = (int)((segment.Words[word] >> 5) & 0xffff);
        if (imm < Arm64Trap.FirstSpecial)
        {
            CallHelper(core, pc, segment, word, imm);
            return;
        }

        var program = segment.Code.Program;
        switch ((ushort)imm)
        {
            case Arm64Trap.FellOffEnd:
                Fail(core, new BpfFaultException(ErrorCode.FellOffEnd, $"execution ran past the last instruction (slot {program.Length - 1}) without exit", program.Length - 1));
                break;
            case Arm64Trap.CallDepth:
                Fail(core, new BpfFaultException(ErrorCode.CallDepthExceeded, $"call depth exceeds {Abi.MaxCallFrames} frames", SlotAt(pc)));
                break;
            case Arm64Trap.CallxDepth:
                Fail(core, new BpfFaultException(ErrorCode.CallDepthExceeded, $"call depth exceeds {Abi.MaxCallFrames} frames", SlotOfCaller(core)));
                break;
            case Arm64Trap.Budget:
                Fail(core, new BpfFaultException(ErrorCode.InstructionBudgetExceeded, $"back-edge budget of {_budget} exhausted (runaway loop?)", SlotAt(pc)));
                break;
            case Arm64Trap.CallxNotFunction:
                {
                    int slot = SlotOfCaller(core);
                    ulong target = core.ReadRegister(A64Register.X9);
                    Fail(core, new BpfFaultException(ErrorCode.MemoryFault, $"callx r{program[slot].DstNumber}: 0x{target:x} is not the address of a function of this program", slot, target));
                    break;
                }

            case Arm64Trap.TailCallDepth:
                Fail(core, new BpfFaultException(ErrorCode.UnsupportedInstruction, "bpf_tail_call from a subprogram or callback is not supported (the interpreter refuses it too)", SlotAt(pc)));
                break;
            case Arm64Trap.AccessFault:
                Fail(core, AccessFault(SlotOfCaller(core), core.ReadRegister(A64Register.X10), (int)core.ReadRegister(A64Register.X11), core.ReadRegister(A64Register.X12) != 0, _memory!));
                break;
            default:
                Fail(core, new BpfFaultException(ErrorCode.UnsupportedInstruction, $"unknown trap 0x{imm:x} in ARM64 code at 0x{pc:x}", SlotAt(pc)));
                break;
        }
    }

    private void CallHelper(Arm64Core core, ulong pc, Segment segment, long word, int imm)
    {
        // In a linker stub the call site is LR − 4 and the id the stub's; inline (an id no helper can have) it is here.
        bool stub = word >= segment.StubStart;
        int slot = stub ? SlotOfCaller(core) : SlotAt(pc);
        int id = stub ? imm : segment.Code.Program[slot].Imm;
        if (!_helpers.TryGet(id, out var helper))
        {
            Fail(core, new BpfFaultException(ErrorCode.UnknownHelper, $"helper {HelperIds.Describe(id)} is not available here", slot));
            return;
        }

        // The helper may check stack pointers: the stack region is the current call chain's frames.
        ulong frameLow = core.ReadRegister(A64Register.X25) - (ulong)Abi.FrameSize;
        var memory = _memory!;
        memory.Set(_stackRegion, new MemoryRegion(frameLow, _stackTop - frameLow, RegionKind.Stack, true));
        var call = new HelperCall
        {
            R1 = core.ReadRegister(A64Register.X0),
            R2 = core.ReadRegister(A64Register.X1),
            R3 = core.ReadRegister(A64Register.X2),
            R4 = core.ReadRegister(A64Register.X3),
            R5 = core.ReadRegister(A64Register.X4),
            Memory = memory,
            Slot = slot,
        };
        try
        {
            ulong r0 = helper(ref call);
            // A helper may move regions (the XDP adjust helpers move the packet): checked code reads the table again.
            if (_code.CheckedAccesses) FillRegionTable(memory, _stackRegion);
            core.WriteRegister(Arm64RegisterMap.Of(0), r0);
            core.Pc = pc + 4;
        }
        catch (BpfFaultException fault)
        {
            Fail(core, fault);
        }
    }

    private void Fail(Arm64Core core, BpfFaultException fault)
    {
        _fault ??= fault;
        core.Stop();
    }

    private static BpfFaultException AccessFault(int slot, ulong address, int size, bool write, MemoryMap memory) =>
        new(
            ErrorCode.MemoryFault,
            $"out of bounds {(write ? "write" : "read")} of {size} bytes at 0x{address:x}: outside every region the program may {(write ? "write" : "read")} ({memory.Describe()})",
            slot,
            address,
            size);
}
