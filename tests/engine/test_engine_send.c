/* SPDX-License-Identifier: BSD-2-Clause */
/* Borrowed-buffer and file sends on both backends: a SEND_ZC buffer is released only after its
 * notification, the same buffer queued several times at once, a file sent byte-exact and in
 * order with other sends, and a file truncated mid-send reported as an error. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/engine/etest.h"

/* A receiver: accepted connections append everything to a buffer. */
struct rx {
	uint8_t *buf;
	size_t cap, got;
	struct pe_conn *c;
	bool closed, eof, pause_at_open;
	int err;
};

static void rx_open(struct pe_conn *c)
{
	struct rx *r = pe_listener_data(pe_conn_listener(c));

	r->c = c;
	if (r->pause_at_open)
		pe_conn_pause_recv(c, true);
}

static void rx_data(struct pe_conn *c, const void *d, size_t n)
{
	struct rx *r = pe_listener_data(pe_conn_listener(c));

	cr_assert_leq(r->got + n, r->cap, "more bytes than expected");
	memcpy(r->buf + r->got, d, n);
	r->got += n;
}

static void rx_eof(struct pe_conn *c)
{
	struct rx *r = pe_listener_data(pe_conn_listener(c));

	r->eof = true;
	pe_conn_shutdown(c);
}

static void rx_close(struct pe_conn *c, int err)
{
	struct rx *r = pe_listener_data(pe_conn_listener(c));

	r->closed = true;
	r->err = err;
	r->c = NULL;
}

static const struct pe_conn_cbs rx_cbs = {
	.on_open = rx_open, .on_data = rx_data, .on_eof = rx_eof, .on_close = rx_close
};

static void rx_listen(struct pe_loop *l, struct rx *r, size_t cap, struct pe_addr *a, int rcvbuf)
{
	static struct pe_conn_opts co = { .sz = sizeof(co), .cbs = &rx_cbs };
	struct pe_listen_opts lo = { .sz = sizeof(lo), .conn = &co, .data = r };
	struct pe_listener *ls;

	co.rcvbuf_bytes = rcvbuf;
	r->buf = malloc(cap);
	r->cap = cap;
	cr_assert_eq(pe_addr_loopback(a, AF_INET, 0), 0);
	cr_assert_eq(pe_listen(l, a, &lo, &ls), 0);
	cr_assert_eq(pe_listener_addr(ls, a), 0);
}

/* A sender: the test drives it from on_open through `start`. */
struct tx {
	struct pe_loop *l;
	void (*start)(struct pe_conn *c);
	struct pe_conn *c;
	unsigned dones;
	int done_err[8];
	bool notif_before_done; /* every SEND_ZC notification was in when done ran */
	uint64_t zc_ops_at_done;
	bool seq_phase;
	bool closed;
	int close_err;
	uint8_t *buf;
	size_t len;
};

static void tx_open(struct pe_conn *c)
{
	struct tx *t = pe_conn_data(c);

	t->c = c;
	t->start(c);
}

static void tx_close(struct pe_conn *c, int err)
{
	struct tx *t = pe_conn_data(c);

	t->closed = true;
	t->close_err = err;
}

static void tx_done(struct pe_conn *c, void *arg, int err)
{
	struct tx *t = arg;
	const struct pe_loop_stats *st = pe_loop_stats(t->l);

	t->done_err[t->dones++] = err;
	if (!t->seq_phase)
		return;
	/* One send in flight at a time in this phase: no SEND_ZC may still wait for its
	 * notification when its buffer is handed back. */
	t->zc_ops_at_done = st->zc_ops;
	if (st->zc_sends != st->zc_ops)
		t->notif_before_done = false;
	if (t->dones < 3) {
		cr_assert_eq(pe_conn_send_ref(c, t->buf, t->len, tx_done, t), 0);
		return;
	}
	/* Then the same borrowed buffer three times at once. */
	t->seq_phase = false;
	for (int i = 0; i < 3; i++)
		cr_assert_eq(pe_conn_send_ref(c, t->buf, t->len, tx_done, t), 0);
	pe_conn_shutdown(c);
}

static void tx_connect(struct pe_loop *l, struct tx *t, const struct pe_addr *a, int sndbuf)
{
	static const struct pe_conn_cbs cbs = { .on_open = tx_open, .on_close = tx_close };
	struct pe_conn_opts co = {
		.sz = sizeof(co), .cbs = &cbs, .data = t, .sndbuf_bytes = sndbuf
	};
	struct pe_conn *c;

	t->l = l;
	cr_assert_eq(pe_connect(l, a, &co, &c), 0);
}

static bool tx_busy(void *arg)
{
	struct tx *t = arg;

	return !t->closed;
}

static void zc_start(struct pe_conn *c)
{
	struct tx *t = pe_conn_data(c);

	t->seq_phase = true;
	cr_assert_eq(pe_conn_send_ref(c, t->buf, t->len, tx_done, t), 0);
}

ETEST_BACKENDS(send, zc_buffer_lifetime)
ParameterizedTest(enum pe_backend *b, send, zc_buffer_lifetime)
{
	struct pe_loop_opts o = {
		.sz = sizeof(o), .backend = *b, .no_fallback = true, .zc_min_bytes = 4096
	};
	int fds0 = etest_count_fds();
	struct pe_loop *l = pe_loop_open(&o);
	struct tx t = { .start = zc_start, .notif_before_done = true, .len = 1u << 20 };
	struct rx r = { 0 };
	struct pe_addr a;

	cr_assert_not_null(l);
	t.buf = malloc(t.len);
	for (size_t i = 0; i < t.len; i++)
		t.buf[i] = (uint8_t)(i * 31 + 7);
	rx_listen(l, &r, 6 * t.len, &a, 0);
	tx_connect(l, &t, &a, 65536);
	cr_assert(etest_run_while(l, tx_busy, &t, 10000));
	cr_expect_eq(t.close_err, 0);
	cr_assert_eq(t.dones, 6);
	for (int i = 0; i < 6; i++)
		cr_expect_eq(t.done_err[i], 0);
	cr_expect(t.notif_before_done, "a buffer was released before its SEND_ZC notification");
	if (*b == PE_BACKEND_URING) {
		cr_expect_geq(t.zc_ops_at_done, 3, "SEND_ZC not used (%llu ops)",
			      (unsigned long long)t.zc_ops_at_done);
		cr_expect_eq(pe_loop_stats(l)->zc_sends, pe_loop_stats(l)->zc_ops);
	} else {
		cr_expect_eq(pe_loop_stats(l)->zc_ops, 0);
	}
	cr_assert_eq(r.got, 6 * t.len);
	for (int i = 0; i < 6; i++)
		cr_expect_eq(memcmp(r.buf + i * t.len, t.buf, t.len), 0, "copy %d differs", i);
	pe_loop_close(l);
	free(t.buf);
	free(r.buf);
	cr_expect_eq(etest_count_fds(), fds0);
}

/* ---- files ---- */

static int file_fd;
static uint64_t file_off, file_len;

static void file_start(struct pe_conn *c)
{
	struct tx *t = pe_conn_data(c);

	cr_assert_eq(pe_conn_send(c, "BEGIN", 5), 5);
	cr_assert_eq(pe_conn_send_file(c, file_fd, file_off, file_len, tx_done, t), 0);
	cr_assert_eq(pe_conn_send(c, "END", 3), 3); /* after the file, in order */
	pe_conn_shutdown(c);
}

static int make_file(size_t len, uint8_t **content)
{
	char path[] = "/tmp/pe-file-XXXXXX";
	int fd = mkstemp(path);
	uint8_t *p = malloc(len);
	uint32_t x = 2463534242u;

	cr_assert_geq(fd, 0);
	unlink(path);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, p + off, len - off);

		cr_assert_gt(n, 0);
		off += (size_t)n;
	}
	*content = p;
	return fd;
}

ETEST_BACKENDS(send, file_exact)
ParameterizedTest(enum pe_backend *b, send, file_exact)
{
	size_t flen = (3u << 20) + 123;
	int fds0 = etest_count_fds();
	struct pe_loop *l = etest_loop(*b);
	struct tx t = { .start = file_start };
	struct rx r = { 0 };
	struct pe_addr a;
	uint8_t *content;

	file_fd = make_file(flen, &content);
	file_off = 100;
	file_len = flen - 100;
	rx_listen(l, &r, flen + 8, &a, 0);
	tx_connect(l, &t, &a, 0);
	cr_assert(etest_run_while(l, tx_busy, &t, 10000));
	cr_expect_eq(t.close_err, 0);
	cr_assert_eq(t.dones, 1);
	cr_expect_eq(t.done_err[0], 0);
	cr_assert_eq(r.got, 5 + file_len + 3);
	cr_expect_eq(memcmp(r.buf, "BEGIN", 5), 0);
	cr_expect_eq(memcmp(r.buf + 5, content + 100, file_len), 0, "file bytes differ");
	cr_expect_eq(memcmp(r.buf + 5 + file_len, "END", 3), 0);
	cr_expect_eq(pe_loop_stats(l)->file_errors, 0);
	pe_loop_close(l);
	close(file_fd);
	free(content);
	free(r.buf);
	cr_expect_eq(etest_count_fds(), fds0);
}

ETEST_BACKENDS(send, file_truncated_mid_send)
ParameterizedTest(enum pe_backend *b, send, file_truncated_mid_send)
{
	size_t flen = 32u << 20;
	int fds0 = etest_count_fds();
	struct pe_loop *l = etest_loop(*b);
	struct tx t = { .start = file_start };
	struct rx r = { .pause_at_open = true };
	struct pe_addr a;
	uint8_t *content;

	file_fd = make_file(flen, &content);
	file_off = 0;
	file_len = flen;
	rx_listen(l, &r, flen + 8, &a, 65536);
	tx_connect(l, &t, &a, 65536);
	/* The receiver is paused with small buffers: the sender stalls part-way into the file. */
	for (int i = 0; i < 50; i++)
		pe_loop_run_once(l, 2000000);
	cr_assert_not_null(r.c);
	cr_assert_eq(t.dones, 0, "the file send finished before the truncation");
	cr_assert_eq(ftruncate(file_fd, 1u << 20), 0);
	pe_conn_pause_recv(r.c, false);
	cr_assert(etest_run_while(l, tx_busy, &t, 10000));
	cr_assert_eq(t.dones, 1);
	cr_expect_eq(t.done_err[0], -ENODATA, "done(%d), not -ENODATA", t.done_err[0]);
	cr_expect_eq(t.close_err, -ENODATA);
	cr_expect_eq(pe_loop_stats(l)->file_errors, 1);
	for (int i = 0; i < 200 && !r.closed; i++)
		pe_loop_run_once(l, 5000000);
	/* The peer got a prefix, never the whole file nor the trailer, and saw a reset. */
	cr_expect_lt(r.got, 5 + flen);
	cr_expect_eq(memcmp(r.buf + 5, content, r.got > 5 ? r.got - 5 : 0), 0);
	cr_expect(r.closed);
	cr_expect_eq(r.err, -ECONNRESET, "receiver closed with %d", r.err);
	pe_loop_close(l);
	close(file_fd);
	free(content);
	free(r.buf);
	cr_expect_eq(etest_count_fds(), fds0);
}
