using HeteroBpf.Capture;

namespace HeteroBpf.Tests.Capture;

/// <summary><see cref="PcapWriter"/> output read back by tshark (at test time) and by <see cref="CaptureReader"/>.</summary>
public sealed class PcapWriterTests
{
    private static readonly (byte[] Data, long TimestampNs, uint OriginalLength)[] Records =
    [
        ([.. CaptureFiles.ReadAll(CaptureFiles.Bytes("eth.pcapng"))[0].Data], 1_796_378_400_123_456_789L, 0),
        ([.. Enumerable.Range(0, 1514).Select(i => (byte)(i * 7))], 1_796_378_400_999_999_999L, 0),
        ([.. CaptureFiles.ReadAll(CaptureFiles.Bytes("eth.pcapng"))[2].Data[..40]], 1L, 63),
        ([0x45], 4_294_967_295_000_000_001L, 60),
    ];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TsharkReadsTheExactBytesAndTimes(bool nanosecond)
    {
        string path = Path.Combine(Path.GetTempPath(), $"hbpf-writer-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var writer = PcapWriter.Create(path, LinkType.Ethernet, nanosecond: nanosecond))
            {
                foreach (var (data, time, original) in Records) writer.Write(data, time, original);
                Assert.Equal(Records.Length, writer.Count);
            }

            var frames = Tshark.Read(path);
            Assert.Equal(Records.Length, frames.Count);
            for (int i = 0; i < Records.Length; i++)
            {
                var (data, time, original) = Records[i];
                long expected = nanosecond ? time : time - (time % 1000);
                Assert.Equal(expected, frames[i].TimestampNs);
                Assert.Equal(data, frames[i].Bytes);
                Assert.Equal(original == 0 ? (uint)data.Length : original, frames[i].Length);
                Assert.Equal(1, frames[i].EncapType);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CaptureReaderReadsItBack(bool nanosecond)
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, LinkType.LinuxSll2, snapLength: 2000, nanosecond))
        {
            foreach (var (data, time, original) in Records) writer.Write(data, time, original);
        }

        using var reader = CaptureReader.FromBytes(stream.ToArray());
        Assert.Equal(CaptureFormat.Pcap, reader.Format);
        Assert.Equal([new CaptureInterface(LinkType.LinuxSll2, 2000, null)], reader.Interfaces);
        foreach (var (data, time, original) in Records)
        {
            Assert.True(reader.TryRead(out var p));
            Assert.True(data.AsSpan().SequenceEqual(p.Data));
            Assert.Equal(nanosecond ? time : time - (time % 1000), p.TimestampNs);
            Assert.Equal(original == 0 ? (uint)data.Length : original, p.OriginalLength);
            Assert.Equal(LinkType.LinuxSll2, p.LinkType);
        }

        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void RefusesWhatPcapCannotHold()
    {
        using var writer = new PcapWriter(new MemoryStream(), LinkType.Raw, snapLength: 16);
        Assert.Throws<ArgumentException>(() => writer.Write(new byte[17], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(new byte[8], 0, originalLength: 7));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(new byte[8], -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(new byte[8], 4_294_967_296_000_000_000L));
        Assert.Equal(0, writer.Count);
    }

    [Fact]
    public void WritingAllocatesNothing()
    {
        var stream = new MemoryStream(new byte[64 * 1024]);
        using var writer = new PcapWriter(stream, LinkType.Ethernet);
        byte[] data = new byte[60];
        writer.Write(data, 0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++) writer.Write(data, i);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
