using System.CommandLine;
using HeteroBpf.Asm;

namespace HeteroBpf.Cli.Commands;

/// <summary><c>hbpf disasm FILE</c>: prints a program as <c>llvm-objdump -d</c> does.</summary>
internal static class DisasmCommand
{
    public static Command Create(CliIo io)
    {
        var input = new Argument<string>("file") { Description = "Raw bytecode (.bin) or assembler text (.s)." };
        var mcpu = new Option<string>("--mcpu")
        {
            Description = "Syntax of llvm-objdump --mcpu: v1/v2 print 32-bit loads and stores with r registers, v3/v4 with w registers.",
            DefaultValueFactory = _ => "v1",
            HelpName = "v1|v2|v3|v4",
        };
        mcpu.AcceptOnlyFromAmong("v1", "v2", "v3", "v4");
        var command = new Command("disasm", "Disassemble a program (llvm-objdump -d syntax).") { input, mcpu };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(input)!;
            return io.Guard(path, () =>
            {
                var program = CliIo.LoadProgram(path);
                var options = new DisassemblerOptions { Alu32Syntax = parse.GetValue(mcpu) is "v3" or "v4" };
                io.Out.Write(Disassembler.Listing(program, options));
                return 0;
            });
        });
        return command;
    }
}
