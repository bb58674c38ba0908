using System.Globalization;
using System.Runtime.InteropServices;
using HeteroBpf.Asm;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Jit.Arm64;
using HeteroBpf.Maps;

namespace HeteroBpf.Tests.Arm64;

/// <summary>
/// <c>bpf_map_lookup_elem</c> on an array map inlined by the translator (no helper call) gives the very pointer the
/// host helper gives, and the same miss; a lookup whose R1 may come from another path keeps the helper call.
/// </summary>
public sealed unsafe class Arm64ArrayLookupTests
{
    private const string Program = """
        r6 = r1
        r7 = *(u32 *)(r6 + 0x0)
        *(u32 *)(r10 - 0x4) = r7
        r1 = HANDLE ll
        r2 = r10
        r2 += -0x4
        call 1
        if r0 == 0x0 goto miss
        r1 = 0x1
        lock *(u64 *)(r0 + 0x0) += r1
        *(u64 *)(r6 + 0x8) = r0
        r0 = *(u64 *)(r0 + 0x0)
        exit
        miss:
        r0 = 0xdead
        exit
        """;

    [Theory]
    [InlineData(0u)]
    [InlineData(7u)]
    [InlineData(8u)]   // = max_entries: a miss
    [InlineData(0xffffffffu)]
    public void InlinedLookupMatchesTheHelper(uint key)
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        using var map = BpfMap.Create(new MapSpec { Name = "counts", Type = MapType.Array, KeySize = 4, ValueSize = 12, MaxEntries = 8 });
        var helpers = new MapHelpers([map]).AddTo(HelperRegistry.Basic);
        ulong handle = MapHelpers.HandleOf(0);
        var program = Assembler.Assemble(Program.Replace("HANDLE", "0x" + handle.ToString("x", CultureInfo.InvariantCulture), StringComparison.Ordinal), "lookup");
        var values = map.ValueMemory[0];
        var layouts = new Dictionary<ulong, Arm64ArrayMapLayout> { [handle] = new((ulong)values.Start, 16, 8) };
        var code = Arm64Translator.Translate(program, new Arm64TranslatorOptions { ArrayMaps = layouts });
        Assert.DoesNotContain(code.Relocations, r => r.Target == 1); // no call of map_lookup_elem left

        byte* block = (byte*)NativeMemory.AlignedAlloc(4096, 4096);
        try
        {
            byte* mem = block + 4096 - 16;
            var memory = new MemoryMap();
            memory.Add(new MemoryRegion((ulong)mem, 16, RegionKind.Packet, true));
            memory.Add(new MemoryRegion((ulong)values.Start, (ulong)values.Length, RegionKind.MapValue, true));
            (ulong R0, ulong Pointer) Run(Func<ExecutionResult> run)
            {
                new Span<byte>(mem, 16).Clear();
                *(uint*)mem = key;
                ulong r0 = run().ReturnValue;
                return (r0, *(ulong*)(mem + 8));
            }

            var interpreter = new BpfInterpreter(program, helpers);
            using var executor = new Arm64Executor(code, helpers);
            var expected = Run(() => interpreter.Run(memory, (ulong)mem));
            var actual = Run(() => executor.Run(memory, (ulong)mem));
            if (key < 8)
            {
                Assert.Equal(1UL, expected.R0);
                Assert.Equal(2UL, actual.R0); // the same value, counted once by each engine
                Assert.Equal(expected.Pointer, actual.Pointer);
                Assert.Equal((ulong)values.Start + key * 16, actual.Pointer);
            }
            else
            {
                Assert.Equal(0xdeadUL, expected.R0);
                Assert.Equal(expected, actual);
            }
        }
        finally
        {
            NativeMemory.AlignedFree(block);
        }
    }

    [Fact]
    public void LookupReachedFromAJoinKeepsTheHelperCall()
    {
        var program = Assembler.Assemble("""
            r1 = 0x1000 ll
            if r2 == 0x0 goto call
            r1 = 0x2000 ll
            call:
            call 1
            exit
            """, "join");
        var layouts = new Dictionary<ulong, Arm64ArrayMapLayout> { [0x1000] = new(0x10000, 8, 4), [0x2000] = new(0x20000, 8, 4) };
        var code = Arm64Translator.Translate(program, new Arm64TranslatorOptions { ArrayMaps = layouts });
        Assert.Contains(code.Relocations, r => r.Target == 1);
    }
}
