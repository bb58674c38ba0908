using System.Collections.Immutable;

namespace HeteroBpf.Btf;

/// <summary>One BTF type: its id (0 is void) and name ("" when anonymous); one sealed record per kind.</summary>
public abstract record BtfType(int Id, string Name)
{
    /// <summary>The kind, as numbered by the kernel.</summary>
    public abstract BtfKind Kind { get; }

    /// <summary>Formats as bpftool does: <c>[id] KIND 'name'</c>.</summary>
    public sealed override string ToString() => $"[{Id}] {Kind} '{(Name.Length == 0 ? "(anon)" : Name)}'";
}

/// <summary>Type id 0: void, the target of <c>void *</c> and the return type of a void function.</summary>
public sealed record BtfVoid() : BtfType(0, "")
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Void;
}

/// <summary>An integer of <paramref name="Bits"/> bits stored in <paramref name="Size"/> bytes.</summary>
public sealed record BtfInt(int Id, string Name, uint Size, BtfIntEncoding Encoding, int BitOffset, int Bits) : BtfType(Id, Name)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Int;
}

/// <summary>A pointer to <paramref name="TargetId"/>; the one edge through which C types may be recursive.</summary>
public sealed record BtfPtr(int Id, string Name, int TargetId) : BtfType(Id, Name)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Ptr;
}

/// <summary>An array of <paramref name="Count"/> elements of <paramref name="ElementTypeId"/>.</summary>
public sealed record BtfArray(int Id, string Name, int ElementTypeId, int IndexTypeId, uint Count) : BtfType(Id, Name)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Array;
}

/// <summary>A struct or union member; <paramref name="BitfieldSize"/> is 0 unless the member is a bitfield.</summary>
public readonly record struct BtfMember(string Name, int TypeId, uint BitOffset, int BitfieldSize);

/// <summary>A struct or union of <paramref name="Size"/> bytes.</summary>
public abstract record BtfComposite(int Id, string Name, uint Size, ImmutableArray<BtfMember> Members) : BtfType(Id, Name);

/// <summary>A struct.</summary>
public sealed record BtfStruct(int Id, string Name, uint Size, ImmutableArray<BtfMember> Members) : BtfComposite(Id, Name, Size, Members)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Struct;
}

/// <summary>A union.</summary>
public sealed record BtfUnion(int Id, string Name, uint Size, ImmutableArray<BtfMember> Members) : BtfComposite(Id, Name, Size, Members)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Union;
}

/// <summary>An enumerator; an unsigned ENUM64 value above <see cref="long.MaxValue"/> reads back through <c>(ulong)Value</c>.</summary>
public readonly record struct BtfEnumValue(string Name, long Value);

/// <summary>An ENUM or ENUM64 of <paramref name="Size"/> bytes.</summary>
public abstract record BtfEnumeration(int Id, string Name, uint Size, bool IsSigned, ImmutableArray<BtfEnumValue> Values) : BtfType(Id, Name);

/// <summary>An enum with 32-bit values.</summary>
public sealed record BtfEnum(int Id, string Name, uint Size, bool IsSigned, ImmutableArray<BtfEnumValue> Values) : BtfEnumeration(Id, Name, Size, IsSigned, Values)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Enum;
}

/// <summary>An enum with 64-bit values.</summary>
public sealed record BtfEnum64(int Id, string Name, uint Size, bool IsSigned, ImmutableArray<BtfEnumValue> Values) : BtfEnumeration(Id, Name, Size, IsSigned, Values)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Enum64;
}

/// <summary>A forward declaration of a struct or (when <paramref name="IsUnion"/>) a union.</summary>
public sealed record BtfFwd(int Id, string Name, bool IsUnion) : BtfType(Id, Name)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Fwd;
}

/// <summary>Typedef, const, volatile, restrict or type tag: another name or qualifier over <paramref name="TypeId"/>, which <see cref="BtfSpec.Resolve"/> skips.</summary>
public abstract record BtfQualifier(int Id, string Name, int TypeId) : BtfType(Id, Name);

/// <summary>A typedef.</summary>
public sealed record BtfTypedef(int Id, string Name, int TypeId) : BtfQualifier(Id, Name, TypeId)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Typedef;
}

/// <summary>A volatile qualifier.</summary>
public sealed record BtfVolatile(int Id, string Name, int TypeId) : BtfQualifier(Id, Name, TypeId)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Volatile;
}

/// <summary>A const qualifier.</summary>
public sealed record BtfConst(int Id, string Name, int TypeId) : BtfQualifier(Id, Name, TypeId)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Const;
}

/// <summary>A restrict qualifier.</summary>
public sealed record BtfRestrict(int Id, string Name, int TypeId) : BtfQualifier(Id, Name, TypeId)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Restrict;
}

/// <summary>A <c>btf_type_tag</c> (or, with <paramref name="IsAttribute"/>, a type attribute) on <paramref name="TypeId"/>.</summary>
public sealed record BtfTypeTag(int Id, string Name, int TypeId, bool IsAttribute) : BtfQualifier(Id, Name, TypeId)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.TypeTag;
}

/// <summary>A function: its name, prototype and linkage.</summary>
public sealed record BtfFunc(int Id, string Name, int ProtoId, BtfFuncLinkage Linkage) : BtfType(Id, Name)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Func;
}

/// <summary>A function parameter; a last parameter with type 0 and no name marks varargs.</summary>
public readonly record struct BtfParam(string Name, int TypeId);

/// <summary>A function prototype.</summary>
public sealed record BtfFuncProto(int Id, string Name, int ReturnTypeId, ImmutableArray<BtfParam> Parameters) : BtfType(Id, Name)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.FuncProto;
}

/// <summary>A global or static variable.</summary>
public sealed record BtfVar(int Id, string Name, int TypeId, BtfVarLinkage Linkage) : BtfType(Id, Name)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Var;
}

/// <summary>A variable placed in a data section, at <paramref name="Offset"/> with <paramref name="Size"/> bytes.</summary>
public readonly record struct BtfVarSecInfo(int TypeId, uint Offset, uint Size);

/// <summary>A data section (<c>.data</c>, <c>.rodata</c>, <c>.maps</c>…) and its variables.</summary>
/// <remarks>In a clang object the size and offsets are 0; the ELF layer takes them from the section and its symbols, as libbpf does.</remarks>
public sealed record BtfDatasec(int Id, string Name, uint Size, ImmutableArray<BtfVarSecInfo> Variables) : BtfType(Id, Name)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Datasec;
}

/// <summary>A floating-point type of <paramref name="Size"/> bytes.</summary>
public sealed record BtfFloat(int Id, string Name, uint Size) : BtfType(Id, Name)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.Float;
}

/// <summary>A <c>btf_decl_tag</c> on <paramref name="TypeId"/>; <paramref name="ComponentIndex"/> −1 tags the type itself, else a member or parameter.</summary>
public sealed record BtfDeclTag(int Id, string Name, int TypeId, int ComponentIndex, bool IsAttribute) : BtfType(Id, Name)
{
    /// <inheritdoc/>
    public override BtfKind Kind => BtfKind.DeclTag;
}
