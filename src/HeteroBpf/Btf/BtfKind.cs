namespace HeteroBpf.Btf;

/// <summary>BTF type kinds with the kernel's numbers (<c>BTF_KIND_*</c> in <c>linux/btf.h</c>).</summary>
public enum BtfKind : byte
{
    /// <summary>Type id 0, the only type of this kind.</summary>
    Void = 0,
    /// <summary><c>BTF_KIND_INT</c>.</summary>
    Int = 1,
    /// <summary><c>BTF_KIND_PTR</c>.</summary>
    Ptr = 2,
    /// <summary><c>BTF_KIND_ARRAY</c>.</summary>
    Array = 3,
    /// <summary><c>BTF_KIND_STRUCT</c>.</summary>
    Struct = 4,
    /// <summary><c>BTF_KIND_UNION</c>.</summary>
    Union = 5,
    /// <summary><c>BTF_KIND_ENUM</c> (values of up to 32 bits).</summary>
    Enum = 6,
    /// <summary><c>BTF_KIND_FWD</c>.</summary>
    Fwd = 7,
    /// <summary><c>BTF_KIND_TYPEDEF</c>.</summary>
    Typedef = 8,
    /// <summary><c>BTF_KIND_VOLATILE</c>.</summary>
    Volatile = 9,
    /// <summary><c>BTF_KIND_CONST</c>.</summary>
    Const = 10,
    /// <summary><c>BTF_KIND_RESTRICT</c>.</summary>
    Restrict = 11,
    /// <summary><c>BTF_KIND_FUNC</c>.</summary>
    Func = 12,
    /// <summary><c>BTF_KIND_FUNC_PROTO</c>.</summary>
    FuncProto = 13,
    /// <summary><c>BTF_KIND_VAR</c>.</summary>
    Var = 14,
    /// <summary><c>BTF_KIND_DATASEC</c>.</summary>
    Datasec = 15,
    /// <summary><c>BTF_KIND_FLOAT</c>.</summary>
    Float = 16,
    /// <summary><c>BTF_KIND_DECL_TAG</c>.</summary>
    DeclTag = 17,
    /// <summary><c>BTF_KIND_TYPE_TAG</c>.</summary>
    TypeTag = 18,
    /// <summary><c>BTF_KIND_ENUM64</c>.</summary>
    Enum64 = 19,
}

/// <summary>The encoding bits of a BTF INT (<c>BTF_INT_SIGNED</c>, <c>BTF_INT_CHAR</c>, <c>BTF_INT_BOOL</c>).</summary>
[Flags]
public enum BtfIntEncoding : byte
{
    /// <summary>Unsigned, not a char or bool.</summary>
    None = 0,
    /// <summary><c>BTF_INT_SIGNED</c>.</summary>
    Signed = 1,
    /// <summary><c>BTF_INT_CHAR</c>.</summary>
    Char = 2,
    /// <summary><c>BTF_INT_BOOL</c>.</summary>
    Bool = 4,
}

/// <summary>Linkage of a BTF FUNC, carried in its vlen (<c>BTF_FUNC_*</c>).</summary>
public enum BtfFuncLinkage : ushort
{
    /// <summary><c>BTF_FUNC_STATIC</c>.</summary>
    Static = 0,
    /// <summary><c>BTF_FUNC_GLOBAL</c>.</summary>
    Global = 1,
    /// <summary><c>BTF_FUNC_EXTERN</c>.</summary>
    Extern = 2,
}

/// <summary>Linkage of a BTF VAR (<c>BTF_VAR_*</c>).</summary>
public enum BtfVarLinkage : uint
{
    /// <summary><c>BTF_VAR_STATIC</c>.</summary>
    Static = 0,
    /// <summary><c>BTF_VAR_GLOBAL_ALLOCATED</c>.</summary>
    GlobalAllocated = 1,
    /// <summary><c>BTF_VAR_GLOBAL_EXTERN</c>.</summary>
    GlobalExtern = 2,
}
