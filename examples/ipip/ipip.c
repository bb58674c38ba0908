#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* IP-in-IP encapsulator. An IPv4 packet whose destination is in TUNNEL_PREFIX/TUNNEL_PREFIX_LEN gets an
 * outer IPv4 header (protocol 4, IPPROTO_IPIP) from TUNNEL_LOCAL to TUNNEL_REMOTE in front of its own
 * and goes back out of the interface it came in on (XDP_TX) towards the sender's MAC (the Ethernet
 * addresses are swapped). Every other packet, IPv4 outside the prefix, IPv6, ARP, passes. */

#define TUNNEL_PREFIX     0x0a630080 /* 10.99.0.128 */
#define TUNNEL_PREFIX_LEN 25
#define TUNNEL_LOCAL      0x0a630002 /* 10.99.0.2 */
#define TUNNEL_REMOTE     0x0a6300fe /* 10.99.0.254 */
#define OUTER_TTL         64

/* [0] packets encapsulated, [1] bytes encapsulated (inner IP packet). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} encap_stats SEC(".maps");

static __always_inline void add_stat(__u32 key, __u64 delta)
{
	__u64 *v = bpf_map_lookup_elem(&encap_stats, &key);

	if (v)
		__sync_fetch_and_add(v, delta);
}

/* RFC 1071 checksum of an option-less IPv4 header (checksum field zero while summing). */
static __always_inline __u16 ipv4_header_checksum(const struct iphdr *ip)
{
	const __u16 *word = (const __u16 *)ip;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*ip) / 2); i++)
		sum += word[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int xdp_ipip_encap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *inner = (void *)(eth + 1);
	if ((void *)(inner + 1) > data_end)
		return XDP_PASS;
	__u32 mask = ~0u << (32 - TUNNEL_PREFIX_LEN);
	if ((bpf_ntohl(inner->daddr) & mask) != TUNNEL_PREFIX)
		return XDP_PASS;

	/* Keep what is needed from the old headers before they move. */
	unsigned char old_src[ETH_ALEN], old_dst[ETH_ALEN];
	__builtin_memcpy(old_src, eth->h_source, ETH_ALEN);
	__builtin_memcpy(old_dst, eth->h_dest, ETH_ALEN);
	__u16 inner_len = bpf_ntohs(inner->tot_len);

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_PASS;

	/* adjust_head invalidates every packet pointer: read and check them again. */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	struct iphdr *outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > data_end)
		return XDP_ABORTED;

	__builtin_memcpy(eth->h_dest, old_src, ETH_ALEN);
	__builtin_memcpy(eth->h_source, old_dst, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);

	outer->version = 4;
	outer->ihl = 5;
	outer->tos = 0;
	outer->tot_len = bpf_htons(inner_len + sizeof(struct iphdr));
	outer->id = 0;
	outer->frag_off = bpf_htons(0x4000); /* DF */
	outer->ttl = OUTER_TTL;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = bpf_htonl(TUNNEL_LOCAL);
	outer->daddr = bpf_htonl(TUNNEL_REMOTE);
	outer->check = ipv4_header_checksum(outer);

	add_stat(0, 1);
	add_stat(1, inner_len);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
