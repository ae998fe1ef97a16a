/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng compare BASE NEW`: the runs of two results directories (or two variants of one) side
 * by side, with a ratio of medians, its 95% interval, a Mann-Whitney p-value and a verdict per
 * point and metric (docs/compare.md). Exits 1 when a regression is called, for CI. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "stats/compare.h"
#include "tools/cli.h"

static const char usage[] =
	"Usage: pkteng compare [OPTIONS] BASE NEW\n"
	"       pkteng compare [OPTIONS] DIR\n"
	"Compares the runs of two results directories (from 'pkteng suite --out' or\n"
	"'pkteng bench --out'): per test point and metric n, the medians, new/base ratio of\n"
	"medians with its 95% bootstrap interval, the Mann-Whitney U p-value and a verdict.\n"
	"BASE and NEW are DIR or DIR:VARIANT (a DIR holding more than one variant needs the\n"
	"VARIANT); one DIR holding exactly two variants compares the first against the second.\n"
	"  --alpha P          significance level (default 0.05)\n"
	"  --threshold PCT    change the whole interval must exceed to count (default 5)\n"
	"  --keep-disturbed   count runs marked disturbed (default: leave them out)\n"
	"  --json             print the compare as JSON\n"
	"Exit status: 0 no regression, 1 a regression, 2 bad usage or unreadable input.\n";

static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v))
		return -EINVAL;
	if (*end == '%' && !end[1])
		end++;
	if (*end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static const char *field(struct json_object *row, const char *key, char *buf, size_t len,
			 int fixed_digits)
{
	struct json_object *v;

	if (!json_object_object_get_ex(row, key, &v) || !v)
		return "-";
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	if (json_object_is_type(v, json_type_int))
		snprintf(buf, len, "%lld", (long long)json_object_get_int64(v));
	else if (fixed_digits > 0)
		snprintf(buf, len, "%.*f", fixed_digits, json_object_get_double(v));
	else if (fixed_digits < 0)
		snprintf(buf, len, "%.*g", -fixed_digits, json_object_get_double(v));
	else
		snprintf(buf, len, "%.6g", json_object_get_double(v));
	return buf;
}

#define NCOLS 8
static const char *const heads[NCOLS] = { "point", "metric",	     "n", "left out", "base",
					  "new",   "ratio [95% CI]", "p" };

/* One row's cells: widths are measured on a first pass, then printed. */
static void cells(struct json_object *row, char c[NCOLS][96])
{
	char a[32], b[32], lo[32], hi[32];

	snprintf(c[0], 96, "%s", field(row, "point", a, sizeof(a), 0));
	snprintf(c[1], 96, "%s", field(row, "metric", a, sizeof(a), 0));
	snprintf(c[2], 96, "%s/%s", field(row, "n_base", a, sizeof(a), 0),
		 field(row, "n_new", b, sizeof(b), 0));
	snprintf(c[3], 96, "%s/%s", field(row, "left_out_base", a, sizeof(a), 0),
		 field(row, "left_out_new", b, sizeof(b), 0));
	snprintf(c[4], 96, "%s", field(row, "median_base", a, sizeof(a), 0));
	snprintf(c[5], 96, "%s", field(row, "median_new", a, sizeof(a), 0));
	if (!json_object_object_get(row, "ratio"))
		snprintf(c[6], 96, "-");
	else
		snprintf(c[6], 96, "%s [%s, %s]", field(row, "ratio", a, sizeof(a), 3),
			 field(row, "ci_low", lo, sizeof(lo), 3),
			 field(row, "ci_high", hi, sizeof(hi), 3));
	snprintf(c[7], 96, "%s", field(row, "p_value", a, sizeof(a), -3));
}

static void print_table(struct json_object *res)
{
	struct json_object *rows = json_object_object_get(res, "rows");
	size_t nrows = json_object_array_length(rows), w[NCOLS], i, k;
	bool left = false;
	char c[NCOLS][96];
	int regressions = json_object_get_int(json_object_object_get(res, "regressions"));

	for (k = 0; k < NCOLS; k++)
		w[k] = strlen(heads[k]);
	for (i = 0; i < nrows; i++) {
		struct json_object *row = json_object_array_get_idx(rows, i);

		cells(row, c);
		for (k = 0; k < NCOLS; k++)
			if (strlen(c[k]) > w[k])
				w[k] = strlen(c[k]);
		left |= json_object_get_int(json_object_object_get(row, "left_out_base")) ||
			json_object_get_int(json_object_object_get(row, "left_out_new"));
	}
	printf("base: %s (variant %s)\nnew:  %s (variant %s)\n\n",
	       json_object_get_string(
		       json_object_object_get(json_object_object_get(res, "base"), "dir")),
	       json_object_get_string(
		       json_object_object_get(json_object_object_get(res, "base"), "variant")),
	       json_object_get_string(
		       json_object_object_get(json_object_object_get(res, "new"), "dir")),
	       json_object_get_string(
		       json_object_object_get(json_object_object_get(res, "new"), "variant")));
	for (k = 0; k < NCOLS; k++)
		printf("%-*s  ", (int)w[k], heads[k]);
	printf("verdict\n");
	for (i = 0; i < nrows; i++) {
		struct json_object *row = json_object_array_get_idx(rows, i);

		cells(row, c);
		for (k = 0; k < NCOLS; k++)
			printf(k >= 2 && k != 6 ? "%*s  " : "%-*s  ", (int)w[k], c[k]);
		printf("%s\n", json_object_get_string(json_object_object_get(row, "verdict")));
	}
	if (left)
		printf("\nRuns marked disturbed are left out (the \"left out\" column, base/new); "
		       "--keep-disturbed counts them.\n");
	printf("\n%d regression%s (p < %s and the 95%% interval beyond %s%%).\n", regressions,
	       regressions == 1 ? "" : "s",
	       json_object_get_string(json_object_object_get(res, "alpha")),
	       json_object_get_string(json_object_object_get(res, "threshold_pct")));
}

static void warn_metadata(struct json_object *res)
{
	struct json_object *d = json_object_object_get(res, "metadata_differences");

	for (size_t i = 0; i < json_object_array_length(d); i++) {
		struct json_object *x = json_object_array_get_idx(d, i);
		struct json_object *b = json_object_object_get(x, "base");
		struct json_object *n = json_object_object_get(x, "new");

		fprintf(stderr, "pkteng compare: warning: %s differs: base %s%s%s, new %s%s%s\n",
			json_object_get_string(json_object_object_get(x, "field")), b ? "'" : "",
			b ? json_object_get_string(b) : "(none)", b ? "'" : "", n ? "'" : "",
			n ? json_object_get_string(n) : "(none)", n ? "'" : "");
	}
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "alpha", required_argument, 0, 'a' },
		{ "threshold", required_argument, 0, 't' },
		{ "keep-disturbed", no_argument, 0, 'k' },
		{ "json", no_argument, 0, 'j' },
		{ 0 },
	};
	struct pe_compare_opts o;
	struct json_object *res;
	bool json = false;
	char err[1024];
	int c, ret;

	pe_compare_opts_init(&o);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (parse_double(optarg, 1e-6, 0.5, &o.alpha))
				return pe_usage("--alpha %s: a probability in (0, 0.5]", optarg);
			break;
		case 't':
			if (parse_double(optarg, 0, 99, &o.threshold_pct))
				return pe_usage("--threshold %s: a percentage in [0, 99]", optarg);
			break;
		case 'k':
			o.keep_disturbed = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			return pe_cli_help(usage, false);
		default:
			return pe_cli_help(usage, true);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return pe_usage("compare: needs BASE NEW, or one DIR with two variants "
				"('pkteng compare --help')");
	o.base_spec = argv[optind];
	o.new_spec = argc - optind == 2 ? argv[optind + 1] : NULL;
	ret = pe_compare_dirs(&o, &res, err, sizeof(err));
	if (ret)
		return pe_usage("%s", err);
	warn_metadata(res);
	if (json)
		printf("%s\n",
		       json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_table(res);
	ret = json_object_get_int(json_object_object_get(res, "regressions")) ? PE_EXIT_FAIL
									      : PE_EXIT_OK;
	json_object_put(res);
	return ret;
}

const struct pe_cmd pe_cmd_compare = {
	.name = "compare",
	.summary = "compare the runs of two results directories: ratios, intervals, verdicts",
	.run = run,
};
