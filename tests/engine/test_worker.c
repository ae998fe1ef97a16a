/* SPDX-License-Identifier: BSD-2-Clause */
/* Worker threads, each with its own loop, on both backends: two SO_REUSEPORT listeners on one
 * port share the connections, the per-worker counters are summed without atomics, and a
 * service's loop hands accepted sockets over unread. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/worker.h"
#include "tests/engine/etest.h"

struct wsp {
	int lfd[2];
	unsigned accepted[2];
};

static void wsp_open(struct pe_conn *c)
{
	unsigned *n = pe_listener_data(pe_conn_listener(c));

	(*n)++;
}

static void wsp_data(struct pe_conn *c, const void *d, size_t len)
{
	pe_conn_send(c, d, len);
}

static int wsp_setup(struct pe_loop *l, unsigned idx, void *arg)
{
	static const struct pe_conn_cbs cbs = { .on_open = wsp_open, .on_data = wsp_data };
	static struct pe_conn_opts co = { .sz = sizeof(co), .cbs = &cbs };
	struct wsp *w = arg;
	struct pe_listen_opts lo = { .sz = sizeof(lo), .conn = &co, .data = &w->accepted[idx] };
	struct pe_listener *ls;

	return pe_listen_fd(l, w->lfd[idx], &lo, &ls);
}

ETEST_BACKENDS(loop, workers_shared_port)
ParameterizedTest(enum pe_backend *b, loop, workers_shared_port)
{
	struct pe_loop_opts lo = { .sz = sizeof(lo), .backend = *b, .no_fallback = true };
	struct wsp w = { 0 };
	struct pe_workers_opts wo = {
		.sz = sizeof(wo), .count = 2, .loop = &lo, .setup = wsp_setup, .arg = &w
	};
	struct pe_sock_opts so = { .sz = sizeof(so), .reuseport = true };
	struct pe_workers *wk;
	struct pe_loop_stats sum;
	struct pe_addr a;
	int fds0 = etest_count_fds();

	cr_assert_eq(pe_addr_loopback(&a, AF_INET, 0), 0);
	w.lfd[0] = pe_sock_listen(&a, &so);
	cr_assert_geq(w.lfd[0], 0);
	cr_assert_eq(pe_sock_local(w.lfd[0], &a), 0);
	w.lfd[1] = pe_sock_listen(&a, &so); /* same port: SO_REUSEPORT */
	cr_assert_geq(w.lfd[1], 0, "second SO_REUSEPORT listener: %s", strerror(-w.lfd[1]));
	cr_assert_eq(pe_workers_start(&wk, &wo), 0);
	cr_expect_eq(pe_workers_count(wk), 2);
	for (int i = 0; i < 40; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		char out[64], in[64];
		size_t got = 0;

		snprintf(out, sizeof(out), "hello %d", i);
		cr_assert_eq(connect(fd, &a.sa, a.len), 0);
		cr_assert_eq(write(fd, out, strlen(out)), (ssize_t)strlen(out));
		while (got < strlen(out)) {
			ssize_t n = read(fd, in + got, sizeof(in) - got);

			cr_assert_gt(n, 0);
			got += (size_t)n;
		}
		cr_expect_eq(memcmp(in, out, got), 0);
		close(fd);
	}
	/* The accepted counters are written by the workers and summed here without atomics. */
	for (int i = 0; i < 200; i++) {
		pe_workers_stats(wk, &sum);
		if (sum.closed == 40)
			break;
		usleep(5000);
	}
	cr_expect_eq(sum.accepted, 40);
	cr_expect_eq(sum.closed, 40);
	cr_expect_eq(sum.bytes_in, sum.bytes_out);
	pe_workers_stop(wk);
	cr_expect_eq(pe_workers_join(wk), 0);
	pe_workers_stats(wk, &sum);
	cr_expect_eq(sum.accepted, 40, "final counters kept after the threads ended");
	pe_workers_free(wk);
	cr_expect_eq(w.accepted[0] + w.accepted[1], 40);
	cr_expect_eq(etest_count_fds(), fds0);
}

/* A service whose loop hands each accepted socket over: the bytes a client sent before the
 * hand-off are all still in the socket (the loop read none), on both backends. */
struct handed {
	pthread_mutex_t mu;
	int fds[16];
	unsigned n;
};

static void take(struct pe_listener *ls, int fd)
{
	struct handed *h = pe_listener_data(ls);

	pthread_mutex_lock(&h->mu);
	if (h->n < 16)
		h->fds[h->n++] = fd;
	else
		close(fd);
	pthread_mutex_unlock(&h->mu);
}

ETEST_BACKENDS(loop, service_hands_sockets_over)
ParameterizedTest(enum pe_backend *b, loop, service_hands_sockets_over)
{
	struct pe_loop_opts lo = { .sz = sizeof(lo), .backend = *b, .no_fallback = true };
	struct handed h = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct pe_listen_opts lso = { .sz = sizeof(lso), .data = &h, .on_accept = take };
	struct pe_service_opts so = { .sz = sizeof(so), .loop = &lo, .listen = &lso };
	struct pe_sock_opts sk = { .sz = sizeof(sk) };
	struct pe_loop_stats st;
	struct pe_workers *w;
	struct pe_addr a;
	int fds0 = etest_count_fds(), cli[8];
	unsigned i, n = 0;

	cr_assert_eq(pe_addr_loopback(&a, AF_INET, 0), 0);
	so.lfd = pe_sock_listen(&a, &sk);
	cr_assert_geq(so.lfd, 0);
	cr_assert_eq(pe_sock_local(so.lfd, &a), 0);
	cr_assert_eq(pe_workers_serve(&w, &so), 0);
	for (i = 0; i < 8; i++) {
		char msg[32];
		int len = snprintf(msg, sizeof(msg), "before the hand-off %u", i);

		cli[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert_eq(connect(cli[i], &a.sa, a.len), 0);
		cr_assert_eq(write(cli[i], msg, (size_t)len), len);
	}
	for (i = 0; i < 400 && n < 8; i++) {
		pthread_mutex_lock(&h.mu);
		n = h.n;
		pthread_mutex_unlock(&h.mu);
		usleep(5000);
	}
	cr_assert_eq(n, 8);
	pe_workers_stats(w, &st);
	cr_expect_eq(st.accepted, 8);
	cr_expect_eq(st.bytes_in, 0, "the loop read nothing of a handed socket");
	for (i = 0; i < 8; i++) {
		struct pe_addr peer, mine;
		char got[64] = "", want[32];
		unsigned k, who = 8;
		ssize_t r;

		/* match the handed socket to its client by port */
		cr_assert_eq(pe_sock_peer(h.fds[i], &peer), 0);
		for (k = 0; k < 8; k++)
			if (!pe_sock_local(cli[k], &mine) &&
			    pe_addr_port(&mine) == pe_addr_port(&peer))
				who = k;
		cr_assert_lt(who, 8);
		snprintf(want, sizeof(want), "before the hand-off %u", who);
		do
			r = recv(h.fds[i], got, sizeof(got) - 1, MSG_WAITALL | MSG_DONTWAIT);
		while (r < 0 && errno == EAGAIN && !usleep(1000));
		cr_expect_str_eq(got, want);
		close(h.fds[i]);
	}
	for (i = 0; i < 8; i++)
		close(cli[i]);
	pe_workers_stop(w);
	cr_expect_eq(pe_workers_join(w), 0);
	pe_workers_free(w);
	cr_expect_eq(etest_count_fds(), fds0, "the listener closed with the loop");
}

Test(loop, service_needs_listen_options)
{
	struct pe_service_opts so = { .sz = sizeof(so), .lfd = 0 };
	struct pe_workers *w = NULL;

	cr_expect_eq(pe_workers_serve(&w, NULL), -EINVAL);
	cr_expect_eq(pe_workers_serve(&w, &so), -EINVAL);
	cr_expect_null(w);
}
