using System.Runtime.CompilerServices;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;
using HeteroBpf.Maps;
using HeteroBpf.Offload;

namespace HeteroBpf.Devices;

/// <summary>
/// The sim's context after each frame: the UAPI <c>struct xdp_md</c> as programs read it (device addresses are 32-bit,
/// so <c>data</c>, <c>data_end</c> and <c>data_meta</c> hold real addresses), then fields only the device's firmware
/// helpers see.
/// </summary>
internal struct SimContext
{
    public const int ProgramVisible = 24;

    public uint Data;           // 0  xdp_md.data
    public uint DataEnd;        // 4  xdp_md.data_end
    public uint DataMeta;       // 8  xdp_md.data_meta
    public uint IngressIfindex; // 12 xdp_md.ingress_ifindex
    public uint RxQueueIndex;   // 16 xdp_md.rx_queue_index
    public uint EgressIfindex;  // 20 xdp_md.egress_ifindex
    public uint HardStart;      // the frame's first byte
    public uint HardEnd;        // the last byte data_end may reach
    public uint RedirectKind;   // 0 none, 1 interface, 2 map, 3 broadcast
    public uint RedirectTarget;
    public ulong RedirectMap;   // the map's handle
    public uint RedirectFlags;

    /// <summary>
    /// Lays one test-run input into the zeroed-headroom frame at <paramref name="frame"/> (the kernel's test-run
    /// geometry), fills the context at <paramref name="ctx"/> and gives <paramref name="memory"/> the run's regions:
    /// the context, metadata and packet (placed by <see cref="SimXdpHelpers.SyncRegions"/>), and the map values.
    /// </summary>
    public static unsafe void Prepare(SimContext* ctx, byte* frame, in DeviceXdpInput input, MemoryMap memory, MemoryRegion[] mapRegions)
    {
        byte* meta = frame + DeviceTestRun.Headroom - input.MetaLength;
        // A frame starts zeroed: no earlier packet shows in its headroom.
        new Span<byte>(frame, DeviceTestRun.Headroom - input.MetaLength).Clear();
        input.Data.CopyTo(new Span<byte>(meta, input.Data.Length));
        *ctx = default;
        ctx->HardStart = (uint)(ulong)frame;
        ctx->HardEnd = (uint)(ulong)(frame + DeviceTestRun.FrameSize - DeviceTestRun.TailroomReserve);
        ctx->DataMeta = (uint)(ulong)meta;
        ctx->Data = (uint)(ulong)(meta + input.MetaLength);
        ctx->DataEnd = (uint)(ulong)(meta + input.Data.Length);
        ctx->IngressIfindex = input.IngressIfindex;
        ctx->RxQueueIndex = input.RxQueueIndex;
        memory.Add(new MemoryRegion((ulong)ctx, ProgramVisible, RegionKind.Context, false));
        memory.Add(new MemoryRegion(0, 0, RegionKind.PacketMeta, true));
        memory.Add(new MemoryRegion(0, 0, RegionKind.Packet, true));
        foreach (var region in mapRegions) memory.Add(region);
    }

    /// <summary>Clears the redirect a run may leave and points the packet regions at the context's current bounds: before every repeat.</summary>
    public static unsafe void BeginRun(SimContext* ctx, MemoryMap memory)
    {
        ctx->RedirectKind = 0;
        SimXdpHelpers.SyncRegions(memory, ctx);
    }

    /// <summary>What the last run of a frame gave: return value, data out (metadata included), context and redirect.</summary>
    public static unsafe DeviceTestRunResult Result(SimContext* ctx, in ExecutionResult result)
    {
        var output = new ReadOnlySpan<byte>((void*)(ulong)ctx->DataMeta, (int)(ctx->DataEnd - ctx->DataMeta)).ToArray();
        var context = new DeviceXdpContext(ctx->Data - ctx->DataMeta, ctx->DataEnd - ctx->DataMeta);
        int redirectMap = ctx->RedirectKind is 2 or 3 ? (int)((ctx->RedirectMap - MapHelpers.HandleBase) / 8) : -1;
        return new DeviceTestRunResult(Errno.Ok, (uint)result.ReturnValue, output, context, result.InstructionCount, ctx->RedirectKind, ctx->RedirectTarget, redirectMap);
    }
}

/// <summary>
/// A program as the sim's translator leaves it: the original bytecode with map <c>lddw</c>s resolved to the device's map
/// handles (no context rewrite), run by the reference interpreter over the device's memory only: a frame of
/// <see cref="SimMemory"/>, its UAPI context, and the values of the program's device maps.
/// </summary>
internal sealed unsafe class SimCode : DeviceCode
{
    private readonly SimMemory _memory;
    private readonly BpfInterpreter _interpreter;
    private readonly MemoryRegion[] _mapRegions;

    public SimCode(SimMemory memory, Instruction[] instructions, HelperRegistry helpers, MemoryRegion[] mapRegions, InterpreterOptions options)
    {
        _memory = memory;
        _mapRegions = mapRegions;
        _interpreter = new BpfInterpreter(instructions, helpers, options);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override DeviceTestRunResult RunXdp(in DeviceXdpInput input, uint repeat)
    {
        byte* slot = _memory.Rent();
        if (slot is null) throw new HbpfException(ErrorCode.DeviceRunInput, $"{_memory.Device.Name}: all {_memory.Slots} frames are busy");
        var memory = MemoryMap.ForThisThread();
        try
        {
            var ctx = (SimContext*)(slot + DeviceTestRun.FrameSize);
            SimContext.Prepare(ctx, slot, input, memory, _mapRegions);
            ExecutionResult result = default;
            for (uint i = 0; i < repeat; i++)
            {
                SimContext.BeginRun(ctx, memory);
                result = _interpreter.Run(memory, (ulong)ctx);
            }

            return SimContext.Result(ctx, result);
        }
        finally
        {
            memory.Clear();
            _memory.Return(slot);
        }
    }
}

/// <summary>
/// The sim's firmware helpers for XDP on its UAPI context, with the kernel's bounds and return codes: the packet
/// pointers move within the frame (<c>adjust_head</c> down to the end of the headroom the device keeps, up to ETH_HLEN
/// before the end; <c>adjust_meta</c> in steps of 4 up to 255 bytes; <c>adjust_tail</c> up to the tailroom), and
/// redirects are recorded for the host to read.
/// </summary>
internal sealed unsafe class SimXdpHelpers(MapHelpers maps)
{
    private const ulong EINVAL = unchecked((ulong)-(long)Errno.EINVAL);
    private const ulong EACCES = unchecked((ulong)-(long)Errno.EACCES);
    private const ulong ActionMask = 3;
    private const ulong Broadcast = 1 << 3, ExcludeIngress = 1 << 4;
    private const ulong Redirect = 4;

    public HelperRegistry AddTo(HelperRegistry registry) => registry
        .With(HelperId.XdpAdjustHead, AdjustHead)
        .With(HelperId.XdpAdjustMeta, AdjustMeta)
        .With(HelperId.XdpAdjustTail, AdjustTail)
        .With(HelperId.Redirect, RedirectInterface)
        .With(HelperId.RedirectMap, RedirectMap);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ulong AdjustHead(ref HelperCall call)
    {
        var ctx = Context(ref call, true);
        long delta = (int)call.R2;
        long metaLength = ctx->Data - ctx->DataMeta;
        long data = ctx->Data + delta;
        if (data < ctx->HardStart + DeviceTestRun.FrameHeader + metaLength || data > (long)ctx->DataEnd - DeviceTestRun.EthernetHeader) return EINVAL;
        if (metaLength != 0) Buffer.MemoryCopy((void*)(ulong)ctx->DataMeta, (void*)(ulong)(ctx->DataMeta + delta), metaLength, metaLength);
        ctx->DataMeta = (uint)(ctx->DataMeta + delta);
        ctx->Data = (uint)data;
        SyncRegions(call.Memory, ctx);
        return 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ulong AdjustMeta(ref HelperCall call)
    {
        var ctx = Context(ref call, true);
        long meta = ctx->DataMeta + (long)(int)call.R2;
        if (meta < ctx->HardStart + DeviceTestRun.FrameHeader || meta > ctx->Data) return EINVAL;
        long length = ctx->Data - meta;
        if ((length & 3) != 0 || length > DeviceTestRun.MaxMeta) return EACCES;
        ctx->DataMeta = (uint)meta;
        SyncRegions(call.Memory, ctx);
        return 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ulong AdjustTail(ref HelperCall call)
    {
        var ctx = Context(ref call, true);
        int delta = (int)call.R2;
        long end = ctx->DataEnd + (long)delta;
        if (end > ctx->HardEnd || end < (long)ctx->Data + DeviceTestRun.EthernetHeader) return EINVAL;
        if (delta > 0) new Span<byte>((void*)(ulong)ctx->DataEnd, delta).Clear();
        ctx->DataEnd = (uint)end;
        SyncRegions(call.Memory, ctx);
        return 0;
    }

    private static ulong RedirectInterface(ref HelperCall call)
    {
        var ctx = Context(ref call, false);
        if (call.R2 != 0) return 0; // XDP_ABORTED: XDP takes no flags
        ctx->RedirectKind = 1;
        ctx->RedirectTarget = (uint)call.R1;
        ctx->RedirectFlags = 0;
        return Redirect;
    }

    private ulong RedirectMap(ref HelperCall call)
    {
        var ctx = Context(ref call, false);
        if (!maps.TryResolve(call.R1, out var map) || map is not Maps.RedirectMap redirect)
        {
            throw new BpfFaultException(ErrorCode.HelperFault, $"bpf_redirect_map: R1 0x{call.R1:x} is not a devmap, cpumap or xskmap", call.Slot, call.R1, 0);
        }

        ulong flags = call.R3;
        ulong allowed = ActionMask | (map.Type is MapType.DevMap or MapType.DevMapHash ? Broadcast | ExcludeIngress : 0);
        if ((flags & ~allowed) != 0) return 0;
        uint key = (uint)call.R2;
        if ((flags & Broadcast) != 0)
        {
            ctx->RedirectKind = 3;
        }
        else if (redirect.TryGetTarget(key, out _))
        {
            ctx->RedirectKind = 2;
        }
        else
        {
            ctx->RedirectKind = 0;
            return flags & ActionMask;
        }

        ctx->RedirectMap = call.R1;
        ctx->RedirectTarget = key;
        ctx->RedirectFlags = (uint)flags;
        return Redirect;
    }

    // The run's context; the adjust helpers take it as R1 itself (the verifier insists; runs may be unverified).
    private static SimContext* Context(ref HelperCall call, bool inR1)
    {
        if (!call.Memory.TryFind(RegionKind.Context, out var region) || region.Length != SimContext.ProgramVisible)
        {
            throw new BpfFaultException(ErrorCode.HelperFault, "XDP helper called outside an XDP run", call.Slot, call.R1, 0);
        }

        if (inR1 && region.Start != call.R1) throw new BpfFaultException(ErrorCode.HelperFault, $"XDP helper: R1 0x{call.R1:x} is not the context", call.Slot, call.R1, 0);
        return (SimContext*)region.Start;
    }

    // The packet and metadata regions follow the context (before each run and after a helper moved them).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SyncRegions(MemoryMap memory, SimContext* ctx)
    {
        memory.Set(memory.IndexOf(RegionKind.Packet), new MemoryRegion(ctx->Data, ctx->DataEnd - ctx->Data, RegionKind.Packet, true));
        memory.Set(memory.IndexOf(RegionKind.PacketMeta), new MemoryRegion(ctx->DataMeta, ctx->Data - ctx->DataMeta, RegionKind.PacketMeta, true));
    }
}
