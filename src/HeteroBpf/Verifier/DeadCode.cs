using System.Collections.Immutable;
using HeteroBpf.Isa;

namespace HeteroBpf.Verifier;

/// <summary>One rewrite of the kernel's dead-code passes, in the slot numbering of the program as it stood when it was made.</summary>
/// <param name="Slot">The first slot concerned.</param>
/// <param name="Count">For a removal, how many slots go; 0 for a replacement.</param>
/// <param name="Replacement">For a replacement (<c>replace_insn</c>), the new instruction.</param>
public readonly record struct DeadCodeEdit(int Slot, int Count, Instruction Replacement)
{
    /// <summary>True for a removal (<c>remove_insns</c>), false for a replacement (<c>replace_insn</c>).</summary>
    public bool IsRemoval => Count > 0;
}

/// <summary>
/// The kernel's three rewrites after a successful verification at full privilege (<c>bpf_check</c> with CAP_SYS_ADMIN):
/// <c>opt_hard_wire_dead_code_branches</c> (a conditional jump whose fall-through slot no path reached becomes
/// <c>goto</c> its target, one whose target no path reached becomes <c>goto +0</c>), <c>opt_remove_dead_code</c> (every
/// run of unreached slots removed) and <c>opt_remove_nops</c> (every <c>goto +0</c> removed). Removals keep jump offsets,
/// local calls and function addresses pointing at the same instructions (the kernel's <c>bpf_adj_branches</c>), and
/// adjust function starts (<c>adjust_subprog_starts_after_remove</c>), BTF line info (<c>bpf_adj_linfo_after_remove</c>)
/// and relocations. Host backends keep the program as verified (its facts already mark the dead branches); a device
/// sees each edit through <see cref="IVerifierHooks.ReplaceInstruction"/> and <see cref="IVerifierHooks.RemoveInstructions"/>.
/// </summary>
public static class DeadCode
{
    private static readonly Instruction Nop = new(Opcodes.Ja, (byte)0, (byte)0, 0, 0);

    /// <summary>
    /// Runs the three passes over <paramref name="program"/>, whose slots some path reached where <paramref name="facts"/>
    /// has <see cref="SlotFacts.Reached"/>; gives the rewritten program and the edits in the order the kernel makes them.
    /// </summary>
    public static ProgramSpec Optimize(ProgramSpec program, ReadOnlySpan<SlotFacts> facts, out ImmutableArray<DeadCodeEdit> edits)
    {
        ArgumentNullException.ThrowIfNull(program);
        var insns = new List<Instruction>(program.Instructions);
        var seen = new List<bool>(insns.Count);
        for (int i = 0; i < insns.Count; i++)
        {
            // The second slot of a lddw counts as seen with the first (the kernel's sanitize_mark_insn_seen).
            bool reached = i < facts.Length && (facts[i] & SlotFacts.Reached) != 0;
            seen.Add(reached || (i > 0 && insns[i - 1].IsWide && seen[i - 1]));
        }

        var state = new State(insns, seen, [.. program.Functions], [.. program.Lines], [.. program.Relocations]);
        var log = ImmutableArray.CreateBuilder<DeadCodeEdit>();

        // opt_hard_wire_dead_code_branches
        for (int i = 0; i < insns.Count; i++)
        {
            var insn = insns[i];
            if (!IsConditionalJump(insn)) continue;
            short off;
            if (!Seen(seen, i + 1)) off = insn.Offset;
            else if (!Seen(seen, i + 1 + insn.Offset)) off = 0;
            else continue;
            var ja = new Instruction(Opcodes.Ja, (byte)0, (byte)0, off, 0);
            log.Add(new DeadCodeEdit(i, 0, ja));
            insns[i] = ja;
        }

        // opt_remove_dead_code
        for (int i = 0; i < insns.Count; i++)
        {
            int j = 0;
            while (i + j < insns.Count && !seen[i + j]) j++;
            if (j == 0) continue;
            log.Add(new DeadCodeEdit(i, j, default));
            state.Remove(i, j);
        }

        // opt_remove_nops
        for (int i = 0; i < insns.Count; i++)
        {
            if (insns[i] != Nop) continue;
            log.Add(new DeadCodeEdit(i, 1, default));
            state.Remove(i, 1);
            i--;
        }

        edits = log.ToImmutable();
        return program with
        {
            Instructions = [.. insns],
            Functions = [.. state.Functions],
            Lines = [.. state.Lines],
            Relocations = [.. state.Relocations],
        };
    }

    /// <summary>
    /// Removes <paramref name="count"/> slots at <paramref name="slot"/> from <paramref name="program"/>, moving every jump,
    /// local call and function address that crosses them as the kernel's <c>bpf_remove_insns</c> does (what a device
    /// applies to its own copy on <see cref="IVerifierHooks.RemoveInstructions"/>).
    /// </summary>
    public static Instruction[] RemoveInstructions(ReadOnlySpan<Instruction> program, int slot, int count)
    {
        if (slot < 0 || count < 0 || slot + count > program.Length) throw new ArgumentOutOfRangeException(nameof(count), $"slots {slot}..{slot + count} outside a program of {program.Length}");
        var insns = new List<Instruction>(program.ToArray());
        RemoveAndAdjust(insns, slot, count);
        return [.. insns];
    }

    // A verified program's jumps stay inside it; anything else counts as unreached rather than failing here.
    private static bool Seen(List<bool> seen, int slot) => (uint)slot < (uint)seen.Count && seen[slot];

    // insn_is_cond_jump: JMP32 except ja; JMP except ja, call and exit.
    private static bool IsConditionalJump(in Instruction insn) => InstructionForms.Of(insn.OpCode).Kind == InstructionKind.CondJump;

    private static void RemoveAndAdjust(List<Instruction> insns, int pos, int cnt)
    {
        insns.RemoveRange(pos, cnt);
        int endOld = pos + cnt, endNew = pos;
        for (int curr = 0; curr < insns.Count; curr++)
        {
            var insn = insns[curr];
            if (!Branches.TryGetTarget(insn, curr, out long target)) continue;
            // bpf_adj_delta_to_off / _to_imm, delta = -cnt: a jump from before the range to after it, or from after it
            // to before it, shortens by the removed slots; curr is already in the new numbering.
            if (curr < pos && target >= endOld) target -= cnt;
            else if (curr >= endNew && target < endNew) target += cnt;
            insns[curr] = Branches.WithTarget(insn, curr, target);
        }
    }

    private sealed class State(List<Instruction> insns, List<bool> seen, List<FunctionSpan> functions, List<SourceLine> lines, List<ProgramRelocation> relocations)
    {
        public List<FunctionSpan> Functions => functions;

        public List<SourceLine> Lines => lines;

        public List<ProgramRelocation> Relocations => relocations;

        public void Remove(int off, int cnt)
        {
            RemoveAndAdjust(insns, off, cnt);
            seen.RemoveRange(off, cnt);
            int end = off + cnt;
            int Map(int s) => s < off ? s : s >= end ? s - cnt : off;

            // adjust_subprog_starts_after_remove: a function wholly inside the range goes, later ones move up.
            for (int f = functions.Count - 1; f >= 0; f--)
            {
                var fn = functions[f];
                int fEnd = fn.Slot + fn.Length;
                if (fn.Slot >= off && fEnd <= end && fn.Length > 0)
                {
                    functions.RemoveAt(f);
                    continue;
                }

                int kept = fn.Length - Math.Max(0, Math.Min(fEnd, end) - Math.Max(fn.Slot, off));
                functions[f] = fn with { Slot = Map(fn.Slot), Length = kept };
            }

            AdjustLines(off, cnt);
            for (int r = relocations.Count - 1; r >= 0; r--)
            {
                var rel = relocations[r];
                if (rel.Slot >= off && rel.Slot < end)
                {
                    relocations.RemoveAt(r);
                    continue;
                }

                bool slotValue = rel.Kind is RelocationKind.Call or RelocationKind.FunctionAddress;
                relocations[r] = rel with { Slot = Map(rel.Slot), Value = slotValue ? Map(rel.Value) : rel.Value };
            }
        }

        // bpf_adj_linfo_after_remove: lines of removed slots go, but the first live slot after the range inherits the
        // last removed line when it has none of its own; later lines move up.
        private void AdjustLines(int off, int cnt)
        {
            if (lines.Count == 0) return;
            int i = 0;
            while (i < lines.Count && lines[i].Slot < off) i++;
            int lOff = i, lCnt = 0;
            while (i < lines.Count && lines[i].Slot < off + cnt)
            {
                lCnt++;
                i++;
            }

            if (insns.Count != off && lCnt > 0 && (i == lines.Count || lines[i].Slot != off + cnt))
            {
                lCnt--;
                i--;
                lines[i] = lines[i] with { Slot = off + cnt };
            }

            lines.RemoveRange(lOff, lCnt);
            for (int k = lOff; k < lines.Count; k++) lines[k] = lines[k] with { Slot = lines[k].Slot - cnt };
        }
    }
}
