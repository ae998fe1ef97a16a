/* `pkteng bench`: an in-process server and client on loopback run every mode that names a bench
 * row in its descriptor (stream, rr, udp, echo with 64 connections, udp-rr) on each backend;
 * prints a table and saves the full JSON. */
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
#include "tools/cli.h"

static const char usage_fmt[] =
	"Usage: pkteng bench [--quick] [-t SECONDS] [--backend uring|epoll]\n"
	"                    [--out PATH | --json | --json-stream]\n"
	"Runs one test per row between an in-process server and client on 127.0.0.1, on each\n"
	"backend, prints a table and saves the JSON (default ./pkteng-bench.json; the path is\n"
	"printed).\nRows (mode, bytes, connections): %s\n"
	"  --quick         0.5 s per test (a few seconds in all) instead of 4 s\n"
	"  -t SECONDS      seconds per test\n"
	"  --backend B     only this backend\n"
	"  --out PATH      where the JSON record goes\n"
	"  --json          the record on stdout instead of the table and the file\n"
	"  --json-stream   the record as JSON lines on stdout: start, one line per test, summary\n";

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

/* The default result cell: transactions per second. */
static void cell(char *buf, size_t len, const struct pe_mode_desc *d, const struct pe_figures *c,
		 const struct pe_figures *s)
{
	double sec = c->seconds > 0 ? c->seconds : 1e-9;

	if (d->bench_cell)
		d->bench_cell(buf, len, c, s);
	else
		snprintf(buf, len, "%.0f trans/s", (double)c->c.transactions / sec);
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

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "quick", no_argument, 0, 'q' },
		{ "backend", required_argument, 0, 'k' },
		{ "out", required_argument, 0, 'o' },
		{ "json", no_argument, 0, 'j' },
		{ "json-stream", no_argument, 0, 's' },
		{ 0 },
	};
	enum pe_backend backends[2] = { PE_BACKEND_URING, PE_BACKEND_EPOLL }, only;
	const char *out_path = NULL;
	struct pe_server_opts so = { .sz = sizeof(so), .bind = "127.0.0.1", .port = 0 };
	enum pe_rec_fmt fmt = PE_REC_TEXT;
	struct pe_rec rec;
	struct pe_interval clock;
	struct pe_server *srv;
	char port[8], abs_path[PATH_MAX];
	unsigned nb = 2, b, i, failed = 0, tests = 0;
	FILE *out = stdout, *table;
	double t = 4;
	int c, rc = PE_EXIT_OK;

	while ((c = getopt_long(argc, argv, "hqt:", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			t = 0.5;
			break;
		case 't':
			if (pe_parse_seconds(optarg, 0.1, 600, &t))
				return pe_usage("bench: -t '%s': expected 0.1..600 seconds",
						optarg);
			break;
		case 'k':
			if (pe_backend_parse(optarg, &only))
				return pe_usage("bench: --backend '%s': expected uring or epoll",
						optarg);
			backends[0] = only;
			nb = 1;
			break;
		case 'o':
			out_path = optarg;
			break;
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
	if (fmt != PE_REC_TEXT && out_path)
		return pe_usage("bench: --out writes the record to a file, --json%s to stdout: "
				"choose one",
				fmt == PE_REC_JSON ? "" : "-stream");
	signal(SIGPIPE, SIG_IGN);
	/* the table on stdout and the record in a file, or the record on stdout */
	table = fmt == PE_REC_TEXT ? stdout : NULL;
	if (fmt == PE_REC_TEXT) {
		if (!out_path)
			out_path = "pkteng-bench.json";
		out = fopen(out_path, "we");
		if (!out)
			return pe_fail("bench: --out %s: %s", out_path, strerror(errno));
		fmt = PE_REC_JSON;
	}
	if (pe_rec_open(&rec, fmt, out, "bench")) {
		if (out != stdout)
			fclose(out);
		return pe_fail("bench: out of memory");
	}
	start_record(&rec, t, backends, nb);
	pe_interval_start(&clock, 0, 0);
	if (table) {
		printf("pkteng bench: in-process server and client on 127.0.0.1, %.1f s per "
		       "test\n\n",
		       t);
		printf("%-7s %-9s %-30s %-22s %-14s %-14s\n", "test", "backend", "result",
		       "latency p50/p99", "client cpu", "server cpu");
	}
	for (b = 0; b < nb; b++) {
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
						     .arg = &ro };
			struct pe_figures cf, sf;
			double t0_s;
			bool have_srv;
			char err[300], res[64], lat[32] = "-", cc[24], sc[24];
			int r;

			if (!d->bench_label)
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
				if (table)
					printf("%-7s %-9s FAILED: %s\n", d->bench_label,
					       pe_backend_name(backends[b]), err);
				continue;
			}
			if (!table)
				continue;
			cell(res, sizeof(res), d, &cf, &sf);
			if (cf.lat_count)
				snprintf(lat, sizeof(lat), "%.1f/%.1f us", cf.lat_p50_ns / 1e3,
					 cf.lat_p99_ns / 1e3);
			snprintf(cc, sizeof(cc), "%.0f%%u %.0f%%s", cf.user_pct, cf.sys_pct);
			snprintf(sc, sizeof(sc), "%.0f%%u %.0f%%s", sf.user_pct, sf.sys_pct);
			printf("%-7s %-9s %-30s %-22s %-14s %-14s\n", d->bench_label,
			       pe_backend_name(backends[b]), res, lat, cc, sc);
			fflush(stdout);
		}
		pe_server_close(srv);
	}
	{
		struct json_object *sum = json_object_new_object();

		pe_rec_add(sum, "tests", json_object_new_int((int)tests));
		pe_rec_add(sum, "failed", json_object_new_int((int)failed));
		pe_rec_add(sum, "ok", json_object_new_boolean(!failed));
		pe_rec_end(&rec, 0, pe_interval_elapsed_s(&clock, pe_mono_ns()), false, sum);
	}
	if (failed)
		rc = pe_fail("bench: %u test(s) failed", failed);
out:
	pe_rec_close(&rec);
	if (out != stdout && (ferror(out) | fclose(out)) && !rc)
		rc = pe_fail("bench: writing %s: %s", out_path, strerror(errno));
	else if (out != stdout && table)
		printf("\nJSON: %s\n", realpath(out_path, abs_path) ? abs_path : out_path);
	return rc;
}

const struct pe_cmd pe_cmd_bench = {
	.name = "bench",
	.summary = "every mode's bench row on loopback on each backend: a table and JSON",
	.run = run,
};
