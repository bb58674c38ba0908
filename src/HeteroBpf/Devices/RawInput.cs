using HeteroBpf.Helpers;

namespace HeteroBpf.Devices;

/// <summary>A host engine that runs over a memory map with R1 and R2 set.</summary>
internal interface IHostEngine
{
    ExecutionResult Run(MemoryMap memory, ulong r1, ulong r2);
}

/// <summary>
/// The raw-run convention of <see cref="IDeviceProgram.Execute"/> for host engines: the input memory is the only region
/// (as the packet, which is what legacy packet loads read), R1 its address (0 when empty), R2 its length.
/// </summary>
internal static class RawInput
{
    public static unsafe ExecutionResult Run<TEngine>(TEngine engine, Span<byte> memory)
        where TEngine : IHostEngine
    {
        fixed (byte* p = memory)
        {
            var map = MemoryMap.ForThisThread();
            map.Add(memory, RegionKind.Packet);
            try
            {
                return engine.Run(map, memory.IsEmpty ? 0 : (ulong)p, (ulong)memory.Length);
            }
            finally
            {
                map.Clear();
            }
        }
    }
}
