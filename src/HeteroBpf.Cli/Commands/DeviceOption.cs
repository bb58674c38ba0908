using System.CommandLine;
using HeteroBpf.Devices;

namespace HeteroBpf.Cli.Commands;

/// <summary>The one <c>--device NAME</c> option shared by every command that runs code; names come from <see cref="DeviceRegistry"/>.</summary>
internal static class DeviceOption
{
    public static Option<string?> Create() => new("--device")
    {
        Description = $"Device that runs the program: {string.Join(", ", DeviceRegistry.All.Select(d => d.Name))} (default {DeviceRegistry.Default.Name}).",
        HelpName = "NAME",
    };

    public static IDevice Resolve(string? name) => name is null ? DeviceRegistry.Default : DeviceRegistry.Get(name);

    /// <summary><c>--cores N</c>: emulated cores of <c>arm64-nic</c>.</summary>
    public static Option<int?> CreateCores() => new("--cores")
    {
        Description = $"Emulated ARM64 cores of arm64-nic (1–{Arm64NicDevice.MaxCores}, default 1); each core runs its share of the packets on a thread of its own.",
        HelpName = "N",
    };

    /// <summary>
    /// The device named, with <paramref name="cores"/> applied (only arm64-nic has cores). A core count makes a NIC of
    /// this command's own, so one command's <c>--cores</c> never changes the registry's shared device for the next.
    /// </summary>
    public static IDevice Resolve(string? name, int? cores)
    {
        var device = Resolve(name);
        if (cores is not { } n) return device;
        if (device is not Arm64NicDevice nic) throw new HbpfException(ErrorCode.BadArgument, $"--cores applies to arm64-nic only, not to device '{device.Name}'");
        return n == nic.Cores ? nic : new Arm64NicDevice(nic.Name, nic.Ports.Count, n, nic.Capabilities);
    }
}
