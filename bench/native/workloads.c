/* Native baseline: the benchmark workloads of ../programs/workloads.h compiled for the host with clang-19 -O2 (the
 * limit an eBPF engine can approach), exported for P/Invoke. noinline keeps each call one full run of the workload. */
#include "../programs/workloads.h"

#define EXPORT __attribute__((visibility("default"), noinline))

EXPORT __u32 hbpf_bench_compute(const __u8 *data, const __u8 *data_end)
{
	return workload_compute(data, data_end);
}

EXPORT __u32 hbpf_bench_parse(const __u8 *data, const __u8 *data_end)
{
	return workload_parse(data, data_end);
}

EXPORT __u32 hbpf_bench_sieve(const __u8 *data, const __u8 *data_end)
{
	return workload_sieve((__u8 *)data, data_end);
}

EXPORT __u32 hbpf_bench_checksum(const __u8 *data, const __u8 *data_end)
{
	return workload_checksum(data, data_end);
}

EXPORT __u32 hbpf_bench_hashmix(const __u8 *data, const __u8 *data_end)
{
	return workload_hashmix(data, data_end);
}

EXPORT __u32 hbpf_bench_tlv(const __u8 *data, const __u8 *data_end)
{
	return workload_tlv(data, data_end);
}
