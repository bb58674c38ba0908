using System.Globalization;
using HeteroBpf.Capture;

namespace HeteroBpf.Tests.Capture;

/// <summary>Every committed capture read by <see cref="CaptureReader"/> and by tshark at test time: same frames, times, lengths, interfaces and bytes.</summary>
public sealed class CaptureReaderTests
{
    // Wireshark's WTAP_ENCAP numbers (frame.encap_type) for the link types the committed captures use.
    private static readonly Dictionary<LinkType, int> WiresharkEncap = new() { [LinkType.Ethernet] = 1, [LinkType.Raw] = 7 };

    public static TheoryData<string> Files => [.. CaptureFiles.Names];

    private static List<(string File, int Frame, long AddedNs, string Reason)> Divergences() =>
    [
        .. File.ReadAllLines(Path.Combine(CaptureFiles.Directory, "divergences.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' ', 4))
            .Select(f => (f[0], int.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture), f[3])),
    ];

    [Theory]
    [MemberData(nameof(Files))]
    public void ReadsWhatTsharkReads(string name)
    {
        string path = Path.Combine(CaptureFiles.Directory, name);
        var expected = Tshark.Read(path);
        var divergences = Divergences().Where(d => d.File == name).ToList();
        Assert.NotEmpty(expected);

        using var reader = CaptureReader.Open(path);
        Assert.Equal(name.EndsWith(".pcapng", StringComparison.Ordinal) ? CaptureFormat.PcapNg : CaptureFormat.Pcap, reader.Format);
        int frame = 0;
        while (reader.TryRead(out var packet))
        {
            Assert.True(frame < expected.Count, $"{name}: more packets than tshark's {expected.Count}");
            var t = expected[frame++];
            string where = $"{name} frame {frame} at 0x{packet.Offset:x}";
            Assert.True(t.Bytes.AsSpan().SequenceEqual(packet.Data), $"{where}: bytes {Convert.ToHexString(packet.Data)}, tshark {Convert.ToHexString(t.Bytes)}");
            Assert.True(t.CapturedLength == (uint)packet.Data.Length, $"{where}: captured length {packet.Data.Length}, tshark {t.CapturedLength}");
            Assert.True(t.Length == packet.OriginalLength, $"{where}: length {packet.OriginalLength}, tshark {t.Length}");
            Assert.True(t.InterfaceId == packet.InterfaceIndex, $"{where}: interface {packet.InterfaceIndex}, tshark {t.InterfaceId}");
            Assert.Equal(reader.Interfaces[packet.InterfaceIndex].LinkType, packet.LinkType);
            Assert.True(WiresharkEncap.TryGetValue(packet.LinkType, out int encap), $"{where}: link type {packet.LinkType} has no Wireshark encapsulation in this test's table");
            Assert.True(encap == t.EncapType, $"{where}: link type {packet.LinkType} (encap {encap}), tshark encap {t.EncapType}");

            // tshark gives no time for a simple packet block; CaptureReader says 0.
            long added = divergences.Where(d => d.Frame == frame).Sum(d => d.AddedNs);
            long tsharkTime = t.TimestampNs ?? 0;
            Assert.True(tsharkTime + added == packet.TimestampNs, $"{where}: time {packet.TimestampNs} ns, tshark {tsharkTime} ns + {added} listed in divergences.txt");
        }

        Assert.Equal(expected.Count, frame);
        foreach (var d in divergences) Assert.True(d.Frame <= frame && d.AddedNs != 0, $"divergences.txt: {d.File} frame {d.Frame} names no difference");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void MappedFileAndMemoryReadTheSame(string name)
    {
        byte[] bytes = CaptureFiles.Bytes(name);
        var fromMemory = CaptureFiles.ReadAll(bytes);
        using var reader = CaptureReader.Open(Path.Combine(CaptureFiles.Directory, name));
        int i = 0;
        while (reader.TryRead(out var p))
        {
            var m = fromMemory[i++];
            Assert.Equal((m.TimestampNs, m.OriginalLength, m.InterfaceIndex, m.LinkType, m.Offset), (p.TimestampNs, p.OriginalLength, p.InterfaceIndex, p.LinkType, p.Offset));
            Assert.True(m.Data.AsSpan().SequenceEqual(p.Data));
            Assert.True(m.DataOffset > m.Offset, "packet bytes are a view of the input, after their record header");
        }

        Assert.Equal(fromMemory.Count, i);
        Assert.False(reader.TryRead(out _), "the end stays the end");
    }

    [Fact]
    public void SpansStayValidWhileReadingOn()
    {
        using var reader = CaptureReader.Open(Path.Combine(CaptureFiles.Directory, "merged.pcapng"));
        Assert.True(reader.TryRead(out var first));
        var kept = first.Data;
        byte[] copy = kept.ToArray();
        while (reader.TryRead(out _))
        {
        }

        Assert.True(copy.AsSpan().SequenceEqual(kept));
    }

    [Fact]
    public void PcapHasOneInterfaceFromItsHeader()
    {
        // editcap -s 40 cut the packets but kept the header's snaplen.
        using var reader = CaptureReader.Open(Path.Combine(CaptureFiles.Directory, "eth-snap40.pcap"));
        Assert.Equal([new CaptureInterface(LinkType.Ethernet, 262144, null)], reader.Interfaces);
    }

    [Fact]
    public void PcapNgInterfacesAreKnownOnceOpenAndRestartPerSection()
    {
        using var reader = CaptureReader.FromBytes(CaptureFiles.Bytes("edge.pcapng"), "edge.pcapng");
        // Both IDBs precede the first packet (with unknown blocks between them), so opening reads both.
        Assert.Equal([new CaptureInterface(LinkType.Ethernet, 0, "eth0x"), new CaptureInterface(LinkType.Raw, 24, null)], reader.Interfaces);
        var links = new List<(int, LinkType, int)>();
        while (reader.TryRead(out var p)) links.Add((p.InterfaceIndex, p.LinkType, reader.Interfaces.Count));

        // The second section (big-endian) starts the list over.
        Assert.Equal([(0, LinkType.Ethernet, 2), (1, LinkType.Raw, 2), (0, LinkType.Ethernet, 2), (1, LinkType.Raw, 2), (0, LinkType.Ethernet, 1), (0, LinkType.Ethernet, 1)], links);
        Assert.Equal([new CaptureInterface(LinkType.Ethernet, 20, "be0")], reader.Interfaces);
    }

    [Fact]
    public void PcapNgMultipleInterfacesFromMergecap()
    {
        using var reader = CaptureReader.Open(Path.Combine(CaptureFiles.Directory, "merged.pcapng"));
        while (reader.TryRead(out _))
        {
        }

        Assert.Equal(["eth0", "tun0"], reader.Interfaces.Select(i => i.Name));
        Assert.Equal([LinkType.Ethernet, LinkType.Raw], reader.Interfaces.Select(i => i.LinkType));
    }

    [Fact]
    public void HeadersAloneHoldNoPackets()
    {
        using (var pcap = CaptureReader.FromBytes(CaptureFiles.Bytes("eth.pcap")[..24]))
        {
            Assert.False(pcap.TryRead(out _));
            Assert.Single(pcap.Interfaces);
        }

        using var ng = CaptureReader.FromBytes(new PcapNgBuilder(bigEndian: true).Section().ToArray());
        Assert.Equal(CaptureFormat.PcapNg, ng.Format);
        Assert.False(ng.TryRead(out _));
        Assert.Empty(ng.Interfaces);
    }

    [Fact]
    public void DisposedReaderRefusesToRead()
    {
        var reader = CaptureReader.FromBytes(CaptureFiles.Bytes("eth.pcap"));
        reader.Dispose();
        reader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => reader.TryRead(out _));
    }

    [Fact]
    public void MissingFileIsNotReadable()
    {
        var e = Assert.Throws<HbpfException>(() => CaptureReader.Open(Path.Combine(CaptureFiles.Directory, "no-such.pcap")));
        Assert.Equal(ErrorCode.FileNotReadable, e.Code);
        Assert.Contains("no-such.pcap", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eth.pcap")]
    [InlineData("merged.pcapng")]
    public void ReadingPacketsAllocatesNothing(string name)
    {
        // Many copies of the file's packets, so that a per-packet allocation would show.
        byte[] one = CaptureFiles.Bytes(name);
        var packets = CaptureFiles.ReadAll(one);
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, LinkType.Ethernet))
        {
            for (int n = 0; n < 1000; n++) writer.Write(packets[n % packets.Count].Data, packets[n % packets.Count].TimestampNs);
        }

        byte[] input = name.EndsWith(".pcap", StringComparison.Ordinal) ? stream.ToArray() : one;
        using var reader = CaptureReader.FromBytes(input);
        reader.TryRead(out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int count = 0;
        while (reader.TryRead(out var p)) count += p.Data.Length > 0 ? 1 : 0;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(count > 0);
        Assert.Equal(0, allocated);
    }
}
