/* SPDX-License-Identifier: BSD-2-Clause */
/* The loop itself, the top of the engine: opening with io_uring -> epoll fallback, the run loop
 * (backend wait, timers, the deferred work of connections and UDP sockets), stop, close and
 * counters. It calls down into the layers of loop_int.h; nothing calls back up into it. */
#include "engine/loop_int.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

const char *pe_backend_name(enum pe_backend b)
{
	switch (b) {
	case PE_BACKEND_URING:
		return "io_uring";
	case PE_BACKEND_EPOLL:
		return "epoll";
	}
	return NULL;
}

int pe_backend_parse(const char *s, enum pe_backend *out)
{
	if (!s)
		return -EINVAL;
	if (!strcasecmp(s, "uring") || !strcasecmp(s, "io_uring") || !strcasecmp(s, "iouring"))
		*out = PE_BACKEND_URING;
	else if (!strcasecmp(s, "epoll"))
		*out = PE_BACKEND_EPOLL;
	else
		return -EINVAL;
	return 0;
}

/* ---- open / close ---- */

static atomic_int fallback_printed;

static bool uring_disabled_by_env(void)
{
	const char *e = getenv("PKTENG_URING_DISABLE");

	return e && *e && strcmp(e, "0") != 0;
}

struct pe_loop *pe_loop_open(const struct pe_loop_opts *opts)
{
	struct pe_loop *l;
	struct sigaction sa;
	const char *why = NULL;
	size_t size;
	int err;

	/* Room for either backend's struct (it embeds this one): the fallback reuses it. */
	size = pe_backend_uring.loop_size > pe_backend_epoll.loop_size ? pe_backend_uring.loop_size
								       : pe_backend_epoll.loop_size;
	size = (size + 63) & ~(size_t)63;
	l = aligned_alloc(64, size);
	if (!l) {
		errno = ENOMEM;
		return NULL;
	}
	memset(l, 0, size);
	if (opts)
		memcpy(&l->o, opts, opts->sz < sizeof(l->o) ? opts->sz : sizeof(l->o));
	l->o.sz = sizeof(l->o);
	if (!l->o.sq_entries)
		l->o.sq_entries = 1024;
	if (!l->o.buf_count)
		l->o.buf_count = 1024;
	if (l->o.buf_count & (l->o.buf_count - 1) || l->o.buf_count > 32768) {
		free(l);
		errno = EINVAL;
		return NULL;
	}
	if (!l->o.buf_bytes)
		l->o.buf_bytes = 16384;
	if (!l->o.zc_min_bytes)
		l->o.zc_min_bytes = 65536;
	if (!l->o.max_events)
		l->o.max_events = 256;
	l->now_ns = pe_now_ns();
	/* A peer that resets must come back as -EPIPE, not kill the process (sendfile and splice
	 * have no MSG_NOSIGNAL). Only a default disposition is changed. */
	if (!sigaction(SIGPIPE, NULL, &sa) && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wake_fd < 0) {
		err = errno;
		free(l);
		errno = err;
		return NULL;
	}
	l->backend = l->o.backend;
	if (l->backend == PE_BACKEND_URING) {
		if (uring_disabled_by_env()) {
			err = -EPERM;
			why = "PKTENG_URING_DISABLE is set";
		} else {
			l->ops = &pe_backend_uring;
			err = l->ops->open(l, &why);
		}
		if (err) {
			if (l->o.no_fallback) {
				close(l->wake_fd);
				free(l);
				errno = -err;
				return NULL;
			}
			l->fallback_why = why;
			if (!atomic_exchange(&fallback_printed, 1))
				fprintf(stderr,
					"pkteng: io_uring unavailable (%s); falling back to "
					"epoll\n",
					why);
			l->backend = PE_BACKEND_EPOLL;
			memset((char *)l + sizeof(*l), 0, size - sizeof(*l));
		}
	}
	if (l->backend == PE_BACKEND_EPOLL) {
		l->ops = &pe_backend_epoll;
		err = l->ops->open(l, &why);
		if (err) {
			close(l->wake_fd);
			free(l);
			errno = -err;
			return NULL;
		}
	}
	return l;
}

/* Runs the deferred work of the layers below: held data, writable callbacks, finished closes,
 * then the flush of every connection and UDP socket with new sends (one submit carries all). */
static void loop_process(struct pe_loop *l)
{
	pe__conn_process(l);
	pe__udp_process(l);
}

/* Closes everything; the backends finish asynchronously. */
static void close_all(struct pe_loop *l)
{
	struct pe_conn *c;
	struct pe_listener *ls, *lnext;
	struct pe_udp *u, *unext;

	for (ls = l->listeners; ls; ls = lnext) {
		lnext = ls->next;
		pe_listener_close(ls);
	}
	for (c = l->all; c; c = c->next_all)
		pe_conn_close(c, -ECANCELED, false);
	for (u = l->udps; u; u = unext) {
		unext = u->next_all;
		pe_udp_close(u);
	}
}

void pe_loop_close(struct pe_loop *l)
{
	int rounds;

	if (!l)
		return;
	close_all(l);
	/* io_uring teardown completes asynchronously (cancellations, SEND_ZC notifications). */
	for (rounds = 0; (l->all || l->listeners || l->udps) && rounds < 2000; rounds++)
		pe_loop_run_once(l, 1000000);
	l->ops->close(l);
	close(l->wake_fd);
	free(l->heap);
	free(l);
}

void pe_loop_stop(struct pe_loop *l)
{
	uint64_t one = 1;
	ssize_t r;

	l->stop = 1;
	r = write(l->wake_fd, &one, sizeof(one));
	(void)r;
}

int pe_loop_run_once(struct pe_loop *l, uint64_t timeout_ns)
{
	uint64_t t = timeout_ns;
	int n;

	l->now_ns = pe_now_ns();
	loop_process(l);
	if (l->writable_head || l->dead_head)
		t = 0;
	if (l->heap_len) {
		uint64_t due = l->heap[1]->due_ns;
		uint64_t d = due > l->now_ns ? due - l->now_ns : 0;

		if (d < t)
			t = d;
	}
	n = 0;
	if (t && l->o.busy_poll_us) {
		uint64_t t0 = l->now_ns, spin = (uint64_t)l->o.busy_poll_us * 1000;

		if (spin > t)
			spin = t;
		/* The backends stamp now_ns on every return, so the spin needs no clock of its own. */
		do
			n = l->ops->wait(l, 0);
		while (!n && !l->stop && l->now_ns - t0 < spin);
		if (!n && !l->stop && t != UINT64_MAX)
			t -= l->now_ns - t0 < t ? l->now_ns - t0 : t;
		if (n || l->stop || !t)
			goto waited;
	}
	n = l->ops->wait(l, t);
waited:
	l->st.iterations++;
	if (n < 0)
		return n;
	/* The backends stamp now_ns when their wait returns. */
	n += (int)pe__timers_fire(l);
	loop_process(l);
	return n;
}

int pe_loop_run(struct pe_loop *l)
{
	int r = 0;

	while (!l->stop) {
		r = pe_loop_run_once(l, UINT64_MAX);
		if (r < 0 && r != -EINTR)
			break;
		r = 0;
	}
	l->stop = 0;
	return r;
}

enum pe_backend pe_loop_backend(const struct pe_loop *l)
{
	return l->backend;
}

const char *pe_loop_backend_str(const struct pe_loop *l)
{
	return pe_backend_name(l->backend);
}

const char *pe_loop_fallback_reason(const struct pe_loop *l)
{
	return l->fallback_why;
}

void pe_loop_set_data(struct pe_loop *l, void *data)
{
	l->data = data;
}

void *pe_loop_data(const struct pe_loop *l)
{
	return l->data;
}

uint64_t pe_loop_now_ns(const struct pe_loop *l)
{
	return l->now_ns;
}

const struct pe_loop_stats *pe_loop_stats(const struct pe_loop *l)
{
	return &l->st;
}

void pe_loop_stats_add(struct pe_loop_stats *sum, const struct pe_loop_stats *s)
{
	uint64_t *d = (uint64_t *)sum;
	const volatile uint64_t *v = (const volatile uint64_t *)s;
	size_t i;

	for (i = 0; i < offsetof(struct pe_loop_stats, recv_shared) / 8 + 1; i++)
		d[i] += v[i];
}
