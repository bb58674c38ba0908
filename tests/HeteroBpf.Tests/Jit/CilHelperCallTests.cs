using HeteroBpf.Asm;
using HeteroBpf.Elf;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;
using HeteroBpf.Jit.Cil;
using HeteroBpf.Maps;
using HeteroBpf.Offload;

namespace HeteroBpf.Tests.Jit;

/// <summary>
/// Helpers as direct calls (no delegate dispatch) and <c>map_lookup_elem</c> on array maps inlined, each equal to the
/// interpreter calling the same helpers through their delegates.
/// </summary>
public sealed unsafe class CilHelperCallTests
{
    private static (ExecutionResult? Result, ErrorCode? Code, int Slot) Try(Func<ExecutionResult> run)
    {
        try
        {
            return (run(), null, -1);
        }
        catch (BpfFaultException fault)
        {
            return (null, fault.Code, fault.Slot);
        }
    }

    // A run's memory with the map's values in it, as a loader gives.
    private static MemoryMap WithValues(BpfMap map)
    {
        var memory = new MemoryMap();
        foreach (var (start, length) in map.ValueMemory) memory.Add(new MemoryRegion((ulong)start, (ulong)length, RegionKind.MapValue, true));
        return memory;
    }

    // Looks up the key at (r2's base) in the array map, returns the u64 value or 12345 when missing.
    private static Instruction[] LookupProgram(string keyFrom) => Assembler.Assemble(
        $"""
        r6 = r1
        *(u32 *)(r10 - 4) = r6
        r1 = {MapHelpers.HandleOf(0)} ll
        {keyFrom}
        call 1
        if r0 == 0 goto miss
        r0 = *(u64 *)(r0 + 0)
        exit
        miss:
        r0 = 12345
        exit
        """,
        "lookup.s");

    [Theory]
    [InlineData(0ul)]
    [InlineData(3ul)]
    [InlineData(9ul)]
    [InlineData(10ul)] // == max_entries: miss
    [InlineData(0xffff_ffffUL)]
    public void InlinedArrayLookupEqualsTheHelper(ulong index)
    {
        using var map = BpfMap.Create(new MapSpec { Name = "a", Type = MapType.Array, KeySize = 4, ValueSize = 12, MaxEntries = 10 });
        for (uint i = 0; i < 10; i++)
        {
            var value = new byte[12];
            BitConverter.TryWriteBytes(value, 1000UL + i);
            Assert.Equal(Errno.Ok, map.Update(BitConverter.GetBytes(i), value, UpdateFlags.Any));
        }

        var helpers = new MapHelpers([map]);
        var registry = helpers.AddTo(HelperRegistry.Empty);
        var program = LookupProgram("r2 = r10\nr2 += -4");
        var cil = CilCompiler.Compile(program, registry, new CilCompilerOptions { Maps = h => helpers.TryResolve(h, out var m) ? m : null });
        Assert.Equal(1, cil.InlinedLookups);
        var interpreter = new BpfInterpreter(program, registry);
        var a = interpreter.Run(WithValues(map), index);
        var b = cil.Run(WithValues(map), index);
        Assert.Equal(a, b);
        Assert.Equal(index < 10 ? 1000 + index : 12345, b.ReturnValue);
    }

    [Theory]
    [InlineData("r2 = r7")] // a key in the context: the helper path, same result
    [InlineData("r2 = 16")] // no region: the helper's fault (HB3005 at the call)
    [InlineData("r2 = r10\nr2 += -2")] // straddles the frame's top: the helper's fault
    public void KeysOutsideTheFrameGoThroughTheHelperAndFaultAlike(string keyFrom)
    {
        using var map = BpfMap.Create(new MapSpec { Name = "a", Type = MapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 4 });
        Assert.Equal(Errno.Ok, map.Update(BitConverter.GetBytes(2u), BitConverter.GetBytes(77UL), UpdateFlags.Any));
        var helpers = new MapHelpers([map]);
        var registry = helpers.AddTo(HelperRegistry.Empty);
        var program = LookupProgram("r7 = r2\n" + keyFrom);
        var cil = CilCompiler.Compile(program, registry, new CilCompilerOptions { Maps = h => helpers.TryResolve(h, out var m) ? m : null });
        var interpreter = new BpfInterpreter(program, registry);
        var key = GC.AllocateArray<byte>(4, pinned: true);
        key[0] = 2;
        fixed (byte* k = key)
        {
            var memory = WithValues(map);
            memory.Add(key, RegionKind.Context);
            ulong keyAddress = (ulong)k;
            var a = Try(() => interpreter.Run(memory, 1, keyAddress));
            var b = Try(() => cil.Run(memory, 1, keyAddress));
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void LookupAfterABranchTargetIsNotInlined()
    {
        using var map = BpfMap.Create(new MapSpec { Name = "a", Type = MapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 4 });
        var helpers = new MapHelpers([map, map]);
        var registry = helpers.AddTo(HelperRegistry.Empty);
        // R1 is one of two handles depending on the branch: nothing is known at the call.
        var program = Assembler.Assemble(
            $"""
            *(u32 *)(r10 - 4) = 0
            r2 = r10
            r2 += -4
            r3 = r1
            r1 = {MapHelpers.HandleOf(0)} ll
            if r3 == 0 goto +2
            r1 = {MapHelpers.HandleOf(1)} ll
            call 1
            exit
            """,
            "branch.s");
        var cil = CilCompiler.Compile(program, registry, new CilCompilerOptions { Maps = h => helpers.TryResolve(h, out var m) ? m : null });
        Assert.Equal(0, cil.InlinedLookups);
        Assert.Equal(new BpfInterpreter(program, registry).Run(new MemoryMap(), 1).ReturnValue, cil.Run(new MemoryMap(), 1).ReturnValue);
    }

    [Fact]
    public void StaticAndInstanceHelpersAreCalledDirectly()
    {
        using var map = BpfMap.Create(new MapSpec { Name = "a", Type = MapType.Hash, KeySize = 4, ValueSize = 8, MaxEntries = 4 });
        var helpers = new MapHelpers([map]);
        var registry = helpers.AddTo(HelperRegistry.Basic);
        var program = Assembler.Assemble(
            $"""
            call 8
            r6 = r0
            *(u32 *)(r10 - 4) = 1
            *(u64 *)(r10 - 16) = 5
            r1 = {MapHelpers.HandleOf(0)} ll
            r2 = r10
            r2 += -4
            r3 = r10
            r3 += -16
            r4 = 0
            call 2
            r1 = {MapHelpers.HandleOf(0)} ll
            r2 = r10
            r2 += -4
            call 1
            r0 = *(u64 *)(r0 + 0)
            exit
            """,
            "direct.s");
        var cil = CilCompiler.Compile(program, registry, new CilCompilerOptions { Maps = h => helpers.TryResolve(h, out var m) ? m : null });
        Assert.Equal(3, cil.DirectHelperCalls);
        Assert.Equal(5ul, cil.Run(WithValues(map)).ReturnValue);
    }

    [Fact]
    public void AHelperGivenAsAMulticastDelegateGoesThroughTheTrampoline()
    {
        int calls = 0;
        BpfHelper counted = (ref HelperCall _) => (ulong)++calls;
        counted += (ref HelperCall call) => call.R1 * 2;
        var registry = HelperRegistry.Empty.With((HelperId)7, counted);
        var cil = CilCompiler.Compile(Assembler.Assemble("r1 = 21\ncall 7\nexit", "m.s"), registry);
        Assert.Equal(0, cil.DirectHelperCalls);
        Assert.Equal(42ul, cil.Run(new MemoryMap()).ReturnValue);
        Assert.Equal(1, calls);
    }

    [Theory]
    [InlineData("helpers-v2.o")]
    [InlineData("helpers-v4.o")]
    public void FixtureArrayLookupsAreInlinedOnTheCilEngine(string fixture)
    {
        using var collection = BpfCollection.Load(ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture)), engine: HostEngine.Cil);
        var compiled = collection.Program("map_ops").Compiled!;
        Assert.True(compiled.InlinedLookups >= 1, $"{compiled.InlinedLookups} inlined");
        Assert.True(compiled.DirectHelperCalls >= 5, $"{compiled.DirectHelperCalls} direct");
    }
}
