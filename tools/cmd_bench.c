/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng bench`: every mode that names a bench row in its descriptor (stream, rr, udp, echo
 * with 64 connections, udp-rr) on each backend over loopback. It is the loopback suite
 * (suites/loopback.ini, made here from the mode table): a table, and with --out the results
 * directory `pkteng compare` reads. --json and --json-stream run the rows in-process instead
 * and print one record of them all. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "raw/interval.h"
#include "record/record.h"
#include "workload/work.h"
#include "suite/suite.h"
#include "tools/cli.h"
#include "tools/suite_cli.h"

static const char usage_fmt[] =
	"Usage: pkteng bench [--quick] [-t SECONDS] [-r RUNS] [--backend uring|epoll]\n"
	"                    [--out DIR] [--bin [NAME=]PATH]... | --json | --json-stream]\n"
	"Runs the loopback suite: one test per row between `pkteng server` and `pkteng client` on\n"
	"127.0.0.1, on each backend, after a warm-up run of each, and prints a table of medians.\n"
	"Rows (mode, bytes, connections): %s\n"
	"  --quick         0.5 s per test instead of 4 s\n"
	"  -t SECONDS      seconds per test\n"
	"  -r RUNS         runs of each test, interleaved (default 1)\n"
	"  --backend B     only this backend\n"
	"  --out DIR       write the results directory (suite.json, runs.jsonl) for pkteng "
	"compare\n"
	"  --bin PATH      the pkteng binary to run; twice to compare two binaries in one session\n"
	"  --print-suite   print the suite file bench runs (suites/loopback.ini) and exit\n"
	"  --json          in-process, one run of each test: one record of them all on stdout\n"
	"  --json-stream   the same record as JSON lines: start, one line per test, summary\n"
	"Ctrl-C stops after the current test (--json: which ends early, in order) and prints\n"
	"what ran: the table, or a valid record marked interrupted; the exit status is then 1.\n";

/* The help text names the rows from the mode table. */
static int help(bool is_error)
{
	char rows[200] = "", text[sizeof(usage_fmt) + sizeof(rows)];
	size_t n = 0;
	int i;

	for (i = 0; i < PE_MODE__COUNT; i++) {
		const struct pe_mode_desc *d = pe_mode_desc((enum pe_mode)i);

		char len[32];

		if (d->bench_label && n < sizeof(rows))
			n += (size_t)snprintf(
				rows + n, sizeof(rows) - n, "%s%s %s x%u", n ? ", " : "",
				d->bench_label,
				pe_param_value_str(PE_P_LEN, d->bench_len, len, sizeof(len)),
				d->bench_conns);
	}
	snprintf(text, sizeof(text), usage_fmt, rows);
	return pe_cli_help(text, is_error);
}

/* What one test ran on: the client's loop says (pe_client_opts.on_backend). */
struct ran_on {
	char backend[16], why[160];
	bool fell_back;
};

static void on_backend(void *arg, const char *backend, const char *fallback_reason)
{
	struct ran_on *ro = arg;

	snprintf(ro->backend, sizeof(ro->backend), "%s", backend);
	ro->fell_back = fallback_reason != NULL;
	snprintf(ro->why, sizeof(ro->why), "%s", fallback_reason ? fallback_reason : "");
}

/* One test as a record interval: what it was, what it ran on, both sides' figures. */
static void test_record(struct pe_rec *rec, double t0_s, double t1_s, const char *label,
			const struct pe_client_opts *co, const struct ran_on *ro,
			const struct pe_figures *cf, const struct pe_figures *sf)
{
	struct json_object *o = json_object_new_object(), *res = pe_result_record(cf, sf);

	pe_rec_add(o, "test", json_object_new_string(label));
	pe_rec_add(o, "backend", json_object_new_string(ro->backend));
	pe_rec_add(o, "backend_fallback", ro->fell_back ? json_object_new_string(ro->why) : NULL);
	pe_rec_add(o, "params", pe_params_record(&co->p));
	json_object_object_foreach(res, key, val) pe_rec_add(o, key, json_object_get(val));
	json_object_put(res);
	pe_rec_interval(rec, t0_s, t1_s, o);
}

/* The record's start: the bench's own parameters and the backends it runs. */
static void start_record(struct pe_rec *rec, double t, const enum pe_backend *backends, unsigned nb)
{
	struct json_object *p = json_object_new_object(), *bk = json_object_new_array();
	char names[32];

	snprintf(names, sizeof(names), "%s%s%s", pe_backend_name(backends[0]), nb > 1 ? "," : "",
		 nb > 1 ? pe_backend_name(backends[1]) : "");
	pe_rec_set_backend(rec, names, NULL);
	for (unsigned b = 0; b < nb; b++)
		json_object_array_add(bk, json_object_new_string(pe_backend_name(backends[b])));
	pe_rec_add(p, "seconds_per_test", pe_rec_secs(t));
	pe_rec_add(p, "backends", bk);
	pe_rec_add(rec->start, "params", p);
	pe_rec_begin(rec);
}

/* --json and --json-stream: every row in-process, one record of them all on stdout. */
static int run_record(double t, const enum pe_backend *backends, unsigned nb, enum pe_rec_fmt fmt)
{
	struct pe_server_opts so = { .sz = sizeof(so), .bind = "127.0.0.1", .port = 0 };
	struct pe_rec rec;
	struct pe_interval clock;
	struct pe_server *srv;
	char port[8];
	unsigned b, i, failed = 0, tests = 0;
	int rc = PE_EXIT_OK;

	signal(SIGPIPE, SIG_IGN);
	if (pe_rec_open(&rec, fmt, stdout, "bench"))
		return pe_fail("bench: out of memory");
	pe_stop_catch(); /* Ctrl-C ends the current test in order and the record with it */
	start_record(&rec, t, backends, nb);
	pe_interval_start(&clock, 0, 0);
	for (b = 0; b < nb && !pe_stopped(); b++) {
		so.backend = backends[b];
		srv = pe_server_open(&so);
		if (!srv) {
			rc = pe_fail("bench: in-process server: %s", strerror(errno));
			goto out;
		}
		if (pe_server_start(srv)) {
			pe_server_close(srv);
			rc = pe_fail("bench: cannot start the server thread");
			goto out;
		}
		snprintf(port, sizeof(port), "%u", pe_server_port(srv));
		for (i = 0; i < PE_MODE__COUNT; i++) {
			const struct pe_mode_desc *d = pe_mode_desc((enum pe_mode)i);
			struct ran_on ro = { .fell_back = false };
			struct pe_client_opts co = { .sz = sizeof(co),
						     .host = "127.0.0.1",
						     .port = port,
						     .backend = backends[b],
						     .on_backend = on_backend,
						     .arg = &ro,
						     .stop = pe_stop_flag() };
			struct pe_figures cf, sf;
			double t0_s;
			bool have_srv;
			char err[300];
			int r;

			if (!d->bench_label || pe_stopped())
				continue;
			pe_params_default(&co.p, (enum pe_mode)i);
			co.p.duration_s = t;
			co.p.len_bytes = d->bench_len;
			co.p.conns = d->bench_conns;
			snprintf(ro.backend, sizeof(ro.backend), "%s",
				 pe_backend_name(backends[b]));
			t0_s = pe_interval_elapsed_s(&clock, pe_mono_ns());
			r = pe_client_run(&co, &cf, &sf, &have_srv, err, sizeof(err));
			test_record(&rec, t0_s, pe_interval_elapsed_s(&clock, pe_mono_ns()),
				    d->bench_label, &co, &ro, &cf, have_srv ? &sf : NULL);
			tests++;
			if (r || !have_srv) {
				failed++;
				continue;
			}
		}
		pe_server_close(srv);
	}
	{
		struct json_object *sum = json_object_new_object();

		pe_rec_add(sum, "tests", json_object_new_int((int)tests));
		pe_rec_add(sum, "failed", json_object_new_int((int)failed));
		pe_rec_add(sum, "ok", json_object_new_boolean(!failed));
		pe_rec_end(&rec, 0, pe_interval_elapsed_s(&clock, pe_mono_ns()),
			   pe_stop_signal() != 0, sum);
	}
	if (failed)
		rc = pe_fail("bench: %u test(s) failed", failed);
	else if (pe_stop_signal())
		rc = pe_fail("bench: interrupted after %u test(s)", tests);
out:
	pe_rec_close(&rec);
	return rc;
}

/* The loopback suite, from the mode table: one section per bench row (suites/loopback.ini is
 * this text). */
static int loopback_suite(char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len,
				    "# SPDX-License-Identifier: BSD-2-Clause\n"
				    "# pkteng bench: every mode's bench row over loopback, on both "
				    "backends.\n# `pkteng bench --print-suite` writes this file.\n"
				    "[global]\nruns = 1\ntime = 4\nwarmup = 1\norder = abba\n"
				    "backend = uring, epoll\n");

	for (int i = 0; i < PE_MODE__COUNT && n < len; i++) {
		const struct pe_mode_desc *d = pe_mode_desc((enum pe_mode)i);
		char l[32];

		if (d->bench_label)
			n += (size_t)snprintf(
				buf + n, len - n, "\n[%s]\nmode = %s\nlen = %s\nconns = %u\n",
				d->bench_label, d->name,
				pe_param_value_str(PE_P_LEN, d->bench_len, l, sizeof(l)),
				d->bench_conns);
	}
	return n < len ? 0 : -E2BIG;
}

static int run_suite(const char *time_s, const char *runs, const char *backend, const char *out_dir,
		     const struct pe_suite_bin *bins, unsigned n_bins)
{
	struct pe_suite *s = calloc(1, sizeof(*s));
	char text[2048], err[600], self[PATH_MAX];
	int rc;

	if (!s)
		return pe_fail("bench: out of memory");
	if (!realpath("/proc/self/exe", self)) {
		free(s);
		return pe_fail("bench: cannot find this pkteng: %s", strerror(errno));
	}
	rc = loopback_suite(text, sizeof(text));
	if (!rc)
		rc = pe_suite_load_string(s, "(bench)", text, err, sizeof(err));
	if (!rc && time_s)
		rc = pe_suite_override(s, "time", time_s);
	if (!rc && runs)
		rc = pe_suite_override(s, "runs", runs);
	if (!rc && backend)
		rc = pe_suite_override(s, "backend", backend);
	if (!rc)
		rc = pe_suite_plan(s, bins, n_bins, self, err, sizeof(err));
	if (rc) {
		rc = rc == -EINVAL ? pe_usage("bench: %s", err)
				   : pe_fail("bench: %s", strerror(-rc));
	} else {
		printf("pkteng bench: pkteng server and client on 127.0.0.1, %s s per test, %s "
		       "run(s) each after a warm-up\n\n",
		       time_s ? time_s : "4", runs ? runs : "1");
		fflush(stdout);
		rc = pe_suite_cli_run(s, out_dir, "bench");
	}
	pe_suite_free(s);
	free(s);
	return rc;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "quick", no_argument, 0, 'q' },
		{ "backend", required_argument, 0, 'k' },
		{ "out", required_argument, 0, 'o' },
		{ "bin", required_argument, 0, 'B' },
		{ "print-suite", no_argument, 0, 'S' },
		{ "json", no_argument, 0, 'j' },
		{ "json-stream", no_argument, 0, 's' },
		{ 0 },
	};
	enum pe_backend backends[2] = { PE_BACKEND_URING, PE_BACKEND_EPOLL }, only;
	struct pe_suite_bin bins[PE_SUITE_BINS_MAX];
	const char *out_dir = NULL, *backend = NULL, *runs = NULL, *time_s = NULL;
	enum pe_rec_fmt fmt = PE_REC_TEXT;
	unsigned nb = 2, n_bins = 0;
	double t = 4;
	uint64_t u;
	char text[2048];
	int c, rc;

	while ((c = getopt_long(argc, argv, "hqt:r:", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			t = 0.5;
			time_s = "0.5";
			break;
		case 't':
			if (pe_parse_seconds(optarg, 0.1, 600, &t))
				return pe_usage("bench: -t '%s': expected 0.1..600 seconds",
						optarg);
			time_s = optarg;
			break;
		case 'r':
			if (pe_parse_u64(optarg, 1, 1000, &u))
				return pe_usage("bench: -r '%s': expected 1..1000 runs", optarg);
			runs = optarg;
			break;
		case 'k':
			if (pe_backend_parse(optarg, &only))
				return pe_usage("bench: --backend '%s': expected uring or epoll",
						optarg);
			backends[0] = only;
			nb = 1;
			backend = optarg;
			break;
		case 'o':
			out_dir = optarg;
			break;
		case 'B':
			if ((rc = pe_suite_cli_bin(optarg, bins, &n_bins)))
				return rc;
			break;
		case 'S':
			if (loopback_suite(text, sizeof(text)))
				return pe_fail("bench: the suite does not fit");
			fputs(text, stdout);
			return PE_EXIT_OK;
		case 'j':
			fmt = PE_REC_JSON;
			break;
		case 's':
			fmt = PE_REC_JSON_STREAM;
			break;
		case 'h':
			return help(false);
		default:
			return help(true);
		}
	}
	if (optind < argc)
		return pe_usage("bench: unexpected argument '%s'", argv[optind]);
	if (out_dir && !strcmp(out_dir, "-"))
		return pe_usage("bench: --out -: a results directory cannot be standard output "
				"(--json prints a record there)");
	if (fmt == PE_REC_TEXT)
		return run_suite(time_s, runs, backend, out_dir, bins, n_bins);
	if (out_dir || runs || n_bins)
		return pe_usage("bench: --json%s runs each test once in-process: without --out, -r "
				"and --bin",
				fmt == PE_REC_JSON ? "" : "-stream");
	return run_record(t, backends, nb, fmt);
}

const struct pe_cmd pe_cmd_bench = {
	.name = "bench",
	.summary = "every mode's bench row on loopback on each backend: a table and JSON",
	.run = run,
};
