using BenchmarkDotNet.Running;
using HeteroBpf.Bench;

// `--quick` is shorthand for BenchmarkDotNet's `--job short` (3 warm-ups, 3 iterations: minutes instead of tens).
string[] arguments = args.Contains("--quick") ? [.. args.Where(a => a != "--quick"), "--job", "short"] : args;
BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run(arguments, new BenchConfig());
