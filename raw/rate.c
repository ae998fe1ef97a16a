/* SPDX-License-Identifier: BSD-2-Clause */
/* Pacing behind rate.h: deadlines are computed from the start time and the frame number, not
 * from the previous frame, so a late wake-up is made up by the next frames. */
#include "raw/rate.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <time.h>

#define PE_RATE_SPIN_NS 50000 /* below this, clock_nanosleep's wake-up jitter dominates */

uint64_t pe_rate_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int pe_rate_init(struct pe_rate *r, double rate_pps)
{
	if (!isfinite(rate_pps) || rate_pps < 0)
		return -EINVAL;
	r->rate_pps = rate_pps;
	r->t0_ns = pe_rate_now_ns();
	r->spin_ns = PE_RATE_SPIN_NS;
	return 0;
}

uint64_t pe_ns_after(uint64_t t0_ns, double add_ns)
{
	if (!(add_ns > 0))
		return t0_ns;
	if (add_ns >= 18446744073709551616.0 || (uint64_t)add_ns > UINT64_MAX - t0_ns)
		return UINT64_MAX;
	return t0_ns + (uint64_t)add_ns;
}

uint64_t pe_rate_due(const struct pe_rate *r, uint64_t k)
{
	if (r->rate_pps <= 0)
		return r->t0_ns;
	return pe_ns_after(r->t0_ns, (double)k * 1e9 / r->rate_pps);
}

/* The longest single sleep: a stop asked for just before clock_nanosleep (the signal came
 * between the check and the call) is seen within this long rather than at the due time. */
#define PE_WAIT_SLICE_NS 100000000ull

static bool stop_asked(const volatile sig_atomic_t *stop)
{
	return stop && *stop;
}

int pe_wait_until(uint64_t t_ns, uint64_t spin_ns, const volatile sig_atomic_t *stop)
{
	uint64_t now = pe_rate_now_ns();

	while (t_ns > now && t_ns - now > spin_ns) {
		uint64_t wake = t_ns - spin_ns;
		struct timespec ts;

		if (stop_asked(stop))
			return -EINTR;
		if (wake - now > PE_WAIT_SLICE_NS)
			wake = now + PE_WAIT_SLICE_NS;
		ts.tv_sec = (time_t)(wake / 1000000000ULL);
		ts.tv_nsec = (long)(wake % 1000000000ULL);
		/* EINTR: a signal; without a stop asked for, sleep on */
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
		    stop_asked(stop))
			return -EINTR;
		now = pe_rate_now_ns();
	}
	while (pe_rate_now_ns() < t_ns) {
		if (stop_asked(stop))
			return -EINTR;
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
	return 0;
}

void pe_rate_wait(const struct pe_rate *r, uint64_t k)
{
	if (r->rate_pps <= 0)
		return;
	pe_wait_until(pe_rate_due(r, k), r->spin_ns, NULL);
}
