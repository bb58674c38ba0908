using System.Collections.Frozen;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;
using HeteroBpf.Jit.Arm64;
using HeteroBpf.Maps;
using HeteroBpf.Offload;
using HeteroBpf.Verifier;

namespace HeteroBpf.Devices;

/// <summary>
/// <c>arm64-nic</c>: an emulated ARM64 SmartNIC. A program bound to it is verified with its hooks (from
/// <see cref="DefaultCapabilities"/>), translated from the original bytecode by the ARM64 JIT once per core (map
/// <c>lddw</c>s resolved to device handles, array and per-CPU array lookups inlined, accesses unchecked: the program is
/// verified) and run on one or more emulated ARM64 cores (Unicorn) that share the
/// device memory (<see cref="Arm64NicMemory"/>, below 4 GiB, so the UAPI <c>xdp_md</c> holds real addresses: no context
/// rewrite). XDP helpers are the firmware's (run on the host over device memory when the code traps); maps are allocated
/// by the device and reached by the host only through its map operations.
/// </summary>
public sealed class Arm64NicDevice : OffloadDevice, IDevice
{
    /// <summary>The most emulated cores a NIC may have.</summary>
    public const int MaxCores = 8;

    private const int BufferSlots = 256;
    private const long RawBackEdgeBudget = 1_000_000;

    /// <summary>
    /// The NIC's capability table: every instruction class, atomics and subprograms; the map, clock, checksum and XDP
    /// helpers the firmware implements, <c>bpf_loop</c> (its callback a real call in the translated code) and the ring
    /// buffer and perf output helpers over the neutral channels (host ring buffers and perf event arrays); no
    /// <c>bpf_for_each_map_elem</c> (the translated code cannot walk a host map's keys), tail calls (the device builds
    /// no program arrays) or kfuncs; the sim's map types and limits.
    /// </summary>
    public static DeviceCapabilities DefaultCapabilities { get; } = SimDevice.DefaultCapabilities with
    {
        Isa = "arm64",
        Helpers = FrozenSet.Create(
            HelperId.MapLookupElem, HelperId.MapUpdateElem, HelperId.MapDeleteElem, HelperId.MapPushElem, HelperId.MapPopElem, HelperId.MapPeekElem,
            HelperId.KtimeGetNs, HelperId.KtimeGetBootNs, HelperId.Jiffies64, HelperId.GetPrandomU32, HelperId.GetSmpProcessorId, HelperId.CsumDiff,
            HelperId.XdpAdjustHead, HelperId.XdpAdjustMeta, HelperId.XdpAdjustTail, HelperId.Redirect, HelperId.RedirectMap, HelperId.Loop,
            HelperId.RingbufOutput, HelperId.RingbufReserve, HelperId.RingbufSubmit, HelperId.RingbufDiscard, HelperId.RingbufQuery, HelperId.PerfEventOutput),
        // Host ring buffers and perf event arrays: the helpers (traps to the host) append the records to the host map,
        // whose data pages the cores map like any map value (a reserved record is written by the program in place).
        NeutralChannels = FrozenSet.Create(MapType.RingBuf, MapType.PerfEventArray),
    };

    /// <summary>An ARM64 NIC called <paramref name="name"/> with <paramref name="ports"/> ports and <paramref name="cores"/> emulated cores.</summary>
    /// <exception cref="HbpfException">A core count outside 1–<see cref="MaxCores"/> (HB9140).</exception>
    public Arm64NicDevice(string name = "arm64-nic", int ports = 1, int cores = 1, DeviceCapabilities? capabilities = null)
        : base(name, capabilities ?? DefaultCapabilities, ports)
    {
        if (cores is < 1 or > MaxCores) throw new HbpfException(ErrorCode.NicBadCores, $"{name}: {cores} cores; the NIC has 1 to {MaxCores}");
        Cores = cores;
    }

    /// <inheritdoc/>
    public string Description => "emulated ARM64 SmartNIC: programs translated by the ARM64 JIT run on Unicorn ARM64 cores over device memory below 4 GiB, UAPI xdp_md";

    /// <summary>Emulated cores every program loaded on this device runs on (1–<see cref="MaxCores"/>), fixed when the device is made.</summary>
    public int Cores { get; }

    /// <summary>The conformance path (no binding): the program translated with every access checked, run on one core over a copy of the input in a device buffer.</summary>
    /// <exception cref="UnicornUnavailableException">libunicorn.so.2 is missing.</exception>
    public IDeviceProgram Load(Instruction[] program) => Load(program, HelperRegistry.Basic);

    // The conformance path with other host helpers (the differential test's deterministic ones).
    internal IDeviceProgram Load(Instruction[] program, HelperRegistry helpers)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (!InstructionDecoder.TryValidate(program, out var error)) throw error.ToException();
        // Atomics on the host, as for bound programs (the same code path the differential test then checks).
        var code = Arm64Translator.Translate(program, new Arm64TranslatorOptions { HostAtomics = true });
        return new RawProgram(this, new Arm64Executor(code, Arm64HostAtomics.AddTo(helpers), new Arm64ExecutorOptions { BackEdgeBudget = RawBackEdgeBudget }));
    }

    /// <summary>The translation of a program loaded on this device (for <c>prog dump jited</c>), or null when it is not an <c>arm64-nic</c> program.</summary>
    public static Arm64Code? TranslationOf(BpfDeviceProgram program) => (program ?? throw new ArgumentNullException(nameof(program))).Code is Arm64NicCode code ? code.Code : null;

    /// <summary>
    /// Runs a batch of packets through the firmware loop (the NIC's receive path): each core takes an equal share with
    /// one emulator entry, and the completions (action and new data offsets) come back per packet, in order.
    /// </summary>
    /// <exception cref="HbpfException">A program of another device (HB9103), more packets than RX buffers or a packet over a frame (HB9111).</exception>
    /// <exception cref="DeviceRemovedException">The device was removed.</exception>
    /// <exception cref="BpfFaultException">The program faulted.</exception>
    public void RunBatch(BpfDeviceProgram program, IReadOnlyList<byte[]> packets, Span<NicCompletion> completions)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(packets);
        if (program.Device != this) throw new HbpfException(ErrorCode.OffloadWrongDevice, $"program '{program.Spec.Name}' is bound to device '{program.Device.Name}', not to '{Name}'");
        using var held = EnterReadForRaw(out _);
        if (program.IsOrphaned || program.Code is not Arm64NicCode code) throw new DeviceRemovedException(Name, $"cannot run program '{program.Spec.Name}'");
        code.RunBatch(packets, completions);
    }

    /// <summary>
    /// Runs a batch through the firmware loop as <see cref="RunBatch(BpfDeviceProgram, IReadOnlyList{byte[]}, Span{NicCompletion})"/>
    /// does, giving per packet what a test-run of it alone gives (<paramref name="results"/>: action, data out,
    /// context, redirect) or its fault (<paramref name="faults"/>; the rest of the batch still runs): <c>hbpf run</c>'s path.
    /// </summary>
    /// <exception cref="HbpfException">A program of another device (HB9103), more packets than RX buffers or a packet over a frame (HB9111).</exception>
    /// <exception cref="DeviceRemovedException">The device was removed.</exception>
    public void RunBatch(BpfDeviceProgram program, IReadOnlyList<byte[]> packets, DeviceTestRunResult?[] results, BpfFaultException?[] faults)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(packets);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(faults);
        if (program.Device != this) throw new HbpfException(ErrorCode.OffloadWrongDevice, $"program '{program.Spec.Name}' is bound to device '{program.Device.Name}', not to '{Name}'");
        using var held = EnterReadForRaw(out _);
        if (program.IsOrphaned || program.Code is not Arm64NicCode code) throw new DeviceRemovedException(Name, $"cannot run program '{program.Spec.Name}'");
        code.RunBatch(packets, results, faults);
    }

    /// <summary>Packets one emulated core takes per emulator entry in <c>hbpf run</c> (its ring holds <see cref="RingEntries"/>).</summary>
    public const int BatchPerCore = 128;

    /// <summary>RX buffers of the device: the most packets in flight (one batch, or test-runs) at a time.</summary>
    public const int RxBuffers = BufferSlots;

    /// <summary>RX descriptors (and completions) in one core's ring: the most packets a core takes per batch.</summary>
    public const int RingEntries = Arm64NicMemory.RingEntries;

    /// <inheritdoc/>
    protected override DeviceDomain CreateDomain() => new Arm64NicMemory(this, BufferSlots);

    /// <inheritdoc/>
    protected override IDeviceMapOps AllocateMap(DeviceDomain domain, MapSpec spec) => new NicMap(BpfMap.Create(spec));

    /// <inheritdoc/>
    protected override DeviceCode Translate(DeviceDomain domain, VerifiedProgram program, IReadOnlyList<BpfDeviceMap> maps) =>
        Translate(domain, program, maps.Select(m => (MapRef)m).ToArray());

    /// <inheritdoc/>
    /// <remarks>
    /// A neutral channel is the host map itself, as on the sim: the ring buffer and perf output helpers run on the host
    /// when the code traps and append to it (a real NIC would DMA the record to the host, whose driver appends it).
    /// </remarks>
    protected override DeviceCode Translate(DeviceDomain domain, VerifiedProgram program, IReadOnlyList<MapRef> maps)
    {
        var memory = (Arm64NicMemory)domain;
        var live = maps.Select(m => m.Host ?? ((NicMap)m.Device!.Ops).Map).ToArray();
        var mapHelpers = new MapHelpers(live);
        var insns = LddwResolver.Resolve(program.Program, live.Length, MapHelpers.HandleOf, (index, offset) => LddwResolver.ArrayValueAddress(live[index], offset));
        var helpers = Arm64HostAtomics.AddTo(new SimXdpHelpers(mapHelpers).AddTo(mapHelpers.AddTo(HelperRegistry.Basic)));
        // One translation per core: a per-CPU array's lookup is inlined as an array of that core's CPU (core c is CPU
        // c mod the possible CPUs, as the host helpers see it during the core's runs), so each core's code has its own
        // value addresses; everything else is the same.
        var codes = new Arm64Code[Cores];
        for (int core = 0; core < codes.Length; core++) codes[core] = Arm64Translator.Translate(insns, TranslatorOptions(live, program, Arm64NicCode.CpuOf(core)));
        return new Arm64NicCode(memory, codes, helpers, LddwResolver.ValueRegions(live), HasTailCalls(insns));
    }

    // The NIC's translation choices for the core acting as CPU cpu. Accesses go unchecked: the program is verified
    // (every reached load, store and helper memory argument proven within its object), so the region table the
    // checks read, which the firmware would have to rewrite per packet, is never read. Frames are not zeroed (a
    // verified program never reads stack it did not write). Array maps are inlined (values at a fixed stride in the
    // map's own block), per-CPU arrays too, at this CPU's column of the index-major block. Each core is its own
    // Unicorn instance whose A64 atomics are atomic only within it: every eBPF atomic runs on the host (Interlocked on
    // the one device block all cores map), so cores run programs with atomics in parallel.
    private static Arm64TranslatorOptions TranslatorOptions(BpfMap[] live, VerifiedProgram program, int cpu)
    {
        var arrays = new Dictionary<ulong, Arm64ArrayMapLayout>();
        for (int i = 0; i < live.Length; i++)
        {
            if (live[i].Type is not (MapType.Array or MapType.PerCpuArray) || live[i].ValueMemory.Count != 1) continue;
            var (start, _) = live[i].ValueMemory[0];
            uint stride = (uint)((live[i].ValueSize + 7) & ~7);
            arrays[MapHelpers.HandleOf(i)] = live[i].Type == MapType.Array
                ? new Arm64ArrayMapLayout((ulong)start, stride, (uint)live[i].MaxEntries)
                : new Arm64ArrayMapLayout((ulong)start + ((ulong)cpu * stride), stride * (uint)BpfMap.PossibleCpus, (uint)live[i].MaxEntries);
        }

        return new Arm64TranslatorOptions { ArrayMaps = arrays, Facts = program.Facts, ZeroFrames = false, CheckAccesses = false, HostAtomics = true };
    }

    private static bool HasTailCalls(Instruction[] insns) =>
        insns.Any(i => InstructionForms.Of(i.OpCode).Kind == InstructionKind.Call && i.SrcNumber == (byte)CallKind.Helper && i.Imm == (int)HelperId.TailCall);

    // A NIC map: a live map with the kernel's semantics in a native block the device allocated (mapped into its cores
    // by identity when a program uses it), freed with the device.
    private sealed class NicMap(BpfMap map) : IDeviceMapOps
    {
        public BpfMap Map => map;

        public int UserValueSize => map.UserValueSize;

        public Errno Lookup(ReadOnlySpan<byte> key, Span<byte> value) => map.Lookup(key, value);

        public Errno Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, UpdateFlags flags) => map.Update(key, value, flags);

        public Errno Delete(ReadOnlySpan<byte> key) => map.Delete(key);

        public Errno GetNextKey(ReadOnlySpan<byte> key, Span<byte> next) => map.GetNextKey(key, next);

        public void Dispose() => map.Dispose();
    }

    // The raw-run convention of IDeviceProgram.Execute: the input is copied into a device buffer (the only region), run
    // with R1 = its device address and R2 = its length, and copied back.
    private sealed unsafe class RawProgram(Arm64NicDevice device, Arm64Executor executor) : IDeviceProgram
    {
        private bool _mapped;

        public IDevice Device => device;

        public ExecutionResult Execute(Span<byte> memory)
        {
            if (memory.Length > DeviceTestRun.FrameSize) throw new HbpfException(ErrorCode.DeviceRunInput, $"{device.Name}: {memory.Length} bytes do not fit a device buffer ({DeviceTestRun.FrameSize})");
            using var held = device.EnterReadForRaw(out var domain);
            var nic = (Arm64NicMemory)domain;
            byte* slot = nic.Rent();
            if (slot is null) throw new HbpfException(ErrorCode.DeviceRunInput, $"{device.Name}: all {nic.Slots} packet buffers are busy");
            var map = MemoryMap.ForThisThread();
            try
            {
                lock (executor)
                {
                    if (!_mapped)
                    {
                        executor.MapDeviceMemory(nic.Base, nic.Length);
                        _mapped = true;
                    }

                    // The input ends where the buffer's page ends, so a read past it leaves device memory at once.
                    byte* at = slot + DeviceTestRun.FrameSize - memory.Length;
                    memory.CopyTo(new Span<byte>(at, memory.Length));
                    try
                    {
                        if (!memory.IsEmpty) map.Add(new MemoryRegion((ulong)at, (ulong)memory.Length, RegionKind.Packet, true));
                        return executor.Run(map, memory.IsEmpty ? 0 : (ulong)at, (ulong)memory.Length);
                    }
                    finally
                    {
                        new Span<byte>(at, memory.Length).CopyTo(memory);
                    }
                }
            }
            finally
            {
                map.Clear();
                nic.Return(slot);
            }
        }

        public void Dispose()
        {
            lock (executor) executor.Dispose();
        }
    }
}
