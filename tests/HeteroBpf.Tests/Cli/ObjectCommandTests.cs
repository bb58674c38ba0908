using System.Text.Json.Nodes;
using HeteroBpf.Tests.Btf;

namespace HeteroBpf.Tests.Cli;

/// <summary><c>hbpf prog show | map show | map dump | disasm</c> on committed objects; expectations from the C sources
/// (tests/fixtures/*.c) and bpftool, and the one-line error contract for bad input.</summary>
public sealed class ObjectCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Fixture(string name) => Path.Combine(RepoPaths.Fixtures, name);

    private static JsonNode Json(params string[] args)
    {
        var run = Hbpf.Run(args);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal("", run.Error);
        return JsonNode.Parse(run.Out)!;
    }

    [Fact]
    public void ProgShowJsonListsWhatEachProgramUses()
    {
        var json = Json("prog", "show", Fixture("map_init-v3.o"), "--json");
        Assert.Equal(BtfFixtures.BpftoolTypes(Fixture("map_init-v3.o")).Count, (int)json["btf"]!["types"]!);
        var programs = json["programs"]!.AsArray();
        Assert.Equal(["tail_one", "tail_two", "entry"], programs.Select(p => (string)p!["name"]!));
        var entry = programs.Single(p => (string)p!["name"]! == "entry")!;
        Assert.Equal(("xdp", "Xdp"), ((string)entry["section"]!, (string)entry["type"]!));
        // entry() calls bpf_map_lookup_elem, bpf_spin_lock, bpf_spin_unlock, bpf_tail_call (linux/bpf.h ids 1, 93, 94, 12).
        Assert.Equal([(1, "MapLookupElem"), (93, "SpinLock"), (94, "SpinUnlock"), (12, "TailCall")],
            entry["helpers"]!.AsArray().Select(h => ((int)h!["id"]!, (string)h["name"]!)));
        Assert.Equal(["locks", "jump_table"], entry["maps"]!.AsArray().Select(m => (string)m!));
        Assert.Equal(0, (int)entry["coreRelocations"]!["count"]!);
        Assert.True((int)entry["instructions"]! < (int)entry["slots"]!); // two lddw of maps
        // tail_one is "return XDP_DROP": two instructions.
        Assert.Equal(2, (int)programs[0]!["instructions"]!);
    }

    [Fact]
    public void ProgShowCountsCoreRelocationsAndSubprograms()
    {
        var p = Json("prog", "show", Fixture("btf_kinds-v3.o"), "--json")["programs"]!.AsArray().Single()!;
        Assert.Equal(["btf_kinds", "helper"], p["functions"]!.AsArray().Select(f => (string)f!["name"]!));
        var core = p["coreRelocations"]!;
        // bpf_core_field_exists, BPF_CORE_READ_BITFIELD, bpf_core_type_size, bpf_core_field_offset all leave CO-RE records.
        Assert.True((int)core["count"]! >= 4);
        Assert.Equal(1, (int)core["kinds"]!["FieldExists"]!);
        Assert.Equal(1, (int)core["kinds"]!["TypeSize"]!);

        var text = Hbpf.Run("prog", "show", Fixture("btf_kinds-v3.o"));
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("btf_kinds: section xdp, type Xdp", text.Out, StringComparison.Ordinal);
        Assert.Contains("subprograms: helper at", text.Out, StringComparison.Ordinal);
        Assert.Contains("TailCall (12)", text.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void MapShowJsonHasTheDeclaredShapes()
    {
        var maps = Json("map", "show", Fixture("btf_kinds-v3.o"), "--json")["maps"]!.AsArray().ToDictionary(m => (string)m!["name"]!, m => m!);
        var samples = maps["samples"];
        Assert.Equal(("Hash", 4u, 56u, 16u, 1u, "ByName"), ((string)samples["type"]!, (uint)samples["keySize"]!, (uint)samples["valueSize"]!,
            (uint)samples["maxEntries"]!, (uint)samples["flags"]!, (string)samples["pinning"]!));
        Assert.Equal(5ul, (ulong)maps["bloom"]["mapExtra"]!);
        var inner = maps["outer"]["innerMap"]!;
        Assert.Equal(("outer.inner", "Array", 8u, 2u), ((string)inner["name"]!, (string)inner["type"]!, (uint)inner["valueSize"]!, (uint)inner["maxEntries"]!));
        Assert.Equal(3u, (uint)maps["jumps"]["typeId"]!); // BPF_MAP_TYPE_PROG_ARRAY
        Assert.Equal(8, (int)Json("map", "show", Fixture("map_init-v3.o"), "--json")["maps"]!.AsArray().Single(m => (string)m!["name"]! == "locks")!["spinLockOffset"]!);
    }

    [Fact]
    public void MapDumpShowsStaticEntriesAndSaysWhereLiveContentsAre()
    {
        var jumps = Json("map", "dump", Fixture("map_init-v3.o"), "--map", "jump_table", "--json");
        Assert.False((bool)jumps["live"]!);
        Assert.Contains("hbpf run", (string)jumps["note"]!, StringComparison.Ordinal);
        Assert.Equal([("01000000", "tail_one"), ("02000000", "tail_two")], jumps["entries"]!.AsArray().Select(e => ((string)e!["key"]!, (string)e["program"]!)));

        var outer = Hbpf.Run("map", "dump", Fixture("map_init-v3.o"), "--map", "outer");
        Assert.Equal(0, outer.ExitCode);
        Assert.Contains("hbpf run", outer.Out, StringComparison.Ordinal);
        Assert.Contains("[0] = map inner_a", outer.Out, StringComparison.Ordinal);
        Assert.Contains("[2] = map inner_b", outer.Out, StringComparison.Ordinal);

        // globals.c: const volatile int limit = 100 sits alone in .rodata (0x64 little-endian).
        var rodata = Json("map", "dump", Fixture("globals-v3.o"), "--map", ".rodata", "--json");
        Assert.Equal("64000000", (string)rodata["entries"]![0]!["value"]!);
    }

    [Fact]
    public void DisasmOfAnObjectInterleavesSourceLines()
    {
        var run = Hbpf.Run("disasm", Fixture("map_init-v3.o"), "--section", "xdp");
        Assert.Equal(0, run.ExitCode);
        var lines = run.Out.Split('\n');
        Assert.Contains("Disassembly of program entry (section xdp):", lines);
        // The source line comes right before the first instruction it produced: here the helper call 93.
        int call = Array.FindIndex(lines, l => l.EndsWith("\tcall 0x5d", StringComparison.Ordinal));
        Assert.True(call > 0, run.Out);
        int source = Array.FindLastIndex(lines, call, l => l.StartsWith("; ", StringComparison.Ordinal));
        Assert.Equal("; bpf_spin_lock(&l->lock);", lines[source]);

        var json = Json("disasm", Fixture("subprogs-v3.o"), "--json");
        foreach (var p in json["programs"]!.AsArray())
        {
            var insns = p!["instructions"]!.AsArray();
            Assert.All(insns, i => Assert.NotNull(i!["source"]));
            Assert.Equal(0, (int)insns[0]!["slot"]!);
        }
    }

    [Fact]
    public void BadObjectInputIsOneLine()
    {
        string notElf = _dir.Write("prog.o", "not an object at all");
        foreach (string[] args in new[]
        {
            new[] { "prog", "show", notElf },
            ["map", "show", notElf],
            ["map", "dump", notElf, "--map", "x"],
        })
        {
            string line = Hbpf.Run(args).SingleErrorLine();
            Assert.StartsWith($"{notElf}: ", line, StringComparison.Ordinal);
            Assert.Contains("(HB7002)", line, StringComparison.Ordinal);
        }

        Assert.Contains("no such file (HB4002)", Hbpf.Run("prog", "show", Path.Combine(_dir.Path, "missing.o")).SingleErrorLine(), StringComparison.Ordinal);
        string noMap = Hbpf.Run("map", "dump", Fixture("map_init-v3.o"), "--map", "nosuch").SingleErrorLine();
        Assert.Contains("no map named 'nosuch' (maps: inner_a, inner_b, outer, jump_table, locks) (HB4001)", noMap, StringComparison.Ordinal);
        string noSection = Hbpf.Run("disasm", Fixture("map_init-v3.o"), "--section", "tc").SingleErrorLine();
        Assert.Contains("no program in section 'tc' (program sections: xdp)", noSection, StringComparison.Ordinal);
        string raw = _dir.Write("ok.s", "r0 = 0\nexit\n");
        Assert.Contains("need an ELF object", Hbpf.Run("disasm", raw, "--section", "xdp").SingleErrorLine(), StringComparison.Ordinal);
        Assert.Contains("'--map' is required", Hbpf.Run("map", "dump", Fixture("map_init-v3.o")).SingleErrorLine(expectedExitCode: 2), StringComparison.Ordinal);
    }
}
