/* SPDX-License-Identifier: BSD-2-Clause */
/* TCP connection set-up and teardown through the event loop, every test on io_uring and on
 * epoll: peer reset, an oversized length prefix, idle and connect timeouts, a refused connect,
 * buffer sizes set before the handshake, options too small to hold the callbacks, and a
 * connection released to the caller (pe_conn_release). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/engine/etest.h"

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
	struct etest_clients w = { &bad_c, 1 }, w2 = { &good_c, 1 };
	struct pe_loop *l = etest_loop(*b);
	size_t len;
	uint8_t *out = etest_framed_stream(ok_sizes, 2, 3, &len);

	cr_assert_eq(echo_server_start(&es, l, "127.0.0.1", 1u << 20, 0), 0);
	cr_assert_eq(stream_client_start(&bad_c, l, &es.addr, bad, sizeof(bad), 5000), 0);
	cr_assert(etest_run_while(l, etest_not_all_closed, &w, 5000));
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
	cr_assert(etest_run_while(l, etest_not_all_closed, &w2, 5000));
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
	struct etest_clients w = { &sc, 1 };
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
	cr_assert(etest_run_while(l, etest_not_all_closed, &w, 5000));
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
	struct etest_clients w = { &sc, 1 };
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
	cr_assert(etest_run_while(l, etest_not_all_closed, &w, 5000));
	cr_expect(!sc.opened);
	cr_expect_eq(sc.close_err, -ECONNREFUSED, "err %d", sc.close_err);
	pe_loop_close(l);
	cr_expect_eq(etest_count_fds(), fds0);
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

/* ---- release ---- */

struct rel_state {
	int fd, close_err, datas;
	bool closed;
	size_t got;
};

static void rel_open(struct pe_conn *c)
{
	struct rel_state *st = pe_listener_data(pe_conn_listener(c));

	st->fd = pe_conn_release(c);
	cr_expect_eq(pe_conn_release(c), -ENOTCONN, "released only once");
}

static void rel_data(struct pe_conn *c, const void *d, size_t n)
{
	struct rel_state *st = pe_listener_data(pe_conn_listener(c));

	(void)d;
	st->datas++;
	st->got += n;
}

static void rel_close(struct pe_conn *c, int err)
{
	struct rel_state *st = pe_listener_data(pe_conn_listener(c));

	st->closed = true;
	st->close_err = err;
}

static const struct pe_conn_cbs rel_cbs = { .on_open = rel_open,
					    .on_data = rel_data,
					    .on_close = rel_close };

/* The loop lets go of a released connection (on_close(0), no more callbacks, no shutdown):
 * the caller's descriptor then carries the conversation, and closing it is the only close. */
ETEST_BACKENDS(conn, release_hands_the_socket_over)
ParameterizedTest(enum pe_backend *b, conn, release_hands_the_socket_over)
{
	int fds0 = etest_count_fds();
	struct pe_loop *l = etest_loop(*b);
	struct rel_state st = { .fd = -1 };
	struct pe_conn_opts co = { .sz = sizeof(co), .cbs = &rel_cbs };
	struct pe_listen_opts lo = { .sz = sizeof(lo), .conn = &co, .data = &st };
	struct pe_listener *ls;
	struct pe_addr a;
	char buf[8];
	int cfd, i;

	cr_assert_eq(pe_addr_parse(&a, "127.0.0.1", "0", AF_INET, SOCK_STREAM, true), 0);
	cr_assert_eq(pe_listen(l, &a, &lo, &ls), 0);
	cr_assert_eq(pe_listener_addr(ls, &a), 0);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(cfd, &a.sa, a.len), 0);
	for (i = 0; i < 200 && !st.closed; i++)
		pe_loop_run_once(l, 10000000ull);
	cr_assert(st.closed, "on_close after the release");
	cr_expect_eq(st.close_err, 0);
	cr_assert_geq(st.fd, 0, "%s", strerror(-st.fd));
	cr_assert_eq(send(cfd, "hello", 5, 0), 5);
	for (i = 0; i < 20; i++)
		pe_loop_run_once(l, 10000000ull);
	cr_expect_eq(st.datas, 0, "the loop saw none of it");
	cr_assert_eq(recv(st.fd, buf, sizeof(buf), MSG_WAITALL | MSG_DONTWAIT), 5);
	cr_expect_eq(memcmp(buf, "hello", 5), 0);
	cr_assert_eq(send(st.fd, "ok", 2, MSG_NOSIGNAL), 2, "the socket is still open both ways");
	cr_assert_eq(recv(cfd, buf, 2, MSG_WAITALL), 2);
	close(st.fd);
	cr_expect_eq(recv(cfd, buf, 1, 0), 0, "closing the released descriptor ends it");
	close(cfd);
	pe_loop_close(l);
	cr_expect_eq(etest_count_fds(), fds0);
}
