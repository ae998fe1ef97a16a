/* SPDX-License-Identifier: BSD-2-Clause */
/* inject's retries against the kernel's own count: an nftables rule on the sending veth's
 * egress hook drops every third IPv4 frame (an ENOBUFS push-back to the packet socket) and
 * counts what it dropped; every method must report exactly that many retries, and still hand
 * every frame over once. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/raw/rawtest.h"

static struct pe_lab lab;
static char *dir;

static void setup(void)
{
	pe_rt_init(&lab, &dir, NULL);
}

static void teardown(void)
{
	pe_rt_fini(&lab, &dir);
}

static const char *const methods[] = { "sendmmsg", "ring", "uring" };

ParameterizedTestParameters(raw_retries, match_the_egress_drops)
{
	PE_PARAM_INDEXES(sizeof(methods) / sizeof(methods[0]));
}

ParameterizedTest(unsigned *pi, raw_retries, match_the_egress_drops, .init = setup,
		  .fini = teardown, .timeout = 60)
{
	struct pe_run r;
	struct json_object *doc;
	long long dropped = -1;
	uint64_t tx0, tx1;
	const char *p;

	PE_REQUIRE_ROOT();
	if (pe_run(&r, "command -v nft") || r.status) {
		pe_run_free(&r);
		cr_skip_test("needs nft (Debian nftables, tools/deps.sh test set)");
	}
	pe_run_free(&r);
	cr_assert_eq(
		pe_lab_run(&lab, 0, &r,
			   "nft add table netdev pe && nft add chain netdev pe eg '{ type "
			   "filter hook egress device \"veth0\" priority 0; }' && nft add rule "
			   "netdev pe eg meta protocol ip numgen inc mod 3 == 0 counter drop"),
		0);
	cr_assert_eq(r.status, 0, "nft: %s", r.err);
	pe_run_free(&r);
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx0), 0);
	cr_assert_eq(pe_lab_run(&lab, 0, &r,
				"%s inject --dev veth0 -n 3000 --proto udp --method %s --json",
				pe_rt_bin(), methods[*pi]),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx1), 0);
	doc = json_tokener_parse(r.out);
	cr_assert(doc, "%s", r.out);
	pe_run_free(&r);
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "nft list chain netdev pe eg"), 0);
	p = strstr(r.out, "counter packets ");
	cr_assert(p, "%s", r.out);
	dropped = strtoll(p + strlen("counter packets "), NULL, 10);
	pe_run_free(&r);
	cr_expect_eq(pe_rt_int(doc, "summary.tx_frames"), 3000);
	cr_expect_eq(tx1 - tx0, 3000, "the veth counted %llu", (unsigned long long)(tx1 - tx0));
	cr_expect_eq(dropped, 1500, "nft dropped %lld", dropped);
	cr_expect_eq(pe_rt_int(doc, "summary.retries"), dropped, "%s: %lld retries, %lld drops",
		     methods[*pi], (long long)pe_rt_int(doc, "summary.retries"), dropped);
	json_object_put(doc);
}
