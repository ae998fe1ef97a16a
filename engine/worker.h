/* SPDX-License-Identifier: BSD-2-Clause */
/* Worker threads: N threads, each with its own loop (shared-nothing: each opens its own
 * SO_REUSEPORT listener or its own connections in setup), per-worker counters summed by the
 * reader without atomics. A service (pe_workers_serve) is one such worker whose loop accepts:
 * the acceptor of `pkteng server` and `pkteng registry`. */
#ifndef PKTENG_ENGINE_WORKER_H
#define PKTENG_ENGINE_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/loop.h"

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

struct pe_workers;

struct pe_workers_opts {
	size_t sz;
	unsigned count;			 /* threads; 0 = online CPUs */
	const struct pe_loop_opts *loop; /* options of every worker's loop; NULL = defaults */
	bool pin;			 /* pin worker i to online CPU i % ncpu */
	/* On the worker's thread, after its loop opened, before it runs: open listeners
	 * (reuseport) and connections here. Returns 0, or -errno to abort every worker. */
	int (*setup)(struct pe_loop *l, unsigned idx, void *arg);
	/* On the worker's thread after its loop stopped, before the loop is closed. May be NULL. */
	void (*teardown)(struct pe_loop *l, unsigned idx, void *arg);
	void *arg;
};

/* Starts the workers and waits until every setup returned. Returns 0 with *out set, or the
 * first setup/open error (every thread already started is stopped and joined). */
int pe_workers_start(struct pe_workers **out, const struct pe_workers_opts *o);
/* Asks every loop to stop. Async-signal-safe, any thread. */
void pe_workers_stop(struct pe_workers *w);
/* Waits for every thread (after pe_workers_stop or when all loops returned) and returns 0 or
 * the first loop error. Counters stay readable until pe_workers_free(). */
int pe_workers_join(struct pe_workers *w);
void pe_workers_free(struct pe_workers *w); /* joins first if needed */

unsigned pe_workers_count(const struct pe_workers *w);
/* Worker idx's loop while its thread runs (NULL once the thread has ended and closed it, and
 * for a bad idx). Each loop is opened, run and closed on its own thread (io_uring
 * SINGLE_ISSUER). */
struct pe_loop *pe_workers_loop(const struct pe_workers *w, unsigned idx);
/* sum = the counters of every worker, read now (each written only by its own thread; a worker
 * that ended contributes its final counters). */
void pe_workers_stats(const struct pe_workers *w, struct pe_loop_stats *sum);

/* A service: one worker thread whose loop listens on lfd (a listening socket, e.g. from
 * pe_sock_listen) with the listener options `listen`: either the connections are served on
 * that loop (listen->conn), or each accepted socket goes to listen->on_accept on the loop's
 * thread, where the service applies its own admission. Stop, join and free it as any
 * pe_workers (stoppable from a signal handler). */
struct pe_service_opts {
	size_t sz;
	int lfd;
	const struct pe_loop_opts *loop;     /* NULL = defaults */
	const struct pe_listen_opts *listen; /* required; its data is pe_listener_data() */
};
/* Returns 0 with *out set and lfd owned by the service's loop (closed with it), or -errno
 * (-EINVAL no listen options or a bad lfd, the loop's open error) with lfd still the
 * caller's. */
int pe_workers_serve(struct pe_workers **out, const struct pe_service_opts *o);

#pragma GCC visibility pop

#endif
