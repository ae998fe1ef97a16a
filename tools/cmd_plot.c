/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng plot DIR --point ID --kind box|series|cdf [--metric M] -o FILE.svg|png`: one of the
 * report's plots on its own, for pasting elsewhere (docs/report.md). */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "plot/gnuplot.h"
#include "plot/plots.h"
#include "tools/cli.h"

#define MAX_DIRS 8

static const char usage[] =
	"Usage: pkteng plot DIR... --point ID --kind box|series|cdf|forest [--metric M] -o FILE\n"
	"Draws one plot of test point ID from results directories (the first is the base),\n"
	"with gnuplot, as SVG or PNG by FILE's suffix (.svg, .png).\n"
	"  --point ID       the test point (suite.json's points[].id)\n"
	"  --kind box       the runs of metric M (runs.jsonl's metrics) per variant\n"
	"  --kind series    interval field M over time, one line per run (default M: the first\n"
	"                   of transactions_per_s, rx_bits_per_s, tx_bits_per_s with data)\n"
	"  --kind cdf       latency CDF of each variant's merged histograms (M is not used)\n"
	"  --kind forest    compare's ratios and intervals of the point (needs --compare)\n"
	"  --compare FILE   compare's document ('pkteng compare --json')\n"
	"  --size WxH       pixels (default 640x400)\n"
	"  -o, --out FILE   where to write the plot (required; -: SVG on standard output)\n";

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },	  { "out", required_argument, 0, 'o' },
		{ "point", required_argument, 0, 'p' },	  { "metric", required_argument, 0, 'm' },
		{ "kind", required_argument, 0, 'k' },	  { "size", required_argument, 0, 's' },
		{ "compare", required_argument, 0, 'c' }, { 0 },
	};
	struct pe_results res[MAX_DIRS];
	struct pe_group g[16];
	struct pe_buf script = { 0 }, pic = { 0 };
	const char *out = NULL, *point = NULL, *metric = NULL, *kind = NULL, *suffix;
	const char *cmp_path = NULL;
	struct json_object *cmp = NULL;
	unsigned w = 640, h = 400;
	size_t n_res = 0, ng;
	enum pe_plot_fmt fmt;
	char err[600], name[300];
	int c, r, rc = PE_EXIT_OK;
	FILE *f;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'p':
			point = optarg;
			break;
		case 'm':
			metric = optarg;
			break;
		case 'k':
			kind = optarg;
			break;
		case 'c':
			cmp_path = optarg;
			break;
		case 's':
			if (sscanf(optarg, "%ux%u%n", &w, &h, &r) != 2 || optarg[r] || w < 100 ||
			    h < 100 || w > 10000 || h > 10000)
				return pe_usage(
					"plot: --size '%s': expected WxH, 100 to 10000 each",
					optarg);
			break;
		case 'h':
			return pe_cli_help(usage, false);
		default:
			return pe_cli_help(usage, true);
		}
	}
	if (!out || !point || !kind)
		return pe_usage("plot: --point, --kind and -o are required");
	suffix = pe_out_is_stdout(out) ? ".svg" : strrchr(out, '.');
	if (suffix && !strcmp(suffix, ".svg"))
		fmt = PE_PLOT_SVG;
	else if (suffix && !strcmp(suffix, ".png"))
		fmt = PE_PLOT_PNG;
	else
		return pe_usage("plot: -o %s: the name must end in .svg or .png", out);
	if ((r = pe_out_check(out)))
		return pe_fail("plot: -o %s: %s", out, strerror(-r));
	if (strcmp(kind, "box") && strcmp(kind, "series") && strcmp(kind, "cdf") &&
	    strcmp(kind, "forest"))
		return pe_usage("plot: --kind '%s': expected box, series, cdf or forest", kind);
	if (!strcmp(kind, "forest") && !cmp_path)
		return pe_usage("plot: --kind forest needs --compare FILE.json");
	if (!strcmp(kind, "box") && !metric)
		return pe_usage("plot: --kind box needs --metric");
	if (optind == argc)
		return pe_usage("plot: give at least one results directory");
	if (argc - optind > MAX_DIRS)
		return pe_usage("plot: at most %d results directories", MAX_DIRS);
	for (; optind < argc; optind++) {
		if (pe_results_load(&res[n_res], argv[optind], err, sizeof(err))) {
			rc = pe_usage("plot: %s", err);
			goto out;
		}
		n_res++;
	}
	if (cmp_path) {
		cmp = json_object_from_file(cmp_path);
		if (!json_object_is_type(cmp, json_type_object)) {
			rc = pe_usage("plot: --compare %s: not a JSON document", cmp_path);
			goto out;
		}
	}
	ng = pe_groups(res, n_res, g, 16);
	pe_gnuplot_terminal(&script, fmt, w, h);
	if (!strcmp(kind, "box")) {
		r = pe_plot_box(&script, g, ng, point, metric);
	} else if (!strcmp(kind, "series")) {
		if (!metric)
			metric = pe_series_key(g, ng, point);
		r = metric ? pe_plot_series(&script, g, ng, point, metric) : 0;
	} else if (!strcmp(kind, "cdf")) {
		r = pe_plot_cdf(&script, g, ng, point);
	} else {
		r = pe_plot_forest(&script, cmp, point);
	}
	snprintf(name, sizeof(name), "%s %s%s%s", point, kind, metric ? " " : "",
		 metric ? metric : "");
	if (r == 0) {
		rc = pe_fail("plot %s: nothing to draw (no such point, metric or data)", name);
		goto out;
	}
	if (r < 0 || (r = pe_gnuplot_run(script.p, script.len, &pic, err, sizeof(err)))) {
		rc = pe_fail("plot %s: %s", name, r == -ENOMEM ? "out of memory" : err);
		goto out;
	}
	f = pe_out_open(out);
	if (!f) {
		rc = pe_fail("plot: %s: %s", out, strerror(errno));
		goto out;
	}
	r = fwrite(pic.p, 1, pic.len, f) != pic.len;
	if (pe_out_close(f) | r) {
		rc = pe_fail("plot: %s: %s", out, strerror(errno));
		if (f != stdout)
			remove(out);
	}
out:
	json_object_put(cmp);
	pe_buf_free(&script);
	pe_buf_free(&pic);
	for (size_t i = 0; i < n_res; i++)
		pe_results_free(&res[i]);
	return rc;
}

const struct pe_cmd pe_cmd_plot = {
	.name = "plot",
	.summary =
		"one plot (box, series, latency CDF, forest) of results directories as SVG or PNG",
	.run = run,
};
