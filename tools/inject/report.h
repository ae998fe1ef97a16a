/* SPDX-License-Identifier: BSD-2-Clause */
/* The reports of `pkteng inject`: the send loop's counts (raw/sendloop.h) as one line an
 * interval and a final line, or as the result record (record/record.h, docs/results.md) with
 * --json or --json-stream. */
#ifndef PKTENG_TOOLS_INJECT_REPORT_H
#define PKTENG_TOOLS_INJECT_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "raw/sendloop.h"
#include "record/record.h"

struct json_object;

struct pe_inject_report {
	struct pe_rec rec; /* fmt PE_REC_TEXT: lines */
	struct json_object
		*sync; /* set before open (--start-at): goes into the start, taken over */
};

/* Starts a report in fmt. For a record, the start carries params (taken over; may be NULL),
 * the method as the backend and the device. auto_why (NULL: --method given) is why --method
 * auto picked method: a first line "method ring (auto: WHY)" in text. Returns 0, or an exit code after a one-line
 * error. */
int pe_inject_report_open(struct pe_inject_report *r, enum pe_rec_fmt fmt, const char *dev,
			  const char *method, struct json_object *params, const char *auto_why);
/* One interval: d counted from t0_s to t1_s (seconds since the start). Prints a line and
 * flushes stdout, or adds the interval to the record. */
void pe_inject_report_interval(struct pe_inject_report *r, double t0_s, double t1_s,
			       const struct pe_send_counts *d);
/* The totals of a run of secs seconds sending with method on dev, on stdout: one "sent ..."
 * line, or the record's summary (interrupted: a signal stopped the run). Does not flush
 * stdout. */
void pe_inject_report_final(struct pe_inject_report *r, const char *dev, const char *method,
			    const struct pe_send_counts *s, double secs, bool interrupted);
/* Frees the record; r may be opened again. */
void pe_inject_report_free(struct pe_inject_report *r);

#endif
