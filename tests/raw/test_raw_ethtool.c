/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng ethtool` against ethtool(8) itself: -k prints the same lines in the same order, -K
 * changes show up in `ethtool -k`, fixed features are refused, and the veth is put back. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "raw/ethtool.h"
#include "tests/raw/rawtest.h"

static struct pe_lab lab;
static char *orig; /* `ethtool -k veth0` when the lab was made */

static char *ethtool_k(void)
{
	struct pe_run r;
	char *out;

	cr_assert_eq(pe_lab_run(&lab, 0, &r, "ethtool -k %s", lab.ifname[0]), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	out = r.out;
	r.out = NULL;
	pe_run_free(&r);
	return out;
}

static void setup(void)
{
	if (!pe_is_root())
		return;
	cr_assert_eq(pe_lab_open(&lab, NULL), 0, "lab");
	orig = ethtool_k();
}

static void teardown(void)
{
	free(orig);
	orig = NULL;
	pe_lab_close(&lab);
}

/* The value `ethtool -k` prints for a feature or group line: "on", "off [fixed]"... */
static const char *value_of(const char *out, const char *name, char *buf, size_t cap)
{
	char key[80];
	const char *p;

	snprintf(key, sizeof(key), "\n%s: ", name);
	p = strstr(out, key);
	if (!p) {
		snprintf(key, sizeof(key), "\t%s: ", name);
		p = strstr(out, key);
	}
	if (!p)
		return "";
	p += strlen(key);
	snprintf(buf, cap, "%.*s", (int)strcspn(p, "\n"), p);
	return buf;
}

TestSuite(raw_ethtool, .init = setup, .fini = teardown, .timeout = 60);

Test(raw_ethtool, show_matches_ethtool_line_by_line)
{
	struct pe_run r;
	char *a, *b, *sa, *sb;
	unsigned lines = 0;

	PE_REQUIRE_ROOT();
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s ethtool --dev %s -k", pe_rt_bin(), lab.ifname[0]),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* Feature by feature, so a mismatch names the line. */
	a = strtok_r(r.out, "\n", &sa);
	b = strtok_r(orig, "\n", &sb);
	while (a || b) {
		cr_expect_str_eq(a ? a : "(end)", b ? b : "(end)", "line %u", lines);
		if (!a || !b)
			break;
		lines++;
		a = strtok_r(NULL, "\n", &sa);
		b = strtok_r(NULL, "\n", &sb);
	}
	cr_expect_gt(lines, 40, "only %u lines", lines);
	pe_run_free(&r);
	free(orig);
	orig = ethtool_k();
	cr_assert_eq(pe_run(&r, "bash -c '%s ethtool --dev lo -k | diff - <(ethtool -k lo)'",
			    pe_rt_bin()),
		     0);
	cr_expect_eq(r.status, 0, "lo differs from ethtool -k lo: %s%s", r.out, r.err);
	pe_run_free(&r);
}

struct toggle {
	const char *args;		/* -K arguments */
	const char *check[4], *want[4]; /* ethtool -k lines after */
	const char *restore;
};

static const struct toggle toggles[] = {
	{ "tx off",
	  { "tx-checksumming", "tx-checksum-ip-generic", "tx-checksum-sctp" },
	  { "off", "off", "off" },
	  "tx on tso on" },
	{ "sg off", { "scatter-gather", "tx-scatter-gather" }, { "off", "off" }, "sg on tso on" },
	{ "tso off",
	  { "tcp-segmentation-offload", "tx-tcp-segmentation", "tx-tcp6-segmentation" },
	  { "off", "off", "off" },
	  "tso on" },
	{ "gro on", { "generic-receive-offload" }, { "on" }, "gro off" },
	{ "rx-gro-list on gso off",
	  { "rx-gro-list", "generic-segmentation-offload" },
	  { "on", "off" },
	  "rx-gro-list off gso on" },
	{ "tx-checksum-ip-generic off",
	  { "tx-checksum-ip-generic", "tx-checksum-sctp" },
	  { "off", "on" },
	  "tx-checksum-ip-generic on tso on" },
};

ParameterizedTestParameters(raw_ethtool, set_visible_in_ethtool)
{
	PE_PARAM_INDEXES(sizeof(toggles) / sizeof(toggles[0]));
}

ParameterizedTest(unsigned *pi, raw_ethtool, set_visible_in_ethtool)
{
	const struct toggle *t = &toggles[*pi];
	struct pe_run r;
	char buf[64], *now;

	PE_REQUIRE_ROOT();
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s ethtool --dev %s -K %s", pe_rt_bin(),
				lab.ifname[0], t->args),
		     0);
	cr_expect_eq(r.status, 0, "-K %s: %s", t->args, r.err);
	pe_run_free(&r);
	now = ethtool_k();
	for (int i = 0; i < 4 && t->check[i]; i++)
		cr_expect_str_eq(value_of(now, t->check[i], buf, sizeof(buf)), t->want[i],
				 "-K %s: %s", t->args, t->check[i]);
	free(now);
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s ethtool --dev %s -K %s", pe_rt_bin(),
				lab.ifname[0], t->restore),
		     0);
	cr_expect_eq(r.status, 0, "-K %s: %s", t->restore, r.err);
	pe_run_free(&r);
	now = ethtool_k();
	cr_expect_str_eq(now, orig, "-K %s then -K %s did not restore the veth", t->args,
			 t->restore);
	free(now);
}

Test(raw_ethtool, fixed_and_unknown)
{
	struct pe_run r;
	char *now;

	PE_REQUIRE_ROOT();
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s ethtool --dev %s -K lro on", pe_rt_bin(),
				lab.ifname[0]),
		     0);
	cr_expect_eq(r.status, 1);
	cr_expect_str_eq(r.out, "Actual changes:\nrx-lro: off [requested on]\n");
	cr_expect_str_eq(r.err, "pkteng: ethtool: veth0: could not change any device features\n");
	pe_run_free(&r);
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s ethtool --dev %s -K gro on frobnicate off",
				pe_rt_bin(), lab.ifname[0]),
		     0);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "pkteng: ethtool: -K frobnicate: unknown feature (see 'pkteng "
				"ethtool -k veth0')\n");
	pe_run_free(&r);
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s ethtool --dev %s -K gro maybe", pe_rt_bin(),
				lab.ifname[0]),
		     0);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "pkteng: ethtool: -K gro maybe: the value must be on or off\n");
	pe_run_free(&r);
	/* Nothing changed by the refused requests (gro was not switched on before frobnicate). */
	now = ethtool_k();
	cr_expect_str_eq(now, orig);
	free(now);
}

Test(raw_ethtool, needs_cap_net_admin)
{
	struct pe_run r;
	char *now;

	PE_REQUIRE_ROOT();
	cr_assert_eq(
		pe_lab_run(&lab, 0, &r,
			   "setpriv --inh-caps=-all --bounding-set=-all %s ethtool --dev %s -K "
			   "gro on",
			   pe_rt_bin(), lab.ifname[0]),
		0);
	cr_expect_eq(r.status, 1);
	cr_expect_str_eq(r.err, "pkteng: ethtool: needs CAP_NET_ADMIN to change features of veth0 "
				"(run as root)\n");
	pe_run_free(&r);
	/* Reading needs no privilege. */
	cr_assert_eq(
		pe_lab_run(&lab, 0, &r,
			   "setpriv --inh-caps=-all --bounding-set=-all %s ethtool --dev %s -k",
			   pe_rt_bin(), lab.ifname[0]),
		0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, orig);
	pe_run_free(&r);
	now = ethtool_k();
	cr_expect_str_eq(now, orig);
	free(now);
}

/* `-K` step by step on both ends of the veth: ethtool(8) on veth1, pkteng on veth0 (the same
 * driver, the same defaults). Each step must print what ethtool prints, exit as it exits, and
 * leave the same features behind. */
static const char *const steps[] = {
	"tx off",
	"tx on",
	"gro on",
	"gro on",
	"sg off",
	"tso on",
	"tso on",
	"sg on tso on",
	"tx-checksum-ip-generic off",
	"tx-checksum-ip-generic on",
	"rx-vlan-filter on",
	"tx-checksum-ipv4 on tx-checksum-ipv6 on",
	"rx-vlan-filter on gro off",
	"lro on",
	"lro off",
	"highdma off",
	"highdma on",
	"gro off gro on",
	"rx-gro-list on gso off",
	"rx-gro-list off gso on",
	"tx-checksum-ipv4 on gro off",
	"rx off",
	"rx on",
};

Test(raw_ethtool, set_output_as_ethtool)
{
	unsigned printed = 0;

	PE_REQUIRE_ROOT();
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct pe_run e, p;

		cr_assert_eq(pe_lab_run(&lab, 1, &e, "ethtool -K %s %s", lab.ifname[1], steps[i]),
			     0);
		cr_assert_eq(pe_lab_run(&lab, 0, &p, "%s ethtool -K %s %s", pe_rt_bin(),
					lab.ifname[0], steps[i]),
			     0);
		cr_expect_str_eq(p.out, e.out, "-K %s", steps[i]);
		cr_expect_eq(p.status, e.status, "-K %s: %s / %s", steps[i], p.err, e.err);
		if (e.status)
			cr_expect_str_eq(p.err,
					 "pkteng: ethtool: veth0: could not change any device "
					 "features\n",
					 "-K %s", steps[i]);
		else
			cr_expect_str_eq(p.err, "", "-K %s", steps[i]);
		printed += e.out[0] != 0;
		pe_run_free(&e);
		pe_run_free(&p);
		/* The same state on both ends afterwards. */
		cr_assert_eq(pe_lab_run(&lab, 1, &e, "ethtool -k %s | tail -n +2", lab.ifname[1]),
			     0);
		cr_assert_eq(pe_lab_run(&lab, 0, &p, "%s ethtool -k %s | tail -n +2", pe_rt_bin(),
					lab.ifname[0]),
			     0);
		cr_expect_str_eq(p.out, e.out, "after -K %s", steps[i]);
		pe_run_free(&e);
		pe_run_free(&p);
	}
	cr_expect_geq(printed, 10, "only %u steps printed changes", printed);
}

/* NAME=on|off is one pair for -K, and --offload takes ethtool's words. */
Test(raw_ethtool, one_syntax_for_ethtool_and_inject)
{
	struct pe_run r;
	char buf[64], *now;

	PE_REQUIRE_ROOT();
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s ethtool -K %s gro=on tx off", pe_rt_bin(),
				lab.ifname[0]),
		     0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	now = ethtool_k();
	cr_expect_str_eq(value_of(now, "generic-receive-offload", buf, sizeof(buf)), "on");
	cr_expect_str_eq(value_of(now, "tx-checksumming", buf, sizeof(buf)), "off");
	free(now);
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s ethtool --dev %s -K gro off tx=on tso=on",
				pe_rt_bin(), lab.ifname[0]),
		     0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	now = ethtool_k();
	cr_expect_str_eq(now, orig);
	free(now);
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s inject --dev %s -n 1 --offload 'gro on tx' ",
				pe_rt_bin(), lab.ifname[0]),
		     0);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "pkteng: --offload tx: needs on or off after it\n");
	pe_run_free(&r);
	cr_assert_eq(
		pe_lab_run(&lab, 0, &r, "%s ethtool -K %s gro=maybe", pe_rt_bin(), lab.ifname[0]),
		0);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "pkteng: ethtool: -K gro=maybe: the value must be on or off\n");
	pe_run_free(&r);
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s ethtool -k nosuch0", pe_rt_bin()), 0);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "pkteng: ethtool: nosuch0: no such interface\n");
	pe_run_free(&r);
}

/* inject --offload switches a feature for the run only. */
Test(raw_ethtool, inject_offload_for_the_run)
{
	struct pe_lab_bg bg;
	struct pe_run r;
	char buf[64], *now;

	PE_REQUIRE_ROOT();
	cr_assert_eq(pe_lab_bg_start(
			     &lab, 0, &bg, NULL, NULL,
			     "exec %s inject --dev %s --offload gro=on --offload 'tx off' -t 1.5 "
			     "--rate 100",
			     pe_rt_bin(), lab.ifname[0]),
		     0);
	usleep(700000);
	now = ethtool_k();
	cr_expect_str_eq(value_of(now, "generic-receive-offload", buf, sizeof(buf)), "on");
	cr_expect_str_eq(value_of(now, "tx-checksumming", buf, sizeof(buf)), "off");
	free(now);
	cr_expect_eq(pe_lab_bg_wait(&bg, 10000), 0);
	now = ethtool_k();
	cr_expect_str_eq(now, orig, "the run did not put the offloads back");
	free(now);
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s inject --dev %s -n 1 --offload bogus=on",
				pe_rt_bin(), lab.ifname[0]),
		     0);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "pkteng: --offload bogus: unknown feature (see 'pkteng ethtool "
				"--dev veth0 -k')\n");
	pe_run_free(&r);
}

/* The library on its own: group expansion matches ethtool's grouping. */
Test(raw_ethtool, library_groups)
{
	struct pe_features fs;
	unsigned idx[32];
	int n;

	PE_REQUIRE_ROOT();
	cr_assert_eq(pe_features_get("lo", &fs), 0);
	n = pe_features_expand(&fs, "tx", idx, 32);
	cr_expect_eq(n, 5, "tx-checksum-* has %d members on lo", n);
	for (int i = 0; i < n; i++)
		cr_expect(!strncmp(fs.f[idx[i]].name, "tx-checksum-", 12), "%s", fs.f[idx[i]].name);
	cr_expect_eq(pe_features_expand(&fs, "scatter-gather", idx, 32), 2);
	cr_expect_eq(pe_features_expand(&fs, "rx-gro", idx, 32), 1);
	cr_expect_eq(pe_features_expand(&fs, "nonsense", idx, 32), -ENOENT);
	cr_expect_eq(pe_features_find(&fs, "highdma") >= 0, true);
	pe_features_free(&fs);
	cr_expect_eq(pe_features_get("nosuchdev0", &fs), -ENODEV);
}
