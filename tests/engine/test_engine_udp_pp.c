/* SPDX-License-Identifier: BSD-2-Clause */
/* UDP ping-pong between two loops on two threads (udp-rr's path): a connected client socket and
 * an unconnected server socket that answers each datagram to its sender. Every answer must come
 * back in order, and each side must spend no more system calls per message than its backend
 * needs: one io_uring_enter with silent sends, an enter plus a sendmmsg with plain sends, and
 * epoll_wait + recvmmsg + send on epoll (no wakeup for write space). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "tests/engine/etest.h"

#define PP_ROUNDS 2000u
#define PP_SLACK  40u /* start-up and stop: the first arming, the wake-up, the last wait */

struct pp_case {
	enum pe_backend backend;
	bool plain_sends;
	unsigned per_msg; /* system calls per message on each side */
};

struct pp {
	struct pe_loop *lc, *ls;
	struct pe_udp *c, *s;
	unsigned seq, got, bad, answered;
	struct pe_addr saddr;
	bool ready;
	uint8_t buf[64];
};

static void s_recv(struct pe_udp *u, const struct pe_dgram *d, unsigned n)
{
	struct pp *p = pe_udp_data(u);

	for (unsigned i = 0; i < n; i++) {
		struct pe_dgram r = { d[i].data, d[i].len, d[i].peer };

		cr_assert_eq(pe_udp_send(u, &r, 1), 1);
		p->answered++;
	}
}

static void c_send(struct pp *p)
{
	struct pe_dgram d = { p->buf, sizeof(p->buf), NULL };

	memcpy(p->buf, &p->seq, sizeof(p->seq));
	cr_assert_eq(pe_udp_send(p->c, &d, 1), 1);
}

static void c_recv(struct pe_udp *u, const struct pe_dgram *d, unsigned n)
{
	struct pp *p = pe_udp_data(u);

	for (unsigned i = 0; i < n; i++) {
		unsigned seq;

		memcpy(&seq, d[i].data, sizeof(seq));
		if (d[i].len != sizeof(p->buf) || seq != p->seq)
			p->bad++;
		p->got++;
	}
	if (p->got < PP_ROUNDS) {
		p->seq++;
		c_send(p);
	} else {
		pe_loop_stop(p->lc);
	}
}

static const struct pp_case *pp_k;
static uint64_t pp_s_syscalls, pp_s_silent;

static struct pe_loop *pp_loop(const struct pp_case *k);

/* The server's loop lives on its own thread from open to close (an io_uring ring serves the
 * thread that first submits to it). */
static void *server_thread(void *arg)
{
	static const struct pe_udp_cbs scb = { .on_recv = s_recv };
	struct pp *p = arg;
	struct pe_udp_opts so = { .sz = sizeof(so), .cbs = &scb, .data = p };
	struct pe_addr lo;
	uint64_t s0;
	int r;

	p->ls = pp_loop(pp_k);
	cr_assert_eq(pe_addr_loopback(&lo, AF_INET, 0), 0);
	cr_assert_eq(pe_udp_open(p->ls, &lo, &so, &p->s), 0);
	cr_assert_eq(pe_udp_local(p->s, &p->saddr), 0);
	pe_loop_run_once(p->ls, 0); /* start-up (multishot arming) before counting */
	s0 = pe_loop_stats(p->ls)->syscalls;
	__atomic_store_n(&p->ready, true, __ATOMIC_RELEASE);
	r = pe_loop_run(p->ls);
	pp_s_syscalls = pe_loop_stats(p->ls)->syscalls - s0;
	pp_s_silent = pe_loop_stats(p->ls)->silent_sends;
	pe_udp_close(p->s);
	pe_loop_close(p->ls);
	return (void *)(intptr_t)r;
}

static struct pe_loop *pp_loop(const struct pp_case *k)
{
	struct pe_loop_opts o = { .sz = sizeof(o),
				  .backend = k->backend,
				  .no_fallback = true,
				  .plain_sends = k->plain_sends };
	struct pe_loop *l = pe_loop_open(&o);

	cr_assert_not_null(l, "pe_loop_open(%s)", pe_backend_name(k->backend));
	return l;
}

ParameterizedTestParameters(loop, udp_pingpong)
{
	static struct pp_case c[] = {
		{ PE_BACKEND_URING, false, 1 },
		{ PE_BACKEND_URING, true, 2 },
		{ PE_BACKEND_EPOLL, false, 3 },
	};
	return cr_make_param_array(struct pp_case, c, sizeof(c) / sizeof(c[0]));
}

ParameterizedTest(struct pp_case *k, loop, udp_pingpong, .timeout = 10)
{
	static const struct pe_udp_cbs ccb = { .on_recv = c_recv };
	static struct pp p;
	struct pe_udp_opts co = { .sz = sizeof(co), .cbs = &ccb, .data = &p, .sendq_max = 4 };
	struct pe_addr lo;
	uint64_t c0, cs, ss;
	pthread_t th;
	void *ret;
	int fds0 = etest_count_fds();

	memset(&p, 0, sizeof(p));
	pp_k = k;
	cr_assert_eq(pthread_create(&th, NULL, server_thread, &p), 0);
	while (!__atomic_load_n(&p.ready, __ATOMIC_ACQUIRE))
		sched_yield();
	p.lc = pp_loop(k);
	cr_assert_eq(pe_addr_loopback(&lo, AF_INET, 0), 0);
	co.peer = &p.saddr;
	cr_assert_eq(pe_udp_open(p.lc, &lo, &co, &p.c), 0);
	pe_loop_run_once(p.lc, 0); /* start-up (multishot arming) before counting */
	c0 = pe_loop_stats(p.lc)->syscalls;
	c_send(&p);
	/* no timer: a timed wait would add wakeups of its own (a hang is the test's timeout) */
	cr_assert_eq(pe_loop_run(p.lc), 0);
	pe_loop_stop(p.ls);
	cr_assert_eq(pthread_join(th, &ret), 0);
	cr_expect_eq((intptr_t)ret, 0);
	cs = pe_loop_stats(p.lc)->syscalls - c0;
	ss = pp_s_syscalls;
	cr_expect_eq(p.got, PP_ROUNDS);
	cr_expect_eq(p.answered, PP_ROUNDS);
	cr_expect_eq(p.bad, 0, "%u answers out of order or wrong", p.bad);
	cr_expect_leq(cs, (uint64_t)k->per_msg * PP_ROUNDS + PP_SLACK,
		      "%s%s client: %llu system calls for %u round trips",
		      pe_backend_name(k->backend), k->plain_sends ? " (plain sends)" : "",
		      (unsigned long long)cs, PP_ROUNDS);
	cr_expect_leq(ss, (uint64_t)k->per_msg * PP_ROUNDS + PP_SLACK,
		      "%s%s server: %llu system calls for %u round trips",
		      pe_backend_name(k->backend), k->plain_sends ? " (plain sends)" : "",
		      (unsigned long long)ss, PP_ROUNDS);
	/* silent on io_uring unless turned off: every datagram of both sides */
	cr_expect_eq(pe_loop_stats(p.lc)->silent_sends + pp_s_silent,
		     k->backend == PE_BACKEND_URING && !k->plain_sends ? 2 * PP_ROUNDS : 0);
	pe_udp_close(p.c);
	pe_loop_close(p.lc);
	cr_expect_eq(etest_count_fds(), fds0);
}
