/* SPDX-License-Identifier: BSD-2-Clause */
/* Running over time, one way for every command: a stop flag that SIGINT and SIGTERM set, and
 * a clock that ends intervals at fixed boundaries (t0 + k * period, so no drift builds up)
 * and the run at its duration. */
#ifndef PKTENG_RAW_INTERVAL_H
#define PKTENG_RAW_INTERVAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

/* Makes SIGINT and SIGTERM set the stop flag, without SA_RESTART so a blocked call returns
 * EINTR and the caller sees the flag; a second signal takes its default action (Ctrl-C twice
 * exits at once), unless it comes within 200 ms of the first (timeout(1) signals the process
 * and then its group: that is one stop). Clears the flag. */
void pe_stop_catch(void);
/* Whether a stop was asked for (by a signal or pe_stop_request). */
bool pe_stopped(void);
/* The signal that asked for the stop, 0 if none (or pe_stop_request). */
int pe_stop_signal(void);
/* Asks for a stop from code. Async-signal-safe. */
void pe_stop_request(void);
/* The flag itself, for loops that take a stop pointer (non-zero: stop). */
volatile sig_atomic_t *pe_stop_flag(void);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t pe_mono_ns(void);

struct pe_interval {
	uint64_t t0_ns;	    /* the start of the run */
	uint64_t period_ns; /* 0: no intervals */
	uint64_t end_ns;    /* 0: no duration */
	uint64_t last_ns;   /* the start of the current interval */
	uint64_t next_ns;   /* the next boundary: t0 + k * period, or end_ns if sooner */
	uint64_t k;	    /* intervals ended so far */
};

/* Starts the clock now: intervals of period_s seconds (0: none), a run of duration_s seconds
 * (0: until stopped). Returns 0, or -EINVAL for a negative, NaN or infinite value. */
int pe_interval_start(struct pe_interval *iv, double period_s, double duration_s);
/* Like pe_interval_start with the start time t0_ns given. */
int pe_interval_start_at(struct pe_interval *iv, uint64_t t0_ns, double period_s,
			 double duration_s);
/* Whether the duration has passed by now_ns. Always false without a duration. */
bool pe_interval_over(const struct pe_interval *iv, uint64_t now_ns);
/* When the interval in progress has ended by now_ns (its boundary, or the end of the run,
 * has passed): sets *t0_s and *t1_s to its span in seconds since the start (t1_s is now, not
 * the boundary), starts the next interval and returns true; else false. Boundaries missed
 * while the caller was busy are skipped, not reported as empty intervals. */
bool pe_interval_due(struct pe_interval *iv, uint64_t now_ns, double *t0_s, double *t1_s);
/* Milliseconds until the next boundary or the end, whichever is first, rounded up and at most
 * cap_ms (>= 0); cap_ms when there is neither. For poll()-style waits. */
int pe_interval_wait_ms(const struct pe_interval *iv, uint64_t now_ns, int cap_ms);
/* Sleeps until the next boundary or the end, or until a signal arrives. Returns at once when
 * there is neither. */
void pe_interval_sleep(const struct pe_interval *iv);
/* Seconds from the start to now_ns. */
double pe_interval_elapsed_s(const struct pe_interval *iv, uint64_t now_ns);

#pragma GCC visibility pop

#endif
