/* SPDX-License-Identifier: BSD-2-Clause */
/* The lab itself: namespaces appear and disappear, the veth pair carries IPv4, IPv6 and VLAN
 * traffic, the MTU is applied, and an idle lab sends nothing that would disturb counters. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/lab/lab.h"
#include "tests/testutil.h"

static struct pe_lab lab;

static void fini(void)
{
	pe_lab_close(&lab);
}

static bool ns_exists(const char *ns)
{
	char path[128];

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	return access(path, F_OK) == 0;
}

TestSuite(lab, .fini = fini, .timeout = 60);

Test(lab, open_ping_close)
{
	struct pe_run r;
	uint64_t tx0, tx1, rx0, rx1;

	PE_REQUIRE_ROOT();
	cr_assert_eq(pe_lab_open(&lab, NULL), 0);
	cr_expect(ns_exists(lab.ns[0]) && ns_exists(lab.ns[1]));
	cr_expect_eq(strncmp(lab.ns[0], "pe", 2), 0);

	cr_assert_eq(pe_lab_run(&lab, 0, &r, "ip -br addr show dev %s", lab.ifname[0]), 0);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "198.18.0.1/24") && strstr(r.out, "2001:2::1/64"), "%s", r.out);
	pe_run_free(&r);
	cr_assert_eq(pe_lab_run(&lab, 1, &r, "cat /sys/class/net/%s/address", lab.ifname[1]), 0);
	cr_expect_str_eq(r.out, "02:00:00:00:00:02\n");
	pe_run_free(&r);

	/* Idle: nothing of the kernel's own leaves the veth while we watch. */
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx0), 0);
	usleep(300000);
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx1), 0);
	cr_expect_eq(tx1, tx0, "idle lab sent %llu frames", (unsigned long long)(tx1 - tx0));

	/* Three UDP datagrams over IPv4 and two over IPv6 (bash's /dev/udp): exactly five frames
	 * leave A and arrive at B, with no ARP or ND in between (permanent neighbours). */
	cr_assert_eq(pe_lab_counter(&lab, 1, NULL, "rx_packets", &rx0), 0);
	cr_assert_eq(pe_lab_run(&lab, 0, &r,
				"bash -c 'for i in 1 2 3; do echo x >/dev/udp/%s/9; done; "
				"for i in 1 2; do echo x >/dev/udp/%s/9; done'",
				lab.ip4[1], lab.ip6[1]),
		     0);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	pe_run_free(&r);
	cr_assert_eq(pe_lab_counter(&lab, 0, NULL, "tx_packets", &tx1), 0);
	cr_assert_eq(pe_lab_counter(&lab, 1, NULL, "rx_packets", &rx1), 0);
	cr_expect_eq(tx1 - tx0, 5);
	cr_expect_eq(rx1 - rx0, 5);

	cr_expect_eq(pe_lab_counter(&lab, 0, NULL, "no_such_counter", &tx1), -ENOENT);

	char ns0[32];

	strcpy(ns0, lab.ns[0]);
	cr_expect_eq(pe_lab_close(&lab), 0);
	cr_expect(!ns_exists(ns0), "%s still there", ns0);
	cr_expect_eq(pe_lab_close(&lab), 0);
}

Test(lab, vlan_and_mtu)
{
	struct pe_run r;

	PE_REQUIRE_ROOT();
	struct pe_lab_opts o = { .sz = sizeof(o), .mtu = 9000, .vlan_id = 42 };

	int err = pe_lab_open(&lab, &o);

	if (err == -EOPNOTSUPP)
		cr_skip_test("this kernel has no 802.1Q VLAN devices (CONFIG_VLAN_8021Q)");
	cr_assert_eq(err, 0);
	cr_expect_str_eq(lab.vlan_if[1], "veth1.42");
	cr_assert_eq(pe_lab_run(&lab, 1, &r, "cat /sys/class/net/%s/mtu", lab.ifname[1]), 0);
	cr_expect_str_eq(r.out, "9000\n");
	pe_run_free(&r);
	cr_assert_eq(pe_lab_run(&lab, 0, &r, "bash -c 'head -c 8000 /dev/zero >/dev/udp/%s/9'",
				lab.vlan_ip4[1]),
		     0);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	pe_run_free(&r);
	uint64_t rx;

	cr_assert_eq(pe_lab_counter(&lab, 1, lab.vlan_if[1], "rx_packets", &rx), 0);
	cr_expect_eq(rx, 1);
}

Test(lab, background_and_ready_file)
{
	struct pe_lab_bg bg;
	char *dir, path[256];

	PE_REQUIRE_ROOT();
	cr_assert_eq(pe_lab_open(&lab, NULL), 0);
	cr_assert((dir = pe_tmpdir()) != NULL);
	snprintf(path, sizeof(path), "%s/ready", dir);
	cr_assert_eq(pe_lab_bg_start(&lab, 1, &bg, NULL, NULL, "sleep 0.1; touch %s; exit 7", path),
		     0);
	cr_expect_eq(pe_lab_wait_file(path, &bg, 5000), 0);
	cr_expect_eq(pe_lab_bg_wait(&bg, 5000), 7);
	cr_assert_eq(pe_lab_bg_start(&lab, 1, &bg, NULL, NULL, "sleep 30"), 0);
	cr_expect_eq(pe_lab_bg_wait(&bg, 50), 128 + 9);
	cr_assert_eq(pe_lab_bg_start(&lab, 1, &bg, NULL, NULL, "exit 3"), 0);
	cr_expect_eq(pe_lab_wait_file("/nonexistent/x", &bg, 5000), -ECHILD);
	cr_expect_eq(pe_lab_bg_wait(&bg, 1000), 3);
	pe_tmpdir_remove(dir);
}

Test(lab, shell_script)
{
	struct pe_run r;

	PE_REQUIRE_ROOT();
	cr_assert_eq(pe_run(&r,
			    "bash %s/tests/lab/lab.sh run -- sh -c "
			    "'ip netns exec $PE_NS_A bash -c \"echo x >/dev/udp/$PE_IP4_B/9\" "
			    "&& echo $PE_NS_A'",
			    PE_TEST_SRC),
		     0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	char ns[64] = "";

	sscanf(r.out, "%63s", ns);
	cr_expect(!strncmp(ns, "pe", 2), "out: %s", r.out);
	cr_expect(!ns_exists(ns), "%s left behind by lab.sh", ns);
	pe_run_free(&r);
}

/* A lab left by a process that died (no cleanup ran) is removed by the next open: its record
 * names an owner that is gone. */
Test(lab, orphans_are_removed)
{
	struct pe_run r;

	PE_REQUIRE_ROOT();
	/* pid 4194305 is above the largest pid_max (2^22), so no process has it */
	cr_assert_eq(
		pe_run(&r,
		       "ip netns add pe4194305x0a && ip netns add pe4194305x0b && "
		       "mkdir -p /run/pkteng/lab && echo '4194305 1' >/run/pkteng/lab/pe4194305x0"),
		0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	cr_assert_eq(pe_lab_open(&lab, NULL), 0);
	cr_expect(!ns_exists("pe4194305x0a"), "orphan lab still there");
	cr_expect(!ns_exists("pe4194305x0b"), "orphan lab still there");
	cr_expect(access("/run/pkteng/lab/pe4194305x0", F_OK) != 0, "orphan record still there");
	cr_expect(ns_exists(lab.ns[0]), "the new lab");
	cr_expect(access("/run/pkteng/lab/", F_OK) == 0);
	if (!pe_run(&r, "ip netns del pe4194305x0a 2>/dev/null; ip netns del pe4194305x0b "
			"2>/dev/null; rm -f /run/pkteng/lab/pe4194305x0"))
		pe_run_free(&r);
}
