using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;
using HeteroBpf.Jit.Cil;
using HeteroBpf.Verifier;

namespace HeteroBpf.Offload;

/// <summary>What runs a loaded program on the host.</summary>
public enum HostEngine
{
    /// <summary>The reference interpreter (<c>host-interp</c>).</summary>
    Interpreter,
    /// <summary>The CIL JIT (<c>host-cil</c>): same semantics as the interpreter, tail calls and callbacks included.</summary>
    Cil,
}

/// <summary>
/// A loaded program: its instructions with map <c>lddw</c> resolved, bound to the host interpreter, and the map value
/// memory it may reach (every map of its collection, read-only for <c>BPF_F_RDONLY_PROG</c> maps).
/// </summary>
public sealed class BpfProgram : IDisposable
{
    private readonly BpfInterpreter _interpreter;
    private readonly CilProgram? _compiled;
    private readonly MemoryRegion[] _mapRegions;

    internal BpfProgram(ProgramSpec spec, Instruction[] instructions, HelperRegistry helpers, MemoryRegion[] mapRegions, InterpreterOptions? options, HostEngine engine = HostEngine.Interpreter, CilTailCallResolver? cilTailCalls = null, VerifiedProgram? verified = null)
    {
        if (!InstructionDecoder.TryValidate(instructions, out var error)) throw error.ToException().WithLocation(new BpfLocation { Section = spec.SectionName, Instruction = error.Slot });
        for (int pc = 0; pc < instructions.Length; pc += instructions[pc].Width)
        {
            var insn = instructions[pc];
            if (insn.OpCode != Opcodes.Call || insn.SrcNumber != (byte)CallKind.Helper || helpers.TryGet(insn.Imm, out _)) continue;
            // The interpreter itself implements bpf_loop, and bpf_tail_call when the loader resolves prog arrays.
            if (insn.Imm == (int)HelperId.Loop || (insn.Imm == (int)HelperId.TailCall && options?.TailCalls is not null)
                || (insn.Imm == (int)HelperId.ForEachMapElem && options?.Maps is not null)) continue;
            string name = HelperIds.Describe(insn.Imm);
            throw BpfCollection.Located(spec, pc, ErrorCode.UnknownHelper, $"helper {name} is not available");
        }

        Spec = spec;
        Instructions = instructions;
        Helpers = helpers;
        _mapRegions = mapRegions;
        _interpreter = new BpfInterpreter(instructions, helpers, options);
        if (engine == HostEngine.Cil)
        {
            var maps = options?.Maps;
            long budget = (options ?? new InterpreterOptions()).InstructionBudget;
            _compiled = CilCompiler.Compile(instructions, helpers, new CilCompilerOptions
            {
                InstructionBudget = budget,
                // A verified program terminates (the verifier proved it), so its code only counts, for test-run and
                // exec to report, unless the caller asked for a limit of its own.
                Counting = verified is not null && budget == DefaultBudget ? CilCounting.Count : CilCounting.Budget,
                TailCalls = cilTailCalls,
                Maps = maps is null ? null : handle => maps(handle),
            }.WithProofsOf(verified));
        }

        Engine = engine;
        Verified = verified;
        // After a tail call a fault's slot belongs to another program, so only programs without one name C lines.
        _slotsAreOwn = !instructions.Any(i => i.OpCode == Opcodes.Call && i.SrcNumber == (byte)CallKind.Helper && i.Imm == (int)HelperId.TailCall);
    }

    private readonly bool _slotsAreOwn;

    private static readonly long DefaultBudget = new InterpreterOptions().InstructionBudget;

    /// <summary>What the verifier proved, or null for a program loaded unverified (every access checked at run time).</summary>
    public VerifiedProgram? Verified { get; }


    // A fault names the program's section and, from BTF line info, the C line of the faulting instruction.
    private BpfFaultException Locate(BpfFaultException fault) =>
        _slotsAreOwn ? (BpfFaultException)fault.WithLocation(BpfCollection.Where(Spec, fault.Slot)) : fault;

    /// <summary>The interpreter running the program (tail calls switch to another program's).</summary>
    internal BpfInterpreter Interpreter => _interpreter;

    /// <summary>What runs the program on the host.</summary>
    public HostEngine Engine { get; }

    /// <summary>The compiled program when <see cref="Engine"/> is <see cref="HostEngine.Cil"/> (tail calls switch to another program's).</summary>
    internal CilProgram? Compiled => _compiled;

    /// <summary>The spec the program was loaded from (its instructions still unresolved).</summary>
    public ProgramSpec Spec { get; }

    /// <summary>The instructions as they run: map <c>lddw</c> replaced by plain 64-bit immediates.</summary>
    public IReadOnlyList<Instruction> Instructions { get; }

    /// <summary>The helpers the program may call.</summary>
    public HelperRegistry Helpers { get; }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>Runs once with R1 = address of <paramref name="packet"/> and R2 = its length (the packet is a region too).</summary>
    /// <exception cref="BpfFaultException">The program faulted.</exception>
    public unsafe ExecutionResult Run(Span<byte> packet)
    {
        fixed (byte* p = packet)
        {
            var map = Rent();
            try
            {
                map.Add(packet, RegionKind.Packet);
                return Execute(map, packet.IsEmpty ? 0 : (ulong)p, (ulong)packet.Length);
            }
            catch (BpfFaultException fault)
            {
                throw Locate(fault);
            }
            finally
            {
                map.Clear();
            }
        }
    }

    /// <summary>Runs once with the caller's regions (plus the maps') and argument registers.</summary>
    /// <exception cref="BpfFaultException">The program faulted.</exception>
    public ExecutionResult Run(MemoryMap memory, ulong r1, ulong r2 = 0)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        int first = memory.Count;
        foreach (var region in _mapRegions) memory.Add(region);
        try
        {
            return Execute(memory, r1, r2);
        }
        catch (BpfFaultException fault)
        {
            throw Locate(fault);
        }
        finally
        {
            while (memory.Count > first) memory.RemoveAt(memory.Count - 1);
        }
    }

    /// <summary>The map value regions every run of this program adds (see <see cref="RunWithMapRegions"/>).</summary>
    internal ReadOnlySpan<MemoryRegion> MapRegions => _mapRegions;

    /// <summary>
    /// <see cref="Run(MemoryMap, ulong, ulong)"/> for a caller that keeps <see cref="MapRegions"/> in
    /// <paramref name="memory"/> from run to run (an XDP runner's own map), so a run does not add and remove them.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal ExecutionResult RunWithMapRegions(MemoryMap memory, ulong r1)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        try
        {
            return Execute(memory, r1, 0);
        }
        catch (BpfFaultException fault)
        {
            throw Locate(fault);
        }
    }

    private MemoryMap Rent()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var map = MemoryMap.ForThisThread();
        foreach (var region in _mapRegions) map.Add(region);
        return map;
    }

    private ExecutionResult Execute(MemoryMap memory, ulong r1, ulong r2) =>
        _compiled is { } compiled ? compiled.Run(memory, r1, r2) : _interpreter.Run(memory, r1, r2);

    /// <inheritdoc/>
    public void Dispose() => IsDisposed = true;
}
