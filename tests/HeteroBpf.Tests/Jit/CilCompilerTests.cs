using System.Diagnostics;
using HeteroBpf.Asm;
using HeteroBpf.Devices;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;
using HeteroBpf.Jit.Cil;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Jit;

public sealed unsafe class CilCompilerTests(ITestOutputHelper output)
{
    [Fact]
    public void ProvenSafeAccessesCompileWithoutChecksAndGiveTheSameResult()
    {
        var program = Assembler.Assemble(
            """
            r2 = 0x1122334455667788 ll
            *(u64 *)(r10 - 8) = r2
            r0 = *(u32 *)(r10 - 8)
            r3 = *(u16 *)(r10 - 2)
            r0 += r3
            exit
            """,
            "safe.s");
        var checkedProgram = CilCompiler.Compile(program, HelperRegistry.Basic);
        var safe = new bool[program.Length];
        safe[2] = safe[3] = safe[4] = true;
        var unchecked_ = CilCompiler.Compile(program, HelperRegistry.Basic, new CilCompilerOptions { ProvenSafe = safe });
        var a = checkedProgram.Run(new MemoryMap());
        var b = unchecked_.Run(new MemoryMap());
        Assert.Equal(a, b);
        Assert.Equal(0x55667788UL + 0x1122, a.ReturnValue);
        Assert.True(unchecked_.IlBytes < checkedProgram.IlBytes);
    }

    /// <summary>
    /// Hand-given verifier facts: the accesses marked AccessProven (stack, packet, map value) compile to plain loads and
    /// stores, the others stay checked. Shown by memory the run's map does not list: checked, the read faults; proven,
    /// it reads the bytes (what a verifier's proof makes safe).
    /// </summary>
    [Fact]
    public void AccessProvenFactsSwitchOffExactlyTheirChecks()
    {
        var program = Assembler.Assemble(
            """
            r3 = *(u32 *)(r1 + 0)
            *(u64 *)(r10 - 8) = r3
            r4 = *(u64 *)(r10 - 8)
            r5 = *(u16 *)(r2 + 2)
            *(u16 *)(r1 + 4) = r5
            r0 = r4
            r0 += r5
            exit
            """,
            "facts.s");
        var facts = new SlotFacts[program.Length];
        facts[1] = facts[2] = SlotFacts.Reached | SlotFacts.AccessProven | SlotFacts.StackAccess;
        facts[0] = facts[4] = SlotFacts.Reached | SlotFacts.AccessProven | SlotFacts.PacketAccess;
        facts[3] = SlotFacts.Reached | SlotFacts.MapValueAccess; // not proven: stays checked
        var proven = CilCompilerOptions.ProvenSafeFrom(facts);
        Assert.Equal([true, true, true, false, true, false, false, false], proven);

        var packet = GC.AllocateArray<byte>(8, pinned: true);
        var value = GC.AllocateArray<byte>(4, pinned: true);
        packet[0] = 0x10;
        value[2] = 0x22;
        fixed (byte* pp = packet)
        fixed (byte* pv = value)
        {
            ulong p = (ulong)pp, v = (ulong)pv;
            var memory = new MemoryMap();
            memory.Add(packet, RegionKind.Packet);
            memory.Add(value, RegionKind.MapValue);
            var interpreter = new BpfInterpreter(program, HelperRegistry.Basic).Run(memory, p, v);
            var unchecked_ = CilCompiler.Compile(program, HelperRegistry.Basic, new CilCompilerOptions { ProvenSafe = proven });
            Assert.Equal(interpreter, unchecked_.Run(memory, p, v));
            Assert.Equal(0x32ul, interpreter.ReturnValue);
            Assert.Equal(0x22, packet[4]);

            // The packet left out of the map: the proven accesses go through, the unproven one still faults.
            var withoutPacket = new MemoryMap();
            withoutPacket.Add(value, RegionKind.MapValue);
            Assert.Equal(0x32ul, unchecked_.Run(withoutPacket, p, v).ReturnValue);
            var fault = Assert.Throws<BpfFaultException>(() => CilCompiler.Compile(program, HelperRegistry.Basic).Run(withoutPacket, p, v));
            Assert.Equal(0, fault.Slot);
            var withoutValue = new MemoryMap();
            withoutValue.Add(packet, RegionKind.Packet);
            fault = Assert.Throws<BpfFaultException>(() => unchecked_.Run(withoutValue, p, v));
            Assert.Equal(ErrorCode.MemoryFault, fault.Code);
            Assert.Equal(3, fault.Slot);
        }
    }

    // RyuJIT 10.0 miscompiled `w5 s/= w1` with R1 = R9 live (it wrote the 32-bit half back over the shared value);
    // the compiler now passes 32-bit division operands through int32 locals. Reduced from the differential test.
    [Fact]
    public void ThirtyTwoBitDivisionKeepsTheUpperHalfOfItsOperands()
    {
        var program = Assembler.Assemble(
            """
            r9 = r1
            r5 = 0
            w5 s/= w1
            r0 = *(u32 *)(r9 + 0x8)
            w1 = xchg32_32(r10 - 0x1a4, w1)
            r1 = r9
            r1 = *(s8 *)(r10 - 0x1a)
            r4 = *(u64 *)(r10 - 0x71)
            r1 %= r4
            *(u64 *)(r10 - 0x49) = r1
            exit
            """,
            "ryujit.s");
        byte[] memory = new byte[16];
        memory[8] = 42;
        Assert.Equal(42UL, DeviceRegistry.Get("host-cil").Load(program).Execute(memory).ReturnValue);
    }

    [Fact]
    public void CountsInstructionsExactlyAcrossCallsAndLoops()
    {
        var program = Assembler.Assemble(
            """
            r6 = 0
            loop:
            call f
            r6 += r0
            if r6 < 10 goto loop
            r0 = r6
            exit
            f:
            r0 = 1
            exit
            """,
            "count.s");
        var expected = DeviceRegistry.Get("host-interp").Load(program).Execute([]);
        var actual = DeviceRegistry.Get("host-cil").Load(program).Execute([]);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void DeviceRunsAllocateNothing()
    {
        var program = Assembler.Assemble(File.ReadAllText(Path.Combine(RepoPaths.Root, "examples", "checksum", "checksum.s")), "checksum.s");
        using var loaded = DeviceRegistry.Get("host-cil").Load(program);
        byte[] packet = new byte[1500];
        loaded.Execute(packet); // compiles to native code
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) loaded.Execute(packet);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>A rough speed comparison on the checksum example (printed, not asserted: speed lives in bench/).</summary>
    [Fact]
    public void ChecksumSpeedAgainstTheInterpreter()
    {
        var program = Assembler.Assemble(File.ReadAllText(Path.Combine(RepoPaths.Root, "examples", "checksum", "checksum.s")), "checksum.s");
        byte[] packet = GC.AllocateArray<byte>(1500, pinned: true);
        new Random(1).NextBytes(packet);
        var interpreter = new BpfInterpreter(program, HelperRegistry.Basic);
        var compiled = CilCompiler.Compile(program, HelperRegistry.Basic);
        var memory = new MemoryMap();
        fixed (byte* p = packet)
        {
            memory.Add(packet, RegionKind.Packet);
            var expected = interpreter.Run(memory, (ulong)p, (ulong)packet.Length);
            Assert.Equal(expected, compiled.Run(memory, (ulong)p, (ulong)packet.Length));
            ulong address = (ulong)p;
            double interp = Time(() => interpreter.Run(memory, address, (ulong)packet.Length));
            double cil = Time(() => compiled.Run(memory, address, (ulong)packet.Length));
            output.WriteLine($"checksum of 1500 bytes ({expected.InstructionCount} instructions): interpreter {interp / 1000:F1} µs, host-cil {cil / 1000:F1} µs ({interp / cil:F1}×)");
        }
    }

    private static double Time(Func<ExecutionResult> run)
    {
        for (int i = 0; i < 200; i++) run();
        const int n = 2000;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < n; i++) run();
        return clock.Elapsed.TotalNanoseconds / n;
    }
}
