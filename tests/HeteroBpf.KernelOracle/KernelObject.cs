using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using HeteroBpf.Elf;
using HeteroBpf.Isa;

namespace HeteroBpf.KernelOracle;

/// <summary>One entry of <see cref="KernelObject.Dump"/>: a key and its value, or one value per possible CPU for per-CPU maps.</summary>
/// <param name="Key">The key as the kernel gave it.</param>
/// <param name="Values">One value; per-CPU maps: one per possible CPU, each rounded up to 8 bytes as the syscall copies it;
/// prog arrays and maps of maps: the kernel id (u32) of the program or map in the slot.</param>
public sealed record KernelMapEntry(byte[] Key, IReadOnlyList<byte[]> Values);

/// <summary>The kernel refused part of an object: the message has the reason, <see cref="Log"/> the whole verifier or BTF log.</summary>
public sealed class KernelRefusedException(string message, string log) : Exception(message)
{
    /// <summary>The kernel's whole log (empty when it gave none).</summary>
    public string Log { get; } = log;
}

/// <summary>
/// An <see cref="ObjectFile"/> loaded into the running kernel the way libbpf loads it, without libbpf: the object's
/// <c>.BTF</c> (DATASECs fixed up) with <c>BPF_BTF_LOAD</c>; every map from its <see cref="MapSpec"/> (BTF key and value
/// type ids when the spec has them, retried without BTF when the map type takes none; maps of maps shaped by an inner
/// template made from <see cref="MapSpec.InnerMap"/>), plain initial contents written and BPF_F_RDONLY_PROG maps frozen
/// right after creation (so the verifier trusts them), map-in-map slots once every map exists; programs with their
/// type, expected attach type, flags, BTF <c>func_info</c> and <c>line_info</c>, map <c>lddw</c>s patched to the kernel
/// fds, and prog-array slots naming a program filled as soon as it loads. Disposing closes every fd.
/// </summary>
public sealed class KernelObject : IDisposable
{
    private readonly List<int> _fds = [];
    private readonly int[] _mapFds;
    private readonly Dictionary<string, int> _mapIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _programFds = new(StringComparer.Ordinal);
    private readonly KernelBtf? _btf;
    private readonly int _btfFd;

    private KernelObject(ObjectFile obj)
    {
        Object = obj;
        _mapFds = new int[obj.Maps.Length];
        for (int i = 0; i < obj.Maps.Length; i++) _mapIndex.TryAdd(obj.Maps[i].Name, i);
        _btf = KernelBtf.For(obj);
        if (_btf is not null)
        {
            _btfFd = KernelBpf.LoadBtf(_btf.Blob, out string refusal);
            if (_btfFd < 0) throw new KernelRefusedException($"{obj.Name}: kernel refused the object's BTF: {refusal}", refusal);
            _fds.Add(_btfFd);
        }
    }

    /// <summary>The object loaded.</summary>
    public ObjectFile Object { get; }

    /// <summary>The fd of the object's BTF in the kernel (0 when the object has none).</summary>
    public int BtfFd => _btfFd;

    /// <summary>Creates the object's maps (with their contents) in the kernel, loading no program yet.</summary>
    /// <exception cref="KernelRefusedException">The kernel refused the BTF, a map, an initial entry or a freeze.</exception>
    public static KernelObject Open(ObjectFile obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var kernel = new KernelObject(obj);
        try
        {
            kernel.CreateMaps();
            return kernel;
        }
        catch
        {
            kernel.Dispose();
            throw;
        }
    }

    /// <summary>Creates the object's maps and loads every program, as libbpf's <c>bpf_object__load</c> does.</summary>
    /// <exception cref="KernelRefusedException">The kernel refused something; for a program, <see cref="KernelRefusedException.Log"/> is the verifier log.</exception>
    public static KernelObject Load(ObjectFile obj)
    {
        var kernel = Open(obj);
        try
        {
            foreach (var program in obj.Programs) kernel.LoadProgram(program.Name);
            return kernel;
        }
        catch
        {
            kernel.Dispose();
            throw;
        }
    }

    /// <summary>Loads program <paramref name="name"/> (as <paramref name="type"/> when given, else its spec's type); gives its fd.</summary>
    /// <exception cref="KernelRefusedException">The verifier refused it: the message has the reason, <see cref="KernelRefusedException.Log"/> the log.</exception>
    public int LoadProgram(string name, ProgramType? type = null)
    {
        if (TryLoadProgram(name, out string? refusal, out string log, type)) return _programFds[name];
        throw new KernelRefusedException($"{Object.Name}: kernel refused program {name}: {refusal}", log);
    }

    /// <summary>Loads program <paramref name="name"/> (as <paramref name="type"/> when given); false with the kernel's reason when it refuses.</summary>
    public bool TryLoadProgram(string name, [NotNullWhen(false)] out string? refusal, ProgramType? type = null) =>
        TryLoadProgram(name, out refusal, out _, type);

    /// <summary>The fd of loaded program <paramref name="name"/>.</summary>
    public int ProgramFd(string name) =>
        _programFds.TryGetValue(name, out int fd) ? fd : throw new InvalidOperationException($"program {name} is not loaded");

    /// <summary>The fd of map <paramref name="name"/>.</summary>
    public int MapFd(string name) =>
        _mapIndex.TryGetValue(name, out int i) ? _mapFds[i] : throw new KeyNotFoundException($"{Object.Name} has no map {name}");

    /// <summary>The kernel id of loaded program <paramref name="name"/>.</summary>
    public uint ProgramId(string name) => KernelBpf.ObjectId(ProgramFd(name));

    /// <summary>The kernel id of map <paramref name="name"/>.</summary>
    public uint MapId(string name) => KernelBpf.ObjectId(MapFd(name));

    /// <summary><c>BPF_MAP_UPDATE_ELEM</c> on map <paramref name="map"/>.</summary>
    public Errno Update(string map, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags) => KernelBpf.Update(MapFd(map), key, value, flags);

    /// <summary>Puts loaded program <paramref name="program"/> in slot <paramref name="key"/> of prog array <paramref name="map"/>.</summary>
    public Errno SetProgram(string map, ReadOnlySpan<byte> key, string program) => SetFd(map, key, ProgramFd(program));

    /// <summary>Puts map <paramref name="innerMap"/> in slot <paramref name="key"/> of map-in-map <paramref name="map"/>.</summary>
    public Errno SetInner(string map, ReadOnlySpan<byte> key, string innerMap) => SetFd(map, key, MapFd(innerMap));

    /// <summary>
    /// Applies one <c>--map-set</c> entry as HeteroBpf's <see cref="HeteroBpf.Offload.MapSet"/> does: a program or inner
    /// map by name, or a value with its flags; a per-CPU value given once is copied to every possible CPU.
    /// </summary>
    public Errno Apply(HeteroBpf.Offload.MapSetEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Program is { } program) return SetProgram(entry.Map, entry.Key, program);
        if (entry.Inner is { } inner) return SetInner(entry.Map, entry.Key, inner);
        var spec = Object.Maps.Single(m => m.Name == entry.Map);
        byte[] value = entry.Value!;
        if (spec.Type is MapType.PerCpuArray or MapType.PerCpuHash or MapType.LruPerCpuHash && value.Length == spec.ValueSize)
        {
            int stride = (int)((spec.ValueSize + 7) & ~7u), cpus = KernelBpf.PossibleCpus();
            var all = new byte[stride * cpus];
            for (int c = 0; c < cpus; c++) value.CopyTo(all, c * stride);
            value = all;
        }

        return Update(entry.Map, entry.Key, value, (ulong)entry.Flags);
    }

    /// <summary>
    /// Every entry of map <paramref name="map"/> in <c>get_next_key</c> order, looked up one by one; keys whose lookup
    /// finds nothing (empty prog-array slots) are left out.
    /// </summary>
    /// <exception cref="InvalidOperationException">The map has no keys to walk (queue, stack, ring buffer, bloom filter), or the kernel refused a step.</exception>
    public IReadOnlyList<KernelMapEntry> Dump(string map)
    {
        var spec = Object.Maps[_mapIndex.TryGetValue(map, out int index) ? index : throw new KeyNotFoundException($"{Object.Name} has no map {map}")];
        int fd = _mapFds[index];
        if (spec.KeySize == 0) throw new InvalidOperationException($"map {map} ({spec.Type}) has no keys to walk");
        bool perCpu = spec.Type is MapType.PerCpuArray or MapType.PerCpuHash or MapType.LruPerCpuHash or MapType.PerCpuCgroupStorage;
        bool ids = spec.Type is MapType.ProgArray or MapType.ArrayOfMaps or MapType.HashOfMaps;
        int cpus = perCpu ? KernelBpf.PossibleCpus() : 1;
        int each = perCpu ? (int)((spec.ValueSize + 7) & ~7u) : ids ? 4 : (int)spec.ValueSize;
        var entries = new List<KernelMapEntry>();
        byte[] key = [];
        while (true)
        {
            var next = new byte[spec.KeySize];
            var walked = KernelBpf.GetNextKey(fd, key, next);
            if (walked == Errno.ENOENT) break;
            if (walked != Errno.Ok) throw new InvalidOperationException($"get_next_key on {map}: {KernelBpf.Describe(walked)}");
            var value = new byte[each * cpus];
            var looked = KernelBpf.Lookup(fd, next, value);
            if (looked == Errno.Ok)
            {
                var values = new byte[cpus][];
                for (int c = 0; c < cpus; c++) values[c] = value.AsSpan(c * each, each).ToArray();
                entries.Add(new KernelMapEntry(next, values));
            }
            else if (looked != Errno.ENOENT)
            {
                throw new InvalidOperationException($"lookup on {map}: {KernelBpf.Describe(looked)}");
            }

            key = next;
        }

        return entries;
    }

    /// <summary>Closes every fd: programs, maps, inner-map templates, BTF.</summary>
    public void Dispose()
    {
        foreach (int fd in _fds) KernelBpf.Close(fd);
        _fds.Clear();
        _programFds.Clear();
    }

    private bool TryLoadProgram(string name, [NotNullWhen(false)] out string? refusal, out string log, ProgramType? type)
    {
        refusal = null;
        log = "";
        if (_programFds.ContainsKey(name)) return true;
        var spec = Object.Programs.FirstOrDefault(p => p.Name == name) ?? throw new KeyNotFoundException($"{Object.Name} has no program {name}");
        var insns = spec.Instructions.ToArray();
        for (int pc = 0; pc < insns.Length; pc += insns[pc].Width)
        {
            var insn = insns[pc];
            if (insn.IsWide && (LoadImmKind)insn.SrcNumber is LoadImmKind.MapByFd or LoadImmKind.MapValueByFd)
            {
                insns[pc] = new Instruction(insn.OpCode, insn.DstNumber, insn.SrcNumber, insn.Offset, _mapFds[insn.Imm]);
            }
        }

        var load = new KernelProgramLoad
        {
            Type = type ?? spec.Type,
            Instructions = insns,
            License = spec.License.Length > 0 ? spec.License : Object.License,
            Name = spec.Name,
            ExpectedAttachType = spec.AttachType,
            Flags = (spec.XdpFrags ? KernelProgramLoad.FlagXdpHasFrags : 0) | (spec.Sleepable ? KernelProgramLoad.FlagSleepable : 0),
            BtfFd = _btfFd,
            FuncInfo = _btf?.FuncInfo(spec) ?? [],
            LineInfo = _btf?.LineInfo(spec) ?? [],
        };
        int fd = KernelBpf.Load(load, out string why, out log);
        if (fd < 0)
        {
            refusal = why;
            return false;
        }

        _fds.Add(fd);
        _programFds[name] = fd;
        // Prog-array slots naming this program, as libbpf fills them once programs are loaded.
        for (int i = 0; i < Object.Maps.Length; i++)
        {
            foreach (var entry in Object.Maps[i].Contents)
            {
                if (entry.ProgramName != name) continue;
                var errno = SetFd(Object.Maps[i].Name, entry.Key.AsSpan(), fd);
                if (errno != Errno.Ok) throw new KernelRefusedException($"kernel refused slot of '{Object.Maps[i].Name}' for program {name}: {KernelBpf.Describe(errno)}", "");
            }
        }

        return true;
    }

    private Errno SetFd(string map, ReadOnlySpan<byte> key, int fd)
    {
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(value, fd);
        return KernelBpf.Update(MapFd(map), key, value, 0);
    }

    private void CreateMaps()
    {
        for (int i = 0; i < Object.Maps.Length; i++)
        {
            var spec = Object.Maps[i];
            int inner = 0;
            if (spec.InnerMap is { } innerSpec)
            {
                inner = CreateMap(innerSpec, 0, withBtf: false);
                _fds.Add(inner);
            }

            int fd = CreateMap(spec, inner, withBtf: _btfFd > 0 && (spec.BtfKeyTypeId != 0 || spec.BtfValueTypeId != 0));
            _mapFds[i] = fd;
            _fds.Add(fd);
            foreach (var entry in spec.Contents)
            {
                if (entry.ProgramName is not null || entry.MapName is not null) continue;
                var errno = KernelBpf.Update(fd, entry.Key.AsSpan(), entry.Value.AsSpan(), 0);
                if (errno != Errno.Ok) throw new KernelRefusedException($"kernel refused an initial entry of '{spec.Name}': {KernelBpf.Describe(errno)}", "");
            }

            // As libbpf does for .rodata: frozen, so that the verifier trusts its contents (constant format strings).
            if (spec.Flags.HasFlag(MapFlags.ReadOnlyProg) && KernelBpf.Freeze(fd) is var frozen && frozen != Errno.Ok)
            {
                throw new KernelRefusedException($"kernel refused to freeze '{spec.Name}': {KernelBpf.Describe(frozen)}", "");
            }
        }

        foreach (var spec in Object.Maps)
        {
            foreach (var entry in spec.Contents)
            {
                if (entry.MapName is null) continue;
                var errno = SetInner(spec.Name, entry.Key.AsSpan(), entry.MapName);
                if (errno != Errno.Ok) throw new KernelRefusedException($"kernel refused slot of '{spec.Name}' for map {entry.MapName}: {KernelBpf.Describe(errno)}", "");
            }
        }
    }

    /// <summary>One map; with BTF first when asked, then (as libbpf retries) without, for map types that take none.</summary>
    private int CreateMap(MapSpec spec, int innerFd, bool withBtf)
    {
        var create = new KernelMapCreate
        {
            Type = spec.Type,
            KeySize = spec.KeySize,
            ValueSize = spec.ValueSize,
            MaxEntries = spec.MaxEntries,
            Flags = spec.Flags,
            InnerMapFd = innerFd,
            Name = spec.Name,
            MapExtra = spec.MapExtra,
        };
        if (withBtf)
        {
            int fd = KernelBpf.CreateMap(create with { BtfFd = _btfFd, BtfKeyTypeId = spec.BtfKeyTypeId, BtfValueTypeId = spec.BtfValueTypeId }, out _);
            if (fd >= 0) return fd;
        }

        int plain = KernelBpf.CreateMap(create, out var error);
        if (plain < 0) throw new KernelRefusedException($"{Object.Name}: kernel refused map '{spec.Name}' ({spec.Type}): {KernelBpf.Describe(error)}", "");
        return plain;
    }
}
