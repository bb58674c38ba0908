using System.Text.Json;
using HeteroBpf.Capture;
using HeteroBpf.Devices;
using HeteroBpf.Elf;
using HeteroBpf.Helpers;
using HeteroBpf.Offload;
using HeteroBpf.Xdp;

namespace HeteroBpf.Tests.Offload;

/// <summary>
/// Every XDP example of <c>examples/</c> offloaded to <c>sim</c> and to <c>arm64-nic</c> (maps on the device, the program
/// bound, verified and translated there — to ARM64 on the NIC — run on the UAPI <c>xdp_md</c> in device memory) against
/// the host interpreter running the same object, which <c>Xdp/ExampleTests</c> holds equal to the kernel: every packet's
/// retval, output bytes, context and redirect, the per-action counts of <c>expected.json</c>, and every map afterwards
/// read through the device; then the XDP programs of the fixtures over seeded inputs.
/// </summary>
public sealed class OffloadExampleTests
{
    private static readonly string[] Devices = ["sim", "arm64-nic"];

    public static TheoryData<string, string> Examples()
    {
        var data = new TheoryData<string, string>();
        foreach (string device in Devices)
        {
            foreach (string name in new[] { "counter", "firewall", "reflector", "ipip", "dns_truncate", "lb" }) data.Add(device, name);
        }

        return data;
    }

    // A fresh device of that kind (arm64-nic skips the test when Unicorn is missing).
    private static OffloadDevice Create(string device, string name)
    {
        if (device == "sim") return new SimDevice("sim-" + name);
        if (!HeteroBpf.Devices.Unicorn.Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        return new Arm64NicDevice("nic-" + name);
    }

    private static string Dir(string name) => Path.Combine(RepoPaths.Root, "examples", name);

    [Theory]
    [MemberData(nameof(Examples))]
    public void EveryPacketAndMapOnTheDeviceEqualsTheHost(string deviceName, string name)
    {
        var obj = ObjectFile.Load(Path.Combine(Dir(name), name + ".o"));
        string program = obj.Programs.Single(p => p.Type == ProgramType.Xdp).Name;
        string mapSetPath = Path.Combine(Dir(name), "map-set.json");
        var mapSet = File.Exists(mapSetPath) ? MapSet.Parse(File.ReadAllText(mapSetPath), mapSetPath) : null;

        using var host = BpfCollection.Load(obj, typeOps: XdpOps.Instance);
        var target = Create(deviceName, name);
        using var device = DeviceCollection.Load(obj, target, select: p => p.Type == ProgramType.Xdp);
        if (mapSet is not null)
        {
            MapSet.Apply(host, mapSet, mapSetPath);
            device.Apply(mapSet, mapSetPath);
        }

        using var runner = new XdpRunner(host, host.Program(program));
        var offloaded = device.Program(program);
        Assert.Equal(DeviceProgramState.Loaded, offloaded.State);
        var counts = new Dictionary<string, int>();
        // One CPU for both sides, so per-CPU maps land in the same slot.
        MapHelpers.SetThreadCpu(0);
        try
        {
            using var reader = CaptureReader.Open(Path.Combine(Dir(name), name + ".pcap"));
            int index = 0;
            while (reader.TryRead(out var packet))
            {
                var data = packet.Data.ToArray();
                var h = XdpTestRun.Run(runner, data);
                var d = offloaded.TestRun(target, data);
                string what = $"{name} packet {index++}";
                Assert.True(h.Error == d.Error, $"{what}: errno host {h.Error}, {deviceName} {d.Error}");
                Assert.True(h.Retval == d.Retval, $"{what}: retval host {h.Retval}, {deviceName} {d.Retval}");
                Assert.True(h.DataOut.AsSpan().SequenceEqual(d.DataOut), $"{what}: data_out differs");
                Assert.Equal(h.ContextOut.Data, d.Context.Data);
                Assert.Equal(h.ContextOut.DataEnd, d.Context.DataEnd);
                Assert.Equal((uint)h.Redirect.Kind, d.RedirectKind);
                Assert.Equal(h.Redirect.Target, d.RedirectTarget);
                string action = ((XdpAction)Math.Min(d.Retval, (uint)XdpAction.Redirect)).ToString().ToLowerInvariant();
                counts[action] = counts.GetValueOrDefault(action) + 1;
            }
        }
        finally
        {
            MapHelpers.SetThreadCpu(-1);
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir(name), "expected.json")));
        foreach (var p in doc.RootElement.GetProperty("actions").EnumerateObject()) Assert.Equal(p.Value.GetInt32(), counts.GetValueOrDefault(p.Name));

        for (int i = 0; i < host.Maps.Length; i++)
        {
            var hostMap = host.Maps[i];
            var deviceMap = device.Maps[i];
            Assert.Equal(hostMap.Spec.Name, deviceMap.Spec.Name);
            // As sets: a hash map's walk order follows its random seed, different in every map.
            var expected = hostMap.Entries().Select(e => Convert.ToHexString(e.Key) + "=" + Convert.ToHexString(e.Value)).Order(StringComparer.Ordinal).ToList();
            var actual = deviceMap.Entries().Select(e => Convert.ToHexString(e.Key) + "=" + Convert.ToHexString(e.Value)).Order(StringComparer.Ordinal).ToList();
            Assert.True(expected.SequenceEqual(actual), $"{name}: map '{hostMap.Spec.Name}' differs:\n host {string.Join(' ', expected)}\n {deviceName} {string.Join(' ', actual)}");
        }
    }

    public static TheoryData<string, string, string> FixturePrograms()
    {
        var data = new TheoryData<string, string, string>();
        foreach (string fixture in new[] { "xdp_helpers", "xdp_parse", "atomics", "globals", "bloom" })
        {
            foreach (string v in new[] { "v2", "v3", "v4" })
            {
                var obj = ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, $"{fixture}-{v}.o"));
                foreach (var p in obj.Programs.Where(p => p.Type == ProgramType.Xdp))
                {
                    foreach (string device in Devices) data.Add(device, $"{fixture}-{v}.o", p.Name);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FixturePrograms))]
    public void EveryFixtureXdpProgramOnTheDeviceEqualsTheHost(string deviceName, string fixture, string program)
    {
        var obj = ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture));
        var xdpOnly = obj with { Programs = [.. obj.Programs.Where(p => p.Type == ProgramType.Xdp)] };
        using var host = BpfCollection.Load(xdpOnly, typeOps: XdpOps.Instance);
        var target = Create(deviceName, "fixture");
        using var device = DeviceCollection.Load(xdpOnly, target);
        using var runner = new XdpRunner(host, host.Program(program));
        var offloaded = device.Program(program);
        var random = new Random(fixture.GetHashCode(StringComparison.Ordinal) ^ program.Length);
        int ran = 0;
        MapHelpers.SetThreadCpu(0);
        try
        {
            for (int i = 0; i < 300; i++)
            {
                var data = new byte[random.Next(10, 700)];
                random.NextBytes(data);
                if (data.Length >= 34 && random.Next(2) == 0)
                {
                    // Ethernet + IPv4 with a common protocol, so parsers get past their first checks.
                    data[12] = 0x08;
                    data[13] = 0x00;
                    data[14] = 0x45;
                    data[23] = (byte)new[] { 1, 6, 17 }[random.Next(3)];
                }

                uint meta = (uint)(random.Next(3) == 0 ? random.Next(0, 3) * 4 : 0);
                XdpMd? ctx = meta == 0 && random.Next(2) == 0 ? null : new XdpMd(Math.Min(meta, (uint)data.Length & ~3u), (uint)data.Length, IngressIfindex: 1);
                var h = XdpTestRun.Run(runner, data, ctx);
                var d = offloaded.TestRun(target, data, ctx is { } c ? new DeviceXdpContext(c.Data, c.DataEnd, IngressIfindex: c.IngressIfindex) : null);
                string what = $"{fixture} {program} input {i} ({data.Length} bytes)";
                Assert.True(h.Error == d.Error, $"{what}: errno host {h.Error}, {deviceName} {d.Error}");
                if (h.Error != Errno.Ok) continue;
                ran++;
                Assert.True(h.Retval == d.Retval, $"{what}: retval host {h.Retval}, {deviceName} {d.Retval}");
                Assert.True(h.DataOut.AsSpan().SequenceEqual(d.DataOut), $"{what}: data_out differs");
                Assert.Equal((h.ContextOut.Data, h.ContextOut.DataEnd), (d.Context.Data, d.Context.DataEnd));
                Assert.Equal(((uint)h.Redirect.Kind, h.Redirect.Target), (d.RedirectKind, d.RedirectTarget));
            }
        }
        finally
        {
            MapHelpers.SetThreadCpu(-1);
        }

        Assert.True(ran > 200, $"only {ran} of 300 inputs ran");
        for (int i = 0; i < host.Maps.Length; i++)
        {
            if (host.Maps[i].HoldsHandles) continue;
            var expected = host.Maps[i].Entries().Select(e => Convert.ToHexString(e.Key) + "=" + Convert.ToHexString(e.Value)).Order(StringComparer.Ordinal);
            var actual = device.Maps[i].Entries().Select(e => Convert.ToHexString(e.Key) + "=" + Convert.ToHexString(e.Value)).Order(StringComparer.Ordinal);
            Assert.Equal(expected, actual);
        }
    }
}
