/* SPDX-License-Identifier: BSD-2-Clause */
/* Every command's --json and --json-stream output against docs/results.schema.json (through
 * tests/record/validate.py and python3-jsonschema), and the figures against the kernel's
 * interface counters: capture and xdp in the namespace lab. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/loader.h"
#include "record/record.h"
#include "tests/lab/lab.h"
#include "tests/record/outputs.h"

static struct pe_lab lab;
static char *dir, rx_if[16];

static void setup(void)
{
	struct pe_lab_opts o = { .sz = sizeof(o), .quiet_ipv6 = true };
	struct pe_run r;

	if (!pe_is_root())
		return;
	cr_assert_eq(pe_lab_open(&lab, &o), 0);
	dir = pe_tmpdir();
	/* a name of its own: xdp pins live under /sys/fs/bpf/pkteng/IF for every namespace */
	snprintf(rx_if, sizeof(rx_if), "per%d", (int)getpid());
	cr_assert_eq(pe_run(&r,
			    "ip -n %s link set %s down && ip -n %s link set %s name %s && "
			    "ip -n %s link set %s up",
			    lab.ns[1], lab.ifname[1], lab.ns[1], lab.ifname[1], rx_if, lab.ns[1],
			    rx_if),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
}

static void teardown(void)
{
	struct pe_run r;

	if (!pe_is_root())
		return;
	if (pe_xdp_available() &&
	    !pe_run(&r, "nsenter --net=/run/netns/%s %s xdp detach --dev %s --force", lab.ns[1],
		    PE_TEST_BIN, rx_if))
		pe_run_free(&r);
	pe_lab_close(&lab);
	pe_tmpdir_remove(dir);
}

TestSuite(record_outputs, .init = setup, .fini = teardown, .timeout = 120);

/* B's interface counter `stat`. */
static uint64_t rx_counter(const char *stat)
{
	uint64_t v = 0;

	cr_assert_eq(pe_lab_counter(&lab, 1, rx_if, stat, &v), 0, "%s", stat);
	return v;
}

/* A's interface counter `stat`. */
static uint64_t tx_counter(const char *stat)
{
	uint64_t v = 0;

	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, stat, &v), 0, "%s", stat);
	return v;
}

/* Sends n frames of `size` bytes (with FCS, as inject counts its --size) from A at rate. With
 * fmt (--json or --json-stream), validates inject's record and returns its summary. */
static struct json_object *inject_fmt(unsigned n, unsigned size, unsigned rate, const char *fmt)
{
	struct json_object *sum = NULL;
	struct pe_run r;

	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s inject --dev %s -n %u --size %u --rate %u %s",
				PE_TEST_BIN, lab.ifname[0], n, size, rate, fmt ? fmt : ""),
		     0);
	cr_assert_eq(r.status, 0, "inject: %s", r.err);
	if (fmt)
		sum = pe_ro_validate(r.out, strstr(fmt, "--json-stream") ? "stream" : "json", 0);
	pe_run_free(&r);
	return sum;
}

static void inject(unsigned n, unsigned size, unsigned rate)
{
	inject_fmt(n, size, rate, NULL);
}

/* capture in B while inject sends from A: both commands' records valid in both shapes, and
 * the summaries' frames and L2 bytes exactly what the interfaces counted (the byte rule: L2
 * without FCS, as the kernel counts). */
Test(record_outputs, inject_and_capture)
{
	static const char *const fmts[] = { "--json", "--json-stream" };

	PE_REQUIRE_ROOT();
	for (unsigned i = 0; i < 2; i++) {
		char ready[300], out[300];
		struct pe_lab_bg bg;
		struct json_object *sum, *isum;
		uint64_t p0 = rx_counter("rx_packets"), b0 = rx_counter("rx_bytes"), n, l2;
		uint64_t tp0 = tx_counter("tx_packets"), tb0 = tx_counter("tx_bytes");
		char ifmt[40];

		snprintf(ready, sizeof(ready), "%s/ready%u", dir, i);
		snprintf(out, sizeof(out), "%s/cap%u.out", dir, i);
		cr_assert_eq(
			pe_lab_bg_start(&lab, 1, &bg, out, NULL,
					"exec %s capture --dev %s --incoming -n 40 -t 20 -i 0.1 %s "
					"--ready-file %s",
					PE_TEST_BIN, rx_if, fmts[i], ready),
			0);
		cr_assert_eq(pe_lab_wait_file(ready, &bg, 10000), 0);
		snprintf(ifmt, sizeof(ifmt), "-i 0.05 %s", fmts[i]);
		isum = inject_fmt(40, 100, 200, ifmt);
		cr_assert_eq(pe_lab_bg_wait(&bg, 20000), 0);
		sum = pe_ro_validate_file(out, i ? "stream" : "json", 1);
		n = pe_ro_u64(sum, "rx_frames");
		l2 = pe_ro_u64(sum, "rx_bytes_l2");
		cr_expect_eq(n, 40, "%s", json_object_to_json_string(sum));
		cr_expect_eq(pe_ro_u64(sum, "seq.frames"), 40);
		cr_expect_eq(n, rx_counter("rx_packets") - p0, "%s", fmts[i]);
		cr_expect_eq(l2, rx_counter("rx_bytes") - b0, "%s: L2 bytes %llu as the kernel",
			     fmts[i], (unsigned long long)l2);
		cr_expect_eq(l2, 40 * 96, "100 bytes with FCS on the wire, 96 without");
		cr_expect_eq(pe_ro_u64(sum, "rx_bytes_wire"), 40 * pe_rec_wire_bytes(96));
		cr_expect_eq(pe_ro_u64(sum, "rx_bytes_wire"), 40 * (100 + 20));
		cr_expect_eq(pe_ro_bool(sum, "interrupted"), false);
		json_object_put(sum);
		/* and inject's own record, against A's counters */
		cr_expect_eq(pe_ro_u64(isum, "tx_frames"), tx_counter("tx_packets") - tp0);
		cr_expect_eq(pe_ro_u64(isum, "tx_bytes_l2"), tx_counter("tx_bytes") - tb0);
		cr_expect_eq(pe_ro_u64(isum, "tx_bytes_l2"), 40 * 96);
		cr_expect_eq(pe_ro_u64(isum, "tx_bytes_wire"), 40 * 120);
		cr_expect_eq(pe_ro_u64(isum, "errors"), 0);
		cr_expect_eq(pe_ro_bool(isum, "interrupted"), false);
		json_object_put(isum);
	}
}

/* xdp run (not pinned) and xdp stats (pinned: attach, read once, read with intervals). */
Test(record_outputs, xdp)
{
	char out[300], err[300];
	struct pe_lab_bg bg;
	struct json_object *sum;
	struct pe_run r;
	uint64_t p0;

	PE_REQUIRE_ROOT();
	if (!pe_xdp_available())
		cr_skip_test("built without XDP (PKTENG_XDP)");
	snprintf(out, sizeof(out), "%s/xdprun.out", dir);
	snprintf(err, sizeof(err), "%s/xdprun.err", dir);
	p0 = rx_counter("rx_packets");
	cr_assert_eq(pe_lab_bg_start(&lab, 1, &bg, out, err,
				     "exec %s xdp run --dev %s --mode generic -i 0.25 -t 2 "
				     "--json-stream",
				     PE_TEST_BIN, rx_if),
		     0);
	cr_assert_eq(pe_ro_wait_text(err, "counting on", &bg, 10000), 0);
	inject(30, 64, 1000);
	cr_assert_eq(pe_lab_bg_wait(&bg, 10000), 0);
	sum = pe_ro_validate_file(out, "stream", 2);
	cr_expect_eq(pe_ro_u64(sum, "rx_frames"), 30);
	cr_expect_eq(pe_ro_u64(sum, "rx_frames"), rx_counter("rx_packets") - p0);
	cr_expect_eq(pe_ro_u64(sum, "rx_bytes_l2"), 30 * 60);
	cr_expect_eq(pe_ro_u64(sum, "rx_bytes_wire"), 30 * 84);
	json_object_put(sum);

	cr_assert_eq(pe_run(&r, "nsenter --net=/run/netns/%s %s xdp attach --dev %s --mode generic",
			    lab.ns[1], PE_TEST_BIN, rx_if),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	inject(20, 128, 1000);
	for (unsigned i = 0; i < 3; i++) {
		static const char *const args[] = { "--json", "--json-stream", "-t 0.3 --json" };

		cr_assert_eq(pe_run(&r, "nsenter --net=/run/netns/%s %s xdp stats --dev %s %s",
				    lab.ns[1], PE_TEST_BIN, rx_if, args[i]),
			     0);
		cr_assert_eq(r.status, 0, "%s", r.err);
		sum = pe_ro_validate(r.out, i == 1 ? "stream" : "json", i == 2 ? 1 : 0);
		if (i < 2) {
			cr_expect_eq(pe_ro_u64(sum, "rx_frames"), 20, "%s", args[i]);
			cr_expect_eq(pe_ro_u64(sum, "rx_bytes_l2"), 20 * 124, "%s", args[i]);
		} else {
			cr_expect_eq(pe_ro_u64(sum, "rx_frames"), 0, "nothing came in -t 0.3");
		}
		json_object_put(sum);
		pe_run_free(&r);
	}
}

/* A run stopped by SIGTERM still ends its record: a valid summary marked interrupted, in both
 * shapes, for capture and xdp run. */
Test(record_outputs, interrupted)
{
	static const struct {
		const char *cmd, *fmt, *ready_text;
	} cases[] = {
		{ "capture --incoming -i 0.1", "--json", "ready on" },
		{ "capture --incoming -i 0.1", "--json-stream", "ready on" },
		{ "xdp run --mode generic -i 0.1", "--json", "counting on" },
		{ "xdp run --mode generic -i 0.1", "--json-stream", "counting on" },
	};

	PE_REQUIRE_ROOT();
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *cmd = cases[i].cmd;
		char out[300], err[300];
		struct pe_lab_bg bg;
		struct json_object *sum;

		if (strstr(cmd, "xdp") && !pe_xdp_available())
			continue;
		snprintf(out, sizeof(out), "%s/int%u.out", dir, i);
		snprintf(err, sizeof(err), "%s/int%u.err", dir, i);
		cr_assert_eq(pe_lab_bg_start(&lab, 1, &bg, out, err, "exec %s %s --dev %s %s",
					     PE_TEST_BIN, cmd, rx_if, cases[i].fmt),
			     0);
		cr_assert_eq(pe_ro_wait_text(err, cases[i].ready_text, &bg, 10000), 0, "%s", cmd);
		inject(10, 64, 1000);
		usleep(250000); /* a few intervals */
		cr_assert_eq(kill(bg.pid, SIGTERM), 0);
		cr_assert_eq(pe_lab_bg_wait(&bg, 10000), 0, "%s %s", cmd, cases[i].fmt);
		sum = pe_ro_validate_file(out, cases[i].fmt[6] ? "stream" : "json", 1);
		cr_expect_eq(pe_ro_bool(sum, "interrupted"), true, "%s %s", cmd, cases[i].fmt);
		cr_expect_eq(pe_ro_u64(sum, "rx_frames"), 10, "%s %s", cmd, cases[i].fmt);
		json_object_put(sum);
	}
}
