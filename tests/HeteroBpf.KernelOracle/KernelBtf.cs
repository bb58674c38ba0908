using System.Buffers.Binary;
using HeteroBpf.Btf;
using HeteroBpf.Elf;

namespace HeteroBpf.KernelOracle;

/// <summary>
/// An object's BTF as libbpf hands it to the kernel: the raw <c>.BTF</c> with every DATASEC given its section's size and
/// each variable its symbol's offset (clang leaves both 0, and the kernel refuses a DATASEC of size 0), variables sorted
/// by offset; and per program the <c>func_info</c> and <c>line_info</c> records, in instructions of the linked program.
/// </summary>
internal sealed class KernelBtf
{
    private const int HeaderSize = 24;
    private const int KindShift = 24;

    private readonly Dictionary<string, uint> _stringOffsets = new(StringComparer.Ordinal);

    private KernelBtf(byte[] blob, BtfSpec spec, BtfExtSpec? ext)
    {
        Blob = blob;
        Spec = spec;
        Ext = ext;
        int strStart = HeaderSize + (int)BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(16));
        int strLen = (int)BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(20));
        var strings = blob.AsSpan(strStart, strLen);
        for (int at = 0; at < strings.Length;)
        {
            int end = strings[at..].IndexOf((byte)0);
            if (end < 0) break;
            _stringOffsets.TryAdd(System.Text.Encoding.UTF8.GetString(strings.Slice(at, end)), (uint)at);
            at += end + 1;
        }
    }

    /// <summary>The blob for <c>BPF_BTF_LOAD</c>.</summary>
    public byte[] Blob { get; }

    public BtfSpec Spec { get; }

    public BtfExtSpec? Ext { get; }

    /// <summary>The object's BTF fixed up for the kernel, or null when the object has none.</summary>
    /// <exception cref="InvalidOperationException">A data section variable has no symbol, or the object file cannot be read again for its symbols.</exception>
    public static KernelBtf? For(ObjectFile obj)
    {
        if (obj.Btf is not { } raw) return null;
        byte[] blob = raw.ToArray();
        var spec = BtfSpec.Parse(blob);
        if (spec.Types.Any(t => t is BtfDatasec)) FixDatasecs(blob, spec, ReadElf(obj));
        var ext = obj.BtfExt is { } rawExt ? BtfExtSpec.Parse(rawExt.Span, spec) : null;
        return new KernelBtf(blob, spec, ext);
    }

    /// <summary>
    /// <c>func_info</c> of <paramref name="program"/>: one record per function of the linked program (its first slot,
    /// its FUNC type from <c>.BTF.ext</c>); empty when any function has no record (the kernel wants all or none).
    /// </summary>
    public byte[] FuncInfo(ProgramSpec program)
    {
        if (Ext is null || program.Functions.IsEmpty) return [];
        var records = new byte[program.Functions.Length * KernelProgramLoad.FuncInfoRecordSize];
        for (int i = 0; i < program.Functions.Length; i++)
        {
            var f = program.Functions[i];
            if (!Ext.FuncInfos.TryGetValue(f.Section, out var infos)) return [];
            int type = -1;
            foreach (var info in infos)
            {
                if (info.InsnOffset == f.SectionOffset) type = info.TypeId;
            }

            if (type < 0) return [];
            BinaryPrimitives.WriteUInt32LittleEndian(records.AsSpan(i * 8), (uint)f.Slot);
            BinaryPrimitives.WriteUInt32LittleEndian(records.AsSpan((i * 8) + 4), (uint)type);
        }

        return records;
    }

    /// <summary>
    /// <c>line_info</c> of <paramref name="program"/> from its <see cref="ProgramSpec.Lines"/> (one record per slot, the
    /// first for a slot kept); empty when a function has no line at its first slot (the kernel would refuse it).
    /// </summary>
    public byte[] LineInfo(ProgramSpec program)
    {
        var records = new List<byte>();
        int last = -1;
        var starts = program.Functions.Select(f => f.Slot).ToHashSet();
        int covered = 0;
        Span<byte> record = stackalloc byte[KernelProgramLoad.LineInfoRecordSize];
        foreach (var line in program.Lines)
        {
            if (line.Slot <= last) continue;
            if (!_stringOffsets.TryGetValue(line.File, out uint file) || !_stringOffsets.TryGetValue(line.Text, out uint text)) return [];
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)line.Slot);
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], file);
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], text);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], ((uint)line.Line << 10) | ((uint)line.Column & 0x3FF));
            records.AddRange(record);
            if (starts.Contains(line.Slot)) covered++;
            last = line.Slot;
        }

        return covered == starts.Count ? [.. records] : [];
    }

    private static ElfImage ReadElf(ObjectFile obj)
    {
        try
        {
            return ElfImage.Parse(File.ReadAllBytes(obj.Name), obj.Name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{obj.Name}: the kernel wants DATASEC sizes and offsets, read from the object's symbols, and the file cannot be read again: {e.Message}", e);
        }
    }

    /// <summary>Rewrites every DATASEC of <paramref name="blob"/> in place: size from its ELF section, variable offsets from their symbols, variables in offset order.</summary>
    private static void FixDatasecs(byte[] blob, BtfSpec spec, ElfImage elf)
    {
        int typeStart = HeaderSize + (int)BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(8));
        int at = typeStart;
        for (int id = 1; id < spec.Count; id++)
        {
            uint info = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(at + 4));
            int vlen = (int)(info & 0xFFFF);
            var kind = (BtfKind)((info >> KindShift) & 0x1F);
            if (spec[id] is BtfDatasec sec) FixDatasec(blob.AsSpan(at, 12 + (12 * vlen)), sec, spec, elf);
            at += 12 + kind switch
            {
                BtfKind.Int or BtfKind.Var or BtfKind.DeclTag => 4,
                BtfKind.Array => 12,
                BtfKind.Struct or BtfKind.Union or BtfKind.Datasec or BtfKind.Enum64 => 12 * vlen,
                BtfKind.Enum or BtfKind.FuncProto => 8 * vlen,
                _ => 0,
            };
        }
    }

    private static void FixDatasec(Span<byte> record, BtfDatasec sec, BtfSpec spec, ElfImage elf)
    {
        var section = elf.Sections.FirstOrDefault(s => s.Name == sec.Name);
        if (section.Name != sec.Name) throw new InvalidOperationException($"BTF DATASEC '{sec.Name}' names no ELF section");
        if (sec.Size == 0) BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)section.Size);
        var vars = new List<(uint Type, uint Offset, uint Size)>();
        foreach (var v in sec.Variables)
        {
            string name = spec[v.TypeId].Name;
            var sym = elf.Symbols.FirstOrDefault(s => s.SectionIndex == section.Index && s.Name == name && s.Type != ElfSymbol.TypeSection);
            if (sym.Name != name) throw new InvalidOperationException($"BTF variable '{name}' of DATASEC '{sec.Name}' has no symbol");
            vars.Add(((uint)v.TypeId, (uint)sym.Value, v.Size));
        }

        vars.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        for (int i = 0; i < vars.Count; i++)
        {
            var entry = record[(12 + (12 * i))..];
            BinaryPrimitives.WriteUInt32LittleEndian(entry, vars[i].Type);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], vars[i].Offset);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], vars[i].Size);
        }
    }
}
