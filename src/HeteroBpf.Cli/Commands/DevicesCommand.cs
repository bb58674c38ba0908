using System.CommandLine;
using System.Text.Json;
using HeteroBpf.Devices;
using HeteroBpf.Offload;

namespace HeteroBpf.Cli.Commands;

/// <summary><c>hbpf devices [--json]</c>: every device of the registry; for offload devices their ports, ISA and capability table.</summary>
internal static class DevicesCommand
{
    public static Command Create(CliIo io)
    {
        var json = new Option<bool>("--json") { Description = "Print the devices as JSON." };
        var command = new Command("devices", "List the devices --device names: host engines, and offload devices with their ports, ISA and capabilities.") { json };
        command.SetAction(parse => io.Guard("devices", () =>
        {
            if (parse.GetValue(json))
            {
                io.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["devices"] = DeviceRegistry.All.Select(Json).ToList() }, ObjectInput.Json));
                return 0;
            }

            foreach (var device in DeviceRegistry.All) Text(io.Out, device);
            return 0;
        }));
        return command;
    }

    private static void Text(TextWriter o, IDevice device)
    {
        bool isDefault = ReferenceEquals(device, DeviceRegistry.Default);
        if (device is not OffloadDevice offload)
        {
            o.WriteLine($"{device.Name}: host{(isDefault ? " (default)" : "")}: {device.Description}");
            return;
        }

        var c = offload.Capabilities;
        o.WriteLine($"{device.Name}: offload device, ISA {c.Isa}: {device.Description}");
        o.WriteLine($"  ports: {string.Join(", ", offload.Ports.Select(p => $"{p.Name} (ifindex {p.Ifindex})"))}{(offload.IsPresent ? "" : "none (removed)")}");
        o.WriteLine($"  program types: {string.Join(", ", c.ProgramTypes.Order())}");
        o.WriteLine($"  instruction classes: {string.Join(", ", c.InstructionClasses.Order())}; atomics {(c.Atomics ? "yes" : "no")}; bpf-to-bpf calls {(c.Subprograms ? "yes" : "no")}");
        o.WriteLine($"  stack {c.StackSize} bytes, at most {c.MaxInstructions} instructions, adjust_head delta [{c.AdjustHead.Min}, {c.AdjustHead.Max}], {c.RxQueuesPerPort} RX queue(s) per port");
        o.WriteLine($"  helpers: {string.Join(", ", c.Helpers.Order().Select(h => $"{h} ({(int)h})"))}");
        o.WriteLine($"  maps: at most {c.MaxMaps}; {string.Join("; ", c.MapTypes.OrderBy(m => m.Key).Select(m => $"{m.Key} key ≤ {m.Value.MaxKeySize}, value ≤ {m.Value.MaxValueSize}, entries ≤ {m.Value.MaxEntries}"))}");
        o.WriteLine($"  neutral channels (host maps the device feeds back): {(c.NeutralChannels.Count == 0 ? "none" : string.Join(", ", c.NeutralChannels.Order()))}");
    }

    private static Dictionary<string, object?> Json(IDevice device)
    {
        var result = new Dictionary<string, object?>
        {
            ["name"] = device.Name,
            ["kind"] = device is OffloadDevice ? "offload" : "host",
            ["default"] = ReferenceEquals(device, DeviceRegistry.Default),
            ["description"] = device.Description,
        };
        if (device is not OffloadDevice offload) return result;
        var c = offload.Capabilities;
        result["isa"] = c.Isa;
        result["ports"] = offload.Ports.Select(p => new Dictionary<string, object> { ["name"] = p.Name, ["ifindex"] = p.Ifindex }).ToList();
        result["capabilities"] = new Dictionary<string, object>
        {
            ["programTypes"] = c.ProgramTypes.Order().Select(t => t.ToString()).ToList(),
            ["instructionClasses"] = c.InstructionClasses.Order().Select(k => k.ToString()).ToList(),
            ["atomics"] = c.Atomics,
            ["subprograms"] = c.Subprograms,
            ["helpers"] = c.Helpers.Order().Select(h => new Dictionary<string, object> { ["id"] = (int)h, ["name"] = h.ToString() }).ToList(),
            ["mapTypes"] = c.MapTypes.OrderBy(m => m.Key).ToDictionary(m => m.Key.ToString(), m => new Dictionary<string, uint> { ["maxKeySize"] = m.Value.MaxKeySize, ["maxValueSize"] = m.Value.MaxValueSize, ["maxEntries"] = m.Value.MaxEntries }),
            ["maxMaps"] = c.MaxMaps,
            ["stackSize"] = c.StackSize,
            ["maxInstructions"] = c.MaxInstructions,
            ["adjustHead"] = new Dictionary<string, int> { ["min"] = c.AdjustHead.Min, ["max"] = c.AdjustHead.Max },
            ["rxQueuesPerPort"] = c.RxQueuesPerPort,
            ["neutralChannels"] = c.NeutralChannels.Order().Select(t => t.ToString()).ToList(),
        };
        return result;
    }
}
