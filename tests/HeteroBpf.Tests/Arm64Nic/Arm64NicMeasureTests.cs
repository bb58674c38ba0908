using System.Diagnostics;
using HeteroBpf.Devices;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Elf;
using HeteroBpf.Maps;
using HeteroBpf.Offload;
using HeteroBpf.Tests.Offload;

namespace HeteroBpf.Tests.Arm64Nic;

/// <summary>Numbers for the NIC's notes: A64 words per eBPF slot and JIT time per 1,000 slots on the examples, and the firmware loop's floor (a program that only returns XDP_PASS).</summary>
public sealed class Arm64NicMeasureTests(ITestOutputHelper output)
{
    [Fact]
    public void MeasureWordsPerSlotAndJitTime()
    {
        if (Environment.GetEnvironmentVariable("HBPF_MEASURE") != "1") Assert.Skip("a measurement, not a test: run with HBPF_MEASURE=1 (docs/BENCHMARKS.md)");
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        long slots = 0, slotWords = 0, allWords = 0;
        double ms = 0;
        foreach (string name in new[] { "counter", "firewall", "reflector", "ipip", "dns_truncate", "lb" })
        {
            var obj = ObjectFile.Load(Path.Combine(RepoPaths.Root, "examples", name, name + ".o"));
            var nic = new Arm64NicDevice("nic-measure-" + name);
            using var device = DeviceCollection.Load(obj, nic, select: p => p.Type == ProgramType.Xdp);
            var program = device.Programs.Single();
            var code = Arm64NicDevice.TranslationOf(program)!;
            int sw = code.WordSlots.Count(s => s >= 0);
            slots += code.Program.Length;
            slotWords += sw;
            allWords += code.Words.Length;
            // JIT time: the translation alone (what Translate does per load), repeated.
            var insns = code.Program;
            for (int i = 0; i < 20; i++) HeteroBpf.Jit.Arm64.Arm64Translator.Translate(insns);
            var clock = Stopwatch.StartNew();
            const int Rounds = 200;
            for (int i = 0; i < Rounds; i++) HeteroBpf.Jit.Arm64.Arm64Translator.Translate(insns);
            double per = clock.Elapsed.TotalMilliseconds / Rounds;
            ms += per;
            output.WriteLine($"NIC-MEASURE {name}: {insns.Length} slots, {sw} slot words ({(double)sw / insns.Length:F2}/slot), {code.Words.Length} words in all, JIT {per * 1000 / insns.Length:F3} ms per 1,000 slots");
        }

        output.WriteLine($"NIC-MEASURE all: {slots} slots, {(double)slotWords / slots:F2} slot words per slot, {(double)allWords / slots:F2} words per slot with entry/epilogue/routines, JIT {ms * 1000 / slots:F3} ms per 1,000 slots");
        Assert.True(slots > 0);
    }

    /// <summary>
    /// Guest instructions and guest stores per packet through the firmware loop (firmware, program and epilogue; each
    /// store is one trip through Unicorn 2.0.1's TLB_NOTDIRTY slow path), counted by hooks on cores opened for it, over
    /// each example's capture in one batch on one core, and for the floor program (r0 = XDP_PASS).
    /// </summary>
    [Fact]
    public void MeasureInstructionsAndStoresPerPacket()
    {
        if (Environment.GetEnvironmentVariable("HBPF_MEASURE") != "1") Assert.Skip("a measurement, not a test: run with HBPF_MEASURE=1 (docs/BENCHMARKS.md)");
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        foreach (string name in new[] { "floor", "counter", "firewall", "reflector", "ipip", "dns_truncate", "lb" })
        {
            var nic = new Arm64NicDevice("nic-count-" + name);
            Arm64Core.CountOnCoresOpenedHere = true;
            DeviceCollection? device = null;
            IDisposable? floor = null;
            BpfDeviceProgram program;
            List<byte[]> packets;
            try
            {
                if (name == "floor")
                {
                    var p = nic.Load(OffloadFixtures.XdpProgram("r0 = 2\nexit"), []);
                    floor = p;
                    program = p;
                    packets = [.. Enumerable.Range(0, 128).Select(_ => OffloadFixtures.Packet(64))];
                }
                else
                {
                    string dir = Path.Combine(RepoPaths.Root, "examples", name);
                    var obj = ObjectFile.Load(Path.Combine(dir, name + ".o"));
                    device = DeviceCollection.Load(obj, nic, select: p => p.Type == ProgramType.Xdp);
                    string mapSet = Path.Combine(dir, "map-set.json");
                    if (File.Exists(mapSet)) device.Apply(MapSet.Parse(File.ReadAllText(mapSet), mapSet), mapSet);
                    program = device.Programs.Single();
                    packets = [];
                    using var reader = HeteroBpf.Capture.CaptureReader.Open(Path.Combine(dir, name + ".pcap"));
                    while (reader.TryRead(out var packet) && packets.Count < 128) packets.Add(packet.Data.ToArray());
                }
            }
            finally
            {
                Arm64Core.CountOnCoresOpenedHere = false;
            }

            using (device)
            using (floor)
            {
                var completions = new NicCompletion[packets.Count];
                Arm64Core.ResetCounts();
                nic.RunBatch(program, packets, completions);
                long instructions = Arm64Core.CountedInstructions, stores = Arm64Core.CountedStores;
                output.WriteLine($"NIC-COUNT {name}: {packets.Count} packets in one batch: {(double)instructions / packets.Count:F1} guest instructions and {(double)stores / packets.Count:F2} guest stores per packet");
                Assert.True(instructions > 0);
            }
        }
    }

    [Fact]
    public void MeasureTheFirmwareLoopFloor()
    {
        if (Environment.GetEnvironmentVariable("HBPF_MEASURE") != "1") Assert.Skip("a measurement, not a test: run with HBPF_MEASURE=1 (docs/BENCHMARKS.md)");
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        var nic = new Arm64NicDevice("nic-floor");
        using var program = nic.Load(OffloadFixtures.XdpProgram("r0 = 2\nexit"), []);
        var batch = Enumerable.Range(0, 128).Select(_ => OffloadFixtures.Packet(64)).ToList();
        var completions = new NicCompletion[batch.Count];
        for (int i = 0; i < 20; i++) nic.RunBatch(program, batch, completions);
        var clock = Stopwatch.StartNew();
        int runs = 0;
        while (clock.ElapsedMilliseconds < 1000)
        {
            nic.RunBatch(program, batch, completions);
            runs++;
        }

        output.WriteLine($"NIC-MEASURE floor (r0 = XDP_PASS): {runs * 128 / clock.Elapsed.TotalSeconds:F0} pps on one core");
        Assert.All(completions, c => Assert.Equal(2u, c.Action));
    }
}
