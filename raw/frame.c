/* SPDX-License-Identifier: BSD-2-Clause */
/* The frame template: built once from pe_frame_opts, then varied per frame by setters that
 * patch bytes and fix the checksums incrementally (RFC 1624) instead of rebuilding. */
#include <errno.h>
#include <string.h>

#include "raw/crc32.h"
#include "raw/frame.h"
#include "raw/frame_csum.h"

#define IP4_HLEN  20
#define IP6_HLEN  40
#define UDP_HLEN  8
#define TCP_HLEN  20
#define ICMP_HLEN 8

void pe_frame_opts_default(struct pe_frame_opts *o)
{
	static const uint8_t src[6] = { 2, 0, 0, 0, 0, 1 }, dst[6] = { 2, 0, 0, 0, 0, 2 };
	static const uint8_t sip[4] = { 198, 18, 0, 1 }, dip[4] = { 198, 18, 0, 2 };

	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	memcpy(o->src_mac, src, 6);
	memcpy(o->dst_mac, dst, 6);
	o->l3 = PE_FRAME_L3_IPV4;
	o->l4 = PE_FRAME_L4_UDP;
	memcpy(o->src_ip.b, sip, 4);
	memcpy(o->dst_ip.b, dip, 4);
	o->ttl = 64;
	o->sport = o->dport = 9;
	o->tcp_window = 65535;
	o->icmp_id = o->icmp_seq = 1;
	o->payload.kind = PE_FRAME_PAYLOAD_FILL;
}

static uint16_t l4_hlen(int l4)
{
	switch (l4) {
	case PE_FRAME_L4_UDP:
		return UDP_HLEN;
	case PE_FRAME_L4_TCP:
		return TCP_HLEN;
	case PE_FRAME_L4_ICMP:
		return ICMP_HLEN;
	default:
		return 0;
	}
}

static uint8_t ip_proto(const struct pe_frame_tmpl *t)
{
	switch (t->l4) {
	case PE_FRAME_L4_UDP:
		return IPPROTO_UDP;
	case PE_FRAME_L4_TCP:
		return IPPROTO_TCP;
	default:
		return t->l3 == PE_FRAME_L3_IPV6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	}
}

/* Offset of the L4 checksum field, or 0 for raw frames. */
uint16_t pe_frame_l4_csum_off(const struct pe_frame_tmpl *t)
{
	switch (t->l4) {
	case PE_FRAME_L4_UDP:
		return t->off_l4 + 6;
	case PE_FRAME_L4_TCP:
		return t->off_l4 + 16;
	case PE_FRAME_L4_ICMP:
		return t->off_l4 + 2;
	default:
		return 0;
	}
}

/* Whether the L4 checksum covers the IP addresses and length (not ICMPv4). */
static bool has_pseudo(const struct pe_frame_tmpl *t)
{
	return t->l3 != PE_FRAME_L3_RAW &&
	       !(t->l3 == PE_FRAME_L3_IPV4 && t->l4 == PE_FRAME_L4_ICMP);
}

static uint16_t l4_len(const struct pe_frame_tmpl *t)
{
	return (uint16_t)(t->off_payload - t->off_l4 + t->payload_len);
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Fills buf[off_payload..max_size) with the pattern, so the frame can grow later. */
static void fill_payload(struct pe_frame_tmpl *t, const struct pe_frame_payload *p)
{
	uint8_t *d = t->buf + t->off_payload;
	size_t n = t->max_size - t->off_payload, i;
	uint64_t st = p->seed;

	switch (p->kind) {
	case PE_FRAME_PAYLOAD_FILL:
		memset(d, p->fill, n);
		break;
	case PE_FRAME_PAYLOAD_INC: /* a 256-byte period: write it once, then copy doubling runs */
		for (i = 0; i < n && i < 256; i++)
			d[i] = (uint8_t)i;
		while (i < n) {
			size_t run = i < n - i ? i : n - i;

			memcpy(d + i, d, run);
			i += run;
		}
		break;
	case PE_FRAME_PAYLOAD_RANDOM:
		for (i = 0; i < n; i += 8) {
			uint64_t r = splitmix64(&st);

			for (size_t k = 0; k < 8 && i + k < n; k++)
				d[i + k] = (uint8_t)(r >> (8 * k));
		}
		break;
	case PE_FRAME_PAYLOAD_BYTES:
		memset(d, 0, n);
		if (p->len)
			memcpy(d, p->bytes, p->len);
		break;
	}
}

/* Sum of the pseudo-header (addresses, protocol, L4 length). */
static uint16_t pseudo_sum(const struct pe_frame_tmpl *t)
{
	const uint8_t *ip = t->buf + t->off_l3;
	uint32_t len = l4_len(t);
	uint16_t s;

	if (t->l3 == PE_FRAME_L3_IPV4)
		s = pe__csum_sum(ip + 12, 8, false);
	else
		s = pe__csum_sum(ip + 8, 32, false);
	s = pe__csum_add(s, ip_proto(t));
	s = pe__csum_add(s, (uint16_t)(len >> 16));
	return pe__csum_add(s, (uint16_t)len);
}

void pe_frame_update_csums(struct pe_frame_tmpl *t)
{
	uint16_t off = pe_frame_l4_csum_off(t), s;

	if (t->l3 == PE_FRAME_L3_IPV4) {
		uint8_t *ip = t->buf + t->off_l3;

		pe__put16(ip + 10, 0);
		pe__put16(ip + 10, pe__csum_final(pe__csum_sum(ip, IP4_HLEN, false), false));
	}
	if (!off)
		return;
	pe__put16(t->buf + off, 0);
	s = pe__csum_sum(t->buf + t->off_l4, l4_len(t), false);
	if (has_pseudo(t))
		s = pe__csum_add(s, pseudo_sum(t));
	pe__put16(t->buf + off, pe__csum_final(s, t->l4 == PE_FRAME_L4_UDP));
}

void pe_frame_finish_fcs(struct pe_frame_tmpl *t)
{
	size_t n;
	uint32_t c;

	if (!t->fcs)
		return;
	n = t->len - PE_FRAME_FCS_LEN;
	c = pe_crc32(0, t->buf, n);
	t->buf[n] = c & 0xff;
	t->buf[n + 1] = (c >> 8) & 0xff;
	t->buf[n + 2] = (c >> 16) & 0xff;
	t->buf[n + 3] = c >> 24;
}

/* Writes the length fields for the current payload_len (checksums are fixed by the caller). */
static void put_lengths(struct pe_frame_tmpl *t)
{
	uint8_t *ip = t->buf + t->off_l3;

	if (t->l3 == PE_FRAME_L3_IPV4)
		pe__put16(ip + 2, (uint16_t)(IP4_HLEN + l4_len(t)));
	else if (t->l3 == PE_FRAME_L3_IPV6)
		pe__put16(ip + 4, l4_len(t));
	if (t->l4 == PE_FRAME_L4_UDP)
		pe__put16(t->buf + t->off_l4 + 4, l4_len(t));
}

/* Lays out the frame length: payload_len, zero padding up to 60 bytes, len and size. */
static void set_frame_len(struct pe_frame_tmpl *t, size_t size, size_t payload_len)
{
	size_t flen = size - PE_FRAME_FCS_LEN;

	t->size_bytes = (uint16_t)size;
	t->payload_len = (uint16_t)payload_len;
	memset(t->buf + t->off_payload + payload_len, 0, flen - t->off_payload - payload_len);
	t->len = (uint16_t)(t->fcs ? size : flen);
}

static int check_opts(const struct pe_frame_opts *o)
{
	if (o->n_vlans < 0 || o->n_vlans > 2)
		return -EINVAL;
	for (int i = 0; i < o->n_vlans; i++)
		if (o->vlan[i].id > 4094 || o->vlan[i].pcp > 7)
			return -EINVAL;
	if (o->l3 != PE_FRAME_L3_RAW && o->l3 != PE_FRAME_L3_IPV4 && o->l3 != PE_FRAME_L3_IPV6)
		return -EINVAL;
	if (o->l3 != PE_FRAME_L3_RAW && o->l4 != PE_FRAME_L4_UDP && o->l4 != PE_FRAME_L4_TCP &&
	    o->l4 != PE_FRAME_L4_ICMP)
		return -EINVAL;
	if (o->flow_label >> 20)
		return -EINVAL;
	if (o->payload.kind > PE_FRAME_PAYLOAD_BYTES ||
	    (o->payload.kind == PE_FRAME_PAYLOAD_BYTES && o->payload.len && !o->payload.bytes))
		return -EINVAL;
	return 0;
}

/* Ethernet, tags and the L3/L4 headers; returns the header length. */
static uint16_t put_headers(struct pe_frame_tmpl *t, const struct pe_frame_opts *o)
{
	uint8_t *b = t->buf, *ip, *l4;
	uint16_t off = 12;

	memcpy(b, o->dst_mac, 6);
	memcpy(b + 6, o->src_mac, 6);
	for (int i = 0; i < o->n_vlans; i++) {
		const struct pe_frame_vlan *v = &o->vlan[i];

		pe__put16(b + off, o->n_vlans == 2 && i == 0 ? PE_ETH_P_QINQ : PE_ETH_P_VLAN);
		pe__put16(b + off + 2, (uint16_t)(v->pcp << 13 | (v->dei ? 1 << 12 : 0) | v->id));
		off += 4;
	}
	t->ethertype = o->l3 == PE_FRAME_L3_IPV4   ? PE_ETH_P_IPV4
		       : o->l3 == PE_FRAME_L3_IPV6 ? PE_ETH_P_IPV6
						   : o->ethertype;
	pe__put16(b + off, t->ethertype);
	off += 2;
	t->off_l3 = off;
	t->l3 = (uint8_t)o->l3;
	t->l4 = o->l3 == PE_FRAME_L3_RAW ? PE_FRAME_L4_NONE : (uint8_t)o->l4;
	if (t->l3 == PE_FRAME_L3_RAW) {
		t->off_l4 = t->off_payload = off;
		return off;
	}
	ip = b + off;
	if (t->l3 == PE_FRAME_L3_IPV4) {
		memset(ip, 0, IP4_HLEN);
		ip[0] = 0x45;
		ip[1] = o->tos;
		pe__put16(ip + 4, o->ip_id);
		pe__put16(ip + 6, o->df ? 0x4000 : 0);
		ip[8] = o->ttl;
		ip[9] = ip_proto(t);
		memcpy(ip + 12, &o->src_ip.v4, 4);
		memcpy(ip + 16, &o->dst_ip.v4, 4);
		off += IP4_HLEN;
	} else {
		pe__put32(ip, 6u << 28 | (uint32_t)o->tos << 20 | o->flow_label);
		ip[6] = ip_proto(t);
		ip[7] = o->ttl;
		memcpy(ip + 8, &o->src_ip.v6, 16);
		memcpy(ip + 24, &o->dst_ip.v6, 16);
		off += IP6_HLEN;
	}
	t->off_l4 = off;
	l4 = b + off;
	memset(l4, 0, l4_hlen(t->l4));
	switch (t->l4) {
	case PE_FRAME_L4_UDP:
		pe__put16(l4, o->sport);
		pe__put16(l4 + 2, o->dport);
		break;
	case PE_FRAME_L4_TCP:
		pe__put16(l4, o->sport);
		pe__put16(l4 + 2, o->dport);
		pe__put32(l4 + 4, o->tcp_seq);
		pe__put32(l4 + 8, o->tcp_ack);
		l4[12] = 5 << 4;
		l4[13] = o->tcp_flags;
		pe__put16(l4 + 14, o->tcp_window);
		break;
	default:
		l4[0] = t->l3 == PE_FRAME_L3_IPV6 ? 128 : 8; /* echo request */
		pe__put16(l4 + 4, o->icmp_id);
		pe__put16(l4 + 6, o->icmp_seq);
		break;
	}
	off += l4_hlen(t->l4);
	t->off_payload = off;
	return off;
}

int pe_frame_build(struct pe_frame_tmpl *t, const struct pe_frame_opts *opts)
{
	struct pe_frame_opts o;
	size_t hdr, min, max, size, plen, need;
	bool pinned;
	int err;

	/* libbpf-style: older callers pass a shorter struct (missing fields are 0), newer ones a
	 * longer struct whose extra fields must be 0 */
	if (!t || !opts || opts->sz < offsetof(struct pe_frame_opts, size_bytes))
		return -EINVAL;
	for (size_t i = sizeof(o); i < opts->sz; i++)
		if (((const uint8_t *)opts)[i])
			return -EINVAL;
	memset(&o, 0, sizeof(o));
	memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	err = check_opts(&o);
	if (err)
		return err;
	hdr = PE_FRAME_FCS_LEN + 14 + 4 * (size_t)o.n_vlans;
	if (o.l3 != PE_FRAME_L3_RAW)
		hdr += (o.l3 == PE_FRAME_L3_IPV4 ? IP4_HLEN : IP6_HLEN) + l4_hlen(o.l4);
	max = (o.jumbo ? PE_FRAME_MAX_JUMBO : PE_FRAME_MAX_SIZE) + 4 * (size_t)o.n_vlans;
	min = hdr > PE_FRAME_MIN_SIZE ? hdr : PE_FRAME_MIN_SIZE;
	pinned = o.payload.kind == PE_FRAME_PAYLOAD_BYTES;
	need = hdr + (pinned ? o.payload.len : 0); /* headers, payload and FCS */
	size = o.size_bytes ? o.size_bytes : (need > min ? need : min);
	if (size < min || size > max || need > size)
		return -EMSGSIZE;

	t->fcs = o.fcs;
	t->pinned_payload = pinned;
	t->min_size = (uint16_t)min;
	t->max_size = (uint16_t)max;
	put_headers(t, &o);
	fill_payload(t, &o.payload);
	plen = size - PE_FRAME_FCS_LEN - t->off_payload;
	if (pinned && !o.size_bytes)
		plen = o.payload
			       .len; /* padded to the minimum: the lengths count the real payload */
	set_frame_len(t, size, plen);
	put_lengths(t);
	pe_frame_update_csums(t);
	memcpy(t->under_fcs, t->buf + size - PE_FRAME_FCS_LEN, PE_FRAME_FCS_LEN);
	pe_frame_finish_fcs(t);
	return 0;
}

/* Replaces n bytes at off with src, fixing the IPv4 header checksum when ip_csum and the L4
 * checksum when l4_csum (off's parity is taken relative to the checksummed area). */
static void patch(struct pe_frame_tmpl *t, size_t off, const void *src, size_t n, bool ip_csum,
		  bool l4_csum)
{
	uint8_t *p = t->buf + off;
	uint16_t m_old, m_new;
	uint16_t co = pe_frame_l4_csum_off(t);

	/* every checksummed area starts at an even frame offset, so parity is off's own */
	m_old = pe__csum_sum(p, n, false);
	memcpy(p, src, n);
	m_new = pe__csum_sum(p, n, false);
	if (off & 1) {
		m_old = (uint16_t)(m_old << 8 | m_old >> 8);
		m_new = (uint16_t)(m_new << 8 | m_new >> 8);
	}
	if (ip_csum)
		pe__csum_fix(t->buf + t->off_l3 + 10, m_old, m_new, false);
	if (l4_csum && co)
		pe__csum_fix(t->buf + co, m_old, m_new, t->l4 == PE_FRAME_L4_UDP);
}

int pe_frame_set_ipv4_src(struct pe_frame_tmpl *t, struct in_addr a)
{
	if (t->l3 != PE_FRAME_L3_IPV4)
		return -EINVAL;
	patch(t, t->off_l3 + 12, &a, 4, true, has_pseudo(t));
	return 0;
}

int pe_frame_set_ipv4_dst(struct pe_frame_tmpl *t, struct in_addr a)
{
	if (t->l3 != PE_FRAME_L3_IPV4)
		return -EINVAL;
	patch(t, t->off_l3 + 16, &a, 4, true, has_pseudo(t));
	return 0;
}

int pe_frame_set_ipv6_src(struct pe_frame_tmpl *t, const struct in6_addr *a)
{
	if (t->l3 != PE_FRAME_L3_IPV6)
		return -EINVAL;
	patch(t, t->off_l3 + 8, a, 16, false, true);
	return 0;
}

int pe_frame_set_ipv6_dst(struct pe_frame_tmpl *t, const struct in6_addr *a)
{
	if (t->l3 != PE_FRAME_L3_IPV6)
		return -EINVAL;
	patch(t, t->off_l3 + 24, a, 16, false, true);
	return 0;
}

int pe_frame_set_ports(struct pe_frame_tmpl *t, uint16_t sport, uint16_t dport)
{
	uint8_t b[4];

	if (t->l4 != PE_FRAME_L4_UDP && t->l4 != PE_FRAME_L4_TCP)
		return -EINVAL;
	pe__put16(b, sport);
	pe__put16(b + 2, dport);
	patch(t, t->off_l4, b, 4, false, true);
	return 0;
}

int pe_frame_set_ip_id(struct pe_frame_tmpl *t, uint16_t id)
{
	uint8_t b[2];

	if (t->l3 != PE_FRAME_L3_IPV4)
		return -EINVAL;
	pe__put16(b, id);
	patch(t, t->off_l3 + 4, b, 2, true, false);
	return 0;
}

int pe_frame_set_ttl(struct pe_frame_tmpl *t, uint8_t ttl)
{
	if (t->l3 == PE_FRAME_L3_IPV4)
		patch(t, t->off_l3 + 8, &ttl, 1, true, false);
	else if (t->l3 == PE_FRAME_L3_IPV6)
		t->buf[t->off_l3 + 7] = ttl; /* no header checksum, not in the pseudo-header */
	else
		return -EINVAL;
	return 0;
}

int pe_frame_set_tcp_seq(struct pe_frame_tmpl *t, uint32_t seq)
{
	uint8_t b[4];

	if (t->l4 != PE_FRAME_L4_TCP)
		return -EINVAL;
	pe__put32(b, seq);
	patch(t, t->off_l4 + 4, b, 4, false, true);
	return 0;
}

int pe_frame_set_icmp_seq(struct pe_frame_tmpl *t, uint16_t seq)
{
	uint8_t b[2];

	if (t->l4 != PE_FRAME_L4_ICMP)
		return -EINVAL;
	pe__put16(b, seq);
	patch(t, t->off_l4 + 6, b, 2, false, true);
	return 0;
}

int pe_frame_write_payload(struct pe_frame_tmpl *t, size_t off, const void *data, size_t len)
{
	if (off > t->payload_len || len > t->payload_len - off)
		return -ERANGE;
	patch(t, t->off_payload + off, data, len, false, true);
	return 0;
}

int pe_frame_stamp_seq(struct pe_frame_tmpl *t, size_t off, uint64_t seq)
{
	uint8_t b[8];

	pe__put32(b, (uint32_t)(seq >> 32));
	pe__put32(b + 4, (uint32_t)seq);
	return pe_frame_write_payload(t, off, b, sizeof(b));
}

int pe_frame_set_size(struct pe_frame_tmpl *t, size_t size_bytes)
{
	size_t old_end, new_end, plen;
	uint16_t old_l4, new_l4, co, m_old = 0, m_new = 0;
	uint8_t *ip = t->buf + t->off_l3;

	if (size_bytes < t->min_size || size_bytes > t->max_size)
		return -EMSGSIZE;
	/* put back the pattern the FCS covered, and keep the bytes the new FCS will cover */
	memcpy(t->buf + t->size_bytes - PE_FRAME_FCS_LEN, t->under_fcs, PE_FRAME_FCS_LEN);
	memcpy(t->under_fcs, t->buf + size_bytes - PE_FRAME_FCS_LEN, PE_FRAME_FCS_LEN);

	old_l4 = l4_len(t);
	old_end = t->off_payload + t->payload_len;
	plen = size_bytes - PE_FRAME_FCS_LEN - t->off_payload;
	new_end = t->off_payload + plen;
	t->size_bytes = (uint16_t)size_bytes;
	t->payload_len = (uint16_t)plen;
	t->len = (uint16_t)(t->fcs ? size_bytes : size_bytes - PE_FRAME_FCS_LEN);
	new_l4 = l4_len(t);
	if (t->l3 == PE_FRAME_L3_RAW)
		return 0;

	if (new_end > old_end)
		m_new = pe__csum_sum(t->buf + old_end, new_end - old_end, old_end & 1);
	else if (old_end > new_end)
		m_old = pe__csum_sum(t->buf + new_end, old_end - new_end, new_end & 1);
	if (has_pseudo(t)) { /* the pseudo-header's length */
		m_old = pe__csum_add(m_old, old_l4);
		m_new = pe__csum_add(m_new, new_l4);
	}
	if (t->l4 == PE_FRAME_L4_UDP) { /* and the UDP header's */
		m_old = pe__csum_add(m_old, old_l4);
		m_new = pe__csum_add(m_new, new_l4);
	}
	put_lengths(t);
	if (t->l3 == PE_FRAME_L3_IPV4)
		pe__csum_fix(ip + 10, (uint16_t)(IP4_HLEN + old_l4), (uint16_t)(IP4_HLEN + new_l4),
			     false);
	co = pe_frame_l4_csum_off(t);
	pe__csum_fix(t->buf + co, m_old, m_new, t->l4 == PE_FRAME_L4_UDP);
	return 0;
}

int pe_frame_set_payload_pattern(struct pe_frame_tmpl *t, const struct pe_frame_payload *p)
{
	size_t plen, flen = t->size_bytes - PE_FRAME_FCS_LEN;

	if (!p || p->kind > PE_FRAME_PAYLOAD_BYTES ||
	    (p->kind == PE_FRAME_PAYLOAD_BYTES && p->len && !p->bytes))
		return -EINVAL;
	if (p->kind == PE_FRAME_PAYLOAD_BYTES && t->off_payload + p->len > flen)
		return -EMSGSIZE;
	fill_payload(t, p);
	t->pinned_payload = p->kind == PE_FRAME_PAYLOAD_BYTES;
	plen = flen - t->off_payload; /* no padding: a short BYTES payload's zeros are payload */
	set_frame_len(t, t->size_bytes, plen);
	memcpy(t->under_fcs, t->buf + flen, PE_FRAME_FCS_LEN);
	put_lengths(t);
	pe_frame_update_csums(t);
	pe_frame_finish_fcs(t);
	return 0;
}
