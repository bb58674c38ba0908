using HeteroBpf.Helpers;

namespace HeteroBpf.Verifier;

/// <summary>
/// What the verifier checks per program type (the kernel's <c>bpf_verifier_ops</c> and <c>check_return_code</c>):
/// the context's fields and rights, the helpers the type may call, direct packet access and the return range.
/// </summary>
public abstract class ProgramTypeInfo
{
    /// <summary>The program type.</summary>
    public abstract ProgramType Type { get; }

    /// <summary>The kernel's lower-case name (<c>xdp</c>, <c>sched_cls</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Bytes of the UAPI context structure (<c>struct xdp_md</c>, <c>struct __sk_buff</c>).</summary>
    public abstract int ContextSize { get; }

    /// <summary>Range R0 must lie in at <c>exit</c> of the entry function, or null when the kernel does not check it.</summary>
    public abstract (long Min, long Max)? ReturnRange { get; }

    /// <summary>True when programs of the type may read the packet through packet pointers.</summary>
    public abstract bool CanReadPacket { get; }

    /// <summary>True when programs of the type may write the packet through packet pointers.</summary>
    public abstract bool CanWritePacket { get; }

    /// <summary>
    /// The kernel's <c>is_valid_access</c>: null when a load (or, with <paramref name="write"/>, a store) of
    /// <paramref name="size"/> bytes at context <paramref name="offset"/> is allowed, with <paramref name="loaded"/> the
    /// type a load gives (<see cref="RegisterType.Scalar"/> for plain fields); otherwise the kernel's message
    /// (e.g. <c>invalid bpf_context access off=4 size=2</c>).
    /// </summary>
    public abstract string? CheckContextAccess(int offset, int size, bool write, Privilege privilege, out RegisterType loaded);

    /// <summary>The type's <c>func_proto</c>: the prototype of helper <paramref name="id"/> for this type at <paramref name="privilege"/>, or null when the type may not call it.</summary>
    public abstract HelperPrototype? GetHelper(HelperId id, Privilege privilege);
}
