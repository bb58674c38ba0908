#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* IPv4/IPv6 firewall. A packet is dropped when its source address falls in a blocked prefix (longest
 * prefix match tries, one per IP version) or when it is TCP or UDP to a blocked destination port;
 * everything else passes. The maps start empty: the blocked set is filled from outside (map-set.json).
 * Only the first next-header is looked at: IPv6 extension headers are not walked, IPv4 options are
 * skipped by ihl. */

struct lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct lpm_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Key of blocked_ports: the IP protocol and the port in host byte order. */
struct port_key {
	__u16 port;
	__u8 proto;
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4_key);
	__type(value, __u32);
} blocked_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v6_key);
	__type(value, __u32);
} blocked_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct port_key);
	__type(value, __u32);
} blocked_ports SEC(".maps");

/* Drop counter: [0] by source prefix, [1] by destination port. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline int count_drop(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &reason);

	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_DROP;
}

static __always_inline int port_blocked(void *l4, void *data_end, __u8 proto)
{
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 0;
	/* TCP and UDP both start with source port, destination port. */
	struct udphdr *udp = l4;
	if ((void *)(udp + 1) > data_end)
		return 0;
	struct port_key key = { .port = bpf_ntohs(udp->dest), .proto = proto };
	return bpf_map_lookup_elem(&blocked_ports, &key) != NULL;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return XDP_PASS;
		struct lpm_v4_key key = { .prefixlen = 32 };
		__builtin_memcpy(key.addr, &ip->saddr, sizeof(key.addr));
		if (bpf_map_lookup_elem(&blocked_v4, &key))
			return count_drop(0);
		if (port_blocked((void *)ip + ip->ihl * 4, data_end, ip->protocol))
			return count_drop(1);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		struct lpm_v6_key key = { .prefixlen = 128 };
		__builtin_memcpy(key.addr, &ip6->saddr, sizeof(key.addr));
		if (bpf_map_lookup_elem(&blocked_v6, &key))
			return count_drop(0);
		if (port_blocked(ip6 + 1, data_end, ip6->nexthdr))
			return count_drop(1);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
