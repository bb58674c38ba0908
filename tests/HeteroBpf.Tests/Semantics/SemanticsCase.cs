using System.Globalization;
using System.Text;

namespace HeteroBpf.Tests.Semantics;

/// <summary>One case of the semantics table (<c>tests/data/semantics/*.data</c>): a program, its input memory, and the R0 or fault it must give.</summary>
public sealed record SemanticsCase(
    string Id,
    string Name,
    string Asm,
    byte[] Memory,
    ulong? Result,
    string? ErrorPattern,
    IReadOnlyDictionary<string, string> Skips)
{
    /// <summary>Every case of every table file, by id (<c>file.data:line name</c>).</summary>
    public static IReadOnlyDictionary<string, SemanticsCase> All { get; } = LoadAll();

    private static Dictionary<string, SemanticsCase> LoadAll()
    {
        var cases = new Dictionary<string, SemanticsCase>(StringComparer.Ordinal);
        foreach (string file in RepoPaths.Glob(Path.Combine(RepoPaths.Data, "semantics"), "*.data"))
        {
            foreach (var c in Parse(File.ReadAllLines(file), Path.GetFileName(file)))
            {
                if (!cases.TryAdd(c.Id, c)) throw new InvalidDataException($"{c.Id}: duplicate case id");
            }
        }

        return cases;
    }

    /// <summary>Parses one table file; a malformed file is an error naming its line, never a silently skipped case.</summary>
    public static List<SemanticsCase> Parse(string[] lines, string fileName)
    {
        var result = new List<SemanticsCase>();
        Builder? current = null;
        string? section = null;

        void Finish()
        {
            if (current is null) return;
            result.Add(current.Build(fileName, result.Count == 0 && current.Name is null && lines.Count(l => l.StartsWith("-- asm", StringComparison.Ordinal)) == 1));
            current = null;
        }

        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            int lineNo = i + 1;
            if (line.StartsWith("-- ", StringComparison.Ordinal))
            {
                string header = line[3..].Trim();
                if (header.StartsWith("case", StringComparison.Ordinal))
                {
                    Finish();
                    current = new Builder(lineNo) { Name = header[4..].Trim() };
                    section = null;
                    continue;
                }

                if (header == "asm")
                {
                    if (current is null || current.AsmSeen) Finish();
                    current ??= new Builder(lineNo);
                    current.AsmSeen = true;
                    section = "asm";
                    continue;
                }

                if (current is null) throw Error(fileName, lineNo, $"'{line}' before any '-- asm' or '-- case'");
                if (header.StartsWith("skip ", StringComparison.Ordinal))
                {
                    string rest = header[5..];
                    int colon = rest.IndexOf(':', StringComparison.Ordinal);
                    if (colon <= 0 || string.IsNullOrWhiteSpace(rest[(colon + 1)..])) throw Error(fileName, lineNo, "'-- skip DEVICE: reason' needs a device and a reason");
                    current.Skips[rest[..colon].Trim()] = rest[(colon + 1)..].Trim();
                    section = null;
                    continue;
                }

                section = header switch
                {
                    "mem" => "mem",
                    "result" => "result",
                    "error pattern" or "error" => "error",
                    _ => throw Error(fileName, lineNo, $"unknown section '{line}'"),
                };
                continue;
            }

            if (section is null)
            {
                if (line.Length == 0 || line.StartsWith('#')) continue;
                throw Error(fileName, lineNo, $"text outside any section: '{line}'");
            }

            if (section == "asm")
            {
                current!.Asm.AppendLine(line);
                continue;
            }

            string text = StripComment(line).Trim();
            if (text.Length == 0) continue;
            switch (section)
            {
                case "mem":
                    current!.Mem.Append(' ').Append(text);
                    break;
                case "result":
                    if (current!.Result is not null) throw Error(fileName, lineNo, "a second result line");
                    current.Result = ParseResult(text) ?? throw Error(fileName, lineNo, $"result '{text}' is not a number");
                    break;
                case "error":
                    if (current!.ErrorPattern is not null) throw Error(fileName, lineNo, "a second error pattern line");
                    current.ErrorPattern = line.Trim();
                    break;
            }
        }

        Finish();
        return result;
    }

    private static string StripComment(string line)
    {
        int hash = line.IndexOf('#', StringComparison.Ordinal);
        return hash >= 0 ? line[..hash] : line;
    }

    private static ulong? ParseResult(string text)
    {
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return ulong.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong hex) ? hex : null;
        }

        if (text.StartsWith('-')) return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long neg) ? (ulong)neg : null;
        return ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong dec) ? dec : null;
    }

    private static InvalidDataException Error(string file, int line, string reason) => new($"{file}:{line}: {reason}");

    private sealed class Builder(int line)
    {
        public int Line { get; } = line;
        public string? Name { get; set; }
        public bool AsmSeen { get; set; }
        public StringBuilder Asm { get; } = new();
        public StringBuilder Mem { get; } = new();
        public ulong? Result { get; set; }
        public string? ErrorPattern { get; set; }
        public Dictionary<string, string> Skips { get; } = new(StringComparer.Ordinal);

        public SemanticsCase Build(string file, bool wholeFile)
        {
            string name = Name ?? (wholeFile ? Path.GetFileNameWithoutExtension(file) : $"case@{Line}");
            if (!AsmSeen) throw Error(file, Line, $"case '{name}' has no '-- asm' section");
            if ((Result is null) == (ErrorPattern is null)) throw Error(file, Line, $"case '{name}' needs exactly one of '-- result' and '-- error pattern'");
            byte[] mem = Convert.FromHexString(string.Concat(Mem.ToString().Where(c => !char.IsWhiteSpace(c))));
            return new SemanticsCase($"{file}:{Line} {name}", name, Asm.ToString(), mem, Result, ErrorPattern, Skips);
        }
    }
}
