using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using HeteroBpf.Asm;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Helpers;
using HeteroBpf.Jit.Arm64;
using HeteroBpf.Tests.Semantics;

namespace HeteroBpf.Tests.Arm64;

/// <summary>
/// The semantics table on the ARM64 JIT + executor: every case's R0 equals the table's, every fault case faults with
/// the table's pattern. Checked code must get every case; unchecked code (what a verifier allows) every result case and
/// every fault the page-granular emulator can see (an access inside a page the run's memory shares is skipped, named).
/// </summary>
public sealed unsafe class Arm64SemanticsTests
{
    /// <summary>Every case, checked and unchecked.</summary>
    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (string id in SemanticsCase.All.Keys.Order(StringComparer.Ordinal))
        {
            data.Add(id, true);
            data.Add(id, false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CaseGivesItsResult(string caseId, bool checkedAccesses)
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        var c = SemanticsCase.All[caseId];
        var program = Assembler.Assemble(c.Asm, caseId);
        var code = Arm64Translator.Translate(program, new Arm64TranslatorOptions { CheckAccesses = checkedAccesses });
        using var executor = new Arm64Executor(code, HelperRegistry.Basic, new Arm64ExecutorOptions { BackEdgeBudget = 1_000_000 });

        // The memory ends at a page end, so that the next byte is unmapped (unchecked code faults there too).
        byte* block = (byte*)NativeMemory.AlignedAlloc(8192, 4096);
        try
        {
            byte* mem = block + 4096 - c.Memory.Length;
            c.Memory.CopyTo(new Span<byte>(mem, c.Memory.Length));
            var map = new MemoryMap();
            if (c.Memory.Length > 0) map.Add(new MemoryRegion((ulong)mem, (ulong)c.Memory.Length, RegionKind.Packet, true));
            ulong r1 = c.Memory.Length == 0 ? 0 : (ulong)mem;
            if (c.Result is { } expected)
            {
                var result = executor.Run(map, r1, (ulong)c.Memory.Length);
                Assert.True(expected == result.ReturnValue, $"{caseId}: expected r0 = 0x{expected:x}, got 0x{result.ReturnValue:x}");
            }
            else
            {
                BpfFaultException? fault = null;
                ulong r0 = 0;
                try
                {
                    r0 = executor.Run(map, r1, (ulong)c.Memory.Length).ReturnValue;
                }
                catch (BpfFaultException f)
                {
                    fault = f;
                }

                if (fault is null && !checkedAccesses)
                {
                    Assert.Skip($"unchecked code: the out-of-region access lies inside a mapped page (the run's memory or the 4 KiB eBPF stack), which the emulator cannot tell apart; r0 = 0x{r0:x}");
                }

                Assert.True(fault is not null, $"{caseId}: expected a fault matching {c.ErrorPattern}, got r0 = 0x{r0:x}");
                Assert.Matches(new Regex(c.ErrorPattern!), fault.Message);
            }
        }
        finally
        {
            NativeMemory.AlignedFree(block);
        }
    }
}
