using System.Buffers.Binary;
using System.Collections.Immutable;
using HeteroBpf.Elf;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Jit.Cil;
using HeteroBpf.Isa;
using HeteroBpf.Maps;
using HeteroBpf.Verifier;

namespace HeteroBpf.Offload;

/// <summary>
/// The live objects of one object file: every map of <see cref="ObjectFile.Maps"/> (same indices) and every program,
/// with map <c>lddw</c> resolved against those maps. Disposing it disposes them all.
/// </summary>
/// <remarks>
/// Loading makes the maps, applies their initial contents (global data values; prog-array and map-in-map entries that
/// name a program or map get that program's or map's index as handle), then makes the programs. A step that fails
/// disposes everything made before it. Programs run on the host interpreter for now.
/// </remarks>
public sealed class BpfCollection : IDisposable
{
    private BpfCollection(ImmutableArray<BpfMap> maps, ImmutableArray<BpfProgram> programs, TraceLog traceLog)
    {
        Maps = maps;
        Programs = programs;
        TraceLog = traceLog;
    }

    /// <summary>What the programs' <c>bpf_trace_printk</c> calls wrote (drain it after a run to read that run's lines).</summary>
    public TraceLog TraceLog { get; }

    /// <summary>The maps, in the object's map order (a map's index is its handle's index).</summary>
    public ImmutableArray<BpfMap> Maps { get; }

    /// <summary>The programs, in the object's program order (a program's index is its prog-array handle).</summary>
    public ImmutableArray<BpfProgram> Programs { get; }

    /// <summary>The map called <paramref name="name"/>.</summary>
    public BpfMap Map(string name) => Maps.FirstOrDefault(m => m.Spec.Name == name) ?? throw new KeyNotFoundException($"no map is named '{name}'");

    /// <summary>The program called <paramref name="name"/>.</summary>
    public BpfProgram Program(string name) => Programs.FirstOrDefault(p => p.Spec.Name == name) ?? throw new KeyNotFoundException($"no program is named '{name}'");

    /// <summary>
    /// Creates the maps and programs of <paramref name="objectFile"/>. Programs may call the helpers of
    /// <paramref name="helpers"/> (default <see cref="HelperRegistry.Basic"/>) plus the map helpers over these maps,
    /// <c>bpf_trace_printk</c> (into <see cref="TraceLog"/>) and <c>bpf_snprintf</c>.
    /// </summary>
    /// <param name="objectFile">The object.</param>
    /// <param name="helpers">Helpers beyond the map and printf ones (default <see cref="HelperRegistry.Basic"/>).</param>
    /// <param name="options">Interpreter limits.</param>
    /// <param name="typeOps">For the program types it handles: context accesses rewritten to the runtime layout and the type's helpers added.</param>
    /// <param name="engine">What runs the programs (the interpreter or the CIL JIT, same semantics).</param>
    /// <param name="verifier">When given, every program is verified first (a refusal fails the load, naming section, slot and C
    /// line) and the CIL JIT compiles the accesses the verifier proved in bounds without run-time checks; when null, programs
    /// run unverified with every access checked.</param>
    /// <exception cref="HbpfException">A map spec the kernel would refuse, an initial entry naming nothing, a map
    /// <c>lddw</c> naming no map, a context access the type forbids, or a call of a helper that is not available
    /// (the error names helper and slot).</exception>
    public static BpfCollection Load(ObjectFile objectFile, HelperRegistry? helpers = null, InterpreterOptions? options = null, IProgramTypeOps? typeOps = null, HostEngine engine = HostEngine.Interpreter, VerifierOptions? verifier = null)
    {
        ArgumentNullException.ThrowIfNull(objectFile);
        var maps = new List<BpfMap>();
        var programs = new List<BpfProgram>();
        try
        {
            foreach (var spec in objectFile.Maps) maps.Add(BpfMap.Create(spec));
            var traceLog = new TraceLog();
            var mapHelpers = new MapHelpers(maps);
            var registry = new PrintfHelpers(traceLog).AddTo(mapHelpers.AddTo(helpers ?? HelperRegistry.Basic));
            var regions = MapRegions(maps);
            // A prog array slot holds the index of a program of this collection (see ApplyContents).
            var withTailCalls = (options ?? new InterpreterOptions()) with
            {
                TailCalls = (handle, index) => TailCallTarget(mapHelpers, programs, handle, index)?.Interpreter,
                Maps = handle => mapHelpers.TryResolve(handle, out var map) ? map : null,
            };
            CilTailCallResolver cilTailCalls = (handle, index) => TailCallTarget(mapHelpers, programs, handle, index)?.Compiled;
            var typeRegistry = typeOps?.AddHelpers(registry, mapHelpers);
            foreach (var spec in objectFile.Programs)
            {
                // The verifier sees the program as the file has it (UAPI context, map indices); resolution and the
                // context rewrite keep every slot where it is, so its per-slot facts hold for what runs.
                var verified = verifier is null ? null : Verify(spec, objectFile.Maps, verifier);
                var insns = Resolve(spec, maps);
                if (typeOps is not null && typeOps.Handles(spec.Type))
                {
                    ConvertContext(spec, insns, typeOps, verified);
                    programs.Add(new BpfProgram(spec, insns, typeRegistry!, regions, withTailCalls, engine, cilTailCalls, verified));
                }
                else
                {
                    programs.Add(new BpfProgram(spec, insns, registry, regions, withTailCalls, engine, cilTailCalls, verified));
                }
            }

            for (int i = 0; i < maps.Count; i++) ApplyContents(objectFile, maps[i]);
            return new BpfCollection([.. maps], [.. programs], traceLog);
        }
        catch
        {
            foreach (var p in programs) p.Dispose();
            foreach (var m in maps) m.Dispose();
            throw;
        }
    }

    private static VerifiedProgram Verify(ProgramSpec spec, IReadOnlyList<MapSpec> maps, VerifierOptions options)
    {
        try
        {
            return BpfVerifier.Verify(spec, maps, options);
        }
        catch (VerifierException e)
        {
            throw e.WithLocation(Where(spec, e.Slot));
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var p in Programs) p.Dispose();
        foreach (var m in Maps) m.Dispose();
    }

    private static unsafe BpfProgram? TailCallTarget(MapHelpers maps, List<BpfProgram> programs, ulong handle, uint index)
    {
        if (!maps.TryResolve(handle, out var map) || map.Type != MapType.ProgArray) return null;
        int program = map.HandleAt((byte*)&index);
        return (uint)program < (uint)programs.Count ? programs[program] : null;
    }

    private static MemoryRegion[] MapRegions(List<BpfMap> maps)
    {
        var regions = new List<MemoryRegion>();
        foreach (var map in maps)
        {
            bool writable = !map.Spec.Flags.HasFlag(MapFlags.ReadOnlyProg);
            foreach (var (start, length) in map.ValueMemory)
            {
                regions.Add(new MemoryRegion((ulong)start, (ulong)length, RegionKind.MapValue, writable));
            }
        }

        return [.. regions];
    }

    private static void ApplyContents(ObjectFile objectFile, BpfMap map)
    {
        var handle = new byte[4];
        foreach (var entry in map.Spec.Contents)
        {
            ReadOnlySpan<byte> value = entry.Value.AsSpan();
            if (entry.ProgramName is { } program)
            {
                BinaryPrimitives.WriteInt32LittleEndian(handle, IndexOf(objectFile.Programs.Select(p => p.Name), program, map, "program"));
                value = handle;
            }
            else if (entry.MapName is { } inner)
            {
                BinaryPrimitives.WriteInt32LittleEndian(handle, IndexOf(objectFile.Maps.Select(m => m.Name), inner, map, "map"));
                value = handle;
            }

            var errno = map.Update(entry.Key.AsSpan(), value, UpdateFlags.Any);
            if (errno != Errno.Ok)
            {
                throw new HbpfException(ErrorCode.BadArgument, $"map '{map.Spec.Name}': initial entry refused with {errno}");
            }
        }
    }

    private static int IndexOf(IEnumerable<string> names, string name, BpfMap map, string what)
    {
        int i = 0;
        foreach (var n in names)
        {
            if (n == name) return i;
            i++;
        }

        throw new HbpfException(ErrorCode.BadArgument, $"map '{map.Spec.Name}': initial entry names {what} '{name}', which the object does not define");
    }

    // Map lddw → plain 64-bit immediates: src 1/5 → the map's handle, src 2/6 → native address of value + offset.
    private static Instruction[] Resolve(ProgramSpec spec, List<BpfMap> maps)
    {
        try
        {
            return LddwResolver.Resolve(spec, maps.Count, MapHelpers.HandleOf, (index, offset) => LddwResolver.ArrayValueAddress(maps[index], offset));
        }
        catch (HbpfException e) when (e.Location.Instruction is int slot)
        {
            throw e.WithLocation(Where(spec, slot));
        }
    }

    // Each context access becomes one instruction on the runtime layout, so slots (and BTF line info) stay put.
    private static void ConvertContext(ProgramSpec spec, Instruction[] insns, IProgramTypeOps typeOps, VerifiedProgram? verified)
    {
        IReadOnlyList<ContextAccess> accesses;
        try
        {
            accesses = ContextAccesses.Find(insns);
        }
        catch (HbpfException e) when (e.Location.Instruction is int slot)
        {
            throw Located(spec, slot, e.Code, e.Reason);
        }

        foreach (var access in accesses)
        {
            // A slot the verifier proved unreachable never runs: the kernel leaves dead code unchecked, and so does this.
            if (verified is not null && (verified.Facts[access.Slot] & SlotFacts.Reached) == 0) continue;
            try
            {
                insns[access.Slot] = typeOps.Convert(insns[access.Slot], access);
            }
            catch (HbpfException e)
            {
                throw Located(spec, access.Slot, e.Code, e.Reason);
            }
        }
    }

    internal static HbpfException Located(ProgramSpec spec, int slot, ErrorCode code, string reason) =>
        new(code, $"program '{spec.Name}': {reason}", Where(spec, slot));

    /// <summary>Section, slot and, when BTF line info has it, the C file and line of <paramref name="slot"/>.</summary>
    internal static BpfLocation Where(ProgramSpec spec, int slot) => spec.TryGetLine(slot, out var line)
        ? new BpfLocation { Section = spec.SectionName, Instruction = slot, SourceFile = line.File, SourceLine = line.Line }
        : new BpfLocation { Section = spec.SectionName, Instruction = slot };
}
