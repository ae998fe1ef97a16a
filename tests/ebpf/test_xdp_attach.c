/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng xdp` attach and detach on the namespace lab: nothing is left behind, a second attach
 * is refused naming the program there, detach --force removes another tool's program and a hung
 * run's, signals end `xdp run` cleanly, native falls back to generic where the driver has no
 * XDP, and without privileges the error says what is needed. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/ebpf/xdplab.h"

TestSuite(xdp_attach, .init = pe_xl_setup, .fini = pe_xl_teardown, .timeout = 90);

/* A second attach is refused naming what is there (the id `ip link` shows); a program another
 * tool attached over netlink is refused the same way, survives a plain detach and goes with
 * --force. */
Test(xdp_attach, already_attached)
{
	char want[160], obj[512];
	struct pe_run r;
	unsigned id;

	PE_REQUIRE_XDP();
	cr_assert_eq(pe_xl_xdp(&r, "attach --dev %s --mode native", pe_xl_rx_if), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	id = pe_xl_prog_id();
	cr_assert_gt(id, 0);
	cr_assert_eq(pe_xl_xdp(&r, "attach --dev %s --mode generic", pe_xl_rx_if), 0);
	cr_expect_eq(r.status, 1);
	snprintf(want, sizeof(want),
		 "XDP program %u 'pe_xdp_count' is already attached (native mode, bpf_link); "
		 "'pkteng xdp detach --dev %s --force' removes it\n",
		 id, pe_xl_rx_if);
	cr_expect(strstr(r.err, want), "stderr: %s", r.err);
	pe_run_free(&r);
	cr_assert_eq(pe_xl_xdp(&r, "run --dev %s -t 0.1", pe_xl_rx_if), 0);
	cr_expect_eq(r.status, 1, "run over an attached program: %s", r.err);
	pe_run_free(&r);
	cr_assert_eq(pe_xl_xdp(&r, "detach --dev %s", pe_xl_rx_if), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);

	/* another tool's program, attached over netlink */
	snprintf(obj, sizeof(obj), "%s/ebpf/xdp_count.bpf.o", PE_TEST_BUILD);
	cr_assert_eq(pe_run(&r, "ip -n %s link set dev %s xdpgeneric obj %s sec xdp",
			    pe_xl_lab.ns[1], pe_xl_rx_if, obj),
		     0);
	cr_assert_eq(r.status, 0, "ip link set xdpgeneric: %s", r.err);
	pe_run_free(&r);
	id = pe_xl_prog_id();
	cr_assert_gt(id, 0);
	cr_assert_eq(pe_xl_xdp(&r, "attach --dev %s", pe_xl_rx_if), 0);
	cr_expect_eq(r.status, 1);
	snprintf(want, sizeof(want),
		 "XDP program %u 'pe_xdp_count' is already attached (generic "
		 "mode, netlink)",
		 id);
	cr_expect(strstr(r.err, want), "stderr: %s", r.err);
	pe_run_free(&r);
	cr_assert_eq(pe_xl_xdp(&r, "detach --dev %s", pe_xl_rx_if), 0);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "no pkteng XDP program pinned there"), "%s", r.err);
	pe_run_free(&r);
	cr_expect(pe_xl_has_xdp());
	cr_assert_eq(pe_xl_xdp(&r, "detach --dev %s --force", pe_xl_rx_if), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "detached from"), "%s", r.out);
	pe_run_free(&r);
	cr_expect(!pe_xl_has_xdp(), "detach --force left the netlink program");
	/* --force is idempotent */
	cr_assert_eq(pe_xl_xdp(&r, "detach --dev %s --force", pe_xl_rx_if), 0);
	cr_expect_eq(r.status, 0);
	snprintf(want, sizeof(want), "nothing to detach on %s\n", pe_xl_rx_if);
	cr_expect_str_eq(r.out, want);
	pe_run_free(&r);
}

/* run detaches on SIGTERM and prints its totals; a killed run leaves nothing (the bpf_link
 * dies with the process); a hung run's program is removed by detach --force. */
Test(xdp_attach, run_signals_and_force)
{
	char out[128], want[64], *text;
	struct pe_lab_bg bg;
	uint64_t rx0;
	struct pe_run r;
	int st;

	PE_REQUIRE_XDP();
	snprintf(out, sizeof(out), "/tmp/pe-xdp-run-%d.out", (int)getpid());
	pe_xl_start_run(&bg, out);
	rx0 = pe_xl_rx_packets();
	pe_xl_send_all();
	pe_xl_wait_rx(rx0, PE_XL_SENT);
	kill(bg.pid, SIGTERM);
	st = pe_lab_bg_wait(&bg, 5000);
	cr_expect_eq(st, 0, "xdp run after SIGTERM: status %d", st);
	text = pe_read_file(out, NULL);
	cr_assert_not_null(text);
	cr_expect(strstr(text, "counting on "), "%s", text);
	/* the totals table: every frame sent, every one counted */
	snprintf(want, sizeof(want), "\n%-10s %16u %18u\n", "total", PE_XL_SENT,
		 PE_XL_SENT * PE_XL_FRAME_LEN);
	cr_expect(strstr(text, want), "%s", text);
	free(text);
	cr_expect(!pe_xl_has_xdp(), "SIGTERM left the program attached");

	pe_xl_start_run(&bg, NULL);
	kill(bg.pid, SIGKILL);
	pe_lab_bg_wait(&bg, 5000);
	usleep(100000); /* the link is released when the last fd closes */
	cr_expect(!pe_xl_has_xdp(), "a killed run left its program attached");
	cr_assert_eq(pe_xl_xdp(&r, "detach --dev %s --force", pe_xl_rx_if), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);

	pe_xl_start_run(&bg, NULL);
	kill(bg.pid, SIGSTOP); /* hung: still holds its link */
	cr_assert_eq(pe_xl_xdp(&r, "detach --dev %s", pe_xl_rx_if), 0);
	cr_expect_eq(r.status, 1, "plain detach of an unpinned run");
	pe_run_free(&r);
	cr_expect(pe_xl_has_xdp());
	cr_assert_eq(pe_xl_xdp(&r, "detach --dev %s --force", pe_xl_rx_if), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "detached from"), "%s", r.out);
	pe_run_free(&r);
	cr_expect(!pe_xl_has_xdp(), "detach --force left the hung run's program");
	kill(bg.pid, SIGKILL);
	kill(bg.pid, SIGCONT);
	pe_lab_bg_wait(&bg, 5000);
	unlink(out);
}

/* Without privileges (root with every capability dropped, so the binary's path needs no
 * other user's access): one line saying what is needed, exit 1. */
Test(xdp_attach, not_root)
{
	struct pe_run r;

	PE_REQUIRE_XDP();
	/* nsenter itself needs CAP_SYS_ADMIN: enter first, then drop privileges */
	cr_assert_eq(
		pe_run(&r,
		       "nsenter --net=/run/netns/%s setpriv --inh-caps=-all --bounding-set=-all "
		       "%s xdp run --dev %s -t 0.1",
		       pe_xl_lab.ns[1], PE_TEST_BIN, pe_xl_rx_if),
		0);
	cr_expect_eq(r.status, 1, "status %d: %s", r.status, r.err);
	cr_expect_str_eq(r.err, "pkteng: xdp run: needs CAP_BPF and CAP_NET_ADMIN (run as root)\n");
	pe_run_free(&r);
}

/* A device without native XDP (ifb): AUTO says it falls back and uses generic mode; --mode
 * native is refused with the kernel's reason. */
Test(xdp_attach, native_refused_falls_back)
{
	struct pe_run r;
	char want[200];

	PE_REQUIRE_XDP();
	snprintf(pe_xl_ifb_if, sizeof(pe_xl_ifb_if), "pey%d", (int)getpid());
	cr_assert_eq(pe_run(&r, "ip -n %s link add %s type ifb && ip -n %s link set %s up",
			    pe_xl_lab.ns[1], pe_xl_ifb_if, pe_xl_lab.ns[1], pe_xl_ifb_if),
		     0);
	if (r.status) {
		pe_run_free(&r);
		cr_skip_test("no ifb devices in this kernel (a device without native XDP)");
	}
	pe_run_free(&r);
	cr_assert_eq(pe_xl_xdp(&r, "attach --dev %s --mode native", pe_xl_ifb_if), 0);
	cr_expect_eq(r.status, 1);
	snprintf(want, sizeof(want),
		 "pkteng: --dev %s: the kernel refuses native XDP here (Operation not supported); "
		 "try --mode generic\n",
		 pe_xl_ifb_if);
	cr_expect_str_eq(r.err, want);
	pe_run_free(&r);
	cr_expect(!pe_xl_pins_exist_for(pe_xl_ifb_if));
	cr_assert_eq(pe_xl_xdp(&r, "attach --dev %s", pe_xl_ifb_if), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	snprintf(want, sizeof(want),
		 "native XDP refused on %s (Operation not supported); using generic mode\n"
		 "counting on %s in generic mode\n",
		 pe_xl_ifb_if, pe_xl_ifb_if);
	cr_expect(!strncmp(r.out, want, strlen(want)), "%s", r.out);
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, "ip -n %s -d link show dev %s", pe_xl_lab.ns[1], pe_xl_ifb_if), 0);
	cr_expect(strstr(r.out, "xdpgeneric"), "%s", r.out);
	pe_run_free(&r);
	cr_assert_eq(pe_xl_xdp(&r, "detach --dev %s", pe_xl_ifb_if), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	cr_expect(!pe_xl_pins_exist_for(pe_xl_ifb_if));
}
