using HeteroBpf.Asm;
using HeteroBpf.Isa;
using HeteroBpf.KernelOracle;
using HeteroBpf.Tests.Semantics;

namespace HeteroBpf.Tests.Kernel;

/// <summary>
/// The semantics table checked against the running kernel: each case that expects a value is loaded as a socket
/// filter and run with <c>BPF_PROG_TEST_RUN</c>. The kernel returns 32 bits, so a case runs twice: as written (the
/// low half of R0) and with every exit of its main function routed through <c>r0 &gt;&gt;= 32</c> (the high half).
/// A case the kernel cannot run (input memory, a fault, a program its verifier refuses) is skipped with the reason.
/// </summary>
public sealed class KernelSemanticsTests
{
    // A socket filter's test run needs at least an Ethernet header of data; its contents do not matter here.
    private static readonly byte[] Packet = new byte[64];
    private const int EthernetHeader = 14;

    /// <summary>Every case of the table that expects a value.</summary>
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in SemanticsCase.All.Values.Where(c => c.Result is not null).OrderBy(c => c.Id, StringComparer.Ordinal)) data.Add(c.Id);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void KernelAgreesWithTheTable(string caseId)
    {
        if (KernelBpf.UnavailableReason is { } unavailable) Assert.Skip(unavailable);
        var c = SemanticsCase.All[caseId];
        ulong expected = c.Result!.Value;
        var program = Assembler.Assemble(c.Asm, caseId);
        byte[] packet = Packet;
        if (c.Memory.Length > 0)
        {
            // Legacy packet loads read the skb's data, which for a socket filter starts after the Ethernet header
            // that the test run strips; any other use of the memory needs R1 to point at it, which the skb cannot.
            bool legacy = program.Any(i => i.Class == OpClass.Ld && i.Mode is MemMode.Abs or MemMode.Ind);
            if (!legacy) Assert.Skip("the case reads input memory through R1, which a socket filter's R1 (the skb) cannot stand for");
            packet = [.. new byte[EthernetHeader], .. c.Memory];
        }

        uint low = Run(program, packet, out string? refusal);
        if (refusal is not null) Assert.Skip("the kernel's verifier refuses the program: " + refusal);
        uint high = Run(WithHighHalfEpilogue(program), packet, out refusal);
        Assert.True(refusal is null, $"the kernel accepts the program but refuses its high-half variant: {refusal}");

        ulong kernel = ((ulong)high << 32) | low;
        Assert.True(kernel == expected, $"{caseId}: table says r0 = 0x{expected:x}, the kernel gives 0x{kernel:x}");
    }

    private static uint Run(Instruction[] program, byte[] packet, out string? refusal)
    {
        int fd = KernelBpf.Load(program, KernelBpf.SocketFilter, out string reason);
        if (fd < 0)
        {
            refusal = reason;
            return 0;
        }

        try
        {
            refusal = null;
            return KernelBpf.TestRun(fd, packet);
        }
        finally
        {
            KernelBpf.Close(fd);
        }
    }

    /// <summary>
    /// Inserts <c>r0 &gt;&gt;= 32; exit</c> at the end of the main function (before the first subprogram) and turns each
    /// of the main function's exits into a jump there; every branch is re-targeted across the two inserted slots.
    /// </summary>
    internal static Instruction[] WithHighHalfEpilogue(Instruction[] program)
    {
        int mainEnd = program.Length;
        for (int slot = 0; slot < program.Length; slot += program[slot].Width)
        {
            var insn = program[slot];
            if (Branches.NamesFunction(insn) && Branches.TryGetTarget(insn, slot, out long target)) mainEnd = Math.Min(mainEnd, (int)target);
        }

        const int inserted = 2;
        int Moved(long slot) => (int)(slot < mainEnd ? slot : slot + inserted);
        var result = new List<Instruction>(program.Length + inserted);
        for (int slot = 0; slot < program.Length; slot++)
        {
            if (slot == mainEnd) AddEpilogue(result);
            var insn = program[slot];
            bool secondHalf = slot > 0 && program[slot - 1].IsWide;
            if (!secondHalf && insn.OpCode == Opcodes.Exit && slot < mainEnd)
            {
                insn = new Instruction(Opcodes.Ja, Register.R0, Register.R0, checked((short)(mainEnd - slot - 1)), 0);
            }
            else if (!secondHalf && Branches.TryGetTarget(insn, slot, out long target))
            {
                insn = Branches.WithTarget(insn, Moved(slot), Moved(target));
            }

            result.Add(insn);
        }

        if (mainEnd == program.Length) AddEpilogue(result);
        return [.. result];
    }

    private static void AddEpilogue(List<Instruction> code)
    {
        code.Add(new Instruction((byte)OpClass.Alu64 | (byte)AluOp.Rsh, Register.R0, Register.R0, 0, 32));
        code.Add(new Instruction(Opcodes.Exit, Register.R0, Register.R0, 0, 0));
    }
}
