using HeteroBpf.Jit.Arm64;
using static global::HeteroBpf.Jit.Arm64.A64Register;

namespace HeteroBpf.Devices;

/// <summary>
/// The <c>arm64-nic</c>'s firmware: an RX loop emitted with our own <see cref="A64Encoder"/>, so that one emulator
/// entry handles a whole batch. In: X0 = the RX descriptor ring (per packet the u32 device address of its context),
/// X1 = packets in the batch, X2 = the program's run context, X3 = the program's tail-call entry (slot 0 after its
/// prologue), X30 = where the batch returns. Per packet it loads the descriptor into X0 (R1 = the <c>xdp_md</c>),
/// enters the program and stores R0 (the action) in the completion ring, <see cref="CompletionOffset"/> bytes after
/// the descriptor.
/// </summary>
/// <remarks>
/// Why it looks like this: under the Debian Unicorn (2.0.1) every guest store to RAM takes QEMU's TLB_NOTDIRTY slow
/// path (a helper call, a lookup of the mapping and a page-collection tree allocated and freed, ≈100 ns), whatever
/// page it hits, while loads and ALU work stay on the fast path. So the per-packet path does no store but the
/// completion: the program is entered after its prologue with a 64-byte frame the firmware writes once per batch
/// (the saved X30 there is this loop's continuation, so the program's own epilogue returns here), instead of through
/// the AAPCS64 entry that saves ten registers and the prologue that saves seven (≈2 µs a packet). The loop keeps its
/// state in registers translated code never touches: X23 (descriptor cursor), X24 (end), X27 (exit) and X18 (the
/// entry). The host finds the current packet at a helper trap from X23 (<see cref="CursorRegister"/>).
/// </remarks>
internal static class Arm64NicFirmware
{
    /// <summary>Bytes per RX descriptor: the u32 device address of the frame's context.</summary>
    public const int DescriptorSize = 4;

    /// <summary>Bytes per completion entry: the action (u32).</summary>
    public const int CompletionSize = 4;

    /// <summary>Offset of a packet's completion from its descriptor (the rings share a page, entry for entry).</summary>
    public const int CompletionOffset = 1024;

    /// <summary>The register that holds the address of the current packet's descriptor while the program runs.</summary>
    public const A64Register CursorRegister = X23;

    /// <summary>Words between the two variants in the firmware page.</summary>
    public const int VariantWords = 256;

    // The frame the program's epilogue pops: X29/X30 at 0, X19–X22 at 16, X25 at 48 (Arm64Translator's prologue).
    private const int FrameBytes = 64;

    /// <summary>
    /// The firmware's words (position-independent): at word 0 the loop for programs without tail calls, at
    /// <see cref="VariantWords"/> the one that also resets the run context's tail-call count before each packet
    /// (one more store, as the JIT's own entry does per run).
    /// </summary>
    public static uint[] Emit()
    {
        var words = new uint[2 * VariantWords];
        Emit(tailCalls: false).CopyTo(words, 0);
        Emit(tailCalls: true).CopyTo(words, VariantWords);
        return words;
    }

    private static uint[] Emit(bool tailCalls)
    {
        var e = new A64Encoder(40);
        e.Mov(A64Width.X64, X23, X0);                                          // descriptor cursor
        e.AddRegister(A64Width.X64, X24, X0, X1, A64Shift.Lsl, 2);             // end of the batch's descriptors
        e.Mov(A64Width.X64, X27, X30);                                         // where the batch returns
        e.Mov(A64Width.X64, X18, X3);                                          // the program's entry
        e.Mov(A64Width.X64, Arm64RegisterMap.Context, X2);                     // the run context, as the JIT's entry sets it
        // The frame the program's epilogue pops after each packet, written once: its saved X30 is the continuation.
        int adr = e.Count;
        e.Adr(X9, 0); // patched below
        e.SubImmediate(A64Width.X64, Sp, Sp, FrameBytes);
        e.StrImmediate(A64MemSize.Double, X9, Sp, 8);
        e.AddImmediate(A64Width.X64, Sp, Sp, FrameBytes);
        int loop = e.Count;
        e.CmpRegister(A64Width.X64, X23, X24);
        int exitBranch = e.Count;
        e.BCond(A64Condition.Hs, 0); // patched below
        e.LdrImmediate(A64MemSize.Word, X0, X23);                              // R1 = the context
        e.LdrImmediate(A64MemSize.Double, X25, Arm64RegisterMap.Context, Arm64RunContext.StackTop); // R10 = the frame
        e.LdrImmediate(A64MemSize.Double, Arm64RegisterMap.Budget, Arm64RegisterMap.Context, Arm64RunContext.Budget);
        if (tailCalls) e.StrImmediate(A64MemSize.Double, Zr, Arm64RegisterMap.Context, Arm64RunContext.TailCallCount);
        e.SubImmediate(A64Width.X64, Sp, Sp, FrameBytes);
        e.MovSp(A64Width.X64, X29, Sp);
        e.Br(X18);
        int continuation = e.Count;
        e.StrImmediate(A64MemSize.Word, Arm64RegisterMap.Of(0), X23, CompletionOffset);
        e.AddImmediate(A64Width.X64, X23, X23, DescriptorSize);
        e.B(loop - e.Count);
        int done = e.Count;
        e.Ret(X27);
        var patch = new A64Encoder(1);
        patch.BCond(A64Condition.Hs, done - exitBranch);
        e.Patch(exitBranch, patch.Words[0]);
        patch.Clear();
        patch.Adr(X9, (continuation - adr) * 4);
        e.Patch(adr, patch.Words[0]);
        return e.Words.ToArray();
    }
}
