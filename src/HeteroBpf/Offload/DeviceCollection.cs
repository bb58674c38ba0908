using System.Buffers.Binary;
using System.Collections.Immutable;
using HeteroBpf.Elf;
using HeteroBpf.Maps;
using HeteroBpf.Verifier;

namespace HeteroBpf.Offload;

/// <summary>
/// The objects of one object file loaded for a device: every map created on the device (same indices as
/// <see cref="ObjectFile.Maps"/>, initial contents written through the device's map operations), then the chosen
/// programs bound, verified and translated by the device over those maps. Disposing it unloads them all.
/// </summary>
public sealed class DeviceCollection : IDisposable
{
    private DeviceCollection(OffloadDevice device, ImmutableArray<MapRef> refs, ImmutableArray<BpfDeviceProgram> programs)
    {
        Device = device;
        MapRefs = refs;
        Maps = [.. refs.Where(r => r.Device is not null).Select(r => r.Device!)];
        Channels = [.. refs.Where(r => r.Host is not null).Select(r => r.Host!)];
        Programs = programs;
    }

    /// <summary>Every map in the object's order (a map's index is the handle map-in-map entries hold): device maps and neutral host channels.</summary>
    public ImmutableArray<MapRef> MapRefs { get; }

    /// <summary>The offload-neutral maps (ring buffers, perf event arrays the device feeds), created on the host: host objects, read on the host.</summary>
    public ImmutableArray<BpfMap> Channels { get; }

    /// <summary>The device.</summary>
    public OffloadDevice Device { get; }

    /// <summary>The device maps, in the object's order (the same indices as the object's when it has no neutral channels).</summary>
    public ImmutableArray<BpfDeviceMap> Maps { get; }

    /// <summary>The programs loaded, in the object's order.</summary>
    public ImmutableArray<BpfDeviceProgram> Programs { get; }

    /// <summary>The map called <paramref name="name"/>.</summary>
    public BpfDeviceMap Map(string name) => Maps.FirstOrDefault(m => m.Spec.Name == name) ?? throw new KeyNotFoundException($"no map is named '{name}'");

    /// <summary>The neutral channel (a host ring buffer or perf event array) called <paramref name="name"/>.</summary>
    public BpfMap Channel(string name) => Channels.FirstOrDefault(m => m.Spec.Name == name) ?? throw new KeyNotFoundException($"no neutral channel is named '{name}'");

    /// <summary>The program called <paramref name="name"/>.</summary>
    public BpfDeviceProgram Program(string name) => Programs.FirstOrDefault(p => p.Spec.Name == name) ?? throw new KeyNotFoundException($"no program is named '{name}'");

    /// <summary>
    /// Loads <paramref name="objectFile"/> on <paramref name="device"/> at <paramref name="port"/> (default: its first):
    /// every map, then each program <paramref name="select"/> picks (default: every program). A step that fails undoes
    /// the steps before it.
    /// </summary>
    /// <exception cref="HbpfException">A map or program the device refuses, or a bad initial entry.</exception>
    /// <exception cref="VerifierException">The verifier or the device's hooks refused a program.</exception>
    public static DeviceCollection Load(ObjectFile objectFile, OffloadDevice device, DevicePort? port = null, Func<ProgramSpec, bool>? select = null, VerifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(objectFile);
        ArgumentNullException.ThrowIfNull(device);
        var maps = new List<MapRef>();
        var programs = new List<BpfDeviceProgram>();
        try
        {
            // A ring buffer or perf event array the device feeds stays on the host (offload-neutral); the rest go to the device.
            foreach (var spec in objectFile.Maps) maps.Add(device.Capabilities.IsNeutral(spec.Type) ? BpfMap.Create(spec) : device.CreateMap(spec, port));
            foreach (var m in maps)
            {
                if (m.Device is { } d) ApplyContents(objectFile, d);
            }

            var refs = maps.ToArray();
            foreach (var spec in objectFile.Programs)
            {
                if (select is null || select(spec)) programs.Add(device.Load(spec, refs, port, options));
            }

            return new DeviceCollection(device, [.. maps], [.. programs]);
        }
        catch
        {
            foreach (var p in programs) p.Dispose();
            foreach (var m in maps) Dispose(m);
            throw;
        }
    }

    /// <summary>Applies map-set entries in order, through the device's map operations (raw values and inner maps by name).</summary>
    /// <exception cref="HbpfException">A map or inner map the object lacks, a wrong size, a program entry (prog arrays stay on the host), or a refused update (HB9004, naming the entry).</exception>
    /// <exception cref="DeviceRemovedException">The device was removed.</exception>
    public void Apply(IReadOnlyList<MapSetEntry> entries, string file)
    {
        ArgumentNullException.ThrowIfNull(entries);
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            string where = $"entry {i} (map '{entry.Map}')";
            int index = Maps.IndexOf(Maps.FirstOrDefault(m => m.Spec.Name == entry.Map)!);
            if (index < 0 && Channels.Any(c => c.Spec.Name == entry.Map)) throw Bad(file, $"{where}: a {Channels.First(c => c.Spec.Name == entry.Map).Type} takes no map-set entries");
            if (index < 0) throw Bad(file, $"{where}: the object has no such map (maps: {string.Join(", ", MapRefs.Select(m => m.Host?.Spec.Name ?? m.Device!.Spec.Name))})");
            var map = Maps[index];
            if (entry.Key.Length != map.Spec.KeySize) throw Bad(file, $"{where}: key is {entry.Key.Length} bytes, the map's keys are {map.Spec.KeySize}");
            byte[] value;
            if (entry.Program is not null)
            {
                throw Bad(file, $"{where}: prog arrays are not offloaded (the device has no tail calls)");
            }
            else if (entry.Inner is { } inner)
            {
                // The handle is the inner map's index in the object (neutral channels count: programs index them too).
                int m = -1;
                for (int j = 0; j < MapRefs.Length && m < 0; j++) m = MapRefs[j].Device?.Spec.Name == inner ? j : -1;
                if (map.Spec.Type is not (MapType.ArrayOfMaps or MapType.HashOfMaps) || m < 0) throw Bad(file, $"{where}: 'inner' needs a map of maps and a map named '{inner}'");
                value = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(value, m);
            }
            else
            {
                value = entry.Value!;
                int perCpu = map.UserValueSize;
                if (value.Length == map.Spec.ValueSize && perCpu != value.Length)
                {
                    // One per-CPU value given: every CPU gets it (each CPU's slot is the value rounded up to 8).
                    var all = new byte[perCpu];
                    int stride = (int)((map.Spec.ValueSize + 7) & ~7u);
                    for (int at = 0; at + stride <= perCpu; at += stride) value.CopyTo(all, at);
                    value = all;
                }

                if (value.Length != perCpu) throw Bad(file, $"{where}: value is {value.Length} bytes, the map's values are {map.Spec.ValueSize}");
            }

            var errno = map.Update(entry.Key, value, entry.Flags);
            if (errno != Errno.Ok) throw Bad(file, $"{where}: the update was refused with {errno}");
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var p in Programs) p.Dispose();
        foreach (var m in MapRefs) Dispose(m);
    }

    private static void Dispose(MapRef map)
    {
        map.Host?.Dispose();
        map.Device?.Dispose();
    }

    private static void ApplyContents(ObjectFile objectFile, BpfDeviceMap map)
    {
        var handle = new byte[4];
        foreach (var entry in map.Spec.Contents)
        {
            ReadOnlySpan<byte> value = entry.Value.AsSpan();
            if (entry.ProgramName is { } program)
            {
                throw new HbpfException(ErrorCode.OffloadMapRefused, $"{map.Device.Name}: map '{map.Spec.Name}': initial entry names program '{program}', but prog arrays are not offloaded");
            }

            if (entry.MapName is { } inner)
            {
                int index = objectFile.Maps.IndexOf(objectFile.Maps.FirstOrDefault(m => m.Name == inner)!);
                if (index < 0) throw new HbpfException(ErrorCode.BadArgument, $"map '{map.Spec.Name}': initial entry names map '{inner}', which the object does not define");
                BinaryPrimitives.WriteInt32LittleEndian(handle, index);
                value = handle;
            }

            var errno = map.Update(entry.Key.AsSpan(), value, UpdateFlags.Any);
            if (errno != Errno.Ok) throw new HbpfException(ErrorCode.BadArgument, $"map '{map.Spec.Name}': initial entry refused with {errno}");
        }
    }

    private static HbpfException Bad(string file, string reason) => new(ErrorCode.BadRunInput, reason, new BpfLocation { File = file });
}
