using System.CommandLine;
using System.Text.Json;

namespace HeteroBpf.Cli.Commands;

/// <summary><c>hbpf exec FILE [--mem HEX | --mem-file F] [--device NAME]</c>: runs a raw program once and prints R0 and the instruction count.</summary>
internal static class ExecCommand
{
    public static Command Create(CliIo io)
    {
        var input = new Argument<string>("file") { Description = "Raw bytecode (.bin) or assembler text (.s)." };
        var mem = new Option<string?>("--mem") { Description = "Input memory as hex bytes; R1 points to it, R2 holds its length.", HelpName = "HEX" };
        var memFile = new Option<string?>("--mem-file") { Description = "Input memory from a file (raw bytes).", HelpName = "F" };
        var device = DeviceOption.Create();
        var json = new Option<bool>("--json") { Description = "Print {\"r0\": n, \"instructions\": n} as JSON." };
        var command = new Command("exec", "Run a raw program once (R1 = input memory, R2 = its length).") { input, mem, memFile, device, json };
        command.Validators.Add(r =>
        {
            if (r.GetResult(mem) is not null && r.GetResult(memFile) is not null) r.AddError("--mem and --mem-file cannot be used together.");
        });
        command.SetAction(parse =>
        {
            string path = parse.GetValue(input)!;
            return io.Guard(path, () =>
            {
                var program = CliIo.LoadProgram(path);
                byte[] memory = parse.GetValue(mem) is { } hex ? HexBytes.Parse(hex, "--mem")
                    : parse.GetValue(memFile) is { } f ? ReadMemoryFile(f)
                    : [];
                var target = DeviceOption.Resolve(parse.GetValue(device));
                using var loaded = target.Load(program);
                var result = loaded.Execute(memory);
                if (parse.GetValue(json))
                {
                    io.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                    {
                        ["r0"] = result.ReturnValue,
                        ["instructions"] = result.InstructionCount,
                        ["device"] = target.Name,
                    }));
                }
                else
                {
                    io.Out.WriteLine($"r0 = 0x{result.ReturnValue:x} ({(long)result.ReturnValue})");
                    io.Out.WriteLine($"instructions: {result.InstructionCount} on {target.Name}");
                }

                return 0;
            });
        });
        return command;
    }

    private static byte[] ReadMemoryFile(string path) =>
        File.Exists(path) ? File.ReadAllBytes(path) : throw new HbpfException(ErrorCode.FileNotReadable, "no such file", new BpfLocation { File = path });
}
