using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using HeteroBpf.KernelOracle;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>One way to load a program type into the kernel: the type, its expected attach type and load flags.</summary>
/// <param name="Name">Theory label.</param>
/// <param name="Type">The program type.</param>
/// <param name="Attach">The expected attach type (null: none, 0 to the kernel).</param>
/// <param name="Flags">BPF_PROG_LOAD flags (BPF_F_SLEEPABLE for syscall programs, which may only be sleepable).</param>
public sealed record ProgramTypeCase(string Name, ProgramType Type, AttachType? Attach = null, uint Flags = 0)
{
    /// <summary>The label.</summary>
    public override string ToString() => Name;

    /// <summary>Tracing-style types need CAP_PERFMON to load at all: the kernel cannot answer for them at <see cref="Privilege.Bpf"/>.</summary>
    public bool RootOnly => Type is ProgramType.Kprobe or ProgramType.Tracepoint or ProgramType.PerfEvent or ProgramType.RawTracepoint or ProgramType.RawTracepointWritable;
}

/// <summary>
/// The running kernel as the program-type tables' oracle: a small raw <c>BPF_PROG_LOAD</c> of hand-encoded programs
/// with a reused log buffer (tens of thousands of loads run in seconds), at root or with CAP_SYS_ADMIN and
/// CAP_PERFMON dropped on a thread of its own (<see cref="Privilege.Bpf"/>, as <see cref="KernelCatalogue"/> does).
/// </summary>
internal static unsafe partial class ProgramTypesOracle
{
    private const uint BpfFSleepable = 1u << 4;

    /// <summary>Every program type with the attach types whose rules differ.</summary>
    public static readonly ProgramTypeCase[] Cases =
    [
        new("socket_filter", ProgramType.SocketFilter),
        new("kprobe", ProgramType.Kprobe),
        new("sched_cls", ProgramType.SchedCls),
        new("sched_act", ProgramType.SchedAct),
        new("tracepoint", ProgramType.Tracepoint),
        new("xdp", ProgramType.Xdp),
        new("xdp_devmap", ProgramType.Xdp, AttachType.XdpDevmap),
        new("perf_event", ProgramType.PerfEvent),
        new("cgroup_skb_ingress", ProgramType.CgroupSkb, AttachType.CgroupInetIngress),
        new("cgroup_skb_egress", ProgramType.CgroupSkb, AttachType.CgroupInetEgress),
        new("cgroup_sock_create", ProgramType.CgroupSock),
        new("cgroup_sock_release", ProgramType.CgroupSock, AttachType.CgroupInetSockRelease),
        new("cgroup_sock_post_bind4", ProgramType.CgroupSock, AttachType.CgroupInet4PostBind),
        new("cgroup_sock_post_bind6", ProgramType.CgroupSock, AttachType.CgroupInet6PostBind),
        new("lwt_in", ProgramType.LwtIn),
        new("lwt_out", ProgramType.LwtOut),
        new("lwt_xmit", ProgramType.LwtXmit),
        new("sock_ops", ProgramType.SockOps),
        new("sk_skb", ProgramType.SkSkb),
        new("cgroup_device", ProgramType.CgroupDevice),
        new("sk_msg", ProgramType.SkMsg),
        new("raw_tracepoint", ProgramType.RawTracepoint),
        new("sock_addr_bind4", ProgramType.CgroupSockAddr, AttachType.CgroupInet4Bind),
        new("sock_addr_bind6", ProgramType.CgroupSockAddr, AttachType.CgroupInet6Bind),
        new("sock_addr_connect4", ProgramType.CgroupSockAddr, AttachType.CgroupInet4Connect),
        new("sock_addr_connect6", ProgramType.CgroupSockAddr, AttachType.CgroupInet6Connect),
        new("sock_addr_sendmsg4", ProgramType.CgroupSockAddr, AttachType.CgroupUdp4Sendmsg),
        new("sock_addr_sendmsg6", ProgramType.CgroupSockAddr, AttachType.CgroupUdp6Sendmsg),
        new("sock_addr_recvmsg4", ProgramType.CgroupSockAddr, AttachType.CgroupUdp4Recvmsg),
        new("sock_addr_recvmsg6", ProgramType.CgroupSockAddr, AttachType.CgroupUdp6Recvmsg),
        new("sock_addr_getpeername4", ProgramType.CgroupSockAddr, AttachType.CgroupInet4Getpeername),
        new("sock_addr_getsockname6", ProgramType.CgroupSockAddr, AttachType.CgroupInet6Getsockname),
        new("sock_addr_unix_connect", ProgramType.CgroupSockAddr, AttachType.CgroupUnixConnect),
        new("sock_addr_unix_recvmsg", ProgramType.CgroupSockAddr, AttachType.CgroupUnixRecvmsg),
        new("lwt_seg6local", ProgramType.LwtSeg6Local),
        new("lirc_mode2", ProgramType.LircMode2, AttachType.LircMode2),
        new("sk_reuseport", ProgramType.SkReuseport),
        new("sk_reuseport_migrate", ProgramType.SkReuseport, AttachType.SkReuseportSelectOrMigrate),
        new("flow_dissector", ProgramType.FlowDissector),
        new("cgroup_sysctl", ProgramType.CgroupSysctl),
        new("raw_tracepoint_writable", ProgramType.RawTracepointWritable),
        new("cgroup_getsockopt", ProgramType.CgroupSockopt, AttachType.CgroupGetsockopt),
        new("cgroup_setsockopt", ProgramType.CgroupSockopt, AttachType.CgroupSetsockopt),
        new("sk_lookup", ProgramType.SkLookup, AttachType.SkLookup),
        new("syscall", ProgramType.Syscall, null, BpfFSleepable),
        new("netfilter", ProgramType.Netfilter, AttachType.Netfilter),
    ];

    /// <summary>Theory data: every case at root, and at CAP_BPF for the types that load without CAP_PERFMON.</summary>
    public static TheoryData<string, Privilege> CasesAndPrivileges()
    {
        var data = new TheoryData<string, Privilege>();
        foreach (var c in Cases)
        {
            data.Add(c.Name, Privilege.Root);
            if (!c.RootOnly) data.Add(c.Name, Privilege.Bpf);
        }

        return data;
    }

    /// <summary>The case called <paramref name="name"/>.</summary>
    public static ProgramTypeCase Case(string name) => Cases.Single(c => c.Name == name);

    /// <summary>A kernel verdict: accepted, or the errno and the log's last line.</summary>
    public readonly record struct Verdict(bool Accepted, string Message, string Log);

    // --- Encoding (hand-made: the oracle should not depend on the assembler it checks others against) ---

    /// <summary>One instruction as the kernel reads it.</summary>
    public static ulong Insn(byte code, int dst = 0, int src = 0, short off = 0, int imm = 0) =>
        code | ((ulong)(byte)((src << 4) | dst) << 8) | ((ulong)(ushort)off << 16) | ((ulong)(uint)imm << 32);

    /// <summary><c>rD = imm</c> (64-bit move of a sign-extended immediate).</summary>
    public static ulong MovImm(int dst, int imm) => Insn(0xb7, dst, 0, 0, imm);

    /// <summary><c>exit</c>.</summary>
    public static ulong Exit() => Insn(0x95);

    /// <summary><c>call id</c> (a helper).</summary>
    public static ulong Call(int id) => Insn(0x85, 0, 0, 0, id);

    /// <summary>The size bits of a load or store of <paramref name="size"/> bytes.</summary>
    public static byte SizeBits(int size) => size switch { 1 => 0x10, 2 => 0x08, 4 => 0x00, _ => 0x18 };

    /// <summary><c>rD = *(uN *)(rS + off)</c>.</summary>
    public static ulong Load(int size, int dst, int src, short off) => Insn((byte)(0x61 | SizeBits(size)), dst, src, off);

    /// <summary><c>*(uN *)(rD + off) = rS</c>.</summary>
    public static ulong Store(int size, int dst, int src, short off) => Insn((byte)(0x63 | SizeBits(size)), dst, src, off);

    /// <summary>The value a program of <paramref name="info"/> exits with to be accepted: the bottom of its return range, else 0.</summary>
    public static int GoodReturn(ProgramTypeInfo info) => info.ReturnRange is { } r ? (int)r.Min : 0;

    // --- Loading ---

    [ThreadStatic]
    private static byte[]? logBuffer;

    private static readonly byte[] License = "GPL\0"u8.ToArray();
    private static readonly byte[] NonGplLicense = "Proprietary\0"u8.ToArray();

    /// <summary>Loads <paramref name="program"/> as <paramref name="c"/> on the calling thread (GPL unless <paramref name="gpl"/> is false); closes it when accepted.</summary>
    public static Verdict LoadHere(ProgramTypeCase c, ReadOnlySpan<ulong> program, int logLevel = 1, bool gpl = true)
    {
        logBuffer ??= new byte[1 << 16];
        byte* attr = stackalloc byte[144];
        new Span<byte>(attr, 144).Clear();
        fixed (ulong* insns = program)
        fixed (byte* lic = gpl ? License : NonGplLicense)
        fixed (byte* log = logBuffer)
        {
            *(uint*)attr = (uint)c.Type;
            *(uint*)(attr + 4) = (uint)program.Length;
            *(ulong*)(attr + 8) = (ulong)insns;
            *(ulong*)(attr + 16) = (ulong)lic;
            *(uint*)(attr + 24) = (uint)logLevel;
            *(uint*)(attr + 28) = (uint)logBuffer.Length;
            *(ulong*)(attr + 32) = (ulong)log;
            *(uint*)(attr + 44) = c.Flags;
            *(uint*)(attr + 68) = c.Attach is { } a ? (uint)a : 0;
            log[0] = 0;
            int fd = (int)Syscall(321, 5, attr, 144);
            int errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            int length = Array.IndexOf(logBuffer, (byte)0);
            string text = Encoding.UTF8.GetString(logBuffer, 0, Math.Max(0, length));
            if (fd >= 0)
            {
                Close(fd);
                return new Verdict(true, "", logLevel > 1 ? text : "");
            }

            // ENOSPC: the log filled up; the verdict still stands (a refusal), the reason is cut.
            string reason = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .LastOrDefault(l => !l.StartsWith("processed ", StringComparison.Ordinal) && !l.StartsWith("verification time", StringComparison.Ordinal) && !l.StartsWith("stack depth", StringComparison.Ordinal)) ?? "";
            return new Verdict(false, $"errno {errno}: {reason}", text);
        }
    }

    /// <summary>Runs <paramref name="work"/> at <paramref name="privilege"/>: directly as root, or on a thread without CAP_SYS_ADMIN and CAP_PERFMON.</summary>
    public static T RunAt<T>(Privilege privilege, Func<T> work)
    {
        if (privilege == Privilege.Root) return work();
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            uint* header = stackalloc uint[2];
            uint* data = stackalloc uint[6];
            header[0] = 0x20080522; // _LINUX_CAPABILITY_VERSION_3
            if (CapSyscall(125, header, data) < 0)
            {
                failure = new InvalidOperationException("capget failed");
                return;
            }

            uint low = data[0], high = data[3];
            data[0] &= ~(1u << 21); // CAP_SYS_ADMIN
            data[3] &= ~(1u << (38 - 32)); // CAP_PERFMON
            if (CapSyscall(126, header, data) < 0)
            {
                failure = new InvalidOperationException("capset failed");
                return;
            }

            try
            {
                result = work();
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                data[0] = low;
                data[3] = high;
                _ = CapSyscall(126, header, data);
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException("work at CAP_BPF failed", failure);
        return result;
    }

    /// <summary>Skips the test unless the kernel can answer, and unless it loads a trivial program of <paramref name="c"/> at <paramref name="privilege"/>.</summary>
    public static void SkipUnlessLoadable(ProgramTypeCase c, Privilege privilege, int exitValue)
    {
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        var verdict = RunAt(privilege, () => LoadHere(c, [MovImm(0, exitValue), Exit()]));
        if (!verdict.Accepted) Assert.Skip($"the kernel loads no {c.Name} program here ({verdict.Message}), so it cannot be the oracle for this type");
    }

    /// <summary>
    /// True when the kernel's refusal says the type may not call the helper at all (its func_proto gave none, or the
    /// helper refuses the program, or it might sleep in a program that may not): anything else, acceptance or a
    /// complaint about an argument, means the call itself is allowed.
    /// </summary>
    public static bool HelperRefused(string message) =>
        message.Contains("cannot use helper", StringComparison.Ordinal) || message.Contains("unknown func", StringComparison.Ordinal)
        || message.Contains("helper call is not allowed in probe", StringComparison.Ordinal) || message.Contains("might sleep in a non-sleepable prog", StringComparison.Ordinal);

    /// <summary>The register type the log level 2 state after slot 0 gives R0, in our vocabulary (null when absent).</summary>
    public static RegisterType? LoadedType(string log)
    {
        var match = R0State().Match(log);
        if (!match.Success) return null;
        string kind = match.Groups[1].Value;
        return kind switch
        {
            "pkt" => RegisterType.PtrToPacket,
            "pkt_end" => RegisterType.PtrToPacketEnd,
            "pkt_meta" => RegisterType.PtrToPacketMeta,
            "flow_keys" => RegisterType.PtrToFlowKeys,
            "sock" => RegisterType.PtrToSocket,
            "sock_or_null" => RegisterType.PtrToSocketOrNull,
            "sock_common" => RegisterType.PtrToSockCommon,
            "sock_common_or_null" => RegisterType.PtrToSockCommonOrNull,
            "scalar" => RegisterType.Scalar,
            _ when char.IsAsciiDigit(kind[0]) || kind[0] == '-' => RegisterType.Scalar,
            // ptr_ (BTF pointers), tp_buffer: kinds this verifier does not model.
            _ => RegisterType.NotInit,
        };
    }

    [GeneratedRegex(@"^0: \([0-9a-f]{2}\) r0 = \*\(u\d+ \*\)\(r1 \+\d+\)\s*; R0(?:_w)?=([a-z_]+|-?\d+)", RegexOptions.Multiline)]
    private static partial Regex R0State();

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long command, void* attr, long size);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long CapSyscall(long number, void* header, void* data);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}

/// <summary>The oracle's own checks: it loads what it should and refuses what it should, so a mismatch elsewhere is the tables'.</summary>
public sealed class ProgramTypesOracleTests
{
    [Fact]
    public void OracleAcceptsTrivialAndRefusesUninitialisedReturn()
    {
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        var c = ProgramTypesOracle.Case("socket_filter");
        Assert.True(ProgramTypesOracle.LoadHere(c, [ProgramTypesOracle.MovImm(0, 0), ProgramTypesOracle.Exit()]).Accepted);
        var refused = ProgramTypesOracle.LoadHere(c, [ProgramTypesOracle.Exit()]);
        Assert.False(refused.Accepted);
        Assert.Contains("R0 !read_ok", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OracleDropsPrivilege()
    {
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        // trace_printk needs CAP_PERFMON: allowed as root, refused at CAP_BPF.
        var c = ProgramTypesOracle.Case("socket_filter");
        ulong[] program = [ProgramTypesOracle.MovImm(1, 0), ProgramTypesOracle.MovImm(2, 0), ProgramTypesOracle.Call(6), ProgramTypesOracle.MovImm(0, 0), ProgramTypesOracle.Exit()];
        var root = ProgramTypesOracle.RunAt(Privilege.Root, () => ProgramTypesOracle.LoadHere(c, program));
        var bpf = ProgramTypesOracle.RunAt(Privilege.Bpf, () => ProgramTypesOracle.LoadHere(c, program));
        Assert.False(ProgramTypesOracle.HelperRefused(root.Message), root.Message);
        Assert.True(ProgramTypesOracle.HelperRefused(bpf.Message), bpf.Message);
    }

    [Fact]
    public void OracleReadsTheLoadedType()
    {
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        var c = ProgramTypesOracle.Case("xdp");
        var verdict = ProgramTypesOracle.LoadHere(c, [ProgramTypesOracle.Load(4, 0, 1, 0), ProgramTypesOracle.MovImm(0, 0), ProgramTypesOracle.Exit()], logLevel: 2);
        Assert.True(verdict.Accepted, verdict.Message);
        Assert.Equal(RegisterType.PtrToPacket, ProgramTypesOracle.LoadedType(verdict.Log));
    }
}
