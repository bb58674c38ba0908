using System.Globalization;
using System.Reflection;
using System.Reflection.Emit;

namespace HeteroBpf.Jit.Cil;

/// <summary>
/// The compiler's IL generator: forwards every call to <see cref="ILGenerator"/> and, when a listing is asked for
/// (<c>hbpf prog dump jited</c>), also writes each instruction as text under the eBPF slot being translated. Without a
/// listing the only extra work is one null check per emitted instruction.
/// </summary>
internal sealed class CilIlWriter(ILGenerator il, bool listing)
{
    private readonly Dictionary<int, string> _localNames = [];
    private readonly Dictionary<Label, int> _labelNumbers = [];

    /// <summary>The listing, slot by slot (-1: the prologue), or null when none was asked for.</summary>
    public List<(int Slot, List<string> Lines)>? Listing { get; } = listing ? [(-1, [])] : null;

    public int ILOffset => il.ILOffset;

    /// <summary>Starts the lines of eBPF slot <paramref name="slot"/> (or of a named tail part after the last slot).</summary>
    public void BeginSlot(int slot) => Listing?.Add((slot, []));

    public LocalBuilder DeclareLocal(Type type, string? name = null)
    {
        var local = il.DeclareLocal(type);
        if (Listing is not null) _localNames[local.LocalIndex] = name ?? $"V{local.LocalIndex}";
        return local;
    }

    public Label DefineLabel()
    {
        var label = il.DefineLabel();
        if (Listing is not null) _labelNumbers[label] = _labelNumbers.Count;
        return label;
    }

    public void MarkLabel(Label label)
    {
        il.MarkLabel(label);
        if (Listing is not null) Write($"L{Number(label)}:", indent: false);
    }

    public void Emit(OpCode op)
    {
        Write(op, "");
        il.Emit(op);
    }

    public void Emit(OpCode op, byte arg)
    {
        if (Listing is not null) Write(op, arg.ToString(CultureInfo.InvariantCulture));
        il.Emit(op, arg);
    }

    public void Emit(OpCode op, int arg)
    {
        if (Listing is not null) Write(op, arg.ToString(CultureInfo.InvariantCulture));
        il.Emit(op, arg);
    }

    public void Emit(OpCode op, long arg)
    {
        if (Listing is not null) Write(op, "0x" + arg.ToString("x", CultureInfo.InvariantCulture));
        il.Emit(op, arg);
    }

    public void Emit(OpCode op, string arg)
    {
        if (Listing is not null) Write(op, "\"" + arg + "\"");
        il.Emit(op, arg);
    }

    public void Emit(OpCode op, Label label)
    {
        if (Listing is not null) Write(op, "L" + Number(label));
        il.Emit(op, label);
    }

    public void Emit(OpCode op, Label[] labels)
    {
        if (Listing is not null) Write(op, "(" + string.Join(", ", labels.Select(l => "L" + Number(l))) + ")");
        il.Emit(op, labels);
    }

    public void Emit(OpCode op, LocalBuilder local)
    {
        Write(op, Listing is null ? "" : _localNames.GetValueOrDefault(local.LocalIndex, $"V{local.LocalIndex}"));
        il.Emit(op, local);
    }

    public void Emit(OpCode op, MethodInfo method)
    {
        Write(op, Listing is null ? "" : $"{method.DeclaringType?.Name}::{method.Name}");
        il.Emit(op, method);
    }

    public void Emit(OpCode op, ConstructorInfo constructor)
    {
        Write(op, Listing is null ? "" : $"{constructor.DeclaringType?.Name}::.ctor");
        il.Emit(op, constructor);
    }

    public void Emit(OpCode op, FieldInfo field)
    {
        Write(op, Listing is null ? "" : $"{field.DeclaringType?.Name}::{field.Name}");
        il.Emit(op, field);
    }

    public void Emit(OpCode op, Type type)
    {
        Write(op, Listing is null ? "" : type.Name);
        il.Emit(op, type);
    }

    /// <summary>A comment line in the listing (nothing is emitted).</summary>
    public void Comment(string text)
    {
        if (Listing is not null) Write("// " + text, indent: true);
    }

    private int Number(Label label) => _labelNumbers.GetValueOrDefault(label, -1);

    private void Write(OpCode op, string operand)
    {
        if (Listing is null) return; // no listing: nothing is formatted
        Write($"IL_{il.ILOffset:x4}: {op.Name}{(operand.Length == 0 ? "" : " " + operand)}", indent: true);
    }

    private void Write(string line, bool indent)
    {
        if (Listing is null) return;
        Listing[^1].Lines.Add(indent ? "  " + line : line);
    }
}
