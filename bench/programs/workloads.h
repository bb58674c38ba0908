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

#endif
