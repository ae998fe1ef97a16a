/* SPDX-License-Identifier: BSD-2-Clause */
/* The server's acceptor on both backends: with every session slot taken a control connection
 * waits for one (and runs when it frees), and closing the server releases every waiting
 * connection and fd. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/engine/etest.h"
#include "workload/work.h"

static struct pe_server *open_server(enum pe_backend b)
{
	struct pe_server_opts so = { .sz = sizeof(so),
				     .bind = "127.0.0.1",
				     .backend = b,
				     .max_sessions = 1,
				     .ctl_timeout_ms = 1500 };
	struct pe_server *s = pe_server_open(&so);

	cr_assert(s, "%s", strerror(errno));
	cr_assert_eq(pe_server_start(s), 0);
	return s;
}

static int dial(uint16_t port)
{
	struct pe_addr a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_eq(pe_addr_loopback(&a, AF_INET, port), 0);
	cr_assert_eq(connect(fd, &a.sa, a.len), 0, "%s", strerror(errno));
	return fd;
}

ETEST_BACKENDS(server_accept, a_test_waits_for_the_slot)
ParameterizedTest(enum pe_backend *b, server_accept, a_test_waits_for_the_slot)
{
	struct pe_server *s = open_server(*b);
	int silent = dial(pe_server_port(s));
	char port[8], err[300];
	struct pe_client_opts co = {
		.sz = sizeof(co), .host = "127.0.0.1", .port = port, .backend = *b
	};
	struct pe_figures cf, sf;
	uint64_t t0, done, refused;
	bool have;

	/* the silent client takes the only slot until its 1.5 s hello deadline */
	snprintf(port, sizeof(port), "%u", pe_server_port(s));
	pe_params_default(&co.p, PE_MODE_RR);
	co.p.duration_s = 0.2;
	usleep(100000);
	t0 = pe_now_ns();
	cr_assert_eq(pe_client_run(&co, &cf, &sf, &have, err, sizeof(err)), 0, "%s", err);
	cr_expect_gt(pe_now_ns() - t0, 1200000000ull, "it ran only once the slot was free");
	cr_expect(have && cf.c.transactions > 0);
	/* the server counts a test after it has sent the result */
	for (int i = 0; i < 200; i++) {
		pe_server_counts(s, &done, &refused);
		if (done)
			break;
		usleep(10000);
	}
	cr_expect_eq(done, 1);
	cr_expect_eq(refused, 1);
	close(silent);
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
