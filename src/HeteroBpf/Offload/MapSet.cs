using System.Buffers.Binary;
using System.Text.Json;
using HeteroBpf.Maps;

namespace HeteroBpf.Offload;

/// <summary>
/// One map update of a <c>--map-set</c> file: a value with update flags, a program (prog arrays) or an inner map (maps
/// of maps), all by name. Global-data maps are named by their ELF section (<c>.bss</c>, <c>.data</c>, <c>.rodata</c>).
/// </summary>
public sealed record MapSetEntry(string Map, byte[] Key, byte[]? Value = null, UpdateFlags Flags = UpdateFlags.Any, string? Program = null, string? Inner = null);

/// <summary>
/// Map set-up files: <c>[{"map": "name", "key": "hex", "value": "hex", "flags": "any|noexist|exist"},
/// {"map": "jmp_table", "key": "hex", "prog": "name"}, {"map": "outer", "key": "hex", "inner": "map name"}, …]</c>,
/// applied in order after load.
/// </summary>
public static class MapSet
{
    /// <summary>Reads the entries of a map-set file.</summary>
    /// <exception cref="HbpfException">Not JSON, not an array of objects, a missing or unknown field, bad hex (HB9004, naming entry and field).</exception>
    public static IReadOnlyList<MapSetEntry> Parse(string json, string file)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new HbpfException(ErrorCode.BadRunInput, $"not valid JSON: {e.Message}", new BpfLocation { File = file });
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw Bad(file, "the map set must be a JSON array of entries");
            var entries = new List<MapSetEntry>();
            int i = 0;
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                entries.Add(ParseEntry(e, file, i++));
            }

            return entries;
        }
    }

    private static MapSetEntry ParseEntry(JsonElement e, string file, int index)
    {
        string where = $"entry {index}";
        if (e.ValueKind != JsonValueKind.Object) throw Bad(file, $"{where}: must be an object");
        foreach (var p in e.EnumerateObject())
        {
            if (p.Name is not ("map" or "key" or "value" or "flags" or "prog" or "inner"))
            {
                throw Bad(file, $"{where}: unknown field '{p.Name}' (fields: map, key, value, flags, prog, inner)");
            }
        }

        string map = Text(e, "map", file, where) ?? throw Bad(file, $"{where}: 'map' is required");
        byte[] key = HexBytes.Parse(Text(e, "key", file, where) ?? throw Bad(file, $"{where}: 'key' is required"), $"{where} key", file);
        string? value = Text(e, "value", file, where), prog = Text(e, "prog", file, where), inner = Text(e, "inner", file, where);
        int given = (value is null ? 0 : 1) + (prog is null ? 0 : 1) + (inner is null ? 0 : 1);
        if (given != 1) throw Bad(file, $"{where}: give exactly one of 'value', 'prog' and 'inner'");
        var flags = Text(e, "flags", file, where) switch
        {
            null or "any" => UpdateFlags.Any,
            "noexist" => UpdateFlags.NoExist,
            "exist" => UpdateFlags.Exist,
            var other => throw Bad(file, $"{where}: flags '{other}' is not one of any, noexist, exist"),
        };
        return new MapSetEntry(map, key, value is null ? null : HexBytes.Parse(value, $"{where} value", file), flags, prog, inner);
    }

    /// <summary>Applies <paramref name="entries"/> in order to <paramref name="collection"/>'s maps.</summary>
    /// <exception cref="HbpfException">A map, program or inner map the object lacks, a key or value of the wrong size, or
    /// an update the map refuses (with its errno), naming the entry.</exception>
    public static void Apply(BpfCollection collection, IReadOnlyList<MapSetEntry> entries, string file)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(entries);
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            string where = $"entry {i} (map '{entry.Map}')";
            int mapIndex = IndexOf(collection.Maps.Select(m => m.Spec.Name), entry.Map);
            if (mapIndex < 0) throw Bad(file, $"{where}: the object has no such map (maps: {Names(collection.Maps.Select(m => m.Spec.Name))})");
            var map = collection.Maps[mapIndex];
            if (entry.Key.Length != map.KeySize) throw Bad(file, $"{where}: key is {entry.Key.Length} bytes, the map's keys are {map.KeySize}");
            byte[] value;
            if (entry.Program is { } program)
            {
                if (map.Type != MapType.ProgArray) throw Bad(file, $"{where}: 'prog' needs a prog array, this map is {map.Type}");
                int p = IndexOf(collection.Programs.Select(x => x.Spec.Name), program);
                if (p < 0) throw Bad(file, $"{where}: no program named '{program}' (programs: {Names(collection.Programs.Select(x => x.Spec.Name))})");
                value = Handle(p);
            }
            else if (entry.Inner is { } inner)
            {
                if (map.Type is not (MapType.ArrayOfMaps or MapType.HashOfMaps)) throw Bad(file, $"{where}: 'inner' needs a map of maps, this map is {map.Type}");
                int m = IndexOf(collection.Maps.Select(x => x.Spec.Name), inner);
                if (m < 0) throw Bad(file, $"{where}: no map named '{inner}'");
                value = Handle(m);
            }
            else
            {
                value = entry.Value!;
                if (map.HoldsHandles) throw Bad(file, $"{where}: a {map.Type} takes 'prog' or 'inner', not a raw value");
                if (value.Length != map.UserValueSize && !(map.IsPerCpu && value.Length == map.ValueSize))
                {
                    throw Bad(file, $"{where}: value is {value.Length} bytes, the map's values are {map.ValueSize}{(map.IsPerCpu ? $" (or {map.UserValueSize} for all {BpfMap.PossibleCpus} CPUs)" : "")}");
                }

                // One per-CPU value given: every CPU gets it, as a user filling a per-CPU map for all CPUs would.
                if (map.IsPerCpu && value.Length == map.ValueSize) value = EveryCpu(map, value);
            }

            var errno = map.Update(entry.Key, value, entry.Flags);
            if (errno != Errno.Ok) throw Bad(file, $"{where}: the update was refused with {errno}");
        }
    }

    private static byte[] EveryCpu(BpfMap map, byte[] one)
    {
        int stride = map.UserValueSize / BpfMap.PossibleCpus;
        var all = new byte[map.UserValueSize];
        for (int cpu = 0; cpu < BpfMap.PossibleCpus; cpu++) one.CopyTo(all, cpu * stride);
        return all;
    }

    private static byte[] Handle(int index)
    {
        var value = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(value, index);
        return value;
    }

    private static int IndexOf(IEnumerable<string> names, string name)
    {
        int i = 0;
        foreach (var n in names)
        {
            if (n == name) return i;
            i++;
        }

        return -1;
    }

    private static string Names(IEnumerable<string> names) => string.Join(", ", names) is { Length: > 0 } s ? s : "none";

    private static string? Text(JsonElement e, string name, string file, string where)
    {
        if (!e.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.String) throw Bad(file, $"{where}: '{name}' must be a string");
        return v.GetString();
    }

    private static HbpfException Bad(string file, string reason) => new(ErrorCode.BadRunInput, reason, new BpfLocation { File = file });
}
