/* The two benchmark workloads, written once and compiled three ways: to eBPF for the interpreter (raw entry) and the
 * kernel (XDP entry), see the programs/ *.bpf.c files, and to x86-64 for the native baseline, see native/workloads.c.
 * Each takes the packet as [data, data_end) and returns a 32-bit value, so the three engines can be checked against
 * each other before anything is timed. No libc, no kernel headers beyond linux/types.h: the same text builds anywhere. */
#ifndef HBPF_BENCH_WORKLOADS_H
#define HBPF_BENCH_WORKLOADS_H

#include <linux/types.h>

#define WL_INLINE static inline __attribute__((always_inline))

/* Iterations of the compute loop: a fixed count the kernel verifier walks without trouble. */
#define COMPUTE_ROUNDS 256

/* Compute: xorshift64 seeded from the first 8 packet bytes, mixed into an accumulator by a multiply and a rotate.
 * Pure ALU work in registers, one loop-carried dependency chain, no memory traffic inside the loop. */
WL_INLINE __u32 workload_compute(const __u8 *data, const __u8 *data_end)
{
	if (data + 8 > data_end)
		return 0;
	__u64 x = *(const __u64 *)data | 1;
	__u64 acc = 0;
	for (int i = 0; i < COMPUTE_ROUNDS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		acc += x * 0x9e3779b97f4a7c15ull;
		acc = (acc << 29) | (acc >> 35);
	}
	return (__u32)(acc ^ (acc >> 32));
}

/* XDP verdicts (kernel values). */
#define WL_XDP_DROP 1
#define WL_XDP_PASS 2
#define WL_XDP_TX 3

struct wl_eth {
	__u8 dst[6];
	__u8 src[6];
	__be16 proto;
} __attribute__((packed));

struct wl_ipv4 {
	__u8 ver_ihl;
	__u8 tos;
	__be16 total_len;
	__be16 id;
	__be16 frag;
	__u8 ttl;
	__u8 protocol;
	__sum16 check;
	__be32 saddr;
	__be32 daddr;
} __attribute__((packed));

struct wl_tcp {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__u8 doff_res;
	__u8 flags;
	__be16 window;
	__sum16 check;
	__be16 urg_ptr;
} __attribute__((packed));

struct wl_udp {
	__be16 source;
	__be16 dest;
	__be16 len;
	__sum16 check;
} __attribute__((packed));

#define WL_BE16(x) ((__u16)((((x) & 0xff) << 8) | (((x) >> 8) & 0xff)))

/* Packet parsing: Ethernet (one optional 802.1Q tag), IPv4 (variable IHL, no fragments), then UDP (DNS goes back out)
 * or TCP, whose options are walked one by one (at most 40 bytes) to find the MSS, window scale, SACK and timestamp.
 * Verdict: drop malformed headers and TCP with a tiny MSS; TX for DNS; pass the rest. The low byte is the verdict; the
 * upper bytes carry what was parsed (option count, scale) so a parser that went astray gives a different value. */
WL_INLINE __u32 workload_parse(const __u8 *data, const __u8 *data_end)
{
	const struct wl_eth *eth = (const void *)data;
	if ((const __u8 *)(eth + 1) > data_end)
		return WL_XDP_DROP;
	const __u8 *l3 = (const __u8 *)(eth + 1);
	__u16 proto = eth->proto;
	if (proto == WL_BE16(0x8100)) {
		if (l3 + 4 > data_end)
			return WL_XDP_DROP;
		proto = *(const __be16 *)(l3 + 2);
		l3 += 4;
	}
	if (proto != WL_BE16(0x0800))
		return WL_XDP_PASS;
	const struct wl_ipv4 *ip = (const void *)l3;
	if ((const __u8 *)(ip + 1) > data_end)
		return WL_XDP_DROP;
	__u32 ihl = ip->ver_ihl & 0xf;
	if ((ip->ver_ihl >> 4) != 4 || ihl < 5)
		return WL_XDP_DROP;
	if (ip->frag & WL_BE16(0x3fff))
		return WL_XDP_PASS;
	const __u8 *l4 = l3 + ihl * 4;
	if (ip->protocol == 17) {
		const struct wl_udp *udp = (const void *)l4;
		if ((const __u8 *)(udp + 1) > data_end)
			return WL_XDP_DROP;
		return udp->dest == WL_BE16(53) ? WL_XDP_TX : WL_XDP_PASS;
	}
	if (ip->protocol != 6)
		return WL_XDP_PASS;
	const struct wl_tcp *tcp = (const void *)l4;
	if ((const __u8 *)(tcp + 1) > data_end)
		return WL_XDP_DROP;
	__u32 doff = tcp->doff_res >> 4;
	if (doff < 5)
		return WL_XDP_DROP;

	__u32 mss = 0, wscale = 0, sack = 0, ts = 0, count = 0;
	__u32 off = sizeof(struct wl_tcp);
	__u32 end = doff * 4;
	const __u8 *base = (const __u8 *)tcp;
	for (int i = 0; i < 40; i++) {
		if (off >= end)
			break;
		off &= 0x3f; /* bounds the offset for the verifier: options end at byte 60 */
		const __u8 *opt = base + off;
		if (opt + 1 > data_end)
			return WL_XDP_DROP;
		__u8 kind = opt[0];
		if (kind == 0)
			break;
		count++;
		if (kind == 1) {
			off++;
			continue;
		}
		if (opt + 2 > data_end)
			return WL_XDP_DROP;
		__u8 len = opt[1];
		if (len < 2)
			return WL_XDP_DROP;
		if (kind == 2 && len == 4) {
			if (opt + 4 > data_end)
				return WL_XDP_DROP;
			mss = ((__u32)opt[2] << 8) | opt[3];
		} else if (kind == 3 && len == 3) {
			if (opt + 3 > data_end)
				return WL_XDP_DROP;
			wscale = opt[2];
		} else if (kind == 5) {
			sack = (len - 2) / 8;
		} else if (kind == 8 && len == 10) {
			ts = 1;
		}
		off += len;
	}
	if (mss != 0 && mss < 536)
		return WL_XDP_DROP;
	return WL_XDP_PASS | (count << 8) | (wscale << 16) | (sack << 24) | (ts << 28);
}

/* ---- The compute kernels of issue 8: each reads a packet of at least KERNEL_PACKET bytes. ---- */

#define KERNEL_PACKET 1500

/* Sieve of Eratosthenes over the first SIEVE_N bytes of the packet (the packet is the scratch array, so every engine
 * writes memory): flags set, multiples of each prime below sqrt(N) cleared, then the primes counted and summed. */
#define SIEVE_N 1024

WL_INLINE __u32 workload_sieve(__u8 *data, const __u8 *data_end)
{
	if (data + SIEVE_N > data_end)
		return 0;
	for (__u32 i = 0; i < SIEVE_N; i++)
		data[i] = i >= 2;
	for (__u32 i = 2; i < 32; i++) {
		if (!data[i])
			continue;
		for (__u32 j = i * i; j < SIEVE_N; j += i)
			data[j] = 0;
	}
	__u32 count = 0, sum = 0;
	for (__u32 i = 0; i < SIEVE_N; i++) {
		count += data[i];
		sum += data[i] * i;
	}
	return count | (sum << 8);
}

/* The Internet checksum (RFC 1071) of a 1500-byte packet: 750 16-bit words summed into 64 bits, folded, inverted. */
WL_INLINE __u32 workload_checksum(const __u8 *data, const __u8 *data_end)
{
	if (data + KERNEL_PACKET > data_end)
		return 0;
	__u64 sum = 0;
	for (__u32 i = 0; i < KERNEL_PACKET; i += 2)
		sum += *(const __u16 *)(data + i);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* A 64-bit hash mix (xxhash64-like rounds) over the packet's first 64 bytes as eight u64 lanes, 512 rounds. */
#define HASH_ROUNDS 512

WL_INLINE __u32 workload_hashmix(const __u8 *data, const __u8 *data_end)
{
	if (data + 64 > data_end)
		return 0;
	const __u64 *lanes = (const __u64 *)data;
	__u64 h = 0x27d4eb2f165667c5ull;
	for (__u32 i = 0; i < HASH_ROUNDS; i++) {
		h ^= lanes[i & 7] * 0xc2b2ae3d27d4eb4full;
		h = (h << 31) | (h >> 33);
		h = h * 0x9e3779b185ebca87ull + 0x85ebca77c2b2ae63ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 29;
	return (__u32)(h ^ (h >> 32));
}

/* A switch-heavy parser: type-length-value records (type byte, length byte, value) from offset 0 of the packet, up to
 * 64 records within the first 1024 bytes; each of 10 types folds its value into the state differently. */
WL_INLINE __u32 workload_tlv(const __u8 *data, const __u8 *data_end)
{
	__u32 off = 0, a = 0, b = 0, records = 0;
	for (int i = 0; i < 64; i++) {
		off &= 0x3ff; /* bounds the offset for the verifier */
		const __u8 *r = data + off;
		if (r + 4 > data_end)
			return 0;
		__u8 type = r[0];
		__u8 len = r[1];
		__u8 v = r[2];
		switch (type) {
		case 0: a += v; break;
		case 1: b ^= v << 3; break;
		case 2: a = a * 33 + v; break;
		case 3: b += a ^ v; break;
		case 4: a ^= b >> 2; break;
		case 5: b = b * 5 + len; break;
		case 6: a += r[3] << 8 | v; break;
		case 7: b -= v; break;
		case 8: a = (a << 5) | (a >> 27); break;
		case 9: records += 100; break;
		default: return a ^ b ^ records ^ 0xdead0000;
		}
		records++;
		off += 2 + (len & 0x1f);
	}
	return a ^ (b << 1) ^ records;
}

#endif
