using System.Globalization;
using HeteroBpf.Elf;
using HeteroBpf.Maps;
using HeteroBpf.Offload;
using HeteroBpf.Xdp;

namespace HeteroBpf.Cli;

/// <summary>An object loaded for <c>run</c> and <c>test-run</c>: its live maps and programs (XDP context rewritten),
/// the map set applied, and the maps as the commands print them.</summary>
internal sealed class LoadedObject : IDisposable
{
    private LoadedObject(string path, BpfCollection collection)
    {
        Path = path;
        Collection = collection;
    }

    public string Path { get; }

    public BpfCollection Collection { get; }

    /// <summary>The host engine a <c>--device</c> name stands for; devices that cannot run XDP objects yet are refused by name.</summary>
    public static HostEngine EngineOf(Devices.IDevice device) => device.Name switch
    {
        "host-interp" => HostEngine.Interpreter,
        "host-cil" => HostEngine.Cil,
        _ => throw new HbpfException(ErrorCode.BadArgument, $"device '{device.Name}' is not a host device; offload devices load objects through OffloadedObject"),
    };

    /// <summary>The XDP program to run.</summary>
    public BpfProgram Program { get; private set; } = null!;

    /// <summary>
    /// Loads <paramref name="path"/> for running the XDP program named by <paramref name="name"/> or
    /// <paramref name="section"/> (or its only one) and applies the map-set file, if any. Only the object's XDP programs
    /// are loaded (the chosen one and its tail-call targets), so programs of other types, whose helpers a host XDP run
    /// lacks, do not stand in the way.
    /// </summary>
    public static LoadedObject Load(string path, string? mapSet, string? name, string? section, HostEngine engine = HostEngine.Interpreter)
    {
        var input = ObjectInput.Load(path);
        var chosen = SelectXdp(input, name, section);
        var xdpOnly = input.Object with { Programs = [.. input.Object.Programs.Where(p => p.Type == ProgramType.Xdp)] };
        var collection = BpfCollection.Load(xdpOnly, typeOps: XdpOps.Instance, engine: engine, verifier: new Verifier.VerifierOptions());
        try
        {
            if (mapSet is not null)
            {
                if (!File.Exists(mapSet)) throw new HbpfException(ErrorCode.FileNotReadable, "no such file", new BpfLocation { File = mapSet });
                MapSet.Apply(collection, MapSet.Parse(File.ReadAllText(mapSet), mapSet), mapSet);
            }

            return new LoadedObject(path, collection) { Program = collection.Program(chosen.Name) };
        }
        catch
        {
            collection.Dispose();
            throw;
        }
    }

    // The program named by name or section, or the only XDP one; errors list the choices.
    internal static ProgramSpec SelectXdp(ObjectInput input, string? name, string? section)
    {
        if (name is not null && section is not null) throw new HbpfException(ErrorCode.BadArgument, "give --prog or --section, not both");
        var programs = input.Object.Programs;
        string Choices() => string.Join(", ", programs.Select(p => $"{p.Name} ({p.SectionName}, {p.Type})")) is { Length: > 0 } s ? s : "none";
        ProgramSpec chosen;
        if (name is not null)
        {
            chosen = programs.FirstOrDefault(p => p.Name == name)
                ?? throw new HbpfException(ErrorCode.BadArgument, $"no program named '{name}' (programs: {Choices()})");
        }
        else if (section is not null)
        {
            var inSection = input.Programs(section);
            if (inSection.Count > 1) throw new HbpfException(ErrorCode.BadArgument, $"section '{section}' has {inSection.Count} programs; choose one with --prog ({string.Join(", ", inSection.Select(p => p.Name))})");
            chosen = inSection[0];
        }
        else
        {
            var xdp = programs.Where(p => p.Type == ProgramType.Xdp).ToList();
            if (xdp.Count != 1) throw new HbpfException(ErrorCode.BadArgument, xdp.Count == 0 ? $"the object has no XDP program (programs: {Choices()})" : $"the object has {xdp.Count} XDP programs; choose one with --prog or --section (programs: {Choices()})");
            chosen = xdp[0];
        }

        if (chosen.Type != ProgramType.Xdp)
        {
            throw new HbpfException(ErrorCode.WrongProgramType, $"program '{chosen.Name}' (section {chosen.SectionName}) is a {chosen.Type} program; this command runs XDP programs");
        }

        return chosen;
    }

    /// <summary>Every ring buffer's records since the last call, by map name (maps with none left out).</summary>
    public Dictionary<string, List<string>> DrainRingBuffers()
    {
        var result = new Dictionary<string, List<string>>();
        foreach (var map in Collection.Maps)
        {
            if (map is not RingBufMap ring) continue;
            var records = new List<string>();
            ring.Consume(record =>
            {
                records.Add(Convert.ToHexStringLower(record));
                return 0;
            });
            if (records.Count > 0) result[map.Spec.Name] = records;
        }

        return result;
    }

    /// <summary>The maps as JSON values: key hex → value hex, per-CPU lists, <c>{"prog": name}</c>, <c>{"map": name}</c>.</summary>
    public Dictionary<string, Dictionary<string, object>> MapsJson()
    {
        var result = new Dictionary<string, Dictionary<string, object>>();
        foreach (var map in Collection.Maps)
        {
            if (!IsDumpable(map)) continue;
            var entries = new Dictionary<string, object>();
            foreach (var (key, value) in map.Entries()) entries[Convert.ToHexStringLower(key)] = ValueJson(map, value);
            result[map.Spec.Name] = entries;
        }

        return result;
    }

    /// <summary>The maps as text: one block per map, one line per entry.</summary>
    public void WriteMapsText(TextWriter o)
    {
        foreach (var map in Collection.Maps) WriteMapText(o, map.Spec, null, IsDumpable(map) ? map.Entries() : null, value => ValueJson(map, value));
    }

    /// <summary>One map as text (<paramref name="where"/> names a device, or null on the host); null entries: a map without keyed entries.</summary>
    internal static void WriteMapText(TextWriter o, MapSpec spec, string? where, IReadOnlyList<(byte[] Key, byte[] Value)>? entries, Func<byte[], object> valueJson)
    {
        if (entries is null)
        {
            o.WriteLine($"map {spec.Name} ({spec.Type}): no keyed entries to dump");
            return;
        }

        o.WriteLine($"map {spec.Name} ({spec.Type}){(where is null ? "" : $" on {where}")}: {entries.Count} entr{(entries.Count == 1 ? "y" : "ies")}");
        foreach (var (key, value) in entries)
        {
            string v = valueJson(value) switch
            {
                string hex => hex,
                List<string> perCpu => $"per CPU [{string.Join(", ", perCpu)}] sum {PerCpuSum(perCpu)}",
                Dictionary<string, string> named => $"{named.Keys.Single()} {named.Values.Single()}",
                var other => other.ToString() ?? "",
            };
            o.WriteLine($"  {Convert.ToHexStringLower(key)}: {v}");
        }
    }

    private static bool IsDumpable(BpfMap map) => IsDumpable(map.Type);

    /// <summary>True for map types with keyed entries to print.</summary>
    internal static bool IsDumpable(MapType type) => type is not (MapType.Queue or MapType.Stack or MapType.BloomFilter or MapType.RingBuf or MapType.PerfEventArray or MapType.XskMap);

    private object ValueJson(BpfMap map, byte[] value)
    {
        if (map.HoldsHandles)
        {
            int handle = BitConverter.ToInt32(value);
            return map.Type == MapType.ProgArray
                ? new Dictionary<string, string> { ["prog"] = Collection.Programs.ElementAtOrDefault(handle)?.Spec.Name ?? $"#{handle}" }
                : new Dictionary<string, string> { ["map"] = Collection.Maps.ElementAtOrDefault(handle)?.Spec.Name ?? $"#{handle}" };
        }

        if (!map.IsPerCpu) return Convert.ToHexStringLower(value);
        int stride = value.Length / BpfMap.PossibleCpus;
        return Enumerable.Range(0, BpfMap.PossibleCpus).Select(cpu => Convert.ToHexStringLower(value.AsSpan(cpu * stride, map.ValueSize))).ToList();
    }

    // Per-CPU counters are read as sums of little-endian u64 words (how counters are kept); other sizes show no sum.
    private static string PerCpuSum(List<string> perCpu)
    {
        var words = new List<ulong>();
        foreach (var hex in perCpu)
        {
            var bytes = Convert.FromHexString(hex);
            if (bytes.Length % 8 != 0) return "n/a";
            for (int i = 0; i < bytes.Length / 8; i++)
            {
                if (words.Count <= i) words.Add(0);
                words[i] += BitConverter.ToUInt64(bytes, i * 8);
            }
        }

        return string.Join("/", words.Select(w => w.ToString(CultureInfo.InvariantCulture)));
    }

    public void Dispose() => Collection.Dispose();
}
