using System.Buffers.Binary;

namespace HeteroBpf.Tests;

/// <summary>The byte-level mutations the parsers' mutation tests share; each format adds its own header-word corruption.</summary>
internal static class Mutator
{
    /// <summary>
    /// One to three mutations of <paramref name="seed"/>: a bit flip, a random byte, a truncation, inserted bytes, a
    /// deleted run, or (two times in seven) <paramref name="corruptWord"/>, the format's own length/offset damage.
    /// </summary>
    public static byte[] Mutate(byte[] seed, Random random, Action<List<byte>, Random> corruptWord)
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
                case 4 or 5:
                    corruptWord(data, random);
                    break;
                default:
                    int from = random.Next(data.Count);
                    data.RemoveRange(from, Math.Min(data.Count - from, 1 + random.Next(12)));
                    break;
            }
        }

        return [.. data];
    }

    /// <summary>Overwrites the 4 bytes at <paramref name="at"/> (when they exist) with <paramref name="value"/>.</summary>
    public static void WriteWord(List<byte> data, int at, uint value, bool bigEndian = false)
    {
        if (at < 0 || at + 4 > data.Count) return;
        Span<byte> word = stackalloc byte[4];
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(word, value);
        else BinaryPrimitives.WriteUInt32LittleEndian(word, value);
        for (int i = 0; i < 4; i++) data[at + i] = word[i];
    }
}
