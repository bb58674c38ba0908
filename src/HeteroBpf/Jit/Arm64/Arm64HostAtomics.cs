using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;

namespace HeteroBpf.Jit.Arm64;

/// <summary>
/// The host half of code translated with <see cref="Arm64TranslatorOptions.HostAtomics"/>: each eBPF atomic is a call
/// of helper <see cref="TrapHelperId"/> (X0 = address, X1 = src, X2 = R0, X3 = <see cref="Form"/>), run here with
/// <see cref="Interlocked"/> on the memory itself. Cores that share memory but whose own atomics are atomic only within
/// one core (each emulated core a Unicorn instance) then update it atomically with respect to each other: every atomic
/// of every core is one host atomic instruction on the same bytes.
/// </summary>
public static class Arm64HostAtomics
{
    /// <summary>
    /// The helper id the translated code calls (above every kernel helper id, below <see cref="Arm64Trap.FirstSpecial"/>,
    /// small enough for a <see cref="HelperRegistry"/>'s table).
    /// </summary>
    public const int TrapHelperId = 0x0FA7;

    // High bits of X3 at a translated atomic: a program that calls helper TrapHelperId itself (unverified code) does not
    // have them, and gets the interpreter's unknown-helper fault.
    private const ulong Magic = 0x4842_5046_4154_0000UL;
    private const ulong Wide = 0x100;

    /// <summary>The X3 value naming atomic <paramref name="op"/> on 64 bits (<paramref name="is64"/>) or 32.</summary>
    public static ulong Form(AtomicOp op, bool is64) => Magic | (is64 ? Wide : 0) | (byte)op;

    /// <summary><paramref name="registry"/> with the atomic helper added (what code translated with host atomics runs with).</summary>
    public static HelperRegistry AddTo(HelperRegistry registry) =>
        (registry ?? throw new ArgumentNullException(nameof(registry))).With((HelperId)TrapHelperId, Run);

    /// <summary>
    /// One atomic: R1 = address (checked against the run's regions, as every helper pointer is), R2 = src, R3 = R0,
    /// R4 = the form. Gives the old value (zero-extended for 32 bits), which the code puts where the instruction says.
    /// </summary>
    /// <exception cref="BpfFaultException">Not a translated atomic (HB3004), or the address outside every writable region.</exception>
    public static ulong Run(ref HelperCall call)
    {
        ulong form = call.R4;
        if ((form & ~(Wide | 0xFF)) != Magic) throw new BpfFaultException(ErrorCode.UnknownHelper, $"helper {HelperIds.Describe(TrapHelperId)} is not available here", call.Slot);
        var op = (AtomicOp)(byte)form;
        if ((form & Wide) != 0)
        {
            if (!AtomicOps.TryApply64(ref Cell<long>(ref call, 8), op, (long)call.R2, (long)call.R3, out long old)) throw BadForm(op, call.Slot);
            return (ulong)old;
        }

        if (!AtomicOps.TryApply32(ref Cell<int>(ref call, 4), op, (int)call.R2, (int)call.R3, out int old32)) throw BadForm(op, call.Slot);
        return (uint)old32;
    }

    private static ref T Cell<T>(ref HelperCall call, int size)
        where T : unmanaged =>
        ref Unsafe.As<byte, T>(ref MemoryMarshal.GetReference(call.Bytes(call.R1, (ulong)size, true, "R1 (atomic address)")));

    private static BpfFaultException BadForm(AtomicOp op, int slot) =>
        new(ErrorCode.UnknownHelper, $"helper {HelperIds.Describe(TrapHelperId)}: atomic form 0x{(byte)op:x2} is not an eBPF atomic", slot);
}
