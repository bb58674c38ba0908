using System.Buffers.Binary;
using HeteroBpf.Elf;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;
using HeteroBpf.KernelOracle;
using HeteroBpf.Maps;
using HeteroBpf.Offload;
using HeteroBpf.Tests.Kernel;

namespace HeteroBpf.Tests.Offload;

/// <summary>
/// <see cref="BpfCollection"/>: maps made with their contents, map <c>lddw</c> resolved, helpers bound to the maps, and
/// the <c>helpers</c> fixture run side by side with the kernel running the same object in its own maps.
/// </summary>
public sealed class BpfCollectionTests
{
    private static readonly string[] Versions = ["v2", "v3", "v4"];

    public static TheoryData<string> Fixtures() => new(Versions.Select(v => $"helpers-{v}.o"));

    private static ObjectFile Load(string fixture) => ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture));

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void MapLddwBecomesHandlesAndValueAddresses(string fixture)
    {
        var obj = Load(fixture);
        using var collection = BpfCollection.Load(obj);
        Assert.Equal(obj.Maps.Length, collection.Maps.Length);
        var program = collection.Program("map_ops");
        var spec = program.Spec;
        foreach (var reloc in spec.Relocations)
        {
            var insn = program.Instructions[reloc.Slot];
            Assert.Equal((byte)LoadImmKind.Imm64, insn.SrcNumber);
            ulong value = Instruction.WideImmediate(insn, program.Instructions[reloc.Slot + 1]);
            if (reloc.Kind == RelocationKind.Map)
            {
                Assert.Equal(MapHelpers.HandleOf(reloc.Value), value);
            }
            else if (reloc.Kind == RelocationKind.MapValue)
            {
                var (start, _) = collection.Maps[reloc.Value].ValueMemory[0];
                Assert.Equal((ulong)start + (ulong)reloc.Offset, value);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void GlobalDataStartsWithItsInitialValues(string fixture)
    {
        using var collection = BpfCollection.Load(Load(fixture));
        var rodata = collection.Map(".rodata");
        Assert.True(rodata.Spec.Flags.HasFlag(MapFlags.ReadOnlyProg));
        var value = new byte[rodata.ValueSize];
        Assert.Equal(Errno.Ok, rodata.Lookup(new byte[4], value));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(value));
    }

    [Fact]
    public void AnUnknownHelperIsALoadErrorNamingHelperAndSlot()
    {
        var obj = Load("helpers-v3.o");
        var ex = Assert.ThrowsAny<HbpfException>(() => BpfCollection.Load(obj, HelperRegistry.Empty));
        Assert.Equal(ErrorCode.UnknownHelper, ex.Code);
        // The map helpers come with the maps; bpf_csum_diff is what the empty registry lacks.
        Assert.Contains("helper 28 (CsumDiff) is not available", ex.Message, StringComparison.Ordinal);
        var csum = obj.Programs.Single(p => p.Name == "csum");
        int slot = Enumerable.Range(0, csum.Instructions.Length).First(i => csum.Instructions[i].OpCode == Opcodes.Call && csum.Instructions[i].Imm == 28);
        Assert.Equal(slot, ex.Location.Instruction);
        Assert.Equal("xdp", ex.Location.Section);
    }

    [Fact]
    public void AProgramCannotWriteAReadOnlyProgMap()
    {
        // lddw r1, .rodata value; *(u32 *)(r1 + 0) = 1; exit
        var obj = Load("helpers-v3.o");
        int rodata = obj.Maps.Select(m => m.Name).ToList().IndexOf(".rodata");
        var spec = obj.Programs[0] with
        {
            Name = "store",
            Instructions =
            [
                new Instruction(Opcodes.Lddw, (byte)1, (byte)LoadImmKind.MapValueByFd, 0, rodata), new Instruction(0, (byte)0, (byte)0, 0, 0),
                new Instruction(0x62, (byte)1, (byte)0, 0, 1),
                new Instruction(0xb7, (byte)0, (byte)0, 0, 0),
                new Instruction(0x95, (byte)0, (byte)0, 0, 0),
            ],
        };
        using var collection = BpfCollection.Load(obj with { Programs = [spec] });
        var fault = Assert.Throws<BpfFaultException>(() => collection.Programs[0].Run(new byte[64]));
        Assert.Equal(ErrorCode.MemoryFault, fault.Code);
    }

    [Fact]
    public void RunsWithMapHelpersDoNotAllocate()
    {
        using var collection = BpfCollection.Load(Load("helpers-v3.o"));
        var program = collection.Program("map_ops");
        var csum = collection.Program("csum");
        var packet = new byte[64];
        for (int i = 0; i < 20; i++)
        {
            program.Run(packet);
            csum.Run(packet);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++)
        {
            program.Run(packet);
            csum.Run(packet);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void MapHelpersMatchTheKernel(string fixture)
    {
        if (KernelBpf.UnavailableReason is { } unavailable) Assert.Skip(unavailable);
        var obj = Load(fixture);
        using var ours = BpfCollection.Load(obj);
        using var kernel = KernelObject.Open(obj);
        int fd = kernel.LoadProgramOrSkip("map_ops");

        var packet = new byte[64];
        for (int run = 0; run < 40; run++)
        {
            uint expected = KernelBpf.TestRun(fd, packet);
            var result = ours.Program("map_ops").Run(packet);
            Assert.True(expected == (uint)result.ReturnValue, $"run {run}: kernel returned {(int)expected}, we {(int)result.ReturnValue}");
            AssertSameMaps(kernel, ours, run);
        }
    }

    private static void AssertSameMaps(KernelObject kernel, BpfCollection ours, int run)
    {
        foreach (var map in ours.Maps)
        {
            if (map.Type is MapType.Queue or MapType.Stack) continue; // compared destructively at the end of a test
            int fd = kernel.MapFd(map.Spec.Name);
            var key = new byte[map.KeySize];
            for (uint k = 0; k < Math.Max(10u, (uint)map.MaxEntries); k++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(key, k);
                var expected = new byte[map.UserValueSize];
                var actual = new byte[map.UserValueSize];
                var kernelErrno = KernelBpf.Lookup(fd, key, expected);
                var ourErrno = map.Lookup(key, actual);
                Assert.True(kernelErrno == ourErrno, $"run {run}: map '{map.Spec.Name}' key {k}: kernel {kernelErrno}, we {ourErrno}");
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"run {run}: map '{map.Spec.Name}' key {k}: kernel {Convert.ToHexString(expected)}, we {Convert.ToHexString(actual)}");
            }
        }

        foreach (var name in new[] { "fifo", "lifo" })
        {
            var map = (QueueStackMap)ours.Map(name);
            int fd = kernel.MapFd(name);
            var expected = new byte[4];
            var actual = new byte[4];
            Assert.Equal(KernelBpf.Lookup(fd, default, expected), map.Lookup(default, actual));
            Assert.Equal(expected, actual);
        }
    }
}
