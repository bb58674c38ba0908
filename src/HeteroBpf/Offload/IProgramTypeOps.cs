using HeteroBpf.Helpers;
using HeteroBpf.Isa;

namespace HeteroBpf.Offload;

/// <summary>
/// What a program type adds when its programs load on the host (the kernel's <c>bpf_verifier_ops</c>): the rewrite of
/// each context access to the runtime's real layout (<c>convert_ctx_access</c>) and the type's own helpers.
/// </summary>
public interface IProgramTypeOps
{
    /// <summary>True for the program types this converts.</summary>
    bool Handles(ProgramType type);

    /// <summary>The one instruction that performs <paramref name="access"/> (made by <paramref name="insn"/>) on the runtime layout.</summary>
    /// <exception cref="HbpfException">The type has no such field, or not with this size or direction (HB9002).</exception>
    Instruction Convert(in Instruction insn, ContextAccess access);

    /// <summary><paramref name="registry"/> with the type's helpers added (<paramref name="maps"/> resolves map handles).</summary>
    HelperRegistry AddHelpers(HelperRegistry registry, MapHelpers maps);
}
