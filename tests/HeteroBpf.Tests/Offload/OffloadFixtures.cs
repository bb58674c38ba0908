using System.Buffers.Binary;
using HeteroBpf.Asm;

namespace HeteroBpf.Tests.Offload;

/// <summary>Small XDP programs and map specs for the offload tests (the roles of the kernel selftest's sample programs).</summary>
internal static class OffloadFixtures
{
    public const string Pass = "r0 = 2\nexit";

    // The packet length from the UAPI xdp_md: data at 0, data_end at 4 (32-bit fields, no host rewrite on a device).
    public const string PacketLength = "r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr0 = r3\nr0 -= r2\nexit";

    public const string IngressIfindex = "r0 = *(u32 *)(r1 + 12)\nexit";

    // Adds 1 to the u64 value of key 0 of map 0 (an array), atomically; passes the packet.
    public const string Counter = """
        r1 = 0
        *(u32 *)(r10 - 4) = r1
        r2 = r10
        r2 += -4
        ld_pseudo r1, 1, 0
        call 1
        if r0 == 0 goto out
        r1 = 1
        lock *(u64 *)(r0 + 0) += r1
        out:
        r0 = 2
        exit
        """;

    // Calls bpf_trace_printk, which the sim does not offer.
    public const string Printk = "r1 = r10\nr1 += -8\nr2 = 8\nr0 = 0\n*(u64 *)(r10 - 8) = r0\ncall 6\nr0 = 2\nexit";

    public static ProgramSpec XdpProgram(string asm, string name = "prog") =>
        new() { Name = name, SectionName = "xdp", Type = ProgramType.Xdp, Instructions = [.. Assembler.Assemble(asm)] };

    public static MapSpec Array(string name = "counters", uint valueSize = 8, uint entries = 4) =>
        new() { Name = name, Type = MapType.Array, KeySize = 4, ValueSize = valueSize, MaxEntries = entries };

    public static MapSpec Hash(string name = "table", uint entries = 4) =>
        new() { Name = name, Type = MapType.Hash, KeySize = 4, ValueSize = 8, MaxEntries = entries };

    public static byte[] Key(uint key)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, key);
        return bytes;
    }

    public static byte[] Value(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    public static byte[] Packet(int length = 60) => Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
}
