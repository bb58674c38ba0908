#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Reflector: sends every IPv4 and IPv6 packet back where it came from. Ethernet source and destination
 * are swapped, so are the IP source and destination addresses and, for UDP and TCP, the ports; the
 * action is XDP_TX. Everything else (ARP, other Ethernet types, runts) is XDP_PASS.
 *
 * No checksum needs touching. The Internet checksum is a ones' complement sum of 16-bit words, and
 * addition is commutative: swapping two addresses (or two ports) only changes the order of the words
 * summed, not the sum. The IPv4 header checksum covers both addresses; the TCP/UDP/ICMPv6 checksums
 * cover them through the pseudo-header and the ports directly; all stay valid. */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} reflected SEC(".maps");

static __always_inline void swap_ports(void *l4, void *data_end, __u8 proto)
{
	/* TCP and UDP both start with source port, destination port. */
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
		return;
	struct udphdr *udp = l4;
	if ((void *)(udp + 1) > data_end)
		return;
	__be16 port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
}

SEC("xdp")
int xdp_reflect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return XDP_PASS;
		__be32 addr = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = addr;
		if (ip->ihl == 5)
			swap_ports(ip + 1, data_end, ip->protocol);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		struct in6_addr addr = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = addr;
		swap_ports(ip6 + 1, data_end, ip6->nexthdr);
	} else {
		return XDP_PASS;
	}

	unsigned char mac[ETH_ALEN];
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);

	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&reflected, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
