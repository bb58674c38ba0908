#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* DNS response truncator. A UDP datagram from port 53 (IPv4 without options, or IPv6 with UDP as the
 * first next header) whose payload is longer than DNS_LIMIT bytes is cut to exactly DNS_LIMIT payload
 * bytes with bpf_xdp_adjust_tail, its DNS header gets the TC (truncated) bit, and the IPv4 total
 * length / IPv6 payload length, the UDP length and the checksums are rewritten. The result leaves by
 * the interface it came in on (XDP_TX); everything else passes. */

#define DNS_PORT  53
#define DNS_LIMIT 100          /* payload bytes kept; UDP header + payload is a multiple of 4 */
#define DNS_FLAG_TC 0x02       /* in the first flags byte (byte 2 of the DNS header) */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} truncated SEC(".maps");

static __always_inline __u16 fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* UDP checksum over pseudo-header sum + the UDP header and DNS_LIMIT payload bytes. The checksum
 * field must be zero when called. */
static __always_inline __u16 udp_checksum(__u64 pseudo, struct udphdr *udp, void *data_end)
{
	if ((void *)udp + sizeof(*udp) + DNS_LIMIT > data_end)
		return 0;
	pseudo += bpf_htons(IPPROTO_UDP) + bpf_htons(sizeof(*udp) + DNS_LIMIT);
	__s64 s = bpf_csum_diff(NULL, 0, (__be32 *)udp, sizeof(*udp) + DNS_LIMIT, 0);
	if (s < 0)
		return 0;
	__u16 c = ~fold(pseudo + (__u64)s);
	return c ? c : 0xffff; /* 0 means "no checksum" in UDP */
}

/* Returns the UDP header if the packet is a long DNS response, else NULL; *is_v6 tells the version. */
static __always_inline struct udphdr *long_response(void *data, void *data_end, int *is_v6)
{
	struct ethhdr *eth = data;
	struct udphdr *udp;

	if ((void *)(eth + 1) > data_end)
		return NULL;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
			return NULL;
		if (ip->frag_off & bpf_htons(0x3fff)) /* a fragment: MF set or offset non-zero */
			return NULL;
		udp = (void *)(ip + 1);
		*is_v6 = 0;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_UDP)
			return NULL;
		udp = (void *)(ip6 + 1);
		*is_v6 = 1;
	} else {
		return NULL;
	}
	if ((void *)(udp + 1) > data_end || udp->source != bpf_htons(DNS_PORT))
		return NULL;
	__u16 len = bpf_ntohs(udp->len);
	if (len <= sizeof(*udp) + DNS_LIMIT || (void *)udp + len > data_end)
		return NULL;
	return udp;
}

SEC("xdp")
int xdp_dns_truncate(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	int is_v6 = 0;
	struct udphdr *udp = long_response(data, data_end, &is_v6);

	if (!udp)
		return XDP_PASS;

	/* Cut everything after the first DNS_LIMIT payload bytes, Ethernet padding included. */
	int keep = (void *)udp + sizeof(*udp) + DNS_LIMIT - data;
	if (bpf_xdp_adjust_tail(ctx, keep - (int)(data_end - data)))
		return XDP_PASS;

	/* adjust_tail invalidates every packet pointer: read and check them again. */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	__u64 pseudo;
	struct ethhdr *eth = data;
	if (is_v6) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end)
			return XDP_ABORTED;
		ip6->payload_len = bpf_htons(sizeof(*udp) + DNS_LIMIT);
		pseudo = bpf_csum_diff(NULL, 0, (__be32 *)&ip6->saddr, 32, 0);
		udp = (void *)(ip6 + 1);
	} else {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end)
			return XDP_ABORTED;
		/* Incremental header checksum update for the new total length (RFC 1624: HC' = ~(~HC + ~m + m')). */
		__u16 old_len = ip->tot_len;
		__u16 new_len = bpf_htons(sizeof(*ip) + sizeof(*udp) + DNS_LIMIT);
		ip->tot_len = new_len;
		ip->check = ~fold((__u16)~ip->check + (__u16)~old_len + new_len);
		pseudo = bpf_csum_diff(NULL, 0, (__be32 *)&ip->saddr, 8, 0);
		udp = (void *)(ip + 1);
	}
	if ((void *)udp + sizeof(*udp) + DNS_LIMIT > data_end)
		return XDP_ABORTED;

	__u8 *dns = (void *)(udp + 1);
	dns[2] |= DNS_FLAG_TC;
	udp->len = bpf_htons(sizeof(*udp) + DNS_LIMIT);
	udp->check = 0;
	udp->check = udp_checksum(pseudo, udp, data_end);

	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&truncated, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
