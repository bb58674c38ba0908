using System.Runtime.InteropServices;
using HeteroBpf.Asm;
using HeteroBpf.Devices;
using HeteroBpf.Isa;
using HeteroBpf.KernelOracle;
using HeteroBpf.Tests.Kernel;
using HeteroBpf.Tests.Offload;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>
/// The kernel's dead-code passes after a privileged verification (<see cref="DeadCode"/>): the rewritten program equals
/// what the running kernel keeps (<c>BPF_OBJ_GET_INFO_BY_FD</c>'s xlated instructions, what <c>bpftool prog dump
/// xlated</c> prints) for the same program; functions and line info follow; the device hooks <c>replace_insn</c> and
/// <c>remove_insns</c> see every edit in the kernel's order, after <c>finalize</c>; <c>sim</c> runs its rewritten copy
/// with the host's results, and its refusal switch fails the load with its message.
/// </summary>
public sealed unsafe class DeadCodeTests(ITestOutputHelper output)
{
    private static ProgramSpec Spec(string text, ProgramType type = ProgramType.SocketFilter) => new()
    {
        Name = "p",
        SectionName = "socket",
        Type = type,
        Instructions = [.. Assembler.Assemble(text, "dead.s")],
        License = "GPL",
    };

    /// <summary>Programs whose dead code the kernel hard-wires and removes, with the listing it keeps.</summary>
    public static TheoryData<string, string, string> Programs() => new()
    {
        {
            "always taken: the fall-through is removed, the goto then is a nop",
            "r0 = 0\nr1 = 5\nif r1 > 3 goto +2\nr0 = 1\nr0 = 2\nexit",
            "r0 = 0\nr1 = 5\nexit"
        },
        {
            "never taken: the target is removed, a goto over it becomes a nop",
            "r0 = 0\nr1 = 5\nif r1 > 10 goto +2\nr0 = 3\ngoto +1\nr0 = 4\nexit",
            "r0 = 0\nr1 = 5\nr0 = 3\nexit"
        },
        {
            "a loop's back edge crossing a removal, and a lddw before it",
            "r0 = 0\nr2 = 0x100000000 ll\nr1 = 3\nr0 += 1\nr1 -= 1\nif r1 > 100 goto +2\nif r1 != 0 goto -4\nexit\nr0 = 7\nexit",
            "r0 = 0\nr2 = 0x100000000 ll\nr1 = 3\nr0 += 1\nr1 -= 1\nif r1 != 0 goto -3\nexit"
        },
        {
            "a 32-bit compare hard-wired, a goto +0 written by hand removed",
            "r0 = 1\nw1 = 7\ngoto +0\nif w1 == 7 goto +1\nr0 = 9\nexit",
            "r0 = 1\nw1 = 7\nexit"
        },
    };

    [Theory]
    [MemberData(nameof(Programs))]
    public void RewriteIsTheKernels(string why, string text, string expected)
    {
        var verified = BpfVerifier.Verify(Spec(text), []);
        var optimized = verified.Optimized!.Instructions.ToArray();
        Assert.True(Assembler.Assemble(expected, "expected.s").AsSpan().SequenceEqual(optimized), $"{why}:\n{Disassembler.Listing(optimized)}");
        // The kernel's own rewrite of the same program, where bpf() is allowed.
        if (KernelBpf.UnavailableReason is not null) return;
        int fd = KernelBpf.Load(verified.Program.Instructions.AsSpan(), (uint)ProgramType.SocketFilter, out string refusal);
        Assert.True(fd >= 0, $"{why}: the kernel refused: {refusal}");
        try
        {
            var xlated = Xlated(fd);
            Assert.True(xlated.AsSpan().SequenceEqual(optimized), $"{why}: the kernel keeps\n{Disassembler.Listing(xlated)}\nwe keep\n{Disassembler.Listing(optimized)}");
        }
        finally
        {
            KernelBpf.Close(fd);
        }
    }

    /// <summary>
    /// Every committed example and fixture the verifier accepts: its rewrite verifies again, with every slot reached and
    /// no <c>goto +0</c> left, and rewriting it again changes nothing (the passes reach their fixpoint in one go).
    /// </summary>
    [Fact]
    public void EveryCommittedProgramsRewriteVerifiesAndIsAFixpoint()
    {
        var files = RepoPaths.Glob(Path.Combine(RepoPaths.Root, "examples"), "*.o").Concat(RepoPaths.Glob(RepoPaths.Fixtures, "*.o")).Order(StringComparer.Ordinal).ToList();
        int programs = 0, rewritten = 0, edits = 0;
        foreach (string file in files)
        {
            var obj = HeteroBpf.Elf.ObjectFile.Load(file);
            foreach (var program in obj.Programs.Where(p => p.Type != ProgramType.Unspec))
            {
                VerifiedProgram verified;
                try
                {
                    verified = BpfVerifier.Verify(program, obj.Maps);
                }
                catch (HbpfException)
                {
                    continue; // refused programs are BpfVerifierTests' business
                }

                programs++;
                var optimized = verified.Optimized!;
                if (verified.Edits.Length > 0) rewritten++;
                edits += verified.Edits.Length;
                string where = $"{Path.GetFileName(file)} {program.Name}";
                var again = BpfVerifier.Verify(optimized, obj.Maps);
                Assert.True(again.Facts.Select((f, i) => (f, i)).All(x => (x.f & SlotFacts.Reached) != 0 || (x.i > 0 && optimized.Instructions[x.i - 1].IsWide)), $"{where}: an unreached slot survived");
                Assert.True(again.Edits.IsEmpty, $"{where}: a second rewrite still edits ({again.Edits.Length})");
                Assert.Equal(optimized.Functions.Sum(f => f.Length), optimized.Functions.IsEmpty ? 0 : optimized.Instructions.Length);
            }
        }

        output.WriteLine($"{programs} programs verified, {rewritten} rewritten, {edits} edits");
        Assert.True(programs > 20, $"only {programs} programs verified");
        Assert.True(rewritten > 0, "no committed program has dead code to remove");
    }

    [Fact]
    public void NoRewriteWithoutFullPrivilege()
    {
        var verified = BpfVerifier.Verify(Spec("r0 = 0\nr1 = 5\nif r1 > 3 goto +1\nr0 = 1\nexit"), [], new VerifierOptions { Privilege = Privilege.Bpf });
        Assert.Null(verified.Optimized);
        Assert.Empty(verified.Edits);
    }

    [Fact]
    public void CallsFunctionsLinesAndRelocationsFollowTheRemoval()
    {
        const string Text = "r1 = 1\nif r1 == 1 goto +1\nr1 = 9\ncall pc+2\nr0 = 0\nexit\nr0 = 1\nexit";
        var spec = Spec(Text) with
        {
            Functions = [new FunctionSpan("p", 0, 6, "socket", 0), new FunctionSpan("f", 6, 2, "socket", 48)],
            Lines = [new SourceLine(0, "a.c", 1, 1, ""), new SourceLine(2, "a.c", 3, 1, ""), new SourceLine(4, "a.c", 5, 1, ""), new SourceLine(6, "a.c", 9, 1, "")],
            Relocations = [new ProgramRelocation(3, RelocationKind.Call, "f", "f", 6)],
        };
        var verified = BpfVerifier.Verify(spec, []);
        var o = verified.Optimized!;
        Assert.Equal(Assembler.Assemble("r1 = 1\ncall pc+2\nr0 = 0\nexit\nr0 = 1\nexit", "e.s"), o.Instructions.ToArray());
        Assert.Equal([new FunctionSpan("p", 0, 4, "socket", 0), new FunctionSpan("f", 4, 2, "socket", 48)], o.Functions);
        // Line 3 covered only the removed slot 2, so the first live slot after it (the call, now 1) inherits it.
        Assert.Equal([0, 1, 2, 4], o.Lines.Select(l => l.Slot));
        Assert.Equal([1, 3, 5, 9], o.Lines.Select(l => l.Line));
        Assert.Equal(new ProgramRelocation(1, RelocationKind.Call, "f", "f", 4), Assert.Single(o.Relocations));
        // Edits in the kernel's order and numbering: the hard-wiring, the dead slot, then the goto +0 it left.
        Assert.Equal(
            [new DeadCodeEdit(1, 0, new Instruction(Opcodes.Ja, (byte)0, (byte)0, 1, 0)), new DeadCodeEdit(2, 1, default), new DeadCodeEdit(1, 1, default)],
            verified.Edits);
    }

    [Fact]
    public void HooksSeeEveryEditAfterFinalizeInTheKernelsOrder()
    {
        var hooks = new RecordingHooks();
        var verified = BpfVerifier.Verify(Spec("r0 = 0\nr1 = 5\nif r1 > 10 goto +2\nr0 = 3\ngoto +1\nr0 = 4\nexit"), [], new VerifierOptions { Hooks = hooks });
        int finalize = hooks.Calls.IndexOf("finalize");
        Assert.Equal("prepare", hooks.Calls[0]);
        Assert.True(finalize > 0 && hooks.Calls.Take(finalize).Skip(1).All(c => c.StartsWith("insn ", StringComparison.Ordinal)));
        Assert.Equal(["replace 2 goto +0", "remove 5 1", "remove 2 1", "remove 3 1"], hooks.Calls.Skip(finalize + 1));
        Assert.All(hooks.Programs, p => Assert.Same(verified, p));

        // A hook's refusal fails the verification with its message, prefixed with the device's name, at the edit's slot.
        var e = Assert.Throws<VerifierException>(() => BpfVerifier.Verify(Spec("r0 = 0\nr1 = 5\nif r1 > 10 goto +2\nr0 = 3\ngoto +1\nr0 = 4\nexit"), [], new VerifierOptions { Hooks = new RecordingHooks { RefuseRemoval = true } }));
        Assert.Equal(ErrorCode.VerifierDeviceRefused, e.Code);
        Assert.Equal("insn 5: rec: no removals", e.Message);
    }

    [Fact]
    public void SimRunsItsRewrittenCopyAndCanRefuse()
    {
        // XDP_PASS (2) for packets shorter than 61 bytes, else 3, past a branch the verifier proves always taken.
        const string Text = "r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr0 = 2\nr4 = 1\nif r4 != 0 goto +1\nr0 = 1\nr2 += 61\nif r2 > r3 goto +1\nr0 = 3\nexit";
        var sim = new SimDevice("simdc");
        using var program = sim.Load(OffloadFixtures.XdpProgram(Text), []);
        var verified = program.Verification!;
        Assert.Equal(verified.Edits, sim.RewritesOf(verified));
        Assert.Equal([new DeadCodeEdit(4, 0, new Instruction(Opcodes.Ja, (byte)0, (byte)0, 1, 0)), new DeadCodeEdit(5, 1, default), new DeadCodeEdit(4, 1, default)], verified.Edits);
        Assert.Equal(2u, program.TestRun(sim, OffloadFixtures.Packet(60)).Retval);
        Assert.Equal(3u, program.TestRun(sim, OffloadFixtures.Packet(61)).Retval);

        var refusing = new SimDevice("simno") { RefuseRewrites = true };
        var e = Assert.Throws<VerifierException>(() => refusing.Load(OffloadFixtures.XdpProgram(Text), []));
        Assert.Equal(ErrorCode.VerifierDeviceRefused, e.Code);
        Assert.Contains("simno: replace_insn refused (switch)", e.Message, StringComparison.Ordinal);
        Assert.Empty(refusing.Programs);
    }

    private sealed class RecordingHooks : IVerifierHooks
    {
        public List<string> Calls { get; } = [];

        public List<VerifiedProgram> Programs { get; } = [];

        public bool RefuseRemoval { get; init; }

        public string DeviceName => "rec";

        public string? Prepare(ProgramSpec program, IReadOnlyList<MapSpec> maps)
        {
            Calls.Add("prepare");
            return null;
        }

        public string? Instruction(in HookVisit visit)
        {
            Calls.Add($"insn {visit.Slot}");
            return null;
        }

        public string? Finalize(VerifiedProgram program)
        {
            Calls.Add("finalize");
            Programs.Add(program);
            return null;
        }

        public string? ReplaceInstruction(VerifiedProgram program, int slot, Instruction replacement)
        {
            Calls.Add($"replace {slot} goto +{replacement.Offset}");
            Programs.Add(program);
            return null;
        }

        public string? RemoveInstructions(VerifiedProgram program, int slot, int count)
        {
            Calls.Add($"remove {slot} {count}");
            Programs.Add(program);
            return RefuseRemoval ? "no removals" : null;
        }
    }

    // BPF_OBJ_GET_INFO_BY_FD with xlated_prog_len / xlated_prog_insns (struct bpf_prog_info offsets 20 and 32).
    private static Instruction[] Xlated(int fd)
    {
        byte[] info = new byte[232];
        if (!GetInfo(fd, info)) throw new InvalidOperationException("BPF_OBJ_GET_INFO_BY_FD refused");
        uint length = BitConverter.ToUInt32(info, 20);
        var insns = new Instruction[length / 8];
        fixed (Instruction* buffer = insns)
        {
            Array.Clear(info);
            BitConverter.TryWriteBytes(info.AsSpan(20), length);
            BitConverter.TryWriteBytes(info.AsSpan(32), (ulong)buffer);
            if (!GetInfo(fd, info)) throw new InvalidOperationException("BPF_OBJ_GET_INFO_BY_FD refused the xlated copy");
        }

        return insns;
    }

    private static bool GetInfo(int fd, byte[] info)
    {
        fixed (byte* i = info)
        {
            byte* attr = stackalloc byte[16];
            *(uint*)attr = (uint)fd;
            *(uint*)(attr + 4) = (uint)info.Length;
            *(ulong*)(attr + 8) = (ulong)i;
            return Syscall(321, 15, attr, 16) >= 0; // SYS_bpf (x86-64), BPF_OBJ_GET_INFO_BY_FD
        }
    }

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number, long cmd, byte* attr, long size);
}
