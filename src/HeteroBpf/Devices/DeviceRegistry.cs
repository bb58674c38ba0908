namespace HeteroBpf.Devices;

/// <summary>The only list of devices, and the source of every <c>--device</c> name.</summary>
public static class DeviceRegistry
{
    /// <summary>Every device, the default first.</summary>
    public static IReadOnlyList<IDevice> All { get; } = [new HostCilDevice(), new HostInterpreterDevice(), new SimDevice(), new Arm64NicDevice()];

    /// <summary>The device used when none is named.</summary>
    public static IDevice Default => All[0];

    /// <summary>The device called <paramref name="name"/>.</summary>
    /// <exception cref="HbpfException">No device has that name (the message lists the names there are).</exception>
    public static IDevice Get(string name)
    {
        foreach (var device in All)
        {
            if (string.Equals(device.Name, name, StringComparison.Ordinal)) return device;
        }

        throw new HbpfException(ErrorCode.UnknownDevice, $"no device is named '{name}'; devices: {string.Join(", ", All.Select(d => d.Name))}");
    }
}
