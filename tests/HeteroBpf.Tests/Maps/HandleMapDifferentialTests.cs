using System.Buffers.Binary;
using System.Text;
using HeteroBpf.Isa;
using HeteroBpf.KernelOracle;
using HeteroBpf.Maps;

namespace HeteroBpf.Tests.Maps;

/// <summary>
/// Prog arrays and maps of maps against the kernel's. The kernel is given real program and map fds and reports ids;
/// ours stores the handles it is given (the fds themselves). Errnos and walks must agree, and the values must
/// correspond one to one: the same slot always holds, on both sides, the same program or map.
/// </summary>
public sealed class HandleMapDifferentialTests
{
    public static TheoryData<string, MapType, uint, MapFlags, int> Cases() => new()
    {
        { "prog-array", MapType.ProgArray, 6, MapFlags.None, 31 },
        { "array-of-maps", MapType.ArrayOfMaps, 5, MapFlags.None, 32 },
        { "hash-of-maps", MapType.HashOfMaps, 5, MapFlags.ZeroSeed, 33 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void SameErrnosAndSameReferentsAsTheKernel(string name, MapType type, uint maxEntries, MapFlags flags, int seed)
    {
        if (KernelBpf.UnavailableReason is { } unavailable) Assert.Skip(unavailable);
        var inner = new MapSpec { Name = "inner", Type = MapType.Array, KeySize = 4, ValueSize = 4, MaxEntries = 1 };
        var spec = new MapSpec { Name = name, Type = type, KeySize = 4, ValueSize = 4, MaxEntries = maxEntries, Flags = flags, InnerMap = type == MapType.ProgArray ? null : inner };
        var referents = new List<int>();
        int fd = -1;
        try
        {
            for (int i = 0; i < 4; i++) referents.Add(type == MapType.ProgArray ? LoadTrivialProgram() : CreateInnerMap());
            fd = KernelBpf.CreateMap((uint)type, 4, 4, maxEntries, (uint)flags, out Errno error, type == MapType.ProgArray ? 0 : referents[0]);
            Assert.True(fd >= 0, $"the kernel refuses {spec}: {error}");
            using var ours = BpfMap.Create(spec);
            Run(ours, fd, referents, maxEntries, type, new Random(seed));
        }
        finally
        {
            if (fd >= 0) KernelBpf.Close(fd);
            foreach (int r in referents) KernelBpf.Close(r);
        }
    }

    private static void Run(BpfMap ours, int fd, List<int> referents, uint maxEntries, MapType type, Random random)
    {
        var log = new StringBuilder();
        // Our handle (an fd) ↔ the kernel's id for it, learned on first sight and then required to stay the same.
        var idOf = new Dictionary<int, int>();
        var handleOf = new Dictionary<int, int>();
        ulong[] flagChoices = [0, 0, 0, 0, 1, 2, 3];
        var value = new byte[4];
        var kernelValue = new byte[4];
        var next = new byte[4];
        var kernelNext = new byte[4];
        bool sawUpdate = false, sawLookup = false;

        for (int op = 0; op < 400; op++)
        {
            var key = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(key, (uint)random.Next((int)maxEntries + 3));
            string k = Convert.ToHexString(key);
            switch (random.Next(4))
            {
                case 0:
                {
                    ulong f = flagChoices[random.Next(flagChoices.Length)];
                    BinaryPrimitives.WriteInt32LittleEndian(value, referents[random.Next(referents.Count)]);
                    log.AppendLine($"{op}: update {k} flags {f}");
                    Errno e = Same(log, ours.Update(key, value, (UpdateFlags)f), KernelBpf.Update(fd, key, value, f));
                    sawUpdate |= e == Errno.Ok;
                    break;
                }
                case 1:
                {
                    log.AppendLine($"{op}: lookup {k}");
                    if (Same(log, ours.Lookup(key, value), KernelBpf.Lookup(fd, key, kernelValue)) != Errno.Ok) break;
                    sawLookup = true;
                    Correspond(log, idOf, handleOf, BinaryPrimitives.ReadInt32LittleEndian(value), BinaryPrimitives.ReadInt32LittleEndian(kernelValue));
                    unsafe
                    {
                        fixed (byte* p = key) Assert.Equal(BinaryPrimitives.ReadInt32LittleEndian(value), ours.HandleAt(p));
                    }

                    break;
                }
                case 2:
                    log.AppendLine($"{op}: delete {k}");
                    Same(log, ours.Delete(key), KernelBpf.Delete(fd, key));
                    break;
                default:
                {
                    byte[] from = random.Next(4) == 0 ? [] : key;
                    log.AppendLine($"{op}: get_next_key {(from.Length == 0 ? "null" : k)}");
                    if (Same(log, ours.GetNextKey(from, next), KernelBpf.GetNextKey(fd, from, kernelNext)) == Errno.Ok)
                        Assert.True(next.AsSpan().SequenceEqual(kernelNext), $"{log}next keys differ: ours {Convert.ToHexString(next)}, kernel {Convert.ToHexString(kernelNext)}");
                    break;
                }
            }
        }

        Assert.True(sawUpdate && sawLookup, $"the operations never stored and read a handle:\n{log}");
    }

    private static void Correspond(StringBuilder log, Dictionary<int, int> idOf, Dictionary<int, int> handleOf, int handle, int id)
    {
        if (!idOf.TryGetValue(handle, out int knownId)) idOf[handle] = knownId = id;
        if (!handleOf.TryGetValue(id, out int knownHandle)) handleOf[id] = knownHandle = handle;
        Assert.True(knownId == id && knownHandle == handle, $"{log}slot holds handle {handle} here but kernel id {id} (seen before as {knownId} / {knownHandle})");
    }

    private static Errno Same(StringBuilder log, Errno ours, Errno kernel)
    {
        Assert.True(ours == kernel, $"{log}errnos differ: ours {ours}, kernel {kernel}");
        return ours;
    }

    private static int LoadTrivialProgram()
    {
        // r0 = 0; exit
        Instruction[] program = [new((byte)OpClass.Alu64 | (byte)AluOp.Mov, Register.R0, Register.R0, 0, 0), new(Opcodes.Exit, Register.R0, Register.R0, 0, 0)];
        int fd = KernelBpf.Load(program, KernelBpf.SocketFilter, out string refusal);
        Assert.True(fd >= 0, refusal);
        return fd;
    }

    private static int CreateInnerMap()
    {
        int fd = KernelBpf.CreateMap((uint)MapType.Array, 4, 4, 1, 0, out Errno error);
        Assert.True(fd >= 0, $"inner map: {error}");
        return fd;
    }
}
