using System.Text.Json;
using HeteroBpf.Btf;
using HeteroBpf.Elf;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;

namespace HeteroBpf.Cli;

/// <summary>An ELF object as the object commands (<c>prog show</c>, <c>map show/dump</c>, <c>disasm</c>) read it: the
/// <see cref="ObjectFile"/> with its BTF parsed once.</summary>
internal sealed class ObjectInput
{
    private ObjectInput(ObjectFile obj, BtfSpec? btf, BtfExtSpec? ext)
    {
        Object = obj;
        Btf = btf;
        Ext = ext;
    }

    public ObjectFile Object { get; }

    public BtfSpec? Btf { get; }

    public BtfExtSpec? Ext { get; }

    /// <summary>JSON as the commands print it: indented, names as written.</summary>
    public static JsonSerializerOptions Json { get; } = new() { WriteIndented = true };

    /// <summary>True when <paramref name="path"/> starts with the ELF magic.</summary>
    public static bool IsElf(string path)
    {
        if (!File.Exists(path)) return false;
        using var f = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return f.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic is [0x7f, (byte)'E', (byte)'L', (byte)'F'];
    }

    /// <summary>Reads the object (maps resolved from its BTF) and parses its BTF sections.</summary>
    public static ObjectInput Load(string path)
    {
        if (!File.Exists(path)) throw new HbpfException(ErrorCode.FileNotReadable, "no such file", new BpfLocation { File = path });
        var obj = ObjectFile.Load(path);
        BtfSpec? btf = null;
        BtfExtSpec? ext = null;
        try
        {
            // ObjectFile.Load has parsed both already (maps, lines), so these cannot fail unless the file changed.
            if (obj.Btf is { } raw) btf = BtfSpec.Parse(raw.Span);
            if (btf is not null && obj.BtfExt is { } rawExt) ext = BtfExtSpec.Parse(rawExt.Span, btf);
        }
        catch (HbpfException e)
        {
            throw e.WithLocation(e.Location.InFile(path));
        }

        return new ObjectInput(obj, btf, ext);
    }

    /// <summary>The helpers a program calls (source 0 calls), by id, in first-call order.</summary>
    public static List<int> HelpersUsed(ProgramSpec p)
    {
        var ids = new List<int>();
        var insns = p.Instructions.AsSpan();
        for (int i = 0; i < insns.Length; i++)
        {
            var insn = insns[i];
            if (insn.OpCode == Opcodes.Call && insn.SrcNumber == (byte)CallKind.Helper && !ids.Contains(insn.Imm)) ids.Add(insn.Imm);
            if (insn.IsWide) i++;
        }

        return ids;
    }

    /// <summary>A helper's <see cref="HelperId"/> name, or <c>unknown</c>.</summary>
    public static string HelperName(int id) => Enum.IsDefined((HelperId)id) ? ((HelperId)id).ToString() : "unknown";

    /// <summary>Instructions (a <c>lddw</c> counts once), as opposed to slots.</summary>
    public static int InstructionCount(ProgramSpec p)
    {
        int n = 0;
        var insns = p.Instructions.AsSpan();
        for (int i = 0; i < insns.Length; i++, n++)
        {
            if (insns[i].IsWide) i++;
        }

        return n;
    }

    /// <summary>The CO-RE relocations of every function linked into <paramref name="p"/>.</summary>
    public List<BtfCoreRelocation> CoreRelocations(ProgramSpec p)
    {
        var result = new List<BtfCoreRelocation>();
        if (Ext is null) return result;
        foreach (var f in p.Functions)
        {
            if (!Ext.CoreRelocations.TryGetValue(f.Section, out var relos)) continue;
            foreach (var r in relos)
            {
                if (r.InsnOffset >= f.SectionOffset && r.InsnOffset < f.SectionOffset + (f.Length * 8L)) result.Add(r);
            }
        }

        return result;
    }

    /// <summary>The programs of section <paramref name="section"/>, or all when it is null.</summary>
    public List<ProgramSpec> Programs(string? section)
    {
        var programs = Object.Programs.Where(p => section is null || p.SectionName == section).ToList();
        if (section is not null && programs.Count == 0)
        {
            string known = string.Join(", ", Object.Programs.Select(p => p.SectionName).Distinct());
            throw new HbpfException(ErrorCode.BadArgument, $"no program in section '{section}' (program sections: {(known.Length == 0 ? "none" : known)})", new BpfLocation { File = Object.Name });
        }

        return programs;
    }
}
