/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng lab`: up prints the lab and makes exactly it (names, addresses, MACs, neighbours,
 * GRO), down removes it, a lab whose owner died is stale and goes with the next command, and
 * the errors are one line each. Lab names here are labcmd<pid><letter>. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/testutil.h"

static char name[3][32];

static bool ns_exists(const char *ns)
{
	char path[128];

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	return access(path, F_OK) == 0;
}

static void init(void)
{
	for (int i = 0; i < 3; i++)
		snprintf(name[i], sizeof(name[i]), "labcmd%d%c", (int)getpid(), 'p' + i);
}

static void fini(void)
{
	struct pe_run r;

	for (int i = 0; i < 3; i++)
		if (!pe_run(&r, "%s lab down %s", PE_TEST_BIN, name[i]))
			pe_run_free(&r);
}

TestSuite(lab_cmd, .init = init, .fini = fini, .timeout = 60);

/* `ip ... ` in side NS; returns its stdout (malloc'd). */
static char *in_ns(const char *ns, const char *cmd)
{
	struct pe_run r;
	char *out;

	cr_assert_eq(pe_run(&r, "ip netns exec %s %s", ns, cmd), 0);
	cr_assert_eq(r.status, 0, "%s: %s", cmd, r.err);
	out = r.out;
	r.out = NULL;
	pe_run_free(&r);
	return out;
}

Test(lab_cmd, up_prints_and_builds_exactly_that)
{
	char want[1024], ns_a[40], ns_b[40], *s;
	struct pe_run r;
	int me = (int)getpid();

	PE_REQUIRE_ROOT();
	snprintf(ns_a, sizeof(ns_a), "%sa", name[0]);
	snprintf(ns_b, sizeof(ns_b), "%sb", name[0]);
	cr_assert_eq(pe_run(&r, "%s lab up %s --owner %d", PE_TEST_BIN, name[0], me), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(want, sizeof(want),
		 "lab %s is up (owner pid %d; 'pkteng lab down %s' removes it)\n"
		 "  side A: namespace %s, veth0 02:00:00:00:00:01 198.18.0.1/24\n"
		 "  side B: namespace %s, veth1 02:00:00:00:00:02 198.18.0.2/24, rx-gro on\n"
		 "enter side A: ip netns exec %s bash\n"
		 "enter side B: ip netns exec %s bash\n",
		 name[0], me, name[0], ns_a, ns_b, ns_a, ns_b);
	cr_expect_str_eq(r.out, want);
	cr_expect_str_eq(r.err, "");
	pe_run_free(&r);
	cr_assert(ns_exists(ns_a) && ns_exists(ns_b));
	s = in_ns(ns_a, "ip -br -4 addr show dev veth0");
	cr_expect(strstr(s, "198.18.0.1/24"), "%s", s);
	free(s);
	s = in_ns(ns_a, "ip -6 addr show dev veth0");
	cr_expect_str_eq(s, "", "IPv6 without --v6");
	free(s);
	s = in_ns(ns_b, "ip -br link show dev veth1");
	cr_expect(strstr(s, "02:00:00:00:00:02 <BROADCAST,MULTICAST,NOARP,UP,LOWER_UP>"), "%s", s);
	free(s);
	s = in_ns(ns_a, "ip neigh show dev veth0");
	cr_expect_str_eq(s, "198.18.0.2 lladdr 02:00:00:00:00:02 PERMANENT \n");
	free(s);
	s = in_ns(ns_b, "ethtool -k veth1");
	cr_expect(strstr(s, "\ngeneric-receive-offload: on\n"), "GRO on B");
	free(s);
	s = in_ns(ns_a, "ethtool -k veth0");
	cr_expect(strstr(s, "\ngeneric-receive-offload: off\n"), "GRO stays off on A");
	free(s);
	/* a frame across */
	s = in_ns(ns_a,
		  "bash -c 'echo x >/dev/udp/198.18.0.2/9; cat /sys/class/net/veth0/statistics/"
		  "tx_packets'");
	cr_expect_str_eq(s, "1\n", "A sent only the test's frame");
	free(s);
	/* a second up of a live lab is refused; list says it is live */
	cr_assert_eq(pe_run(&r, "%s lab up %s", PE_TEST_BIN, name[0]), 0);
	cr_expect_eq(r.status, 1);
	snprintf(want, sizeof(want),
		 "pkteng: lab up %s: exists and its owner is alive (pkteng lab down %s)\n", name[0],
		 name[0]);
	cr_expect_str_eq(r.err, want);
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, "%s lab list", PE_TEST_BIN), 0);
	snprintf(want, sizeof(want), "\n%-24s %8d  live\n", name[0], me);
	cr_expect(strstr(r.out, want), "%s", r.out);
	pe_run_free(&r);
	/* down removes namespaces and record; a second down says there is nothing */
	cr_assert_eq(pe_run(&r, "%s lab down %s", PE_TEST_BIN, name[0]), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	cr_expect(!ns_exists(ns_a) && !ns_exists(ns_b));
	snprintf(want, sizeof(want), "/run/pkteng/lab/%s", name[0]);
	cr_expect(access(want, F_OK) != 0, "record left");
	cr_assert_eq(pe_run(&r, "%s lab down %s", PE_TEST_BIN, name[0]), 0);
	cr_expect_eq(r.status, 1);
	snprintf(want, sizeof(want), "pkteng: lab down %s: no such lab\n", name[0]);
	cr_expect_str_eq(r.err, want);
	pe_run_free(&r);
}

Test(lab_cmd, env_v6_mtu)
{
	char want[1024], ns_a[40], *s;
	struct pe_run r;

	PE_REQUIRE_ROOT();
	snprintf(ns_a, sizeof(ns_a), "%sa", name[1]);
	cr_assert_eq(pe_run(&r, "%s lab up %s --owner %d --env --v6 --mtu 9000 --no-gro",
			    PE_TEST_BIN, name[1], (int)getpid()),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(want, sizeof(want),
		 "PE_LAB_NAME=%s\nPE_NS_A=%sa\nPE_IF_A=veth0\nPE_MAC_A=02:00:00:00:00:01\n"
		 "PE_IP4_A=198.18.0.1\nPE_IP6_A=2001:2::1\nPE_NS_B=%sb\nPE_IF_B=veth1\n"
		 "PE_MAC_B=02:00:00:00:00:02\nPE_IP4_B=198.18.0.2\nPE_IP6_B=2001:2::2\n",
		 name[1], name[1], name[1]);
	cr_expect_str_eq(r.out, want);
	pe_run_free(&r);
	s = in_ns(ns_a, "ip -br -6 addr show dev veth0");
	cr_expect(strstr(s, "2001:2::1/64"), "%s", s);
	free(s);
	s = in_ns(ns_a, "ip -6 neigh show dev veth0");
	cr_expect_str_eq(s, "2001:2::2 lladdr 02:00:00:00:00:02 PERMANENT \n");
	free(s);
	s = in_ns(ns_a, "cat /sys/class/net/veth0/mtu");
	cr_expect_str_eq(s, "9000\n");
	free(s);
	snprintf(want, sizeof(want), "%sb", name[1]);
	s = in_ns(want, "ethtool -k veth1");
	cr_expect(strstr(s, "\ngeneric-receive-offload: off\n"), "--no-gro");
	free(s);
}

/* A lab whose owner exited is stale: list says so, and the next `lab up` of another lab (or
 * a `lab down`) removes it. */
Test(lab_cmd, stale_labs_are_removed)
{
	char ns[40], cmd[160], want[256];
	struct pe_run r;
	pid_t child;
	int st;

	PE_REQUIRE_ROOT();
	child = fork();
	cr_assert(child >= 0);
	if (!child) {
		pause();
		_exit(0);
	}
	cr_assert_eq(pe_run(&r, "%s lab up %s --owner %d", PE_TEST_BIN, name[2], (int)child), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	snprintf(ns, sizeof(ns), "%sa", name[2]);
	cr_assert(ns_exists(ns));
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	cr_assert_eq(pe_run(&r, "%s lab list", PE_TEST_BIN), 0);
	snprintf(want, sizeof(want), "\n%-24s %8d  stale\n", name[2], (int)child);
	/* stale, unless another process's `lab up` (another test binary) removed it already */
	snprintf(cmd, sizeof(cmd), "/run/pkteng/lab/%s", name[2]);
	cr_expect(strstr(r.out, want) || access(cmd, F_OK) != 0, "%s", r.out);
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, "%s lab up %s --owner %d", PE_TEST_BIN, name[0], (int)getpid()), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	cr_expect(!ns_exists(ns), "the stale lab is still there");
	snprintf(want, sizeof(want), "/run/pkteng/lab/%s", name[2]);
	cr_expect(access(want, F_OK) != 0, "the stale record is still there");
	/* a lab whose namespaces someone removed by hand is stale too */
	snprintf(cmd, sizeof(cmd), "ip netns del %sa; ip netns del %sb", name[0], name[0]);
	cr_assert_eq(pe_run(&r, "%s", cmd), 0);
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, "%s lab down", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	snprintf(want, sizeof(want), "/run/pkteng/lab/%s", name[0]);
	cr_expect(access(want, F_OK) != 0, "the record of a lab without namespaces");
}

struct bad {
	const char *args, *err;
	int status;
};

static const struct bad bads[] = {
	{ "lab", "pkteng: lab: say up, down or list (see 'pkteng lab --help')\n", 2 },
	{ "lab up bad/name", "pkteng: lab: name 'bad/name': 1 to 24 letters, digits, '-' or '_'\n",
	  2 },
	{ "lab up x --vlan 0", "pkteng: --vlan 0: must be 1..4094\n", 2 },
	{ "lab up x --mtu 67", "pkteng: --mtu 67: must be 68..65535\n", 2 },
	{ "lab frob", "pkteng: lab: unknown verb 'frob' (up, down or list)\n", 2 },
	{ "lab up x y", "pkteng: lab: unexpected argument 'y'\n", 2 },
	{ "lab up labcmdnoowner --owner 4194305", "pkteng: --owner: no such process\n", 2 },
};

ParameterizedTestParameters(lab_cmd, bad_input)
{
	PE_PARAM_INDEXES(sizeof(bads) / sizeof(bads[0]));
}

ParameterizedTest(unsigned *pi, lab_cmd, bad_input)
{
	struct pe_run r;

	PE_REQUIRE_ROOT();
	cr_assert_eq(pe_run(&r, "%s %s", PE_TEST_BIN, bads[*pi].args), 0);
	cr_expect_str_eq(r.err, bads[*pi].err);
	cr_expect_eq(r.status, bads[*pi].status);
	cr_expect_str_eq(r.out, "");
	pe_run_free(&r);
	cr_expect(!ns_exists("labcmdnoownera"));
}
