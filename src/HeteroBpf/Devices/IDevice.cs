using HeteroBpf.Isa;

namespace HeteroBpf.Devices;

/// <summary>An execution backend with a name (<c>host-interp</c>, later <c>host-cil</c>, <c>sim</c>, <c>arm64-nic</c>): the only thing <c>--device</c> chooses.</summary>
public interface IDevice
{
    /// <summary>The name used by <c>--device</c>.</summary>
    string Name { get; }

    /// <summary>One line saying what the device is.</summary>
    string Description { get; }

    /// <summary>Prepares a decoded, validated program to run on this device.</summary>
    IDeviceProgram Load(Instruction[] program);
}

/// <summary>A program loaded on one device; disposable.</summary>
public interface IDeviceProgram : IDisposable
{
    /// <summary>The device the program is bound to.</summary>
    IDevice Device { get; }

    /// <summary>Runs with R1 = address of <paramref name="memory"/> (0 when empty) and R2 = its length, as the conformance suite does.</summary>
    /// <exception cref="BpfFaultException">The program faulted.</exception>
    ExecutionResult Execute(Span<byte> memory);
}

