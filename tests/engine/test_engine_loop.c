/* SPDX-License-Identifier: BSD-2-Clause */
/* The loop itself, every test on both backends: timers in order, stop from another thread and
 * from a signal handler, busy polling, a timer armed while waiting, and the io_uring -> epoll
 * fallback. Flow control and UDP batches are in test_engine_flow.c. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "tests/engine/etest.h"

/* ---- timers ---- */

struct tstate {
	int order[16];
	unsigned n;
	uint64_t t0, at[16];
	struct pe_timer t[8];
	unsigned periodic_left;
};

static void t_fire(struct pe_loop *l, struct pe_timer *t)
{
	struct tstate *s = pe_loop_data(l);

	s->at[s->n] = pe_now_ns() - s->t0;
	s->order[s->n++] = (int)(intptr_t)t->data;
}

static void t_periodic(struct pe_loop *l, struct pe_timer *t)
{
	struct tstate *s = pe_loop_data(l);

	s->order[s->n++] = 100;
	if (--s->periodic_left)
		pe_timer_arm(l, t, 5000000);
}

ETEST_BACKENDS(loop, timers_in_order)
ParameterizedTest(enum pe_backend *b, loop, timers_in_order)
{
	static const uint64_t delay_ms[6] = { 30, 10, 20, 10, 0, 15 };
	static const int want[5] = { 4, 1, 3, 2, 0 }; /* by deadline, ties in arming order */
	struct tstate s = { 0 };
	int fds0 = etest_count_fds();
	struct pe_loop *l = etest_loop(*b);
	unsigned dummy = 0;

	pe_loop_set_data(l, &s);
	s.t0 = pe_now_ns();
	for (int i = 0; i < 6; i++) {
		pe_timer_init(&s.t[i], t_fire, (void *)(intptr_t)i);
		cr_assert_eq(pe_timer_arm(l, &s.t[i], delay_ms[i] * 1000000ull), 0);
	}
	pe_timer_disarm(l, &s.t[5]); /* disarmed: never fires */
	cr_expect(!pe_timer_armed(&s.t[5]));
	etest_run_until(l, &s.n, 5, 2000);
	etest_run_until(l, &dummy, 1, 50); /* would catch a late extra firing */
	cr_assert_eq(s.n, 5);
	for (int i = 0; i < 5; i++) {
		cr_expect_eq(s.order[i], want[i], "firing %d was timer %d", i, s.order[i]);
		cr_expect_geq(s.at[i], delay_ms[want[i]] * 1000000ull, "timer %d early", want[i]);
	}
	cr_expect_eq(pe_loop_stats(l)->timers_fired, 5);
	/* A periodic timer re-arming itself from its callback. */
	s.n = 0;
	s.periodic_left = 4;
	pe_timer_init(&s.t[6], t_periodic, NULL);
	pe_timer_arm(l, &s.t[6], 5000000);
	etest_run_until(l, &s.n, 4, 2000);
	cr_expect_eq(s.n, 4);
	cr_expect(!pe_timer_armed(&s.t[6]));
	pe_loop_close(l);
	cr_expect_eq(etest_count_fds(), fds0);
}

static void *stopper(void *arg);

/* ---- busy polling ---- */

static void bp_fire(struct pe_loop *l, struct pe_timer *t)
{
	(*(unsigned *)t->data)++;
}

/* busy_poll_us: an idle iteration polls without sleeping (many waits in one iteration), never
 * past its timeout or the next timer, and a stop ends the spin; 0 keeps one wait an iteration. */
ETEST_BACKENDS(loop, busy_poll)
ParameterizedTest(enum pe_backend *b, loop, busy_poll)
{
	struct pe_loop_opts o = { .sz = sizeof(o), .backend = *b, .no_fallback = true };
	const struct pe_loop_stats *st;
	struct pe_loop *l = etest_loop(*b), *spin;
	struct pe_timer t;
	unsigned fired = 0;
	uint64_t t0, dt, sc;
	pthread_t th;

	/* not spinning: one wait for an idle 5 ms (epoll sets its timerfd first) */
	st = pe_loop_stats(l);
	sc = st->syscalls;
	t0 = pe_now_ns();
	cr_expect_eq(pe_loop_run_once(l, 5000000), 0);
	cr_expect_geq(pe_now_ns() - t0, 5000000ull);
	cr_expect_eq(st->syscalls - sc, *b == PE_BACKEND_EPOLL ? 2 : 1);
	pe_loop_close(l);

	o.busy_poll_us = 2000;
	spin = pe_loop_open(&o);
	cr_assert_not_null(spin);
	st = pe_loop_stats(spin);
	/* 2 ms of polling, then a 3 ms sleep: one iteration, many waits, the full 5 ms */
	sc = st->syscalls;
	t0 = pe_now_ns();
	cr_expect_eq(pe_loop_run_once(spin, 5000000), 0);
	dt = pe_now_ns() - t0;
	cr_expect_geq(dt, 5000000ull);
	cr_expect_lt(dt, 1000000000ull);
	cr_expect_gt(st->syscalls - sc, 10, "%llu waits", (unsigned long long)(st->syscalls - sc));
	/* a timer due within the spin ends it on time, and fires */
	pe_timer_init(&t, bp_fire, &fired);
	t0 = pe_now_ns();
	cr_assert_eq(pe_timer_arm(spin, &t, 1000000), 0);
	cr_expect_eq(pe_loop_run_once(spin, UINT64_MAX), 1);
	cr_expect_eq(fired, 1);
	cr_expect_geq(pe_now_ns() - t0, 1000000ull);
	/* a stop from another thread ends a spinning run */
	o.busy_poll_us = 1000000;
	pe_loop_close(spin);
	spin = pe_loop_open(&o);
	cr_assert_not_null(spin);
	cr_assert_eq(pthread_create(&th, NULL, stopper, spin), 0);
	t0 = pe_now_ns();
	cr_assert_eq(pe_loop_run(spin), 0);
	dt = pe_now_ns() - t0;
	pthread_join(th, NULL);
	cr_expect_geq(dt, 90000000ull);
	cr_expect_lt(dt, 900000000ull, "stopped after %llu ns", (unsigned long long)dt);
	pe_loop_close(spin);
}

/* A timer armed while the loop waits for a later one (its kernel timeout already in flight on
 * io_uring) still fires on time, and the later one after it. */
static void *stopper20(void *arg)
{
	usleep(20000);
	pe_loop_stop(arg);
	return NULL;
}

ETEST_BACKENDS(loop, earlier_timer_while_waiting)
ParameterizedTest(enum pe_backend *b, loop, earlier_timer_while_waiting)
{
	struct pe_loop *l = etest_loop(*b);
	struct pe_timer late, early;
	unsigned n_late = 0, n_early = 0;
	uint64_t t_late, t_early, dt;
	pthread_t th;

	pe_timer_init(&late, bp_fire, &n_late);
	pe_timer_init(&early, bp_fire, &n_early);
	t_late = pe_now_ns();
	cr_assert_eq(pe_timer_arm(l, &late, 300000000), 0);
	cr_assert_eq(pthread_create(&th, NULL, stopper20, l), 0);
	cr_assert_eq(pe_loop_run(l), 0); /* waits for the 300 ms timer until the stop */
	pthread_join(th, NULL);
	cr_expect_eq(n_late, 0);
	t_early = pe_now_ns();
	cr_assert_eq(pe_timer_arm(l, &early, 5000000), 0);
	cr_expect(etest_run_until(l, &n_early, 1, 2000));
	dt = pe_now_ns() - t_early;
	cr_expect_geq(dt, 5000000ull);
	cr_expect_lt(dt, 150000000ull, "the 5 ms timer fired after %llu ns",
		     (unsigned long long)dt);
	cr_expect_eq(n_late, 0);
	cr_expect(etest_run_until(l, &n_late, 1, 2000));
	cr_expect_geq(pe_now_ns() - t_late, 300000000ull);
	pe_loop_close(l);
}

/* ---- stop ---- */

static void *stopper(void *arg)
{
	usleep(100000);
	pe_loop_stop(arg);
	return NULL;
}

ETEST_BACKENDS(loop, stop_from_thread)
ParameterizedTest(enum pe_backend *b, loop, stop_from_thread)
{
	int fds0 = etest_count_fds();
	struct pe_loop *l = etest_loop(*b);
	pthread_t th;
	uint64_t t0 = pe_now_ns(), dt;

	cr_assert_eq(pthread_create(&th, NULL, stopper, l), 0);
	cr_assert_eq(pe_loop_run(l), 0);
	dt = pe_now_ns() - t0;
	pthread_join(th, NULL);
	cr_expect_geq(dt, 90000000ull);
	cr_expect_lt(dt, 2000000000ull, "run returned after %llu ns", (unsigned long long)dt);
	/* A stop before run makes run return at once. */
	pe_loop_stop(l);
	t0 = pe_now_ns();
	cr_assert_eq(pe_loop_run(l), 0);
	cr_expect_lt(pe_now_ns() - t0, 100000000ull);
	pe_loop_close(l);
	cr_expect_eq(etest_count_fds(), fds0);
}

static struct pe_loop *sig_loop;

static void on_alarm(int sig)
{
	pe_loop_stop(sig_loop);
}

ETEST_BACKENDS(loop, stop_from_signal)
ParameterizedTest(enum pe_backend *b, loop, stop_from_signal)
{
	struct itimerval it = { .it_value = { .tv_usec = 100000 } };
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	uint64_t t0, dt;
	int fds0 = etest_count_fds();

	sig_loop = etest_loop(*b);
	sigaction(SIGALRM, &sa, NULL);
	t0 = pe_now_ns();
	cr_assert_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	cr_assert_eq(pe_loop_run(sig_loop), 0);
	dt = pe_now_ns() - t0;
	cr_expect_geq(dt, 90000000ull);
	cr_expect_lt(dt, 2000000000ull);
	pe_loop_close(sig_loop);
	cr_expect_eq(etest_count_fds(), fds0);
}

/* ---- io_uring fallback ---- */

/* Runs pe_loop_open with stderr captured in a file; returns what it printed. */
static struct pe_loop *open_capture(const struct pe_loop_opts *o, char *text, size_t cap)
{
	char path[] = "/tmp/pe-fallback-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	struct pe_loop *l;
	ssize_t n;

	cr_assert_geq(fd, 0);
	unlink(path);
	fflush(stderr);
	dup2(fd, 2);
	l = pe_loop_open(o);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, text, cap - 1, 0);
	text[n > 0 ? n : 0] = 0;
	close(fd);
	return l;
}

Test(loop, uring_fallback_one_line)
{
	struct pe_loop_opts o = { .sz = sizeof(o), .backend = PE_BACKEND_URING };
	char text[512];
	struct pe_loop *l, *l2;
	int fds0 = etest_count_fds();

	setenv("PKTENG_URING_DISABLE", "1", 1);
	l = open_capture(&o, text, sizeof(text));
	cr_assert_not_null(l);
	cr_expect_eq(pe_loop_backend(l), PE_BACKEND_EPOLL);
	cr_expect_str_eq(pe_loop_backend_str(l), "epoll");
	cr_expect_str_eq(text, "pkteng: io_uring unavailable (PKTENG_URING_DISABLE is set); "
			       "falling back to epoll\n");
	cr_expect_str_eq(pe_loop_fallback_reason(l), "PKTENG_URING_DISABLE is set");
	/* One line per process, not per loop (N workers do not print N lines). */
	l2 = open_capture(&o, text, sizeof(text));
	cr_assert_not_null(l2);
	cr_expect_eq(pe_loop_backend(l2), PE_BACKEND_EPOLL);
	cr_expect_str_eq(text, "");
	pe_loop_close(l2);
	pe_loop_close(l);
	/* With no_fallback the refusal is an error instead. */
	o.no_fallback = true;
	errno = 0;
	cr_expect_null(pe_loop_open(&o));
	cr_expect_eq(errno, EPERM);
	/* Without the variable the same options give io_uring on this kernel. */
	unsetenv("PKTENG_URING_DISABLE");
	l = pe_loop_open(&o);
	cr_assert_not_null(l, "io_uring refused: %s", strerror(errno));
	cr_expect_eq(pe_loop_backend(l), PE_BACKEND_URING);
	cr_expect_null(pe_loop_fallback_reason(l));
	pe_loop_close(l);
	cr_expect_eq(etest_count_fds(), fds0);
}

/* The real refusal: a seccomp filter in this test's own process makes io_uring_setup fail
 * with EPERM, as a container runtime's profile does. */
Test(loop, uring_refused_by_seccomp)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	struct pe_loop_opts o = { .sz = sizeof(o), .backend = PE_BACKEND_URING };
	struct echo_server es;
	struct stream_client sc = { 0 };
	uint32_t sizes[1] = { 1000 };
	char text[512];
	struct pe_loop *l;
	size_t len;
	uint8_t *out;

	unsetenv("PKTENG_URING_DISABLE");
	cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	cr_assert_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0, "seccomp: %s",
		     strerror(errno));
	cr_assert_eq(syscall(__NR_io_uring_setup, 8, NULL), -1);
	cr_assert_eq(errno, EPERM);
	l = open_capture(&o, text, sizeof(text));
	cr_assert_not_null(l);
	cr_expect_eq(pe_loop_backend(l), PE_BACKEND_EPOLL);
	cr_expect_str_eq(text, "pkteng: io_uring unavailable (EPERM: kernel.io_uring_disabled or "
			       "a seccomp filter); falling back to epoll\n");
	/* ... and the fallback loop works. */
	out = etest_framed_stream(sizes, 1, 3, &len);
	cr_assert_eq(echo_server_start(&es, l, "127.0.0.1", 4096, 0), 0);
	cr_assert_eq(stream_client_start(&sc, l, &es.addr, out, len, 5000), 0);
	for (int i = 0; i < 400 && !sc.closed; i++)
		pe_loop_run_once(l, 5000000);
	cr_expect_eq(sc.got, len);
	cr_expect_eq(sc.close_err, 0);
	pe_loop_close(l);
	free(out);
}

Test(loop, backend_names)
{
	enum pe_backend b = PE_BACKEND_EPOLL;

	cr_expect_str_eq(pe_backend_name(PE_BACKEND_URING), "io_uring");
	cr_expect_str_eq(pe_backend_name(PE_BACKEND_EPOLL), "epoll");
	cr_expect_null(pe_backend_name((enum pe_backend)7));
	cr_expect_eq(pe_backend_parse("uring", &b), 0);
	cr_expect_eq(b, PE_BACKEND_URING);
	cr_expect_eq(pe_backend_parse("epoll", &b), 0);
	cr_expect_eq(b, PE_BACKEND_EPOLL);
	cr_expect_eq(pe_backend_parse("io_uring", &b), 0);
	cr_expect_eq(b, PE_BACKEND_URING);
	cr_expect_eq(pe_backend_parse("poll", &b), -EINVAL);
	cr_expect_eq(pe_backend_parse(NULL, &b), -EINVAL);
}
