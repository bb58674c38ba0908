using System.Text.Json;
using HeteroBpf.Capture;

namespace HeteroBpf.Tests.Cli;

/// <summary>
/// <c>hbpf run</c> and <c>hbpf test-run</c> in-process: the summary and JSON shapes of docs/CLI.md, queues, map sets,
/// inputs in command-line order, and every kind of bad input as a clear error and a non-zero exit.
/// </summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Example(string name, string file) => Path.Combine(RepoPaths.Root, "examples", name, file);

    private static string Fixture(string file) => Path.Combine(RepoPaths.Fixtures, file);

    private static string[] Firewall(params string[] extra) =>
        ["run", Example("firewall", "firewall.o"), "--pcap", Example("firewall", "firewall.pcap"), "--map-set", Example("firewall", "map-set.json"), .. extra];

    [Fact]
    public void RunPrintsTheActionTableAndTheMaps()
    {
        var run = Hbpf.Run(Firewall());
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Matches(@"(?m)^\s*XDP_DROP\s+21\s+1,703\s", run.Out);
        Assert.Matches(@"(?m)^\s*XDP_PASS\s+42\s+3,545\s", run.Out);
        Assert.Matches(@"(?m)^\s*total\s+63\s+5,248\s", run.Out);
        Assert.Contains("map drops (Array): 2 entries", run.Out, StringComparison.Ordinal);
        Assert.Contains("no output captures written", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void TwoQueuesCountTheSameAndSplitPerCpuCounters()
    {
        var one = JsonDocument.Parse(Hbpf.Run(["run", Example("counter", "counter.o"), "--pcap", Example("counter", "counter.pcap"), "--json"]).Out);
        var two = JsonDocument.Parse(Hbpf.Run(["run", Example("counter", "counter.o"), "--pcap", Example("counter", "counter.pcap"), "--json", "--queues", "2"]).Out);
        Assert.Equal(2, two.RootElement.GetProperty("queues").GetInt32());
        Assert.Equal(one.RootElement.GetProperty("actions").ToString(), two.RootElement.GetProperty("actions").ToString());

        // Per CPU the counts differ, their sums do not.
        static ulong[] Sums(JsonDocument d) => d.RootElement.GetProperty("maps").GetProperty("proto_counts").EnumerateObject()
            .Select(e => e.Value.EnumerateArray().Sum(cpu => (double)BitConverter.ToUInt64(Convert.FromHexString(cpu.GetString()!), 0))).Select(x => (ulong)x).ToArray();
        Assert.Equal(Sums(one), Sums(two));
        Assert.Equal(49ul, Sums(two).Aggregate((a, b) => a + b));
    }

    [Fact]
    public void TooManyQueuesAreRefused()
    {
        var line = Hbpf.Run(Firewall("--queues", "999")).SingleErrorLine();
        Assert.Contains("--queues 999", line, StringComparison.Ordinal);
    }

    [Fact]
    public void ATruncatedCaptureRunsTheEarlierPacketsAndNamesTheOffset()
    {
        byte[] whole = File.ReadAllBytes(Example("firewall", "firewall.pcap"));
        // Cut in the middle of the fourth record's data: header 24 bytes, then records of 16 + caplen.
        int offset = 24;
        for (int i = 0; i < 3; i++) offset += 16 + BitConverter.ToInt32(whole, offset + 8);
        string cut = _dir.Write("cut.pcap", whole[..(offset + 20)]);
        var run = Hbpf.Run(["run", Example("firewall", "firewall.o"), "--pcap", cut, "--map-set", Example("firewall", "map-set.json"), "--json"]);
        Assert.Equal(1, run.ExitCode);
        using var summary = JsonDocument.Parse(run.Out);
        Assert.Equal(3, summary.RootElement.GetProperty("packets").GetInt32());
        Assert.Equal(offset, summary.RootElement.GetProperty("truncation").GetProperty("offset").GetInt64());
        Assert.Contains($"offset 0x{offset:x}", run.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("3 packets before it were run", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ACaptureThatIsNotEthernetIsRefusedNamingThePacket()
    {
        string raw = Path.Combine(_dir.Path, "raw.pcap");
        using (var w = PcapWriter.Create(raw, LinkType.Raw)) w.Write(new byte[40], 0);
        var line = Hbpf.Run(["run", Example("counter", "counter.o"), "--pcap", raw]).SingleErrorLine();
        Assert.Contains("packet 0", line, StringComparison.Ordinal);
        Assert.Contains("link type Raw (101)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void AProgramThatIsNotXdpIsRefused()
    {
        var line = Hbpf.Run(["run", Fixture("swaps-v3.o"), "--pcap", Example("counter", "counter.pcap")]).SingleErrorLine();
        Assert.Contains("no XDP program", line, StringComparison.Ordinal);
        line = Hbpf.Run(["run", Fixture("swaps-v3.o"), "--prog", "swaps_main", "--pcap", Example("counter", "counter.pcap")]).SingleErrorLine();
        Assert.Contains("SocketFilter program", line, StringComparison.Ordinal);
        Assert.EndsWith("(HB9003)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownProgramOrSectionListsTheOnesThereAre()
    {
        var line = Hbpf.Run(["run", Fixture("xdp_helpers-v3.o"), "--prog", "nope", "--pcap", Example("counter", "counter.pcap")]).SingleErrorLine();
        Assert.Contains("no program named 'nope'", line, StringComparison.Ordinal);
        Assert.Contains("adjust_head (xdp, Xdp)", line, StringComparison.Ordinal);
        line = Hbpf.Run(["test-run", Fixture("xdp_helpers-v3.o"), "--section", "xdp/nope", "--data", "00"]).SingleErrorLine();
        Assert.Contains("no program in section 'xdp/nope'", line, StringComparison.Ordinal);
        line = Hbpf.Run(["test-run", Fixture("xdp_helpers-v3.o"), "--data", "00"]).SingleErrorLine();
        Assert.Contains("6 XDP programs; choose one with --prog", line, StringComparison.Ordinal);
    }

    [Fact]
    public void TestRunRunsInputsInCommandLineOrderAndCarriesMapState()
    {
        string runs = _dir.Write("runs.json", System.Text.Encoding.UTF8.GetBytes("""[{"data": "ffffffffffff0000000000000800450000140000000040110000c0a80001c0a800020000003500080000", "ctx": {"data": 0, "data_end": 42}}]"""));
        string udp53 = "ffffffffffff0000000000000800450000140000000040110000c0a80001c0a800020000003500080000";
        var run = Hbpf.Run("test-run", Fixture("xdp_parse-v3.o"), "--data", udp53, "--runs", runs, "--data", "00", "--json");
        Assert.Equal(1, run.ExitCode); // the last input is refused (too short), after every run was printed
        using var doc = JsonDocument.Parse(run.Out);
        var r = doc.RootElement.GetProperty("runs");
        Assert.Equal(3, r.GetArrayLength());
        Assert.Equal(2u, r[0].GetProperty("retval").GetUInt32());
        Assert.Equal(udp53, r[0].GetProperty("data_out").GetString());
        Assert.Equal(42u, r[1].GetProperty("ctx_out").GetProperty("data_end").GetUInt32());
        Assert.Equal("EINVAL", r[2].GetProperty("error").GetString());
        Assert.Equal("0200000000000000", doc.RootElement.GetProperty("maps").GetProperty("counters").GetProperty("03000000").GetString());
    }

    [Fact]
    public void MapSetMistakesNameTheEntry()
    {
        string bad = _dir.Write("bad.json", System.Text.Encoding.UTF8.GetBytes("""[{"map": "counters", "key": "00000000", "value": "01"}]"""));
        var line = Hbpf.Run("test-run", Fixture("xdp_parse-v3.o"), "--data", "00000000000000000000000000000000", "--map-set", bad).SingleErrorLine();
        Assert.Contains("entry 0 (map 'counters'): value is 1 bytes, the map's values are 8", line, StringComparison.Ordinal);
        string unknown = _dir.Write("unknown.json", System.Text.Encoding.UTF8.GetBytes("""[{"map": "nope", "key": "00"}]"""));
        line = Hbpf.Run("test-run", Fixture("xdp_parse-v3.o"), "--data", "00000000000000000000000000000000", "--map-set", unknown).SingleErrorLine();
        Assert.Contains("give exactly one of 'value', 'prog' and 'inner'", line, StringComparison.Ordinal);
        string refused = _dir.Write("refused.json", System.Text.Encoding.UTF8.GetBytes("""[{"map": "counters", "key": "00000000", "value": "0000000000000000", "flags": "noexist"}]"""));
        line = Hbpf.Run("test-run", Fixture("xdp_parse-v3.o"), "--data", "00000000000000000000000000000000", "--map-set", refused).SingleErrorLine();
        Assert.Contains("refused with EEXIST", line, StringComparison.Ordinal);
    }

    [Fact]
    public void RunWritesOutputCapturesPerAction()
    {
        string outDir = Path.Combine(_dir.Path, "out");
        var run = Hbpf.Run(["run", Example("reflector", "reflector.o"), "--pcap", Example("reflector", "reflector.pcap"), "--out-dir", outDir]);
        Assert.True(run.ExitCode == 0, run.Error);
        using var tx = CaptureReader.Open(Path.Combine(outDir, "tx.pcap"));
        int n = 0;
        while (tx.TryRead(out _)) n++;
        Assert.Equal(29, n);
        Assert.True(File.Exists(Path.Combine(outDir, "pass.pcap")));
    }

    [Fact]
    public void RedirectedPacketsGoToOneCapturePerTarget()
    {
        // xdp_helpers' redirect_map reads the key and flags from bytes 14..21 of each packet.
        string pcap = Path.Combine(_dir.Path, "redirect.pcap");
        using (var w = PcapWriter.Create(pcap, LinkType.Ethernet))
        {
            foreach (var (key, flags, n) in new[] { (1, 0, 3), (2, 2, 2), (1, 1 << 5, 1) })
            {
                for (int i = 0; i < n; i++)
                {
                    var p = new byte[60];
                    BitConverter.GetBytes(key).CopyTo(p, 14);
                    BitConverter.GetBytes(flags).CopyTo(p, 18);
                    w.Write(p, 1_000_000_000L * i);
                }
            }
        }

        string set = _dir.Write("set.json", System.Text.Encoding.UTF8.GetBytes("""[{"map": "ports", "key": "01000000", "value": "07000000"}]"""));
        string outDir = Path.Combine(_dir.Path, "out");
        var run = Hbpf.Run("run", Fixture("xdp_helpers-v3.o"), "--prog", "redirect_map", "--pcap", pcap, "--map-set", set, "--out-dir", outDir, "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        using var doc = JsonDocument.Parse(run.Out);
        Assert.Equal(3, doc.RootElement.GetProperty("redirect_targets").GetProperty("ports-1").GetProperty("packets").GetInt32());
        Assert.Equal(2, doc.RootElement.GetProperty("actions").GetProperty("pass").GetProperty("packets").GetInt32());
        Assert.Equal(1, doc.RootElement.GetProperty("aborted").GetArrayLength());
        Assert.Equal(5, doc.RootElement.GetProperty("aborted")[0].GetProperty("index").GetInt32());
        using var redirected = CaptureReader.Open(Path.Combine(outDir, "redirect-ports-1.pcap"));
        int count = 0;
        while (redirected.TryRead(out _)) count++;
        Assert.Equal(3, count);
    }

    [Fact]
    public void TestRunReportsRingBufferRecordsPerRun()
    {
        var run = Hbpf.Run("test-run", Fixture("ringbuf-v3.o"), "--prog", "produce", "--data", new string('0', 28), "--data", new string('0', 28), "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        using var doc = JsonDocument.Parse(run.Out);
        foreach (var r in doc.RootElement.GetProperty("runs").EnumerateArray())
        {
            Assert.Equal(2, r.GetProperty("ringbuf").GetProperty("rb").GetArrayLength());
        }
    }

    [Fact]
    public void APcapNgCaptureRunsLikeItsPcapTwin()
    {
        // editcap (Wireshark) rewrites the firewall capture as pcapng; the counts must not change.
        string ng = Path.Combine(_dir.Path, "firewall.pcapng");
        ExternalTool.Run("editcap", "wireshark-common", skipWhenMissing: true, "-F", "pcapng", Example("firewall", "firewall.pcap"), ng);
        var run = Hbpf.Run(["run", Example("firewall", "firewall.o"), "--pcap", ng, "--map-set", Example("firewall", "map-set.json"), "--json"]);
        Assert.True(run.ExitCode == 0, run.Error);
        using var doc = JsonDocument.Parse(run.Out);
        Assert.Equal(21, doc.RootElement.GetProperty("actions").GetProperty("drop").GetProperty("packets").GetInt32());
        Assert.Equal(42, doc.RootElement.GetProperty("actions").GetProperty("pass").GetProperty("packets").GetInt32());
    }

    [Fact]
    public void RunAndTestRunTakeTheCilJitAsDevice()
    {
        var run = Hbpf.Run(Firewall("--device", "host-cil", "--json"));
        Assert.True(run.ExitCode == 0, run.Error);
        using var doc = JsonDocument.Parse(run.Out);
        Assert.Equal("host-cil", doc.RootElement.GetProperty("device").GetString());
        Assert.Equal(21, doc.RootElement.GetProperty("actions").GetProperty("drop").GetProperty("packets").GetInt32());
        var test = Hbpf.Run("test-run", Fixture("xdp_parse-v3.o"), "--device", "host-cil", "--data", "ffffffffffff0000000000000800450000140000000040110000c0a80001c0a800020000003500080000", "--json");
        Assert.True(test.ExitCode == 0, test.Error);
        // Programs with tail calls run on host-cil as on host-interp.
        var cil = Hbpf.Run("test-run", Fixture("map_init-v3.o"), "--prog", "entry", "--device", "host-cil", "--data", "00000000000000000000000000000000", "--json");
        var interp = Hbpf.Run("test-run", Fixture("map_init-v3.o"), "--prog", "entry", "--device", "host-interp", "--data", "00000000000000000000000000000000", "--json");
        Assert.True(cil.ExitCode == 0, cil.Error);
        // The hash of maps walks in its seeded hash order, which differs between loads: compare lines as sets.
        Assert.Equal(WithoutDurations(interp.Out).Split('\n').Order(StringComparer.Ordinal), WithoutDurations(cil.Out).Split('\n').Order(StringComparer.Ordinal));
        Assert.Contains("\"retval\": 1,", cil.Out, StringComparison.Ordinal);
    }

    // Run time is the one field two engines may not share.
    private static string WithoutDurations(string json) =>
        System.Text.RegularExpressions.Regex.Replace(json, "\"duration_ns\": [0-9]+", "\"duration_ns\": 0");
}
