/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng xdp` counts exactly on a veth pair in the namespace lab: frames of every kind sent
 * from side A with a plain AF_PACKET socket, and with `pkteng inject` when it is built, are
 * counted on side B in generic and native mode, pass and drop. Independent checks: B's
 * rx_packets, and the ICMP echo replies B's stack sends (all in pass mode, none in drop mode). */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/ebpf/xdplab.h"

TestSuite(xdp_lab, .init = pe_xl_setup, .fini = pe_xl_teardown, .timeout = 90);

/* Attach in mode (with --drop), send everything twice, check the counters, detach. */
static void count_in_mode(const char *mode, bool drop)
{
	struct pe_xdp_stats got, want;
	struct pe_xdp_ctr total;
	uint64_t rx0, echo0;
	struct pe_run r;
	char said[64];

	PE_REQUIRE_XDP();
	cr_assert_eq(pe_xl_xdp(&r, "attach --dev %s --mode %s%s", pe_xl_rx_if, mode,
			       drop ? " --drop" : ""),
		     0);
	cr_assert_eq(r.status, 0, "attach: %s", r.err);
	snprintf(said, sizeof(said), "counting on %s in %s mode", pe_xl_rx_if, mode);
	cr_expect(strstr(r.out, said), "attach said: %s", r.out);
	pe_run_free(&r);
	cr_expect(pe_xl_has_xdp(), "ip link shows no XDP program");
	cr_expect(pe_xl_pins_exist());

	rx0 = pe_xl_rx_packets();
	echo0 = pe_xl_echo_replies();
	pe_xl_send_all();
	pe_xl_send_all();
	pe_xl_expected(&want, 2);
	pe_xl_wait_counted(pe_xdp_stats_total(&want).pkts);
	pe_xl_stats_json(&got, &total);
	pe_xl_expect_stats(&got, &want);
	{
		struct pe_xdp_ctr t = pe_xdp_stats_total(&want);

		if (total.pkts != t.pkts && !pe_run(&r, "ip -n %s -s -s link; ip -n %s -s -s link",
						    pe_xl_lab.ns[0], pe_xl_lab.ns[1])) {
			cr_log_error("%s", r.out);
			pe_run_free(&r);
		}
		cr_expect_eq(total.pkts, t.pkts, "total %llu want %llu",
			     (unsigned long long)total.pkts, (unsigned long long)t.pkts);
		cr_expect_eq(total.bytes, t.bytes);
		if (!drop)
			cr_expect_eq(pe_xl_rx_packets() - rx0, t.pkts,
				     "kernel rx_packets %llu, counter %llu",
				     (unsigned long long)(pe_xl_rx_packets() - rx0),
				     (unsigned long long)t.pkts);
	}
	cr_expect_eq(pe_xl_echo_replies() - echo0, drop ? 0 : 2 * PE_XL_ECHOES,
		     "echo replies: %llu", (unsigned long long)(pe_xl_echo_replies() - echo0));

	cr_assert_eq(pe_xl_xdp(&r, "detach --dev %s", pe_xl_rx_if), 0);
	cr_expect_eq(r.status, 0, "detach: %s", r.err);
	pe_run_free(&r);
	cr_expect(!pe_xl_has_xdp(), "XDP program left after detach");
	cr_expect(!pe_xl_pins_exist(), "pins left after detach");
}

Test(xdp_lab, generic_pass)
{
	count_in_mode("generic", false);
}

Test(xdp_lab, native_pass)
{
	count_in_mode("native", false);
}

Test(xdp_lab, native_drop)
{
	count_in_mode("native", true);
}

Test(xdp_lab, generic_drop)
{
	count_in_mode("generic", true);
}

/* The same counts with frames from `pkteng inject` (when this build has it). */
Test(xdp_lab, counts_frames_from_pkteng_inject)
{
	static const struct {
		const char *flags;
		unsigned n, l3, l4, tags;
	} sends[] = {
		{ "--proto udp", 20, PE_XDP_L3_IPV4, PE_XDP_L4_UDP, 0 },
		{ "--proto tcp --src-ip 2001:2::1 --dst-ip 2001:2::2", 15, PE_XDP_L3_IPV6,
		  PE_XDP_L4_TCP, 0 },
		{ "--proto raw --ethertype 0x0806", 10, PE_XDP_L3_ARP, PE_XDP_L4_MAX, 0 },
		{ "--proto icmp --vlan 10", 5, PE_XDP_L3_IPV4, PE_XDP_L4_ICMP, 1 },
		{ "--proto udp --vlan 10 --qinq 20", 6, PE_XDP_L3_IPV4, PE_XDP_L4_UDP, 2 },
	};
	struct pe_xdp_stats got, want;
	struct pe_xdp_ctr total;
	struct pe_run r;
	size_t i;

	PE_REQUIRE_XDP();
	cr_assert_eq(pe_run(&r, "%s inject --help", PE_TEST_BIN), 0);
	if (r.status) {
		pe_run_free(&r);
		cr_skip_test("this pkteng has no inject command");
	}
	pe_run_free(&r);
	cr_assert_eq(pe_xl_xdp(&r, "attach --dev %s", pe_xl_rx_if), 0);
	cr_assert_eq(r.status, 0, "attach: %s", r.err);
	pe_run_free(&r);
	memset(&want, 0, sizeof(want));
	for (i = 0; i < sizeof(sends) / sizeof(sends[0]); i++) {
		cr_assert_eq(pe_lab_run(&pe_xl_lab, 0, &r, "%s inject --dev %s -n %u --size %d %s",
					PE_TEST_BIN, pe_xl_lab.ifname[0], sends[i].n,
					PE_XL_FRAME_LEN + 4, sends[i].flags),
			     0);
		cr_assert_eq(r.status, 0, "inject %s: %s", sends[i].flags, r.err);
		pe_run_free(&r);
		want.l3[sends[i].l3].pkts += sends[i].n;
		want.l3[sends[i].l3].bytes += sends[i].n * PE_XL_FRAME_LEN;
		if (sends[i].l4 < PE_XDP_L4_MAX) {
			want.l4[sends[i].l4].pkts += sends[i].n;
			want.l4[sends[i].l4].bytes += sends[i].n * PE_XL_FRAME_LEN;
		}
		if (sends[i].tags) {
			want.vlan[sends[i].tags - 1].pkts += sends[i].n;
			want.vlan[sends[i].tags - 1].bytes += sends[i].n * PE_XL_FRAME_LEN;
		}
	}
	pe_xl_wait_counted(56);
	pe_xl_stats_json(&got, &total);
	pe_xl_expect_stats(&got, &want);
	cr_expect_eq(total.pkts, 56);
}

/* stats -i/-t --json-stream: a start line, one line per interval whose frames add up to what
 * was sent, and a summary that says the same. */
Test(xdp_lab, stats_intervals)
{
	struct pe_lab_bg bg;
	char out[128], *text, *line, *save = NULL;
	struct json_object *ev;
	const char *event;
	uint64_t sum = 0, total = 0;
	int lines = 0, summaries = 0, st;
	double t0;
	struct pe_run r;

	PE_REQUIRE_XDP();
	cr_assert_eq(pe_xl_xdp(&r, "attach --dev %s", pe_xl_rx_if), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	snprintf(out, sizeof(out), "/tmp/pe-xdp-stats-%d.out", (int)getpid());
	/* nsenter, not the lab's ip netns exec: stats reads the pins in this mount namespace */
	bg.pid = fork();
	cr_assert_geq(bg.pid, 0);
	if (!bg.pid) {
		char ns[128], dev[32];

		snprintf(ns, sizeof(ns), "--net=/run/netns/%s", pe_xl_lab.ns[1]);
		snprintf(dev, sizeof(dev), "%s", pe_xl_rx_if);
		if (!freopen(out, "w", stdout))
			_exit(127);
		execl("/usr/bin/nsenter", "nsenter", ns, PE_TEST_BIN, "xdp", "stats", "--dev", dev,
		      "-i", "0.5", "-t", "1.5", "--json-stream", (char *)NULL);
		_exit(127);
	}
	pe_xl_wait_map_open(bg.pid);
	pe_xl_send_all();
	st = pe_lab_bg_wait(&bg, 5000);
	cr_expect_eq(st, 0);
	text = pe_read_file(out, NULL);
	cr_assert_not_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *o = json_tokener_parse(line);

		cr_assert_not_null(o, "not JSON: %s", line);
		cr_assert(json_object_object_get_ex(o, "event", &ev), "%s", line);
		event = json_object_get_string(ev);
		if (!strcmp(event, "interval")) {
			sum += pe_xl_jget(o, "rx_frames", NULL, NULL);
			cr_assert(json_object_object_get_ex(o, "t0_s", &ev));
			t0 = json_object_get_double(ev);
			cr_expect(t0 >= lines * 0.5 && t0 < lines * 0.5 + 0.25,
				  "interval %d starts at its boundary: %s", lines, line);
			lines++;
		} else if (!strcmp(event, "summary")) {
			total = pe_xl_jget(o, "rx_frames", NULL, NULL);
			summaries++;
		} else {
			cr_expect_str_eq(event, "start", "%s", line);
		}
		json_object_put(o);
	}
	free(text);
	unlink(out);
	cr_expect_eq(lines, 3, "%d interval lines", lines);
	cr_expect_eq(summaries, 1);
	cr_expect_eq(sum, PE_XL_SENT, "intervals add up to %llu frames", (unsigned long long)sum);
	cr_expect_eq(total, PE_XL_SENT, "the summary says %llu frames", (unsigned long long)total);
}
