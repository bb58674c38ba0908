namespace HeteroBpf.Asm;

/// <summary>A named position in a program (an ELF function symbol), in slot numbers.</summary>
/// <param name="Name">The symbol name as llvm-objdump prints it.</param>
/// <param name="Slot">The slot the symbol points at.</param>
public readonly record struct CodeSymbol(string Name, int Slot);

/// <summary>How <see cref="Disassembler"/> prints: which llvm-objdump flavour, and which symbols name branch targets.</summary>
public sealed record DisassemblerOptions
{
    /// <summary>The defaults: plain <c>llvm-objdump -d</c> syntax, no symbols.</summary>
    public static DisassemblerOptions Default { get; } = new();

    /// <summary>Print 8/16/32-bit loads, register stores and 32-bit atomics with <c>w</c> registers, as <c>llvm-objdump --mcpu=v3</c> (and v4) does.</summary>
    public bool Alu32Syntax { get; init; }

    /// <summary>Print llvm-objdump's text even where it hides fields (local and kfunc calls print as helper calls, <c>ld_pseudo</c> drops the second immediate, <c>ld_ind</c> drops its immediate, 32-bit atomics without <see cref="Alu32Syntax"/>); such text does not assemble back to the same bytes.</summary>
    public bool ExactLlvmText { get; init; }

    /// <summary>Function symbols: the listing prints a header line at each, and branch targets get llvm's <c>&lt;sym+0xoff&gt;</c> suffix.</summary>
    public IReadOnlyList<CodeSymbol> Symbols { get; init; } = [];
}
