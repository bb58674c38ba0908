using System.Runtime.InteropServices;

namespace HeteroBpf.Bench.Native;

/// <summary>The native baseline (../native/workloads.c, clang-19 -O2), called through unmanaged function pointers without a GC transition.</summary>
internal static unsafe class NativeWorkloads
{
    private const string LibraryName = "libhbpfbench.so";

    /// <summary>Loads the library next to the benchmark assembly and returns the entry of <paramref name="workload"/>.</summary>
    /// <exception cref="InvalidOperationException">The library is missing (clang-19 was not there at build time).</exception>
    public static delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, uint> Get(Workload workload)
    {
        string path = Path.Combine(AppContext.BaseDirectory, LibraryName);
        if (!NativeLibrary.TryLoad(path, out nint library))
        {
            throw new InvalidOperationException($"native baseline {path} is missing: build needs clang-19 (bench/native/build.sh)");
        }

        string symbol = workload switch
        {
            Workload.Compute => "hbpf_bench_compute",
            Workload.Parse => "hbpf_bench_parse",
            Workload.Sieve => "hbpf_bench_sieve",
            Workload.Checksum => "hbpf_bench_checksum",
            Workload.HashMix => "hbpf_bench_hashmix",
            Workload.Tlv => "hbpf_bench_tlv",
            _ => throw new ArgumentOutOfRangeException(nameof(workload)),
        };
        return (delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, uint>)NativeLibrary.GetExport(library, symbol);
    }
}
