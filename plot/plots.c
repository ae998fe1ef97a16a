/* SPDX-License-Identifier: BSD-2-Clause */
/* Scripts for gnuplot: each plot's data goes into the script as named data blocks. */
#include "plot/plots.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RUNS 1024

const char *pe_plot_colour(size_t i)
{
	static const char *const c[] = { "#0072b2", "#d55e00", "#009e73", "#cc79a7",
					 "#e69f00", "#56b4e9", "#7f3c8d", "#8c6d31" };

	return c[i % 8];
}

/* Metric names end in their unit (docs/results.md): label the axis with it. */
static const char *unit_of(const char *name)
{
	size_t n = strlen(name);

	if (n > 6 && !strcmp(name + n - 6, "_per_s"))
		return "per second";
	if (n > 3 && !strcmp(name + n - 3, "_ns"))
		return "ns";
	if (n > 4 && !strcmp(name + n - 4, "_pct"))
		return "%";
	return "";
}

/* A label string for gnuplot: single-quoted, quotes dropped, underscores taken literally. */
static void quoted(struct pe_buf *s, const char *text)
{
	pe_buf_put(s, "'", 1);
	for (const char *p = text; *p; p++)
		if (*p != '\'' && *p != '\n')
			pe_buf_put(s, p, 1);
	pe_buf_put(s, "'", 1);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Quantile q of n sorted values, interpolated between neighbours (R's default, type 7). */
static double quantile(const double *v, size_t n, double q)
{
	double h = (double)(n - 1) * q;
	size_t lo = (size_t)h;

	return lo + 1 < n ? v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]) : v[n - 1];
}

/* The boxes are candlesticks of quartiles pkteng works out itself: gnuplot's boxplot style
 * draws nothing for fewer than four values, and suites often have three runs. */
int pe_plot_box(struct pe_buf *s, const struct pe_group *g, size_t ng, const char *point,
		const char *metric)
{
	struct json_object *runs[MAX_RUNS];
	struct pe_buf plot = { 0 }, boxes = { 0 };
	double v[MAX_RUNS], lowest = 0;
	int series = 0;

	/* room above and below the extremes, so no run sits on the frame; percentages as they
	 * are, not in milli-percent */
	pe_buf_add(
		s,
		"set style fill solid 0.25 border\nset boxwidth 0.5\nset offsets 0, 0, graph 0.06, "
		"graph 0.06\nset format y '%s'\nset ylabel '%s'\nset title ",
		strcmp(unit_of(metric), "%") ? "%.3s%c" : "%g", unit_of(metric));
	quoted(s, metric);
	pe_buf_add(s, " noenhanced\nset xrange [-0.6:%zu.6]\nset xtics (", ng - 1);
	for (size_t i = 0; i < ng; i++) {
		pe_buf_add(s, "%s", i ? ", " : "");
		quoted(s, g[i].label);
		pe_buf_add(s, " %zu", i);
	}
	pe_buf_add(s, ") noenhanced\n");
	for (size_t i = 0; i < ng; i++) {
		size_t n = pe_group_runs(&g[i], point, runs, MAX_RUNS), have = 0;

		pe_buf_add(s, "$G%zu << EOD\n", i);
		for (size_t j = 0; j < n; j++)
			if (!pe_run_metric(runs[j], metric, &v[have])) {
				pe_buf_add(s, "%zu %.9g\n", i, v[have]);
				have++;
			}
		pe_buf_add(s, "EOD\n");
		if (!have)
			continue;
		qsort(v, have, sizeof(v[0]), cmp_dbl);
		lowest = fmin(lowest, v[0]);
		/* x, min, q1, median, q3, max, colour */
		pe_buf_add(&boxes, "%zu %.9g %.9g %.9g %.9g %.9g %lu\n", i, v[0],
			   quantile(v, have, 0.25), quantile(v, have, 0.5), quantile(v, have, 0.75),
			   v[have - 1], strtoul(pe_plot_colour(i) + 1, NULL, 16));
		pe_buf_add(&plot, ", $G%zu using 1:2 with points pt 7 ps 0.5 lc rgb '%s'", i,
			   pe_plot_colour(i));
		series++;
	}
	if (series) {
		/* the room below the lowest run stops at 0 for a metric that is never negative */
		if (lowest >= 0)
			pe_buf_add(s, "set yrange [0<*:*]\n");
		pe_buf_add(s, "$B << EOD\n");
		pe_buf_put(s, boxes.p, boxes.len);
		pe_buf_add(s, "EOD\nplot $B using 1:3:2:6:5:7 with candlesticks whiskerbars 0.5 "
			      "lc rgb variable, $B using 1:4:4:4:4:7 with candlesticks lw 2 lc rgb "
			      "variable");
		pe_buf_put(s, plot.p, plot.len);
		pe_buf_add(s, "\n");
		series += 2;
	}
	if (s->oom || plot.oom || boxes.oom)
		series = -ENOMEM;
	pe_buf_free(&plot);
	pe_buf_free(&boxes);
	return series;
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

int pe_plot_series(struct pe_buf *s, const struct pe_group *g, size_t ng, const char *point,
		   const char *key)
{
	struct json_object *runs[MAX_RUNS];
	struct pe_buf plot = { 0 };
	int series = 0;
	size_t longest = 0;

	pe_buf_add(s,
		   "set format y '%%.3s%%c'\nset xlabel 'seconds'\nset ylabel '%s'\n"
		   "set xrange [0:*]\nset yrange [0:*]\nset title ",
		   unit_of(key));
	quoted(s, key);
	pe_buf_add(s, " noenhanced\n");
	for (size_t i = 0; i < ng; i++) {
		size_t n = pe_group_runs(&g[i], point, runs, MAX_RUNS);

		for (size_t j = 0; j < n; j++) {
			struct json_object *iv = get(get(runs[j], "record"), "intervals");
			size_t len = json_object_is_type(iv, json_type_array)
					     ? json_object_array_length(iv)
					     : 0,
			       have = 0;

			pe_buf_add(s, "$S%zu_%zu << EOD\n", i, j);
			for (size_t t = 0; t < len; t++) {
				struct json_object *o = json_object_array_get_idx(iv, t);
				double t1 = json_object_get_double(get(o, "t1_s"));
				struct json_object *v = get(o, key);

				if (!v || !isfinite(t1))
					continue;
				pe_buf_add(s, "%.6g %.9g\n", t1, json_object_get_double(v));
				have++;
			}
			pe_buf_add(s, "EOD\n");
			if (!have)
				continue;
			longest = have > longest ? have : longest;
			pe_buf_add(
				&plot,
				"%s $S%zu_%zu using 1:2 with linespoints pt 7 ps 0.4 lc rgb '%s'",
				series++ ? "," : "plot", i, j, pe_plot_colour(i));
		}
	}
	/* a run of one interval is a dot, not a course over time */
	if (longest < 2)
		series = 0;
	if (series)
		pe_buf_put(s, plot.p, plot.len);
	pe_buf_add(s, "\n");
	series = plot.oom || s->oom ? -ENOMEM : series;
	pe_buf_free(&plot);
	return series;
}

int pe_plot_cdf(struct pe_buf *s, const struct pe_group *g, size_t ng, const char *point)
{
	struct pe_buf plot = { 0 };
	int series = 0;

	pe_buf_add(s, "set logscale x 10\nset xlabel 'latency, microseconds'\n"
		      "set ylabel 'fraction of round trips'\nset yrange [0:1.02]\n"
		      "set title 'latency CDF'\n");
	for (size_t i = 0; i < ng; i++) {
		struct pe_hist_pair *h;
		long n = pe_group_hist(&g[i], point, &h);
		uint64_t total = 0, sum = 0;

		if (n < 0) {
			series = -ENOMEM;
			break;
		}
		for (long j = 0; j < n; j++)
			total += h[j].count;
		if (!total) {
			free(h);
			continue;
		}
		pe_buf_add(s, "$H%zu << EOD\n", i);
		for (long j = 0; j < n; j++) {
			sum += h[j].count;
			pe_buf_add(s, "%.6g %.6g\n", (double)h[j].upper_ns / 1e3,
				   (double)sum / (double)total);
		}
		pe_buf_add(s, "EOD\n");
		free(h);
		pe_buf_add(&plot, "%s $H%zu using 1:2 with steps lw 1.5 lc rgb '%s'",
			   series++ ? "," : "plot", i, pe_plot_colour(i));
	}
	if (series > 0)
		pe_buf_put(s, plot.p, plot.len);
	pe_buf_add(s, "\n");
	if (plot.oom || s->oom)
		series = -ENOMEM;
	pe_buf_free(&plot);
	return series;
}

static int num(struct json_object *o, const char *key, double *v)
{
	struct json_object *x = get(o, key);

	if (!json_object_is_type(x, json_type_int) && !json_object_is_type(x, json_type_double))
		return -ENOENT;
	*v = json_object_get_double(x);
	return isfinite(*v) ? 0 : -ENOENT;
}

/* Every verdict in a colour of its own, none of them grey: a row that says nothing
 * significant is still drawn, and must be seen. */
static unsigned verdict_rgb(const char *verdict)
{
	if (!strcmp(verdict, "regression"))
		return 0xd62728;
	if (!strcmp(verdict, "improvement"))
		return 0x2ca02c;
	if (!strcmp(verdict, "~"))
		return 0x1f77b4;
	return 0xb07800; /* too few runs, or a verdict this pkteng does not know */
}

/* One row of the forest per compare row of the point, first on top: the rows with a ratio
 * and an interval are the data, the others say in the plot what they lack; every row's verdict
 * stands right of the plot in its colour. */
int pe_plot_forest(struct pe_buf *s, struct json_object *cmp, const char *point)
{
	struct json_object *rows = get(cmp, "rows");
	size_t nr = json_object_is_type(rows, json_type_array) ? json_object_array_length(rows) : 0;
	struct pe_buf data = { 0 }, tics = { 0 }, lab = { 0 };
	double thr = 5, lo_x, hi_x;
	int n = 0, drawn = 0;
	size_t right = 0;

	num(cmp, "threshold_pct", &thr);
	thr /= 100;
	lo_x = 1 - thr;
	hi_x = 1 + thr;
	for (size_t i = 0; i < nr; i++) {
		struct json_object *r = json_object_array_get_idx(rows, i);
		const char *verdict = json_object_get_string(get(r, "verdict")) ?: "?";
		unsigned rgb = verdict_rgb(verdict);
		double ratio, lo, hi, mb;
		int has_ratio;

		if (strcmp(json_object_get_string(get(r, "point")) ?: "", point))
			continue;
		has_ratio = !num(r, "ratio", &ratio);
		pe_buf_add(&tics, "%s", n ? ", " : "");
		quoted(&tics, json_object_get_string(get(r, "metric")) ?: "?");
		pe_buf_add(&tics, " %d", n);
		pe_buf_add(&lab, "set label ");
		quoted(&lab, verdict);
		pe_buf_add(&lab,
			   " at graph 1, first %d left offset character 1, 0 tc rgb '#%06x' "
			   "noenhanced\n",
			   n, rgb);
		right = strlen(verdict) > right ? strlen(verdict) : right;
		if (has_ratio && !num(r, "ci_low", &lo) && !num(r, "ci_high", &hi)) {
			lo_x = fmin(lo_x, fmin(lo, ratio));
			hi_x = fmax(hi_x, fmax(hi, ratio));
			pe_buf_add(&data, "%d %.6g %.6g %.6g %u\n", n, ratio, lo, hi, rgb);
			drawn++;
		} else if (has_ratio) {
			pe_buf_add(&lab,
				   "set label 'ratio %.3g, no interval' at graph 0.5, first %d "
				   "center tc rgb '#%06x'\n",
				   ratio, n, rgb);
		} else {
			pe_buf_add(&lab,
				   "set label 'no ratio%s' at graph 0.5, first %d center tc rgb "
				   "'#%06x'\n",
				   !num(r, "median_base", &mb) && mb == 0 ? " (base median 0)" : "",
				   n, rgb);
		}
		n++;
	}
	if (drawn) {
		pe_buf_put(s, lab.p, lab.len);
		pe_buf_add(s, "$F << EOD\n");
		pe_buf_put(s, data.p, data.len);
		pe_buf_add(s,
			   "EOD\nset title 'new / base: median ratio, 95%% interval'\n"
			   "set xlabel 'ratio'\nset yrange [%d.5:-0.5]\nset ytics (",
			   n - 1);
		pe_buf_put(s, tics.p, tics.len);
		pe_buf_add(s,
			   ") nomirror noenhanced scale 0\nset grid noytics\nset rmargin %zu\n"
			   "set xrange [%.6g:%.6g]\n"
			   "set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb '#000000'\n"
			   "set arrow from %.6g, graph 0 to %.6g, graph 1 nohead dt 2 lc rgb "
			   "'#888888'\n"
			   "set arrow from %.6g, graph 0 to %.6g, graph 1 nohead dt 2 lc rgb "
			   "'#888888'\n"
			   "plot $F using 2:1:3:4:5 with xerrorbars pt 7 ps 0.8 lc rgb variable\n",
			   right + 2, lo_x - (hi_x - lo_x) * 0.08, hi_x + (hi_x - lo_x) * 0.08,
			   1 - thr, 1 - thr, 1 + thr, 1 + thr);
	}
	if (s->oom || data.oom || tics.oom || lab.oom)
		drawn = -ENOMEM;
	pe_buf_free(&data);
	pe_buf_free(&tics);
	pe_buf_free(&lab);
	return drawn ? (drawn < 0 ? drawn : 1) : 0;
}
