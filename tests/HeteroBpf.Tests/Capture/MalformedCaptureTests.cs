using System.Buffers.Binary;
using HeteroBpf.Capture;

namespace HeteroBpf.Tests.Capture;

/// <summary>Cut and corrupted captures: the packets before the fault come out, then one error with its code and the offset.</summary>
public sealed class MalformedCaptureTests
{
    private static readonly byte[] Packet = [.. Enumerable.Range(1, 42).Select(i => (byte)i)];

    public static TheoryData<string> Files => [.. CaptureFiles.Names];

    /// <summary>Reads to the end, expecting <paramref name="good"/> packets and then the error.</summary>
    private static CaptureFormatException Refused(byte[] bytes, int good, ErrorCode code, long offset, params string[] mentions)
    {
        var packets = new List<PacketCopy>();
        var e = Assert.Throws<CaptureFormatException>(() => CaptureFiles.ReadAll(bytes, packets, "bad.cap"));
        Assert.Equal(code, e.Code);
        Assert.Equal(offset, e.Offset);
        Assert.StartsWith($"bad.cap: offset 0x{offset:x}: ", e.Message, StringComparison.Ordinal);
        foreach (string m in mentions) Assert.Contains(m, e.Message, StringComparison.Ordinal);
        Assert.Equal(good, packets.Count);
        return e;
    }

    [Fact]
    public void EmptyInput()
    {
        Refused([], 0, ErrorCode.CaptureEmpty, 0, "empty file");
        string path = Path.GetTempFileName();
        try
        {
            var e = Assert.Throws<CaptureFormatException>(() => CaptureReader.Open(path));
            Assert.Equal(ErrorCode.CaptureEmpty, e.Code);
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ShorterThanAnyMagic() => Refused([0xa1, 0xb2, 0xc3], 0, ErrorCode.CaptureTruncated, 0, "4 bytes needed, 1 missing");

    [Fact]
    public void UnknownMagicNamesItsBytes() =>
        Refused([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0], 0, ErrorCode.CaptureUnknownMagic, 0, "unknown magic 12 34 56 78");

    [Fact]
    public void PcapHeaderCut() => Refused(CaptureFiles.Bytes("eth.pcap")[..10], 0, ErrorCode.CaptureTruncated, 0, "pcap file header", "14 missing");

    [Fact]
    public void PcapVersionOtherThanTwo()
    {
        byte[] b = CaptureFiles.Bytes("eth.pcap");
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(4), 3);
        Refused(b, 0, ErrorCode.CaptureBadVersion, 4, "pcap version 3.4");
    }

    [Fact]
    public void PcapLinkTypeLosesItsFcsBitsAndKeepsUnknownNumbers()
    {
        byte[] b = CaptureFiles.Bytes("eth-be.pcap");
        // FCS length 4 (bits 28-31) and its presence flag (bit 26) above Ethernet.
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(20), 0x4400_0001);
        using (var reader = CaptureReader.FromBytes(b)) Assert.Equal(LinkType.Ethernet, reader.Interfaces[0].LinkType);

        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(20), 147);
        using (var reader = CaptureReader.FromBytes(b))
        {
            Assert.True(reader.TryRead(out var p));
            Assert.Equal((LinkType)147, p.LinkType);
        }
    }

    [Fact]
    public void PcapCapturedLongerThanOriginal()
    {
        byte[] b = CaptureFiles.Bytes("eth.pcap");
        var packets = CaptureFiles.ReadAll(b);
        long second = packets[1].Offset;
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan((int)second + 12), 41);
        Refused(b, 1, ErrorCode.CaptureBadRecordLength, second, "captured length 42 exceeds its original length 41");
    }

    [Fact]
    public void PcapRecordAboveTheSaneLimit()
    {
        byte[] big = new byte[300 * 1024];
        var small = new MemoryStream();
        using (var writer = new PcapWriter(small, LinkType.Ethernet, snapLength: 2 * 1024 * 1024)) writer.Write(big, 0);
        byte[] b = small.ToArray();

        // With the snaplen above 300 KiB the record is fine; with 64 KiB it exceeds 256 KiB, the larger limit.
        Assert.Equal(big.Length, CaptureFiles.ReadAll(b).Single().Data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), 65536);
        Refused(b, 0, ErrorCode.CaptureBadRecordLength, 24, $"captured length {big.Length} exceeds the limit 262144");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void CutMidHeaderAndMidDataGivesEarlierPacketsThenTheOffset(string name)
    {
        byte[] whole = CaptureFiles.Bytes(name);
        var packets = CaptureFiles.ReadAll(whole);
        for (int k = 0; k < packets.Count; k++)
        {
            var p = packets[k];
            long midHeader = p.Offset + ((p.DataOffset - p.Offset) / 2);
            long midData = p.DataOffset + (p.Data.Length / 2);
            foreach (long cut in new[] { midHeader, midData })
            {
                var e = Refused(whole[..(int)cut], k, ErrorCode.CaptureTruncated, p.Offset, "cut by the end of the file", "missing");
                if (name.EndsWith(".pcap", StringComparison.Ordinal))
                {
                    long needed = cut < p.Offset + 16 ? 16 : p.DataOffset + p.Data.Length - p.Offset;
                    Assert.Contains($"{needed} bytes needed, {p.Offset + needed - cut} missing", e.Message, StringComparison.Ordinal);
                }
            }
        }
    }

    [Fact]
    public void ErrorRepeatsInsteadOfSkippingTheBadBlock()
    {
        var ng = new PcapNgBuilder().Section().Interface(1).Enhanced(0, 1, Packet).Enhanced(0, 2, Packet);
        long bad = ng.Length;
        byte[] b = ng.Enhanced(3, 3, Packet).Enhanced(0, 4, Packet).ToArray();
        using var reader = CaptureReader.FromBytes(b);
        Assert.True(reader.TryRead(out _));
        Assert.True(reader.TryRead(out _));
        Assert.Equal(bad, Assert.Throws<CaptureFormatException>(() => reader.TryRead(out _)).Offset);
        Assert.Equal(bad, Assert.Throws<CaptureFormatException>(() => reader.TryRead(out _)).Offset);
    }

    [Theory]
    [InlineData(45u, "not a multiple of 4")]
    [InlineData(8u, "below the 32 bytes")]
    [InlineData(28u, "below the 32 bytes")]
    public void PcapNgBlockTotalLengthRefused(uint total, string mention)
    {
        var ng = new PcapNgBuilder().Section().Interface(1).Enhanced(0, 1, Packet);
        long at = ng.Length;
        byte[] b = ng.Enhanced(0, 2, Packet).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan((int)at + 4), total);
        Refused(b, 1, ErrorCode.CaptureBadBlockLength, at, "EPB: total length", mention);
    }

    [Fact]
    public void PcapNgTrailingLengthMustMatch()
    {
        var ng = new PcapNgBuilder().Section().Interface(1);
        long at = ng.Length;
        byte[] b = ng.Block(0x0000_0BAD, [1, 2, 3, 4], trailer: 20).ToArray();
        Refused(b, 0, ErrorCode.CaptureBadBlockLength, at, "block type 0x00000bad: total length 16 differs from its trailing copy 20");
    }

    [Fact]
    public void PcapNgBlockPastTheEnd()
    {
        var ng = new PcapNgBuilder().Section().Interface(1);
        long at = ng.Length;
        byte[] b = ng.Block(5, new byte[12], total: 64).ToArray();
        Refused(b, 0, ErrorCode.CaptureTruncated, at, "ISB of 64 bytes", "64 bytes needed, 40 missing");
    }

    [Fact]
    public void PcapNgInterfaceOutOfRange()
    {
        var ng = new PcapNgBuilder().Section().Interface(1).Interface(101);
        long at = ng.Length;
        Refused(ng.Enhanced(2, 0, Packet).ToArray(), 0, ErrorCode.CaptureBadInterface, at, "EPB: interface 2, but its section has described 2");
    }

    [Fact]
    public void PcapNgPacketBeforeAnyInterface()
    {
        var ng = new PcapNgBuilder().Section();
        long at = ng.Length;
        Refused(ng.Simple(42, Packet).ToArray(), 0, ErrorCode.CaptureBadInterface, at, "SPB: interface 0");
    }

    [Fact]
    public void PcapNgCapturedLengthPastTheBlock()
    {
        var ng = new PcapNgBuilder().Section().Interface(1);
        long at = ng.Length;
        byte[] b = ng.Enhanced(0, 0, Packet, originalLength: 100).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan((int)at + 20), 45);
        Refused(b, 0, ErrorCode.CaptureBadPacketLength, at, "EPB: captured length 45 runs past the block (44 bytes of room)");
    }

    [Fact]
    public void PcapNgOptionPastTheBlock()
    {
        var ng = new PcapNgBuilder().Section();
        long at = ng.Length;
        // An if_name claiming 9 bytes (12 with padding) with only 8 left before the trailing length.
        byte[] options = [.. ng.U16(2), .. ng.U16(9), .. "abcdefgh"u8];
        Refused(ng.Interface(1, 0, options).ToArray(), 0, ErrorCode.CaptureBadOption, at, "IDB: option 2", "runs past the block");
    }

    [Fact]
    public void PcapNgByteOrderMagicAndVersion()
    {
        Refused(new PcapNgBuilder().Section(byteOrderMagic: 0x1A2B3C4E).ToArray(), 0, ErrorCode.CaptureUnknownMagic, 0, "byte-order magic 0x1a2b3c4e");
        Refused(new PcapNgBuilder().Section(major: 2).ToArray(), 0, ErrorCode.CaptureBadVersion, 0, "pcapng version 2.0");
    }

    [Theory]
    [InlineData((byte)0x80 | 64, "if_tsresol 0xc0")]
    [InlineData((byte)20, "if_tsresol 0x14")]
    public void PcapNgResolutionBeyond64Bits(byte resolution, string mention)
    {
        var ng = new PcapNgBuilder().Section();
        long at = ng.Length;
        Refused(ng.Interface(1, 0, ng.Option(9, [resolution])).ToArray(), 0, ErrorCode.CaptureBadOption, at + 16, mention);
    }

    [Theory]
    [InlineData(6, 1_500_000UL, 0L, 1_500_000_000L)]
    [InlineData(3, 1_796_378_400_123UL, 0L, 1_796_378_400_123_000_000L)]
    [InlineData(9, 7UL, 0L, 7L)]
    [InlineData(12, 1_234_567_890_123UL, 0L, 1_234_567_890L)]
    [InlineData(0, 5UL, 0L, 5_000_000_000L)]
    [InlineData(0x80 | 10, 1536UL, 0L, 1_500_000_000L)]
    [InlineData(0x80 | 30, 3UL, 0L, 2L)]
    [InlineData(0x80 | 0, 2UL, 10L, 12_000_000_000L)]
    [InlineData(6, 1_000_001UL, -1L, 1_000L)]
    public void PcapNgTimestampUnitsAndOffset(int resolution, ulong units, long offsetSeconds, long expectedNs)
    {
        foreach (bool bigEndian in new[] { false, true })
        {
            var ng = new PcapNgBuilder(bigEndian).Section();
            byte[] b = ng.Interface(1, 0, [.. ng.Option(10, ng.U64((ulong)offsetSeconds)), .. ng.Option(9, [(byte)resolution]), .. ng.EndOfOptions()])
                .Enhanced(0, units, Packet).ToArray();
            Assert.Equal(expectedNs, CaptureFiles.ReadAll(b).Single().TimestampNs);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void PcapNgOptionsArePaddedToFour(int nameLength)
    {
        var ng = new PcapNgBuilder().Section(options: [.. new PcapNgBuilder().Option(1, new byte[nameLength + 1]), .. new PcapNgBuilder().EndOfOptions()]);
        string name = new('n', nameLength);
        // An unknown option, the name, then if_tsresol: read only if the name's padding was skipped right.
        byte[] options = [.. ng.Option(0x7fff, []), .. ng.Option(2, System.Text.Encoding.UTF8.GetBytes(name)), .. ng.Option(9, [3]), .. ng.EndOfOptions()];
        byte[] b = ng.Interface(1, 64, options).Enhanced(0, 2500, Packet, options: [.. ng.Option(1, new byte[nameLength]), .. ng.EndOfOptions()]).ToArray();
        using var reader = CaptureReader.FromBytes(b);
        Assert.True(reader.TryRead(out var p));
        Assert.Equal(2_500_000_000L, p.TimestampNs);
        Assert.Equal(new CaptureInterface(LinkType.Ethernet, 64, name), reader.Interfaces[0]);
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void PcapNgOptionsMayBeAbsentOrEndEarly()
    {
        var ng = new PcapNgBuilder().Section();
        // Bytes after opt_endofopt are not options: ignored, as Wireshark does.
        byte[] afterEnd = [.. ng.EndOfOptions(), .. ng.Option(9, [3])];
        byte[] b = ng.Interface(1).Interface(101, 0, afterEnd).Enhanced(1, 7, Packet).Enhanced(0, 7, Packet).ToArray();
        var packets = CaptureFiles.ReadAll(b);
        Assert.Equal([7_000L, 7_000L], packets.Select(p => p.TimestampNs));
        Assert.Equal([LinkType.Raw, LinkType.Ethernet], packets.Select(p => p.LinkType));
    }

    [Fact]
    public void PcapNgSimplePacketTakesTheSmallestLength()
    {
        var ng = new PcapNgBuilder().Section().Interface(1, snapLength: 30);
        byte[] b = ng.Simple(100, Packet).Simple(20, Packet).Simple(40, Packet[..40]).ToArray();
        // Room 44 / original 100 / snaplen 30 → 30; original 20 → 20; room 40 / snaplen 30 → 30.
        Assert.Equal([30, 20, 30], CaptureFiles.ReadAll(b).Select(p => p.Data.Length));
    }
}
