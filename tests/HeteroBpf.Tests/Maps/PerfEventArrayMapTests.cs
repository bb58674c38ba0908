using System.Buffers.Binary;
using HeteroBpf.Isa;
using HeteroBpf.KernelOracle;
using HeteroBpf.Maps;

namespace HeteroBpf.Tests.Maps;

/// <summary>
/// BPF_MAP_TYPE_PERF_EVENT_ARRAY: creation rules, element commands and <c>bpf_perf_event_output</c>'s errors with no
/// reader attached against the kernel's; records through attached readers.
/// </summary>
public sealed unsafe class PerfEventArrayMapTests
{
    private static MapSpec Spec(uint maxEntries, MapFlags flags = MapFlags.None, uint keySize = 4, uint valueSize = 4) =>
        new() { Name = "events", Type = MapType.PerfEventArray, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries, Flags = flags };

    private static PerfEventArrayMap Create(uint maxEntries) => (PerfEventArrayMap)BpfMap.Create(Spec(maxEntries));

    public static TheoryData<string, uint, uint, uint, MapFlags, ErrorCode> Refused() => new()
    {
        { "value 8", 4, 8, 4, MapFlags.None, ErrorCode.MapValueSizeInvalid },
        { "value 0", 4, 0, 4, MapFlags.None, ErrorCode.MapValueSizeInvalid },
        { "key 8", 8, 4, 4, MapFlags.None, ErrorCode.MapKeySizeInvalid },
        { "max 0", 4, 4, 0, MapFlags.None, ErrorCode.MapMaxEntriesInvalid },
        { "mmapable", 4, 4, 4, MapFlags.Mmapable, ErrorCode.MapFlagsInvalid },
        { "inner map", 4, 4, 4, MapFlags.InnerMap, ErrorCode.MapFlagsInvalid },
        { "no-prealloc", 4, 4, 4, MapFlags.NoPrealloc, ErrorCode.MapFlagsInvalid },
        { "rdonly prog", 4, 4, 4, MapFlags.ReadOnlyProg, ErrorCode.MapFlagsInvalid },
        { "wronly prog", 4, 4, 4, MapFlags.WriteOnlyProg, ErrorCode.MapFlagsInvalid },
        { "value before flags", 4, 8, 4, MapFlags.ReadOnlyProg, ErrorCode.MapValueSizeInvalid },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void RefusedLikeTheKernel(string name, uint keySize, uint valueSize, uint maxEntries, MapFlags flags, ErrorCode code)
    {
        var e = Assert.Throws<MapSpecException>(() => BpfMap.Create(Spec(maxEntries, flags, keySize, valueSize)));
        Assert.Equal(code, e.Code);
        KernelCreation.AssertRefused(name, MapType.PerfEventArray, keySize, valueSize, maxEntries, flags, e.Errno);
    }

    [Theory]
    [InlineData(1u, MapFlags.None)]
    [InlineData(256u, MapFlags.PreserveElems)]
    [InlineData(4u, MapFlags.NumaNode | MapFlags.ReadOnly)]
    public void AcceptedLikeTheKernel(uint maxEntries, MapFlags flags)
    {
        using (BpfMap.Create(Spec(maxEntries, flags))) { }
        KernelCreation.AssertAccepted(MapType.PerfEventArray, 4, 4, maxEntries, flags);
    }

    [Fact]
    public void ElementCommandsWithoutEventsLikeTheKernel()
    {
        using var both = KernelMap.Create(Spec(4));
        byte[] value = new byte[4];
        byte[] kernelValue = new byte[4];
        foreach (uint k in new uint[] { 0, 3, 4, 100 })
        {
            byte[] key = BitConverter.GetBytes(k);
            Assert.Equal(KernelBpf.Lookup(both.Fd, key, kernelValue), both.Ours.Lookup(key, value));
            foreach (UpdateFlags flags in new[] { UpdateFlags.Any, UpdateFlags.NoExist, UpdateFlags.Exist })
                Assert.Equal(KernelBpf.Update(both.Fd, key, BitConverter.GetBytes(-1), (ulong)flags), both.Ours.Update(key, BitConverter.GetBytes(-1), flags));
            Assert.Equal(KernelBpf.Delete(both.Fd, key), both.Ours.Delete(key));
        }

        foreach (byte[] from in new[] { [], BitConverter.GetBytes(0u), BitConverter.GetBytes(2u), BitConverter.GetBytes(3u), BitConverter.GetBytes(9u) })
        {
            byte[] next = new byte[4];
            byte[] kernelNext = new byte[4];
            Assert.Equal(KernelBpf.GetNextKey(both.Fd, from, kernelNext), both.Ours.GetNextKey(from, next));
            Assert.Equal(kernelNext, next);
        }
    }

    /// <summary>A socket filter calls <c>bpf_perf_event_output</c> on a kernel array with no events; ours, with no readers, must fail alike.</summary>
    [Theory]
    [InlineData(0UL)]
    [InlineData(3UL)]
    [InlineData(4UL)]
    [InlineData(0xffff_fffeUL)]
    [InlineData(PerfEventArrayMap.CurrentCpu)]
    [InlineData(1UL << 60)]
    public void OutputWithoutReaderLikeTheKernel(ulong flags)
    {
        // max_entries 4 with BPF_F_CURRENT_CPU would depend on the CPU the test runs on: give that case room for all.
        uint maxEntries = flags == PerfEventArrayMap.CurrentCpu ? 1024u : 4u;
        using var both = KernelMap.Create(Spec(maxEntries));
        var ours = (PerfEventArrayMap)both.Ours;
        ulong word = 0x1122334455667788;
        long ourResult = ours.Output(flags, (byte*)&word, 8, cpu: 0);

        Instruction[] program =
        [
            new(Opcodes.Lddw, (byte)Register.R3, (byte)0, (short)0, (int)(uint)flags),
            new(0, Register.R0, Register.R0, 0, (int)(uint)(flags >> 32)),
            new(Opcodes.Lddw, (byte)Register.R2, (byte)1, (short)0, both.Fd), // BPF_PSEUDO_MAP_FD
            new(0, Register.R0, Register.R0, 0, 0),
            new((byte)OpClass.St | (byte)MemMode.Mem | (byte)MemSize.DW, Register.R10, Register.R0, -8, 0x55667788),
            new((byte)((byte)OpClass.Alu64 | (byte)AluOp.Mov | (byte)OperandSource.Reg), Register.R4, Register.R10, 0, 0),
            new((byte)OpClass.Alu64 | (byte)AluOp.Add, Register.R4, Register.R0, 0, -8),
            new((byte)OpClass.Alu64 | (byte)AluOp.Mov, Register.R5, Register.R0, 0, 8),
            new(Opcodes.Call, Register.R0, Register.R0, 0, 25), // bpf_perf_event_output (skb variant)
            new(Opcodes.Exit, Register.R0, Register.R0, 0, 0),
        ];
        int prog = KernelBpf.Load(program, KernelBpf.SocketFilter, out string refusal);
        Assert.True(prog >= 0, refusal);
        try
        {
            int kernelResult = (int)KernelBpf.TestRun(prog, new byte[64]);
            Assert.Equal(kernelResult, ourResult);
        }
        finally
        {
            KernelBpf.Close(prog);
        }
    }

    [Fact]
    public void ReadersGetRecordsInOrder()
    {
        using var map = Create(4);
        using var reader = map.OpenReader(2, cpu: 1);
        for (ulong i = 0; i < 5; i++)
        {
            ulong word = i;
            Assert.Equal(0, map.Output(2, (byte*)&word, i == 4 ? 3UL : 8UL, cpu: 1));
        }

        ulong current = 42;
        Assert.Equal(-(long)Errno.ENOENT, map.Output(PerfEventArrayMap.CurrentCpu, (byte*)&current, 8, cpu: 3));
        Assert.Equal(-(long)Errno.EOPNOTSUPP, map.Output(PerfEventArrayMap.CurrentCpu, (byte*)&current, 8, cpu: 2));
        Assert.Equal(-(long)Errno.EOPNOTSUPP, map.Output(2, (byte*)&current, 8, cpu: 0));
        Assert.Equal(-(long)Errno.E2BIG, map.Output(PerfEventArrayMap.CurrentCpu, (byte*)&current, 8, cpu: 7));

        var seen = new List<byte[]>();
        Assert.Equal(5, reader.Consume(d => { seen.Add(d.ToArray()); return 0; }));
        for (int i = 0; i < 4; i++) Assert.Equal((ulong)i, BinaryPrimitives.ReadUInt64LittleEndian(seen[i]));
        Assert.Equal([4, 0, 0], seen[4]);
        Assert.Equal(0, reader.Consume(_ => 0));
    }

    [Fact]
    public void FullBufferLosesRecordsAndDetachedReadersGetNothing()
    {
        using var map = Create(2);
        var reader = map.OpenReader(0, bytes: 64);
        byte* data = stackalloc byte[20];
        // Each record takes 8 + round_up(20 + 4, 8) = 32 bytes: two fit in 64.
        Assert.Equal(0, map.Output(0, data, 20, cpu: 0));
        Assert.Equal(0, map.Output(0, data, 20, cpu: 0));
        Assert.Equal(-(long)Errno.ENOSPC, map.Output(0, data, 20, cpu: 0));
        Assert.Equal(1, reader.Lost);
        Assert.Equal(2, reader.Consume(_ => 0));
        // Space comes back as records are read, across the end of the buffer.
        for (int i = 0; i < 5; i++)
        {
            data[0] = (byte)i;
            Assert.Equal(0, map.Output(0, data, 20, cpu: 0));
            Assert.Equal(1, reader.Consume(d => d[0] == i ? 0 : -1));
        }

        Assert.Equal(Errno.Ok, map.Delete(BitConverter.GetBytes(0)));
        Assert.True(reader.IsDetached);
        Assert.Equal(-(long)Errno.ENOENT, map.Output(0, data, 20, cpu: 0));
        Assert.Equal(Errno.ENOENT, map.Delete(BitConverter.GetBytes(0)));

        var first = map.OpenReader(1);
        var second = map.OpenReader(1);
        Assert.True(first.IsDetached, "a new reader at the same index replaces the old one");
        second.Dispose();
        Assert.Equal(-(long)Errno.ENOENT, map.Output(1, data, 20, cpu: 1));
    }

    [Fact]
    public void OutputDoesNotAllocate()
    {
        using var map = Create(1);
        using var reader = map.OpenReader(0, bytes: 1 << 20);
        ulong word = 1;
        map.Output(0, (byte*)&word, 8, 0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) map.Output(0, (byte*)&word, 8, 0);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
