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
}
