using System.Collections.Frozen;

namespace HeteroBpf.Helpers;

/// <summary>What a helper returns, in the kernel's <c>bpf_return_type</c> vocabulary (<c>RET_…</c>).</summary>
public enum HelperReturn : byte
{
    /// <summary>RET_INTEGER: a scalar.</summary>
    Integer,
    /// <summary>RET_VOID: nothing (R0 is undefined afterwards).</summary>
    Void,
    /// <summary>RET_PTR_TO_MAP_VALUE_OR_NULL: a pointer into the value of the map in argument 1, or null.</summary>
    PtrToMapValueOrNull,
    /// <summary>RET_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RINGBUF: a ring buffer record of the size in argument 2, or null.</summary>
    PtrToRingBufMemOrNull,
    /// <summary>RET_PTR_TO_MAP_VALUE: a pointer into the value of the map in argument 1, never null (<c>get_local_storage</c>).</summary>
    PtrToMapValue,
    /// <summary>RET_PTR_TO_SOCKET_OR_NULL: a full socket or null; from a lookup it is a reference to release.</summary>
    PtrToSocketOrNull,
    /// <summary>RET_PTR_TO_SOCK_COMMON_OR_NULL: a socket's common fields or null; from a lookup it is a reference to release.</summary>
    PtrToSockCommonOrNull,
}

/// <summary>The base of an argument type, in the kernel's <c>bpf_arg_type</c> vocabulary (<c>ARG_…</c>).</summary>
public enum HelperArgType : byte
{
    /// <summary>ARG_DONTCARE: the helper takes no such argument.</summary>
    DontCare,
    /// <summary>ARG_ANYTHING: any initialised value.</summary>
    Anything,
    /// <summary>ARG_CONST_MAP_PTR: a map handle from a map <c>lddw</c>.</summary>
    ConstMapPtr,
    /// <summary>ARG_PTR_TO_MAP_KEY: key-size bytes of initialised memory.</summary>
    PtrToMapKey,
    /// <summary>ARG_PTR_TO_MAP_VALUE: value-size bytes of memory (initialised unless <see cref="HelperArgFlags.Uninit"/>).</summary>
    PtrToMapValue,
    /// <summary>ARG_PTR_TO_MEM: memory whose size is the next argument.</summary>
    PtrToMem,
    /// <summary>ARG_CONST_SIZE: a known size, not zero, of the memory in the argument before.</summary>
    ConstSize,
    /// <summary>ARG_CONST_SIZE_OR_ZERO: a known size, possibly zero, of the memory in the argument before.</summary>
    ConstSizeOrZero,
    /// <summary>ARG_PTR_TO_CTX: the program's context.</summary>
    PtrToCtx,
    /// <summary>ARG_PTR_TO_FUNC: a subprogram address from a <c>lddw</c> of source 4.</summary>
    PtrToFunc,
    /// <summary>ARG_PTR_TO_STACK (with <see cref="HelperArgFlags.MaybeNull"/>: ARG_PTR_TO_STACK_OR_NULL): a pointer into the stack.</summary>
    PtrToStack,
    /// <summary>ARG_PTR_TO_SPIN_LOCK: the <c>bpf_spin_lock</c> inside a map value.</summary>
    PtrToSpinLock,
    /// <summary>ARG_PTR_TO_CONST_STR: a NUL-terminated string in read-only map memory.</summary>
    PtrToConstStr,
    /// <summary>ARG_CONST_ALLOC_SIZE_OR_ZERO: a constant size of memory the helper allocates.</summary>
    ConstAllocSizeOrZero,
    /// <summary>ARG_PTR_TO_ALLOC_MEM (today's kernels spell it ARG_PTR_TO_MEM | MEM_RINGBUF | OBJ_RELEASE): a record from <c>ringbuf_reserve</c>, released by the call.</summary>
    PtrToAllocMem,
    /// <summary>ARG_PTR_TO_SOCK_COMMON: a socket pointer of any kind (sock_common, socket, tcp_sock).</summary>
    PtrToSockCommon,
    /// <summary>ARG_PTR_TO_SOCKET: a full socket.</summary>
    PtrToSocket,
    /// <summary>ARG_PTR_TO_BTF_ID_SOCK_COMMON: a socket pointer, also one a lookup returned (<c>sk_release</c> releases it).</summary>
    PtrToBtfIdSockCommon,
}

/// <summary>Modifiers of an argument type, as the kernel's type flags (<c>PTR_MAYBE_NULL</c>, <c>MEM_RDONLY</c>, <c>MEM_UNINIT</c>).</summary>
[Flags]
public enum HelperArgFlags : byte
{
    /// <summary>No modifier.</summary>
    None = 0,
    /// <summary>PTR_MAYBE_NULL: null is also accepted.</summary>
    MaybeNull = 1,
    /// <summary>MEM_RDONLY: the helper only reads the memory.</summary>
    ReadOnly = 2,
    /// <summary>MEM_UNINIT: the helper only writes the memory, which need not be initialised.</summary>
    Uninit = 4,
}

/// <summary>One argument of a helper prototype.</summary>
public readonly record struct HelperArg(HelperArgType Type, HelperArgFlags Flags = HelperArgFlags.None)
{
    /// <summary>The kernel's spelling, e.g. <c>ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY</c>.</summary>
    public override string ToString()
    {
        string text = "ARG_" + HelperPrototype.Screaming(Type.ToString());
        if (Flags.HasFlag(HelperArgFlags.MaybeNull)) text += " | PTR_MAYBE_NULL";
        if (Flags.HasFlag(HelperArgFlags.ReadOnly)) text += " | MEM_RDONLY";
        if (Flags.HasFlag(HelperArgFlags.Uninit)) text += " | MEM_UNINIT";
        return text;
    }
}

/// <summary>A helper's <c>bpf_func_proto</c>: return type and up to five arguments (unused ones are <see cref="HelperArgType.DontCare"/>).</summary>
public sealed record HelperPrototype(HelperId Id, HelperReturn Returns, HelperArg Arg1 = default, HelperArg Arg2 = default, HelperArg Arg3 = default, HelperArg Arg4 = default, HelperArg Arg5 = default)
{
    /// <summary>True for helpers only GPL-compatible programs may call (<c>bpf_func_proto.gpl_only</c>).</summary>
    public bool GplOnly { get; init; }

    /// <summary>The five arguments, R1 first.</summary>
    public ReadOnlySpan<HelperArg> Args => new[] { Arg1, Arg2, Arg3, Arg4, Arg5 };

    /// <summary>Number of arguments the helper takes (trailing <see cref="HelperArgType.DontCare"/> excluded).</summary>
    public int ArgCount
    {
        get
        {
            var args = Args;
            int n = args.Length;
            while (n > 0 && args[n - 1].Type == HelperArgType.DontCare) n--;
            return n;
        }
    }

    internal static string Screaming(string pascal)
    {
        var sb = new System.Text.StringBuilder(pascal.Length + 8);
        for (int i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsUpper(pascal[i])) sb.Append('_');
            sb.Append(char.ToUpperInvariant(pascal[i]));
        }

        return sb.ToString();
    }
}

/// <summary>
/// The prototypes of the helpers this runtime implements (<c>bpf_tail_call</c> and <c>bpf_loop</c> by the interpreter itself), as the kernel declares them (<c>kernel/bpf/helpers.c</c>,
/// <c>net/core/filter.c</c>, <c>kernel/trace/bpf_trace.c</c>, <c>kernel/bpf/bpf_iter.c</c>); the verifier reads them.
/// </summary>
public static class HelperPrototypes
{
    private static readonly HelperArg Any = new(HelperArgType.Anything);
    private static readonly HelperArg Map = new(HelperArgType.ConstMapPtr);
    private static readonly HelperArg Key = new(HelperArgType.PtrToMapKey);
    private static readonly HelperArg Value = new(HelperArgType.PtrToMapValue);
    private static readonly HelperArg UninitValue = new(HelperArgType.PtrToMapValue, HelperArgFlags.Uninit);
    private static readonly HelperArg ReadMemOrNull = new(HelperArgType.PtrToMem, HelperArgFlags.MaybeNull | HelperArgFlags.ReadOnly);
    private static readonly HelperArg SizeOrZero = new(HelperArgType.ConstSizeOrZero);

    private static readonly FrozenDictionary<HelperId, HelperPrototype> ById = new HelperPrototype[]
    {
        new(HelperId.MapLookupElem, HelperReturn.PtrToMapValueOrNull, Map, Key),
        new(HelperId.MapUpdateElem, HelperReturn.Integer, Map, Key, Value, Any),
        new(HelperId.MapDeleteElem, HelperReturn.Integer, Map, Key),
        new(HelperId.MapPushElem, HelperReturn.Integer, Map, Value, Any),
        new(HelperId.MapPopElem, HelperReturn.Integer, Map, UninitValue),
        new(HelperId.MapPeekElem, HelperReturn.Integer, Map, UninitValue),
        new(HelperId.KtimeGetNs, HelperReturn.Integer),
        new(HelperId.KtimeGetBootNs, HelperReturn.Integer),
        new(HelperId.Jiffies64, HelperReturn.Integer),
        new(HelperId.GetPrandomU32, HelperReturn.Integer),
        new(HelperId.GetSmpProcessorId, HelperReturn.Integer),
        new(HelperId.CsumDiff, HelperReturn.Integer, ReadMemOrNull, SizeOrZero, ReadMemOrNull, SizeOrZero, Any),
        new(HelperId.SpinLock, HelperReturn.Void, new(HelperArgType.PtrToSpinLock)),
        new(HelperId.SpinUnlock, HelperReturn.Void, new(HelperArgType.PtrToSpinLock)),
        new(HelperId.TailCall, HelperReturn.Void, new(HelperArgType.PtrToCtx), Map, Any),
        new(HelperId.ForEachMapElem, HelperReturn.Integer, Map, new(HelperArgType.PtrToFunc), new(HelperArgType.PtrToStack, HelperArgFlags.MaybeNull), Any),
        new(HelperId.Loop, HelperReturn.Integer, Any, new(HelperArgType.PtrToFunc), new(HelperArgType.PtrToStack, HelperArgFlags.MaybeNull), Any),
        new(HelperId.TracePrintk, HelperReturn.Integer, new(HelperArgType.PtrToMem, HelperArgFlags.ReadOnly), new(HelperArgType.ConstSize)) { GplOnly = true },
        new(HelperId.PerfEventOutput, HelperReturn.Integer, new(HelperArgType.PtrToCtx), Map, Any, new(HelperArgType.PtrToMem, HelperArgFlags.ReadOnly), SizeOrZero),
        new(HelperId.RingbufOutput, HelperReturn.Integer, Map, new(HelperArgType.PtrToMem, HelperArgFlags.ReadOnly), SizeOrZero, Any),
        new(HelperId.RingbufReserve, HelperReturn.PtrToRingBufMemOrNull, Map, new(HelperArgType.ConstAllocSizeOrZero), Any),
        new(HelperId.RingbufSubmit, HelperReturn.Void, new(HelperArgType.PtrToAllocMem), Any),
        new(HelperId.RingbufDiscard, HelperReturn.Void, new(HelperArgType.PtrToAllocMem), Any),
        new(HelperId.RingbufQuery, HelperReturn.Integer, Map, Any),
        new(HelperId.XdpAdjustHead, HelperReturn.Integer, new(HelperArgType.PtrToCtx), Any),
        new(HelperId.XdpAdjustMeta, HelperReturn.Integer, new(HelperArgType.PtrToCtx), Any),
        new(HelperId.XdpAdjustTail, HelperReturn.Integer, new(HelperArgType.PtrToCtx), Any),
        new(HelperId.Redirect, HelperReturn.Integer, Any, Any),
        new(HelperId.RedirectMap, HelperReturn.Integer, Map, Any, Any),
        new(HelperId.Snprintf, HelperReturn.Integer, new(HelperArgType.PtrToMem, HelperArgFlags.MaybeNull), SizeOrZero, new(HelperArgType.PtrToConstStr), ReadMemOrNull, SizeOrZero),
    }.ToFrozenDictionary(p => p.Id);

    /// <summary>Every prototype, by ascending id.</summary>
    public static IEnumerable<HelperPrototype> All => ById.Values.OrderBy(p => p.Id);

    /// <summary>The prototype of helper <paramref name="id"/>, when this runtime knows it.</summary>
    public static bool TryGet(HelperId id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HelperPrototype? prototype) =>
        ById.TryGetValue(id, out prototype);
}
