/* SPDX-License-Identifier: BSD-2-Clause */
/* Length-prefixed framing: the one-shot parser's codes, and the streaming decoder fed every
 * possible split of a stream (and one byte at a time) yielding exactly the messages sent. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/framing.h"

Test(framing, parse_codes)
{
	static const struct {
		const char *bytes;
		size_t len;
		uint32_t max;
		long ret;
		size_t msg_len;
	} cases[] = {
		{ "", 0, 100, PE_LPM_PARTIAL, 0 },
		{ "\0\0\0", 3, 100, PE_LPM_PARTIAL, 0 },
		{ "\0\0\0\0", 4, 100, 4, 0 }, /* empty message */
		{ "\0\0\0\3ab", 6, 100, PE_LPM_PARTIAL, 0 },
		{ "\0\0\0\3abc", 7, 100, 7, 3 },
		{ "\0\0\0\3abcX", 8, 100, 7, 3 },	     /* trailing bytes left alone */
		{ "\0\0\0\145", 4, 100, PE_LPM_TOOBIG, 0 },  /* 101 > 100 */
		{ "\0\0\0\144", 4, 100, PE_LPM_PARTIAL, 0 }, /* 100 == max: fine */
		{ "\xff\xff\xff\xff", 4, 0xfffffffe, PE_LPM_TOOBIG, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const void *msg = NULL;
		size_t ml = 999;
		long r = pe_lpm_parse(cases[i].bytes, cases[i].len, cases[i].max, &msg, &ml);

		cr_expect_eq(r, cases[i].ret, "case %zu: %ld", i, r);
		if (r > 0) {
			cr_expect_eq(ml, cases[i].msg_len, "case %zu", i);
			cr_expect_eq(msg, cases[i].bytes + 4, "case %zu: payload in place", i);
		}
	}
}

Test(framing, header_round_trip)
{
	uint8_t h[4];

	pe_lpm_put_hdr(h, 0x01020304);
	cr_expect_eq(memcmp(h, "\x01\x02\x03\x04", 4), 0);
	cr_expect_eq(pe_lpm_get_hdr(h), 0x01020304);
	pe_lpm_put_hdr(h, 0xffffffff);
	cr_expect_eq(pe_lpm_get_hdr(h), 0xffffffff);
}

struct collect {
	uint8_t out[4096];
	size_t len;
	unsigned n;
	uint32_t lens[64];
};

static int collect_fn(void *arg, const void *msg, size_t len)
{
	struct collect *c = arg;

	cr_assert_lt(c->n, 64);
	c->lens[c->n++] = (uint32_t)len;
	memcpy(c->out + c->len, msg, len);
	c->len += len;
	return 0;
}

/* Messages of 0, 1, 3, 300 and 5 bytes as one stream. */
static size_t build(uint8_t *s, uint8_t *payload, size_t *plen)
{
	static const uint32_t sizes[] = { 0, 1, 3, 300, 5 };
	size_t off = 0, p = 0;

	for (size_t i = 0; i < 5; i++) {
		pe_lpm_put_hdr(s + off, sizes[i]);
		off += 4;
		for (uint32_t k = 0; k < sizes[i]; k++) {
			s[off++] = (uint8_t)(i * 50 + k);
			payload[p++] = (uint8_t)(i * 50 + k);
		}
	}
	*plen = p;
	return off;
}

Test(framing, every_two_way_split)
{
	uint8_t s[512], payload[512];
	size_t plen, len = build(s, payload, &plen);

	for (size_t cut = 0; cut <= len; cut++) {
		struct pe_lpm_dec d;
		struct collect c = { .len = 0 };
		long a, b;

		cr_assert_eq(pe_lpm_dec_init(&d, 1000), 0);
		a = pe_lpm_feed(&d, s, cut, collect_fn, &c);
		b = pe_lpm_feed(&d, s + cut, len - cut, collect_fn, &c);
		cr_assert_geq(a, 0);
		cr_assert_geq(b, 0);
		cr_expect_eq(a + b, 5, "cut %zu: %ld + %ld messages", cut, a, b);
		cr_expect_eq(c.n, 5);
		cr_expect_eq(c.lens[0], 0);
		cr_expect_eq(c.lens[3], 300);
		cr_expect_eq(c.len, plen);
		cr_expect_eq(memcmp(c.out, payload, plen), 0, "cut %zu: payload differs", cut);
		cr_expect_eq(d.msgs, 5);
		pe_lpm_dec_free(&d);
	}
}

Test(framing, one_byte_at_a_time_iterator)
{
	uint8_t s[512], payload[512];
	size_t plen, len = build(s, payload, &plen);
	struct pe_lpm_dec d;
	struct collect c = { .len = 0 };

	cr_assert_eq(pe_lpm_dec_init(&d, 1000), 0);
	for (size_t i = 0; i < len; i++) {
		const void *m;
		size_t ml;
		int r;

		pe_lpm_push(&d, s + i, 1);
		while ((r = pe_lpm_next(&d, &m, &ml)) == 1)
			collect_fn(&c, m, ml);
		cr_assert_eq(r, PE_LPM_PARTIAL, "byte %zu: %d", i, r);
	}
	cr_expect_eq(c.n, 5);
	cr_expect_eq(c.len, plen);
	cr_expect_eq(memcmp(c.out, payload, plen), 0);
	pe_lpm_dec_free(&d);
}

Test(framing, too_big_poisons_after_good_messages)
{
	uint8_t s[32];
	struct pe_lpm_dec d;
	struct collect c = { .len = 0 };

	pe_lpm_put_hdr(s, 2);
	memcpy(s + 4, "ok", 2);
	pe_lpm_put_hdr(s + 6, 11); /* max is 10 */
	memcpy(s + 10, "hello world", 11);
	cr_assert_eq(pe_lpm_dec_init(&d, 10), 0);
	cr_expect_eq(pe_lpm_feed(&d, s, 21, collect_fn, &c), PE_LPM_TOOBIG);
	cr_expect_eq(c.n, 1, "the message before the bad prefix is delivered");
	cr_expect_eq(d.too_big, 1);
	/* Poisoned: later bytes give the same error and no messages. */
	pe_lpm_put_hdr(s, 1);
	cr_expect_eq(pe_lpm_feed(&d, s, 5, collect_fn, &c), PE_LPM_TOOBIG);
	cr_expect_eq(c.n, 1);
	pe_lpm_dec_free(&d);
	/* The same prefix split across feeds is caught too. */
	cr_assert_eq(pe_lpm_dec_init(&d, 10), 0);
	pe_lpm_put_hdr(s, 11);
	cr_expect_eq(pe_lpm_feed(&d, s, 2, collect_fn, &c), 0);
	cr_expect_eq(pe_lpm_feed(&d, s + 2, 2, collect_fn, &c), PE_LPM_TOOBIG);
	pe_lpm_dec_free(&d);
	cr_expect_eq(pe_lpm_dec_init(&d, 0), -EINVAL);
}

static int stop_after_one(void *arg, const void *m, size_t n)
{
	(*(unsigned *)arg)++;
	return 1;
}

Test(framing, callback_stops)
{
	uint8_t s[16];
	struct pe_lpm_dec d;
	unsigned n = 0;

	pe_lpm_put_hdr(s, 0);
	pe_lpm_put_hdr(s + 4, 0);
	pe_lpm_put_hdr(s + 8, 0);
	cr_assert_eq(pe_lpm_dec_init(&d, 10), 0);
	cr_expect_eq(pe_lpm_feed(&d, s, 12, stop_after_one, &n), 1);
	cr_expect_eq(n, 1);
	pe_lpm_dec_free(&d);
}

static void *drip(void *arg)
{
	int fd = *(int *)arg;
	static const char msg[] = "\0\0\0\x0a"
				  "0123456789";
	size_t i;

	for (i = 0; i < sizeof(msg) - 1; i++) {
		if (send(fd, &msg[i], 1, MSG_NOSIGNAL) != 1)
			break;
		usleep(100000);
	}
	return NULL;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A peer dripping a byte every 100 ms never makes a 300 ms wait for a read expire, but the
 * whole 14-byte message would take 1.4 s: the 300 ms covers the whole message. */
Test(framing, receive_deadline_covers_the_whole_message)
{
	struct pe_lpm_dec d;
	uint8_t rbuf[64];
	const void *msg;
	size_t len;
	char err[100] = "";
	pthread_t t;
	double t0;
	int sv[2], r;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(pe_lpm_dec_init(&d, 1024), 0);
	cr_assert_eq(pthread_create(&t, NULL, drip, &sv[1]), 0);
	t0 = mono_s();
	r = pe_lpm_recv_sock(sv[0], &d, rbuf, sizeof(rbuf), 300, &msg, &len, err, sizeof(err));
	cr_expect_eq(r, -ETIMEDOUT);
	cr_expect_str_eq(err, "no message within 300 ms");
	cr_expect_lt(mono_s() - t0, 0.6);
	close(sv[0]);
	pthread_join(t, NULL);
	close(sv[1]);
	pe_lpm_dec_free(&d);
}
