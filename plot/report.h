/* SPDX-License-Identifier: BSD-2-Clause */
/* The HTML report of `pkteng report`: one self-contained file (inline CSS and SVG, nothing
 * fetched) with, per test point, box plots of each metric, the interval series, latency CDFs,
 * the compare table and its forest plot, and both sides' metadata (docs/report.md). */
#ifndef PKTENG_PLOT_REPORT_H
#define PKTENG_PLOT_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "plot/results.h"

struct json_object;

/* Plot size and grid: every plot sits in a fixed box at a position the page states in its
 * data-x/-y/-w/-h attributes (CSS pixels from the page's top left corner). */
#define PE_REPORT_PLOT_W 380
#define PE_REPORT_PLOT_H 260
#define PE_REPORT_COLS	 3

struct pe_report_opts {
	size_t sz;
	const struct pe_results *res; /* the results directories, base first */
	size_t n_res;
	/* compare's document (the results-directory contract's shape) of the first two groups,
	 * or NULL; cmp_why says why there is none (shown instead of the table) */
	struct json_object *cmp;
	const char *cmp_why;
	const char *title; /* NULL: "pkteng report" */
};

/* Writes the report to f. Returns the number of plots drawn, or a negative errno with one line
 * in err naming the plot (or file) at fault; gnuplot's errors are -ENOENT (missing) and
 * -EINVAL (rejected script). */
int pe_report_html(FILE *f, const struct pe_report_opts *o, char *err, size_t errlen);

/* Strips what an inline SVG in HTML must not carry from gnuplot's SVG document (the XML
 * declaration, the DOCTYPE, namespace URLs) and makes its ids unique with prefix. Returns a
 * malloc'd string or NULL (ENOMEM). */
char *pe_report_inline_svg(const char *svg, const char *prefix);

#endif
