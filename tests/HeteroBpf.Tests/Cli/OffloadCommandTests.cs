using System.Text.Json;

namespace HeteroBpf.Tests.Cli;

/// <summary>
/// The offload side of the CLI: <c>hbpf devices</c>, and <c>--device sim</c> on <c>run</c>, <c>test-run</c>,
/// <c>prog show</c> and <c>map dump</c>, each held equal to the host where both run the same thing.
/// </summary>
public sealed class OffloadCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Example(string name, string file) => Path.Combine(RepoPaths.Root, "examples", name, file);

    private static string Fixture(string file) => Path.Combine(RepoPaths.Fixtures, file);

    [Fact]
    public void DevicesListsHostEnginesAndTheSimWithPortsAndCapabilities()
    {
        var text = Hbpf.Run("devices");
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains("host-cil: host (default):", text.Out, StringComparison.Ordinal);
        Assert.Contains("sim: offload device, ISA ebpf", text.Out, StringComparison.Ordinal);
        Assert.Contains("ports: simp0 (ifindex 10)", text.Out, StringComparison.Ordinal);
        Assert.Contains("adjust_head delta [-216, 3506]", text.Out, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(Hbpf.Run("devices", "--json").Out);
        var devices = json.RootElement.GetProperty("devices").EnumerateArray().ToDictionary(d => d.GetProperty("name").GetString()!);
        Assert.Equal("host", devices["host-interp"].GetProperty("kind").GetString());
        Assert.True(devices["host-cil"].GetProperty("default").GetBoolean());
        Assert.False(devices["host-interp"].GetProperty("default").GetBoolean());
        var sim = devices["sim"];
        Assert.Equal("offload", sim.GetProperty("kind").GetString());
        Assert.Equal("simp0", sim.GetProperty("ports")[0].GetProperty("name").GetString());
        var caps = sim.GetProperty("capabilities");
        Assert.Equal(16, caps.GetProperty("maxMaps").GetInt32());
        Assert.Equal(4096u, caps.GetProperty("mapTypes").GetProperty("Hash").GetProperty("maxValueSize").GetUInt32());
        Assert.Contains(caps.GetProperty("helpers").EnumerateArray(), h => h.GetProperty("id").GetInt32() == 44);
    }

    [Theory]
    [InlineData("firewall")]
    [InlineData("lb")]
    [InlineData("reflector")]
    public void RunOnSimCountsAndWritesWhatTheHostDoes(string name)
    {
        string[] Args(string device, string outDir)
        {
            var args = new List<string> { "run", Example(name, name + ".o"), "--pcap", Example(name, name + ".pcap"), "--device", device, "--json", "--out-dir", outDir };
            if (File.Exists(Example(name, "map-set.json"))) args.AddRange(["--map-set", Example(name, "map-set.json")]);
            return [.. args];
        }

        string hostDir = Path.Combine(_dir.Path, "host"), simDir = Path.Combine(_dir.Path, "sim");
        var host = Hbpf.Run(Args("host-interp", hostDir));
        var sim = Hbpf.Run(Args("sim", simDir));
        Assert.True(host.ExitCode == 0, host.Error);
        Assert.True(sim.ExitCode == 0, sim.Error);
        using var h = JsonDocument.Parse(host.Out);
        using var s = JsonDocument.Parse(sim.Out);
        Assert.Equal("sim", s.RootElement.GetProperty("device").GetString());
        Assert.Equal(h.RootElement.GetProperty("packets").GetInt64(), s.RootElement.GetProperty("packets").GetInt64());
        Assert.Equal(h.RootElement.GetProperty("actions").GetRawText(), s.RootElement.GetProperty("actions").GetRawText());
        Assert.Equal(Maps(h.RootElement), Maps(s.RootElement));
        foreach (var file in Directory.GetFiles(hostDir))
        {
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(simDir, Path.GetFileName(file))));
        }

        Assert.Equal(Directory.GetFiles(hostDir).Length, Directory.GetFiles(simDir).Length);
    }

    [Fact]
    public void TestRunThroughSimGivesTheHostResults()
    {
        string[] Args(string device) =>
        [
            "test-run", Fixture("xdp_helpers-v3.o"), "--prog", "meta_then_head", "--device", device, "--json",
            "--data", "ffffffffffff0000000000000800450000140000000040110000c0a80001c0a800020000003500080000",
            "--data", "00112233445566778899aabb86dd" + new string('0', 120),
        ];

        var host = Hbpf.Run(Args("host-interp"));
        var sim = Hbpf.Run(Args("sim"));
        Assert.True(host.ExitCode == sim.ExitCode, $"host {host.ExitCode} {host.Error}; sim {sim.ExitCode} {sim.Error}");
        using var h = JsonDocument.Parse(host.Out);
        using var s = JsonDocument.Parse(sim.Out);
        var hostRuns = h.RootElement.GetProperty("runs").EnumerateArray().ToList();
        var simRuns = s.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(hostRuns.Count, simRuns.Count);
        for (int i = 0; i < hostRuns.Count; i++)
        {
            foreach (string field in new[] { "retval", "error", "action", "data_out", "ctx_out" })
            {
                Assert.Equal(hostRuns[i].TryGetProperty(field, out var a) ? a.GetRawText() : null, simRuns[i].TryGetProperty(field, out var b) ? b.GetRawText() : null);
            }
        }

        Assert.Equal(Maps(h.RootElement), Maps(s.RootElement));
    }

    // Every map's entries as a sorted set (a hash map's walk order follows its own random seed).
    private static List<string> Maps(JsonElement root) =>
        [.. root.GetProperty("maps").EnumerateObject().SelectMany(m => m.Value.EnumerateObject().Select(e => $"{m.Name}[{e.Name}]={e.Value.GetRawText()}")).Order(StringComparer.Ordinal)];

    [Fact]
    public void ProgShowWithDeviceGivesEachProgramsBindingOrRefusal()
    {
        var run = Hbpf.Run("prog", "show", Fixture("globals-v3.o"), "--device", "sim");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("  binding: bound to device sim, port simp0 (ifindex 10), state loaded", run.Out, StringComparison.Ordinal);
        Assert.Contains("  binding: refused by device sim: sim: program 'tc_only': program type SchedCls not supported", run.Out, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(Hbpf.Run("prog", "show", Fixture("globals-v3.o"), "--device", "sim", "--json").Out);
        Assert.Equal("sim", json.RootElement.GetProperty("device").GetString());
        var bindings = json.RootElement.GetProperty("programs").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("binding"));
        Assert.Equal("loaded", bindings["xdp_first"].GetProperty("state").GetString());
        Assert.Equal("simp0", bindings["xdp_first"].GetProperty("port").GetString());
        Assert.Equal("refused", bindings["tc_only"].GetProperty("state").GetString());

        string line = Hbpf.Run("prog", "show", Fixture("globals-v3.o"), "--device", "host-cil").SingleErrorLine();
        Assert.Contains("device 'host-cil' runs programs on the host and binds none", line, StringComparison.Ordinal);
        Assert.EndsWith("(HB4001)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void MapDumpWithDeviceReadsTheMapBackThroughTheDevice()
    {
        var run = Hbpf.Run("map", "dump", Example("lb", "lb.o"), "--map", "backends", "--device", "sim", "--map-set", Example("lb", "map-set.json"));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("backends: on device sim (port simp0), read through the device: 4 entries", run.Out, StringComparison.Ordinal);
        Assert.Contains("[00000000] = 0a63000b02000000010b0000", run.Out, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(Hbpf.Run("map", "dump", Example("lb", "lb.o"), "--map", "backends", "--device", "sim", "--json").Out);
        Assert.True(json.RootElement.GetProperty("live").GetBoolean());
        Assert.Equal(4, json.RootElement.GetProperty("entries").GetArrayLength()); // an array: every index exists, zeroed

        Assert.Contains("keeps no maps of its own", Hbpf.Run("map", "dump", Example("lb", "lb.o"), "--map", "backends", "--device", "host-interp").SingleErrorLine(), StringComparison.Ordinal);
        Assert.Contains("--map-set needs --device", Hbpf.Run("map", "dump", Example("lb", "lb.o"), "--map", "backends", "--map-set", Example("lb", "map-set.json")).SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public void DeviceRefusalsAreOneLineErrors()
    {
        string line = Hbpf.Run("run", Example("counter", "counter.o"), "--pcap", Example("counter", "counter.pcap"), "--device", "sim", "--queues", "2").SingleErrorLine();
        Assert.Contains("device 'sim' takes packets one at a time", line, StringComparison.Ordinal);
        line = Hbpf.Run("test-run", Fixture("all_maps-v3.o"), "--prog", "touch", "--device", "sim", "--data", "00112233445566778899aabbccdd").SingleErrorLine();
        Assert.EndsWith("all_maps-v3.o: sim: map 'lru_percpu_hash': map type LruPerCpuHash not supported (HB9107)", line, StringComparison.Ordinal);
    }
}
