using HeteroBpf.Elf;
using HeteroBpf.Offload;
using HeteroBpf.Verifier;
using HeteroBpf.Xdp;
using static HeteroBpf.Tests.Offload.OffloadFixtures;

namespace HeteroBpf.Tests.Offload;

/// <summary><c>BpfCollection.Load</c> with verifier options: refusals located, facts kept, dead code left alone as the kernel does.</summary>
public sealed class VerifiedLoadTests
{
    private static ObjectFile Object(string asm) => new() { Name = "t.o", Programs = [XdpProgram(asm)], Maps = [] };

    [Fact]
    public void ARefusedProgramNeverLoadsAndTheErrorNamesSectionSlotAndRule()
    {
        // A packet read with no comparison against data_end.
        var obj = Object("r2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 0)\nr0 = 2\nexit");
        var e = Assert.Throws<VerifierException>(() => BpfCollection.Load(obj, typeOps: XdpOps.Instance, engine: HostEngine.Cil, verifier: new VerifierOptions()));
        Assert.Equal("xdp", e.Location.Section);
        Assert.Equal(1, e.Location.Instruction);
        Assert.Contains("invalid access to packet", e.Reason, StringComparison.Ordinal);
        // Unverified, the checked engines run it and fault at run time instead.
        using var unverified = BpfCollection.Load(obj, typeOps: XdpOps.Instance, engine: HostEngine.Cil);
        Assert.Null(unverified.Programs[0].Verified);
    }

    [Fact]
    public void AnInvalidContextLoadInDeadCodeIsLeftAloneOnceVerified()
    {
        // r0 = 2 is never negative as signed: the branch is always taken, and the bad context load at slot 2 never runs.
        var obj = Object("r0 = 2\nif r0 s>= 0 goto +1\nr0 = *(u32 *)(r1 - 8)\nexit");
        using var verified = BpfCollection.Load(obj, typeOps: XdpOps.Instance, engine: HostEngine.Cil, verifier: new VerifierOptions());
        var facts = verified.Programs[0].Verified!.Facts;
        Assert.Equal(SlotFacts.None, facts[2] & SlotFacts.Reached);
        Assert.Equal(2ul, verified.Programs[0].Run(new byte[64]).ReturnValue);
        // Without the verifier's proof the loader cannot know the slot is dead and refuses the access.
        Assert.ThrowsAny<HbpfException>(() => BpfCollection.Load(obj, typeOps: XdpOps.Instance));
    }
}
