/* SPDX-License-Identifier: BSD-2-Clause */
/* The paced send loop of `pkteng inject`: frames built from a template (varied and
 * sequence-stamped per frame) or taken from a list (a replayed capture), handed to an
 * AF_PACKET transmitter in bursts at a rate in frames/s or Mbit/s, or at the list's own
 * timing, with a callback once per interval. It prints nothing and keeps no global state. */
#ifndef PKTENG_RAW_SENDLOOP_H
#define PKTENG_RAW_SENDLOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raw/frame.h"
#include "raw/packet.h"

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

/* What a run (or one interval of it) sent. bytes_l2 counts each frame without its FCS (what
 * the interface's tx_bytes counts), bytes_wire what it takes on the wire
 * (pe_frame_wire_bytes()); retries are the device's push-backs (pe_tx_send()); errors the
 * refused frames and failed flushes. */
struct pe_send_counts {
	uint64_t frames, bytes_l2, bytes_wire, retries, errors;
};

/* One frame of a list: len bytes at data, captured at t_ns (any clock; only the differences
 * between consecutive frames are used, and a step back counts as none: that frame is sent at
 * once after the one before it). */
struct pe_send_frame {
	const uint8_t *data;
	uint16_t len;
	uint64_t t_ns;
};

/* Called once an interval, from the loop's thread, with d counted from t0_s to t1_s (seconds
 * since the run began). It may set the run's *stop: the run then ends with this interval. */
typedef void (*pe_send_interval_fn)(double t0_s, double t1_s, const struct pe_send_counts *d,
				    void *ctx);

struct pe_send_opts {
	size_t sz;	  /* sizeof(struct pe_send_opts) */
	struct pe_tx *tx; /* required; a burst is up to pe_tx_burst(tx) frames */
	/* The frames: a template or a list, exactly one of them. */
	struct pe_frame_tmpl *tmpl; /* frame k is tmpl varied for k, stamped when stamp */
	struct pe_varier *vary;	    /* with tmpl; NULL: none. Check it first: a variation
				       tmpl cannot take stops the run with its error */
	bool stamp;		    /* the sequence stamp (raw/stamp.h) when the payload has room */
	const struct pe_send_frame *frames; /* frame k is frames[k % n_frames] */
	size_t n_frames;
	bool fcs_in_frame; /* the frames end with their FCS (for bytes_l2) */
	/* When to stop: after count frames, after time_s, when *stop becomes non-zero (a
	 * signal handler's flag; NULL: never), or once through the list without count. */
	uint64_t count;
	double time_s;
	const volatile sig_atomic_t *stop;
	/* Pacing: at most one of rate_pps and rate_mbps (pe_send_l2_bytes); neither: flat out, or a
	 * list at its own timing (looping with its whole span when count asks for more). */
	double rate_pps, rate_mbps;
	double interval_s; /* 0: no intervals */
	pe_send_interval_fn on_interval;
	void *ctx;
};

struct pe_send_result {
	struct pe_send_counts tot;
	double secs; /* from the start to the end of the run */
	/* err_frame: the run stopped at frame err_seq (counting from 0), of err_len bytes,
	 * which the transmitter refused; err_len is 0 when the frame could not be built (the
	 * varier's error). pe_send_run() returned that error. */
	bool err_frame;
	uint64_t err_seq;
	unsigned err_len;
};

/* Runs the loop until it ends (above) and fills res (zeroed first; may not be NULL). Returns
 * 0 when the run ended as asked (a stop that interrupted a send included); -EINVAL before
 * anything is sent for bad options (no tx, no frames or both kinds, vary without tmpl, a
 * negative, NaN or infinite number, seconds above 1e9, both rates, intervals without
 * on_interval, sz 0 or larger with non-zero bytes past what this version knows), -ENOMEM;
 * or, after sending, the error of the frame that stopped it (pe_tx_error(): -EMSGSIZE,
 * -ETIMEDOUT, ...; or pe_varier_apply()'s -EINVAL, -EMSGSIZE), with res->tot counting what
 * went out before it. tmpl and vary are changed by the run (the last frame, the random
 * state); the list is only read. */
int pe_send_run(const struct pe_send_opts *opts, struct pe_send_result *res);

/* The bytes --rate-mbps paces for a frame of len bytes: the RFC 2544 frame size, its FCS
 * counted whether or not the frame carries it (has_fcs), never below 64. (The counts report
 * bytes_l2 without FCS and bytes_wire; see pe_send_counts.) */
static inline uint64_t pe_send_l2_bytes(uint16_t len, bool has_fcs)
{
	uint64_t b = has_fcs ? len : (uint64_t)len + PE_FRAME_FCS_LEN;

	return b < PE_FRAME_MIN_SIZE ? PE_FRAME_MIN_SIZE : b;
}

#pragma GCC visibility pop

#endif
