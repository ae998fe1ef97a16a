/* SPDX-License-Identifier: BSD-2-Clause */
/* rr: request/response. Each of --conns connections keeps one request of -l bytes in flight;
 * the server answers every whole request with --resp-len bytes. The client records each
 * round trip in the latency histogram. */
#include "workload/work.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct rconn {
	struct pe_work_conn h; /* first: the shared callbacks use it */
	uint64_t t_sent_ns, got, tx_left;
	bool waiting;
};

struct rr {
	uint8_t *buf; /* request/response bytes */
	struct rconn *conns;
	unsigned n;
};

static struct rr *rr_state(struct pe_work *w)
{
	struct rr *s = w->mode;
	size_t len = w->p.len_bytes > w->p.resp_len_bytes ? w->p.len_bytes : w->p.resp_len_bytes;

	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->buf = calloc(1, len);
	if (!s->buf) {
		free(s);
		return NULL;
	}
	memset(s->buf, 'r', len);
	w->mode = s;
	return s;
}

static void send_some(struct rconn *rc, uint64_t total)
{
	struct rr *s = rc->h.w->mode;

	while (rc->tx_left) {
		long r = pe_conn_send(rc->h.c, s->buf + (total - rc->tx_left), rc->tx_left);

		if (r <= 0)
			return; /* on_writable follows */
		rc->tx_left -= (uint64_t)r;
		rc->h.w->cnt.bytes_tx += (uint64_t)r;
	}
}

/* now_ns: the clock read that ended the previous round trip (one read per transaction). */
static void request(struct rconn *rc, uint64_t now_ns)
{
	struct pe_work *w = rc->h.w;

	if (w->stopping) {
		pe_conn_shutdown(rc->h.c);
		return;
	}
	rc->waiting = true;
	rc->got = 0;
	rc->t_sent_ns = now_ns;
	rc->tx_left = w->p.len_bytes;
	w->cnt.msgs_tx++;
	send_some(rc, w->p.len_bytes);
}

static void c_on_open(struct pe_conn *c)
{
	struct rconn *rc = pe_conn_data(c);

	pe_work_conn_hello(rc->h.w, c, rc->h.idx);
	rc->h.w->conns_ready++;
}

static void c_on_data(struct pe_conn *c, const void *data, size_t len)
{
	struct rconn *rc = pe_conn_data(c);
	struct pe_work *w = rc->h.w;

	w->cnt.bytes_rx += len;
	rc->got += len;
	if (rc->waiting && rc->got >= w->p.resp_len_bytes) {
		uint64_t now = pe_now_ns();

		pe_hist_add(w->hist, now - rc->t_sent_ns);
		w->cnt.transactions++;
		w->cnt.msgs_rx++;
		rc->waiting = false;
		request(rc, pe_work_slow_wait(w, now));
	}
}

static void c_on_writable(struct pe_conn *c)
{
	struct rconn *rc = pe_conn_data(c);

	send_some(rc, rc->h.w->p.len_bytes);
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
	struct rr *s = rr_state(w);

	if (!s || !(s->conns = calloc(w->p.conns, sizeof(*s->conns))))
		return -ENOMEM;
	s->n = w->p.conns;
	return pe_work_conn_connect_all(w, s->conns, sizeof(*s->conns), &client_cbs);
}

static void go(struct pe_work *w)
{
	struct rr *s = w->mode;
	unsigned i;

	if (!w->is_client)
		return;
	for (i = 0; i < s->n; i++)
		if (s->conns[i].h.c)
			request(&s->conns[i], pe_now_ns());
}

static void stop(struct pe_work *w)
{
	struct rr *s = w->mode;
	unsigned i;

	if (!w->is_client)
		return;
	for (i = 0; i < s->n; i++)
		if (s->conns[i].h.c && !s->conns[i].waiting)
			pe_conn_shutdown(s->conns[i].h.c);
	if (w->conns_closed >= w->p.conns)
		pe_work_finish(w);
}

/* server: answer each whole request */
static void s_on_open(struct pe_conn *c)
{
	struct pe_work *w = pe_conn_data(c);
	struct rconn *rc = calloc(1, sizeof(*rc));

	if (!rc || !rr_state(w)) {
		free(rc);
		pe_conn_set_data(c, NULL);
		pe_conn_close(c, -ENOMEM, true);
		return;
	}
	rc->h.w = w;
	rc->h.c = c;
	rc->h.idx = w->conns_ready - 1;
	pe_conn_set_data(c, rc);
}

static void s_on_data(struct pe_conn *c, const void *data, size_t len)
{
	struct rconn *rc = pe_conn_data(c);
	struct pe_work *w = rc->h.w;

	w->cnt.bytes_rx += len;
	rc->got += len;
	while (rc->got >= w->p.len_bytes) {
		rc->got -= w->p.len_bytes;
		w->cnt.msgs_rx++;
		w->cnt.transactions++;
		rc->tx_left += w->p.resp_len_bytes;
	}
	if (rc->tx_left) {
		struct rr *s = w->mode;

		while (rc->tx_left) {
			size_t n = rc->tx_left < w->p.resp_len_bytes ? rc->tx_left
								     : w->p.resp_len_bytes;
			long r = pe_conn_send(c, s->buf, n);

			if (r <= 0)
				break;
			rc->tx_left -= (uint64_t)r;
			w->cnt.bytes_tx += (uint64_t)r;
		}
	}
}

static void s_on_writable(struct pe_conn *c)
{
	s_on_data(c, "", 0);
}

static const struct pe_conn_cbs server_cbs = {
	.on_open = s_on_open,
	.on_data = s_on_data,
	.on_eof = pe_work_conn_on_eof,
	.on_writable = s_on_writable,
	.on_close = pe_work_conn_on_close,
};

static void rr_free(struct pe_work *w)
{
	struct rr *s = w->mode;

	if (!s)
		return;
	free(s->conns);
	free(s->buf);
	free(s);
	w->mode = NULL;
}

static const struct pe_work_ops rr_ops = {
	.client_open = client_open,
	.go = go,
	.stop = stop,
	.server_cbs = &server_cbs,
	.free = rr_free,
};

const struct pe_mode_desc pe_mode_rr = {
	.name = "rr",
	.summary = "TCP request/response: one request of -l bytes in flight per connection",
	.params = PE_PBIT(RESP_LEN) | PE_PBIT(CONGESTION),
	.tcp_conns = true,
	.latency = true,
	.nodelay = true,
	.bench_label = "rr",
	.bench_len = 64,
	.bench_conns = 1,
	.ops = &rr_ops,
};
