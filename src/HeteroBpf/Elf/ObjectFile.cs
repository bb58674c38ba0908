using System.Collections.Immutable;

namespace HeteroBpf.Elf;

/// <summary>One relocation of a program or <c>.text</c> section, as the object states it, with what it resolved to.</summary>
/// <param name="Section">The section holding the relocated instruction.</param>
/// <param name="SectionOffset">The instruction's byte offset in that section.</param>
/// <param name="Symbol">The symbol named by the relocation (a section symbol for static functions and data).</param>
/// <param name="Kind">What the relocation makes of the instruction.</param>
/// <param name="Target">The map or the function (with <c>+offset</c> when it lands inside one) it resolved to.</param>
public sealed record ObjectRelocation(string Section, long SectionOffset, string Symbol, RelocationKind Kind, string Target);

/// <summary>
/// An eBPF object file read into inert specs: programs linked with their subprograms, maps (legacy <c>maps</c>,
/// BTF-defined <c>.maps</c>, global data), the license and the raw BTF sections for the BTF parser.
/// </summary>
/// <remarks>
/// Map indices are positions in <see cref="Maps"/>: legacy maps, then <c>.maps</c>, then global data sections, each in
/// file order (libbpf's order). Relocated <c>lddw</c>s carry those indices with source 1 (BPF_PSEUDO_MAP_FD) or
/// 2 (BPF_PSEUDO_MAP_VALUE, offset in the second slot); a loader swaps them for real map handles.
/// </remarks>
public sealed record ObjectFile
{
    /// <summary>The name the object was read under (its path, or what the caller passed).</summary>
    public required string Name { get; init; }

    /// <summary>Entry programs in section order, then symbol order.</summary>
    public required ImmutableArray<ProgramSpec> Programs { get; init; }

    /// <summary>Maps by index.</summary>
    public required ImmutableArray<MapSpec> Maps { get; init; }

    /// <summary>Maps from <c>.maps</c>. Until resolved through an <see cref="IBtfMapResolver"/> their <see cref="MapSpec"/>
    /// carries only the name, with <see cref="MapType.Unspec"/> and zero sizes: the rest is in BTF.</summary>
    public ImmutableArray<BtfMapDeclaration> BtfMaps { get; init; } = [];

    /// <summary>True once every <see cref="BtfMaps"/> entry has been resolved (or there are none).</summary>
    public bool BtfMapsResolved { get; init; }

    /// <summary>The <c>license</c> section's string, empty when absent.</summary>
    public string License { get; init; } = "";

    /// <summary>The raw <c>.BTF</c> section, when present.</summary>
    public ReadOnlyMemory<byte>? Btf { get; init; }

    /// <summary>The raw <c>.BTF.ext</c> section (func and line info, CO-RE relocations), when present.</summary>
    public ReadOnlyMemory<byte>? BtfExt { get; init; }

    /// <summary>Every relocation of program and <c>.text</c> sections, in section then offset order.</summary>
    public ImmutableArray<ObjectRelocation> Relocations { get; init; } = [];

    /// <summary>Reads the object at <paramref name="path"/>. <c>.maps</c> maps are resolved by <paramref name="btfMaps"/>, or
    /// when it is null by a <see cref="BtfMapResolver"/> over the object's <c>.BTF</c> (they stay placeholders when the object
    /// has none, or with <see cref="BtfMapResolver.None"/>).</summary>
    /// <exception cref="HbpfException">The file is unreadable (HB4002) or not a well-formed eBPF object (HB70xx).</exception>
    public static ObjectFile Load(string path, IBtfMapResolver? btfMaps = null)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HbpfException(ErrorCode.FileNotReadable, e.Message, new BpfLocation { File = path }, e);
        }

        return ObjectLoader.Load(bytes, path, btfMaps);
    }

    /// <summary>Reads an object from memory; <paramref name="name"/> is used in error locations.</summary>
    /// <exception cref="ElfFormatException">Not a well-formed eBPF object.</exception>
    public static ObjectFile Read(ReadOnlySpan<byte> bytes, string name, IBtfMapResolver? btfMaps = null) =>
        ObjectLoader.Load(bytes.ToArray(), name, btfMaps);

    /// <summary>Reads an object from a stream (to its end); <paramref name="name"/> is used in error locations.</summary>
    /// <exception cref="ElfFormatException">Not a well-formed eBPF object.</exception>
    public static ObjectFile Read(Stream stream, string name, IBtfMapResolver? btfMaps = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return ObjectLoader.Load(copy.ToArray(), name, btfMaps);
    }

    /// <summary>Fuzzing entry point (SharpFuzz): reading any bytes must end in an object or an <see cref="HbpfException"/>;
    /// anything else escapes and is the finding.</summary>
    public static void Fuzz(ReadOnlySpan<byte> bytes)
    {
        try
        {
            Read(bytes, "fuzz");
        }
        catch (HbpfException)
        {
            // Refusing malformed input is the expected outcome.
        }
    }

    /// <summary>This object with every <c>.maps</c> entry's spec supplied by <paramref name="resolver"/>; programs are
    /// unchanged, since map indices do not move.</summary>
    /// <exception cref="HbpfException">The resolver refused a map; the error names the file, <c>.maps</c> and the map.</exception>
    public ObjectFile ResolveBtfMaps(IBtfMapResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        if (ReferenceEquals(resolver, BtfMapResolver.None)) return this;
        var maps = Maps.ToBuilder();
        foreach (var decl in BtfMaps)
        {
            try
            {
                maps[decl.MapIndex] = resolver.Resolve(decl, Btf) with { Name = decl.Name };
            }
            catch (HbpfException e)
            {
                throw e.WithLocation(new BpfLocation { File = Name, Section = $"{ObjectLoader.BtfMapsSection} ({decl.Name})" });
            }
        }

        return this with { Maps = maps.ToImmutable(), BtfMapsResolved = true };
    }
}
