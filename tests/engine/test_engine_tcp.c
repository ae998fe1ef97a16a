/* TCP through the event loop, every test on io_uring and on epoll: byte-exact echo of messages
 * from 1 byte to 1 MiB, 1,000 concurrent connections, half-close, peer reset, an oversized
 * length prefix, idle and connect timeouts, IPv6, receive buffers shared by 64 connections,
 * buffer sizes set before the handshake, and no leaked descriptors. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tests/engine/etest.h"

static unsigned closed_count(struct stream_client *sc, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		k += sc[i].closed;
	return k;
}

static unsigned echoed_count(struct stream_client *sc, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		k += sc[i].got == sc[i].out_len || sc[i].closed;
	return k;
}

struct closed_watch {
	struct stream_client *sc;
	unsigned n;
};

static bool not_all_closed(void *arg)
{
	struct closed_watch *w = arg;

	return closed_count(w->sc, w->n) < w->n;
}

static bool not_all_echoed(void *arg)
{
	struct closed_watch *w = arg;

	return echoed_count(w->sc, w->n) < w->n;
}

ETEST_BACKENDS(tcp, echo_sizes)
ParameterizedTest(enum pe_backend *b, tcp, echo_sizes)
{
	/* 1 B .. 1 MiB, the edges of the 16 KiB receive buffers and 64 KiB copy chunks, and
	 * random sizes from a fixed seed. */
	uint32_t sizes[40] = { 1,     2,     3,	    4,	   15,	    16, 16383, 16384,
			       16385, 65535, 65536, 65537, 1 << 20, 0,	7,     1 << 20 };
	int fds0 = etest_count_fds();
	struct echo_server es;
	struct stream_client sc[4] = { 0 };
	struct closed_watch w = { sc, 4 };
	struct pe_loop *l = etest_loop(*b);
	uint8_t *out[4];
	size_t len[4];
	uint32_t x = 12345;

	for (unsigned i = 16; i < 40; i++) {
		x = x * 1103515245u + 12345u;
		sizes[i] = 1 + (x >> 8) % (1u << 20);
	}
	cr_assert_eq(echo_server_start(&es, l, "127.0.0.1", 1u << 20, 0), 0);
	for (unsigned i = 0; i < 4; i++) {
		out[i] = etest_framed_stream(sizes + i * 10, 10, 99 + i, &len[i]);
		cr_assert_eq(stream_client_start(&sc[i], l, &es.addr, out[i], len[i], 5000), 0);
	}
	cr_assert(etest_run_while(l, not_all_closed, &w, 30000), "echo did not finish");
	for (unsigned i = 0; i < 4; i++) {
		cr_expect(!sc[i].mismatch, "client %u: echo differs at byte %zu", i,
			  sc[i].mismatch_at);
		cr_expect_eq(sc[i].got, len[i], "client %u: %zu of %zu bytes", i, sc[i].got,
			     len[i]);
		cr_expect_eq(sc[i].close_err, 0, "client %u: closed with %d", i, sc[i].close_err);
		cr_expect_eq(sc[i].bytes_out, len[i], "client %u: per-connection counter", i);
		free(out[i]);
	}
	cr_expect_eq(es.msgs, 40);
	/* The server sees the clients' close as EOF and closes cleanly. */
	cr_assert(etest_run_until(l, &es.closed, 4, 5000));
	cr_expect_eq(es.closed_ok, 4, "server closes: %u ok, %u with errors (last %d)",
		     es.closed_ok, es.closed_err, es.last_err);
	cr_expect_eq(pe_loop_stats(l)->bytes_in, pe_loop_stats(l)->bytes_out);
	cr_expect_eq(pe_loop_stats(l)->accepted, 4);
	cr_expect_eq(pe_loop_stats(l)->connected, 4);
	pe_loop_close(l);
	cr_expect_eq(etest_count_fds(), fds0, "descriptors leaked");
}

ETEST_BACKENDS(tcp, thousand_connections)
ParameterizedTest(enum pe_backend *b, tcp, thousand_connections)
{
	enum { N = 1000 };
	uint32_t sizes[2] = { 100, 3000 };
	struct stream_client *sc = calloc(N, sizeof(*sc));
	struct closed_watch w = { sc, N };
	struct echo_server es;
	struct pe_loop *l;
	uint8_t *out;
	size_t len;
	int fds0;

	/* Each connection is two descriptors here (client and accepted side) plus the loop's. */
	if (etest_raise_nofile(2 * N + 100) < 2 * N + 100)
		cr_skip_test("RLIMIT_NOFILE hard limit below %d", 2 * N + 100);
	fds0 = etest_count_fds();
	l = etest_loop(*b);
	out = etest_framed_stream(sizes, 2, 7, &len);
	cr_assert_eq(echo_server_start(&es, l, "127.0.0.1", 1u << 16, 0), 0);
	for (unsigned i = 0; i < N; i++) {
		sc[i].hold_open = true;
		cr_assert_eq(stream_client_start(&sc[i], l, &es.addr, out, len, 10000), 0);
	}
	/* Every client keeps its connection after its echo, so all N are open at once. */
	cr_assert(etest_run_while(l, not_all_echoed, &w, 60000), "%u of %d echoed",
		  echoed_count(sc, N), N);
	cr_expect_eq(es.open, N, "server side: %u of %d open at once", es.open, N);
	cr_expect_eq(pe_loop_stats(l)->accepted, N);
	for (unsigned i = 0; i < N; i++)
		pe_conn_close(sc[i].c, 0, false);
	cr_assert(etest_run_while(l, not_all_closed, &w, 60000), "%u of %d closed",
		  closed_count(sc, N), N);
	for (unsigned i = 0; i < N; i++) {
		cr_expect_eq(sc[i].got, len, "client %u got %zu", i, sc[i].got);
		cr_expect_eq(sc[i].close_err, 0, "client %u err %d", i, sc[i].close_err);
	}
	cr_assert(etest_run_until(l, &es.closed, N, 10000));
	cr_expect_eq(es.accepted, N);
	cr_expect_eq(es.msgs, 2 * N);
	cr_expect_eq(es.closed_ok, N);
	pe_loop_close(l);
	free(out);
	free(sc);
	cr_expect_eq(etest_count_fds(), fds0, "descriptors leaked");
}

ETEST_BACKENDS(tcp, half_close)
ParameterizedTest(enum pe_backend *b, tcp, half_close)
{
	uint32_t sizes[3] = { 10, 200000, 5 };
	int fds0 = etest_count_fds();
	struct echo_server es;
	struct stream_client sc = { .half_close = true };
	struct closed_watch w = { &sc, 1 };
	struct pe_loop *l = etest_loop(*b);
	size_t len;
	uint8_t *out = etest_framed_stream(sizes, 3, 5, &len);

	cr_assert_eq(echo_server_start(&es, l, "127.0.0.1", 1u << 20, 0), 0);
	cr_assert_eq(stream_client_start(&sc, l, &es.addr, out, len, 5000), 0);
	/* The client sends everything then SHUT_WR; the server (on_eof NULL: shutdown after the
	 * queue drains) must still send the whole echo, then FIN; the client sees EOF after the
	 * last byte and both sides close with 0. */
	cr_assert(etest_run_while(l, not_all_closed, &w, 10000));
	cr_expect(sc.eof);
	cr_expect_eq(sc.got, len);
	cr_expect_eq(sc.close_err, 0);
	cr_assert(etest_run_until(l, &es.closed, 1, 5000));
	cr_expect_eq(es.closed_ok, 1);
	pe_loop_close(l);
	free(out);
	cr_expect_eq(etest_count_fds(), fds0);
}

/* ---- peer reset ---- */

struct reset_state {
	int err;
	bool closed;
	size_t got;
};

static void rs_data(struct pe_conn *c, const void *d, size_t n)
{
	struct reset_state *rs = pe_listener_data(pe_conn_listener(c));

	rs->got += n;
}

static void rs_close(struct pe_conn *c, int err)
{
	struct reset_state *rs = pe_listener_data(pe_conn_listener(c));

	rs->closed = true;
	rs->err = err;
}

static bool rs_busy(void *arg)
{
	return !((struct reset_state *)arg)->closed;
}

ETEST_BACKENDS(tcp, peer_reset)
ParameterizedTest(enum pe_backend *b, tcp, peer_reset)
{
	static const struct pe_conn_cbs cbs = { .on_data = rs_data, .on_close = rs_close };
	struct pe_conn_opts co = { .sz = sizeof(co), .cbs = &cbs };
	struct reset_state rs = { 0 };
	struct pe_listen_opts lo = { .sz = sizeof(lo), .conn = &co, .data = &rs };
	struct linger lg = { 1, 0 };
	struct pe_listener *ls;
	struct pe_addr a;
	char buf[1000] = { 1 };
	int fds0 = etest_count_fds(), fd;
	struct pe_loop *l = etest_loop(*b);

	cr_assert_eq(pe_addr_loopback(&a, AF_INET, 0), 0);
	cr_assert_eq(pe_listen(l, &a, &lo, &ls), 0);
	cr_assert_eq(pe_listener_addr(ls, &a), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, &a.sa, a.len), 0);
	cr_assert_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	/* Let the engine accept and read, then reset mid-stream. */
	for (int i = 0; i < 100 && rs.got < sizeof(buf); i++)
		pe_loop_run_once(l, 10000000);
	cr_assert_eq(rs.got, sizeof(buf));
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(fd);
	cr_assert(etest_run_while(l, rs_busy, &rs, 5000));
	cr_expect_eq(rs.err, -ECONNRESET, "closed with %d (%s)", rs.err, strerror(-rs.err));
	cr_expect_eq(pe_loop_stats(l)->resets, 1);
	pe_loop_close(l);
	cr_expect_eq(etest_count_fds(), fds0);
}

/* ---- oversized length prefix ---- */

ETEST_BACKENDS(tcp, oversized_prefix)
ParameterizedTest(enum pe_backend *b, tcp, oversized_prefix)
{
	uint32_t ok_sizes[2] = { 1000, 4096 };
	uint8_t bad[8] = { 0x00, 0x10, 0x00, 0x01, 'x', 'y', 'z', 'w' }; /* 1 MiB + 1 > max */
	int fds0 = etest_count_fds();
	struct echo_server es;
	struct stream_client bad_c = { 0 }, good_c = { 0 };
	struct closed_watch w = { &bad_c, 1 }, w2 = { &good_c, 1 };
	struct pe_loop *l = etest_loop(*b);
	size_t len;
	uint8_t *out = etest_framed_stream(ok_sizes, 2, 3, &len);

	cr_assert_eq(echo_server_start(&es, l, "127.0.0.1", 1u << 20, 0), 0);
	cr_assert_eq(stream_client_start(&bad_c, l, &es.addr, bad, sizeof(bad), 5000), 0);
	cr_assert(etest_run_while(l, not_all_closed, &w, 5000));
	/* The server closed it with a protocol error (the client sees the FIN, or a reset when the
	 * unread bytes were still queued), counted once. */
	cr_expect_eq(bad_c.got, 0);
	cr_expect(bad_c.close_err == 0 || bad_c.close_err == -ECONNRESET, "err %d",
		  bad_c.close_err);
	cr_assert(etest_run_until(l, &es.closed, 1, 5000));
	cr_expect_eq(es.last_err, -EPROTO);
	cr_expect_eq(pe_loop_stats(l)->proto_errors, 1);
	/* ... and keeps serving another client. */
	cr_assert_eq(stream_client_start(&good_c, l, &es.addr, out, len, 5000), 0);
	cr_assert(etest_run_while(l, not_all_closed, &w2, 5000));
	cr_expect_eq(good_c.got, len);
	cr_expect_eq(good_c.close_err, 0);
	cr_expect_eq(es.msgs, 2);
	pe_loop_close(l);
	free(out);
	cr_expect_eq(etest_count_fds(), fds0);
}

/* ---- idle timeout ---- */

ETEST_BACKENDS(tcp, idle_timeout)
ParameterizedTest(enum pe_backend *b, tcp, idle_timeout)
{
	int fds0 = etest_count_fds(), fd;
	struct echo_server es;
	struct pe_loop *l = etest_loop(*b);
	uint64_t t0;
	char c;

	cr_assert_eq(echo_server_start(&es, l, "127.0.0.1", 1024, 150), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, &es.addr.sa, es.addr.len), 0);
	t0 = pe_now_ns();
	cr_assert(etest_run_until(l, &es.closed, 1, 3000), "idle connection not closed");
	/* Not before 150 ms, and not much later. */
	cr_expect_geq(pe_now_ns() - t0, 150000000ull);
	cr_expect_lt(pe_now_ns() - t0, 1500000000ull);
	cr_expect_eq(es.last_err, -ETIMEDOUT);
	cr_expect_eq(pe_loop_stats(l)->idle_timeouts, 1);
	cr_expect_eq(read(fd, &c, 1), 0, "the client sees EOF");
	close(fd);
	pe_loop_close(l);
	cr_expect_eq(etest_count_fds(), fds0);
}

/* ---- IPv6 ---- */

ETEST_BACKENDS(tcp, ipv6_loopback)
ParameterizedTest(enum pe_backend *b, tcp, ipv6_loopback)
{
	uint32_t sizes[3] = { 1, 70000, 9 };
	int fds0 = etest_count_fds();
	struct echo_server es;
	struct stream_client sc = { 0 };
	struct closed_watch w = { &sc, 1 };
	struct pe_loop *l = etest_loop(*b);
	struct pe_addr peer;
	size_t len;
	uint8_t *out = etest_framed_stream(sizes, 3, 11, &len);
	int err = echo_server_start(&es, l, "::1", 1u << 20, 0);

	if (err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT)
		cr_skip_test("no IPv6 loopback (%s)", strerror(-err));
	cr_assert_eq(err, 0);
	cr_assert_eq(es.addr.sa.sa_family, AF_INET6);
	cr_assert_eq(stream_client_start(&sc, l, &es.addr, out, len, 5000), 0);
	cr_assert_eq(pe_conn_peer(sc.c, &peer), 0);
	cr_expect(pe_addr_equal(&peer, &es.addr));
	cr_assert(etest_run_while(l, not_all_closed, &w, 5000));
	cr_expect_eq(sc.got, len);
	cr_expect_eq(sc.close_err, 0);
	pe_loop_close(l);
	free(out);
	cr_expect_eq(etest_count_fds(), fds0);
}

/* ---- connect timeout ---- */

ETEST_BACKENDS(tcp, connect_timeout)
ParameterizedTest(enum pe_backend *b, tcp, connect_timeout)
{
	/* A listener with backlog 0 that never accepts: once its accept queue holds one
	 * connection, the kernel drops further SYNs, so a connect neither succeeds nor is refused
	 * (the loopback stand-in for a host that drops SYNs). */
	int fds0 = etest_count_fds(), lfd, fill[2];
	struct pe_sock_opts so = { .sz = sizeof(so), .backlog = -1 };
	struct stream_client sc = { 0 };
	struct closed_watch w = { &sc, 1 };
	struct pe_loop *l = etest_loop(*b);
	struct pe_addr a;
	uint64_t t0;
	uint8_t byte = 0;

	cr_assert_eq(pe_addr_loopback(&a, AF_INET, 0), 0);
	lfd = pe_sock_listen(&a, &so);
	cr_assert_geq(lfd, 0);
	cr_assert_eq(pe_sock_local(lfd, &a), 0);
	for (int i = 0; i < 2; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], &a.sa, a.len);
	}
	usleep(50000);
	t0 = pe_now_ns();
	cr_assert_eq(stream_client_start(&sc, l, &a, &byte, 1, 300), 0);
	cr_assert(etest_run_while(l, not_all_closed, &w, 5000));
	cr_expect(!sc.opened);
	cr_expect_eq(sc.close_err, -ETIMEDOUT, "err %d", sc.close_err);
	cr_expect_geq(pe_now_ns() - t0, 300000000ull);
	cr_expect_lt(pe_now_ns() - t0, 2000000000ull);
	cr_expect_eq(pe_loop_stats(l)->connect_failed, 1);
	pe_loop_close(l);
	close(fill[0]);
	close(fill[1]);
	close(lfd);
	cr_expect_eq(etest_count_fds(), fds0);
}

ETEST_BACKENDS(tcp, connect_refused)
ParameterizedTest(enum pe_backend *b, tcp, connect_refused)
{
	int fds0 = etest_count_fds();
	struct stream_client sc = { 0 };
	struct closed_watch w = { &sc, 1 };
	struct pe_loop *l = etest_loop(*b);
	struct pe_addr a;
	uint8_t byte = 0;
	int fd;

	/* A port that was just free: bind, read it, close. */
	cr_assert_eq(pe_addr_loopback(&a, AF_INET, 0), 0);
	fd = pe_sock_listen(&a, NULL);
	cr_assert_eq(pe_sock_local(fd, &a), 0);
	close(fd);
	cr_assert_eq(stream_client_start(&sc, l, &a, &byte, 1, 5000), 0);
	cr_assert(etest_run_while(l, not_all_closed, &w, 5000));
	cr_expect(!sc.opened);
	cr_expect_eq(sc.close_err, -ECONNREFUSED, "err %d", sc.close_err);
	pe_loop_close(l);
	cr_expect_eq(etest_count_fds(), fds0);
}

/* ---- provided-buffer exhaustion ---- */

ETEST_BACKENDS(tcp, tiny_receive_buffers)
ParameterizedTest(enum pe_backend *b, tcp, tiny_receive_buffers)
{
	/* Four 4 KiB receive buffers for a 1 MiB echo: io_uring's multishot recv runs out of
	 * provided buffers (ENOBUFS, no IORING_CQE_F_MORE) again and again and must re-arm
	 * without losing or reordering a byte. */
	struct pe_loop_opts o = { .sz = sizeof(o),
				  .backend = *b,
				  .no_fallback = true,
				  .buf_count = 4,
				  .buf_bytes = 4096 };
	uint32_t sizes[3] = { 1u << 20, 5, 300000 };
	int fds0 = etest_count_fds();
	struct pe_loop *l = pe_loop_open(&o);
	struct echo_server es;
	struct stream_client sc = { 0 };
	struct closed_watch w = { &sc, 1 };
	size_t len;
	uint8_t *out = etest_framed_stream(sizes, 3, 21, &len);

	cr_assert_not_null(l);
	cr_assert_eq(echo_server_start(&es, l, "127.0.0.1", 1u << 20, 0), 0);
	cr_assert_eq(stream_client_start(&sc, l, &es.addr, out, len, 5000), 0);
	cr_assert(etest_run_while(l, not_all_closed, &w, 20000));
	cr_expect(!sc.mismatch, "echo differs at byte %zu", sc.mismatch_at);
	cr_expect_eq(sc.got, len);
	cr_expect_eq(sc.close_err, 0);
	if (*b == PE_BACKEND_URING)
		cr_expect_gt(pe_loop_stats(l)->enobufs, 0, "the buffer ring never ran out");
	else
		cr_expect_eq(pe_loop_stats(l)->enobufs, 0);
	pe_loop_close(l);
	free(out);
	cr_expect_eq(etest_count_fds(), fds0);
}

/* ---- receive buffers shared by many connections ---- */

struct shared_case {
	enum pe_backend backend;
	bool whole_bufs;
};

ParameterizedTestParameters(tcp, shared_receive_buffers)
{
	static struct shared_case k[] = {
		{ PE_BACKEND_URING, false },
		{ PE_BACKEND_URING, true },
		{ PE_BACKEND_EPOLL, false },
	};
	return cr_make_param_array(struct shared_case, k, 3);
}

/* True when the running kernel is at least major.minor. */
static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/* 64 connections echo small framed messages through eight 1000-byte receive buffers. On
 * io_uring with incremental buffers (kernel 6.12+) each buffer is handed out piece by piece to
 * whichever connection receives next, so one buffer carries pieces of many streams and a
 * message can straddle two buffers; the ring also runs dry. Every stream must still come back
 * byte-exact. With whole_bufs (and on epoll) no receive shares a buffer. */
ParameterizedTest(struct shared_case *k, tcp, shared_receive_buffers)
{
	enum { N = 64, MSGS = 60 };
	struct pe_loop_opts o = { .sz = sizeof(o),
				  .backend = k->backend,
				  .no_fallback = true,
				  .buf_count = 8,
				  .buf_bytes = 1000,
				  .whole_bufs = k->whole_bufs };
	struct stream_client sc[N] = { 0 };
	struct closed_watch w = { sc, N };
	int fds0 = etest_count_fds();
	struct pe_loop *l = pe_loop_open(&o);
	struct echo_server es;
	uint32_t sizes[MSGS];
	uint8_t *out[N];
	size_t len[N], total = 0;
	uint64_t shared;

	cr_assert_not_null(l, "pe_loop_open: %s", strerror(errno));
	cr_assert_eq(pe_loop_backend(l), k->backend);
	cr_assert_eq(echo_server_start(&es, l, "127.0.0.1", 4096, 0), 0);
	for (unsigned i = 0; i < N; i++) {
		for (unsigned m = 0; m < MSGS; m++)
			sizes[m] = 1 + (i * 131 + m * 977) % 1500; /* 1 .. 1500 bytes */
		out[i] = etest_framed_stream(sizes, MSGS, 500 + i, &len[i]);
		total += len[i];
		cr_assert_eq(stream_client_start(&sc[i], l, &es.addr, out[i], len[i], 5000), 0);
	}
	cr_assert(etest_run_while(l, not_all_closed, &w, 30000), "%u of %d closed",
		  closed_count(sc, N), N);
	for (unsigned i = 0; i < N; i++) {
		cr_expect(!sc[i].mismatch, "client %u: echo differs at byte %zu", i,
			  sc[i].mismatch_at);
		cr_expect_eq(sc[i].got, len[i], "client %u: %zu of %zu bytes", i, sc[i].got,
			     len[i]);
		cr_expect_eq(sc[i].close_err, 0, "client %u: closed with %d", i, sc[i].close_err);
		free(out[i]);
	}
	cr_expect_eq(es.msgs, (uint64_t)N * MSGS);
	/* Server and clients share the loop: each byte is received twice (request, echo). */
	cr_expect_eq(pe_loop_stats(l)->bytes_in, 2 * (uint64_t)total);
	shared = pe_loop_stats(l)->recv_shared;
	if (k->backend == PE_BACKEND_URING && !k->whole_bufs && kernel_at_least(6, 12))
		cr_expect_gt(shared, 0, "no receive went into a buffer already in use");
	else
		cr_expect_eq(shared, 0, "%" PRIu64 " receives shared a buffer", shared);
	cr_assert(etest_run_until(l, &es.closed, N, 5000));
	cr_expect_eq(es.closed_ok, N);
	pe_loop_close(l);
	cr_expect_eq(etest_count_fds(), fds0, "descriptors leaked");
}

/* ---- buffer sizes on accepted connections ---- */

struct wscale_seen {
	unsigned accepted;
	int rcv_wscale;
};

static void ws_open(struct pe_conn *c)
{
	struct wscale_seen *w = pe_conn_data(c);
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (!getsockopt(pe_conn_fd(c), IPPROTO_TCP, TCP_INFO, &ti, &len))
		w->rcv_wscale = ti.tcpi_rcv_wscale;
	w->accepted++;
	pe_conn_close(c, 0, false);
}

static void ws_close(struct pe_conn *c, int err)
{
	(void)c;
	(void)err;
}

/* A listener's rcvbuf_bytes is on the listening socket before the handshake: with 4 KiB the
 * SYN-ACK offers window scale 0 (the receive buffer locks the window clamp), where the
 * kernel's defaults give a large one (from tcp_rmem and rmem_max; 10 on the test machine).
 * Set only after accept, as it once was, the scale had already been chosen from those. */
ETEST_BACKENDS(tcp, rcvbuf_before_handshake)
ParameterizedTest(enum pe_backend *b, tcp, rcvbuf_before_handshake)
{
	static const struct pe_conn_cbs cbs = { .on_open = ws_open, .on_close = ws_close };
	int want[2] = { 0, -1 }, rcvbuf[2] = { 4096, 0 };
	struct pe_loop *l = etest_loop(*b);

	for (int k = 0; k < 2; k++) {
		struct wscale_seen w = { 0, -1 };
		struct pe_conn_opts co = {
			.sz = sizeof(co), .cbs = &cbs, .data = &w, .rcvbuf_bytes = rcvbuf[k]
		};
		struct pe_listen_opts lo = { .sz = sizeof(lo), .conn = &co };
		struct pe_listener *ls;
		struct pe_addr a;
		int fd;

		cr_assert_eq(pe_addr_loopback(&a, AF_INET, 0), 0);
		cr_assert_eq(pe_listen(l, &a, &lo, &ls), 0);
		cr_assert_eq(pe_listener_addr(ls, &a), 0);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		cr_assert_eq(connect(fd, &a.sa, a.len), 0, "%s", strerror(errno));
		cr_assert(etest_run_until(l, &w.accepted, 1, 5000));
		if (want[k] >= 0)
			cr_expect_eq(w.rcv_wscale, want[k], "rcvbuf %d: wscale %d", rcvbuf[k],
				     w.rcv_wscale);
		else
			cr_expect_geq(w.rcv_wscale, 5, "default buffers: wscale %d", w.rcv_wscale);
		close(fd);
		pe_listener_close(ls);
	}
	pe_loop_close(l);
}

/* Options whose sz does not reach the required callbacks are refused, not read as empty. */
ETEST_BACKENDS(tcp, opts_too_small)
ParameterizedTest(enum pe_backend *b, tcp, opts_too_small)
{
	static const struct pe_conn_cbs cbs = { .on_open = ws_open, .on_close = ws_close };
	static const struct pe_udp_cbs ucbs = { 0 };
	struct pe_loop *l = etest_loop(*b);
	struct pe_conn_opts co = { .sz = 0, .cbs = &cbs };
	struct pe_listen_opts lo = { .sz = sizeof(lo), .conn = &co };
	struct pe_udp_opts uo = { .sz = sizeof(size_t), .cbs = &ucbs };
	struct pe_listener *ls = NULL;
	struct pe_conn *c = NULL;
	struct pe_udp *u = NULL;
	struct pe_addr a;
	int fds0 = etest_count_fds();

	cr_assert_eq(pe_addr_loopback(&a, AF_INET, 0), 0);
	cr_expect_eq(pe_listen(l, &a, &lo, &ls), -EINVAL);
	cr_expect_eq(pe_connect(l, &a, &co, &c), -EINVAL);
	cr_expect_eq(pe_udp_open(l, &a, &uo, &u), -EINVAL);
	cr_expect_null(ls);
	cr_expect_null(c);
	cr_expect_null(u);
	cr_expect_eq(etest_count_fds(), fds0);
	co.sz = offsetof(struct pe_conn_opts, cbs) + sizeof(co.cbs); /* just enough */
	cr_expect_eq(pe_listen(l, &a, &lo, &ls), 0);
	pe_loop_close(l);
}
