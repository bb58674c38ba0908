using System.Runtime.InteropServices;

namespace HeteroBpf.Maps;

/// <summary>Zeroed, 8-byte aligned native memory that never moves, so pointers handed to programs stay valid.</summary>
internal sealed unsafe class NativeBlock : IDisposable
{
    // 64 keeps values of neighbouring elements off each other's cache lines at the start, and covers any
    // alignment a program may assume for a value (8).
    private const nuint Alignment = 64;

    private NativeBlock(byte* start, nint length)
    {
        Start = start;
        Length = length;
    }

    /// <summary>First byte (never null, even for an empty block, so arithmetic on it is defined).</summary>
    public byte* Start { get; private set; }

    /// <summary>Size in bytes.</summary>
    public nint Length { get; }

    /// <summary>Allocates <paramref name="length"/> zeroed bytes; a failure is the map's input error (ENOMEM).</summary>
    public static NativeBlock Allocate(long length, string mapName)
    {
        if (length < 0 || length > Array.MaxLength * 16L)
            throw new MapSpecException(ErrorCode.MapAllocationFailed, Errno.ENOMEM, mapName, $"{length} bytes of map memory is more than this runtime allocates");
        try
        {
            byte* p = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(length, 1), Alignment);
            NativeMemory.Clear(p, (nuint)Math.Max(length, 1));
            return new NativeBlock(p, (nint)length);
        }
        catch (OutOfMemoryException e)
        {
            throw new MapSpecException(ErrorCode.MapAllocationFailed, Errno.ENOMEM, mapName, $"cannot allocate {length} bytes of map memory", inner: e);
        }
    }

    public void Dispose()
    {
        if (Start is null) return;
        NativeMemory.AlignedFree(Start);
        Start = null;
    }
}
