using System.CommandLine;
using HeteroBpf.Asm;
using HeteroBpf.Isa;

namespace HeteroBpf.Cli.Commands;

/// <summary><c>hbpf asm FILE.s -o FILE.bin</c>: assembles llvm-objdump syntax into raw bytecode.</summary>
internal static class AsmCommand
{
    public static Command Create(CliIo io)
    {
        var input = new Argument<string>("file") { Description = "Assembler text in llvm-objdump's BPF syntax." };
        var output = new Option<string?>("--output", "-o") { Description = "Bytecode file to write (default: FILE with .bin).", HelpName = "FILE.bin" };
        var command = new Command("asm", "Assemble BPF assembler text into raw bytecode.") { input, output };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(input)!;
            return io.Guard(path, () =>
            {
                if (!File.Exists(path)) throw new HbpfException(ErrorCode.FileNotReadable, "no such file");
                var program = Assembler.Assemble(File.ReadAllText(path), path);
                string target = parse.GetValue(output) ?? Path.ChangeExtension(path, ".bin");
                try
                {
                    File.WriteAllBytes(target, Instruction.AsBytes(program).ToArray());
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The output is what failed: name it, not the input the guard would otherwise blame.
                    throw new HbpfException(ErrorCode.BadArgument, $"cannot write: {e.Message}", new BpfLocation { File = target });
                }

                io.Out.WriteLine($"{target}: {program.Length} slots, {program.Length * 8} bytes");
                return 0;
            });
        });
        return command;
    }
}
