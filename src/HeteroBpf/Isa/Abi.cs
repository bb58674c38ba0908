namespace HeteroBpf.Isa;

/// <summary>The limits and conventions of the eBPF ABI that every engine and the verifier share (one place, not one per backend).</summary>
public static class Abi
{
    /// <summary>Bytes of stack per frame (kernel MAX_BPF_STACK).</summary>
    public const int FrameSize = 512;

    /// <summary>Frames in a call chain, the entry frame included (kernel MAX_CALL_FRAMES).</summary>
    public const int MaxCallFrames = 8;

    /// <summary>Tail calls one run may make (kernel MAX_TAIL_CALL_CNT); the next one falls through.</summary>
    public const int MaxTailCalls = 33;

    /// <summary>
    /// Where subprogram addresses live: <c>lddw rX, func</c> loads <c>CodeBase + slot * 8</c>, and <c>callx</c> accepts
    /// only such values. The range is non-canonical on x86-64 and ARM64, so it can never alias data a program may access.
    /// </summary>
    public const ulong CodeBase = 0xdead_0000_0000_0000;
}
