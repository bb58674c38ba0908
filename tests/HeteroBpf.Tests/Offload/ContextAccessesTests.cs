using HeteroBpf.Asm;
using HeteroBpf.Offload;

namespace HeteroBpf.Tests.Offload;

/// <summary>
/// <see cref="ContextAccesses"/> on hand-written programs: the context followed through copies, spills, calls and
/// callbacks; accesses the kernel would refuse (through a moved or maybe-context pointer) refused with their slot.
/// </summary>
public sealed class ContextAccessesTests
{
    private static IReadOnlyList<ContextAccess> Find(string asm) => ContextAccesses.Find(Assembler.Assemble(asm, "test.s"));

    private static HbpfException Refused(string asm)
    {
        var e = Assert.ThrowsAny<HbpfException>(() => Find(asm));
        Assert.Equal(ErrorCode.ContextAccess, e.Code);
        return e;
    }

    [Fact]
    public void FollowsCopiesAndSpillsButNotOtherPointers()
    {
        var found = Find("""
            r6 = r1
            r2 = *(u32 *)(r6 + 0x4)
            *(u64 *)(r10 - 0x10) = r6
            r1 = 0x0
            r7 = *(u64 *)(r10 - 0x10)
            r3 = *(u32 *)(r7 + 0x0)
            r4 = *(u32 *)(r3 + 0x0)
            r0 = 0x2
            exit
            """);
        Assert.Equal([new ContextAccess(1, 4, 4, false), new ContextAccess(5, 0, 4, false)], found);
    }

    [Fact]
    public void StoresAndAtomicsOnTheContextAreReportedAsWrites()
    {
        var found = Find("""
            r2 = 0x1
            *(u32 *)(r1 + 0x8) = r2
            lock *(u32 *)(r1 + 0xc) += r2
            r0 = 0x0
            exit
            """);
        Assert.Equal([new ContextAccess(1, 8, 4, true), new ContextAccess(2, 12, 4, true)], found);
    }

    [Fact]
    public void AModifiedContextPointerIsRefusedWithItsSlot()
    {
        var e = Refused("""
            r1 += 0x4
            r0 = *(u32 *)(r1 + 0x0)
            exit
            """);
        Assert.Equal(1, e.Location.Instruction);
        Assert.Contains("modified ctx", e.Message);
    }

    [Fact]
    public void APointerThatIsTheContextOnOnlySomePathsIsRefused()
    {
        var e = Refused("""
            r2 = r10
            r2 += -0x8
            if r3 == 0x0 goto +0x1
            r2 = r1
            r0 = *(u32 *)(r2 + 0x0)
            exit
            """);
        Assert.Equal(4, e.Location.Instruction);
    }

    [Fact]
    public void ACalleeGetsTheContextInItsArgumentsAndHelpersClobberThem()
    {
        var found = Find("""
            r6 = r1
            r2 = r1
            call sub
            r1 = r6
            r0 = *(u32 *)(r6 + 0x10)
            exit
            sub:
            r0 = *(u32 *)(r2 + 0xc)
            exit
            """);
        Assert.Equal([4, 6], found.Select(a => a.Slot));
    }

    [Fact]
    public void ABpfLoopCallbackGetsTheContextItsCallerPassed()
    {
        var found = Find("""
            r3 = r1
            r1 = 0x4
            ld_pseudo r2, 0x4, cb
            r4 = 0x0
            call 0xb5
            r0 = 0x2
            exit
            cb:
            r0 = *(u32 *)(r2 + 0x10)
            r0 = 0x0
            exit
            """);
        Assert.Equal([8], found.Select(a => a.Slot));
    }

    [Fact]
    public void AContextSpillAStackWritingHelperMayOverwriteIsRefusedWhenReloaded()
    {
        // bpf_probe_read_kernel(r10-16, 16, src) may overwrite the spilled context at r10-8.
        Refused("""
            *(u64 *)(r10 - 0x8) = r1
            r1 = r10
            r1 += -0x10
            r2 = 0x10
            r3 = 0x0
            call 0x71
            r1 = *(u64 *)(r10 - 0x8)
            r0 = *(u32 *)(r1 + 0x0)
            exit
            """);
    }

    [Fact]
    public void OnceTheContextEscapesToMemoryValuesLoadedFromMemoryAreSuspect()
    {
        Refused("""
            r2 = 0x1000
            *(u64 *)(r2 + 0x0) = r1
            r3 = *(u64 *)(r2 + 0x0)
            r0 = *(u32 *)(r3 + 0x0)
            exit
            """);
    }

    [Fact]
    public void DeadCodeIsNotExamined()
    {
        Assert.Empty(Find("""
            r0 = 0x0
            exit
            r1 += 0x4
            r0 = *(u32 *)(r1 + 0x0)
            exit
            """));
    }
}
