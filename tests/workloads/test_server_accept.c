/* SPDX-License-Identifier: BSD-2-Clause */
/* The server's acceptor on both backends: a connection takes a session slot only once it has
 * sent a valid hello (silent ones wait on the loop until their deadline), a client with a
 * valid hello waits for a slot while every one is taken, the oldest silent connection is dropped
 * at the cap, and closing the server releases every waiting connection and fd. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/engine/etest.h"
#include "workload/work.h"

static struct pe_server *open_server_cap(enum pe_backend b, unsigned max_pending)
{
	struct pe_server_opts so = { .sz = sizeof(so),
				     .bind = "127.0.0.1",
				     .backend = b,
				     .max_sessions = 1,
				     .ctl_timeout_ms = 1500,
				     .max_pending = max_pending };
	struct pe_server *s = pe_server_open(&so);

	cr_assert(s, "%s", strerror(errno));
	cr_assert_eq(pe_server_start(s), 0);
	return s;
}

static struct pe_server *open_server(enum pe_backend b)
{
	return open_server_cap(b, 0);
}

static int dial(uint16_t port)
{
	struct pe_addr a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_eq(pe_addr_loopback(&a, AF_INET, port), 0);
	cr_assert_eq(connect(fd, &a.sa, a.len), 0, "%s", strerror(errno));
	return fd;
}

struct run {
	struct pe_client_opts co;
	char port[8], err[300];
	struct pe_figures cf, sf;
	bool have;
	int r;
	uint64_t t_end_ns;
};

static void run_init(struct run *r, struct pe_server *s, enum pe_backend b, double duration_s)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->port, sizeof(r->port), "%u", pe_server_port(s));
	r->co = (struct pe_client_opts){
		.sz = sizeof(r->co), .host = "127.0.0.1", .port = r->port, .backend = b
	};
	pe_params_default(&r->co.p, PE_MODE_RR);
	r->co.p.duration_s = duration_s;
}

static void *run_thread(void *arg)
{
	struct run *r = arg;

	r->r = pe_client_run(&r->co, &r->cf, &r->sf, &r->have, r->err, sizeof(r->err));
	r->t_end_ns = pe_now_ns();
	return NULL;
}

static void wait_counts(struct pe_server *s, uint64_t want_done, uint64_t *done, uint64_t *refused)
{
	/* the server counts a test after it has sent the result */
	for (int i = 0; i < 300; i++) {
		pe_server_counts(s, done, refused);
		if (*done >= want_done)
			break;
		usleep(10000);
	}
}

ETEST_BACKENDS(server_accept, a_silent_client_takes_no_slot)
ParameterizedTest(enum pe_backend *b, server_accept, a_silent_client_takes_no_slot)
{
	struct pe_server *s = open_server(*b);
	int silent = dial(pe_server_port(s));
	struct run r;
	uint64_t t0, done, refused;
	char c;

	/* the only slot stays free: the silent client waits on the loop, not in a session */
	run_init(&r, s, *b, 0.2);
	usleep(100000);
	t0 = pe_now_ns();
	run_thread(&r);
	cr_assert_eq(r.r, 0, "%s", r.err);
	cr_expect_lt(pe_now_ns() - t0, 1000000000ull, "served at once");
	cr_expect(r.have && r.cf.c.transactions > 0);
	wait_counts(s, 1, &done, &refused);
	cr_expect_eq(done, 1);
	cr_expect_eq(refused, 0);
	/* and the silent one is dropped at its 1.5 s deadline for the whole hello */
	cr_expect_leq(recv(silent, &c, 1, 0), 0, "dropped");
	cr_expect_geq(pe_now_ns() - t0, 1200000000ull, "not before its deadline");
	cr_expect_eq(pe_server_dropped(s), 1);
	close(silent);
	pe_server_close(s);
}

ETEST_BACKENDS(server_accept, a_proven_client_waits_for_the_slot)
ParameterizedTest(enum pe_backend *b, server_accept, a_proven_client_waits_for_the_slot)
{
	struct pe_server *s = open_server(*b);
	struct run first, second;
	pthread_t t1, t2;
	uint64_t done, refused;

	run_init(&first, s, *b, 1.0);
	run_init(&second, s, *b, 0.2);
	cr_assert_eq(pthread_create(&t1, NULL, run_thread, &first), 0);
	usleep(200000);
	cr_assert_eq(pthread_create(&t2, NULL, run_thread, &second), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	cr_assert_eq(first.r, 0, "%s", first.err);
	cr_assert_eq(second.r, 0, "%s", second.err);
	cr_expect_gt(second.t_end_ns, first.t_end_ns, "the second ran once the slot was free");
	wait_counts(s, 2, &done, &refused);
	cr_expect_eq(done, 2);
	cr_expect_eq(refused, 0);
	pe_server_close(s);
}

ETEST_BACKENDS(server_accept, the_oldest_silent_connection_goes_at_the_cap)
ParameterizedTest(enum pe_backend *b, server_accept, the_oldest_silent_connection_goes_at_the_cap)
{
	struct pe_server *s = open_server_cap(*b, 4);
	int fd[6], i;
	struct run r;
	char c;

	cr_assert_eq(pe_server_pending_max(s), 4);
	for (i = 0; i < 6; i++) {
		fd[i] = dial(pe_server_port(s));
		usleep(20000);
	}
	for (i = 0; i < 6; i++) {
		ssize_t n = recv(fd[i], &c, 1, MSG_DONTWAIT);
		int e = errno;

		if (i < 2)
			cr_expect(n == 0 || (n < 0 && e == ECONNRESET),
				  "connection %d dropped: %zd", i, n);
		else
			cr_expect(n < 0 && e == EAGAIN, "connection %d kept: %zd %s", i, n,
				  strerror(e));
	}
	cr_expect_eq(pe_server_dropped(s), 2);
	/* a client at the cap drops the oldest silent one and is served */
	run_init(&r, s, *b, 0.2);
	run_thread(&r);
	cr_assert_eq(r.r, 0, "%s", r.err);
	cr_expect_eq(pe_server_dropped(s), 3);
	for (i = 0; i < 6; i++)
		close(fd[i]);
	pe_server_close(s);
}

ETEST_BACKENDS(server_accept, close_releases_waiting_connections)
ParameterizedTest(enum pe_backend *b, server_accept, close_releases_waiting_connections)
{
	int fds0 = etest_count_fds(), fd[4], i;
	struct pe_server *s = open_server(*b);
	uint64_t t0;

	for (i = 0; i < 4; i++)
		fd[i] = dial(pe_server_port(s)); /* one session, three waiting */
	usleep(100000);
	t0 = pe_now_ns();
	pe_server_close(s);
	cr_expect_lt(pe_now_ns() - t0, 1000000000ull, "close does not wait for the deadlines");
	for (i = 0; i < 4; i++) {
		char c;
		ssize_t n = recv(fd[i], &c, 1, 0);

		cr_expect(n == 0 || (n < 0 && errno == ECONNRESET), "connection %d: %zd", i, n);
		close(fd[i]);
	}
	cr_expect_eq(etest_count_fds(), fds0);
}
