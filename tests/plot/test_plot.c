/* SPDX-License-Identifier: BSD-2-Clause */
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
#include <sys/stat.h>
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

TestSuite(plot, .init = setup, .fini = teardown, .timeout = 280);

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

/* Every series gnuplot drew, with its points: box plots have the boxes, the medians, and one
 * point per successful run for each variant (the failed run is left out), series one line per run with a
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
	got = ok_run(CHECK " svg %s", svg);
	/* the boxes with their whiskers (13 vertices each), the medians (4 each), the runs */
	n = (size_t)snprintf(want, sizeof(want), "1 0 uses %u coords\n2 0 uses %u coords\n",
			     13 * c->variants, 4 * c->variants);
	for (unsigned v = 0; v < c->variants; v++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%u %u uses 0 coords\n", v + 3,
				      c->runs);
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

/* compare's document for the synthetic directory: a regression, a no-change, an improvement,
 * a row with too few runs and one without a ratio (no interval: named in the forest plot, not
 * drawn). */
static const char cmp_json[] =
	"{\"schema\":1,\"kind\":\"pkteng-compare\",\"alpha\":0.05,\"threshold_pct\":5,"
	"\"confidence\":0.95,\"base\":{\"dir\":\"a\",\"variant\":\"base\"},"
	"\"new\":{\"dir\":\"a\",\"variant\":\"new\"},\"metadata_differences\":[{\"field\":"
	"\"host.kernel\",\"base\":\"6.1.0\",\"new\":\"6.18.0\"}],\"rows\":["
	"{\"point\":\"rr/x\",\"metric\":\"transactions_per_s\",\"better\":\"higher\",\"n_base\":5,"
	"\"n_new\":5,\"left_out_base\":0,\"left_out_new\":0,\"median_base\":1030,"
	"\"median_new\":900,\"ratio\":0.873786,\"ci_low\":0.85,\"ci_high\":0.9,\"p_value\":0.0079,"
	"\"verdict\":\"regression\"},"
	"{\"point\":\"rr/x\",\"metric\":\"lat_p50_ns\",\"better\":\"lower\",\"n_base\":5,"
	"\"n_new\":5,\"left_out_base\":0,\"left_out_new\":0,\"median_base\":5003,"
	"\"median_new\":5003,\"ratio\":1,\"ci_low\":0.99,\"ci_high\":1.01,\"p_value\":1,"
	"\"verdict\":\"~\"},"
	"{\"point\":\"rr/x\",\"metric\":\"cpu_user_pct\",\"better\":\"lower\",\"n_base\":1,"
	"\"n_new\":1,\"left_out_base\":0,\"left_out_new\":0,\"median_base\":1.5,"
	"\"median_new\":1.5,\"ratio\":1,\"ci_low\":null,\"ci_high\":null,\"p_value\":null,"
	"\"verdict\":\"too few runs\"},"
	"{\"point\":\"stream/x\",\"metric\":\"rx_bits_per_s\",\"better\":\"higher\",\"n_base\":5,"
	"\"n_new\":5,\"left_out_base\":0,\"left_out_new\":0,\"median_base\":8000003,"
	"\"median_new\":16000003,\"ratio\":2,\"ci_low\":1.9,\"ci_high\":2.1,\"p_value\":0.0079,"
	"\"verdict\":\"improvement\"},"
	"{\"point\":\"stream/x\",\"metric\":\"tx_bits_per_s\",\"better\":\"higher\",\"n_base\":5,"
	"\"n_new\":5,\"left_out_base\":0,\"left_out_new\":0,\"median_base\":0,"
	"\"median_new\":0,\"ratio\":null,\"ci_low\":null,\"ci_high\":null,\"p_value\":1,"
	"\"verdict\":\"~\"}],\"regressions\":1}";

/* compare's document in which no row of a point has an interval: rr/x has one row without,
 * stream/x none at all; both forest plots give way to a line saying why. */
static const char cmp_none_json[] =
	"{\"schema\":1,\"kind\":\"pkteng-compare\",\"alpha\":0.05,\"threshold_pct\":5,"
	"\"rows\":[{\"point\":\"rr/x\",\"metric\":\"transactions_per_s\",\"n_base\":0,"
	"\"n_new\":5,\"median_base\":null,\"median_new\":900,\"ratio\":null,\"ci_low\":null,"
	"\"ci_high\":null,\"p_value\":null,\"verdict\":\"too few runs\"}],\"regressions\":0}";

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Makes the report of args and returns check_report.py's summary of it; *page gets the page. */
static char *report(const char *args, const char *html, char **page)
{
	char *got;

	free(ok_run(PE_TEST_BIN " report %s -o %s", args, html));
	got = ok_run(CHECK " html %s", html);
	*page = pe_read_file(html, NULL);
	cr_assert(*page);
	return got;
}

/* The page: nothing external, one SVG per plot box, the compare table's rows marked by
 * verdict, and the forest plot drawing the rows that have an interval and naming the others. */
Test(plot, report_page)
{
	char d[300], one[300], html[320], cmp[320], none[320], svg[320], args[1200], want[600];
	char *got, *page;

	REQUIRE("gnuplot");
	snprintf(d, sizeof(d), "%s/res", dir);
	snprintf(one, sizeof(one), "%s/one", dir);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	snprintf(cmp, sizeof(cmp), "%s/cmp.json", dir);
	snprintf(none, sizeof(none), "%s/none.json", dir);
	snprintf(svg, sizeof(svg), "%s/forest.svg", dir);
	synth(d, 2, 5, 10, 50);
	synth(one, 1, 5, 10, 50);
	cr_assert_eq(pe_write_file(cmp, cmp_json, strlen(cmp_json)), 0);
	cr_assert_eq(pe_write_file(none, cmp_none_json, strlen(cmp_none_json)), 0);

	/* rr/x: 3 metrics, series, cdf, forest; stream/x: 1 metric, series, forest */
	snprintf(args, sizeof(args), "%s --compare %s", d, cmp);
	got = report(args, html, &page);
	cr_expect_str_eq(got, "page 1190 2331\nplots 9\nsvgs 9\n");
	cr_expect_eq(count(page, "<b>differs:</b> host.kernel: base 6.1.0, new 6.18.0</div>"), 1,
		     "the compare's metadata differences, once");
	cr_expect_eq(count(page, "<tr class=\"bad\">"), 1);
	cr_expect_eq(count(page, "<tr class=\"good\">"), 1);
	cr_expect_eq(count(page, "<td>too few runs</td>"), 1);
	cr_expect_eq(count(page, "<text>too few runs</text>"), 1, "the forest names every verdict");
	cr_expect_eq(count(page, ">ratio 1, no interval</tspan>"), 1);
	cr_expect_eq(count(page, ">no ratio (base median 0)</tspan>"), 1);
	cr_expect_eq(count(page, "<text>~</text>"), 2);
	cr_expect_eq(count(page, "stream/x cdf: the records have no latency histogram"), 1);
	cr_expect_eq(count(page, "per-flow"), 2, "the series say flows are not drawn apart");
	cr_expect_eq(count(page, "git_commit 0000000000000000000000000000000000000000"), 2);
	free(got);
	free(page);

	free(ok_run(PE_TEST_BIN " plot %s --point rr/x --kind forest --compare %s -o %s", d, cmp,
		    svg));
	got = ok_run(CHECK " svg %s uses", svg);
	cr_expect_str_eq(got, "1 2 uses\n", "two rows of rr/x have an interval");
	free(got);
	page = pe_read_file(svg, NULL);
	cr_assert(page);
	cr_expect_eq(count(page, "<text>regression</text>"), 1);
	cr_expect_eq(count(page, "<text>~</text>"), 1);
	cr_expect_eq(count(page, "<text>too few runs</text>"), 1);
	cr_expect_eq(count(page, ">ratio 1, no interval</tspan>"), 1, "the row without one");
	cr_expect_eq(count(page, "<text>transactions_per_s</text>"), 1);
	cr_expect_eq(count(page, "<text>cpu_user_pct</text>"), 1, "a row even without an interval");
	free(page);

	/* without --compare the page compares the two variants itself: both improvements */
	got = report(d, html, &page);
	cr_expect_str_eq(got, "page 1190 2299\nplots 9\nsvgs 9\n");
	cr_expect_eq(count(page, "<tr class=\"bad\">"), 0);
	cr_expect_eq(count(page, "<tr class=\"good\">"), 2);
	cr_expect_eq(count(page, "<text>improvement</text>"), 2);
	cr_expect_eq(count(page, "<text>~</text>"), 2);
	cr_expect_eq(count(page, "compare: "), 0);
	free(got);
	free(page);

	/* one variant: nothing to compare, no forest plots, and the page says why */
	got = report(one, html, &page);
	cr_expect_str_eq(got, "page 1190 1462\nplots 7\nsvgs 7\n");
	snprintf(
		want, sizeof(want),
		"compare: %s: holds 1 variant; compare of one directory needs exactly two (or give "
		"BASE and NEW as DIR:VARIANT)</div>",
		one);
	cr_expect_eq(count(page, want), 2, "once for each point");
	cr_expect_eq(count(page, "forest"), 0);
	free(got);
	free(page);

	/* a compare with no interval for a point: a line saying why stands in for its forest */
	snprintf(args, sizeof(args), "%s --compare %s", d, none);
	got = report(args, html, &page);
	cr_expect_str_eq(got, "page 1190 1807\nplots 7\nsvgs 7\n");
	cr_expect_eq(count(page, "rr/x forest: no metric has a ratio with an interval (the table "
				 "gives each verdict)</div>"),
		     1);
	cr_expect_eq(count(page, "stream/x forest: no metric has a ratio with an interval"), 1);
	cr_expect_eq(count(page, "<td>too few runs</td>"), 1);
	free(got);
	free(page);
}

struct err_case {
	const char *env, *args;
	int status;
	const char *err; /* @ stands for the test's directory, here and in env and args */
};
static const struct err_case errs[] = {
	{ "", "report /nonexistent -o @/r.html", 2,
	  "pkteng: report: /nonexistent/suite.json: not a results directory's suite.json\n" },
	{ "", "report @/res", 2, "pkteng: report: -o FILE.html is required\n" },
	{ "PKTENG_GNUPLOT=/nonexistent/gnuplot", "report @/res -o @/r.html", 1,
	  "pkteng: report: plot rr/x box transactions_per_s: /nonexistent/gnuplot: No such file "
	  "or directory (install gnuplot-nox)\n" },
	{ "PKTENG_GNUPLOT=@/fakegp", "report @/res -o @/r.html", 1,
	  "pkteng: report: plot rr/x box transactions_per_s: gnuplot: \"-\" line 7: undefined "
	  "variable: nope\n" },
	{ "", "plot @/res --point rr/x --kind pie -o @/p.svg", 2,
	  "pkteng: plot: --kind 'pie': expected box, series, cdf or forest\n" },
	{ "", "plot @/res --point rr/x --kind box --metric m -o @/p.gif", 2,
	  "pkteng: plot: -o @/p.gif: the name must end in .svg or .png\n" },
	{ "", "plot @/res --point nope --kind cdf -o @/p.svg", 1,
	  "pkteng: plot nope cdf: nothing to draw (no such point, metric or data)\n" },
};

static void subst(char *out, size_t cap, const char *tmpl)
{
	size_t n = 0;

	for (; *tmpl && n + strlen(dir) + 1 < cap; tmpl++)
		if (*tmpl == '@')
			n += (size_t)snprintf(out + n, cap - n, "%s", dir);
		else
			out[n++] = *tmpl;
	out[n] = '\0';
}

ParameterizedTestParameters(plot, errors)
{
	PE_PARAM_INDEXES(sizeof(errs) / sizeof(errs[0]));
}

/* Every error is one line naming the bad thing, and no page is left behind. */
ParameterizedTest(unsigned *idx, plot, errors)
{
	const struct err_case *c = &errs[*idx];
	char env[400], args[600], want[600], path[320], fake[320];
	struct pe_run r;

	snprintf(path, sizeof(path), "%s/res", dir);
	synth(path, 2, 2, 2, 2);
	snprintf(fake, sizeof(fake), "%s/fakegp", dir);
	/* a stand-in that fails like gnuplot does on a bad script */
	cr_assert_eq(
		pe_write_file(fake,
			      "#!/bin/sh\ncat >/dev/null\nprintf 'plot $X\\n     ^\\n'"
			      " >&2\necho '         \"-\" line 7: undefined variable: nope' >&2\n"
			      "echo >&2\nexit 1\n",
			      strlen("#!/bin/sh\ncat >/dev/null\nprintf 'plot $X\\n     ^\\n'"
				     " >&2\necho '         \"-\" line 7: undefined variable: "
				     "nope' >&2\necho >&2\nexit 1\n")),
		0);
	cr_assert_eq(chmod(fake, 0755), 0);
	subst(env, sizeof(env), c->env);
	subst(args, sizeof(args), c->args);
	subst(want, sizeof(want), c->err);
	cr_assert_eq(pe_run(&r, "%s %s %s", env, PE_TEST_BIN, args), 0);
	cr_expect_eq(r.status, c->status, "%s: %s", args, r.err);
	cr_expect_str_eq(r.err, want);
	cr_expect_str_eq(r.out, "");
	snprintf(path, sizeof(path), "%s/r.html", dir);
	cr_expect_neq(access(path, F_OK), 0, "no page left behind");
	snprintf(path, sizeof(path), "%s/p.svg", dir);
	cr_expect_neq(access(path, F_OK), 0, "no plot left behind");
	pe_run_free(&r);
}

/* The pipe itself: a real gnuplot's own error for a bad script, and an SVG made inline. */
Test(plot, gnuplot_pipe)
{
	static const char bad[] = "set terminal svg\nplot $NOPE using 1:2\n";
	struct pe_buf s = { 0 }, out = { 0 };
	char err[300], *inl;

	REQUIRE("gnuplot");
	cr_expect_eq(pe_gnuplot_run(bad, strlen(bad), &out, err, sizeof(err)), -EINVAL);
	cr_expect_eq(strncmp(err, "gnuplot: ", 9), 0, "%s", err);
	cr_expect(strstr(err, "no datablock named $NOPE"), "%s", err);
	cr_expect(!strchr(err, '\n'), "one line: %s", err);
	pe_gnuplot_terminal(&s, PE_PLOT_SVG, 200, 100);
	pe_buf_add(&s, "$D << EOD\n1 2\n2 3\nEOD\nplot $D using 1:2 with points\n");
	cr_assert_eq(pe_gnuplot_run(s.p, s.len, &out, err, sizeof(err)), 0, "%s", err);
	cr_expect(strstr(out.p, "http://www.w3.org/2000/svg"), "gnuplot's SVG names its namespace");
	inl = pe_report_inline_svg(out.p, "q7_");
	cr_assert(inl);
	cr_expect_eq(strncmp(inl, "<svg", 4), 0);
	cr_expect(!strstr(inl, "http"), "%.300s", inl);
	cr_expect(!strstr(inl, "id='gp"), "every id is prefixed");
	cr_expect_gt(count(inl, "href='#q7_gpPt"), 0);
	cr_expect_eq(count(inl, "id=\"q7_gnuplot_plot_1\""), 1);
	free(inl);
	pe_buf_free(&s);
	pe_buf_free(&out);
}

/* The page in a real browser: real client records from loopback runs, rendered by headless
 * Chromium at the page's own size; every plot box must have its white background and coloured
 * series where the page says the box is. */
Test(plot, chromium_renders_every_plot)
{
	char d[300], html[320], png[320], prof[320], *got;
	unsigned w, h;
	struct pe_run r;

	REQUIRE("gnuplot");
	REQUIRE("chromium");
	snprintf(d, sizeof(d), "%s/real", dir);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	snprintf(png, sizeof(png), "%s/report.png", dir);
	snprintf(prof, sizeof(prof), "%s/profile", dir);
	free(ok_run(MK " real %s --bin %s --runs 2", d, PE_TEST_BIN));
	free(ok_run(PE_TEST_BIN " report %s -o %s", d, html));
	got = ok_run(CHECK " html %s", html);
	/* rr: 4 metrics, series, cdf (the records' lat_hist), forest; stream: 2 metrics, series,
	 * forest (two runs a side: every row is too few runs, and drawn) */
	cr_assert_eq(sscanf(got, "page %u %u\n", &w, &h), 2, "%s", got);
	cr_expect(strstr(got, "plots 11\nsvgs 11\n"), "%s", got);
	free(got);
	cr_assert_eq(pe_run(&r,
			    "chromium --headless --no-sandbox --disable-gpu --disable-quic "
			    "--no-first-run --disable-background-networking "
			    "--disable-component-update --disable-sync --hide-scrollbars "
			    "--user-data-dir=%s --screenshot=%s --window-size=%u,%u file://%s",
			    prof, png, w, h, html),
		     0);
	cr_assert_eq(r.status, 0, "chromium: %s", r.err);
	pe_run_free(&r);
	got = ok_run(CHECK " png %s %s", png, html);
	cr_expect(strstr(got, "boxes 11 blank 0\n"), "%s", got);
	free(got);
}
