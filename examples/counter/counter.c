#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Per-protocol packet and byte counter. Every packet passes; the class is decided by the Ethernet type
 * and the first next-header field only (IPv6 extension headers are not walked, so a packet with a
 * hop-by-hop header counts as PROTO_OTHER). */

enum proto {
	PROTO_OTHER = 0,
	PROTO_ARP = 1,
	PROTO_IPV4_ICMP = 2,
	PROTO_IPV4_TCP = 3,
	PROTO_IPV4_UDP = 4,
	PROTO_IPV6_ICMPV6 = 5,
	PROTO_IPV6_TCP = 6,
	PROTO_IPV6_UDP = 7,
	PROTO_MAX = 8,
};

struct counts {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROTO_MAX);
	__type(key, __u32);
	__type(value, struct counts);
} proto_counts SEC(".maps");

static __always_inline __u32 classify(void *data, void *data_end)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return PROTO_OTHER;

	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return PROTO_ARP;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return PROTO_OTHER;
		switch (ip->protocol) {
		case IPPROTO_ICMP: return PROTO_IPV4_ICMP;
		case IPPROTO_TCP:  return PROTO_IPV4_TCP;
		case IPPROTO_UDP:  return PROTO_IPV4_UDP;
		}
		return PROTO_OTHER;
	}

	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return PROTO_OTHER;
		switch (ip6->nexthdr) {
		case IPPROTO_ICMPV6: return PROTO_IPV6_ICMPV6;
		case IPPROTO_TCP:    return PROTO_IPV6_TCP;
		case IPPROTO_UDP:    return PROTO_IPV6_UDP;
		}
	}
	return PROTO_OTHER;
}

SEC("xdp")
int xdp_count_protocols(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 key = classify(data, data_end);
	struct counts *c = bpf_map_lookup_elem(&proto_counts, &key);

	if (c) {
		/* Per-CPU slot: no other CPU writes it, so plain increments are enough. */
		c->packets += 1;
		c->bytes += data_end - data;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
