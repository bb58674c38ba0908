using System.Collections.Concurrent;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;
using HeteroBpf.Jit.Cil;

namespace HeteroBpf.Devices;

/// <summary>
/// <c>host-cil</c>, the default device: programs compiled by the CIL JIT (<see cref="CilCompiler"/>) to native code
/// through RyuJIT. A bare program here (the conformance path: no program type, so nothing to verify against) has every
/// access bounds-checked; objects loaded with verification compile their proven accesses unchecked. As on
/// <c>host-interp</c>, <c>bpf_loop</c> runs its callback and a bare program (no loader, so no prog arrays or maps)
/// finds no tail-call targets.
/// </summary>
public sealed class HostCilDevice : IDevice
{
    // Compiled programs by their bytes: loading the same program again reuses its compiled method. Bounded: when full,
    // it starts over (compiling again is correct, only slower).
    private const int CacheLimit = 1024;
    private readonly ConcurrentDictionary<string, CilProgram> _cache = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public string Name => "host-cil";

    /// <inheritdoc/>
    public string Description => "CIL JIT on the host (eBPF → DynamicMethod → RyuJIT; verified objects run their proven accesses unchecked)";

    /// <inheritdoc/>
    public IDeviceProgram Load(Instruction[] program)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (!InstructionDecoder.TryValidate(program, out var error)) throw error.ToException();
        string key = Convert.ToHexString(Instruction.AsBytes(program));
        if (!_cache.TryGetValue(key, out var compiled))
        {
            compiled = CilCompiler.Compile(program, HelperRegistry.Basic);
            if (_cache.Count >= CacheLimit) _cache.Clear();
            _cache[key] = compiled;
        }

        return new LoadedProgram(this, compiled);
    }

    private sealed class LoadedProgram(HostCilDevice device, CilProgram compiled) : IDeviceProgram, IHostEngine
    {
        public IDevice Device => device;

        public ExecutionResult Execute(Span<byte> memory) => RawInput.Run(this, memory);

        public ExecutionResult Run(MemoryMap memory, ulong r1, ulong r2) => compiled.Run(memory, r1, r2);

        public void Dispose()
        {
        }
    }
}
