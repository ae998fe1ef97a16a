/* SPDX-License-Identifier: BSD-2-Clause */
/* The XDP counter's parts that need no privileges: counter arithmetic and names, and the
 * command line's usage errors (exit 2, one line naming the bad thing) before anything is
 * loaded. */
#include <criterion/criterion.h>
#include <string.h>

#include "ebpf/loader.h"
#include "tests/testutil.h"

Test(xdp_unit, names)
{
	static const char *const l3[] = { "ipv4", "ipv6", "arp", "other", "short" };
	static const char *const l4[] = { "tcp", "udp", "icmp", "other", "bad" };
	unsigned i;

	cr_assert_eq(PE_XDP_L3_MAX, 5);
	cr_assert_eq(PE_XDP_L4_MAX, 5);
	for (i = 0; i < 5; i++) {
		cr_expect_str_eq(pe_xdp_l3_name(i), l3[i]);
		cr_expect_str_eq(pe_xdp_l4_name(i), l4[i]);
	}
	cr_expect_null(pe_xdp_l3_name(PE_XDP_L3_MAX));
	cr_expect_null(pe_xdp_l4_name(PE_XDP_L4_MAX));
}

Test(xdp_unit, add_and_total)
{
	struct pe_xdp_stats a, b;
	struct pe_xdp_ctr t;
	unsigned i;

	/* The BPF side and user space agree on the layout only if it has no padding. */
	cr_assert_eq(sizeof(struct pe_xdp_stats), (5 + 5 + 2) * 16);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (i = 0; i < PE_XDP_L3_MAX; i++) {
		a.l3[i].pkts = i + 1;
		a.l3[i].bytes = 100 * (i + 1);
		b.l3[i].pkts = 10;
		b.l3[i].bytes = 1000;
	}
	a.l4[PE_XDP_L4_UDP].pkts = 3;
	b.l4[PE_XDP_L4_UDP].pkts = 4;
	a.vlan[1].bytes = 5;
	b.vlan[1].bytes = 6;
	pe_xdp_stats_add(&a, &b);
	t = pe_xdp_stats_total(&a);
	cr_expect_eq(t.pkts, 15 + 50);
	cr_expect_eq(t.bytes, 1500 + 5000);
	cr_expect_eq(a.l4[PE_XDP_L4_UDP].pkts, 7);
	cr_expect_eq(a.vlan[1].bytes, 11);
	cr_expect_eq(a.l3[PE_XDP_L3_SHORT].pkts, 15);
	cr_expect_eq(a.l4[PE_XDP_L4_TCP].pkts, 0);
}

struct usage_case {
	const char *args;
	int status;
	const char *err; /* a substring of the one line on stderr */
};

Test(xdp_unit, usage_errors)
{
	static const struct usage_case cases[] = {
		{ "", 2, "missing attach, stats, detach or run" },
		{ "bogus --dev lo", 2, "'bogus' is not attach, stats, detach, run or show" },
		{ "attach", 2, "missing --dev IF" },
		{ "stats --dev lo --drop", 2, "--drop is not an option here" },
		{ "detach --dev lo --json", 2, "--json is not an option here" },
		{ "attach --dev lo --force", 2, "--force is not an option here" },
		{ "attach --dev lo -i 1", 2, "--interval is not an option here" },
		{ "run --dev lo --mode fast", 2, "--mode fast: not native or generic" },
		{ "run --dev lo -t abc", 2, "--time abc: not a number of seconds" },
		{ "stats --dev lo -i 0", 2, "--interval 0: not a number of seconds" },
		{ "run --dev lo extra", 2, "unexpected argument 'extra'" },
		{ "show -i 1", 2, "xdp show: takes only --dev and --json" },
		{ "show --dev nosuch0", 1, "--dev nosuch0: no such interface" },
		{ "detach --dev lo --alone", 2, "--alone is not an option here" },
		{ "run --dev a/b", 2, "--dev a/b: not an interface name" },
		{ "run --dev 0123456789abcdef", 2, "not an interface name" },
		{ "--dev lo", 2, "missing attach, stats, detach or run before the options" },
		{ "run --dev pe-no-such-if", 1, "--dev pe-no-such-if: no such interface" },
		{ "stats --dev pe-no-such-if", 1, "--dev pe-no-such-if: no such interface" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pe_run r;

		/* Without the counter, a run that got past the usage checks says so instead. */
		const char *err = cases[i].status == 1 && !pe_xdp_available()
					  ? "built without the XDP counter"
					  : cases[i].err;

		cr_assert_eq(pe_run(&r, "%s xdp %s", PE_TEST_BIN, cases[i].args), 0);
		cr_expect_eq(r.status, cases[i].status, "'%s': exit %d", cases[i].args, r.status);
		cr_expect(strstr(r.err, err), "'%s': stderr '%s'", cases[i].args, r.err);
		cr_expect_eq(strchr(r.err, '\n'), r.err + r.err_len - 1, "'%s': not one line: '%s'",
			     cases[i].args, r.err);
		cr_expect_eq(r.out_len, 0, "'%s': stdout '%s'", cases[i].args, r.out);
		pe_run_free(&r);
	}
}

Test(xdp_unit, help)
{
	struct pe_run r;

	cr_assert_eq(pe_run(&r, "%s xdp --help", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "Usage: pkteng xdp attach --dev IF"), "%s", r.out);
	cr_expect_eq(r.err_len, 0);
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, "%s --help", PE_TEST_BIN), 0);
	cr_expect(strstr(r.out, "  xdp "), "%s", r.out);
	pe_run_free(&r);
}
