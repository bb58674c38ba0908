using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using HeteroBpf.Offload;
using HeteroBpf.Xdp;
using Spectre.Console;

namespace HeteroBpf.Cli.Commands;

/// <summary>
/// <c>hbpf run OBJECT.o [--prog NAME] --pcap IN [--out-dir DIR] [--queues N] [--device NAME] [--map-set FILE.json]
/// [--json] [--maps table|json]</c>: every packet of a capture through an XDP program, counted per action, with one
/// output capture per action and the maps afterwards.
/// </summary>
internal static class RunCommand
{
    public static Command Create(CliIo io)
    {
        var obj = new Argument<string>("object") { Description = "An eBPF ELF object (clang -target bpf) with an XDP program." };
        var prog = new Option<string?>("--prog") { Description = "The program, by name (default: the object's only XDP program).", HelpName = "NAME" };
        var section = new Option<string?>("--section") { Description = "The program, by ELF section.", HelpName = "S" };
        var pcap = new Option<string>("--pcap") { Description = "The capture to run (pcap or pcapng, Ethernet).", Required = true, HelpName = "IN" };
        var outDir = new Option<string?>("--out-dir") { Description = "Write pass.pcap, tx.pcap and redirect-TARGET.pcap here.", HelpName = "DIR" };
        var queues = new Option<int>("--queues") { Description = "Worker queues, packets spread by a hash of the 5-tuple as RSS does; each queue is one CPU for per-CPU maps.", DefaultValueFactory = _ => 1, HelpName = "N" };
        var device = DeviceOption.Create();
        var cores = DeviceOption.CreateCores();
        var mapSet = new Option<string?>("--map-set") { Description = "JSON list of map updates applied after load (see docs/CLI.md).", HelpName = "FILE.json" };
        var json = new Option<bool>("--json") { Description = "Print the summary and maps as one JSON object (no progress bar)." };
        var maps = new Option<string>("--maps") { Description = "How the maps are printed after the summary: table or json.", DefaultValueFactory = _ => "table", HelpName = "table|json" };
        maps.AcceptOnlyFromAmong("table", "json");
        var command = new Command("run", "Run every packet of a capture through an XDP program: counts per action, output captures, maps afterwards.")
        {
            obj, prog, section, pcap, outDir, queues, device, cores, mapSet, json, maps,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(obj)!;
            return io.Guard(path, () =>
            {
                var dev = DeviceOption.Resolve(parse.GetValue(device), parse.GetValue(cores));
                if (dev is OffloadDevice offload) return RunOnDevice(io, parse, offload, path, prog, section, pcap, outDir, queues, mapSet, json, maps);
                using var loaded = LoadedObject.Load(path, parse.GetValue(mapSet), parse.GetValue(prog), parse.GetValue(section), LoadedObject.EngineOf(dev));
                var program = loaded.Program;
                string input = parse.GetValue(pcap)!;
                var progress = new CaptureRunProgress();
                bool quiet = parse.GetValue(json);
                var result = WithProgress(io, quiet, progress, () =>
                    CaptureRun.Run(loaded.Collection, program, input, parse.GetValue(queues), parse.GetValue(outDir), progress));
                var summary = Summary(program, path, input, dev.Name, result);
                if (quiet)
                {
                    summary["maps"] = loaded.MapsJson();
                    io.Out.WriteLine(JsonSerializer.Serialize(summary, ObjectInput.Json));
                }
                else
                {
                    WriteText(io, program, path, input, dev.Name, result);
                    if (parse.GetValue(maps) == "json") io.Out.WriteLine(JsonSerializer.Serialize(loaded.MapsJson(), ObjectInput.Json));
                    else loaded.WriteMapsText(io.Out);
                }

                int status = 0;
                if (result.Truncation is { } t)
                {
                    io.Error.WriteLine($"{t.Location}: {t.Reason} ({t.CodeText}); the {result.Packets + result.NotRun.Count} packets before it were run");
                    status = 1;
                }

                if (result.NotRun.Count > 0)
                {
                    io.Error.WriteLine($"{input}: {result.NotRun.Count} packet(s) not run, the first: packet {result.NotRun[0].Index}: {result.NotRun[0].Reason}");
                    status = 1;
                }

                return status;
            });
        });
        return command;
    }

    // An offload device runs the capture through the device (its own memory, its own maps): one test-run per packet,
    // or on arm64-nic batches through its receive path (the firmware's RX loop), with the same per-packet results.
    private static int RunOnDevice(CliIo io, ParseResult parse, OffloadDevice device, string path, Option<string?> prog, Option<string?> section, Option<string> pcap, Option<string?> outDir, Option<int> queues, Option<string?> mapSet, Option<bool> json, Option<string> maps)
    {
        if (parse.GetValue(queues) != 1) throw new HbpfException(ErrorCode.BadArgument, $"device '{device.Name}' takes packets one at a time through the device; --queues needs a host device (host-interp, host-cil)");
        using var loaded = OffloadedObject.Load(path, device, parse.GetValue(mapSet), parse.GetValue(prog), parse.GetValue(section));
        var summary = loaded.RunCapture(parse.GetValue(pcap)!, parse.GetValue(outDir));
        if (parse.GetValue(json))
        {
            summary["maps"] = loaded.MapsJson();
            io.Out.WriteLine(JsonSerializer.Serialize(summary, ObjectInput.Json));
        }
        else
        {
            OffloadedObject.WriteRunText(io.Out, summary, loaded.Batched);
            if (parse.GetValue(maps) == "json") io.Out.WriteLine(JsonSerializer.Serialize(loaded.MapsJson(), ObjectInput.Json));
            else loaded.WriteMapsText(io.Out);
        }

        int status = 0;
        if (summary["truncation"] is string t)
        {
            io.Error.WriteLine($"{parse.GetValue(pcap)}: {t}");
            status = 1;
        }

        var notRun = (List<Dictionary<string, object>>)summary["not_run"]!;
        if (notRun.Count > 0)
        {
            io.Error.WriteLine($"{parse.GetValue(pcap)}: {notRun.Count} packet(s) not run, the first: packet {notRun[0]["index"]}: {notRun[0]["reason"]}");
            status = 1;
        }

        return status;
    }

    // A bar appears only on an interactive terminal, and only once a run has lasted a second.
    private static CaptureRunResult WithProgress(CliIo io, bool quiet, CaptureRunProgress progress, Func<CaptureRunResult> run)
    {
        var task = Task.Run(run);
        if (quiet || !ReferenceEquals(io.Out, Console.Out) || Console.IsOutputRedirected || task.Wait(TimeSpan.FromSeconds(1)))
        {
            return task.GetAwaiter().GetResult();
        }

        AnsiConsole.Progress().AutoClear(true).Start(ctx =>
        {
            var bar = ctx.AddTask("packets", maxValue: Math.Max(1, progress.Total));
            while (!task.Wait(TimeSpan.FromMilliseconds(100))) bar.Value = progress.Done;
            bar.Value = progress.Total;
        });
        return task.GetAwaiter().GetResult();
    }

    private static readonly TimeSpan ShortRun = TimeSpan.FromMilliseconds(100);

    private static string ActionName(XdpAction a) => "XDP_" + a.ToString().ToUpperInvariant();

    private static Dictionary<string, object?> Summary(Offload.BpfProgram program, string path, string input, string device, CaptureRunResult r) => new()
    {
        ["object"] = path,
        ["program"] = program.Spec.Name,
        ["pcap"] = input,
        ["device"] = device,
        ["queues"] = r.Queues,
        ["packets"] = r.Packets,
        ["bytes"] = r.Bytes,
        ["actions"] = r.Actions.ToDictionary(a => a.Key.ToString().ToLowerInvariant(), a => new Dictionary<string, long> { ["packets"] = a.Value.Packets, ["bytes"] = a.Value.Bytes }),
        ["redirect_targets"] = r.RedirectTargets.ToDictionary(t => t.Key, t => new Dictionary<string, long> { ["packets"] = t.Value.Packets, ["bytes"] = t.Value.Bytes }),
        ["aborted"] = r.Aborted.Select(p => new Dictionary<string, object> { ["index"] = p.Index, ["reason"] = p.Reason }).ToList(),
        ["not_run"] = r.NotRun.Select(p => new Dictionary<string, object> { ["index"] = p.Index, ["reason"] = p.Reason }).ToList(),
        ["truncation"] = r.Truncation is { } t ? new Dictionary<string, object> { ["offset"] = t.Offset, ["reason"] = t.Reason } : null,
        ["elapsed_ns"] = (long)r.Elapsed.TotalNanoseconds,
        ["ns_per_packet"] = Math.Round(r.NsPerPacket, 1),
        ["packets_per_second"] = Math.Round(r.PacketsPerSecond),
        ["outputs"] = r.Outputs,
    };

    private static void WriteText(CliIo io, Offload.BpfProgram program, string path, string input, string device, CaptureRunResult r)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(io.Out),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        var c = CultureInfo.InvariantCulture;
        io.Out.WriteLine($"{program.Spec.Name} ({path}) over {input}: {r.Packets.ToString("N0", c)} packets, {r.Queues} queue{(r.Queues == 1 ? "" : "s")}, device {device}");
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("action").AddColumn(new TableColumn("packets").RightAligned()).AddColumn(new TableColumn("bytes").RightAligned()).AddColumn("output");
        foreach (var (action, count) in r.Actions)
        {
            string output = action switch
            {
                XdpAction.Pass => r.Outputs.GetValueOrDefault("pass") ?? "",
                XdpAction.Tx => r.Outputs.GetValueOrDefault("tx") ?? "",
                XdpAction.Redirect when r.RedirectTargets.Count > 0 => $"{r.RedirectTargets.Count} target(s), below",
                XdpAction.Aborted when count.Packets > 0 => "logged below",
                _ => "",
            };
            table.AddRow(Markup.Escape(ActionName(action)), count.Packets.ToString("N0", c), count.Bytes.ToString("N0", c), Markup.Escape(output));
        }

        foreach (var (target, count) in r.RedirectTargets)
        {
            table.AddRow(Markup.Escape("  → " + target), count.Packets.ToString("N0", c), count.Bytes.ToString("N0", c), Markup.Escape(r.Outputs.GetValueOrDefault("redirect-" + target) ?? ""));
        }

        table.AddRow("total", r.Packets.ToString("N0", c), r.Bytes.ToString("N0", c), "");
        console.Write(table);
        io.Out.WriteLine($"{r.PacketsPerSecond.ToString("N0", c)} packets/s, {r.NsPerPacket.ToString("N0", c)} ns/packet ({r.Elapsed.TotalMilliseconds.ToString("N3", c)} ms wall clock)");
        // Under ~0.1 s the figure is mostly .NET compiling the per-packet path; say so rather than let it pass for a rate.
        if (r.Elapsed < ShortRun) io.Out.WriteLine("(a run this short mostly measures .NET compiling the code on first use; steady-state rates are in docs/BENCHMARKS.md)");
        if (r.Outputs.Count == 0) io.Out.WriteLine("no output captures written (give --out-dir DIR)");
        foreach (var p in r.Aborted.Take(20)) io.Out.WriteLine($"aborted: packet {p.Index}: {p.Reason}");
        if (r.Aborted.Count > 20) io.Out.WriteLine($"aborted: {r.Aborted.Count - 20} more (all in --json)");
    }
}
