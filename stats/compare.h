/* SPDX-License-Identifier: BSD-2-Clause */
/* Compares two sets of runs from results directories (docs/compare.md): per test point and
 * metric the medians, their ratio with a 95% bootstrap interval, the Mann-Whitney U p-value and
 * a verdict, plus the metadata fields in which the two sides differ. */
#ifndef PKTENG_STATS_COMPARE_H
#define PKTENG_STATS_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

#define PE_COMPARE_SCHEMA 1

struct pe_compare_opts {
	size_t sz; /* sizeof(struct pe_compare_opts): set by pe_compare_opts_init */
	/* Each side is "DIR" or "DIR:VARIANT" (a spec that is an existing directory is always a
	 * directory). A "DIR" side must hold exactly one variant. With new_spec NULL, base_spec
	 * is one DIR holding exactly two variants: the first listed in its suite.json is the base. */
	const char *base_spec;
	const char *new_spec;
	double alpha;	      /* significance level of the Mann-Whitney test; default 0.05 */
	double threshold_pct; /* the whole interval must lie beyond this change; default 5 */
	bool keep_disturbed;  /* count runs marked disturbed; default false: leave them out */
	unsigned resamples;   /* bootstrap resamples per row, at least 100; default 10000 */
	uint64_t seed;	      /* bootstrap seed (GSL mt19937), the same for every row; default 1 */
};

/* Fills o with the defaults above and sets o->sz; specs are NULL. */
void pe_compare_opts_init(struct pe_compare_opts *o);

/* Reads both sides and builds the compare object of docs/compare.md (schema, kind, alpha,
 * threshold_pct, confidence, base, new, metadata_differences, rows, regressions). Returns 0
 * and *out (the caller owns it: json_object_put), or a negative errno with one line in err
 * naming the file and the problem ("A/runs.jsonl:7: not a JSON object"):
 * -ENOENT a directory or file is missing, -EINVAL malformed input, bad options, no variant or
 * point in common, -ENOMEM. */
int pe_compare_dirs(const struct pe_compare_opts *o, struct json_object **out, char *err,
		    size_t errlen);

/* The direction of a metric from its name: 1 higher is better ("_per_s"), -1 lower is better
 * ("_ns", "_pct"), 0 unknown (such metrics are not compared). */
int pe_metric_better(const char *name);

#endif
