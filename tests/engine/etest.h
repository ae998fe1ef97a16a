/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers for the engine tests: the backend parameter table, a framed echo server written
 * against engine/loop.h, a stream client that checks the echo byte for byte, fd counting. */
#ifndef PKTENG_TESTS_ENGINE_ETEST_H
#define PKTENG_TESTS_ENGINE_ETEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/framing.h"
#include "engine/loop.h"

/* Every engine test body runs once per backend. */
#define ETEST_BACKENDS(suite, name)                                                                \
	ParameterizedTestParameters(suite, name)                                                   \
	{                                                                                          \
		static enum pe_backend b[] = { PE_BACKEND_URING, PE_BACKEND_EPOLL };               \
		return cr_make_param_array(enum pe_backend, b, 2);                                 \
	}

/* Entries in /proc/self/fd. */
int etest_count_fds(void);
/* Raises RLIMIT_NOFILE to at least n (as far as the hard limit allows); returns the new soft. */
long etest_raise_nofile(long n);
/* Opens a loop of backend b that must not fall back (the test would not test it). */
struct pe_loop *etest_loop(enum pe_backend b);

/* Framed echo server: every length-prefixed message is echoed back framed; a prefix above
 * max_len closes the connection with -EPROTO. */
struct echo_server {
	struct pe_listener *ls;
	struct pe_addr addr; /* where it listens (the real port) */
	uint32_t max_len;
	unsigned open, max_open, accepted, closed, closed_ok, closed_err;
	int last_err;
	uint64_t msgs;
};
/* Listens on host (a numeric address) port 0 with idle_ms (0 = none). Returns 0 or -errno. */
int echo_server_start(struct echo_server *s, struct pe_loop *l, const char *host, uint32_t max_len,
		      uint64_t idle_ms);

/* A client that sends `out` (with copy sends, continuing on on_writable), expects exactly the
 * same bytes back, then closes (or, with half_close, shuts down after sending and waits for
 * the peer's EOF). */
struct stream_client {
	struct pe_conn *c;
	const uint8_t *out;
	size_t out_len, sent, got;
	bool half_close;
	bool hold_open; /* after the whole echo, stay open (the test closes) */
	bool opened, closed, mismatch, eof;
	int close_err;
	size_t mismatch_at;
	uint64_t bytes_out; /* pe_conn_stats() at close */
};
int stream_client_start(struct stream_client *sc, struct pe_loop *l, const struct pe_addr *to,
			const uint8_t *out, size_t out_len, uint64_t connect_timeout_ms);

/* n stream clients, watched as a group. */
struct etest_clients {
	struct stream_client *sc;
	unsigned n;
};
/* How many of the n clients closed; how many got their whole echo (or closed). */
unsigned etest_closed_count(const struct stream_client *sc, unsigned n);
unsigned etest_echoed_count(const struct stream_client *sc, unsigned n);
/* Predicates for etest_run_while() over a struct etest_clients. */
bool etest_not_all_closed(void *clients);
bool etest_not_all_echoed(void *clients);

/* Runs the loop until *done_count >= want or timeout_ms passes. Returns true if reached. */
bool etest_run_until(struct pe_loop *l, const unsigned *done_count, unsigned want,
		     uint64_t timeout_ms);
/* Same with a predicate. */
bool etest_run_while(struct pe_loop *l, bool (*busy)(void *), void *arg, uint64_t timeout_ms);

/* Builds a framed stream of messages with the given payload sizes, filled from a seeded PRNG.
 * Returns a malloc'd buffer and its length in *len. */
uint8_t *etest_framed_stream(const uint32_t *sizes, unsigned n, uint32_t seed, size_t *len);

#endif
