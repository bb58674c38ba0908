using System.Buffers.Binary;
using HeteroBpf.Devices;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Maps;
using HeteroBpf.Offload;
using HeteroBpf.Verifier;
using static HeteroBpf.Tests.Offload.OffloadFixtures;

namespace HeteroBpf.Tests.Arm64Nic;

/// <summary>
/// The offload behaviours of <c>Offload/OffloadModelTests</c> (the kernel's <c>bpf_offload.py</c>) that do not need the
/// sim's switches, on <c>arm64-nic</c>: the program really runs as ARM64 code on emulated cores over device memory.
/// </summary>
public sealed class Arm64NicOffloadTests
{
    public Arm64NicOffloadTests()
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
    }

    [Fact]
    public void ProgramIsBoundAtLoadVerifiedTranslatedAndRunsThroughItsDeviceOnTheUapiXdpMd()
    {
        var nic = new Arm64NicDevice("nicA", ports: 2);
        var port = nic.Ports[1];
        using var program = nic.Load(XdpProgram(PacketLength), [], port);
        Assert.Same(port, program.Port);
        Assert.Equal(DeviceProgramState.Loaded, program.State);
        Assert.NotNull(Arm64NicDevice.TranslationOf(program));
        var r = program.TestRun(nic, Packet(60));
        Assert.Equal(Errno.Ok, r.Error);
        Assert.Equal(60u, r.Retval);
        Assert.Equal(Packet(60), r.DataOut);

        using var ifindex = nic.Load(XdpProgram(IngressIfindex), []);
        Assert.Equal(1u, ifindex.TestRun(nic, Packet()).Retval);
        Assert.Equal((uint)port.Ifindex, ifindex.TestRun(nic, Packet(), new DeviceXdpContext(0, 60, IngressIfindex: (uint)port.Ifindex)).Retval);

        // data (offset 0) is a real device address: below 4 GiB, non-zero.
        using var data = nic.Load(XdpProgram("r0 = *(u32 *)(r1 + 0)\nexit"), []);
        Assert.NotEqual(0u, data.TestRun(nic, Packet()).Retval);

        // Metadata: data - data_meta as the test-run context gives it.
        var withMeta = program.TestRun(nic, Packet(60), new DeviceXdpContext(8, 60));
        Assert.Equal(52u, withMeta.Retval);
        Assert.Equal(new DeviceXdpContext(8, 60), withMeta.Context);
    }

    [Fact]
    public void CapabilityTableRefusesWhatTheNicDoesNotOfferWithItsMessage()
    {
        var nic = new Arm64NicDevice("nicA");
        var e = Assert.Throws<VerifierException>(() => nic.Load(XdpProgram(Printk), []));
        Assert.Equal(ErrorCode.VerifierDeviceRefused, e.Code);
        Assert.Contains("nicA: helper 6 (TracePrintk) not supported", e.Message, StringComparison.Ordinal);
        // bpf_for_each_map_elem: the translated code cannot walk a map's keys, so the table does not offer it.
        Assert.DoesNotContain(HeteroBpf.Helpers.HelperId.ForEachMapElem, (IEnumerable<HeteroBpf.Helpers.HelperId>)Arm64NicDevice.DefaultCapabilities.Helpers);
        Assert.Equal("arm64", Arm64NicDevice.DefaultCapabilities.Isa);
        Assert.Empty(nic.Programs);
    }

    [Fact]
    public void ACounterOnTheDeviceCountsInADeviceMapReadThroughTheDevice()
    {
        var nic = new Arm64NicDevice("nicA");
        using var map = nic.CreateMap(Array());
        using var program = nic.Load(XdpProgram(Counter), [map]);
        for (int i = 0; i < 5; i++) Assert.Equal(2u, program.TestRun(nic, Packet()).Retval);
        var value = new byte[8];
        Assert.Equal(Errno.Ok, map.Lookup(Key(0), value));
        Assert.Equal(5ul, BinaryPrimitives.ReadUInt64LittleEndian(value));
        // repeat runs the program that many times on the same frame.
        Assert.Equal(2u, program.TestRun(nic, Packet(), repeat: 10).Retval);
        Assert.Equal(Errno.Ok, map.Lookup(Key(0), value));
        Assert.Equal(15ul, BinaryPrimitives.ReadUInt64LittleEndian(value));
    }

    [Fact]
    public void MapMismatchIsRefusedBothWaysAndAcrossDevices()
    {
        var nic = new Arm64NicDevice("nicA");
        var other = new Arm64NicDevice("nicB");
        using var hostMap = BpfMap.Create(Array());
        var e = Assert.Throws<HbpfException>(() => nic.Load(XdpProgram(Counter), [hostMap]));
        Assert.Equal(ErrorCode.OffloadMapMismatch, e.Code);
        using var deviceMap = nic.CreateMap(Array());
        e = Assert.Throws<HbpfException>(() => HostLoad.Program(XdpProgram(Counter), [deviceMap]));
        Assert.Equal(ErrorCode.OffloadMapMismatch, e.Code);
        e = Assert.Throws<HbpfException>(() => other.Load(XdpProgram(Counter), [deviceMap]));
        Assert.Equal(ErrorCode.OffloadMapMismatch, e.Code);
        using var onA = nic.Load(XdpProgram(Pass), []);
        e = Assert.Throws<HbpfException>(() => onA.TestRun(other, Packet()));
        Assert.Equal(ErrorCode.OffloadWrongDevice, e.Code);
        e = Assert.Throws<HbpfException>(() => onA.TestRun(null, Packet()));
        Assert.Equal(ErrorCode.OffloadHostRunRefused, e.Code);
    }

    [Fact]
    public void MapUpdateFlagsAndGetNextKeyAsTheKernel()
    {
        var nic = new Arm64NicDevice("nicA");
        using var hash = nic.CreateMap(Hash(entries: 2));
        Assert.Equal(Errno.Ok, hash.Update(Key(1), Value(10), UpdateFlags.NoExist));
        Assert.Equal(Errno.EEXIST, hash.Update(Key(1), Value(11), UpdateFlags.NoExist));
        Assert.Equal(Errno.ENOENT, hash.Update(Key(2), Value(20), UpdateFlags.Exist));
        Assert.Equal(Errno.Ok, hash.Update(Key(2), Value(20)));
        Assert.Equal(Errno.E2BIG, hash.Update(Key(3), Value(30)));
        using var array = nic.CreateMap(Array(entries: 3));
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
    }

    [Fact]
    public void PortRemovalMigratesAndLastPortRemovalOrphans()
    {
        var nic = new Arm64NicDevice("nicA", ports: 2);
        var (p0, p1) = (nic.Ports[0], nic.Ports[1]);
        var map = nic.CreateMap(Array(), p1);
        var program = nic.Load(XdpProgram(Counter), [map], p1);
        p1.Attach(program);
        nic.RemovePort(p1);
        Assert.Same(p0, program.Port);
        Assert.Equal(2u, program.TestRun(nic, Packet()).Retval);
        nic.RemovePort(p0);
        Assert.Equal(DeviceProgramState.Orphaned, program.State);
        Assert.Throws<DeviceRemovedException>(() => program.TestRun(nic, Packet()));
        Assert.Throws<DeviceRemovedException>(() => map.Lookup(Key(0), new byte[8]));
        var late = nic.AddPort();
        Assert.Throws<DeviceRemovedException>(() => late.Attach(program));
        program.Dispose();
        map.Dispose();
    }

    [Fact]
    public void DeviceAndHostAttachModesRefuseEachOtherAndDetachIsIdempotent()
    {
        var nic = new Arm64NicDevice("nicA");
        var port = nic.Ports[0];
        using var device = nic.Load(XdpProgram(Pass), []);
        Assert.Equal(ErrorCode.OffloadAttachMode, Assert.Throws<HbpfException>(() => port.Attach(device, AttachMode.HostInterpreter)).Code);
        using var interp = HostLoad.Program(XdpProgram(Pass), []);
        Assert.Equal(ErrorCode.OffloadAttachMode, Assert.Throws<HbpfException>(() => port.Attach(interp, AttachMode.Device)).Code);
        Assert.False(port.Detach(AttachMode.Device));
        port.Attach(device);
        Assert.True(port.Detach(AttachMode.Device));
        Assert.False(port.Detach(AttachMode.Device));
    }

    [Fact]
    public void CoresAreOneToEightAndEveryCoreGivesTheSameResult()
    {
        Assert.Equal(ErrorCode.NicBadCores, Assert.Throws<HbpfException>(() => new Arm64NicDevice("nicA", cores: 0)).Code);
        Assert.Equal(ErrorCode.NicBadCores, Assert.Throws<HbpfException>(() => new Arm64NicDevice("nicA", cores: 9)).Code);
        var nic = new Arm64NicDevice("nicA", cores: 2);
        using var map = nic.CreateMap(Array());
        using var program = nic.Load(XdpProgram(Counter), [map]);
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ => Assert.Equal(2u, program.TestRun(nic, Packet()).Retval));
        var value = new byte[8];
        Assert.Equal(Errno.Ok, map.Lookup(Key(0), value));
        Assert.Equal(200ul, BinaryPrimitives.ReadUInt64LittleEndian(value)); // atomic adds from both cores
    }
}
