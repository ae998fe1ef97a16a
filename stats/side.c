/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading a results directory: suite.json for the metadata and the variants, runs.jsonl for the
 * runs, checked line by line so a bad line is named by its number. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "stats/side.h"

static void add_unique(struct json_object *arr, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), name))
			return;
	json_object_array_add(arr, json_object_new_string(name));
}

/* One runs.jsonl line: NULL when it is well formed, otherwise what is wrong with it. */
static const char *check_run(struct json_object *run, char *key, size_t keylen)
{
	struct json_object *v, *m;

	key[0] = '\0';
	if (!json_object_is_type(run, json_type_object))
		return "not a JSON object";
	if (!json_object_object_get_ex(run, "point", &v) ||
	    !json_object_is_type(v, json_type_string))
		return "no \"point\" string";
	if (!json_object_object_get_ex(run, "variant", &v) ||
	    !json_object_is_type(v, json_type_string))
		return "no \"variant\" string";
	if (!json_object_object_get_ex(run, "ok", &v) || !json_object_is_type(v, json_type_boolean))
		return "no \"ok\" boolean";
	if (!json_object_object_get_ex(run, "metrics", &m) ||
	    !json_object_is_type(m, json_type_object))
		return "no \"metrics\" object";
	json_object_object_foreach(m, name, val)
	{
		snprintf(key, keylen, "%s", name);
		if (!val)
			continue;
		if (!json_object_is_type(val, json_type_int) &&
		    !json_object_is_type(val, json_type_double))
			return "metric is not a number";
		if (!isfinite(json_object_get_double(val)))
			return "metric is not finite";
	}
	return NULL;
}

/* Every line of f (runs.jsonl, named path in the messages) into s->runs. */
static int read_runs(struct pe_side *s, FILE *f, const char *path, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int ret = 0;

	while ((len = getline(&line, &cap, f)) >= 0) {
		struct json_tokener *tok;
		struct json_object *run;
		const char *why;
		char key[128];

		lineno++;
		while (len &&
		       (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
			line[--len] = '\0';
		if (!len)
			continue;
		tok = json_tokener_new();
		if (!tok) {
			ret = -ENOMEM;
			break;
		}
		run = json_tokener_parse_ex(tok, line, (int)len);
		if (run && (size_t)tok->char_offset < (size_t)len)
			why = "junk after the JSON object";
		else if (!run)
			why = "not a JSON object";
		else
			why = check_run(run, key, sizeof(key));
		json_tokener_free(tok);
		if (why) {
			json_object_put(run);
			if (key[0] && !strncmp(why, "metric", 6))
				snprintf(err, errlen,
					 "%s:%zu: metric \"%s\" is not a finite number", path,
					 lineno, key);
			else
				snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
			ret = -EINVAL;
			break;
		}
		json_object_array_add(s->runs, run);
	}
	free(line);
	return ret;
}

static int load_runs(struct pe_side *s, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	int ret;

	if (!f) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	ret = read_runs(s, f, path, err, errlen);
	fclose(f);
	return ret;
}

/* The checks of suite.json (s->suite, read from path) and the variants it lists. */
static int check_suite(struct pe_side *s, const char *path, char *err, size_t errlen)
{
	struct json_object *v;

	if (!s->suite || !json_object_is_type(s->suite, json_type_object)) {
		snprintf(err, errlen, "%s: not a JSON object", path);
		return -EINVAL;
	}
	if (json_object_object_get_ex(s->suite, "schema", &v) && json_object_get_int(v) != 1) {
		snprintf(err, errlen, "%s: schema %s, this pkteng reads schema 1", path,
			 json_object_get_string(v));
		return -EINVAL;
	}
	if (json_object_object_get_ex(s->suite, "variants", &v) &&
	    json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *name, *var = json_object_array_get_idx(v, i);

			if (!json_object_object_get_ex(var, "name", &name) ||
			    !json_object_is_type(name, json_type_string)) {
				snprintf(err, errlen, "%s: variant %zu has no \"name\"", path,
					 i + 1);
				return -EINVAL;
			}
			add_unique(s->variants, json_object_get_string(name));
		}
	}
	return 0;
}

/* Variants that only runs.jsonl names (a suite.json without the list) come last. */
static void add_run_variants(struct pe_side *s)
{
	struct json_object *v;

	for (size_t i = 0; i < json_object_array_length(s->runs); i++) {
		json_object_object_get_ex(json_object_array_get_idx(s->runs, i), "variant", &v);
		add_unique(s->variants, json_object_get_string(v));
	}
}

int pe_side_load(struct pe_side *s, const char *dir, char *err, size_t errlen)
{
	struct stat st;
	char path[4096];
	int ret;

	memset(s, 0, sizeof(*s));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: no such directory", dir);
		return -ENOENT;
	}
	s->dir = strdup(dir);
	s->variants = json_object_new_array();
	s->runs = json_object_new_array();
	if (!s->dir || !s->variants || !s->runs)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/suite.json", dir);
	if (access(path, R_OK)) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	s->suite = json_object_from_file(path);
	ret = check_suite(s, path, err, errlen);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/runs.jsonl", dir);
	ret = load_runs(s, path, err, errlen);
	if (ret)
		return ret;
	add_run_variants(s);
	return 0;
}

int pe_side_load_mem(struct pe_side *s, const char *name, const char *suite, size_t suite_len,
		     const char *runs, size_t runs_len, char *err, size_t errlen)
{
	struct json_tokener *tok;
	char path[4096];
	int ret = 0;

	memset(s, 0, sizeof(*s));
	s->dir = strdup(name);
	s->variants = json_object_new_array();
	s->runs = json_object_new_array();
	tok = json_tokener_new();
	if (!s->dir || !s->variants || !s->runs || !tok || suite_len > INT32_MAX) {
		json_tokener_free(tok);
		return suite_len > INT32_MAX ? -EINVAL : -ENOMEM;
	}
	snprintf(path, sizeof(path), "%s/suite.json", name);
	s->suite = json_tokener_parse_ex(tok, suite, (int)suite_len);
	json_tokener_free(tok);
	ret = check_suite(s, path, err, errlen);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/runs.jsonl", name);
	if (runs_len) {
		FILE *f = fmemopen((void *)runs, runs_len, "r");

		if (!f)
			return -errno;
		ret = read_runs(s, f, path, err, errlen);
		fclose(f);
		if (ret)
			return ret;
	}
	add_run_variants(s);
	return 0;
}

static void list_variants(struct pe_side *s, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(s->variants) && off < len; i++)
		off += (size_t)snprintf(
			buf + off, len - off, "%s%s", i ? ", " : "",
			json_object_get_string(json_object_array_get_idx(s->variants, i)));
}

int pe_side_pick(struct pe_side *s, const char *name, char *err, size_t errlen)
{
	size_t n = json_object_array_length(s->variants);
	char names[512];

	list_variants(s, names, sizeof(names));
	if (!name) {
		if (n != 1) {
			snprintf(err, errlen, "%s: holds %zu variants (%s); name one as %s:VARIANT",
				 s->dir, n, names, s->dir);
			return -EINVAL;
		}
		name = json_object_get_string(json_object_array_get_idx(s->variants, 0));
	} else {
		size_t i;

		for (i = 0; i < n; i++)
			if (!strcmp(json_object_get_string(
					    json_object_array_get_idx(s->variants, i)),
				    name))
				break;
		if (i == n) {
			snprintf(err, errlen, "%s: no variant '%s' (it holds: %s)", s->dir, name,
				 names);
			return -EINVAL;
		}
	}
	s->variant = strdup(name);
	return s->variant ? 0 : -ENOMEM;
}

void pe_side_free(struct pe_side *s)
{
	free(s->dir);
	free(s->variant);
	json_object_put(s->suite);
	json_object_put(s->variants);
	json_object_put(s->runs);
	memset(s, 0, sizeof(*s));
}
