/* SPDX-License-Identifier: BSD-2-Clause */
/* The metadata differences of a compare: both sides are flattened into dotted field names
 * ("host.kernel", "variant.settings.backend") and compared as text, so a field added to the
 * results directory later is compared without a change here. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "stats/side.h"

/* The text of a leaf: strings as they are, anything else as compact JSON. */
static const char *leaf_text(struct json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

/* Adds prefix.key: text to flat for every leaf under v (objects recursed, arrays are leaves). */
static void flatten(struct json_object *flat, const char *prefix, struct json_object *v)
{
	char name[512];

	if (!json_object_is_type(v, json_type_object)) {
		json_object_object_add(flat, prefix,
				       v ? json_object_new_string(leaf_text(v)) : NULL);
		return;
	}
	json_object_object_foreach(v, key, val)
	{
		snprintf(name, sizeof(name), "%s.%s", prefix, key);
		flatten(flat, name, val);
	}
}

static struct json_object *variant_obj(const struct pe_side *s)
{
	struct json_object *vs, *name;

	if (!json_object_object_get_ex(s->suite, "variants", &vs) ||
	    !json_object_is_type(vs, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(vs); i++) {
		struct json_object *v = json_object_array_get_idx(vs, i);

		if (json_object_object_get_ex(v, "name", &name) &&
		    !strcmp(json_object_get_string(name), s->variant))
			return v;
	}
	return NULL;
}

/* The start of the record of the first ok run of the side's variant at point. */
static struct json_object *first_start(const struct pe_side *s, const char *point)
{
	for (size_t i = 0; i < json_object_array_length(s->runs); i++) {
		struct json_object *run = json_object_array_get_idx(s->runs, i), *rec, *start;

		if (strcmp(json_object_get_string(json_object_object_get(run, "variant")),
			   s->variant) ||
		    strcmp(json_object_get_string(json_object_object_get(run, "point")), point) ||
		    !json_object_get_boolean(json_object_object_get(run, "ok")))
			continue;
		if (json_object_object_get_ex(run, "record", &rec) &&
		    json_object_object_get_ex(rec, "start", &start))
			return start;
		return NULL;
	}
	return NULL;
}

static const char *const suite_keys[] = { "host",	 "suite", "runs",
					  "warmup_runs", "order", "disturbed_threshold" };
static const char *const start_keys[] = { "backend", "dev", "version", "git_commit" };

static struct json_object *flat_side(const struct pe_side *s, const struct pe_side *other)
{
	struct json_object *flat = json_object_new_object(), *v, *var, *pts;

	for (size_t i = 0; i < sizeof(suite_keys) / sizeof(suite_keys[0]); i++)
		if (json_object_object_get_ex(s->suite, suite_keys[i], &v))
			flatten(flat, suite_keys[i], v);
	var = variant_obj(s);
	if (var) {
		json_object_object_foreach(var, key, val)
		{
			char name[256];

			if (!strcmp(key, "name"))
				continue;
			snprintf(name, sizeof(name), "variant.%s", key);
			flatten(flat, name, val);
		}
	}
	/* per point, the record's own account of what ran, where the first run of both has it */
	if (json_object_object_get_ex(s->suite, "points", &pts) &&
	    json_object_is_type(pts, json_type_array))
		for (size_t i = 0; i < json_object_array_length(pts); i++) {
			const char *id = json_object_get_string(
				json_object_object_get(json_object_array_get_idx(pts, i), "id"));
			struct json_object *start = id ? first_start(s, id) : NULL;

			if (!start || !first_start(other, id))
				continue;
			for (size_t k = 0; k < sizeof(start_keys) / sizeof(start_keys[0]); k++) {
				char name[512];

				snprintf(name, sizeof(name), "record[%s].start.%s", id,
					 start_keys[k]);
				if (json_object_object_get_ex(start, start_keys[k], &v))
					flatten(flat, name, v);
			}
		}
	return flat;
}

static int add_diff(struct json_object *diffs, const char *field, struct json_object *b,
		    struct json_object *n)
{
	struct json_object *d = json_object_new_object();

	if (!d)
		return -ENOMEM;
	json_object_object_add(d, "field", json_object_new_string(field));
	json_object_object_add(d, "base", json_object_get(b));
	json_object_object_add(d, "new", json_object_get(n));
	json_object_array_add(diffs, d);
	return 0;
}

int pe_metadata_diff(const struct pe_side *b, const struct pe_side *n, struct json_object *diffs)
{
	struct json_object *fb = flat_side(b, n), *fn = flat_side(n, b), *v;
	int ret = 0;

	json_object_object_foreach(fb, key, val)
	{
		bool in_new = json_object_object_get_ex(fn, key, &v);

		if (!in_new || !val || !v ||
		    strcmp(json_object_get_string(val), json_object_get_string(v)))
			if ((val || v) && (ret = add_diff(diffs, key, val, in_new ? v : NULL)))
				break;
	}
	json_object_object_foreach(fn, key2, val2)
	{
		if (!ret && !json_object_object_get_ex(fb, key2, NULL) && val2)
			ret = add_diff(diffs, key2, NULL, val2);
	}
	json_object_put(fb);
	json_object_put(fn);
	return ret;
}
