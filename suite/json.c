/* SPDX-License-Identifier: BSD-2-Clause */
/* A suite as JSON (for suite.json), the flat metrics taken from a client's record, and the
 * table of medians printed when a suite ends. */
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
#include "suite/suite.h"

static struct json_object *section_json(const struct pe_suite_section *sec)
{
	struct json_object *o = json_object_new_object();

	for (unsigned i = 0; i < sec->n; i++) {
		const struct pe_suite_kv *kv = &sec->kv[i];
		struct json_object *v;

		if (kv->n_alts > 1) {
			v = json_object_new_array();
			for (unsigned a = 0; a < kv->n_alts; a++)
				json_object_array_add(v, json_object_new_string(kv->alts[a]));
		} else {
			v = json_object_new_string(kv->alts[0]);
		}
		pe_rec_add(o, kv->key, v);
	}
	return o;
}

struct json_object *pe_suite_json(const struct pe_suite *s)
{
	struct json_object *o = json_object_new_object(), *tests = json_object_new_object(),
			   *st = json_object_new_object();

	for (unsigned i = 0; i < s->n_tests; i++)
		pe_rec_add(tests, s->tests[i].name, section_json(&s->tests[i]));
	for (unsigned i = 0; i < s->n_settings; i++)
		pe_rec_add(st, s->settings[i].name, section_json(&s->settings[i].kv));
	pe_rec_add(o, "global", section_json(&s->global));
	pe_rec_add(o, "tests", tests);
	pe_rec_add(o, "variants", st);
	if (s->n_hosts) {
		struct json_object *hs = json_object_new_object();

		for (unsigned i = 0; i < s->n_hosts; i++) {
			const struct pe_suite_host *h = &s->hosts[i];
			struct json_object *ho = json_object_new_object();

#define HOST_FIELD(f) pe_rec_add(ho, #f, h->f[0] ? json_object_new_string(h->f) : NULL)
			HOST_FIELD(ssh);
			HOST_FIELD(addr);
			HOST_FIELD(bin);
			HOST_FIELD(cpus);
			HOST_FIELD(ssh_config);
#undef HOST_FIELD
			pe_rec_add(hs, h->name, ho);
		}
		pe_rec_add(o, "hosts", hs);
	}
	return o;
}

struct json_object *pe_suite_points_json(const struct pe_suite *s)
{
	struct json_object *a = json_object_new_array();

	for (unsigned p = 0; p < s->n_points; p++) {
		const struct pe_suite_point *pt = &s->points[p];
		struct json_object *o = json_object_new_object(), *vars = json_object_new_object(),
				   *cmd = json_object_new_array();
		char *argv[PE_SUITE_ARGS_MAX];
		int n;

		for (unsigned i = 0; i < pt->keys.n; i++)
			if (pt->keys.kv[i].n_alts > 1)
				pe_rec_add(
					vars, pt->keys.kv[i].key,
					json_object_new_string(pt->keys.kv[i].alts[pt->choice[i]]));
		/* the command without a variant's settings, the port or --json */
		n = pe_suite_argv(s, p, UINT_MAX, NULL, false, argv, PE_SUITE_ARGS_MAX);
		for (int i = 0; i < n; i++)
			json_object_array_add(cmd, json_object_new_string(argv[i]));
		if (pt->lab) { /* the inject's command, as its host runs it */
			const char *ia = pe_suite_point_get(pt, "inject_args");
			char *copy = strdup(ia ? ia : ""), *tok, *save = NULL;

			json_object_array_add(cmd, json_object_new_string("inject"));
			json_object_array_add(cmd, json_object_new_string("--dev"));
			json_object_array_add(
				cmd, json_object_new_string(s->hosts[pt->inject_host].dev));
			for (tok = copy ? strtok_r(copy, " \t", &save) : NULL; tok;
			     tok = strtok_r(NULL, " \t", &save))
				json_object_array_add(cmd, json_object_new_string(tok));
			free(copy);
		}
		pe_rec_add(o, "id", json_object_new_string(pt->id));
		pe_rec_add(o, "test", json_object_new_string(s->tests[pt->test].name));
		pe_rec_add(o, "vars", vars);
		pe_rec_add(o, "command", cmd);
		pe_rec_add(o, "local_server", json_object_new_boolean(pt->local_server));
		pe_rec_add(o, "runs", json_object_new_int((int)pt->runs));
		json_object_array_add(a, o);
	}
	return a;
}

/* A number at path "a.b" in o, or NAN. */
static double num_at(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x, *y;

	if (!json_object_object_get_ex(o, a, &x) || !json_object_object_get_ex(x, b, &y))
		return NAN;
	if (!json_object_is_type(y, json_type_int) && !json_object_is_type(y, json_type_double))
		return NAN;
	return json_object_get_double(y);
}

struct json_object *pe_suite_metrics(struct json_object *record)
{
	/* the client's own rates and CPU; what arrived at the server; its CPU */
	static const struct {
		const char *side, *key, *name;
		bool positive; /* only when > 0: a rate the mode does not make is left out */
	} m[] = {
		{ "client", "transactions_per_s", "transactions_per_s", true },
		{ "client", "tx_bits_per_s", "tx_bits_per_s", true },
		{ "client", "rx_bits_per_s", "rx_bits_per_s", true },
		{ "server", "rx_bits_per_s", "server_rx_bits_per_s", true },
		{ "client", "cpu_user_pct", "cpu_user_pct", false },
		{ "client", "cpu_sys_pct", "cpu_sys_pct", false },
		{ "server", "cpu_user_pct", "server_cpu_user_pct", false },
		{ "server", "cpu_sys_pct", "server_cpu_sys_pct", false },
	};
	struct json_object *out = json_object_new_object(), *sum, *start, *params, *mode;
	double x;

	if (!out || !json_object_object_get_ex(record, "summary", &sum))
		return out;
	for (unsigned i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		x = num_at(sum, m[i].side, m[i].key);
		if (!isnan(x) && (!m[i].positive || x > 0))
			pe_rec_add(out, m[i].name, pe_rec_num(x));
	}
	x = num_at(sum, "server", "udp_loss_pct");
	if (!isnan(x) && json_object_object_get_ex(record, "start", &start) &&
	    json_object_object_get_ex(start, "params", &params) &&
	    json_object_object_get_ex(params, "mode", &mode) &&
	    !strcmp(json_object_get_string(mode), "udp"))
		pe_rec_add(out, "udp_loss_pct", pe_rec_num(x));
	if (num_at(sum, "client", "lat_count") > 0) {
		/* integers in the record, kept whole (pe_rec_num keeps 6 digits: a p99 above 1 ms
		 * would come out rounded) */
		pe_rec_add(out, "lat_p50_ns",
			   pe_rec_u64((uint64_t)num_at(sum, "client", "lat_p50_ns")));
		pe_rec_add(out, "lat_p99_ns",
			   pe_rec_u64((uint64_t)num_at(sum, "client", "lat_p99_ns")));
	}
	return out;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of one metric over the runs in arr; NAN when none has it. */
static double median(struct json_object *arr, const char *key)
{
	size_t n = arr ? json_object_array_length(arr) : 0, k = 0;
	double *v = calloc(n ? n : 1, sizeof(double)), r = NAN;
	struct json_object *x;

	for (size_t i = 0; v && i < n; i++)
		if (json_object_object_get_ex(json_object_array_get_idx(arr, i), key, &x))
			v[k++] = json_object_get_double(x);
	if (k) {
		qsort(v, k, sizeof(double), cmp_double);
		r = k & 1 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
	}
	free(v);
	return r;
}

void pe_suite_print_table(FILE *out, const struct pe_suite *s, const struct pe_suite_result *res)
{
	fprintf(out, "%-28s %-10s %-4s %-22s %-20s %-12s %-12s\n", "point", "variant", "runs",
		"result (median)", "latency p50/p99", "client cpu", "server cpu");
	for (unsigned p = 0; p < s->n_points; p++) {
		for (unsigned v = 0; v < s->n_variants; v++) {
			struct json_object *arr = res->metrics[p * s->n_variants + v];
			double tps = median(arr, "transactions_per_s"),
			       rx = median(arr, "server_rx_bits_per_s"),
			       p50 = median(arr, "lat_p50_ns"), p99 = median(arr, "lat_p99_ns");
			char result[32] = "-", lat[32] = "-", cc[24] = "-", sc[24] = "-";

			if (!isnan(tps))
				snprintf(result, sizeof(result), "%.0f trans/s", tps);
			else if (!isnan(rx))
				snprintf(result, sizeof(result), "%.2f Gbit/s", rx / 1e9);
			if (!isnan(p50))
				snprintf(lat, sizeof(lat), "%.1f/%.1f us", p50 / 1e3, p99 / 1e3);
			if (!isnan(median(arr, "cpu_user_pct")))
				snprintf(cc, sizeof(cc), "%.0f%%u %.0f%%s",
					 median(arr, "cpu_user_pct"), median(arr, "cpu_sys_pct"));
			if (!isnan(median(arr, "server_cpu_user_pct")))
				snprintf(sc, sizeof(sc), "%.0f%%u %.0f%%s",
					 median(arr, "server_cpu_user_pct"),
					 median(arr, "server_cpu_sys_pct"));
			fprintf(out, "%-28s %-10s %-4zu %-22s %-20s %-12s %-12s\n", s->points[p].id,
				s->variants[v].name, arr ? json_object_array_length(arr) : 0,
				result, lat, cc, sc);
		}
	}
}
