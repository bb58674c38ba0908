using System.Diagnostics.CodeAnalysis;
using HeteroBpf.Maps;

namespace HeteroBpf.Helpers;

/// <summary>
/// The map helpers (<c>bpf_map_lookup_elem</c>, <c>update</c>, <c>delete</c>, <c>push</c>, <c>pop</c>, <c>peek</c>) over one
/// set of live maps. A program names a map by a handle, the constant a loader puts where the object had a map
/// <c>lddw</c>: <see cref="HandleOf"/> of the map's index, a non-canonical address that can never alias data. The value
/// of a map of maps (what a lookup in it returns) is also accepted as a map: its slot holds the inner map's index.
/// </summary>
/// <remarks>
/// Per-CPU maps use the CPU the calling thread runs on, <see cref="CurrentCpu"/>
/// (<c>Thread.GetCurrentProcessorId() % BpfMap.PossibleCpus</c>), as the kernel uses the CPU running the program.
/// </remarks>
public sealed unsafe class MapHelpers
{
    /// <summary>Where map handles live: map <c>i</c> is <c>HandleBase + i * 8</c>; non-canonical on x86-64 and ARM64.</summary>
    public const ulong HandleBase = 0xbeef_0000_0000_0000;

    private readonly BpfMap[] _maps;

    /// <summary>Helpers over <paramref name="maps"/>; a map's handle is <see cref="HandleOf"/> its index in the list.</summary>
    public MapHelpers(IReadOnlyList<BpfMap> maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        _maps = [.. maps];
        _outerMaps = [.. _maps.Where(m => m.Type is MapType.ArrayOfMaps or MapType.HashOfMaps)];
    }

    // The maps of maps, whose value pointers name inner maps (looked through on every such call, so kept apart).
    private readonly BpfMap[] _outerMaps;

    /// <summary>The handle of map <paramref name="index"/>.</summary>
    public static ulong HandleOf(int index) => HandleBase + (ulong)index * 8;

    /// <summary>The CPU per-CPU values are taken from: the one set by <see cref="SetThreadCpu"/>, else the processor running the calling thread, modulo <see cref="BpfMap.PossibleCpus"/>.</summary>
    public static int CurrentCpu => t_cpu != 0 ? t_cpu - 1 : Thread.GetCurrentProcessorId() % BpfMap.PossibleCpus;

    [ThreadStatic]
    private static int t_cpu; // CPU + 1 when the thread acts as one CPU, else 0

    /// <summary>
    /// Makes the calling thread act as CPU <paramref name="cpu"/> for per-CPU maps and <c>get_smp_processor_id</c> (a
    /// packet worker is its RX queue's CPU, as with RSS); -1 returns to the CPU the thread happens to run on.
    /// </summary>
    public static void SetThreadCpu(int cpu)
    {
        if (cpu < -1 || cpu >= BpfMap.PossibleCpus) throw new ArgumentOutOfRangeException(nameof(cpu), cpu, $"CPUs are 0..{BpfMap.PossibleCpus - 1}");
        t_cpu = cpu + 1;
    }

    /// <summary><paramref name="registry"/> with the map, ring buffer and perf event output helpers over these maps.</summary>
    public HelperRegistry AddTo(HelperRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .With(HelperId.MapLookupElem, Lookup)
            .With(HelperId.MapUpdateElem, Update)
            .With(HelperId.MapDeleteElem, Delete)
            .With(HelperId.MapPushElem, Push)
            .With(HelperId.MapPopElem, Pop)
            .With(HelperId.MapPeekElem, Peek)
            .With(HelperId.PerfEventOutput, PerfEventOutput)
            .With(HelperId.RingbufOutput, RingBufOutput)
            .With(HelperId.RingbufReserve, RingBufReserve)
            .With(HelperId.RingbufSubmit, RingBufSubmit)
            .With(HelperId.RingbufDiscard, RingBufDiscard)
            .With(HelperId.RingbufQuery, RingBufQuery);
    }

    /// <summary>The map a handle (or a map-of-maps value pointer) names, if any.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool TryResolve(ulong handle, [NotNullWhen(true)] out BpfMap? map)
    {
        map = null;
        if (handle >= HandleBase && (handle - HandleBase) % 8 == 0 && (handle - HandleBase) / 8 < (ulong)_maps.Length)
        {
            map = _maps[(handle - HandleBase) / 8];
            return true;
        }

        // A pointer to a map-of-maps value: its 32-bit slot holds the inner map's index. Indexed loops: a foreach over
        // the interface would allocate an enumerator per call.
        foreach (var outer in _outerMaps)
        {
            var memory = outer.ValueMemory;
            for (int i = 0; i < memory.Count; i++)
            {
                var (start, length) = memory[i];
                if (handle >= (ulong)start && handle + 4 <= (ulong)start + (ulong)length)
                {
                    int inner = *(int*)handle;
                    if ((uint)inner >= (uint)_maps.Length) return false;
                    map = _maps[inner];
                    return true;
                }
            }
        }

        return false;
    }

    private BpfMap MapArg(ref HelperCall call, ulong handle)
    {
        if (!TryResolve(handle, out var map)) ThrowNotAMap(ref call, handle);
        return map;
    }

    [DoesNotReturn]
    private static void ThrowNotAMap(ref HelperCall call, ulong handle) =>
        throw new BpfFaultException(ErrorCode.HelperFault, $"helper argument R1: 0x{handle:x} is not a map", call.Slot, handle, 0);

    private static byte* Pointer(Span<byte> bytes, ulong address) => bytes.IsEmpty ? (byte*)address : (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref bytes[0]);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private ulong Lookup(ref HelperCall call)
    {
        var map = MapArg(ref call, call.R1);
        byte* key = Pointer(call.Bytes(call.R2, (ulong)map.KeySize, false, "R2 (key)"), call.R2);
        return (ulong)map.LookupElem(key, CurrentCpu);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private ulong Update(ref HelperCall call)
    {
        var map = MapArg(ref call, call.R1);
        byte* key = Pointer(call.Bytes(call.R2, (ulong)map.KeySize, false, "R2 (key)"), call.R2);
        byte* value = Pointer(call.Bytes(call.R3, (ulong)map.ValueSize, false, "R3 (value)"), call.R3);
        return (ulong)map.UpdateElem(key, value, call.R4, CurrentCpu);
    }

    private ulong Delete(ref HelperCall call)
    {
        var map = MapArg(ref call, call.R1);
        byte* key = Pointer(call.Bytes(call.R2, (ulong)map.KeySize, false, "R2 (key)"), call.R2);
        return (ulong)map.DeleteElem(key);
    }

    private ulong Push(ref HelperCall call)
    {
        var map = MapArg(ref call, call.R1);
        byte* value = Pointer(call.Bytes(call.R2, (ulong)map.ValueSize, false, "R2 (value)"), call.R2);
        return (ulong)map.Push(value, call.R3);
    }

    private ulong Pop(ref HelperCall call)
    {
        var map = MapArg(ref call, call.R1);
        byte* value = Pointer(call.Bytes(call.R2, (ulong)map.ValueSize, true, "R2 (value)"), call.R2);
        return (ulong)map.Pop(value);
    }

    private T MapArg<T>(ref HelperCall call, ulong handle, string what)
        where T : BpfMap
    {
        var map = MapArg(ref call, handle);
        if (map is not T typed) throw new BpfFaultException(ErrorCode.HelperFault, $"helper argument R{(typeof(T) == typeof(PerfEventArrayMap) ? 2 : 1)}: map '{map.Spec.Name}' is a {map.Type}, not a {what}", call.Slot, handle, 0);
        return typed;
    }

    // bpf_perf_event_output(ctx, map, flags, data, size): R1 (the context) is not needed to append the record.
    private ulong PerfEventOutput(ref HelperCall call)
    {
        var map = MapArg<PerfEventArrayMap>(ref call, call.R2, "perf event array");
        byte* data = Pointer(call.Bytes(call.R4, call.R5, false, "R4 (data)"), call.R4);
        return (ulong)map.Output(call.R3, data, call.R5, CurrentCpu);
    }

    private ulong RingBufOutput(ref HelperCall call)
    {
        var ring = MapArg<RingBufMap>(ref call, call.R1, "ring buffer");
        byte* data = Pointer(call.Bytes(call.R2, call.R3, false, "R2 (data)"), call.R2);
        return (ulong)ring.Output(data, call.R3, call.R4);
    }

    private ulong RingBufReserve(ref HelperCall call) => (ulong)MapArg<RingBufMap>(ref call, call.R1, "ring buffer").Reserve(call.R2, call.R3);

    private ulong RingBufQuery(ref HelperCall call) => MapArg<RingBufMap>(ref call, call.R1, "ring buffer").Query(call.R2);

    private ulong RingBufSubmit(ref HelperCall call)
    {
        ReservedRing(ref call).Submit((byte*)call.R1, call.R2);
        return 0;
    }

    private ulong RingBufDiscard(ref HelperCall call)
    {
        ReservedRing(ref call).Discard((byte*)call.R1, call.R2);
        return 0;
    }

    // The ring whose data area holds a record still being written at R1. The kernel's verifier proves this; the
    // interpreter runs unverified code, so it checks the header before it lets the ring publish anything.
    private RingBufMap ReservedRing(ref HelperCall call)
    {
        ulong sample = call.R1;
        foreach (var map in _maps)
        {
            if (map is not RingBufMap ring) continue;
            var (start, _) = ring.ValueMemory[0];
            ulong header = sample - RingBufFlags.HeaderSize;
            if (sample < (ulong)start + RingBufFlags.HeaderSize || header >= (ulong)start + ring.RingSize || (header - (ulong)start) % 8 != 0) continue;
            if ((Volatile.Read(ref *(uint*)header) & RingBufFlags.BusyBit) != 0) return ring;
        }

        throw new BpfFaultException(ErrorCode.HelperFault, $"helper argument R1: 0x{sample:x} is not a ring buffer record reserved and not yet submitted or discarded", call.Slot, sample, 0);
    }

    private ulong Peek(ref HelperCall call)
    {
        var map = MapArg(ref call, call.R1);
        byte* value = Pointer(call.Bytes(call.R2, (ulong)map.ValueSize, true, "R2 (value)"), call.R2);
        return (ulong)map.Peek(value);
    }
}
