using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using HeteroBpf.Btf;
using HeteroBpf.Tests.Asm;

namespace HeteroBpf.Tests.Btf;

/// <summary>The .BTF and .BTF.ext bytes of each committed fixture, cut out with llvm-objcopy-19 (an ELF reader independent of ours), and bpftool's view of them.</summary>
public static class BtfFixtures
{
    private static readonly ConcurrentDictionary<string, (byte[] Btf, byte[] Ext)> Sections = new();

    /// <summary>Every committed fixture object (the glob fails on zero matches).</summary>
    public static string[] Objects => RepoPaths.Glob(RepoPaths.Fixtures, "*.o");

    /// <summary>Fixture object names for theories.</summary>
    public static TheoryData<string> ObjectNames => [.. Objects.Select(o => Path.GetFileName(o))];

    /// <summary>Full path of fixture <paramref name="name"/>.</summary>
    public static string PathOf(string name) => Path.Combine(RepoPaths.Fixtures, name);

    /// <summary>The raw .BTF and .BTF.ext sections of fixture <paramref name="name"/>.</summary>
    public static (byte[] Btf, byte[] Ext) Get(string name) => Sections.GetOrAdd(name, static n =>
    {
        string dir = Directory.CreateTempSubdirectory("hbpf-btf-").FullName;
        try
        {
            string btf = Path.Combine(dir, "btf"), ext = Path.Combine(dir, "ext");
            LlvmTools.Run("llvm-objcopy-19", "--dump-section", ".BTF=" + btf, "--dump-section", ".BTF.ext=" + ext, PathOf(n), Path.Combine(dir, "out.o"));
            return (File.ReadAllBytes(btf), File.ReadAllBytes(ext));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    });

    /// <summary><c>bpftool btf dump file F -j</c>: the "types" array.</summary>
    public static JsonArray BpftoolTypes(string file) =>
        JsonNode.Parse(LlvmTools.Run("bpftool", "btf", "dump", "file", file, "-j"))!["types"]!.AsArray();

    /// <summary>A type in bpftool's JSON shape, so that it compares with <see cref="BpftoolTypes"/> field by field.</summary>
    public static JsonObject ToBpftoolJson(BtfType t)
    {
        static string N(string s) => s.Length == 0 ? "(anon)" : s;
        var o = new JsonObject { ["id"] = t.Id, ["kind"] = KindName(t.Kind), ["name"] = N(t.Name) };
        switch (t)
        {
            case BtfInt i:
                o["size"] = i.Size;
                o["bits_offset"] = i.BitOffset;
                o["nr_bits"] = i.Bits;
                o["encoding"] = i.Encoding switch
                {
                    BtfIntEncoding.None => "(none)",
                    BtfIntEncoding.Signed => "SIGNED",
                    BtfIntEncoding.Char => "CHAR",
                    BtfIntEncoding.Bool => "BOOL",
                    _ => "UNKN",
                };
                break;
            case BtfPtr p: o["type_id"] = p.TargetId; break;
            case BtfArray a:
                o["type_id"] = a.ElementTypeId;
                o["index_type_id"] = a.IndexTypeId;
                o["nr_elems"] = a.Count;
                break;
            case BtfComposite c:
                o["size"] = c.Size;
                o["vlen"] = c.Members.Length;
                o["members"] = new JsonArray([.. c.Members.Select(m =>
                {
                    var mo = new JsonObject { ["name"] = N(m.Name), ["type_id"] = m.TypeId, ["bits_offset"] = m.BitOffset };
                    if (m.BitfieldSize != 0) mo["bitfield_size"] = m.BitfieldSize;
                    return (JsonNode)mo;
                })]);
                break;
            case BtfEnumeration e:
                o["encoding"] = e.IsSigned ? "SIGNED" : "UNSIGNED";
                o["size"] = e.Size;
                o["vlen"] = e.Values.Length;
                o["values"] = new JsonArray([.. e.Values.Select(v => (JsonNode)new JsonObject
                {
                    ["name"] = N(v.Name),
                    // bpftool widens an unsigned 32-bit ENUM value through the signed __s32 field, so 0xefffffff prints as
                    // 2^64 - 0x10000001; mimic that quirk here rather than carry it into the parser.
                    ["val"] = e.IsSigned ? JsonValue.Create(v.Value)
                        : e is BtfEnum ? JsonValue.Create((ulong)(long)(int)(uint)v.Value) : JsonValue.Create((ulong)v.Value),
                })]);
                break;
            case BtfFwd f: o["fwd_kind"] = f.IsUnion ? "union" : "struct"; break;
            case BtfQualifier q: o["type_id"] = q.TypeId; break;
            case BtfFunc fn:
                o["type_id"] = fn.ProtoId;
                o["linkage"] = fn.Linkage switch
                {
                    BtfFuncLinkage.Static => "static",
                    BtfFuncLinkage.Global => "global",
                    BtfFuncLinkage.Extern => "extern",
                    _ => "(unknown)",
                };
                break;
            case BtfFuncProto fp:
                o["ret_type_id"] = fp.ReturnTypeId;
                o["vlen"] = fp.Parameters.Length;
                o["params"] = new JsonArray([.. fp.Parameters.Select(p => (JsonNode)new JsonObject { ["name"] = N(p.Name), ["type_id"] = p.TypeId })]);
                break;
            case BtfVar v:
                o["type_id"] = v.TypeId;
                o["linkage"] = v.Linkage switch
                {
                    BtfVarLinkage.Static => "static",
                    BtfVarLinkage.GlobalAllocated => "global",
                    BtfVarLinkage.GlobalExtern => "extern",
                    _ => "(unknown)",
                };
                break;
            case BtfDatasec d:
                o["size"] = d.Size;
                o["vlen"] = d.Variables.Length;
                o["vars"] = new JsonArray([.. d.Variables.Select(v => (JsonNode)new JsonObject { ["type_id"] = v.TypeId, ["offset"] = v.Offset, ["size"] = v.Size })]);
                break;
            case BtfFloat fl: o["size"] = fl.Size; break;
            case BtfDeclTag dt:
                o["type_id"] = dt.TypeId;
                o["component_idx"] = dt.ComponentIndex;
                break;
        }

        return o;
    }

    /// <summary>bpftool's kind names (<c>BTF_KIND_*</c> without the prefix).</summary>
    public static string KindName(BtfKind kind) => kind switch
    {
        BtfKind.FuncProto => "FUNC_PROTO",
        BtfKind.DeclTag => "DECL_TAG",
        BtfKind.TypeTag => "TYPE_TAG",
        _ => kind.ToString().ToUpperInvariant(),
    };
}
