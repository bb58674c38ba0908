using HeteroBpf.Elf;
using HeteroBpf.Isa;
using HeteroBpf.Tests.Kernel;

namespace HeteroBpf.Tests.Offload;

/// <summary>
/// The same object loaded into the kernel without libbpf: a kernel map per <see cref="ObjectFile.Maps"/> entry with its
/// initial contents, and a program's linked instructions with each map <c>lddw</c>'s index replaced by that map's fd.
/// </summary>
internal sealed class KernelCollection : IDisposable
{
    private readonly List<int> _fds = [];

    public KernelCollection(ObjectFile obj)
    {
        Object = obj;
        foreach (var spec in obj.Maps)
        {
            int fd = KernelBpf.CreateMap((uint)spec.Type, spec.KeySize, spec.ValueSize, spec.MaxEntries, (uint)spec.Flags, out var error);
            if (fd < 0) throw new InvalidOperationException($"kernel refused map '{spec.Name}': {error}");
            _fds.Add(fd);
            foreach (var entry in spec.Contents)
            {
                var errno = KernelBpf.Update(fd, entry.Key.AsSpan(), entry.Value.AsSpan(), 0);
                if (errno != Errno.Ok) throw new InvalidOperationException($"kernel refused an initial entry of '{spec.Name}': {errno}");
            }

            // As libbpf does for .rodata: frozen, so that the verifier trusts its contents (constant format strings).
            if (spec.Flags.HasFlag(MapFlags.ReadOnlyProg) && KernelBpf.Freeze(fd) is var frozen && frozen != Errno.Ok)
            {
                throw new InvalidOperationException($"kernel refused to freeze '{spec.Name}': {frozen}");
            }
        }
    }

    public ObjectFile Object { get; }

    /// <summary>The fd of map <paramref name="name"/>.</summary>
    public int Map(string name) => _fds[Object.Maps.Select(m => m.Name).ToList().IndexOf(name)];

    /// <summary>Loads program <paramref name="name"/> as <paramref name="type"/>; gives its fd, or -1 and the refusal.</summary>
    public int LoadProgram(string name, uint type, out string refusal)
    {
        var insns = Object.Programs.Single(p => p.Name == name).Instructions.ToArray();
        for (int pc = 0; pc < insns.Length; pc += insns[pc].Width)
        {
            var insn = insns[pc];
            if (insn.IsWide && (LoadImmKind)insn.SrcNumber is LoadImmKind.MapByFd or LoadImmKind.MapValueByFd)
            {
                insns[pc] = new Instruction(insn.OpCode, insn.DstNumber, insn.SrcNumber, insn.Offset, _fds[insn.Imm]);
            }
        }

        int fd = KernelBpf.Load(insns, type, out refusal);
        if (fd >= 0) _fds.Add(fd);
        return fd;
    }

    /// <summary>Loads program <paramref name="name"/> as <paramref name="type"/>, or skips the test with the kernel's refusal.</summary>
    public int LoadProgramOrSkip(string name, uint type)
    {
        int fd = LoadProgram(name, type, out string refusal);
        if (fd < 0) Assert.Skip($"kernel refused {name}: {refusal}");
        return fd;
    }

    public void Dispose()
    {
        foreach (int fd in _fds) KernelBpf.Close(fd);
    }
}
