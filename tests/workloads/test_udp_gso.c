/* SPDX-License-Identifier: BSD-2-Clause */
/* udp at -b 0 sends with UDP_SEGMENT and receives with UDP_GRO by default; --no-gso sends and
 * reads one datagram per call. Each run is in a network namespace of its own, so the kernel's
 * /proc/net/snmp Udp counters count only it and are the oracle: OutDatagrams counts sends (a
 * GSO send once), InDatagrams what reached the socket (a GRO train once), RcvbufErrors what
 * its full buffer dropped, the report's udp_rcvbuf_drops. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/record/outputs.h"
#include "tests/testutil.h"

struct snmp_run {
	long long in, out, rcvbuf, inerr;
	json_object *rec, *cli, *srv, *params;
	int status;
	char err[512];
};

static long long field(const char *text, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "%s=", name);
	p = strstr(text, key);
	cr_assert(p, "no %s in: %s", name, text);
	return strtoll(p + strlen(key), NULL, 10);
}

static void run(struct snmp_run *s, const char *opts)
{
	char out[256], *t;
	struct pe_run r;

	snprintf(out, sizeof(out), "/tmp/pkteng-udpgso-%d.json", (int)getpid());
	cr_assert_eq(pe_run(&r, "unshare -n %s/tests/workloads/udp_snmp.sh %s %s %s", PE_TEST_SRC,
			    PE_TEST_BIN, out, opts),
		     0);
	s->status = r.status;
	s->in = field(r.out, "InDatagrams");
	s->out = field(r.out, "OutDatagrams");
	s->rcvbuf = field(r.out, "RcvbufErrors");
	s->inerr = field(r.out, "InErrors");
	pe_run_free(&r);
	t = pe_read_file(out, NULL);
	cr_assert(t, "no record in %s", out);
	s->rec = json_tokener_parse(t);
	free(t);
	unlink(out);
	snprintf(s->err, sizeof(s->err), "%s.before", out);
	unlink(s->err);
	t = pe_read_file(strcat(out, ".err"), NULL);
	unlink(out);
	snprintf(s->err, sizeof(s->err), "%s", t ? t : "");
	free(t);
	if (!s->rec)
		return;
	s->params = json_object_object_get(json_object_object_get(s->rec, "start"), "params");
	json_object *sum = json_object_object_get(s->rec, "summary");
	s->cli = json_object_object_get(sum, "client");
	s->srv = json_object_object_get(sum, "server");
}

static long long num(json_object *o, const char *k)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, k, &v), "no %s", k);
	return json_object_get_int64(v);
}

static bool flag(json_object *o, const char *k)
{
	return json_object_get_boolean(json_object_object_get(o, k));
}

/* 64-byte datagrams, 64 to a send: the kernel's counts are in trains of 64. */
Test(udp_gso, default_at_full_rate, .timeout = 60)
{
	struct snmp_run s = { 0 };
	long long tx, rx, lost, drops;

	if (!pe_is_root())
		cr_skip_test("needs root (a network namespace)");
	run(&s, "-l 64 -t 0.5 --json");
	cr_assert_eq(s.status, 0, "%s", s.err);
	cr_assert(s.rec && s.cli && s.srv);
	cr_expect(flag(s.params, "gso"));
	cr_expect(flag(s.params, "gro"));
	cr_expect(!flag(s.params, "no_gso"));
	tx = num(s.cli, "udp_tx_datagrams");
	rx = num(s.srv, "udp_rx_datagrams");
	lost = num(s.srv, "udp_lost_datagrams");
	drops = num(s.srv, "udp_rcvbuf_drops");
	cr_assert_gt(tx, 10000);
	cr_expect_eq(rx + lost, tx, "rx %lld + lost %lld != tx %lld", rx, lost, tx);
	/* every send a train of 64 (the last ones may be shorter) */
	cr_expect(s.out * 64 >= tx && s.out * 64 < tx + 64 * 64, "%lld sends for %lld datagrams",
		  s.out, tx);
	/* every train reached the socket or was dropped there, counted on both sides alike */
	cr_expect_eq(s.in + s.rcvbuf, s.out, "in %lld + rcvbuf %lld != out %lld", s.in, s.rcvbuf,
		     s.out);
	cr_expect_eq(drops, s.rcvbuf);
	cr_expect_eq(lost == 0, drops == 0, "lost %lld, drops %lld", lost, drops);
	json_object_put(s.rec);
}

/* --no-gso: one datagram a call; the kernel's counts are the report's, datagram for
 * datagram. */
Test(udp_gso, no_gso_counts_each_datagram, .timeout = 60)
{
	struct snmp_run s = { 0 };
	long long tx, rx;

	if (!pe_is_root())
		cr_skip_test("needs root (a network namespace)");
	run(&s, "-l 64 -t 0.5 --no-gso --json");
	cr_assert_eq(s.status, 0, "%s", s.err);
	cr_assert(s.rec && s.cli && s.srv);
	cr_expect(!flag(s.params, "gso"));
	cr_expect(!flag(s.params, "gro"));
	cr_expect(flag(s.params, "no_gso"));
	tx = num(s.cli, "udp_tx_datagrams");
	rx = num(s.srv, "udp_rx_datagrams");
	cr_assert_gt(tx, 1000);
	cr_expect_eq(s.out, tx);
	cr_expect_eq(s.in, rx);
	cr_expect_eq(s.rcvbuf, num(s.srv, "udp_rcvbuf_drops"));
	cr_expect_eq(num(s.srv, "udp_lost_datagrams"), s.rcvbuf);
	json_object_put(s.rec);
}

/* --gso without GRO: the receiver reads one datagram at a time and its socket buffer
 * overflows; the loss is exactly what the kernel dropped there, and the report says so. */
Test(udp_gso, gso_alone_loses_at_the_socket, .timeout = 60)
{
	struct snmp_run s = { 0 };
	long long rx, lost;

	if (!pe_is_root())
		cr_skip_test("needs root (a network namespace)");
	run(&s, "-l 64 -t 0.5 --gso --json");
	cr_assert_eq(s.status, 0, "%s", s.err);
	cr_assert(s.rec && s.cli && s.srv);
	cr_expect(flag(s.params, "gso"));
	cr_expect(!flag(s.params, "gro"));
	rx = num(s.srv, "udp_rx_datagrams");
	lost = num(s.srv, "udp_lost_datagrams");
	cr_expect_eq(s.in, rx);
	cr_expect_eq(num(s.srv, "udp_rcvbuf_drops"), s.rcvbuf);
	cr_expect_eq(lost, s.rcvbuf, "lost %lld, the socket dropped %lld", lost, s.rcvbuf);
	json_object_put(s.rec);
}

/* A paced run stays one datagram per send; the text says when GSO is on; the two flags
 * together are refused. */
Test(udp_gso, paced_text_and_conflict, .timeout = 60)
{
	struct snmp_run s = { 0 };
	struct pe_run r;

	if (!pe_is_root())
		cr_skip_test("needs root (a network namespace)");
	run(&s, "-l 64 -t 0.3 --pps 20000 --json");
	cr_assert_eq(s.status, 0, "%s", s.err);
	cr_expect(!flag(s.params, "gso"));
	cr_expect_eq(s.out, num(s.cli, "udp_tx_datagrams"));
	json_object_put(s.rec);
	cr_assert_eq(pe_run(&r,
			    "unshare -n sh -c 'ip link set lo up; %s server -p 5201 -q & "
			    "sleep 0.3; %s client 127.0.0.1 --mode udp -t 0.2; kill $!'",
			    PE_TEST_BIN, PE_TEST_BIN),
		     0);
	cr_expect(!strncmp(r.out,
			   "pkteng client: udp test to 127.0.0.1 port 5201, io_uring backend, GSO "
			   "and GRO (--no-gso: one datagram per call)\n",
			   110),
		  "%s", r.out);
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, "%s client 127.0.0.1 --mode udp --gso --no-gso", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "pkteng: client: --gso and --no-gso exclude each other\n");
	pe_run_free(&r);
}
