using System.CommandLine;
using System.Text.Json;

namespace HeteroBpf.Cli.Commands;

/// <summary><c>hbpf prog show OBJECT.o [--json]</c>: what each program of an object is, uses and needs.</summary>
internal static class ProgCommand
{
    public static Command Create(CliIo io)
    {
        var input = new Argument<string>("object") { Description = "An eBPF ELF object (clang -target bpf)." };
        var json = new Option<bool>("--json") { Description = "Print the programs as JSON." };
        var show = new Command("show", "List the programs of an object: section, type, size, maps, helpers, BTF and CO-RE relocations.") { input, json };
        show.SetAction(parse =>
        {
            string path = parse.GetValue(input)!;
            return io.Guard(path, () =>
            {
                var obj = ObjectInput.Load(path);
                if (parse.GetValue(json)) io.Out.WriteLine(JsonSerializer.Serialize(Json(obj), ObjectInput.Json));
                else Text(obj, io.Out);
                return 0;
            });
        });
        return new Command("prog", "Inspect the programs of an object file.") { show, ProgDumpJitedCommand.Create(io) };
    }

    private static void Text(ObjectInput obj, TextWriter o)
    {
        o.WriteLine($"{obj.Object.Name}: {obj.Object.Programs.Length} program(s), license \"{obj.Object.License}\", " +
            (obj.Btf is null ? "no BTF" : $"BTF: {obj.Btf.Count - 1} types"));
        foreach (var p in obj.Object.Programs)
        {
            o.WriteLine();
            o.WriteLine($"{p.Name}: section {p.SectionName}, type {p.Type}{(p.UnknownSection ? " (unknown section name)" : "")}" +
                $"{(p.AttachType is { } a ? $", attach {a}" : "")}{(p.AttachTo is { } to ? $" to {to}" : "")}");
            o.WriteLine($"  instructions: {ObjectInput.InstructionCount(p)} ({p.Instructions.Length} slots)");
            if (p.Functions.Length > 1) o.WriteLine($"  subprograms: {string.Join(", ", p.Functions.Skip(1).Select(f => $"{f.Name} at {f.Slot}"))}");
            o.WriteLine($"  maps: {(p.MapsUsed.IsEmpty ? "none" : string.Join(", ", p.MapsUsed))}");
            var helpers = ObjectInput.HelpersUsed(p);
            o.WriteLine($"  helpers: {(helpers.Count == 0 ? "none" : string.Join(", ", helpers.Select(h => $"{ObjectInput.HelperName(h)} ({h})")))}");
            var core = obj.CoreRelocations(p);
            o.WriteLine($"  CO-RE relocations: {(core.Count == 0 ? "none" : $"{core.Count} ({string.Join(", ", core.GroupBy(r => r.Kind).Select(g => $"{g.Key} {g.Count()}"))})")}");
            o.WriteLine($"  source lines: {(p.Lines.IsEmpty ? "none (no BTF line info)" : p.Lines.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        }
    }

    private static Dictionary<string, object?> Json(ObjectInput obj) => new()
    {
        ["file"] = obj.Object.Name,
        ["license"] = obj.Object.License,
        ["btf"] = obj.Btf is null ? null : new Dictionary<string, object> { ["types"] = obj.Btf.Count - 1 },
        ["programs"] = obj.Object.Programs.Select(p =>
        {
            var core = obj.CoreRelocations(p);
            return new Dictionary<string, object?>
            {
                ["name"] = p.Name,
                ["section"] = p.SectionName,
                ["type"] = p.Type.ToString(),
                ["knownSection"] = !p.UnknownSection,
                ["attachType"] = p.AttachType?.ToString(),
                ["attachTo"] = p.AttachTo,
                ["instructions"] = ObjectInput.InstructionCount(p),
                ["slots"] = p.Instructions.Length,
                ["functions"] = p.Functions.Select(f => new Dictionary<string, object> { ["name"] = f.Name, ["slot"] = f.Slot, ["slots"] = f.Length }).ToList(),
                ["maps"] = p.MapsUsed.ToList(),
                ["helpers"] = ObjectInput.HelpersUsed(p).Select(h => new Dictionary<string, object> { ["id"] = h, ["name"] = ObjectInput.HelperName(h) }).ToList(),
                ["coreRelocations"] = new Dictionary<string, object>
                {
                    ["count"] = core.Count,
                    ["kinds"] = core.GroupBy(r => r.Kind).ToDictionary(g => g.Key.ToString(), g => g.Count()),
                },
                ["sourceLines"] = p.Lines.Length,
            };
        }).ToList(),
    };
}
