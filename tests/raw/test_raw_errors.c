/* SPDX-License-Identifier: BSD-2-Clause */
/* Bad input: one line on stderr naming the problem, exit 2 (usage) or 1 (run), nothing on
 * stdout, no frame sent, no pcap file left behind, the interface as it was. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/raw/rawtest.h"

static struct pe_lab lab;
static char *dir;

static void setup(void)
{
	struct pe_run r;

	pe_rt_init(&lab, &dir, NULL);
	if (!pe_is_root())
		return;
	/* a pair that stays down, inside the lab's namespace */
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "ip link add dn0 type veth peer name dn1"), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
}

static void teardown(void)
{
	pe_rt_fini(&lab, &dir);
}

/* Copies in to out with @D replaced by the temp dir and @P by the pkteng under test. */
static void subst(char *out, size_t cap, const char *in)
{
	size_t n = 0;

	for (; *in && n + 1 < cap; in++) {
		const char *rep = NULL;

		if (in[0] == '@' && (in[1] == 'D' || in[1] == 'P'))
			rep = in[1] == 'D' ? dir : pe_rt_bin();
		if (rep) {
			n += snprintf(out + n, cap - n, "%s", rep);
			in++;
		} else {
			out[n++] = *in;
		}
	}
	out[n < cap ? n : cap - 1] = 0;
}

struct bad {
	const char *args; /* after `pkteng`; @D is the temp dir */
	int status;
	const char *err; /* exact stderr; @D is the temp dir */
};

#define NOCAP "setpriv --inh-caps=-all --bounding-set=-all "

static const struct bad bads[] = {
	{ "inject --dev nosuch0 -n 1", 2, "pkteng: --dev nosuch0: no such interface\n" },
	{ "capture --dev nosuch0 -n 1", 2, "pkteng: --dev nosuch0: no such interface\n" },
	{ "ethtool --dev nosuch0 -k", 2, "pkteng: --dev nosuch0: no such interface\n" },
	{ "inject -n 1", 2, "pkteng: inject: missing --dev IF (see 'pkteng inject --help')\n" },
	{ "inject --dev dn0 -n 1", 1, "pkteng: inject: dn0 is down (ip link set dn0 up)\n" },
	{ "capture --dev dn0 -n 1", 1, "pkteng: capture: dn0 is down (ip link set dn0 up)\n" },
	{ "inject --dev veth0 -n 1 --rate 0", 2, "pkteng: --rate 0: must be a number above 0\n" },
	{ "inject --dev veth0 -n 1 --rate -5", 2, "pkteng: --rate -5: must be a number above 0\n" },
	{ "inject --dev veth0 -n 1 --rate-mbps 0", 2,
	  "pkteng: --rate-mbps 0: must be a number above 0\n" },
	{ "inject --dev veth0 -n 5 --rate 1e-300", 2,
	  "pkteng: --rate 1e-300: must be from 1e-06 to 1e+10\n" },
	{ "inject --dev veth0 -n 5 --rate 1e300", 2,
	  "pkteng: --rate 1e300: must be from 1e-06 to 1e+10\n" },
	{ "inject --dev veth0 -n 5 --rate nan", 2,
	  "pkteng: --rate nan: must be a number above 0\n" },
	{ "inject --dev veth0 -n 5 --rate inf", 2,
	  "pkteng: --rate inf: must be a number above 0\n" },
	{ "inject --dev veth0 -n 5 --rate-mbps 1e-300", 2,
	  "pkteng: --rate-mbps 1e-300: must be from 1e-06 to 1e+07\n" },
	{ "inject --dev veth0 -n 1 --size 1518 --fcs", 2,
	  "pkteng: inject: a 1518-byte frame (FCS included, sent as data) is above what veth0 "
	  "accepts: 1514 bytes (MTU 1500 + 14-byte header)\n" },
	{ "inject --dev veth0 -n 1 --jumbo --size 2000", 2,
	  "pkteng: inject: a 2000-byte frame (1996 bytes without the FCS) is above what veth0 "
	  "accepts: 1514 bytes (MTU 1500 + 14-byte header)\n" },
	{ "inject --dev veth0 -n 1 --vary bogus=1-2", 2,
	  "pkteng: --vary bogus=1-2: unknown field (src-ip, dst-ip, sport, dport, size)\n" },
	{ "inject --dev veth0 -n 1 --vary ''", 2,
	  "pkteng: --vary '': expected FIELD=LO-HI (src-ip, dst-ip, sport, dport, size)\n" },
	{ "inject --dev veth0 -n 1 --vary sport=1-2,", 2,
	  "pkteng: --vary 'sport=1-2,': an empty item between commas\n" },
	{ "inject --dev veth0 -n 1 --vary sport=10-5", 2,
	  "pkteng: --vary sport=10-5: expected FIELD=LO-HI with LO <= HI\n" },
	{ "inject --dev veth0 -n 1 --proto icmp --vary sport=1-5", 2,
	  "pkteng: --vary: a field these frames do not have\n" },
	{ "inject --dev veth0 -n 1 --method carrier-pigeon", 2,
	  "pkteng: --method carrier-pigeon: expected auto, xdp, ring, sendmmsg or uring\n" },
	{ "inject --dev veth0 --replay @D/none.pcap", 2,
	  "pkteng: --replay @D/none.pcap: No such file or directory\n" },
	{ "inject --dev veth0 --replay @D/garbage.pcap", 2,
	  "pkteng: --replay @D/garbage.pcap: not a pcap file\n" },
	{ NOCAP "@P inject --dev veth0 -n 1", 1,
	  "pkteng: inject: needs CAP_NET_RAW (run as root)\n" },
	{ NOCAP "@P capture --dev veth0 -n 1 --pcap @D/nocap.pcap", 1,
	  "pkteng: capture: needs CAP_NET_RAW (run as root)\n" },
	{ "capture --dev veth0 -n 1 --pcap @D/no/such/dir.pcap", 1,
	  "pkteng: --pcap @D/no/such/dir.pcap: No such file or directory\n" },
	{ "capture --dev veth0 -n 1 --ethertype 0x10000", 2,
	  "pkteng: --ethertype 0x10000: must be 0x0000..0xffff\n" },
	{ "ethtool --dev veth0", 2,
	  "pkteng: ethtool: say -k DEV (list) or -K DEV NAME on|off (set)\n" },
};

ParameterizedTestParameters(raw_errors, one_line)
{
	PE_PARAM_INDEXES(sizeof(bads) / sizeof(bads[0]));
}

ParameterizedTest(unsigned *pi, raw_errors, one_line, .init = setup, .fini = teardown,
		  .timeout = 30)
{
	const struct bad *b = &bads[*pi];
	char cmd[1024], want[1024], ls[64];
	struct pe_run r;
	uint64_t tx0, tx1;

	PE_REQUIRE_ROOT();
	cr_assert_eq(pe_write_file(strcat(strcpy(cmd, dir), "/garbage.pcap"), "garbage\n", 8), 0);
	if (!strncmp(b->args, NOCAP, strlen(NOCAP))) {
		subst(cmd, sizeof(cmd), b->args);
	} else {
		char args[512];

		subst(args, sizeof(args), b->args);
		snprintf(cmd, sizeof(cmd), "%s %s", pe_rt_bin(), args);
	}
	subst(want, sizeof(want), b->err);
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx0), 0);
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s", cmd), 0);
	cr_expect_eq(r.status, b->status, "%s: status %d: %s", cmd, r.status, r.err);
	cr_expect_str_eq(r.err, want, "%s", cmd);
	cr_expect_eq(r.out_len, 0, "%s: stdout: %s", cmd, r.out);
	pe_run_free(&r);
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx1), 0);
	cr_expect_eq(tx1, tx0, "%s: sent %llu frames", cmd, (unsigned long long)(tx1 - tx0));
	/* only the garbage file: no pcap, no temporary file */
	cr_assert_eq(pe_run(&r, "ls -A %s", dir), 0);
	snprintf(ls, sizeof(ls), "garbage.pcap\n");
	cr_expect_str_eq(r.out, ls, "%s: left %s", cmd, r.out);
	pe_run_free(&r);
}
