using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;

namespace HeteroBpf.Bench;

/// <summary>Every benchmark's columns: allocation, eBPF instructions per run, ns per instruction, ratio to the kernel JIT, packets per second (XDP).</summary>
internal sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        Add(DefaultConfig.Instance);
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median, StatisticColumn.Min);
        AddColumn(new InstructionsColumn(), new NsPerInstructionColumn(), new VsKernelColumn(), new KernelReportedColumn(), new PacketsPerSecondColumn());
    }
}
