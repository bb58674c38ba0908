using System.Runtime.InteropServices;

namespace HeteroBpf.Maps;

/// <summary>Zeroed native memory that never moves, so pointers handed to programs stay valid.</summary>
/// <remarks>
/// Taken with <c>calloc</c>: aligned to 16 (more than the 8 a program may assume of a value), and a large block comes
/// straight from the OS as lazily zeroed pages, so a big, sparsely used map costs only what it touches.
/// </remarks>
internal sealed unsafe class NativeBlock : IDisposable
{
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
            byte* p = (byte*)NativeMemory.AllocZeroed((nuint)Math.Max(length, 1));
            System.Diagnostics.Debug.Assert((nint)p % 8 == 0);
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
        NativeMemory.Free(Start);
        Start = null;
    }
}
