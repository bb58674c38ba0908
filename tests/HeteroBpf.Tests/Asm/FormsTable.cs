using HeteroBpf.Isa;

namespace HeteroBpf.Tests.Asm;

/// <summary>One line of <c>tests/data/disasm/forms.txt</c>: the bytes of one instruction and its text.</summary>
public sealed record FormCase(string Id, int Line, byte[] Bytes, string Text, bool Alu32)
{
    /// <summary>The bytes as slots (two for <c>lddw</c>).</summary>
    public Instruction[] Slots => Instruction.Cast(Bytes).ToArray();
}

/// <summary>Reads <c>tests/data/disasm/forms.txt</c> (<c>HEX BYTES | TEXT [| alu32]</c>).</summary>
public static class FormsTable
{
    /// <summary>Every case, in file order.</summary>
    public static IReadOnlyList<FormCase> All { get; } = Load();

    private static List<FormCase> Load()
    {
        string[] lines = File.ReadAllLines(Path.Combine(RepoPaths.Data, "disasm", "forms.txt"));
        var cases = new List<FormCase>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0 || line.StartsWith('#')) continue;

            // The text itself may hold '|' (as in "|="), never " | ".
            int bar = line.IndexOf(" | ", StringComparison.Ordinal);
            if (bar < 0) throw new InvalidDataException($"forms.txt:{i + 1}: expected 'HEX BYTES | TEXT [| alu32]'");
            string text = line[(bar + 3)..];
            bool alu32 = text.EndsWith(" | alu32", StringComparison.Ordinal);
            if (alu32) text = text[..^" | alu32".Length];
            byte[] bytes = Convert.FromHexString(line[..bar].Replace(" ", "", StringComparison.Ordinal));
            if (bytes.Length is not (8 or 16)) throw new InvalidDataException($"forms.txt:{i + 1}: {bytes.Length} bytes, expected 8 or 16");
            cases.Add(new FormCase($"forms.txt:{i + 1} {text}", i + 1, bytes, text, alu32));
        }

        Assert.True(cases.Count > 0, "forms.txt has no case");
        return cases;
    }
}
