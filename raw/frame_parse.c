/* SPDX-License-Identifier: BSD-2-Clause */
/* The frame parser/validator: walks Ethernet, VLAN tags, IPv4/IPv6 and UDP/TCP/ICMP, checks
 * lengths, checksums and optionally the FCS, and says which check failed first. */
#include <errno.h>
#include <string.h>

#include "raw/crc32.h"
#include "raw/frame.h"
#include "raw/frame_csum.h"

static const char *const status_names[PE_FRAME__STATUS_COUNT] = {
	[PE_FRAME_OK] = "OK",
	[PE_FRAME_TRUNCATED] = "TRUNCATED",
	[PE_FRAME_BAD_FCS] = "BAD_FCS",
	[PE_FRAME_BAD_IP_VERSION] = "BAD_IP_VERSION",
	[PE_FRAME_BAD_IP_HDR_LEN] = "BAD_IP_HDR_LEN",
	[PE_FRAME_BAD_IP_CSUM] = "BAD_IP_CSUM",
	[PE_FRAME_BAD_IP_LEN] = "BAD_IP_LEN",
	[PE_FRAME_BAD_L4_LEN] = "BAD_L4_LEN",
	[PE_FRAME_BAD_L4_CSUM] = "BAD_L4_CSUM",
	[PE_FRAME_UNSUPPORTED] = "UNSUPPORTED",
};

const char *pe_frame_status_name(int status)
{
	if (status < 0 || status >= PE_FRAME__STATUS_COUNT)
		return "?";
	return status_names[status];
}

/* UDP/TCP/ICMP over the L4 bytes p[0..n); pseudo is the pseudo-header sum (0 for ICMPv4). */
static int parse_l4(const uint8_t *p, size_t n, uint16_t pseudo, bool use_pseudo,
		    struct pe_frame_info *fi)
{
	size_t hlen;
	uint16_t s;

	switch (fi->ip_proto) {
	case IPPROTO_UDP:
		fi->l4 = PE_FRAME_L4_UDP;
		if (n < 8)
			return PE_FRAME_TRUNCATED;
		fi->sport = pe__get16(p);
		fi->dport = pe__get16(p + 2);
		if (pe__get16(p + 4) != n)
			return PE_FRAME_BAD_L4_LEN;
		hlen = 8;
		break;
	case IPPROTO_TCP:
		fi->l4 = PE_FRAME_L4_TCP;
		if (n < 20)
			return PE_FRAME_TRUNCATED;
		fi->sport = pe__get16(p);
		fi->dport = pe__get16(p + 2);
		fi->tcp_seq = pe__get32(p + 4);
		fi->tcp_ack = pe__get32(p + 8);
		fi->tcp_flags = p[13];
		hlen = (size_t)(p[12] >> 4) * 4;
		if (hlen < 20)
			return PE_FRAME_BAD_L4_LEN;
		if (hlen > n)
			return PE_FRAME_TRUNCATED;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		fi->l4 = PE_FRAME_L4_ICMP;
		if (n < 8)
			return PE_FRAME_TRUNCATED;
		fi->icmp_type = p[0];
		fi->icmp_code = p[1];
		fi->icmp_id = pe__get16(p + 4);
		fi->icmp_seq = pe__get16(p + 6);
		hlen = 8;
		break;
	default:
		fi->l4 = PE_FRAME_L4_NONE;
		fi->off_payload = fi->off_l4;
		fi->payload_len = (uint16_t)n;
		return PE_FRAME_OK;
	}
	fi->off_payload = (uint16_t)(fi->off_l4 + hlen);
	fi->payload_len = (uint16_t)(n - hlen);
	/* a UDP checksum of 0 means "none" (IPv4 only; IPv6 forbids it, so it fails there) */
	if (fi->ip_proto == IPPROTO_UDP && fi->l3 == PE_FRAME_L3_IPV4 && !pe__get16(p + 6))
		return PE_FRAME_OK;
	s = pe__csum_sum(p, n, false);
	if (use_pseudo)
		s = pe__csum_add(s, pseudo);
	return s == 0xffff ? PE_FRAME_OK : PE_FRAME_BAD_L4_CSUM;
}

static int parse_ipv4(const uint8_t *p, size_t n, struct pe_frame_info *fi)
{
	size_t hlen, tot;
	uint16_t ps;

	if (n < 20)
		return PE_FRAME_TRUNCATED;
	if (p[0] >> 4 != 4)
		return PE_FRAME_BAD_IP_VERSION;
	hlen = (size_t)(p[0] & 15) * 4;
	if (hlen < 20)
		return PE_FRAME_BAD_IP_HDR_LEN;
	if (hlen > n)
		return PE_FRAME_TRUNCATED;
	fi->tos = p[1];
	fi->ip_id = pe__get16(p + 4);
	fi->ttl = p[8];
	fi->ip_proto = p[9];
	memcpy(&fi->src_ip.v4, p + 12, 4);
	memcpy(&fi->dst_ip.v4, p + 16, 4);
	if (pe__csum_sum(p, hlen, false) != 0xffff)
		return PE_FRAME_BAD_IP_CSUM;
	tot = pe__get16(p + 2);
	if (tot < hlen)
		return PE_FRAME_BAD_IP_LEN;
	if (tot > n)
		return PE_FRAME_TRUNCATED;
	fi->pad_len = (uint16_t)(n - tot);
	fi->off_l4 = (uint16_t)(fi->off_l3 + hlen);
	if (pe__get16(p + 6) & 0x3fff) { /* MF or a fragment offset: L4 is not all here */
		fi->off_payload = fi->off_l4;
		fi->payload_len = (uint16_t)(tot - hlen);
		return PE_FRAME_UNSUPPORTED;
	}
	ps = pe__csum_sum(p + 12, 8, false);
	ps = pe__csum_add(ps, fi->ip_proto);
	ps = pe__csum_add(ps, (uint16_t)(tot - hlen));
	return parse_l4(p + hlen, tot - hlen, ps, fi->ip_proto != IPPROTO_ICMP, fi);
}

static int parse_ipv6(const uint8_t *p, size_t n, struct pe_frame_info *fi)
{
	size_t plen;
	uint16_t ps;
	uint32_t w;

	if (n < 40)
		return PE_FRAME_TRUNCATED;
	w = pe__get32(p);
	if (w >> 28 != 6)
		return PE_FRAME_BAD_IP_VERSION;
	fi->tos = (w >> 20) & 0xff;
	fi->flow_label = w & 0xfffff;
	fi->ip_proto = p[6];
	fi->ttl = p[7];
	memcpy(&fi->src_ip.v6, p + 8, 16);
	memcpy(&fi->dst_ip.v6, p + 24, 16);
	plen = pe__get16(p + 4);
	if (40 + plen > n)
		return PE_FRAME_TRUNCATED;
	fi->pad_len = (uint16_t)(n - 40 - plen);
	fi->off_l4 = (uint16_t)(fi->off_l3 + 40);
	switch (fi->ip_proto) {
	case IPPROTO_UDP:
	case IPPROTO_TCP:
	case IPPROTO_ICMPV6:
		break;
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_ESP:
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
		fi->off_payload = fi->off_l4;
		fi->payload_len = (uint16_t)plen;
		return PE_FRAME_UNSUPPORTED;
	default:
		break;
	}
	ps = pe__csum_sum(p + 8, 32, false);
	ps = pe__csum_add(ps, fi->ip_proto);
	ps = pe__csum_add(ps, (uint16_t)plen);
	return parse_l4(p + 40, plen, ps, true, fi);
}

int pe_frame_validate(const void *buf, size_t len, unsigned flags, struct pe_frame_info *fi)
{
	const uint8_t *p = buf;
	size_t off = 12;
	uint16_t et;

	if (!fi || (!buf && len))
		return -EINVAL;
	memset(fi, 0, sizeof(*fi));
	if (flags & PE_FRAME_PARSE_FCS) {
		uint32_t c;

		if (len < 14 + PE_FRAME_FCS_LEN)
			return PE_FRAME_TRUNCATED;
		len -= PE_FRAME_FCS_LEN;
		fi->fcs = (uint32_t)p[len] | (uint32_t)p[len + 1] << 8 |
			  (uint32_t)p[len + 2] << 16 | (uint32_t)p[len + 3] << 24;
		c = pe_crc32(0, p, len);
		if (c != fi->fcs)
			return PE_FRAME_BAD_FCS;
	}
	if (len < 14)
		return PE_FRAME_TRUNCATED;
	et = pe__get16(p + off);
	while ((et == PE_ETH_P_VLAN || et == PE_ETH_P_QINQ) && fi->n_vlans < 2) {
		uint16_t tci;

		if (len < off + 6)
			return PE_FRAME_TRUNCATED;
		tci = pe__get16(p + off + 2);
		fi->vlan_tpid[fi->n_vlans] = et;
		fi->vlan_id[fi->n_vlans] = tci & 0xfff;
		fi->vlan_pcp[fi->n_vlans] = tci >> 13;
		fi->n_vlans++;
		off += 4;
		et = pe__get16(p + off);
	}
	fi->ethertype = et;
	off += 2;
	fi->off_l3 = (uint16_t)off;
	if (et == PE_ETH_P_IPV4) {
		fi->l3 = PE_FRAME_L3_IPV4;
		return parse_ipv4(p + off, len - off, fi);
	}
	if (et == PE_ETH_P_IPV6) {
		fi->l3 = PE_FRAME_L3_IPV6;
		return parse_ipv6(p + off, len - off, fi);
	}
	fi->l3 = PE_FRAME_L3_RAW;
	fi->off_l4 = fi->off_payload = (uint16_t)off;
	fi->payload_len = (uint16_t)(len - off);
	return PE_FRAME_OK;
}
