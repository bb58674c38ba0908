using System.Runtime.InteropServices;
using System.Text;
using HeteroBpf.Isa;

namespace HeteroBpf.Tests.Kernel;

/// <summary>
/// The running kernel as an independent oracle, through the raw <c>bpf()</c> syscall (no libbpf needed for raw
/// bytecode): load a program, let its verifier accept or refuse it, and run it with <c>BPF_PROG_TEST_RUN</c>; create
/// maps and drive them with the element commands, whose errnos are the map semantics' reference.
/// </summary>
internal static unsafe partial class KernelBpf
{
    private const long SysBpf = 321; // x86-64
    private const int CmdMapCreate = 0;
    private const int CmdMapLookupElem = 1;
    private const int CmdMapUpdateElem = 2;
    private const int CmdMapDeleteElem = 3;
    private const int CmdMapGetNextKey = 4;
    private const int CmdMapLookupAndDeleteElem = 21;
    private const int CmdProgLoad = 5;
    private const int CmdProgTestRun = 10;
    private const int AttrSize = 128;

    /// <summary>BPF_PROG_TYPE_SOCKET_FILTER: any return value, R1 = the skb, LD_ABS/LD_IND allowed.</summary>
    public const uint SocketFilter = 1;

    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>Why the kernel cannot serve as oracle here (null when it can); tests skip with this reason.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    /// <summary>Loads <paramref name="program"/>; gives its fd, or -1 and the verifier's log (or errno) in <paramref name="refusal"/>.</summary>
    public static int Load(ReadOnlySpan<Instruction> program, uint type, out string refusal)
    {
        refusal = "";
        int fd = LoadOnce(program, type, null);
        if (fd >= 0) return fd;
        int errno = Marshal.GetLastPInvokeError();
        var log = new byte[1 << 20];
        fd = LoadOnce(program, type, log);
        if (fd >= 0) return fd;
        string text = Encoding.UTF8.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0)));
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // The verifier's reason is the last line before its "processed N insns" statistics.
        string reason = lines.LastOrDefault(l => !l.StartsWith("processed ", StringComparison.Ordinal) && !l.StartsWith("verification time", StringComparison.Ordinal) && !l.StartsWith("stack depth", StringComparison.Ordinal)) ?? "";
        refusal = $"errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)}){(reason.Length > 0 ? ": " + reason : "")}";
        return -1;
    }

    /// <summary>One <c>BPF_PROG_TEST_RUN</c> over <paramref name="data"/>; gives the program's 32-bit return value.</summary>
    public static uint TestRun(int fd, ReadOnlySpan<byte> data)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        fixed (byte* d = data)
        {
            *(uint*)attr = (uint)fd;
            *(uint*)(attr + 8) = (uint)data.Length;
            *(ulong*)(attr + 16) = (ulong)d;
            *(uint*)(attr + 32) = 1; // repeat
            if (Syscall(SysBpf, CmdProgTestRun, attr, AttrSize) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new InvalidOperationException($"BPF_PROG_TEST_RUN failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
            }

            return *(uint*)(attr + 4);
        }
    }

    /// <summary>Closes a program or map fd.</summary>
    public static void Close(int fd) => CloseFd(fd);

    /// <summary><c>BPF_MAP_CREATE</c>: the new map's fd, or -1 with the errno in <paramref name="error"/> (maps of maps: shaped like <paramref name="innerMapFd"/>).</summary>
    public static int CreateMap(uint type, uint keySize, uint valueSize, uint maxEntries, uint flags, out Errno error, int innerMapFd = 0)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = type;
        *(uint*)(attr + 4) = keySize;
        *(uint*)(attr + 8) = valueSize;
        *(uint*)(attr + 12) = maxEntries;
        *(uint*)(attr + 16) = flags;
        *(int*)(attr + 20) = innerMapFd;
        int fd = (int)Syscall(SysBpf, CmdMapCreate, attr, AttrSize);
        error = fd < 0 ? (Errno)Marshal.GetLastPInvokeError() : Errno.Ok;
        return fd;
    }

    /// <summary><c>BPF_MAP_LOOKUP_ELEM</c> (queue/stack: peek; an empty key is passed as null).</summary>
    public static Errno Lookup(int fd, ReadOnlySpan<byte> key, Span<byte> value) => ElementCommand(CmdMapLookupElem, fd, key, value, 0);

    /// <summary><c>BPF_MAP_UPDATE_ELEM</c> (queue/stack: push).</summary>
    public static Errno Update(int fd, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags) =>
        ElementCommand(CmdMapUpdateElem, fd, key, MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(value), value.Length), flags);

    /// <summary><c>BPF_MAP_DELETE_ELEM</c>.</summary>
    public static Errno Delete(int fd, ReadOnlySpan<byte> key) => ElementCommand(CmdMapDeleteElem, fd, key, default, 0);

    /// <summary><c>BPF_MAP_GET_NEXT_KEY</c>; an empty <paramref name="key"/> asks for the first key.</summary>
    public static Errno GetNextKey(int fd, ReadOnlySpan<byte> key, Span<byte> next) => ElementCommand(CmdMapGetNextKey, fd, key, next, 0);

    /// <summary><c>BPF_MAP_LOOKUP_AND_DELETE_ELEM</c> with no key (queue/stack: pop).</summary>
    public static Errno LookupAndDelete(int fd, Span<byte> value) => ElementCommand(CmdMapLookupAndDeleteElem, fd, default, value, 0);

    private static Errno ElementCommand(int command, int fd, ReadOnlySpan<byte> key, Span<byte> value, ulong flags)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            *(uint*)attr = (uint)fd;
            *(ulong*)(attr + 8) = (ulong)k;
            *(ulong*)(attr + 16) = (ulong)v;
            *(ulong*)(attr + 24) = flags;
            return Syscall(SysBpf, command, attr, AttrSize) < 0 ? (Errno)Marshal.GetLastPInvokeError() : Errno.Ok;
        }
    }

    /// <summary>The kernel's <c>num_possible_cpus()</c>, from <c>/sys/devices/system/cpu/possible</c> (e.g. <c>0-3,6</c>).</summary>
    public static int PossibleCpus()
    {
        int count = 0;
        foreach (string range in File.ReadAllText("/sys/devices/system/cpu/possible").Trim().Split(','))
        {
            string[] ends = range.Split('-');
            count += ends.Length == 1 ? 1 : int.Parse(ends[1], System.Globalization.CultureInfo.InvariantCulture) - int.Parse(ends[0], System.Globalization.CultureInfo.InvariantCulture) + 1;
        }

        return count;
    }

    private static int LoadOnce(ReadOnlySpan<Instruction> program, uint type, byte[]? log)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        byte* license = stackalloc byte[] { (byte)'G', (byte)'P', (byte)'L', 0 };
        fixed (Instruction* insns = program)
        fixed (byte* logBuf = log)
        {
            *(uint*)attr = type;
            *(uint*)(attr + 4) = (uint)program.Length;
            *(ulong*)(attr + 8) = (ulong)insns;
            *(ulong*)(attr + 16) = (ulong)license;
            if (log is not null)
            {
                *(uint*)(attr + 24) = 1;
                *(uint*)(attr + 28) = (uint)log.Length;
                *(ulong*)(attr + 32) = (ulong)logBuf;
            }

            return (int)Syscall(SysBpf, CmdProgLoad, attr, AttrSize);
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return "the kernel oracle needs Linux on x86-64";
        // r0 = 0; exit
        Instruction[] trivial = [new((byte)OpClass.Alu64 | (byte)AluOp.Mov, Register.R0, Register.R0, 0, 0), new(Opcodes.Exit, Register.R0, Register.R0, 0, 0)];
        int fd = Load(trivial, SocketFilter, out string refusal);
        if (fd < 0) return "bpf() is not usable here: " + refusal;
        Close(fd);
        return null;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long command, void* attr, long size);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int CloseFd(int fd);

    /// <summary><c>BPF_MAP_FREEZE</c>: no more writes from user space (with BPF_F_RDONLY_PROG, the verifier then trusts the contents).</summary>
    public static Errno Freeze(int fd)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = (uint)fd;
        return Syscall(SysBpf, 22, attr, AttrSize) < 0 ? (Errno)Marshal.GetLastPInvokeError() : Errno.Ok;
    }
}

/// <summary>Memory mappings of a kernel ring buffer (<c>BPF_MAP_TYPE_RINGBUF</c>), as libbpf maps them.</summary>
internal static unsafe partial class KernelRingBuf
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
