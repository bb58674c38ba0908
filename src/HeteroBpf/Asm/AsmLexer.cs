namespace HeteroBpf.Asm;

/// <summary>Kinds of assembler tokens.</summary>
internal enum TokenKind : byte
{
    /// <summary>A name: register, mnemonic, size or label.</summary>
    Identifier,
    /// <summary>An unsigned decimal or 0x-hex number (the parser applies signs).</summary>
    Number,
    /// <summary>An operator or punctuation mark.</summary>
    Punctuation,
}

/// <summary>One token with its 1-based column in the source line.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Column, ulong Value)
{
    /// <summary>How the token reads in an error message.</summary>
    public string Describe() => $"'{Text}'";
}

/// <summary>Splits one line of assembler text (comment already removed) into tokens.</summary>
internal static class AsmLexer
{
    // Longest first, so "s>>=" wins over "s>>" prefixes and "<<=" over "<".
    private static readonly string[] Operators =
    [
        "s>>=", "<<=", ">>=", "s/=", "s%=", "s>=", "s<=", "s>", "s<", "==", "!=", ">=", "<=", "+=", "-=", "*=", "/=",
        "|=", "&=", "%=", "^=", ">", "<", "=", "&", "(", ")", "[", "]", "*", ",", "+", "-", ":",
    ];

    /// <summary>Tokenizes <paramref name="text"/>, whose first character is at column <paramref name="firstColumn"/>.</summary>
    public static List<Token> Tokenize(string text, int firstColumn, SourceLine line)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            int column = firstColumn + i;
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsAsciiDigit(c))
            {
                int start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
                string word = text[start..i];
                tokens.Add(new Token(TokenKind.Number, word, column, ParseNumber(word, column, line)));
            }
            else if (c == 's' && i + 1 < text.Length && text[i + 1] is '>' or '<' or '/' or '%')
            {
                // Signed operators start with a letter: "s>", "s<=", "s/=", "s%=", "s>>=".
                tokens.Add(MatchOperator(text, ref i, column, line));
            }
            else if (IsNameStart(c))
            {
                int start = i;
                while (i < text.Length && IsNamePart(text[i])) i++;
                tokens.Add(new Token(TokenKind.Identifier, text[start..i], column, 0));
            }
            else
            {
                tokens.Add(MatchOperator(text, ref i, column, line));
            }
        }

        return tokens;
    }

    /// <summary>True for the first character of a label or mnemonic.</summary>
    public static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c is '_' or '.' or '$';

    /// <summary>True for a later character of a label or mnemonic.</summary>
    public static bool IsNamePart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '$';

    private static Token MatchOperator(string text, ref int i, int column, SourceLine line)
    {
        foreach (string op in Operators)
        {
            if (string.CompareOrdinal(text, i, op, 0, op.Length) == 0)
            {
                i += op.Length;
                return new Token(TokenKind.Punctuation, op, column, 0);
            }
        }

        throw line.Fail(column, $"unexpected character '{text[i]}'");
    }

    private static ulong ParseNumber(string word, int column, SourceLine line)
    {
        bool hex = word.Length > 2 && word[0] == '0' && word[1] is 'x' or 'X';
        uint radix = hex ? 16u : 10u;
        ulong value = 0;
        foreach (char d in hex ? word.AsSpan(2) : word.AsSpan())
        {
            uint digit = char.IsAsciiDigit(d) ? (uint)(d - '0') : hex && char.IsAsciiHexDigit(d) ? (uint)((d | 0x20) - 'a' + 10) : uint.MaxValue;
            if (digit == uint.MaxValue) throw line.Fail(column, $"'{word}' is not a number");
            if (value > (ulong.MaxValue - digit) / radix) throw line.Fail(column, $"{word} does not fit in 64 bits", ErrorCode.AsmOutOfRange);
            value = value * radix + digit;
        }

        return value;
    }
}
