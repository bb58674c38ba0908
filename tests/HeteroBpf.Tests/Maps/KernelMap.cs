using HeteroBpf.KernelOracle;
using HeteroBpf.Maps;

namespace HeteroBpf.Tests.Maps;

/// <summary>A map created twice, here and in the running kernel, for tests that drive both the same way.</summary>
internal sealed class KernelMap : IDisposable
{
    private KernelMap(BpfMap ours, int fd)
    {
        Ours = ours;
        Fd = fd;
    }

    public BpfMap Ours { get; }

    public int Fd { get; }

    /// <summary>Creates both maps, or skips the test with the reason the kernel cannot serve as oracle.</summary>
    public static KernelMap Create(MapSpec spec)
    {
        if (KernelBpf.UnavailableReason is { } unavailable) Assert.Skip(unavailable);
        if (spec.Type is MapType.PerCpuArray or MapType.PerCpuHash or MapType.LruPerCpuHash && KernelBpf.PossibleCpus() != BpfMap.PossibleCpus)
            Assert.Skip($"per-CPU values differ in size: the kernel has {KernelBpf.PossibleCpus()} possible CPUs, this process sees {BpfMap.PossibleCpus}");
        int fd = KernelBpf.CreateMap((uint)spec.Type, spec.KeySize, spec.ValueSize, spec.MaxEntries, (uint)spec.Flags, out Errno error);
        Assert.True(fd >= 0, $"the kernel refuses {spec}: {error}");
        return new KernelMap(BpfMap.Create(spec), fd);
    }

    /// <summary>Every (key, value) in get_next_key order, from the given side.</summary>
    public List<(byte[] Key, byte[] Value)> Dump(bool kernel)
    {
        var entries = new List<(byte[], byte[])>();
        byte[] key = [];
        var next = new byte[Ours.KeySize];
        for (int guard = 0; guard <= Ours.MaxEntries + 1; guard++)
        {
            Errno e = kernel ? KernelBpf.GetNextKey(Fd, key, next) : Ours.GetNextKey(key, next);
            if (e == Errno.ENOENT) return entries;
            Assert.Equal(Errno.Ok, e);
            key = next.ToArray();
            var value = new byte[Ours.UserValueSize];
            Assert.Equal(Errno.Ok, kernel ? KernelBpf.Lookup(Fd, key, value) : Ours.Lookup(key, value));
            entries.Add((key, value));
        }

        Assert.Fail($"{(kernel ? "kernel" : "our")} get_next_key walk does not end after max_entries keys");
        return entries;
    }

    public void Dispose()
    {
        Ours.Dispose();
        KernelBpf.Close(Fd);
    }
}
