/* SPDX-License-Identifier: BSD-2-Clause */
/* udp figures against the kernel's own count (/proc/net/snmp6 Udp6InDatagrams and
 * Udp6OutDatagrams). Its own binary, so no other test of this suite sends UDP meanwhile;
 * other processes can only add to the kernel's count, never take away from it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload/work.h"
#include "tests/record/outputs.h"
#include "tests/testutil.h"

static long long snmp6(const char *name)
{
	char *t = pe_read_file("/proc/net/snmp6", NULL), *p;
	long long v = -1;

	cr_assert(t, "cannot read /proc/net/snmp6");
	p = strstr(t, name);
	if (p)
		v = strtoll(p + strlen(name), NULL, 10);
	free(t);
	cr_assert_geq(v, 0, "no %s in /proc/net/snmp6", name);
	return v;
}

Test(udp_counters, received_and_sent_match_snmp, .timeout = 60)
{
	struct pe_server_opts so = { .sz = sizeof(so), .bind = "::1", .backend = PE_BACKEND_EPOLL };
	struct pe_server *s = pe_server_open(&so);
	long long in0, out0, in1, out1, rx, tx;
	struct json_object *d, *c, *sv;
	struct pe_run r;

	cr_assert(s, "%s", strerror(errno));
	cr_assert_eq(pe_server_start(s), 0);
	in0 = snmp6("Udp6InDatagrams");
	out0 = snmp6("Udp6OutDatagrams");
	cr_assert_eq(pe_run(&r,
			    "%s client ::1 -p %u --backend epoll --mode udp --pps 50000 -t 0.5 "
			    "-l 100 --json",
			    PE_TEST_BIN, pe_server_port(s)),
		     0);
	in1 = snmp6("Udp6InDatagrams");
	out1 = snmp6("Udp6OutDatagrams");
	cr_assert_eq(r.status, 0, "%s", r.err);
	d = pe_ro_client_view(json_tokener_parse(r.out));
	cr_assert(d);
	cr_assert(json_object_object_get_ex(d, "client", &c));
	cr_assert(json_object_object_get_ex(d, "server", &sv));
	rx = pe_json_i64(sv, "udp_rx_datagrams", -1);
	tx = pe_json_i64(c, "tx_msgs", -1);
	cr_assert_gt(rx, 10000);
	cr_expect(in1 - in0 >= rx && (double)(in1 - in0) <= (double)rx * 1.01,
		  "kernel delivered %lld datagrams, pkteng received %lld", in1 - in0, rx);
	cr_expect(out1 - out0 >= tx && (double)(out1 - out0) <= (double)tx * 1.01,
		  "kernel sent %lld datagrams, pkteng sent %lld", out1 - out0, tx);
	json_object_put(d);
	pe_run_free(&r);
	pe_server_close(s);
}
