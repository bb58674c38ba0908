using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace HeteroBpf.Jit.Cil;

/// <summary>The IL emitted for one eBPF slot (-1: the method's prologue; the program's length: the shared tail).</summary>
/// <param name="Slot">The eBPF slot.</param>
/// <param name="Lines">IL instructions and labels, one per line.</param>
public sealed record CilSlotIl(int Slot, IReadOnlyList<string> Lines);

/// <summary>The machine code RyuJIT made of a compiled program: where it was placed and its bytes.</summary>
/// <param name="Address">Start address of the method's code.</param>
/// <param name="Code">The method's code bytes, as long as the runtime reported.</param>
public sealed record CilNativeCode(ulong Address, byte[] Code)
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    private const long JitKeyword = 0x10;

    /// <summary>
    /// Compiles <paramref name="program"/>'s method to machine code now (a run with an instruction budget of zero, which
    /// stops before the first instruction) and reads the code from where the runtime's own method-load event says it
    /// is (start and size, so the read is bounded by the runtime's word, not a guess). Null when the runtime sends no
    /// such event in time (event tracing off, another runtime).
    /// </summary>
    internal static CilNativeCode? Capture(CilProgram program, string methodName)
    {
        using var listener = new MethodLoadListener(methodName);
        program.CompileNow();
        // The runtime's events reach in-process listeners through a dispatch thread, a little after the compile.
        if (!listener.Found.Wait(TimeSpan.FromSeconds(3))) return null;
        var (start, size) = listener.Location;
        if (start == 0 || size == 0 || size > 16 << 20) return null;
        unsafe
        {
            return new CilNativeCode(start, new ReadOnlySpan<byte>((void*)start, (int)size).ToArray());
        }
    }

    // MethodLoadVerbose from the runtime's provider (JIT keyword) for the one method named `methodName`.
    private sealed class MethodLoadListener : EventListener
    {
        private readonly ConcurrentQueue<EventSource> _pending = new();
        private volatile string? _name;

        public MethodLoadListener(string name)
        {
            _name = name;
            while (_pending.TryDequeue(out var source)) EnableEvents(source, EventLevel.Verbose, (EventKeywords)JitKeyword);
        }

        public ManualResetEventSlim Found { get; } = new();

        public (ulong Start, ulong Size) Location { get; private set; }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name != RuntimeProvider) return;
            // Called from the base constructor for sources that already exist, before this class's fields are set.
            if (_name is null) _pending?.Enqueue(eventSource);
            else EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)JitKeyword);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is null || !e.EventName.StartsWith("MethodLoadVerbose", StringComparison.Ordinal) || e.PayloadNames is null || e.Payload is null) return;
            int name = e.PayloadNames.IndexOf("MethodName");
            int start = e.PayloadNames.IndexOf("MethodStartAddress");
            int size = e.PayloadNames.IndexOf("MethodSize");
            if (name < 0 || start < 0 || size < 0 || e.Payload[name] as string != _name) return;
            if (Found.IsSet) return;
            Location = (Convert.ToUInt64(e.Payload[start], System.Globalization.CultureInfo.InvariantCulture), Convert.ToUInt64(e.Payload[size], System.Globalization.CultureInfo.InvariantCulture));
            Found.Set();
        }

        // Found is left to the GC: the runtime's dispatch thread may still deliver an event while the listener closes.
    }
}

/// <summary>What <c>hbpf prog dump jited</c> shows of a compiled program.</summary>
/// <param name="Program">The compiled program.</param>
/// <param name="Il">The IL by slot, in emission order.</param>
/// <param name="Native">The machine code, or null when the runtime did not report where it is.</param>
public sealed record CilDump(CilProgram Program, IReadOnlyList<CilSlotIl> Il, CilNativeCode? Native);
