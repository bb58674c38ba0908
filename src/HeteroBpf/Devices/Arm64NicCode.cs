using System.Runtime.CompilerServices;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Helpers;
using HeteroBpf.Jit.Arm64;
using HeteroBpf.Offload;

namespace HeteroBpf.Devices;

/// <summary>
/// A program as the <c>arm64-nic</c> translated it: A64 code (<see cref="Arm64Code"/>) linked into one
/// <see cref="Arm64Executor"/> per emulated core, each core with the whole device memory mapped at its own address.
/// A run takes a free core, builds the frame and its UAPI <c>xdp_md</c> in a device slot, enters the core with
/// X0 = the context's device address and reads the action and the new data offsets back from the context.
/// </summary>
internal sealed unsafe class Arm64NicCode : DeviceCode
{
    private readonly Arm64NicMemory _memory;
    private readonly Arm64Executor[] _cores;
    private readonly MemoryRegion[] _mapRegions;
    private int _disposed;

    public Arm64NicCode(Arm64NicMemory memory, Arm64Code code, HelperRegistry helpers, MemoryRegion[] mapRegions, int cores)
    {
        _memory = memory;
        _mapRegions = mapRegions;
        Code = code;
        _cores = new Arm64Executor[cores];
        try
        {
            ulong deviceBase = memory.Base;
            for (int i = 0; i < cores; i++)
            {
                _cores[i] = new Arm64Executor(code, helpers);
                _cores[i].MapDeviceMemory(deviceBase, memory.Length);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The translation.</summary>
    public Arm64Code Code { get; }

    /// <summary>The emulated cores this program runs on.</summary>
    public int Cores => _cores.Length;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override DeviceTestRunResult RunXdp(in DeviceXdpInput input, uint repeat)
    {
        byte* slot = _memory.Rent();
        if (slot is null) throw new HbpfException(ErrorCode.DeviceRunInput, $"{_memory.Device.Name}: all {_memory.Slots} packet buffers are busy");
        var core = TakeCore();
        var memory = MemoryMap.ForThisThread();
        try
        {
            var ctx = (SimContext*)(slot + Arm64NicMemory.ContextOffset);
            byte* meta = slot + DeviceTestRun.Headroom - input.MetaLength;
            // A buffer starts zeroed: no earlier packet shows in its headroom.
            new Span<byte>(slot, DeviceTestRun.Headroom - input.MetaLength).Clear();
            input.Data.CopyTo(new Span<byte>(meta, input.Data.Length));
            *ctx = default;
            ctx->HardStart = (uint)(ulong)slot;
            ctx->HardEnd = (uint)(ulong)(slot + DeviceTestRun.FrameSize - DeviceTestRun.TailroomReserve);
            ctx->DataMeta = (uint)(ulong)meta;
            ctx->Data = (uint)(ulong)(meta + input.MetaLength);
            ctx->DataEnd = (uint)(ulong)(meta + input.Data.Length);
            ctx->IngressIfindex = input.IngressIfindex;
            ctx->RxQueueIndex = input.RxQueueIndex;
            memory.Add(new MemoryRegion((ulong)ctx, SimContext.ProgramVisible, RegionKind.Context, false));
            memory.Add(new MemoryRegion(0, 0, RegionKind.PacketMeta, true));
            memory.Add(new MemoryRegion(0, 0, RegionKind.Packet, true));
            foreach (var region in _mapRegions) memory.Add(region);
            ExecutionResult result = default;
            for (uint i = 0; i < repeat; i++)
            {
                ctx->RedirectKind = 0;
                SimXdpHelpers.SyncRegions(memory, ctx);
                result = core.Run(memory, (ulong)ctx);
            }

            var output = new ReadOnlySpan<byte>((void*)(ulong)ctx->DataMeta, (int)(ctx->DataEnd - ctx->DataMeta)).ToArray();
            var context = new DeviceXdpContext(ctx->Data - ctx->DataMeta, ctx->DataEnd - ctx->DataMeta);
            int redirectMap = ctx->RedirectKind is 2 or 3 ? (int)((ctx->RedirectMap - MapHelpers.HandleBase) / 8) : -1;
            return new DeviceTestRunResult(Errno.Ok, (uint)result.ReturnValue, output, context, result.InstructionCount, ctx->RedirectKind, ctx->RedirectTarget, redirectMap);
        }
        finally
        {
            memory.Clear();
            Monitor.Exit(core);
            _memory.Return(slot);
        }
    }

    // A free core (each runs one packet at a time); when all are busy, wait for the first.
    private Arm64Executor TakeCore()
    {
        foreach (var core in _cores)
        {
            if (Monitor.TryEnter(core)) return core;
        }

        Monitor.Enter(_cores[0]);
        return _cores[0];
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
