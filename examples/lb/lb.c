#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Small L4 load balancer. An IPv4 UDP or TCP packet to the VIP (10.99.0.100, any port) is hashed on
 * its 5-tuple (FNV-1a, below) into one of SLOTS slots of a consistent-hash table; the slot names a
 * backend, whose IPv4 address replaces the destination address and whose MAC becomes the Ethernet
 * destination (the old destination MAC, ours, becomes the source). The IPv4 header checksum and the
 * TCP/UDP checksum (its pseudo-header holds the destination address) are updated incrementally with
 * bpf_csum_diff, and the packet leaves by the interface it came in on (XDP_TX). Everything else, and
 * any VIP packet whose backend is not configured (address 0), passes.
 *
 * The table lives in an inner array map reached through an array of maps, so a control plane can
 * build a new table aside and swap it in with one update of slot_tables[0]. The object is
 * self-contained: slot_tables[0] is initialised to `slots`; both `slots` and `backends` start empty
 * and are filled from outside (map-set.json). */

#define VIP   0x0a630064 /* 10.99.0.100 */
#define SLOTS 64

struct backend {
	__be32 addr;
	__u8 mac[ETH_ALEN];
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

struct slot_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, __u32); /* backend id, a key of `backends` */
};

struct slot_table slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct slot_table);
} slot_tables SEC(".maps") = {
	.values = { [0] = &slots },
};

/* Packets sent to each backend, by backend id. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} backend_packets SEC(".maps");

struct tuple {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
};

/* FNV-1a (32-bit) over saddr, daddr, sport, dport (all in network byte order) and the protocol. */
static __always_inline __u32 hash_tuple(const struct tuple *t)
{
	const __u8 *b = (const __u8 *)t;
	__u32 h = 2166136261u;

#pragma unroll
	for (int i = 0; i < 13; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

static __always_inline __u16 fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* RFC 1624 update of a checksum for one 4-byte field changing from *from to *to. */
static __always_inline __u16 csum_replace4(__u16 check, __be32 *from, __be32 *to)
{
	__s64 s = bpf_csum_diff(from, 4, to, 4, (__u16)~check);

	return ~fold((__u64)s);
}

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->daddr != bpf_htonl(VIP) || ip->ihl != 5)
		return XDP_PASS;
	if (ip->frag_off & bpf_htons(0x3fff)) /* a fragment: MF set or offset non-zero */
		return XDP_PASS;

	struct tuple t = { .saddr = ip->saddr, .daddr = ip->daddr, .proto = ip->protocol };
	__sum16 *l4_check;
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)(ip + 1);
		if ((void *)(tcp + 1) > data_end)
			return XDP_PASS;
		t.sport = tcp->source;
		t.dport = tcp->dest;
		l4_check = &tcp->check;
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > data_end)
			return XDP_PASS;
		t.sport = udp->source;
		t.dport = udp->dest;
		l4_check = &udp->check;
	} else {
		return XDP_PASS;
	}

	__u32 zero = 0;
	void *table = bpf_map_lookup_elem(&slot_tables, &zero);
	if (!table)
		return XDP_PASS;
	__u32 slot = hash_tuple(&t) % SLOTS;
	__u32 *id = bpf_map_lookup_elem(table, &slot);
	if (!id)
		return XDP_PASS;
	__u32 backend_id = *id;
	struct backend *be = bpf_map_lookup_elem(&backends, &backend_id);
	if (!be || be->addr == 0)
		return XDP_PASS;

	__be32 old_daddr = ip->daddr;
	__be32 new_daddr = be->addr;
	ip->daddr = new_daddr;
	ip->check = csum_replace4(ip->check, &old_daddr, &new_daddr);
	/* UDP over IPv4 may carry no checksum (0); computed 0 is sent as 0xffff. */
	if (ip->protocol == IPPROTO_TCP) {
		*l4_check = csum_replace4(*l4_check, &old_daddr, &new_daddr);
	} else if (*l4_check) {
		__u16 c = csum_replace4(*l4_check, &old_daddr, &new_daddr);
		*l4_check = c ? c : 0xffff;
	}

	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);

	__u64 *n = bpf_map_lookup_elem(&backend_packets, &backend_id);
	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
