/* SPDX-License-Identifier: BSD-2-Clause */
/* Worker threads, one loop each (see worker.h). Each thread opens its own loop, so io_uring's
 * SINGLE_ISSUER owner is the thread that runs it. */
#include "engine/worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PE_WORKERS_HAS(o, m)                                                                       \
	((o)->sz >= offsetof(struct pe_service_opts, m) + sizeof(((struct pe_service_opts *)0)->m))

struct pe_worker {
	struct pe_workers *w;
	unsigned idx;
	pthread_t tid;
	bool started, joined;
	struct pe_loop *loop;
	int err;
	volatile int stop_early; /* stop requested before the loop existed */
	/* pe_workers_stop may run in a signal handler while the worker closes its loop: it
	 * counts itself in `stoppers` and only touches the loop while `closing` is 0; the worker
	 * sets `closing` and waits for the stoppers to leave before closing. */
	atomic_int stoppers, closing;
	struct pe_loop_stats final; /* the loop's counters when it closed */
};

struct pe_workers {
	struct pe_workers_opts o;
	struct pe_loop_opts lo;
	unsigned n;
	struct pe_worker *wk;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned ready; /* workers past setup (or failed) */
	bool abort;
};

static void *worker_main(void *arg)
{
	struct pe_worker *me = arg;
	struct pe_workers *w = me->w;
	struct pe_loop *l;
	int err = 0;

	if (w->o.pin) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET((int)(me->idx % (unsigned)(ncpu > 0 ? ncpu : 1)), &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	l = pe_loop_open(&w->lo);
	if (!l)
		err = -errno;
	if (!err && w->o.setup)
		err = w->o.setup(l, me->idx, w->o.arg);
	pthread_mutex_lock(&w->mu);
	me->loop = l;
	me->err = err;
	if (err)
		w->abort = true;
	w->ready++;
	pthread_cond_broadcast(&w->cv);
	while (w->ready < w->n && !w->abort)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	if (!err && !w->abort && !me->stop_early)
		err = pe_loop_run(l);
	if (l && w->o.teardown)
		w->o.teardown(l, me->idx, w->o.arg);
	if (!me->err)
		me->err = err;
	/* Closed on its own thread: an io_uring SINGLE_ISSUER ring only takes submissions (the
	 * teardown's cancellations) from the thread that made it. */
	atomic_store(&me->closing, 1);
	while (atomic_load(&me->stoppers))
		sched_yield();
	pthread_mutex_lock(&w->mu);
	if (l)
		me->final = *pe_loop_stats(l);
	me->loop = NULL;
	pthread_mutex_unlock(&w->mu);
	pe_loop_close(l);
	return NULL;
}

int pe_workers_start(struct pe_workers **out, const struct pe_workers_opts *o)
{
	struct pe_workers *w;
	unsigned i;
	int err = 0;

	if (!o)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	memcpy(&w->o, o, o->sz < sizeof(w->o) ? o->sz : sizeof(w->o));
	if (w->o.loop)
		memcpy(&w->lo, w->o.loop,
		       w->o.loop->sz < sizeof(w->lo) ? w->o.loop->sz : sizeof(w->lo));
	w->lo.sz = sizeof(w->lo);
	w->n = w->o.count;
	if (!w->n) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		w->n = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	w->wk = calloc(w->n, sizeof(*w->wk));
	if (!w->wk) {
		free(w);
		return -ENOMEM;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	for (i = 0; i < w->n; i++) {
		w->wk[i].w = w;
		w->wk[i].idx = i;
		err = -pthread_create(&w->wk[i].tid, NULL, worker_main, &w->wk[i]);
		if (err) {
			pthread_mutex_lock(&w->mu);
			w->abort = true;
			w->n = i; /* only these exist */
			pthread_cond_broadcast(&w->cv);
			pthread_mutex_unlock(&w->mu);
			break;
		}
		w->wk[i].started = true;
	}
	pthread_mutex_lock(&w->mu);
	while (w->ready < w->n)
		pthread_cond_wait(&w->cv, &w->mu);
	for (i = 0; i < w->n && !err; i++)
		err = w->wk[i].err;
	pthread_mutex_unlock(&w->mu);
	if (err) {
		pe_workers_free(w);
		return err;
	}
	*out = w;
	return 0;
}

void pe_workers_stop(struct pe_workers *w)
{
	unsigned i;

	/* No lock (async-signal-safe): see `stoppers` in struct pe_worker. */
	for (i = 0; i < w->n; i++) {
		struct pe_worker *wk = &w->wk[i];

		wk->stop_early = 1;
		atomic_fetch_add(&wk->stoppers, 1);
		if (!atomic_load(&wk->closing) && wk->loop)
			pe_loop_stop(wk->loop);
		atomic_fetch_sub(&wk->stoppers, 1);
	}
}

int pe_workers_join(struct pe_workers *w)
{
	unsigned i;
	int err = 0;

	for (i = 0; i < w->n; i++) {
		if (w->wk[i].started && !w->wk[i].joined) {
			pthread_join(w->wk[i].tid, NULL);
			w->wk[i].joined = true;
		}
		if (!err)
			err = w->wk[i].err;
	}
	return err;
}

void pe_workers_free(struct pe_workers *w)
{
	if (!w)
		return;
	pe_workers_stop(w);
	pe_workers_join(w);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->wk);
	free(w);
}

unsigned pe_workers_count(const struct pe_workers *w)
{
	return w->n;
}

struct pe_loop *pe_workers_loop(const struct pe_workers *w, unsigned idx)
{
	return idx < w->n ? w->wk[idx].loop : NULL;
}

void pe_workers_stats(const struct pe_workers *w, struct pe_loop_stats *sum)
{
	struct pe_workers *mw = (struct pe_workers *)w;
	unsigned i;

	memset(sum, 0, sizeof(*sum));
	pthread_mutex_lock(&mw->mu);
	for (i = 0; i < w->n; i++) {
		if (w->wk[i].loop)
			pe_loop_stats_add(sum, pe_loop_stats(w->wk[i].loop));
		else
			pe_loop_stats_add(sum, &w->wk[i].final);
	}
	pthread_mutex_unlock(&mw->mu);
}

static int serve_setup(struct pe_loop *l, unsigned idx, void *arg)
{
	const struct pe_service_opts *o = arg;
	struct pe_listener *ls;

	(void)idx;
	return pe_listen_fd(l, o->lfd, o->listen, &ls);
}

int pe_workers_serve(struct pe_workers **out, const struct pe_service_opts *o)
{
	struct pe_workers_opts wo = { .sz = sizeof(wo), .count = 1, .setup = serve_setup };

	if (!o || !PE_WORKERS_HAS(o, listen) || !o->listen || o->lfd < 0)
		return -EINVAL;
	wo.loop = o->loop;
	wo.arg = (void *)o; /* read only by setup, which runs before pe_workers_start returns */
	return pe_workers_start(out, &wo);
}
