using System.Buffers.Binary;
using System.CommandLine;
using System.Text.Json;
using HeteroBpf.Devices;
using HeteroBpf.Offload;

namespace HeteroBpf.Cli.Commands;

/// <summary><c>hbpf map show OBJECT.o</c> and <c>hbpf map dump OBJECT.o --map NAME</c>: the maps an object declares and
/// their initial contents. Live contents need a loaded program, which the CLI cannot do yet; the commands say so.</summary>
internal static class MapCommand
{
    internal const string NotLive = "initial contents from the object file; live contents are printed by hbpf run and hbpf test-run after running";

    public static Command Create(CliIo io)
    {
        var showInput = new Argument<string>("object") { Description = "An eBPF ELF object (clang -target bpf)." };
        var showJson = new Option<bool>("--json") { Description = "Print the maps as JSON." };
        var show = new Command("show", "List the maps of an object: type, key/value size, max entries, flags, pinning, initial contents.") { showInput, showJson };
        show.SetAction(parse =>
        {
            string path = parse.GetValue(showInput)!;
            return io.Guard(path, () =>
            {
                var obj = ObjectInput.Load(path).Object;
                if (parse.GetValue(showJson))
                {
                    io.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                    {
                        ["file"] = obj.Name,
                        ["maps"] = obj.Maps.Select(Shape).ToList(),
                    }, ObjectInput.Json));
                }
                else
                {
                    io.Out.WriteLine($"{obj.Name}: {obj.Maps.Length} map(s)");
                    foreach (var m in obj.Maps) io.Out.WriteLine(Line(m));
                }

                return 0;
            });
        });

        var dumpInput = new Argument<string>("object") { Description = "An eBPF ELF object (clang -target bpf)." };
        var name = new Option<string>("--map") { Description = "The map's name (as 'map show' lists it).", Required = true, HelpName = "NAME" };
        var dumpJson = new Option<bool>("--json") { Description = "Print the entries as JSON." };
        var device = new Option<string?>("--device")
        {
            Description = $"Create the object's maps on this offload device ({string.Join(", ", DeviceRegistry.All.OfType<OffloadDevice>().Select(d => d.Name))}), write their initial contents and the map set there, and dump the map as read back through the device.",
            HelpName = "NAME",
        };
        var mapSet = new Option<string?>("--map-set") { Description = "With --device: JSON list of map updates written through the device before the dump.", HelpName = "FILE.json" };
        var dump = new Command("dump", "Print a map's initial contents from the object (global data, static prog-array and map-in-map entries), or with --device as it lives on the device.") { dumpInput, name, dumpJson, device, mapSet };
        dump.SetAction(parse =>
        {
            string path = parse.GetValue(dumpInput)!;
            return io.Guard(path, () =>
            {
                var obj = ObjectInput.Load(path).Object;
                string wanted = parse.GetValue(name)!;
                var map = obj.Maps.FirstOrDefault(m => m.Name == wanted)
                    ?? throw new HbpfException(ErrorCode.BadArgument, $"no map named '{wanted}' (maps: {(obj.Maps.IsEmpty ? "none" : string.Join(", ", obj.Maps.Select(m => m.Name)))})");
                if (parse.GetValue(device) is { } deviceName)
                {
                    DumpOnDevice(io, obj, wanted, DeviceOption.Resolve(deviceName), parse.GetValue(mapSet), parse.GetValue(dumpJson));
                    return 0;
                }

                if (parse.GetValue(mapSet) is not null) throw new HbpfException(ErrorCode.BadArgument, "--map-set needs --device (without it the dump shows the object file's initial contents)");
                if (parse.GetValue(dumpJson)) io.Out.WriteLine(JsonSerializer.Serialize(Dump(map), ObjectInput.Json));
                else DumpText(map, io.Out);
                return 0;
            });
        });
        return new Command("map", "Inspect the maps of an object file.") { show, dump };
    }

    // The map created on the device with the object's initial contents (and the map set), read back through the
    // device's get-next-key and lookup.
    private static void DumpOnDevice(CliIo io, Elf.ObjectFile obj, string wanted, IDevice device, string? mapSet, bool json)
    {
        if (device is not OffloadDevice offload) throw new HbpfException(ErrorCode.BadArgument, $"device '{device.Name}' keeps no maps of its own; map dump --device takes an offload device ({string.Join(", ", DeviceRegistry.All.OfType<OffloadDevice>().Select(d => d.Name))})");
        using var collection = DeviceCollection.Load(obj, offload, select: _ => false);
        if (mapSet is not null)
        {
            if (!File.Exists(mapSet)) throw new HbpfException(ErrorCode.FileNotReadable, "no such file", new BpfLocation { File = mapSet });
            collection.Apply(MapSet.Parse(File.ReadAllText(mapSet), mapSet), mapSet);
        }

        var map = collection.Map(wanted);
        var entries = map.Entries();
        if (json)
        {
            io.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["name"] = wanted,
                ["live"] = true,
                ["device"] = offload.Name,
                ["port"] = map.Port.Name,
                ["entries"] = entries.Select(e => new Dictionary<string, string> { ["key"] = Convert.ToHexStringLower(e.Key), ["value"] = Convert.ToHexStringLower(e.Value) }).ToList(),
            }, ObjectInput.Json));
            return;
        }

        io.Out.WriteLine($"{wanted}: on device {offload.Name} (port {map.Port.Name}), read through the device: {entries.Count} entr{(entries.Count == 1 ? "y" : "ies")}");
        foreach (var (key, value) in entries) io.Out.WriteLine($"[{Convert.ToHexStringLower(key)}] = {Convert.ToHexStringLower(value)}");
    }

    private static string Line(MapSpec m)
    {
        string text = $"{m.Name}: {m.Type} ({(uint)m.Type}), key {m.KeySize}, value {m.ValueSize}, max_entries {m.MaxEntries}, flags {Flags(m.Flags)}";
        if (m.Pinning != PinType.None) text += $", pinning {m.Pinning}";
        if (m.MapExtra != 0) text += $", map_extra {m.MapExtra}";
        if (m.SpinLockOffset is { } lockAt) text += $", bpf_spin_lock at {lockAt}";
        if (m.InnerMap is { } inner) text += $"; inner {inner.Type}, key {inner.KeySize}, value {inner.ValueSize}, max_entries {inner.MaxEntries}";
        if (m.Type == MapType.Unspec) text += " (no BTF: the shape of this .maps map is unknown)";
        return text + "; " + Contents(m);
    }

    private static string Flags(MapFlags f) => f == MapFlags.None ? "0" : $"0x{(uint)f:x} ({f})";

    private static string Contents(MapSpec m) => m.Contents switch
    {
        [] when IsData(m) => $"initially zero ({m.ValueSize} bytes)",
        [] => "no initial entries",
        [var one] when one.ProgramName is null && one.MapName is null && IsData(m) => $"initial data {one.Value.Length} bytes",
        var all => $"{all.Length} initial entr{(all.Length == 1 ? "y" : "ies")}",
    };

    // Global data maps are named after their section.
    private static bool IsData(MapSpec m) => m.Name.StartsWith('.') && m.Type == MapType.Array && m.MaxEntries == 1;

    private static Dictionary<string, object?> Shape(MapSpec m) => new()
    {
        ["name"] = m.Name,
        ["type"] = m.Type.ToString(),
        ["typeId"] = (uint)m.Type,
        ["keySize"] = m.KeySize,
        ["valueSize"] = m.ValueSize,
        ["maxEntries"] = m.MaxEntries,
        ["flags"] = (uint)m.Flags,
        ["pinning"] = m.Pinning.ToString(),
        ["mapExtra"] = m.MapExtra,
        ["spinLockOffset"] = m.SpinLockOffset,
        ["btfKeyTypeId"] = m.BtfKeyTypeId,
        ["btfValueTypeId"] = m.BtfValueTypeId,
        ["innerMap"] = m.InnerMap is null ? null : Shape(m.InnerMap),
        ["initialEntries"] = m.Contents.Length,
    };

    private static string Hex(IEnumerable<byte> bytes) => string.Join(' ', bytes.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    private static string KeyText(MapEntrySpec e) =>
        e.Key.Length == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(e.Key.AsSpan()).ToString(System.Globalization.CultureInfo.InvariantCulture) : Hex(e.Key);

    private static void DumpText(MapSpec m, TextWriter o)
    {
        o.WriteLine($"{m.Name}: {NotLive}");
        if (m.Contents.IsEmpty) o.WriteLine(IsData(m) ? $"all {m.ValueSize} bytes zero" : "no initial entries");
        foreach (var e in m.Contents)
        {
            if (e.ProgramName is { } prog) o.WriteLine($"[{KeyText(e)}] = program {prog}");
            else if (e.MapName is { } map) o.WriteLine($"[{KeyText(e)}] = map {map}");
            else
            {
                o.WriteLine($"[{KeyText(e)}] = {e.Value.Length} bytes");
                var value = e.Value.AsSpan();
                for (int at = 0; at < value.Length; at += 16)
                    o.WriteLine($"  {at:x8}  {Hex(value.Slice(at, Math.Min(16, value.Length - at)).ToArray())}");
            }
        }
    }

    private static Dictionary<string, object?> Dump(MapSpec m) => new()
    {
        ["name"] = m.Name,
        ["live"] = false,
        ["note"] = NotLive,
        ["entries"] = m.Contents.Select(e => new Dictionary<string, object?>
        {
            ["key"] = Convert.ToHexStringLower(e.Key.AsSpan()),
            ["value"] = Convert.ToHexStringLower(e.Value.AsSpan()),
            ["program"] = e.ProgramName,
            ["map"] = e.MapName,
        }).ToList(),
    };
}
