using System.Collections.Concurrent;
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
    private static readonly ConcurrentDictionary<string, long> Cache = new();

    public static long? Of(BenchmarkCase benchmark)
    {
        if (benchmark.Descriptor.Type == typeof(DevicePathBenchmarks)) return Cache.GetOrAdd("checksum", _ => Checksum());
        if (benchmark.Descriptor.Type == typeof(EngineBenchmarks) && WorkloadOf(benchmark) is { } workload)
        {
            return Cache.GetOrAdd(workload.ToString(), _ => Workloads.ReferenceRun(workload).Instructions);
        }

        return null;
    }

    public static Workload? WorkloadOf(BenchmarkCase benchmark) =>
        benchmark.Parameters.Items.FirstOrDefault(p => p.Name == nameof(EngineBenchmarks.Workload))?.Value is Workload w ? w : null;

    public static double? MeanNs(Summary summary, BenchmarkCase benchmark) => summary[benchmark]?.ResultStatistics?.Mean;

    private static unsafe long Checksum()
    {
        byte[] input = DevicePathBenchmarks.ChecksumInput();
        var map = new MemoryMap();
        map.Add(input, RegionKind.Packet);
        fixed (byte* p = input)
        {
            return new BpfInterpreter(DevicePathBenchmarks.ChecksumProgram(), HelperRegistry.Basic).Run(map, (ulong)p, (ulong)input.Length).InstructionCount;
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
        InstructionCounts.Of(benchmarkCase) is { } n ? n.ToString(CultureInfo.InvariantCulture) : "-";
}

internal sealed class NsPerInstructionColumn() : BenchColumn("HbpfNsPerInsn", "ns/insn", "Mean divided by Insns/run: ns per eBPF instruction (per equivalent instruction for native and kernel)")
{
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        InstructionCounts.Of(benchmarkCase) is { } n && InstructionCounts.MeanNs(summary, benchmarkCase) is { } mean
            ? Format(mean / n, "0.000")
            : "-";
}

/// <summary>Mean over the kernel JIT row's mean for the same workload, from the same run.</summary>
internal sealed class VsKernelColumn() : BenchColumn("HbpfVsKernel", "vs kernel", "Mean / mean of the kernel JIT row of the same workload (same run)")
{
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (InstructionCounts.WorkloadOf(benchmarkCase) is not { } workload) return "-";
        var kernel = summary.BenchmarksCases.FirstOrDefault(b =>
            b.Descriptor.WorkloadMethod.Name == nameof(EngineBenchmarks.KernelJit) && InstructionCounts.WorkloadOf(b) == workload);
        if (kernel is null || InstructionCounts.MeanNs(summary, kernel) is not { } kernelMean || kernelMean <= 0) return "n/a (kernel unavailable)";
        return InstructionCounts.MeanNs(summary, benchmarkCase) is { } mean ? Format(mean / kernelMean, "0.00") : "-";
    }
}

/// <summary>
/// For kernel rows: the kernel's own average ns per run (BPF_PROG_TEST_RUN duration, repeat 100000), taken in the host
/// process when the summary is printed. It excludes the syscall, which the Mean column spreads over the repeat count.
/// </summary>
internal sealed class KernelReportedColumn() : BenchColumn("HbpfKernelNs", "kernel ns/run", "Kernel-reported duration per run (BPF_PROG_TEST_RUN, repeat 100000), kernel rows only")
{
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (benchmarkCase.Descriptor.WorkloadMethod.Name != nameof(EngineBenchmarks.KernelJit)) return "-";
        if (InstructionCounts.WorkloadOf(benchmarkCase) is not { } workload) return "-";
        using var program = KernelProgram.TryLoadXdp(Workloads.XdpBytecode(workload), $"hbpf_{Workloads.Name(workload)}");
        if (program is null) return $"n/a: {KernelProgram.Unavailable}";
        return program.TestRun(Workloads.Packet(workload), 100_000).DurationNs.ToString(CultureInfo.InvariantCulture);
    }
}
