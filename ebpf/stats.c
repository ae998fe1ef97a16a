/* SPDX-License-Identifier: BSD-2-Clause */
/* Arithmetic and names for the counter block (struct pe_xdp_stats); needs no libbpf, so it is
 * built with or without the XDP counter. */
#include "ebpf/loader.h"

static void ctr_add(struct pe_xdp_ctr *sum, const struct pe_xdp_ctr *a)
{
	sum->pkts += a->pkts;
	sum->bytes += a->bytes;
}

void pe_xdp_stats_add(struct pe_xdp_stats *sum, const struct pe_xdp_stats *a)
{
	unsigned i;

	for (i = 0; i < PE_XDP_L3_MAX; i++)
		ctr_add(&sum->l3[i], &a->l3[i]);
	for (i = 0; i < PE_XDP_L4_MAX; i++)
		ctr_add(&sum->l4[i], &a->l4[i]);
	for (i = 0; i < 2; i++)
		ctr_add(&sum->vlan[i], &a->vlan[i]);
}

struct pe_xdp_ctr pe_xdp_stats_total(const struct pe_xdp_stats *s)
{
	struct pe_xdp_ctr t = { 0, 0 };
	unsigned i;

	for (i = 0; i < PE_XDP_L3_MAX; i++)
		ctr_add(&t, &s->l3[i]);
	return t;
}

const char *pe_xdp_l3_name(unsigned l3)
{
	static const char *const names[PE_XDP_L3_MAX] = {
		[PE_XDP_L3_IPV4] = "ipv4",   [PE_XDP_L3_IPV6] = "ipv6",	  [PE_XDP_L3_ARP] = "arp",
		[PE_XDP_L3_OTHER] = "other", [PE_XDP_L3_SHORT] = "short",
	};

	return l3 < PE_XDP_L3_MAX ? names[l3] : NULL;
}

const char *pe_xdp_l4_name(unsigned l4)
{
	static const char *const names[PE_XDP_L4_MAX] = {
		[PE_XDP_L4_TCP] = "tcp",     [PE_XDP_L4_UDP] = "udp", [PE_XDP_L4_ICMP] = "icmp",
		[PE_XDP_L4_OTHER] = "other", [PE_XDP_L4_BAD] = "bad",
	};

	return l4 < PE_XDP_L4_MAX ? names[l4] : NULL;
}
