using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using HeteroBpf.Asm;
using HeteroBpf.Devices;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;

namespace HeteroBpf.Bench;

/// <summary>
/// What a run costs around the instructions: examples/checksum (RFC 1071 over a 20-byte IPv4 header) through the public
/// device path, <c>DeviceRegistry.Get("host-interp").Load(...).Execute(memory)</c>, against the same program on
/// <see cref="BpfInterpreter.Run"/> with a memory map reused across runs; and a two-instruction program, whose time is
/// almost all the interpreter's fixed cost per run.
/// </summary>
public unsafe class RunOverheadBenchmarks
{
    private IDeviceProgram? _device;
    private BpfInterpreter? _interpreter;
    private BpfInterpreter? _empty;
    private readonly MemoryMap _map = new();
    private byte[] _header = [];
    private ulong _address;

    /// <summary>The example program, assembled.</summary>
    internal static Instruction[] ChecksumProgram() =>
        Assembler.Assemble(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "examples", "checksum", "checksum.s")), "checksum.s");

    /// <summary><c>r0 = 0; exit</c>.</summary>
    internal static Instruction[] EmptyProgram() => Assembler.Assemble("r0 = 0\nexit\n", "empty.s");

    /// <summary>The example's input, in the pinned heap.</summary>
    internal static byte[] ChecksumInput()
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "examples", "checksum", "ipv4-header.bin"));
        byte[] pinned = GC.AllocateArray<byte>(bytes.Length, pinned: true);
        bytes.CopyTo(pinned, 0);
        return pinned;
    }

    [GlobalSetup]
    public void Setup()
    {
        var program = ChecksumProgram();
        _header = ChecksumInput();
        _device = DeviceRegistry.Get("host-interp").Load(program);
        _interpreter = new BpfInterpreter(program, HelperRegistry.Basic);
        _empty = new BpfInterpreter(EmptyProgram(), HelperRegistry.Basic);
        _address = (ulong)Marshal.UnsafeAddrOfPinnedArrayElement(_header, 0);
        _map.Add(_header, RegionKind.Packet);
        ulong viaDevice = _device.Execute(_header).ReturnValue, direct = DirectRun();
        if (viaDevice != direct) throw new InvalidOperationException($"device gives 0x{viaDevice:x}, interpreter 0x{direct:x}");
    }

    [GlobalCleanup]
    public void Cleanup() => _device?.Dispose();

    /// <summary><c>BpfInterpreter.Run</c> with one memory map for every run.</summary>
    [Benchmark(Baseline = true, Description = "checksum: BpfInterpreter.Run")]
    public ulong DirectRun() => _interpreter!.Run(_map, _address, (ulong)_header.Length).ReturnValue;

    /// <summary><c>r0 = 0; exit</c> on <c>BpfInterpreter.Run</c>: the fixed cost of a run.</summary>
    [Benchmark(Description = "empty: BpfInterpreter.Run")]
    public ulong EmptyRun() => _empty!.Run(_map, _address, (ulong)_header.Length).ReturnValue;

    /// <summary><c>IDeviceProgram.Execute</c> on host-interp.</summary>
    [Benchmark(Description = "checksum: host-interp Execute")]
    public ulong DeviceExecute() => _device!.Execute(_header).ReturnValue;
}
