using System.CommandLine;
using System.Text.Json;
using HeteroBpf.Devices;
using HeteroBpf.Offload;

namespace HeteroBpf.Cli.Commands;

/// <summary><c>hbpf prog show OBJECT.o [--json] [--device NAME]</c>: what each program of an object is, uses and needs; with an offload device, each program's binding and state there.</summary>
internal static class ProgCommand
{
    public static Command Create(CliIo io)
    {
        var input = new Argument<string>("object") { Description = "An eBPF ELF object (clang -target bpf)." };
        var json = new Option<bool>("--json") { Description = "Print the programs as JSON." };
        var device = new Option<string?>("--device")
        {
            Description = $"Also load every program for this offload device ({string.Join(", ", DeviceRegistry.All.OfType<OffloadDevice>().Select(d => d.Name))}) and show its binding and state, or the device's refusal.",
            HelpName = "NAME",
        };
        var show = new Command("show", "List the programs of an object: section, type, size, maps, helpers, BTF and CO-RE relocations.") { input, json, device };
        show.SetAction(parse =>
        {
            string path = parse.GetValue(input)!;
            return io.Guard(path, () =>
            {
                var obj = ObjectInput.Load(path);
                using var bindings = parse.GetValue(device) is { } name ? Bindings.Load(obj, DeviceOption.Resolve(name)) : null;
                if (parse.GetValue(json))
                {
                    var doc = Json(obj);
                    if (bindings is not null)
                    {
                        doc["device"] = bindings.Device;
                        foreach (var p in (List<Dictionary<string, object?>>)doc["programs"]!) p["binding"] = bindings.Json((string)p["name"]!);
                    }

                    io.Out.WriteLine(JsonSerializer.Serialize(doc, ObjectInput.Json));
                }
                else
                {
                    Text(obj, io.Out, bindings);
                }

                return 0;
            });
        });
        return new Command("prog", "Inspect the programs of an object file.") { show, ProgDumpJitedCommand.Create(io) };
    }

    // Each program loaded for one offload device over the object's maps created there; a refusal is that program's state.
    private sealed class Bindings : IDisposable
    {
        private readonly List<BpfDeviceMap> _maps = [];
        private readonly Dictionary<string, BpfDeviceProgram> _bound = [];
        private readonly Dictionary<string, string> _refused = [];

        public required string Device { get; init; }

        public static Bindings Load(ObjectInput obj, IDevice device)
        {
            if (device is not OffloadDevice offload) throw new HbpfException(ErrorCode.BadArgument, $"device '{device.Name}' runs programs on the host and binds none; prog show --device takes an offload device ({string.Join(", ", DeviceRegistry.All.OfType<OffloadDevice>().Select(d => d.Name))})");
            var b = new Bindings { Device = offload.Name };
            try
            {
                foreach (var spec in obj.Object.Maps) b._maps.Add(offload.CreateMap(spec));
                var refs = b._maps.Select(m => (MapRef)m).ToArray();
                foreach (var p in obj.Object.Programs)
                {
                    try
                    {
                        b._bound[p.Name] = offload.Load(p, refs);
                    }
                    catch (HbpfException e)
                    {
                        b._refused[p.Name] = e.Message;
                    }
                }
            }
            catch
            {
                b.Dispose();
                throw;
            }

            return b;
        }

        public string Text(string program) => _bound.TryGetValue(program, out var p)
            ? p.IsOrphaned ? $"orphaned (device '{p.Device.Name}' removed)" : $"bound to device {p.Device.Name}, port {p.Port.Name} (ifindex {p.Port.Ifindex}), state {p.State.ToString().ToLowerInvariant()}"
            : $"refused by device {Device}: {_refused[program]}";

        public Dictionary<string, object?> Json(string program) => _bound.TryGetValue(program, out var p)
            ? new() { ["device"] = p.Device.Name, ["port"] = p.Port.Name, ["ifindex"] = p.Port.Ifindex, ["state"] = p.State.ToString().ToLowerInvariant() }
            : new() { ["device"] = Device, ["state"] = "refused", ["reason"] = _refused[program] };

        public void Dispose()
        {
            foreach (var p in _bound.Values) p.Dispose();
            foreach (var m in _maps) m.Dispose();
        }
    }

    private static void Text(ObjectInput obj, TextWriter o, Bindings? bindings)
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
            if (bindings is not null) o.WriteLine($"  binding: {bindings.Text(p.Name)}");
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
