using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using HeteroBpf.Bench.Kernel;
using HeteroBpf.Helpers;
using HeteroBpf.Interpreter;

namespace HeteroBpf.Bench;

/// <summary>
/// The eBPF instructions one run of a benchmark's program executes, counted by the interpreter in the host process
/// (the programs are deterministic). Native and kernel rows do the same work, so they get the same count.
/// </summary>
internal static class InstructionCounts
{
    private static readonly Lazy<long> Empty = new(() => Run(RunOverheadBenchmarks.EmptyProgram()));
    private static readonly Lazy<long> Checksum = new(() => Run(RunOverheadBenchmarks.ChecksumProgram()));
    private static readonly Dictionary<Workload, Lazy<long>> PerWorkload =
        Enum.GetValues<Workload>().ToDictionary(w => w, w => new Lazy<long>(() => Workloads.ReferenceRun(w).Instructions));
    private static readonly Dictionary<XdpExample, Lazy<double>> PerPacket =
        Enum.GetValues<XdpExample>().ToDictionary(e => e, e => new Lazy<double>(() => XdpExamples.InstructionsPerPacket(e)));

    public static double? Of(BenchmarkCase benchmark)
    {
        if (ExampleOf(benchmark) is { } example) return PerPacket[example].Value;

        if (benchmark.Descriptor.Type == typeof(RunOverheadBenchmarks))
        {
            return benchmark.Descriptor.WorkloadMethod.Name == nameof(RunOverheadBenchmarks.EmptyRun)
                ? Empty.Value
                : Checksum.Value;
        }

        if (benchmark.Descriptor.Type == typeof(EngineBenchmarks) && WorkloadOf(benchmark) is { } workload)
        {
            return PerWorkload[workload].Value;
        }

        return null;
    }

    /// <summary>The XDP example of an <see cref="XdpBenchmarks"/> row.</summary>
    public static XdpExample? ExampleOf(BenchmarkCase benchmark) =>
        benchmark.Descriptor.Type == typeof(XdpBenchmarks)
            && benchmark.Parameters.Items.FirstOrDefault(p => p.Name == nameof(XdpBenchmarks.Example))?.Value is XdpExample e ? e : null;

    /// <summary>The kernel's own ns per run for the row's workload or example, if this run measured it.</summary>
    public static (double NsPerRun, long Runs)? KernelOf(BenchmarkCase benchmark) =>
        ExampleOf(benchmark) is { } example ? KernelDurations.Read(XdpExamples.Key(example))
        : WorkloadOf(benchmark) is { } workload ? KernelDurations.Read(workload)
        : null;

    /// <summary>True for the kernel rows (engine and XDP benchmarks).</summary>
    public static bool IsKernelRow(BenchmarkCase benchmark) =>
        benchmark.Descriptor.WorkloadMethod.Name is nameof(EngineBenchmarks.KernelJit) or nameof(XdpBenchmarks.InKernel);

    public static Workload? WorkloadOf(BenchmarkCase benchmark) =>
        benchmark.Parameters.Items.FirstOrDefault(p => p.Name == nameof(EngineBenchmarks.Workload))?.Value is Workload w ? w : null;

    public static double? MeanNs(Summary summary, BenchmarkCase benchmark) => summary[benchmark]?.ResultStatistics?.Mean;

    private static unsafe long Run(HeteroBpf.Isa.Instruction[] program)
    {
        byte[] input = RunOverheadBenchmarks.ChecksumInput();
        var map = new MemoryMap();
        map.Add(input, RegionKind.Packet);
        fixed (byte* p = input)
        {
            return new BpfInterpreter(program, HelperRegistry.Basic).Run(map, (ulong)p, (ulong)input.Length).InstructionCount;
        }
    }
}

/// <summary>Base of the columns here: numeric, shown after the statistics, never hidden.</summary>
internal abstract class BenchColumn(string id, string name, string legend) : IColumn
{
    public string Id => id;
    public string ColumnName => name;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => legend;

    public abstract string GetValue(Summary summary, BenchmarkCase benchmarkCase);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    protected static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}

internal sealed class InstructionsColumn() : BenchColumn("HbpfInsns", "Insns/run", "eBPF instructions one run executes (interpreter count; same work for native and kernel)")
{
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        InstructionCounts.Of(benchmarkCase) is { } n ? Format(n, "0.#") : "-";
}

internal sealed class NsPerInstructionColumn() : BenchColumn("HbpfNsPerInsn", "ns/insn", "Mean divided by Insns/run: ns per eBPF instruction (per equivalent instruction for native and kernel)")
{
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        InstructionCounts.Of(benchmarkCase) is { } n && InstructionCounts.MeanNs(summary, benchmarkCase) is { } mean
            ? Format(mean / n, "0.000")
            : "-";
}

/// <summary>
/// Mean over the kernel's self-reported ns per run for the same workload, taken during this run's kernel JIT benchmark
/// (BPF_PROG_TEST_RUN's duration averaged over all its runs; preemption and the syscall are not in it).
/// </summary>
internal sealed class VsKernelColumn() : BenchColumn("HbpfVsKernel", "vs kernel", "Mean / kernel ns/run of the same workload (same run)")
{
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (InstructionCounts.WorkloadOf(benchmarkCase) is null && InstructionCounts.ExampleOf(benchmarkCase) is null) return "-";
        if (InstructionCounts.KernelOf(benchmarkCase) is not { } kernel || kernel.NsPerRun <= 0) return "n/a (kernel unavailable)";
        return InstructionCounts.MeanNs(summary, benchmarkCase) is { } mean ? Format(mean / kernel.NsPerRun, "0.00") : "-";
    }
}

/// <summary>
/// For kernel rows: the kernel's own average ns per run, as BPF_PROG_TEST_RUN reported it over every run of the kernel
/// JIT benchmark in this run. It excludes the syscall (which Mean spreads over the repeat count) and time the task spent
/// preempted (which Mean includes), so on a loaded machine it is the cleaner number.
/// </summary>
internal sealed class KernelReportedColumn() : BenchColumn("HbpfKernelNs", "kernel ns/run", "Kernel-reported duration per run (BPF_PROG_TEST_RUN), averaged over the kernel row's runs")
{
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (!InstructionCounts.IsKernelRow(benchmarkCase)) return "-";
        return InstructionCounts.KernelOf(benchmarkCase) is { } kernel ? Format(kernel.NsPerRun, "0.0") : "n/a";
    }
}

/// <summary>XDP rows: packets per second at the row's Mean (ns per packet), i.e. 1e9 / Mean.</summary>
internal sealed class PacketsPerSecondColumn() : BenchColumn("HbpfPacketsPerSecond", "pkt/s", "Packets per second at Mean ns per packet (XDP rows; the kernel row's Mean includes one syscall per packet)")
{
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        InstructionCounts.ExampleOf(benchmarkCase) is not null && InstructionCounts.MeanNs(summary, benchmarkCase) is { } mean && mean > 0
            ? Format(1e9 / mean, "N0")
            : "-";
}
