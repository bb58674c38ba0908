using System.Collections.Immutable;
using HeteroBpf.Isa;

namespace HeteroBpf.Verifier;

/// <summary>Proves a program safe before any backend runs it (the kernel's <c>bpf_check</c>).</summary>
public static class BpfVerifier
{
    /// <summary>Verifies <paramref name="program"/>, whose map <c>lddw</c>s index <paramref name="maps"/>.</summary>
    /// <exception cref="VerifierException">The program is refused; the error names the slot and the rule.</exception>
    public static VerifiedProgram Verify(ProgramSpec program, IReadOnlyList<MapSpec> maps, VerifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(maps);
        options ??= new VerifierOptions();
        var log = new VerifierLog(options.LogLevel);
        try
        {
            var insns = program.Instructions.AsSpan();
            ControlFlow flow;
            // Reserved fields and unknown opcodes first, as the kernel's check does before any walk.
            if (!InstructionDecoder.TryValidate(insns, out var bad))
            {
                var decoded = bad.ToException();
                log.Error(decoded.Reason);
                throw new VerifierException(ErrorCode.VerifierBadInstruction, decoded.Reason, bad.Slot);
            }

            try
            {
                flow = ControlFlow.Analyze(insns);
            }
            catch (VerifierException e)
            {
                log.Error(e.Reason);
                throw;
            }

            var typeInfo = options.TypeInfo ?? ResolveType(program);
            var hooks = options.Hooks;
            if (hooks?.Prepare(program, maps) is { } prepareRefusal) throw DeviceRefused(hooks, prepareRefusal, 0, log);
            var walker = new Walker(program, maps, options, flow, typeInfo, log);
            var verified = WithFacts(walker.Run(), options.Privilege == Privilege.Root);
            if (hooks?.Finalize(verified) is { } finalRefusal) throw DeviceRefused(hooks, finalRefusal, insns.Length - 1, log);
            // The kernel's order after finalize: every replace_insn of the hard-wiring pass, then every remove_insns.
            foreach (var edit in verified.Edits)
            {
                if (hooks is null) break;
                string? refusal = edit.IsRemoval ? hooks.RemoveInstructions(verified, edit.Slot, edit.Count) : hooks.ReplaceInstruction(verified, edit.Slot, edit.Replacement);
                if (refusal is not null) throw DeviceRefused(hooks, refusal, edit.Slot, log);
            }

            return verified;
        }
        catch (VerifierException e)
        {
            var located = e.Log.Length == 0 ? e.WithLog(log.Text) : e;
            if (program.TryGetLine(e.Slot, out var line))
                throw (VerifierException)located.WithLocation(located.Location with { SourceFile = line.File, SourceLine = line.Line });
            if (!ReferenceEquals(located, e)) throw located;
            throw;
        }
    }

    // NoZeroExtension on the reached 32-bit definitions that no path reads as 64 bits (a static analysis of its own),
    // and at full privilege the kernel's dead-code rewrite.
    private static VerifiedProgram WithFacts(VerifiedProgram v, bool privileged)
    {
        var noZext = ZeroExtension.Analyze(v.Program.Instructions.AsSpan());
        var facts = v.Facts.ToBuilder();
        for (int i = 0; i < facts.Count; i++)
        {
            if (noZext[i] && (facts[i] & SlotFacts.Reached) != 0) facts[i] |= SlotFacts.NoZeroExtension;
        }

        var all = facts.MoveToImmutable();
        ProgramSpec? optimized = null;
        ImmutableArray<DeadCodeEdit> edits = [];
        if (privileged) optimized = DeadCode.Optimize(v.Program, all.AsSpan(), out edits);
        return new VerifiedProgram(v.Program, v.Maps, all, v.StackDepths, v.ProcessedInstructions, v.TotalStates, v.PeakStates, v.Log, optimized, edits);
    }

    private static ProgramTypeInfo ResolveType(ProgramSpec program) => ProgramTypes.Get(program.Type, program.AttachType);

    internal static VerifierException DeviceRefused(IVerifierHooks hooks, string message, int slot, VerifierLog log)
    {
        string text = $"{hooks.DeviceName}: {message}";
        log.Error(text);
        return new VerifierException(ErrorCode.VerifierDeviceRefused, text, slot).WithLog(log.Text);
    }
}
