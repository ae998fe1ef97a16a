/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng xdp show` and the counter beside other XDP programs through libxdp: show names what
 * runs where with pkteng's counts; with xdp-loader (xdp-tools) on the same veth both run in
 * libxdp's dispatcher, and either one is detached while the other keeps running. Where the
 * kernel refuses the dispatcher, the coexistence tests skip with libxdp's reason, and attach
 * says it counts alone. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/multi.h"
#include "tests/ebpf/xdplab.h"

#define FILTER_OBJ "/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o"

TestSuite(xdp_libxdp, .init = pe_xl_setup, .fini = pe_xl_teardown, .timeout = 90);

/* Runs CMD in B's network namespace (keeping this mount namespace: libxdp's pins). */
static int in_b(struct pe_run *r, const char *cmd)
{
	return pe_run(r, "nsenter --net=/run/netns/%s %s", pe_xl_lab.ns[1], cmd);
}

/* `pkteng xdp show --dev B --json`, the one interface's object (the caller puts the array). */
static json_object *show_json(json_object **arr)
{
	struct pe_run r;

	cr_assert_eq(pe_xl_xdp(&r, "show --dev %s --json", pe_xl_rx_if), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	*arr = json_tokener_parse(r.out);
	cr_assert(*arr && json_object_array_length(*arr) == 1, "%s", r.out);
	pe_run_free(&r);
	return json_object_array_get_idx(*arr, 0);
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : "(null)";
}

/* Loads xdp-tools' allow-all filter with xdp-loader; returns whether libxdp's dispatcher runs
 * on B afterwards, and libxdp's reason in why when it does not. */
static bool xdp_loader_load(char *why, size_t cap)
{
	struct pe_run r;
	char cmd[512];
	const char *p;
	bool disp;

	if (access(FILTER_OBJ, R_OK))
		cr_skip_test("xdp-tools is not installed (" FILTER_OBJ ")");
	snprintf(cmd, sizeof(cmd), "xdp-loader load -v %s " FILTER_OBJ, pe_xl_rx_if);
	cr_assert_eq(in_b(&r, cmd), 0);
	cr_assert_eq(r.status, 0, "xdp-loader: %s", r.err);
	p = strstr(r.err, "Compatibility check for dispatcher program failed: ");
	snprintf(why, cap, "%.*s", p ? (int)strcspn(p, "\n") : 7, p ? p : "unknown");
	pe_run_free(&r);
	snprintf(cmd, sizeof(cmd), "xdp-loader status %s", pe_xl_rx_if);
	cr_assert_eq(in_b(&r, cmd), 0);
	disp = strstr(r.out, "xdp_dispatcher") != NULL;
	pe_run_free(&r);
	return disp;
}

Test(xdp_libxdp, show_names_the_counter_and_its_counts)
{
	struct pe_xdp_stats want;
	json_object *arr, *o, *c;
	struct pe_run r;
	char line[160];

	PE_REQUIRE_XDP();
	cr_assert_eq(pe_xl_xdp(&r, "show --dev %s", pe_xl_rx_if), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(line, sizeof(line), "\n%-12s %-8s %-6s %-16s %-10s no XDP program\n", pe_xl_rx_if,
		 "-", "-", "-", "-");
	cr_expect(strstr(r.out, line), "%s", r.out);
	pe_run_free(&r);
	cr_assert_eq(pe_xl_xdp(&r, "attach --dev %s", pe_xl_rx_if), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	if (strstr(r.out, "in libxdp's dispatcher"))
		cr_expect(pe_xdp_multi_available());
	else
		cr_expect(
			!pe_xdp_multi_available() ||
				strstr(r.out, "alone: libxdp's dispatcher is not available here ("),
			"%s", r.out);
	pe_run_free(&r);
	pe_xl_send_all();
	pe_xl_expected(&want, 1);
	pe_xl_wait_counted(pe_xdp_stats_total(&want).pkts);
	o = show_json(&arr);
	cr_expect_str_eq(jstr(o, "dev"), pe_xl_rx_if);
	cr_expect_str_eq(jstr(o, "mode"), "native");
	cr_expect(json_object_object_get_ex(o, "pkteng_counters", &c) && c);
	cr_expect_eq(pe_xl_jget(o, "pkteng_counters", "rx_frames", NULL),
		     pe_xdp_stats_total(&want).pkts);
	cr_expect_eq(pe_xl_jget(o, "pkteng_counters", "rx_bytes_l2", NULL),
		     pe_xdp_stats_total(&want).bytes);
	if (!strcmp(jstr(o, "attach"), "libxdp")) {
		cr_expect_eq(json_object_array_length(json_object_object_get(o, "programs")), 1);
	} else {
		cr_expect_str_eq(jstr(o, "attach"), "bpf_link");
		cr_expect_str_eq(jstr(o, "name"), "pe_xdp_count");
		cr_expect_eq(pe_xl_jget(o, "prog_id", NULL, NULL), pe_xl_prog_id());
	}
	json_object_put(arr);
	/* its own pinned program goes without --force */
	cr_assert_eq(pe_xl_xdp(&r, "detach --dev %s", pe_xl_rx_if), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	cr_expect(!pe_xl_has_xdp());
	cr_expect(!pe_xl_pins_exist());
}

/* Another tool's program: show lists it; without a dispatcher the counter is refused beside it
 * (naming it), with one it joins. */
Test(xdp_libxdp, beside_xdp_loader)
{
	struct pe_xdp_stats want;
	json_object *arr, *o, *progs;
	char why[256], cmd[256];
	struct pe_run r;
	uint64_t before;
	bool disp;

	PE_REQUIRE_XDP();
	if (!pe_xdp_multi_available())
		cr_skip_test("built without libxdp (libxdp-dev)");
	disp = xdp_loader_load(why, sizeof(why));
	o = show_json(&arr);
	if (!disp) {
		/* what this kernel does: xdp-loader's program alone, over netlink */
		cr_expect_str_eq(jstr(o, "name"), "xdpfilt_alw_all");
		cr_expect_str_eq(jstr(o, "attach"), "netlink");
		json_object_put(arr);
		cr_assert_eq(pe_xl_xdp(&r, "attach --dev %s", pe_xl_rx_if), 0);
		cr_expect_eq(r.status, 1);
		cr_expect(strstr(r.err, "'xdpfilt_alw_all' is already attached (native mode, "
					"netlink)"),
			  "%s", r.err);
		pe_run_free(&r);
		cr_expect(!pe_xl_pins_exist());
		cr_skip_test("libxdp's dispatcher does not load on this kernel (%s)", why);
	}
	cr_expect_str_eq(jstr(o, "attach"), "libxdp");
	json_object_put(arr);
	cr_assert_eq(pe_xl_xdp(&r, "attach --dev %s", pe_xl_rx_if), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "in libxdp's dispatcher (2 programs)"), "%s", r.out);
	pe_run_free(&r);
	o = show_json(&arr);
	progs = json_object_object_get(o, "programs");
	cr_expect_eq(json_object_array_length(progs), 2);
	json_object_put(arr);
	pe_xl_send_all();
	pe_xl_expected(&want, 1);
	pe_xl_wait_counted(pe_xdp_stats_total(&want).pkts);
	/* xdp-loader's program goes; the counter keeps counting */
	snprintf(cmd, sizeof(cmd), "xdp-loader unload %s --id %u", pe_xl_rx_if, 0u);
	cr_assert_eq(pe_xl_xdp(&r, "show --dev %s --json", pe_xl_rx_if), 0);
	o = json_object_array_get_idx(json_tokener_parse(r.out), 0);
	progs = json_object_object_get(o, "programs");
	for (size_t i = 0; i < json_object_array_length(progs); i++) {
		json_object *p = json_object_array_get_idx(progs, i);

		if (!strcmp(jstr(p, "name"), "xdpfilt_alw_all"))
			snprintf(cmd, sizeof(cmd), "xdp-loader unload %s --id %s", pe_xl_rx_if,
				 jstr(p, "prog_id"));
	}
	pe_run_free(&r);
	cr_assert_eq(in_b(&r, cmd), 0);
	cr_expect_eq(r.status, 0, "%s: %s", cmd, r.err);
	pe_run_free(&r);
	before = pe_xdp_stats_total(&want).pkts;
	pe_xl_send_all();
	pe_xl_wait_counted(2 * before);
	/* and the other way round: xdp-loader's program back, the counter leaves without
	 * --force, xdp-loader's program stays */
	cr_assert(xdp_loader_load(why, sizeof(why)));
	cr_assert_eq(pe_xl_xdp(&r, "detach --dev %s", pe_xl_rx_if), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "the other programs keep running"), "%s", r.out);
	pe_run_free(&r);
	o = show_json(&arr);
	progs = json_object_object_get(o, "programs");
	cr_expect_eq(json_object_array_length(progs), 1);
	cr_expect_str_eq(jstr(json_object_array_get_idx(progs, 0), "name"), "xdpfilt_alw_all");
	json_object_put(arr);
	cr_expect(!pe_xl_pins_exist());
}
