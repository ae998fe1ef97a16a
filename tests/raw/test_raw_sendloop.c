/* SPDX-License-Identifier: BSD-2-Clause */
/* The send loop's API (raw/sendloop.h) in-process, on the lab's veth (the test enters side A's
 * namespace): every bad option is -EINVAL before anything is sent; a stop set from the
 * interval callback ends the run with that interval, whose counts are the run's; a count is
 * sent exactly; a list goes out once, however far the pacing falls behind; and the counts
 * equal the veth's tx_packets delta. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "raw/frame.h"
#include "raw/sendloop.h"
#include "raw/stamp.h"
#include "tests/raw/rawtest.h"

static struct pe_lab lab;
static char *dir;
static struct pe_frame_tmpl tmpl;
static struct pe_tx *tx;

/* The lab, this process in A's namespace, a sendmmsg transmitter on veth0 (burst 8) and a
 * 100-byte UDP template. */
static void setup(void)
{
	struct pe_lab_opts lo = { .sz = sizeof(lo), .quiet_ipv6 = true };
	struct pe_tx_opts to = { .sz = sizeof(to), .burst = 8 };
	struct pe_frame_opts fo;
	char path[128];
	int ns;

	pe_rt_init(&lab, &dir, &lo);
	if (!lab.open)
		return;
	snprintf(path, sizeof(path), "/run/netns/%s", lab.ns[0]);
	ns = open(path, O_RDONLY);
	cr_assert(ns >= 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(setns(ns, CLONE_NEWNET), 0, "setns: %s", strerror(errno));
	close(ns);
	to.ifname = lab.ifname[0];
	tx = pe_tx_open(&to);
	cr_assert(tx, "pe_tx_open: %s", strerror(errno));
	pe_frame_opts_default(&fo);
	fo.size_bytes = 100;
	cr_assert_eq(pe_frame_build(&tmpl, &fo), 0);
}

static void teardown(void)
{
	pe_tx_close(tx);
	tx = NULL;
	pe_rt_fini(&lab, &dir);
}

static uint64_t tx_packets(void)
{
	uint64_t v = 0;

	/* through the lab: this process's /sys still shows the namespace it started in */
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &v), 0);
	return v;
}

static void no_interval(double t0_s, double t1_s, const struct pe_send_counts *d, void *ctx)
{
}

Test(raw_sendloop, bad_options_are_einval, .init = setup, .fini = teardown, .timeout = 30)
{
	static const struct pe_send_frame list[1] = { { (const uint8_t *)"0123456789abcdef", 16,
							0 } };
	struct pe_varier vr = { 0 };
	struct {
		const char *name;
		struct pe_send_opts o;
	} cases[] = {
		{ "sz 0", { .tx = tx, .tmpl = &tmpl, .count = 1 } },
		{ "no tx", { .sz = sizeof(struct pe_send_opts), .tmpl = &tmpl, .count = 1 } },
		{ "no frames", { .sz = sizeof(struct pe_send_opts), .tx = tx, .count = 1 } },
		{ "template and list",
		  { .sz = sizeof(struct pe_send_opts),
		    .tx = tx,
		    .tmpl = &tmpl,
		    .frames = list,
		    .n_frames = 1 } },
		{ "empty list", { .sz = sizeof(struct pe_send_opts), .tx = tx, .frames = list } },
		{ "vary without template",
		  { .sz = sizeof(struct pe_send_opts),
		    .tx = tx,
		    .frames = list,
		    .n_frames = 1,
		    .vary = &vr } },
		{ "negative rate",
		  { .sz = sizeof(struct pe_send_opts), .tx = tx, .tmpl = &tmpl, .rate_pps = -1 } },
		{ "NaN Mbit/s",
		  { .sz = sizeof(struct pe_send_opts),
		    .tx = tx,
		    .tmpl = &tmpl,
		    .rate_mbps = NAN } },
		{ "both rates",
		  { .sz = sizeof(struct pe_send_opts),
		    .tx = tx,
		    .tmpl = &tmpl,
		    .rate_pps = 10,
		    .rate_mbps = 1 } },
		{ "infinite time",
		  { .sz = sizeof(struct pe_send_opts),
		    .tx = tx,
		    .tmpl = &tmpl,
		    .time_s = INFINITY } },
		{ "time past 64-bit nanoseconds",
		  { .sz = sizeof(struct pe_send_opts), .tx = tx, .tmpl = &tmpl, .time_s = 1e300 } },
		{ "negative interval",
		  { .sz = sizeof(struct pe_send_opts),
		    .tx = tx,
		    .tmpl = &tmpl,
		    .interval_s = -1,
		    .on_interval = no_interval } },
		{ "interval without callback",
		  { .sz = sizeof(struct pe_send_opts), .tx = tx, .tmpl = &tmpl, .interval_s = 1 } },
	};
	struct {
		struct pe_send_opts o;
		uint64_t later; /* a field a later version might have */
	} big = { .o = { .sz = sizeof(big), .tx = tx, .tmpl = &tmpl, .count = 1 }, .later = 1 };
	struct pe_send_result res;
	uint64_t before;

	PE_REQUIRE_ROOT();
	before = tx_packets();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&res, 0xff, sizeof(res));
		cr_expect_eq(pe_send_run(&cases[i].o, &res), -EINVAL, "%s", cases[i].name);
		cr_expect_eq(res.tot.frames, 0, "%s", cases[i].name);
		cr_expect_eq(res.secs, 0, "%s", cases[i].name);
		cr_expect_not(res.err_frame, "%s", cases[i].name);
	}
	cr_expect_eq(pe_send_run(NULL, &res), -EINVAL);
	cr_expect_eq(pe_send_run(&big.o, &res), -EINVAL, "unknown non-zero bytes past the struct");
	big.later = 0;
	cr_expect_eq(pe_send_run(&big.o, &res), 0, "a larger struct with zeros past it");
	cr_expect_eq(res.tot.frames, 1);
	cr_expect_eq(tx_packets() - before, 1, "only the last run sent");
}

struct ivs {
	volatile sig_atomic_t stop;
	unsigned calls, stop_at;
	double t0[8], t1[8];
	struct pe_send_counts d[8];
};

static void on_interval(double t0_s, double t1_s, const struct pe_send_counts *d, void *ctx)
{
	struct ivs *v = ctx;

	if (v->calls < 8) {
		v->t0[v->calls] = t0_s;
		v->t1[v->calls] = t1_s;
		v->d[v->calls] = *d;
	}
	if (++v->calls == v->stop_at)
		v->stop = 1;
}

/* Paced, stamped, stopped from the second interval's callback: nothing is sent after it. */
Test(raw_sendloop, stop_from_interval_callback, .init = setup, .fini = teardown, .timeout = 30)
{
	struct ivs v = { .stop_at = 2 };
	struct pe_send_opts o = { .sz = sizeof(o),
				  .tx = tx,
				  .tmpl = &tmpl,
				  .stamp = true,
				  .rate_pps = 2000,
				  .time_s = 10,
				  .stop = &v.stop,
				  .interval_s = 0.1,
				  .on_interval = on_interval,
				  .ctx = &v };
	struct pe_send_result res;
	uint64_t before;

	PE_REQUIRE_ROOT();
	before = tx_packets();
	cr_assert_eq(pe_send_run(&o, &res), 0);
	cr_expect_eq(v.calls, 2, "the run ends with the interval that set the stop");
	cr_expect_eq(v.t0[0], 0);
	cr_expect_eq(v.t0[1], v.t1[0], "intervals follow each other");
	cr_expect_geq(v.t1[0], 0.1);
	cr_expect_geq(v.t1[1], 0.2);
	cr_expect(v.d[0].frames > 0 && v.d[1].frames > 0);
	cr_expect_eq(v.d[0].frames + v.d[1].frames, res.tot.frames,
		     "the intervals count every frame of the run");
	cr_expect_eq(v.d[0].bytes_l2 + v.d[1].bytes_l2, res.tot.bytes_l2);
	cr_expect_eq(res.tot.bytes_l2, res.tot.frames * 96, "100-byte frames, counted without FCS");
	cr_expect_eq(res.tot.bytes_wire, res.tot.frames * 120, "+ FCS, preamble and gap");
	/* 2000 frames/s over about 0.2 s */
	cr_expect(res.tot.frames >= 300 && res.tot.frames <= 500, "%llu frames",
		  (unsigned long long)res.tot.frames);
	cr_expect_lt(res.secs, 1.0);
	cr_expect_eq(res.tot.errors, 0);
	cr_expect_eq(tx_packets() - before, res.tot.frames);
	/* the template carries the last frame's stamp */
	{
		uint64_t seq = 0;

		cr_expect(pe_stamp_get(pe_frame_data(&tmpl) + tmpl.off_payload, tmpl.payload_len,
				       &seq));
		cr_expect_eq(seq, res.tot.frames - 1);
	}
}

/* A count flat out, exactly; a list of 5 frames goes out once, paced far faster than the
 * loop can go (catch-up bursts up to the transmitter's 8) or at its own timing (20 ms apart). */
Test(raw_sendloop, count_and_list_once, .init = setup, .fini = teardown, .timeout = 30)
{
	struct pe_send_frame list[5];
	struct pe_send_opts o = { .sz = sizeof(o), .tx = tx, .tmpl = &tmpl, .count = 77 };
	struct pe_send_result res;
	uint64_t before;

	PE_REQUIRE_ROOT();
	before = tx_packets();
	cr_assert_eq(pe_send_run(&o, &res), 0);
	cr_expect_eq(res.tot.frames, 77);
	cr_expect_eq(res.tot.bytes_l2, 77 * 96);
	cr_expect_eq(res.tot.bytes_wire, 77 * 120);
	cr_expect_eq(tx_packets() - before, 77);
	for (int i = 0; i < 5; i++)
		list[i] = (struct pe_send_frame){ pe_frame_data(&tmpl), tmpl.len,
						  1000000000ull + (uint64_t)i * 20000000 };
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.tx = tx;
	o.frames = list;
	o.n_frames = 5;
	o.rate_pps = 1000000; /* paced far faster than it can go: catch-up bursts of 8 */
	before = tx_packets();
	cr_assert_eq(pe_send_run(&o, &res), 0);
	cr_expect_eq(res.tot.frames, 5, "the list once");
	cr_expect_eq(tx_packets() - before, 5);
	o.rate_pps = 0; /* its own timing: 80 ms from the first to the last */
	cr_assert_eq(pe_send_run(&o, &res), 0);
	cr_expect_eq(res.tot.frames, 5);
	cr_expect(res.secs >= 0.08 && res.secs < 0.5, "%.3f s", res.secs);
}
