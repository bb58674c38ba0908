using System.Buffers.Binary;
using System.Diagnostics;
using System.Collections.Immutable;
using HeteroBpf.Btf;

namespace HeteroBpf.Elf;

/// <summary>
/// The <see cref="IBtfMapResolver"/> that reads libbpf map definitions from the object's own <c>.BTF</c>
/// (<see cref="BtfMapDefinition"/>): type, key/value sizes and type ids, max entries, flags, pinning, <c>map_extra</c>,
/// the inner map of a map-in-map, the offset of a <c>struct bpf_spin_lock</c> in the value, and the statically
/// initialised <c>values</c> slots of prog arrays and map-in-map as <see cref="MapSpec.Contents"/>.
/// <see cref="ObjectFile.Load"/> uses it by default when the object has <c>.BTF</c>.
/// </summary>
/// <remarks>One instance parses one BTF blob at most once; it is not shared between threads.</remarks>
public sealed class BtfMapResolver : IBtfMapResolver
{
    private const string SpinLock = "bpf_spin_lock";

    private BtfSpec? _btf;
    private ReadOnlyMemory<byte> _parsedFrom;

    /// <summary>Passed to <see cref="ObjectFile.Load"/> or <see cref="ObjectFile.Read(ReadOnlySpan{byte}, string, IBtfMapResolver?)"/>:
    /// leave <c>.maps</c> unresolved (placeholders), for <see cref="ObjectFile.ResolveBtfMaps"/> later.</summary>
    public static IBtfMapResolver None { get; } = new Deferred();

    /// <summary>A resolver that parses the blob it is given.</summary>
    public BtfMapResolver()
    {
    }

    /// <summary>A resolver over already parsed BTF (used whatever blob <see cref="Resolve"/> is handed).</summary>
    public BtfMapResolver(BtfSpec btf)
    {
        ArgumentNullException.ThrowIfNull(btf);
        _btf = btf;
    }

    /// <inheritdoc/>
    public MapSpec Resolve(BtfMapDeclaration map, ReadOnlyMemory<byte>? btf)
    {
        ArgumentNullException.ThrowIfNull(map);
        var spec = Spec(btf);
        var sec = spec.FindDatasec(".maps")
            ?? throw new BtfFormatException(ErrorCode.BtfBadMapDefinition, $"map '{map.Name}': BTF has no .maps data section", BtfSpec.SectionName, null);
        foreach (var info in sec.Variables)
        {
            if (spec[info.TypeId] is not BtfVar v || v.Name != map.Name) continue;
            var variable = BtfMapDefinition.DecodeVariable(spec, info);
            var result = ToSpec(spec, variable.Definition, map.Name);
            return map.Values.IsEmpty ? result : result with { Contents = Contents(spec, variable.Definition, map) };
        }

        throw new BtfFormatException(ErrorCode.BtfBadMapDefinition, $"map '{map.Name}': no variable of that name in BTF's .maps", BtfSpec.SectionName, null, sec.Id);
    }

    private BtfSpec Spec(ReadOnlyMemory<byte>? blob)
    {
        if (_btf is not null && (blob is null || _parsedFrom.IsEmpty || _parsedFrom.Equals(blob.Value))) return _btf;
        if (blob is not { } raw)
            throw new BtfFormatException(ErrorCode.BtfBadMapDefinition, "the object has no .BTF section, so its .maps cannot be read", BtfSpec.SectionName, null);
        _btf = BtfSpec.Parse(raw.Span);
        _parsedFrom = raw;
        return _btf;
    }

    private static MapSpec ToSpec(BtfSpec btf, BtfMapDefinition def, string name) => new()
    {
        Name = name,
        Type = (MapType)def.MapType,
        KeySize = def.KeySize,
        ValueSize = def.ValueSize,
        MaxEntries = def.MaxEntries,
        Flags = (MapFlags)def.MapFlags,
        MapExtra = def.MapExtra,
        Pinning = (PinType)def.Pinning,
        BtfKeyTypeId = (uint)def.KeyTypeId,
        BtfValueTypeId = (uint)def.ValueTypeId,
        InnerMap = def.InnerMap is { } inner ? ToSpec(btf, inner, inner.Name) : null,
        SpinLockOffset = def.ValueTypeId != 0 ? SpinLockOffset(btf, def.ValueTypeId) : null,
    };

    // A top-level member of type struct bpf_spin_lock (typedefs and qualifiers skipped), as the kernel looks for it.
    private static int? SpinLockOffset(BtfSpec btf, int valueTypeId)
    {
        if (btf.Resolve(valueTypeId) is not BtfStruct value) return null;
        foreach (var m in value.Members)
        {
            if (btf.Resolve(m.TypeId) is BtfStruct { Name: SpinLock }) return (int)(m.BitOffset / 8);
        }

        return null;
    }

    // Each pointer the initialiser stored sits in the zero-length `values` array, the definition's last member:
    // slot = (offset - offset of values) / pointer size, which becomes the entry's 4-byte key.
    private static ImmutableArray<MapEntrySpec> Contents(BtfSpec btf, BtfMapDefinition def, BtfMapDeclaration map)
    {
        if ((def.Fields & (BtfMapFields.InnerMap | BtfMapFields.ProgramValues)) == 0)
            throw Bad(def, $"map '{map.Name}': initialised values need a prog array or map-in-map with __array(values, …)");
        var members = ((BtfStruct)btf[def.StructTypeId]).Members;
        long values = members[^1].BitOffset / 8;
        bool programs = (def.Fields & BtfMapFields.ProgramValues) != 0;
        var entries = ImmutableArray.CreateBuilder<MapEntrySpec>(map.Values.Length);
        foreach (var v in map.Values)
        {
            long rel = v.Offset - values;
            if (rel < 0 || rel % BtfSpec.PointerSize != 0)
                throw Bad(def, $"map '{map.Name}': initialiser at offset {v.Offset} is not a slot of 'values' (at offset {values})");
            long slot = rel / BtfSpec.PointerSize;
            if (slot >= def.MaxEntries)
                throw Bad(def, $"map '{map.Name}': initialiser for slot {slot} is past max_entries {def.MaxEntries}");
            if (v.IsProgram != programs)
                throw Bad(def, $"map '{map.Name}': slot {slot} holds {(v.IsProgram ? "program" : "map")} '{v.Target}', but the map holds {(programs ? "programs" : "maps")}");
            var key = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(key, (uint)slot);
            entries.Add(programs ? new MapEntrySpec([.. key], [], ProgramName: v.Target) : new MapEntrySpec([.. key], [], MapName: v.Target));
        }

        return entries.MoveToImmutable();
    }

    private static BtfFormatException Bad(BtfMapDefinition def, string reason) =>
        new(ErrorCode.BtfBadMapDefinition, reason, BtfSpec.SectionName, null, def.StructTypeId);

    private sealed class Deferred : IBtfMapResolver
    {
        public MapSpec Resolve(BtfMapDeclaration map, ReadOnlyMemory<byte>? btf) =>
            throw new UnreachableException("BtfMapResolver.None is a marker and never resolves");
    }
}
