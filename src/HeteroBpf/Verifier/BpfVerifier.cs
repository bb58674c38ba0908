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
        // Interim body: control flow and the device hooks on every reachable slot. The abstract interpreter replaces it.
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(maps);
        options ??= new VerifierOptions();
        var insns = program.Instructions.AsSpan();
        var flow = ControlFlow.Analyze(insns);
        var hooks = options.Hooks;
        if (hooks?.Prepare(program, maps) is { } prepareRefusal) throw DeviceRefused(hooks, prepareRefusal, 0);
        var facts = new SlotFacts[insns.Length];
        Span<RegisterState> regs = stackalloc RegisterState[11];
        regs.Fill(RegisterState.UnknownScalar);
        foreach (var block in flow.Blocks)
        {
            for (int slot = block.Start; slot < block.End; slot += insns[slot].Width)
            {
                facts[slot] = SlotFacts.Reached;
                if (hooks?.Instruction(new HookVisit(slot, slot - 1, insns[slot], regs, 0)) is { } refusal) throw DeviceRefused(hooks, refusal, slot);
            }
        }

        var depths = flow.Subprograms.Select(s => ControlFlow.RoundStackDepth(s.StackDepth)).ToImmutableArray();
        var verified = new VerifiedProgram(program, maps, [.. facts], depths, insns.Length, 0, 0, "");
        if (hooks?.Finalize(verified) is { } finalRefusal) throw DeviceRefused(hooks, finalRefusal, insns.Length - 1);
        return verified;
    }

    private static VerifierException DeviceRefused(IVerifierHooks hooks, string message, int slot) =>
        new(ErrorCode.VerifierDeviceRefused, $"{hooks.DeviceName}: {message}", slot);
}
