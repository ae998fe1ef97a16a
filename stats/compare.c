/* SPDX-License-Identifier: BSD-2-Clause */
/* pe_compare_dirs: the two sides, their rows (one per point and metric on both sides) with the
 * statistics and the verdict, and the metadata fields in which the sides differ. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "record/record.h"
#include "stats/compare.h"
#include "stats/side.h"
#include "stats/stats.h"

void pe_compare_opts_init(struct pe_compare_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->alpha = 0.05;
	o->threshold_pct = 5;
	o->resamples = 10000;
	o->seed = 1;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int pe_metric_better(const char *name)
{
	if (ends_with(name, "_per_s"))
		return 1;
	if (ends_with(name, "_ns") || ends_with(name, "_pct"))
		return -1;
	return 0;
}

/* "DIR" or "DIR:VARIANT" -> a malloc'd dir and variant (NULL when not given). */
static int split_spec(const char *spec, char **dir, char **variant)
{
	const char *colon = strrchr(spec, ':');
	struct stat st;

	*variant = NULL;
	if (!colon || !colon[1] || (!stat(spec, &st) && S_ISDIR(st.st_mode))) {
		*dir = strdup(spec);
		return *dir ? 0 : -ENOMEM;
	}
	*dir = strndup(spec, (size_t)(colon - spec));
	*variant = strdup(colon + 1);
	return *dir && *variant ? 0 : -ENOMEM;
}

static int open_side(struct pe_side *s, const char *spec, char *err, size_t errlen)
{
	char *dir, *variant;
	int ret = split_spec(spec, &dir, &variant);

	if (!ret)
		ret = pe_side_load(s, dir, err, errlen);
	if (!ret)
		ret = pe_side_pick(s, variant, err, errlen);
	free(dir);
	free(variant);
	return ret;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static bool is_side(struct json_object *run, const struct pe_side *s, const char *point)
{
	return !strcmp(str_of(run, "variant"), s->variant) &&
	       (!point || !strcmp(str_of(run, "point"), point));
}

/* The point ids of a side in suite.json's order, then any only runs.jsonl names. */
static struct json_object *point_ids(const struct pe_side *s)
{
	struct json_object *ids = json_object_new_array(), *pts;

	if (json_object_object_get_ex(s->suite, "points", &pts) &&
	    json_object_is_type(pts, json_type_array))
		for (size_t i = 0; i < json_object_array_length(pts); i++) {
			const char *id = str_of(json_object_array_get_idx(pts, i), "id");

			if (id)
				json_object_array_add(ids, json_object_new_string(id));
		}
	for (size_t i = 0; i < json_object_array_length(s->runs); i++) {
		const char *id = str_of(json_object_array_get_idx(s->runs, i), "point");
		size_t j;

		for (j = 0; j < json_object_array_length(ids); j++)
			if (!strcmp(json_object_get_string(json_object_array_get_idx(ids, j)), id))
				break;
		if (j == json_object_array_length(ids))
			json_object_array_add(ids, json_object_new_string(id));
	}
	return ids;
}

/* Whether some ok run of the side at point has the metric (NULL metric: any run at all). */
static bool has_metric(const struct pe_side *s, const char *point, const char *metric)
{
	for (size_t i = 0; i < json_object_array_length(s->runs); i++) {
		struct json_object *run = json_object_array_get_idx(s->runs, i), *m, *v;

		if (!is_side(run, s, point))
			continue;
		if (!metric)
			return true;
		json_object_object_get_ex(run, "metrics", &m);
		if (json_object_get_boolean(json_object_object_get(run, "ok")) &&
		    json_object_object_get_ex(m, metric, &v) && v)
			return true;
	}
	return false;
}

/* The values of metric at point: ok runs only, disturbed ones counted in *left_out unless kept.
 * Returns the count; vals has room for every run. */
static size_t values(const struct pe_side *s, const char *point, const char *metric, bool keep,
		     double *vals, size_t *left_out)
{
	size_t n = 0;

	*left_out = 0;
	for (size_t i = 0; i < json_object_array_length(s->runs); i++) {
		struct json_object *run = json_object_array_get_idx(s->runs, i), *m, *v, *d;

		if (!is_side(run, s, point) ||
		    !json_object_get_boolean(json_object_object_get(run, "ok")))
			continue;
		json_object_object_get_ex(run, "metrics", &m);
		if (!json_object_object_get_ex(m, metric, &v) || !v)
			continue;
		if (!keep && json_object_object_get_ex(run, "disturbed", &d) &&
		    json_object_get_boolean(d)) {
			(*left_out)++;
			continue;
		}
		vals[n++] = json_object_get_double(v);
	}
	return n;
}

static struct json_object *num_or_null(double v)
{
	return isfinite(v) ? pe_rec_num(v) : NULL;
}

static const char *verdict(const struct pe_compare_opts *o, int better, size_t nb, size_t nn,
			   double p, double lo, double hi, double mb, double mn)
{
	double t = o->threshold_pct / 100;
	int worse;

	if (!nb || !nn || pe_mwu_min_p(nb, nn) >= o->alpha)
		return "too few runs";
	if (!(p < o->alpha))
		return "~";
	if (isfinite(lo) && isfinite(hi)) {
		if (hi < 1 - t)
			worse = better > 0;
		else if (lo > 1 + t)
			worse = better < 0;
		else
			return "~";
	} else {
		/* no ratio (a base median of 0): the direction of the medians alone */
		if (mn == mb)
			return "~";
		worse = (mn < mb) == (better > 0);
	}
	return worse ? "regression" : "improvement";
}

static int add_row(const struct pe_compare_opts *o, const struct pe_side *b,
		   const struct pe_side *n, const char *point, const char *metric,
		   struct json_object *rows, int *regressions)
{
	size_t cap = json_object_array_length(b->runs) + json_object_array_length(n->runs);
	double *vb = malloc((cap + 1) * sizeof(*vb)), *vn = malloc((cap + 1) * sizeof(*vn));
	double mb, mn, ratio = NAN, lo = NAN, hi = NAN, p = NAN;
	size_t nb, nn, lb, ln;
	int better = pe_metric_better(metric), ret = 0;
	struct json_object *row = json_object_new_object();
	const char *v;

	if (!vb || !vn || !row) {
		ret = -ENOMEM;
		goto out;
	}
	nb = values(b, point, metric, o->keep_disturbed, vb, &lb);
	nn = values(n, point, metric, o->keep_disturbed, vn, &ln);
	mb = pe_median(vb, nb);
	mn = pe_median(vn, nn);
	if (nb && nn) {
		struct pe_mwu t;

		if (mb != 0)
			ratio = mn / mb;
		ret = pe_boot_ratio_ci(vb, nb, vn, nn, 0.95, o->resamples, o->seed, &lo, &hi);
		if (ret && ret != -EDOM)
			goto out;
		ret = pe_mwu_test(vb, nb, vn, nn, PE_MWU_AUTO, &t);
		if (ret)
			goto out;
		p = t.p;
	}
	v = verdict(o, better, nb, nn, p, lo, hi, mb, mn);
	*regressions += !strcmp(v, "regression");
	pe_rec_add(row, "point", json_object_new_string(point));
	pe_rec_add(row, "metric", json_object_new_string(metric));
	pe_rec_add(row, "better", json_object_new_string(better > 0 ? "higher" : "lower"));
	pe_rec_add(row, "n_base", json_object_new_int64((int64_t)nb));
	pe_rec_add(row, "n_new", json_object_new_int64((int64_t)nn));
	pe_rec_add(row, "left_out_base", json_object_new_int64((int64_t)lb));
	pe_rec_add(row, "left_out_new", json_object_new_int64((int64_t)ln));
	pe_rec_add(row, "median_base", num_or_null(mb));
	pe_rec_add(row, "median_new", num_or_null(mn));
	pe_rec_add(row, "ratio", num_or_null(ratio));
	pe_rec_add(row, "ci_low", num_or_null(lo));
	pe_rec_add(row, "ci_high", num_or_null(hi));
	pe_rec_add(row, "p_value", num_or_null(p));
	pe_rec_add(row, "verdict", json_object_new_string(v));
	json_object_array_add(rows, row);
	row = NULL;
	ret = 0;
out:
	json_object_put(row);
	free(vb);
	free(vn);
	return ret;
}

/* Every point on both sides, and in it every metric with a direction on both sides. */
static int add_rows(const struct pe_compare_opts *o, const struct pe_side *b,
		    const struct pe_side *n, struct json_object *rows, int *regressions)
{
	struct json_object *ids = point_ids(b);
	int ret = 0;

	for (size_t i = 0; !ret && i < json_object_array_length(ids); i++) {
		const char *point = json_object_get_string(json_object_array_get_idx(ids, i));
		struct json_object *seen;

		if (!has_metric(b, point, NULL) || !has_metric(n, point, NULL))
			continue;
		seen = json_object_new_object();
		for (size_t r = 0; !ret && r < json_object_array_length(b->runs); r++) {
			struct json_object *run = json_object_array_get_idx(b->runs, r), *m;

			if (!is_side(run, b, point))
				continue;
			json_object_object_get_ex(run, "metrics", &m);
			json_object_object_foreach(m, metric, val)
			{
				if (!val || json_object_object_get_ex(seen, metric, NULL) ||
				    !pe_metric_better(metric) || !has_metric(b, point, metric) ||
				    !has_metric(n, point, metric))
					continue;
				json_object_object_add(seen, metric, NULL);
				ret = add_row(o, b, n, point, metric, rows, regressions);
				if (ret)
					break;
			}
		}
		json_object_put(seen);
	}
	json_object_put(ids);
	return ret;
}

static struct json_object *side_json(const struct pe_side *s)
{
	struct json_object *o = json_object_new_object();

	pe_rec_add(o, "dir", json_object_new_string(s->dir));
	pe_rec_add(o, "variant", json_object_new_string(s->variant));
	return o;
}

int pe_compare_dirs(const struct pe_compare_opts *o, struct json_object **out, char *err,
		    size_t errlen)
{
	struct pe_side b = { 0 }, n = { 0 };
	struct json_object *res = NULL, *rows = NULL, *diffs = NULL;
	int ret, regressions = 0;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (!o || o->sz < sizeof(*o) || !o->base_spec || !(o->alpha > 0 && o->alpha < 1) ||
	    !(o->threshold_pct >= 0 && o->threshold_pct < 100) || o->resamples < 100) {
		snprintf(err, errlen, "compare: bad options");
		return -EINVAL;
	}
	if (o->new_spec) {
		ret = open_side(&b, o->base_spec, err, errlen);
		if (!ret)
			ret = open_side(&n, o->new_spec, err, errlen);
	} else {
		ret = pe_side_load(&b, o->base_spec, err, errlen);
		if (!ret && json_object_array_length(b.variants) != 2) {
			snprintf(err, errlen,
				 "%s: holds %zu variant%s; compare of one directory needs exactly "
				 "two (or give BASE and NEW as DIR:VARIANT)",
				 o->base_spec, json_object_array_length(b.variants),
				 json_object_array_length(b.variants) == 1 ? "" : "s");
			ret = -EINVAL;
		}
		if (!ret)
			ret = pe_side_load(&n, o->base_spec, err, errlen);
		if (!ret)
			ret = pe_side_pick(
				&b,
				json_object_get_string(json_object_array_get_idx(b.variants, 0)),
				err, errlen);
		if (!ret)
			ret = pe_side_pick(
				&n,
				json_object_get_string(json_object_array_get_idx(n.variants, 1)),
				err, errlen);
	}
	if (ret)
		goto out;
	rows = json_object_new_array();
	diffs = json_object_new_array();
	ret = add_rows(o, &b, &n, rows, &regressions);
	if (!ret && !json_object_array_length(rows)) {
		snprintf(err, errlen, "%s and %s: no test point with a metric in common", b.dir,
			 n.dir);
		ret = -EINVAL;
	}
	if (!ret)
		ret = pe_metadata_diff(&b, &n, diffs);
	if (ret)
		goto out;
	res = json_object_new_object();
	pe_rec_add(res, "schema", json_object_new_int(PE_COMPARE_SCHEMA));
	pe_rec_add(res, "kind", json_object_new_string("pkteng-compare"));
	pe_rec_add(res, "alpha", pe_rec_num(o->alpha));
	pe_rec_add(res, "threshold_pct", pe_rec_num(o->threshold_pct));
	pe_rec_add(res, "confidence", pe_rec_num(0.95));
	pe_rec_add(res, "base", side_json(&b));
	pe_rec_add(res, "new", side_json(&n));
	pe_rec_add(res, "metadata_differences", diffs);
	pe_rec_add(res, "rows", rows);
	pe_rec_add(res, "regressions", json_object_new_int(regressions));
	diffs = rows = NULL;
	*out = res;
out:
	if (ret == -ENOMEM && !err[0])
		snprintf(err, errlen, "compare: out of memory");
	json_object_put(rows);
	json_object_put(diffs);
	pe_side_free(&b);
	pe_side_free(&n);
	return ret;
}
