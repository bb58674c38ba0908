using System.Collections.Immutable;

namespace HeteroBpf.Elf;

/// <summary>A map declared in the <c>.maps</c> section: its shape (type, key, value, max entries…) is only in BTF.</summary>
/// <param name="Name">The map's symbol name, which is also the name of its variable in BTF's <c>.maps</c> DATASEC.</param>
/// <param name="MapIndex">Its index in <see cref="ObjectFile.Maps"/> (what relocated <c>lddw</c>s carry).</param>
/// <param name="SectionOffset">The symbol's offset in <c>.maps</c>.</param>
/// <param name="Size">The symbol's size.</param>
/// <param name="Values">Statically initialised <c>values</c> slots (relocations in <c>.rel.maps</c>), in offset order.</param>
public sealed record BtfMapDeclaration(string Name, int MapIndex, long SectionOffset, long Size, ImmutableArray<BtfMapValueReference> Values = default)
{
    /// <summary>The initialised slots; empty when there are none.</summary>
    public ImmutableArray<BtfMapValueReference> Values { get; init; } = Values.IsDefault ? [] : Values;
}

/// <summary>A pointer stored in a <c>.maps</c> definition by a static initialiser (<c>.values = { [1] = &amp;prog }</c>).</summary>
/// <param name="Offset">Its byte offset from the start of the map's definition.</param>
/// <param name="Target">The program (prog array) or map (map-in-map) it points to.</param>
/// <param name="IsProgram">True for a program, false for a map.</param>
public sealed record BtfMapValueReference(long Offset, string Target, bool IsProgram);

/// <summary>
/// Turns a BTF-defined map into a <see cref="MapSpec"/>: the seam through which the BTF parser (a peer at a lower
/// level that does not know ELF) supplies what only BTF can say. <see cref="ObjectFile.Read(ReadOnlySpan{byte}, string, IBtfMapResolver?)"/>
/// calls it for every <see cref="BtfMapDeclaration"/>; <see cref="ObjectFile.ResolveBtfMaps"/> does the same later.
/// </summary>
public interface IBtfMapResolver
{
    /// <summary>The map's spec, read from <paramref name="btf"/> (the raw <c>.BTF</c> section, absent if the object has none).
    /// Throws an <see cref="HbpfException"/> when BTF does not describe the map; the loader adds the location.</summary>
    MapSpec Resolve(BtfMapDeclaration map, ReadOnlyMemory<byte>? btf);
}
