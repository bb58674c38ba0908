using System.Buffers.Binary;
using System.Diagnostics;
using HeteroBpf.Devices;
using HeteroBpf.Maps;
using HeteroBpf.Offload;
using HeteroBpf.Verifier;
using static HeteroBpf.Tests.Offload.OffloadFixtures;

namespace HeteroBpf.Tests.Offload;

/// <summary>
/// The offload behaviours of the kernel's selftest <c>tools/testing/selftests/net/bpf_offload.py</c> on the <c>sim</c>
/// device (netdevsim's counterpart): one test per behaviour, each named after it.
/// </summary>
public sealed class OffloadModelTests
{
    [Fact]
    public void ProgramIsBoundAtLoadVerifiedTranslatedAndRunsThroughItsDevice()
    {
        var sim = new SimDevice("simA", ports: 2);
        var port = sim.Ports[1];
        using var program = sim.Load(XdpProgram(PacketLength), [], port);
        Assert.Same(sim, program.Device);
        Assert.Same(port, program.Port);
        Assert.Equal(DeviceProgramState.Loaded, program.State);
        Assert.NotNull(program.Verification);
        Assert.Contains(program, sim.Programs);

        // The device reads the UAPI xdp_md (32-bit data and data_end, no host rewrite) in its own memory.
        var r = program.TestRun(sim, Packet(60));
        Assert.Equal(Errno.Ok, r.Error);
        Assert.Equal(60u, r.Retval);
        Assert.Equal(Packet(60), r.DataOut);

        using var ifindex = sim.Load(XdpProgram(IngressIfindex), []);
        Assert.Equal(1u, ifindex.TestRun(sim, Packet()).Retval); // no context: the loopback, as the kernel's test-run
        Assert.Equal((uint)port.Ifindex, ifindex.TestRun(sim, Packet(), new DeviceXdpContext(0, 60, IngressIfindex: (uint)port.Ifindex)).Retval);
        Assert.Equal(Errno.ENODEV, ifindex.TestRun(sim, Packet(), new DeviceXdpContext(0, 60, IngressIfindex: 77)).Error);
    }

    [Fact]
    public void DeviceMemoryIsBelowFourGigabytesSoXdpMdHoldsRealAddresses()
    {
        var sim = new SimDevice("simA");
        // Reads data (offset 0) and returns it: a device address, which must fit the 32-bit field.
        using var program = sim.Load(XdpProgram("r0 = *(u32 *)(r1 + 0)\nexit"), []);
        var r = program.TestRun(sim, Packet());
        Assert.NotEqual(0u, r.Retval);
    }

    [Fact]
    public void DeviceVerifierRefusalFailsTheLoadWithItsMessage()
    {
        var sim = new SimDevice("simA") { RefuseVerification = true };
        var e = Assert.Throws<VerifierException>(() => sim.Load(XdpProgram(Pass), []));
        Assert.Equal(ErrorCode.VerifierDeviceRefused, e.Code);
        Assert.Contains("simA: verification refused (switch)", e.Message, StringComparison.Ordinal);
        Assert.Empty(sim.Programs);

        // The capability table's own refusals, in the device's words.
        sim.RefuseVerification = false;
        e = Assert.Throws<VerifierException>(() => sim.Load(XdpProgram(Printk), []));
        Assert.Equal("insn 5: simA: helper 6 (TracePrintk) not supported", e.Message);
        Assert.Equal(5, e.Slot);
        var small = new SimDevice("tiny", capabilities: SimDevice.DefaultCapabilities with { MaxInstructions = 2 });
        e = Assert.Throws<VerifierException>(() => small.Load(XdpProgram(PacketLength), []));
        Assert.Contains("tiny: program too long: 5 instructions, the device holds 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDeviceHooksVerifyWithoutALoad()
    {
        var sim = new SimDevice("simA");
        var options = new VerifierOptions { Hooks = sim.VerifierHooks };
        Assert.NotNull(BpfVerifier.Verify(XdpProgram(Pass), [], options));
        var e = Assert.Throws<VerifierException>(() => BpfVerifier.Verify(XdpProgram(Printk), [], options));
        Assert.Equal("insn 5: simA: helper 6 (TracePrintk) not supported", e.Message);
        Assert.Empty(sim.Programs);
        sim.RemovePort(sim.Ports[0]);
        e = Assert.Throws<VerifierException>(() => BpfVerifier.Verify(XdpProgram(Pass), [], options));
        Assert.Contains("simA: device removed during verification", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CapabilityHooksRefuseAConstantAdjustHeadDeltaOutsideTheDeviceRange()
    {
        var caps = SimDevice.DefaultCapabilities;
        var call = new HeteroBpf.Isa.Instruction(HeteroBpf.Isa.Opcodes.Call, (byte)0, (byte)0, 0, (int)HeteroBpf.Helpers.HelperId.XdpAdjustHead);
        var regs = new RegisterState[11];
        System.Array.Fill(regs, RegisterState.UnknownScalar);
        Assert.Null(CapabilityHooks.Instruction(caps, new HookVisit(3, 2, call, regs, 0)));
        regs[2] = new RegisterState(RegisterType.Scalar, ScalarValue.Const(unchecked((ulong)-216L)));
        Assert.Null(CapabilityHooks.Instruction(caps, new HookVisit(3, 2, call, regs, 0)));
        regs[2] = new RegisterState(RegisterType.Scalar, ScalarValue.Const(unchecked((ulong)-300L)));
        Assert.Equal("adjust_head delta -300 outside the device's range [-216, 3506]", CapabilityHooks.Instruction(caps, new HookVisit(3, 2, call, regs, 0)));
    }

    [Fact]
    public void MapMismatchIsRefusedBothWays()
    {
        var sim = new SimDevice("simA");
        using var hostMap = BpfMap.Create(Array());
        var e = Assert.Throws<HbpfException>(() => sim.Load(XdpProgram(Counter), [hostMap]));
        Assert.Equal(ErrorCode.OffloadMapMismatch, e.Code);
        Assert.Contains("offload device mismatch between program and map", e.Message, StringComparison.Ordinal);
        Assert.Contains("map 'counters' lives on the host", e.Message, StringComparison.Ordinal);

        using var deviceMap = sim.CreateMap(Array());
        e = Assert.Throws<HbpfException>(() => HostLoad.Program(XdpProgram(Counter), [deviceMap]));
        Assert.Equal(ErrorCode.OffloadMapMismatch, e.Code);
        Assert.Contains("offload device mismatch between program and map", e.Message, StringComparison.Ordinal);
        Assert.Contains("lives on device 'simA'", e.Message, StringComparison.Ordinal);

        // The matching pairs load: host with host, device with device.
        using var host = HostLoad.Program(XdpProgram(Counter), [hostMap]);
        using var device = sim.Load(XdpProgram(Counter), [deviceMap]);
    }

    [Fact]
    public void ProgramBoundToDeviceBIsRefusedOnDeviceA()
    {
        var a = new SimDevice("simA");
        var b = new SimDevice("simB");
        using var program = b.Load(XdpProgram(Pass), []);
        var e = Assert.Throws<HbpfException>(() => a.Ports[0].Attach(program));
        Assert.Equal(ErrorCode.OffloadWrongDevice, e.Code);
        Assert.Contains("bound to device 'simB', not to 'simA'", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<HbpfException>(() => program.TestRun(a, Packet()));
        Assert.Equal(ErrorCode.OffloadWrongDevice, e.Code);
        e = Assert.Throws<HbpfException>(() => a.Load(XdpProgram(Pass), [], b.Ports[0]));
        Assert.Equal(ErrorCode.OffloadWrongDevice, e.Code);
        b.Ports[0].Attach(program);
        Assert.Same(program, b.Ports[0].DeviceProgram);
    }

    [Fact]
    public void MapsAreSharedAcrossPortsOfOneDeviceButNotAcrossDevices()
    {
        var a = new SimDevice("simA", ports: 2);
        var b = new SimDevice("simB");
        using var map = a.CreateMap(Array(), a.Ports[0]);
        using var onPort0 = a.Load(XdpProgram(Counter), [map], a.Ports[0]);
        using var onPort1 = a.Load(XdpProgram(Counter), [map], a.Ports[1]);
        onPort0.TestRun(a, Packet());
        onPort1.TestRun(a, Packet(), repeat: 2);
        var value = new byte[8];
        Assert.Equal(Errno.Ok, map.Lookup(Key(0), value));
        Assert.Equal(3ul, BinaryPrimitives.ReadUInt64LittleEndian(value));

        var e = Assert.Throws<HbpfException>(() => b.Load(XdpProgram(Counter), [map]));
        Assert.Equal(ErrorCode.OffloadMapMismatch, e.Code);
        Assert.Contains("map 'counters' lives on device 'simA'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MapUpdateFlagsGiveEexistEnoentAndE2big()
    {
        var sim = new SimDevice("simA");
        using var hash = sim.CreateMap(Hash(entries: 2));
        Assert.Equal(Errno.Ok, hash.Update(Key(1), Value(10), UpdateFlags.NoExist));
        Assert.Equal(Errno.EEXIST, hash.Update(Key(1), Value(11), UpdateFlags.NoExist));
        Assert.Equal(Errno.ENOENT, hash.Update(Key(2), Value(20), UpdateFlags.Exist));
        Assert.Equal(Errno.Ok, hash.Update(Key(1), Value(12), UpdateFlags.Exist));
        Assert.Equal(Errno.Ok, hash.Update(Key(2), Value(20)));
        Assert.Equal(Errno.E2BIG, hash.Update(Key(3), Value(30))); // full
        var value = new byte[8];
        Assert.Equal(Errno.Ok, hash.Lookup(Key(1), value));
        Assert.Equal(12ul, BinaryPrimitives.ReadUInt64LittleEndian(value));
        Assert.Equal(Errno.Ok, hash.Delete(Key(1)));
        Assert.Equal(Errno.ENOENT, hash.Delete(Key(1)));
        Assert.Equal(Errno.ENOENT, hash.Lookup(Key(1), value));

        using var array = sim.CreateMap(Array(entries: 2));
        Assert.Equal(Errno.E2BIG, array.Update(Key(2), Value(1)));          // index beyond max_entries
        Assert.Equal(Errno.EEXIST, array.Update(Key(0), Value(1), UpdateFlags.NoExist)); // array elements always exist
        Assert.Equal(Errno.EINVAL, array.Delete(Key(0)));
    }

    [Fact]
    public void GetNextKeyWalksEveryKeyOnceThenEndsWithNoMoreKeys()
    {
        var sim = new SimDevice("simA");
        using var array = sim.CreateMap(Array(entries: 3));
        var next = new byte[4];
        var order = new List<uint>();
        byte[] key = [];
        Errno errno;
        while ((errno = array.GetNextKey(key, next)) == Errno.Ok)
        {
            order.Add(BinaryPrimitives.ReadUInt32LittleEndian(next));
            key = (byte[])next.Clone();
        }

        Assert.Equal(Errno.ENOENT, errno);
        Assert.Equal([0u, 1u, 2u], order);

        using var hash = sim.CreateMap(Hash(entries: 8));
        Assert.Equal(Errno.ENOENT, hash.GetNextKey([], next)); // empty: no first key
        foreach (uint k in new uint[] { 7, 3, 5 }) Assert.Equal(Errno.Ok, hash.Update(Key(k), Value(k)));
        var seen = hash.Entries().Select(e => BinaryPrimitives.ReadUInt32LittleEndian(e.Key)).ToList();
        Assert.Equal([3u, 5u, 7u], seen.Order());
        Assert.Equal(Errno.ENOENT, hash.GetNextKey(Key(seen[^1]), next));
        // A key that is not there: the walk starts over from the first key, as the kernel's hash map does.
        Assert.Equal(Errno.Ok, hash.GetNextKey(Key(99), next));
        Assert.Equal(seen[0], BinaryPrimitives.ReadUInt32LittleEndian(next));
    }

    [Fact]
    public void PortRemovalMigratesProgramsAndMapsToASurvivingPort()
    {
        var sim = new SimDevice("simA", ports: 2);
        var (p0, p1) = (sim.Ports[0], sim.Ports[1]);
        using var map = sim.CreateMap(Array(), p1);
        using var program = sim.Load(XdpProgram(Counter), [map], p1);
        p1.Attach(program);
        sim.RemovePort(p1);
        Assert.True(p1.IsRemoved);
        Assert.Null(p1.DeviceProgram);
        Assert.Same(p0, program.Port);
        Assert.Same(p0, map.Port);
        Assert.Equal(DeviceProgramState.Loaded, program.State);
        Assert.Equal(2u, program.TestRun(sim, Packet()).Retval);
        Assert.Equal(Errno.Ok, map.Lookup(Key(0), new byte[8]));
        p0.Attach(program);
        var e = Assert.Throws<HbpfException>(() => p1.Attach(program));
        Assert.Equal(ErrorCode.OffloadBadPort, e.Code);
    }

    [Fact]
    public void LastPortRemovalOrphansProgramsAndMakesMapOperationsFail()
    {
        var sim = new SimDevice("simA");
        var port = sim.Ports[0];
        var map = sim.CreateMap(Hash());
        Assert.Equal(Errno.Ok, map.Update(Key(1), Value(1)));
        var program = sim.Load(XdpProgram(Counter), [sim.CreateMap(Array())]);
        port.Attach(program);
        sim.RemovePort(port);

        Assert.False(sim.IsPresent);
        Assert.Equal(DeviceProgramState.Orphaned, Assert.Single(sim.Programs).State);
        Assert.True(map.IsOrphaned);
        AssertRemoved(() => _ = map.Lookup(Key(1), new byte[8]));
        AssertRemoved(() => _ = map.Update(Key(1), Value(2)));
        AssertRemoved(() => _ = map.Delete(Key(1)));
        AssertRemoved(() => _ = map.GetNextKey([], new byte[4]));
        AssertRemoved(() => _ = program.TestRun(sim, Packet()));
        var late = sim.AddPort();
        AssertRemoved(() => late.Attach(program));
        AssertRemoved(() => _ = sim.Load(XdpProgram(Counter), [map]));

        // Re-adding the device brings a fresh domain: the old objects stay orphaned, new ones work.
        Assert.True(sim.IsPresent);
        Assert.True(program.IsOrphaned);
        AssertRemoved(() => _ = map.Lookup(Key(1), new byte[8]));
        Assert.DoesNotContain(map, sim.Maps);
        using var fresh = sim.CreateMap(Hash());
        Assert.Equal(Errno.ENOENT, fresh.Lookup(Key(1), new byte[8]));
        program.Dispose();
        map.Dispose();
        Assert.Empty(sim.Programs);
    }

    [Fact]
    public void RemovalDuringASlowVerificationWaitsForItAndFailsThatLoad()
    {
        var sim = new SimDevice("simA") { VerificationDelay = TimeSpan.FromMilliseconds(600) };
        var load = Task.Run(() => sim.Load(XdpProgram(Pass), []), TestContext.Current.CancellationToken);
        var waited = Stopwatch.StartNew();
        while (sim.VerificationsInProgress == 0)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the load never reached the prepare hook");
            Thread.Yield();
        }

        var removal = Stopwatch.StartNew();
        sim.RemovePort(sim.Ports[0]);
        removal.Stop();
        var e = Assert.Throws<AggregateException>(() => load.Wait(TestContext.Current.CancellationToken));
        var removed = Assert.IsType<DeviceRemovedException>(e.InnerException);
        Assert.Equal(ErrorCode.DeviceRemoved, removed.Code);
        Assert.Contains("device 'simA' was removed: program 'prog' was being verified", removed.Message, StringComparison.Ordinal);
        Assert.True(removal.Elapsed > TimeSpan.FromMilliseconds(100), $"the removal did not wait for the verification ({removal.Elapsed.TotalMilliseconds} ms)");
        Assert.Empty(sim.Programs);
    }

    [Fact]
    public void DeviceAndHostAttachModesRefuseEachOther()
    {
        var sim = new SimDevice("simA");
        var port = sim.Ports[0];
        using var device = sim.Load(XdpProgram(Pass), []);
        var e = Assert.Throws<HbpfException>(() => port.Attach(device, AttachMode.HostInterpreter));
        Assert.Equal(ErrorCode.OffloadAttachMode, e.Code);
        Assert.Contains("attach it in device mode", e.Message, StringComparison.Ordinal);

        using var interp = HostLoad.Program(XdpProgram(Pass), []);
        using var jit = HostLoad.Program(XdpProgram(Pass), [], HostEngine.Cil);
        e = Assert.Throws<HbpfException>(() => port.Attach(interp, AttachMode.Device));
        Assert.Equal(ErrorCode.OffloadAttachMode, e.Code);
        Assert.Contains("device mode takes only a program bound to device 'simA' at load", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<HbpfException>(() => port.Attach(interp, AttachMode.HostJit));
        Assert.Equal(ErrorCode.OffloadAttachMode, e.Code);

        // Device mode beside a host mode is fine; the two host modes exclude each other.
        port.Attach(device);
        port.Attach(interp, AttachMode.HostInterpreter);
        e = Assert.Throws<HbpfException>(() => port.Attach(jit, AttachMode.HostJit));
        Assert.Contains("can't be active at the same time", e.Message, StringComparison.Ordinal);
        Assert.Equal((interp, AttachMode.HostInterpreter), port.HostProgram);

        sim.RefuseAttaching = true;
        e = Assert.Throws<HbpfException>(() => port.Attach(device));
        Assert.Equal(ErrorCode.OffloadAttachRefused, e.Code);
    }

    [Fact]
    public void DetachIsIdempotent()
    {
        var sim = new SimDevice("simA");
        var port = sim.Ports[0];
        using var program = sim.Load(XdpProgram(Pass), []);
        Assert.False(port.Detach(AttachMode.Device));
        port.Attach(program);
        Assert.True(port.Detach(AttachMode.Device));
        Assert.False(port.Detach(AttachMode.Device));
        Assert.False(port.Detach(AttachMode.HostInterpreter));
        Assert.False(port.Detach(AttachMode.HostJit));
        Assert.Null(port.DeviceProgram);
    }

    [Fact]
    public void ProgramsKeepTheirMapsAndUnloadingDetaches()
    {
        var sim = new SimDevice("simA");
        var map = sim.CreateMap(Array());
        var program = sim.Load(XdpProgram(Counter), [map]);
        sim.Ports[0].Attach(program);
        map.Dispose();
        Assert.Throws<ObjectDisposedException>(() => map.Lookup(Key(0), new byte[8]));
        Assert.Equal(2u, program.TestRun(sim, Packet()).Retval); // the program still holds the map's device memory
        program.Dispose();
        Assert.Null(sim.Ports[0].DeviceProgram);
        Assert.Empty(sim.Programs);
        Assert.Throws<ObjectDisposedException>(() => program.TestRun(sim, Packet()));
    }

    [Fact]
    public void ARefusedLoadUndoesTheBinding()
    {
        var sim = new SimDevice("simA");
        using var hash = sim.CreateMap(Hash());
        // A direct value address (ld_pseudo source 2) exists only for an array's value: the verifier refuses it, as the
        // kernel does, after the program was bound; the binding must not outlive the refusal.
        var e = Assert.ThrowsAny<HbpfException>(() => sim.Load(XdpProgram("ld_pseudo r1, 2, 0, 0\nr0 = 2\nexit"), [hash]));
        Assert.Contains("no direct value access support for this map type", e.Message, StringComparison.Ordinal);
        Assert.Empty(sim.Programs);
    }

    [Fact]
    public void HostTestRunOfADeviceProgramIsRefused()
    {
        var sim = new SimDevice("simA");
        using var program = sim.Load(XdpProgram(Pass), []);
        var e = Assert.Throws<HbpfException>(() => program.TestRun(null, Packet()));
        Assert.Equal(ErrorCode.OffloadHostRunRefused, e.Code);
        Assert.Contains("bound to device 'simA' and runs only there", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SwitchesRefuseBindingAndMapCreationAndTheMapLimitHolds()
    {
        var sim = new SimDevice("simA", capabilities: SimDevice.DefaultCapabilities with { MaxMaps = 2 }) { RefuseBinding = true };
        var e = Assert.Throws<HbpfException>(() => sim.Load(XdpProgram(Pass), []));
        Assert.Equal(ErrorCode.OffloadBindRefused, e.Code);
        Assert.Empty(sim.Programs);
        sim.RefuseBinding = false;

        sim.RefuseMapCreation = true;
        e = Assert.Throws<HbpfException>(() => sim.CreateMap(Array()));
        Assert.Equal(ErrorCode.OffloadMapRefused, e.Code);
        sim.RefuseMapCreation = false;

        using var one = sim.CreateMap(Array("a"));
        using var two = sim.CreateMap(Array("b"));
        e = Assert.Throws<HbpfException>(() => sim.CreateMap(Array("c")));
        Assert.Equal("simA: map 'c': map limit reached: the device holds 2 maps", e.Message);
        e = Assert.Throws<HbpfException>(() => new SimDevice("simB").CreateMap(Array(valueSize: 8192)));
        Assert.Contains("value of 8192 bytes, the device takes at most 4096", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<HbpfException>(() => new SimDevice("simB").CreateMap(new MapSpec { Name = "rb", Type = MapType.RingBuf, KeySize = 0, ValueSize = 0, MaxEntries = 4096 }));
        Assert.Contains("map type RingBuf not supported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TestRunInputsFollowTheKernelRules()
    {
        var sim = new SimDevice("simA");
        using var program = sim.Load(XdpProgram(PacketLength), []);
        Assert.Equal(Errno.EINVAL, program.TestRun(sim, Packet(10)).Error);
        Assert.Equal(Errno.EOPNOTSUPP, program.TestRun(sim, Packet(4000)).Error);
        Assert.Equal(Errno.EINVAL, program.TestRun(sim, Packet(60), new DeviceXdpContext(3, 60)).Error);
        var withMeta = program.TestRun(sim, Packet(60), new DeviceXdpContext(8, 60));
        Assert.Equal(52u, withMeta.Retval);
        Assert.Equal(new DeviceXdpContext(8, 60), withMeta.Context);
    }

    private static void AssertRemoved(Action action)
    {
        var e = Assert.Throws<DeviceRemovedException>(action);
        Assert.Equal(ErrorCode.DeviceRemoved, e.Code);
        Assert.Contains("device 'simA' was removed", e.Message, StringComparison.Ordinal);
    }
}
