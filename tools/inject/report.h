/* The reports of `pkteng inject`: the send loop's counts (raw/sendloop.h) as one line (or one
 * JSON object) an interval, and the final summary as a line or, with --json, one JSON object
 * on stdout. */
#ifndef PKTENG_TOOLS_INJECT_REPORT_H
#define PKTENG_TOOLS_INJECT_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "raw/sendloop.h"

struct json_object;

struct pe_inject_report {
	bool json;
	/* --json: the interval objects so far (NULL if it could not be allocated: the
	 * intervals are then printed as lines and the final "intervals" is empty) */
	struct json_object *intervals;
};

/* Starts a report, as JSON or as lines. */
void pe_inject_report_init(struct pe_inject_report *r, bool json);
/* One interval: d counted over the last dt_s seconds, t_s seconds into the run. Appends a
 * JSON object (t, frames, frames_per_s, retries), or prints a line and flushes stdout. */
void pe_inject_report_interval(struct pe_inject_report *r, double t_s, double dt_s,
			       const struct pe_send_counts *d);
/* The totals of a run of secs seconds sending with method on dev, on stdout: one "sent ..."
 * line, or one JSON object that carries the intervals. Does not flush stdout. */
void pe_inject_report_final(const struct pe_inject_report *r, const char *dev, const char *method,
			    const struct pe_send_counts *s, double secs);
/* Frees the intervals; r may be re-initialised. */
void pe_inject_report_free(struct pe_inject_report *r);

#endif
