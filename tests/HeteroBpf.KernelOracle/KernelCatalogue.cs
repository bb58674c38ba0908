using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using HeteroBpf.Isa;

namespace HeteroBpf.KernelOracle;

/// <summary>The kernel's verdict on a catalogue entry.</summary>
/// <param name="Accepted">True when <c>BPF_PROG_LOAD</c> gave a program.</param>
/// <param name="Message">For a refusal: the errno and the closing error lines of the verifier log (what an entry's expected message is a substring of).</param>
/// <param name="Log">For a refusal: the whole verifier log (level 1).</param>
public sealed record KernelCatalogueVerdict(bool Accepted, string Message, string Log);

/// <summary>
/// Loads <see cref="CatalogueEntry"/>s into the running kernel: creates the entry's maps (with BTF for a spin lock),
/// writes their fds into the map <c>lddw</c>s, sends BTF <c>func_info</c> when the program has subprograms (the kernel
/// wants it for <c>lddw</c> of a function, as clang would give it), and loads the program with the entry's type,
/// attach type and flags, at the entry's privilege level.
/// </summary>
public static unsafe partial class KernelCatalogue
{
    private const int CapSysAdmin = 21;
    private const int CapPerfmon = 38;
    private const long SysCapget = 125;
    private const long SysCapset = 126;
    private const uint CapabilityVersion3 = 0x20080522;

    // BTF type ids of the catalogue's BTF blob.
    private const uint BtfInt = 1;
    private const uint BtfFuncProto = 2;
    private const uint BtfLockValue = 4;
    private const uint BtfFirstFunc = 5;
    private const int MaxFunctions = 64;

    private static readonly Lazy<byte[]> Blob = new(BuildBtf);

    /// <summary>
    /// Loads <paramref name="entry"/> and closes what it made. Privilege <see cref="CataloguePrivilege.Bpf"/> loads from a
    /// thread whose effective capabilities lack CAP_SYS_ADMIN and CAP_PERFMON (capabilities are per thread in Linux; the
    /// permitted set is kept, so the thread takes them back afterwards).
    /// </summary>
    /// <exception cref="InvalidOperationException">A map or the BTF cannot be created, or the entry names a map it does not declare.</exception>
    public static KernelCatalogueVerdict Load(CatalogueEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var program = entry.Assemble();
        var fds = new List<int>();
        int btfFd = 0;
        try
        {
            bool needsBtf = entry.Maps.Any(m => m.SpinLock) || FunctionStarts(program).Count > 1;
            if (needsBtf)
            {
                btfFd = KernelBpf.LoadBtf(Blob.Value, out string btfRefusal);
                if (btfFd < 0) throw new InvalidOperationException("the catalogue's BTF was refused: " + btfRefusal);
            }

            foreach (var map in entry.Maps)
            {
                var create = new KernelMapCreate
                {
                    Type = map.Type,
                    KeySize = map.KeySize,
                    ValueSize = map.ValueSize,
                    MaxEntries = map.MaxEntries,
                    Flags = (MapFlags)map.Flags,
                    BtfFd = map.SpinLock ? btfFd : 0,
                    BtfKeyTypeId = map.SpinLock ? BtfInt : 0,
                    BtfValueTypeId = map.SpinLock ? BtfLockValue : 0,
                };
                int fd = KernelBpf.CreateMap(create, out var error);
                if (fd < 0) throw new InvalidOperationException($"{entry.Id}: map {fds.Count} ({map}) cannot be created: {KernelBpf.Describe(error)}");
                fds.Add(fd);
            }

            for (int i = 0; i < program.Length; i++)
            {
                if (!program[i].IsWide || program[i].SrcNumber is not (1 or 2)) continue;
                int index = program[i].Imm;
                if (index < 0 || index >= fds.Count) throw new InvalidOperationException($"{entry.Id}: slot {i} names map {index}, and the entry declares {fds.Count}");
                program[i] = program[i].WithImm(fds[index]);
            }

            var load = new KernelProgramLoad
            {
                Type = entry.Type,
                Instructions = program,
                Flags = entry.Flags,
                ExpectedAttachType = entry.Attach,
                Name = "catalogue",
                BtfFd = needsBtf ? btfFd : 0,
                FuncInfo = needsBtf ? FuncInfo(program) : default,
            };
            return entry.Privilege == CataloguePrivilege.Root ? LoadNow(load) : LoadWithoutPerfmon(load);
        }
        finally
        {
            foreach (int fd in fds) KernelBpf.Close(fd);
            if (btfFd > 0) KernelBpf.Close(btfFd);
        }
    }

    [GeneratedRegex(@"^(\d+: |from \d+ to \d+: )")]
    private static partial Regex TraceLine();

    private static KernelCatalogueVerdict LoadNow(KernelProgramLoad load)
    {
        int fd = KernelBpf.Load(load, out string refusal, out string log);
        if (fd >= 0)
        {
            KernelBpf.Close(fd);
            return new KernelCatalogueVerdict(true, "", "");
        }

        // The error is what follows the last instruction trace line (some errors take two lines), without statistics.
        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int last = Array.FindLastIndex(lines, l => TraceLine().IsMatch(l));
        var tail = lines.Skip(last + 1).Where(l => !l.StartsWith("processed ", StringComparison.Ordinal) && !l.StartsWith("verification time", StringComparison.Ordinal) && !l.StartsWith("stack depth", StringComparison.Ordinal));
        string errno = refusal.Split(": ", 2)[0];
        return new KernelCatalogueVerdict(false, string.Join('\n', [errno, .. tail]), log);
    }

    private static KernelCatalogueVerdict LoadWithoutPerfmon(KernelProgramLoad load)
    {
        KernelCatalogueVerdict? verdict = null;
        string? failure = null;
        // A thread of its own: the drop affects only it, and it ends with the load (the effective set is also
        // restored, in case the runtime ever kept the OS thread).
        var thread = new Thread(() =>
        {
            uint* header = stackalloc uint[2];
            uint* data = stackalloc uint[6]; // effective, permitted, inheritable for caps 0-31, then for 32-63
            header[0] = CapabilityVersion3;
            header[1] = 0; // this thread
            if (Syscall(SysCapget, header, data) < 0)
            {
                failure = "capget: " + KernelBpf.Describe((Errno)Marshal.GetLastPInvokeError());
                return;
            }

            uint effectiveLow = data[0], effectiveHigh = data[3];
            data[0] &= ~(1u << CapSysAdmin);
            data[3] &= ~(1u << (CapPerfmon - 32));
            if (Syscall(SysCapset, header, data) < 0)
            {
                failure = "capset: " + KernelBpf.Describe((Errno)Marshal.GetLastPInvokeError());
                return;
            }

            verdict = LoadNow(load);
            data[0] = effectiveLow;
            data[3] = effectiveHigh;
            _ = Syscall(SysCapset, header, data);
        });
        thread.Start();
        thread.Join();
        return verdict ?? throw new InvalidOperationException("loading without CAP_PERFMON/CAP_SYS_ADMIN failed: " + failure);
    }

    /// <summary>Slot 0 and every target of a local call or of an <c>lddw</c> of a function, in order.</summary>
    private static SortedSet<int> FunctionStarts(Instruction[] program)
    {
        var starts = new SortedSet<int> { 0 };
        for (int i = 0; i < program.Length; i++)
        {
            var insn = program[i];
            if (insn.OpCode == Opcodes.Call && insn.SrcNumber == (byte)CallKind.Local) starts.Add(i + 1 + insn.Imm);
            if (insn.IsWide && insn.SrcNumber == 4) starts.Add(i + 1 + insn.Imm);
            i += insn.Width - 1;
        }

        return starts;
    }

    private static byte[] FuncInfo(Instruction[] program)
    {
        var starts = FunctionStarts(program);
        if (starts.Count > MaxFunctions) throw new InvalidOperationException($"the catalogue's BTF describes {MaxFunctions} functions, the program has {starts.Count}");
        var records = new byte[starts.Count * KernelProgramLoad.FuncInfoRecordSize];
        int n = 0;
        foreach (int start in starts)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(records.AsSpan(n * 8), (uint)start);
            BinaryPrimitives.WriteUInt32LittleEndian(records.AsSpan((n * 8) + 4), BtfFirstFunc + (uint)n);
            n++;
        }

        return records;
    }

    /// <summary>
    /// The BTF every entry shares: 1 <c>int</c>; 2 <c>int (void)</c>; 3 <c>struct bpf_spin_lock { int val; }</c>;
    /// 4 <c>struct lock_value { struct bpf_spin_lock lock; int data; }</c>; 5.. static functions <c>f0</c>, <c>f1</c>, …
    /// </summary>
    private static byte[] BuildBtf()
    {
        var strings = new MemoryStream();
        strings.WriteByte(0);
        uint Str(string s)
        {
            uint at = (uint)strings.Length;
            strings.Write(Encoding.ASCII.GetBytes(s + "\0"));
            return at;
        }

        var types = new List<uint>();
        void Type(uint name, uint kind, uint vlen, uint sizeOrType) => types.AddRange([name, (kind << 24) | vlen, sizeOrType]);
        Type(Str("int"), 1, 0, 4);
        types.Add((1u << 24) | 32); // signed, 32 bits
        Type(0, 13, 0, BtfInt);
        Type(Str("bpf_spin_lock"), 4, 1, 4);
        types.AddRange([Str("val"), BtfInt, 0]);
        Type(Str("lock_value"), 4, 2, 8);
        types.AddRange([Str("lock"), 3, 0]);
        types.AddRange([Str("data"), BtfInt, 32]);
        for (int f = 0; f < MaxFunctions; f++) Type(Str($"f{f}"), 12, 0, BtfFuncProto);

        byte[] stringBytes = strings.ToArray();
        int typeLen = types.Count * 4;
        var blob = new byte[24 + typeLen + stringBytes.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(blob, 0xEB9F);
        blob[2] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), 24);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(12), (uint)typeLen);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(16), (uint)typeLen);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(20), (uint)stringBytes.Length);
        for (int i = 0; i < types.Count; i++) BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(24 + (i * 4)), types[i]);
        stringBytes.CopyTo(blob, 24 + typeLen);
        return blob;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, void* header, void* data);
}
