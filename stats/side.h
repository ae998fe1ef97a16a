/* SPDX-License-Identifier: BSD-2-Clause */
/* One side of a compare: a results directory (suite.json and runs.jsonl, docs/compare.md) and
 * the variant chosen in it. Internal to pkteng_stats. */
#ifndef PKTENG_STATS_SIDE_H
#define PKTENG_STATS_SIDE_H

#include <stddef.h>

struct json_object;

struct pe_side {
	char *dir;
	char *variant;		      /* the chosen variant's name */
	struct json_object *suite;    /* suite.json */
	struct json_object *variants; /* array of variant names, in suite.json's order */
	struct json_object *runs;     /* array of every runs.jsonl line (all variants) */
};

/* Reads dir's suite.json and runs.jsonl and checks every line's shape: point and variant
 * strings, ok a boolean, metrics an object of finite numbers or nulls. Does not choose a
 * variant (s->variant stays NULL). Returns 0, or -ENOENT / -EINVAL / -ENOMEM with one line in
 * err naming the file (and line) and the problem. */
int pe_side_load(struct pe_side *s, const char *dir, char *err, size_t errlen);
/* The same from memory: suite.json's text and runs.jsonl's lines (neither NUL-terminated;
 * runs may be empty), named name in the messages. For tests and the fuzz target. */
int pe_side_load_mem(struct pe_side *s, const char *name, const char *suite, size_t suite_len,
		     const char *runs, size_t runs_len, char *err, size_t errlen);
/* Chooses variant name (NULL: the only variant, which must be the only one). 0 or -EINVAL. */
int pe_side_pick(struct pe_side *s, const char *name, char *err, size_t errlen);
void pe_side_free(struct pe_side *s);

/* Appends to diffs one {"field", "base", "new"} for every metadata field in which the chosen
 * variants of b and n differ: suite.json's host, the variant (but its name), the suite as run,
 * runs, warmup_runs, order and disturbed_threshold, and the start of the first ok run's record
 * at each common point (backend, interface and offloads, version, commit). Values are strings
 * (JSON text for arrays), null where a side lacks the field. Returns 0 or -ENOMEM. */
int pe_metadata_diff(const struct pe_side *b, const struct pe_side *n, struct json_object *diffs);

#endif
