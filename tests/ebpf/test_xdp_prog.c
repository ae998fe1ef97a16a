/* SPDX-License-Identifier: BSD-2-Clause */
/* The XDP counter's classification without a NIC: every kind of frame (built with raw/frame.h,
 * then cut or patched for the malformed ones) runs through BPF_PROG_TEST_RUN, and every counter
 * is checked exactly, with the verdict, in pass and in drop mode. Needs root (CAP_BPF). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>

#include "ebpf/loader.h"
#include "raw/frame.h"
#include "tests/ebpf/xdplab.h"
#include "tests/testutil.h"

#define REPEAT 7
#define NONE   PE_XDP_L4_MAX /* no L4 class: not an IP frame */

enum patch {
	P_NONE,
	P_IP_PROTO,  /* IPv4 protocol / IPv6 next header := arg */
	P_IHL,	     /* IPv4 IHL := arg */
	P_VERSION,   /* IP version nibble := arg */
	P_V6_EXT,    /* IPv6: arg extension headers (8 bytes each) before the L4 header */
	P_V6_HBH_CUT /* IPv6: a hop-by-hop header claiming 16 bytes, frame ends after 8 */
};

struct xcase {
	const char *name;
	/* the frame */
	enum pe_frame_l3 l3;
	enum pe_frame_l4 l4;
	uint16_t ethertype; /* raw frames */
	int n_vlans;
	enum patch patch;
	int arg;
	int cut; /* > 0: keep only this many bytes, -1: none; 0: the whole frame */
	/* expected */
	unsigned x_l3, x_l4, x_tags;
};

#define RAW  PE_FRAME_L3_RAW
#define V4   PE_FRAME_L3_IPV4
#define V6   PE_FRAME_L3_IPV6
#define NOL4 PE_FRAME_L4_NONE
#define TCP  PE_FRAME_L4_TCP
#define UDP  PE_FRAME_L4_UDP
#define ICMP PE_FRAME_L4_ICMP
/* expected classes */
#define C_V4	PE_XDP_L3_IPV4
#define C_V6	PE_XDP_L3_IPV6
#define C_ARP	PE_XDP_L3_ARP
#define C_OTHER PE_XDP_L3_OTHER
#define C_SHORT PE_XDP_L3_SHORT
#define K_TCP	PE_XDP_L4_TCP
#define K_UDP	PE_XDP_L4_UDP
#define K_ICMP	PE_XDP_L4_ICMP
#define K_OTHER PE_XDP_L4_OTHER
#define K_BAD	PE_XDP_L4_BAD

/* clang-format off */
static const struct xcase cases[] = {
	{ "ipv4-tcp", V4, TCP, 0, 0, P_NONE, 0, 0, C_V4, K_TCP, 0 },
	{ "ipv4-udp", V4, UDP, 0, 0, P_NONE, 0, 0, C_V4, K_UDP, 0 },
	{ "ipv4-icmp", V4, ICMP, 0, 0, P_NONE, 0, 0, C_V4, K_ICMP, 0 },
	{ "ipv4-gre", V4, UDP, 0, 0, P_IP_PROTO, 47, 0, C_V4, K_OTHER, 0 },
	{ "ipv6-tcp", V6, TCP, 0, 0, P_NONE, 0, 0, C_V6, K_TCP, 0 },
	{ "ipv6-udp", V6, UDP, 0, 0, P_NONE, 0, 0, C_V6, K_UDP, 0 },
	{ "ipv6-icmp", V6, ICMP, 0, 0, P_NONE, 0, 0, C_V6, K_ICMP, 0 },
	{ "ipv6-sctp", V6, UDP, 0, 0, P_IP_PROTO, 132, 0, C_V6, K_OTHER, 0 },
	{ "arp", RAW, NOL4, 0x0806, 0, P_NONE, 0, 0, C_ARP, NONE, 0 },
	{ "other-ethertype", RAW, NOL4, 0x88b5, 0, P_NONE, 0, 0, C_OTHER, NONE, 0 },
	{ "vlan-ipv4-udp", V4, UDP, 0, 1, P_NONE, 0, 0, C_V4, K_UDP, 1 },
	{ "vlan-ipv6-icmp", V6, ICMP, 0, 1, P_NONE, 0, 0, C_V6, K_ICMP, 1 },
	{ "vlan-arp", RAW, NOL4, 0x0806, 1, P_NONE, 0, 0, C_ARP, NONE, 1 },
	{ "qinq-ipv4-tcp", V4, TCP, 0, 2, P_NONE, 0, 0, C_V4, K_TCP, 2 },
	{ "qinq-ipv6-udp", V6, UDP, 0, 2, P_NONE, 0, 0, C_V6, K_UDP, 2 },
	{ "qinq-other", RAW, NOL4, 0x88b5, 2, P_NONE, 0, 0, C_OTHER, NONE, 2 },
	/* a third tag is not parsed: its TPID is the ethertype */
	{ "three-tags", RAW, NOL4, 0x8100, 2, P_NONE, 0, 0, C_OTHER, NONE, 2 },
	/* IPv6 extension headers: up to four are skipped */
	{ "ipv6-1ext-udp", V6, UDP, 0, 0, P_V6_EXT, 1, 0, C_V6, K_UDP, 0 },
	{ "ipv6-4ext-tcp", V6, TCP, 0, 0, P_V6_EXT, 4, 0, C_V6, K_TCP, 0 },
	{ "ipv6-5ext-tcp", V6, TCP, 0, 0, P_V6_EXT, 5, 0, C_V6, K_BAD, 0 },
	{ "ipv6-hbh-cut", V6, ICMP, 0, 0, P_V6_HBH_CUT, 0, 0, C_V6, K_BAD, 0 },
	/* IPv4 options, and invalid headers */
	{ "ipv4-options", V4, UDP, 0, 0, P_IHL, 6, 0, C_V4, K_UDP, 0 },
	{ "ipv4-ihl4", V4, UDP, 0, 0, P_IHL, 4, 0, C_V4, K_BAD, 0 },
	{ "ipv4-options-cut", V4, UDP, 0, 0, P_IHL, 15, 0, C_V4, K_BAD, 0 },
	{ "ipv4-version6", V4, UDP, 0, 0, P_VERSION, 6, 0, C_V4, K_BAD, 0 },
	{ "ipv6-version4", V6, UDP, 0, 0, P_VERSION, 4, 0, C_V6, K_BAD, 0 },
	/* truncated (shorter than Ethernet: the kernel refuses to run them) */
	{ "empty", V4, UDP, 0, 0, P_NONE, 0, -1, C_SHORT, NONE, 0 },
	{ "1-byte", V4, UDP, 0, 0, P_NONE, 0, 1, C_SHORT, NONE, 0 },
	{ "13-bytes", V4, UDP, 0, 0, P_NONE, 0, 13, C_SHORT, NONE, 0 },
	{ "ipv4-no-header", V4, UDP, 0, 0, P_NONE, 0, 14, C_V4, K_BAD, 0 },
	{ "ipv4-header-cut", V4, UDP, 0, 0, P_NONE, 0, 33, C_V4, K_BAD, 0 },
	{ "ipv4-header-only", V4, UDP, 0, 0, P_NONE, 0, 34, C_V4, K_UDP, 0 },
	{ "ipv6-header-cut", V6, UDP, 0, 0, P_NONE, 0, 53, C_V6, K_BAD, 0 },
	{ "arp-no-body", RAW, NOL4, 0x0806, 0, P_NONE, 0, 14, C_ARP, NONE, 0 },
	{ "vlan-tag-cut", V4, UDP, 0, 1, P_NONE, 0, 17, C_SHORT, NONE, 0 },
	{ "qinq-inner-cut", V4, UDP, 0, 2, P_NONE, 0, 21, C_SHORT, NONE, 0 },
	{ "vlan-ipv4-cut", V4, TCP, 0, 1, P_NONE, 0, 37, C_V4, K_BAD, 1 },
	{ "qinq-ipv6-cut", V6, TCP, 0, 2, P_NONE, 0, 40, C_V6, K_BAD, 2 },
};
/* clang-format on */

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Builds case c into buf (at most 82 + 40 bytes); returns the length. */
static size_t build(const struct xcase *c, uint8_t *buf)
{
	struct pe_frame_tmpl t;
	struct pe_frame_opts o;
	uint8_t *l3;
	size_t len;
	int i;

	pe_frame_opts_default(&o);
	o.l3 = c->l3;
	o.l4 = c->l4;
	o.ethertype = c->ethertype;
	o.n_vlans = c->n_vlans;
	o.vlan[0].id = 100;
	o.vlan[1].id = 200;
	if (c->l3 == V6) {
		cr_assert_eq(inet_pton(AF_INET6, "2001:2::1", &o.src_ip.v6), 1);
		cr_assert_eq(inet_pton(AF_INET6, "2001:2::2", &o.dst_ip.v6), 1);
	}
	cr_assert_eq(pe_frame_build(&t, &o), 0, "%s: pe_frame_build", c->name);
	len = t.len; /* 60, or more when the headers need it (IPv6, TCP, two tags: 82) */
	cr_assert(len >= 60 && len <= 82, "%s: %zu bytes", c->name, len);
	memcpy(buf, pe_frame_data(&t), len);
	l3 = buf + t.off_l3;
	switch (c->patch) {
	case P_NONE:
		break;
	case P_IP_PROTO:
		l3[c->l3 == V4 ? 9 : 6] = (uint8_t)c->arg;
		break;
	case P_IHL:
		l3[0] = (uint8_t)(0x40 | c->arg);
		break;
	case P_VERSION:
		l3[0] = (uint8_t)((c->arg << 4) | (l3[0] & 0x0f));
		break;
	case P_V6_EXT: {
		/* Destination options headers, 8 bytes each, chained to the old next header. */
		uint8_t l4 = l3[6];
		uint8_t *p = l3 + 40;

		memmove(p + 8 * c->arg, p, len - (size_t)(p - buf));
		l3[6] = 60; /* IPPROTO_DSTOPTS */
		for (i = 0; i < c->arg; i++, p += 8) {
			memset(p, 0, 8);
			p[0] = i == c->arg - 1 ? l4 : 60;
		}
		len += 8 * c->arg;
		break;
	}
	case P_V6_HBH_CUT:
		l3[6] = 0; /* IPPROTO_HOPOPTS */
		l3[40] = 58;
		l3[41] = 1; /* 16 bytes */
		len = t.off_l3 + 40 + 8;
		break;
	}
	if (c->cut)
		len = c->cut < 0 ? 0 : (size_t)c->cut;
	return len;
}

static void expect_ctr(const char *name, const char *what, const struct pe_xdp_ctr *got,
		       uint64_t pkts, uint64_t bytes)
{
	cr_expect_eq(got->pkts, pkts, "%s: %s frames %llu, want %llu", name, what,
		     (unsigned long long)got->pkts, (unsigned long long)pkts);
	cr_expect_eq(got->bytes, bytes, "%s: %s bytes %llu, want %llu", name, what,
		     (unsigned long long)got->bytes, (unsigned long long)bytes);
}

static void run_table(bool drop)
{
	PE_XDP_OPTS(o, .drop = drop);
	struct pe_xdp *x;
	uint8_t buf[256];
	size_t i;
	unsigned k;

	PE_REQUIRE_XDP();
	x = pe_xdp_open(&o);
	cr_assert_not_null(x, "pe_xdp_open: %s", strerror(errno));
	for (i = 0; i < NCASES; i++) {
		const struct xcase *c = &cases[i];
		struct pe_xdp_stats s;
		uint32_t verdict = 99, dur = 0;
		size_t len = build(c, buf);
		char what[32];

		cr_assert_eq(pe_xdp_reset(x), 0);
		if (len < 14) {
			/* the kernel runs nothing shorter than an Ethernet header */
			cr_expect_eq(pe_xdp_test_run(x, buf, len, REPEAT, &verdict, &dur), -EINVAL,
				     "%s", c->name);
			cr_assert_eq(pe_xdp_read(x, &s), 0);
			cr_expect_eq(pe_xdp_stats_total(&s).pkts, 0, "%s: counted", c->name);
			continue;
		}
		cr_assert_eq(pe_xdp_test_run(x, buf, len, REPEAT, &verdict, &dur), 0,
			     "%s: test run", c->name);
		cr_expect_eq(verdict, drop ? XDP_DROP : XDP_PASS, "%s: verdict %u", c->name,
			     verdict);
		cr_assert_eq(pe_xdp_read(x, &s), 0);
		for (k = 0; k < PE_XDP_L3_MAX; k++) {
			snprintf(what, sizeof(what), "l3 %s", pe_xdp_l3_name(k));
			expect_ctr(c->name, what, &s.l3[k], k == c->x_l3 ? REPEAT : 0,
				   k == c->x_l3 ? REPEAT * len : 0);
		}
		for (k = 0; k < PE_XDP_L4_MAX; k++) {
			snprintf(what, sizeof(what), "l4 %s", pe_xdp_l4_name(k));
			expect_ctr(c->name, what, &s.l4[k], k == c->x_l4 ? REPEAT : 0,
				   k == c->x_l4 ? REPEAT * len : 0);
		}
		for (k = 0; k < 2; k++) {
			snprintf(what, sizeof(what), "vlan %u", k + 1);
			expect_ctr(c->name, what, &s.vlan[k], k + 1 == c->x_tags ? REPEAT : 0,
				   k + 1 == c->x_tags ? REPEAT * len : 0);
		}
	}
	pe_xdp_close(x);
}

Test(xdp_prog, every_class_pass)
{
	run_table(false);
}

Test(xdp_prog, every_class_drop)
{
	run_table(true);
}

/* All cases into one counter without a reset: the totals add up (nothing is counted twice or
 * lost between classes), and reset zeroes every CPU. */
Test(xdp_prog, totals_add_up)
{
	struct pe_xdp_stats s;
	struct pe_xdp_ctr t;
	struct pe_xdp *x;
	uint8_t buf[256];
	uint64_t want_pkts = 0, want_bytes = 0, l4_pkts = 0;
	size_t i;
	unsigned k;

	PE_REQUIRE_XDP();
	x = pe_xdp_open(NULL);
	cr_assert_not_null(x);
	for (i = 0; i < NCASES; i++) {
		size_t len = build(&cases[i], buf);
		uint32_t n = 1 + (uint32_t)i % 5;

		if (len < 14)
			continue;
		cr_assert_eq(pe_xdp_test_run(x, buf, len, n, NULL, NULL), 0);
		want_pkts += n;
		want_bytes += n * len;
		if (cases[i].x_l4 != NONE)
			l4_pkts += n;
	}
	cr_assert_eq(pe_xdp_read(x, &s), 0);
	t = pe_xdp_stats_total(&s);
	cr_expect_eq(t.pkts, want_pkts);
	cr_expect_eq(t.bytes, want_bytes);
	for (k = 0; k < PE_XDP_L4_MAX; k++)
		l4_pkts -= s.l4[k].pkts;
	cr_expect_eq(l4_pkts, 0, "l4 classes miss %lld IP frames", (long long)l4_pkts);
	cr_assert_eq(pe_xdp_reset(x), 0);
	cr_assert_eq(pe_xdp_read(x, &s), 0);
	t = pe_xdp_stats_total(&s);
	cr_expect_eq(t.pkts, 0);
	cr_expect_eq(t.bytes, 0);
	pe_xdp_close(x);
}

Test(xdp_prog, bad_arguments)
{
	PE_XDP_OPTS(o);
	struct pe_xdp *x;
	uint8_t buf[64] = { 0 };

	PE_REQUIRE_XDP();
	x = pe_xdp_open(&o);
	cr_assert_not_null(x);
	cr_expect_eq(pe_xdp_test_run(x, buf, sizeof(buf), 0, NULL, NULL), -EINVAL, "repeat 0");
	cr_expect_eq(pe_xdp_test_run(x, NULL, 10, 1, NULL, NULL), -EINVAL, "NULL frame");
	cr_expect_eq(pe_xdp_attach(x, 0, PE_XDP_MODE_AUTO), -ENODEV);
	cr_expect_eq(pe_xdp_attach(x, 1, (enum pe_xdp_mode)7), -EINVAL);
	cr_expect_eq(pe_xdp_pin(x, "lo"), -EINVAL, "pin before attach");
	pe_xdp_close(x);
	o.sz = 1;
	errno = 0;
	cr_expect_null(pe_xdp_open(&o));
	cr_expect_eq(errno, EINVAL);
}
