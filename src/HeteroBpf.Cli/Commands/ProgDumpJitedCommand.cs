using System.CommandLine;
using HeteroBpf.Asm;
using HeteroBpf.Helpers;
using HeteroBpf.Isa;
using HeteroBpf.Jit.Cil;
using HeteroBpf.Offload;
using HeteroBpf.Verifier;
using HeteroBpf.Xdp;
using Iced.Intel;
using Instruction = HeteroBpf.Isa.Instruction;

namespace HeteroBpf.Cli.Commands;

/// <summary>
/// <c>hbpf prog dump jited OBJECT.o [--section S] [--device host-cil]</c>: the IL the CIL JIT emits for each eBPF slot
/// (labelled with the instruction and, from BTF line info, the C source line) and the x86-64 code RyuJIT made of it,
/// disassembled with Iced, when the runtime reports where that code is.
/// </summary>
internal static class ProgDumpJitedCommand
{
    public static Command Create(CliIo io)
    {
        var input = new Argument<string>("object") { Description = "An eBPF ELF object (clang -target bpf)." };
        var section = new Option<string?>("--section") { Description = "Only the programs of this ELF section.", HelpName = "S" };
        var device = DeviceOption.Create();
        device.Description = "The JIT whose code to show: host-cil (the default: IL and x86-64) or arm64-nic (A64, disassembled by LLVM).";
        var jited = new Command("jited", "Print the code the CIL JIT makes of each program: IL per eBPF instruction with its C source line, then the native code (Iced).") { input, section, device };
        jited.SetAction(parse =>
        {
            string path = parse.GetValue(input)!;
            return io.Guard(path, () =>
            {
                string name = parse.GetValue(device) ?? "host-cil";
                if (name == "arm64-nic")
                {
                    ProgDumpJitedArm64.Dump(ObjectInput.Load(path), parse.GetValue(section), io.Out);
                    return 0;
                }

                if (name != "host-cil")
                {
                    // Resolve first so an unknown name gets the registry's own error listing the devices.
                    DeviceOption.Resolve(name);
                    throw new HbpfException(ErrorCode.BadArgument, $"device '{name}' has no JIT to dump; use --device host-cil or arm64-nic");
                }

                Dump(ObjectInput.Load(path), parse.GetValue(section), io.Out);
                return 0;
            });
        });
        return new Command("dump", "Show what a backend makes of the programs of an object.") { jited };
    }

    private static void Dump(ObjectInput input, string? section, TextWriter o)
    {
        var chosen = input.Programs(section);
        // Loaded as they run: map references resolved, XDP context accesses rewritten to the runtime layout.
        using var collection = BpfCollection.Load(input.Object, typeOps: XdpOps.Instance);
        var maps = new MapHelpers(collection.Maps);
        bool first = true;
        foreach (var spec in chosen)
        {
            if (!first) o.WriteLine();
            first = false;
            var program = collection.Program(spec.Name);
            var instructions = program.Instructions.ToArray();
            // The code hbpf run runs: a program the verifier accepts compiles with its proofs (accesses proven in
            // bounds go unchecked, reduction loops vectorised); one it refuses is shown as checked code, and says why.
            VerifiedProgram? verified = null;
            string? refusal = null;
            try
            {
                verified = BpfVerifier.Verify(spec, input.Object.Maps, new VerifierOptions());
            }
            catch (HbpfException e)
            {
                // Refused, or a program type without verifier tables: shown unverified, as it could only run so.
                refusal = e.Message;
            }

            var options = new CilCompilerOptions
            {
                Maps = h => maps.TryResolve(h, out var m) ? m : null,
                TailCalls = (_, _) => null, // compiled as tail calls; no target is needed to show the code
                Counting = verified is null ? CilCounting.Budget : CilCounting.Count,
            }.WithProofsOf(verified);
            var dump = CilCompiler.Dump(instructions, program.Helpers, options);
            var p = dump.Program;
            string proofs = verified is null
                ? $"every access bounds-checked, not verified ({refusal})"
                : $"verified: {options.ProvenSafe!.Count(safe => safe)} access(es) proven in bounds run unchecked, {p.VectorisedLoops} vectorised reduction loop(s)";
            o.WriteLine($"{spec.Name}: section {spec.SectionName}, {instructions.Length} slots → {p.IlBytes} bytes of IL, {p.Segments} counting segments, " +
                $"{p.DirectHelperCalls} direct helper call(s), {p.InlinedLookups} inlined array lookup(s); {proofs}");
            Il(dump, instructions, spec, o);
            Native(dump.Native, o);
        }
    }

    private static void Il(CilDump dump, Instruction[] instructions, ProgramSpec spec, TextWriter o)
    {
        SourceLine? lastLine = null;
        foreach (var slot in dump.Il)
        {
            if (slot.Slot < 0)
            {
                o.WriteLine("; IL as emitted (ILGenerator stores the short forms of ldc.i4, ldloc and stloc; the offsets are the real ones)");
                o.WriteLine("; prologue: arguments into locals, R0–R9 from the caller, the frame");
            }
            else if (slot.Slot >= instructions.Length) o.WriteLine("; shared tail: falling off the end, returns from subprograms");
            else
            {
                if (spec.TryGetLine(slot.Slot, out var line) && !ReferenceEquals(line, lastLine))
                {
                    o.WriteLine($"; {Path.GetFileName(line.File)}:{line.Line}: {line.Text.Trim()}");
                    lastLine = line;
                }

                o.WriteLine($"; {slot.Slot,4}: {Disassembler.Format(instructions, slot.Slot)}");
            }

            foreach (string text in slot.Lines) o.WriteLine(text);
        }
    }

    private static void Native(CilNativeCode? native, TextWriter o)
    {
        o.WriteLine();
        if (native is null)
        {
            o.WriteLine("; native code: not available (the runtime reported no method-load event for it); IL only");
            return;
        }

        o.WriteLine($"; native code: x86-64, {native.Code.Length} bytes at 0x{native.Address:x} (RyuJIT, as the runtime reported it)");
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            o.WriteLine($"; not disassembled: Iced decodes x86-64 and this process runs on {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}");
            return;
        }

        var decoder = Decoder.Create(64, new ByteArrayCodeReader(native.Code), native.Address);
        var formatter = new IntelFormatter();
        formatter.Options.FirstOperandCharIndex = 8;
        var text = new StringOutput();
        while (decoder.IP < native.Address + (ulong)native.Code.Length)
        {
            ulong ip = decoder.IP;
            decoder.Decode(out var insn);
            formatter.Format(insn, text);
            o.WriteLine($"  {ip:x16}  {text.ToStringAndReset()}");
        }
    }
}
