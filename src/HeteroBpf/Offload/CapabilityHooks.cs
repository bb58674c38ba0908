using System.Globalization;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;
using HeteroBpf.Verifier;

namespace HeteroBpf.Offload;

/// <summary>
/// The verifier hooks every device gets from its <see cref="DeviceCapabilities"/> (what the NFP driver's
/// <c>nfp_verify_insn</c> and <c>nfp_bpf_finalize</c> check against the firmware's capabilities): program type and
/// length, map types at <c>prepare</c>; instruction classes, atomics, helpers, bpf-to-bpf calls and a constant
/// <c>adjust_head</c> delta at each instruction; the stack at <c>finalize</c>. Refusals are the device's own words.
/// </summary>
public static class CapabilityHooks
{
    /// <summary><c>prepare</c>: whole-program properties.</summary>
    public static string? Prepare(DeviceCapabilities caps, ProgramSpec program, IReadOnlyList<MapSpec> maps)
    {
        ArgumentNullException.ThrowIfNull(caps);
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(maps);
        if (!caps.ProgramTypes.Contains(program.Type)) return $"program type {program.Type} not supported (the device runs {string.Join(", ", caps.ProgramTypes.Order())})";
        if (program.Instructions.Length > caps.MaxInstructions) return $"program too long: {program.Instructions.Length} instructions, the device holds {caps.MaxInstructions}";
        foreach (var map in maps)
        {
            // A neutral channel stays a host map (the load checked that), so the device's map table does not list it.
            if (!caps.MapTypes.ContainsKey(map.Type) && !caps.IsNeutral(map.Type)) return $"map '{map.Name}': type {map.Type} not supported";
        }

        return null;
    }

    /// <summary><c>insn_hook</c>: one instruction with the verifier's state.</summary>
    public static string? Instruction(DeviceCapabilities caps, in HookVisit visit)
    {
        ArgumentNullException.ThrowIfNull(caps);
        var insn = visit.Instruction;
        if (!caps.InstructionClasses.Contains(insn.Class)) return $"instruction class {insn.Class} not supported";
        if (insn.Class == OpClass.Stx && insn.Mode == MemMode.Atomic && !caps.Atomics) return $"atomic operations not supported";
        if (insn.OpCode == Opcodes.CallX && !caps.Subprograms) return $"indirect calls not supported";
        if (insn.OpCode != Opcodes.Call) return null;
        switch ((CallKind)insn.SrcNumber)
        {
            case CallKind.Local:
                return caps.Subprograms ? null : $"bpf-to-bpf calls not supported";
            case CallKind.Kfunc:
                return $"kernel function calls not supported";
        }

        if (!caps.Helpers.Contains((HelperId)insn.Imm)) return $"helper {HelperIds.Describe(insn.Imm)} not supported";
        if (insn.Imm == (int)HelperId.XdpAdjustHead && visit.Registers.Length > 2 && visit.Registers[2] is { Type: RegisterType.Scalar } delta && delta.Value.IsConst)
        {
            int value = (int)(uint)delta.Value.UMin;
            if (value < caps.AdjustHead.Min || value > caps.AdjustHead.Max)
            {
                return string.Create(CultureInfo.InvariantCulture, $"adjust_head delta {value} outside the device's range [{caps.AdjustHead.Min}, {caps.AdjustHead.Max}]");
            }
        }

        return null;
    }

    /// <summary><c>finalize</c>: what the walk found.</summary>
    public static string? Finalize(DeviceCapabilities caps, VerifiedProgram program)
    {
        ArgumentNullException.ThrowIfNull(caps);
        ArgumentNullException.ThrowIfNull(program);
        // The deepest call chain's frames together, as the program will use them on the device.
        int stack = ControlFlow.Analyze(program.Program.Instructions.AsSpan()).CombinedStackDepth;
        return stack > caps.StackSize ? $"stack too large: {stack} bytes, the device has {caps.StackSize}" : null;
    }
}
