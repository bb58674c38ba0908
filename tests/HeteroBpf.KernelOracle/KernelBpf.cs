using System.Runtime.InteropServices;
using System.Text;
using HeteroBpf.Isa;

namespace HeteroBpf.KernelOracle;

/// <summary>
/// The running kernel as an independent oracle, through the raw <c>bpf()</c> syscall (no libbpf): load BTF and
/// programs, let the verifier accept or refuse them, run them with <c>BPF_PROG_TEST_RUN</c>; create maps and drive them
/// with the element commands, whose errnos are the map semantics' reference. Attribute layouts are those of
/// <c>union bpf_attr</c> in <c>linux/bpf.h</c> (x86-64).
/// </summary>
public static unsafe partial class KernelBpf
{
    private const long SysBpf = 321; // __NR_bpf on x86-64
    private const int CmdMapCreate = 0;
    private const int CmdMapLookupElem = 1;
    private const int CmdMapUpdateElem = 2;
    private const int CmdMapDeleteElem = 3;
    private const int CmdMapGetNextKey = 4;
    private const int CmdProgLoad = 5;
    private const int CmdProgTestRun = 10;
    private const int CmdObjGetInfoByFd = 15;
    private const int CmdBtfLoad = 18;
    private const int CmdMapLookupAndDeleteElem = 21;
    private const int CmdMapFreeze = 22;
    private const int AttrSize = 144;
    private const int LogSize = 1 << 22;

    /// <summary>BPF_PROG_TYPE_SOCKET_FILTER: any return value, R1 = the skb, LD_ABS/LD_IND allowed.</summary>
    public const uint SocketFilter = (uint)ProgramType.SocketFilter;

    /// <summary>Size of <c>struct xdp_md</c>, the context <see cref="TestRun(int, in KernelTestRun)"/> takes and gives for XDP.</summary>
    public const int XdpMdSize = 24;

    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>Why the kernel cannot serve as oracle here (null when it can); tests skip with this reason.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    /// <summary>Loads <paramref name="program"/> as <paramref name="type"/> under GPL; gives its fd, or -1 and the verifier's reason (or errno) in <paramref name="refusal"/>.</summary>
    public static int Load(ReadOnlySpan<Instruction> program, uint type, out string refusal) =>
        Load(new KernelProgramLoad { Type = (ProgramType)type, Instructions = program.ToArray() }, out refusal, out _);

    // EINTR: a syscall interrupted by a signal (Errno, the map errnos, lacks it).
    private const int EIntr = 4;

    /// <summary>
    /// <c>BPF_PROG_LOAD</c> of <paramref name="load"/>: the program's fd, or -1 with the errno and the verifier's reason
    /// (its last line before the statistics) in <paramref name="refusal"/> and the whole verifier log in
    /// <paramref name="log"/>. The first attempt runs without a log; only a refusal is loaded again to say why.
    /// </summary>
    public static int Load(KernelProgramLoad load, out string refusal, out string log)
    {
        ArgumentNullException.ThrowIfNull(load);
        refusal = "";
        log = "";
        var buffer = new byte[LogSize];
        int fd, errno;
        // The first load runs without a log, the second with one. The verifier gives up with EAGAIN when a signal is
        // pending (do_check's signal_pending check), leaving a log cut short before its error line, and with ENOMEM
        // when memory is short; neither is a verdict on the program (under heavy load a refusal has been seen to come
        // back with no error line at all), so both loads are asked again, a few times.
        int attempt = 0;
        while (true)
        {
            fd = LoadOnce(load, null);
            if (fd >= 0) return fd;
            int first = Marshal.GetLastPInvokeError();
            Array.Clear(buffer);
            fd = LoadOnce(load, buffer);
            if (fd >= 0) return fd;
            errno = Marshal.GetLastPInvokeError();
            // (E2BIG without a log and ENOSPC with a full one is a real verdict: a program too large for both.)
            bool transient = errno is (int)Errno.EAGAIN or EIntr or (int)Errno.ENOMEM || first is (int)Errno.EAGAIN or EIntr or (int)Errno.ENOMEM;
            if (!transient || ++attempt >= 10) break;
            Thread.Sleep(10 * attempt);
        }

        log = Encoding.UTF8.GetString(buffer, 0, Math.Max(0, Array.IndexOf(buffer, (byte)0)));
        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // The verifier's reason is the last line before its "processed N insns" statistics.
        string reason = lines.LastOrDefault(l => !l.StartsWith("processed ", StringComparison.Ordinal) && !l.StartsWith("verification time", StringComparison.Ordinal) && !l.StartsWith("stack depth", StringComparison.Ordinal)) ?? "";
        refusal = $"{Describe((Errno)errno)}{(reason.Length > 0 ? ": " + reason : "")}";
        return -1;
    }

    /// <summary>
    /// One <c>BPF_PROG_TEST_RUN</c> over <paramref name="data"/>, once; gives the program's 32-bit return value.
    /// </summary>
    /// <exception cref="InvalidOperationException">The kernel refused the run (the message has the errno).</exception>
    public static uint TestRun(int fd, ReadOnlySpan<byte> data)
    {
        var result = TestRun(fd, new KernelTestRun { DataIn = data });
        if (result.Errno != Errno.Ok) throw new InvalidOperationException($"BPF_PROG_TEST_RUN failed: {Describe(result.Errno)}");
        return result.Retval;
    }

    /// <summary>
    /// <c>BPF_PROG_TEST_RUN</c> with every input of <paramref name="args"/>; the kernel's errno and outputs. On ENOSPC
    /// (<see cref="KernelTestRun.DataOut"/> or <see cref="KernelTestRun.CtxOut"/> shorter than the result) the kernel
    /// still copies what fits and reports the full sizes, the return value and the duration.
    /// </summary>
    public static KernelTestRunResult TestRun(int progFd, in KernelTestRun args)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        fixed (byte* dataIn = args.DataIn)
        fixed (byte* dataOut = args.DataOut)
        fixed (byte* ctxIn = args.CtxIn)
        fixed (byte* ctxOut = args.CtxOut)
        {
            *(uint*)attr = (uint)progFd;
            *(uint*)(attr + 8) = (uint)args.DataIn.Length;
            *(uint*)(attr + 12) = (uint)args.DataOut.Length;
            *(ulong*)(attr + 16) = (ulong)dataIn;
            *(ulong*)(attr + 24) = (ulong)dataOut;
            *(uint*)(attr + 32) = args.Repeat;
            *(uint*)(attr + 40) = (uint)args.CtxIn.Length;
            *(uint*)(attr + 44) = (uint)args.CtxOut.Length;
            *(ulong*)(attr + 48) = (ulong)ctxIn;
            *(ulong*)(attr + 56) = (ulong)ctxOut;
            *(uint*)(attr + 64) = args.Flags;
            *(uint*)(attr + 68) = args.Cpu;
            var errno = Syscall(SysBpf, CmdProgTestRun, attr, AttrSize) < 0 ? (Errno)Marshal.GetLastPInvokeError() : Errno.Ok;
            return new KernelTestRunResult(errno, *(uint*)(attr + 4), *(uint*)(attr + 36), *(uint*)(attr + 12), *(uint*)(attr + 44));
        }
    }

    /// <summary>
    /// <c>BPF_BTF_LOAD</c> of a raw BTF blob: its fd, or -1 with the errno and the kernel's BTF log in <paramref name="refusal"/>.
    /// </summary>
    public static int LoadBtf(ReadOnlySpan<byte> blob, out string refusal)
    {
        refusal = "";
        var log = new byte[LogSize];
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        fixed (byte* b = blob)
        fixed (byte* l = log)
        {
            *(ulong*)attr = (ulong)b;
            *(uint*)(attr + 16) = (uint)blob.Length;
            int fd = (int)Syscall(SysBpf, CmdBtfLoad, attr, AttrSize);
            if (fd >= 0) return fd;
            int errno = Marshal.GetLastPInvokeError();
            *(ulong*)(attr + 8) = (ulong)l;
            *(uint*)(attr + 20) = (uint)log.Length;
            *(uint*)(attr + 24) = 1;
            fd = (int)Syscall(SysBpf, CmdBtfLoad, attr, AttrSize);
            if (fd >= 0) return fd;
            string text = Encoding.UTF8.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0))).Trim();
            refusal = $"{Describe((Errno)errno)}{(text.Length > 0 ? ": " + text : "")}";
            return -1;
        }
    }

    /// <summary>Closes a program, map or BTF fd.</summary>
    public static void Close(int fd) => CloseFd(fd);

    /// <summary><c>BPF_MAP_CREATE</c>: the new map's fd, or -1 with the errno in <paramref name="error"/> (maps of maps: shaped like <paramref name="innerMapFd"/>).</summary>
    public static int CreateMap(uint type, uint keySize, uint valueSize, uint maxEntries, uint flags, out Errno error, int innerMapFd = 0) =>
        CreateMap(new KernelMapCreate { Type = (MapType)type, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries, Flags = (MapFlags)flags, InnerMapFd = innerMapFd }, out error);

    /// <summary><c>BPF_MAP_CREATE</c> with every attribute of <paramref name="create"/>: the new map's fd, or -1 with the errno in <paramref name="error"/>.</summary>
    public static int CreateMap(in KernelMapCreate create, out Errno error)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = (uint)create.Type;
        *(uint*)(attr + 4) = create.KeySize;
        *(uint*)(attr + 8) = create.ValueSize;
        *(uint*)(attr + 12) = create.MaxEntries;
        *(uint*)(attr + 16) = (uint)create.Flags;
        *(int*)(attr + 20) = create.InnerMapFd;
        ObjectName(create.Name, new Span<byte>(attr + 28, 16));
        *(int*)(attr + 48) = create.BtfFd;
        *(uint*)(attr + 52) = create.BtfKeyTypeId;
        *(uint*)(attr + 56) = create.BtfValueTypeId;
        *(ulong*)(attr + 64) = create.MapExtra;
        int fd = (int)Syscall(SysBpf, CmdMapCreate, attr, AttrSize);
        error = fd < 0 ? (Errno)Marshal.GetLastPInvokeError() : Errno.Ok;
        return fd;
    }

    /// <summary><c>BPF_MAP_LOOKUP_ELEM</c> (queue/stack: peek; an empty key is passed as null; prog arrays and maps of maps give the kernel id of the entry).</summary>
    public static Errno Lookup(int fd, ReadOnlySpan<byte> key, Span<byte> value) => ElementCommand(CmdMapLookupElem, fd, key, value, 0);

    /// <summary><c>BPF_MAP_UPDATE_ELEM</c> (queue/stack: push; prog arrays and maps of maps take an fd).</summary>
    public static Errno Update(int fd, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags) =>
        ElementCommand(CmdMapUpdateElem, fd, key, MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(value), value.Length), flags);

    /// <summary><c>BPF_MAP_DELETE_ELEM</c>.</summary>
    public static Errno Delete(int fd, ReadOnlySpan<byte> key) => ElementCommand(CmdMapDeleteElem, fd, key, default, 0);

    /// <summary><c>BPF_MAP_GET_NEXT_KEY</c>; an empty <paramref name="key"/> asks for the first key.</summary>
    public static Errno GetNextKey(int fd, ReadOnlySpan<byte> key, Span<byte> next) => ElementCommand(CmdMapGetNextKey, fd, key, next, 0);

    /// <summary><c>BPF_MAP_LOOKUP_AND_DELETE_ELEM</c> with no key (queue/stack: pop).</summary>
    public static Errno LookupAndDelete(int fd, Span<byte> value) => ElementCommand(CmdMapLookupAndDeleteElem, fd, default, value, 0);

    /// <summary><c>BPF_MAP_FREEZE</c>: no more writes from user space (with BPF_F_RDONLY_PROG, the verifier then trusts the contents).</summary>
    public static Errno Freeze(int fd)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = (uint)fd;
        return Syscall(SysBpf, CmdMapFreeze, attr, AttrSize) < 0 ? (Errno)Marshal.GetLastPInvokeError() : Errno.Ok;
    }

    /// <summary>What the kernel kept of the program behind <paramref name="fd"/> (<c>struct bpf_prog_info</c>); null when it refuses.</summary>
    public static KernelProgramInfo? ProgramInfo(int fd)
    {
        Span<byte> info = stackalloc byte[232];
        if (!GetInfo(fd, info)) return null;
        return new KernelProgramInfo(U32(info, 4), (ProgramType)U32(info, 0), U32(info, 128), U32(info, 144), U32(info, 148));
    }

    /// <summary>What the kernel kept of the map behind <paramref name="fd"/> (<c>struct bpf_map_info</c>); null when it refuses.</summary>
    public static KernelMapInfo? MapInfo(int fd)
    {
        Span<byte> info = stackalloc byte[88];
        if (!GetInfo(fd, info)) return null;
        return new KernelMapInfo(U32(info, 4), (MapType)U32(info, 0), U32(info, 64), U32(info, 68), U32(info, 72));
    }

    /// <summary>
    /// The kernel id of the program, map or BTF behind <paramref name="fd"/> (<c>BPF_OBJ_GET_INFO_BY_FD</c>; the id is
    /// the second u32 of <c>bpf_prog_info</c>, <c>bpf_map_info</c> and <c>bpf_btf_info</c> alike); 0 when the kernel refuses.
    /// </summary>
    public static uint ObjectId(int fd)
    {
        byte* info = stackalloc byte[16];
        new Span<byte>(info, 16).Clear();
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = (uint)fd;
        *(uint*)(attr + 4) = 8;
        *(ulong*)(attr + 8) = (ulong)info;
        return Syscall(SysBpf, CmdObjGetInfoByFd, attr, AttrSize) < 0 ? 0 : *(uint*)(info + 4);
    }

    private static uint U32(ReadOnlySpan<byte> bytes, int at) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes[at..]);

    /// <summary><c>BPF_OBJ_GET_INFO_BY_FD</c> into <paramref name="info"/> (cleared first).</summary>
    private static bool GetInfo(int fd, Span<byte> info)
    {
        info.Clear();
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        fixed (byte* i = info)
        {
            *(uint*)attr = (uint)fd;
            *(uint*)(attr + 4) = (uint)info.Length;
            *(ulong*)(attr + 8) = (ulong)i;
            return Syscall(SysBpf, CmdObjGetInfoByFd, attr, AttrSize) >= 0;
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

    /// <summary>An errno for messages: <c>errno 22 (Invalid argument)</c>.</summary>
    public static string Describe(Errno errno) => $"errno {(int)errno} ({Marshal.GetPInvokeErrorMessage((int)errno)})";

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

    private static int LoadOnce(KernelProgramLoad load, byte[]? log)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        byte[] license = Encoding.ASCII.GetBytes(load.License + "\0");
        fixed (Instruction* insns = load.Instructions.Span)
        fixed (byte* lic = license)
        fixed (byte* logBuf = log)
        fixed (byte* funcInfo = load.FuncInfo.Span)
        fixed (byte* lineInfo = load.LineInfo.Span)
        {
            *(uint*)attr = (uint)load.Type;
            *(uint*)(attr + 4) = (uint)load.Instructions.Length;
            *(ulong*)(attr + 8) = (ulong)insns;
            *(ulong*)(attr + 16) = (ulong)lic;
            if (log is not null)
            {
                *(uint*)(attr + 24) = 1;
                *(uint*)(attr + 28) = (uint)log.Length;
                *(ulong*)(attr + 32) = (ulong)logBuf;
            }

            *(uint*)(attr + 44) = load.Flags;
            ObjectName(load.Name, new Span<byte>(attr + 48, 16));
            *(uint*)(attr + 68) = load.ExpectedAttachType is { } attach ? (uint)attach : 0;
            if (load.BtfFd > 0)
            {
                *(int*)(attr + 72) = load.BtfFd;
                if (!load.FuncInfo.IsEmpty)
                {
                    *(uint*)(attr + 76) = KernelProgramLoad.FuncInfoRecordSize;
                    *(ulong*)(attr + 80) = (ulong)funcInfo;
                    *(uint*)(attr + 88) = (uint)(load.FuncInfo.Length / KernelProgramLoad.FuncInfoRecordSize);
                }

                if (!load.LineInfo.IsEmpty)
                {
                    *(uint*)(attr + 92) = KernelProgramLoad.LineInfoRecordSize;
                    *(ulong*)(attr + 96) = (ulong)lineInfo;
                    *(uint*)(attr + 104) = (uint)(load.LineInfo.Length / KernelProgramLoad.LineInfoRecordSize);
                }
            }

            return (int)Syscall(SysBpf, CmdProgLoad, attr, AttrSize);
        }
    }

    /// <summary>An object name as the kernel accepts it: at most 15 characters, letters, digits, '_' and '.'.</summary>
    private static void ObjectName(string? name, Span<byte> into)
    {
        if (name is null) return;
        int n = 0;
        foreach (char c in name)
        {
            if (n == into.Length - 1) break;
            if (char.IsAsciiLetterOrDigit(c) || c is '_' or '.') into[n++] = (byte)c;
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
