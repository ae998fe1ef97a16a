/* SPDX-License-Identifier: BSD-2-Clause */
/* Writing the results directory that `pkteng compare` and `pkteng report` read. suite.json
 * is replaced atomically (a temporary file renamed over it), so a reader never sees half. */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "record/meta.h"
#include "record/record.h"
#include "suite/outdir.h"
#include "suite/suite.h"

static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return false;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

static int write_suite_json(struct pe_outdir *d, const struct pe_suite *s, const char *end_utc,
			    bool partial, bool interrupted)
{
	struct json_object *o = json_object_new_object(), *vars = json_object_new_array(),
			   *thr = json_object_new_object();
	char path[PATH_MAX], tmp[PATH_MAX + 8], abs_file[PATH_MAX];
	const char *text;
	FILE *f;
	int rc = 0;

	for (unsigned v = 0; v < s->n_variants; v++) {
		const struct pe_suite_variant *var = &s->variants[v];
		struct json_object *vo = json_object_new_object();

		pe_rec_add(vo, "name", json_object_new_string(var->name));
		pe_rec_add(vo, "bin", json_object_new_string(var->bin));
		pe_rec_add(vo, "pkteng_version", json_object_new_string(var->version));
		pe_rec_add(vo, "git_commit", json_object_new_string(var->commit));
		if (var->setting_idx >= 0) {
			const struct pe_suite_section *sec = &s->settings[var->setting_idx].kv;
			struct json_object *st = json_object_new_object();

			for (unsigned i = 0; i < sec->n; i++)
				pe_rec_add(st, sec->kv[i].key,
					   json_object_new_string(sec->kv[i].alts[0]));
			pe_rec_add(vo, "settings", st);
		} else {
			pe_rec_add(vo, "settings", NULL);
		}
		json_object_array_add(vars, vo);
	}
	pe_rec_add(thr, "steal_pct", pe_rec_num(s->steal_max_pct));
	pe_rec_add(thr, "other_cpu_pct", pe_rec_num(s->other_max_pct));
	pe_rec_add(o, "schema", json_object_new_int(1));
	pe_rec_add(o, "kind", json_object_new_string("pkteng-suite"));
	pe_rec_add(o, "suite_file",
		   s->from_file ? json_object_new_string(realpath(s->file, abs_file) ? abs_file
										     : s->file)
				: NULL);
	pe_rec_add(o, "suite", pe_suite_json(s));
	{
		unsigned runs = 0;

		for (unsigned p = 0; p < s->n_points; p++)
			runs = s->points[p].runs > runs ? s->points[p].runs : runs;
		pe_rec_add(o, "runs", json_object_new_int((int)runs));
	}
	pe_rec_add(o, "warmup_runs", json_object_new_int((int)s->warmup));
	pe_rec_add(o, "order",
		   json_object_new_string(s->order == PE_SUITE_ABBA ? "abba" : "shuffle"));
	pe_rec_add(o, "seed",
		   s->order == PE_SUITE_SHUFFLE || s->seed_given
			   ? json_object_new_int64((int64_t)s->seed)
			   : NULL);
	pe_rec_add(o, "variants", vars);
	pe_rec_add(o, "points", pe_suite_points_json(s));
	pe_rec_add(o, "host", pe_host_json());
	pe_rec_add(o, "start_utc", json_object_new_string(d->start_utc));
	pe_rec_add(o, "end_utc", end_utc ? json_object_new_string(end_utc) : NULL);
	pe_rec_add(o, "partial", json_object_new_boolean(partial));
	pe_rec_add(o, "interrupted", json_object_new_boolean(interrupted));
	pe_rec_add(o, "disturbed_threshold", thr);
	snprintf(path, sizeof(path), "%s/suite.json", d->dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	f = fopen(tmp, "we");
	if (!f || fprintf(f, "%s\n", text) < 0 || fflush(f) || ferror(f))
		rc = -(errno ? errno : EIO);
	if (f && fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	json_object_put(o);
	return rc;
}

int pe_outdir_open(struct pe_outdir *d, const struct pe_suite *s, const char *dir, char *err,
		   size_t len)
{
	char path[PATH_MAX];
	int rc;

	memset(d, 0, sizeof(*d));
	pe_utc_now(d->start_utc, sizeof(d->start_utc));
	if (!dir)
		return 0;
	if (mkdir(dir, 0755) && (errno != EEXIST || !dir_empty(dir))) {
		rc = -errno;
		snprintf(err, len, "--out %s: %s", dir,
			 errno == EEXIST ? "exists and is not an empty directory"
					 : strerror(errno));
		return rc;
	}
	d->dir = dir;
	snprintf(path, sizeof(path), "%s/runs.jsonl", dir);
	d->runs = fopen(path, "we");
	if (!d->runs) {
		rc = -errno;
		snprintf(err, len, "--out %s: %s", path, strerror(errno));
		return rc;
	}
	rc = write_suite_json(d, s, NULL, true, false);
	if (rc)
		snprintf(err, len, "--out %s/suite.json: %s", dir, strerror(-rc));
	return rc;
}

int pe_outdir_run(struct pe_outdir *d, const struct pe_suite *s, const struct pe_suite_step *st,
		  unsigned seq, struct json_object *line)
{
	struct json_object *o;
	int rc = 0;

	if (!d->dir)
		return 0;
	o = json_object_new_object();
	pe_rec_add(o, "schema", json_object_new_int(1));
	pe_rec_add(o, "point", json_object_new_string(s->points[st->point].id));
	pe_rec_add(o, "variant", json_object_new_string(s->variants[st->variant].name));
	pe_rec_add(o, "run", json_object_new_int((int)st->run));
	pe_rec_add(o, "seq", json_object_new_int((int)seq));
	json_object_object_foreach(line, key, val) pe_rec_add(o, key, json_object_get(val));
	if (fprintf(d->runs, "%s\n",
		    json_object_to_json_string_ext(
			    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 ||
	    fflush(d->runs))
		rc = -(errno ? errno : EIO);
	json_object_put(o);
	return rc;
}

int pe_outdir_close(struct pe_outdir *d, const struct pe_suite *s, bool partial, bool interrupted)
{
	char end[40];
	int rc = 0;

	if (!d->dir)
		return 0;
	if (d->runs && fclose(d->runs))
		rc = -errno;
	d->runs = NULL;
	pe_utc_now(end, sizeof(end));
	if (!rc)
		rc = write_suite_json(d, s, end, partial, interrupted);
	return rc;
}
