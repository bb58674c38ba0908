using System.Diagnostics;
using System.Runtime.InteropServices;
using HeteroBpf.Helpers;
using HeteroBpf.Offload;

namespace HeteroBpf.Xdp;

/// <summary>What one XDP run returned.</summary>
/// <param name="Retval">R0 as the kernel reports it (low 32 bits).</param>
/// <param name="Action">The action taken: <see cref="XdpAction.Aborted"/> for any value that is not an action, as the kernel treats it.</param>
/// <param name="Instructions">Instructions executed.</param>
public readonly record struct XdpVerdict(uint Retval, XdpAction Action, long Instructions);

/// <summary>
/// One packet frame and context for running an XDP program on the host, reused from packet to packet (no allocation
/// per run); one per worker thread. The frame has the kernel's test-run geometry: a 4096-byte page, 256 bytes of
/// headroom (the first 40 kept for <c>xdp_frame</c>), 320 bytes at the end reserved for <c>skb_shared_info</c>.
/// </summary>
public sealed unsafe class XdpRunner : IDisposable
{
    /// <summary>XDP_PACKET_HEADROOM.</summary>
    public const int Headroom = 256;

    /// <summary>The frame: one page.</summary>
    public const int FrameSize = 4096;

    /// <summary>SKB_DATA_ALIGN(sizeof(struct skb_shared_info)): tailroom the packet never grows into.</summary>
    public const int TailroomReserve = 320;

    /// <summary>The longest packet (metadata included) a frame holds: 3520 bytes.</summary>
    public const int MaxData = FrameSize - Headroom - TailroomReserve;

    private readonly BpfCollection _collection;
    private readonly BpfProgram _program;
    private byte* _block;
    private readonly XdpBuff* _ctx;
    private readonly byte* _frame;

    // The runner's own regions, kept from run to run: context, metadata and packet (indices below; their bounds are
    // set from the context at the start of each run), then the program's map values. A run adds only its stack.
    private readonly MemoryMap _memory = new();
    private const int PacketRegion = 2; // after the context (0) and the metadata (1)

    /// <summary>A runner for <paramref name="program"/>, an XDP program of <paramref name="collection"/> loaded with <see cref="XdpOps"/>.</summary>
    public XdpRunner(BpfCollection collection, BpfProgram program)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(program);
        if (program.Spec.Type != ProgramType.Xdp)
        {
            throw new HbpfException(ErrorCode.WrongProgramType, $"program '{program.Spec.Name}' (section {program.Spec.SectionName}) is of type {program.Spec.Type}, not XDP");
        }

        _collection = collection;
        _program = program;
        _block = (byte*)NativeMemory.AlignedAlloc(FrameSize + 128, 64);
        _frame = _block;
        _ctx = (XdpBuff*)(_block + FrameSize);
        *_ctx = default;
        _memory.Add(new MemoryRegion((ulong)_ctx, XdpBuff.ProgramVisible, RegionKind.Context, false));
        _memory.Add(new MemoryRegion(0, 0, RegionKind.PacketMeta, true));
        _memory.Add(new MemoryRegion(0, 0, RegionKind.Packet, true));
        foreach (var region in program.MapRegions) _memory.Add(region);
        Load([], 0);
    }

    /// <summary>The program run.</summary>
    public BpfProgram Program => _program;

    /// <summary>Packet bytes from data to data_end, as the last run left them.</summary>
    public ReadOnlySpan<byte> Packet => new((void*)_ctx->Data, (int)(_ctx->DataEnd - _ctx->Data));

    /// <summary>Metadata and packet, from data_meta to data_end (what test-run copies out).</summary>
    public ReadOnlySpan<byte> Output => new((void*)_ctx->DataMeta, (int)(_ctx->DataEnd - _ctx->DataMeta));

    /// <summary>The context as test-run reports it: offsets from data_meta.</summary>
    public XdpMd Context => new(
        (uint)(_ctx->Data - _ctx->DataMeta), (uint)(_ctx->DataEnd - _ctx->DataMeta), 0, _ctx->IngressIfindex, _ctx->RxQueueIndex, _ctx->EgressIfindex);

    /// <summary>Where the last run's redirect goes (kind <see cref="XdpRedirectKind.None"/> when it set none).</summary>
    public XdpRedirect Redirect
    {
        get
        {
            var kind = _ctx->RedirectKind;
            if (kind is XdpRedirectKind.None or XdpRedirectKind.Interface) return new(kind, _ctx->RedirectTarget);
            int index = (int)((_ctx->RedirectMap - MapHelpers.HandleBase) / 8);
            string? name = (uint)index < (uint)_collection.Maps.Length ? _collection.Maps[index].Spec.Name : null;
            return new(kind, _ctx->RedirectTarget, name, _ctx->RedirectFlags);
        }
    }

    /// <summary>
    /// Puts <paramref name="data"/> in the frame (its first <paramref name="metaLength"/> bytes are metadata, the rest
    /// the packet, which starts after the headroom) with the given receive queue.
    /// </summary>
    /// <exception cref="ArgumentException">More than <see cref="MaxData"/> bytes, or metadata longer than the data.</exception>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Load(ReadOnlySpan<byte> data, int metaLength, uint ingressIfindex = 0, uint rxQueueIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_block is null, this);
        if (data.Length > MaxData) throw new ArgumentException($"{data.Length} bytes do not fit a frame (at most {MaxData})", nameof(data));
        if ((uint)metaLength > (uint)data.Length || metaLength > Headroom - XdpHelpers.FrameHeader) throw new ArgumentOutOfRangeException(nameof(metaLength));
        byte* meta = _frame + Headroom - metaLength;
        // The kernel's test-run frame starts zeroed; a reused frame must not show the previous packet in its headroom.
        new Span<byte>(_frame, Headroom - metaLength).Clear();
        data.CopyTo(new Span<byte>(meta, data.Length));
        _ctx->HardStart = (ulong)_frame;
        _ctx->HardEnd = (ulong)(_frame + FrameSize - TailroomReserve);
        _ctx->DataMeta = (ulong)meta;
        _ctx->Data = (ulong)(meta + metaLength);
        _ctx->DataEnd = (ulong)(meta + data.Length);
        _ctx->IngressIfindex = ingressIfindex;
        _ctx->RxQueueIndex = rxQueueIndex;
        _ctx->EgressIfindex = 0;
    }

    /// <summary>Runs the program once over the frame as it is (a second run sees what the first left, as repeated kernel test-runs do).</summary>
    /// <exception cref="BpfFaultException">The program faulted (it would not have passed the kernel's verifier).</exception>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public XdpVerdict Run()
    {
        ObjectDisposedException.ThrowIf(_block is null, this);
        _ctx->RedirectKind = XdpRedirectKind.None;
        var memory = _memory;
        Debug.Assert(memory.Count == PacketRegion + 1 + _program.MapRegions.Length, "a run leaves the runner's regions as it found them");
        XdpHelpers.SyncRegions(memory, _ctx);
        ExecutionResult result = _program.RunWithMapRegions(memory, (ulong)_ctx);
        uint retval = (uint)result.ReturnValue;
        return new XdpVerdict(retval, retval <= (uint)XdpAction.Redirect ? (XdpAction)retval : XdpAction.Aborted, result.InstructionCount);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_block is null) return;
        NativeMemory.AlignedFree(_block);
        _block = null;
    }
}
