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

    private sealed class LoadedProgram(HostInterpreterDevice device, BpfInterpreter interpreter) : IDeviceProgram
    {
        public IDevice Device => device;

        public unsafe ExecutionResult Execute(Span<byte> memory)
        {
            fixed (byte* p = memory)
            {
                // The input memory plays the packet: it is what legacy packet loads read.
                var map = MemoryMap.ForThisThread();
                map.Add(memory, RegionKind.Packet);
                try
                {
                    return interpreter.Run(map, memory.IsEmpty ? 0 : (ulong)p, (ulong)memory.Length);
                }
                finally
                {
                    map.Clear();
                }
            }
        }

        public void Dispose()
        {
        }
    }
}
