/* SPDX-License-Identifier: BSD-2-Clause */
/* Incremental updates equal full rebuilds: random sequences of setter calls (addresses,
 * ports, IP id, TTL, TCP/ICMP seq, payload stamps, sizes) on a template, compared after
 * every call with a template rebuilt from scratch from the same options. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "raw/frame.h"

struct kind {
	const char *name;
	int l3, l4, n_vlans;
	bool fcs, jumbo;
	enum pe_frame_payload_kind pay;
	int iters;
};

static const struct kind kinds[] = {
	{ "ipv4_udp_fcs", PE_FRAME_L3_IPV4, PE_FRAME_L4_UDP, 0, true, false, PE_FRAME_PAYLOAD_INC,
	  4000 },
	{ "ipv4_udp", PE_FRAME_L3_IPV4, PE_FRAME_L4_UDP, 1, false, false, PE_FRAME_PAYLOAD_RANDOM,
	  4000 },
	{ "ipv4_tcp", PE_FRAME_L3_IPV4, PE_FRAME_L4_TCP, 2, true, false, PE_FRAME_PAYLOAD_FILL,
	  4000 },
	{ "ipv4_icmp", PE_FRAME_L3_IPV4, PE_FRAME_L4_ICMP, 0, true, false, PE_FRAME_PAYLOAD_RANDOM,
	  4000 },
	{ "ipv6_udp", PE_FRAME_L3_IPV6, PE_FRAME_L4_UDP, 0, true, false, PE_FRAME_PAYLOAD_RANDOM,
	  4000 },
	{ "ipv6_tcp", PE_FRAME_L3_IPV6, PE_FRAME_L4_TCP, 1, false, false, PE_FRAME_PAYLOAD_INC,
	  4000 },
	{ "ipv6_icmp", PE_FRAME_L3_IPV6, PE_FRAME_L4_ICMP, 2, true, false, PE_FRAME_PAYLOAD_INC,
	  4000 },
	{ "ipv4_udp_bytes", PE_FRAME_L3_IPV4, PE_FRAME_L4_UDP, 0, true, false,
	  PE_FRAME_PAYLOAD_BYTES, 4000 },
	{ "ipv6_udp_jumbo", PE_FRAME_L3_IPV6, PE_FRAME_L4_UDP, 1, true, true,
	  PE_FRAME_PAYLOAD_RANDOM, 1000 },
	{ "raw", PE_FRAME_L3_RAW, PE_FRAME_L4_NONE, 1, true, false, PE_FRAME_PAYLOAD_INC, 2000 },
};

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Values that stress one's-complement corners (0, 0xffff words) as often as random ones. */
static uint16_t rnd16(void)
{
	static const uint16_t corner[] = { 0, 0xffff, 1, 0xfffe, 0x8000, 0x00ff };

	return rnd() & 1 ? corner[rnd() % 6] : (uint16_t)rnd();
}

static const uint8_t bytes_payload[5] = { 0xde, 0xad, 0xbe, 0xef, 0x01 };

/* The model: options plus the bytes stamped into the payload (by offset). */
static struct pe_frame_opts o;
static uint8_t overlay[PE_FRAME_BUF_MAX];
static bool overlay_set[PE_FRAME_BUF_MAX];

static void rebuild(struct pe_frame_tmpl *b)
{
	cr_assert_eq(pe_frame_build(b, &o), 0);
	for (size_t i = 0; i < b->payload_len; i++)
		if (overlay_set[i])
			b->buf[b->off_payload + i] = overlay[i];
	pe_frame_update_csums(b);
	pe_frame_finish_fcs(b);
}

static void stamp_model(size_t off, const uint8_t *d, size_t n)
{
	memcpy(overlay + off, d, n);
	memset(overlay_set + off, 1, n);
}

/* One random change to a and to the model; returns the operation's name. */
static const char *step(struct pe_frame_tmpl *a)
{
	bool v4 = o.l3 == PE_FRAME_L3_IPV4, v6 = o.l3 == PE_FRAME_L3_IPV6;
	bool ports = o.l3 != PE_FRAME_L3_RAW && o.l4 != PE_FRAME_L4_ICMP;
	int op = (int)(rnd() % 10), r;

	switch (op) {
	case 0: {
		struct in_addr x = { .s_addr = (uint32_t)rnd() };

		r = pe_frame_set_ipv4_src(a, x);
		cr_assert_eq(r, v4 ? 0 : -EINVAL);
		if (v4)
			o.src_ip.v4 = x;
		return "ipv4_src";
	}
	case 1: {
		struct in_addr x = { .s_addr = rnd() & 1 ? 0xffffffffu : (uint32_t)rnd() };

		r = pe_frame_set_ipv4_dst(a, x);
		cr_assert_eq(r, v4 ? 0 : -EINVAL);
		if (v4)
			o.dst_ip.v4 = x;
		return "ipv4_dst";
	}
	case 2: {
		struct in6_addr x;
		bool src = rnd() & 1;

		for (int i = 0; i < 8; i++)
			x.s6_addr16[i] = rnd16();
		r = src ? pe_frame_set_ipv6_src(a, &x) : pe_frame_set_ipv6_dst(a, &x);
		cr_assert_eq(r, v6 ? 0 : -EINVAL);
		if (v6)
			(src ? &o.src_ip : &o.dst_ip)->v6 = x;
		return "ipv6_addr";
	}
	case 3: {
		uint16_t s = rnd16(), d = rnd16();

		r = pe_frame_set_ports(a, s, d);
		cr_assert_eq(r, ports ? 0 : -EINVAL);
		if (ports) {
			o.sport = s;
			o.dport = d;
		}
		return "ports";
	}
	case 4: {
		uint16_t id = rnd16();

		cr_assert_eq(pe_frame_set_ip_id(a, id), v4 ? 0 : -EINVAL);
		if (v4)
			o.ip_id = id;
		return "ip_id";
	}
	case 5: {
		uint8_t ttl = (uint8_t)rnd();

		cr_assert_eq(pe_frame_set_ttl(a, ttl), v4 || v6 ? 0 : -EINVAL);
		if (v4 || v6)
			o.ttl = ttl;
		return "ttl";
	}
	case 6: {
		uint32_t seq = (uint32_t)rnd();
		bool tcp = o.l3 != PE_FRAME_L3_RAW && o.l4 == PE_FRAME_L4_TCP;
		bool icmp = o.l3 != PE_FRAME_L3_RAW && o.l4 == PE_FRAME_L4_ICMP;

		cr_assert_eq(pe_frame_set_tcp_seq(a, seq), tcp ? 0 : -EINVAL);
		cr_assert_eq(pe_frame_set_icmp_seq(a, (uint16_t)seq), icmp ? 0 : -EINVAL);
		if (tcp)
			o.tcp_seq = seq;
		if (icmp)
			o.icmp_seq = (uint16_t)seq;
		return "l4_seq";
	}
	case 7:
	case 8: {
		uint64_t seq = rnd();
		size_t off;
		uint8_t be[8];

		if (a->payload_len < 8) {
			cr_assert_eq(pe_frame_stamp_seq(a, 0, seq), -ERANGE);
			return "stamp_seq";
		}
		off = rnd() % (a->payload_len - 7u); /* odd offsets too */
		cr_assert_eq(pe_frame_stamp_seq(a, off, seq), 0);
		for (int i = 0; i < 8; i++)
			be[i] = (uint8_t)(seq >> (56 - 8 * i));
		stamp_model(off, be, 8);
		cr_assert_eq(pe_frame_stamp_seq(a, a->payload_len - 7u, seq), -ERANGE);
		return "stamp_seq";
	}
	default: {
		size_t span = a->max_size - a->min_size + 1u;
		size_t size = a->min_size + (rnd() & 3 ? rnd() % span : (rnd() & 1 ? 0 : span - 1));

		cr_assert_eq(pe_frame_set_size(a, size), 0);
		o.size_bytes = size;
		cr_assert_eq(pe_frame_set_size(a, a->max_size + 1u), -EMSGSIZE);
		cr_assert_eq(pe_frame_set_size(a, a->min_size - 1u), -EMSGSIZE);
		return "size";
	}
	}
}

Test(frame_incr, equals_full_rebuild)
{
	static struct pe_frame_tmpl a, b;
	struct pe_frame_info fi;
	long compared = 0;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const struct kind *kd = &kinds[k];

		pe_frame_opts_default(&o);
		o.l3 = kd->l3;
		o.l4 = kd->l4;
		o.n_vlans = kd->n_vlans;
		o.vlan[0].id = 7;
		o.vlan[1].id = 8;
		o.ethertype = 0x88b5;
		o.fcs = kd->fcs;
		o.jumbo = kd->jumbo;
		o.tos = 0xb8;
		o.df = true;
		o.tcp_flags = PE_TCP_ACK;
		o.payload.kind = kd->pay;
		o.payload.seed = k;
		o.payload.fill = 0xff;
		o.payload.bytes = bytes_payload;
		o.payload.len = sizeof(bytes_payload);
		if (kd->l3 == PE_FRAME_L3_IPV6) {
			inet_pton(AF_INET6, "2001:2::1", &o.src_ip.v6);
			inet_pton(AF_INET6, "2001:2::2", &o.dst_ip.v6);
		}
		memset(overlay_set, 0, sizeof(overlay_set));
		cr_assert_eq(pe_frame_build(&a, &o), 0, "%s", kd->name);
		for (int it = 0; it < kd->iters; it++) {
			const char *what = step(&a);

			pe_frame_finish_fcs(&a);
			rebuild(&b);
			cr_assert_eq(a.len, b.len, "%s #%d %s: len %u vs %u", kd->name, it, what,
				     a.len, b.len);
			if (memcmp(a.buf, b.buf, a.len)) {
				size_t i = 0;

				while (a.buf[i] == b.buf[i])
					i++;
				cr_assert_fail(
					"%s #%d after %s: byte %zu is %02x, rebuild has %02x",
					kd->name, it, what, i, a.buf[i], b.buf[i]);
			}
			cr_assert_eq(pe_frame_validate(a.buf, a.len,
						       kd->fcs ? PE_FRAME_PARSE_FCS : 0, &fi),
				     PE_FRAME_OK, "%s #%d %s", kd->name, it, what);
			compared++;
		}
	}
	cr_expect_eq(compared, 35000);
}

/* A padded BYTES frame grows: the zeros become payload, the lengths follow. */
Test(frame_incr, padded_frame_grows)
{
	static struct pe_frame_tmpl a;
	struct pe_frame_info fi;

	pe_frame_opts_default(&o);
	o.payload = (struct pe_frame_payload){ .kind = PE_FRAME_PAYLOAD_BYTES,
					       .bytes = bytes_payload,
					       .len = sizeof(bytes_payload) };
	cr_assert_eq(pe_frame_build(&a, &o), 0);
	cr_assert_eq(a.payload_len, 5);
	cr_assert_eq(a.len, 60);
	cr_assert_eq(pe_frame_set_size(&a, 64), 0);
	cr_expect_eq(a.payload_len, 18);
	cr_expect_eq(a.buf[14 + 2] << 8 | a.buf[14 + 3], 46); /* IPv4 total length */
	cr_expect_eq(a.buf[34 + 4] << 8 | a.buf[34 + 5], 26); /* UDP length */
	cr_expect_eq(pe_frame_validate(a.buf, a.len, 0, &fi), PE_FRAME_OK);
	cr_expect_eq(fi.pad_len, 0);
}

/* Options the builder must refuse, with the documented codes; t is left unchanged. */
Test(frame_incr, build_rejects)
{
	static struct pe_frame_tmpl a, before;
	static const uint8_t big[1500];
	static const char *const what[] = {
		"vlan 4095",	  "pcp 8",	     "3 tags",	  "flow label 2^20",
		"l4 9",		  "size 63",	     "size 1519", "jumbo 9019",
		"ipv6 tcp at 64", "payload too big", "sz 0",	  "bytes NULL",
	};
	const int want[] = { -EINVAL,	-EINVAL,   -EINVAL,   -EINVAL,	 -EINVAL, -EMSGSIZE,
			     -EMSGSIZE, -EMSGSIZE, -EMSGSIZE, -EMSGSIZE, -EINVAL, -EINVAL };

	pe_frame_opts_default(&o);
	cr_assert_eq(pe_frame_build(&a, &o), 0);
	before = a;
	for (int i = 0; i < 12; i++) {
		pe_frame_opts_default(&o);
		switch (i) {
		case 0:
			o.n_vlans = 1;
			o.vlan[0].id = 4095;
			break;
		case 1:
			o.n_vlans = 2;
			o.vlan[1].pcp = 8;
			break;
		case 2:
			o.n_vlans = 3;
			break;
		case 3:
			o.l3 = PE_FRAME_L3_IPV6;
			o.flow_label = 1u << 20;
			break;
		case 4:
			o.l4 = 9;
			break;
		case 5:
			o.size_bytes = 63;
			break;
		case 6:
			o.size_bytes = 1519;
			break;
		case 7:
			o.jumbo = true;
			o.size_bytes = 9019;
			break;
		case 8:
			o.l3 = PE_FRAME_L3_IPV6;
			o.l4 = PE_FRAME_L4_TCP;
			o.size_bytes = 64;
			break;
		case 9:
			o.payload = (struct pe_frame_payload){ .kind = PE_FRAME_PAYLOAD_BYTES,
							       .bytes = big,
							       .len = 1500 };
			break;
		case 10:
			o.sz = 0;
			break;
		default:
			o.payload = (struct pe_frame_payload){ .kind = PE_FRAME_PAYLOAD_BYTES,
							       .len = 4 };
			break;
		}
		cr_expect_eq(pe_frame_build(&a, &o), want[i], "%s", what[i]);
		cr_expect(!memcmp(&a, &before, sizeof(a)), "%s: template changed", what[i]);
	}
	/* the edges that must work: 1522 with a tag, 9018 jumbo, 66 for IPv6/UDP */
	pe_frame_opts_default(&o);
	o.n_vlans = 1;
	o.size_bytes = 1522;
	cr_expect_eq(pe_frame_build(&a, &o), 0);
	cr_expect_eq(a.max_size, 1522);
	o.n_vlans = 0;
	o.jumbo = true;
	o.size_bytes = 9018;
	cr_expect_eq(pe_frame_build(&a, &o), 0);
	cr_expect_eq(a.len, 9014);
	pe_frame_opts_default(&o);
	o.l3 = PE_FRAME_L3_IPV6;
	cr_expect_eq(pe_frame_build(&a, &o), 0);
	cr_expect_eq(a.size_bytes, 66);
	cr_expect_eq(a.min_size, 66);
}

/* The one's-complement corner: ports chosen so the checksum computes to 0. UDP must send it
 * as 0xffff (RFC 768; 0 means "no checksum"), TCP as 0, by setter and by rebuild alike. */
Test(frame_incr, zero_checksum_corner)
{
	static struct pe_frame_tmpl a, b;
	struct pe_frame_info fi;

	for (int l4 = PE_FRAME_L4_UDP; l4 <= PE_FRAME_L4_TCP; l4++) {
		for (int l3 = PE_FRAME_L3_IPV4; l3 <= PE_FRAME_L3_IPV6; l3++) {
			uint16_t co, c, want = l4 == PE_FRAME_L4_UDP ? 0xffff : 0;

			pe_frame_opts_default(&o);
			o.l3 = l3;
			o.l4 = l4;
			o.sport = 0;
			cr_assert_eq(pe_frame_build(&a, &o), 0);
			co = a.off_l4 + (l4 == PE_FRAME_L4_UDP ? 6 : 16);
			c = (uint16_t)(a.buf[co] << 8 | a.buf[co + 1]);
			cr_assert_neq(c, 0);
			/* adding c to the sum makes it 0xffff, so the checksum is ~0xffff = 0 */
			cr_assert_eq(pe_frame_set_ports(&a, c, o.dport), 0);
			cr_expect_eq(a.buf[co] << 8 | a.buf[co + 1], want, "l3 %d l4 %d: %02x%02x",
				     l3, l4, a.buf[co], a.buf[co + 1]);
			o.sport = c;
			cr_assert_eq(pe_frame_build(&b, &o), 0);
			cr_expect_eq(b.buf[co] << 8 | b.buf[co + 1], want);
			cr_expect_eq(pe_frame_validate(b.buf, b.len, 0, &fi), PE_FRAME_OK);
			cr_expect_eq(fi.sport, c);
		}
	}
}

/* Rewriting the payload pattern equals building with that pattern. */
Test(frame_incr, payload_pattern_equals_build)
{
	static struct pe_frame_tmpl a, b;
	static const uint8_t pay[7] = { 1, 2, 3, 4, 5, 6, 7 };
	const struct pe_frame_payload pats[] = {
		{ .kind = PE_FRAME_PAYLOAD_INC },
		{ .kind = PE_FRAME_PAYLOAD_RANDOM, .seed = 99 },
		{ .kind = PE_FRAME_PAYLOAD_FILL, .fill = 0x5a },
		{ .kind = PE_FRAME_PAYLOAD_BYTES, .bytes = pay, .len = sizeof(pay) },
	};

	for (int l4 = PE_FRAME_L4_UDP; l4 <= PE_FRAME_L4_ICMP; l4++) {
		for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
			pe_frame_opts_default(&o);
			o.l4 = l4;
			o.fcs = true;
			o.size_bytes = 300;
			cr_assert_eq(pe_frame_build(&a, &o), 0);
			cr_assert_eq(pe_frame_set_payload_pattern(&a, &pats[i]), 0);
			o.payload = pats[i];
			cr_assert_eq(pe_frame_build(&b, &o), 0);
			cr_expect(a.len == b.len && !memcmp(a.buf, b.buf, a.len),
				  "l4 %d pattern %zu", l4, i);
			/* and the frame keeps growing with the new pattern */
			cr_assert_eq(pe_frame_set_size(&a, 1518), 0);
			pe_frame_finish_fcs(&a);
			o.size_bytes = 1518;
			cr_assert_eq(pe_frame_build(&b, &o), 0);
			cr_expect(a.len == b.len && !memcmp(a.buf, b.buf, a.len),
				  "l4 %d pattern %zu grown", l4, i);
		}
	}
	cr_expect_eq(pe_frame_set_payload_pattern(&a, NULL), -EINVAL);
	cr_expect_eq(
		pe_frame_set_payload_pattern(
			&a, &(struct pe_frame_payload){ .kind = PE_FRAME_PAYLOAD_BYTES, .len = 3 }),
		-EINVAL);
}
