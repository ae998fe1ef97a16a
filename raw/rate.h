/* SPDX-License-Identifier: BSD-2-Clause */
/* Pacing for injection: absolute deadlines from CLOCK_MONOTONIC, so errors never accumulate
 * over a run. Long gaps sleep with clock_nanosleep(TIMER_ABSTIME); the last stretch busy-waits. */
#ifndef PKTENG_RAW_RATE_H
#define PKTENG_RAW_RATE_H

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

uint64_t pe_rate_now_ns(void); /* CLOCK_MONOTONIC */
/* rate_pps > 0 or 0 for "as fast as possible"; -EINVAL for a negative, NaN or infinite rate. */
int pe_rate_init(struct pe_rate *r, double rate_pps);
/* When frame k is due (ns, CLOCK_MONOTONIC). */
uint64_t pe_rate_due(const struct pe_rate *r, uint64_t k);
/* Waits until frame k is due; returns at once when unpaced or already late. */
void pe_rate_wait(const struct pe_rate *r, uint64_t k);
/* Waits until the absolute time t_ns (CLOCK_MONOTONIC), sleeping then spinning. */
void pe_wait_until(uint64_t t_ns, uint64_t spin_ns);

#pragma GCC visibility pop

#endif
