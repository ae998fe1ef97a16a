/* SPDX-License-Identifier: BSD-2-Clause */
/* The results directory (docs/suite.md): suite.json, written when the suite starts and again
 * when it ends (partial until it ends normally), and runs.jsonl, a line appended per run. */
#ifndef PKTENG_SUITE_OUTDIR_H
#define PKTENG_SUITE_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct json_object;
struct pe_suite;
struct pe_suite_step;

struct pe_outdir {
	const char *dir; /* NULL: nothing is written */
	FILE *runs;
	char start_utc[40];
};

/* Creates dir (it must not exist, or be empty) and writes suite.json with partial: true.
 * 0, or a negative errno with one line in err naming the directory. */
int pe_outdir_open(struct pe_outdir *d, const struct pe_suite *s, const char *dir, char *err,
		   size_t len);
/* Appends run `line` (its point, variant, run and seq put first) to runs.jsonl and flushes.
 * 0 or a negative errno. */
int pe_outdir_run(struct pe_outdir *d, const struct pe_suite *s, const struct pe_suite_step *st,
		  unsigned seq, struct json_object *line);
/* Rewrites suite.json with the end time and the partial and interrupted flags, closes
 * runs.jsonl. 0 or a negative errno. */
int pe_outdir_close(struct pe_outdir *d, const struct pe_suite *s, bool partial, bool interrupted);

#endif
