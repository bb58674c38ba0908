using HeteroBpf.Helpers;

namespace HeteroBpf.Tests;

/// <summary>One engine's run of a program with R1 = a writable packet buffer and R2 = a read-only block.</summary>
internal delegate ExecutionResult EngineRun(MemoryMap memory, ulong r1, ulong r2);

/// <summary>What a run gave: its result, or the fault it stopped with (the differential tests compare these across engines).</summary>
internal readonly record struct RunOutcome(ExecutionResult Result, BpfFaultException? Fault)
{
    /// <summary>Runs <paramref name="run"/> over <paramref name="buffer"/> (packet, writable) and <paramref name="readOnly"/> (context, read-only).</summary>
    public static unsafe RunOutcome Of(Span<byte> buffer, Span<byte> readOnly, EngineRun run)
    {
        var memory = new MemoryMap();
        fixed (byte* b = buffer)
        fixed (byte* ro = readOnly)
        {
            memory.Add(buffer, RegionKind.Packet);
            memory.Add(readOnly, RegionKind.Context, writable: false);
            try
            {
                return new RunOutcome(run(memory, (ulong)b, (ulong)ro), null);
            }
            catch (BpfFaultException fault)
            {
                return new RunOutcome(default, fault);
            }
        }
    }
}
