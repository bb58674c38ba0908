using System.Text.Json;
using HeteroBpf.Capture;
using HeteroBpf.Devices;
using HeteroBpf.Elf;
using HeteroBpf.Helpers;
using HeteroBpf.Offload;
using HeteroBpf.Xdp;

namespace HeteroBpf.Tests.Offload;

/// <summary>
/// Every XDP example of <c>examples/</c> offloaded to <c>sim</c> (maps on the device, the program bound, verified and
/// translated there, run on the UAPI <c>xdp_md</c> in device memory) against the host interpreter running the same
/// object, which <c>Xdp/ExampleTests</c> holds equal to the kernel: every packet's retval, output bytes, context and
/// redirect, the per-action counts of <c>expected.json</c>, and every map afterwards read through the device.
/// </summary>
public sealed class SimExampleTests
{
    public static TheoryData<string> Examples() => new("counter", "firewall", "reflector", "ipip", "dns_truncate", "lb");

    private static string Dir(string name) => Path.Combine(RepoPaths.Root, "examples", name);

    [Theory]
    [MemberData(nameof(Examples))]
    public void EveryPacketAndMapOnSimEqualsTheHost(string name)
    {
        var obj = ObjectFile.Load(Path.Combine(Dir(name), name + ".o"));
        string program = obj.Programs.Single(p => p.Type == ProgramType.Xdp).Name;
        string mapSetPath = Path.Combine(Dir(name), "map-set.json");
        var mapSet = File.Exists(mapSetPath) ? MapSet.Parse(File.ReadAllText(mapSetPath), mapSetPath) : null;

        using var host = BpfCollection.Load(obj, typeOps: XdpOps.Instance);
        var sim = new SimDevice("sim-" + name);
        using var device = DeviceCollection.Load(obj, sim, select: p => p.Type == ProgramType.Xdp);
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
                var d = offloaded.TestRun(sim, data);
                string what = $"{name} packet {index++}";
                Assert.True(h.Error == d.Error, $"{what}: errno host {h.Error}, sim {d.Error}");
                Assert.True(h.Retval == d.Retval, $"{what}: retval host {h.Retval}, sim {d.Retval}");
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
            var expected = hostMap.Entries().Select(e => Convert.ToHexString(e.Key) + "=" + Convert.ToHexString(e.Value)).ToList();
            var actual = deviceMap.Entries().Select(e => Convert.ToHexString(e.Key) + "=" + Convert.ToHexString(e.Value)).ToList();
            Assert.True(expected.SequenceEqual(actual), $"{name}: map '{hostMap.Spec.Name}' differs:\n host {string.Join(' ', expected)}\n sim  {string.Join(' ', actual)}");
        }
    }
}
