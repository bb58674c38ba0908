using System.Buffers.Binary;
using System.Runtime.InteropServices;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;
using HeteroBpf.Jit.Cil;

namespace HeteroBpf.Bench;

/// <summary>The two workloads of ../programs/workloads.h.</summary>
public enum Workload
{
    /// <summary>256 rounds of xorshift64 + multiply + rotate, in registers.</summary>
    Compute,
    /// <summary>Ethernet, IPv4, TCP header and a walk over 40 bytes of TCP options, giving an XDP verdict.</summary>
    Parse,
    /// <summary>Sieve of Eratosthenes over 1,024 packet bytes (the packet is the array), primes counted and summed.</summary>
    Sieve,
    /// <summary>The Internet checksum of a 1,500-byte packet (750 16-bit words).</summary>
    Checksum,
    /// <summary>512 rounds of a 64-bit hash mix over eight u64 lanes of the packet.</summary>
    HashMix,
    /// <summary>A switch-heavy parser: 64 type-length-value records, 10 record types.</summary>
    Tlv,
}

/// <summary>Bytecode, input packets and reference results of the workloads, shared by every engine.</summary>
internal static class Workloads
{
    /// <summary>Where the committed bytecode is copied next to the benchmark assembly.</summary>
    public static string ProgramPath(Workload workload, string section) =>
        Path.Combine(AppContext.BaseDirectory, "programs", $"{Name(workload)}.{section}.bin");

    /// <summary>The file stem of a workload's programs (compute, parse).</summary>
    public static string Name(Workload workload) => workload.ToString().ToLowerInvariant();

    /// <summary>Bytecode of the entry the interpreter runs (<c>raw</c>: context = { u64 data; u64 data_end; }).</summary>
    public static Instruction[] RawProgram(Workload workload) => InstructionDecoder.Decode(File.ReadAllBytes(ProgramPath(workload, "raw")));

    /// <summary>Bytecode of the entry the kernel runs (<c>xdp</c>: context = struct xdp_md).</summary>
    public static byte[] XdpBytecode(Workload workload) => File.ReadAllBytes(ProgramPath(workload, "xdp"));

    /// <summary>The packet a workload runs on.</summary>
    public static byte[] Packet(Workload workload) => workload switch
    {
        Workload.Compute => ComputePacket(),
        Workload.Parse => TcpPacketWithOptions(),
        Workload.Sieve or Workload.Checksum or Workload.HashMix or Workload.Tlv => KernelPacket(),
        _ => throw new ArgumentOutOfRangeException(nameof(workload)),
    };

    /// <summary>The value every engine must return (checked in each setup before timing), worked out independently of them.</summary>
    public static uint Expected(Workload workload) => workload switch
    {
        // The same 256 rounds computed in Python from the seed 0x0123456789abcdef.
        Workload.Compute => 0xe198_311d,
        // PASS, 9 options seen, window scale 7, 2 SACK blocks, timestamps present.
        Workload.Parse => 2u | (9u << 8) | (7u << 16) | (2u << 24) | (1u << 28),
        // These four from bench/programs/expected.py, a Python model of workloads.h on the same packet.
        Workload.Sieve => 0x0139_3dac, // 172 primes below 1024, summing to 78,812
        Workload.Checksum => 0xa34c,
        Workload.HashMix => 0x60e6_e3f2,
        Workload.Tlv => 0xd106_6b7b,
        _ => throw new ArgumentOutOfRangeException(nameof(workload)),
    };

    /// <summary>R0 and executed instructions of one interpreter run.</summary>
    public static (uint Retval, long Instructions) ReferenceRun(Workload workload)
    {
        using var run = new InterpretedWorkload(RawProgram(workload), Packet(workload));
        var result = run.Run();
        return ((uint)result.ReturnValue, result.InstructionCount);
    }

    // 1,500 bytes: type-length-value records (type 0–9, length 0–11) while 36 bytes remain, then noise; from a 32-bit
    // LCG (the C library's constants), the same in expected.py.
    private static byte[] KernelPacket()
    {
        var p = new byte[1500];
        uint x = 0x1234567;
        uint Next()
        {
            x = (x * 1103515245) + 12345;
            return x >> 16;
        }

        int off = 0;
        while (off + 36 <= p.Length)
        {
            uint len = Next() % 12;
            p[off] = (byte)(Next() % 10);
            p[off + 1] = (byte)len;
            for (int k = 0; k < len; k++) p[off + 2 + k] = (byte)Next();
            off += 2 + (int)len;
        }

        for (int i = off; i < p.Length; i++) p[i] = (byte)Next();
        return p;
    }

    // 64 bytes; the first 8 seed the generator.
    private static byte[] ComputePacket()
    {
        var p = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(p, 0x0123_4567_89ab_cdef);
        for (int i = 8; i < p.Length; i++) p[i] = (byte)i;
        return p;
    }

    // Ethernet + IPv4 (IHL 5, DF) + TCP ACK with 40 bytes of options, as a Linux peer sends them with SACK:
    // MSS, NOP, WS, NOP, NOP, TS, NOP, NOP, SACK (2 blocks).
    private static byte[] TcpPacketWithOptions()
    {
        byte[] options =
        [
            2, 4, 0x05, 0xb4,
            1,
            3, 3, 7,
            1, 1,
            8, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0,
            1, 1,
            5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
        ];
        var p = new byte[14 + 20 + 20 + options.Length];
        var eth = p.AsSpan(0, 14);
        eth[..6].Fill(0x02);
        eth[6..12].Fill(0x04);
        BinaryPrimitives.WriteUInt16BigEndian(eth[12..], 0x0800);
        var ip = p.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(p.Length - 14));
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000);
        ip[8] = 64;
        ip[9] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], 0x0a00_0001);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], 0x0a00_0002);
        var tcp = p.AsSpan(34, 20);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 443);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 51000);
        tcp[12] = (byte)((20 + options.Length) / 4 << 4);
        tcp[13] = 0x10;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 502);
        options.CopyTo(p.AsSpan(54));
        return p;
    }
}

/// <summary>
/// One workload ready to run on <see cref="BpfInterpreter"/>: the packet and a 16-byte context { data, data_end } in
/// native memory, and one <see cref="MemoryMap"/> reused by every run (context read-only, packet writable).
/// </summary>
internal sealed unsafe class InterpretedWorkload : IDisposable
{
    private readonly BpfInterpreter _interpreter;
    private readonly CilProgram? _compiled;
    private readonly MemoryMap _map = new();
    private byte* _packet;
    private ulong* _context;

    /// <summary>
    /// The workload on the interpreter, or with <paramref name="jit"/> on the CIL JIT (same memory, same checks), with
    /// <paramref name="proven"/> every memory access compiled unchecked: the kernel's verifier proved them all for the
    /// xdp twin of the program (loaded by the kernel rows), which differs only in its two in-bounds context loads.
    /// </summary>
    public InterpretedWorkload(Instruction[] program, ReadOnlySpan<byte> packet, bool jit = false, bool proven = false)
    {
        if (!InstructionDecoder.TryValidate(program, out var error)) throw error.ToException();
        _interpreter = new BpfInterpreter(program, HelperRegistry.Basic);
        if (jit) _compiled = CilCompiler.Compile(program, HelperRegistry.Basic, new CilCompilerOptions { ProvenSafe = proven ? EveryAccess(program) : null, Counting = proven ? CilCounting.None : CilCounting.Budget });
        _packet = (byte*)NativeMemory.Alloc((nuint)packet.Length);
        packet.CopyTo(new Span<byte>(_packet, packet.Length));
        _context = (ulong*)NativeMemory.Alloc(16);
        _context[0] = (ulong)_packet;
        _context[1] = (ulong)_packet + (ulong)packet.Length;
        _map.Add(new MemoryRegion((ulong)_context, 16, RegionKind.Context, false));
        _map.Add(new MemoryRegion((ulong)_packet, (ulong)packet.Length, RegionKind.Packet, true));
    }

    private static bool[] EveryAccess(Instruction[] program)
    {
        var proven = new bool[program.Length];
        for (int pc = 0; pc < program.Length; pc += program[pc].Width)
        {
            proven[pc] = InstructionForms.Of(program[pc].OpCode).Kind is InstructionKind.Load or InstructionKind.LoadSx or InstructionKind.StoreImm or InstructionKind.StoreReg or InstructionKind.Atomic;
        }

        return proven;
    }

    public ExecutionResult Run() => _compiled is { } compiled ? compiled.Run(_map, (ulong)_context) : _interpreter.Run(_map, (ulong)_context);

    public void Dispose()
    {
        NativeMemory.Free(_packet);
        NativeMemory.Free(_context);
        _packet = null;
        _context = null;
    }
}
