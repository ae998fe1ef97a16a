/* SPDX-License-Identifier: BSD-2-Clause */
/* What every workload shares: the life cycle of one side of a test (go, stop, finish), the
 * data-connection header, interval and stop timers, TCP_INFO, the stream pattern, test hooks. */
#include "workload/work.h"

#include <errno.h>
#include <linux/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

unsigned pe_work_bulk_bufs(const struct pe_params *p)
{
	/* a receive completion holds a buffer only while on_data runs, so a few per flow keep
	 * the multishot receives fed; ENOBUFS (re-arm) is the cost of too few */
	unsigned want = p->conns > 2 ? 4 * p->conns : 8, n = 8;

	while (n < want && n < 64)
		n *= 2;
	return n;
}

void pe_work_bulk_loop_opts(const struct pe_params *p, bool server, struct pe_loop_opts *lo)
{
	/* bulk modes read in large chunks: fewer receive completions per byte */
	lo->buf_bytes = PE_BULK_BUF_BYTES;
	lo->buf_count = pe_work_bulk_bufs(p);
}

void pe_work_loop_opts(const struct pe_params *p, enum pe_backend b, bool server,
		       struct pe_loop_opts *lo)
{
	const struct pe_mode_desc *d = pe_mode_desc(p->mode);

	memset(lo, 0, sizeof(*lo));
	lo->sz = sizeof(*lo);
	lo->backend = b;
	lo->zc_min_bytes = p->zerocopy ? 0 : SIZE_MAX;
	lo->busy_poll_us = p->spin_us;
	if (d && d->loop_opts)
		d->loop_opts(p, server, lo);
}

unsigned pe_work_tcp_conns(const struct pe_params *p)
{
	const struct pe_mode_desc *d = pe_mode_desc(p->mode);

	return d && d->tcp_conns ? p->conns : 0;
}

int pe_work_init(struct pe_work *w, struct pe_loop *l, const struct pe_params *p, bool is_client)
{
	memset(w, 0, sizeof(*w));
	w->loop = l;
	w->p = *p;
	w->is_client = is_client;
	if (!pe_mode_desc(p->mode))
		return -EINVAL;
	w->ops = pe_mode_desc(p->mode)->ops;
	pe_figures_init(&w->fig);
	if (is_client && pe_mode_desc(p->mode)->latency) {
		w->hist = malloc(sizeof(*w->hist));
		if (!w->hist)
			return -ENOMEM;
		pe_hist_reset(w->hist);
		w->slow_pct = pe_test_hook("PKTENG_TEST_SLOW_PCT");
		if (w->slow_pct > PE_WORK_SLOW_PCT_MAX)
			w->slow_pct = PE_WORK_SLOW_PCT_MAX;
	}
	pe_timer_init(&w->t_stop, NULL, w);
	pe_timer_init(&w->t_interval, NULL, w);
	pe_timer_init(&w->t_omit, NULL, w);
	return 0;
}

void pe_work_free(struct pe_work *w)
{
	if (w->loop) {
		pe_timer_disarm(w->loop, &w->t_stop);
		pe_timer_disarm(w->loop, &w->t_interval);
		pe_timer_disarm(w->loop, &w->t_omit);
	}
	if (w->ops && w->ops->free)
		w->ops->free(w);
	free(w->hist);
	w->hist = NULL;
}

static void stop_timer(struct pe_loop *l, struct pe_timer *t)
{
	pe_work_stop(t->data);
}

/* The counts since the last interval, which ends here. */
static void counts_since(struct pe_work *w, struct pe_counts *d)
{
	d->bytes_tx = w->cnt.bytes_tx - w->last.bytes_tx;
	d->bytes_rx = w->cnt.bytes_rx - w->last.bytes_rx;
	d->msgs_tx = w->cnt.msgs_tx - w->last.msgs_tx;
	d->msgs_rx = w->cnt.msgs_rx - w->last.msgs_rx;
	d->transactions = w->cnt.transactions - w->last.transactions;
	w->last = w->cnt;
}

/* Intervals end on the fixed boundaries of w->iv (raw/interval.h), as every command's do. */
static void interval_timer(struct pe_loop *l, struct pe_timer *t)
{
	struct pe_work *w = t->data;
	uint64_t now = pe_now_ns();
	struct pe_counts d;
	double t0, t1;

	if (pe_interval_due(&w->iv, now, &t0, &t1)) {
		counts_since(w, &d);
		if (w->on_interval)
			w->on_interval(w, t0, t1, &d);
	}
	if (!w->finished && w->iv.next_ns)
		pe_timer_arm(l, t, w->iv.next_ns > now ? w->iv.next_ns - now : 0);
}

/* -O: the summary starts here; what came before is left out of counts, time, CPU and latency. */
static void omit_timer(struct pe_loop *l, struct pe_timer *t)
{
	struct pe_work *w = t->data;

	(void)l;
	if (w->finished)
		return;
	w->omit_base = w->cnt;
	w->t_fig_ns = pe_now_ns();
	pe_cpu_now(&w->cpu_go);
	if (w->hist)
		pe_hist_reset(w->hist);
}

void pe_work_go(struct pe_work *w)
{
	w->going = true;
	w->t_go_ns = pe_now_ns();
	w->t_fig_ns = w->t_go_ns;
	w->slow_last_ns = w->t_go_ns;
	pe_cpu_now(&w->cpu_go);
	w->t_stop.fn = stop_timer;
	w->t_interval.fn = interval_timer;
	if (w->p.duration_s > 0 && (w->is_client || w->p.reverse || w->p.bidir))
		pe_timer_arm(w->loop, &w->t_stop, (uint64_t)(w->p.duration_s * 1e9));
	if (w->interval_s > 0 && w->on_interval &&
	    !pe_interval_start_at(&w->iv, w->t_go_ns, w->interval_s, 0))
		pe_timer_arm(w->loop, &w->t_interval, w->iv.next_ns - w->t_go_ns);
	if (w->p.omit_s > 0) {
		w->t_omit.fn = omit_timer;
		pe_timer_arm(w->loop, &w->t_omit, (uint64_t)(w->p.omit_s * 1e9));
	}
	if (w->ops->go)
		w->ops->go(w);
}

void pe_work_stop(struct pe_work *w)
{
	if (w->stopping)
		return;
	w->stopping = true;
	if (w->ops->stop)
		w->ops->stop(w);
	else
		pe_work_finish(w);
}

void pe_work_finish(struct pe_work *w)
{
	if (w->finished)
		return;
	w->finished = true;
	w->t_end_ns = pe_now_ns();
	/* the last, partial interval line */
	if (pe_timer_armed(&w->t_interval) && w->on_interval) {
		double t1 = (double)(w->t_end_ns - w->t_go_ns) / 1e9;
		double t0 = (double)(w->iv.last_ns - w->t_go_ns) / 1e9;

		if (t1 - t0 > 0.01) {
			struct pe_counts d;

			counts_since(w, &d);
			w->on_interval(w, t0, t1, &d);
		}
	}
	pe_timer_disarm(w->loop, &w->t_stop);
	pe_timer_disarm(w->loop, &w->t_interval);
	pe_timer_disarm(w->loop, &w->t_omit);
	pe_loop_stop(w->loop);
}

void pe_work_fail(struct pe_work *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->failed) {
		w->failed = true;
		va_start(ap, fmt);
		vsnprintf(w->error, sizeof(w->error), fmt, ap);
		va_end(ap);
	}
	w->stopping = true;
	pe_work_finish(w);
}

void pe_work_figures(struct pe_work *w, struct pe_figures *f)
{
	struct pe_cpu now;
	uint64_t end = w->t_end_ns ? w->t_end_ns : pe_now_ns();

	*f = w->fig;
	f->c = w->cnt;
	f->c.bytes_tx -= w->omit_base.bytes_tx;
	f->c.bytes_rx -= w->omit_base.bytes_rx;
	f->c.msgs_tx -= w->omit_base.msgs_tx;
	f->c.msgs_rx -= w->omit_base.msgs_rx;
	f->c.transactions -= w->omit_base.transactions;
	f->seconds = w->t_go_ns ? (double)(end - w->t_fig_ns) / 1e9 : 0;
	pe_cpu_now(&now);
	if (w->t_go_ns)
		pe_cpu_pct(&w->cpu_go, &now, &f->user_pct, &f->sys_pct);
	if (w->hist)
		pe_figures_set_hist(f, w->hist);
	if (w->ops->figures)
		w->ops->figures(w, f);
	if (w->failed) {
		f->ok = false;
		snprintf(f->error, sizeof(f->error), "%s", w->error);
	} else if (f->verify_errors) {
		f->ok = false;
		snprintf(f->error, sizeof(f->error),
			 "data corrupted: %llu mismatched bytes, first at "
			 "offset %lld",
			 (unsigned long long)f->verify_errors, (long long)f->first_bad_offset);
	}
}

long pe_work_conn_hello(struct pe_work *w, struct pe_conn *c, uint32_t idx)
{
	uint8_t hdr[PE_DATA_HDR];

	pe_data_hdr_put(hdr, w->cookie, idx);
	return pe_conn_send(c, hdr, sizeof(hdr));
}

void pe_work_tcp_info(struct pe_work *w, struct pe_conn *c)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(pe_conn_fd(c), IPPROTO_TCP, TCP_INFO, &ti, &len))
		return;
	w->fig.tcpi_bytes_acked += ti.tcpi_bytes_acked;
	w->fig.tcpi_bytes_received += ti.tcpi_bytes_received;
}

void pe_work_conn_on_eof(struct pe_conn *c)
{
	struct pe_work_conn *h = pe_conn_data(c);

	if (h)
		pe_work_tcp_info(h->w, c);
	pe_conn_shutdown(c);
}

void pe_work_conn_on_close(struct pe_conn *c, int err)
{
	struct pe_work_conn *h = pe_conn_data(c);
	struct pe_work *w;

	if (!h)
		return;
	w = h->w;
	h->c = NULL;
	w->conns_closed++;
	if (err && err != -ECANCELED && !w->failed)
		pe_work_fail(w, "connection %u closed: %s", h->idx, strerror(-err));
	if (!w->is_client)
		free(h);
	if (w->conns_closed >= w->p.conns)
		pe_work_finish(w);
}

void pe_work_conn_opts(struct pe_work *w, uint32_t idx, struct pe_conn_opts *o,
		       struct pe_addr *local)
{
	*o = (struct pe_conn_opts){ .sz = sizeof(*o),
				    .nodelay = pe_mode_desc(w->p.mode)->nodelay,
				    .connect_timeout_ms = w->connect_timeout_ms > 0
								  ? (uint64_t)w->connect_timeout_ms
								  : 5000,
				    .sndbuf_bytes = (int)w->p.window_bytes,
				    .rcvbuf_bytes = (int)w->p.window_bytes };
	o->bind = pe_work_local_addr(w, idx, local);
}

const struct pe_addr *pe_work_local_addr(struct pe_work *w, uint32_t idx, struct pe_addr *local)
{
	if (!w->cport)
		return NULL;
	if (pe_addr_any(local, w->data_addr.sa.sa_family, (uint16_t)(w->cport + idx)))
		return NULL;
	return local;
}

int pe_work_conn_cc(struct pe_work *w, struct pe_conn *c)
{
	if (!w->p.congestion[0])
		return 0;
	if (setsockopt(pe_conn_fd(c), IPPROTO_TCP, TCP_CONGESTION, w->p.congestion,
		       (socklen_t)strlen(w->p.congestion)))
		return -errno;
	return 0;
}

int pe_work_conn_connect_all(struct pe_work *w, void *conns, size_t elem_bytes,
			     const struct pe_conn_cbs *cbs)
{
	unsigned i;
	int err = 0;

	for (i = 0; !err && i < w->p.conns; i++) {
		struct pe_work_conn *h = (void *)((uint8_t *)conns + i * elem_bytes);
		struct pe_conn_opts o;
		struct pe_addr local;

		pe_work_conn_opts(w, i, &o, &local);
		o.cbs = cbs;
		o.data = h;
		o.nodelay = true;
		h->w = w;
		h->idx = i;
		err = pe_connect(w->loop, &w->data_addr, &o, &h->c);
		if (!err)
			err = pe_work_conn_cc(w, h->c);
	}
	return err;
}

void pe_work_flow_tcp(struct pe_conn *c, struct pe_flow *f)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (!c || getsockopt(pe_conn_fd(c), IPPROTO_TCP, TCP_INFO, &ti, &len))
		return;
	f->have_tcp = true;
	f->retrans = ti.tcpi_total_retrans;
	f->cwnd_bytes = (uint64_t)ti.tcpi_snd_cwnd * ti.tcpi_snd_mss;
}

/* ---- server side: the data header ---- */

struct hdr_wait {
	struct pe_work *w;
	unsigned have;
	uint8_t buf[PE_DATA_HDR];
};

static struct pe_work *conn_work(struct pe_conn *c)
{
	struct pe_listener *ls = pe_conn_listener(c);

	return ls ? pe_listener_data(ls) : NULL;
}

static void hdr_on_data(struct pe_conn *c, const void *data, size_t len)
{
	struct pe_work *w = conn_work(c);
	struct hdr_wait *hw = pe_conn_data(c) != w ? pe_conn_data(c) : NULL;
	const uint8_t *p = data;
	const uint8_t *hdr;
	uint32_t idx;
	size_t take;

	if (!w) {
		pe_conn_close(c, -EPROTO, true);
		return;
	}
	if (!hw && len >= PE_DATA_HDR) {
		hdr = p;
		take = PE_DATA_HDR;
	} else {
		if (!hw) {
			hw = calloc(1, sizeof(*hw));
			if (!hw) {
				pe_conn_close(c, -ENOMEM, true);
				return;
			}
			hw->w = w;
			pe_conn_set_data(c, hw);
		}
		take = PE_DATA_HDR - hw->have < len ? PE_DATA_HDR - hw->have : len;
		memcpy(hw->buf + hw->have, p, take);
		hw->have += (unsigned)take;
		if (hw->have < PE_DATA_HDR)
			return;
		hdr = hw->buf;
	}
	if (pe_data_hdr_check(hdr, w->cookie, &idx)) {
		free(hw);
		pe_conn_set_data(c, w);
		pe_conn_close(c, -EPROTO, true);
		return;
	}
	free(hw);
	pe_conn_set_data(c, w);
	idx = (uint32_t)-pe_work_conn_cc(w, c);
	if (idx)
		pe_work_fail(w, "-C %s: %s", w->p.congestion, strerror((int)idx));
	w->conns_ready++;
	pe_conn_set_cbs(c, w->ops->server_cbs);
	if (w->ops->server_cbs->on_open)
		w->ops->server_cbs->on_open(c);
	if (len > take && w->ops->server_cbs->on_data)
		w->ops->server_cbs->on_data(c, p + take, len - take);
}

static void hdr_on_close(struct pe_conn *c, int err)
{
	struct pe_work *w = conn_work(c);

	if (w && pe_conn_data(c) != w)
		free(pe_conn_data(c));
}

static void hdr_on_eof(struct pe_conn *c)
{
	pe_conn_close(c, -EPROTO, false);
}

const struct pe_conn_cbs pe_work_accept_cbs = {
	.on_data = hdr_on_data,
	.on_eof = hdr_on_eof,
	.on_close = hdr_on_close,
};

/* ---- pattern and hooks ---- */

uint8_t *pe_pattern_new(uint64_t key)
{
	uint8_t *p = malloc(2 * (size_t)PE_PATTERN_PERIOD);
	uint64_t x = key * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
	size_t i;

	if (!p)
		return NULL;
	for (i = 0; i < PE_PATTERN_PERIOD; i++) {
		/* xorshift64*: cheap, keyed, no period shorter than the buffer */
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		p[i] = (uint8_t)((x * 0x2545F4914F6CDD1Dull) >> 56);
	}
	memcpy(p + PE_PATTERN_PERIOD, p, PE_PATTERN_PERIOD);
	return p;
}

uint64_t pe_work_slow_wait(struct pe_work *w, uint64_t now_ns)
{
	uint64_t t, until;

	if (w->slow_pct <= 0)
		return now_ns;
	t = pe_now_ns();
	/* the time since the previous wait ended: one round trip for one connection; with
	 * many, the loop's share of each, so the loop spends N% more time in all */
	until = t + (t - w->slow_last_ns) * (uint64_t)w->slow_pct / 100;
	while (t < until)
		t = pe_now_ns();
	w->slow_last_ns = t;
	return t;
}

int64_t pe_test_hook(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long long n;

	if (!v || !*v)
		return -1;
	n = strtoll(v, &end, 0);
	return *end || n < 0 ? -1 : n;
}
