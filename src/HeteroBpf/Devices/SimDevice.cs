using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;
using HeteroBpf.Maps;
using HeteroBpf.Offload;
using HeteroBpf.Verifier;

namespace HeteroBpf.Devices;

/// <summary>
/// <c>sim</c>: a simulated offload device, the counterpart of the kernel's netdevsim, that really runs what it is given:
/// programs bound at load, verified with its hooks, "translated" (the original bytecode with map handles, no context
/// rewrite) and run by the reference interpreter inside the device's own memory (<see cref="SimMemory"/>: frames
/// below 4 GiB with the UAPI <c>xdp_md</c>, maps it allocated). Switches refuse binding, verification, attach and map
/// creation; a delay stretches verification; a small map limit comes from its capability table.
/// </summary>
public sealed class SimDevice : OffloadDevice, IDevice
{
    private const int FrameSlots = 64;
    private const int RawLimit = DeviceTestRun.FrameSize;

    /// <summary>The sim's capability table: every instruction class, atomics and subprograms, the XDP, map, clock, checksum, ring buffer and perf output helpers, the common map types up to 64-byte keys, 4 KiB values and 65,536 entries, 16 maps, and host ring buffers and perf event arrays as neutral channels.</summary>
    public static DeviceCapabilities DefaultCapabilities { get; } = new()
    {
        Isa = "ebpf",
        ProgramTypes = FrozenSet.Create(ProgramType.Xdp),
        InstructionClasses = FrozenSet.Create(OpClass.Ld, OpClass.Ldx, OpClass.St, OpClass.Stx, OpClass.Alu, OpClass.Alu64, OpClass.Jmp, OpClass.Jmp32),
        Atomics = true,
        Subprograms = true,
        Helpers = FrozenSet.Create(
            HelperId.MapLookupElem, HelperId.MapUpdateElem, HelperId.MapDeleteElem, HelperId.MapPushElem, HelperId.MapPopElem, HelperId.MapPeekElem,
            HelperId.KtimeGetNs, HelperId.KtimeGetBootNs, HelperId.Jiffies64, HelperId.GetPrandomU32, HelperId.GetSmpProcessorId, HelperId.CsumDiff,
            HelperId.XdpAdjustHead, HelperId.XdpAdjustMeta, HelperId.XdpAdjustTail, HelperId.Redirect, HelperId.RedirectMap, HelperId.Loop,
            HelperId.RingbufOutput, HelperId.RingbufReserve, HelperId.RingbufSubmit, HelperId.RingbufDiscard, HelperId.RingbufQuery, HelperId.PerfEventOutput),
        MapTypes = new Dictionary<MapType, MapLimits>
        {
            [MapType.Array] = new(4, 4096, 65536),
            [MapType.PerCpuArray] = new(4, 4096, 65536),
            [MapType.Hash] = new(64, 4096, 65536),
            [MapType.PerCpuHash] = new(64, 4096, 65536),
            [MapType.LruHash] = new(64, 4096, 65536),
            [MapType.LpmTrie] = new(64, 4096, 65536),
            [MapType.ArrayOfMaps] = new(4, 4, 1024),
            [MapType.Queue] = new(0, 4096, 65536),
            [MapType.Stack] = new(0, 4096, 65536),
            [MapType.BloomFilter] = new(0, 4096, 65536),
            [MapType.DevMap] = new(4, 8, 1024),
            [MapType.DevMapHash] = new(4, 8, 1024),
        }.ToFrozenDictionary(),
        MaxMaps = 16,
        StackSize = 512,
        MaxInstructions = 4096,
        // Down to the end of the headroom after xdp_frame, up to ETH_HLEN before the end of the largest packet.
        AdjustHead = new AdjustHeadRange(-(DeviceTestRun.Headroom - DeviceTestRun.FrameHeader), DeviceTestRun.MaxData - DeviceTestRun.EthernetHeader),
        RxQueuesPerPort = 4,
        // Host ring buffers and perf event arrays: the device's helpers write their records into the host map.
        NeutralChannels = FrozenSet.Create(MapType.RingBuf, MapType.PerfEventArray),
    };

    /// <summary>A sim device called <paramref name="name"/> with <paramref name="ports"/> ports and the given capability table (default <see cref="DefaultCapabilities"/>).</summary>
    public SimDevice(string name = "sim", int ports = 1, DeviceCapabilities? capabilities = null)
        : base(name, capabilities ?? DefaultCapabilities, ports)
    {
    }

    /// <inheritdoc/>
    public string Description => "simulated offload device (netdevsim-like): bound programs run by the interpreter in the device's own 32-bit memory, UAPI xdp_md";

    /// <summary>Switch: refuse to bind programs at load.</summary>
    public bool RefuseBinding { get; set; }

    /// <summary>Switch: refuse every program at verification (its <c>prepare</c> hook).</summary>
    public bool RefuseVerification { get; set; }

    /// <summary>Switch: refuse to attach programs.</summary>
    public bool RefuseAttaching { get; set; }

    /// <summary>Switch: refuse to create maps.</summary>
    public bool RefuseMapCreation { get; set; }

    /// <summary>Switch: refuse the verifier's dead-code rewrites (its <c>replace_insn</c> and <c>remove_insns</c> hooks), which fails the load.</summary>
    public bool RefuseRewrites { get; set; }

    // What each verification's replace_insn/remove_insns hooks asked, in order: the sim applies them to its own copy.
    private readonly ConditionalWeakTable<VerifiedProgram, List<DeadCodeEdit>> _edits = new();

    /// <summary>The rewrites the verifier's hooks gave the sim for <paramref name="program"/>, in order (empty when none).</summary>
    public IReadOnlyList<DeadCodeEdit> RewritesOf(VerifiedProgram program)
    {
        lock (_edits) return _edits.TryGetValue(program, out var list) ? [.. list] : [];
    }

    /// <inheritdoc/>
    protected override string? ReplaceInstruction(VerifiedProgram program, int slot, Instruction replacement) =>
        Record(program, new DeadCodeEdit(slot, 0, replacement));

    /// <inheritdoc/>
    protected override string? RemoveInstructions(VerifiedProgram program, int slot, int count) =>
        Record(program, new DeadCodeEdit(slot, count, default));

    private string? Record(VerifiedProgram program, DeadCodeEdit edit)
    {
        if (RefuseRewrites) return edit.IsRemoval ? "remove_insns refused (switch)" : "replace_insn refused (switch)";
        lock (_edits) _edits.GetOrCreateValue(program).Add(edit);
        return null;
    }

    /// <summary>How long the <c>prepare</c> hook sleeps (netdevsim's <c>bpf_bind_verifier_delay</c>), with the device's lock held for reading.</summary>
    public TimeSpan VerificationDelay { get; set; }

    /// <summary>The conformance path (no binding): runs <paramref name="program"/> raw over a copy of the input in device memory.</summary>
    /// <exception cref="DeviceRemovedException">The device has no port.</exception>
    public IDeviceProgram Load(Instruction[] program)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (!InstructionDecoder.TryValidate(program, out var error)) throw error.ToException();
        return new RawProgram(this, new BpfInterpreter(program, HelperRegistry.Basic));
    }

    /// <inheritdoc/>
    protected override DeviceDomain CreateDomain() => new SimMemory(this, FrameSlots);

    /// <inheritdoc/>
    protected override IDeviceMapOps AllocateMap(DeviceDomain domain, MapSpec spec) => new SimMap(BpfMap.Create(spec));

    /// <inheritdoc/>
    protected override string? RefuseBind(ProgramSpec program) => RefuseBinding ? "binding refused (switch)" : null;

    /// <inheritdoc/>
    protected override string? RefuseMap(MapSpec spec) => RefuseMapCreation ? "map creation refused (switch)" : null;

    /// <inheritdoc/>
    protected internal override string? RefuseAttach(BpfDeviceProgram program) => RefuseAttaching ? "attach refused (switch)" : null;

    /// <summary>Programs inside the <c>prepare</c> hook right now (what a test waits for before removing the device mid-verification).</summary>
    public int VerificationsInProgress => Volatile.Read(ref _verifying);

    private int _verifying;

    /// <inheritdoc/>
    protected override string? Prepare(ProgramSpec program)
    {
        Interlocked.Increment(ref _verifying);
        try
        {
            if (VerificationDelay > TimeSpan.Zero) Thread.Sleep(VerificationDelay);
            return RefuseVerification ? "verification refused (switch)" : null;
        }
        finally
        {
            Interlocked.Decrement(ref _verifying);
        }
    }

    /// <inheritdoc/>
    protected override DeviceCode Translate(DeviceDomain domain, VerifiedProgram program, IReadOnlyList<BpfDeviceMap> maps) =>
        Translate(domain, program, maps.Select(m => (MapRef)m).ToArray());

    /// <inheritdoc/>
    /// <remarks>
    /// A neutral channel is the host map itself: the sim's ring buffer and perf output helpers append to it directly, where
    /// a real device would queue the record and DMA it to the host, whose driver appends it (the NFP's control messages).
    /// </remarks>
    protected override DeviceCode Translate(DeviceDomain domain, VerifiedProgram program, IReadOnlyList<MapRef> maps)
    {
        var memory = (SimMemory)domain;
        var live = maps.Select(m => m.Host ?? ((SimMap)m.Device!.Ops).Map).ToArray();
        var mapHelpers = new MapHelpers(live);
        // The sim runs the optimized bytecode: its own copy with every rewrite its hooks accepted, applied in order.
        var own = program.Program.Instructions.ToArray();
        foreach (var edit in RewritesOf(program))
        {
            if (edit.IsRemoval) own = DeadCode.RemoveInstructions(own, edit.Slot, edit.Count);
            else own[edit.Slot] = edit.Replacement;
        }

        var insns = LddwResolver.Resolve(program.Program with { Instructions = [.. own] }, live.Length, MapHelpers.HandleOf, (index, offset) => LddwResolver.ArrayValueAddress(live[index], offset));
        var helpers = new SimXdpHelpers(mapHelpers).AddTo(mapHelpers.AddTo(HelperRegistry.Basic));
        var options = new InterpreterOptions { Maps = handle => mapHelpers.TryResolve(handle, out var m) ? m : null };
        return new SimCode(memory, insns, helpers, LddwResolver.ValueRegions(live), options);
    }

    // A sim map: a live map with the kernel's semantics, allocated by the device and freed with it.
    private sealed class SimMap(BpfMap map) : IDeviceMapOps
    {
        public BpfMap Map => map;

        public int UserValueSize => map.UserValueSize;

        public Errno Lookup(ReadOnlySpan<byte> key, Span<byte> value) => map.Lookup(key, value);

        public Errno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, UpdateFlags flags) => map.Update(key, value, flags);

        public Errno Delete(ReadOnlySpan<byte> key) => map.Delete(key);

        public Errno GetNextKey(ReadOnlySpan<byte> key, Span<byte> next) => map.GetNextKey(key, next);

        public void Dispose() => map.Dispose();
    }

    // The raw-run convention of IDeviceProgram.Execute inside the device: the input is copied into a device frame (the
    // only region), run with R1 = its device address and R2 = its length, and copied back.
    private sealed unsafe class RawProgram(SimDevice device, BpfInterpreter interpreter) : IDeviceProgram
    {
        public IDevice Device => device;

        public ExecutionResult Execute(Span<byte> memory)
        {
            if (memory.Length > RawLimit) throw new HbpfException(ErrorCode.DeviceRunInput, $"{device.Name}: {memory.Length} bytes do not fit a device frame ({RawLimit})");
            using var held = device.EnterReadForRaw(out var domain);
            var sim = (SimMemory)domain;
            byte* slot = sim.Rent();
            if (slot is null) throw new HbpfException(ErrorCode.DeviceRunInput, $"{device.Name}: all {sim.Slots} frames are busy");
            var map = MemoryMap.ForThisThread();
            try
            {
                memory.CopyTo(new Span<byte>(slot, memory.Length));
                map.Add(new MemoryRegion((ulong)slot, (ulong)memory.Length, RegionKind.Packet, true));
                return interpreter.Run(map, memory.IsEmpty ? 0 : (ulong)slot, (ulong)memory.Length);
            }
            finally
            {
                map.Clear();
                new Span<byte>(slot, memory.Length).CopyTo(memory);
                sim.Return(slot);
            }
        }

        public void Dispose()
        {
        }
    }
}
