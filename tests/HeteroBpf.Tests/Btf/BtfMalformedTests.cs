using System.Buffers.Binary;
using HeteroBpf.Btf;

namespace HeteroBpf.Tests.Btf;

/// <summary>Each kind of malformed .BTF/.BTF.ext gives its own error, naming the byte offset and, for a type, its id.</summary>
public sealed class BtfMalformedTests
{
    private static BtfFormatException Fails(ErrorCode code, byte[] blob)
    {
        var e = Assert.Throws<BtfFormatException>(() => BtfSpec.Parse(blob));
        Assert.Equal(code, e.Code);
        Assert.Equal(BtfSpec.SectionName, e.Location.Section);
        return e;
    }

    private static byte[] Valid()
    {
        var b = new BtfBuilder();
        int i = b.Int("int", 4, signed: true);
        b.Ptr(i);
        return b.Build();
    }

    private static byte[] Patch(byte[] blob, int at, uint value)
    {
        byte[] copy = [.. blob];
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(at), value);
        return copy;
    }

    [Fact]
    public void HandBuiltBlobParses()
    {
        var btf = BtfSpec.Parse(Valid());
        Assert.Equal(3, btf.Count);
        Assert.Equal(8, btf.SizeOf(2));
        Assert.Equal("int", btf.Resolve(1).Name);
    }

    [Fact]
    public void TruncatedHeader()
    {
        Assert.Equal(0, Fails(ErrorCode.BtfTruncatedHeader, [0x9F, 0xEB, 1, 0, 24]).BlobOffset);
        Fails(ErrorCode.BtfTruncatedHeader, Patch(Valid(), 4, 16));
        Fails(ErrorCode.BtfTruncatedHeader, Valid()[..20]);
        Fails(ErrorCode.BtfTruncatedHeader, []);
    }

    [Fact]
    public void BadMagicAndVersion()
    {
        var blob = Valid();
        blob[0] = 0x12;
        Assert.Contains("bad magic", Fails(ErrorCode.BtfBadMagic, blob).Reason, StringComparison.Ordinal);
        blob = Valid();
        (blob[0], blob[1]) = (blob[1], blob[0]);
        Assert.Contains("big-endian", Fails(ErrorCode.BtfBadMagic, blob).Reason, StringComparison.Ordinal);
        blob = Valid();
        blob[2] = 2;
        Assert.Equal(2, Fails(ErrorCode.BtfBadVersion, blob).BlobOffset);
    }

    [Fact]
    public void SectionsOutsideTheBlob()
    {
        var blob = Valid();
        Assert.Equal(4, Fails(ErrorCode.BtfSectionOutOfBounds, Patch(blob, 4, (uint)blob.Length + 1)).BlobOffset);
        Assert.Equal(8, Fails(ErrorCode.BtfSectionOutOfBounds, Patch(blob, 12, 10_000)).BlobOffset);
        Assert.Equal(8, Fails(ErrorCode.BtfSectionOutOfBounds, Patch(blob, 8, uint.MaxValue)).BlobOffset);
        Assert.Equal(16, Fails(ErrorCode.BtfSectionOutOfBounds, Patch(blob, 20, BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(20)) + 1)).BlobOffset);
        Assert.Equal(16, Fails(ErrorCode.BtfSectionOutOfBounds, Patch(blob, 16, uint.MaxValue - 2)).BlobOffset);
    }

    [Fact]
    public void TypeRecordRunsPastTheTypeSection()
    {
        var b = new BtfBuilder();
        b.Int("int", 4);
        b.Int("long", 8);
        byte[] types = b.TypeBytes();
        // Cut the second INT's 4-byte encoding word: the header of type 2 fits, its extra does not.
        var e = Fails(ErrorCode.BtfTypeTruncated, BtfBuilder.Assemble(types[..^4], b.StringBytes()));
        Assert.Equal((2, 24 + 16), (e.TypeId, (int?)e.BlobOffset));
        Assert.Contains("type [2]", e.Message, StringComparison.Ordinal);
        // Cut inside the second header.
        Assert.Equal(2, Fails(ErrorCode.BtfTypeTruncated, BtfBuilder.Assemble(types[..^10], b.StringBytes())).TypeId);
    }

    [Fact]
    public void UnknownKind()
    {
        var b = new BtfBuilder();
        b.Int("int", 4);
        b.RawInfo(20u << 24, 0, 0);
        var e = Fails(ErrorCode.BtfUnknownKind, b.Build());
        Assert.Equal((2, 24 + 16 + 4), (e.TypeId, (int?)e.BlobOffset));
    }

    [Fact]
    public void VlenTooLarge()
    {
        var b = new BtfBuilder();
        int i = b.Int("int", 4);
        b.Raw(BtfKind.Struct, "s", 5, false, 4, b.Str("a"), (uint)i, 0);
        var e = Fails(ErrorCode.BtfVlenTooLarge, b.Build());
        Assert.Equal(2, e.TypeId);
        Assert.Contains("vlen 5", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void StringOffsetOutsideOrUnterminated()
    {
        var b = new BtfBuilder();
        b.RawInfo((uint)BtfKind.Int << 24, 999, 4, 32);
        var e = Fails(ErrorCode.BtfBadStringOffset, b.Build());
        Assert.Equal((1, 24), (e.TypeId, (int?)e.BlobOffset));

        b = new BtfBuilder();
        b.Int("int", 4);
        byte[] strings = b.StringBytes();
        Fails(ErrorCode.BtfUnterminatedString, BtfBuilder.Assemble(b.TypeBytes(), strings[..^1]));
    }

    [Fact]
    public void TypeIdOutOfRange()
    {
        var b = new BtfBuilder();
        b.Int("int", 4);
        b.Ptr(99);
        var e = Fails(ErrorCode.BtfBadTypeId, b.Build());
        Assert.Equal((2, 24 + 16 + 8), (e.TypeId, (int?)e.BlobOffset));
        Assert.Contains("99", e.Reason, StringComparison.Ordinal);

        b = new BtfBuilder();
        int i = b.Int("int", 4);
        b.Struct("s", 4, ("a", i, 0), ("b", 7, 0));
        Assert.Equal(2, Fails(ErrorCode.BtfBadTypeId, b.Build()).TypeId);
    }

    [Fact]
    public void TypedefCycleFailsOnlyWhenResolvedOrSized()
    {
        var b = new BtfBuilder();
        b.Typedef("A", 2);
        b.Typedef("B", 1);
        b.Ptr(1);
        var btf = BtfSpec.Parse(b.Build());
        Assert.Equal(8, btf.SizeOf(3));
        var e = Assert.Throws<BtfFormatException>(() => btf.SizeOf(1));
        Assert.Equal(ErrorCode.BtfTypeCycle, e.Code);
        Assert.Equal(1, e.TypeId);
        Assert.Contains("'A'", e.Reason, StringComparison.Ordinal);
        Assert.Contains("'B'", e.Reason, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.BtfTypeCycle, Assert.Throws<BtfFormatException>(() => btf.Resolve(2)).Code);
    }

    [Fact]
    public void StructContainingItselfByValueIsACycleButThroughAPointerIsNot()
    {
        var b = new BtfBuilder();
        int i = b.Int("int", 4);
        int self = b.Struct("bad", 8, ("x", i, 0), ("me", 2, 32));
        int list = b.Struct("list", 16, ("next", 4, 0), ("v", i, 64));
        int ptr = b.Ptr(list);
        int arr = b.Array(self, i, 2);
        var btf = BtfSpec.Parse(b.Build());
        Assert.Equal((self, list, ptr), (2, 3, 4));
        Assert.Equal(16, btf.SizeOf(list));
        Assert.Equal(ErrorCode.BtfTypeCycle, Assert.Throws<BtfFormatException>(() => btf.SizeOf(self)).Code);
        Assert.Equal(ErrorCode.BtfTypeCycle, Assert.Throws<BtfFormatException>(() => btf.SizeOf(arr)).Code);
    }

    [Fact]
    public void SizesOfArraysAndTheirLimits()
    {
        var b = new BtfBuilder();
        int i = b.Int("int", 4);
        int a = b.Array(i, i, 10);
        int aa = b.Array(a, i, 3);
        int huge = b.Array(aa, i, 0x4000_0000);
        int empty = b.Array(huge, i, 0);
        int proto = b.FuncProto(i);
        int fn = b.Func("f", proto);
        var btf = BtfSpec.Parse(b.Build());
        Assert.Equal(40, btf.SizeOf(a));
        Assert.Equal(120, btf.SizeOf(aa));
        Assert.Equal(ErrorCode.BtfSizeOverflow, Assert.Throws<BtfFormatException>(() => btf.SizeOf(huge)).Code);
        // A zero-length array is empty whatever its element, as libbpf counts it.
        Assert.Equal(0, btf.SizeOf(empty));
        Assert.Equal(ErrorCode.BtfTypeHasNoSize, Assert.Throws<BtfFormatException>(() => btf.SizeOf(fn)).Code);
        Assert.Equal(ErrorCode.BtfTypeHasNoSize, Assert.Throws<BtfFormatException>(() => btf.SizeOf(0)).Code);
    }

    [Fact]
    public void DeepChainsNeedNoRecursion()
    {
        var b = new BtfBuilder();
        int prev = b.Int("int", 4);
        for (int n = 0; n < 200_000; n++) prev = b.Typedef("", prev);
        var btf = BtfSpec.Parse(b.Build());
        Assert.Equal(4, btf.SizeOf(prev));
        Assert.Equal("int", btf.Resolve(prev).Name);
    }

    [Fact]
    public void ExtRecordSizeSmallerThanTheRecord()
    {
        var btf = BtfSpec.Parse(Valid());
        uint name = 1; // "int" is the first string after the leading NUL
        var e = Assert.Throws<BtfFormatException>(() => BtfExtSpec.Parse(BtfBuilder.Ext([4, name, 1, 0], [], []), btf));
        Assert.Equal((ErrorCode.BtfExtBadRecordSize, 32, BtfExtSpec.SectionName), (e.Code, (int)e.BlobOffset!, e.Location.Section));
        Assert.Equal(ErrorCode.BtfExtBadRecordSize, Assert.Throws<BtfFormatException>(() => BtfExtSpec.Parse(BtfBuilder.Ext([], [12, name, 1, 0, 0, 0], []), btf)).Code);
        Assert.Equal(ErrorCode.BtfExtBadRecordSize, Assert.Throws<BtfFormatException>(() => BtfExtSpec.Parse(BtfBuilder.Ext([], [], [18, name, 1, 0, 1, 0, 0]), btf)).Code);
    }

    [Fact]
    public void ExtRecordsAndFields()
    {
        var bb = new BtfBuilder();
        int i = bb.Int("int", 4);
        int fn = bb.Func("f", bb.FuncProto(i));
        uint sec = bb.Str("xdp"), file = bb.Str("a.c"), text = bb.Str("  return 0;"), access = bb.Str("0:1");
        var btf = BtfSpec.Parse(bb.Build());
        // A func record size of 12 (a newer, longer record) is read with its extra word skipped.
        byte[] blob = BtfBuilder.Ext(
            [12, sec, 2, 0, (uint)fn, 0xAAAA, 16, (uint)fn, 0xBBBB],
            [16, sec, 2, 0, file, text, (7u << 10) | 3, 24, file, text, 9u << 10],
            [16, sec, 1, 8, (uint)i, access, (uint)BtfCoreRelocationKind.FieldByteOffset]);
        var ext = BtfExtSpec.Parse(blob, btf);
        Assert.Equal([new BtfFuncInfo(0, fn), new BtfFuncInfo(16, fn)], ext.FuncInfos["xdp"]);
        var lines = ext.LineInfos["xdp"];
        Assert.Equal(("a.c", "  return 0;", 7, 3, 0), (lines[0].FileName, lines[0].LineText, lines[0].Line, lines[0].Column, lines[0].Slot));
        Assert.Equal((9, 0, 3), (lines[1].Line, lines[1].Column, lines[1].Slot));
        Assert.True(ext.GetLineTable("xdp").TryFind(2, out var l));
        Assert.Equal(7, l.Line);
        var relo = Assert.Single(ext.CoreRelocations["xdp"]);
        Assert.Equal((1, i, "0:1", BtfCoreRelocationKind.FieldByteOffset), (relo.Slot, relo.TypeId, relo.AccessString, relo.Kind));
        Assert.Equal([0, 1], relo.Access);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0:")]
    [InlineData("0::1")]
    [InlineData("a")]
    [InlineData("-1")]
    [InlineData("0:99999999999")]
    public void ExtBadAccessString(string access)
    {
        var bb = new BtfBuilder();
        int i = bb.Int("int", 4);
        uint sec = bb.Str("xdp"), text = bb.Str(access);
        var btf = BtfSpec.Parse(bb.Build());
        var e = Assert.Throws<BtfFormatException>(() => BtfExtSpec.Parse(BtfBuilder.Ext([], [], [16, sec, 1, 0, (uint)i, text, 0]), btf));
        Assert.Equal((ErrorCode.BtfBadAccessString, 32 + 12 + 8), (e.Code, (int)e.BlobOffset!));
    }

    [Fact]
    public void ExtMalformedHeadersAndBlocks()
    {
        var btf = BtfSpec.Parse(Valid());
        static ErrorCode Code(byte[] blob, BtfSpec btf) => Assert.Throws<BtfFormatException>(() => BtfExtSpec.Parse(blob, btf)).Code;
        byte[] ok = BtfBuilder.Ext([8, 1, 1, 0, 1], [], []);
        Assert.Single(BtfExtSpec.Parse(ok, btf).FuncInfos["int"]);
        Assert.Equal(ErrorCode.BtfTruncatedHeader, Code(ok[..6], btf));
        Assert.Equal(ErrorCode.BtfTruncatedHeader, Code(Patch(ok, 4, 20), btf));
        Assert.Equal(ErrorCode.BtfBadMagic, Code(Patch(ok, 0, 0x0001_1234), btf));
        Assert.Equal(ErrorCode.BtfBadVersion, Code(Patch(ok, 0, 0x0002_EB9F), btf));
        Assert.Equal(ErrorCode.BtfSectionOutOfBounds, Code(Patch(ok, 12, 100), btf));
        Assert.Equal(ErrorCode.BtfSectionOutOfBounds, Code(Patch(ok, 4, 1000), btf));
        Assert.Equal(ErrorCode.BtfExtTruncated, Code(BtfBuilder.Ext([8, 1, 2, 0, 1], [], []), btf));
        Assert.Equal(ErrorCode.BtfExtTruncated, Code(BtfBuilder.Ext([8, 1], [], []), btf));
        Assert.Equal(ErrorCode.BtfBadStringOffset, Code(BtfBuilder.Ext([8, 500, 1, 0, 1], [], []), btf));
        Assert.Equal(ErrorCode.BtfBadTypeId, Code(BtfBuilder.Ext([8, 1, 1, 0, 77], [], []), btf));
        // A 24-byte header (before CO-RE) is still read.
        byte[] old = Patch(ok, 4, 24);
        Assert.Empty(BtfExtSpec.Parse(Patch(old, 8, 8), btf).CoreRelocations);
    }

    [Fact]
    public void MapExtraFromAnUlongEnum()
    {
        // __ulong(map_extra, V) is a member whose type is an enum with the single enumerator V.
        var b = new BtfBuilder();
        int i = b.Int("int", 4);
        int type = b.Ptr(b.Array(i, i, (uint)MapType.BloomFilter));
        int wide = b.Raw(BtfKind.Enum64, "", 1, false, 8, b.Str("__unique_value0"), 5, 1);
        int narrow = b.Raw(BtfKind.Enum, "", 1, false, 4, b.Str("__unique_value1"), 0x8000_0000);
        int s = b.Struct("", 24, ("type", type, 0), ("map_extra", wide, 64), ("unknown", i, 128));
        int s2 = b.Struct("", 16, ("type", type, 0), ("map_extra", narrow, 64));
        b.Datasec(".maps", 0, (b.Var("a", s), 0, 24), (b.Var("b", s2), 24, 16));
        var maps = BtfSpec.Parse(b.Build()).GetMaps();
        Assert.Equal((0x1_0000_0005ul, BtfMapFields.Type | BtfMapFields.MapExtra), (maps[0].Definition.MapExtra, maps[0].Definition.Fields));
        Assert.Equal(["unknown"], maps[0].Definition.IgnoredFields);
        Assert.Equal(0x8000_0000ul, maps[1].Definition.MapExtra);
        Assert.Equal((24u, 16u), (maps[1].Offset, maps[1].Size));
    }

    [Fact]
    public void MapDefinitionsBreakingLibbpfConventions()
    {
        static ErrorCode Code(Action<BtfBuilder, Func<uint, int>> members)
        {
            var b = new BtfBuilder();
            int i = b.Int("int", 4);
            int idx = b.Int("__ARRAY_SIZE_TYPE__", 4);
            int UintField(uint n) => b.Ptr(b.Array(i, idx, n));
            members(b, UintField);
            var btf = BtfSpec.Parse(b.Build());
            return Assert.Throws<BtfFormatException>(() => btf.GetMaps()).Code;
        }

        static void Map(BtfBuilder b, params (string Name, int Type, uint BitOffset)[] members)
        {
            int s = b.Struct("", (uint)members.Length * 8, members);
            int v = b.Var("m", s);
            b.Datasec(".maps", 0, (v, 0, (uint)members.Length * 8));
        }

        Assert.Equal(ErrorCode.BtfBadMapDefinition, Code((b, u) => Map(b, ("max_entries", u(4), 0))));
        Assert.Equal(ErrorCode.BtfBadMapDefinition, Code((b, u) => Map(b, ("type", u(1), 0), ("pinning", u(2), 64))));
        Assert.Equal(ErrorCode.BtfBadMapDefinition, Code((b, u) => Map(b, ("type", u(1), 0), ("key_size", u(2), 64), ("key", b.Ptr(1), 128))));
        Assert.Equal(ErrorCode.BtfBadMapDefinition, Code((b, u) => Map(b, ("type", 1, 0))));
        Assert.Equal(ErrorCode.BtfBadMapDefinition, Code((b, u) => Map(b, ("type", u(12), 0), ("values", b.Array(b.Ptr(1), 1, 0), 64), ("max_entries", u(1), 128))));
        Assert.Equal(ErrorCode.BtfBadMapDefinition, Code((b, u) => Map(b, ("type", u(1), 0), ("values", b.Array(b.Ptr(1), 1, 0), 64))));
        Assert.Equal(ErrorCode.BtfTypeHasNoSize, Code((b, u) => Map(b, ("type", u(1), 0), ("key", b.Ptr(b.FuncProto(1)), 64))));
    }
}
