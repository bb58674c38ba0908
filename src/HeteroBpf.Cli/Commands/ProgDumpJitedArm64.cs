using HeteroBpf.Asm;
using HeteroBpf.Devices;
using HeteroBpf.Isa;
using HeteroBpf.Jit.Arm64;
using HeteroBpf.Offload;

namespace HeteroBpf.Cli.Commands;

/// <summary>
/// <c>hbpf prog dump jited OBJECT.o --device arm64-nic</c>: the A64 code the NIC's JIT makes of each XDP program, loaded
/// on an <c>arm64-nic</c> as it runs there (bound, verified with the device's hooks, map references resolved to device
/// handles, array lookups inlined), each block labelled with its eBPF instruction and C source line, disassembled by
/// LLVM's C disassembler API (libLLVM-19).
/// </summary>
internal static class ProgDumpJitedArm64
{
    public static void Dump(ObjectInput input, string? section, TextWriter o)
    {
        var chosen = input.Programs(section).Where(p => p.Type == ProgramType.Xdp).ToList();
        if (chosen.Count == 0) throw new HbpfException(ErrorCode.BadArgument, "arm64-nic runs XDP programs; the object (or section) has none");
        using var disassembler = A64Disassembler.TryCreate(out string? reason)
            ?? throw new HbpfException(ErrorCode.NicDisassemblerUnavailable, $"cannot disassemble ARM64 code: {reason}");
        var names = chosen.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var nic = new Arm64NicDevice();
        using var collection = DeviceCollection.Load(input.Object, nic, select: p => names.Contains(p.Name));
        bool first = true;
        foreach (var spec in chosen)
        {
            if (!first) o.WriteLine();
            first = false;
            var program = collection.Program(spec.Name);
            var code = Arm64NicDevice.TranslationOf(program)!;
            var instructions = code.Program;
            int slotWords = code.WordSlots.Count(s => s >= 0);
            o.WriteLine($"{spec.Name}: section {spec.SectionName}, {instructions.Length} slots → {code.Words.Length} A64 words ({slotWords} in slot code, {(double)slotWords / instructions.Length:F2} per slot); " +
                $"{(code.CheckedAccesses ? "accesses checked against the run's regions" : "unchecked")}, {code.Relocations.Length} helper call(s) left to the linker; disassembled by LLVM (libLLVM-19)");
            int lastSlot = int.MinValue;
            SourceLine? lastLine = null;
            for (int w = 0; w < code.Words.Length; w++)
            {
                int slot = code.WordSlots[w];
                if (slot != lastSlot)
                {
                    if (slot < 0) o.WriteLine(w == 0 ? "; entry: AAPCS64 in (X0 = xdp_md, X2 = run context), callee-saved registers, R10, budget, call of slot 0" : "; epilogue and shared routines");
                    else
                    {
                        if (spec.TryGetLine(slot, out var line) && !ReferenceEquals(line, lastLine))
                        {
                            o.WriteLine($"; {Path.GetFileName(line.File)}:{line.Line}: {line.Text.Trim()}");
                            lastLine = line;
                        }

                        o.WriteLine($"; {slot,4}: {Disassembler.Format(instructions, slot)}");
                    }

                    lastSlot = slot;
                }

                o.WriteLine($"  {w * 4:x5}:  {code.Words[w]:x8}  {disassembler.Disassemble(code.Words[w], (ulong)w * 4)}");
            }

            foreach (var r in code.Relocations) o.WriteLine($"; relocation: word {r.WordIndex} BL → helper {r.Target} (the executor links a BRK #{r.Target} stub)");
        }
    }
}
