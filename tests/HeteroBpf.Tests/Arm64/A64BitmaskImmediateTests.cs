using HeteroBpf.Jit.Arm64;

namespace HeteroBpf.Tests.Arm64;

/// <summary>
/// The logical-immediate encoder against a brute-force enumeration of every <c>(N, immr, imms)</c> field decoded by the
/// ARM ARM's <c>DecodeBitMasks</c> (re-written here from the pseudocode): every encodable pattern round-trips, and
/// every other value tried (neighbours of each pattern and a fixed-seed random million) is refused.
/// </summary>
public sealed class A64BitmaskImmediateTests
{
    /// <summary>DecodeBitMasks(N, imms, immr, immediate = true) → wmask, or null for a reserved field.</summary>
    private static ulong? Decode(uint n, uint immr, uint imms, int datasize)
    {
        uint combined = (n << 6) | (~imms & 0x3f);
        if (combined == 0) return null;
        int len = 31 - System.Numerics.BitOperations.LeadingZeroCount(combined);
        if (len < 1) return null;
        if (datasize == 32 && n == 1) return null;
        uint levels = (1u << len) - 1;
        if ((imms & levels) == levels) return null;
        int s = (int)(imms & levels), r = (int)(immr & levels), esize = 1 << len;
        ulong emask = esize == 64 ? ulong.MaxValue : (1UL << esize) - 1;
        ulong welem = s + 1 == 64 ? ulong.MaxValue : (1UL << (s + 1)) - 1;
        ulong rotated = r == 0 ? welem : ((welem >> r) | (welem << (esize - r))) & emask;
        ulong result = 0;
        for (int i = 0; i < datasize; i += esize) result |= rotated << i;
        return datasize == 32 ? result & uint.MaxValue : result;
    }

    private static Dictionary<ulong, int> Enumerate(int datasize)
    {
        var values = new Dictionary<ulong, int>();
        for (uint n = 0; n < 2; n++)
            for (uint immr = 0; immr < 64; immr++)
                for (uint imms = 0; imms < 64; imms++)
                    if (Decode(n, immr, imms, datasize) is ulong v) values[v] = values.GetValueOrDefault(v) + 1;
        return values;
    }

    [Theory]
    [InlineData(64, 5334)]
    [InlineData(32, 1302)]
    public void EveryEncodablePatternRoundTrips(int datasize, int expectedCount)
    {
        var width = datasize == 64 ? A64Width.X64 : A64Width.W32;
        var all = Enumerate(datasize);
        Assert.Equal(expectedCount, all.Count);
        foreach (ulong v in all.Keys)
        {
            Assert.True(A64BitmaskImmediate.TryEncode(v, width, out uint field), $"0x{v:x} is encodable ({datasize}-bit) but was refused");
            Assert.True(field < 1u << 13, $"0x{v:x}: field 0x{field:x} wider than N:immr:imms");
            ulong? back = Decode(field >> 12, (field >> 6) & 0x3f, field & 0x3f, datasize);
            Assert.True(back == v, $"0x{v:x} encoded as 0x{field:x}, which decodes to {(back is ulong b ? $"0x{b:x}" : "a reserved field")}");
        }
    }

    [Theory]
    [InlineData(64)]
    [InlineData(32)]
    public void EveryOtherValueIsRefused(int datasize)
    {
        var width = datasize == 64 ? A64Width.X64 : A64Width.W32;
        ulong mask = datasize == 64 ? ulong.MaxValue : uint.MaxValue;
        var all = Enumerate(datasize);
        var tried = new HashSet<ulong> { 0, mask, 0x1234, 0xdeadbeef, 0x0000_ffff_0000_fffe & mask, 0x5 };
        foreach (ulong v in all.Keys)
            foreach (ulong x in new[] { v + 1, v - 1, v ^ 1, v ^ (1UL << (datasize - 1)), v ^ 0x10, v * 3, v >> 1, v << 1 | 1 })
                tried.Add(x & mask);
        var random = new Random(20261204);
        for (int i = 0; i < 1_000_000; i++) tried.Add((ulong)random.NextInt64() & mask);

        int refused = 0;
        foreach (ulong x in tried)
        {
            bool ours = A64BitmaskImmediate.TryEncode(x, width, out _);
            Assert.True(ours == all.ContainsKey(x), $"0x{x:x} ({datasize}-bit): encoder says {ours}, enumeration says {all.ContainsKey(x)}");
            if (!ours) refused++;
        }
        Assert.True(refused > 900_000, $"only {refused} refusals tried");
    }

    [Fact]
    public void ThirtyTwoBitRefusesBitsAbove31()
    {
        Assert.True(A64BitmaskImmediate.IsEncodable(0xff, A64Width.W32));
        Assert.False(A64BitmaskImmediate.IsEncodable(0x1_0000_00ff, A64Width.W32));
        Assert.False(A64BitmaskImmediate.IsEncodable(0x0000_00ff_0000_00ff, A64Width.W32)); // encodable as 64-bit only
        Assert.True(A64BitmaskImmediate.IsEncodable(0x0000_00ff_0000_00ff, A64Width.X64));
    }
}
