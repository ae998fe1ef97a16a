/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The XDP frame counter: counts frames and bytes per CPU by ethertype class and L4 protocol,
 * parsing through up to two VLAN tags, then passes the frame (or drops it in drop mode).
 * Classes and the counter layout are in xdp_count.h; the loader is loader.c. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "ebpf/xdp_count.h"

/* Set by the loader before load (skeleton .rodata): nonzero makes the program a counting sink. */
const volatile __u32 pe_drop_mode = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pe_xdp_stats);
} pe_xdp_stats SEC(".maps");

struct pe_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* The 2-byte prefix every IPv6 extension header we skip starts with. */
struct pe_ipv6_ext {
	__u8 nexthdr;
	__u8 len; /* in 8-byte units, not counting the first 8 (fragment header: reserved, 0) */
};

static __always_inline int is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

static __always_inline __u32 l4_class(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return PE_XDP_L4_TCP;
	case IPPROTO_UDP:
		return PE_XDP_L4_UDP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return PE_XDP_L4_ICMP;
	default:
		return PE_XDP_L4_OTHER;
	}
}

static __always_inline __u32 parse_ipv4(void *p, void *end)
{
	struct iphdr *ip = p;

	if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl < 5)
		return PE_XDP_L4_BAD;
	/* Options cut off count as a cut-off header too. */
	if (p + ip->ihl * 4 > end)
		return PE_XDP_L4_BAD;
	return l4_class(ip->protocol);
}

static __always_inline int is_ipv6_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_FRAGMENT;
}

static __always_inline __u32 parse_ipv6(void *p, void *end)
{
	struct ipv6hdr *ip6 = p;
	__u8 nh;
	int i;

	if ((void *)(ip6 + 1) > end || ip6->version != 6)
		return PE_XDP_L4_BAD;
	nh = ip6->nexthdr;
	p = ip6 + 1;
#pragma unroll
	for (i = 0; i < PE_XDP_IPV6_EXT_MAX; i++) {
		struct pe_ipv6_ext *ext = p;

		if (!is_ipv6_ext(nh))
			return l4_class(nh);
		if ((void *)(ext + 1) > end)
			return PE_XDP_L4_BAD;
		p += nh == IPPROTO_FRAGMENT ? 8 : (ext->len + 1) * 8;
		if (p > end)
			return PE_XDP_L4_BAD;
		nh = ext->nexthdr;
	}
	return is_ipv6_ext(nh) ? PE_XDP_L4_BAD : l4_class(nh);
}

SEC("xdp")
int pe_xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 len = end - data;
	struct ethhdr *eth = data;
	struct pe_xdp_stats *s;
	__u32 key = 0, l3 = PE_XDP_L3_SHORT, l4 = PE_XDP_L4_MAX, tags = 0;
	__be16 proto;
	void *p;

	s = bpf_map_lookup_elem(&pe_xdp_stats, &key);
	if (!s)
		return XDP_ABORTED; /* cannot happen: a one-entry array always has key 0 */

	if ((void *)(eth + 1) > end)
		goto count;
	proto = eth->h_proto;
	p = eth + 1;
	/* Two tags unrolled by hand: outer 802.1ad or 802.1Q, inner 802.1Q. */
	if (is_vlan(proto)) {
		struct pe_vlan_hdr *v = p;

		if ((void *)(v + 1) > end)
			goto count;
		proto = v->proto;
		p = v + 1;
		tags = 1;
		if (is_vlan(proto)) {
			v = p;
			if ((void *)(v + 1) > end)
				goto count;
			proto = v->proto;
			p = v + 1;
			tags = 2;
		}
	}
	switch (proto) {
	case bpf_htons(ETH_P_IP):
		l3 = PE_XDP_L3_IPV4;
		l4 = parse_ipv4(p, end);
		break;
	case bpf_htons(ETH_P_IPV6):
		l3 = PE_XDP_L3_IPV6;
		l4 = parse_ipv6(p, end);
		break;
	case bpf_htons(ETH_P_ARP):
		l3 = PE_XDP_L3_ARP;
		break;
	default:
		l3 = PE_XDP_L3_OTHER;
		break;
	}
count:
	/* Per-CPU counters: plain adds, no atomics (XDP runs with preemption off). */
	s->l3[l3].pkts++;
	s->l3[l3].bytes += len;
	if (l4 < PE_XDP_L4_MAX) {
		s->l4[l4].pkts++;
		s->l4[l4].bytes += len;
	}
	if (tags && l3 != PE_XDP_L3_SHORT) {
		s->vlan[tags - 1].pkts++;
		s->vlan[tags - 1].bytes += len;
	}
	return pe_drop_mode ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
