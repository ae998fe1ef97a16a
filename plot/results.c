/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading a results directory: suite.json whole, runs.jsonl a line at a time. */
#include "plot/results.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

void pe_results_free(struct pe_results *res)
{
	for (size_t i = 0; i < res->n_runs; i++)
		json_object_put(res->runs[i]);
	free(res->runs);
	json_object_put(res->suite);
	free(res->dir);
	memset(res, 0, sizeof(*res));
}

static int add_run(struct pe_results *res, struct json_object *run)
{
	struct json_object **p = realloc(res->runs, (res->n_runs + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	res->runs = p;
	res->runs[res->n_runs++] = run;
	return 0;
}

int pe_results_load(struct pe_results *res, const char *dir, char *err, size_t errlen)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t n;
	FILE *f;
	int r = 0;

	memset(res, 0, sizeof(*res));
	res->dir = strdup(dir);
	snprintf(path, sizeof(path), "%s/suite.json", dir);
	res->suite = json_object_from_file(path);
	if (!res->dir || !json_object_is_type(res->suite, json_type_object) ||
	    strcmp(str(res->suite, "kind"), "pkteng-suite")) {
		snprintf(err, errlen, "%s: not a results directory's suite.json", path);
		pe_results_free(res);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/runs.jsonl", dir);
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		pe_results_free(res);
		return r;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		struct json_object *run;

		lineno++;
		if (n == 1 && line[0] == '\n')
			continue;
		run = json_tokener_parse(line);
		if (!json_object_is_type(run, json_type_object) || !*str(run, "point") ||
		    !*str(run, "variant")) {
			json_object_put(run);
			snprintf(err, errlen, "%s:%u: not a run record", path, lineno);
			r = -EINVAL;
			break;
		}
		if (add_run(res, run)) {
			json_object_put(run);
			snprintf(err, errlen, "out of memory");
			r = -ENOMEM;
			break;
		}
	}
	free(line);
	fclose(f);
	if (r)
		pe_results_free(res);
	return r;
}

size_t pe_groups(const struct pe_results *res, size_t n_res, struct pe_group *g, size_t cap)
{
	size_t n = 0;

	for (size_t d = 0; d < n_res; d++) {
		struct json_object *vs = get(res[d].suite, "variants");
		size_t nv =
			json_object_is_type(vs, json_type_array) ? json_object_array_length(vs) : 0;

		for (size_t i = 0; i < nv && n < cap; i++) {
			const char *name = str(json_object_array_get_idx(vs, i), "name");
			const char *base = strrchr(res[d].dir, '/');

			base = base && base[1] ? base + 1 : res[d].dir;
			g[n].res = &res[d];
			g[n].variant = name;
			if (n_res > 1)
				snprintf(g[n].label, sizeof(g[n].label), "%s:%s", base, name);
			else
				snprintf(g[n].label, sizeof(g[n].label), "%s", name);
			n++;
		}
	}
	return n;
}

size_t pe_points(const struct pe_results *res, const char **ids, size_t cap)
{
	struct json_object *ps = get(res->suite, "points");
	size_t n = 0;

	if (!json_object_is_type(ps, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(ps) && n < cap; i++) {
		const char *id = str(json_object_array_get_idx(ps, i), "id");

		if (*id)
			ids[n++] = id;
	}
	return n;
}

static bool run_ok(struct json_object *run)
{
	return json_object_get_boolean(get(run, "ok"));
}

size_t pe_group_runs(const struct pe_group *g, const char *point, struct json_object **runs,
		     size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < g->res->n_runs && n < cap; i++) {
		struct json_object *r = g->res->runs[i];

		if (run_ok(r) && !strcmp(str(r, "point"), point) &&
		    !strcmp(str(r, "variant"), g->variant))
			runs[n++] = r;
	}
	/* run order, not the interleaved order they were made in */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && json_object_get_int(get(runs[j - 1], "run")) >
						    json_object_get_int(get(runs[j], "run"));
		     j--) {
			struct json_object *t = runs[j];

			runs[j] = runs[j - 1];
			runs[j - 1] = t;
		}
	return n;
}

size_t pe_point_metrics(const struct pe_group *g, size_t ng, const char *point, const char **names,
			size_t cap)
{
	size_t n = 0;

	for (size_t k = 0; k < ng; k++)
		for (size_t i = 0; i < g[k].res->n_runs; i++) {
			struct json_object *r = g[k].res->runs[i], *m = get(r, "metrics");

			if (!run_ok(r) || strcmp(str(r, "point"), point) ||
			    !json_object_is_type(m, json_type_object))
				continue;
			json_object_object_foreach(m, key, val)
			{
				size_t j = 0;

				(void)val;
				while (j < n && strcmp(names[j], key))
					j++;
				if (j == n && n < cap)
					names[n++] = key;
			}
		}
	return n;
}

static int number(struct json_object *v, double *out)
{
	double d;

	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return -ENOENT;
	d = json_object_get_double(v);
	if (!isfinite(d))
		return -ENOENT;
	*out = d;
	return 0;
}

int pe_run_metric(struct json_object *run, const char *name, double *v)
{
	return number(get(get(run, "metrics"), name), v);
}

const char *pe_series_key(const struct pe_group *g, size_t ng, const char *point)
{
	static const char *const keys[] = { "transactions_per_s", "rx_bits_per_s", "tx_bits_per_s",
					    "rx_frames_per_s", "tx_frames_per_s" };

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		for (size_t j = 0; j < ng; j++)
			for (size_t i = 0; i < g[j].res->n_runs; i++) {
				struct json_object *r = g[j].res->runs[i];
				struct json_object *iv = get(get(r, "record"), "intervals");
				double v;

				if (strcmp(str(r, "point"), point) ||
				    !json_object_is_type(iv, json_type_array))
					continue;
				for (size_t t = 0; t < json_object_array_length(iv); t++)
					if (!number(get(json_object_array_get_idx(iv, t), keys[k]),
						    &v) &&
					    v > 0)
						return keys[k];
			}
	return NULL;
}

static int by_upper(const void *a, const void *b)
{
	const struct pe_hist_pair *x = a, *y = b;

	return x->upper_ns < y->upper_ns ? -1 : x->upper_ns > y->upper_ns;
}

long pe_group_hist(const struct pe_group *g, const char *point, struct pe_hist_pair **out)
{
	struct json_object *runs[1024];
	size_t nr = pe_group_runs(g, point, runs, 1024), n = 0, cap = 0, m = 0;
	struct pe_hist_pair *p = NULL;

	*out = NULL;
	for (size_t i = 0; i < nr; i++) {
		struct json_object *h =
			get(get(get(get(runs[i], "record"), "summary"), "client"), "lat_hist");
		size_t len =
			json_object_is_type(h, json_type_array) ? json_object_array_length(h) : 0;

		for (size_t j = 0; j < len; j++) {
			struct json_object *pair = json_object_array_get_idx(h, j);
			double u, c;

			if (number(json_object_array_get_idx(pair, 0), &u) ||
			    number(json_object_array_get_idx(pair, 1), &c) || u < 0 || c < 0)
				continue;
			if (n == cap) {
				struct pe_hist_pair *q;

				cap = cap ? 2 * cap : 256;
				q = realloc(p, cap * sizeof(*p));
				if (!q) {
					free(p);
					return -ENOMEM;
				}
				p = q;
			}
			p[n++] = (struct pe_hist_pair){ (uint64_t)u, (uint64_t)c };
		}
	}
	if (!n)
		return 0;
	qsort(p, n, sizeof(*p), by_upper);
	for (size_t i = 0; i < n; i++) {
		if (m && p[m - 1].upper_ns == p[i].upper_ns)
			p[m - 1].count += p[i].count;
		else
			p[m++] = p[i];
	}
	*out = p;
	return (long)m;
}
