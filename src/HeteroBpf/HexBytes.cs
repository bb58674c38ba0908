using System.Globalization;

namespace HeteroBpf;

/// <summary>Hex text as the conformance suite, <c>--mem</c>, <c>--data</c> and map-set files write it: byte pairs, optionally separated by any whitespace, optional <c>0x</c> prefix.</summary>
public static class HexBytes
{
    /// <summary>Parses <paramref name="text"/> read from <paramref name="file"/>; the error names the file and <paramref name="what"/>.</summary>
    public static byte[] Parse(string text, string what, string file)
    {
        try
        {
            return Parse(text, what);
        }
        catch (HbpfException e)
        {
            throw e.WithLocation(new BpfLocation { File = file });
        }
    }

    /// <summary>Parses <paramref name="text"/>; <paramref name="what"/> names the input in the error.</summary>
    public static byte[] Parse(string text, string what)
    {
        var bytes = new List<byte>(text.Length / 2);
        int i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
                continue;
            }

            int start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i])) i++;
            var token = text.AsSpan(start, i - start);
            if (token.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) token = token[2..];
            if (token.Length % 2 != 0)
            {
                throw new HbpfException(ErrorCode.BadHex, $"{what}: odd number of hex digits in '{token}' at character {start + 1}");
            }

            for (int j = 0; j < token.Length; j += 2)
            {
                if (!byte.TryParse(token.Slice(j, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
                {
                    throw new HbpfException(ErrorCode.BadHex, $"{what}: '{token.Slice(j, 2)}' at character {start + j + 1} is not a hex byte");
                }

                bytes.Add(b);
            }
        }

        return bytes.ToArray();
    }
}
