using System.Buffers.Binary;
using System.Text;
using HeteroBpf.Btf;

namespace HeteroBpf.Tests.Btf;

/// <summary>Writes raw .BTF blobs type by type, for hand-built (and deliberately broken) inputs.</summary>
/// <remarks>Written from the format description, independently of the parser: records are laid down word by word.</remarks>
public sealed class BtfBuilder
{
    private readonly List<uint> _words = [];
    private readonly MemoryStream _strings = new();
    private readonly Dictionary<string, uint> _stringOffsets = new() { [""] = 0 };

    /// <summary>Starts a blob whose string section holds only the empty name.</summary>
    public BtfBuilder() => _strings.WriteByte(0);

    /// <summary>Number of types added; the next type gets id <c>Count + 1</c>.</summary>
    public int Count { get; private set; }

    /// <summary>Offset of a string, adding it when new.</summary>
    public uint Str(string s)
    {
        if (_stringOffsets.TryGetValue(s, out uint off)) return off;
        off = (uint)_strings.Length;
        _strings.Write(Encoding.UTF8.GetBytes(s));
        _strings.WriteByte(0);
        _stringOffsets[s] = off;
        return off;
    }

    /// <summary>Adds a raw record: header words then <paramref name="extra"/>; returns the new id.</summary>
    public int Raw(BtfKind kind, string name, int vlen, bool kindFlag, uint sizeOrType, params uint[] extra) =>
        RawInfo(((uint)kind << 24) | (uint)vlen | (kindFlag ? 0x8000_0000u : 0), Str(name), sizeOrType, extra);

    /// <summary>Adds a record with an arbitrary info word and name offset.</summary>
    public int RawInfo(uint info, uint nameOff, uint sizeOrType, params uint[] extra)
    {
        _words.Add(nameOff);
        _words.Add(info);
        _words.Add(sizeOrType);
        _words.AddRange(extra);
        return ++Count;
    }

    /// <summary>A signed or unsigned integer of <paramref name="size"/> bytes.</summary>
    public int Int(string name, uint size, bool signed = false) =>
        Raw(BtfKind.Int, name, 0, false, size, (signed ? 1u << 24 : 0) | (size * 8));

    /// <summary>A pointer.</summary>
    public int Ptr(int target) => Raw(BtfKind.Ptr, "", 0, false, (uint)target);

    /// <summary>A typedef.</summary>
    public int Typedef(string name, int target) => Raw(BtfKind.Typedef, name, 0, false, (uint)target);

    /// <summary>An array.</summary>
    public int Array(int element, int index, uint count) => Raw(BtfKind.Array, "", 0, false, 0, (uint)element, (uint)index, count);

    /// <summary>A struct of (name, type, bit offset) members.</summary>
    public int Struct(string name, uint size, params (string Name, int Type, uint BitOffset)[] members) =>
        Raw(BtfKind.Struct, name, members.Length, false, size, [.. members.SelectMany(m => new[] { Str(m.Name), (uint)m.Type, m.BitOffset })]);

    /// <summary>A function prototype.</summary>
    public int FuncProto(int ret, params (string Name, int Type)[] ps) =>
        Raw(BtfKind.FuncProto, "", ps.Length, false, (uint)ret, [.. ps.SelectMany(p => new[] { Str(p.Name), (uint)p.Type })]);

    /// <summary>A function.</summary>
    public int Func(string name, int proto, BtfFuncLinkage linkage = BtfFuncLinkage.Global) => Raw(BtfKind.Func, name, (int)linkage, false, (uint)proto);

    /// <summary>A variable.</summary>
    public int Var(string name, int type, BtfVarLinkage linkage = BtfVarLinkage.GlobalAllocated) => Raw(BtfKind.Var, name, 0, false, (uint)type, (uint)linkage);

    /// <summary>A data section of (var, offset, size) entries.</summary>
    public int Datasec(string name, uint size, params (int Var, uint Offset, uint Size)[] vars) =>
        Raw(BtfKind.Datasec, name, vars.Length, false, size, [.. vars.SelectMany(v => new[] { (uint)v.Var, v.Offset, v.Size })]);

    /// <summary>The type section's bytes.</summary>
    public byte[] TypeBytes()
    {
        var bytes = new byte[_words.Count * 4];
        for (int i = 0; i < _words.Count; i++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), _words[i]);
        return bytes;
    }

    /// <summary>The string section's bytes.</summary>
    public byte[] StringBytes() => _strings.ToArray();

    /// <summary>The blob: a 24-byte header, the types, the strings.</summary>
    public byte[] Build() => Assemble(TypeBytes(), StringBytes());

    /// <summary>A blob from explicit type and string sections, laid out as clang does (types, then strings).</summary>
    public static byte[] Assemble(byte[] types, byte[] strings)
    {
        var blob = new byte[24 + types.Length + strings.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(blob, BtfSpec.Magic);
        blob[2] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), 24);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(12), (uint)types.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(16), (uint)types.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(20), (uint)strings.Length);
        types.CopyTo(blob, 24);
        strings.CopyTo(blob, 24 + types.Length);
        return blob;
    }

    /// <summary>A .BTF.ext blob (32-byte header) with one block per list: each block is a record size then (section name offset, records) groups.</summary>
    public static byte[] Ext(uint[] funcBlock, uint[] lineBlock, uint[] coreBlock)
    {
        var words = new List<uint>();
        words.AddRange(funcBlock);
        words.AddRange(lineBlock);
        words.AddRange(coreBlock);
        var blob = new byte[32 + (words.Count * 4)];
        BinaryPrimitives.WriteUInt16LittleEndian(blob, BtfSpec.Magic);
        blob[2] = 1;
        uint[] header = [32, 0, (uint)funcBlock.Length * 4, (uint)funcBlock.Length * 4, (uint)lineBlock.Length * 4, (uint)(funcBlock.Length + lineBlock.Length) * 4, (uint)coreBlock.Length * 4];
        for (int i = 0; i < header.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4 + (i * 4)), header[i]);
        for (int i = 0; i < words.Count; i++) BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(32 + (i * 4)), words[i]);
        return blob;
    }
}
