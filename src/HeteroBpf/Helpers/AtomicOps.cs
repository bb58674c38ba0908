namespace HeteroBpf.Helpers;

/// <summary>The atomic read-modify-writes eBPF has and .NET's <see cref="Interlocked"/> lacks, shared by every engine.</summary>
public static class AtomicOps
{
    /// <summary>Atomically <c>cell ^= value</c>; gives the old value (a compare-exchange loop is the same atomic operation).</summary>
    public static int Xor32(ref int cell, int value)
    {
        int old;
        do
        {
            old = Volatile.Read(ref cell);
        }
        while (Interlocked.CompareExchange(ref cell, old ^ value, old) != old);
        return old;
    }

    /// <summary>Atomically <c>cell ^= value</c> on 64 bits; gives the old value.</summary>
    public static long Xor64(ref long cell, long value)
    {
        long old;
        do
        {
            old = Volatile.Read(ref cell);
        }
        while (Interlocked.CompareExchange(ref cell, old ^ value, old) != old);
        return old;
    }
}
