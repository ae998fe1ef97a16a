/* SPDX-License-Identifier: BSD-2-Clause */
/* Engine test helpers: echo server, checking stream client, loop runners (see etest.h). */
#include "tests/engine/etest.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

int etest_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

long etest_raise_nofile(long n)
{
	struct rlimit r;

	getrlimit(RLIMIT_NOFILE, &r);
	if ((long)r.rlim_cur < n) {
		r.rlim_cur = (long)r.rlim_max < n ? r.rlim_max : (rlim_t)n;
		setrlimit(RLIMIT_NOFILE, &r);
		getrlimit(RLIMIT_NOFILE, &r);
	}
	return (long)r.rlim_cur;
}

struct pe_loop *etest_loop(enum pe_backend b)
{
	struct pe_loop_opts o = { .sz = sizeof(o), .backend = b, .no_fallback = true };
	struct pe_loop *l = pe_loop_open(&o);

	cr_assert_not_null(l, "pe_loop_open(%s): %s", pe_backend_name(b), strerror(errno));
	cr_assert_eq(pe_loop_backend(l), b);
	return l;
}

/* ---- framed echo server ---- */

struct echo_conn {
	struct echo_server *s;
	struct pe_lpm_dec dec;
};

static int echo_msg(void *arg, const void *msg, size_t len)
{
	struct pe_conn *c = arg;
	struct echo_conn *ec = pe_conn_data(c);
	uint8_t hdr[PE_LPM_HDR];
	long r;

	pe_lpm_put_hdr(hdr, (uint32_t)len);
	r = pe_conn_send(c, hdr, sizeof(hdr));
	if (r == (long)sizeof(hdr) && len)
		r = pe_conn_send(c, msg, len) == (long)len ? r : -1;
	if (r != (long)sizeof(hdr)) {
		/* The tests size the queue so this cannot happen; make it loud if it does. */
		pe_conn_close(c, -ENOBUFS, false);
		return 1;
	}
	ec->s->msgs++;
	return 0;
}

static void echo_open(struct pe_conn *c)
{
	struct echo_server *s = pe_listener_data(pe_conn_listener(c));
	struct echo_conn *ec = calloc(1, sizeof(*ec));

	cr_assert_not_null(ec);
	ec->s = s;
	pe_lpm_dec_init(&ec->dec, s->max_len);
	pe_conn_set_data(c, ec);
	s->accepted++;
	if (++s->open > s->max_open)
		s->max_open = s->open;
}

static void echo_data(struct pe_conn *c, const void *data, size_t len)
{
	struct echo_conn *ec = pe_conn_data(c);
	long r = pe_lpm_feed(&ec->dec, data, len, echo_msg, c);

	if (r == PE_LPM_TOOBIG)
		pe_conn_close(c, -EPROTO, false);
	else if (r < 0)
		pe_conn_close(c, (int)r, false);
}

static void echo_close(struct pe_conn *c, int err)
{
	struct echo_conn *ec = pe_conn_data(c);

	if (!ec)
		return;
	ec->s->open--;
	ec->s->closed++;
	if (err)
		ec->s->closed_err++;
	else
		ec->s->closed_ok++;
	ec->s->last_err = err;
	pe_lpm_dec_free(&ec->dec);
	free(ec);
}

static const struct pe_conn_cbs echo_cbs = {
	.on_open = echo_open,
	.on_data = echo_data,
	.on_close = echo_close,
};

int echo_server_start(struct echo_server *s, struct pe_loop *l, const char *host, uint32_t max_len,
		      uint64_t idle_ms)
{
	struct pe_conn_opts co = { .sz = sizeof(co),
				   .cbs = &echo_cbs,
				   .nodelay = true,
				   .sndq_max_bytes = 64u << 20,
				   .idle_timeout_ms = idle_ms };
	struct pe_listen_opts lo = { .sz = sizeof(lo), .conn = &co, .data = s };
	struct pe_addr a;
	int err;

	memset(s, 0, sizeof(*s));
	s->max_len = max_len;
	err = pe_addr_from_str(&a, host, 0);
	if (err)
		return err;
	err = pe_listen(l, &a, &lo, &s->ls);
	if (err)
		return err;
	return pe_listener_addr(s->ls, &s->addr);
}

/* ---- stream client ---- */

static void sc_push(struct pe_conn *c)
{
	struct stream_client *sc = pe_conn_data(c);

	while (sc->sent < sc->out_len) {
		long r = pe_conn_send(c, sc->out + sc->sent, sc->out_len - sc->sent);

		if (r <= 0)
			return; /* -EAGAIN: on_writable continues */
		sc->sent += (size_t)r;
	}
	if (sc->half_close)
		pe_conn_shutdown(c);
}

static void sc_open(struct pe_conn *c)
{
	struct stream_client *sc = pe_conn_data(c);

	sc->opened = true;
	sc_push(c);
}

static void sc_data(struct pe_conn *c, const void *data, size_t len)
{
	struct stream_client *sc = pe_conn_data(c);

	if (sc->got + len > sc->out_len || memcmp(sc->out + sc->got, data, len)) {
		if (!sc->mismatch) {
			sc->mismatch = true;
			sc->mismatch_at = sc->got;
		}
		pe_conn_close(c, -EBADMSG, false);
		return;
	}
	sc->got += len;
	if (sc->got == sc->out_len && !sc->half_close && !sc->hold_open)
		pe_conn_close(c, 0, false);
}

static void sc_eof(struct pe_conn *c)
{
	struct stream_client *sc = pe_conn_data(c);

	sc->eof = true;
	pe_conn_shutdown(c);
}

static void sc_close(struct pe_conn *c, int err)
{
	struct stream_client *sc = pe_conn_data(c);

	sc->closed = true;
	sc->close_err = err;
	sc->bytes_out = pe_conn_stats(c)->bytes_out;
	sc->c = NULL;
}

static const struct pe_conn_cbs sc_cbs = {
	.on_open = sc_open,
	.on_data = sc_data,
	.on_eof = sc_eof,
	.on_writable = sc_push,
	.on_close = sc_close,
};

int stream_client_start(struct stream_client *sc, struct pe_loop *l, const struct pe_addr *to,
			const uint8_t *out, size_t out_len, uint64_t connect_timeout_ms)
{
	struct pe_conn_opts co = { .sz = sizeof(co),
				   .cbs = &sc_cbs,
				   .data = sc,
				   .nodelay = true,
				   .connect_timeout_ms = connect_timeout_ms };
	bool half = sc->half_close, hold = sc->hold_open;

	memset(sc, 0, sizeof(*sc));
	sc->half_close = half;
	sc->hold_open = hold;
	sc->out = out;
	sc->out_len = out_len;
	return pe_connect(l, to, &co, &sc->c);
}

/* ---- runners ---- */

bool etest_run_until(struct pe_loop *l, const unsigned *done_count, unsigned want,
		     uint64_t timeout_ms)
{
	uint64_t end = pe_now_ns() + timeout_ms * 1000000ull;

	while (*done_count < want) {
		if (pe_now_ns() > end)
			return false;
		cr_assert_geq(pe_loop_run_once(l, 50000000ull), 0);
	}
	return true;
}

bool etest_run_while(struct pe_loop *l, bool (*busy)(void *), void *arg, uint64_t timeout_ms)
{
	uint64_t end = pe_now_ns() + timeout_ms * 1000000ull;

	while (busy(arg)) {
		if (pe_now_ns() > end)
			return false;
		cr_assert_geq(pe_loop_run_once(l, 50000000ull), 0);
	}
	return true;
}

uint8_t *etest_framed_stream(const uint32_t *sizes, unsigned n, uint32_t seed, size_t *len)
{
	size_t total = 0, off = 0;
	uint32_t x = seed ? seed : 1;
	unsigned i;
	uint8_t *b;

	for (i = 0; i < n; i++)
		total += PE_LPM_HDR + sizes[i];
	b = malloc(total ? total : 1);
	cr_assert_not_null(b);
	for (i = 0; i < n; i++) {
		pe_lpm_put_hdr(b + off, sizes[i]);
		off += PE_LPM_HDR;
		for (uint32_t k = 0; k < sizes[i]; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			b[off++] = (uint8_t)x;
		}
	}
	*len = total;
	return b;
}

unsigned etest_closed_count(const struct stream_client *sc, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		k += sc[i].closed;
	return k;
}

unsigned etest_echoed_count(const struct stream_client *sc, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		k += sc[i].got == sc[i].out_len || sc[i].closed;
	return k;
}

bool etest_not_all_closed(void *clients)
{
	struct etest_clients *w = clients;

	return etest_closed_count(w->sc, w->n) < w->n;
}

bool etest_not_all_echoed(void *clients)
{
	struct etest_clients *w = clients;

	return etest_echoed_count(w->sc, w->n) < w->n;
}
