using System.Diagnostics;
using System.Globalization;
using HeteroBpf.Capture;
using HeteroBpf.Maps;
using HeteroBpf.Offload;
using HeteroBpf.Xdp;

namespace HeteroBpf.Cli;

/// <summary>
/// An object loaded for <c>run</c> and <c>test-run</c> on an offload device (<c>--device sim</c>): its maps created on
/// the device, its XDP programs bound, verified and translated there, the map set written through the device's map
/// operations, and the maps printed as read back through them.
/// </summary>
internal sealed class OffloadedObject : IDisposable
{
    private OffloadedObject(string path, DeviceCollection collection, BpfDeviceProgram program)
    {
        Path = path;
        Collection = collection;
        Program = program;
    }

    public string Path { get; }

    public DeviceCollection Collection { get; }

    public BpfDeviceProgram Program { get; }

    public OffloadDevice Device => Collection.Device;

    /// <summary>Loads <paramref name="path"/>'s XDP programs on <paramref name="device"/> and picks one as <see cref="LoadedObject.Load"/> does.</summary>
    public static OffloadedObject Load(string path, OffloadDevice device, string? mapSet, string? name, string? section)
    {
        var input = ObjectInput.Load(path);
        var chosen = LoadedObject.SelectXdp(input, name, section);
        var collection = DeviceCollection.Load(input.Object, device, select: p => p.Type == ProgramType.Xdp);
        try
        {
            if (mapSet is not null)
            {
                if (!File.Exists(mapSet)) throw new HbpfException(ErrorCode.FileNotReadable, "no such file", new BpfLocation { File = mapSet });
                collection.Apply(MapSet.Parse(File.ReadAllText(mapSet), mapSet), mapSet);
            }

            return new OffloadedObject(path, collection, collection.Program(chosen.Name));
        }
        catch
        {
            collection.Dispose();
            throw;
        }
    }

    /// <summary>One test-run through the device, in the host test-run's result shape.</summary>
    public XdpTestRunResult TestRun(byte[] data, XdpMd? context, uint repeat)
    {
        DeviceXdpContext? ctx = context is { } c ? new DeviceXdpContext(c.Data, c.DataEnd, c.DataMeta, c.IngressIfindex, c.RxQueueIndex, c.EgressIfindex) : null;
        long start = Stopwatch.GetTimestamp();
        var r = Program.TestRun(Device, data, ctx, repeat);
        long ns = (long)Stopwatch.GetElapsedTime(start).TotalNanoseconds / Math.Max(1, repeat);
        if (r.Error != Errno.Ok) return XdpTestRunResult.Refused(r.Error, r.Refusal ?? r.Error.ToString());
        var x = r.Context;
        return new XdpTestRunResult(Errno.Ok, r.Retval, r.DataOut, new XdpMd(x.Data, x.DataEnd, 0, x.IngressIfindex, x.RxQueueIndex, 0), ns, Redirect(r));
    }

    private XdpRedirect Redirect(DeviceTestRunResult r) => r.RedirectKind switch
    {
        0 => default,
        1 => new XdpRedirect(XdpRedirectKind.Interface, r.RedirectTarget),
        _ => new XdpRedirect((XdpRedirectKind)r.RedirectKind, r.RedirectTarget, (uint)r.RedirectMap < (uint)Program.MapRefs.Count ? Program.MapRefs[r.RedirectMap].Device?.Spec.Name : null),
    };

    /// <summary>The maps as JSON values, read through the device.</summary>
    public Dictionary<string, Dictionary<string, object>> MapsJson()
    {
        var result = new Dictionary<string, Dictionary<string, object>>();
        foreach (var map in Collection.Maps)
        {
            if (!LoadedObject.IsDumpable(map.Spec.Type)) continue;
            var entries = new Dictionary<string, object>();
            foreach (var (key, value) in map.Entries()) entries[Convert.ToHexStringLower(key)] = ValueJson(map, value);
            result[map.Spec.Name] = entries;
        }

        return result;
    }

    /// <summary>The maps as text in the object's order: device maps read through the device, neutral channels (host maps) as on the host.</summary>
    public void WriteMapsText(TextWriter o)
    {
        foreach (var r in Collection.MapRefs)
        {
            if (r.Device is { } map) LoadedObject.WriteMapText(o, map.Spec, Device.Name, LoadedObject.IsDumpable(map.Spec.Type) ? map.Entries() : null, value => ValueJson(map, value));
            else LoadedObject.WriteMapText(o, r.Host!.Spec, null, null, _ => "");
        }
    }

    /// <summary>
    /// Every neutral ring buffer's records since the last call, by map name (maps with none left out), as the host path
    /// reports them: the device program fed them back into the host map, so the host consumes them as usual.
    /// </summary>
    public Dictionary<string, List<string>> DrainRingBuffers()
    {
        var result = new Dictionary<string, List<string>>();
        foreach (var map in Collection.Channels)
        {
            if (map is not RingBufMap ring) continue;
            var records = new List<string>();
            ring.Consume(record =>
            {
                records.Add(Convert.ToHexStringLower(record));
                return 0;
            });
            if (records.Count > 0) result[map.Spec.Name] = records;
        }

        return result;
    }

    private object ValueJson(BpfDeviceMap map, byte[] value)
    {
        if (map.Spec.Type is MapType.ArrayOfMaps or MapType.HashOfMaps)
        {
            int handle = BitConverter.ToInt32(value);
            return new Dictionary<string, string> { ["map"] = (uint)handle < (uint)Collection.MapRefs.Length && Collection.MapRefs[handle].Device is { } inner ? inner.Spec.Name : $"#{handle}" };
        }

        if (value.Length == map.Spec.ValueSize) return Convert.ToHexStringLower(value);
        int stride = (int)((map.Spec.ValueSize + 7) & ~7u);
        return Enumerable.Range(0, value.Length / stride).Select(cpu => Convert.ToHexStringLower(value.AsSpan(cpu * stride, (int)map.Spec.ValueSize))).ToList();
    }

    /// <summary>
    /// Every packet of <paramref name="pcap"/> through the device, one at a time, as <c>hbpf run</c> reports it: counts
    /// per action, redirect targets, aborted and not-run packets, and pass/tx/redirect captures in <paramref name="outDir"/>.
    /// </summary>
    public Dictionary<string, object?> RunCapture(string pcap, string? outDir)
    {
        var actions = Enum.GetValues<XdpAction>().ToDictionary(a => a, _ => new long[2]);
        var targets = new SortedDictionary<string, long[]>(StringComparer.Ordinal);
        var aborted = new List<Dictionary<string, object>>();
        var notRun = new List<Dictionary<string, object>>();
        var outputs = new Dictionary<string, PcapWriter>(StringComparer.Ordinal);
        long packets = 0, bytes = 0, index = -1;
        string? truncation = null;
        // arm64-nic runs the capture through its receive path: batches of up to 128 packets per core, one emulator
        // entry per core per batch (the firmware's RX loop), with the same per-packet results as one test-run each.
        var nic = Device as Devices.Arm64NicDevice;
        var batch = nic is null ? null : new List<Pending>();
        int batchSize = nic is null ? 0 : Math.Min(nic.Cores * Devices.Arm64NicDevice.BatchPerCore, Devices.Arm64NicDevice.RxBuffers), batchRuns = 0;
        var clock = Stopwatch.StartNew();

        void Account(long at, byte[] data, LinkType linkType, long timestampNs, DeviceTestRunResult? r, BpfFaultException? fault)
        {
            if (fault is not null)
            {
                packets++;
                bytes += data.Length;
                Count(actions[XdpAction.Aborted], data.Length);
                aborted.Add(new() { ["index"] = at, ["reason"] = $"fault: {fault.Message}" });
                return;
            }

            if (r!.Error != Errno.Ok)
            {
                notRun.Add(new() { ["index"] = at, ["reason"] = r.Refusal ?? r.Error.ToString() });
                return;
            }

            packets++;
            bytes += data.Length;
            var action = r.Retval <= (uint)XdpAction.Redirect ? (XdpAction)r.Retval : XdpAction.Aborted;
            if (action == XdpAction.Aborted) aborted.Add(new() { ["index"] = at, ["reason"] = r.Retval == 0 ? "XDP_ABORTED" : $"return value {r.Retval} is not an XDP action" });
            Count(actions[action], data.Length);
            string? target = action switch
            {
                XdpAction.Pass => "pass",
                XdpAction.Tx => "tx",
                XdpAction.Redirect => "redirect-" + Redirect(r),
                _ => null,
            };
            if (target is null) return;
            if (action == XdpAction.Redirect)
            {
                if (!targets.TryGetValue(Redirect(r).ToString(), out var t)) targets[Redirect(r).ToString()] = t = new long[2];
                Count(t, data.Length);
            }

            if (outDir is null) return;
            if (!outputs.TryGetValue(target, out var writer))
            {
                Directory.CreateDirectory(outDir);
                outputs[target] = writer = PcapWriter.Create(System.IO.Path.Combine(outDir, target + ".pcap"), linkType);
            }

            writer.Write(r.DataOut.AsSpan((int)r.Context.Data), timestampNs);
        }

        // The pending packets through the NIC in one batch (refused ones skipped), then accounted in capture order.
        void RunPending()
        {
            var run = batch!.Where(p => p.Refused is null).Select(p => p.Data).ToList();
            var results = new DeviceTestRunResult?[run.Count];
            var faults = new BpfFaultException?[run.Count];
            if (run.Count > 0) nic!.RunBatch(Program, run, results, faults);
            int k = 0;
            foreach (var p in batch!)
            {
                if (p.Refused is not null) Account(p.Index, p.Data, p.LinkType, p.TimestampNs, p.Refused, null);
                else
                {
                    Account(p.Index, p.Data, p.LinkType, p.TimestampNs, results[k], faults[k]);
                    k++;
                }
            }

            batch.Clear();
            batchRuns = 0;
        }

        try
        {
            using var reader = CaptureReader.Open(pcap);
            while (true)
            {
                CapturedPacket packet;
                try
                {
                    if (!reader.TryRead(out packet)) break;
                }
                catch (CaptureFormatException e)
                {
                    truncation = e.Message;
                    break;
                }

                index++;
                var data = packet.Data.ToArray();
                if (batch is null)
                {
                    DeviceTestRunResult? r = null;
                    BpfFaultException? fault = null;
                    try
                    {
                        r = Program.TestRun(Device, data);
                    }
                    catch (BpfFaultException e)
                    {
                        fault = e;
                    }

                    Account(index, data, packet.LinkType, packet.TimestampNs, r, fault);
                    continue;
                }

                // Refused inputs never reach the device, as in a test-run.
                if (DeviceTestRun.Check(Program, data, null) is { } refused)
                {
                    batch.Add(new Pending(index, data, packet.LinkType, packet.TimestampNs, refused));
                    continue;
                }

                batch.Add(new Pending(index, data, packet.LinkType, packet.TimestampNs, null));
                if (++batchRuns == batchSize) RunPending();
            }

            if (batch is not null) RunPending();
        }
        finally
        {
            foreach (var w in outputs.Values) w.Dispose();
        }

        clock.Stop();
        double ns = clock.Elapsed.TotalNanoseconds;
        return new()
        {
            ["object"] = Path,
            ["program"] = Program.Spec.Name,
            ["pcap"] = pcap,
            ["device"] = Device.Name,
            ["queues"] = 1,
            ["packets"] = packets,
            ["bytes"] = bytes,
            ["actions"] = actions.ToDictionary(a => a.Key.ToString().ToLowerInvariant(), a => new Dictionary<string, long> { ["packets"] = a.Value[0], ["bytes"] = a.Value[1] }),
            ["redirect_targets"] = targets.ToDictionary(t => t.Key, t => new Dictionary<string, long> { ["packets"] = t.Value[0], ["bytes"] = t.Value[1] }),
            ["aborted"] = aborted,
            ["not_run"] = notRun,
            ["truncation"] = truncation,
            ["elapsed_ns"] = (long)ns,
            ["ns_per_packet"] = packets == 0 ? 0 : Math.Round(ns / packets, 1),
            ["packets_per_second"] = ns <= 0 ? 0 : Math.Round(packets / (ns / 1e9)),
            ["outputs"] = outputs.Keys.ToDictionary(k => k, k => System.IO.Path.Combine(outDir!, k + ".pcap")),
        };
    }

    // A packet read and not yet accounted: where it was in the capture, and its refusal when it cannot run.
    private sealed record Pending(long Index, byte[] Data, LinkType LinkType, long TimestampNs, DeviceTestRunResult? Refused);

    private static void Count(long[] count, int length)
    {
        count[0]++;
        count[1] += length;
    }

    /// <summary>Whether <see cref="RunCapture"/> runs batches through the device's receive path (arm64-nic) rather than one test-run per packet.</summary>
    public bool Batched => Device is Devices.Arm64NicDevice;

    /// <summary>The run summary as text: one line, one row per action, then the problems.</summary>
    public static void WriteRunText(TextWriter o, Dictionary<string, object?> s, bool batched = false)
    {
        var c = CultureInfo.InvariantCulture;
        o.WriteLine($"{s["program"]} ({s["object"]}) over {s["pcap"]}: {((long)s["packets"]!).ToString("N0", c)} packets, 1 queue, device {s["device"]} ({(batched ? "through the device's receive path, in batches" : "through the device, one packet at a time")})");
        foreach (var (action, count) in (Dictionary<string, Dictionary<string, long>>)s["actions"]!)
        {
            o.WriteLine($"  XDP_{action.ToUpperInvariant(),-9} {count["packets"].ToString("N0", c),10} packets {count["bytes"].ToString("N0", c),12} bytes");
        }

        foreach (var (target, count) in (Dictionary<string, Dictionary<string, long>>)s["redirect_targets"]!) o.WriteLine($"    → {target}: {count["packets"].ToString("N0", c)} packets");
        var outputs = (Dictionary<string, string>)s["outputs"]!;
        if (outputs.Count == 0) o.WriteLine("no output captures written (give --out-dir DIR)");
        foreach (var (name, file) in outputs) o.WriteLine($"output {name}: {file}");
        foreach (var p in ((List<Dictionary<string, object>>)s["aborted"]!).Take(20)) o.WriteLine($"aborted: packet {p["index"]}: {p["reason"]}");
    }

    public void Dispose() => Collection.Dispose();
}
