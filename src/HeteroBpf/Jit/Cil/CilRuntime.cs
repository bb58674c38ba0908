using HeteroBpf.Isa;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using HeteroBpf.Helpers;

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

    // ---- Faults (the interpreter's codes and messages). ----

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
