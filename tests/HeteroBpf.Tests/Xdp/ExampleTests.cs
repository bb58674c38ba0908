using System.Text.Json;
using HeteroBpf.Capture;
using HeteroBpf.Cli;
using HeteroBpf.Elf;
using HeteroBpf.Offload;
using HeteroBpf.Tests.Capture;
using HeteroBpf.Xdp;

namespace HeteroBpf.Tests.Xdp;

/// <summary>
/// The examples of <c>examples/</c>, each over its real capture: every packet through HeteroBpf and the kernel with
/// identical retval and output bytes and identical maps afterwards; per-action counts equal to the tshark display
/// filter counts recorded with the capture; and <c>hbpf run</c>'s output captures read by tshark with exactly the
/// packets the kernel produced.
/// </summary>
public sealed class ExampleTests
{
    public static TheoryData<string> Examples() => new("counter", "firewall", "reflector", "ipip", "dns_truncate", "lb");

    private static string Dir(string name) => Path.Combine(RepoPaths.Root, "examples", name);

    private static IReadOnlyList<MapSetEntry>? MapSetOf(string name)
    {
        string path = Path.Combine(Dir(name), "map-set.json");
        return File.Exists(path) ? MapSet.Parse(File.ReadAllText(path), path) : null;
    }

    private static List<byte[]> Packets(string name)
    {
        using var reader = CaptureReader.Open(Path.Combine(Dir(name), name + ".pcap"));
        var packets = new List<byte[]>();
        while (reader.TryRead(out var p)) packets.Add(p.Data.ToArray());
        return packets;
    }

    private static Dictionary<string, int> ExpectedActions(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir(name), "expected.json")));
        return doc.RootElement.GetProperty("actions").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
    }

    private static string ProgramOf(ObjectFile obj) => obj.Programs.Single(p => p.Type == ProgramType.Xdp).Name;

    public static TheoryData<string, HostEngine> ExamplesOnEngines()
    {
        var data = new TheoryData<string, HostEngine>();
        foreach (var engine in Enum.GetValues<HostEngine>())
        {
            foreach (string name in new[] { "counter", "firewall", "reflector", "ipip", "dns_truncate", "lb" }) data.Add(name, engine);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ExamplesOnEngines))]
    public void EveryPacketMatchesTheKernel(string name, HostEngine engine) => MatchTheKernel(name, engine, verified: false);

    /// <summary>What <c>hbpf run</c> does by default: verified, then the CIL JIT with the proven accesses unchecked.</summary>
    [Theory]
    [InlineData("counter")]
    [InlineData("firewall")]
    [InlineData("reflector")]
    [InlineData("ipip")]
    [InlineData("dns_truncate")]
    [InlineData("lb")]
    public void EveryPacketMatchesTheKernelVerifiedAndUnchecked(string name) => MatchTheKernel(name, HostEngine.Cil, verified: true);

    private static void MatchTheKernel(string name, HostEngine engine, bool verified)
    {
        var obj = ObjectFile.Load(Path.Combine(Dir(name), name + ".o"));
        using var oracle = XdpOracle.Load(obj, ProgramOf(obj), MapSetOf(name), engine, verified);
        if (verified)
        {
            // The path under test is real only if the verifier proved accesses the JIT then left unchecked.
            var facts = oracle.Ours.Program(ProgramOf(obj)).Verified!.Facts;
            Assert.Contains(facts, f => (f & (HeteroBpf.Verifier.SlotFacts.AccessProven | HeteroBpf.Verifier.SlotFacts.PacketAccess)) == (HeteroBpf.Verifier.SlotFacts.AccessProven | HeteroBpf.Verifier.SlotFacts.PacketAccess));
        }

        var counts = new Dictionary<string, int>();
        var packets = Packets(name);
        for (int i = 0; i < packets.Count; i++)
        {
            var r = oracle.RunBoth(packets[i], what: $"{name} packet {i}");
            string action = ((XdpAction)Math.Min(r.Retval, 0u + (uint)XdpAction.Redirect)).ToString().ToLowerInvariant();
            counts[action] = counts.GetValueOrDefault(action) + 1;
        }

        oracle.AssertMapsEqual();
        foreach (var (action, expected) in ExpectedActions(name)) Assert.Equal(expected, counts.GetValueOrDefault(action));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void HbpfRunCountsAndOutputCapturesAreTheExpectedPackets(string name)
    {
        string outDir = Path.Combine(Path.GetTempPath(), $"hbpf-example-{name}-{Environment.ProcessId}");
        try
        {
            var args = new List<string> { "run", Path.Combine(Dir(name), name + ".o"), "--pcap", Path.Combine(Dir(name), name + ".pcap"), "--out-dir", outDir, "--json" };
            if (MapSetOf(name) is not null) args.AddRange(["--map-set", Path.Combine(Dir(name), "map-set.json")]);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            Assert.True(HbpfCli.Run([.. args], TextReader.Null, stdout, stderr) == 0, stderr.ToString());
            using var summary = JsonDocument.Parse(stdout.ToString());
            var expected = ExpectedActions(name);
            foreach (var (action, count) in expected)
            {
                Assert.Equal(count, summary.RootElement.GetProperty("actions").GetProperty(action).GetProperty("packets").GetInt32());
            }

            // The outputs hold exactly the packets the program passed or sent back, as the program left them.
            var packets = Packets(name);
            var obj = ObjectFile.Load(Path.Combine(Dir(name), name + ".o"));
            using var collection = BpfCollection.Load(obj, typeOps: XdpOps.Instance);
            if (MapSetOf(name) is { } set) MapSet.Apply(collection, set, "map-set");
            using var runner = new XdpRunner(collection, collection.Program(ProgramOf(obj)));
            var outputs = new Dictionary<string, List<byte[]>> { ["pass"] = [], ["tx"] = [] };
            foreach (var p in packets)
            {
                var r = XdpTestRun.Run(runner, p);
                if (r.Retval == (uint)XdpAction.Pass) outputs["pass"].Add(r.DataOut);
                if (r.Retval == (uint)XdpAction.Tx) outputs["tx"].Add(r.DataOut);
            }

            foreach (var (action, frames) in outputs)
            {
                string file = Path.Combine(outDir, action + ".pcap");
                Assert.Equal(expected[action] > 0, File.Exists(file));
                if (!File.Exists(file)) continue;
                var read = Tshark.Read(file);
                Assert.Equal(expected[action], read.Count);
                Assert.Equal(frames.Select(Convert.ToHexStringLower), read.Select(f => Convert.ToHexStringLower(f.Bytes)));
            }
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void RunningPacketsAllocatesNothing(string name)
    {
        // The hot path of hbpf run: load a packet into the runner's frame and run it, packet after packet. Once every
        // path has run (the first pass), a whole pass over the capture allocates nothing.
        var obj = ObjectFile.Load(Path.Combine(Dir(name), name + ".o"));
        using var collection = BpfCollection.Load(obj, typeOps: XdpOps.Instance);
        if (MapSetOf(name) is { } set) MapSet.Apply(collection, set, "map-set");
        using var runner = new XdpRunner(collection, collection.Program(ProgramOf(obj)));
        var packets = Packets(name);
        long instructions = 0;
        for (int pass = 0; pass < 2; pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            foreach (var p in packets)
            {
                runner.Load(p, 0, XdpTestRun.LoopbackIfindex);
                instructions += runner.Run().Instructions;
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (pass == 1) Assert.Equal(0, allocated);
        }

        Assert.True(instructions > 0);
    }
}
