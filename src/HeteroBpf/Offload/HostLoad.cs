using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Maps;

namespace HeteroBpf.Offload;

/// <summary>
/// Loading one program for the host over maps that already exist (the kernel's <c>BPF_PROG_LOAD</c> without
/// <c>prog_ifindex</c>, map fds in its <c>lddw</c>s): every map must be a host map, since a host program may not use a
/// device map. Runs with the map helpers over those maps and <see cref="HelperRegistry.Basic"/>; no context rewrite.
/// </summary>
public static class HostLoad
{
    /// <summary>Loads <paramref name="program"/> for the host; its map <c>lddw</c>s index <paramref name="maps"/>.</summary>
    /// <exception cref="HbpfException">A device map (HB9102, "offload device mismatch between program and map"), a <c>lddw</c> naming no map, or an unavailable helper.</exception>
    public static BpfProgram Program(ProgramSpec program, IReadOnlyList<MapRef> maps, HostEngine engine = HostEngine.Interpreter)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(maps);
        var host = new BpfMap[maps.Count];
        for (int i = 0; i < maps.Count; i++)
        {
            host[i] = maps[i].Host ?? throw new HbpfException(
                ErrorCode.OffloadMapMismatch,
                $"offload device mismatch between program and map: program '{program.Name}' is for the host, map '{maps[i].Device!.Spec.Name}' lives on device '{maps[i].Device!.Device.Name}'");
        }

        var mapHelpers = new MapHelpers(host);
        var insns = LddwResolver.Resolve(program, host.Length, MapHelpers.HandleOf, (index, offset) => LddwResolver.ArrayValueAddress(host[index], offset));
        var regions = LddwResolver.ValueRegions(host);
        var options = new InterpreterOptions { Maps = handle => mapHelpers.TryResolve(handle, out var m) ? m : null };
        return new BpfProgram(program, insns, mapHelpers.AddTo(HelperRegistry.Basic), regions, options, engine);
    }
}
