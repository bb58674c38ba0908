using HeteroBpf.Asm;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Jit.Cil;

namespace HeteroBpf.Tests.Jit;

/// <summary>
/// The one-frame run path skips clearing the stack only when the compiler's must-written analysis shows every stack
/// byte read was stored first on every path (checked directly on the flag); otherwise a read of a byte never written
/// gives 0, as in the interpreter (whose stack starts zeroed). The runs after a scribbling run are a best effort at
/// leaving junk where the next frame lands: whether it does depends on RyuJIT's frame layout and tier, so the flag
/// theory is the deterministic check.
/// </summary>
public sealed class CilFrameClearingTests
{
    // Stores -1 as a u64 and reads its low half back: written before read, and the mixed sizes keep the slot in the
    // frame (not promoted to a local), so the run really leaves 0xff bytes on the native stack.
    private const string Scribble = """
        r1 = -1
        *(u64 *)(r10 - 8) = r1
        r0 = *(u32 *)(r10 - 8)
        exit
        """;

    // Stores only when r1 == 0, then reads: with r1 != 0 the read sees bytes no instruction of the run wrote.
    private const string MaybeWritten = """
        if r1 != 0 goto +2
        r2 = 5
        *(u32 *)(r10 - 8) = r2
        r0 = *(u64 *)(r10 - 8)
        exit
        """;

    // Both arms of a diamond store the bytes the join reads.
    private const string Diamond = """
        if r1 == 0 goto +3
        r2 = 1
        *(u64 *)(r10 - 8) = r2
        goto +2
        r2 = 2
        *(u64 *)(r10 - 8) = r2
        r0 = *(u32 *)(r10 - 8)
        exit
        """;

    // A loop whose first iteration reads the slot before the body stores it (the back edge brings the store round).
    private const string ReadBeforeStoreInLoop = """
        r0 = 0
        r1 = 3
        r2 = *(u32 *)(r10 - 8)
        r0 += r2
        *(u64 *)(r10 - 8) = r1
        r1 += -1
        if r1 != 0 goto -5
        exit
        """;

    [Theory]
    [InlineData(Scribble, true)]
    [InlineData(Diamond, true)]
    [InlineData(MaybeWritten, false)]
    [InlineData(ReadBeforeStoreInLoop, false)]
    public void FrameClearingIsSkippedOnlyWhenEveryReadByteWasStoredFirst(string source, bool skips)
    {
        var program = Assembler.Assemble(source, "frame.s");
        Assert.Equal(skips, CilCompiler.Compile(program, HelperRegistry.Empty).SkipsFrameClearing);
    }

    [Theory]
    [InlineData(MaybeWritten, 0ul)]
    [InlineData(MaybeWritten, 1ul)]
    [InlineData(Diamond, 0ul)]
    [InlineData(Diamond, 1ul)]
    [InlineData(ReadBeforeStoreInLoop, 0ul)]
    public void RunsAfterAScribblingRunGiveTheInterpretersResult(string source, ulong r1)
    {
        var scribble = CilCompiler.Compile(Assembler.Assemble(Scribble, "scribble.s"), HelperRegistry.Empty);
        var program = Assembler.Assemble(source, "frame.s");
        var cil = CilCompiler.Compile(program, HelperRegistry.Empty);
        var expected = new BpfInterpreter(program, HelperRegistry.Empty).Run(new MemoryMap(), r1);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(0xffff_ffffUL, scribble.Run(new MemoryMap()).ReturnValue);
            Assert.Equal(expected, cil.Run(new MemoryMap(), r1));
        }

        if (source == MaybeWritten && r1 != 0) Assert.Equal(0ul, expected.ReturnValue); // the zeroed stack, not 0xff..
        if (source == ReadBeforeStoreInLoop) Assert.Equal(3ul + 2ul, expected.ReturnValue); // 0, then 3, then 2
    }
}
