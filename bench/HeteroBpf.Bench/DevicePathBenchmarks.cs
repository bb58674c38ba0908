using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using HeteroBpf.Asm;
using HeteroBpf.Devices;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;
using HeteroBpf.Isa;

namespace HeteroBpf.Bench;

/// <summary>
/// The cost of the public device path around the interpreter: examples/checksum (RFC 1071 over a 20-byte IPv4
/// header) through <c>DeviceRegistry.Get("host-interp").Load(...).Execute(memory)</c>, against the same program on
/// <see cref="BpfInterpreter.Run"/> with a memory map reused across runs.
/// </summary>
public unsafe class DevicePathBenchmarks
{
    private IDeviceProgram? _device;
    private BpfInterpreter? _interpreter;
    private readonly MemoryMap _map = new();
    private byte[] _header = [];
    private ulong _address;

    /// <summary>The example program, assembled.</summary>
    internal static Instruction[] ChecksumProgram() =>
        Assembler.Assemble(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "examples", "checksum", "checksum.s")), "checksum.s");

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

    /// <summary><c>IDeviceProgram.Execute</c> on host-interp.</summary>
    [Benchmark(Description = "checksum: host-interp Execute")]
    public ulong DeviceExecute() => _device!.Execute(_header).ReturnValue;
}
