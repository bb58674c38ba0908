using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;

namespace HeteroBpf.Btf;

/// <summary>CO-RE relocation kinds with the kernel's numbers (<c>enum bpf_core_relo_kind</c>, <c>BPF_CORE_*</c>).</summary>
public enum BtfCoreRelocationKind : uint
{
    /// <summary><c>BPF_CORE_FIELD_BYTE_OFFSET</c>.</summary>
    FieldByteOffset = 0,
    /// <summary><c>BPF_CORE_FIELD_BYTE_SIZE</c>.</summary>
    FieldByteSize = 1,
    /// <summary><c>BPF_CORE_FIELD_EXISTS</c>.</summary>
    FieldExists = 2,
    /// <summary><c>BPF_CORE_FIELD_SIGNED</c>.</summary>
    FieldSigned = 3,
    /// <summary><c>BPF_CORE_FIELD_LSHIFT_U64</c>.</summary>
    FieldLShiftU64 = 4,
    /// <summary><c>BPF_CORE_FIELD_RSHIFT_U64</c>.</summary>
    FieldRShiftU64 = 5,
    /// <summary><c>BPF_CORE_TYPE_ID_LOCAL</c>.</summary>
    TypeIdLocal = 6,
    /// <summary><c>BPF_CORE_TYPE_ID_TARGET</c>.</summary>
    TypeIdTarget = 7,
    /// <summary><c>BPF_CORE_TYPE_EXISTS</c>.</summary>
    TypeExists = 8,
    /// <summary><c>BPF_CORE_TYPE_SIZE</c>.</summary>
    TypeSize = 9,
    /// <summary><c>BPF_CORE_ENUMVAL_EXISTS</c>.</summary>
    EnumvalExists = 10,
    /// <summary><c>BPF_CORE_ENUMVAL_VALUE</c>.</summary>
    EnumvalValue = 11,
    /// <summary><c>BPF_CORE_TYPE_MATCHES</c>.</summary>
    TypeMatches = 12,
}

/// <summary>A function start: <paramref name="InsnOffset"/> in bytes from the start of its ELF section, and its FUNC type.</summary>
public readonly record struct BtfFuncInfo(uint InsnOffset, int TypeId)
{
    /// <summary>The instruction slot (<c>InsnOffset / 8</c>).</summary>
    public int Slot => (int)(InsnOffset / 8);
}

/// <summary>The source position of the instructions from <paramref name="InsnOffset"/> (bytes) on: file, 1-based line and column, and the line's text.</summary>
public sealed record BtfLineInfo(uint InsnOffset, string FileName, string LineText, int Line, int Column)
{
    /// <summary>The instruction slot (<c>InsnOffset / 8</c>).</summary>
    public int Slot => (int)(InsnOffset / 8);

    /// <summary>Formats as <c>file:line:column</c>.</summary>
    public override string ToString() => $"{FileName}:{Line}:{Column}";
}

/// <summary>A CO-RE relocation of the instruction at <paramref name="InsnOffset"/> (bytes): local type, access string such as <c>0:1:2</c> and its indices, and kind.</summary>
/// <remarks>For field relocations the first index steps through an array of the type and the rest pick members or elements; type relocations use <c>0</c>; enum-value relocations the enumerator's index.</remarks>
public sealed record BtfCoreRelocation(uint InsnOffset, int TypeId, string AccessString, ImmutableArray<int> Access, BtfCoreRelocationKind Kind)
{
    /// <summary>The instruction slot (<c>InsnOffset / 8</c>).</summary>
    public int Slot => (int)(InsnOffset / 8);
}

/// <summary>The line info of one program section, searchable by instruction slot.</summary>
public sealed class LineTable
{
    private readonly BtfLineInfo[] _lines;

    /// <summary>Builds a table; entries are ordered by instruction offset (stable for equal offsets).</summary>
    public LineTable(IEnumerable<BtfLineInfo> lines)
    {
        _lines = lines.OrderBy(l => l.InsnOffset).ToArray();
        Entries = [.. _lines];
    }

    /// <summary>The entries in instruction order.</summary>
    public ImmutableArray<BtfLineInfo> Entries { get; }

    /// <summary>The line that covers <paramref name="slot"/>: the last entry starting at or before it; false before the first entry.</summary>
    public bool TryFind(int slot, [MaybeNullWhen(false)] out BtfLineInfo line)
    {
        // The last entry whose slot is <= slot; line info marks where a line starts, and it runs until the next entry.
        int lo = 0, hi = _lines.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = lo + ((hi - lo) / 2);
            if (_lines[mid].Slot <= slot)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        line = found >= 0 ? _lines[found] : null;
        return found >= 0;
    }
}

/// <summary>A parsed <c>.BTF.ext</c>: function, line and CO-RE relocation records, grouped by ELF section name.</summary>
/// <remarks>Section names and strings are offsets into the <c>.BTF</c> string section, so parsing needs the <see cref="BtfSpec"/>.</remarks>
public sealed class BtfExtSpec
{
    /// <summary>The section name used in error locations.</summary>
    public const string SectionName = ".BTF.ext";

    private const int MinHeaderSize = 24, CoreHeaderSize = 32;
    private const int FuncInfoSize = 8, LineInfoSize = 16, CoreReloSize = 16;

    private BtfExtSpec(
        Dictionary<string, ImmutableArray<BtfFuncInfo>> funcs,
        Dictionary<string, ImmutableArray<BtfLineInfo>> lines,
        Dictionary<string, ImmutableArray<BtfCoreRelocation>> relos)
    {
        FuncInfos = funcs;
        LineInfos = lines;
        CoreRelocations = relos;
    }

    /// <summary>Function records per section name.</summary>
    public IReadOnlyDictionary<string, ImmutableArray<BtfFuncInfo>> FuncInfos { get; }

    /// <summary>Line records per section name, in file order.</summary>
    public IReadOnlyDictionary<string, ImmutableArray<BtfLineInfo>> LineInfos { get; }

    /// <summary>CO-RE relocations per section name (empty when the header predates them).</summary>
    public IReadOnlyDictionary<string, ImmutableArray<BtfCoreRelocation>> CoreRelocations { get; }

    /// <summary>The line table of <paramref name="section"/>; empty when the section has no line info.</summary>
    public LineTable GetLineTable(string section) =>
        new(LineInfos.TryGetValue(section, out var lines) ? lines : []);

    /// <summary>Parses a raw <c>.BTF.ext</c> section whose strings and types live in <paramref name="btf"/>.</summary>
    /// <exception cref="BtfFormatException">The blob is malformed; the error names the byte offset in it.</exception>
    public static BtfExtSpec Parse(ReadOnlySpan<byte> blob, BtfSpec btf)
    {
        if (blob.Length < 8) throw new BtfFormatException(ErrorCode.BtfTruncatedHeader, $"{blob.Length} bytes is shorter than a BTF.ext header", SectionName, 0);
        ushort magic = BinaryPrimitives.ReadUInt16LittleEndian(blob);
        if (magic != BtfSpec.Magic)
        {
            string why = magic == 0x9FEB ? "big-endian BTF.ext is not supported" : $"bad magic 0x{magic:x4} (expected 0x{BtfSpec.Magic:x4})";
            throw new BtfFormatException(ErrorCode.BtfBadMagic, why, SectionName, 0);
        }

        if (blob[2] != 1) throw new BtfFormatException(ErrorCode.BtfBadVersion, $"version {blob[2]} (expected 1)", SectionName, 2);
        uint hdrLen = BinaryPrimitives.ReadUInt32LittleEndian(blob[4..]);
        if (hdrLen < MinHeaderSize || blob.Length < MinHeaderSize)
        {
            throw new BtfFormatException(ErrorCode.BtfTruncatedHeader,
                $"header length {hdrLen} in a blob of {blob.Length} bytes; a BTF.ext header has at least {MinHeaderSize}", SectionName, 4);
        }

        if (hdrLen > (uint)blob.Length)
        {
            throw new BtfFormatException(ErrorCode.BtfSectionOutOfBounds, $"header length {hdrLen} exceeds the blob ({blob.Length} bytes)", SectionName, 4);
        }

        var reader = new Reader(blob, btf);
        var funcs = new Dictionary<string, List<BtfFuncInfo>>(StringComparer.Ordinal);
        var lines = new Dictionary<string, List<BtfLineInfo>>(StringComparer.Ordinal);
        var relos = new Dictionary<string, List<BtfCoreRelocation>>(StringComparer.Ordinal);

        var (fs, fe) = BtfSpec.SubSection(blob, hdrLen, 8, "func_info", SectionName);
        reader.Block(fs, fe, FuncInfoSize, "func_info", (in Reader r, int at) => new BtfFuncInfo(r.U32(at), r.TypeRef(at + 4)), funcs);

        var (ls, le) = BtfSpec.SubSection(blob, hdrLen, 16, "line_info", SectionName);
        reader.Block(ls, le, LineInfoSize, "line_info", (in Reader r, int at) =>
        {
            uint lineCol = r.U32(at + 12);
            return new BtfLineInfo(r.U32(at), r.Str(at + 4), r.Str(at + 8), (int)(lineCol >> 10), (int)(lineCol & 0x3FF));
        }, lines);

        // The CO-RE pair came later; an older, 24-byte header simply has none.
        if (hdrLen >= CoreHeaderSize)
        {
            var (cs, ce) = BtfSpec.SubSection(blob, hdrLen, 24, "core_relo", SectionName);
            reader.Block(cs, ce, CoreReloSize, "core_relo", (in Reader r, int at) =>
            {
                string access = r.Str(at + 8);
                return new BtfCoreRelocation(r.U32(at), r.TypeRef(at + 4), access, ParseAccess(access, at + 8), (BtfCoreRelocationKind)r.U32(at + 12));
            }, relos);
        }

        return new BtfExtSpec(Freeze(funcs), Freeze(lines), Freeze(relos));
    }

    /// <summary>Splits <c>0:1:2</c> into indices; <paramref name="at"/> is the offset of the string's reference, for errors.</summary>
    private static ImmutableArray<int> ParseAccess(string access, int at)
    {
        var indices = ImmutableArray.CreateBuilder<int>();
        foreach (var part in access.Split(':'))
        {
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
            {
                throw new BtfFormatException(ErrorCode.BtfBadAccessString, $"CO-RE access string \"{access}\" is not colon-separated indices", SectionName, at);
            }

            indices.Add(index);
        }

        return indices.DrainToImmutable();
    }

    private static Dictionary<string, ImmutableArray<T>> Freeze<T>(Dictionary<string, List<T>> d) =>
        d.ToDictionary(kv => kv.Key, kv => kv.Value.ToImmutableArray(), StringComparer.Ordinal);

    private delegate T RecordReader<T>(in Reader reader, int at);

    private readonly ref struct Reader(ReadOnlySpan<byte> blob, BtfSpec btf)
    {
        private readonly ReadOnlySpan<byte> _blob = blob;
        private readonly Dictionary<uint, string> _cache = new();

        public uint U32(int at) => BinaryPrimitives.ReadUInt32LittleEndian(_blob[at..]);

        public string Str(int at) => btf.Strings.Get(U32(at), _cache, SectionName, at);

        public int TypeRef(int at)
        {
            uint id = U32(at);
            if (id >= (uint)btf.Count)
            {
                throw new BtfFormatException(ErrorCode.BtfBadTypeId, $"refers to type id {id}, the last id is {btf.Count - 1}", SectionName, at);
            }

            return (int)id;
        }

        /// <summary>One info block: a record size, then per section its name, record count and records.</summary>
        public void Block<T>(int start, int end, int known, string what, RecordReader<T> read, Dictionary<string, List<T>> into)
        {
            if (start == end) return;
            if (end - start < 4) throw new BtfFormatException(ErrorCode.BtfExtTruncated, $"{what} block of {end - start} bytes has no record size", SectionName, start);
            uint recSize = U32(start);
            if (recSize < known || recSize % 4 != 0)
            {
                // Larger records are newer formats whose extra fields are skipped; smaller ones lack fields we need.
                throw new BtfFormatException(ErrorCode.BtfExtBadRecordSize,
                    $"{what} record size {recSize}: needs at least {known} and a multiple of 4", SectionName, start);
            }

            for (int pos = start + 4; pos < end;)
            {
                if (end - pos < 8) throw new BtfFormatException(ErrorCode.BtfExtTruncated, $"{what}: {end - pos} bytes left, a section header needs 8", SectionName, pos);
                string section = Str(pos);
                uint n = U32(pos + 4);
                ulong bytes = (ulong)n * recSize;
                if (bytes > (ulong)(end - pos - 8))
                {
                    throw new BtfFormatException(ErrorCode.BtfExtTruncated,
                        $"{what} of section {section}: {n} records of {recSize} bytes run past the block", SectionName, pos + 4);
                }

                if (!into.TryGetValue(section, out var list)) into[section] = list = new List<T>((int)n);
                pos += 8;
                for (uint i = 0; i < n; i++, pos += (int)recSize) list.Add(read(in this, pos));
            }
        }
    }
}
