/* SPDX-License-Identifier: BSD-2-Clause */
/* The stop flag and the interval clock shared by every command that runs over time. */
#include "raw/interval.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t stop_sig;
static struct timespec stop_first; /* when the first signal came */

/* A repeat within this long is the same stop, not a second one: timeout(1) and shells send
 * one signal to the process and again to its group, and a person does not press Ctrl-C twice
 * in 200 ms. */
#define PE_STOP_REPEAT_NS 200000000LL

static void on_stop(int sig)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now); /* async-signal-safe */
	if (stop_sig) {
		long long dt = (now.tv_sec - stop_first.tv_sec) * 1000000000LL +
			       (now.tv_nsec - stop_first.tv_nsec);

		if (dt < PE_STOP_REPEAT_NS)
			return;
		/* the second signal: what it would have done without us */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	stop_first = now;
	stop_sig = sig;
	stop_flag = 1;
}

void pe_stop_catch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	stop_flag = 0;
	stop_sig = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

bool pe_stopped(void)
{
	return stop_flag != 0;
}

int pe_stop_signal(void)
{
	return stop_sig;
}

void pe_stop_request(void)
{
	stop_flag = 1;
}

volatile sig_atomic_t *pe_stop_flag(void)
{
	return &stop_flag;
}

uint64_t pe_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t boundary(const struct pe_interval *iv, uint64_t k)
{
	uint64_t b;

	if (!iv->period_ns)
		return 0; /* no intervals: the end is not one either */
	b = iv->t0_ns + k * iv->period_ns;
	return iv->end_ns && b > iv->end_ns ? iv->end_ns : b;
}

static bool bad_seconds(double s)
{
	return !isfinite(s) || s < 0 || s > 1e9;
}

int pe_interval_start_at(struct pe_interval *iv, uint64_t t0_ns, double period_s, double duration_s)
{
	if (bad_seconds(period_s) || bad_seconds(duration_s))
		return -EINVAL;
	memset(iv, 0, sizeof(*iv));
	iv->t0_ns = iv->last_ns = t0_ns;
	iv->period_ns = (uint64_t)(period_s * 1e9 + 0.5);
	iv->end_ns = duration_s > 0 ? t0_ns + (uint64_t)(duration_s * 1e9 + 0.5) : 0;
	iv->k = 0;
	iv->next_ns = boundary(iv, 1);
	return 0;
}

int pe_interval_start(struct pe_interval *iv, double period_s, double duration_s)
{
	return pe_interval_start_at(iv, pe_mono_ns(), period_s, duration_s);
}

bool pe_interval_over(const struct pe_interval *iv, uint64_t now_ns)
{
	return iv->end_ns && now_ns >= iv->end_ns;
}

bool pe_interval_due(struct pe_interval *iv, uint64_t now_ns, double *t0_s, double *t1_s)
{
	if (!iv->next_ns || now_ns < iv->next_ns || iv->last_ns >= now_ns)
		return false;
	if (iv->end_ns && iv->last_ns >= iv->end_ns)
		return false; /* the last interval of the run was already reported */
	*t0_s = (double)(iv->last_ns - iv->t0_ns) / 1e9;
	*t1_s = (double)(now_ns - iv->t0_ns) / 1e9;
	iv->last_ns = now_ns;
	if (iv->period_ns) {
		/* the first boundary after now: late callers skip what they missed */
		iv->k = (now_ns - iv->t0_ns) / iv->period_ns + 1;
		iv->next_ns = boundary(iv, iv->k);
	}
	if (iv->end_ns && now_ns >= iv->end_ns)
		iv->next_ns = 0;
	return true;
}

int pe_interval_wait_ms(const struct pe_interval *iv, uint64_t now_ns, int cap_ms)
{
	uint64_t due = iv->next_ns, ms;

	if (iv->end_ns && (!due || iv->end_ns < due))
		due = iv->end_ns;
	if (!due)
		return cap_ms;
	if (due <= now_ns)
		return 0;
	ms = (due - now_ns + 999999) / 1000000;
	return ms < (uint64_t)cap_ms ? (int)ms : cap_ms;
}

void pe_interval_sleep(const struct pe_interval *iv)
{
	uint64_t due = iv->next_ns;
	struct timespec ts;

	if (iv->end_ns && (!due || iv->end_ns < due))
		due = iv->end_ns;
	if (!due)
		return;
	ts.tv_sec = (time_t)(due / 1000000000ull);
	ts.tv_nsec = (long)(due % 1000000000ull);
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL); /* EINTR: a signal */
}

double pe_interval_elapsed_s(const struct pe_interval *iv, uint64_t now_ns)
{
	return now_ns > iv->t0_ns ? (double)(now_ns - iv->t0_ns) / 1e9 : 0;
}
