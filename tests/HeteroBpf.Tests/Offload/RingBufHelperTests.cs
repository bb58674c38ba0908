using System.Buffers.Binary;
using HeteroBpf.Elf;
using HeteroBpf.Maps;
using HeteroBpf.Offload;

namespace HeteroBpf.Tests.Offload;

/// <summary>
/// The ring buffer and perf event output helpers as a clang-built program calls them (the <c>ringbuf</c> fixture):
/// records reach the host consumer in order, a discarded record is skipped, and the helpers' return values follow the
/// kernel's rules (the maps' own behaviour is checked against the kernel in the Maps tests).
/// </summary>
public sealed class RingBufHelperTests
{
    public static TheoryData<string> Fixtures() => new(["ringbuf-v2.o", "ringbuf-v3.o", "ringbuf-v4.o"]);

    private static BpfCollection Load(string fixture) => BpfCollection.Load(ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture)));

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void OutputReserveSubmitDiscardReachTheConsumer(string fixture)
    {
        using var collection = Load(fixture);
        var ring = (RingBufMap)collection.Map("rb");

        // Three records of 8-byte header + payload rounded to 8: 16 + 16 + 16 bytes produced, none consumed yet.
        var result = collection.Program("produce").Run(new byte[64]);
        Assert.Equal(48, (int)result.ReturnValue);

        var records = new List<byte[]>();
        Assert.Equal(2, ring.Consume(r =>
        {
            records.Add(r.ToArray());
            return 0;
        }));
        Assert.Equal(0x1122334455667788UL, BinaryPrimitives.ReadUInt64LittleEndian(records[0]));
        Assert.Equal(4, records[1].Length);
        Assert.Equal(0xabcdu, BinaryPrimitives.ReadUInt32LittleEndian(records[1]));
        Assert.Equal(0UL, ring.Query(RingBufFlags.AvailData));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void PerfEventOutputNeedsAReaderOnTheCurrentCpu(string fixture)
    {
        using var collection = Load(fixture);
        var events = (PerfEventArrayMap)collection.Map("events");
        var emit = collection.Program("emit");

        // No reader attached: -ENOENT, as the kernel gives for an empty slot.
        Assert.Equal(-(int)Errno.ENOENT, (int)emit.Run(new byte[64]).ReturnValue);

        Assert.True(BpfMap.PossibleCpus <= events.MaxEntries, "the fixture's perf event array needs a slot per CPU");
        var readers = Enumerable.Range(0, BpfMap.PossibleCpus).Select(cpu => events.OpenReader(cpu, cpu: cpu)).ToList();
        try
        {
            Assert.Equal(0, (int)emit.Run(new byte[64]).ReturnValue);
            var samples = new List<uint>();
            foreach (var reader in readers) reader.Consume(d => { samples.Add(BinaryPrimitives.ReadUInt32LittleEndian(d)); return 0; });
            Assert.Equal([0x5a5a5a5au], samples);
        }
        finally
        {
            foreach (var reader in readers) reader.Dispose();
        }
    }
}
