using System.Runtime.InteropServices;

namespace HeteroBpf.Bench.Kernel;

/// <summary>
/// The two <c>bpf(2)</c> commands the kernel baseline needs, called through libc's <c>syscall</c> with the layouts of
/// <c>union bpf_attr</c> from <c>linux/bpf.h</c> (x86-64). Nothing is attached anywhere: BPF_PROG_TEST_RUN runs a
/// program on a buffer.
/// </summary>
internal static unsafe partial class BpfSyscall
{
    private const long SysBpf = 321; // __NR_bpf on x86-64

    /// <summary><c>enum bpf_cmd</c> values used here.</summary>
    public enum Command
    {
        ProgLoad = 5,
        ProgTestRun = 10,
    }

    /// <summary><c>BPF_PROG_TYPE_XDP</c>.</summary>
    public const uint ProgTypeXdp = 6;

    /// <summary>The BPF_PROG_LOAD part of <c>union bpf_attr</c>, up to <c>expected_attach_type</c>.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 72)]
    public struct ProgLoadAttr
    {
        [FieldOffset(0)] public uint ProgType;
        [FieldOffset(4)] public uint InsnCount;
        [FieldOffset(8)] public ulong Insns;
        [FieldOffset(16)] public ulong License;
        [FieldOffset(24)] public uint LogLevel;
        [FieldOffset(28)] public uint LogSize;
        [FieldOffset(32)] public ulong LogBuf;
        [FieldOffset(40)] public uint KernVersion;
        [FieldOffset(44)] public uint ProgFlags;
        [FieldOffset(48)] public fixed byte ProgName[16];
        [FieldOffset(64)] public uint ProgIfIndex;
        [FieldOffset(68)] public uint ExpectedAttachType;
    }

    /// <summary>The BPF_PROG_TEST_RUN part of <c>union bpf_attr</c> (<c>test</c>), up to <c>batch_size</c>.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 80)]
    public struct TestRunAttr
    {
        [FieldOffset(0)] public uint ProgFd;
        [FieldOffset(4)] public uint Retval;
        [FieldOffset(8)] public uint DataSizeIn;
        [FieldOffset(12)] public uint DataSizeOut;
        [FieldOffset(16)] public ulong DataIn;
        [FieldOffset(24)] public ulong DataOut;
        [FieldOffset(32)] public uint Repeat;
        [FieldOffset(36)] public uint Duration;
        [FieldOffset(40)] public uint CtxSizeIn;
        [FieldOffset(44)] public uint CtxSizeOut;
        [FieldOffset(48)] public ulong CtxIn;
        [FieldOffset(56)] public ulong CtxOut;
        [FieldOffset(64)] public uint Flags;
        [FieldOffset(68)] public uint Cpu;
        [FieldOffset(72)] public uint BatchSize;
    }

    /// <summary>Calls <c>bpf(cmd, attr, size)</c>; a negative result means failure and <paramref name="errno"/> says why.</summary>
    public static long Bpf<T>(Command cmd, ref T attr, out int errno)
        where T : unmanaged
    {
        fixed (T* p = &attr)
        {
            long rc = Syscall(SysBpf, (long)cmd, (nint)p, sizeof(T));
            errno = rc < 0 ? Marshal.GetLastPInvokeError() : 0;
            return rc;
        }
    }

    /// <summary>Closes a file descriptor.</summary>
    public static void Close(int fd) => CloseFd(fd);

    /// <summary>The symbolic name of an errno value, for messages.</summary>
    public static string Describe(int errno) => $"errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})";

    [LibraryImport("libc.so.6", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long cmd, nint attr, long size);

    [LibraryImport("libc.so.6", EntryPoint = "close")]
    private static partial int CloseFd(int fd);
}
