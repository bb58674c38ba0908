using System.Buffers.Binary;
using System.Collections.Frozen;
using HeteroBpf.Devices;
using HeteroBpf.Elf;
using HeteroBpf.Maps;
using HeteroBpf.Offload;
using HeteroBpf.Tests.Cli;
using static HeteroBpf.Tests.Offload.OffloadFixtures;

namespace HeteroBpf.Tests.Offload;

/// <summary>
/// Offload-neutral channels (the kernel's <c>bpf_map_offload_neutral</c>, <c>bpf_offload_prog_map_match</c>): a device
/// program may feed a host perf event array (and, in this design, a host ring buffer) when the device's capability table
/// lists the channel; any other host map stays "offload device mismatch between program and map". Records the sim
/// writes reach the host map and read exactly as the same program's records on the host.
/// </summary>
public sealed class NeutralChannelTests
{
    private const string Fixture = "ringbuf-v3.o";

    // bpf_ringbuf_output(&rb, &u64 0x1122334455667788, 8, 0); returns what the helper returned.
    private const string RingOutput = """
        r2 = 0x1122334455667788 ll
        *(u64 *)(r10 - 8) = r2
        r2 = r10
        r2 += -8
        ld_pseudo r1, 1, 0
        r3 = 8
        r4 = 0
        call 130
        exit
        """;

    private static MapSpec RingSpec() => new() { Name = "rb", Type = MapType.RingBuf, KeySize = 0, ValueSize = 0, MaxEntries = 4096 };

    internal static List<byte[]> Drain(RingBufMap ring)
    {
        var records = new List<byte[]>();
        ring.Consume(r =>
        {
            records.Add(r.ToArray());
            return 0;
        });
        return records;
    }

    [Fact]
    public void ADeviceProgramFeedsAHostRingBufferTheDeviceCanFeed()
    {
        var sim = new SimDevice("simN");
        using var ring = (RingBufMap)BpfMap.Create(RingSpec());
        using var program = sim.Load(XdpProgram(RingOutput), [ring]);
        Assert.Equal(DeviceProgramState.Loaded, program.State);
        Assert.Same(ring, Assert.Single(program.Channels));
        Assert.Empty(program.Maps);

        var r = program.TestRun(sim, Packet(60));
        Assert.Equal(0u, r.Retval);
        var record = Assert.Single(Drain(ring));
        Assert.Equal(0x1122334455667788UL, BinaryPrimitives.ReadUInt64LittleEndian(record));
    }

    [Fact]
    public void NonNeutralHostMapsAndDeviceMapsOnTheHostAreStillRefused()
    {
        var sim = new SimDevice("simN");
        using var hash = BpfMap.Create(Hash());
        var e = Assert.Throws<HbpfException>(() => sim.Load(XdpProgram(Counter), [hash]));
        Assert.Equal(ErrorCode.OffloadMapMismatch, e.Code);
        Assert.Contains("offload device mismatch between program and map", e.Message, StringComparison.Ordinal);

        // Neutral is a property of host maps only: a host program still may not use a device map.
        using var deviceMap = sim.CreateMap(Array());
        e = Assert.Throws<HbpfException>(() => HostLoad.Program(XdpProgram(Counter), [deviceMap]));
        Assert.Equal(ErrorCode.OffloadMapMismatch, e.Code);

        // The device cannot allocate a ring buffer itself: a neutral channel is created on the host.
        e = Assert.Throws<HbpfException>(() => sim.CreateMap(RingSpec()));
        Assert.Equal(ErrorCode.OffloadMapRefused, e.Code);
    }

    [Fact]
    public void ACapabilityTableWithoutTheChannelRefusesIt()
    {
        var caps = SimDevice.DefaultCapabilities with { NeutralChannels = FrozenSet.Create(MapType.PerfEventArray) };
        var sim = new SimDevice("simNoRing", capabilities: caps);
        using var ring = BpfMap.Create(RingSpec());
        var e = Assert.Throws<HbpfException>(() => sim.Load(XdpProgram(RingOutput), [ring]));
        Assert.Equal(ErrorCode.OffloadMapMismatch, e.Code);
        Assert.Contains("offload device mismatch between program and map", e.Message, StringComparison.Ordinal);
        Assert.Contains("map 'rb' lives on the host", e.Message, StringComparison.Ordinal);
        Assert.False(caps.IsNeutral(MapType.RingBuf));
        Assert.True(caps.IsNeutral(MapType.PerfEventArray));

        // Only perf event arrays and ring buffers can ever be neutral, whatever a table lists.
        Assert.False((caps with { NeutralChannels = FrozenSet.Create(MapType.Hash) }).IsNeutral(MapType.Hash));
        Assert.Empty(new SimDevice("simDefault").Capabilities.NeutralChannels.Except([MapType.RingBuf, MapType.PerfEventArray]));
    }

    [Fact]
    public void ThePrepareHookTakesANeutralChannelOnlyWhenTheTableListsIt()
    {
        var program = XdpProgram(RingOutput);
        Assert.Null(CapabilityHooks.Prepare(SimDevice.DefaultCapabilities, program, [RingSpec()]));
        var without = SimDevice.DefaultCapabilities with { NeutralChannels = FrozenSet<MapType>.Empty };
        Assert.Equal("map 'rb': type RingBuf not supported", CapabilityHooks.Prepare(without, program, [RingSpec()]));
    }

    [Fact]
    public void ADeviceWhoseTranslatorTakesOnlyDeviceMapsRefusesAChannelItsTableLists()
    {
        // A table may list a channel the device's translator was not written for: the model's default Translate says so.
        var device = new DeviceMapsOnly();
        using var ring = BpfMap.Create(RingSpec());
        var e = Assert.Throws<HbpfException>(() => device.Load(XdpProgram(RingOutput), [ring]));
        Assert.Equal(ErrorCode.OffloadNeutralUnsupported, e.Code);
        Assert.Equal("HB9160", e.CodeText);
        Assert.Contains("map 'rb' is a neutral RingBuf channel, but the device's translator cannot feed host maps", e.Message, StringComparison.Ordinal);
        Assert.Empty(device.Programs);

        // Its device-only programs still load through the old verb.
        using var pass = device.Load(XdpProgram(Pass), []);
        Assert.Equal(DeviceProgramState.Loaded, pass.State);
    }

    private sealed class DeviceMapsOnly() : OffloadDevice("maps-only", SimDevice.DefaultCapabilities, 1)
    {
        protected override DeviceDomain CreateDomain() => new Domain(this);

        protected override IDeviceMapOps AllocateMap(DeviceDomain domain, MapSpec spec) => throw new NotSupportedException();

        protected override DeviceCode Translate(DeviceDomain domain, HeteroBpf.Verifier.VerifiedProgram program, IReadOnlyList<BpfDeviceMap> maps) => new NoCode();

        private sealed class Domain(OffloadDevice device) : DeviceDomain(device)
        {
            public override void Dispose()
            {
            }
        }

        private sealed class NoCode : DeviceCode
        {
            public override DeviceTestRunResult RunXdp(in DeviceXdpInput input, uint repeat) => throw new NotSupportedException();
        }
    }

    // The devices that list host ring buffers and perf event arrays as neutral channels.
    private static OffloadDevice Feeding(string device)
    {
        if (device == "sim") return new SimDevice("simN");
        if (!HeteroBpf.Devices.Unicorn.Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        return new Arm64NicDevice("nicN");
    }

    [Theory]
    [InlineData("sim")]
    [InlineData("arm64-nic")]
    public void RingBufferRecordsFromTheDeviceMatchTheHost(string deviceName)
    {
        var obj = ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, Fixture));
        using var host = BpfCollection.Load(obj);
        var hostRun = host.Program("produce").Run(new byte[64]);
        var hostRecords = Drain((RingBufMap)host.Map("rb"));

        var target = Feeding(deviceName);
        using var device = DeviceCollection.Load(obj, target);
        Assert.Equal(["rb", "events"], device.Channels.Select(c => c.Spec.Name));
        var deviceRun = device.Program("produce").TestRun(target, Packet(64));
        var deviceRecords = Drain((RingBufMap)device.Channel("rb"));
        Assert.Throws<KeyNotFoundException>(() => device.Map("rb"));

        // Three records of 16 bytes produced (one discarded), none consumed: bpf_ringbuf_query says 48 on both.
        Assert.Equal(48u, deviceRun.Retval);
        Assert.Equal((uint)hostRun.ReturnValue, deviceRun.Retval);
        Assert.Equal(2, deviceRecords.Count);
        Assert.Equal(hostRecords, deviceRecords);
    }

    [Theory]
    [InlineData("target")]
    [InlineData("arm64-nic")]
    public void PerfEventsFromTheDeviceMatchTheHost(string deviceName)
    {
        var obj = ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, Fixture));
        using var host = BpfCollection.Load(obj);
        var target = Feeding(deviceName);
        using var device = DeviceCollection.Load(obj, target);
        var hostEvents = (PerfEventArrayMap)host.Map("events");
        var deviceEvents = (PerfEventArrayMap)device.Channel("events");

        // Without a reader: -ENOENT on both, as the kernel gives for an empty slot.
        Assert.Equal(unchecked((uint)-(int)Errno.ENOENT), device.Program("emit").TestRun(target, Packet(64)).Retval);
        Assert.Equal(-(int)Errno.ENOENT, (int)host.Program("emit").Run(new byte[64]).ReturnValue);
        var hostSamples = Samples(hostEvents, () => Assert.Equal(0, (int)host.Program("emit").Run(new byte[64]).ReturnValue));
        var deviceSamples = Samples(deviceEvents, () => Assert.Equal(0u, device.Program("emit").TestRun(target, Packet(64)).Retval));
        Assert.Equal([0x5a5a5a5au], deviceSamples);
        Assert.Equal(hostSamples, deviceSamples);
    }

    internal static List<uint> Samples(PerfEventArrayMap events, Action run)
    {
        var readers = Enumerable.Range(0, BpfMap.PossibleCpus).Select(cpu => events.OpenReader(cpu, cpu: cpu)).ToList();
        try
        {
            run();
            var samples = new List<uint>();
            foreach (var reader in readers)
            {
                reader.Consume(d =>
                {
                    samples.Add(BinaryPrimitives.ReadUInt32LittleEndian(d));
                    return 0;
                });
            }

            return samples;
        }
        finally
        {
            foreach (var reader in readers) reader.Dispose();
        }
    }

    [Fact]
    public void ANeutralMapOutlivesTheDevicesRemovalWhileTheProgramIsOrphaned()
    {
        var sim = new SimDevice("simN");
        using var ring = (RingBufMap)BpfMap.Create(RingSpec());
        using var program = sim.Load(XdpProgram(RingOutput), [ring]);
        Assert.Equal(0u, program.TestRun(sim, Packet(60)).Retval);

        sim.RemovePort(sim.Ports[0]);
        Assert.True(program.IsOrphaned);
        Assert.Throws<DeviceRemovedException>(() => program.TestRun(sim, Packet(60)));

        // The ring is a host object: the record written before the removal is still there, and a host program can feed it.
        Assert.Single(Drain(ring));
        using var hostProgram = HostLoad.Program(XdpProgram(RingOutput), [ring]);
        Assert.Equal(0UL, hostProgram.Run(Packet(60)).ReturnValue);
        Assert.Single(Drain(ring));

        // A device that comes back does not resurrect the program, and a new one may feed the same ring.
        sim.AddPort();
        Assert.True(program.IsOrphaned);
        using var again = sim.Load(XdpProgram(RingOutput), [ring]);
        Assert.Equal(0u, again.TestRun(sim, Packet(60)).Retval);
        Assert.Single(Drain(ring));
    }

    [Fact]
    public void DevicesListsTheNeutralChannels()
    {
        var text = Hbpf.Run("devices");
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains("  neutral channels (host maps the device feeds back): PerfEventArray, RingBuf", text.Out, StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(Hbpf.Run("devices", "--json").Out);
        var sim = json.RootElement.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("name").GetString() == "sim");
        Assert.Equal(["PerfEventArray", "RingBuf"], sim.GetProperty("capabilities").GetProperty("neutralChannels").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("sim")]
    [InlineData("arm64-nic")]
    public void TestRunThroughTheDeviceReportsRingBufferRecordsAsTheHostDoes(string deviceName)
    {
        if (deviceName != "sim" && !HeteroBpf.Devices.Unicorn.Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        string obj = Path.Combine(RepoPaths.Fixtures, Fixture);
        string data = new('0', 28);
        var onDevice = Hbpf.Run("test-run", obj, "--prog", "produce", "--data", data, "--data", data, "--device", deviceName, "--json");
        Assert.True(onDevice.ExitCode == 0, onDevice.Error);
        var onHost = Hbpf.Run("test-run", obj, "--prog", "produce", "--data", data, "--data", data, "--json");
        Assert.True(onHost.ExitCode == 0, onHost.Error);
        using var onTarget = System.Text.Json.JsonDocument.Parse(onDevice.Out);
        using var host = System.Text.Json.JsonDocument.Parse(onHost.Out);
        var deviceRuns = onTarget.RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("ringbuf").GetRawText()).ToList();
        var hostRuns = host.RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("ringbuf").GetRawText()).ToList();
        Assert.Equal(2, deviceRuns.Count);
        Assert.Equal(hostRuns, deviceRuns);
        Assert.Contains("\"8877665544332211\"", deviceRuns[0], StringComparison.Ordinal);

        var text = Hbpf.Run("test-run", obj, "--prog", "produce", "--data", data, "--device", deviceName);
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains("ringbuf rb: 8877665544332211", text.Out, StringComparison.Ordinal);
        Assert.Contains("ringbuf rb: cdab0000", text.Out, StringComparison.Ordinal);
    }
}
