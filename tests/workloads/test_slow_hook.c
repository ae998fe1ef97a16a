/* SPDX-License-Identifier: BSD-2-Clause */
/* PKTENG_TEST_SLOW_PCT, the change of known cost a regression check is measured with: who reads
 * it, the busy-wait's length, and its effect on a loopback rr and udp-rr run (fewer
 * transactions, the same round trip). */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "workload/mode.h"
#include "workload/work.h"
#include "tests/record/outputs.h"
#include "tests/testutil.h"
#include "tests/workloads/servers.h"

TestSuite(slow, .timeout = 120);

/* The hook as pe_work_init reads it for mode on the given side. */
static int64_t read_as(const char *mode, bool client, const char *value)
{
	struct pe_params p;
	struct pe_work w;
	enum pe_mode m;
	int64_t pct;

	cr_assert_eq(pe_mode_parse(mode, &m), 0);
	pe_params_default(&p, m);
	if (value)
		setenv("PKTENG_TEST_SLOW_PCT", value, 1);
	else
		unsetenv("PKTENG_TEST_SLOW_PCT");
	cr_assert_eq(pe_work_init(&w, NULL, &p, client), 0);
	pct = w.slow_pct;
	free(w.hist);
	unsetenv("PKTENG_TEST_SLOW_PCT");
	return pct;
}

Test(slow, read_by_the_latency_modes_client_only)
{
	cr_expect_eq(read_as("rr", true, "50"), 50);
	cr_expect_eq(read_as("udp-rr", true, "10"), 10);
	cr_expect_eq(read_as("crr", true, "5"), 5);
	cr_expect_eq(read_as("echo", true, "7"), 7);
	cr_expect_eq(read_as("rr", true, "5000"), PE_WORK_SLOW_PCT_MAX);
	cr_expect_eq(read_as("rr", true, NULL), -1); /* unset: off */
	cr_expect_eq(read_as("rr", true, "ten"), -1);
	cr_expect_eq(read_as("rr", false, "50"), 0);
	cr_expect_eq(read_as("stream", true, "50"), 0);
	cr_expect_eq(read_as("udp", true, "50"), 0);
}

Test(slow, waits_the_fraction_of_the_time_since_the_last_wait)
{
	struct pe_work w = { 0 };
	uint64_t t0, t1, ret;

	/* off: the caller's clock comes back untouched, no wait */
	cr_expect_eq(pe_work_slow_wait(&w, 12345), 12345);
	w.slow_pct = -1;
	cr_expect_eq(pe_work_slow_wait(&w, 777), 777);

	w.slow_pct = 50;
	t0 = pe_now_ns();
	w.slow_last_ns = t0 - 4000000; /* 4 ms of work since the last wait */
	ret = pe_work_slow_wait(&w, 1);
	t1 = pe_now_ns();
	cr_expect_eq(w.slow_last_ns, ret);
	cr_expect_geq(ret - t0, 2000000, "waited %llu ns, want 50%% of 4 ms",
		      (unsigned long long)(ret - t0));
	/* a late end only when the host took the CPU away: generous */
	cr_expect_lt(t1 - t0, 2000000 + 100000000, "waited %llu ns", (unsigned long long)(t1 - t0));

	w.slow_pct = 10;
	t0 = pe_now_ns();
	w.slow_last_ns = t0 - 20000000;
	ret = pe_work_slow_wait(&w, 1);
	cr_expect_geq(ret - t0, 2000000);
	cr_expect_lt(ret - t0, 2000000 + 100000000);
}

struct figs {
	double tps, p50;
};

static struct figs run(int b, const char *mode, int pct)
{
	struct pe_run r = { 0 };
	struct json_object *doc, *c = NULL;
	struct figs f;

	cr_assert_eq(pe_run(&r,
			    "PKTENG_TEST_SLOW_PCT=%d %s client 127.0.0.1 -p %u --backend %s --mode "
			    "%s -t 0.5 --json",
			    pct, PE_TEST_BIN, pe_server_port(pe_wt_srv[b]), b ? "epoll" : "uring",
			    mode),
		     0);
	cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
	doc = pe_ro_client_view(json_tokener_parse(r.out));
	cr_assert(doc && json_object_object_get_ex(doc, "client", &c), "no report: %s", r.out);
	f.tps = (double)pe_json_i64(c, "transactions", 0) / pe_json_dbl(c, "duration_s", 1);
	f.p50 = pe_json_dbl(c, "lat_p50_ns", 0);
	json_object_put(doc);
	pe_run_free(&r);
	return f;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Interleaved pairs of short runs, the medians' ratios. The bound is loose (N=50 should give
 * 1/1.5 = 0.67 of the rate on a quiet host): a busy one spreads short runs widely. */
static void effect(const char *mode)
{
	enum { PAIRS = 5 };
	double tps[2][PAIRS], p50[2][PAIRS];

	pe_wt_start_servers();
	for (int i = 0; i < PAIRS; i++)
		for (int k = 0; k < 2; k++) {
			struct figs f = run(0, mode, k ? 50 : 0);

			tps[k][i] = f.tps;
			p50[k][i] = f.p50;
		}
	pe_wt_stop_servers();
	for (int k = 0; k < 2; k++) {
		qsort(tps[k], PAIRS, sizeof(double), cmp_dbl);
		qsort(p50[k], PAIRS, sizeof(double), cmp_dbl);
	}
	cr_assert_gt(tps[0][PAIRS / 2], 0);
	cr_expect_lt(tps[1][PAIRS / 2] / tps[0][PAIRS / 2], 0.85,
		     "%s: %.0f/s with the hook, %.0f/s without", mode, tps[1][PAIRS / 2],
		     tps[0][PAIRS / 2]);
	cr_expect_gt(tps[1][PAIRS / 2] / tps[0][PAIRS / 2], 0.2,
		     "%s: %.0f/s with the hook, %.0f/s without", mode, tps[1][PAIRS / 2],
		     tps[0][PAIRS / 2]);
	/* the wait is outside the round trip: the latency does not grow by half (inside it, it
	 * would: 1.5x; a client that also burns half its CPU is woken a little later on 2 vCPUs) */
	cr_expect_lt(p50[1][PAIRS / 2] / p50[0][PAIRS / 2], 1.4,
		     "%s: p50 %.0f ns with the hook, %.0f without", mode, p50[1][PAIRS / 2],
		     p50[0][PAIRS / 2]);
}

Test(slow, fewer_transactions_same_round_trip_rr)
{
	effect("rr");
}

Test(slow, fewer_transactions_same_round_trip_udp_rr)
{
	effect("udp-rr");
}
