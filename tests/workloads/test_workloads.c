/* SPDX-License-Identifier: BSD-2-Clause */
/* Every mode on both backends over IPv4 and IPv6 loopback through the real command line, with
 * the JSON report parsed back and checked against counts that must agree exactly, plus the
 * test hooks (a corrupted byte, skipped datagrams, a cut file) and TCP_INFO. */
#include <criterion/criterion.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload/work.h"
#include "tests/record/outputs.h"
#include "tests/testutil.h"
#include "tests/workloads/servers.h"

TestSuite(work, .init = pe_wt_start_servers, .fini = pe_wt_stop_servers, .timeout = 240);

static const char *const backend[2] = { "uring", "epoll" };

static struct json_object *side(struct json_object *doc, const char *who)
{
	struct json_object *o = NULL;

	cr_assert(json_object_object_get_ex(doc, who, &o) && o, "no \"%s\" in the report", who);
	return o;
}

static long long num(struct json_object *o, const char *k)
{
	return (long long)pe_json_i64(o, k, -999);
}

/* Runs the client; returns its parsed --json report (caller puts). */
static struct json_object *client(struct pe_run *r, int b, const char *host, const char *env,
				  const char *args, int want_status)
{
	struct json_object *doc;

	cr_assert_eq(pe_run(r, "%s %s client %s -p %u --backend %s --json %s", env ? env : "",
			    PE_TEST_BIN, host, pe_server_port(pe_wt_srv[b]), backend[b], args),
		     0);
	cr_assert_eq(r->status, want_status, "'%s': status %d\nstdout: %s\nstderr: %s", args,
		     r->status, r->out, r->err);
	doc = pe_ro_client_view(json_tokener_parse(r->out));
	cr_assert(doc, "'%s': the report is not JSON: %s", args, r->out);
	return doc;
}

static void check_mode(int b, const char *host, const char *tmp)
{
	struct pe_run r;
	struct json_object *d, *c, *s;
	char args[600];

	/* stream, 2 flows, verified: every byte arrives, and exactly -n per flow */
	d = client(&r, b, host, NULL, "--mode stream -n 2M -P 2 --verify -l 64K", 0);
	c = side(d, "client");
	s = side(d, "server");
	cr_expect_eq(num(c, "tx_bytes"), 4194304, "%s %s", backend[b], host); /* 2M = 2 x 2^20 */
	cr_expect_eq(num(s, "rx_bytes"), 4194304);
	cr_expect_eq(num(s, "verify_mismatched_bytes"), 0);
	json_object_put(d);
	pe_run_free(&r);

	/* reverse */
	d = client(&r, b, host, NULL, "--mode stream -n 1M -R --verify", 0);
	cr_expect_eq(num(side(d, "server"), "tx_bytes"), 1048576);
	cr_expect_eq(num(side(d, "client"), "rx_bytes"), 1048576);
	cr_expect_eq(num(side(d, "client"), "verify_mismatched_bytes"), 0);
	json_object_put(d);
	pe_run_free(&r);

	/* both ways for a while: each side received what the other sent */
	d = client(&r, b, host, NULL, "--mode stream -t 0.3 --bidir", 0);
	c = side(d, "client");
	s = side(d, "server");
	cr_expect_gt(num(c, "tx_bytes"), 0);
	cr_expect_eq(num(c, "tx_bytes"), num(s, "rx_bytes"));
	cr_expect_eq(num(s, "tx_bytes"), num(c, "rx_bytes"));
	json_object_put(d);
	pe_run_free(&r);

	/* rr: every request answered, exact byte counts, ordered latency figures */
	d = client(&r, b, host, NULL, "--mode rr -t 0.3 --conns 2 -l 100 --resp-len 300", 0);
	c = side(d, "client");
	s = side(d, "server");
	cr_expect_gt(num(c, "transactions"), 10);
	cr_expect_eq(num(c, "transactions"), num(s, "transactions"));
	cr_expect_eq(num(c, "tx_bytes"), 100 * num(c, "transactions"));
	cr_expect_eq(num(c, "rx_bytes"), 300 * num(c, "transactions"));
	cr_expect_eq(num(c, "lat_count"), num(c, "transactions"));
	cr_expect(num(c, "lat_min_ns") > 0 && num(c, "lat_min_ns") <= num(c, "lat_p50_ns") &&
		  num(c, "lat_p50_ns") <= num(c, "lat_p99_ns") &&
		  num(c, "lat_p99_ns") <= num(c, "lat_p999_ns") &&
		  num(c, "lat_p999_ns") <= num(c, "lat_max_ns"));
	json_object_put(d);
	pe_run_free(&r);

	/* rr with both sides busy-polling: the same exact books, and the server was asked to */
	d = client(&r, b, host, NULL, "--mode rr -t 0.2 --spin 300 -l 64 --resp-len 64", 0);
	c = side(d, "client");
	s = side(d, "server");
	cr_expect_gt(num(c, "transactions"), 10);
	cr_expect_eq(num(c, "transactions"), num(s, "transactions"));
	cr_expect_eq(num(c, "rx_bytes"), 64 * num(c, "transactions"));
	cr_expect_eq(num(s, "rx_bytes"), 64 * num(s, "transactions"));
	cr_expect_eq(num(side(d, "params"), "spin_us"), 300);
	json_object_put(d);
	pe_run_free(&r);

	/* crr */
	d = client(&r, b, host, NULL, "--mode crr -t 0.3 -l 50 --resp-len 70", 0);
	c = side(d, "client");
	s = side(d, "server");
	cr_expect_gt(num(c, "transactions"), 5);
	cr_expect_eq(num(c, "transactions"), num(s, "transactions"));
	cr_expect_eq(num(c, "rx_bytes"), 70 * num(c, "transactions"));
	cr_expect_eq(num(s, "rx_bytes"), 50 * num(s, "transactions"));
	json_object_put(d);
	pe_run_free(&r);

	/* udp, paced gently: every datagram counted once, and the books balance exactly (a
	 * loopback socket may still drop a few while the machine is busy compiling) */
	d = client(&r, b, host, NULL, "--mode udp --pps 20000 -t 0.3 -l 200", 0);
	c = side(d, "client");
	s = side(d, "server");
	cr_expect_gt(num(c, "udp_tx_datagrams"), 3000);
	cr_expect_eq(num(s, "udp_tx_datagrams"), num(c, "udp_tx_datagrams"));
	cr_expect_eq(num(s, "udp_rx_datagrams") + num(s, "udp_lost_datagrams"),
		     num(c, "udp_tx_datagrams"));
	cr_expect_leq(num(s, "udp_lost_datagrams") * 20, num(c, "udp_tx_datagrams"),
		      "%s %s: lost %lld of %lld", backend[b], host, num(s, "udp_lost_datagrams"),
		      num(c, "udp_tx_datagrams"));
	cr_expect_eq(num(s, "udp_duplicate_datagrams"), 0);
	cr_expect_eq(num(s, "rx_bytes"), 200 * num(s, "udp_rx_datagrams"));
	json_object_put(d);
	pe_run_free(&r);

	/* echo: byte-exact */
	d = client(&r, b, host, NULL, "--mode echo --conns 8 -l 1000 -t 0.3", 0);
	c = side(d, "client");
	s = side(d, "server");
	cr_expect_gt(num(c, "transactions"), 8);
	cr_expect_eq(num(c, "verify_mismatched_bytes"), 0);
	cr_expect_eq(num(c, "tx_bytes"), 1000 * num(c, "transactions"));
	cr_expect_eq(num(c, "rx_bytes"), num(c, "tx_bytes"));
	cr_expect_eq(num(s, "rx_bytes"), num(c, "tx_bytes"));
	json_object_put(d);
	pe_run_free(&r);

	/* file: length and SHA-256 against sha256sum */
	snprintf(args, sizeof(args), "--mode file --file %s/blob", tmp);
	d = client(&r, b, host, NULL, args, 0);
	{
		struct pe_run h;
		char want[65];

		cr_assert_eq(pe_run(&h, "sha256sum %s/blob", tmp), 0);
		cr_assert_eq(h.status, 0);
		snprintf(want, sizeof(want), "%.64s", h.out);
		cr_expect_str_eq(pe_json_str(side(d, "server"), "file_sha256", ""), want);
		cr_expect_eq(num(side(d, "server"), "file_bytes"), 3 * 1048576 + 7);
		cr_expect_eq(num(side(d, "client"), "tx_bytes"), 3 * 1048576 + 7);
		pe_run_free(&h);
	}
	json_object_put(d);
	pe_run_free(&r);
}

static char *make_blob(void)
{
	char *tmp = pe_tmpdir();
	struct pe_run r;

	cr_assert(tmp);
	cr_assert_eq(pe_run(&r, "head -c %d /dev/urandom > %s/blob", 3 * 1048576 + 7, tmp), 0);
	cr_assert_eq(r.status, 0);
	pe_run_free(&r);
	return tmp;
}

Test(work, every_mode_uring_ipv4)
{
	char *tmp = make_blob();

	check_mode(0, "127.0.0.1", tmp);
	pe_tmpdir_remove(tmp);
}

Test(work, every_mode_uring_ipv6)
{
	char *tmp = make_blob();

	check_mode(0, "::1", tmp);
	pe_tmpdir_remove(tmp);
}

Test(work, every_mode_epoll_ipv4)
{
	char *tmp = make_blob();

	check_mode(1, "127.0.0.1", tmp);
	pe_tmpdir_remove(tmp);
}

Test(work, every_mode_epoll_ipv6)
{
	char *tmp = make_blob();

	check_mode(1, "::1", tmp);
	pe_tmpdir_remove(tmp);
}

Test(work, verify_catches_a_corrupted_byte)
{
	for (int b = 0; b < 2; b++) {
		struct pe_run r;
		struct json_object *d =
			client(&r, b, "127.0.0.1", "PKTENG_TEST_CORRUPT_OFFSET=123457",
			       "--mode stream -n 1M --verify", 1);
		struct json_object *s = side(d, "server");

		cr_expect_eq(num(s, "verify_mismatched_bytes"), 1, "%s", backend[b]);
		cr_expect_eq(num(s, "first_bad_offset_bytes"), 123457);
		cr_expect(
			strstr(r.err, "data corrupted: 1 mismatched bytes, first at offset 123457"),
			"stderr: %s", r.err);
		json_object_put(d);
		pe_run_free(&r);
	}
	/* echo checks on the client side */
	{
		struct pe_run r;
		struct json_object *d =
			client(&r, 1, "127.0.0.1", "PKTENG_TEST_CORRUPT_OFFSET=2500",
			       "--mode echo -l 1000 -t 0.3", 1);

		cr_expect_eq(num(side(d, "client"), "verify_mismatched_bytes"), 1);
		cr_expect_eq(num(side(d, "client"), "first_bad_offset_bytes"), 2500);
		json_object_put(d);
		pe_run_free(&r);
	}
}

Test(work, many_clients_at_once)
{
	static const char *const modes[] = { "rr",  "stream",	"echo --conns 4", "udp --pps 5000",
					     "crr", "stream -R" };
	char *dir = pe_tmpdir(), cmd[4000] = "";
	struct pe_run r;
	size_t i, n = sizeof(modes) / sizeof(modes[0]);

	cr_assert(dir);
	for (i = 0; i < n; i++) {
		size_t len = strlen(cmd);

		snprintf(cmd + len, sizeof(cmd) - len,
			 "%s client %s -p %u --mode %s -t 0.5 --json > %s/%zu.json & ", PE_TEST_BIN,
			 i % 2 ? "::1" : "127.0.0.1", pe_server_port(pe_wt_srv[1]), modes[i], dir,
			 i);
	}
	cr_assert_eq(pe_run(&r, "%s wait", cmd), 0);
	pe_run_free(&r);
	for (i = 0; i < n; i++) {
		char path[300];
		struct json_object *d;

		snprintf(path, sizeof(path), "%s/%zu.json", dir, i);
		d = pe_ro_client_view(json_object_from_file(path));
		cr_assert(d, "%s: no report", modes[i]);
		cr_expect_eq(pe_json_i64(d, "ok", 0), 1, "%s failed", modes[i]);
		cr_expect(num(side(d, "server"), "rx_bytes") + num(side(d, "server"), "tx_bytes") >
				  0,
			  "%s", modes[i]);
		json_object_put(d);
	}
	pe_tmpdir_remove(dir);
}

Test(work, skip_rx_copy_counts_every_byte)
{
	struct pe_run r;
	struct json_object *d;

	/* bytes discarded in the kernel are still counted exactly, by an epoll or an io_uring
	 * receiver (which cancels its multishot receive first) */
	for (int b = 0; b < 2; b++) {
		d = client(&r, b, b ? "::1" : "127.0.0.1", NULL,
			   "--mode stream -n 3M -P 2 --skip-rx-copy", 0);
		cr_expect_eq(num(side(d, "server"), "rx_bytes"), 6291456, "%s", backend[b]);
		cr_expect_eq(num(side(d, "client"), "tx_bytes"), 6291456);
		/* the kernel saw the same bytes plus, per connection, the 16-byte header and the
		 * FIN (which takes a sequence number) */
		cr_expect_eq(num(side(d, "server"), "tcpi_bytes_received"), 6291456 + 2 * (16 + 1));
		json_object_put(d);
		pe_run_free(&r);
	}
	/* the client receiving (-R) on io_uring */
	d = client(&r, 0, "127.0.0.1", NULL, "--mode stream -n 2M -R --skip-rx-copy", 0);
	cr_expect_eq(num(side(d, "client"), "rx_bytes"), 2097152);
	cr_expect_eq(num(side(d, "server"), "tx_bytes"), 2097152);
	json_object_put(d);
	pe_run_free(&r);
}

Test(work, udp_loss_is_exact)
{
	for (int k = 0; k < 4; k++) {
		int b = k % 2;
		struct pe_run r;
		/* the same with 64 datagrams per send (UDP_SEGMENT) read whole (UDP_GRO) */
		struct json_object *d =
			client(&r, b, "::1", "PKTENG_TEST_UDP_SKIP=7",
			       k < 2 ? "--mode udp --pps 30000 -t 0.3 -l 64"
				     : "--mode udp --pps 30000 -t 0.3 -l 100 --gso --gro",
			       0);
		struct json_object *c = side(d, "client"), *s = side(d, "server");
		long long sent = num(c, "udp_tx_datagrams");

		long long rx = num(s, "udp_rx_datagrams"), tx = num(c, "tx_msgs");

		cr_expect_gt(sent, 3000);
		cr_expect_eq(num(s, "udp_tx_datagrams"), sent);
		/* the sender skipped exactly every 7th sequence number... */
		cr_expect_eq(tx, sent - sent / 7, "case %d: %lld left of %lld", k, tx, sent);
		/* ...and the receiver's loss is exactly what did not arrive: the skipped ones,
		 * plus any the loopback itself dropped on a busy machine (not more than 5%) */
		cr_expect_eq(num(s, "udp_lost_datagrams"), sent - rx, "case %d", k);
		cr_expect_leq(rx, tx);
		cr_expect_geq(rx * 100, tx * 95, "case %d: %lld of %lld arrived", k, rx, tx);
		if (rx == tx)
			cr_expect_eq(num(s, "udp_lost_datagrams"), sent / 7);
		cr_expect_eq(num(s, "rx_bytes"), (k < 2 ? 64 : 100) * rx,
			     "case %d: %lld bytes for "
			     "%lld datagrams",
			     k, num(s, "rx_bytes"), rx);
		cr_expect_eq(num(s, "udp_duplicate_datagrams"), 0);
		json_object_put(d);
		pe_run_free(&r);
	}
}

/* Blocks larger than the server's 4 MiB send queue: it stops reading while the queue is full
 * instead of resetting the connection ("echo send queue full"). */
Test(work, echo_blocks_larger_than_the_send_queue)
{
	for (int b = 0; b < 2; b++) {
		struct pe_run r;
		struct json_object *d =
			client(&r, b, "127.0.0.1", NULL, "--mode echo -l 8388608 -t 1", 0);
		struct json_object *c = side(d, "client"), *s = side(d, "server");

		cr_expect_gt(num(c, "transactions"), 0, "%s", backend[b]);
		cr_expect_eq(num(c, "verify_mismatched_bytes"), 0);
		cr_expect_eq(num(c, "rx_bytes"), 8388608 * num(c, "transactions"));
		cr_expect_eq(num(s, "rx_bytes"), num(c, "tx_bytes"));
		cr_expect_eq(num(s, "tx_bytes"), num(c, "rx_bytes"));
		json_object_put(d);
		pe_run_free(&r);
	}
}

Test(work, interrupted_file_fails)
{
	char *tmp = make_blob();
	char args[300];
	struct pe_run r;
	struct json_object *d;

	snprintf(args, sizeof(args), "--mode file --file %s/blob", tmp);
	d = client(&r, 0, "127.0.0.1", "PKTENG_TEST_FILE_STOP_AT=1000", args, 1);
	cr_expect_eq(pe_json_i64(side(d, "server"), "ok", 1), 0);
	cr_expect(strstr(r.err, "transfer incomplete: received 1000 of 3145735 bytes"),
		  "stderr: %s", r.err);
	json_object_put(d);
	pe_run_free(&r);
	pe_tmpdir_remove(tmp);
}

Test(work, byte_counts_match_tcp_info)
{
	for (int b = 0; b < 2; b++) {
		struct pe_run r;
		struct json_object *d = client(&r, b, "127.0.0.1", NULL, "--mode stream -t 0.5", 0);
		struct json_object *c = side(d, "client"), *s = side(d, "server");
		double tx = (double)num(c, "tx_bytes"), acked = (double)num(c, "tcpi_bytes_acked");
		double rx = (double)num(s, "rx_bytes"), kr = (double)num(s, "tcpi_bytes_received");

		cr_expect_gt(tx, 1e6);
		cr_expect_leq(tx > acked ? tx - acked : acked - tx, tx * 0.01,
			      "%s: sent %.0f, TCP_INFO acked %.0f", backend[b], tx, acked);
		cr_expect_leq(rx > kr ? rx - kr : kr - rx, rx * 0.01,
			      "%s: received %.0f, TCP_INFO %.0f", backend[b], rx, kr);
		json_object_put(d);
		pe_run_free(&r);
	}
}

Test(work, json_stream_lines)
{
	struct pe_run r;
	char *line, *save = NULL;
	int starts = 0, intervals = 0, summaries = 0;
	long long sum_tx = 0, total_tx = -1;

	cr_assert_eq(pe_run(&r,
			    "%s client 127.0.0.1 -p %u --mode stream -t 1 -i 0.25 --json-stream",
			    PE_TEST_BIN, pe_server_port(pe_wt_srv[0])),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *o = json_tokener_parse(line);
		const char *ev;

		cr_assert(o, "not JSON: %s", line);
		ev = pe_json_str(o, "event", "");
		if (!strcmp(ev, "start")) {
			cr_expect_eq(starts + intervals + summaries, 0, "start is the first line");
			starts++;
			cr_expect_str_eq(
				pe_json_str(json_object_object_get(o, "params"), "mode", ""),
				"stream");
		} else if (!strcmp(ev, "interval")) {
			cr_expect_eq(summaries, 0, "an interval after the summary");
			intervals++;
			sum_tx += num(o, "tx_bytes");
		} else {
			cr_expect_str_eq(ev, "summary");
			summaries++;
			total_tx = num(side(o, "client"), "tx_bytes");
		}
		json_object_put(o);
	}
	/* 4 full quarters, maybe a last partial one while the flows close */
	cr_expect(intervals >= 3 && intervals <= 5, "%d interval lines", intervals);
	cr_expect_eq(starts, 1);
	cr_expect_eq(summaries, 1);
	cr_expect(sum_tx > 0 && sum_tx <= total_tx, "intervals %lld, total %lld", sum_tx, total_tx);
	pe_run_free(&r);
}

Test(work, text_report_and_errors)
{
	struct pe_run r;

	cr_assert_eq(pe_run(&r, "%s client 127.0.0.1 -p %u --mode rr -t 0.3 -i 0", PE_TEST_BIN,
			    pe_server_port(pe_wt_srv[1])),
		     0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "-- rr summary") && strstr(r.out, "\nclient ") &&
			  strstr(r.out, "\nserver ") && strstr(r.out, "latency us: min"),
		  "%s", r.out);
	pe_run_free(&r);

	cr_assert_eq(pe_run(&r, "%s client", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "pkteng: client: missing HOST (see 'pkteng client --help')\n");
	pe_run_free(&r);

	cr_assert_eq(pe_run(&r, "%s client ::1 --mode warp", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "--mode 'warp'"), "%s", r.err);
	pe_run_free(&r);

	cr_assert_eq(pe_run(&r, "%s client ::1 --mode rr --spin 1000001", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "pkteng: client: --spin '1000001': expected 0..1000000 "
				"microseconds\n");
	pe_run_free(&r);

	/* nothing listens on port 1 */
	cr_assert_eq(pe_run(&r, "%s client 127.0.0.1 -p 1 -t 0.2", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "Connection refused"), "%s", r.err);
	pe_run_free(&r);
}
