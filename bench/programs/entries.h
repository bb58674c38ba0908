/* Two entries around one inlined workload, identical but for how they find the packet:
 *  - SEC("xdp"):  struct xdp_md, two 32-bit context loads that the kernel rewrites to pointer loads;
 *  - SEC("raw"):  struct raw_ctx { u64 data, data_end; }, two 64-bit context loads, for the interpreter, which has no
 *                 context rewriting yet. Same instruction count, same body (build.sh checks that the disassemblies
 *                 differ only in those two loads). */
#ifndef HBPF_BENCH_ENTRIES_H
#define HBPF_BENCH_ENTRIES_H

#include <linux/bpf.h>
#include "workloads.h"

#define SEC(name) __attribute__((section(name), used))

struct raw_ctx {
	__u64 data;
	__u64 data_end;
};

#define HBPF_ENTRIES(name, fn)                                                                  \
	SEC("xdp") int name##_xdp(struct xdp_md *ctx)                                             \
	{                                                                                          \
		return fn((__u8 *)(long)ctx->data, (const __u8 *)(long)ctx->data_end);       \
	}                                                                                          \
	SEC("raw") int name##_raw(struct raw_ctx *ctx)                                            \
	{                                                                                          \
		return fn((__u8 *)(long)ctx->data, (const __u8 *)(long)ctx->data_end);       \
	}                                                                                          \
	char LICENSE[] SEC("license") = "GPL";

#endif
