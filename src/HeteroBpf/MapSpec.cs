using System.Collections.Immutable;

namespace HeteroBpf;

/// <summary>How a map is pinned (libbpf's <c>LIBBPF_PIN_*</c>).</summary>
public enum PinType : uint
{
    /// <summary>Not pinned.</summary>
    None = 0,
    /// <summary>LIBBPF_PIN_BY_NAME.</summary>
    ByName = 1,
}

/// <summary>An initial entry of a map: a value, or (for prog arrays and map-in-map) the name of a program or map.</summary>
public sealed record MapEntrySpec(ImmutableArray<byte> Key, ImmutableArray<byte> Value, string? ProgramName = null, string? MapName = null);

/// <summary>A map as an object file describes it: inert data, editable with <c>with</c> before load.</summary>
public sealed record MapSpec
{
    /// <summary>The map's name (ELF symbol; global-data maps are named by their section, e.g. <c>.bss</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Kernel map type.</summary>
    public required MapType Type { get; init; }

    /// <summary>Key size in bytes.</summary>
    public required uint KeySize { get; init; }

    /// <summary>Value size in bytes (for map-in-map: 4, an fd).</summary>
    public required uint ValueSize { get; init; }

    /// <summary>Maximum number of entries (ring buffer: its size in bytes).</summary>
    public required uint MaxEntries { get; init; }

    /// <summary>Creation flags.</summary>
    public MapFlags Flags { get; init; }

    /// <summary><c>map_extra</c> (bloom filter: number of hash functions); 0 when not declared.</summary>
    public ulong MapExtra { get; init; }

    /// <summary>Pinning.</summary>
    public PinType Pinning { get; init; }

    /// <summary>The inner map's shape, for array-of-maps and hash-of-maps.</summary>
    public MapSpec? InnerMap { get; init; }

    /// <summary>Initial contents (global data, statically initialised prog arrays and map-in-map).</summary>
    public ImmutableArray<MapEntrySpec> Contents { get; init; } = [];

    /// <summary>BTF type id of the key (0 when unknown).</summary>
    public uint BtfKeyTypeId { get; init; }

    /// <summary>BTF type id of the value (0 when unknown).</summary>
    public uint BtfValueTypeId { get; init; }

    /// <summary>Byte offset of a <c>struct bpf_spin_lock</c> in the value, when it has one.</summary>
    public int? SpinLockOffset { get; init; }
}
