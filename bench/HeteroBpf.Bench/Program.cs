using BenchmarkDotNet.Running;
using HeteroBpf.Bench;

// `--verifier-table`: our verifier beside the kernel's on every committed program, a plain measured table (VerifierTable).
if (args.Contains("--verifier-table")) return VerifierTable.Run(args);

// `--quick` is shorthand for BenchmarkDotNet's `--job short` (3 warm-ups, 3 iterations: minutes instead of tens).
string[] arguments = args.Contains("--quick") ? [.. args.Where(a => a != "--quick"), "--job", "short"] : args;
BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run(arguments, new BenchConfig());
return 0;
