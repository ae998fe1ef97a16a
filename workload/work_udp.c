/* SPDX-License-Identifier: BSD-2-Clause */
/* udp: the client sends datagrams of -l bytes carrying the test cookie, a sequence number and
 * its send time, paced to -b bits/s or --pps (neither: as fast as the socket takes them). The
 * server marks every sequence number it sees in a sliding window (workload/seqwin.h), so loss is
 * exact in bounded memory: datagrams the client says it sent ("end") minus distinct ones
 * received. Jitter is RFC 3550's. */
#include "workload/work.h"
#include "workload/seqwin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdio.h>

#define UDP_HDR	     24
#define BATCH	     64
#define GSO_SEGS_MAX 64 /* UDP_MAX_SEGMENTS on older kernels */

struct udp {
	struct pe_udp *u;
	/* sender */
	uint8_t *bufs;
	struct pe_dgram d[BATCH];
	unsigned segs; /* datagrams per send: 1, or more with --gso */
	unsigned nseg[BATCH];
	uint64_t first_seq[BATCH];
	uint64_t next_seq, pps;
	int64_t skip_every;
	struct pe_timer pace;
	/* receiver */
	struct pe_seqwin win;
	uint64_t unique, foreign, peer_sent;
	bool any;
	int64_t last_transit;
	double jitter;
	struct pe_timer drain;
};

/* Queues up to `want` datagrams (with --gso, up to `segs` of them in each send, which the
 * kernel cuts at len_bytes); returns how many the engine took. */
static uint64_t send_batch(struct pe_work *w, uint64_t want)
{
	struct udp *s = w->mode;
	size_t len = w->p.len_bytes;
	uint64_t done = 0;

	while (done < want && !w->stopping) {
		uint64_t queued = 0;
		unsigned n = 0, i;
		int r;

		while (n < BATCH && done + queued < want) {
			uint8_t *base = s->bufs + (size_t)n * s->segs * len;
			unsigned k = 0;

			s->first_seq[n] = s->next_seq;
			while (k < s->segs && done + queued + k < want) {
				uint64_t seq = s->next_seq++;

				if (s->skip_every > 0 &&
				    seq % (uint64_t)s->skip_every == (uint64_t)s->skip_every - 1)
					continue; /* test hook: a datagram "lost" on purpose */
				pe_put_be64(base + k * len + 8, seq);
				pe_put_be64(base + k * len + 16, pe_now_ns());
				k++;
			}
			if (!k)
				break;
			s->nseg[n] = k;
			s->d[n].len = k * len;
			queued += k;
			n++;
		}
		if (!n)
			break;
		r = pe_udp_send(s->u, s->d, n);
		if (r < 0)
			r = 0;
		/* sequence numbers not taken are given back */
		if ((unsigned)r < n)
			s->next_seq = s->first_seq[r];
		for (i = 0; i < (unsigned)r; i++) {
			w->cnt.msgs_tx += s->nseg[i];
			w->cnt.bytes_tx += (uint64_t)s->nseg[i] * len;
			done += s->nseg[i];
		}
		if ((unsigned)r < n)
			break;
	}
	return done;
}

static void pace_timer(struct pe_loop *l, struct pe_timer *t)
{
	struct pe_work *w = t->data;
	struct udp *s = w->mode;
	uint64_t due;

	if (w->stopping)
		return;
	due = (uint64_t)((double)s->pps * (double)(pe_now_ns() - w->t_go_ns) / 1e9);
	if (due > s->next_seq) {
		/* after a stall, catch up over several ticks rather than in one burst that
		 * overruns the receiver: at most 4 ticks' worth (and 64) per millisecond */
		uint64_t cap = s->pps / 250 > 64 ? s->pps / 250 : 64;

		send_batch(w, due - s->next_seq < cap ? due - s->next_seq : cap);
	}
	pe_timer_arm(l, t, 1000000); /* 1 ms */
}

static void on_writable(struct pe_udp *u)
{
	struct pe_work *w = pe_udp_data(u);
	struct udp *s = w->mode;

	/* unpaced: the driver's poll refills after each iteration; refilling here, inside the
	 * engine's flush, would keep it flushing what we add and never return to the loop */
	(void)s;
}

static void on_error(struct pe_udp *u, int err)
{
	struct pe_work *w = pe_udp_data(u);

	/* a refused datagram is a lost one (the receiver's count shows it); say how many */
	w->fig.udp_send_errors++;
	w->fig.udp_send_errno = err;
}

static void on_datagram(struct pe_work *w, struct udp *s, const uint8_t *p, size_t len,
			uint64_t now);

static void on_recv(struct pe_udp *u, const struct pe_dgram *d, unsigned n)
{
	struct pe_work *w = pe_udp_data(u);
	struct udp *s = w->mode;
	uint64_t now = pe_now_ns();
	unsigned i;

	for (i = 0; i < n; i++) {
		size_t off;

		if (!w->p.gro) {
			on_datagram(w, s, d[i].data, d[i].len, now);
			continue;
		}
		/* with --gro one read holds several datagrams of len_bytes (the last maybe shorter) */
		for (off = 0; off < d[i].len; off += w->p.len_bytes) {
			size_t seg =
				d[i].len - off < w->p.len_bytes ? d[i].len - off : w->p.len_bytes;

			on_datagram(w, s, (const uint8_t *)d[i].data + off, seg, now);
		}
	}
	if (s->peer_sent && s->unique >= s->peer_sent)
		pe_work_finish(w);
}

static void on_datagram(struct pe_work *w, struct udp *s, const uint8_t *p, size_t len,
			uint64_t now)
{
	{
		uint64_t seq;
		int64_t transit, dd;

		if (len < UDP_HDR || pe_get_be64(p) != w->cookie) {
			s->foreign++;
			return;
		}
		w->cnt.msgs_rx++;
		w->cnt.bytes_rx += len;
		seq = pe_get_be64(p + 8);
		switch (pe_seqwin_mark(&s->win, seq)) {
		case PE_SEQ_OUT_OF_WINDOW:
			w->fig.udp_out_of_window++;
			return;
		case PE_SEQ_DUPLICATE:
			w->fig.udp_duplicates++;
			return;
		case PE_SEQ_REORDERED:
			w->fig.udp_reordered++;
			break;
		case PE_SEQ_NEW:
			break;
		}
		s->unique++;
		/* RFC 3550 6.4.1: J += (|D| - J) / 16, D from consecutive arrivals */
		transit = (int64_t)(now - pe_get_be64(p + 16));
		if (s->any) {
			dd = transit - s->last_transit;
			if (dd < 0)
				dd = -dd;
			s->jitter += ((double)dd - s->jitter) / 16.0;
		}
		s->last_transit = transit;
		s->any = true;
	}
}

static const struct pe_udp_cbs cbs = {
	.on_recv = on_recv,
	.on_writable = on_writable,
	.on_error = on_error,
};

static int udp_state(struct pe_work *w)
{
	struct udp *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	w->mode = s;
	pe_timer_init(&s->pace, pace_timer, w);
	pe_timer_init(&s->drain, NULL, w);
	return 0;
}

static int client_open(struct pe_work *w)
{
	struct pe_udp_opts o = { .sz = sizeof(o),
				 .cbs = &cbs,
				 .data = w,
				 .peer = &w->data_addr,
				 .sndbuf_bytes =
					 w->p.window_bytes ? (int)w->p.window_bytes : 4 << 20,
				 .rcvbuf_bytes = (int)w->p.window_bytes };
	struct pe_addr local;
	struct udp *s;
	unsigned i;
	int err;

	if (w->p.len_bytes < UDP_HDR)
		return -EINVAL;
	err = udp_state(w);
	if (err)
		return err;
	s = w->mode;
	s->skip_every = pe_test_hook("PKTENG_TEST_UDP_SKIP");
	s->segs = 1;
	if (w->p.gso) {
		s->segs = GSO_SEGS_MAX;
		if (s->segs > PE_UDP_MAX_BYTES / w->p.len_bytes)
			s->segs = PE_UDP_MAX_BYTES / w->p.len_bytes;
	}
	s->bufs = calloc((size_t)BATCH * s->segs, w->p.len_bytes);
	if (!s->bufs)
		return -ENOMEM;
	for (i = 0; i < BATCH * s->segs; i++)
		pe_put_be64(s->bufs + (size_t)i * w->p.len_bytes, w->cookie);
	for (i = 0; i < BATCH; i++)
		s->d[i].data = s->bufs + (size_t)i * s->segs * w->p.len_bytes;
	s->pps = w->p.rate_pps ? w->p.rate_pps : w->p.rate_bps / (8ull * w->p.len_bytes);
	if (w->p.rate_bps && !s->pps)
		s->pps = 1;
	err = pe_udp_open(w->loop, pe_work_local_addr(w, 0, &local), &o, &s->u);
	if (!err && w->p.gso) {
		int gso = (int)w->p.len_bytes;

		/* the kernel cuts each send into datagrams of len_bytes (UDP_SEGMENT) */
		if (setsockopt(pe_udp_fd(s->u), SOL_UDP, UDP_SEGMENT, &gso, sizeof(gso)))
			return -errno;
	}
	return err;
}

static int server_open(struct pe_work *w, const struct pe_addr *local)
{
	/* -w sets both buffers; without it the receiver asks for 8 MiB */
	struct pe_udp_opts o = { .sz = sizeof(o),
				 .cbs = &cbs,
				 .data = w,
				 .sndbuf_bytes = (int)w->p.window_bytes,
				 .rcvbuf_bytes =
					 w->p.window_bytes ? (int)w->p.window_bytes : 8 << 20 };
	int err = udp_state(w), big = 8 << 20;

	if (err)
		return err;
	err = pe_seqwin_init(&((struct udp *)w->mode)->win);
	if (err)
		return err;
	err = pe_udp_open(w->loop, local, &o, &((struct udp *)w->mode)->u);
	/* SO_RCVBUF stops at net.core.rmem_max (208 KiB by default: a 30 ms stall at 20 kpps);
	 * with CAP_NET_ADMIN the receiver gets its 8 MiB anyway */
	if (!err && !w->p.window_bytes)
		setsockopt(pe_udp_fd(((struct udp *)w->mode)->u), SOL_SOCKET, SO_RCVBUFFORCE, &big,
			   sizeof(big));
	if (!err && w->p.gro) {
		int one = 1;

		/* datagrams of one GSO send stay together (UDP_GRO); on_recv cuts them */
		if (setsockopt(pe_udp_fd(((struct udp *)w->mode)->u), SOL_UDP, UDP_GRO, &one,
			       sizeof(one)))
			return -errno;
	}
	return err;
}

static void go(struct pe_work *w)
{
	struct udp *s = w->mode;

	if (!w->is_client)
		return;
	if (s->pps) {
		pace_timer(w->loop, &s->pace);
	} else {
		w->busy = true;
		send_batch(w, UINT64_MAX);
	}
}

static void poll_fill(struct pe_work *w)
{
	send_batch(w, UINT64_MAX);
}

static void stop(struct pe_work *w)
{
	struct udp *s = w->mode;

	if (w->is_client) {
		pe_timer_disarm(w->loop, &s->pace);
		pe_work_finish(w);
	}
}

static void drain_timer(struct pe_loop *l, struct pe_timer *t)
{
	pe_work_finish(t->data);
}

static void peer_end(struct pe_work *w, const struct pe_figures *peer)
{
	struct udp *s = w->mode;

	s->peer_sent = peer->udp_sent;
	w->stopping = true;
	if (s->unique >= s->peer_sent) {
		pe_work_finish(w);
		return;
	}
	/* datagrams still in the socket buffer: read them for up to 200 ms */
	s->drain.fn = drain_timer;
	pe_timer_arm(w->loop, &s->drain, 200000000ull);
}

/* What the kernel dropped on this socket because its receive buffer was full (sk_drops: the
 * last column of its line in /proc/net/udp or udp6, found by the socket's inode): packets,
 * so with UDP_GRO one drop may be a train of up to 64 datagrams; 0 when it cannot tell. */
static uint64_t sock_drops(int fd)
{
	static const char *const files[] = { "/proc/net/udp", "/proc/net/udp6" };
	unsigned long long inode, drops;
	struct stat st;
	char line[512];

	if (fd < 0 || fstat(fd, &st))
		return 0;
	for (unsigned i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "re");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref ptr drops */
			if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %*s %*s %llu",
				   &inode, &drops) == 2 &&
			    inode == (unsigned long long)st.st_ino) {
				fclose(f);
				return drops;
			}
		}
		fclose(f);
	}
	return 0;
}

static void figures(struct pe_work *w, struct pe_figures *f)
{
	struct udp *s = w->mode;

	if (!s)
		return;
	if (w->is_client) {
		f->udp_sent = s->next_seq;
		return;
	}
	f->udp_sent = s->peer_sent;
	f->udp_received = s->unique;
	f->udp_lost = s->peer_sent > s->unique ? s->peer_sent - s->unique : 0;
	f->jitter_ns = s->jitter;
	f->udp_rcvbuf_drops = sock_drops(pe_udp_fd(s->u));
}

static void udp_free(struct pe_work *w)
{
	struct udp *s = w->mode;

	if (!s)
		return;
	free(s->bufs);
	pe_seqwin_free(&s->win);
	free(s);
	w->mode = NULL;
}

static const struct pe_work_ops udp_ops = {
	.client_open = client_open,
	.go = go,
	.stop = stop,
	.server_open = server_open,
	.peer_end = peer_end,
	.poll = poll_fill,
	.figures = figures,
	.free = udp_free,
};

static int udp_check(const struct pe_params *p, char *err, size_t errlen)
{
	if (p->rate_bps && p->rate_pps) {
		snprintf(err, errlen, "-b and --pps exclude each other");
		return -EINVAL;
	}
	if (p->gso && p->no_gso) {
		snprintf(err, errlen, "--gso and --no-gso exclude each other");
		return -EINVAL;
	}
	return 0;
}

static void udp_loop_opts(const struct pe_params *p, bool server, struct pe_loop_opts *lo)
{
	if (server && p->gro) {
		lo->buf_bytes = 65536; /* a whole GRO train of datagrams */
		lo->buf_count = 256;
	}
}

static void udp_text(FILE *out, const struct pe_params *p, const struct pe_figures *f)
{
	double s = f->seconds > 0 ? f->seconds : 1e-9;
	char where[96] = "";

	if (!f->udp_received && !f->udp_lost)
		return;
	if (f->udp_rcvbuf_drops)
		snprintf(where, sizeof(where),
			 "; the receiver's full socket buffer dropped %llu %s",
			 (unsigned long long)f->udp_rcvbuf_drops,
			 f->udp_rcvbuf_drops == 1 ? "packet" : "packets");
	fprintf(out,
		"        udp: %llu received (%.0f/s), %llu lost (%.3f%%%s), %llu reordered, "
		"%llu duplicates, %llu out of window, jitter %.1f us\n",
		(unsigned long long)f->udp_received, (double)f->udp_received / s,
		(unsigned long long)f->udp_lost,
		f->udp_sent ? 100.0 * (double)f->udp_lost / (double)f->udp_sent : 0.0, where,
		(unsigned long long)f->udp_reordered, (unsigned long long)f->udp_duplicates,
		(unsigned long long)f->udp_out_of_window, f->jitter_ns / 1e3);
}

const struct pe_mode_desc pe_mode_udp = {
	.name = "udp",
	.summary = "paced datagrams: loss, reordering, duplicates, jitter",
	.params = PE_PBIT(RATE_BPS) | PE_PBIT(RATE_PPS) | PE_PBIT(GSO) | PE_PBIT(NO_GSO) |
		  PE_PBIT(GRO),
	.limits = { { PE_P_LEN, UDP_HDR, PE_UDP_MAX_BYTES, 64 } },
	.check = udp_check,
	.loop_opts = udp_loop_opts,
	.text = udp_text,
	.bench_label = "udp",
	.bench_len = 64,
	.bench_conns = 1,
	.ops = &udp_ops,
};
