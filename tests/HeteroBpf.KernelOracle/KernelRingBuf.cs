using System.Runtime.InteropServices;

namespace HeteroBpf.KernelOracle;

/// <summary>Memory mappings of a kernel ring buffer (<c>BPF_MAP_TYPE_RINGBUF</c>), as libbpf maps them.</summary>
public static unsafe partial class KernelRingBuf
{
    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapShared = 1;

    /// <summary>
    /// Maps ring buffer <paramref name="fd"/> of <paramref name="size"/> data bytes: the consumer page read-write,
    /// then the producer page followed by the data pages twice, read-only. Null pointers when mmap fails.
    /// </summary>
    public static (nint Consumer, nint ProducerAndData) Map(int fd, long size)
    {
        long page = Environment.SystemPageSize;
        nint consumer = Mmap(0, (nint)page, ProtRead | ProtWrite, MapShared, fd, 0);
        nint producer = Mmap(0, (nint)(page + 2 * size), ProtRead, MapShared, fd, page);
        return (consumer == -1 ? 0 : consumer, producer == -1 ? 0 : producer);
    }

    /// <summary>Undoes <see cref="Map"/>.</summary>
    public static void Unmap((nint Consumer, nint ProducerAndData) mapping, long size)
    {
        long page = Environment.SystemPageSize;
        if (mapping.Consumer != 0) _ = Munmap(mapping.Consumer, (nint)page);
        if (mapping.ProducerAndData != 0) _ = Munmap(mapping.ProducerAndData, (nint)(page + 2 * size));
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nint length);
}
