namespace HeteroBpf.Offload;

/// <summary>
/// An operation on an object whose device was removed (its last port went, the kernel's ENODEV): the program or map is
/// orphaned for good; re-adding the device does not bring it back.
/// </summary>
public sealed class DeviceRemovedException : HbpfException
{
    /// <summary>Creates the error for <paramref name="device"/> and what was attempted.</summary>
    public DeviceRemovedException(string device, string what, Exception? inner = null)
        : base(ErrorCode.DeviceRemoved, $"device '{device}' was removed: {what} (ENODEV)", default, inner)
    {
        Device = device;
    }

    /// <summary>The removed device's name.</summary>
    public string Device { get; }

    /// <summary>The errno the kernel gives: ENODEV.</summary>
    public static Errno Errno => Errno.ENODEV;
}
