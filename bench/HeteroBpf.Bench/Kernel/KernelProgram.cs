using System.Runtime.InteropServices;
using System.Text;

namespace HeteroBpf.Bench.Kernel;

/// <summary>An XDP program loaded into the running kernel (verified, JIT-compiled if the kernel JITs), run with BPF_PROG_TEST_RUN.</summary>
internal sealed unsafe class KernelProgram : IDisposable
{
    private int _fd;

    private KernelProgram(int fd) => _fd = fd;

    /// <summary>Loads <paramref name="bytecode"/> as BPF_PROG_TYPE_XDP under the GPL license.</summary>
    /// <exception cref="InvalidOperationException">bpf() failed: the message has the errno and the verifier log's last lines.</exception>
    public static KernelProgram LoadXdp(ReadOnlySpan<byte> bytecode, string name)
    {
        if (bytecode.Length % 8 != 0) throw new ArgumentException("bytecode is not whole 8-byte slots", nameof(bytecode));
        byte* license = stackalloc byte[] { (byte)'G', (byte)'P', (byte)'L', 0 };
        fixed (byte* insns = bytecode)
        {
            var attr = new BpfSyscall.ProgLoadAttr
            {
                ProgType = BpfSyscall.ProgTypeXdp,
                InsnCount = (uint)(bytecode.Length / 8),
                Insns = (ulong)insns,
                License = (ulong)license,
            };
            byte[] nameBytes = Encoding.ASCII.GetBytes(name);
            for (int i = 0; i < Math.Min(nameBytes.Length, 15); i++) attr.ProgName[i] = nameBytes[i];
            long fd = BpfSyscall.Bpf(BpfSyscall.Command.ProgLoad, ref attr, out int errno);
            if (fd >= 0) return new KernelProgram((int)fd);

            // Load again with the verifier log on, to say why.
            const int logSize = 1 << 20;
            byte[] log = new byte[logSize];
            fixed (byte* logBuf = log)
            {
                attr.LogLevel = 1;
                attr.LogSize = logSize;
                attr.LogBuf = (ulong)logBuf;
                long again = BpfSyscall.Bpf(BpfSyscall.Command.ProgLoad, ref attr, out _);
                if (again >= 0) BpfSyscall.Close((int)again);
            }

            string text = Encoding.ASCII.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0)));
            string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            string tail = string.Join(" | ", lines.Skip(Math.Max(0, lines.Length - 3)));
            throw new InvalidOperationException($"BPF_PROG_LOAD of {name} failed: {BpfSyscall.Describe(errno)}{(tail.Length > 0 ? $"; verifier: {tail}" : "")}");
        }
    }

    /// <summary>
    /// Runs the program <paramref name="repeat"/> times on <paramref name="packet"/> in the kernel; gives R0 and the
    /// kernel's own average duration of one run in ns (measured around the run loop, without the syscall).
    /// </summary>
    public (uint Retval, uint DurationNs) TestRun(ReadOnlySpan<byte> packet, uint repeat)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        fixed (byte* data = packet)
        {
            var attr = new BpfSyscall.TestRunAttr
            {
                ProgFd = (uint)_fd,
                DataIn = (ulong)data,
                DataSizeIn = (uint)packet.Length,
                Repeat = repeat,
            };
            if (BpfSyscall.Bpf(BpfSyscall.Command.ProgTestRun, ref attr, out int errno) < 0)
            {
                ThrowTestRun(errno);
            }

            return (attr.Retval, attr.Duration);
        }
    }

    public void Dispose()
    {
        if (_fd >= 0) BpfSyscall.Close(_fd);
        _fd = -1;
    }

    private static void ThrowTestRun(int errno) =>
        throw new InvalidOperationException($"BPF_PROG_TEST_RUN failed: {BpfSyscall.Describe(errno)}");
}
