using System.Runtime.InteropServices;

namespace HeteroBpf.Maps;

/// <summary>Zeroed native memory that never moves, so pointers handed to programs stay valid.</summary>
/// <remarks>
/// Taken with <c>calloc</c>: aligned to 16 (more than the 8 a program may assume of a value), or to a cache line
/// on request, and a large block comes straight from the OS as lazily zeroed pages, so a big, sparsely used map
/// costs only what it touches.
/// </remarks>
internal sealed unsafe class NativeBlock : IDisposable
{
    /// <summary>The alignment a caller asks for so that records of a power-of-two size up to it never straddle a cache line.</summary>
    public const int CacheLine = 64;

    private byte* _allocation;

    private NativeBlock(byte* allocation, byte* start, nint length)
    {
        _allocation = allocation;
        Start = start;
        Length = length;
    }

    /// <summary>First byte (never null, even for an empty block, so arithmetic on it is defined).</summary>
    public byte* Start { get; private set; }

    /// <summary>Size in bytes.</summary>
    public nint Length { get; }

    /// <summary>Allocates <paramref name="length"/> zeroed bytes; a failure is the map's input error (ENOMEM).</summary>
    public static NativeBlock Allocate(long length, string mapName) => Allocate(length, mapName, 16);

    /// <summary>Allocates <paramref name="length"/> zeroed bytes starting at a multiple of <paramref name="alignment"/> (a power of two).</summary>
    public static NativeBlock Allocate(long length, string mapName, int alignment)
    {
        System.Diagnostics.Debug.Assert(alignment >= 16 && System.Numerics.BitOperations.IsPow2(alignment));
        if (length < 0 || length > Array.MaxLength * 16L)
            throw new MapSpecException(ErrorCode.MapAllocationFailed, Errno.ENOMEM, mapName, $"{length} bytes of map memory is more than this runtime allocates");
        try
        {
            // calloc gives 16; more is had by over-allocating and rounding the start up.
            int slack = alignment - 16;
            byte* p = (byte*)NativeMemory.AllocZeroed((nuint)(Math.Max(length, 1) + slack));
            System.Diagnostics.Debug.Assert((nint)p % 16 == 0);
            byte* start = (byte*)(((nint)p + slack) & ~(nint)(alignment - 1));
            return new NativeBlock(p, start, (nint)length);
        }
        catch (OutOfMemoryException e)
        {
            throw new MapSpecException(ErrorCode.MapAllocationFailed, Errno.ENOMEM, mapName, $"cannot allocate {length} bytes of map memory", inner: e);
        }
    }

    public void Dispose()
    {
        if (_allocation is null) return;
        NativeMemory.Free(_allocation);
        _allocation = null;
        Start = null;
    }
}
