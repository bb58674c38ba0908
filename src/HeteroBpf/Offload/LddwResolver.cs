using HeteroBpf.Helpers;
using HeteroBpf.Isa;
using HeteroBpf.Maps;

namespace HeteroBpf.Offload;

/// <summary>
/// Map <c>lddw</c>s of a program's original bytecode turned into plain 64-bit immediates for a translator: a map
/// reference (source 1/5) becomes the map's handle on the device, a map value reference (source 2/6) the address of
/// the value plus offset. Slots do not move, so line info and fault slots stay put.
/// </summary>
public static class LddwResolver
{
    /// <summary>The instructions of <paramref name="program"/> with every map <c>lddw</c> resolved.</summary>
    /// <param name="program">The program (its map <c>lddw</c>s index a list of <paramref name="mapCount"/> maps).</param>
    /// <param name="mapCount">How many maps the program's list has.</param>
    /// <param name="handleOf">The handle of map <c>i</c>.</param>
    /// <param name="valueAddress">The address of byte <c>offset</c> of map <c>i</c>'s direct value, or null when it has none there.</param>
    /// <exception cref="HbpfException">A <c>lddw</c> naming no map, or a value reference the map cannot give (HB4001), naming section and slot.</exception>
    public static Instruction[] Resolve(ProgramSpec program, int mapCount, Func<int, ulong> handleOf, Func<int, uint, ulong?> valueAddress)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(handleOf);
        ArgumentNullException.ThrowIfNull(valueAddress);
        var insns = program.Instructions.ToArray();
        for (int pc = 0; pc < insns.Length; pc += insns[pc].Width)
        {
            var insn = insns[pc];
            if (!insn.IsWide) continue;
            var kind = (LoadImmKind)insn.SrcNumber;
            if (kind is not (LoadImmKind.MapByFd or LoadImmKind.MapByIndex or LoadImmKind.MapValueByFd or LoadImmKind.MapValueByIndex)) continue;
            int index = insn.Imm;
            var where = new BpfLocation { Section = program.SectionName, Instruction = pc };
            if ((uint)index >= (uint)mapCount) throw new HbpfException(ErrorCode.BadArgument, $"program '{program.Name}': lddw names map {index}, but the program has {mapCount} maps", where);
            ulong value;
            if (kind is LoadImmKind.MapByFd or LoadImmKind.MapByIndex)
            {
                value = handleOf(index);
            }
            else
            {
                uint offset = (uint)insns[pc + 1].Imm;
                value = valueAddress(index, offset)
                    ?? throw new HbpfException(ErrorCode.BadArgument, $"program '{program.Name}': lddw of map {index} value + {offset}: only an array map's first value has a direct address, and the offset must lie inside it", where);
            }

            insns[pc] = new Instruction(insn.OpCode, insn.DstNumber, (byte)LoadImmKind.Imm64, insn.Offset, (int)(uint)value);
            var next = insns[pc + 1];
            insns[pc + 1] = new Instruction(next.OpCode, next.DstNumber, next.SrcNumber, next.Offset, (int)(uint)(value >> 32));
        }

        return insns;
    }

    /// <summary>The direct address of byte <paramref name="offset"/> of <paramref name="map"/>'s value (array maps only: their first value), or null.</summary>
    public static unsafe ulong? ArrayValueAddress(BpfMap map, uint offset)
    {
        ArgumentNullException.ThrowIfNull(map);
        uint zero = 0;
        byte* first = map.Type == MapType.Array ? map.LookupElem((byte*)&zero, 0) : null;
        return first is null || offset >= (uint)map.ValueSize ? null : (ulong)first + offset;
    }

    /// <summary>The value memory of <paramref name="maps"/> as run regions (read-only for <c>BPF_F_RDONLY_PROG</c> maps).</summary>
    public static MemoryRegion[] ValueRegions(IEnumerable<BpfMap> maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        var regions = new List<MemoryRegion>();
        foreach (var map in maps)
        {
            bool writable = !map.Spec.Flags.HasFlag(MapFlags.ReadOnlyProg);
            foreach (var (start, length) in map.ValueMemory) regions.Add(new MemoryRegion((ulong)start, (ulong)length, RegionKind.MapValue, writable));
        }

        return [.. regions];
    }
}
