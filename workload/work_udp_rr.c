/* SPDX-License-Identifier: BSD-2-Clause */
/* udp-rr: UDP request/response. Each of --conns connected UDP sockets keeps one request of -l
 * bytes in flight; the server answers every request datagram with --resp-len bytes to its
 * sender. A request carries the test cookie and a sequence number that the response echoes, so
 * a response that comes after its request was given up is recognised and not counted. A
 * request unanswered for --rr-timeout is a timeout and is sent again with a new number: a lossy
 * path shows loss instead of stalling. */
#include "workload/work.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HDR 16 /* cookie, sequence number (big endian) */

struct usock {
	struct pe_work *w;
	struct pe_udp *u;
	uint64_t seq, t_sent_ns;
	bool waiting, idle;
};

struct urr {
	uint8_t *buf; /* the request (client) or response (server) bytes */
	struct usock *socks;
	unsigned n, idle;
	uint64_t timeout_ns;
	struct pe_timer sweep;
	struct pe_udp *srv; /* server */
	int64_t drop_every; /* test hook: the server leaves every Nth request unanswered */
};

static int urr_state(struct pe_work *w, size_t buf_bytes)
{
	struct urr *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	w->mode = s;
	s->buf = malloc(buf_bytes);
	if (!s->buf)
		return -ENOMEM;
	memset(s->buf, 'u', buf_bytes);
	pe_put_be64(s->buf, w->cookie);
	s->timeout_ns = (uint64_t)(w->p.rr_timeout_s * 1e9);
	pe_timer_init(&s->sweep, NULL, w);
	return 0;
}

/* ---- client ---- */

static void set_idle(struct urr *s, struct usock *us)
{
	if (us->idle)
		return;
	us->idle = true;
	if (++s->idle == s->n)
		pe_work_finish(us->w);
}

/* Sends the next request (a new sequence number) on us; now_ns starts its clock. */
static void request(struct urr *s, struct usock *us, uint64_t now_ns)
{
	struct pe_work *w = us->w;
	struct pe_dgram d = { .data = s->buf, .len = w->p.len_bytes };

	if (w->stopping) {
		set_idle(s, us);
		return;
	}
	pe_put_be64(s->buf + 8, ++us->seq);
	us->waiting = true;
	us->t_sent_ns = now_ns;
	/* a refused send is a lost request: the sweep times it out and sends it again */
	if (pe_udp_send(us->u, &d, 1) == 1) {
		w->cnt.msgs_tx++;
		w->cnt.bytes_tx += w->p.len_bytes;
	} else {
		w->fig.udp_send_errors++;
	}
}

static void c_on_recv(struct pe_udp *u, const struct pe_dgram *d, unsigned n)
{
	struct usock *us = pe_udp_data(u);
	struct pe_work *w = us->w;
	struct urr *s = w->mode;
	unsigned i;

	for (i = 0; i < n; i++) {
		const uint8_t *p = d[i].data;
		uint64_t now;

		if (d[i].len < HDR || pe_get_be64(p) != w->cookie)
			continue;
		if (!us->waiting || pe_get_be64(p + 8) != us->seq) {
			w->fig.rr_late++;
			continue;
		}
		/* the loop's clock, read once when its wait returned: no clock read per response */
		now = pe_loop_now_ns(w->loop);
		pe_hist_add(w->hist, now - us->t_sent_ns);
		w->cnt.transactions++;
		w->cnt.msgs_rx++;
		w->cnt.bytes_rx += d[i].len;
		us->waiting = false;
		request(s, us, pe_work_slow_wait(w, now));
	}
}

static void c_on_error(struct pe_udp *u, int err)
{
	struct usock *us = pe_udp_data(u);

	/* -ECONNREFUSED after an ICMP error: the request is lost and will time out */
	us->w->fig.udp_send_errors++;
	us->w->fig.udp_send_errno = err;
}

static const struct pe_udp_cbs client_cbs = {
	.on_recv = c_on_recv,
	.on_error = c_on_error,
};

/* Every socket waiting longer than the timeout: a timeout, and the request goes again. */
static void sweep(struct pe_loop *l, struct pe_timer *t)
{
	struct pe_work *w = t->data;
	struct urr *s = w->mode;
	uint64_t now = pe_now_ns();
	unsigned i;

	for (i = 0; i < s->n; i++) {
		struct usock *us = &s->socks[i];

		if (!us->waiting || now - us->t_sent_ns < s->timeout_ns)
			continue;
		w->fig.rr_timeouts++;
		us->waiting = false;
		if (!w->stopping)
			w->fig.rr_retries++;
		request(s, us, now);
	}
	if (!w->finished)
		pe_timer_arm(l, t, s->timeout_ns / 8 > 1000000 ? s->timeout_ns / 8 : 1000000);
}

static int client_open(struct pe_work *w)
{
	struct urr *s;
	unsigned i;
	int err = urr_state(w, w->p.len_bytes);

	if (err)
		return err;
	s = w->mode;
	s->socks = calloc(w->p.conns, sizeof(*s->socks));
	if (!s->socks)
		return -ENOMEM;
	for (i = 0; !err && i < w->p.conns; i++) {
		struct usock *us = &s->socks[i];
		struct pe_udp_opts o = { .sz = sizeof(o),
					 .cbs = &client_cbs,
					 .data = us,
					 .peer = &w->data_addr,
					 .sendq_max = 4,
					 .sndbuf_bytes = (int)w->p.window_bytes,
					 .rcvbuf_bytes = (int)w->p.window_bytes };
		struct pe_addr local;

		us->w = w;
		err = pe_udp_open(w->loop, pe_work_local_addr(w, i, &local), &o, &us->u);
		if (!err)
			s->n++;
	}
	return err;
}

static void go(struct pe_work *w)
{
	struct urr *s = w->mode;
	unsigned i;

	if (!w->is_client)
		return;
	for (i = 0; i < s->n; i++)
		request(s, &s->socks[i], pe_now_ns());
	s->sweep.fn = sweep;
	sweep(w->loop, &s->sweep);
}

static void stop(struct pe_work *w)
{
	struct urr *s = w->mode;
	unsigned i;

	if (!w->is_client)
		return;
	/* a socket still waiting ends with its response or its timeout */
	for (i = 0; i < s->n; i++)
		if (!s->socks[i].waiting)
			set_idle(s, &s->socks[i]);
}

/* ---- server ---- */

static void s_on_recv(struct pe_udp *u, const struct pe_dgram *d, unsigned n)
{
	struct pe_work *w = pe_udp_data(u);
	struct urr *s = w->mode;
	unsigned i;

	for (i = 0; i < n; i++) {
		struct pe_dgram r = { .data = s->buf,
				      .len = w->p.resp_len_bytes,
				      .peer = d[i].peer };
		const uint8_t *p = d[i].data;

		if (d[i].len < HDR || pe_get_be64(p) != w->cookie)
			continue;
		w->cnt.msgs_rx++;
		w->cnt.bytes_rx += d[i].len;
		if (s->drop_every > 0 && w->cnt.msgs_rx % (uint64_t)s->drop_every == 0)
			continue;
		memcpy(s->buf + 8, p + 8, 8);
		if (pe_udp_send(u, &r, 1) == 1) {
			w->cnt.transactions++;
			w->cnt.msgs_tx++;
			w->cnt.bytes_tx += r.len;
		} else {
			w->fig.udp_send_errors++;
		}
	}
}

static void s_on_error(struct pe_udp *u, int err)
{
	struct pe_work *w = pe_udp_data(u);

	w->fig.udp_send_errors++;
	w->fig.udp_send_errno = err;
}

static const struct pe_udp_cbs server_cbs = {
	.on_recv = s_on_recv,
	.on_error = s_on_error,
};

static int server_open(struct pe_work *w, const struct pe_addr *local)
{
	struct pe_udp_opts o = { .sz = sizeof(o),
				 .cbs = &server_cbs,
				 .data = w,
				 .sndbuf_bytes = (int)w->p.window_bytes,
				 .rcvbuf_bytes = (int)w->p.window_bytes };
	struct urr *s;
	int err = urr_state(w, w->p.resp_len_bytes);

	if (err)
		return err;
	s = w->mode;
	s->drop_every = pe_test_hook("PKTENG_TEST_UDP_RR_DROP");
	return pe_udp_open(w->loop, local, &o, &s->srv);
}

/* the client's "end": every request it sent is answered or given up */
static void peer_end(struct pe_work *w, const struct pe_figures *peer)
{
	pe_work_finish(w);
}

static void urr_free(struct pe_work *w)
{
	struct urr *s = w->mode;

	if (!s)
		return;
	if (w->loop)
		pe_timer_disarm(w->loop, &s->sweep);
	free(s->socks);
	free(s->buf);
	free(s);
	w->mode = NULL;
}

static const struct pe_work_ops udp_rr_ops = {
	.client_open = client_open,
	.go = go,
	.stop = stop,
	.server_open = server_open,
	.peer_end = peer_end,
	.free = urr_free,
};

/* Few receive buffers: io_uring hands out its provided buffers in turn, and with the default
 * 1024 (512 for UDP) a ping-pong's every datagram landed in a buffer last touched hundreds of
 * messages before, out of cache (the copy to user space was the receive's largest cost). One
 * datagram is in flight per socket, so twice the sockets, at least 16, are enough. Datagrams
 * larger than the default 16 KiB buffers need bigger ones. */
static void udp_rr_loop_opts(const struct pe_params *p, bool server, struct pe_loop_opts *lo)
{
	unsigned n = 16;

	while (n < 2 * p->conns && n < 512)
		n <<= 1;
	lo->buf_count = n;
	if ((server ? p->len_bytes : p->resp_len_bytes) > 16384) {
		lo->buf_bytes = 65536;
		lo->buf_count = n > 64 ? n : 64;
	}
}

static void udp_rr_text(FILE *out, const struct pe_params *p, const struct pe_figures *f)
{
	if (!f->lat_count && !f->rr_timeouts)
		return;
	fprintf(out,
		"        udp-rr: %llu timeouts (%.3f%% of requests), %llu retries, %llu late "
		"responses ignored\n",
		(unsigned long long)f->rr_timeouts,
		f->c.msgs_tx ? 100.0 * (double)f->rr_timeouts / (double)f->c.msgs_tx : 0.0,
		(unsigned long long)f->rr_retries, (unsigned long long)f->rr_late);
}

const struct pe_mode_desc pe_mode_udp_rr = {
	.name = "udp-rr",
	.summary = "UDP request/response: one request in flight per socket, lost ones retried",
	.params = PE_PBIT(RESP_LEN) | PE_PBIT(RR_TIMEOUT),
	.limits = { { PE_P_LEN, HDR, PE_UDP_MAX_BYTES, 64 },
		    { PE_P_RESP_LEN, HDR, PE_UDP_MAX_BYTES, 64 } },
	.latency = true,
	.loop_opts = udp_rr_loop_opts,
	.text = udp_rr_text,
	.bench_label = "udp-rr",
	.bench_len = 64,
	.bench_conns = 1,
	.ops = &udp_rr_ops,
};
