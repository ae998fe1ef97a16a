/* SPDX-License-Identifier: BSD-2-Clause */
/* The habits iperf3 users bring: its option letters as aliases, binary sizes and decimal rates,
 * -O, per-flow interval lines with a [SUM] line, the server's log line per test and --one-off,
 * and the timeouts as options. Exact output checks against an in-process server. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/record/outputs.h"
#include "tests/testutil.h"
#include "tests/workloads/servers.h"

static char *dir;

static void setup(void)
{
	pe_wt_start_servers();
	dir = pe_tmpdir();
	cr_assert(dir);
}

static void teardown(void)
{
	pe_wt_stop_servers();
	pe_tmpdir_remove(dir);
}

TestSuite(habits, .init = setup, .fini = teardown, .timeout = 180);

static unsigned port(void)
{
	return pe_server_port(pe_wt_srv[0]);
}

/* The start.params of a client's --json record (caller puts). */
static struct json_object *params_of(const char *args)
{
	struct json_object *doc, *p = NULL;
	struct pe_run r;

	cr_assert_eq(
		pe_run(&r, "%s client 127.0.0.1 -p %u -t 0.2 -i 0 %s", PE_TEST_BIN, port(), args),
		0);
	cr_assert_eq(r.status, 0, "%s: %s", args, r.err);
	doc = json_tokener_parse(r.out);
	cr_assert(doc, "%s: not JSON: %s", args, r.out);
	cr_assert(json_object_object_get_ex(doc, "start", &p));
	cr_assert(json_object_object_get_ex(p, "params", &p));
	json_object_get(p);
	json_object_put(doc);
	pe_run_free(&r);
	return p;
}

/* The iperf3 spelling and pkteng's long one make the same test. */
Test(habits, aliases_make_the_same_test)
{
	static const char *const pairs[][2] = {
		{ "-u -b 1M -J", "--mode udp --bitrate 1000000 --json" },
		{ "-J -O 0.1 -w 64K", "--json --omit 0.1 --window 65536" },
		{ "-J -C reno -l 128K", "--json --congestion reno --len 131072" },
		{ "-J -u -l 1Ki --pps 2K", "--json --mode udp --len 1024 --pps 2000" },
		{ "-J -n 1M -t 0", "--json --bytes 1048576 -t 0" },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct json_object *a = params_of(pairs[i][0]), *b = params_of(pairs[i][1]);

		cr_expect(json_object_equal(a, b), "'%s' != '%s':\n%s\n%s", pairs[i][0],
			  pairs[i][1], json_object_to_json_string(a),
			  json_object_to_json_string(b));
		json_object_put(a);
		json_object_put(b);
	}
}

/* Sizes are binary, rates decimal, in what reaches the test. */
Test(habits, sizes_binary_rates_decimal)
{
	struct json_object *p = params_of("-J -u -l 1K -b 1G -w 1M"), *v;

	cr_assert(json_object_object_get_ex(p, "len_bytes", &v));
	cr_expect_eq(json_object_get_int64(v), 1024);
	cr_assert(json_object_object_get_ex(p, "rate_bps", &v));
	cr_expect_eq(json_object_get_int64(v), 1000000000);
	cr_assert(json_object_object_get_ex(p, "window_bytes", &v));
	cr_expect_eq(json_object_get_int64(v), 1048576);
	json_object_put(p);
	p = params_of("-J -l 128K");
	cr_assert(json_object_object_get_ex(p, "len_bytes", &v));
	cr_expect_eq(json_object_get_int64(v), 131072);
	json_object_put(p);
}

Test(habits, bad_options_are_one_line)
{
	static const struct {
		const char *args, *err;
	} cases[] = {
		{ "-u -m rr",
		  "pkteng: client: -u (--mode udp) and --mode rr exclude each other\n" },
		{ "-m crr --cport 40000",
		  "pkteng: client: --cport is not for --mode crr (a new connection per "
		  "transaction)\n" },
		{ "-P 3 --cport 65534",
		  "pkteng: client: --cport 65534 with -P 3 goes past port 65535\n" },
		{ "-t 2 -O 2", "pkteng: client: -O 2 must be less than -t 2\n" },
		{ "-C nosuchcc", "pkteng: client: -C nosuchcc: not available in this kernel "
				 "(net.ipv4.tcp_available_congestion_control)\n" },
		{ "-w 1", "pkteng: client: -w '1': expected 1Ki..1Gi bytes\n" },
		{ "--idle-timeout 0", "pkteng: client: --idle-timeout '0': expected 0.001..86400 "
				      "seconds\n" },
		{ "--logfile /nonexistent/dir/x.log",
		  "pkteng: client: --logfile /nonexistent/dir/x.log: No such file or directory\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pe_run r;
		bool usage = !strstr(cases[i].args, "--logfile");

		cr_assert_eq(pe_run(&r, "%s client 127.0.0.1 -p %u %s", PE_TEST_BIN, port(),
				    cases[i].args),
			     0);
		cr_expect_eq(r.status, usage ? 2 : 1, "%s: %d", cases[i].args, r.status);
		cr_expect_str_eq(r.err, cases[i].err, "%s", cases[i].args);
		cr_expect_str_eq(r.out, "", "%s: nothing ran", cases[i].args);
		pe_run_free(&r);
	}
}

/* -J --logfile FILE: the record goes to FILE, nothing to stdout. */
Test(habits, logfile)
{
	char path[300];
	struct json_object *sum;
	struct pe_run r;

	snprintf(path, sizeof(path), "%s/log.json", dir);
	cr_assert_eq(pe_run(&r, "%s client 127.0.0.1 -p %u -t 0.2 -i 0.1 -J --logfile %s",
			    PE_TEST_BIN, port(), path),
		     0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "");
	sum = pe_ro_validate_file(path, "json", 1);
	cr_expect_gt(pe_ro_u64(sum, "client.tx_bytes"), 0);
	json_object_put(sum);
	pe_run_free(&r);
}

/* -O: the summary covers the time after it; the intervals before say omitted. */
Test(habits, omit_leaves_the_start_out)
{
	struct json_object *doc, *ivs, *sum;
	uint64_t kept = 0, all = 0;
	struct pe_run r;

	cr_assert_eq(pe_run(&r, "%s client 127.0.0.1 -p %u -m rr -t 1 -O 0.5 -i 0.25 -J",
			    PE_TEST_BIN, port()),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	sum = pe_ro_validate(r.out, "json", 4);
	doc = json_tokener_parse(r.out);
	cr_assert(json_object_object_get_ex(doc, "intervals", &ivs));
	for (size_t i = 0; i < json_object_array_length(ivs); i++) {
		struct json_object *iv = json_object_array_get_idx(ivs, i);
		bool omitted = pe_ro_bool(iv, "omitted");
		uint64_t t = pe_ro_u64(iv, "transactions");

		cr_expect_eq(omitted, pe_ro_num(iv, "t0_s") < 0.49, "interval %zu at %.3f", i,
			     pe_ro_num(iv, "t0_s"));
		all += t;
		kept += omitted ? 0 : t;
	}
	cr_expect(pe_ro_num(sum, "client.duration_s") > 0.45 &&
			  pe_ro_num(sum, "client.duration_s") < 0.6,
		  "%.3f s", pe_ro_num(sum, "client.duration_s"));
	cr_expect(pe_ro_num(sum, "server.duration_s") > 0.45 &&
			  pe_ro_num(sum, "server.duration_s") < 0.6,
		  "server %.3f s", pe_ro_num(sum, "server.duration_s"));
	/* the omit timer and the interval boundary are a few transactions apart at most */
	cr_expect_leq(pe_ro_u64(sum, "client.transactions"), kept + kept / 50 + 20, "%llu of %llu",
		      (unsigned long long)pe_ro_u64(sum, "client.transactions"),
		      (unsigned long long)kept);
	cr_expect_geq(pe_ro_u64(sum, "client.transactions") + kept / 50 + 20, kept);
	cr_expect_lt(pe_ro_u64(sum, "client.transactions"), all);
	cr_expect_eq(pe_ro_u64(sum, "client.lat_count"), pe_ro_u64(sum, "client.transactions"));
	json_object_put(doc);
	json_object_put(sum);
	pe_run_free(&r);
}

/* Counts the lines of text matching the extended regex re. */
static unsigned lines_matching(const char *text, const char *re)
{
	regex_t rx;
	unsigned n = 0;
	char *copy = strdup(text), *save = NULL;

	cr_assert_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0, "%s", re);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		n += regexec(&rx, l, 0, NULL, 0) == 0;
	regfree(&rx);
	free(copy);
	return n;
}

#define SPAN	   " *[0-9]+\\.[0-9]{2}-[0-9]+\\.[0-9]{2} +sec"
#define XFER	   " +[0-9]+\\.[0-9]{2} [KMG]Bytes"
#define RATE	   " +[0-9]+\\.[0-9]{2} [kMG]bit/s"
#define COUNT	   " +[0-9]+"
#define STREAM_HDR "[ ID] Interval              Transfer        Bitrate   Retr         Cwnd\n"

/* stream -P 2: one line per flow with retransmits and cwnd, then [SUM] without cwnd. */
Test(habits, stream_flows_and_sum_lines)
{
	unsigned f1, f2, sum, total;
	struct pe_run r;

	cr_assert_eq(
		pe_run(&r, "%s client 127.0.0.1 -p %u -P 2 -t 0.6 -i 0.2", PE_TEST_BIN, port()), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "io_uring backend\n" STREAM_HDR), "%s", r.out);
	f1 = lines_matching(r.out, "^\\[  1\\] " SPAN XFER RATE COUNT XFER "$");
	f2 = lines_matching(r.out, "^\\[  2\\] " SPAN XFER RATE COUNT XFER "$");
	sum = lines_matching(r.out, "^\\[SUM\\] " SPAN XFER RATE COUNT " {13}$");
	total = lines_matching(r.out, "^\\[");
	cr_expect_geq(sum, 3, "%s", r.out);
	cr_expect_eq(f1, sum, "%s", r.out);
	cr_expect_eq(f2, sum, "%s", r.out);
	cr_expect_eq(total, 3 * sum + 1, "only the header and the flow lines: %s", r.out);
	pe_run_free(&r);
}

/* No column that is always zero for the mode: -R has no retransmits (the server sends), one
 * flow has no [SUM], udp has no received column, rr has both directions and Trans/s. */
Test(habits, columns_by_mode)
{
	static const struct {
		const char *args, *header, *line;
	} cases[] = {
		{ "-R", "[ ID] Interval              Transfer        Bitrate\n",
		  "^\\[  1\\] " SPAN XFER RATE "$" },
		{ "-u -b 10M", "[ ID] Interval              Transfer        Bitrate  Datagrams/s\n",
		  "^\\[  1\\] " SPAN XFER RATE COUNT "$" },
		{ "-m rr",
		  "[ ID] Interval                  Sent        Bitrate     Received        Bitrate"
		  "      Trans/s\n",
		  "^\\[  1\\] " SPAN XFER RATE XFER RATE COUNT "$" },
		{ "-m rr -P 2",
		  "[ ID] Interval                  Sent        Bitrate     Received        Bitrate"
		  "      Trans/s\n",
		  "^\\[SUM\\] " SPAN XFER RATE XFER RATE COUNT "$" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pe_run r;
		unsigned n;

		cr_assert_eq(pe_run(&r, "%s client 127.0.0.1 -p %u -t 0.4 -i 0.2 %s", PE_TEST_BIN,
				    port(), cases[i].args),
			     0);
		cr_assert_eq(r.status, 0, "%s: %s", cases[i].args, r.err);
		cr_expect(strstr(r.out, cases[i].header), "%s: %s", cases[i].args, r.out);
		n = lines_matching(r.out, cases[i].line);
		cr_expect_geq(n, 2, "%s: %s", cases[i].args, r.out);
		cr_expect_eq(lines_matching(r.out, "^\\["), n + 1, "%s: %s", cases[i].args, r.out);
		pe_run_free(&r);
	}
}

/* The per-flow figures in JSON: ids, bytes adding up to the interval's, TCP_INFO fields. */
Test(habits, stream_flows_json)
{
	struct json_object *doc, *ivs;
	struct pe_run r;

	cr_assert_eq(pe_run(&r, "%s client 127.0.0.1 -p %u -P 3 -t 0.4 -i 0.2 --json-stream",
			    PE_TEST_BIN, port()),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object_put(pe_ro_validate(r.out, "stream", 2));
	pe_run_free(&r);
	cr_assert_eq(
		pe_run(&r, "%s client 127.0.0.1 -p %u -P 3 -t 0.4 -i 0.2 -J", PE_TEST_BIN, port()),
		0);
	doc = json_tokener_parse(r.out);
	cr_assert(doc);
	cr_assert(json_object_object_get_ex(doc, "intervals", &ivs));
	cr_assert_geq(json_object_array_length(ivs), 2);
	for (size_t i = 0; i < json_object_array_length(ivs); i++) {
		struct json_object *iv = json_object_array_get_idx(ivs, i), *fl;
		uint64_t tx = 0, retr = 0;

		cr_assert(json_object_object_get_ex(iv, "flows", &fl));
		cr_assert_eq(json_object_array_length(fl), 3);
		for (size_t k = 0; k < 3; k++) {
			struct json_object *f = json_object_array_get_idx(fl, k);

			cr_expect_eq(pe_ro_u64(f, "id"), k + 1);
			tx += pe_ro_u64(f, "tx_bytes");
			retr += pe_ro_u64(f, "tcp_retransmits");
		}
		cr_expect_eq(tx, pe_ro_u64(iv, "tx_bytes"), "interval %zu", i);
		cr_expect_eq(retr, pe_ro_u64(iv, "tcp_retransmits"), "interval %zu", i);
	}
	json_object_put(doc);
	pe_run_free(&r);
}

/* --one-off: one test, the log line of it, then the server is gone with status 0. */
Test(habits, server_one_off_and_log_line)
{
	char err_path[300], *log;
	struct pe_run r;

	/* run in one shell so its exit status is ours to read */
	cr_assert_eq(pe_run(&r,
			    "%s server --bind 127.0.0.1 -p 0 --one-off 2>%s/one.err & s=$!; "
			    "i=0; until grep -q ' port ' %s/one.err; do i=$((i+1)); "
			    "[ $i -gt 100 ] && exit 8; sleep 0.05; done; "
			    "port=$(sed -n 's/.* port \\([0-9]*\\) .*/\\1/p' %s/one.err); "
			    "%s client 127.0.0.1 -p $port -t 0.2 -i 0 >/dev/null || exit 7; "
			    "wait $s; echo server=$?",
			    PE_TEST_BIN, dir, dir, dir, PE_TEST_BIN),
		     0);
	cr_expect_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_expect_str_eq(r.out, "server=0\n");
	pe_run_free(&r);
	snprintf(err_path, sizeof(err_path), "%s/one.err", dir);
	log = pe_read_file(err_path, NULL);
	cr_assert(log);
	cr_expect_eq(lines_matching(log,
				    "^pkteng server: 127\\.0\\.0\\.1:[0-9]+: stream test done: "
				    "[0-9]+\\.[0-9]{2} s, received [0-9]+ B \\([0-9.]+ "
				    "[kMG]bit/s\\), sent 0 B \\(0\\.00 kbit/s\\)$"),
		     1, "%s", log);
	free(log);
}

/* A listener that accepts and never says anything, for the clients' idle timeouts: python
 * prints its port (to a file of its own per case), holds the connection for 3 s, and gives up
 * waiting for one after 10 s. */
static const char silent_peer[] =
	"python3 -c 'import socket,time,sys\n"
	"s=socket.socket(); s.bind((\"127.0.0.1\",0)); s.listen(8); s.settimeout(10)\n"
	"print(s.getsockname()[1]); sys.stdout.flush()\n"
	"c=s.accept()[0]; time.sleep(3)' > %s/peer%zu.port 2>/dev/null & "
	"i=0; until [ -s %s/peer%zu.port ]; do i=$((i+1)); [ $i -gt 100 ] && exit 8; sleep 0.05; "
	"done; t0=$(date +%%s%%N); %s %s -p $(cat %s/peer%zu.port) %s; echo rc=$?; "
	"echo took_ms=$(( ($(date +%%s%%N) - t0) / 1000000 ))";

/* --idle-timeout on the client and on registry list: a silent peer costs that long, not the
 * default's 10 or 30 s. */
Test(habits, client_and_registry_idle_timeouts)
{
	static const struct {
		const char *cmd, *args, *err;
	} cases[] = {
		{ "client 127.0.0.1", "-t 1 --idle-timeout 0.5", "pkteng: client: " },
		{ "registry list -H 127.0.0.1", "--idle-timeout 0.5", "pkteng: registry: " },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pe_run r;
		const char *took;
		double t;

		cr_assert_eq(pe_run(&r, silent_peer, dir, i, dir, i, PE_TEST_BIN, cases[i].cmd, dir,
				    i, cases[i].args),
			     0);
		cr_expect(strstr(r.out, "rc=1\n"), "%s: %s %s", cases[i].cmd, r.out, r.err);
		cr_expect(strstr(r.err, cases[i].err), "%s: %s", cases[i].cmd, r.err);
		took = strstr(r.out, "took_ms=");
		cr_assert(took, "%s", r.out);
		t = atof(took + 8) / 1000;
		cr_expect(t > 0.4 && t < 2.0, "%s: took %.3f s", cases[i].cmd, t);
		pe_run_free(&r);
	}
}

/* The server's --idle-timeout: a client that connects and says nothing is dropped then (closed
 * or reset: a silent connection is dropped without a goodbye). */
Test(habits, server_idle_timeout)
{
	struct pe_run r;
	const char *took;

	cr_assert_eq(pe_run(&r,
			    "%s server --bind 127.0.0.1 -p 0 --idle-timeout 0.5 2>%s/idle.err & "
			    "s=$!; i=0; until grep -q ' port ' %s/idle.err; do i=$((i+1)); "
			    "[ $i -gt 100 ] && exit 8; sleep 0.05; done; "
			    "port=$(sed -n 's/.* port \\([0-9]*\\) .*/\\1/p' %s/idle.err); "
			    "python3 -c 'import socket,time,sys\n"
			    "c=socket.create_connection((\"127.0.0.1\",int(sys.argv[1])))\n"
			    "t=time.monotonic()\n"
			    "try: d=c.recv(100)\n"
			    "except ConnectionResetError: pass\n"
			    "print(\"took=%%.3f\" %% (time.monotonic()-t))' $port; "
			    "kill -INT $s; wait $s; echo server=$?",
			    PE_TEST_BIN, dir, dir, dir),
		     0);
	cr_expect(strstr(r.out, "server=0\n"), "%s %s", r.out, r.err);
	took = strstr(r.out, "took=");
	cr_assert(took, "%s %s", r.out, r.err);
	cr_expect(atof(took + 5) > 0.4 && atof(took + 5) < 2.0, "%s", r.out);
	pe_run_free(&r);
}
