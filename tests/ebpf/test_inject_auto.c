/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng inject` without --method (auto): which method it picks for each kind of run, what it
 * says about why in the JSON and the text report, and that a fallback never costs a frame: the
 * interface counters on both ends and the capture see exactly the frames asked for. XDP live
 * frames are tried first for a flat-out run; a kernel that refuses them (EPERM) or a veth peer
 * without NAPI sends the run through the TX ring instead. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "ebpf/loader.h"
#include "tests/ebpf/xdplab.h"
#include "tests/raw/rawtest.h"
#include "tests/testutil.h"

static struct pe_lab lab;
static char *dir;
static bool xdp_built, live_refused;

/* Whether this kernel and build send XDP live frames: one frame to a MAC nobody has, forced. */
static void setup(void)
{
	pe_rt_init(&lab, &dir, NULL);
	if (!pe_is_root())
		return;
	xdp_built = pe_xdp_available();
	if (!xdp_built)
		return;
	live_refused = pe_rt_xdp_live_refused(&lab);
}

static void teardown(void)
{
	pe_rt_fini(&lab, &dir);
}

static void peer_gro(bool on)
{
	struct pe_run r;

	cr_assert_eq(
		pe_lab_run(&lab, 1, &r, "ethtool -K %s gro %s", lab.ifname[1], on ? "on" : "off"),
		0);
	cr_assert_eq(r.status, 0, "ethtool: %s", r.err);
	pe_run_free(&r);
}

static const char *str_at(json_object *o, const char *a, const char *b)
{
	json_object *v = json_object_object_get(json_object_object_get(o, a), b);

	return v ? json_object_get_string(v) : NULL;
}

/* The run's method and why, from the record's start; the counts exact on every side. */
static void run_exact(const char *args, unsigned n, const char *method, const char *why)
{
	struct pe_rt_io r;
	char inj[256], cap[64];
	json_object *params;

	snprintf(inj, sizeof(inj), "-n %u %s", n, args);
	snprintf(cap, sizeof(cap), "-n %u -t 20", n);
	cr_assert_eq(pe_rt_io(&lab, dir, inj, cap, 25000, &r), 0, "%s", args);
	cr_assert_eq(r.inj_status, 0, "%s: inject: %s", args, r.inj_err);
	cr_assert_eq(r.cap_status, 0, "%s: capture: %s", args, r.cap_err);
	cr_assert(r.inj && r.cap, "%s: reports: %s / %s", args, r.inj_out, r.cap_out);
	cr_expect_str_eq(str_at(r.inj, "start", "backend"), method, "%s", args);
	params = json_object_object_get(json_object_object_get(r.inj, "start"), "params");
	cr_expect_str_eq(str_at(json_object_object_get(r.inj, "start"), "params", "method"),
			 method);
	cr_expect_eq(json_object_get_boolean(json_object_object_get(params, "method_auto")), 1);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(params, "method_why")), why,
			 "%s", args);
	cr_expect_eq(pe_rt_int(r.inj, "summary.tx_frames"), n, "%s", args);
	cr_expect_eq(pe_rt_int(r.inj, "summary.errors"), 0, "%s", args);
	cr_expect_eq(r.tx_delta, n, "%s: tx_packets delta", args);
	cr_expect_eq(r.rx_delta, n, "%s: the peer's rx_packets delta", args);
	cr_expect_eq(pe_rt_int(r.cap, "summary.rx_frames"), n, "%s: captured", args);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.frames"), n, "%s: %s", args, r.cap_out);
	cr_expect_eq(pe_rt_int(r.cap, "summary.seq.missing"), 0, "%s", args);
	pe_rt_io_free(&r);
}

/* What this machine's flat-out run falls back with, when it does. */
static const char *no_xdp_why(const char *peer_why)
{
	if (!xdp_built)
		return "xdp unavailable: the XDP transmitter did not load (Operation not "
		       "supported)";
	if (live_refused)
		return "xdp unavailable: BPF_PROG_RUN live frames refused (Operation not "
		       "permitted)";
	return peer_why;
}

Test(inject_auto, flat_out_with_peer_napi, .init = setup, .fini = teardown, .timeout = 60)
{
	if (!pe_is_root())
		cr_skip_test("needs root");
	peer_gro(true);
	if (xdp_built && !live_refused)
		run_exact("", 3000, "xdp",
			  "a flat-out run of one frame, and veth0 takes XDP frames");
	else
		run_exact("", 3000, "ring", no_xdp_why(NULL));
}

Test(inject_auto, flat_out_without_peer_napi, .init = setup, .fini = teardown, .timeout = 60)
{
	if (!pe_is_root())
		cr_skip_test("needs root");
	peer_gro(false);
	run_exact("", 3000, "ring",
		  no_xdp_why("xdp unavailable: veth0 counted no frame sent through XDP (no XDP "
			     "transmit, or a veth whose peer has no NAPI)"));
}

struct pick {
	const char *args, *method, *why;
};

static const struct pick picks[] = {
	{ "--rate 20000", "ring", "xdp cannot do --rate" },
	{ "--vary sport=1000-1009", "ring", "xdp cannot do --vary" },
	{ "--burst 128", "ring", "xdp cannot do --burst above 64" },
	{ "--qdisc-bypass", "ring", "xdp cannot do --qdisc-bypass" },
	{ "--fcs", "sendmmsg",
	  "xdp cannot do --fcs, and the TX ring cannot send the frame's own FCS" },
};

ParameterizedTestParameters(inject_auto, what_xdp_cannot_do)
{
	PE_PARAM_INDEXES(sizeof(picks) / sizeof(picks[0]));
}

ParameterizedTest(unsigned *pi, inject_auto, what_xdp_cannot_do, .init = setup, .fini = teardown,
		  .timeout = 60)
{
	if (!pe_is_root())
		cr_skip_test("needs root");
	peer_gro(true);
	run_exact(picks[*pi].args, 2000, picks[*pi].method, picks[*pi].why);
}

/* An explicit --method is what runs, and the record says it was asked for; the text report of
 * an auto run starts with the method and why. */
Test(inject_auto, explicit_and_text, .init = setup, .fini = teardown, .timeout = 60)
{
	struct pe_run r;

	if (!pe_is_root())
		cr_skip_test("needs root");
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s inject --dev %s --method sendmmsg -n 5 --json",
				pe_rt_bin(), lab.ifname[0]),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(
		strstr(r.out, "\"method\":\"sendmmsg\",\"method_auto\":false,\"method_why\":null"),
		"%s", r.out);
	pe_run_free(&r);
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s inject --dev %s --rate 1000 -n 5", pe_rt_bin(),
				lab.ifname[0]),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(!strncmp(r.out, "method ring (auto: xdp cannot do --rate)\nsent 5 frames", 53),
		  "%s", r.out);
	pe_run_free(&r);
}
