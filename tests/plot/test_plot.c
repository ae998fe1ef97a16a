/* pkteng report and pkteng plot: results directories made by mkresults.py (synthetic runs of
 * known sizes, or real client records from loopback), the SVG series counted by
 * check_report.py, the page checked for anything external and rendered by Chromium. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot/gnuplot.h"
#include "plot/report.h"
#include "tests/testutil.h"

#define MK    PE_PYTHON " " PE_TEST_SRC "/tests/plot/mkresults.py"
#define CHECK PE_PYTHON " " PE_TEST_SRC "/tests/plot/check_report.py"

static char *dir;

static void setup(void)
{
	dir = pe_tmpdir();
	cr_assert(dir);
}

static void teardown(void)
{
	pe_tmpdir_remove(dir);
}

TestSuite(plot, .init = setup, .fini = teardown, .timeout = 240);

static bool have(const char *prog)
{
	struct pe_run r;
	bool ok = !pe_run(&r, "command -v %s >/dev/null", prog) && r.status == 0;

	pe_run_free(&r);
	return ok;
}

#define REQUIRE(prog)                                                                              \
	do {                                                                                       \
		if (!have(prog))                                                                   \
			cr_skip_test(prog " is not installed (tools/deps.sh test installs it)");   \
	} while (0)

/* Runs a shell command line that must succeed; returns its stdout (caller frees). */
static char *ok_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *ok_run(const char *fmt, ...)
{
	struct pe_run r;
	char cmd[2048], *out;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(pe_run(&r, "%s", cmd), 0);
	cr_assert_eq(r.status, 0, "%s: %s%s", cmd, r.out, r.err);
	out = r.out;
	r.out = NULL;
	pe_run_free(&r);
	return out;
}

static void synth(const char *name, unsigned v, unsigned runs, unsigned iv, unsigned buckets)
{
	char args[200];

	snprintf(args, sizeof(args), "--variants %u --runs %u --intervals %u --buckets %u --fail 1",
		 v, runs, iv, buckets);
	free(ok_run(MK " synth %s %s", name, args));
}

struct size_case {
	unsigned variants, runs, intervals, buckets;
};
static const struct size_case sizes[] = {
	{ 2, 5, 10, 50 },
	{ 3, 3, 4, 7 },
	{ 1, 2, 30, 300 },
};

ParameterizedTestParameters(plot, svg_series_and_points)
{
	PE_PARAM_INDEXES(sizeof(sizes) / sizeof(sizes[0]));
}

/* Every series gnuplot drew, with its points: box plots have a box and then one point per
 * successful run for each variant (the failed run is left out), series one line per run with a
 * point per interval, CDFs one step line per variant with a step per bucket. */
ParameterizedTest(unsigned *idx, plot, svg_series_and_points)
{
	const struct size_case *c = &sizes[*idx];
	char d[300], svg[320], want[4096], *got;
	size_t n = 0;

	REQUIRE("gnuplot");
	snprintf(d, sizeof(d), "%s/res", dir);
	snprintf(svg, sizeof(svg), "%s/p.svg", dir);
	synth(d, c->variants, c->runs, c->intervals, c->buckets);

	free(ok_run(PE_TEST_BIN
		    " plot %s --point rr/x --kind box --metric transactions_per_s -o %s",
		    d, svg));
	got = ok_run(CHECK " svg %s%s", svg, " uses");
	for (unsigned v = 0; v < c->variants; v++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%u 0 uses\n%u %u uses\n",
				      2 * v + 1, 2 * v + 2, c->runs);
	cr_expect_str_eq(got, want, "box %u: got\n%s", *idx, got);
	free(got);

	free(ok_run(PE_TEST_BIN " plot %s --point rr/x --kind series -o %s", d, svg));
	got = ok_run(CHECK " svg %s%s", svg, "");
	n = 0;
	for (unsigned i = 0; i < c->variants * c->runs; i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%u %u uses %u coords\n", i + 1,
				      c->intervals, c->intervals);
	cr_expect_str_eq(got, want, "series %u", *idx);
	free(got);

	free(ok_run(PE_TEST_BIN " plot %s --point rr/x --kind cdf -o %s", d, svg));
	got = ok_run(CHECK " svg %s%s", svg, "");
	n = 0;
	for (unsigned i = 0; i < c->variants; i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%u 0 uses %u coords\n", i + 1,
				      2 * c->buckets - 1);
	cr_expect_str_eq(got, want, "cdf %u", *idx);
	free(got);
}
