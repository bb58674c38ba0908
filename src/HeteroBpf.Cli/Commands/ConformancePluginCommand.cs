using System.CommandLine;
using HeteroBpf.Isa;

namespace HeteroBpf.Cli.Commands;

/// <summary>
/// <c>hbpf conformance-plugin [MEMORY] [--device NAME]</c>: the plugin protocol of the public bpf_conformance suite.
/// Program bytes arrive as hex on stdin, input memory as hex in the first argument; R0 is printed in hex.
/// </summary>
internal static class ConformancePluginCommand
{
    public static Command Create(CliIo io)
    {
        var memory = new Argument<string[]>("memory")
        {
            Description = "Input memory as hex bytes (any whitespace between bytes); absent when the test has none.",
            Arity = ArgumentArity.ZeroOrMore,
        };

        // An argument that takes any string would swallow a mistyped option and report it as bad hex; hex never
        // starts with '-', so such a token is a usage error instead.
        memory.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (token.Value.StartsWith('-')) result.AddError($"Unrecognized command or argument '{token.Value}'");
            }
        });
        var device = DeviceOption.Create();

        // bpf_conformance --elf passes this flag; without it being declared the parser would take it for memory hex.
        var elf = new Option<bool>("--elf") { Description = "Program on stdin is an ELF object (bpf_conformance --elf); not supported yet." };
        var command = new Command("conformance-plugin", "bpf_conformance plugin: program hex on stdin, memory hex as argument, prints R0 in hex.") { memory, device, elf };
        command.SetAction(parse => io.Guard(null, () =>
        {
            if (parse.GetValue(elf))
            {
                throw new HbpfException(ErrorCode.BadArgument, "--elf: ELF objects are not supported yet; run bpf_conformance without --elf to pass raw bytecode");
            }

            var program = InstructionDecoder.Decode(HexBytes.Parse(io.In.ReadToEnd(), "program on standard input"));
            byte[] mem = HexBytes.Parse(string.Join(' ', parse.GetValue(memory) ?? []), "memory argument");
            using var loaded = DeviceOption.Resolve(parse.GetValue(device)).Load(program);
            io.Out.WriteLine(loaded.Execute(mem).ReturnValue.ToString("x"));
            return 0;
        }));
        return command;
    }
}
