using System.Buffers.Binary;
using HeteroBpf.Elf;
using HeteroBpf.Helpers;
using HeteroBpf.KernelOracle;
using HeteroBpf.Offload;
using HeteroBpf.Tests.Kernel;

namespace HeteroBpf.Tests.Helpers;

/// <summary><c>bpf_csum_diff</c>: size rules, and the kernel (an XDP program over a map value) as oracle for the sums.</summary>
public sealed class ChecksumHelpersTests
{
    private const int FromAt = 16, ToAt = 16 + 256, ResultAt = 16 + 512;

    private static unsafe ulong Call(byte[] from, uint fromSize, byte[] to, uint toSize, uint seed)
    {
        Assert.True(HelperRegistry.Basic.TryGet((int)HelperId.CsumDiff, out var helper));
        fixed (byte* f = from)
        fixed (byte* t = to)
        {
            var memory = new MemoryMap();
            memory.Add(from, RegionKind.Stack);
            memory.Add(to, RegionKind.Stack);
            var call = new HelperCall { R1 = (ulong)f, R2 = fromSize, R3 = (ulong)t, R4 = toSize, R5 = seed, Memory = memory };
            return helper(ref call);
        }
    }

    [Fact]
    public void SumsWordsWithEndAroundCarryFoldedTo16Bits()
    {
        byte[] to = [0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00];
        // 0xffffffff + 2 + seed 1 = 0x00000003 after the carry wraps around.
        Assert.Equal(3ul, Call([], 0, to, 8, 1));
        // 0x12345678 → 0x1234 + 0x5678.
        Assert.Equal(0x68acul, Call([], 0, [0x78, 0x56, 0x34, 0x12], 4, 0));
        // A tail shorter than a word is zero-padded: 0x00005678 + 0x00000012.
        Assert.Equal(0x568aul, Call([], 0, [0x78, 0x56, 0x12], 3, 0));
        // Diffing equal data gives the seed back (folded); no data at all gives the seed.
        Assert.Equal(0x0003ul, Call([2, 0, 0, 0], 4, [2, 0, 0, 0], 4, 0x00010002));
        Assert.Equal(0x0003ul, Call([], 0, [], 0, 0x00010002));
    }

    [Theory]
    [InlineData("helpers-v2.o")]
    [InlineData("helpers-v3.o")]
    [InlineData("helpers-v4.o")]
    public void MatchesTheKernel(string fixture)
    {
        if (KernelBpf.UnavailableReason is { } unavailable) Assert.Skip(unavailable);
        var obj = ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture));
        using var ours = BpfCollection.Load(obj);
        using var kernel = KernelObject.Open(obj);
        int fd = kernel.LoadProgramOrSkip("csum");

        var random = new Random(28);
        var map = ours.Map("csum_cases");
        int kernelMap = kernel.MapFd("csum_cases");
        var key = new byte[4];
        var packet = new byte[64];
        var failures = new List<string>();
        for (int i = 0; i < 300; i++)
        {
            var value = new byte[map.ValueSize];
            random.NextBytes(value.AsSpan(FromAt, 512));
            uint fromSize = (uint)(random.Next(5) == 0 ? random.Next(256) : random.Next(64) * 4);
            uint toSize = (uint)(random.Next(5) == 0 ? random.Next(256) : random.Next(64) * 4);
            if (i % 25 == 0) (fromSize, toSize) = (0, 0);
            if (i % 10 == 0) fromSize = 0;
            if (i % 10 == 5) toSize = 0;
            if (i % 7 == 0) value.AsSpan(FromAt, 512).Fill(0xff);
            BinaryPrimitives.WriteUInt32LittleEndian(value.AsSpan(0), fromSize);
            BinaryPrimitives.WriteUInt32LittleEndian(value.AsSpan(4), toSize);
            BinaryPrimitives.WriteUInt32LittleEndian(value.AsSpan(8), (uint)random.Next() * (i % 4 == 0 ? 0u : 1u));
            Assert.Equal(Errno.Ok, map.Update(key, value, UpdateFlags.Any));
            Assert.Equal(Errno.Ok, KernelBpf.Update(kernelMap, key, value, 0));

            Assert.Equal(2u, KernelBpf.TestRun(fd, packet));
            Assert.Equal(2ul, ours.Program("csum").Run(packet).ReturnValue);

            var expected = new byte[map.ValueSize];
            var actual = new byte[map.ValueSize];
            Assert.Equal(Errno.Ok, KernelBpf.Lookup(kernelMap, key, expected));
            Assert.Equal(Errno.Ok, map.Lookup(key, actual));
            long want = BinaryPrimitives.ReadInt64LittleEndian(expected.AsSpan(ResultAt));
            long got = BinaryPrimitives.ReadInt64LittleEndian(actual.AsSpan(ResultAt));
            if (want != got) failures.Add($"case {i}: from {fromSize} to {toSize} seed {BinaryPrimitives.ReadUInt32LittleEndian(value.AsSpan(8)):x}: kernel 0x{want:x}, we 0x{got:x}");
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of 300 differ:\n{string.Join("\n", failures.Take(20))}");
    }
}
