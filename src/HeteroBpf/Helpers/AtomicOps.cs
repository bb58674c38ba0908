using HeteroBpf.Isa;

namespace HeteroBpf.Helpers;

/// <summary>eBPF's atomic read-modify-writes over <see cref="Interlocked"/> (xor, which it lacks, and every form by op), shared by the engines that run atomics on the host.</summary>
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

    /// <summary>
    /// Applies eBPF atomic <paramref name="op"/> to <paramref name="cell"/> with <paramref name="value"/> (cmpxchg: stores it
    /// where the cell equals <paramref name="expected"/>) and gives the old value for every form; false when
    /// <paramref name="op"/> is not an eBPF atomic.
    /// </summary>
    public static bool TryApply32(ref int cell, AtomicOp op, int value, int expected, out int old)
    {
        switch (op)
        {
            case AtomicOp.Add or AtomicOp.FetchAdd: old = Interlocked.Add(ref cell, value) - value; return true;
            case AtomicOp.Or or AtomicOp.FetchOr: old = Interlocked.Or(ref cell, value); return true;
            case AtomicOp.And or AtomicOp.FetchAnd: old = Interlocked.And(ref cell, value); return true;
            case AtomicOp.Xor or AtomicOp.FetchXor: old = Xor32(ref cell, value); return true;
            case AtomicOp.Xchg: old = Interlocked.Exchange(ref cell, value); return true;
            case AtomicOp.CmpXchg: old = Interlocked.CompareExchange(ref cell, value, expected); return true;
            default: old = 0; return false;
        }
    }

    /// <summary>The 64-bit <see cref="TryApply32"/>.</summary>
    public static bool TryApply64(ref long cell, AtomicOp op, long value, long expected, out long old)
    {
        switch (op)
        {
            case AtomicOp.Add or AtomicOp.FetchAdd: old = Interlocked.Add(ref cell, value) - value; return true;
            case AtomicOp.Or or AtomicOp.FetchOr: old = Interlocked.Or(ref cell, value); return true;
            case AtomicOp.And or AtomicOp.FetchAnd: old = Interlocked.And(ref cell, value); return true;
            case AtomicOp.Xor or AtomicOp.FetchXor: old = Xor64(ref cell, value); return true;
            case AtomicOp.Xchg: old = Interlocked.Exchange(ref cell, value); return true;
            case AtomicOp.CmpXchg: old = Interlocked.CompareExchange(ref cell, value, expected); return true;
            default: old = 0; return false;
        }
    }

    /// <summary>True for the forms that give the old value back (BPF_FETCH: the fetch forms, xchg and cmpxchg).</summary>
    public static bool Fetches(AtomicOp op) => ((byte)op & 1) != 0;
}
