/* SPDX-License-Identifier: BSD-2-Clause */
/* The pure parts of raw I/O: --vary parsing and application (checked by the frame parser),
 * the IMIX cycle, pacing deadlines, method names, and open errors that need no privilege. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "raw/frame.h"
#include "raw/packet.h"
#include "raw/rate.h"

struct vcase {
	const char *spec;
	int ret;
	enum pe_vary_field field;
	uint64_t lo, hi;
	bool v6;
};

Test(raw_unit, vary_parse)
{
	static const struct vcase cases[] = {
		{ "sport=1000-2000", 0, PE_VARY_SPORT, 1000, 2000, false },
		{ "dport=53", 0, PE_VARY_DPORT, 53, 53, false },
		{ "size=64-1518", 0, PE_VARY_SIZE, 64, 1518, false },
		{ "src-ip=198.18.0.1-198.18.0.254", 0, PE_VARY_SRC_IP, 0xc6120001, 0xc61200fe,
		  false },
		{ "dst-ip=198.18.1.0-198.19.0.0", 0, PE_VARY_DST_IP, 0xc6120100, 0xc6130000,
		  false },
		{ "src-ip=2001:2::1-2001:2::ffff", 0, PE_VARY_SRC_IP, 1, 0xffff, true },
		{ .spec = "src-ip=2001:2::1-2001:3::1", .ret = -EINVAL },
		{ .spec = "src-ip=198.18.0.1-2001:2::1", .ret = -EINVAL },
		{ .spec = "sport=2000-1000", .ret = -EINVAL },
		{ .spec = "sport=70000", .ret = -EINVAL },
		{ .spec = "sport=", .ret = -EINVAL },
		{ .spec = "sport", .ret = -EINVAL },
		{ .spec = "ttl=1-2", .ret = -ENOENT },
		{ .spec = "=1", .ret = -ENOENT },
		{ .spec = "sport=1-2-3", .ret = -EINVAL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pe_vary v;
		int ret = pe_vary_parse(cases[i].spec, &v);

		cr_expect_eq(ret, cases[i].ret, "%s: %d", cases[i].spec, ret);
		if (ret || cases[i].ret)
			continue;
		cr_expect_eq(v.field, cases[i].field, "%s", cases[i].spec);
		cr_expect_eq(v.lo, cases[i].lo, "%s: lo %llx", cases[i].spec,
			     (unsigned long long)v.lo);
		cr_expect_eq(v.hi, cases[i].hi, "%s: hi %llx", cases[i].spec,
			     (unsigned long long)v.hi);
		cr_expect_eq(v.v6, cases[i].v6, "%s", cases[i].spec);
	}
	cr_expect_str_eq(pe_vary_field_name(PE_VARY_DST_IP), "dst-ip");
}

Test(raw_unit, imix_is_7_4_1)
{
	unsigned n64 = 0, n570 = 0, n1518 = 0;

	for (uint64_t k = 0; k < 1200; k++) {
		unsigned s = pe_imix_size(k);

		n64 += s == 64;
		n570 += s == 570;
		n1518 += s == 1518;
	}
	cr_expect_eq(n64, 700);
	cr_expect_eq(n570, 400);
	cr_expect_eq(n1518, 100);
	cr_expect_eq(pe_imix_size(6), 1518);
}

/* Every varied frame parses clean (checksums updated incrementally are right) and carries
 * the expected fields. */
Test(raw_unit, varier_in_order_and_random)
{
	static struct pe_frame_tmpl t;
	struct pe_frame_opts o;
	struct pe_varier vr = { 0 };
	struct pe_frame_info info;

	pe_frame_opts_default(&o);
	o.size_bytes = 128;
	cr_assert_eq(pe_frame_build(&t, &o), 0);
	cr_assert_eq(pe_vary_parse("src-ip=198.18.0.10-198.18.0.12", &vr.v[0]), 0);
	cr_assert_eq(pe_vary_parse("dport=7-8", &vr.v[1]), 0);
	cr_assert_eq(pe_vary_parse("size=100-102", &vr.v[2]), 0);
	vr.n = 3;
	for (uint64_t k = 0; k < 30; k++) {
		cr_assert_eq(pe_varier_apply(&vr, &t, k), 0);
		cr_assert_eq(pe_frame_validate(pe_frame_data(&t), t.len, 0, &info), PE_FRAME_OK,
			     "frame %llu", (unsigned long long)k);
		cr_expect_eq(ntohl(info.src_ip.v4.s_addr), 0xc612000a + k % 3);
		cr_expect_eq(info.dport, 7 + k % 2);
		cr_expect_eq(info.sport, 9, "sport kept");
		cr_expect_eq(t.size_bytes, 100 + k % 3);
	}
	vr.random = true;
	vr.rng = 42;
	unsigned seen[3] = { 0 };

	for (uint64_t k = 0; k < 300; k++) {
		cr_assert_eq(pe_varier_apply(&vr, &t, k), 0);
		cr_assert_eq(pe_frame_validate(pe_frame_data(&t), t.len, 0, &info), PE_FRAME_OK);
		uint32_t a = ntohl(info.src_ip.v4.s_addr);

		cr_assert(a >= 0xc612000a && a <= 0xc612000c, "%x", a);
		seen[a - 0xc612000a]++;
	}
	cr_expect(seen[0] > 50 && seen[1] > 50 && seen[2] > 50, "%u %u %u", seen[0], seen[1],
		  seen[2]);
	/* ports on an ICMP frame do not exist */
	o.l4 = PE_FRAME_L4_ICMP;
	cr_assert_eq(pe_frame_build(&t, &o), 0);
	vr.random = false;
	cr_expect_eq(pe_varier_apply(&vr, &t, 0), -EINVAL);
	/* sizes out of range */
	struct pe_varier big = { .n = 1 };

	cr_assert_eq(pe_vary_parse("size=2000", &big.v[0]), 0);
	cr_expect_eq(pe_varier_apply(&big, &t, 0), -EMSGSIZE);
}

Test(raw_unit, rate_deadlines)
{
	struct pe_rate r;
	uint64_t t0, el;

	cr_expect_eq(pe_rate_init(&r, -1), -EINVAL);
	cr_expect_eq(pe_rate_init(&r, 1.0 / 0.0), -EINVAL);
	cr_assert_eq(pe_rate_init(&r, 1000), 0);
	cr_expect_eq(pe_rate_due(&r, 0), r.t0_ns);
	cr_expect_eq(pe_rate_due(&r, 1000) - r.t0_ns, 1000000000ULL);
	cr_expect_eq(pe_rate_due(&r, 1) - r.t0_ns, 1000000ULL);
	cr_assert_eq(pe_rate_init(&r, 3), 0);
	cr_expect_eq(pe_rate_due(&r, 1) - r.t0_ns, 333333333ULL);
	/* waiting for frame 20 at 1000/s takes 20 ms, never less */
	cr_assert_eq(pe_rate_init(&r, 1000), 0);
	t0 = r.t0_ns;
	pe_rate_wait(&r, 20);
	el = pe_rate_now_ns() - t0;
	cr_expect(el >= 20000000 && el < 40000000, "%llu ns", (unsigned long long)el);
	/* unpaced: no wait */
	cr_assert_eq(pe_rate_init(&r, 0), 0);
	t0 = pe_rate_now_ns();
	pe_rate_wait(&r, 1000000);
	cr_expect_lt(pe_rate_now_ns() - t0, 1000000);
}

Test(raw_unit, methods_and_open_errors)
{
	struct pe_tx_opts o = { .sz = sizeof(o), .ifname = "nosuchdev0" };
	struct pe_cap_opts co = { .sz = sizeof(co), .ifname = "nosuchdev0" };

	cr_expect_eq(pe_tx_method_parse("sendmmsg"), PE_TX_SENDMMSG);
	cr_expect_eq(pe_tx_method_parse("ring"), PE_TX_RING);
	cr_expect_eq(pe_tx_method_parse("uring"), PE_TX_URING);
	cr_expect_eq(pe_tx_method_parse("Ring"), -EINVAL);
	cr_expect_str_eq(pe_tx_method_name(PE_TX_URING), "uring");
	cr_expect_null(pe_tx_open(&o));
	cr_expect_eq(errno, ENODEV);
	o.ifname = "lo";
	o.burst = 5000;
	cr_expect_null(pe_tx_open(&o));
	cr_expect_eq(errno, EINVAL);
	cr_expect_null(pe_cap_open(&co));
	cr_expect_eq(errno, ENODEV);
	cr_expect_eq(pe_if_lookup("nosuchdev0", NULL, NULL), -ENODEV);
	unsigned mtu = 0;

	cr_expect_eq(pe_if_lookup("lo", NULL, &mtu), 0);
	cr_expect_eq(mtu, 65536);
}
