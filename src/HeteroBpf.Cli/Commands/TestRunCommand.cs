using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using HeteroBpf.Offload;
using HeteroBpf.Xdp;

namespace HeteroBpf.Cli.Commands;

/// <summary>
/// <c>hbpf test-run OBJECT.o (--prog NAME | --section S) (--data HEX | --data-file F | --runs FILE.json)...
/// [--map-set FILE.json] [--repeat N] [--json]</c>: the equivalent of <c>BPF_PROG_TEST_RUN</c> for XDP programs,
/// inputs run in command-line order through one loaded program, so map state carries from one to the next.
/// </summary>
internal static class TestRunCommand
{
    private sealed record Input(byte[] Data, XdpMd? Context, string Origin);

    public static Command Create(CliIo io)
    {
        var obj = new Argument<string>("object") { Description = "An eBPF ELF object (clang -target bpf) with an XDP program." };
        var prog = new Option<string?>("--prog") { Description = "The program, by name (its function's name).", HelpName = "NAME" };
        var section = new Option<string?>("--section") { Description = "The program, by ELF section (when it holds one program).", HelpName = "S" };
        var data = new Option<string[]>("--data") { Description = "Packet bytes as hex; repeatable.", HelpName = "HEX", AllowMultipleArgumentsPerToken = false };
        var dataFile = new Option<string[]>("--data-file") { Description = "A file of packet bytes; repeatable.", HelpName = "F" };
        var runs = new Option<string[]>("--runs") { Description = "JSON list of inputs with context: [{\"data\": \"hex\", \"ctx\": {\"data\": n, \"data_end\": n, \"ingress_ifindex\": n, \"rx_queue_index\": n}}, …]; repeatable.", HelpName = "FILE.json" };
        var mapSet = new Option<string?>("--map-set") { Description = "JSON list of map updates applied after load (see docs/CLI.md).", HelpName = "FILE.json" };
        var repeat = new Option<uint>("--repeat") { Description = "Runs per input (the same frame each time, as the kernel's repeat); duration is the mean.", DefaultValueFactory = _ => 1, HelpName = "N" };
        var json = new Option<bool>("--json") { Description = "Print runs and maps as JSON." };
        var device = DeviceOption.Create();
        var cores = DeviceOption.CreateCores();
        var command = new Command("test-run", "Run an XDP program over given inputs with BPF_PROG_TEST_RUN's semantics (retval, output packet, context, maps).")
        {
            obj, prog, section, data, dataFile, runs, mapSet, repeat, device, cores, json,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(obj)!;
            return io.Guard(path, () =>
            {
                var inputs = Inputs(parse);
                if (inputs.Count == 0) throw new HbpfException(ErrorCode.BadArgument, "no input: give --data HEX, --data-file F or --runs FILE.json");
                var dev = DeviceOption.Resolve(parse.GetValue(device), parse.GetValue(cores));
                if (dev is OffloadDevice offload)
                {
                    // Through the device: the program runs only there, in the device's memory, its maps read back through it.
                    using var onDevice = OffloadedObject.Load(path, offload, parse.GetValue(mapSet), parse.GetValue(prog), parse.GetValue(section));
                    return Report(io, parse.GetValue(json), inputs, i => onDevice.TestRun(inputs[i].Data, inputs[i].Context, parse.GetValue(repeat)), r => RunJson(r, onDevice.DrainRingBuffers(), []), onDevice.MapsJson, onDevice.WriteMapsText);
                }

                using var loaded = LoadedObject.Load(path, parse.GetValue(mapSet), parse.GetValue(prog), parse.GetValue(section), LoadedObject.EngineOf(dev));
                var program = loaded.Program;
                using var runner = new XdpRunner(loaded.Collection, program);
                loaded.Collection.TraceLog.Drain();
                return Report(io, parse.GetValue(json), inputs, i => XdpTestRun.Run(runner, inputs[i].Data, inputs[i].Context, parse.GetValue(repeat)), r => RunJson(r, loaded.DrainRingBuffers(), loaded.Collection.TraceLog.Drain()), loaded.MapsJson, loaded.WriteMapsText);
            });
        });
        return command;
    }

    // Every input in order, printed as it runs (text) or at the end with the maps (JSON).
    private static int Report(CliIo io, bool json, List<Input> inputs, Func<int, XdpTestRunResult> run, Func<XdpTestRunResult, Dictionary<string, object?>> toJson, Func<Dictionary<string, Dictionary<string, object>>> mapsJson, Action<TextWriter> mapsText)
    {
        var results = new List<Dictionary<string, object?>>();
        bool refused = false;
        for (int i = 0; i < inputs.Count; i++)
        {
            var r = run(i);
            refused |= r.Error != Errno.Ok;
            results.Add(toJson(r));
            if (!json) WriteRun(io.Out, i, inputs[i], r, results[^1]);
        }

        if (json)
        {
            io.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["runs"] = results, ["maps"] = mapsJson() }, ObjectInput.Json));
        }
        else
        {
            mapsText(io.Out);
        }

        // As the syscall fails for refused inputs, so does the command (after printing every run).
        return refused ? 1 : 0;
    }

    // Inputs keep the order of the command line, whichever option gave them.
    private static List<Input> Inputs(ParseResult parse)
    {
        var inputs = new List<Input>();
        var tokens = parse.Tokens.Select(t => t.Value).ToList();
        for (int i = 0; i + 1 < tokens.Count; i++)
        {
            string value = tokens[i + 1];
            switch (tokens[i])
            {
                case "--data":
                    inputs.Add(new Input(HexBytes.Parse(value, "--data"), null, "--data"));
                    i++;
                    break;
                case "--data-file":
                    if (!File.Exists(value)) throw new HbpfException(ErrorCode.FileNotReadable, "no such file", new BpfLocation { File = value });
                    inputs.Add(new Input(File.ReadAllBytes(value), null, value));
                    i++;
                    break;
                case "--runs":
                    inputs.AddRange(Runs(value));
                    i++;
                    break;
            }
        }

        return inputs;
    }

    private static IEnumerable<Input> Runs(string file)
    {
        if (!File.Exists(file)) throw new HbpfException(ErrorCode.FileNotReadable, "no such file", new BpfLocation { File = file });
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(file));
        }
        catch (JsonException e)
        {
            throw new HbpfException(ErrorCode.BadRunInput, $"not valid JSON: {e.Message}", new BpfLocation { File = file });
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw Bad(file, "--runs must be a JSON array of {\"data\": \"hex\", \"ctx\": {...}}");
            var result = new List<Input>();
            int index = 0;
            foreach (var run in doc.RootElement.EnumerateArray())
            {
                string where = $"run {index++}";
                if (run.ValueKind != JsonValueKind.Object || !run.TryGetProperty("data", out var d) || d.ValueKind != JsonValueKind.String)
                {
                    throw Bad(file, $"{where}: needs \"data\": \"hex\"");
                }

                XdpMd? ctx = null;
                if (run.TryGetProperty("ctx", out var c))
                {
                    if (c.ValueKind != JsonValueKind.Object) throw Bad(file, $"{where}: \"ctx\" must be an object");
                    uint Field(string name)
                    {
                        if (!c.TryGetProperty(name, out var v)) return 0;
                        if (v.ValueKind != JsonValueKind.Number || !v.TryGetUInt32(out uint n)) throw Bad(file, $"{where}: ctx.{name} must be a number 0..4294967295");
                        return n;
                    }

                    foreach (var p in c.EnumerateObject())
                    {
                        if (p.Name is not ("data" or "data_end" or "data_meta" or "ingress_ifindex" or "rx_queue_index" or "egress_ifindex"))
                        {
                            throw Bad(file, $"{where}: ctx has no field '{p.Name}' (xdp_md: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex)");
                        }
                    }

                    ctx = new XdpMd(Field("data"), Field("data_end"), Field("data_meta"), Field("ingress_ifindex"), Field("rx_queue_index"), Field("egress_ifindex"));
                }

                result.Add(new Input(HexBytes.Parse(d.GetString()!, $"{where} data", file), ctx, $"{file} {where}"));
            }

            return result;
        }
    }

    private static Dictionary<string, object?> RunJson(XdpTestRunResult r, Dictionary<string, List<string>> ringbuf, IReadOnlyList<string> trace)
    {
        var run = new Dictionary<string, object?>
        {
            ["retval"] = r.Retval,
            ["error"] = r.Error == Errno.Ok ? null : r.Error.ToString(),
        };
        if (r.Error != Errno.Ok)
        {
            run["reason"] = r.Refusal;
            return run;
        }

        run["action"] = r.Retval <= 4 ? "XDP_" + ((XdpAction)r.Retval).ToString().ToUpperInvariant() : "unknown (XDP_ABORTED)";
        run["data_out"] = Convert.ToHexStringLower(r.DataOut);
        run["ctx_out"] = new Dictionary<string, uint>
        {
            ["data"] = r.ContextOut.Data,
            ["data_end"] = r.ContextOut.DataEnd,
            ["data_meta"] = r.ContextOut.DataMeta,
            ["ingress_ifindex"] = r.ContextOut.IngressIfindex,
            ["rx_queue_index"] = r.ContextOut.RxQueueIndex,
            ["egress_ifindex"] = r.ContextOut.EgressIfindex,
        };
        if (r.Redirect.Kind != XdpRedirectKind.None) run["redirect"] = r.Redirect.ToString();
        run["ringbuf"] = ringbuf;
        run["trace"] = trace;
        run["duration_ns"] = r.DurationNs;
        return run;
    }

    private static void WriteRun(TextWriter o, int index, Input input, XdpTestRunResult r, Dictionary<string, object?> run)
    {
        if (r.Error != Errno.Ok)
        {
            o.WriteLine($"run {index} ({input.Origin}, {input.Data.Length} bytes): {r.Error}: {r.Refusal}");
            return;
        }

        o.WriteLine($"run {index} ({input.Origin}, {input.Data.Length} bytes): retval {r.Retval} ({run["action"]}), {r.DataOut.Length} bytes out, {r.DurationNs.ToString(CultureInfo.InvariantCulture)} ns per run");
        if (r.Redirect.Kind != XdpRedirectKind.None) o.WriteLine($"  redirect: {r.Redirect}");
        o.WriteLine($"  data_out: {run["data_out"]}");
        var c = r.ContextOut;
        o.WriteLine($"  ctx_out: data {c.Data}, data_end {c.DataEnd}, data_meta {c.DataMeta}, ingress_ifindex {c.IngressIfindex}, rx_queue_index {c.RxQueueIndex}");
        foreach (var (map, records) in (Dictionary<string, List<string>>)run["ringbuf"]!)
        {
            foreach (var record in records) o.WriteLine($"  ringbuf {map}: {record}");
        }

        foreach (var line in (IReadOnlyList<string>)run["trace"]!) o.WriteLine($"  trace: {line}");
    }

    private static HbpfException Bad(string file, string reason) => new(ErrorCode.BadRunInput, reason, new BpfLocation { File = file });
}
