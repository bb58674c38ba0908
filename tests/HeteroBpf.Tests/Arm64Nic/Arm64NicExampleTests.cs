using HeteroBpf.Devices;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Elf;
using HeteroBpf.Helpers;
using HeteroBpf.Offload;

namespace HeteroBpf.Tests.Arm64Nic;

/// <summary>
/// What only the NIC needs beyond <c>Offload/OffloadExampleTests</c> (which runs every example and fixture program on
/// <c>sim</c> and on <c>arm64-nic</c> against the host).
/// </summary>
public sealed class Arm64NicExampleTests
{
    public Arm64NicExampleTests()
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
    }

    /// <summary>
    /// The globals fixture calls <c>bpf_loop</c> (clang's code: the callback an <c>lddw</c> of a function): the NIC's
    /// table offers it and the program loads (it runs equal to the host in <c>OffloadExampleTests</c>);
    /// <c>bpf_for_each_map_elem</c> stays refused in the device's words.
    /// </summary>
    [Theory]
    [InlineData("v2")]
    [InlineData("v3")]
    [InlineData("v4")]
    public void AFixtureCallingBpfLoopLoadsOnTheNic(string version)
    {
        var obj = ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, $"globals-{version}.o"));
        var xdpOnly = obj with { Programs = [.. obj.Programs.Where(p => p.Type == ProgramType.Xdp)] };
        var nic = new Arm64NicDevice("nic-fixture");
        using var device = DeviceCollection.Load(xdpOnly, nic);
        Assert.Contains(device.Programs, p => p.Spec.Instructions.Any(i => i.OpCode == HeteroBpf.Isa.Opcodes.Call && i.Imm == (int)HelperId.Loop));
        Assert.Contains(HelperId.Loop, (IEnumerable<HelperId>)Arm64NicDevice.DefaultCapabilities.Helpers);
        Assert.DoesNotContain(HelperId.ForEachMapElem, (IEnumerable<HelperId>)Arm64NicDevice.DefaultCapabilities.Helpers);
    }
}
