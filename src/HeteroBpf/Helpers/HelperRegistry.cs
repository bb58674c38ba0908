using System.Diagnostics.CodeAnalysis;

namespace HeteroBpf.Helpers;

/// <summary>The arguments of one helper call (R1–R5), the memory the caller may touch, and where the call is.</summary>
public ref struct HelperCall
{
    /// <summary>Argument registers.</summary>
    public ulong R1, R2, R3, R4, R5;

    /// <summary>The regions of the running program (its stack included).</summary>
    public MemoryMap Memory;

    /// <summary>Slot of the <c>call</c> instruction, for fault messages.</summary>
    public int Slot;

    /// <summary>The <paramref name="size"/> bytes at <paramref name="address"/>, after checking the caller may access them.</summary>
    /// <exception cref="BpfFaultException">The range lies outside every region that allows the access.</exception>
    public readonly unsafe Span<byte> Bytes(ulong address, ulong size, bool write, string argument)
    {
        if (size == 0) return [];
        if (size > int.MaxValue || !Memory.CanAccess(address, size, write)) ThrowBadPointer(address, size, write, argument);
        return new Span<byte>((void*)address, (int)size);
    }

    [DoesNotReturn]
    private readonly void ThrowBadPointer(ulong address, ulong size, bool write, string argument) =>
        throw new BpfFaultException(
            ErrorCode.HelperFault,
            $"helper argument {argument}: out of bounds {(write ? "write" : "read")} of {size} bytes at 0x{address:x}: outside every region ({Memory.Describe()})",
            Slot,
            address,
            (int)Math.Min(size, int.MaxValue));
}

/// <summary>A helper implementation: reads its arguments from <paramref name="call"/>, returns R0.</summary>
public delegate ulong BpfHelper(ref HelperCall call);

/// <summary>Helper implementations by kernel id; immutable (<see cref="With"/> makes a copy), so engines may cache lookups.</summary>
public sealed class HelperRegistry
{
    private readonly BpfHelper?[] _byId;

    private HelperRegistry(BpfHelper?[] byId) => _byId = byId;

    /// <summary>No helpers at all.</summary>
    public static HelperRegistry Empty { get; } = new([]);

    /// <summary>
    /// The helpers that need nothing but the caller: <c>ktime_get_ns</c>, <c>ktime_get_boot_ns</c>, <c>jiffies64</c>,
    /// <c>get_prandom_u32</c>, <c>get_smp_processor_id</c>, <c>csum_diff</c>, <c>spin_lock</c>, <c>spin_unlock</c>.
    /// </summary>
    public static HelperRegistry Basic { get; } = Empty
        .With(HelperId.KtimeGetNs, BasicHelpers.KtimeGetNs)
        .With(HelperId.KtimeGetBootNs, BasicHelpers.KtimeGetBootNs)
        .With(HelperId.Jiffies64, BasicHelpers.Jiffies64)
        .With(HelperId.GetPrandomU32, BasicHelpers.GetPrandomU32)
        .With(HelperId.GetSmpProcessorId, BasicHelpers.GetSmpProcessorId)
        .With(HelperId.CsumDiff, ChecksumHelpers.CsumDiff)
        .With(HelperId.SpinLock, SpinLockHelpers.Lock)
        .With(HelperId.SpinUnlock, SpinLockHelpers.Unlock);

    /// <summary>A copy of this registry with <paramref name="id"/> implemented by <paramref name="helper"/>.</summary>
    public HelperRegistry With(HelperId id, BpfHelper helper)
    {
        ArgumentNullException.ThrowIfNull(helper);
        if (id <= HelperId.Unspec) throw new ArgumentOutOfRangeException(nameof(id), id, "helper id must be positive");
        var copy = new BpfHelper?[Math.Max(_byId.Length, (int)id + 1)];
        _byId.CopyTo(copy, 0);
        copy[(int)id] = helper;
        return new HelperRegistry(copy);
    }

    /// <summary>The implementation of helper <paramref name="id"/>, if this registry has one.</summary>
    public bool TryGet(int id, [NotNullWhen(true)] out BpfHelper? helper)
    {
        helper = (uint)id < (uint)_byId.Length ? _byId[id] : null;
        return helper is not null;
    }

    /// <summary>The kernel prototype of helper <paramref name="id"/>, when this registry implements it (what the verifier checks calls against).</summary>
    public bool TryGetPrototype(int id, [NotNullWhen(true)] out HelperPrototype? prototype)
    {
        prototype = null;
        return TryGet(id, out _) && HelperPrototypes.TryGet((HelperId)id, out prototype);
    }

    /// <summary>The ids this registry implements, ascending.</summary>
    public IEnumerable<HelperId> Ids
    {
        get
        {
            for (int i = 0; i < _byId.Length; i++)
            {
                if (_byId[i] is not null) yield return (HelperId)i;
            }
        }
    }
}

/// <summary>Helpers that depend on nothing but the clock, a random source and the CPU number.</summary>
internal static class BasicHelpers
{
    private static readonly long StartTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Monotonic nanoseconds since this process started (the kernel counts from boot; only differences matter).</summary>
    public static ulong KtimeGetNs(ref HelperCall call) =>
        (ulong)System.Diagnostics.Stopwatch.GetElapsedTime(StartTimestamp).Ticks * 100;

    /// <summary>A pseudo-random 32-bit number.</summary>
    public static ulong GetPrandomU32(ref HelperCall call) => (uint)Random.Shared.Next() ^ ((uint)Random.Shared.Next() << 1);

    /// <summary>
    /// Nanoseconds of <c>CLOCK_MONOTONIC</c> (the kernel's boot clock, which also counts suspend, differs only across a
    /// suspend); .NET's <see cref="System.Diagnostics.Stopwatch"/> reads that clock on Linux.
    /// </summary>
    public static ulong KtimeGetBootNs(ref HelperCall call) =>
        (ulong)(System.Diagnostics.Stopwatch.GetTimestamp() * (1_000_000_000.0 / System.Diagnostics.Stopwatch.Frequency));

    /// <summary>Jiffies since boot, with HZ = 1000 (milliseconds of <see cref="Environment.TickCount64"/>).</summary>
    public static ulong Jiffies64(ref HelperCall call) => (ulong)Environment.TickCount64;

    /// <summary>The CPU running the caller, modulo <c>BpfMap.PossibleCpus</c> so that it indexes per-CPU values.</summary>
    public static ulong GetSmpProcessorId(ref HelperCall call) => (uint)MapHelpers.CurrentCpu;
}
