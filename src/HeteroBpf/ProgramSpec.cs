using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using HeteroBpf.Isa;

namespace HeteroBpf;

/// <summary>What a relocation made of an instruction.</summary>
public enum RelocationKind
{
    /// <summary>A bpf-to-bpf <c>call</c> (source 1): the immediate is the relative slot offset of the callee.</summary>
    Call,
    /// <summary>A <c>lddw</c> of a function's address (source 4, BPF_PSEUDO_FUNC): the immediate is a relative slot offset.</summary>
    FunctionAddress,
    /// <summary>A <c>lddw</c> of a map (source 1, BPF_PSEUDO_MAP_FD): the immediate is the map's index.</summary>
    Map,
    /// <summary>A <c>lddw</c> of an address in a map's value (source 2, BPF_PSEUDO_MAP_VALUE): map index, then offset.</summary>
    MapValue,
}

/// <summary>One relocation as applied to a linked program.</summary>
/// <param name="Slot">The instruction's slot in the linked program.</param>
/// <param name="Kind">What the relocation made of it.</param>
/// <param name="Symbol">The ELF symbol the relocation names (a section symbol for static data and functions).</param>
/// <param name="Target">The function or map it resolved to.</param>
/// <param name="Value">The slot a call or address lands on, or the map index; for <see cref="RelocationKind.MapValue"/> see <paramref name="Offset"/>.</param>
/// <param name="Offset">Byte offset into the map value (<see cref="RelocationKind.MapValue"/>), else 0.</param>
public sealed record ProgramRelocation(int Slot, RelocationKind Kind, string Symbol, string Target, int Value, long Offset = 0);

/// <summary>Where a function of a linked program starts: the program itself at slot 0, then each subprogram copied in.</summary>
/// <param name="Name">The function's symbol name.</param>
/// <param name="Slot">Its first slot in the linked program.</param>
/// <param name="Length">Its length in slots.</param>
/// <param name="Section">The section it was copied from.</param>
/// <param name="SectionOffset">Its byte offset in that section (what BTF func and line info refer to).</param>
public sealed record FunctionSpan(string Name, int Slot, int Length, string Section, long SectionOffset);

/// <summary>The C source line an instruction of a linked program came from (BTF line info).</summary>
/// <param name="Slot">The first slot of the linked program the line covers; it runs until the next entry.</param>
/// <param name="File">The source file as the compiler named it.</param>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column (0 when unknown).</param>
/// <param name="Text">The line's source text (empty when the compiler left it out).</param>
public sealed record SourceLine(int Slot, string File, int Line, int Column, string Text)
{
    /// <summary><c>file:line:column</c>.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>A program as an object file describes it: inert, linked instructions, editable with <c>with</c> before load.</summary>
public sealed record ProgramSpec
{
    /// <summary>The program's function name.</summary>
    public required string Name { get; init; }

    /// <summary>The ELF section it came from (its <c>SEC()</c> name).</summary>
    public required string SectionName { get; init; }

    /// <summary>The program type the section name implies (<see cref="ProgramType.Unspec"/> when the name is unknown).</summary>
    public required ProgramType Type { get; init; }

    /// <summary>The expected attach type the section name implies, when it implies one.</summary>
    public AttachType? AttachType { get; init; }

    /// <summary>What follows the section prefix (<c>kprobe/do_sys_open</c> → <c>do_sys_open</c>), when anything does.</summary>
    public string? AttachTo { get; init; }

    /// <summary>True when no known section prefix matched: the program loads with <see cref="ProgramType.Unspec"/>.</summary>
    public bool UnknownSection { get; init; }

    /// <summary>Sleepable (a <c>.s</c> section variant).</summary>
    public bool Sleepable { get; init; }

    /// <summary>XDP with multi-buffer support (<c>xdp.frags</c>).</summary>
    public bool XdpFrags { get; init; }

    /// <summary>The linked instructions: the program, then every subprogram it reaches, with relocations applied.</summary>
    public required ImmutableArray<Instruction> Instructions { get; init; }

    /// <summary>The object's license string (empty when it has no <c>license</c> section).</summary>
    public string License { get; init; } = "";

    /// <summary>The program's byte offset in its section.</summary>
    public long SectionOffset { get; init; }

    /// <summary>The functions of the linked program in slot order; the first is the program itself.</summary>
    public ImmutableArray<FunctionSpan> Functions { get; init; } = [];

    /// <summary>Every relocation applied while linking, in slot order.</summary>
    public ImmutableArray<ProgramRelocation> Relocations { get; init; } = [];

    /// <summary>Names of the maps the program references, in first-use order.</summary>
    public ImmutableArray<string> MapsUsed { get; init; } = [];

    /// <summary>Source lines by slot, ascending (from <c>.BTF.ext</c>, shifted for every copied subprogram); empty without BTF.</summary>
    public ImmutableArray<SourceLine> Lines { get; init; } = [];

    /// <summary>The source line covering <paramref name="slot"/>: the last entry starting at or before it, within the same function.</summary>
    public bool TryGetLine(int slot, [MaybeNullWhen(false)] out SourceLine line)
    {
        line = null;
        int lo = 0, hi = Lines.Length - 1;
        while (lo <= hi)
        {
            int mid = lo + ((hi - lo) / 2);
            if (Lines[mid].Slot <= slot)
            {
                line = Lines[mid];
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        if (line is null) return false;
        // A line never reaches across a function boundary: a subprogram without line info has none.
        foreach (var f in Functions)
        {
            if (slot >= f.Slot && slot < f.Slot + f.Length && line.Slot < f.Slot)
            {
                line = null;
                return false;
            }
        }

        return true;
    }
}
