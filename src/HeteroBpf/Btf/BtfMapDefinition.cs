using System.Collections.Immutable;

namespace HeteroBpf.Btf;

/// <summary>Which fields a map definition struct declared.</summary>
[Flags]
public enum BtfMapFields
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary><c>__uint(type, …)</c>.</summary>
    Type = 1 << 0,
    /// <summary><c>__uint(key_size, …)</c> or <c>__type(key, …)</c>.</summary>
    KeySize = 1 << 1,
    /// <summary><c>__type(key, …)</c>.</summary>
    KeyType = 1 << 2,
    /// <summary><c>__uint(value_size, …)</c>, <c>__type(value, …)</c> or <c>__array(values, …)</c>.</summary>
    ValueSize = 1 << 3,
    /// <summary><c>__type(value, …)</c>.</summary>
    ValueType = 1 << 4,
    /// <summary><c>__uint(max_entries, …)</c>.</summary>
    MaxEntries = 1 << 5,
    /// <summary><c>__uint(map_flags, …)</c>.</summary>
    MapFlags = 1 << 6,
    /// <summary><c>__uint(numa_node, …)</c>.</summary>
    NumaNode = 1 << 7,
    /// <summary><c>__uint(pinning, …)</c>.</summary>
    Pinning = 1 << 8,
    /// <summary><c>__uint(map_extra, …)</c> or <c>__ulong(map_extra, …)</c>.</summary>
    MapExtra = 1 << 9,
    /// <summary><c>__array(values, struct inner)</c> of a map-in-map.</summary>
    InnerMap = 1 << 10,
    /// <summary><c>__array(values, int (void *))</c> of a program array.</summary>
    ProgramValues = 1 << 11,
}

/// <summary>A variable of the <c>.maps</c> data section and its decoded definition.</summary>
/// <remarks>In a clang object <paramref name="Offset"/> is 0; the ELF layer takes the offset from the symbol, as libbpf does.</remarks>
public sealed record BtfMapVariable(string Name, int VarTypeId, uint Offset, uint Size, BtfMapDefinition Definition);

/// <summary>A libbpf BTF map definition (<c>__uint</c>, <c>__type</c>, <c>__ulong</c>, <c>__array</c> members), decoded with libbpf's rules.</summary>
/// <remarks>
/// The conventions: <c>__uint(name, N)</c> is a member <c>name</c> of type pointer to an array of N elements;
/// <c>__type(name, T)</c> a pointer to T; <c>__array(values, T)</c> a zero-length array of pointers to T, where T is the
/// inner map's definition struct (map-in-map) or a function prototype (program array). Map numbers stay raw
/// (<see cref="MapType"/> is the kernel's <c>bpf_map_type</c>) because the map enums live in a higher layer.
/// </remarks>
public sealed record BtfMapDefinition
{
    private const uint ProgArray = 3, ArrayOfMaps = 12, HashOfMaps = 13;

    /// <summary>The map's name; an inner definition is named <c>outer.inner</c>, as libbpf names it.</summary>
    public required string Name { get; init; }

    /// <summary>The id of the definition struct.</summary>
    public required int StructTypeId { get; init; }

    /// <summary>The kernel's <c>bpf_map_type</c> number.</summary>
    public uint MapType { get; init; }

    /// <summary>Key size in bytes (0 when not declared).</summary>
    public uint KeySize { get; init; }

    /// <summary>The key's type id (0 when only a size was declared).</summary>
    public int KeyTypeId { get; init; }

    /// <summary>Value size in bytes (4 for map-in-map and program arrays; 0 when not declared).</summary>
    public uint ValueSize { get; init; }

    /// <summary>The value's type id (0 when only a size was declared).</summary>
    public int ValueTypeId { get; init; }

    /// <summary><c>max_entries</c>.</summary>
    public uint MaxEntries { get; init; }

    /// <summary><c>map_flags</c>.</summary>
    public uint MapFlags { get; init; }

    /// <summary><c>numa_node</c>.</summary>
    public uint NumaNode { get; init; }

    /// <summary><c>pinning</c>: 0 none, 1 by name (<c>LIBBPF_PIN_BY_NAME</c>).</summary>
    public uint Pinning { get; init; }

    /// <summary><c>map_extra</c> (bloom filter hash count, arena address…).</summary>
    public ulong MapExtra { get; init; }

    /// <summary>The inner map of a map-in-map, or null.</summary>
    public BtfMapDefinition? InnerMap { get; init; }

    /// <summary>The FUNC_PROTO of a program array's <c>values</c>, or 0.</summary>
    public int ValuesProtoId { get; init; }

    /// <summary>The fields the struct declared.</summary>
    public BtfMapFields Fields { get; init; }

    /// <summary>Members libbpf ignores outside strict mode (unknown names); a loader may warn about them.</summary>
    public ImmutableArray<string> IgnoredFields { get; init; } = [];

    /// <summary>Decodes the definition struct <paramref name="structTypeId"/> (typedefs and qualifiers are skipped) of the map <paramref name="name"/>.</summary>
    /// <exception cref="BtfFormatException">The struct breaks a convention (<see cref="ErrorCode.BtfBadMapDefinition"/>) or a key/value size cannot be computed.</exception>
    public static BtfMapDefinition Decode(BtfSpec btf, int structTypeId, string name) => Decode(btf, structTypeId, name, isInner: false);

    internal static BtfMapVariable DecodeVariable(BtfSpec btf, BtfVarSecInfo info)
    {
        if (btf[info.TypeId] is not BtfVar v)
        {
            throw Bad(info.TypeId, $".maps entry is {btf[info.TypeId]}, not a VAR");
        }

        if (v.Name.Length == 0) throw Bad(v.Id, "map variable has no name");
        if (v.Linkage != BtfVarLinkage.GlobalAllocated)
        {
            throw Bad(v.Id, $"map '{v.Name}': linkage {v.Linkage} (maps must be global, allocated variables)");
        }

        var def = Decode(btf, v.TypeId, v.Name, isInner: false);
        if (btf[def.StructTypeId] is BtfStruct s && s.Size > info.Size)
        {
            throw Bad(v.Id, $"map '{v.Name}': definition of {s.Size} bytes does not fit its {info.Size}-byte slot in .maps");
        }

        return new BtfMapVariable(v.Name, v.Id, info.Offset, info.Size, def);
    }

    private static BtfMapDefinition Decode(BtfSpec btf, int typeId, string name, bool isInner)
    {
        if (btf.Resolve(typeId) is not BtfStruct def)
        {
            throw Bad(typeId, $"map '{name}': definition is {btf.Resolve(typeId)}, not a STRUCT");
        }

        var result = new BtfMapDefinition { Name = name, StructTypeId = def.Id };
        var ignored = ImmutableArray.CreateBuilder<string>();
        for (int i = 0; i < def.Members.Length; i++)
        {
            var m = def.Members[i];
            switch (m.Name)
            {
                case "type":
                    result = result with { MapType = IntField(btf, m, name, def.Id), Fields = result.Fields | BtfMapFields.Type };
                    break;
                case "max_entries":
                    result = result with { MaxEntries = IntField(btf, m, name, def.Id), Fields = result.Fields | BtfMapFields.MaxEntries };
                    break;
                case "map_flags":
                    result = result with { MapFlags = IntField(btf, m, name, def.Id), Fields = result.Fields | BtfMapFields.MapFlags };
                    break;
                case "numa_node":
                    result = result with { NumaNode = IntField(btf, m, name, def.Id), Fields = result.Fields | BtfMapFields.NumaNode };
                    break;
                case "key_size":
                    result = result with
                    {
                        KeySize = Agree(result.KeySize, IntField(btf, m, name, def.Id), name, "key", def.Id),
                        Fields = result.Fields | BtfMapFields.KeySize,
                    };
                    break;
                case "value_size":
                    result = result with
                    {
                        ValueSize = Agree(result.ValueSize, IntField(btf, m, name, def.Id), name, "value", def.Id),
                        Fields = result.Fields | BtfMapFields.ValueSize,
                    };
                    break;
                case "key":
                {
                    var (id, size) = TypeField(btf, m, name, def.Id);
                    result = result with
                    {
                        KeyTypeId = id,
                        KeySize = Agree(result.KeySize, size, name, "key", def.Id),
                        Fields = result.Fields | BtfMapFields.KeySize | BtfMapFields.KeyType,
                    };
                    break;
                }

                case "value":
                {
                    var (id, size) = TypeField(btf, m, name, def.Id);
                    result = result with
                    {
                        ValueTypeId = id,
                        ValueSize = Agree(result.ValueSize, size, name, "value", def.Id),
                        Fields = result.Fields | BtfMapFields.ValueSize | BtfMapFields.ValueType,
                    };
                    break;
                }

                case "values":
                    result = Values(btf, result, m, i == def.Members.Length - 1, isInner);
                    break;
                case "pinning":
                {
                    if (isInner) throw Bad(def.Id, $"map '{name}': an inner map definition cannot be pinned");
                    uint pin = IntField(btf, m, name, def.Id);
                    if (pin > 1) throw Bad(def.Id, $"map '{name}': pinning {pin} (0 none or 1 by name)");
                    result = result with { Pinning = pin, Fields = result.Fields | BtfMapFields.Pinning };
                    break;
                }

                case "map_extra":
                    result = result with { MapExtra = LongField(btf, m, name, def.Id), Fields = result.Fields | BtfMapFields.MapExtra };
                    break;
                default:
                    ignored.Add(m.Name);
                    break;
            }
        }

        if (result.MapType == 0) throw Bad(def.Id, $"map '{name}': no map type (a __uint(type, …) member)");
        return result with { IgnoredFields = ignored.ToImmutable() };
    }

    private static BtfMapDefinition Values(BtfSpec btf, BtfMapDefinition map, BtfMember m, bool last, bool isInner)
    {
        string name = map.Name;
        int id = map.StructTypeId;
        if (isInner) throw Bad(id, $"map '{name}': an inner map cannot have inner maps");
        if (!last) throw Bad(id, $"map '{name}': 'values' must be the last member");
        bool mapInMap = map.MapType is ArrayOfMaps or HashOfMaps;
        if (!mapInMap && map.MapType != ProgArray)
        {
            throw Bad(id, $"map '{name}': 'values' needs a map-in-map or program array, not map type {map.MapType}");
        }

        uint valueSize = Agree(map.ValueSize, 4, name, "value", id);
        if (btf[m.TypeId] is not BtfArray { Count: 0 } array)
        {
            throw Bad(id, $"map '{name}': 'values' is {btf[m.TypeId]}, not a zero-length ARRAY");
        }

        if (btf.Resolve(array.ElementTypeId) is not BtfPtr ptr)
        {
            throw Bad(id, $"map '{name}': 'values' elements are {btf.Resolve(array.ElementTypeId)}, not PTR");
        }

        var target = btf.Resolve(ptr.TargetId);
        if (!mapInMap)
        {
            if (target is not BtfFuncProto proto) throw Bad(id, $"map '{name}': program array values point to {target}, not a FUNC_PROTO");
            return map with { ValueSize = valueSize, ValuesProtoId = proto.Id, Fields = map.Fields | BtfMapFields.ValueSize | BtfMapFields.ProgramValues };
        }

        if (target is not BtfStruct inner) throw Bad(id, $"map '{name}': inner map definition is {target}, not a STRUCT");
        return map with
        {
            ValueSize = valueSize,
            InnerMap = Decode(btf, inner.Id, name + ".inner", isInner: true),
            Fields = map.Fields | BtfMapFields.ValueSize | BtfMapFields.InnerMap,
        };
    }

    /// <summary>An <c>__uint</c> member: pointer to an array whose element count is the value.</summary>
    private static uint IntField(BtfSpec btf, BtfMember m, string map, int structId)
    {
        if (btf.Resolve(m.TypeId) is not BtfPtr ptr) throw Bad(structId, $"map '{map}': '{m.Name}' is {btf.Resolve(m.TypeId)}, expected PTR");
        if (btf[ptr.TargetId] is not BtfArray array) throw Bad(structId, $"map '{map}': '{m.Name}' points to {btf[ptr.TargetId]}, expected ARRAY");
        return array.Count;
    }

    /// <summary>An <c>__uint</c> member, or an <c>__ulong</c> one: an enum with a single enumerator whose value is the field.</summary>
    private static ulong LongField(BtfSpec btf, BtfMember m, string map, int structId)
    {
        var t = btf.Resolve(m.TypeId);
        if (t is BtfPtr) return IntField(btf, m, map, structId);
        if (t is not BtfEnumeration e) throw Bad(structId, $"map '{map}': '{m.Name}' is {t}, expected PTR, ENUM or ENUM64");
        if (e.Values.Length != 1) throw Bad(structId, $"map '{map}': '{m.Name}' is an enum with {e.Values.Length} values, expected 1");
        // Read by the enum's own signedness. libbpf sign-extends every 32-bit value, which differs only for an unsigned
        // enum with bit 31 set, where it would hand the kernel a value the source never wrote.
        return (ulong)e.Values[0].Value;
    }

    /// <summary>A <c>__type</c> member: pointer to the type; gives the type id and its size.</summary>
    private static (int Id, uint Size) TypeField(BtfSpec btf, BtfMember m, string map, int structId)
    {
        if (btf[m.TypeId] is not BtfPtr ptr) throw Bad(structId, $"map '{map}': '{m.Name}' is {btf[m.TypeId]}, expected PTR");
        return (ptr.TargetId, (uint)btf.SizeOf(ptr.TargetId));
    }

    private static uint Agree(uint declared, uint size, string map, string what, int structId)
    {
        if (declared != 0 && declared != size) throw Bad(structId, $"map '{map}': conflicting {what} size {declared} != {size}");
        return size;
    }

    private static BtfFormatException Bad(int typeId, string reason) =>
        new(ErrorCode.BtfBadMapDefinition, reason, BtfSpec.SectionName, null, typeId);
}
