/* SPDX-License-Identifier: BSD-2-Clause */
/* echo: each of --conns connections sends a block of -l bytes of the keyed pattern, the
 * server sends back exactly what it received, and the client compares every returned byte
 * with what it sent before sending the next block. */
#include "workload/work.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct econn {
	struct pe_work_conn h; /* first: the shared callbacks use it */
	uint64_t off;	       /* flow offset of the block in flight */
	uint64_t got, tx_left, t_sent_ns;
	bool waiting;
	/* server: what the send queue did not take, sent before reading on (at most one read) */
	uint8_t *held;
	size_t held_len, held_off;
	bool eof_held; /* the client's EOF came while bytes were held: shut down after them */
};

struct echo {
	uint8_t *pattern;
	struct econn *conns;
	unsigned n;
	int64_t corrupt_at;
};

static void send_some(struct econn *ec)
{
	struct echo *s = ec->h.w->mode;
	uint64_t len = ec->h.w->p.len_bytes;

	while (ec->tx_left) {
		uint64_t pos = ec->off + (len - ec->tx_left);
		uint64_t n = ec->tx_left;
		const uint8_t *src = s->pattern + pos % PE_PATTERN_PERIOD;
		uint8_t flipped;
		long r;

		if (n > PE_PATTERN_PERIOD)
			n = PE_PATTERN_PERIOD;
		if (s->corrupt_at >= 0 && ec->h.idx == 0 && (uint64_t)s->corrupt_at >= pos &&
		    (uint64_t)s->corrupt_at < pos + n) {
			/* test hook: one wrong byte leaves this sender (the bytes before it first) */
			if ((uint64_t)s->corrupt_at > pos) {
				n = (uint64_t)s->corrupt_at - pos;
			} else {
				flipped = src[0] ^ 0x5a;
				src = &flipped;
				n = 1;
			}
		}
		r = pe_conn_send(ec->h.c, src, n);
		if (r <= 0)
			return;
		ec->tx_left -= (uint64_t)r;
		ec->h.w->cnt.bytes_tx += (uint64_t)r;
	}
}

static void block(struct econn *ec)
{
	if (ec->h.w->stopping) {
		pe_conn_shutdown(ec->h.c);
		return;
	}
	ec->waiting = true;
	ec->got = 0;
	ec->tx_left = ec->h.w->p.len_bytes;
	ec->t_sent_ns = pe_now_ns();
	ec->h.w->cnt.msgs_tx++;
	send_some(ec);
}

static void c_on_open(struct pe_conn *c)
{
	struct econn *ec = pe_conn_data(c);

	pe_work_conn_hello(ec->h.w, c, ec->h.idx);
	ec->h.w->conns_ready++;
}

static void c_on_data(struct pe_conn *c, const void *data, size_t len)
{
	struct econn *ec = pe_conn_data(c);
	struct pe_work *w = ec->h.w;
	struct echo *s = w->mode;
	uint64_t pos = ec->off + ec->got;
	const uint8_t *want = s->pattern + pos % PE_PATTERN_PERIOD;

	w->cnt.bytes_rx += len;
	if (!ec->waiting || ec->got + len > w->p.len_bytes) {
		pe_work_fail(w, "connection %u: %zu bytes more than were sent", ec->h.idx, len);
		return;
	}
	if (memcmp(want, data, len)) {
		const uint8_t *got = data;
		size_t i;

		for (i = 0; i < len; i++)
			if (got[i] != want[i]) {
				if (!w->fig.verify_errors)
					w->fig.first_bad_offset = (int64_t)(pos + i);
				w->fig.verify_errors++;
			}
	}
	ec->got += len;
	if (ec->got == w->p.len_bytes) {
		pe_hist_add(w->hist, pe_now_ns() - ec->t_sent_ns);
		w->cnt.transactions++;
		w->cnt.msgs_rx++;
		ec->waiting = false;
		ec->off += w->p.len_bytes;
		pe_work_slow_wait(w, 0);
		block(ec);
	}
}

static void c_on_writable(struct pe_conn *c)
{
	send_some(pe_conn_data(c));
}

static const struct pe_conn_cbs client_cbs = {
	.on_open = c_on_open,
	.on_data = c_on_data,
	.on_eof = pe_work_conn_on_eof,
	.on_writable = c_on_writable,
	.on_close = pe_work_conn_on_close,
};

static int client_open(struct pe_work *w)
{
	struct echo *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	w->mode = s;
	s->corrupt_at = pe_test_hook("PKTENG_TEST_CORRUPT_OFFSET");
	s->pattern = pe_pattern_new(w->cookie);
	s->conns = calloc(w->p.conns, sizeof(*s->conns));
	if (!s->pattern || !s->conns)
		return -ENOMEM;
	s->n = w->p.conns;
	return pe_work_conn_connect_all(w, s->conns, sizeof(*s->conns), &client_cbs);
}

static void go(struct pe_work *w)
{
	struct echo *s = w->mode;
	unsigned i;

	if (!w->is_client)
		return;
	for (i = 0; i < s->n; i++)
		if (s->conns[i].h.c)
			block(&s->conns[i]);
}

static void stop(struct pe_work *w)
{
	struct echo *s = w->mode;
	unsigned i;

	if (!w->is_client)
		return;
	for (i = 0; i < s->n; i++)
		if (s->conns[i].h.c && !s->conns[i].waiting)
			pe_conn_shutdown(s->conns[i].h.c);
	if (w->conns_closed >= w->p.conns)
		pe_work_finish(w);
}

/* server: send back what came in; stop reading while the send queue is full */
static void s_on_open(struct pe_conn *c)
{
	struct pe_work *w = pe_conn_data(c);
	struct econn *ec = calloc(1, sizeof(*ec));

	if (!ec) {
		pe_conn_set_data(c, NULL);
		pe_conn_close(c, -ENOMEM, true);
		return;
	}
	ec->h.w = w;
	ec->h.c = c;
	ec->h.idx = w->conns_ready - 1;
	pe_conn_set_data(c, ec);
}

/* Sends what is held; once all of it is queued, reads resume. */
static void s_flush_held(struct pe_conn *c, struct econn *ec)
{
	long r = pe_conn_send(c, ec->held + ec->held_off, ec->held_len - ec->held_off);

	if (r == -EAGAIN)
		r = 0;
	if (r < 0) {
		pe_conn_close(c, (int)r, true);
		return;
	}
	ec->h.w->cnt.bytes_tx += (uint64_t)r;
	ec->held_off += (size_t)r;
	if (ec->held_off < ec->held_len)
		return; /* on_writable comes back when the queue drains */
	free(ec->held);
	ec->held = NULL;
	ec->held_len = ec->held_off = 0;
	pe_conn_pause_recv(c, false);
	if (ec->eof_held)
		pe_work_conn_on_eof(c);
}

static void s_on_data(struct pe_conn *c, const void *data, size_t len)
{
	struct econn *ec = pe_conn_data(c);
	long r = ec->held ? 0 : pe_conn_send(c, data, len);
	uint8_t *nh;

	ec->h.w->cnt.bytes_rx += len;
	ec->h.w->cnt.msgs_rx++;
	if (r == -EAGAIN)
		r = 0;
	if (r < 0) {
		pe_conn_close(c, (int)r, true);
		return;
	}
	ec->h.w->cnt.bytes_tx += (uint64_t)r;
	if ((size_t)r == len)
		return;
	/* the queue is full (4 MiB): keep the rest of this read and stop reading until the
	 * client has taken enough back; memory stays one read per connection */
	nh = realloc(ec->held, ec->held_len + len - (size_t)r);
	if (!nh) {
		pe_work_fail(ec->h.w, "connection %u: out of memory", ec->h.idx);
		pe_conn_close(c, -ENOMEM, true);
		return;
	}
	memcpy(nh + ec->held_len, (const uint8_t *)data + r, len - (size_t)r);
	ec->held = nh;
	ec->held_len += len - (size_t)r;
	pe_conn_pause_recv(c, true);
}

static void s_on_writable(struct pe_conn *c)
{
	struct econn *ec = pe_conn_data(c);

	if (ec && ec->held)
		s_flush_held(c, ec);
}

static void s_on_eof(struct pe_conn *c)
{
	struct econn *ec = pe_conn_data(c);

	if (ec && ec->held)
		ec->eof_held = true;
	else
		pe_work_conn_on_eof(c);
}

static void s_on_close(struct pe_conn *c, int err)
{
	struct econn *ec = pe_conn_data(c);

	if (ec) {
		free(ec->held);
		ec->held = NULL;
	}
	pe_work_conn_on_close(c, err);
}

static const struct pe_conn_cbs server_cbs = {
	.on_open = s_on_open,
	.on_data = s_on_data,
	.on_eof = s_on_eof,
	.on_writable = s_on_writable,
	.on_close = s_on_close,
};

static void echo_free(struct pe_work *w)
{
	struct echo *s = w->mode;

	if (!s)
		return;
	free(s->conns);
	free(s->pattern);
	free(s);
	w->mode = NULL;
}

static const struct pe_work_ops echo_ops = {
	.client_open = client_open,
	.go = go,
	.stop = stop,
	.server_cbs = &server_cbs,
	.free = echo_free,
};

/* the client checks every echoed byte */
static void echo_text(FILE *out, const struct pe_params *p, const struct pe_figures *f)
{
	if (!f->lat_count)
		return;
	pe_report_verify_line(out, f);
}

const struct pe_mode_desc pe_mode_echo = {
	.name = "echo",
	.summary = "TCP echo of -l byte blocks, every byte checked",
	.params = PE_PBIT(CONGESTION),
	.tcp_conns = true,
	.latency = true,
	.nodelay = true,
	.text = echo_text,
	.bench_label = "echo64",
	.bench_len = 64,
	.bench_conns = 64,
	.ops = &echo_ops,
};
