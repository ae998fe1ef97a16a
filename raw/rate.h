/* SPDX-License-Identifier: BSD-2-Clause */
/* Pacing for injection: absolute deadlines from CLOCK_MONOTONIC, so errors never accumulate
 * over a run. Long gaps sleep with clock_nanosleep(TIMER_ABSTIME); the last stretch busy-waits. */
#ifndef PKTENG_RAW_RATE_H
#define PKTENG_RAW_RATE_H

#include <signal.h>
#include <stdint.h>

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

/* Absolute deadlines from CLOCK_MONOTONIC: frame k of the run is due at t0 + k / rate. Long
 * gaps sleep with clock_nanosleep(TIMER_ABSTIME); the last stretch (spin_ns) busy-waits. */
struct pe_rate {
	double rate_pps; /* 0: no pacing */
	uint64_t t0_ns;
	uint64_t spin_ns;
};

/* The rates pkteng paces at: one frame (or Mbit) per 11.6 days at the least, so the gap fits in
 * the 1e9 s a run may last, up to what no link reaches. */
#define PE_RATE_PPS_MIN	 1e-6
#define PE_RATE_PPS_MAX	 1e10
#define PE_RATE_MBPS_MIN 1e-6
#define PE_RATE_MBPS_MAX 1e7

uint64_t pe_rate_now_ns(void); /* CLOCK_MONOTONIC */
/* t0_ns + add_ns with add_ns a double: UINT64_MAX ("never") when it is past 64 bits, NaN or
 * negative values count as 0. The one conversion of a computed deadline. */
uint64_t pe_ns_after(uint64_t t0_ns, double add_ns);
/* rate_pps > 0 or 0 for "as fast as possible"; -EINVAL for a negative, NaN or infinite rate. */
int pe_rate_init(struct pe_rate *r, double rate_pps);
/* When frame k is due (ns, CLOCK_MONOTONIC); UINT64_MAX when that is past 64 bits. */
uint64_t pe_rate_due(const struct pe_rate *r, uint64_t k);
/* Waits until frame k is due; returns at once when unpaced or already late. */
void pe_rate_wait(const struct pe_rate *r, uint64_t k);
/* Waits until the absolute time t_ns (CLOCK_MONOTONIC), sleeping then spinning. Returns 0 at
 * t_ns, or -EINTR as soon as *stop is set (stop may be NULL: never), whether by a signal that
 * interrupted the sleep or otherwise; a signal without *stop set does not end the wait. */
int pe_wait_until(uint64_t t_ns, uint64_t spin_ns, const volatile sig_atomic_t *stop);

#pragma GCC visibility pop

#endif
