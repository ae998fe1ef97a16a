/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* What the XDP frame counter (xdp_count.bpf.c) and its loader agree on: the classes a frame is
 * counted in and the layout of the per-CPU counter block. Included by BPF and user-space code,
 * so it uses only <linux/types.h>. */
#ifndef PKTENG_EBPF_XDP_COUNT_H
#define PKTENG_EBPF_XDP_COUNT_H

#include <linux/types.h>

/* Ethertype class: every frame is counted in exactly one, by the ethertype after at most two
 * VLAN tags (802.1Q 0x8100, 802.1ad 0x88a8). PE_XDP_L3_SHORT: the frame ends before that
 * ethertype (shorter than 14 bytes, or a VLAN tag cut off). A third tag counts as OTHER. */
enum pe_xdp_l3 {
	PE_XDP_L3_IPV4,
	PE_XDP_L3_IPV6,
	PE_XDP_L3_ARP,
	PE_XDP_L3_OTHER,
	PE_XDP_L3_SHORT,
	PE_XDP_L3_MAX,
};

/* L4 class: every IPv4 and IPv6 frame (and only those) is counted in exactly one. The protocol
 * is IPv4's protocol field, or IPv6's next header after at most PE_XDP_IPV6_EXT_MAX extension
 * headers (hop-by-hop, routing, destination options, fragment). ICMP includes ICMPv6.
 * PE_XDP_L4_BAD: the IP header is cut off or invalid (IPv4 IHL < 5, wrong version, or an
 * extension header cut off or beyond the limit). */
enum pe_xdp_l4 {
	PE_XDP_L4_TCP,
	PE_XDP_L4_UDP,
	PE_XDP_L4_ICMP,
	PE_XDP_L4_OTHER,
	PE_XDP_L4_BAD,
	PE_XDP_L4_MAX,
};

#define PE_XDP_IPV6_EXT_MAX 4

struct pe_xdp_ctr {
	__u64 pkts;
	__u64 bytes; /* data_end - data: the frame without FCS */
};

/* One per CPU, the single entry (key 0) of the "pe_xdp_stats" BPF_MAP_TYPE_PERCPU_ARRAY.
 * Totals are the sum of l3[]. vlan[0]: frames with exactly one tag, vlan[1]: two or more;
 * SHORT frames count in neither (their tags are incomplete). */
struct pe_xdp_stats {
	struct pe_xdp_ctr l3[PE_XDP_L3_MAX];
	struct pe_xdp_ctr l4[PE_XDP_L4_MAX];
	struct pe_xdp_ctr vlan[2];
};

#endif
