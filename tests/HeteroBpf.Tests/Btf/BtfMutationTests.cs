using System.Buffers.Binary;
using HeteroBpf.Btf;

namespace HeteroBpf.Tests.Btf;

/// <summary>Fixed-seed mutations of real fixture blobs: every input parses or raises <see cref="HbpfException"/>, never anything else.</summary>
public sealed class BtfMutationTests
{
    private const int Inputs = 100_000;

    [Fact]
    public void MutatedBlobsParseOrFailCleanly()
    {
        var seeds = BtfFixtures.Objects.Select(o => BtfFixtures.Get(Path.GetFileName(o))).ToArray();
        var specs = seeds.Select(s => BtfSpec.Parse(s.Btf)).ToArray();
        var random = new Random(20261202);
        int parsed = 0, failed = 0;
        for (int n = 0; n < Inputs; n++)
        {
            int seed = random.Next(seeds.Length);
            var (btf, ext) = seeds[seed];
            bool mutateExt = random.Next(4) == 0;
            byte[] input = Mutate(mutateExt ? ext : btf, random);
            try
            {
                if (mutateExt)
                {
                    var parsedExt = BtfExtSpec.Parse(input, specs[seed]);
                    foreach (string section in parsedExt.LineInfos.Keys) parsedExt.GetLineTable(section).TryFind(random.Next(64), out _);
                }
                else
                {
                    BtfFuzz.Exercise(BtfSpec.Parse(input));
                }

                parsed++;
            }
            catch (HbpfException)
            {
                failed++;
            }
            catch (Exception e)
            {
                Assert.Fail($"input {n} ({(mutateExt ? ".BTF.ext" : ".BTF")}, {input.Length} bytes, {Convert.ToHexString(input)}): {e}");
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{Inputs} mutated inputs: {parsed} parsed, {failed} raised HbpfException");
        // Both outcomes must be common, or the mutations are too mild or too destructive to test anything.
        Assert.True(parsed > Inputs / 20 && failed > Inputs / 20, $"{parsed} parsed, {failed} failed");
    }

    [Fact]
    public void FuzzEntryPointsAcceptAnything()
    {
        var random = new Random(7);
        var (btf, ext) = BtfFixtures.Get("btf_kinds-v4.o");
        byte[] both = new byte[4 + btf.Length + ext.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(both, (uint)btf.Length);
        btf.CopyTo(both, 4);
        ext.CopyTo(both, 4 + btf.Length);
        for (int n = 0; n < 2_000; n++)
        {
            BtfFuzz.FuzzBtf(Mutate(btf, random));
            BtfFuzz.FuzzBtfExt(Mutate(both, random));
        }

        BtfFuzz.FuzzBtf([]);
        BtfFuzz.FuzzBtfExt([1, 2]);
    }

    /// <summary>One to three mutations: bit flips, random bytes, truncation, inserted garbage, corrupted length/offset or type-info words.</summary>
    private static byte[] Mutate(byte[] seed, Random random)
    {
        var data = new List<byte>(seed);
        int count = 1 + random.Next(3);
        for (int k = 0; k < count && data.Count > 0; k++)
        {
            switch (random.Next(7))
            {
                case 0:
                    int bit = random.Next(data.Count * 8);
                    data[bit / 8] ^= (byte)(1 << (bit % 8));
                    break;
                case 1:
                    data[random.Next(data.Count)] = (byte)random.Next(256);
                    break;
                case 2:
                    int cut = random.Next(data.Count);
                    data.RemoveRange(cut, data.Count - cut);
                    break;
                case 3:
                    data.InsertRange(random.Next(data.Count), Enumerable.Range(0, 1 + random.Next(16)).Select(_ => (byte)random.Next(256)));
                    break;
                case 4:
                    // A header word: hdr_len or one of the offset/length pairs.
                    WriteWord(data, 4 * (1 + random.Next(7)), Corrupt(random));
                    break;
                case 5:
                    // Any aligned word, likely a type's info (kind, vlen), size/type, or a string offset.
                    WriteWord(data, 4 * random.Next(Math.Max(1, data.Count / 4)), Corrupt(random));
                    break;
                default:
                    int at = random.Next(data.Count);
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(12)));
                    break;
            }
        }

        return [.. data];
    }

    private static uint Corrupt(Random random) => random.Next(5) switch
    {
        0 => 0,
        1 => uint.MaxValue - (uint)random.Next(16),
        2 => (uint)random.Next(64),
        3 => (uint)random.Next(20) << 24 | (uint)random.Next(8),
        _ => (uint)random.NextInt64(0, 1L << 32),
    };

    private static void WriteWord(List<byte> data, int at, uint value)
    {
        if (at + 4 > data.Count) return;
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(word, value);
        for (int i = 0; i < 4; i++) data[at + i] = word[i];
    }
}
