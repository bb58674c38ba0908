using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace HeteroBpf.Elf;

/// <summary>One section header, as read (sizes and offsets unchecked until <see cref="ElfImage.Data"/> is asked).</summary>
internal readonly record struct ElfSection(int Index, string Name, uint Type, ulong Flags, ulong Offset, ulong Size, uint Link, uint Info, ulong EntrySize)
{
    public const uint SymTab = 2, Rel = 9, NoBits = 8, ProgBits = 1;
    public const ulong ExecFlag = 0x4, AllocFlag = 0x2;

    public bool IsExecutable => Type == ProgBits && (Flags & ExecFlag) != 0;
}

/// <summary>One symbol table entry.</summary>
internal readonly record struct ElfSymbol(int Index, string Name, byte Info, ushort SectionIndex, ulong Value, ulong Size)
{
    public const byte TypeObject = 1, TypeFunc = 2, TypeSection = 3, TypeFile = 4;
    public const byte BindLocal = 0, BindGlobal = 1, BindWeak = 2;

    public byte Type => (byte)(Info & 0xf);

    public byte Bind => (byte)(Info >> 4);

    /// <summary>True for SHN_UNDEF: an extern the object only declares.</summary>
    public bool IsUndefined => SectionIndex == 0;
}

/// <summary>One <c>SHT_REL</c> entry (eBPF objects carry no explicit addend: it sits in the instruction's immediate).</summary>
internal readonly record struct ElfRelocation(ulong Offset, uint Symbol, uint Type, long FileOffset)
{
    public const uint None = 0, Bpf64_64 = 1, Bpf64Abs64 = 2, Bpf64Abs32 = 3, Bpf64NoDyld32 = 4, Bpf64_32 = 10;
}

/// <summary>
/// A span-based reader of little-endian ELF64 relocatable objects: just the header, section table, one symbol table
/// and <c>SHT_REL</c> entries that an eBPF loader needs. Every offset and size taken from the file is checked against
/// the file's length before use, so garbage yields an <see cref="ElfFormatException"/> and never allocates more than
/// the file's size.
/// </summary>
/// <remarks>Why not LibObjectFile: see ARCHITECTURE.md ("ELF reader").</remarks>
internal sealed class ElfImage
{
    private const int HeaderSize = 64, SectionHeaderSize = 64, SymbolSize = 24, RelSize = 16;
    private const ushort EtRel = 1, EmNone = 0, EmBpf = 247, ShnXIndex = 0xffff, ShnLoReserve = 0xff00;

    private readonly byte[] _bytes;
    private readonly string _file;

    private ElfImage(byte[] bytes, string file)
    {
        _bytes = bytes;
        _file = file;
        Sections = [];
    }

    /// <summary>Sections by index (0 is the null section).</summary>
    public ElfSection[] Sections { get; private set; }

    /// <summary>The one symbol table's entries by index (0 is the null symbol); empty when there is none.</summary>
    public ElfSymbol[] Symbols { get; private set; } = [];

    /// <summary>Index of the symbol table section, or 0.</summary>
    public int SymbolTableIndex { get; private set; }

    /// <summary>Reads header, section table and symbol table.</summary>
    public static ElfImage Parse(byte[] bytes, string file)
    {
        var image = new ElfImage(bytes, file);
        image.ReadHeaderAndSections();
        image.ReadSymbols();
        return image;
    }

    /// <summary>A section's bytes; <c>SHT_NOBITS</c> sections have none in the file and give an empty span.</summary>
    public ReadOnlySpan<byte> Data(in ElfSection section)
    {
        if (section.Type == ElfSection.NoBits) return default;
        if (!Fits(section.Offset, section.Size))
            throw Error(ErrorCode.ElfTruncated, $"section data (offset 0x{section.Offset:x}, size 0x{section.Size:x}) extends past the end of the file (size 0x{_bytes.Length:x})", (long)Math.Min(section.Offset, long.MaxValue), section.Name);
        return _bytes.AsSpan((int)section.Offset, (int)section.Size);
    }

    /// <summary>The entries of a <c>SHT_REL</c> section.</summary>
    public ElfRelocation[] Relocations(in ElfSection rel)
    {
        if (rel.EntrySize != RelSize)
            throw Error(ErrorCode.ElfBadSection, $"relocation entry size is {rel.EntrySize}, expected {RelSize}", (long)rel.Offset, rel.Name);
        var data = Data(rel);
        if (data.Length % RelSize != 0)
            throw Error(ErrorCode.ElfBadSection, $"relocation section size {data.Length} is not a multiple of {RelSize}", (long)rel.Offset, rel.Name);
        var result = new ElfRelocation[data.Length / RelSize];
        for (int i = 0; i < result.Length; i++)
        {
            var e = data.Slice(i * RelSize, RelSize);
            ulong info = BinaryPrimitives.ReadUInt64LittleEndian(e[8..]);
            result[i] = new(BinaryPrimitives.ReadUInt64LittleEndian(e), (uint)(info >> 32), (uint)info, (long)rel.Offset + (i * RelSize));
        }

        return result;
    }

    /// <summary>An error located in this file.</summary>
    public ElfFormatException Error(ErrorCode code, string reason, long? fileOffset = null, string? section = null, int? instruction = null) =>
        new(code, reason, new BpfLocation { File = _file, FileOffset = fileOffset, Section = section, Instruction = instruction });

    private bool Fits(ulong offset, ulong size) => offset <= (ulong)_bytes.Length && size <= (ulong)_bytes.Length - offset;

    private void ReadHeaderAndSections()
    {
        var b = _bytes.AsSpan();
        if (b.Length < 4 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
            throw Error(ErrorCode.ElfNotBpfObject, "not an ELF file (bad magic)", 0);
        if (b.Length < HeaderSize)
            throw Error(ErrorCode.ElfTruncated, $"file of {b.Length} bytes is shorter than the 64-byte ELF64 header", b.Length);
        if (b[4] != 2)
            throw Error(ErrorCode.ElfUnsupportedEncoding, b[4] == 1 ? "ELFCLASS32 object: eBPF objects are ELFCLASS64" : $"unknown ELF class {b[4]}", 4);
        // libbpf also reads big-endian objects; nothing here targets a big-endian kernel, so refuse them plainly.
        if (b[5] != 1)
            throw Error(ErrorCode.ElfUnsupportedEncoding, b[5] == 2 ? "big-endian object: only little-endian eBPF objects are supported" : $"unknown ELF data encoding {b[5]}", 5);

        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(b[16..]);
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(b[18..]);
        if (type != EtRel)
            throw Error(ErrorCode.ElfNotBpfObject, $"ELF type {type} is not ET_REL (1): only relocatable objects hold eBPF programs", 16);
        // EM_NONE is what libbpf also accepts: some generators leave the machine unset.
        if (machine != EmBpf && machine != EmNone)
            throw Error(ErrorCode.ElfNotBpfObject, $"ELF machine {machine} is not EM_BPF (247)", 18);

        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(b[40..]);
        ushort shentsize = BinaryPrimitives.ReadUInt16LittleEndian(b[58..]);
        ulong shnum = BinaryPrimitives.ReadUInt16LittleEndian(b[60..]);
        uint shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(b[62..]);
        if (shoff == 0) throw Error(ErrorCode.ElfBadSectionTable, "the object has no section header table", 40);
        if (shentsize != SectionHeaderSize)
            throw Error(ErrorCode.ElfBadSectionTable, $"section header size is {shentsize}, expected {SectionHeaderSize}", 58);
        if (!Fits(shoff, SectionHeaderSize))
            throw Error(ErrorCode.ElfBadSectionTable, $"section header table at 0x{shoff:x} lies outside the file (size 0x{b.Length:x})", 40);

        // Extended numbering: counts that do not fit the header live in section 0's size and link.
        var zero = b.Slice((int)shoff, SectionHeaderSize);
        if (shnum == 0) shnum = BinaryPrimitives.ReadUInt64LittleEndian(zero[32..]);
        if (shstrndx == ShnXIndex) shstrndx = BinaryPrimitives.ReadUInt32LittleEndian(zero[40..]);
        if (shnum == 0 || shnum > int.MaxValue / SectionHeaderSize || !Fits(shoff, shnum * SectionHeaderSize))
            throw Error(ErrorCode.ElfBadSectionTable, $"section header table at 0x{shoff:x} with {shnum} entries lies outside the file (size 0x{b.Length:x})", 40);
        if (shstrndx == 0 || shstrndx >= shnum)
            throw Error(ErrorCode.ElfBadSectionTable, $"section name table index {shstrndx} is not a section (0..{shnum - 1})", 62);

        var raw = new ElfSection[shnum];
        var nameOffsets = new uint[shnum];
        for (int i = 0; i < (int)shnum; i++)
        {
            var h = b.Slice((int)shoff + (i * SectionHeaderSize), SectionHeaderSize);
            nameOffsets[i] = BinaryPrimitives.ReadUInt32LittleEndian(h);
            raw[i] = new ElfSection(
                i,
                "",
                BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[24..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[32..]),
                BinaryPrimitives.ReadUInt32LittleEndian(h[40..]),
                BinaryPrimitives.ReadUInt32LittleEndian(h[44..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[56..]));
        }

        // Names come second: the name table is itself one of the sections just read.
        var names = raw[shstrndx];
        var nameData = DataOfTable(names, "section name table");
        for (int i = 0; i < raw.Length; i++)
        {
            uint nameOffset = nameOffsets[i];
            if (!TryString(nameData, nameOffset, out string? name))
                throw Error(ErrorCode.ElfBadSection, $"section {i}: name offset {nameOffset} is outside the section name table or unterminated", (long)shoff + (i * SectionHeaderSize));
            raw[i] = raw[i] with { Name = name };
        }

        Sections = raw;
    }

    private ReadOnlySpan<byte> DataOfTable(in ElfSection s, string what)
    {
        if (s.Type == ElfSection.NoBits || !Fits(s.Offset, s.Size))
            throw Error(ErrorCode.ElfBadSection, $"{what} (section {s.Index}, offset 0x{s.Offset:x}, size 0x{s.Size:x}) lies outside the file (size 0x{_bytes.Length:x})", (long)Math.Min(s.Offset, long.MaxValue));
        return _bytes.AsSpan((int)s.Offset, (int)s.Size);
    }

    private void ReadSymbols()
    {
        int symtab = 0;
        foreach (var s in Sections)
        {
            if (s.Type != ElfSection.SymTab) continue;
            if (symtab != 0) throw Error(ErrorCode.ElfBadSection, "more than one symbol table", (long)s.Offset, s.Name);
            symtab = s.Index;
        }

        if (symtab == 0) return;
        var table = Sections[symtab];
        if (table.EntrySize != SymbolSize)
            throw Error(ErrorCode.ElfBadSymbol, $"symbol entry size is {table.EntrySize}, expected {SymbolSize}", (long)table.Offset, table.Name);
        var data = DataOfTable(table, "symbol table");
        if (data.Length % SymbolSize != 0)
            throw Error(ErrorCode.ElfBadSymbol, $"symbol table size {data.Length} is not a multiple of {SymbolSize}", (long)table.Offset, table.Name);
        if (table.Link == 0 || table.Link >= Sections.Length)
            throw Error(ErrorCode.ElfBadSymbol, $"symbol table links to string table {table.Link}, which is not a section", (long)table.Offset, table.Name);
        var strings = DataOfTable(Sections[table.Link], "symbol string table");

        var symbols = new ElfSymbol[data.Length / SymbolSize];
        for (int i = 0; i < symbols.Length; i++)
        {
            var e = data.Slice(i * SymbolSize, SymbolSize);
            long at = (long)table.Offset + (i * SymbolSize);
            uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(e);
            if (!TryString(strings, nameOffset, out string? name))
                throw Error(ErrorCode.ElfBadSymbol, $"symbol {i}: name offset {nameOffset} is outside the string table or unterminated", at, table.Name);
            ushort shndx = BinaryPrimitives.ReadUInt16LittleEndian(e[6..]);
            if (shndx == ShnXIndex)
                throw Error(ErrorCode.ElfUnsupportedEncoding, $"symbol '{name}' uses an extended section index (SHT_SYMTAB_SHNDX)", at, table.Name);
            // Reserved indices (SHN_ABS, SHN_COMMON) name no section; any other index must be one.
            if (shndx < ShnLoReserve && shndx >= Sections.Length)
                throw Error(ErrorCode.ElfBadSymbol, $"symbol '{name}' is in section {shndx}, which does not exist", at, table.Name);
            symbols[i] = new(i, name, e[4], shndx, BinaryPrimitives.ReadUInt64LittleEndian(e[8..]), BinaryPrimitives.ReadUInt64LittleEndian(e[16..]));
        }

        Symbols = symbols;
        SymbolTableIndex = symtab;
    }

    private static bool TryString(ReadOnlySpan<byte> table, uint offset, [NotNullWhen(true)] out string? value)
    {
        value = null;
        if (offset >= (uint)table.Length) return offset == 0 && table.IsEmpty && (value = "") is not null;
        var rest = table[(int)offset..];
        int end = rest.IndexOf((byte)0);
        if (end < 0) return false;
        value = Encoding.UTF8.GetString(rest[..end]);
        return true;
    }
}
