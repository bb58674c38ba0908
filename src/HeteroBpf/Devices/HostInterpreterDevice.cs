using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;

namespace HeteroBpf.Devices;

/// <summary><c>host-interp</c>: the reference interpreter on the host, the semantics every other device is compared with.</summary>
public sealed class HostInterpreterDevice : IDevice
{
    /// <inheritdoc/>
    public string Name => "host-interp";

    /// <inheritdoc/>
    public string Description => "reference interpreter on the host (RFC 9669 semantics, every access bounds-checked)";

    /// <inheritdoc/>
    public IDeviceProgram Load(Instruction[] program)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (!InstructionDecoder.TryValidate(program, out var error)) throw error.ToException();
        return new LoadedProgram(this, new BpfInterpreter(program, HelperRegistry.Basic));
    }

    private sealed class LoadedProgram(HostInterpreterDevice device, BpfInterpreter interpreter) : IDeviceProgram, IHostEngine
    {
        public IDevice Device => device;

        public ExecutionResult Execute(Span<byte> memory) => RawInput.Run(this, memory);

        public ExecutionResult Run(MemoryMap memory, ulong r1, ulong r2) => interpreter.Run(memory, r1, r2);

        public void Dispose()
        {
        }
    }
}
