/* SPDX-License-Identifier: BSD-2-Clause */
/* The parser/validator: every frame kind parses with the right fields, and each corruption
 * (a flipped byte in a header, the payload or the FCS; a bad length) names the right reason. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "raw/frame.h"
#include "tests/frame/frame_testutil.h"
#include "tests/testutil.h"

enum { V4 = 1, V6 = 2, RAW = 4, UDP = 8, TCP = 16, ICMP = 32 };

struct kind {
	const char *name;
	int l3, l4, n_vlans;
	size_t size;
};

static const struct kind kinds[] = {
	{ "ipv4_udp", PE_FRAME_L3_IPV4, PE_FRAME_L4_UDP, 0, 64 },
	{ "ipv4_tcp", PE_FRAME_L3_IPV4, PE_FRAME_L4_TCP, 0, 128 },
	{ "ipv4_icmp", PE_FRAME_L3_IPV4, PE_FRAME_L4_ICMP, 0, 65 },
	{ "ipv6_udp", PE_FRAME_L3_IPV6, PE_FRAME_L4_UDP, 0, 1518 },
	{ "ipv6_tcp", PE_FRAME_L3_IPV6, PE_FRAME_L4_TCP, 1, 128 },
	{ "ipv6_icmp", PE_FRAME_L3_IPV6, PE_FRAME_L4_ICMP, 2, 200 },
	{ "vlan_ipv4_udp", PE_FRAME_L3_IPV4, PE_FRAME_L4_UDP, 1, 1522 },
	{ "qinq_ipv4_tcp", PE_FRAME_L3_IPV4, PE_FRAME_L4_TCP, 2, 9026 },
	{ "raw", PE_FRAME_L3_RAW, PE_FRAME_L4_NONE, 0, 64 },
	{ "qinq_raw", PE_FRAME_L3_RAW, PE_FRAME_L4_NONE, 2, 100 },
};

static int mask_of(const struct kind *k)
{
	int m = k->l3 == PE_FRAME_L3_IPV4 ? V4 : k->l3 == PE_FRAME_L3_IPV6 ? V6 : RAW;

	if (k->l3 != PE_FRAME_L3_RAW)
		m |= k->l4 == PE_FRAME_L4_UDP ? UDP : k->l4 == PE_FRAME_L4_TCP ? TCP : ICMP;
	return m;
}

static void build(const struct kind *k, struct pe_frame_tmpl *t)
{
	struct pe_frame_opts o;

	pe_frame_opts_default(&o);
	o.l3 = k->l3;
	o.l4 = k->l4;
	o.n_vlans = k->n_vlans;
	o.vlan[0] = (struct pe_frame_vlan){ .id = 100, .pcp = 5 };
	o.vlan[1] = (struct pe_frame_vlan){ .id = 4094, .pcp = 0 };
	o.ethertype = 0x88b5;
	if (k->l3 == PE_FRAME_L3_IPV6) {
		inet_pton(AF_INET6, "2001:2::1", &o.src_ip.v6);
		inet_pton(AF_INET6, "2001:2:ffff::2", &o.dst_ip.v6);
	}
	o.sport = 1234;
	o.dport = 80;
	o.icmp_id = 77;
	o.icmp_seq = 9;
	o.payload.kind = PE_FRAME_PAYLOAD_INC;
	o.size_bytes = k->size;
	o.jumbo = k->size > 1522;
	o.fcs = true;
	cr_assert_eq(pe_frame_build(t, &o), 0, "%s", k->name);
}

/* An independent IPv4 header checksum, for corruptions that must keep the header valid. */
static void fix_ip4_csum(uint8_t *ip)
{
	uint32_t s = 0;

	ip[10] = ip[11] = 0;
	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	ip[10] = (uint8_t)(~s >> 8);
	ip[11] = (uint8_t)~s;
}

Test(frame_parse, status_names)
{
	static const char *const names[] = {
		"OK",	       "TRUNCATED",  "BAD_FCS",	   "BAD_IP_VERSION", "BAD_IP_HDR_LEN",
		"BAD_IP_CSUM", "BAD_IP_LEN", "BAD_L4_LEN", "BAD_L4_CSUM",    "UNSUPPORTED"
	};

	cr_assert_eq(PE_FRAME__STATUS_COUNT, 10);
	for (int i = 0; i < PE_FRAME__STATUS_COUNT; i++)
		cr_expect_str_eq(pe_frame_status_name(i), names[i]);
	cr_expect_str_eq(pe_frame_status_name(-1), "?");
	cr_expect_str_eq(pe_frame_status_name(PE_FRAME__STATUS_COUNT), "?");
	cr_expect_eq(pe_frame_validate(NULL, 10, 0, &(struct pe_frame_info){ 0 }), -EINVAL);
	cr_expect_eq(pe_frame_validate("x", 1, 0, NULL), -EINVAL);
}

Test(frame_parse, fields_of_each_kind)
{
	static struct pe_frame_tmpl t;
	struct pe_frame_info fi;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct kind *k = &kinds[i];
		int st;

		build(k, &t);
		cr_assert_eq(t.len, k->size);
		st = pe_frame_validate(t.buf, t.len, PE_FRAME_PARSE_FCS, &fi);
		cr_expect_eq(st, PE_FRAME_OK, "%s: %s", k->name, pe_frame_status_name(st));
		cr_expect_eq(fi.n_vlans, k->n_vlans, "%s", k->name);
		if (k->n_vlans == 2) {
			cr_expect_eq(fi.vlan_tpid[0], 0x88a8);
			cr_expect_eq(fi.vlan_tpid[1], 0x8100);
			cr_expect_eq(fi.vlan_id[1], 4094);
		}
		if (k->n_vlans) {
			cr_expect_eq(fi.vlan_id[0], 100, "%s", k->name);
			cr_expect_eq(fi.vlan_pcp[0], 5, "%s", k->name);
		}
		cr_expect_eq(fi.ethertype, k->l3 == PE_FRAME_L3_IPV4   ? 0x0800
					   : k->l3 == PE_FRAME_L3_IPV6 ? 0x86dd
								       : 0x88b5);
		cr_expect_eq(fi.l3, k->l3, "%s", k->name);
		cr_expect_eq(fi.l4, k->l4, "%s", k->name);
		cr_expect_eq(fi.off_l3, 14 + 4 * k->n_vlans, "%s", k->name);
		cr_expect_eq(fi.off_payload, t.off_payload, "%s", k->name);
		cr_expect_eq(fi.payload_len, k->size - 4 - t.off_payload, "%s", k->name);
		cr_expect_eq(fi.pad_len, 0, "%s", k->name);
		cr_expect_eq(fi.fcs, (uint32_t)t.buf[t.len - 4] | (uint32_t)t.buf[t.len - 1] << 24 |
					     (uint32_t)t.buf[t.len - 3] << 8 |
					     (uint32_t)t.buf[t.len - 2] << 16);
		if (k->l4 == PE_FRAME_L4_UDP || k->l4 == PE_FRAME_L4_TCP) {
			cr_expect_eq(fi.sport, 1234, "%s", k->name);
			cr_expect_eq(fi.dport, 80, "%s", k->name);
		}
		if (k->l4 == PE_FRAME_L4_ICMP) {
			cr_expect_eq(fi.icmp_type, k->l3 == PE_FRAME_L3_IPV4 ? 8 : 128);
			cr_expect_eq(fi.icmp_id, 77);
			cr_expect_eq(fi.icmp_seq, 9);
		}
		if (k->l3 != PE_FRAME_L3_RAW)
			cr_expect_eq(fi.ttl, 64, "%s", k->name);
	}
}

/* A padded short frame: the parser separates the real payload from the padding. */
Test(frame_parse, padding)
{
	static struct pe_frame_tmpl t;
	static const uint8_t pay[3] = { 1, 2, 3 };
	struct pe_frame_opts o;
	struct pe_frame_info fi;

	pe_frame_opts_default(&o);
	o.payload =
		(struct pe_frame_payload){ .kind = PE_FRAME_PAYLOAD_BYTES, .bytes = pay, .len = 3 };
	cr_assert_eq(pe_frame_build(&t, &o), 0);
	cr_assert_eq(t.len, 60);
	cr_expect_eq(pe_frame_validate(t.buf, t.len, 0, &fi), PE_FRAME_OK);
	cr_expect_eq(fi.payload_len, 3);
	cr_expect_eq(fi.pad_len, 60 - 42 - 3);
	cr_expect_eq(fi.off_payload, 42);
}

struct corruption {
	const char *what;
	int applies; /* kinds: any bit of V4|V6|RAW combined with UDP|TCP|ICMP (0 = any) */
	int l3only;  /* 0, V4, V6 or RAW */
	void (*mutate)(uint8_t *b, const struct pe_frame_tmpl *t);
	int expect;
};

static void m_ttl(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_l3 + 8] ^= 0x01;
}
static void m_ip4_src(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_l3 + 13] ^= 0x80;
}
static void m_ip4_version(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_l3] = 0x65;
}
static void m_ip4_ihl(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_l3] = 0x44;
	fix_ip4_csum(b + t->off_l3);
}
static void m_ip4_totlen_small(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_l3 + 2] = 0;
	b[t->off_l3 + 3] = 19;
	fix_ip4_csum(b + t->off_l3);
}
static void m_ip4_totlen_big(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_l3 + 3] += 1;
	fix_ip4_csum(b + t->off_l3);
}
static void m_ip4_mf(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_l3 + 6] |= 0x20;
	fix_ip4_csum(b + t->off_l3);
}
static void m_ip6_version(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_l3] ^= 0x20;
}
static void m_ip6_src(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_l3 + 23] ^= 0x01;
}
static void m_ip6_plen_big(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_l3 + 5] += 1;
}
static void m_ip6_hopopts(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_l3 + 6] = 0;
}
static void m_l4_first(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_l4 + 1] ^= 0x04; /* source port / ICMP code */
}
static void m_l4_csum(uint8_t *b, const struct pe_frame_tmpl *t)
{
	int off = t->l4 == PE_FRAME_L4_UDP ? 6 : t->l4 == PE_FRAME_L4_TCP ? 16 : 2;

	b[t->off_l4 + off] ^= 0x10;
}
static void m_udp_len(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_l4 + 5] -= 1;
}
static void m_tcp_doff(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_l4 + 12] = 4 << 4;
}
static void m_payload_first(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_payload] ^= 0xff;
}
static void m_payload_last(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_payload + t->payload_len - 1] ^= 0x01;
}
static void m_ethertype(uint8_t *b, const struct pe_frame_tmpl *t)
{
	b[t->off_l3 - 1] ^= 0x01; /* 0x0800 -> 0x0801: a raw frame to the parser */
}

static const struct corruption corruptions[] = {
	{ "ttl", 0, V4, m_ttl, PE_FRAME_BAD_IP_CSUM },
	{ "ipv4 src", 0, V4, m_ip4_src, PE_FRAME_BAD_IP_CSUM },
	{ "ipv4 version", 0, V4, m_ip4_version, PE_FRAME_BAD_IP_VERSION },
	{ "ipv4 ihl 4", 0, V4, m_ip4_ihl, PE_FRAME_BAD_IP_HDR_LEN },
	{ "ipv4 total length 19", 0, V4, m_ip4_totlen_small, PE_FRAME_BAD_IP_LEN },
	{ "ipv4 total length +1", 0, V4, m_ip4_totlen_big, PE_FRAME_TRUNCATED },
	{ "ipv4 more fragments", 0, V4, m_ip4_mf, PE_FRAME_UNSUPPORTED },
	{ "ipv6 version", 0, V6, m_ip6_version, PE_FRAME_BAD_IP_VERSION },
	{ "ipv6 src", 0, V6, m_ip6_src, PE_FRAME_BAD_L4_CSUM },
	{ "ipv6 payload length +1", 0, V6, m_ip6_plen_big, PE_FRAME_TRUNCATED },
	{ "ipv6 hop-by-hop", 0, V6, m_ip6_hopopts, PE_FRAME_UNSUPPORTED },
	{ "l4 port/code", UDP | TCP | ICMP, 0, m_l4_first, PE_FRAME_BAD_L4_CSUM },
	{ "l4 checksum", UDP | TCP | ICMP, 0, m_l4_csum, PE_FRAME_BAD_L4_CSUM },
	{ "udp length -1", UDP, 0, m_udp_len, PE_FRAME_BAD_L4_LEN },
	{ "tcp data offset 4", TCP, 0, m_tcp_doff, PE_FRAME_BAD_L4_LEN },
	{ "payload first", UDP | TCP | ICMP, 0, m_payload_first, PE_FRAME_BAD_L4_CSUM },
	{ "payload last", UDP | TCP | ICMP, 0, m_payload_last, PE_FRAME_BAD_L4_CSUM },
	{ "raw payload (only the FCS covers it)", 0, RAW, m_payload_first, PE_FRAME_OK },
	{ "ipv4 ethertype", 0, V4, m_ethertype, PE_FRAME_OK },
};

/* Each corruption with the FCS recomputed (so the header/payload check must catch it), and
 * again with the stale FCS (so BAD_FCS comes first). */
Test(frame_parse, corruptions_name_the_reason)
{
	static struct pe_frame_tmpl t, c;
	struct pe_frame_info fi;
	int checked = 0;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct kind *k = &kinds[i];
		int m = mask_of(k);

		build(k, &t);
		for (size_t j = 0; j < sizeof(corruptions) / sizeof(corruptions[0]); j++) {
			const struct corruption *x = &corruptions[j];
			int st;

			if ((x->l3only && !(m & x->l3only)) || (x->applies && !(m & x->applies)))
				continue;
			c = t;
			x->mutate(c.buf, &c);
			st = pe_frame_validate(c.buf, c.len, PE_FRAME_PARSE_FCS, &fi);
			cr_expect_eq(st, PE_FRAME_BAD_FCS, "%s, %s, stale FCS: %s", k->name,
				     x->what, pe_frame_status_name(st));
			pe_frame_finish_fcs(&c);
			st = pe_frame_validate(c.buf, c.len, PE_FRAME_PARSE_FCS, &fi);
			cr_expect_eq(st, x->expect, "%s, %s: %s, expected %s", k->name, x->what,
				     pe_frame_status_name(st), pe_frame_status_name(x->expect));
			checked++;
		}
		/* the FCS itself, each byte */
		for (int b = 1; b <= 4; b++) {
			c = t;
			c.buf[c.len - b] ^= 0x40;
			cr_expect_eq(pe_frame_validate(c.buf, c.len, PE_FRAME_PARSE_FCS, &fi),
				     PE_FRAME_BAD_FCS, "%s: FCS byte %d", k->name, b);
			cr_expect_eq(pe_frame_validate(c.buf, c.len - 4, 0, &fi), PE_FRAME_OK,
				     "%s: without the FCS", k->name);
		}
		/* truncations: inside the L3 header, inside L4, one byte short of the packet */
		if (k->l3 != PE_FRAME_L3_RAW) {
			size_t cut[] = { t.off_l3 + 10u, t.off_l4 + 3u, t.len - 5u };

			for (int n = 0; n < 3; n++)
				cr_expect_eq(pe_frame_validate(t.buf, cut[n], 0, &fi),
					     PE_FRAME_TRUNCATED, "%s: cut at %zu", k->name, cut[n]);
		}
		cr_expect_eq(pe_frame_validate(t.buf, 13, 0, &fi), PE_FRAME_TRUNCATED);
		cr_expect_eq(pe_frame_validate(t.buf, 7, PE_FRAME_PARSE_FCS, &fi),
			     PE_FRAME_TRUNCATED);
	}
	cr_expect_eq(checked, 92, "corruption cases run: %d", checked);
}

/* Every single-byte error in a stored scapy vector with FCS is caught (CRC-32 detects all
 * bursts up to 32 bits), and the unmodified vectors parse clean. */
Test(frame_parse, scapy_vectors)
{
	struct pe_vec *v;
	struct pe_frame_info fi;
	int n = pe_vec_load(PE_FRAME_VECTORS, &v), flips = 0;

	cr_assert_gt(n, 0);
	for (int i = 0; i < n; i++) {
		unsigned fl = strstr(v[i].name, "_fcs") ? PE_FRAME_PARSE_FCS : 0;
		int st = pe_frame_validate(v[i].bytes, v[i].len, fl, &fi);

		cr_expect_eq(st, PE_FRAME_OK, "%s: %s", v[i].name, pe_frame_status_name(st));
		cr_expect_eq(fi.l3,
			     strstr(v[i].name, "ipv4")	 ? PE_FRAME_L3_IPV4
			     : strstr(v[i].name, "ipv6") ? PE_FRAME_L3_IPV6
							 : PE_FRAME_L3_RAW,
			     "%s", v[i].name);
		if (!fl || v[i].len > 1522)
			continue;
		for (size_t b = 0; b < v[i].len; b++) {
			v[i].bytes[b] ^= 0x5a;
			st = pe_frame_validate(v[i].bytes, v[i].len, fl, &fi);
			v[i].bytes[b] ^= 0x5a;
			if (st != PE_FRAME_BAD_FCS)
				cr_expect_fail("%s: byte %zu flipped: %s", v[i].name, b,
					       pe_frame_status_name(st));
			flips++;
		}
	}
	cr_expect_gt(flips, 1000);
	pe_vec_free(v, n);
}
