using System.Runtime.InteropServices;
using System.Text;
using HeteroBpf.Isa;

namespace HeteroBpf.Tests.Kernel;

/// <summary>
/// The running kernel as an independent oracle, through the raw <c>bpf()</c> syscall (no libbpf needed for raw
/// bytecode): load a program, let its verifier accept or refuse it, and run it with <c>BPF_PROG_TEST_RUN</c>.
/// </summary>
internal static unsafe partial class KernelBpf
{
    private const long SysBpf = 321; // x86-64
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

    /// <summary>Closes a program fd.</summary>
    public static void Close(int fd) => CloseFd(fd);

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
}
