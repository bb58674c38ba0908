using System.Runtime.CompilerServices;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Helpers;
using HeteroBpf.Jit.Arm64;
using HeteroBpf.Maps;
using HeteroBpf.Offload;

namespace HeteroBpf.Devices;

/// <summary>One packet's completion: the XDP action the firmware wrote in the completion ring, then data, data_end and data_meta as offsets from the frame's start (the headroom is 256 bytes), which the host reads from the frame's context.</summary>
/// <param name="Action">R0 of the program (the XDP action).</param>
/// <param name="Data">Offset of the packet's first byte in the frame.</param>
/// <param name="DataEnd">Offset one past the packet's last byte.</param>
/// <param name="DataMeta">Offset of the metadata (= Data without metadata).</param>
public readonly record struct NicCompletion(uint Action, uint Data, uint DataEnd, uint DataMeta);

/// <summary>
/// A program as the <c>arm64-nic</c> translated it: A64 code (<see cref="Arm64Code"/>, one translation per core)
/// linked into one <see cref="Arm64Executor"/> per emulated core, each core with the whole device memory mapped at its
/// own address. A test-run takes a free core, builds the frame and its UAPI <c>xdp_md</c> in a device slot, enters the
/// core with X0 = the context's device address and reads the action and the new data offsets back from the context;
/// a batch goes through the firmware's RX loop (<see cref="Arm64NicFirmware"/>), one emulator entry per core.
/// </summary>
internal sealed unsafe class Arm64NicCode : DeviceCode
{
    private readonly Arm64NicMemory _memory;
    private readonly Arm64Executor[] _cores;
    private readonly MemoryRegion[] _mapRegions;
    private readonly ulong _firmware;
    private nint[] _slots = new nint[256]; // the batch's RX buffers (locked while a batch runs)
    private int _disposed;

    public Arm64NicCode(Arm64NicMemory memory, Arm64Code[] codes, HelperRegistry helpers, MemoryRegion[] mapRegions, bool hasTailCalls)
    {
        _memory = memory;
        _mapRegions = mapRegions;
        _firmware = memory.Base + (hasTailCalls ? Arm64NicFirmware.VariantWords * 4UL : 0);
        Code = codes[0];
        _cores = new Arm64Executor[codes.Length];
        try
        {
            ulong deviceBase = memory.Base;
            for (int i = 0; i < codes.Length; i++)
            {
                // The code is unchecked (verified): no per-access hook for exact fault PCs, which would cost a host
                // callback per load and store.
                _cores[i] = new Arm64Executor(codes[i], helpers, new Arm64ExecutorOptions { PrecisePc = false });
                _cores[i].MapDeviceMemory(deviceBase, Arm64NicMemory.FirmwareBytes, executable: true);
                _cores[i].MapDeviceMemory(deviceBase + Arm64NicMemory.FirmwareBytes, memory.Length - Arm64NicMemory.FirmwareBytes);
                _cores[i].FirmwarePacket = PointAtPacket;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The CPU core <paramref name="core"/> acts as for per-CPU maps and <c>bpf_get_smp_processor_id</c>.</summary>
    public static int CpuOf(int core) => core % BpfMap.PossibleCpus;

    /// <summary>The translation (core 0's: the cores' differ only in the addresses of inlined per-CPU values).</summary>
    public Arm64Code Code { get; }

    /// <summary>The emulated cores this program runs on.</summary>
    public int Cores => _cores.Length;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override DeviceTestRunResult RunXdp(in DeviceXdpInput input, uint repeat)
    {
        byte* slot = _memory.Rent();
        if (slot is null) throw new HbpfException(ErrorCode.DeviceRunInput, $"{_memory.Device.Name}: all {_memory.Slots} packet buffers are busy");
        int index = TakeCore();
        var core = _cores[index];
        var memory = MemoryMap.ForThisThread();
        int previousCpu = EnterCpu(CpuOf(index));
        try
        {
            var ctx = (SimContext*)(slot + Arm64NicMemory.ContextOffset);
            SimContext.Prepare(ctx, slot, input, memory, _mapRegions);
            ExecutionResult result = default;
            for (uint i = 0; i < repeat; i++)
            {
                SimContext.BeginRun(ctx, memory);
                result = core.Run(memory, (ulong)ctx);
            }

            return SimContext.Result(ctx, result);
        }
        finally
        {
            LeaveCpu(previousCpu);
            memory.Clear();
            Monitor.Exit(core);
            _memory.Return(slot);
        }
    }

    /// <summary>
    /// Runs a batch through the firmware loop: the packets are DMA'd into RX buffers, each core takes an equal share
    /// (one thread and ONE emulator entry per core for its whole share), and the completions come back per packet.
    /// </summary>
    /// <exception cref="HbpfException">More packets than buffers, or a packet larger than a frame (HB9111).</exception>
    /// <exception cref="BpfFaultException">The program faulted (that core's share stops there).</exception>
    public void RunBatch(IReadOnlyList<byte[]> packets, Span<NicCompletion> completions)
    {
        if (completions.Length < packets.Count) throw new ArgumentException("fewer completions than packets", nameof(completions));
        RunBatch(packets, completions, null, null);
    }

    /// <summary>
    /// Runs a batch through the firmware loop as <see cref="RunBatch(IReadOnlyList{byte[]}, Span{NicCompletion})"/>
    /// does, giving each packet what a test-run of it alone gives (action, data out from the metadata on, context,
    /// redirect) in <paramref name="results"/>, or its fault in <paramref name="faults"/>: the firmware then goes on
    /// with the next packet of that core's share.
    /// </summary>
    /// <exception cref="HbpfException">More packets than buffers, or a packet larger than a frame (HB9111).</exception>
    public void RunBatch(IReadOnlyList<byte[]> packets, DeviceTestRunResult?[] results, BpfFaultException?[] faults)
    {
        if (results.Length < packets.Count || faults.Length < packets.Count) throw new ArgumentException("fewer results than packets", nameof(results));
        RunBatch(packets, default, results, faults);
    }

    private void RunBatch(IReadOnlyList<byte[]> packets, Span<NicCompletion> completions, DeviceTestRunResult?[]? results, BpfFaultException?[]? faults)
    {
        int n = packets.Count;
        int cores = Math.Min(_cores.Length, Math.Max(1, n));
        int share = (n + cores - 1) / cores;
        if (share > Arm64NicMemory.RingEntries) throw new HbpfException(ErrorCode.DeviceRunInput, $"{_memory.Device.Name}: {share} packets per core exceed its ring ({Arm64NicMemory.RingEntries})");
        var slots = _slots.Length >= n ? _slots : _slots = new nint[Math.Max(n, 2 * _slots.Length)];
        lock (slots)
        {
            int rented = 0;
            try
            {
                for (; rented < n; rented++)
                {
                    if (packets[rented].Length > DeviceTestRun.MaxData) throw new HbpfException(ErrorCode.DeviceRunInput, $"{_memory.Device.Name}: packet {rented} of {packets[rented].Length} bytes exceeds a frame ({DeviceTestRun.MaxData})");
                    byte* slot = _memory.Rent();
                    if (slot is null) throw new HbpfException(ErrorCode.DeviceRunInput, $"{_memory.Device.Name}: {n} packets exceed its {_memory.Slots} RX buffers");
                    slots[rented] = (nint)slot;
                    Receive(slot, packets[rented]);
                }

                if (cores == 1)
                {
                    RunShare(0, slots, 0, n, completions, results, faults);
                }
                else
                {
                    var done = results is null ? new NicCompletion[n] : null;
                    Parallel.For(0, cores, new ParallelOptions { MaxDegreeOfParallelism = cores }, c => RunShare(c, slots, c * share, Math.Min(n, (c + 1) * share), done, results, faults));
                    done?.CopyTo(completions);
                }
            }
            finally
            {
                for (int i = 0; i < rented; i++) _memory.Return((byte*)slots[i]);
            }
        }
    }

    // Core c's share [from, to): descriptors into its ring page, one firmware entry (and one more after each fault
    // when faults are kept), then per packet its completion, or its test-run result.
    private void RunShare(int c, nint[] slots, int from, int to, Span<NicCompletion> completions, DeviceTestRunResult?[]? results, BpfFaultException?[]? faults)
    {
        if (to <= from) return;
        var core = _cores[c];
        byte* ring = _memory.RingOf(c);
        var memory = MemoryMap.ForThisThread();
        lock (core)
        {
                int previousCpu = EnterCpu(CpuOf(c));
            try
            {
                for (int i = from; i < to; i++) ((uint*)ring)[i - from] = (uint)(ulong)((byte*)slots[i] + Arm64NicMemory.ContextOffset);
                var first = (SimContext*)((byte*)slots[from] + Arm64NicMemory.ContextOffset);
                memory.Add(new MemoryRegion((ulong)first, SimContext.ProgramVisible, RegionKind.Context, false));
                memory.Add(new MemoryRegion(0, 0, RegionKind.PacketMeta, true));
                memory.Add(new MemoryRegion(0, 0, RegionKind.Packet, true));
                foreach (var region in _mapRegions) memory.Add(region);
                SimXdpHelpers.SyncRegions(memory, first);
                for (int at = from; at < to;)
                {
                    try
                    {
                        core.RunFirmware(_firmware, memory, (ulong)(ring + (4 * (at - from))), (ulong)(to - at), core.TailCallEntry, 0);
                        at = to;
                    }
                    catch (BpfFaultException fault) when (faults is not null)
                    {
                        // The cursor still names the packet that faulted (it moves on only after the completion).
                        int k = from + (int)((core.FirmwareCursorValue - (ulong)ring) / Arm64NicFirmware.DescriptorSize);
                        faults[k] = fault;
                        at = k + 1;
                        if (at < to) PointAtPacket(memory, (ulong)(ring + (4 * (at - from))));
                    }
                }

                var done = (uint*)(ring + Arm64NicMemory.CompletionOffset);
                for (int i = from; i < to; i++)
                {
                    var ctx = (SimContext*)((byte*)slots[i] + Arm64NicMemory.ContextOffset);
                    if (results is not null)
                    {
                        if (faults![i] is null) results[i] = SimContext.Result(ctx, new ExecutionResult(done[i - from], 0));
                        continue;
                    }

                    uint start = ctx->HardStart;
                    completions[i] = new NicCompletion(done[i - from], ctx->Data - start, ctx->DataEnd - start, ctx->DataMeta - start);
                }
            }
            finally
            {
                LeaveCpu(previousCpu);
                memory.Clear();
                }
        }
    }

    // The firmware's trap: the host's view of the run (the context helpers find, the packet regions they check)
    // follows the packet whose descriptor the firmware's cursor register points at.
    private static void PointAtPacket(MemoryMap memory, ulong cursor)
    {
        ulong context = *(uint*)cursor;
        var ctx = (SimContext*)context;
        memory.Set(memory.IndexOf(RegionKind.Context), new MemoryRegion(context, SimContext.ProgramVisible, RegionKind.Context, false));
        SimXdpHelpers.SyncRegions(memory, ctx);
    }

    // A packet DMA'd into an RX buffer: 256 bytes of zeroed headroom, the packet, its xdp_md (no metadata, queue 0).
    private static void Receive(byte* slot, ReadOnlySpan<byte> packet)
    {
        var ctx = (SimContext*)(slot + Arm64NicMemory.ContextOffset);
        byte* data = slot + DeviceTestRun.Headroom;
        new Span<byte>(slot, DeviceTestRun.Headroom).Clear();
        packet.CopyTo(new Span<byte>(data, packet.Length));
        *ctx = default;
        ctx->HardStart = (uint)(ulong)slot;
        ctx->HardEnd = (uint)(ulong)(slot + DeviceTestRun.FrameSize - DeviceTestRun.TailroomReserve);
        ctx->DataMeta = (uint)(ulong)data;
        ctx->Data = (uint)(ulong)data;
        ctx->DataEnd = (uint)(ulong)(data + packet.Length);
        ctx->IngressIfindex = DeviceTestRun.LoopbackIfindex;
    }

    // The thread acts as the core's CPU during its runs (the host helpers' per-CPU values and processor id then agree
    // with the core's inlined per-CPU lookups); what it acted as before comes back after (a thread that had none keeps
    // the CPU it ran on then). Gives the CPU to restore, or NoCpuChange.
    private const int NoCpuChange = -2;

    private static int EnterCpu(int cpu)
    {
        int previous = MapHelpers.CurrentCpu;
        if (previous == cpu) return NoCpuChange;
        MapHelpers.SetThreadCpu(cpu);
        return previous;
    }

    private static void LeaveCpu(int previous)
    {
        if (previous != NoCpuChange) MapHelpers.SetThreadCpu(previous);
    }

    // A free core's index (each runs one packet at a time); when all are busy, wait for the first.
    private int TakeCore()
    {
        for (int i = 0; i < _cores.Length; i++)
        {
            if (Monitor.TryEnter(_cores[i])) return i;
        }

        Monitor.Enter(_cores[0]);
        return 0;
    }

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var core in _cores)
        {
            if (core is null) continue;
            lock (core) core.Dispose();
        }

        base.Dispose();
    }
}
