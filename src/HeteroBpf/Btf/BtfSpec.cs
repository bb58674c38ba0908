using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace HeteroBpf.Btf;

/// <summary>The types of one <c>.BTF</c> blob as an immutable graph indexed by type id (0 = void), with the queries a loader needs.</summary>
/// <remarks>
/// Hand-written over spans: no NuGet package reads BTF. Only little-endian BTF is read (BPF objects for bpfel and every
/// x86/arm64 kernel). Parsing checks every bound, kind, string and type reference, so the graph never dangles; a type
/// that contains itself by value parses, and fails only when its size is asked for.
/// </remarks>
public sealed class BtfSpec
{
    /// <summary>The BTF magic, as read little-endian.</summary>
    public const ushort Magic = 0xEB9F;

    /// <summary>The section name used in error locations.</summary>
    public const string SectionName = ".BTF";

    /// <summary>Size of a pointer on BPF, the size of every PTR type.</summary>
    public const int PointerSize = 8;

    private const int HeaderSize = 24;
    private const int TypeHeaderSize = 12;

    private readonly BtfType[] _types;
    private readonly Dictionary<string, int> _firstByName;
    private readonly int[] _nextSameName;
    private readonly bool[] _reachesCycle;

    private BtfSpec(BtfType[] types, BtfStrings strings)
    {
        _types = types;
        Strings = strings;
        Types = ImmutableCollectionsMarshal.AsImmutableArray(types);

        // Walk ids downwards and prepend, so each name's chain lists ids in ascending order.
        _firstByName = new Dictionary<string, int>(StringComparer.Ordinal);
        _nextSameName = new int[types.Length];
        for (int id = types.Length - 1; id > 0; id--)
        {
            string name = types[id].Name;
            if (name.Length == 0) continue;
            ref int first = ref CollectionsMarshal.GetValueRefOrAddDefault(_firstByName, name, out _);
            _nextSameName[id] = first;
            first = id;
        }

        _reachesCycle = FindByValueCycles(types);
    }

    /// <summary>Every type, indexed by id; <c>Types[0]</c> is <see cref="BtfVoid"/>.</summary>
    public ImmutableArray<BtfType> Types { get; }

    /// <summary>Number of type ids, void included (the last id is <c>Count - 1</c>).</summary>
    public int Count => _types.Length;

    internal BtfStrings Strings { get; }

    /// <summary>The type with id <paramref name="id"/>; an id outside the blob is an error.</summary>
    public BtfType this[int id] => (uint)id < (uint)_types.Length ? _types[id] : throw BadId(id);

    /// <summary>Parses a raw <c>.BTF</c> section (or <c>/sys/kernel/btf/vmlinux</c>).</summary>
    /// <exception cref="BtfFormatException">The blob is malformed; the error names the byte offset and, for a type, its id.</exception>
    public static BtfSpec Parse(ReadOnlySpan<byte> blob)
    {
        var (typeStart, typeEnd, strStart, strEnd) = ReadHeader(blob);
        var offsets = ScanTypes(blob, typeStart, typeEnd);
        var strings = new BtfStrings(blob[strStart..strEnd].ToArray());
        var types = new BtfType[offsets.Count + 1];
        types[0] = new BtfVoid();
        var builder = new TypeBuilder(blob, strings, types.Length);
        for (int i = 0; i < offsets.Count; i++) types[i + 1] = builder.Build(offsets[i], i + 1);
        return new BtfSpec(types, strings);
    }

    /// <summary>Types named <paramref name="name"/>, in id order.</summary>
    public IEnumerable<BtfType> FindAll(string name)
    {
        if (!_firstByName.TryGetValue(name, out int id)) yield break;
        for (; id != 0; id = _nextSameName[id]) yield return _types[id];
    }

    /// <summary>The first type named <paramref name="name"/>, of <paramref name="kind"/> when given; null when there is none.</summary>
    public BtfType? Find(string name, BtfKind? kind = null)
    {
        if (!_firstByName.TryGetValue(name, out int id)) return null;
        for (; id != 0; id = _nextSameName[id])
        {
            if (kind is null || _types[id].Kind == kind) return _types[id];
        }

        return null;
    }

    /// <summary>The data section named <paramref name="name"/> (<c>.maps</c>, <c>.data</c>, <c>.rodata</c>…), or null.</summary>
    public BtfDatasec? FindDatasec(string name) => Find(name, BtfKind.Datasec) as BtfDatasec;

    /// <summary>The type under <paramref name="id"/> once typedef, const, volatile, restrict and type tags are skipped.</summary>
    /// <exception cref="BtfFormatException">The chain of qualifiers is a cycle.</exception>
    public BtfType Resolve(int id)
    {
        var t = this[id];
        // A chain longer than the number of types must repeat a type.
        for (int steps = 0; t is BtfQualifier q; steps++)
        {
            if (steps >= _types.Length) throw Cycle(id);
            t = _types[q.TypeId];
        }

        return t;
    }

    /// <summary>Size in bytes of <paramref name="id"/>, as libbpf's <c>btf__resolve_size</c> computes it (a PTR is 8).</summary>
    /// <exception cref="BtfFormatException">The type has no size (void, FUNC, FUNC_PROTO, FWD), contains itself without a pointer between, or overflows 32 bits.</exception>
    public long SizeOf(int id)
    {
        _ = this[id];
        if (_reachesCycle[id]) throw Cycle(id);

        // No by-value cycle is reachable, so this walk ends; it is a loop, not recursion, for chains of any depth.
        ulong count = 1;
        bool overflow = false;
        for (int cur = id; ;)
        {
            var t = _types[cur];
            ulong size;
            switch (t)
            {
                case BtfInt i: size = i.Size; break;
                case BtfComposite c: size = c.Size; break;
                case BtfEnumeration e: size = e.Size; break;
                case BtfDatasec d: size = d.Size; break;
                case BtfFloat f: size = f.Size; break;
                case BtfPtr: size = PointerSize; break;
                case BtfQualifier q: cur = q.TypeId; continue;
                case BtfVar v: cur = v.TypeId; continue;
                case BtfDeclTag dt: cur = dt.TypeId; continue;
                case BtfArray a:
                    count *= a.Count;
                    overflow |= count > uint.MaxValue;
                    if (overflow) count = 1;
                    cur = a.ElementTypeId;
                    continue;
                default:
                    throw new BtfFormatException(ErrorCode.BtfTypeHasNoSize,
                        cur == id ? $"{t.Kind} has no size" : $"has no size: it reaches {t}", SectionName, null, id);
            }

            ulong total = count * size;
            if (overflow || total > uint.MaxValue)
            {
                throw new BtfFormatException(ErrorCode.BtfSizeOverflow, "size does not fit in 32 bits", SectionName, null, id);
            }

            return (long)total;
        }
    }

    /// <summary>The variables of the <c>.maps</c> data section decoded as libbpf map definitions; empty when the blob has no <c>.maps</c>.</summary>
    /// <exception cref="BtfFormatException">A variable does not follow libbpf's conventions (<see cref="ErrorCode.BtfBadMapDefinition"/>).</exception>
    public ImmutableArray<BtfMapVariable> GetMaps()
    {
        if (FindDatasec(".maps") is not { } sec) return [];
        var maps = ImmutableArray.CreateBuilder<BtfMapVariable>(sec.Variables.Length);
        foreach (var info in sec.Variables) maps.Add(BtfMapDefinition.DecodeVariable(this, info));
        return maps.MoveToImmutable();
    }

    /// <summary>The ids of a cycle through <paramref name="id"/>'s by-value edges, for error messages.</summary>
    private List<int> CyclePath(int id)
    {
        var state = new Dictionary<int, int>();
        var stack = new List<(int Node, int Edge)> { (id, 0) };
        state[id] = 1;
        while (stack.Count > 0)
        {
            var (node, edge) = stack[^1];
            if (edge >= EdgeCount(_types[node]))
            {
                state[node] = 2;
                stack.RemoveAt(stack.Count - 1);
                continue;
            }

            stack[^1] = (node, edge + 1);
            int next = Edge(_types[node], edge);
            if (!state.TryGetValue(next, out int s))
            {
                state[next] = 1;
                stack.Add((next, 0));
            }
            else if (s == 1)
            {
                int from = stack.FindIndex(e => e.Node == next);
                var path = stack.Skip(from).Select(e => e.Node).ToList();
                path.Add(next);
                return path;
            }
        }

        return [id];
    }

    private BtfFormatException Cycle(int id)
    {
        string path = string.Join(" -> ", CyclePath(id).Select(i => _types[i].ToString()));
        return new BtfFormatException(ErrorCode.BtfTypeCycle, $"type contains itself without a pointer in between: {path}", SectionName, null, id);
    }

    private static BtfFormatException BadId(int id) =>
        new(ErrorCode.BtfBadTypeId, $"type id {id} does not exist", SectionName, null);

    // By-value edges: what a type's size depends on. PTR, FUNC and FUNC_PROTO are not edges, so C's legal recursion
    // through pointers is no cycle.
    private static int EdgeCount(BtfType t) => t switch
    {
        BtfQualifier or BtfVar or BtfDeclTag or BtfArray => 1,
        BtfComposite c => c.Members.Length,
        BtfDatasec d => d.Variables.Length,
        _ => 0,
    };

    private static int Edge(BtfType t, int i) => t switch
    {
        BtfQualifier q => q.TypeId,
        BtfVar v => v.TypeId,
        BtfDeclTag d => d.TypeId,
        BtfArray a => a.ElementTypeId,
        BtfComposite c => c.Members[i].TypeId,
        BtfDatasec d => d.Variables[i].TypeId,
        _ => throw new System.Diagnostics.UnreachableException($"{t} has no by-value edges"),
    };

    /// <summary>Marks every type from which a by-value cycle is reachable; an iterative depth-first search, since fuzzed chains can be deep.</summary>
    private static bool[] FindByValueCycles(BtfType[] types)
    {
        var reaches = new bool[types.Length];
        var color = new byte[types.Length]; // 0 unseen, 1 on the stack, 2 done
        var nodes = new int[types.Length];
        var edges = new int[types.Length];
        for (int root = 1; root < types.Length; root++)
        {
            if (color[root] != 0) continue;
            int depth = 0;
            nodes[0] = root;
            edges[0] = 0;
            color[root] = 1;
            while (depth >= 0)
            {
                int node = nodes[depth];
                var t = types[node];
                if (edges[depth] < EdgeCount(t))
                {
                    int next = Edge(t, edges[depth]++);
                    if (color[next] == 0)
                    {
                        color[next] = 1;
                        depth++;
                        nodes[depth] = next;
                        edges[depth] = 0;
                    }
                    else if (color[next] == 1 || reaches[next])
                    {
                        reaches[node] = true;
                    }

                    continue;
                }

                color[node] = 2;
                if (reaches[node] && depth > 0) reaches[nodes[depth - 1]] = true;
                depth--;
            }
        }

        return reaches;
    }

    private static (int TypeStart, int TypeEnd, int StrStart, int StrEnd) ReadHeader(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 8)
        {
            throw new BtfFormatException(ErrorCode.BtfTruncatedHeader, $"{blob.Length} bytes is shorter than a BTF header", SectionName, 0);
        }

        ushort magic = BinaryPrimitives.ReadUInt16LittleEndian(blob);
        if (magic != Magic)
        {
            string why = magic == 0x9FEB ? "big-endian BTF is not supported" : $"bad magic 0x{magic:x4} (expected 0x{Magic:x4})";
            throw new BtfFormatException(ErrorCode.BtfBadMagic, why, SectionName, 0);
        }

        if (blob[2] != 1) throw new BtfFormatException(ErrorCode.BtfBadVersion, $"version {blob[2]} (expected 1)", SectionName, 2);
        uint hdrLen = BinaryPrimitives.ReadUInt32LittleEndian(blob[4..]);
        if (hdrLen < HeaderSize || blob.Length < HeaderSize)
        {
            throw new BtfFormatException(ErrorCode.BtfTruncatedHeader,
                $"header length {hdrLen} in a blob of {blob.Length} bytes; a BTF header has {HeaderSize}", SectionName, 4);
        }

        if (hdrLen > (uint)blob.Length)
        {
            throw new BtfFormatException(ErrorCode.BtfSectionOutOfBounds, $"header length {hdrLen} exceeds the blob ({blob.Length} bytes)", SectionName, 4);
        }

        var (ts, te) = SubSection(blob, hdrLen, 8, "type", SectionName);
        var (ss, se) = SubSection(blob, hdrLen, 16, "string", SectionName);
        return (ts, te, ss, se);
    }

    /// <summary>Reads an (offset, length) pair at <paramref name="field"/>, relative to the end of the header, and checks it lies in the blob.</summary>
    internal static (int Start, int End) SubSection(ReadOnlySpan<byte> blob, uint hdrLen, int field, string what, string section)
    {
        uint off = BinaryPrimitives.ReadUInt32LittleEndian(blob[field..]);
        uint len = BinaryPrimitives.ReadUInt32LittleEndian(blob[(field + 4)..]);
        ulong start = (ulong)hdrLen + off, end = start + len;
        if (end > (ulong)blob.Length)
        {
            throw new BtfFormatException(ErrorCode.BtfSectionOutOfBounds,
                $"{what} section [{start}, {end}) lies outside the blob ({blob.Length} bytes)", section, field);
        }

        return ((int)start, (int)end);
    }

    /// <summary>Finds where each type record starts, checking kinds and lengths before any record is built.</summary>
    private static List<int> ScanTypes(ReadOnlySpan<byte> blob, int start, int end)
    {
        var offsets = new List<int>(Math.Min((end - start) / 16, 1 << 20));
        for (int pos = start; pos < end;)
        {
            int id = offsets.Count + 1;
            if (end - pos < TypeHeaderSize)
            {
                throw new BtfFormatException(ErrorCode.BtfTypeTruncated,
                    $"{end - pos} bytes left in the type section, a type record needs {TypeHeaderSize}", SectionName, pos, id);
            }

            uint info = BinaryPrimitives.ReadUInt32LittleEndian(blob[(pos + 4)..]);
            int vlen = (int)(info & 0xFFFF);
            var kind = (BtfKind)((info >> 24) & 0x1F);
            (int fixedExtra, int perItem) = kind switch
            {
                BtfKind.Int or BtfKind.Var or BtfKind.DeclTag => (4, 0),
                BtfKind.Array => (12, 0),
                BtfKind.Struct or BtfKind.Union or BtfKind.Datasec or BtfKind.Enum64 => (0, 12),
                BtfKind.Enum or BtfKind.FuncProto => (0, 8),
                BtfKind.Ptr or BtfKind.Fwd or BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict
                    or BtfKind.Func or BtfKind.Float or BtfKind.TypeTag => (0, 0),
                _ => throw new BtfFormatException(ErrorCode.BtfUnknownKind, $"unknown kind {(int)kind}", SectionName, pos + 4, id),
            };

            int left = end - pos - TypeHeaderSize;
            if (fixedExtra > left)
            {
                throw new BtfFormatException(ErrorCode.BtfTypeTruncated,
                    $"{kind} needs {TypeHeaderSize + fixedExtra} bytes, {left + TypeHeaderSize} left in the type section", SectionName, pos, id);
            }

            long items = (long)vlen * perItem;
            if (items > left)
            {
                throw new BtfFormatException(ErrorCode.BtfVlenTooLarge,
                    $"{kind} with vlen {vlen} needs {items} bytes after its header, {left} left in the type section", SectionName, pos + 4, id);
            }

            offsets.Add(pos);
            pos += TypeHeaderSize + fixedExtra + (int)items;
        }

        return offsets;
    }

    /// <summary>Builds one record per type; the number of types is known, so every reference is checked as it is read.</summary>
    private ref struct TypeBuilder(ReadOnlySpan<byte> blob, BtfStrings strings, int count)
    {
        private readonly ReadOnlySpan<byte> _blob = blob;
        private readonly Dictionary<uint, string> _names = new();
        private int _id;

        private readonly uint U32(int at) => BinaryPrimitives.ReadUInt32LittleEndian(_blob[at..]);

        private string Name(int at) => strings.Get(U32(at), _names, SectionName, at, _id);

        private readonly int Ref(int at)
        {
            uint id = U32(at);
            if (id >= (uint)count)
            {
                throw new BtfFormatException(ErrorCode.BtfBadTypeId, $"refers to type id {id}, the last id is {count - 1}", SectionName, at, _id);
            }

            return (int)id;
        }

        public BtfType Build(int pos, int id)
        {
            _id = id;
            string name = Name(pos);
            uint info = U32(pos + 4);
            int vlen = (int)(info & 0xFFFF);
            bool kindFlag = (info & 0x8000_0000) != 0;
            uint sizeOrType = U32(pos + 8);
            int extra = pos + TypeHeaderSize;
            switch ((BtfKind)((info >> 24) & 0x1F))
            {
                case BtfKind.Int:
                    uint enc = U32(extra);
                    return new BtfInt(id, name, sizeOrType, (BtfIntEncoding)((enc >> 24) & 0xF), (int)((enc >> 16) & 0xFF), (int)(enc & 0xFF));
                case BtfKind.Ptr: return new BtfPtr(id, name, Ref(pos + 8));
                case BtfKind.Array: return new BtfArray(id, name, Ref(extra), Ref(extra + 4), U32(extra + 8));
                case BtfKind.Struct: return new BtfStruct(id, name, sizeOrType, Members(extra, vlen, kindFlag));
                case BtfKind.Union: return new BtfUnion(id, name, sizeOrType, Members(extra, vlen, kindFlag));
                case BtfKind.Enum:
                {
                    var values = new BtfEnumValue[vlen];
                    for (int i = 0; i < vlen; i++)
                    {
                        int at = extra + (i * 8);
                        uint raw = U32(at + 4);
                        values[i] = new BtfEnumValue(Name(at), kindFlag ? (int)raw : raw);
                    }

                    return new BtfEnum(id, name, sizeOrType, kindFlag, ImmutableCollectionsMarshal.AsImmutableArray(values));
                }

                case BtfKind.Fwd: return new BtfFwd(id, name, kindFlag);
                case BtfKind.Typedef: return new BtfTypedef(id, name, Ref(pos + 8));
                case BtfKind.Volatile: return new BtfVolatile(id, name, Ref(pos + 8));
                case BtfKind.Const: return new BtfConst(id, name, Ref(pos + 8));
                case BtfKind.Restrict: return new BtfRestrict(id, name, Ref(pos + 8));
                case BtfKind.Func: return new BtfFunc(id, name, Ref(pos + 8), (BtfFuncLinkage)vlen);
                case BtfKind.FuncProto:
                {
                    var ps = new BtfParam[vlen];
                    for (int i = 0; i < vlen; i++)
                    {
                        int at = extra + (i * 8);
                        ps[i] = new BtfParam(Name(at), Ref(at + 4));
                    }

                    return new BtfFuncProto(id, name, Ref(pos + 8), ImmutableCollectionsMarshal.AsImmutableArray(ps));
                }

                case BtfKind.Var: return new BtfVar(id, name, Ref(pos + 8), (BtfVarLinkage)U32(extra));
                case BtfKind.Datasec:
                {
                    var vars = new BtfVarSecInfo[vlen];
                    for (int i = 0; i < vlen; i++)
                    {
                        int at = extra + (i * 12);
                        vars[i] = new BtfVarSecInfo(Ref(at), U32(at + 4), U32(at + 8));
                    }

                    return new BtfDatasec(id, name, sizeOrType, ImmutableCollectionsMarshal.AsImmutableArray(vars));
                }

                case BtfKind.Float: return new BtfFloat(id, name, sizeOrType);
                case BtfKind.DeclTag: return new BtfDeclTag(id, name, Ref(pos + 8), (int)U32(extra), kindFlag);
                case BtfKind.TypeTag: return new BtfTypeTag(id, name, Ref(pos + 8), kindFlag);
                case BtfKind.Enum64:
                {
                    var values = new BtfEnumValue[vlen];
                    for (int i = 0; i < vlen; i++)
                    {
                        int at = extra + (i * 12);
                        ulong v = U32(at + 4) | ((ulong)U32(at + 8) << 32);
                        values[i] = new BtfEnumValue(Name(at), (long)v);
                    }

                    return new BtfEnum64(id, name, sizeOrType, kindFlag, ImmutableCollectionsMarshal.AsImmutableArray(values));
                }

                default:
                    throw new System.Diagnostics.UnreachableException("ScanTypes accepted an unknown kind");
            }
        }

        private ImmutableArray<BtfMember> Members(int at, int vlen, bool bitfields)
        {
            var members = new BtfMember[vlen];
            for (int i = 0; i < vlen; i++, at += 12)
            {
                uint offset = U32(at + 8);
                members[i] = bitfields
                    ? new BtfMember(Name(at), Ref(at + 4), offset & 0xFF_FFFF, (int)(offset >> 24))
                    : new BtfMember(Name(at), Ref(at + 4), offset, 0);
            }

            return ImmutableCollectionsMarshal.AsImmutableArray(members);
        }
    }
}
