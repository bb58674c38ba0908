using HeteroBpf.Isa;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using HeteroBpf.Helpers;
using HeteroBpf.Maps;

namespace HeteroBpf.Jit.Cil;

/// <summary>
/// What compiled code calls: the slow half of memory checks, helper trampolines, the RFC 9669 arithmetic that has
/// special cases (division by a register), atomics .NET lacks, and the faults, with the interpreter's codes, slots,
/// addresses, sizes and messages.
/// </summary>
internal static unsafe class CilRuntime
{
    /// <summary>Bytes of stack per frame (kernel MAX_BPF_STACK), as the interpreter.</summary>
    public const int FrameSize = Abi.FrameSize;

    /// <summary>Frames in a call chain, the entry frame included (kernel MAX_CALL_FRAMES).</summary>
    public const int MaxCallDepth = Abi.MaxCallFrames;

    /// <summary>Where <c>lddw rX, func</c> points: <c>CodeBase + slot * 8</c>, the interpreter's non-canonical code range.</summary>
    public const ulong CodeBase = Abi.CodeBase;

    // ---- Memory: the stack of the current call chain is checked inline; everything else comes here. ----

    /// <summary>Faults unless the access lies inside a region of <paramref name="memory"/> that allows it.</summary>
    public static void CheckAccess(MemoryMap memory, ulong address, int size, bool write, int slot)
    {
        if (!memory.CanAccess(address, (ulong)size, write)) ThrowAccess(memory, address, size, write, slot);
    }

    /// <summary>Moves the run's stack region to span from <paramref name="frameLow"/> to the entry frame's top.</summary>
    public static void SetStack(MemoryMap memory, int region, ulong frameLow, ulong stackTop) =>
        memory.Set(region, new MemoryRegion(frameLow, stackTop - frameLow, RegionKind.Stack, true));

    /// <summary>A legacy packet load (big-endian); false when it lies outside the packet (the program then ends with R0 = 0).</summary>
    public static bool LoadPacket(MemoryMap memory, ulong offset, int size, out ulong value)
    {
        if (!memory.TryFind(RegionKind.Packet, out var packet) || offset > packet.Length || (ulong)size > packet.Length - offset)
        {
            value = 0;
            return false;
        }

        byte* p = (byte*)(packet.Start + offset);
        value = size switch
        {
            1 => *p,
            2 => BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(p, 2)),
            _ => BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p, 4)),
        };
        return true;
    }

    // ---- Helpers. ----

    /// <summary>
    /// Calls a registered helper: builds the <see cref="HelperCall"/> and invokes the delegate. A faster path would emit,
    /// for helpers implemented by static methods, a <c>HelperCall</c> local in the compiled method and a direct
    /// <c>call</c> to the method (no delegate dispatch, no copy of the arguments), and inline array-map lookups.
    /// </summary>
    public static ulong CallHelper(BpfHelper helper, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5, MemoryMap memory, int slot)
    {
        var call = new HelperCall { R1 = r1, R2 = r2, R3 = r3, R4 = r4, R5 = r5, Memory = memory, Slot = slot };
        return helper(ref call);
    }

    // ---- Control-flow helpers: tail calls and callbacks (the interpreter's semantics). ----

    /// <summary>Most iterations <c>bpf_loop</c> runs (kernel BPF_MAX_LOOPS); more is -E2BIG.</summary>
    public const ulong MaxLoops = 1 << 23;

    /// <summary>
    /// <c>bpf_tail_call(ctx, prog_array, index)</c>: true when the target exists and the run has tail calls left (the
    /// kernel's 33); the caller then hands its registers to the driver. False: the call falls through.
    /// </summary>
    public static bool TailCall(CilImage image, ref CilRunState state, ulong programArray, ulong index)
    {
        if (state.TailCalls >= Abi.MaxTailCalls || image.TailCalls!(programArray, (uint)index) is not { } target) return false;
        state.TailCalls++;
        state.Next = target;
        return true;
    }

    /// <summary>
    /// <c>bpf_loop(nr_loops, callback, ctx, flags)</c>: calls the callback (i, ctx) for i = 0.. until it returns non-zero,
    /// each call a fresh zeroed frame one deeper than the caller's, re-entering the compiled method, sharing the run's
    /// count; gives the number of calls. flags != 0: -EINVAL; nr_loops > 1 &lt;&lt; 23: -E2BIG.
    /// </summary>
    public static ulong Loop(CilImage image, ref CilRunState state, ulong loops, ulong callback, ulong ctx, ulong flags, int depth, ulong frameLow, int slot)
    {
        if (flags != 0) return unchecked((ulong)-(long)Errno.EINVAL);
        if (loops > MaxLoops) return unchecked((ulong)-(long)Errno.E2BIG);
        int entry = image.EntryIndexOf(callback);
        if (entry < 0) ThrowNotACallback(slot, callback);
        if (depth >= MaxCallDepth) ThrowCallDepth(slot);
        ulong calleeLow = frameLow - FrameSize;
        var stack = new MemoryRegion(calleeLow, state.StackTop - calleeLow, RegionKind.Stack, true);
        ulong* regs = stackalloc ulong[10];
        ulong i = 0;
        try
        {
            while (i < loops)
            {
                new Span<byte>((void*)calleeLow, FrameSize).Clear();
                state.Memory.Set(state.StackRegion, stack);
                new Span<ulong>(regs, 10).Clear();
                regs[1] = i;
                regs[2] = ctx;
                ulong stop = image.Entry(ref state, regs, entry, depth + 1, calleeLow);
                i++;
                if (stop != 0) break; // the verifier allows 0 and 1; the kernel stops on anything but 0
            }
        }
        finally
        {
            state.Memory.Set(state.StackRegion, new MemoryRegion(frameLow, state.StackTop - frameLow, RegionKind.Stack, true));
        }

        return i;
    }

    /// <summary>
    /// <c>bpf_for_each_map_elem(map, callback, ctx, flags)</c>: calls the callback (map, key, value, ctx) for each element
    /// in the map's get_next_key order until it returns non-zero, as <see cref="Loop"/> does; gives the number of calls.
    /// The key is a read-only region for the call; per-CPU maps give this CPU's value.
    /// </summary>
    public static ulong ForEachMapElem(CilImage image, ref CilRunState state, ulong handle, ulong callback, ulong ctx, ulong flags, int depth, ulong frameLow, int slot)
    {
        var map = image.Maps!(handle) ?? throw new BpfFaultException(ErrorCode.HelperFault, $"helper argument R1 (map): 0x{handle:x} is not a map", slot, handle, 0);
        if (flags != 0) return unchecked((ulong)-(long)Errno.EINVAL);
        if (map.Type is not (MapType.Array or MapType.PerCpuArray or MapType.Hash or MapType.PerCpuHash or MapType.LruHash or MapType.LruPerCpuHash))
        {
            return unchecked((ulong)-(long)Errno.EINVAL); // the kernel offers the iterator for these types only
        }

        int entry = image.EntryIndexOf(callback);
        if (entry < 0) ThrowNotACallback(slot, callback);
        if (depth >= MaxCallDepth) ThrowCallDepth(slot);
        ulong calleeLow = frameLow - FrameSize;
        var stack = new MemoryRegion(calleeLow, state.StackTop - calleeLow, RegionKind.Stack, true);
        int keySize = map.KeySize;
        Span<byte> keys = keySize <= 256 ? stackalloc byte[2 * keySize] : GC.AllocateArray<byte>(2 * keySize, pinned: true);
        ulong* regs = stackalloc ulong[10];
        fixed (byte* keyBase = keys)
        {
            int keyRegion = state.Memory.Add(new MemoryRegion((ulong)keyBase, (ulong)keySize, RegionKind.MapKey, false));
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
                    state.Memory.Set(state.StackRegion, stack);
                    new Span<ulong>(regs, 10).Clear();
                    regs[1] = handle;
                    regs[2] = (ulong)keyBase;
                    regs[3] = (ulong)value;
                    regs[4] = ctx;
                    ulong stop = image.Entry(ref state, regs, entry, depth + 1, calleeLow);
                    calls++;
                    if (stop != 0) break;
                }
            }
            finally
            {
                state.Memory.RemoveAt(keyRegion);
                state.Memory.Set(state.StackRegion, new MemoryRegion(frameLow, state.StackTop - frameLow, RegionKind.Stack, true));
            }

            return calls;
        }
    }

    // ---- Faults (the interpreter's codes and messages). ----

    [DoesNotReturn]
    public static void ThrowNotACallback(int slot, ulong callback) =>
        throw new BpfFaultException(ErrorCode.HelperFault, $"helper argument R2 (callback_fn): 0x{callback:x} is not the address of a function of this program", slot, callback, 0);


    [DoesNotReturn]
    public static void ThrowAccess(MemoryMap memory, ulong address, int size, bool write, int slot) =>
        throw new BpfFaultException(
            ErrorCode.MemoryFault,
            $"out of bounds {(write ? "write" : "read")} of {size} bytes at 0x{address:x}: outside every region the program may {(write ? "write" : "read")} ({memory.Describe()})",
            slot,
            address,
            size);

    [DoesNotReturn]
    public static void ThrowCallDepth(int slot) =>
        throw new BpfFaultException(ErrorCode.CallDepthExceeded, $"call depth exceeds {MaxCallDepth} frames", slot);

    [DoesNotReturn]
    public static void ThrowNotAFunction(int slot, int dst, ulong target) =>
        throw new BpfFaultException(ErrorCode.MemoryFault, $"callx r{dst}: 0x{target:x} is not the address of a function of this program", slot, target);

    [DoesNotReturn]
    public static void ThrowUnknownHelper(int slot, int id) =>
        throw new BpfFaultException(ErrorCode.UnknownHelper, $"helper {HelperIds.Describe(id)} is not available here", slot);

    [DoesNotReturn]
    public static void ThrowUnsupported(int slot, string reason) =>
        throw new BpfFaultException(ErrorCode.UnsupportedInstruction, reason, slot);

    [DoesNotReturn]
    public static void ThrowFellOffEnd(int length) =>
        throw new BpfFaultException(ErrorCode.FellOffEnd, $"execution ran past the last instruction (slot {length - 1}) without exit", length - 1);
}
