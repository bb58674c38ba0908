using System.Buffers.Binary;
using HeteroBpf.Capture;

namespace HeteroBpf.Tests.Capture;

/// <summary>Fixed-seed mutations of the committed captures: each reads to its end or raises <see cref="CaptureFormatException"/>, never anything else, never forever.</summary>
public sealed class CaptureMutationTests
{
    private const int Inputs = 20_000;

    [Fact]
    public void MutatedCapturesReadOrFailCleanly()
    {
        var seeds = CaptureFiles.Names.Select(CaptureFiles.Bytes).ToArray();
        // Record and block starts: where length fields sit, so edits there hit lengths rather than payload.
        var starts = seeds.Select(s => CaptureFiles.ReadAll(s).Select(p => p.Offset).ToArray()).ToArray();
        var random = new Random(20261204);
        int clean = 0, failed = 0;
        long packets = 0;
        for (int n = 0; n < Inputs; n++)
        {
            int seed = random.Next(seeds.Length);
            byte[] input = Mutate(seeds[seed], starts[seed], random);
            try
            {
                using var reader = CaptureReader.FromBytes(input);
                int read = 0;
                while (reader.TryRead(out var p))
                {
                    // Every record or block is at least 12 bytes, so more packets than that means a reader going round.
                    Assert.True(++read <= (input.Length / 12) + 1, $"input {n}: {read} packets from {input.Length} bytes");
                    Assert.True(p.Offset >= 0 && p.Offset < input.Length && p.InterfaceIndex < reader.Interfaces.Count);
                }

                packets += read;
                clean++;
            }
            catch (CaptureFormatException e)
            {
                Assert.True(e.Offset >= 0 && e.Offset <= input.Length, $"input {n}: offset {e.Offset} outside {input.Length} bytes");
                failed++;
            }
            catch (Exception e) when (e is not Xunit.Sdk.IAssertionException)
            {
                Assert.Fail($"input {n} ({input.Length} bytes, {Convert.ToHexString(input)}): {e}");
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{Inputs} mutated captures: {clean} read to the end ({packets} packets), {failed} raised CaptureFormatException");
        // Both outcomes must be common, or the mutations are too mild or too destructive to test anything.
        Assert.True(clean > Inputs / 20 && failed > Inputs / 20, $"{clean} clean, {failed} failed");
    }

    [Fact]
    public void FuzzEntryPointAcceptsAnything()
    {
        var random = new Random(8);
        foreach (string name in CaptureFiles.Names)
        {
            byte[] seed = CaptureFiles.Bytes(name);
            long[] starts = [.. CaptureFiles.ReadAll(seed).Select(p => p.Offset)];
            for (int n = 0; n < 200; n++) CaptureFuzz.FuzzCapture(Mutate(seed, starts, random));
        }

        CaptureFuzz.FuzzCapture([]);
        CaptureFuzz.FuzzCapture([0x0a, 0x0d, 0x0d, 0x0a]);
    }

    /// <summary>One to three mutations (<see cref="Mutator"/>), the format's own being a corrupted record or block header word.</summary>
    private static byte[] Mutate(byte[] seed, long[] starts, Random random) => Mutator.Mutate(seed, random, (data, r) =>
    {
        // A word of a record or block header: pcap lengths at +8/+12, pcapng total length at +4, interface at +8, captured/original at +20/+24.
        long at = starts.Length > 0 ? starts[r.Next(starts.Length)] + (4 * r.Next(7)) : 4 * r.Next(Math.Max(1, data.Count / 4));
        Mutator.WriteWord(data, (int)at, Corrupt(r), bigEndian: r.Next(2) == 0);
    });

    private static uint Corrupt(Random random) => random.Next(5) switch
    {
        0 => 0,
        1 => uint.MaxValue - (uint)random.Next(16),
        2 => (uint)random.Next(128),
        3 => 0x7FFF_FFFC + (uint)random.Next(8),
        _ => (uint)random.NextInt64(0, 1L << 32),
    };
}
