using System.Collections.Immutable;
using HeteroBpf.Isa;

namespace HeteroBpf.Jit.Arm64;

/// <summary>
/// A translated program: position-independent A64 words (entry at word 0, AAPCS64: X0 = R1, X1 = R2, X2 = the run
/// context, result in X0), the relocations a linker fills (helper calls), and maps between eBPF slots and words.
/// </summary>
public sealed class Arm64Code
{
    internal Arm64Code(Instruction[] program, uint[] words, int[] slotWords, int[] wordSlots, ImmutableArray<Arm64Relocation> relocations, ImmutableArray<(int Slot, int Word)> functions, bool checkedAccesses)
    {
        Program = program;
        Words = words;
        SlotWords = slotWords;
        WordSlots = wordSlots;
        Relocations = relocations;
        Functions = functions;
        CheckedAccesses = checkedAccesses;
    }

    /// <summary>The eBPF program translated.</summary>
    public Instruction[] Program { get; }

    /// <summary>The code; word 0 is the entry.</summary>
    public uint[] Words { get; }

    /// <summary>Per slot, the index of the first word of its code (the second half of an <c>lddw</c> repeats the first's).</summary>
    public int[] SlotWords { get; }

    /// <summary>Per word, the slot whose code it belongs to, or -1 for the entry, epilogue and shared routines.</summary>
    public int[] WordSlots { get; }

    /// <summary>Words the linker must patch.</summary>
    public ImmutableArray<Arm64Relocation> Relocations { get; }

    /// <summary>Each function (slot 0 and every call or function-address target): its first slot and the word of its prologue.</summary>
    public ImmutableArray<(int Slot, int Word)> Functions { get; }

    /// <summary>Where a tail call enters this program: slot 0's code after its prologue (the caller's frame is reused).</summary>
    public int TailCallEntryWord => SlotWords[0];

    /// <summary>Whether loads, stores and atomics check their address against the run's region table.</summary>
    public bool CheckedAccesses { get; }

    /// <summary>The code as little-endian bytes.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Words.Length * 4];
        for (int i = 0; i < Words.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), Words[i]);
        return bytes;
    }

    /// <summary>The slot the word at <paramref name="word"/> belongs to, or -1.</summary>
    public int SlotOfWord(long word) => word >= 0 && word < WordSlots.Length ? WordSlots[word] : -1;
}
