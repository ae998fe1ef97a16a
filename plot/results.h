/* SPDX-License-Identifier: BSD-2-Clause */
/* A results directory (suite.json and runs.jsonl, docs/report.md) read for drawing: the runs
 * of each test point and variant, their metrics, interval series and latency histograms. */
#ifndef PKTENG_PLOT_RESULTS_H
#define PKTENG_PLOT_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

struct pe_results {
	char *dir;
	struct json_object *suite; /* suite.json */
	struct json_object **runs; /* one per runs.jsonl line */
	size_t n_runs;
};

/* Reads dir/suite.json and dir/runs.jsonl. Returns 0, or a negative errno with one line in
 * err naming the file (and line) at fault. res is empty on failure; pe_results_free it. */
int pe_results_load(struct pe_results *res, const char *dir, char *err, size_t errlen);
void pe_results_free(struct pe_results *res);

/* A side of a report: one variant of one results directory, drawn in one colour. */
struct pe_group {
	const struct pe_results *res;
	const char *variant;
	char label[96];
};

/* The groups of dirs: every variant of each directory in suite.json's order, at most cap.
 * Labels are the variant's name, or "DIR:variant" when there is more than one directory. */
size_t pe_groups(const struct pe_results *res, size_t n_res, struct pe_group *g, size_t cap);

/* The test point ids of res in suite.json's order (borrowed strings); count returned. */
size_t pe_points(const struct pe_results *res, const char **ids, size_t cap);

/* The ok runs of point in group g, in run order: borrowed records (the runs.jsonl lines). */
size_t pe_group_runs(const struct pe_group *g, const char *point, struct json_object **runs,
		     size_t cap);

/* The metric names of point's ok runs over all groups, first seen first (borrowed). */
size_t pe_point_metrics(const struct pe_group *g, size_t ng, const char *point, const char **names,
			size_t cap);

/* A run's metrics[name] as a finite number: 0, or -ENOENT when absent or not a number. */
int pe_run_metric(struct json_object *run, const char *name, double *v);

/* The interval key a series plot draws for point: the first of transactions_per_s,
 * rx_bits_per_s, tx_bits_per_s, rx_frames_per_s, tx_frames_per_s with a non-zero value in
 * some run's intervals; NULL when none. */
const char *pe_series_key(const struct pe_group *g, size_t ng, const char *point);

/* One bucket of a merged latency histogram. */
struct pe_hist_pair {
	uint64_t upper_ns, count;
};
/* Adds up the client lat_hist of every ok run of point in g, bucket by bucket: *out is
 * malloc'd, rising upper_ns; returns the bucket count (0 with *out NULL: no histogram), or
 * -ENOMEM. */
long pe_group_hist(const struct pe_group *g, const char *point, struct pe_hist_pair **out);

#endif
