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

#include "workload/work.h"
#include "tools/cli.h"

static const char usage_fmt[] =
	"Usage: pkteng bench [--quick] [-t SECONDS] [--backend uring|epoll] [--out PATH]\n"
	"Runs one test per row between an in-process server and client on 127.0.0.1, on each\n"
	"backend, prints a table and saves the JSON (default ./pkteng-bench.json; the path is\n"
	"printed).\nRows (mode, bytes, connections): %s\n"
	"  --quick         0.5 s per test (a few seconds in all) instead of 4 s\n"
	"  -t SECONDS      seconds per test\n"
	"  --backend B     only this backend\n"
	"  --out PATH      where the JSON goes\n";

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

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "quick", no_argument, 0, 'q' },
		{ "backend", required_argument, 0, 'k' },
		{ "out", required_argument, 0, 'o' },
		{ 0 },
	};
	enum pe_backend backends[2] = { PE_BACKEND_URING, PE_BACKEND_EPOLL }, only;
	const char *out_path = "pkteng-bench.json";
	struct pe_server_opts so = { .sz = sizeof(so), .bind = "127.0.0.1", .port = 0 };
	struct json_object *doc, *results;
	struct pe_server *srv;
	char port[8], abs_path[PATH_MAX];
	unsigned nb = 2, b, i, failed = 0;
	double t = 4;
	int c;

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
		case 'h':
			return help(false);
		default:
			return help(true);
		}
	}
	if (optind < argc)
		return pe_usage("bench: unexpected argument '%s'", argv[optind]);
	signal(SIGPIPE, SIG_IGN);
	doc = json_object_new_object();
	results = json_object_new_array();
	json_object_object_add(doc, "tool", json_object_new_string("pkteng bench"));
	json_object_object_add(doc, "version", json_object_new_string(PKTENG_VERSION));
	json_object_object_add(doc, "seconds_per_test", json_object_new_double(t));
	json_object_object_add(doc, "results", results);

	printf("pkteng bench: in-process server and client on 127.0.0.1, %.1f s per test\n\n", t);
	printf("%-7s %-9s %-30s %-22s %-14s %-14s\n", "test", "backend", "result",
	       "latency p50/p99", "client cpu", "server cpu");
	for (b = 0; b < nb; b++) {
		so.backend = backends[b];
		srv = pe_server_open(&so);
		if (!srv) {
			json_object_put(doc);
			return pe_fail("bench: in-process server: %s", strerror(errno));
		}
		if (pe_server_start(srv)) {
			pe_server_close(srv);
			json_object_put(doc);
			return pe_fail("bench: cannot start the server thread");
		}
		snprintf(port, sizeof(port), "%u", pe_server_port(srv));
		for (i = 0; i < PE_MODE__COUNT; i++) {
			const struct pe_mode_desc *d = pe_mode_desc((enum pe_mode)i);
			struct pe_client_opts co = { .sz = sizeof(co),
						     .host = "127.0.0.1",
						     .port = port,
						     .backend = backends[b] };
			struct pe_figures cf, sf;
			struct json_object *one;
			bool have_srv;
			char err[300], res[64], lat[32] = "-", cc[24], sc[24];
			int r;

			if (!d->bench_label)
				continue;
			pe_params_default(&co.p, (enum pe_mode)i);
			co.p.duration_s = t;
			co.p.len_bytes = d->bench_len;
			co.p.conns = d->bench_conns;
			r = pe_client_run(&co, &cf, &sf, &have_srv, err, sizeof(err));
			one = pe_report_json(&co.p, NULL, &cf, have_srv ? &sf : NULL);
			json_object_object_add(
				one, "backend",
				json_object_new_string(pe_backend_name(backends[b])));
			json_object_array_add(results, one);
			if (r || !have_srv) {
				failed++;
				printf("%-7s %-9s FAILED: %s\n", d->bench_label,
				       pe_backend_name(backends[b]), err);
				continue;
			}
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
	if (json_object_to_file_ext(out_path, doc, JSON_C_TO_STRING_PRETTY)) {
		json_object_put(doc);
		return pe_fail("bench: writing %s: %s", out_path, strerror(errno));
	}
	json_object_put(doc);
	printf("\nJSON: %s\n", realpath(out_path, abs_path) ? abs_path : out_path);
	if (failed)
		return pe_fail("bench: %u test(s) failed", failed);
	return PE_EXIT_OK;
}

const struct pe_cmd pe_cmd_bench = {
	.name = "bench",
	.summary = "every mode's bench row on loopback on each backend: a table and JSON",
	.run = run,
};
