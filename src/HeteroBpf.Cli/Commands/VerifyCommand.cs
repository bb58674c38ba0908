using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HeteroBpf.Verifier;

namespace HeteroBpf.Cli.Commands;

/// <summary>
/// <c>hbpf verify OBJECT.o [--section S] [--privilege root|bpf] [--strict-alignment] [--log-level 0|1|2] [--device NAME] [--json]</c>:
/// runs the verifier over every program of an object (or one section) and says, per program, accepted or why not; with an
/// offload device, the device's hooks take part and its refusals carry its name.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create(CliIo io)
    {
        var obj = new Argument<string>("object") { Description = "An eBPF ELF object (clang -target bpf)." };
        var section = new Option<string?>("--section") { Description = "Verify only the programs of this ELF section.", HelpName = "S" };
        var privilege = new Option<string>("--privilege")
        {
            Description = "The loader's capabilities: root (CAP_SYS_ADMIN, the default) or bpf (CAP_BPF alone: no pointer leaks or comparisons).",
            DefaultValueFactory = _ => "root",
            HelpName = "root|bpf",
        };
        privilege.AcceptOnlyFromAmong("root", "bpf");
        var strict = new Option<bool>("--strict-alignment") { Description = "BPF_F_STRICT_ALIGNMENT: every access aligned to its size, packet accesses included." };
        var logLevel = new Option<int>("--log-level") { Description = "Print the verifier log: 1 the states at branches, 2 every instruction.", HelpName = "0|1|2" };
        logLevel.AcceptOnlyFromAmong("0", "1", "2");
        var json = new Option<bool>("--json") { Description = "Print one JSON object: a verdict per program." };
        var device = DeviceOption.Create();
        var command = new Command("verify", "Prove each program of an object safe, as the kernel's verifier would; a refusal names the instruction, C line and rule.")
        {
            obj, section, privilege, strict, logLevel, device, json,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(obj)!;
            return io.Guard(path, () =>
            {
                var input = ObjectInput.Load(path);
                var dev = DeviceOption.Resolve(parse.GetValue(device));
                var options = new VerifierOptions
                {
                    Hooks = (dev as Offload.OffloadDevice)?.VerifierHooks,
                    Privilege = parse.GetValue(privilege) == "bpf" ? Privilege.Bpf : Privilege.Root,
                    StrictAlignment = parse.GetValue(strict),
                    LogLevel = parse.GetValue(logLevel),
                };
                var verdicts = input.Programs(parse.GetValue(section)).Select(p => Verdict.Of(p, input.Object.Maps, options)).ToList();
                if (parse.GetValue(json))
                {
                    io.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?> { ["file"] = path, ["device"] = dev.Name, ["programs"] = verdicts.Select(v => v.Json()).ToList() }, ObjectInput.Json));
                }
                else
                {
                    foreach (var v in verdicts) v.Write(io, path, options.LogLevel > 0);
                }

                return verdicts.All(v => v.Refusal is null) ? 0 : 1;
            });
        });
        return command;
    }

    private sealed record Verdict(ProgramSpec Program, VerifiedProgram? Verified, VerifierException? Refusal, string Log, double Milliseconds)
    {
        public static Verdict Of(ProgramSpec program, IReadOnlyList<MapSpec> maps, VerifierOptions options)
        {
            long start = Stopwatch.GetTimestamp();
            try
            {
                var verified = BpfVerifier.Verify(program, maps, options);
                return new(program, verified, null, verified.Log, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            catch (VerifierException e)
            {
                return new(program, null, e, e.Log, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        public void Write(CliIo io, string path, bool withLog)
        {
            if (withLog && Log.Length > 0) io.Out.Write(Log.EndsWith('\n') ? Log : Log + "\n");
            string who = $"{Program.Name} (section {Program.SectionName}, {Program.Type})";
            if (Verified is { } v)
            {
                io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{who}: accepted: {v.ProcessedInstructions} instructions processed, {v.TotalStates} states (peak {v.PeakStates}), stack {string.Join('+', v.StackDepths)} bytes, {Milliseconds:0.##} ms"));
            }
            else
            {
                var e = Refusal!;
                var location = e.Location.InFile(path) with { Section = Program.SectionName };
                io.Error.WriteLine($"{location}: {Program.Name} ({Program.Type}) refused: {e.Reason} ({e.CodeText})");
            }
        }

        public Dictionary<string, object?> Json() => new()
        {
            ["name"] = Program.Name,
            ["section"] = Program.SectionName,
            ["type"] = Program.Type.ToString(),
            ["accepted"] = Refusal is null,
            ["processed"] = Verified?.ProcessedInstructions,
            ["states"] = Verified?.TotalStates,
            ["peakStates"] = Verified?.PeakStates,
            ["stackDepths"] = Verified?.StackDepths.ToList(),
            ["error"] = Refusal is null ? null : new Dictionary<string, object?>
            {
                ["code"] = Refusal.CodeText,
                ["instruction"] = Refusal.Slot,
                ["sourceFile"] = Refusal.Location.SourceFile,
                ["sourceLine"] = Refusal.Location.SourceLine,
                ["reason"] = Refusal.Reason,
            },
            ["milliseconds"] = Math.Round(Milliseconds, 3),
            ["log"] = Log.Length == 0 ? null : Log,
        };
    }
}
