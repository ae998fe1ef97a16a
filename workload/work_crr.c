/* SPDX-License-Identifier: BSD-2-Clause */
/* crr: connect, request, response, close, for every transaction. Each of --conns slots runs
 * one transaction at a time; the server closes first after its response, so the client's
 * ports do not pile up in TIME_WAIT. Latency covers the whole connect-to-response. */
#include "workload/work.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	struct pe_work *w;
	struct pe_conn *c;
	uint32_t idx;
	uint64_t t0_ns, got;
	bool done; /* the response of this connection arrived */
};

struct crr {
	uint8_t *buf; /* header + request, or the response */
	size_t buf_len;
	struct slot *slots;
	unsigned n, active;
};

static int crr_state(struct pe_work *w)
{
	struct crr *s;
	size_t len = PE_DATA_HDR + w->p.len_bytes;

	if (w->mode)
		return 0;
	if (len < w->p.resp_len_bytes)
		len = w->p.resp_len_bytes;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->buf = malloc(len))) {
		free(s);
		return -ENOMEM;
	}
	memset(s->buf, 'c', len);
	s->buf_len = len;
	w->mode = s;
	return 0;
}

static const struct pe_conn_cbs client_cbs;

static void start(struct slot *sl)
{
	struct pe_work *w = sl->w;
	struct crr *s = w->mode;
	struct pe_conn_opts o;
	struct pe_addr local;
	int err;

	pe_work_conn_opts(w, 0, &o, &local);
	o.cbs = &client_cbs;
	o.data = sl;
	o.nodelay = true;

	if (w->stopping) {
		if (--s->active == 0)
			pe_work_finish(w);
		return;
	}
	sl->t0_ns = pe_now_ns();
	sl->got = 0;
	sl->done = false;
	err = pe_connect(w->loop, &w->data_addr, &o, &sl->c);
	if (!err)
		err = pe_work_conn_cc(w, sl->c);
	if (err)
		pe_work_fail(w, "connect: %s", strerror(-err));
}

static void c_on_open(struct pe_conn *c)
{
	struct slot *sl = pe_conn_data(c);
	struct crr *s = sl->w->mode;

	/* header and request leave in one segment */
	pe_data_hdr_put(s->buf, sl->w->cookie, sl->idx);
	if (pe_conn_send(c, s->buf, PE_DATA_HDR + sl->w->p.len_bytes) > 0) {
		sl->w->cnt.bytes_tx += sl->w->p.len_bytes;
		sl->w->cnt.msgs_tx++;
	}
}

static void c_on_data(struct pe_conn *c, const void *data, size_t len)
{
	struct slot *sl = pe_conn_data(c);
	struct pe_work *w = sl->w;

	w->cnt.bytes_rx += len;
	if (sl->c != c) /* the slot has moved on to its next connection */
		return;
	sl->got += len;
	if (!sl->done && sl->got >= w->p.resp_len_bytes) {
		sl->done = true;
		pe_hist_add(w->hist, pe_now_ns() - sl->t0_ns);
		w->cnt.transactions++;
		w->cnt.msgs_rx++;
		pe_work_slow_wait(w, 0); /* before the close, so the next connection waits too */
		pe_conn_close(c, 0, false);
		/* The next transaction starts now, as a blocking client's would after close(), not
		 * when the engine has finished with this socket (io_uring first cancels the
		 * receive in flight). When stopping, the slot winds down in c_on_close instead. */
		if (!w->stopping && !w->finished) {
			sl->c = NULL;
			start(sl);
		}
	}
}

static void c_on_close(struct pe_conn *c, int err)
{
	struct slot *sl = pe_conn_data(c);

	if (sl->c != c) /* a finished transaction's connection: the slot has moved on */
		return;
	sl->c = NULL;
	if (!sl->done && !sl->w->failed && err != -ECANCELED) {
		pe_work_fail(sl->w, "transaction on slot %u: %s", sl->idx,
			     err ? strerror(-err) : "closed before the response");
		return;
	}
	if (err != -ECANCELED && !sl->w->finished)
		start(sl);
}

static const struct pe_conn_cbs client_cbs = {
	.on_open = c_on_open,
	.on_data = c_on_data,
	.on_eof = NULL,
	.on_close = c_on_close,
};

static int client_open(struct pe_work *w)
{
	struct crr *s;
	int err = crr_state(w);

	if (err)
		return err;
	s = w->mode;
	s->slots = calloc(w->p.conns, sizeof(*s->slots));
	if (!s->slots)
		return -ENOMEM;
	s->n = w->p.conns;
	return 0;
}

static void go(struct pe_work *w)
{
	struct crr *s = w->mode;
	unsigned i;

	if (!w->is_client)
		return;
	s->active = s->n;
	for (i = 0; i < s->n; i++) {
		s->slots[i].w = w;
		s->slots[i].idx = i;
		start(&s->slots[i]);
	}
}

static void stop(struct pe_work *w)
{
	/* client: slots wind down as their transactions end (start() sees stopping) */
	if (!w->is_client)
		pe_work_finish(w);
}

/* server: one request in, one response out, then close our side */
static void s_on_open(struct pe_conn *c)
{
	struct pe_work *w = pe_conn_data(c);
	uint64_t *got = calloc(1, sizeof(*got) * 2);

	if (!got || crr_state(w)) {
		free(got);
		pe_conn_set_data(c, NULL);
		pe_conn_close(c, -ENOMEM, true);
		return;
	}
	got[1] = (uint64_t)(uintptr_t)w;
	pe_conn_set_data(c, got);
}

static void s_on_data(struct pe_conn *c, const void *data, size_t len)
{
	uint64_t *got = pe_conn_data(c);
	struct pe_work *w = (struct pe_work *)(uintptr_t)got[1];
	struct crr *s = w->mode;

	w->cnt.bytes_rx += len;
	if (got[0] < w->p.len_bytes && (got[0] += len) >= w->p.len_bytes) {
		if (pe_conn_send(c, s->buf, w->p.resp_len_bytes) > 0)
			w->cnt.bytes_tx += w->p.resp_len_bytes;
		w->cnt.transactions++;
		w->cnt.msgs_rx++;
		pe_conn_shutdown(c);
	}
}

static void s_on_eof(struct pe_conn *c)
{
	pe_conn_shutdown(c);
}

static void s_on_close(struct pe_conn *c, int err)
{
	free(pe_conn_data(c));
}

static const struct pe_conn_cbs server_cbs = {
	.on_open = s_on_open,
	.on_data = s_on_data,
	.on_eof = s_on_eof,
	.on_close = s_on_close,
};

static void peer_end(struct pe_work *w, const struct pe_figures *peer)
{
	pe_work_stop(w);
}

static void crr_free(struct pe_work *w)
{
	struct crr *s = w->mode;

	if (!s)
		return;
	free(s->slots);
	free(s->buf);
	free(s);
	w->mode = NULL;
}

static const struct pe_work_ops crr_ops = {
	.client_open = client_open,
	.go = go,
	.stop = stop,
	.server_cbs = &server_cbs,
	.peer_end = peer_end,
	.free = crr_free,
};

const struct pe_mode_desc pe_mode_crr = {
	.name = "crr",
	.summary = "TCP connect, request, response, close",
	.params = PE_PBIT(RESP_LEN) | PE_PBIT(CONGESTION),
	.latency = true,
	.nodelay = true,
	.ops = &crr_ops,
};
