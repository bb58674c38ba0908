using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using HeteroBpf.Btf;
using HeteroBpf.Elf;
using HeteroBpf.Isa;
using HeteroBpf.KernelOracle;

namespace HeteroBpf.Bench;

/// <summary>The kernel verifier's own statistics for one accepted load (its BPF_LOG_STATS lines).</summary>
internal readonly record struct KernelVerifierStats(long VerificationUs, int ProcessedInsns, int TotalStates, int PeakStates, int MaxStatesPerInsn);

/// <summary>
/// BPF_PROG_LOAD of one object's program with log_level BPF_LOG_STATS (4), which makes the kernel report its own
/// verification time and processed instructions even for a program it accepts. The oracle's loader asks for a log only
/// after a refusal, so this one builds the attribute itself; maps, BTF and relocations come from the oracle's
/// <see cref="KernelObject"/> (created with the object's BTF). The program goes with its func_info (the kernel wants it
/// for callbacks and global functions) but without line_info, which changes nothing the verifier proves or counts.
/// </summary>
internal static unsafe partial class VerifierKernelLoad
{
    private const long SysBpf = 321; // __NR_bpf on x86-64
    private const int CmdProgLoad = 5;
    private const int AttrSize = 144;
    private const uint LogStats = 4;
    private const int LogSize = 64 * 1024;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, int command, void* attr, uint size);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>The kernel's figures for <paramref name="spec"/> of <paramref name="kernel"/>, or its refusal in <paramref name="refusal"/>.</summary>
    public static KernelVerifierStats? Load(KernelObject kernel, BtfExtSpec? ext, ProgramSpec spec, out string refusal)
    {
        refusal = "";
        var insns = spec.Instructions.ToArray();
        for (int pc = 0; pc < insns.Length; pc += insns[pc].Width)
        {
            var insn = insns[pc];
            if (insn.IsWide && (LoadImmKind)insn.SrcNumber is LoadImmKind.MapByFd or LoadImmKind.MapValueByFd)
            {
                insns[pc] = new Instruction(insn.OpCode, insn.DstNumber, insn.SrcNumber, insn.Offset, kernel.MapFd(kernel.Object.Maps[insn.Imm].Name));
            }
        }

        byte[] funcInfo = kernel.BtfFd > 0 ? FuncInfo(ext, spec) : [];
        string license = spec.License.Length > 0 ? spec.License : kernel.Object.License;
        byte[] licenseBytes = Encoding.ASCII.GetBytes((license.Length > 0 ? license : "GPL") + "\0");
        var log = new byte[LogSize];
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        int fd;
        fixed (Instruction* code = insns)
        fixed (byte* lic = licenseBytes)
        fixed (byte* logBuf = log)
        fixed (byte* fi = funcInfo)
        {
            *(uint*)attr = (uint)spec.Type;
            *(uint*)(attr + 4) = (uint)insns.Length;
            *(ulong*)(attr + 8) = (ulong)code;
            *(ulong*)(attr + 16) = (ulong)lic;
            *(uint*)(attr + 24) = LogStats;
            *(uint*)(attr + 28) = (uint)log.Length;
            *(ulong*)(attr + 32) = (ulong)logBuf;
            *(uint*)(attr + 44) = (spec.XdpFrags ? KernelProgramLoad.FlagXdpHasFrags : 0) | (spec.Sleepable ? KernelProgramLoad.FlagSleepable : 0);
            Name(spec.Name, new Span<byte>(attr + 48, 16));
            *(uint*)(attr + 68) = spec.AttachType is { } attach ? (uint)attach : 0;
            if (funcInfo.Length > 0)
            {
                *(int*)(attr + 72) = kernel.BtfFd;
                *(uint*)(attr + 76) = KernelProgramLoad.FuncInfoRecordSize;
                *(ulong*)(attr + 80) = (ulong)fi;
                *(uint*)(attr + 88) = (uint)(funcInfo.Length / KernelProgramLoad.FuncInfoRecordSize);
            }

            fd = (int)Syscall(SysBpf, CmdProgLoad, attr, AttrSize);
        }

        int errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        string text = Encoding.UTF8.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0)));
        if (fd >= 0) Close(fd);
        var stats = Parse(text);
        if (fd >= 0 && stats is not null) return stats;
        // The reason is the last line before the statistics (with log level 4 alone the kernel prints little else).
        string reason = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => !l.StartsWith("processed ", StringComparison.Ordinal) && !l.StartsWith("verification time", StringComparison.Ordinal) && !l.StartsWith("stack depth", StringComparison.Ordinal)) ?? "";
        refusal = fd >= 0 ? "accepted, but the log has no statistics" : $"errno {errno}{(reason.Length > 0 ? ": " + reason : "")}";
        return null;
    }

    /// <summary>
    /// func_info records (first slot, FUNC type id) of every function of <paramref name="program"/>, as libbpf passes
    /// them; empty when one has no record in .BTF.ext (the kernel wants all or none). Type ids are those of the object's
    /// .BTF, which the oracle loads with the same numbering.
    /// </summary>
    public static byte[] FuncInfo(BtfExtSpec? ext, ProgramSpec program)
    {
        if (ext is null || program.Functions.IsEmpty) return [];
        var records = new byte[program.Functions.Length * KernelProgramLoad.FuncInfoRecordSize];
        for (int i = 0; i < program.Functions.Length; i++)
        {
            var f = program.Functions[i];
            if (!ext.FuncInfos.TryGetValue(f.Section, out var infos)) return [];
            int type = -1;
            foreach (var info in infos)
            {
                if (info.InsnOffset == f.SectionOffset) type = info.TypeId;
            }

            if (type < 0) return [];
            BinaryPrimitives.WriteUInt32LittleEndian(records.AsSpan(i * 8), (uint)f.Slot);
            BinaryPrimitives.WriteUInt32LittleEndian(records.AsSpan((i * 8) + 4), (uint)type);
        }

        return records;
    }

    /// <summary>The statistics lines of a kernel verifier log, or null if absent.</summary>
    public static KernelVerifierStats? Parse(string log)
    {
        var time = TimeLine().Match(log);
        var processed = ProcessedLine().Match(log);
        if (!time.Success || !processed.Success) return null;
        static int I(Group g) => int.Parse(g.Value, CultureInfo.InvariantCulture);
        return new KernelVerifierStats(long.Parse(time.Groups[1].Value, CultureInfo.InvariantCulture), I(processed.Groups[1]), I(processed.Groups[3]), I(processed.Groups[4]), I(processed.Groups[2]));
    }

    private static void Name(string name, Span<byte> into)
    {
        int n = 0;
        foreach (char c in name)
        {
            if (n == into.Length - 1) break;
            if (char.IsAsciiLetterOrDigit(c) || c is '_' or '.') into[n++] = (byte)c;
        }
    }

    [GeneratedRegex(@"verification time (\d+) usec")]
    private static partial Regex TimeLine();

    [GeneratedRegex(@"processed (\d+) insns \(limit \d+\) max_states_per_insn (\d+) total_states (\d+) peak_states (\d+)")]
    private static partial Regex ProcessedLine();
}
