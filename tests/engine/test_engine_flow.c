/* SPDX-License-Identifier: BSD-2-Clause */
/* Flow control through the loop, every test on both backends: the send-queue bound and its
 * writable callback, pause/resume of receiving, and UDP batches in both directions. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/engine/etest.h"

/* ---- backpressure and pause ---- */

struct bp {
	struct pe_conn *srv;
	long first, second;
	size_t total, sent, got;
	unsigned writable;
	bool closed;
	int fd;
};

static void bp_fill(struct pe_conn *c)
{
	static uint8_t chunk[100000];
	struct bp *s = pe_listener_data(pe_conn_listener(c));

	while (s->sent < s->total) {
		size_t want =
			s->total - s->sent < sizeof(chunk) ? s->total - s->sent : sizeof(chunk);
		long r = pe_conn_send(c, chunk, want);

		if (r < 0) {
			cr_assert_eq(r, -EAGAIN);
			return;
		}
		s->sent += (size_t)r;
		cr_assert_leq(pe_conn_queued(c), 65536);
	}
	pe_conn_shutdown(c);
}

static void bp_open(struct pe_conn *c)
{
	static uint8_t chunk[100000];
	struct bp *s = pe_listener_data(pe_conn_listener(c));

	s->srv = c;
	s->first = pe_conn_send(c, chunk, sizeof(chunk));
	s->second = pe_conn_send(c, chunk, 1);
	s->sent = s->first > 0 ? (size_t)s->first : 0;
}

static void bp_writable(struct pe_conn *c)
{
	struct bp *s = pe_listener_data(pe_conn_listener(c));

	s->writable++;
	bp_fill(c);
}

static void bp_close(struct pe_conn *c, int err)
{
	struct bp *s = pe_listener_data(pe_conn_listener(c));

	s->closed = true;
	cr_expect_eq(err, 0);
}

ETEST_BACKENDS(loop, send_bound_and_writable)
ParameterizedTest(enum pe_backend *b, loop, send_bound_and_writable)
{
	static const struct pe_conn_cbs cbs = { .on_open = bp_open,
						.on_writable = bp_writable,
						.on_close = bp_close };
	struct pe_conn_opts co = { .sz = sizeof(co),
				   .cbs = &cbs,
				   .sndq_max_bytes = 65536,
				   .sndq_low_bytes = 16384,
				   .sndbuf_bytes = 4096 };
	struct bp s = { .total = 4u << 20 };
	struct pe_listen_opts lo = { .sz = sizeof(lo), .conn = &co, .data = &s };
	struct pe_listener *ls;
	int fds0 = etest_count_fds();
	struct pe_loop *l = etest_loop(*b);
	struct pe_addr a;
	char buf[65536];

	cr_assert_eq(pe_addr_loopback(&a, AF_INET, 0), 0);
	cr_assert_eq(pe_listen(l, &a, &lo, &ls), 0);
	cr_assert_eq(pe_listener_addr(ls, &a), 0);
	s.fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &(int){ 4096 }, sizeof(int));
	cr_assert_eq(connect(s.fd, &a.sa, a.len), 0);
	for (int i = 0; i < 100 && !s.srv; i++)
		pe_loop_run_once(l, 10000000);
	cr_assert_not_null(s.srv);
	/* The bound: an empty queue takes exactly 64 KiB of a 100,000-byte send, then refuses. */
	cr_expect_eq(s.first, 65536);
	cr_expect_eq(s.second, -EAGAIN);
	/* The reader has not read: the writable callback must wait for the queue to drain. */
	for (int i = 0; i < 5; i++)
		pe_loop_run_once(l, 1000000);
	fcntl(s.fd, F_SETFL, O_NONBLOCK);
	for (uint64_t end = pe_now_ns() + 10000000000ull; pe_now_ns() < end;) {
		ssize_t n = read(s.fd, buf, sizeof(buf));

		if (n > 0)
			s.got += (size_t)n;
		else if (n == 0)
			break; /* the server's FIN after the last byte */
		pe_loop_run_once(l, n > 0 ? 0 : 1000000);
	}
	cr_expect_eq(s.got, s.total);
	cr_expect_gt(s.writable, 1);
	close(s.fd); /* our FIN completes the server's graceful shutdown: on_close(c, 0) */
	for (int i = 0; i < 200 && !s.closed; i++)
		pe_loop_run_once(l, 5000000);
	cr_expect(s.closed);
	pe_loop_close(l);
	cr_expect_eq(etest_count_fds(), fds0);
}

struct pz {
	size_t got;
	bool paused_data; /* data arrived while paused: a failure */
	bool paused;
	struct pe_conn *c;
	bool closed;
};

static void pz_open(struct pe_conn *c)
{
	struct pz *p = pe_listener_data(pe_conn_listener(c));

	p->c = c;
	pe_conn_pause_recv(c, true);
	p->paused = true;
}

static void pz_data(struct pe_conn *c, const void *d, size_t n)
{
	struct pz *p = pe_listener_data(pe_conn_listener(c));

	if (p->paused)
		p->paused_data = true;
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(((const uint8_t *)d)[i], (uint8_t)(p->got + i), "byte %zu",
			     p->got + i);
	p->got += n;
}

static void pz_close(struct pe_conn *c, int err)
{
	struct pz *p = pe_listener_data(pe_conn_listener(c));

	cr_expect_eq(err, 0);
	p->closed = true;
}

ETEST_BACKENDS(loop, pause_resume)
ParameterizedTest(enum pe_backend *b, loop, pause_resume)
{
	static const struct pe_conn_cbs cbs = { .on_open = pz_open,
						.on_data = pz_data,
						.on_close = pz_close };
	struct pe_conn_opts co = { .sz = sizeof(co), .cbs = &cbs };
	struct pz p = { 0 };
	struct pe_listen_opts lo = { .sz = sizeof(lo), .conn = &co, .data = &p };
	struct pe_listener *ls;
	int fds0 = etest_count_fds();
	struct pe_loop *l = etest_loop(*b);
	struct pe_addr a;
	static uint8_t buf[300000];
	int fd;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	cr_assert_eq(pe_addr_loopback(&a, AF_INET, 0), 0);
	cr_assert_eq(pe_listen(l, &a, &lo, &ls), 0);
	cr_assert_eq(pe_listener_addr(ls, &a), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, &a.sa, a.len), 0);
	for (int i = 0; i < 100 && !p.c; i++)
		pe_loop_run_once(l, 10000000);
	cr_assert_not_null(p.c);
	cr_assert_eq(write(fd, buf, 100000), 100000);
	for (int i = 0; i < 20; i++)
		pe_loop_run_once(l, 5000000);
	cr_expect_eq(p.got, 0, "%zu bytes delivered while paused", p.got);
	p.paused = false;
	cr_assert_eq(pe_conn_pause_recv(p.c, false), 0);
	cr_assert_eq(write(fd, buf + 100000, 200000), 200000);
	shutdown(fd, SHUT_WR);
	for (int i = 0; i < 400 && !p.closed; i++)
		pe_loop_run_once(l, 5000000);
	cr_expect(!p.paused_data);
	cr_expect_eq(p.got, sizeof(buf));
	cr_expect(p.closed);
	close(fd);
	pe_loop_close(l);
	cr_expect_eq(etest_count_fds(), fds0);
}

/* ---- UDP ---- */

struct us {
	struct pe_udp *a, *b;
	unsigned got_a, got_b, max_batch, bad;
	size_t sizes[200];
};

static void ub_recv(struct pe_udp *u, const struct pe_dgram *d, unsigned n)
{
	struct us *s = pe_udp_data(u);

	if (n > s->max_batch)
		s->max_batch = n;
	s->got_b += n;
	cr_assert_eq(pe_udp_send(u, d, n), (int)n); /* echo the batch to each sender */
}

static void ua_recv(struct pe_udp *u, const struct pe_dgram *d, unsigned n)
{
	struct us *s = pe_udp_data(u);

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = d[i].data;
		unsigned k = s->got_a + i;

		if (d[i].len != s->sizes[k] || (d[i].len && p[0] != (uint8_t)k) ||
		    (d[i].len > 1 && p[d[i].len - 1] != (uint8_t)(k * 7)))
			s->bad++;
	}
	s->got_a += n;
}

ETEST_BACKENDS(loop, udp_batches)
ParameterizedTest(enum pe_backend *b, loop, udp_batches)
{
	static const struct pe_udp_cbs acb = { .on_recv = ua_recv }, bcb = { .on_recv = ub_recv };
	struct us s = { 0 };
	struct pe_udp_opts bo = {
		.sz = sizeof(bo), .cbs = &bcb, .data = &s, .rcvbuf_bytes = 1 << 20
	};
	struct pe_udp_opts ao = {
		.sz = sizeof(ao), .cbs = &acb, .data = &s, .rcvbuf_bytes = 1 << 20
	};
	struct pe_dgram d[100];
	static uint8_t bufs[100][9000];
	int fds0 = etest_count_fds();
	struct pe_loop *l = etest_loop(*b);
	struct pe_addr lo, baddr;

	cr_assert_eq(pe_addr_loopback(&lo, AF_INET, 0), 0);
	cr_assert_eq(pe_udp_open(l, &lo, &bo, &s.b), 0);
	cr_assert_eq(pe_udp_local(s.b, &baddr), 0);
	ao.peer = &baddr; /* connected: sends with peer NULL */
	cr_assert_eq(pe_udp_open(l, &lo, &ao, &s.a), 0);
	for (unsigned i = 0; i < 100; i++) {
		s.sizes[i] = i == 50 ? 9000 : (i * 37) % 1473;
		memset(bufs[i], 0x5a, s.sizes[i]);
		if (s.sizes[i]) {
			bufs[i][0] = (uint8_t)i;
			bufs[i][s.sizes[i] - 1] = (uint8_t)(i * 7);
		}
		d[i] = (struct pe_dgram){ bufs[i], s.sizes[i], NULL };
	}
	cr_assert_eq(pe_udp_send(s.a, d, 100), 100);
	etest_run_until(l, &s.got_a, 100, 5000);
	cr_expect_eq(s.got_b, 100);
	cr_expect_eq(s.got_a, 100);
	cr_expect_eq(s.bad, 0, "%u datagrams differ (order or bytes)", s.bad);
	cr_expect_geq(s.max_batch, 2, "no batching: largest batch %u", s.max_batch);
	cr_expect_eq(pe_loop_stats(l)->dgrams_out, 200);
	cr_expect_eq(pe_loop_stats(l)->dgrams_in, 200);
	/* An oversized datagram and a missing peer are refused up front. */
	d[0].len = 70000;
	cr_expect_eq(pe_udp_send(s.a, d, 1), -EMSGSIZE);
	d[0].len = 1;
	cr_expect_eq(pe_udp_send(s.b, d, 1), -EDESTADDRREQ);
	pe_udp_close(s.a);
	pe_loop_close(l);
	cr_expect_eq(etest_count_fds(), fds0);
}

/* A datagram longer than the loop's buf_bytes arrives cut to buf_bytes, on a connected socket
 * (io_uring: multishot RECV) as on an unconnected one (multishot RECVMSG), and each names its
 * sender. */
struct ucut {
	unsigned got;
	size_t len[2];
	uint8_t last[2];
	bool peer_ok[2];
	struct pe_addr from[2]; /* the sender each socket expects */
	struct pe_udp *u[2];
};

static void ucut_recv(struct pe_udp *u, const struct pe_dgram *d, unsigned n)
{
	struct ucut *c = pe_udp_data(u);
	unsigned k = u == c->u[1];

	cr_assert_eq(n, 1);
	c->len[k] = d[0].len;
	c->last[k] = ((const uint8_t *)d[0].data)[d[0].len - 1];
	c->peer_ok[k] = d[0].peer && pe_addr_equal(d[0].peer, &c->from[k]);
	c->got++;
}

ETEST_BACKENDS(loop, udp_cut_to_buf_bytes)
ParameterizedTest(enum pe_backend *b, loop, udp_cut_to_buf_bytes)
{
	static const struct pe_udp_cbs cb = { .on_recv = ucut_recv };
	struct pe_loop_opts lo = {
		.sz = sizeof(lo), .backend = *b, .no_fallback = true, .buf_bytes = 1024
	};
	struct pe_udp_opts o = { .sz = sizeof(o), .cbs = &cb };
	struct ucut c = { 0 };
	static uint8_t big[1500];
	struct pe_dgram d = { big, sizeof(big), NULL };
	struct pe_loop *l = pe_loop_open(&lo);
	struct pe_addr lo4;

	cr_assert_not_null(l);
	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 3);
	o.data = &c;
	cr_assert_eq(pe_addr_loopback(&lo4, AF_INET, 0), 0);
	/* u[0] unconnected, u[1] connected to u[0] */
	cr_assert_eq(pe_udp_open(l, &lo4, &o, &c.u[0]), 0);
	cr_assert_eq(pe_udp_local(c.u[0], &c.from[1]), 0);
	o.peer = &c.from[1];
	cr_assert_eq(pe_udp_open(l, &lo4, &o, &c.u[1]), 0);
	cr_assert_eq(pe_udp_local(c.u[1], &c.from[0]), 0);
	cr_assert_eq(pe_udp_send(c.u[1], &d, 1), 1);
	etest_run_until(l, &c.got, 1, 5000);
	d.peer = &c.from[0];
	cr_assert_eq(pe_udp_send(c.u[0], &d, 1), 1);
	etest_run_until(l, &c.got, 2, 5000);
	for (unsigned k = 0; k < 2; k++) {
		cr_expect_eq(c.len[k], 1024, "socket %u got %zu bytes", k, c.len[k]);
		cr_expect_eq(c.last[k], (uint8_t)(1023 * 3), "socket %u", k);
		cr_expect(c.peer_ok[k], "socket %u: the sender is not named", k);
	}
	pe_udp_close(c.u[0]);
	pe_udp_close(c.u[1]);
	pe_loop_close(l);
}
