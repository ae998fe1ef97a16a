/* SPDX-License-Identifier: BSD-2-Clause */
/* The result record every `pkteng` command prints with --json or --json-stream (docs/results.md):
 * a start object (what ran, where, with which parameters), interval objects and a summary, with
 * the schema version, units in the key names and one float rule. --json prints them as one
 * document at the end; --json-stream prints each as one line as it happens (iperf3's shape). */
#ifndef PKTENG_RECORD_RECORD_H
#define PKTENG_RECORD_RECORD_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "raw/frame.h"

struct json_object;

/* The version of the record's shape. A change that renames or removes a key, or changes a
 * unit, raises it; a new key does not. */
#define PE_RECORD_SCHEMA 1

enum pe_rec_fmt {
	PE_REC_TEXT = 0,    /* no record: the command prints its own lines */
	PE_REC_JSON,	    /* one document at the end: {schema, start, intervals, summary} */
	PE_REC_JSON_STREAM, /* one line each: start, every interval, summary */
};

struct pe_rec {
	enum pe_rec_fmt fmt;
	FILE *out;
	struct json_object *start;     /* filled by the caller between open and pe_rec_begin */
	struct json_object *intervals; /* PE_REC_JSON: the intervals so far */
	bool begun, ended;
};

/* Opens a record of `command` ("capture", "xdp run") and fills the start object with what
 * every record carries: the command, pkteng's version and git commit, the UTC time, the host
 * (name, kernel, CPU model and count). The caller adds "params", "backend", "dev"... to
 * r->start (pe_rec_set_backend, pe_rec_dev_json) and then calls pe_rec_begin. With
 * PE_REC_TEXT nothing is allocated and every other call does nothing. Returns 0 or -ENOMEM. */
int pe_rec_open(struct pe_rec *r, enum pe_rec_fmt fmt, FILE *out, const char *command);
/* The backend that actually runs ("io_uring", "tpacket_v3", "xdp-native"...) and, when it is
 * not the one asked for, why (NULL when there was no fallback). */
void pe_rec_set_backend(struct pe_rec *r, const char *backend, const char *fallback_reason);
/* Stream: prints the start line. JSON: nothing yet. Called once, before any interval. */
void pe_rec_begin(struct pe_rec *r);
/* One interval [t0_s, t1_s] (seconds since the start). Takes ownership of figs (a JSON object
 * of the interval's figures; NULL for none) and adds "t0_s" and "t1_s" to it. Stream: prints
 * and flushes one line. */
void pe_rec_interval(struct pe_rec *r, double t0_s, double t1_s, struct json_object *figs);
/* The summary of the whole run, [t0_s, t1_s] (t1_s < 0: no time span, e.g. counters read
 * once). Takes ownership of figs and adds the span and "interrupted" (the run was stopped by
 * a signal before its end). Prints the summary line (stream) or the whole document (JSON),
 * then flushes. */
void pe_rec_end(struct pe_rec *r, double t0_s, double t1_s, bool interrupted,
		struct json_object *figs);
/* Frees what the record holds. Safe after pe_rec_end and on a record never begun. */
void pe_rec_close(struct pe_rec *r);

/* ---- numbers ---------------------------------------------------------------------------- */

/* Floats in records: 6 significant digits ("%.6g"), never more; NaN and infinities become 0.
 * A JSON number, so 2.5e+06 may appear. */
struct json_object *pe_rec_num(double v);
/* Times in seconds: rounded to the microsecond, trailing zeros dropped ("1.25", "0"). */
struct json_object *pe_rec_secs(double v_s);
/* Integers: counts, bytes, nanoseconds. */
struct json_object *pe_rec_u64(uint64_t v);
/* --start-at: sleeps until at_ns (CLOCK_REALTIME; a stop ends the wait) and returns the
 * record's start.sync, {start_at_ns, started_ns}: when the start was asked for and when it
 * began. */
struct json_object *pe_rec_sync_wait(uint64_t at_ns, const volatile sig_atomic_t *stop);
/* Rewrites every float inside o (an object or array, recursively) by the pe_rec_num rule: for
 * objects made elsewhere (a protocol message) that go into a record. */
void pe_rec_round(struct json_object *o);
/* Adds key: value to o (helpers that read as a line each). */
void pe_rec_add(struct json_object *o, const char *key, struct json_object *v);

/* ---- the byte-counting rule --------------------------------------------------------------- */

/* *_bytes_l2 counts the Ethernet frame from the destination MAC to the end of the payload,
 * without the FCS (what the kernel's interface counters count). *_bytes_wire adds what the
 * frame takes on the wire: padding to the 60-byte minimum, the FCS (4), preamble and SFD (8)
 * and the inter-frame gap (12). */
#define PE_REC_WIRE_OVERHEAD PE_FRAME_WIRE_OVERHEAD
static inline uint64_t pe_rec_wire_bytes(uint64_t l2_len)
{
	return pe_frame_wire_bytes(l2_len);
}

/* Adds DIR_frames, DIR_bytes_l2, DIR_bytes_wire and, when secs > 0, DIR_frames_per_s,
 * DIR_bits_per_s_l2 and DIR_bits_per_s_wire to o (dir: "tx" or "rx"). */
void pe_rec_add_frames(struct json_object *o, const char *dir, uint64_t frames, uint64_t bytes_l2,
		       uint64_t bytes_wire, double secs);

#endif
