/* SPDX-License-Identifier: BSD-2-Clause */
/* TCP data through the event loop, every test on io_uring and on epoll: byte-exact echo of
 * messages from 1 byte to 1 MiB, 1,000 concurrent connections, half-close, IPv6, provided
 * receive buffers exhausted and shared by 64 connections, and no leaked descriptors. The
 * connection set-up and teardown cases are in test_engine_conn.c. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tests/engine/etest.h"

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
	struct etest_clients w = { sc, 4 };
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
	cr_assert(etest_run_while(l, etest_not_all_closed, &w, 30000), "echo did not finish");
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
	struct etest_clients w = { sc, N };
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
	cr_assert(etest_run_while(l, etest_not_all_echoed, &w, 60000), "%u of %d echoed",
		  etest_echoed_count(sc, N), N);
	cr_expect_eq(es.open, N, "server side: %u of %d open at once", es.open, N);
	cr_expect_eq(pe_loop_stats(l)->accepted, N);
	for (unsigned i = 0; i < N; i++)
		pe_conn_close(sc[i].c, 0, false);
	cr_assert(etest_run_while(l, etest_not_all_closed, &w, 60000), "%u of %d closed",
		  etest_closed_count(sc, N), N);
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
	struct etest_clients w = { &sc, 1 };
	struct pe_loop *l = etest_loop(*b);
	size_t len;
	uint8_t *out = etest_framed_stream(sizes, 3, 5, &len);

	cr_assert_eq(echo_server_start(&es, l, "127.0.0.1", 1u << 20, 0), 0);
	cr_assert_eq(stream_client_start(&sc, l, &es.addr, out, len, 5000), 0);
	/* The client sends everything then SHUT_WR; the server (on_eof NULL: shutdown after the
	 * queue drains) must still send the whole echo, then FIN; the client sees EOF after the
	 * last byte and both sides close with 0. */
	cr_assert(etest_run_while(l, etest_not_all_closed, &w, 10000));
	cr_expect(sc.eof);
	cr_expect_eq(sc.got, len);
	cr_expect_eq(sc.close_err, 0);
	cr_assert(etest_run_until(l, &es.closed, 1, 5000));
	cr_expect_eq(es.closed_ok, 1);
	pe_loop_close(l);
	free(out);
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
	struct etest_clients w = { &sc, 1 };
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
	cr_assert(etest_run_while(l, etest_not_all_closed, &w, 5000));
	cr_expect_eq(sc.got, len);
	cr_expect_eq(sc.close_err, 0);
	pe_loop_close(l);
	free(out);
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
	struct etest_clients w = { &sc, 1 };
	size_t len;
	uint8_t *out = etest_framed_stream(sizes, 3, 21, &len);

	cr_assert_not_null(l);
	cr_assert_eq(echo_server_start(&es, l, "127.0.0.1", 1u << 20, 0), 0);
	cr_assert_eq(stream_client_start(&sc, l, &es.addr, out, len, 5000), 0);
	cr_assert(etest_run_while(l, etest_not_all_closed, &w, 20000));
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
	struct etest_clients w = { sc, N };
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
	cr_assert(etest_run_while(l, etest_not_all_closed, &w, 30000), "%u of %d closed",
		  etest_closed_count(sc, N), N);
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
