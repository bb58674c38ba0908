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

    /// <summary>One to three mutations (<see cref="Mutator"/>), the format's own being a corrupted length/offset or type-info word.</summary>
    private static byte[] Mutate(byte[] seed, Random random) => Mutator.Mutate(seed, random, (data, r) =>
    {
        // A header word (hdr_len or one of the offset/length pairs), or any aligned word: likely a type's info (kind,
        // vlen), size/type, or a string offset.
        int at = r.Next(2) == 0 ? 4 * (1 + r.Next(7)) : 4 * r.Next(Math.Max(1, data.Count / 4));
        Mutator.WriteWord(data, at, Corrupt(r));
    });

    private static uint Corrupt(Random random) => random.Next(5) switch
    {
        0 => 0,
        1 => uint.MaxValue - (uint)random.Next(16),
        2 => (uint)random.Next(64),
        3 => (uint)random.Next(20) << 24 | (uint)random.Next(8),
        _ => (uint)random.NextInt64(0, 1L << 32),
    };
}
