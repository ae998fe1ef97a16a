/* SPDX-License-Identifier: BSD-2-Clause */
/* inject's waits end when they should: SIGINT or SIGTERM ends the wait for a frame's due time
 * at once, with no frame sent after the signal; a replay whose timestamps step backwards sends
 * the frame after the step at once instead of some 585 years later. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raw/pcapfile.h"
#include "tests/raw/rawtest.h"

static struct pe_lab lab;
static char *dir;

static void setup(void)
{
	pe_rt_init(&lab, &dir, NULL);
}

static void teardown(void)
{
	pe_rt_fini(&lab, &dir);
}

/* A pcap of n 64-byte frames at the given timestamps (seconds). */
static void write_pcap(const char *path, const double *t_s, unsigned n)
{
	struct pe_pcap_opts o = { .sz = sizeof(o) };
	struct pe_pcap_writer *w = pe_pcap_create(path, &o);
	uint8_t f[64] = { 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5 };

	cr_assert(w);
	for (unsigned i = 0; i < n; i++) {
		f[20] = (uint8_t)i;
		cr_assert_eq(pe_pcap_write(w, f, sizeof(f), (uint64_t)(t_s[i] * 1e9)), 0);
	}
	cr_assert_eq(pe_pcap_commit(w), 0);
}

static const struct {
	const char *args; /* after inject --dev veth0 --json; @D is the temp dir */
	const char *sig;
	uint64_t frames; /* sent before the signal, and after it none */
} stops[] = {
	{ "--rate 0.1 -n 10", "INT", 1 },
	{ "--rate 0.1 -n 10", "TERM", 1 },
	{ "--rate 0.1 -n 10 --method ring", "INT", 1 },
	{ "--replay @D/far.pcap", "TERM", 1 },
};

ParameterizedTestParameters(raw_waits, signal_ends_the_wait)
{
	PE_PARAM_INDEXES(sizeof(stops) / sizeof(stops[0]));
}

/* The signal comes 0.5 s into a 10 s wait (a 1000 s one for the replay): pkteng must exit
 * within 0.5 s of it, with the frames it sent before. */
ParameterizedTest(unsigned *pi, raw_waits, signal_ends_the_wait, .init = setup, .fini = teardown,
		  .timeout = 60)
{
	static const double far[] = { 100, 1100 };
	char args[512], path[300];
	const char *a = stops[*pi].args, *at = strstr(a, "@D");
	struct pe_run r;
	uint64_t tx0, tx1;
	long ms;

	PE_REQUIRE_ROOT();
	snprintf(path, sizeof(path), "%s/far.pcap", dir);
	write_pcap(path, far, 2);
	if (at)
		snprintf(args, sizeof(args), "%.*s%s%s", (int)(at - a), a, dir, at + 2);
	else
		snprintf(args, sizeof(args), "%s", a);
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx0), 0);
	cr_assert_eq(pe_lab_run(&lab, 0, &r,
				"timeout -s KILL 20 %s inject --dev veth0 --json %s >%s/out & "
				"p=$!; sleep 0.5; t0=$(date +%%s%%N); kill -%s $p; wait $p; "
				"echo \"$? $(( ($(date +%%s%%N) - t0) / 1000000 ))\"",
				pe_rt_bin(), args, dir, stops[*pi].sig),
		     0);
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx1), 0);
	cr_assert_eq(sscanf(r.out, "%*d %ld", &ms), 1, "%s", r.out);
	cr_expect_eq(atoi(r.out), 0, "%s: exit %s", args, r.out);
	cr_expect_lt(ms, 500, "%s: exited %ld ms after SIG%s", args, ms, stops[*pi].sig);
	cr_expect_eq(tx1 - tx0, stops[*pi].frames, "%s: %llu frames sent", args,
		     (unsigned long long)(tx1 - tx0));
	pe_run_free(&r);
}

/* Timestamps 5000 s, then 1000 s (back by more than the uptime), then 1000.2 s: the step back is
 * sent at once and the gap after it kept, so the whole file goes in about 0.2 s. */
Test(raw_waits, replay_backward_timestamps, .init = setup, .fini = teardown, .timeout = 60)
{
	static const double back[] = { 5000, 1000, 1000.2 };
	char path[300];
	struct pe_run r;
	uint64_t tx0, tx1;
	long ms;

	PE_REQUIRE_ROOT();
	snprintf(path, sizeof(path), "%s/back.pcap", dir);
	write_pcap(path, back, 3);
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx0), 0);
	cr_assert_eq(pe_lab_run(&lab, 0, &r,
				"t0=$(date +%%s%%N); timeout -s KILL 10 %s inject --dev veth0 "
				"--replay %s >/dev/null; echo \"$? $(( ($(date +%%s%%N) - t0) / "
				"1000000 ))\"",
				pe_rt_bin(), path),
		     0);
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx1), 0);
	cr_assert_eq(sscanf(r.out, "%*d %ld", &ms), 1, "%s", r.out);
	cr_expect_eq(atoi(r.out), 0, "exit %s (%s)", r.out, r.err);
	cr_expect(ms >= 190 && ms < 1000, "took %ld ms", ms);
	cr_expect_eq(tx1 - tx0, 3);
	pe_run_free(&r);
}
