/* SPDX-License-Identifier: BSD-2-Clause */
/* The gnuplot scripts of the report's plots, data inline ($NAME << EOD). Each writer appends
 * to a script that already has its terminal line (pe_gnuplot_terminal) and returns the number
 * of series it drew (> 0), 0 when there is nothing to draw, or -ENOMEM. Series are drawn in
 * the order of the groups, group i in colour pe_plot_colour(i), and have no key: the report
 * prints one legend for every plot. */
#ifndef PKTENG_PLOT_PLOTS_H
#define PKTENG_PLOT_PLOTS_H

#include <stddef.h>

#include "plot/gnuplot.h"
#include "plot/results.h"

struct json_object;

/* "#rrggbb" of group i (a colour-blind-safe palette, repeating after eight). */
const char *pe_plot_colour(size_t i);

/* Box plot of metric over point's runs: one series of boxes (quartiles, whiskers to the
 * extremes), one of median lines, then per group that has runs one series of its runs' points
 * (2 + groups series). */
int pe_plot_box(struct pe_buf *s, const struct pe_group *g, size_t ng, const char *point,
		const char *metric);
/* Interval series: key (an interval field, pe_series_key) over time, one series per run of
 * each group, one point per interval; 0 when no run has two intervals. */
int pe_plot_series(struct pe_buf *s, const struct pe_group *g, size_t ng, const char *point,
		   const char *key);
/* Latency CDF of each group's merged lat_hist: one series per group with a histogram, one
 * point per non-empty bucket, x in microseconds (log scale). */
int pe_plot_cdf(struct pe_buf *s, const struct pe_group *g, size_t ng, const char *point);
/* Forest plot of a compare document (docs/compare.md): a line per row of point, first on top,
 * its verdict right of the plot in the verdict's colour; the rows with a ratio and an interval
 * drawn as one series of points with their intervals, the others named in the plot ("ratio 1,
 * no interval", "no ratio"); a line at ratio 1 and dashed lines at 1 +- threshold. Returns 1,
 * or 0 when no row of point has an interval (nothing is drawn then). */
int pe_plot_forest(struct pe_buf *s, struct json_object *cmp, const char *point);

#endif
