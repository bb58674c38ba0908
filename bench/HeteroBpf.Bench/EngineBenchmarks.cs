using BenchmarkDotNet.Attributes;
using System.Runtime.InteropServices;
using HeteroBpf.Bench.Kernel;
using HeteroBpf.Bench.Native;
using HeteroBpf.Isa;
using HeteroBpf.KernelOracle;

namespace HeteroBpf.Bench;

/// <summary>
/// One workload on five engines in one run: native C (clang-19 -O2, the baseline of the Ratio column), the HeteroBpf
/// interpreter, the CIL JIT (checked, and with every access proven), and the kernel (XDP program, JIT-compiled, run with BPF_PROG_TEST_RUN repeat). Each setup first checks
/// that its engine returns the workload's expected value on its packet.
/// </summary>
public unsafe class EngineBenchmarks
{
    /// <summary>
    /// Kernel runs per BPF_PROG_TEST_RUN call. Each call has a fixed cost outside the kernel's timer (copying the packet
    /// in, and for repeat &gt; 1 switching the XDP dispatcher to the program and back, RCU waits included: about 0.5 ms
    /// here); Mean spreads it over this many runs.
    /// </summary>
    public const int KernelRepeat = 100_000;

    private InterpretedWorkload? _interpreted;
    private delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, uint> _native;
    private byte* _packet;
    private byte* _packetEnd;
    private int _kernelFd = -1;
    private byte[] _kernelPacket = [];
    private long _kernelNs;
    private long _kernelRuns;

    [ParamsAllValues]
    public Workload Workload { get; set; }

    [GlobalSetup(Target = nameof(NativeC))]
    public void SetupNative()
    {
        byte[] packet = Workloads.Packet(Workload);
        _packet = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)packet.Length);
        packet.CopyTo(new Span<byte>(_packet, packet.Length));
        _packetEnd = _packet + packet.Length;
        _native = NativeWorkloads.Get(Workload);
        Check("native C", NativeC());
    }

    [GlobalSetup(Target = nameof(Interpreter))]
    public void SetupInterpreter()
    {
        _interpreted = new InterpretedWorkload(Workloads.RawProgram(Workload), Workloads.Packet(Workload));
        var result = _interpreted.Run();
        Check("interpreter", (uint)result.ReturnValue);
        Console.WriteLine($"// {Workload}: interpreter executes {result.InstructionCount} eBPF instructions per run");
    }

    [GlobalSetup(Target = nameof(CilJit))]
    public void SetupCil()
    {
        _interpreted = new InterpretedWorkload(Workloads.RawProgram(Workload), Workloads.Packet(Workload), jit: true);
        var result = _interpreted.Run();
        Check("CIL JIT", (uint)result.ReturnValue);
    }

    [GlobalSetup(Target = nameof(CilJitProven))]
    public void SetupCilProven()
    {
        _interpreted = new InterpretedWorkload(Workloads.RawProgram(Workload), Workloads.Packet(Workload), jit: true, proven: true);
        var result = _interpreted.Run();
        Check("CIL JIT (proven)", (uint)result.ReturnValue);
    }

    [GlobalSetup(Target = nameof(KernelJit))]
    public void SetupKernel()
    {
        _kernelPacket = Workloads.Packet(Workload);
        // Throws with the errno (and verifier reason) if bpf() is refused: BenchmarkDotNet then shows the row as NA.
        byte[] bytecode = Workloads.XdpBytecode(Workload);
        var load = new KernelProgramLoad
        {
            Type = ProgramType.Xdp,
            Instructions = MemoryMarshal.Cast<byte, Instruction>(bytecode).ToArray(),
            Name = $"hbpf_{Workloads.Name(Workload)}",
        };
        _kernelFd = KernelBpf.Load(load, out string refusal, out _);
        if (_kernelFd < 0) throw new InvalidOperationException($"BPF_PROG_LOAD of {load.Name} failed: {refusal}");
        var run = RunInKernel(100_000);
        Check("kernel JIT", run.Retval);
        Console.WriteLine($"// {Workload}: kernel reports {run.DurationNs} ns per run (BPF_PROG_TEST_RUN, repeat 100000)");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_kernelRuns > 0) KernelDurations.Write(Workload, (double)_kernelNs / _kernelRuns, _kernelRuns);
        _interpreted?.Dispose();
        if (_kernelFd >= 0) KernelBpf.Close(_kernelFd);
        _kernelFd = -1;
        if (_packet != null) System.Runtime.InteropServices.NativeMemory.Free(_packet);
        _packet = null;
    }

    /// <summary>The workload compiled natively, one call through an unmanaged function pointer.</summary>
    [Benchmark(Baseline = true, Description = "native C")]
    public uint NativeC() => _native(_packet, _packetEnd);

    /// <summary>The workload's raw entry on <c>BpfInterpreter</c> (a reused memory map; one run per call).</summary>
    [Benchmark(Description = "interpreter")]
    public ulong Interpreter() => _interpreted!.Run().ReturnValue;

    /// <summary>The raw entry on the CIL JIT, every access checked against the memory map.</summary>
    [Benchmark(Description = "CIL JIT (checked)")]
    public ulong CilJit() => _interpreted!.Run().ReturnValue;

    /// <summary>The raw entry on the CIL JIT, every access unchecked as a verifier's facts allow (see <see cref="InterpretedWorkload"/>).</summary>
    [Benchmark(Description = "CIL JIT (proven)")]
    public ulong CilJitProven() => _interpreted!.Run().ReturnValue;

    /// <summary>The workload's XDP entry in the kernel: wall time of one BPF_PROG_TEST_RUN of <see cref="KernelRepeat"/> runs, per run.</summary>
    [Benchmark(OperationsPerInvoke = KernelRepeat, Description = "kernel JIT")]
    public uint KernelJit()
    {
        var run = RunInKernel(KernelRepeat);
        _kernelNs += (long)run.DurationNs * KernelRepeat;
        _kernelRuns += KernelRepeat;
        return run.Retval;
    }

    /// <summary>One BPF_PROG_TEST_RUN of <paramref name="repeat"/> runs on the workload's packet; throws when the kernel refuses it.</summary>
    private KernelTestRunResult RunInKernel(uint repeat)
    {
        var run = KernelBpf.TestRun(_kernelFd, new KernelTestRun { DataIn = _kernelPacket, Repeat = repeat });
        if (run.Errno != Errno.Ok) ThrowTestRun(run.Errno);
        return run;
    }

    private static void ThrowTestRun(Errno errno) =>
        throw new InvalidOperationException($"BPF_PROG_TEST_RUN failed: {KernelBpf.Describe(errno)}");

    private void Check(string engine, uint actual)
    {
        uint expected = Workloads.Expected(Workload);
        if (actual != expected)
        {
            throw new InvalidOperationException($"{engine} returns 0x{actual:x} on {Workload}, expected 0x{expected:x}");
        }
    }
}
