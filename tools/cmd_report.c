/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng report DIR... -o report.html`: one self-contained HTML page of plots, the compare
 * table and the metadata of results directories (docs/report.md). */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "plot/report.h"
#include "stats/compare.h"
#include "tools/cli.h"

#define MAX_DIRS 8

static const char usage[] =
	"Usage: pkteng report DIR... -o FILE.html [--compare FILE.json] [--title TEXT]\n"
	"Writes one self-contained HTML page (inline SVG and CSS, nothing fetched) about the\n"
	"results directories DIR... ('pkteng suite --out', 'pkteng bench --out'): per test point,\n"
	"box plots of every metric's runs, each run's interval series, latency CDFs from the\n"
	"merged histograms, the compare table with a forest plot of its intervals, and both\n"
	"sides' metadata. The first directory is the base. Plots are drawn by gnuplot.\n"
	"  -o, --out FILE        where to write the page (required; -: standard output)\n"
	"  --compare FILE.json   show this compare document ('pkteng compare --json') instead of\n"
	"                        comparing the first two groups (two variants of one DIR, or\n"
	"                        DIR DIR) with compare's defaults\n"
	"  --title TEXT          the page's heading\n";

/* compare of the first two groups, with compare's defaults; when it cannot be made the page
 * says why instead of failing (a report of one variant has nothing to compare). */
static void compare(struct pe_report_opts *ro, char **dirs, char *why, size_t whylen)
{
	struct pe_compare_opts co;

	if (ro->n_res > 2) {
		ro->cmp_why = "only two directories can be compared";
		return;
	}
	pe_compare_opts_init(&co);
	co.base_spec = dirs[0];
	co.new_spec = ro->n_res == 2 ? dirs[1] : NULL;
	if (pe_compare_dirs(&co, &ro->cmp, why, whylen)) {
		ro->cmp = NULL;
		ro->cmp_why = why;
	}
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "out", required_argument, 0, 'o' },
		{ "compare", required_argument, 0, 'c' },
		{ "title", required_argument, 0, 't' },
		{ 0 },
	};
	struct pe_results res[MAX_DIRS];
	struct pe_report_opts ro = { .sz = sizeof(ro), .res = res };
	const char *out = NULL, *cmp_path = NULL;
	char err[600], why[600];
	FILE *f;
	int c, r, rc = PE_EXIT_OK;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'c':
			cmp_path = optarg;
			break;
		case 't':
			ro.title = optarg;
			break;
		case 'h':
			return pe_cli_help(usage, false);
		default:
			return pe_cli_help(usage, true);
		}
	}
	if (!out)
		return pe_usage("report: -o FILE.html is required");
	if ((r = pe_out_check(out)))
		return pe_fail("report: -o %s: %s", out, strerror(-r));
	if (optind == argc)
		return pe_usage("report: give at least one results directory");
	if (argc - optind > MAX_DIRS)
		return pe_usage("report: at most %d results directories", MAX_DIRS);
	for (; optind < argc; optind++) {
		r = pe_results_load(&res[ro.n_res], argv[optind], err, sizeof(err));
		if (r) {
			rc = pe_usage("report: %s", err);
			goto out;
		}
		ro.n_res++;
	}
	if (cmp_path) {
		ro.cmp = json_object_from_file(cmp_path);
		if (!json_object_is_type(ro.cmp, json_type_object)) {
			rc = pe_usage("report: --compare %s: not a JSON document", cmp_path);
			goto out;
		}
	} else {
		compare(&ro, argv + optind - ro.n_res, why, sizeof(why));
	}
	f = pe_out_open(out);
	if (!f) {
		rc = pe_fail("report: %s: %s", out, strerror(errno));
		goto out;
	}
	r = pe_report_html(f, &ro, err, sizeof(err));
	if ((pe_out_close(f) && r >= 0) || r < 0) {
		if (f != stdout)
			remove(out);
		rc = pe_fail("report: %s", r < 0 ? err : strerror(errno));
	}
out:
	json_object_put(ro.cmp);
	for (size_t i = 0; i < ro.n_res; i++)
		pe_results_free(&res[i]);
	return rc;
}

const struct pe_cmd pe_cmd_report = {
	.name = "report",
	.summary = "an HTML page of plots and compare tables from results directories",
	.run = run,
};
