/* The loop-heavy program of the verifier benchmark (issue 5, "Speed"): a sieve of Eratosthenes over 4,096 numbers in
 * bounded loops, which a verifier can only prove safe by walking them. The sieve lives in an array map's value (4 KiB
 * is too big for the 512-byte stack); every store is index-checked against its size, so the loop counters must be
 * tracked exactly and every iteration is a new state: the kernel walks hundreds of thousands of instructions.
 * Built by build.sh (not one of the *.bpf.c workloads: it has one XDP entry and no raw twin). Leaves the prime count in the map.
 * With -DSIEVE_MARK_ONLY (verifier_sieve_mark.o) the counting loop is left out: only the crossing-out loops remain. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define SIEVE_N 4096

struct sieve {
	__u8 composite[SIEVE_N];
	__u32 primes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sieve);
} sieve_map SEC(".maps");

SEC("xdp")
int prime_sieve(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct sieve *s = bpf_map_lookup_elem(&sieve_map, &key);
	if (!s)
		return XDP_ABORTED;
	/* Outer loop up to sqrt(4096) = 64; the inner loop crosses out every multiple from i*i. */
#pragma clang loop unroll(disable)
	for (__u32 i = 2; i < 64; i++) {
		if (s->composite[i])
			continue;
#pragma clang loop unroll(disable)
		for (__u32 j = i * i; j < SIEVE_N; j += i)
			s->composite[j] = 1;
	}
#ifndef SIEVE_MARK_ONLY
	__u32 primes = 0;
#pragma clang loop unroll(disable)
	for (__u32 i = 2; i < SIEVE_N; i++)
		primes += !s->composite[i];
	/* Stored, not returned: a returned count would have to be tracked exactly and every path of the counting loop
	 * would become its own state. Read it back from the map (564 primes below 4,096). */
	s->primes = primes;
#endif
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
