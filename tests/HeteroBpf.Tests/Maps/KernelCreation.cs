using HeteroBpf.KernelOracle;

namespace HeteroBpf.Tests.Maps;

/// <summary>BPF_MAP_CREATE as oracle for creation rules: the same attributes must be refused with the same errno, or accepted.</summary>
internal static class KernelCreation
{
    /// <summary>Asserts the kernel refuses the map with <paramref name="errno"/> (skipped with the reason when it cannot serve as oracle).</summary>
    public static void AssertRefused(string name, MapType type, uint keySize, uint valueSize, uint maxEntries, MapFlags flags, Errno errno)
    {
        if (KernelBpf.UnavailableReason is { } unavailable) Assert.Skip(unavailable);
        int fd = KernelBpf.CreateMap((uint)type, keySize, valueSize, maxEntries, (uint)flags, out Errno kernel);
        if (fd >= 0) KernelBpf.Close(fd);
        Assert.True(fd < 0, $"{name}: the kernel accepts what we refuse");
        Assert.True(kernel == errno, $"{name}: the kernel gives {kernel}, we give {errno}");
    }

    /// <summary>Asserts the kernel accepts the map (skipped with the reason when it cannot serve as oracle).</summary>
    public static void AssertAccepted(MapType type, uint keySize, uint valueSize, uint maxEntries, MapFlags flags)
    {
        if (KernelBpf.UnavailableReason is { } unavailable) Assert.Skip(unavailable);
        int fd = KernelBpf.CreateMap((uint)type, keySize, valueSize, maxEntries, (uint)flags, out Errno kernel);
        Assert.True(fd >= 0, $"the kernel refuses what we accept: {kernel}");
        KernelBpf.Close(fd);
    }
}
