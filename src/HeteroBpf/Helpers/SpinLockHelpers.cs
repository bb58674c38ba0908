using System.Diagnostics.CodeAnalysis;

namespace HeteroBpf.Helpers;

/// <summary>
/// <c>bpf_spin_lock</c> / <c>bpf_spin_unlock</c> over the 4-byte <c>struct bpf_spin_lock</c> inside a map value: 0 is
/// free, 1 is held. Taking spins (with <see cref="SpinWait"/>) until the word goes from 0 to 1; releasing stores 0. The
/// kernel's verifier guarantees pairing and no nesting; here a lock pointer must be writable and 4-byte aligned.
/// </summary>
internal static class SpinLockHelpers
{
    public static unsafe ulong Lock(ref HelperCall call)
    {
        ref int word = ref LockWord(ref call);
        if (Interlocked.CompareExchange(ref word, 1, 0) != 0)
        {
            var spin = default(SpinWait);
            do
            {
                spin.SpinOnce();
            }
            while (Volatile.Read(ref word) != 0 || Interlocked.CompareExchange(ref word, 1, 0) != 0);
        }

        return 0;
    }

    public static ulong Unlock(ref HelperCall call)
    {
        Volatile.Write(ref LockWord(ref call), 0);
        return 0;
    }

    private static unsafe ref int LockWord(ref HelperCall call)
    {
        var bytes = call.Bytes(call.R1, 4, true, "R1 (lock)");
        if (call.R1 % 4 != 0) ThrowMisaligned(ref call);
        return ref System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(bytes)[0];
    }

    [DoesNotReturn]
    private static void ThrowMisaligned(ref HelperCall call) =>
        throw new BpfFaultException(ErrorCode.HelperFault, $"helper argument R1 (lock): 0x{call.R1:x} is not 4-byte aligned", call.Slot, call.R1, 4);
}
