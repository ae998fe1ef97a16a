/* SPDX-License-Identifier: BSD-2-Clause */
/* The noise a run saw: another process's busy loop shows as other processes' CPU and marks the
 * run disturbed; the same loop named as the run's own (a server) or run as this process's child
 * and reaped (a run's client) does not count. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "suite/suite.h"

TestSuite(noise, .timeout = 60);

static pid_t busy_child(double secs)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (!pid) {
		struct timespec t0, t;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		do
			clock_gettime(CLOCK_MONOTONIC, &t);
		while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 <
		       secs);
		_exit(0);
	}
	return pid;
}

/* A busy neighbour counts; named as the run's own it does not: the two samples of the same
 * window differ by its CPU, whatever else the machine does meanwhile. */
static void neighbour(void)
{
	struct pe_noise_snap a, a_own, b, b_own;
	struct pe_noise n, n_own;
	struct pe_suite s;
	char why[200];
	pid_t pid = busy_child(30);
	int pids[1] = { pid };

	usleep(50000);
	pe_noise_sample(&a, NULL, 0);
	pe_noise_sample(&a_own, pids, 1);
	usleep(700000);
	pe_noise_sample(&b, NULL, 0);
	pe_noise_sample(&b_own, pids, 1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	pe_noise_between(&a, &b, &n);
	pe_noise_between(&a_own, &b_own, &n_own);
	/* a whole CPU when it gets one; a quarter even on a host busy with four more */
	cr_expect_geq(n.other_cpu_pct, 25, "%.1f%%", n.other_cpu_pct);
	cr_expect_geq(n.other_cpu_pct - n_own.other_cpu_pct, 25, "%.1f%% vs %.1f%% as our own",
		      n.other_cpu_pct, n_own.other_cpu_pct);
	memset(&s, 0, sizeof(s));
	s.steal_max_pct = 5;
	s.other_max_pct = 20;
	cr_expect(pe_noise_disturbed(&s, &n, why, sizeof(why)));
	cr_expect_eq(strncmp(why, "other processes' CPU ", 21), 0, "%s", why);
	s.other_max_pct = 10000;
	cr_expect_not(pe_noise_disturbed(&s, &n, why, sizeof(why)));
}

/* A run is this process's child: its CPU, reaped in the window, is the run's own. A window as
 * long without the child before it is the reference . */
static double window(bool with_child)
{
	struct pe_noise_snap a, b;
	struct pe_noise n;

	pe_noise_sample(&a, NULL, 0);
	if (with_child)
		waitpid(busy_child(0.6), NULL, 0);
	else
		usleep(600000);
	pe_noise_sample(&b, NULL, 0);
	pe_noise_between(&a, &b, &n);
	return n.other_cpu_pct;
}

static void own_child(void)
{
	double before = window(false), with_child = window(true);

	/* counted, the child alone would add about 100% */
	cr_expect_lt(with_child, before + 50, "%.1f%% with our child, %.1f%% without", with_child,
		     before);
}

/* One test, the parts in turn: Criterion runs tests side by side, and one part's busy child
 * would be the other's neighbour. */
Test(noise, neighbours_count_the_runs_own_do_not)
{
	neighbour();
	own_child();
}
