using System.Buffers.Binary;
using HeteroBpf.Elf;

namespace HeteroBpf.Tests.Elf;

/// <summary>Hand-made corruptions of a fixture, each refused with its own code and a message that says where; then a
/// fixed-seed mutation run over every fixture in which nothing but an object or an <see cref="HbpfException"/> may come out.</summary>
public sealed class MalformedObjectTests
{
    private static readonly string Fixture = Path.Combine(RepoPaths.Fixtures, "subprogs-v3.o");

    private static byte[] Bytes() => File.ReadAllBytes(Fixture);

    private static ElfFormatException Refused(byte[] bytes, ErrorCode code, params string[] mentions)
    {
        var e = Assert.Throws<ElfFormatException>(() => ObjectFile.Read(bytes, "bad.o"));
        Assert.Equal(code, e.Code);
        Assert.StartsWith("bad.o: ", e.Message, StringComparison.Ordinal);
        foreach (string m in mentions) Assert.Contains(m, e.Message, StringComparison.Ordinal);
        return e;
    }

    private static long SectionHeader(byte[] b, string name)
    {
        var oracle = ReadelfOracle.Of(Fixture);
        int index = oracle.Sections.Single(s => s.Name == name).Index;
        return (long)BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(40)) + (index * 64L);
    }

    private static long SectionData(string name) => ReadelfOracle.Of(Fixture).Sections.Single(s => s.Name == name).Offset;

    [Fact]
    public void ShorterThanTheHeader() => Refused(Bytes()[..40], ErrorCode.ElfTruncated, "64-byte", "offset 0x28");

    [Fact]
    public void NotElf()
    {
        var b = Bytes();
        b[1] = (byte)'X';
        Refused(b, ErrorCode.ElfNotBpfObject, "magic", "offset 0x0");
    }

    [Fact]
    public void Class32() { var b = Bytes(); b[4] = 1; Refused(b, ErrorCode.ElfUnsupportedEncoding, "ELFCLASS32", "offset 0x4"); }

    [Fact]
    public void BigEndian() { var b = Bytes(); b[5] = 2; Refused(b, ErrorCode.ElfUnsupportedEncoding, "big-endian", "offset 0x5"); }

    [Fact]
    public void WrongMachine()
    {
        var b = Bytes();
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(18), 62);
        Refused(b, ErrorCode.ElfNotBpfObject, "machine 62", "EM_BPF", "offset 0x12");
    }

    [Fact]
    public void NotRelocatable()
    {
        var b = Bytes();
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(16), 2);
        Refused(b, ErrorCode.ElfNotBpfObject, "ET_REL", "offset 0x10");
    }

    [Fact]
    public void SectionTableOutsideTheFile()
    {
        var b = Bytes();
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(40), (ulong)b.Length - 100);
        Refused(b, ErrorCode.ElfBadSectionTable, "outside the file", "offset 0x28");
    }

    [Fact]
    public void TruncatedBeforeTheSectionTable() => Refused(Bytes()[..0x400], ErrorCode.ElfBadSectionTable, "outside the file");

    [Fact]
    public void SectionDataOutsideTheFile()
    {
        var b = Bytes();
        long header = SectionHeader(b, "tc");
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan((int)header + 24), (ulong)b.Length - 8);
        Refused(b, ErrorCode.ElfTruncated, "section tc", "past the end of the file");
    }

    [Fact]
    public void ProgramSectionSizeNotAMultipleOf8()
    {
        var b = Bytes();
        long header = SectionHeader(b, "tc");
        ulong size = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan((int)header + 32));
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan((int)header + 32), size - 4);
        Refused(b, ErrorCode.ElfBadProgramSection, "section tc", "not a multiple of 8", $"offset 0x{SectionData("tc"):x}");
    }

    // .reltc's first entry is the call at tc+0x58 (against .text); its second the lddw of call_count at tc+0x68.
    private static int RelEntry(int i) => (int)SectionData(".reltc") + (i * 16);

    [Fact]
    public void RelocationAgainstAMissingSymbol()
    {
        var b = Bytes();
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(RelEntry(0) + 12), 0x7fff);
        Refused(b, ErrorCode.ElfBadRelocation, "section tc", "relocation at offset 0x58", "symbol 32767 does not exist", $"offset 0x{SectionData("tc") + 0x58:x}");
    }

    [Fact]
    public void RelocationOnAnInstructionThatIsNeitherLddwNorCall()
    {
        var b = Bytes();
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(RelEntry(1)), 0x60);
        Refused(b, ErrorCode.ElfRelocationTarget, "section tc", "relocation at offset 0x60 against 'call_count'", "neither lddw nor a local call");
    }

    [Fact]
    public void RelocationOutsideItsSection()
    {
        var b = Bytes();
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(RelEntry(1)), 0x10000);
        Refused(b, ErrorCode.ElfBadRelocation, "section tc", "offset 0x10000", "'call_count'", "not an instruction of the section");
    }

    [Fact]
    public void RelocationAgainstAnUndefinedSymbol()
    {
        var b = Bytes();
        var oracle = ReadelfOracle.Of(Fixture);
        var symtab = oracle.Sections.Single(s => s.Name == ".symtab");
        int index = oracle.Symbols.Single(s => s.Name == "call_count").Index;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan((int)symtab.Offset + (index * 24) + 6), 0);
        Refused(b, ErrorCode.ElfUnresolvedSymbol, "section tc", "'call_count'", "not defined in this object");
    }

    [Fact]
    public void CallToAPlaceWithNoFunction()
    {
        var b = Bytes();
        // The call at tc+0x58 says .text + (imm + 1) slots; point it far past every function of .text.
        int call = (int)SectionData("tc") + 0x58;
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(call + 4), 0x1000);
        Refused(b, ErrorCode.ElfUnresolvedSymbol, "section tc", "calls_main", "insn 11", "not an instruction of any function");
    }

    private static (byte[] Bytes, long Map) LegacyMap(string name)
    {
        string path = Path.Combine(RepoPaths.Fixtures, "legacy_maps-v3.o");
        var oracle = ReadelfOracle.Of(path);
        var sym = oracle.Symbols.Single(s => s.Name == name);
        return (File.ReadAllBytes(path), oracle.Section(sym.Section).Offset + sym.Value);
    }

    [Fact]
    public void LegacyMapWithUnknownNonZeroFields()
    {
        var (b, map) = LegacyMap("wide_def");
        b[map + 20] = 1; // the iproute2-style "id" field
        Refused(b, ErrorCode.ElfBadMapDefinition, "section maps", "maps: map 'wide_def'", "not zero", $"offset 0x{map:x}");
    }

    [Fact]
    public void LegacyMapShorterThanBpfMapDef()
    {
        string path = Path.Combine(RepoPaths.Fixtures, "legacy_maps-v3.o");
        var oracle = ReadelfOracle.Of(path);
        var b = File.ReadAllBytes(path);
        var symtab = oracle.Sections.Single(s => s.Name == ".symtab");
        int index = oracle.Symbols.Single(s => s.Name == "flows").Index;
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan((int)symtab.Offset + (index * 24) + 16), 16);
        Refused(b, ErrorCode.ElfBadMapDefinition, "section maps", "map 'flows'", "16 bytes", "struct bpf_map_def");
    }

    [Fact]
    public void APhaseReportsEveryProblemItFound()
    {
        var b = Bytes();
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(RelEntry(0) + 12), 0x7fff);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(RelEntry(1)), 0x60);
        var e = Refused(b, ErrorCode.ElfBadRelocation, "section tc: insn 11: relocations: relocation at offset 0x58", "(and 1 more: ", "insn 12", "neither lddw nor a local call");
        Assert.Equal([ErrorCode.ElfBadRelocation, ErrorCode.ElfRelocationTarget], e.Problems.Select(p => p.Code));
    }

    [Fact]
    public void FuzzEntryPointSwallowsOnlyInputErrors()
    {
        ObjectFile.Fuzz(Bytes()[..100]);
        ObjectFile.Fuzz(Bytes());
        ObjectFile.Fuzz([]);
    }

    [Fact]
    public void HundredThousandMutantsLoadOrThrowHbpfException()
    {
        var seeds = RepoPaths.Glob(RepoPaths.Fixtures, "*.o").Select(File.ReadAllBytes).ToArray();
        var rng = new Random(20261202);
        int loaded = 0, refused = 0;
        var codes = new HashSet<ErrorCode>();
        const int Count = 100_000;
        for (int n = 0; n < Count; n++)
        {
            byte[] seed = seeds[n % seeds.Length];
            byte[] b = Mutate(seed, rng);
            try
            {
                var obj = ObjectFile.Read(b, "mutant.o");
                loaded++;
                // What did load must be consistent: every relocated map index names a map.
                foreach (var p in obj.Programs)
                {
                    foreach (var r in p.Relocations)
                    {
                        if (r.Kind is RelocationKind.Map or RelocationKind.MapValue) Assert.InRange(r.Value, 0, obj.Maps.Length - 1);
                        else Assert.InRange(r.Value, 0, p.Instructions.Length - 1);
                    }
                }
            }
            catch (HbpfException e)
            {
                refused++;
                codes.Add(e.Code);
            }
            catch (Exception e)
            {
                Assert.Fail($"mutant {n} (seed {n % seeds.Length}) escaped with {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }

        Assert.Equal(Count, loaded + refused);
        Assert.True(loaded > Count / 20, $"only {loaded} mutants loaded: the mutations are too coarse to reach the later phases");
        Assert.True(codes.Count >= 6, $"only {codes.Count} distinct refusals: {string.Join(", ", codes)}");
    }

    private static byte[] Mutate(byte[] seed, Random rng)
    {
        var b = (byte[])seed.Clone();
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(40));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(60));
        switch (rng.Next(6))
        {
            case 0:
                // Byte flips anywhere.
                for (int k = 1 + rng.Next(4); k > 0; k--) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                return b;
            case 1:
                // Truncation.
                return b[..rng.Next(b.Length)];
            case 2:
            {
                // A header field.
                int[] fields = [4, 5, 16, 18, 40, 58, 60, 62];
                int at = fields[rng.Next(fields.Length)];
                int width = at == 40 ? 8 : at is 4 or 5 ? 1 : 2;
                WriteInteresting(b.AsSpan(at, width), rng);
                return b;
            }

            case 3:
            {
                // A field of one section header: name, type, flags, offset, size, link, info, entsize.
                int[] fields = [0, 4, 8, 24, 32, 40, 44, 56];
                int[] widths = [4, 4, 8, 8, 8, 4, 4, 8];
                int f = rng.Next(fields.Length);
                long at = (long)shoff + (rng.Next(shnum) * 64L) + fields[f];
                WriteInteresting(b.AsSpan((int)at, widths[f]), rng);
                return b;
            }

            default:
            {
                // A word inside some section's data (code, symbols, relocations, maps): most reach the later phases.
                long header = (long)shoff + (rng.Next(1, shnum) * 64L);
                ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan((int)header + 24));
                ulong size = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan((int)header + 32));
                if (size < 8 || offset + size > (ulong)b.Length) goto case 0;
                int at = (int)offset + (rng.Next((int)(size / 4)) * 4);
                WriteInteresting(b.AsSpan(at, Math.Min(4, b.Length - at)), rng);
                return b;
            }
        }
    }

    private static void WriteInteresting(Span<byte> field, Random rng)
    {
        switch (rng.Next(5))
        {
            case 0: field.Clear(); break;
            case 1: field.Fill(0xff); break;
            case 2: rng.NextBytes(field); break;
            case 3: field[0] ^= (byte)(1 << rng.Next(8)); break;
            default:
                // Off by a few: sizes and offsets that are almost right reach the deepest checks.
                if (field.Length >= 4)
                {
                    uint v = BinaryPrimitives.ReadUInt32LittleEndian(field);
                    BinaryPrimitives.WriteUInt32LittleEndian(field, v + (uint)rng.Next(-16, 17));
                }
                else
                {
                    field[0] += (byte)rng.Next(1, 8);
                }

                break;
        }
    }
}
