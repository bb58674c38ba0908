using System.CommandLine;
using System.Text.Json;
using HeteroBpf.Devices;

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

            // Options are checked apart from the program so that a bad --mem or --device is not reported as if it
            // were a fault of the program file.
            byte[] memory = [];
            IDevice? target = null;
            int status = io.Guard(null, () =>
            {
                memory = parse.GetValue(mem) is { } hex ? HexBytes.Parse(hex, "--mem")
                    : parse.GetValue(memFile) is { } f ? ReadMemoryFile(f)
                    : [];
                target = DeviceOption.Resolve(parse.GetValue(device));
                return 0;
            });
            if (status != 0) return status;

            return io.Guard(path, () =>
            {
                var program = CliIo.LoadProgram(path);
                var runner = target!;
                using var loaded = runner.Load(program);
                var result = loaded.Execute(memory);
                if (parse.GetValue(json))
                {
                    io.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                    {
                        ["r0"] = result.ReturnValue,
                        ["instructions"] = result.InstructionCount,
                        ["device"] = runner.Name,
                    }));
                }
                else
                {
                    io.Out.WriteLine($"r0 = 0x{result.ReturnValue:x} ({(long)result.ReturnValue})");
                    io.Out.WriteLine($"instructions: {result.InstructionCount} on {runner.Name}");
                }

                return 0;
            });
        });
        return command;
    }

    private static byte[] ReadMemoryFile(string path) =>
        File.Exists(path) ? File.ReadAllBytes(path) : throw new HbpfException(ErrorCode.FileNotReadable, "no such file", new BpfLocation { File = path });
}
