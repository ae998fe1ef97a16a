/* Worker threads, each with its own loop, on both backends: two SO_REUSEPORT listeners on one
 * port share the connections, and the per-worker counters are summed without atomics. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
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
