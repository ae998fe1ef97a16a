/* SPDX-License-Identifier: BSD-2-Clause */
/* stream: bulk TCP in one direction (client to server, -R the other way) or both (--bidir),
 * over -P flows. Senders queue windows of a keyed pattern without copying (pe_conn_send_ref,
 * SEND_ZC on io_uring with --zerocopy; sendfile from a memfd on epoll), receivers count and,
 * with --verify, compare every byte with the pattern at its offset. */
#include "workload/work.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define FILE_INFLIGHT_MAX (4u << 20)

struct sconn {
	struct pe_work *w;
	struct pe_conn *c;
	uint32_t idx;
	uint64_t tx_off, rx_off, file_inflight;
	bool tx_done;
	bool skip; /* --skip-rx-copy: the loop's reads are paused, stream_poll discards */
};

struct stream {
	uint8_t *pattern;
	int memfd; /* the pattern as a file, for sendfile/splice zero copy; -1 if unused */
	struct sconn **conns;
	unsigned nconns, cap;
	int64_t corrupt_at;
};

static bool i_send(const struct pe_work *w)
{
	bool client_sends = !w->p.reverse || w->p.bidir;
	bool server_sends = w->p.reverse || w->p.bidir;

	return w->is_client ? client_sends : server_sends;
}

static struct stream *st(struct pe_work *w)
{
	return w->mode;
}

static int stream_state(struct pe_work *w)
{
	struct stream *s;

	if (w->mode)
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->memfd = -1;
	s->corrupt_at = pe_test_hook("PKTENG_TEST_CORRUPT_OFFSET");
	s->pattern = pe_pattern_new(w->cookie);
	if (!s->pattern) {
		free(s);
		return -ENOMEM;
	}
	if (w->p.zerocopy && pe_loop_backend(w->loop) == PE_BACKEND_EPOLL) {
		s->memfd = memfd_create("pkteng-pattern", MFD_CLOEXEC);
		if (s->memfd >= 0 && write(s->memfd, s->pattern, 2 * (size_t)PE_PATTERN_PERIOD) !=
					     (ssize_t)(2 * (size_t)PE_PATTERN_PERIOD)) {
			close(s->memfd);
			s->memfd = -1;
		}
	}
	w->mode = s;
	return 0;
}

static int add_conn(struct pe_work *w, struct sconn *sc)
{
	struct stream *s = st(w);

	if (s->nconns == s->cap) {
		unsigned ncap = s->cap ? s->cap * 2 : 8;
		struct sconn **n = realloc(s->conns, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->conns = n;
		s->cap = ncap;
	}
	s->conns[s->nconns++] = sc;
	return 0;
}

static void file_done(struct pe_conn *c, void *arg, int err)
{
	struct sconn *sc = pe_conn_data(c);

	if (sc)
		sc->file_inflight -= (uint64_t)(uintptr_t)arg;
}

static void fill(struct sconn *sc)
{
	struct pe_work *w = sc->w;
	struct stream *s = st(w);
	uint64_t total = w->p.bytes_total;

	while (!sc->tx_done && !w->stopping) {
		uint64_t len = w->p.len_bytes, off = sc->tx_off % PE_PATTERN_PERIOD;
		long r;

		if (len > PE_PATTERN_PERIOD)
			len = PE_PATTERN_PERIOD;
		if (total && total - sc->tx_off < len)
			len = total - sc->tx_off;
		if (s->corrupt_at >= 0 && sc->idx == 0 && (uint64_t)s->corrupt_at >= sc->tx_off &&
		    (uint64_t)s->corrupt_at < sc->tx_off + len) {
			/* test hook: this block leaves with one byte flipped */
			uint8_t *tmp = malloc(len);

			if (!tmp) {
				pe_work_fail(w, "out of memory");
				return;
			}
			memcpy(tmp, s->pattern + off, len);
			tmp[(uint64_t)s->corrupt_at - sc->tx_off] ^= 0x5a;
			r = pe_conn_send(sc->c, tmp, len);
			free(tmp);
			if (r < 0)
				break;
			len = (uint64_t)r;
		} else if (s->memfd >= 0) {
			if (sc->file_inflight >= FILE_INFLIGHT_MAX) {
				pe_conn_want_writable(sc->c);
				break;
			}
			r = pe_conn_send_file(sc->c, s->memfd, off, len, file_done,
					      (void *)(uintptr_t)len);
			if (r < 0)
				break;
			sc->file_inflight += len;
		} else {
			r = pe_conn_send_ref(sc->c, s->pattern + off, len, NULL, NULL);
			if (r < 0)
				break;
		}
		sc->tx_off += len;
		w->cnt.bytes_tx += len;
		w->cnt.msgs_tx++;
		if (total && sc->tx_off >= total) {
			sc->tx_done = true;
			pe_conn_shutdown(sc->c);
		}
	}
}

static void s_on_writable(struct pe_conn *c)
{
	struct sconn *sc = pe_conn_data(c);

	if (sc && i_send(sc->w))
		fill(sc);
}

static void s_on_data(struct pe_conn *c, const void *data, size_t len)
{
	struct sconn *sc = pe_conn_data(c);
	struct pe_work *w = sc->w;

	w->cnt.bytes_rx += len;
	if (w->p.verify) {
		const uint8_t *want = st(w)->pattern + sc->rx_off % PE_PATTERN_PERIOD;

		if (memcmp(want, data, len)) {
			const uint8_t *got = data;
			size_t i;

			for (i = 0; i < len; i++)
				if (got[i] != want[i]) {
					if (!w->fig.verify_errors ||
					    (int64_t)(sc->rx_off + i) < w->fig.first_bad_offset)
						w->fig.first_bad_offset = (int64_t)(sc->rx_off + i);
					w->fig.verify_errors++;
				}
		}
	}
	sc->rx_off += len;
}

static void s_on_eof(struct pe_conn *c)
{
	struct sconn *sc = pe_conn_data(c);

	pe_work_tcp_info(sc->w, c);
	if (!i_send(sc->w) || sc->tx_done || sc->w->stopping)
		pe_conn_shutdown(c);
}

static void s_on_close(struct pe_conn *c, int err)
{
	struct sconn *sc = pe_conn_data(c);
	struct pe_work *w;

	if (!sc)
		return;
	w = sc->w;
	/* what the kernel took, not what was queued */
	if (i_send(w)) {
		uint64_t out = pe_conn_stats(c)->bytes_out - (w->is_client ? PE_DATA_HDR : 0);

		w->cnt.bytes_tx = w->cnt.bytes_tx - sc->tx_off + out;
	}
	sc->c = NULL;
	pe_conn_set_data(c, NULL);
	w->conns_closed++;
	if (err && err != -ECANCELED && !w->failed)
		pe_work_fail(w, "flow %u closed: %s", sc->idx, strerror(-err));
	if (w->conns_closed >= w->p.conns)
		pe_work_finish(w);
}

/* --skip-rx-copy: the loop stops reading this connection (io_uring cancels its multishot
 * receive; what that receive took before the cancel is held and comes through on_data at
 * resume, at EOF, and is counted there) and stream_poll discards the bytes in the kernel with
 * recv(MSG_TRUNC), so they are counted but never copied. */
static void start_skip(struct sconn *sc)
{
	struct pe_work *w = sc->w;

	if (!w->p.skip_rx_copy || (i_send(w) && !w->p.bidir))
		return;
	if (!pe_conn_pause_recv(sc->c, true)) {
		sc->skip = true;
		w->busy = true;
	}
}

static void stream_poll(struct pe_work *w)
{
	struct stream *s = st(w);
	unsigned i;

	if (!s)
		return;
	for (i = 0; i < s->nconns; i++) {
		struct sconn *sc = s->conns[i];
		int k;

		for (k = 0; sc->skip && sc->c && k < 16; k++) {
			ssize_t n =
				recv(pe_conn_fd(sc->c), NULL, 1 << 22, MSG_TRUNC | MSG_DONTWAIT);

			if (n > 0) {
				w->cnt.bytes_rx += (uint64_t)n;
				sc->rx_off += (uint64_t)n;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			/* EOF or an error: let the loop read it and close as usual */
			sc->skip = false;
			pe_conn_pause_recv(sc->c, false);
		}
	}
}

static void s_on_open_server(struct pe_conn *c)
{
	struct pe_work *w = pe_conn_data(c);
	struct sconn *sc;

	if (stream_state(w) || !(sc = calloc(1, sizeof(*sc)))) {
		pe_conn_close(c, -ENOMEM, true);
		return;
	}
	sc->w = w;
	sc->c = c;
	sc->idx = w->conns_ready - 1;
	if (add_conn(w, sc)) {
		free(sc);
		pe_conn_close(c, -ENOMEM, true);
		return;
	}
	pe_conn_set_data(c, sc);
	start_skip(sc);
}

static const struct pe_conn_cbs server_cbs = {
	.on_open = s_on_open_server,
	.on_data = s_on_data,
	.on_eof = s_on_eof,
	.on_writable = s_on_writable,
	.on_close = s_on_close,
};

static void c_on_open(struct pe_conn *c)
{
	struct sconn *sc = pe_conn_data(c);

	pe_work_conn_hello(sc->w, c, sc->idx);
	sc->w->conns_ready++;
	start_skip(sc);
}

static const struct pe_conn_cbs client_cbs = {
	.on_open = c_on_open,
	.on_data = s_on_data,
	.on_eof = s_on_eof,
	.on_writable = s_on_writable,
	.on_close = s_on_close,
};

static int client_open(struct pe_work *w)
{
	unsigned i;
	int err = stream_state(w);

	for (i = 0; !err && i < w->p.conns; i++) {
		struct sconn *sc = calloc(1, sizeof(*sc));
		struct pe_conn_opts o;
		struct pe_addr local;

		if (!sc)
			return -ENOMEM;
		sc->w = w;
		sc->idx = i;
		err = add_conn(w, sc);
		if (err) {
			free(sc);
			break;
		}
		pe_work_conn_opts(w, i, &o, &local);
		o.cbs = &client_cbs;
		o.data = sc;
		err = pe_connect(w->loop, &w->data_addr, &o, &sc->c);
		if (!err)
			err = pe_work_conn_cc(w, sc->c);
	}
	return err;
}

static void go(struct pe_work *w)
{
	unsigned i;

	if (!i_send(w) || !w->mode)
		return;
	for (i = 0; i < st(w)->nconns; i++)
		if (st(w)->conns[i]->c)
			fill(st(w)->conns[i]);
}

static void stop(struct pe_work *w)
{
	unsigned i;

	if (!i_send(w) || !w->mode)
		return; /* a receiver ends when the sender closes */
	for (i = 0; i < st(w)->nconns; i++) {
		struct sconn *sc = st(w)->conns[i];

		if (sc->c && !sc->tx_done) {
			sc->tx_done = true;
			pe_conn_shutdown(sc->c);
		}
	}
	if (w->conns_closed >= w->p.conns)
		pe_work_finish(w);
}

static void sfree(struct pe_work *w)
{
	struct stream *s = st(w);
	unsigned i;

	if (!s)
		return;
	for (i = 0; i < s->nconns; i++) {
		if (s->conns[i]->c)
			pe_conn_set_data(s->conns[i]->c, NULL);
		free(s->conns[i]);
	}
	free(s->conns);
	free(s->pattern);
	if (s->memfd >= 0)
		close(s->memfd);
	free(s);
	w->mode = NULL;
}

static unsigned stream_flows(struct pe_work *w, struct pe_flow *out, unsigned max)
{
	struct stream *s = st(w);
	unsigned i, n = s && s->nconns < max ? s->nconns : s ? max : 0;

	for (i = 0; i < n; i++) {
		const struct sconn *sc = s->conns[i];

		memset(&out[i], 0, sizeof(out[i]));
		out[i].bytes_tx = sc->tx_off;
		out[i].bytes_rx = sc->rx_off;
		if (sc->c)
			pe_work_flow_tcp(sc->c, &out[i]);
	}
	return n;
}

static const struct pe_work_ops stream_ops = {
	.flows = stream_flows,
	.client_open = client_open,
	.go = go,
	.stop = stop,
	.server_cbs = &server_cbs,
	.poll = stream_poll,
	.free = sfree,
};

static int stream_check(const struct pe_params *p, char *err, size_t errlen)
{
	if (p->reverse && p->bidir) {
		snprintf(err, errlen, "-R and --bidir exclude each other");
		return -EINVAL;
	}
	if (p->skip_rx_copy && p->verify) {
		snprintf(err, errlen, "--skip-rx-copy is for --mode stream without --verify");
		return -EINVAL;
	}
	return 0;
}

/* the receiver's check: it counted bytes and compared them */
static void stream_text(FILE *out, const struct pe_params *p, const struct pe_figures *f)
{
	if (!p->verify || !f->c.bytes_rx)
		return;
	pe_report_verify_line(out, f);
}

const struct pe_mode_desc pe_mode_stream = {
	.name = "stream",
	.summary = "bulk TCP one way (-R: the server sends) or both (--bidir)",
	.params = PE_PBIT(BYTES_TOTAL) | PE_PBIT(REVERSE) | PE_PBIT(BIDIR) | PE_PBIT(ZEROCOPY) |
		  PE_PBIT(SKIP_RX_COPY) | PE_PBIT(VERIFY) | PE_PBIT(CONGESTION),
	.limits = { { PE_P_LEN, 1, 64 << 20, 128 * 1024 } },
	.tcp_conns = true,
	.check = stream_check,
	.loop_opts = pe_work_bulk_loop_opts,
	.text = stream_text,
	.bench_label = "stream",
	.bench_len = 128 * 1024,
	.bench_conns = 1,
	.ops = &stream_ops,
};
