using System.CommandLine;
using System.Text;
using System.Text.Json;
using HeteroBpf.Asm;

namespace HeteroBpf.Cli.Commands;

/// <summary><c>hbpf disasm FILE</c>: prints a program as <c>llvm-objdump -d</c> does; an ELF object's programs are
/// printed linked (subprograms copied in), with their C source lines interleaved as <c>llvm-objdump -d -S</c> does.</summary>
internal static class DisasmCommand
{
    public static Command Create(CliIo io)
    {
        var input = new Argument<string>("file") { Description = "Raw bytecode (.bin), assembler text (.s) or an eBPF ELF object (.o)." };
        var mcpu = new Option<string>("--mcpu")
        {
            Description = "Syntax of llvm-objdump --mcpu: v1/v2 print 32-bit loads and stores with r registers, v3/v4 with w registers.",
            DefaultValueFactory = _ => "v1",
            HelpName = "v1|v2|v3|v4",
        };
        mcpu.AcceptOnlyFromAmong("v1", "v2", "v3", "v4");
        var section = new Option<string?>("--section") { Description = "Only the programs of this ELF section (objects only).", HelpName = "S" };
        var json = new Option<bool>("--json") { Description = "Print an object's programs as JSON (objects only)." };
        var command = new Command("disasm", "Disassemble a program (llvm-objdump -d syntax); objects with their C source lines.") { input, mcpu, section, json };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(input)!;
            return io.Guard(path, () =>
            {
                var options = new DisassemblerOptions { Alu32Syntax = parse.GetValue(mcpu) is "v3" or "v4" };
                if (ObjectInput.IsElf(path))
                {
                    var obj = ObjectInput.Load(path);
                    var programs = obj.Programs(parse.GetValue(section));
                    if (parse.GetValue(json)) io.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["file"] = obj.Object.Name, ["programs"] = programs.Select(p => Json(p, options)).ToList() }, ObjectInput.Json));
                    else io.Out.Write(string.Join('\n', programs.Select(p => Listing(p, options))));
                    return 0;
                }

                if (parse.GetValue(section) is not null || parse.GetValue(json))
                    throw new HbpfException(ErrorCode.BadArgument, "--section and --json need an ELF object; this file is raw bytecode or assembler text", new BpfLocation { File = path });
                var program = CliIo.LoadProgram(path);
                io.Out.Write(Disassembler.Listing(program, options));
                return 0;
            });
        });
        return command;
    }

    // llvm-objdump -d -S: a symbol header per function, and "; <source>" before the first instruction of each new line.
    private static string Listing(ProgramSpec p, DisassemblerOptions options)
    {
        options = options with { Symbols = [.. p.Functions.Select(f => new CodeSymbol(f.Name, f.Slot))] };
        var insns = p.Instructions.AsSpan();
        var sb = new StringBuilder();
        sb.Append("Disassembly of program ").Append(p.Name).Append(" (section ").Append(p.SectionName).Append("):\n");
        SourceLine? last = null;
        for (int slot = 0; slot < insns.Length;)
        {
            foreach (var f in p.Functions)
            {
                if (f.Slot == slot) sb.Append('\n').Append(((long)slot * 8).ToString("x16")).Append(" <").Append(f.Name).Append(">:\n");
            }

            if (p.TryGetLine(slot, out var line) && line.Slot == slot && (last is null || last.Line != line.Line || last.File != line.File))
            {
                sb.Append("; ").Append(line.Text.Trim()).Append('\n');
                last = line;
            }

            bool wide = insns[slot].IsWide && slot + 1 < insns.Length;
            sb.Append(slot.ToString().PadLeft(8)).Append(":\t").Append(Disassembler.FormatBytes(insns.Slice(slot, wide ? 2 : 1)))
                .Append('\t').Append(Disassembler.Format(insns, slot, options)).Append('\n');
            slot += wide ? 2 : 1;
        }

        return sb.ToString();
    }

    private static Dictionary<string, object> Json(ProgramSpec p, DisassemblerOptions options)
    {
        options = options with { Symbols = [.. p.Functions.Select(f => new CodeSymbol(f.Name, f.Slot))] };
        var insns = p.Instructions.AsSpan();
        var list = new List<Dictionary<string, object?>>();
        for (int slot = 0; slot < insns.Length;)
        {
            bool wide = insns[slot].IsWide && slot + 1 < insns.Length;
            list.Add(new Dictionary<string, object?>
            {
                ["slot"] = slot,
                ["bytes"] = Disassembler.FormatBytes(insns.Slice(slot, wide ? 2 : 1)),
                ["text"] = Disassembler.Format(insns, slot, options),
                ["source"] = p.TryGetLine(slot, out var l)
                    ? new Dictionary<string, object> { ["file"] = l.File, ["line"] = l.Line, ["column"] = l.Column, ["text"] = l.Text }
                    : null,
            });
            slot += wide ? 2 : 1;
        }

        return new Dictionary<string, object>
        {
            ["name"] = p.Name,
            ["section"] = p.SectionName,
            ["functions"] = p.Functions.Select(f => new Dictionary<string, object> { ["name"] = f.Name, ["slot"] = f.Slot }).ToList(),
            ["instructions"] = list,
        };
    }
}
