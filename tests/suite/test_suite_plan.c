/* SPDX-License-Identifier: BSD-2-Clause */
/* The suite file's errors (one line naming file, line and key, exit 2, no results directory)
 * and the plan: the cross product, the ABBA order exactly, a shuffle a seed reproduces, the
 * warm-ups apart. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "suite/suite.h"
#include "suite/suite_int.h"
#include "tests/testutil.h"

/* A suite file and the exact line `pkteng suite` prints for it, after the file's path. */
static const struct {
	const char *text, *err;
} bad[] = {
	{ "[rr]\nmode = rr\nfoo = 1\n", ":3: key 'foo': unknown (see docs/suite.md)" },
	{ "[global]\ntime = 1\n\n[rr]\nmode = rr\nlen = abc\n",
	  ":6: key 'len': 'abc': expected a size (64, 128K, 1M)" },
	{ "[rr]\nmode = rr\nlen = 100M\n", ":3: key 'len': '100M': expected 1..64Mi bytes" },
	{ "[rr]\nmode = rr\nlen = 1e18Gi\n",
	  ":3: key 'len': '1e18Gi': expected a size (64, 128K, 1M)" },
	{ "[rr]\nmode = rr, tcp\n",
	  ":2: key 'mode': 'tcp': expected stream, rr, crr, udp, echo, file or udp-rr" },
	{ "[global]\ntime = 1\n# nothing else\n",
	  ":3: no tests: the suite needs a section per test ([rr] with mode = rr)" },
	{ "", ":1: no tests: the suite needs a section per test ([rr] with mode = rr)" },
	{ "[inj]\ncommand = capture\n",
	  ":2: key 'command': 'capture': expected client (pkteng client against a server) or "
	  "inject (frames from one host, captured on another)" },
	{ "[rr]\nmode = rr\norder = abba\n",
	  ":3: key 'order': only in [global] (it orders the whole suite)" },
	{ "[rr]\nmode = rr\ngso = yes\n", ":3: key 'gso': mode rr does not take it (udp)" },
	{ "[rr]\nlen = 64\n",
	  ":1: key 'mode': missing in [rr] (stream, rr, crr, udp, echo, file or udp-rr)" },
	{ "[rr]\nmode = rr\nlen = 64\nlen = 128\n",
	  ":4: key 'len': given twice (first on line 3)" },
	{ "[rr]\nmode = rr\nruns = 2, 3\n", ":3: key 'runs': takes one value, not alternatives" },
	{ "[global]\nvariant.a = len=64 spin\n[rr]\nmode = rr\n",
	  ":2: key 'variant.a': 'spin': expected key=value" },
	{ "[global]\nvariant.a = env.1X=5\n[rr]\nmode = rr\n",
	  ":2: key 'variant.a': 'env.1X': expected env.NAME=VALUE with a variable's name" },
	{ "time = 1\n[rr]\nmode = rr\n", ":1: key 'time': outside a section ([global] or [TEST])" },
	{ "[rr]\nmode = rr\nthis line\n", ":3: syntax error (expected [section] or key = value)" },
	/* hosts */
	{ "[host a]\nssh = -oProxyCommand=x\n[rr]\nmode = rr\n",
	  ":2: key 'ssh': '-oProxyCommand=x': expected an ssh destination (user@host, host, "
	  "ssh://user@host:port)" },
	{ "[host a]\naddr = 1.2.3.4;reboot\n[rr]\nmode = rr\n",
	  ":2: key 'addr': '1.2.3.4;reboot': expected the address the other hosts reach this one "
	  "on" },
	{ "[host a]\ncpus = 0-x\n[rr]\nmode = rr\n",
	  ":2: key 'cpus': '0-x': expected a CPU list (0-3,6)" },
	{ "[host a]\nport = 5\n[rr]\nmode = rr\n",
	  ":2: key 'port': unknown in [host a] (ssh, addr, bin, cpus, ssh_config, dev)" },
	{ "[host a]\n[host a]\n[rr]\nmode = rr\n", ":2: [host a]: given twice" },
	{ "[host local]\n[rr]\nmode = rr\n",
	  ":1: [host local]: expected a name of letters, digits, - and _ (not local or remote)" },
	{ "[host a]\n[rr]\nmode = rr\nserver = b\nclients = a\n",
	  ":4: key 'server': 'b': no [host b] section (nor local or remote)" },
	{ "[host a]\n[host b]\n[rr]\nmode = rr\nserver = a\nclients = b, c\n",
	  ":6: key 'clients': 'c': no [host c] section" },
	{ "[host a]\n[host b]\n[rr]\nmode = rr\nserver = a\nclients = b, b\n",
	  ":6: key 'clients': 'b' listed twice" },
	{ "[host a]\n[rr]\nmode = rr\nclients = a\n",
	  ":4: key 'clients': needs server = HOST, a [host NAME] section" },
	{ "[host a]\n[rr]\nmode = rr\nserver = a\n",
	  ":4: key 'server': a host's server needs clients = HOST[, HOST...]" },
	{ "[host a]\nssh = a.example\n[host b]\n[rr]\nmode = rr\nserver = a\nclients = b\n",
	  ":1: [host a]: needs addr = ADDRESS (its server's address for the clients)" },
	{ "[host a]\n[host b]\nssh = b.example\n[rr]\nmode = rr\nserver = a\nclients = b\n",
	  ":7: key 'clients': 'b' is reached over ssh and cannot reach [host a] on 127.0.0.1 (give "
	  "it addr = ADDRESS)" },
	/* inject across hosts */
	{ "[host g]\ndev = va\n[l2]\ncommand = inject\nlen = 64\ninject = g\n",
	  ":5: key 'len': not for command = inject (inject_args and capture_args take their "
	  "options)" },
	{ "[l2]\ncommand = inject\n", ":1: [l2]: command = inject needs inject = HOST" },
	{ "[host g]\n[l2]\ncommand = inject\ninject = g\n",
	  ":1: [host g]: needs dev = IF (the interface to inject on)" },
	{ "[host g]\ndev = a\n[l2]\ncommand = inject\ninject = g\ncapture = g\n",
	  ":6: key 'capture': 'g' is the inject host too (capture on another host)" },
	{ "[host g]\ndev = a\n[l2]\ncommand = inject\ninject = g\ninject_args = --size '64'\n",
	  ":6: key 'inject_args': '--size '64'': expected options separated by spaces, without "
	  "quotes or shell characters" },
	{ "[rr]\nmode = rr\ninject = g\n", ":3: key 'inject': needs command = inject" },
	{ "[host g]\ndev = a\n[host d]\n[l2]\ncommand = inject\ninject = g\nxdp = d\n",
	  ":3: [host d]: needs dev = IF (the interface to count with XDP on)" },
	{ "[host g]\ndev = a\n[l2]\ncommand = inject\ninject = g\nxdp = g\n",
	  ":6: key 'xdp': 'g' is the inject host too (count on the receiving host)" },
	{ "[rr]\nmode = rr\nxdp_args = --drop\n", ":3: key 'xdp_args': needs command = inject" },
	{ "[global]\non_error = maybe\n[rr]\nmode = rr\n",
	  ":2: key 'on_error': 'maybe': expected continue or stop" },
	{ "[rr]\nmode = rr\non_error = stop\n",
	  ":3: key 'on_error': only in [global] (it orders the whole suite)" },
	/* the first alternative after a comma, and one too many: freed without a bad free */
	{ "[u]\nmode = udp\npps = 255555555555G\n",
	  ":3: key 'pps': '255555555555G': expected a rate (100M, 1G)" },
	{ "[rr]\nmode = rr\nlen = ,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\n",
	  ":3: key 'len': more than 16 alternatives" },
};

ParameterizedTestParameters(suite_file, errors)
{
	PE_PARAM_INDEXES(sizeof(bad) / sizeof(bad[0]));
}

ParameterizedTest(unsigned *i, suite_file, errors)
{
	char *dir = pe_tmpdir(), path[300], out[300], want[600];
	struct stat st;
	struct pe_run r;

	snprintf(path, sizeof(path), "%s/s.ini", dir);
	snprintf(out, sizeof(out), "%s/results", dir);
	cr_assert_eq(pe_write_file(path, bad[*i].text, strlen(bad[*i].text)), 0);
	cr_assert_eq(pe_run(&r, "%s suite %s --out %s", PE_TEST_BIN, path, out), 0);
	snprintf(want, sizeof(want), "pkteng suite: %s%s\n", path, bad[*i].err);
	cr_expect_eq(r.status, 2, "case %u", *i);
	cr_expect_str_eq(r.err, want, "case %u", *i);
	cr_expect_str_empty(r.out, "case %u", *i);
	cr_expect_neq(stat(out, &st), 0, "case %u: no results directory", *i);
	pe_run_free(&r);
	pe_tmpdir_remove(dir);
}

/* An existing, non-empty --out is refused before anything runs and is left as it was. */
Test(suite_file, out_not_empty)
{
	char *dir = pe_tmpdir(), path[300], keep[300];
	struct pe_run r;
	char *text;

	snprintf(path, sizeof(path), "%s/s.ini", dir);
	snprintf(keep, sizeof(keep), "%s/keep", dir);
	cr_assert_eq(pe_write_file(path, "[rr]\nmode = rr\n", 15), 0);
	cr_assert_eq(pe_write_file(keep, "x", 1), 0);
	cr_assert_eq(pe_run(&r, "%s suite %s --out %s", PE_TEST_BIN, path, dir), 0);
	cr_expect_eq(r.status, 2);
	text = malloc(strlen(dir) + 100);
	sprintf(text, "pkteng suite: --out %s: exists and is not an empty directory\n", dir);
	cr_expect_str_eq(r.err, text);
	free(text);
	text = pe_read_file(keep, NULL);
	cr_expect_str_eq(text, "x");
	free(text);
	pe_run_free(&r);
	pe_tmpdir_remove(dir);
}

static void plan(struct pe_suite *s, const char *text, unsigned n_bins)
{
	struct pe_suite_bin bins[2] = { { "", PE_TEST_BIN }, { "", PE_TEST_BIN } };
	char err[400] = "";

	cr_assert_eq(pe_suite_load_string(s, "t.ini", text, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pe_suite_plan(s, bins, n_bins, PE_TEST_BIN, err, sizeof(err)), 0, "%s", err);
}

/* Every key's alternatives multiply: 3 sizes x 2 backends, and 2 modes. A point is named by
 * the keys with alternatives, the test's own before the [global] defaults; the last turns
 * fastest. */
Test(suite_plan, cross_product)
{
	static const char *const ids[] = {
		"rr/len=64,backend=uring",
		"rr/len=64,backend=epoll",
		"rr/len=128,backend=uring",
		"rr/len=128,backend=epoll",
		"rr/len=256,backend=uring",
		"rr/len=256,backend=epoll",
		"two/mode=rr",
		"two/mode=udp-rr",
	};
	struct pe_suite *s = calloc(1, sizeof(*s));

	plan(s,
	     "[global]\nruns = 2\nbackend = uring, epoll\n[rr]\nmode = rr\nlen = 64, 128, 256\n"
	     "[two]\nmode = rr, udp-rr\nbackend = epoll\n",
	     2);
	cr_assert_eq(s->n_points, 8);
	for (unsigned p = 0; p < 8; p++)
		cr_expect_str_eq(s->points[p].id, ids[p]);
	cr_assert_eq(s->n_variants, 2);
	cr_expect_str_eq(s->variants[0].name, "base");
	cr_expect_str_eq(s->variants[1].name, "new");
	cr_expect_eq(s->n_warmup_steps, 16);
	cr_expect_eq(s->n_steps, 16 + 16 * 2);
	pe_suite_free(s);
	free(s);
}

/* ABBA: the warm-up round, then round 1 forward, round 2 backward, round 3 forward. */
Test(suite_plan, abba)
{
	static const unsigned want[][3] = {
		{ 0, 0, 0 }, { 0, 1, 0 }, { 1, 0, 0 }, { 1, 1, 0 }, /* warm-ups */
		{ 0, 0, 1 }, { 0, 1, 1 }, { 1, 0, 1 }, { 1, 1, 1 }, /* A B C D */
		{ 1, 1, 2 }, { 1, 0, 2 }, { 0, 1, 2 }, { 0, 0, 2 }, /* D C B A */
		{ 0, 0, 3 }, { 0, 1, 3 }, { 1, 0, 3 }, { 1, 1, 3 },
	};
	struct pe_suite *s = calloc(1, sizeof(*s));

	plan(s,
	     "[global]\nruns = 3\nvariant.small = len=64\nvariant.big = len=1024\n"
	     "[rr]\nmode = rr\nbackend = uring, epoll\n",
	     0);
	cr_assert_eq(s->n_variants, 2);
	cr_expect_str_eq(s->variants[0].name, "small");
	cr_expect_str_eq(s->variants[1].name, "big");
	cr_assert_eq(s->n_steps, 16);
	cr_expect_eq(s->n_warmup_steps, 4);
	for (unsigned i = 0; i < 16; i++) {
		cr_expect_eq(s->steps[i].point, want[i][0], "step %u", i);
		cr_expect_eq(s->steps[i].variant, want[i][1], "step %u", i);
		cr_expect_eq(s->steps[i].run, want[i][2], "step %u", i);
	}
	pe_suite_free(s);
	free(s);
}

/* The variant's settings replace the point's values in its command. */
Test(suite_plan, argv)
{
	struct pe_suite *s = calloc(1, sizeof(*s));
	char *argv[PE_SUITE_ARGS_MAX], line[400] = "";
	int n;

	plan(s,
	     "[global]\nvariant.a = len=100 spin=5\n[u]\nmode = udp\nlen = 64\ngso = yes\n"
	     "gro = no\ntime = 0.5\n",
	     0);
	n = pe_suite_argv(s, 0, 0, "7000", true, argv, PE_SUITE_ARGS_MAX);
	cr_assert_gt(n, 0);
	for (int i = 0; i < n; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i ? " " : "",
			 argv[i]);
	cr_expect_str_eq(line,
			 "client 127.0.0.1 -p 7000 --mode udp --len 100 --gso --time 0.5 --spin 5 "
			 "--json");
	pe_suite_free(s);
	free(s);
}

static void steps_of(const char *seed, struct pe_suite_step *out, unsigned *n)
{
	struct pe_suite *s = calloc(1, sizeof(*s));
	char text[300];

	snprintf(text, sizeof(text),
		 "[global]\nruns = 4\norder = shuffle\nseed = %s\n"
		 "[rr]\nmode = rr\nlen = 64, 128, 256, 512, 1024\n",
		 seed);
	plan(s, text, 2);
	*n = s->n_steps;
	memcpy(out, s->steps, s->n_steps * sizeof(*out));
	cr_expect_eq(s->n_warmup_steps, 10);
	pe_suite_free(s);
	free(s);
}

/* The same seed gives the same order, another seed another; every round runs every (point,
 * variant) exactly once. */
Test(suite_plan, shuffle_seeded)
{
	struct pe_suite_step a[50], b[50], c[50];
	unsigned na, nb, nc;

	steps_of("7", a, &na);
	steps_of("7", b, &nb);
	steps_of("8", c, &nc);
	cr_assert_eq(na, 50);
	cr_assert_eq(nb, 50);
	cr_assert_eq(nc, 50);
	cr_expect_eq(memcmp(a, b, sizeof(a)), 0);
	cr_expect_neq(memcmp(a, c, sizeof(a)), 0);
	for (unsigned round = 0; round < 5; round++) {
		unsigned seen[5][2] = { { 0 } };

		for (unsigned i = round * 10; i < round * 10 + 10; i++) {
			cr_expect_eq(a[i].run, round, "step %u", i);
			seen[a[i].point][a[i].variant]++;
		}
		for (unsigned p = 0; p < 5; p++)
			for (unsigned v = 0; v < 2; v++)
				cr_expect_eq(seen[p][v], 1, "round %u", round);
	}
}

/* A key whose value starts with a comma and has too many alternatives: the error, and
 * pe_suite_free frees what it allocated (it freed a pointer inside it; found by fuzz_suite). */
Test(suite_file, too_many_alternatives_after_a_comma)
{
	static struct pe_suite s;
	char err[256];

	cr_expect_eq(pe_suite_load_string(&s, "t.ini",
					  "[o]\nlen= ,487,2,79,,69,9,,7,2,70,,69,9,4,3,1,6,7,8,9\n",
					  err, sizeof(err)),
		     -EINVAL);
	cr_expect_str_eq(err, "t.ini:2: key 'len': more than 16 alternatives");
	pe_suite_free(&s);
	cr_expect_eq(s.tests[0].n, 0);
}

/* Numbers with a suffix are range-checked before the integer cast, which is undefined past
 * 2^64 (UBSan's float-cast-overflow; found by fuzz_suite). */
Test(suite_file, number_suffix_range)
{
	static const struct {
		const char *v;
		int rc;
		double want;
	} cases[] = {
		{ "1000000000G", 0, 1e18 },
		{ "16Gi", 0, 17179869184.0 },
		{ "17179869183Gi", 0, 0x1p64 - 0x1p30 },
		{ "17179869184Gi", -EINVAL, 0 },
		{ "255555555555G", -EINVAL, 0 },
		{ "1000000000000000000G", -EINVAL, 0 },
		{ "18446744073709551616", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double x = -1;

		cr_expect_eq(pe_suite_parse_num(cases[i].v, 1000, true, &x), cases[i].rc, "%s",
			     cases[i].v);
		if (!cases[i].rc)
			cr_expect_eq(x, cases[i].want, "%s: %.17g", cases[i].v, x);
	}
}
