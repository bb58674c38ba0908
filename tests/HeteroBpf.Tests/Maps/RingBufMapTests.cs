using System.Buffers.Binary;
using System.Text;
using HeteroBpf.Isa;
using HeteroBpf.KernelOracle;
using HeteroBpf.Maps;

namespace HeteroBpf.Tests.Maps;

/// <summary>
/// BPF_MAP_TYPE_RINGBUF: creation rules and element commands against the kernel's, the helpers' results, positions
/// and the data area's bytes against a kernel ring driven by a program calling <c>bpf_ringbuf_output</c>, the host
/// consumer's order, and several producers with one consumer.
/// </summary>
public sealed unsafe class RingBufMapTests
{
    private static readonly int Page = Environment.SystemPageSize;

    private static MapSpec Spec(uint size, MapFlags flags = MapFlags.None, uint keySize = 0, uint valueSize = 0) =>
        new() { Name = "rb", Type = MapType.RingBuf, KeySize = keySize, ValueSize = valueSize, MaxEntries = size, Flags = flags };

    private static RingBufMap Create(uint size) => (RingBufMap)BpfMap.Create(Spec(size));

    public static TheoryData<string, uint, uint, uint, MapFlags, ErrorCode> Refused() => new()
    {
        { "key 4", 4, 0, 4096, MapFlags.None, ErrorCode.MapKeySizeInvalid },
        { "value 4", 0, 4, 4096, MapFlags.None, ErrorCode.MapValueSizeInvalid },
        { "size 0", 0, 0, 0, MapFlags.None, ErrorCode.MapMaxEntriesInvalid },
        { "size 2048 (not page-aligned)", 0, 0, 2048, MapFlags.None, ErrorCode.MapMaxEntriesInvalid },
        { "size 3 pages (not a power of two)", 0, 0, 3 * 4096, MapFlags.None, ErrorCode.MapMaxEntriesInvalid },
        { "size 4097", 0, 0, 4097, MapFlags.None, ErrorCode.MapMaxEntriesInvalid },
        { "no-prealloc", 0, 0, 4096, MapFlags.NoPrealloc, ErrorCode.MapFlagsInvalid },
        { "mmapable", 0, 0, 4096, MapFlags.Mmapable, ErrorCode.MapFlagsInvalid },
        { "rdonly", 0, 0, 4096, MapFlags.ReadOnly, ErrorCode.MapFlagsInvalid },
        { "rdonly prog", 0, 0, 4096, MapFlags.ReadOnlyProg, ErrorCode.MapFlagsInvalid },
        { "rdonly+wronly", 0, 0, 4096, MapFlags.ReadOnly | MapFlags.WriteOnly, ErrorCode.MapFlagsInvalid },
        { "flag before key", 4, 0, 4096, MapFlags.ZeroSeed, ErrorCode.MapFlagsInvalid },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void RefusedLikeTheKernel(string name, uint keySize, uint valueSize, uint size, MapFlags flags, ErrorCode code)
    {
        var e = Assert.Throws<MapSpecException>(() => BpfMap.Create(Spec(size, flags, keySize, valueSize)));
        Assert.Equal(code, e.Code);
        Assert.Equal(Errno.EINVAL, e.Errno);
        KernelCreation.AssertRefused(name, MapType.RingBuf, keySize, valueSize, size, flags, e.Errno);
    }

    [Theory]
    [InlineData(4096u, MapFlags.None)]
    [InlineData(8192u, MapFlags.NumaNode)]
    [InlineData(1u << 20, MapFlags.None)]
    public void AcceptedLikeTheKernel(uint size, MapFlags flags)
    {
        using (var map = (RingBufMap)BpfMap.Create(Spec(size, flags)))
        {
            Assert.Equal((ulong)size, map.Query(RingBufFlags.RingSize));
        }

        KernelCreation.AssertAccepted(MapType.RingBuf, 0, 0, size, flags);
    }

    [Fact]
    public void ElementCommandsAreRefusedLikeTheKernel()
    {
        using var both = KernelMap.Create(Spec(4096));
        Assert.Equal(KernelBpf.Lookup(both.Fd, [], []), both.Ours.Lookup([], []));
        Assert.Equal(KernelBpf.Update(both.Fd, [], [], 0), both.Ours.Update([], [], UpdateFlags.Any));
        Assert.Equal(KernelBpf.Delete(both.Fd, []), both.Ours.Delete([]));
        Assert.Equal(KernelBpf.GetNextKey(both.Fd, [], []), both.Ours.GetNextKey([], []));
    }

    [Fact]
    public void RecordsComeOutInOrderWithoutDiscardedOnes()
    {
        using var map = Create(4096);
        byte* a = map.Reserve(3, 0);
        byte* b = map.Reserve(16, 0);
        byte* c = map.Reserve(5, 0);
        Assert.True(a is not null && b is not null && c is not null);
        new Span<byte>(a, 3).Fill(0xaa);
        new Span<byte>(b, 16).Fill(0xbb);
        new Span<byte>(c, 5).Fill(0xcc);

        // Headers: length with the busy bit, 8-byte aligned records (8 + 3 → 16, 8 + 16 → 24).
        Assert.Equal(3u | RingBufFlags.BusyBit, *(uint*)(a - 8));
        Assert.Equal(16, (int)(b - a));
        Assert.Equal(24, (int)(c - b));
        Assert.Equal(16UL + 24 + 16, map.Query(RingBufFlags.ProducerPosition));

        // The oldest record is busy: nothing can be consumed, even though later ones are done.
        map.Submit(c, 0);
        map.Discard(b, 0);
        var seen = new List<byte[]>();
        Assert.Equal(0, map.Consume(r => { seen.Add(r.ToArray()); return 0; }));
        Assert.Equal((16u | RingBufFlags.DiscardBit), *(uint*)(b - 8));

        map.Submit(a, RingBufFlags.NoWakeup);
        Assert.Equal(2, map.Consume(r => { seen.Add(r.ToArray()); return 0; }));
        Assert.Equal([[0xaa, 0xaa, 0xaa], [0xcc, 0xcc, 0xcc, 0xcc, 0xcc]], seen);
        Assert.Equal(0UL, map.Query(RingBufFlags.AvailData));
        Assert.Equal(56UL, map.Query(RingBufFlags.ConsumerPosition));
        Assert.Equal(0UL, map.Query(99));
    }

    [Fact]
    public void HandlerErrorStopsAfterConsumingThatRecord()
    {
        using var map = Create(4096);
        ulong word = 7;
        for (int i = 0; i < 3; i++) Assert.Equal(0, map.Output((byte*)&word, 8, 0));
        int calls = 0;
        Assert.Equal(-5, map.Consume(_ => ++calls == 2 ? -5 : 0));
        Assert.Equal(32UL, map.Query(RingBufFlags.ConsumerPosition));
        Assert.Equal(1, map.Consume(_ => 0));
    }

    [Fact]
    public void FullRingAndBadArguments()
    {
        using var map = Create(4096);
        ulong word = 0;
        Assert.True(map.Reserve(8, 1) is null, "reserve takes no flags");
        Assert.Equal(-(long)Errno.EINVAL, map.Output((byte*)&word, 8, 4));
        Assert.True(map.Reserve(RingBufMap.MaxRecordSize + 1, 0) is null);
        Assert.True(map.Reserve(4096 - 8 + 1, 0) is null, "a record larger than the ring never fits");

        // A ring never fills completely: a record of exactly the ring's size cannot be reserved.
        Assert.True(map.Reserve(4096 - 8, 0) is null);
        byte* big = map.Reserve(4096 - 16, 0);
        Assert.True(big is not null);
        Assert.True(map.Reserve(0, 0) is null);
        Assert.Equal(-(long)Errno.EAGAIN, map.Output((byte*)&word, 0, RingBufFlags.ForceWakeup));
        map.Discard(big, 0);
        Assert.Equal(0, map.Consume(_ => 0));
        Assert.Equal(0, map.Output((byte*)&word, 0, 0));
    }

    [Fact]
    public void RecordCrossingTheEndIsContiguousAndMirrored()
    {
        using var map = Create(4096);
        byte* first = map.Reserve(4096 - 40, 0);
        map.Submit(first, 0);
        Assert.Equal(1, map.Consume(_ => 0));
        byte* wrapped = map.Reserve(100, 0);
        Assert.True(wrapped is not null);
        for (int i = 0; i < 100; i++) wrapped[i] = (byte)i;
        map.Submit(wrapped, 0);
        byte* data = (byte*)map.Layout.Data;
        // The header sits 32 bytes before the end; 100 - 24 = 76 payload bytes continue at the start.
        Assert.Equal((nint)(data + 4096 - 32 + 8), (nint)wrapped);
        Assert.Equal(24, data[0]);
        Assert.Equal(99, data[75]);
        byte[]? got = null;
        Assert.Equal(1, map.Consume(r => { got = r.ToArray(); return 0; }));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (byte)i), got!);
    }

    [Fact]
    public void ManyProducersOneConsumerLoseAndTearNothing()
    {
        const int Producers = 4;
        const int PerProducer = 50_000;
        using var map = Create(1 << 14);
        var next = new int[Producers];
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var producers = Enumerable.Range(0, Producers).Select(p => new Thread(() =>
        {
            var random = new Random(p);
            for (int i = 0; i < PerProducer; i++)
            {
                // Record: producer id, sequence number, then a length-dependent run of one byte.
                int size = 8 + random.Next(0, 57);
                byte* record;
                while ((record = map.Reserve((ulong)size, 0)) is null) Thread.Yield();
                *(int*)record = p;
                *(int*)(record + 4) = i;
                new Span<byte>(record + 8, size - 8).Fill((byte)(i + p));
                if (i % 7 == 3) map.Discard(record, 0);
                else map.Submit(record, 0);
            }
        })).ToArray();
        foreach (var t in producers) t.Start();
        long consumed = 0;
        RingBufRecordHandler check = r =>
        {
            int p = BinaryPrimitives.ReadInt32LittleEndian(r);
            int i = BinaryPrimitives.ReadInt32LittleEndian(r[4..]);
            // Each producer's records arrive in its order, skipping exactly the discarded ones.
            int expected = next[p] % 7 == 3 ? next[p] + 1 : next[p];
            if (i != expected) failures.Enqueue($"producer {p}: record {i} after {next[p] - 1}");
            next[p] = i + 1;
            foreach (byte b in r[8..])
            {
                if (b != (byte)(i + p)) { failures.Enqueue($"producer {p}: record {i} torn"); break; }
            }

            return 0;
        };
        while (producers.Any(t => t.IsAlive)) consumed += map.Consume(check);
        consumed += map.Consume(check);
        Assert.True(failures.IsEmpty, string.Join('\n', failures.Take(10)));
        int kept = Enumerable.Range(0, PerProducer).Count(i => i % 7 != 3);
        Assert.Equal((long)Producers * kept, consumed);
        Assert.Equal(0UL, map.Query(RingBufFlags.AvailData));
    }

    [Fact]
    public void ReserveSubmitAndOutputDoNotAllocate()
    {
        using var map = Create(1 << 16);
        ulong word = 1;
        for (int i = 0; i < 16; i++) map.Submit(map.Reserve(8, 0), 0);
        map.Consume(_ => 0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            byte* r = map.Reserve(24, 0);
            map.Submit(r, 0);
            map.Output((byte*)&word, 8, 0);
            _ = map.Query(RingBufFlags.AvailData);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>
    /// Socket-filter programs call <c>bpf_ringbuf_output</c>, or reserve, write part of the record and submit or
    /// discard it, on a kernel ring; ours gets the same calls. Results,
    /// positions and the whole data area (headers, payloads, the padding left by earlier records, records crossing
    /// the end) must match after every call; now and then both sides consume everything.
    /// </summary>
    [Fact]
    public void OutputMatchesTheKernelByteForByte()
    {
        const uint Size = 4096;
        using var both = KernelMap.Create(Spec(Size));
        var ours = (RingBufMap)both.Ours;
        var mapping = KernelRingBuf.Map(both.Fd, Size);
        var programs = new Dictionary<(int, ulong), int>();
        try
        {
            Assert.True(mapping.Consumer != 0 && mapping.ProducerAndData != 0, "mmap of the kernel ring failed");
            ulong* kernelConsumer = (ulong*)mapping.Consumer;
            ulong* kernelProducer = (ulong*)mapping.ProducerAndData;
            byte* kernelData = (byte*)mapping.ProducerAndData + Page;
            byte* ourData = (byte*)ours.Layout.Data;
            var random = new Random(11);
            int[] sizes = [0, 1, 7, 8, 13, 24, 40, 64];
            var log = new StringBuilder();
            int full = 0;
            byte* payload = stackalloc byte[64];
            for (int i = 0; i < 64; i++) payload[i] = (byte)(0x40 + i);
            for (int step = 0; step < 1500; step++)
            {
                if (random.Next(100) == 0)
                {
                    var kernelRecords = ConsumeKernel(kernelConsumer, kernelProducer, kernelData, Size);
                    var ourRecords = new List<byte[]>();
                    ours.Consume(r => { ourRecords.Add(r.ToArray()); return 0; });
                    log.AppendLine($"{step}: consume {ourRecords.Count}");
                    Assert.True(kernelRecords.Count == ourRecords.Count, $"{log}kernel consumed {kernelRecords.Count} records");
                    for (int i = 0; i < ourRecords.Count; i++) Assert.True(kernelRecords[i].AsSpan().SequenceEqual(ourRecords[i]), $"{log}record {i} differs");
                    continue;
                }

                if (random.Next(3) == 0)
                {
                    // Reserve, write the first 8 bytes only (if there are 8), then submit or discard.
                    int reserved = sizes[random.Next(sizes.Length)];
                    bool discard = random.Next(2) == 0;
                    if (!programs.TryGetValue((reserved, discard ? 1UL << 40 : 1UL << 41), out int reserveProg))
                        programs[(reserved, discard ? 1UL << 40 : 1UL << 41)] = reserveProg = LoadReserveProgram(both.Fd, reserved, discard);
                    int kernelReserve = (int)KernelBpf.TestRun(reserveProg, new byte[64]);
                    byte* record = ours.Reserve((ulong)reserved, 0);
                    if (record is not null)
                    {
                        if (reserved >= 8) *(ulong*)record = 0x01020304;
                        if (discard) ours.Discard(record, 0);
                        else ours.Submit(record, 0);
                    }

                    log.AppendLine($"{step}: reserve {reserved} then {(discard ? "discard" : "submit")} → {(record is null ? "null" : "record")}");
                    Assert.True(kernelReserve == (record is null ? -1 : 0), $"{log}kernel gave {kernelReserve}");
                }
                else
                {
                    int size = sizes[random.Next(sizes.Length)];
                    ulong flags = random.Next(20) == 0 ? 8UL : (ulong)random.Next(3);
                    if (!programs.TryGetValue((size, flags), out int prog)) programs[(size, flags)] = prog = LoadOutputProgram(both.Fd, size, flags);
                    int kernelResult = (int)KernelBpf.TestRun(prog, new byte[64]);
                    long ourResult = ours.Output(payload, (ulong)size, flags);
                    log.AppendLine($"{step}: output {size} flags {flags} → {ourResult}");
                    Assert.True(kernelResult == ourResult, $"{log}kernel gave {kernelResult}");
                    if (ourResult == -(long)Errno.EAGAIN) full++;
                }

                Assert.True(*kernelProducer == ours.Query(RingBufFlags.ProducerPosition), $"{log}producer positions: kernel {*kernelProducer}");
                Assert.True(new Span<byte>(kernelData, (int)Size).SequenceEqual(new Span<byte>(ourData, (int)Size)), $"{log}data areas differ at {FirstDifference(kernelData, ourData, (int)Size)}: kernel pg_off {*(uint*)(kernelData + 4)}, ours {*(uint*)(ourData + 4)}");
            }

            Assert.True(full > 0, "the ring never filled");
            Assert.True(*kernelProducer > 2 * Size, "the ring never wrapped");
        }
        finally
        {
            foreach (int prog in programs.Values) KernelBpf.Close(prog);
            KernelRingBuf.Unmap(mapping, Size);
        }
    }

    // What libbpf's ring_buffer__consume does on the kernel's mapping.
    private static List<byte[]> ConsumeKernel(ulong* consumer, ulong* producer, byte* data, uint size)
    {
        var records = new List<byte[]>();
        ulong position = Volatile.Read(ref *consumer);
        ulong end = Volatile.Read(ref *producer);
        while (position < end)
        {
            uint header = Volatile.Read(ref *(uint*)(data + (position & (size - 1))));
            if ((header & RingBufFlags.BusyBit) != 0) break;
            uint length = header & ~RingBufFlags.DiscardBit;
            if ((header & RingBufFlags.DiscardBit) == 0) records.Add(new Span<byte>(data + (position & (size - 1)) + 8, (int)length).ToArray());
            position += (length + 8 + 7) & ~7u;
        }

        Volatile.Write(ref *consumer, position);
        return records;
    }

    private static int FirstDifference(byte* a, byte* b, int length)
    {
        for (int i = 0; i < length; i++)
        {
            if (a[i] != b[i]) return i;
        }

        return -1;
    }

    // r0 = bpf_ringbuf_reserve(map, size, 0); null: return -1; else store 0x01020304 as a u64 if size >= 8, then
    // bpf_ringbuf_submit or bpf_ringbuf_discard it and return 0.
    private static int LoadReserveProgram(int mapFd, int size, bool discard)
    {
        byte mov = (byte)OpClass.Alu64 | (byte)AluOp.Mov;
        var program = new List<Instruction>
        {
            new(Opcodes.Lddw, (byte)Register.R1, (byte)1, (short)0, mapFd), // BPF_PSEUDO_MAP_FD
            new(0, Register.R0, Register.R0, 0, 0),
            new(mov, Register.R2, Register.R0, 0, size),
            new(mov, Register.R3, Register.R0, 0, 0),
            new(Opcodes.Call, Register.R0, Register.R0, 0, 131), // bpf_ringbuf_reserve
            new((byte)OpClass.Jmp | (byte)JumpOp.Jne, Register.R0, Register.R0, 2, 0),
            new(mov, Register.R0, Register.R0, 0, -1),
            new(Opcodes.Exit, Register.R0, Register.R0, 0, 0),
        };
        if (size >= 8) program.Add(new((byte)OpClass.St | (byte)MemMode.Mem | (byte)MemSize.DW, Register.R0, Register.R0, 0, 0x01020304));
        program.Add(new((byte)(mov | (byte)OperandSource.Reg), Register.R1, Register.R0, 0, 0));
        program.Add(new(mov, Register.R2, Register.R0, 0, 0));
        program.Add(new(Opcodes.Call, Register.R0, Register.R0, 0, discard ? 133 : 132)); // bpf_ringbuf_discard / submit
        program.Add(new(mov, Register.R0, Register.R0, 0, 0));
        program.Add(new(Opcodes.Exit, Register.R0, Register.R0, 0, 0));
        int fd = KernelBpf.Load(program.ToArray(), KernelBpf.SocketFilter, out string refusal);
        Assert.True(fd >= 0, refusal);
        return fd;
    }

    // Fills 64 stack bytes with 0x40, 0x41, …, then returns bpf_ringbuf_output(map, fp - 64, size, flags).
    private static int LoadOutputProgram(int mapFd, int size, ulong flags)
    {
        var program = new List<Instruction>();
        byte storeWord = (byte)OpClass.St | (byte)MemMode.Mem | (byte)MemSize.W;
        for (int i = 0; i < 64; i += 4)
        {
            int word = (0x40 + i) | ((0x41 + i) << 8) | ((0x42 + i) << 16) | ((0x43 + i) << 24);
            program.Add(new(storeWord, Register.R10, Register.R0, (short)(-64 + i), word));
        }

        program.Add(new(Opcodes.Lddw, (byte)Register.R1, (byte)1, (short)0, mapFd)); // BPF_PSEUDO_MAP_FD
        program.Add(new(0, Register.R0, Register.R0, 0, 0));
        byte mov = (byte)OpClass.Alu64 | (byte)AluOp.Mov;
        byte add = (byte)OpClass.Alu64 | (byte)AluOp.Add;
        program.Add(new((byte)(mov | (byte)OperandSource.Reg), Register.R2, Register.R10, 0, 0));
        program.Add(new(add, Register.R2, Register.R0, 0, -64));
        program.Add(new(mov, Register.R3, Register.R0, 0, size));
        program.Add(new(mov, Register.R4, Register.R0, 0, (int)flags));
        program.Add(new(Opcodes.Call, Register.R0, Register.R0, 0, 130)); // bpf_ringbuf_output
        program.Add(new(Opcodes.Exit, Register.R0, Register.R0, 0, 0));
        int fd = KernelBpf.Load(program.ToArray(), KernelBpf.SocketFilter, out string refusal);
        Assert.True(fd >= 0, refusal);
        return fd;
    }
}
