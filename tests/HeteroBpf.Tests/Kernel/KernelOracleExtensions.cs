using HeteroBpf.Elf;
using HeteroBpf.KernelOracle;

namespace HeteroBpf.Tests.Kernel;

/// <summary>The kernel oracle as tests use it: skipped with the reason when <c>bpf()</c> is unavailable or the kernel refuses.</summary>
internal static class KernelOracleExtensions
{
    /// <summary>Skips the test when the kernel cannot serve as oracle here (never passes silently).</summary>
    public static void SkipUnlessAvailable()
    {
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
    }

    /// <summary><see cref="KernelObject.Open"/>, after skipping when <c>bpf()</c> is unavailable.</summary>
    public static KernelObject OpenOrSkip(ObjectFile obj)
    {
        SkipUnlessAvailable();
        return KernelObject.Open(obj);
    }

    /// <summary>Loads program <paramref name="name"/> (as <paramref name="type"/> when given), or skips the test with the kernel's refusal.</summary>
    public static int LoadProgramOrSkip(this KernelObject kernel, string name, ProgramType? type = null)
    {
        if (!kernel.TryLoadProgram(name, out string? refusal, type)) Assert.Skip($"kernel refused {name}: {refusal}");
        return kernel.ProgramFd(name);
    }
}
