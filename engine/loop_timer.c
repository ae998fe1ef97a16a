/* SPDX-License-Identifier: BSD-2-Clause */
/* Clocks and the loop's timers (a 1-based binary heap ordered by due time, then arming order).
 * The bottom of the loop: it calls nothing else in the engine. */
#include "engine/loop_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static uint64_t ts_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t pe_now_ns(void)
{
	return ts_ns(CLOCK_MONOTONIC);
}

uint64_t pe_thread_cpu_ns(void)
{
	return ts_ns(CLOCK_THREAD_CPUTIME_ID);
}

int pe_process_cpu_ns(uint64_t *user_ns, uint64_t *sys_ns)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -errno;
	if (user_ns)
		*user_ns = (uint64_t)ru.ru_utime.tv_sec * 1000000000ull +
			   (uint64_t)ru.ru_utime.tv_usec * 1000ull;
	if (sys_ns)
		*sys_ns = (uint64_t)ru.ru_stime.tv_sec * 1000000000ull +
			  (uint64_t)ru.ru_stime.tv_usec * 1000ull;
	return 0;
}

static bool timer_before(const struct pe_timer *a, const struct pe_timer *b)
{
	return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void heap_set(struct pe_loop *l, uint32_t i, struct pe_timer *t)
{
	l->heap[i] = t;
	t->heap_idx = i;
}

static void heap_up(struct pe_loop *l, uint32_t i)
{
	struct pe_timer *t = l->heap[i];

	while (i > 1 && timer_before(t, l->heap[i / 2])) {
		heap_set(l, i, l->heap[i / 2]);
		i /= 2;
	}
	heap_set(l, i, t);
}

static void heap_down(struct pe_loop *l, uint32_t i)
{
	struct pe_timer *t = l->heap[i];

	for (;;) {
		uint32_t c = 2 * i;

		if (c > l->heap_len)
			break;
		if (c + 1 <= l->heap_len && timer_before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!timer_before(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void pe_timer_init(struct pe_timer *t, pe_timer_fn fn, void *data)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->data = data;
}

void pe_timer_disarm(struct pe_loop *l, struct pe_timer *t)
{
	uint32_t i = t->heap_idx;
	struct pe_timer *last;

	if (!i)
		return;
	t->heap_idx = 0;
	last = l->heap[l->heap_len--];
	if (last == t)
		return;
	heap_set(l, i, last);
	heap_up(l, i);
	heap_down(l, last->heap_idx);
}

int pe_timer_arm(struct pe_loop *l, struct pe_timer *t, uint64_t delay_ns)
{
	uint64_t now = pe_now_ns(); /* not the cached loop time: the delay counts from this call */

	pe_timer_disarm(l, t);
	if (l->heap_len + 1 >= l->heap_cap) {
		uint32_t ncap = l->heap_cap ? l->heap_cap * 2 : 64;
		struct pe_timer **nh = realloc(l->heap, ncap * sizeof(*nh));

		if (!nh)
			return -ENOMEM;
		l->heap = nh;
		l->heap_cap = ncap;
	}
	t->due_ns = now + delay_ns < now ? UINT64_MAX : now + delay_ns;
	t->seq = ++l->timer_seq;
	heap_set(l, ++l->heap_len, t);
	heap_up(l, l->heap_len);
	return 0;
}

unsigned pe__timers_fire(struct pe_loop *l)
{
	uint64_t seq_limit = l->timer_seq; /* timers armed by callbacks wait for the next round */
	unsigned n = 0;

	while (l->heap_len && l->heap[1]->due_ns <= l->now_ns && l->heap[1]->seq <= seq_limit) {
		struct pe_timer *t = l->heap[1];

		pe_timer_disarm(l, t);
		l->st.timers_fired++;
		n++;
		t->fn(l, t);
	}
	return n;
}
