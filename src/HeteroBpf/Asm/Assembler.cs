using System.Text.RegularExpressions;
using HeteroBpf.Isa;

namespace HeteroBpf.Asm;

/// <summary>Assembles llvm-objdump's BPF syntax (what <see cref="Disassembler"/> prints) into validated instructions.</summary>
/// <remarks>
/// Accepts labels (<c>name:</c>) as jump, <c>gotol</c>, local-call and <c>ld_pseudo 4</c> targets, relative targets
/// (<c>goto +0x4</c>, <c>goto -2</c>), decimal and hex numbers, <c>#</c>, <c>;</c> and <c>//</c> comments, and pasted
/// llvm-objdump listings: the <c>NN:</c> slot column and the hex-byte column are skipped, symbol headers
/// (<c>0000000000000028 &lt;name&gt;:</c>) become labels, and where llvm's text hides fields the listed bytes win.
/// </remarks>
public static partial class Assembler
{
    [GeneratedRegex(@"\G\s*[0-9a-fA-F]{16}\s+<(?<name>[^<>\s]+)>:\s*$")]
    private static partial Regex SymbolHeader();

    [GeneratedRegex(@"^\s*(Disassembly of section\s|\S+:\s+file format\s)")]
    private static partial Regex ObjdumpBanner();

    [GeneratedRegex(@"\G\s*\d+:(?=\s|$)")]
    private static partial Regex SlotColumn();

    [GeneratedRegex(@"\G\s*(?<byte>[0-9a-fA-F]{2})(?=\s|$)")]
    private static partial Regex ListedByte();

    [GeneratedRegex(@"\s*<[^<>]*>\s*$")]
    private static partial Regex SymbolicTarget();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    /// <summary>One assembled instruction with where it came from, kept until labels are resolved.</summary>
    private sealed class Pending
    {
        public required ParsedStatement Statement;
        public required int Line;
        public required int Column;
        public required int Slot;
        public required string Text;
        public Instruction[]? Listed;
        public int ListedColumn;
    }

    /// <summary>Assembles <paramref name="text"/>; errors are <see cref="AsmSyntaxException"/>s naming <paramref name="file"/>, line and column.</summary>
    public static Instruction[] Assemble(string text, string? file = null)
    {
        var pending = new List<Pending>();
        var labels = new Dictionary<string, (int Slot, int Line)>(StringComparer.Ordinal);
        int slot = 0;
        string[] lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            var source = new SourceLine(file, n + 1);
            var item = ParseLine(lines[n].TrimEnd('\r'), source, slot, labels);
            if (item is null) continue;
            pending.Add(item);
            slot += item.Listed?.Length ?? item.Statement.Width;
        }

        var program = new Instruction[slot];
        foreach (var item in pending)
        {
            var (first, second) = Resolve(item, labels, file);
            program[item.Slot] = first;
            if (second is { } upper) program[item.Slot + 1] = upper;
            if (item.Listed is not null) ReconcileListing(item, program, file);
        }

        if (!InstructionDecoder.TryValidate(program, out var error))
        {
            var at = pending.FindLast(p => p.Slot <= error.Slot);
            var location = new BpfLocation { File = file, Line = at?.Line ?? 1, Column = at?.Column ?? 1, Instruction = at is null ? null : error.Slot };
            throw new AsmSyntaxException(error.Code, error.Reason, location);
        }

        return program;
    }

    /// <summary>Assembles one instruction without labels, checking its encoding (<see cref="InstructionForms"/>) but not where it jumps; gives one slot, or two for <c>lddw</c>.</summary>
    public static Instruction[] AssembleOne(string text)
    {
        var source = new SourceLine(null, 1);
        string line = StripComment(text);
        var tokens = AsmLexer.Tokenize(line, 1, source);
        if (tokens.Count == 0) throw source.Fail(line.Length + 1, "expected an instruction, found end of line");
        var (first, second, label) = StatementParser.Parse(tokens, source, line.Length + 1);
        if (label is { } reference) throw source.Fail(reference.Column, $"unknown label '{reference.Name}'", ErrorCode.AsmUnknownLabel);
        if (!InstructionForms.TryValidate(first, out var code, out var reason)) throw source.Fail(tokens[0].Column, reason, code);
        return second is { } upper ? [first, upper] : [first];
    }

    // Splits one line into its parts (banner, symbol header, slot and byte columns, labels, statement) and parses the statement.
    private static Pending? ParseLine(string raw, SourceLine source, int slot, Dictionary<string, (int Slot, int Line)> labels)
    {
        string line = StripComment(raw);
        if (ObjdumpBanner().IsMatch(line)) return null;
        var header = SymbolHeader().Match(line);
        if (header.Success)
        {
            var name = header.Groups["name"];
            DefineLabel(labels, name.Value, slot, source, name.Index + 1);
            return null;
        }

        int pos = 0;
        Instruction[]? listed = null;
        int listedColumn = 0;
        var slotColumn = SlotColumn().Match(line, pos);
        if (slotColumn.Success)
        {
            pos += slotColumn.Length;
            listed = ListedBytes(line, ref pos, source, out listedColumn);
        }

        var tokens = AsmLexer.Tokenize(line[pos..], pos + 1, source);
        int next = 0;
        while (next + 1 < tokens.Count && tokens[next].Kind == TokenKind.Identifier && tokens[next + 1] is { Kind: TokenKind.Punctuation, Text: ":" })
        {
            if (StatementParser.IsRegister(tokens[next].Text)) throw source.Fail(tokens[next].Column, $"'{tokens[next].Text}' is a register and cannot be a label");
            DefineLabel(labels, tokens[next].Text, slot, source, tokens[next].Column);
            next += 2;
        }

        tokens.RemoveRange(0, next);
        int column = tokens.Count > 0 ? tokens[0].Column : pos + 1;
        string statementText = tokens.Count > 0 ? line[(column - 1)..].Trim() : "";
        if (listed is not null && statementText is "" or Disassembler.Unknown)
        {
            // The text says nothing (or llvm could not decode it): the listed bytes are the instruction.
            var statement = new ParsedStatement(listed[0], listed.Length > 1 ? listed[1] : null, null);
            return new Pending { Statement = statement, Line = source.Line, Column = listedColumn, Slot = slot, Text = statementText, Listed = listed, ListedColumn = listedColumn };
        }

        if (tokens.Count == 0) return null;
        var parsed = StatementParser.Parse(tokens, source, line.Length + 1);
        if (listed is not null && listed.Length != parsed.Width)
        {
            throw source.Fail(listedColumn, $"the listing has {listed.Length * 8} bytes but the text is a {parsed.Width}-slot instruction");
        }

        return new Pending { Statement = parsed, Line = source.Line, Column = column, Slot = slot, Text = statementText, Listed = listed, ListedColumn = listedColumn };
    }

    // The hex-byte column of an llvm-objdump line: 8 bytes, or 16 for lddw.
    private static Instruction[]? ListedBytes(string line, ref int pos, SourceLine source, out int column)
    {
        var bytes = new List<byte>(16);
        column = 0;
        for (var m = ListedByte().Match(line, pos); m.Success; m = ListedByte().Match(line, pos))
        {
            if (bytes.Count == 0) column = m.Groups["byte"].Index + 1;
            bytes.Add(Convert.ToByte(m.Groups["byte"].Value, 16));
            pos += m.Length;
        }

        if (bytes.Count == 0) return null;
        if (bytes.Count is not (8 or 16)) throw source.Fail(column, $"expected 8 or 16 instruction bytes, found {bytes.Count}");
        return Instruction.Cast(bytes.ToArray()).ToArray();
    }

    private static void DefineLabel(Dictionary<string, (int Slot, int Line)> labels, string name, int slot, SourceLine source, int column)
    {
        if (labels.TryGetValue(name, out var existing))
        {
            throw source.Fail(column, $"label '{name}' is already defined on line {existing.Line}", ErrorCode.AsmDuplicateLabel);
        }

        labels.Add(name, (slot, source.Line));
    }

    private static (Instruction First, Instruction? Second) Resolve(Pending item, Dictionary<string, (int Slot, int Line)> labels, string? file)
    {
        var (first, second, label) = item.Statement;
        if (label is not { } reference) return (first, second);
        var source = new SourceLine(file, item.Line);
        if (!labels.TryGetValue(reference.Name, out var target))
        {
            throw source.Fail(reference.Column, $"unknown label '{reference.Name}'", ErrorCode.AsmUnknownLabel);
        }

        long relative = target.Slot - (item.Slot + 1L);
        if (reference.Field == LabelField.Imm) return (first.WithImm((int)relative), second);
        if (relative is < short.MinValue or > short.MaxValue)
        {
            throw source.Fail(reference.Column, $"label '{reference.Name}' is {relative} slots away, beyond the 16-bit jump offset (-32768..32767); use gotol", ErrorCode.AsmOutOfRange);
        }

        return (first.WithOffset((short)relative), second);
    }

    // A pasted listing carries both bytes and text: they must agree, except where the text is llvm's lossy
    // rendering of those very bytes (a local call printed as "call 0x4"), in which case the bytes win.
    private static void ReconcileListing(Pending item, Instruction[] program, string? file)
    {
        var listed = item.Listed!;
        var assembled = program.AsSpan(item.Slot, listed.Length);
        if (assembled.SequenceEqual(listed)) return;

        string text = Normalize(item.Text);
        var next = listed.Length > 1 ? listed[1] : default;
        foreach (bool alu32 in new[] { false, true })
        {
            var options = new DisassemblerOptions { ExactLlvmText = true, Alu32Syntax = alu32 };
            if (Normalize(Disassembler.Format(listed[0], item.Slot, next, options)) == text)
            {
                listed.CopyTo(program.AsSpan(item.Slot));
                return;
            }
        }

        throw new SourceLine(file, item.Line).Fail(item.ListedColumn,
            $"the listed bytes {Disassembler.FormatBytes(listed)} disagree with the text, which assembles to {Disassembler.FormatBytes(assembled)}");
    }

    private static string Normalize(string text) => Whitespace().Replace(SymbolicTarget().Replace(text, ""), " ").Trim();

    // Comments run from '#', ';' or '//' to the end of the line; none of them occurs in an instruction.
    private static string StripComment(string line)
    {
        int end = line.Length;
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] is '#' or ';' || (line[i] == '/' && i + 1 < line.Length && line[i + 1] == '/'))
            {
                end = i;
                break;
            }
        }

        return line[..end];
    }
}
