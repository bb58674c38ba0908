using System.Collections.Immutable;
using HeteroBpf.Isa;

namespace HeteroBpf.Elf;

/// <summary>
/// Builds one program's instruction array: the entry function first, then each <c>.text</c> function it reaches
/// (through calls or function addresses, transitively) in first-reached order, with every relocation applied.
/// Each program gets its own copies, so relative call offsets are computed per program, as libbpf does.
/// </summary>
internal static class Linker
{
    internal readonly record struct Linked(
        ImmutableArray<Instruction> Instructions,
        ImmutableArray<FunctionSpan> Functions,
        ImmutableArray<ProgramRelocation> Relocations,
        ImmutableArray<string> MapsUsed);

    public static Linked Link(Function entry, ObjectLoader obj)
    {
        var slots = new List<Instruction>(entry.Slots.Length);
        var starts = new Dictionary<Function, int>(ReferenceEqualityComparer.Instance);
        var order = new List<Function>();
        var relocations = ImmutableArray.CreateBuilder<ProgramRelocation>();
        var maps = new List<string>();

        int Place(Function f)
        {
            if (starts.TryGetValue(f, out int at)) return at;
            at = slots.Count;
            starts[f] = at;
            order.Add(f);
            slots.AddRange(f.Slots);
            return at;
        }

        // The slot a .text byte offset lands on in this program, placing its function if it is not there yet.
        int SlotOf(long textOffset, Function from, int slot)
        {
            var callee = obj.FunctionAt(obj.TextSectionIndex, textOffset);
            if (callee is null || (textOffset - callee.Offset) % 8 != 0)
                throw obj.LinkError(ErrorCode.ElfUnresolvedSymbol, $"target .text+0x{textOffset:x} is not an instruction of any function in .text", from, slot);
            return Place(callee) + (int)((textOffset - callee.Offset) / 8);
        }

        Place(entry);
        for (int k = 0; k < order.Count; k++)
        {
            var f = order[k];
            int start = starts[f];
            for (int i = 0; i < f.Slots.Length; i++)
            {
                int pc = start + i;
                var insn = slots[pc];
                if (insn.IsWide && i + 1 >= f.Slots.Length)
                    throw obj.LinkError(ErrorCode.ElfBadProgramSection, "lddw in the function's last slot has no second half", f, i);

                if (obj.TryGetRelocation(f.Section, f.Offset + (i * 8L), out var r))
                {
                    switch (r.Kind)
                    {
                        case RelocationKind.Call:
                        {
                            int target = SlotOf(r.TextOffset, f, i);
                            slots[pc] = insn.WithImm(target - (pc + 1));
                            relocations.Add(new(pc, r.Kind, r.Symbol, Describe(order, starts, target), target));
                            break;
                        }

                        case RelocationKind.FunctionAddress:
                        {
                            int target = SlotOf(r.TextOffset, f, i);
                            slots[pc] = insn.WithSrc((byte)LoadImmKind.Func).WithImm(target - (pc + 1));
                            slots[pc + 1] = slots[pc + 1].WithImm(0);
                            relocations.Add(new(pc, r.Kind, r.Symbol, Describe(order, starts, target), target));
                            break;
                        }

                        case RelocationKind.Map:
                            slots[pc] = insn.WithSrc((byte)LoadImmKind.MapByFd).WithImm(r.MapIndex);
                            slots[pc + 1] = slots[pc + 1].WithImm(0);
                            AddMap(maps, obj.MapName(r.MapIndex));
                            relocations.Add(new(pc, r.Kind, r.Symbol, obj.MapName(r.MapIndex), r.MapIndex));
                            break;

                        case RelocationKind.MapValue:
                            slots[pc] = insn.WithSrc((byte)LoadImmKind.MapValueByFd).WithImm(r.MapIndex);
                            slots[pc + 1] = slots[pc + 1].WithImm((int)r.ValueOffset);
                            AddMap(maps, obj.MapName(r.MapIndex));
                            relocations.Add(new(pc, r.Kind, r.Symbol, obj.MapName(r.MapIndex), r.MapIndex, r.ValueOffset));
                            break;
                    }
                }
                else if (Branches.NamesFunction(insn) && f.Section == obj.TextSectionIndex)
                {
                    // An unrelocated local call inside .text is relative to the section; keep it relative in the copy.
                    long target = f.Offset + ((i + 1L + insn.Imm) * 8);
                    int slot = SlotOf(target, f, i);
                    slots[pc] = insn.WithImm(slot - (pc + 1));
                }
                else if (Branches.NamesFunction(insn))
                {
                    // Within a program section, an unrelocated call must stay inside its own function.
                    long target = i + 1L + insn.Imm;
                    if (target < 0 || target >= f.Slots.Length)
                        throw obj.LinkError(ErrorCode.ElfUnresolvedSymbol, $"local call or function address to slot {target} leaves the function and has no relocation", f, i);
                }

                if (insn.IsWide) i++;
            }
        }

        var functions = ImmutableArray.CreateBuilder<FunctionSpan>(order.Count);
        foreach (var f in order) functions.Add(new FunctionSpan(f.Name, starts[f], f.Slots.Length, f.SectionName, f.Offset));
        relocations.Sort((a, b) => a.Slot.CompareTo(b.Slot));
        return new([.. slots], functions.MoveToImmutable(), relocations.ToImmutable(), [.. maps]);
    }

    private static void AddMap(List<string> maps, string name)
    {
        if (!maps.Contains(name)) maps.Add(name);
    }

    private static string Describe(List<Function> order, Dictionary<Function, int> starts, int slot)
    {
        foreach (var f in order)
        {
            int start = starts[f];
            if (slot >= start && slot < start + f.Slots.Length) return slot == start ? f.Name : $"{f.Name}+{slot - start}";
        }

        return $"slot {slot}";
    }
}
