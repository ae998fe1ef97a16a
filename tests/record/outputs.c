/* SPDX-License-Identifier: BSD-2-Clause */
/* Validation of records through tests/record/validate.py, and reading them back. */
#include "tests/record/outputs.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/testutil.h"

struct json_object *pe_ro_validate_file(const char *path, const char *kind, unsigned min_intervals)
{
	struct json_object *doc = NULL, *sum = NULL, *o;
	char *text, *line, *save = NULL;
	struct pe_run r;
	unsigned n = 0;

	cr_assert_eq(pe_run(&r, "%s %s/tests/record/validate.py %s/docs/results.schema.json %s %s",
			    PE_PYTHON, PE_TEST_SRC, PE_TEST_SRC, kind, path),
		     0);
	text = pe_read_file(path, NULL);
	cr_assert_eq(r.status, 0, "%s: %s%s\n%s", kind, r.out, r.err, text ? text : "");
	cr_assert_eq(sscanf(r.out, "ok %u", &n), 1, "%s", r.out);
	cr_expect_geq(n, min_intervals, "%u intervals: %s", n, text);
	pe_run_free(&r);
	cr_assert_not_null(text);
	if (!strcmp(kind, "json")) {
		doc = json_tokener_parse(text);
		cr_assert(json_object_object_get_ex(doc, "summary", &o));
		sum = json_object_get(o);
		json_object_put(doc);
	} else {
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			json_object_put(sum);
			sum = json_tokener_parse(line); /* the last line is the summary */
		}
	}
	free(text);
	cr_assert_not_null(sum);
	return sum;
}

struct json_object *pe_ro_validate(const char *text, const char *kind, unsigned min_intervals)
{
	char path[] = "/tmp/pe-record-XXXXXX";
	int fd = mkstemp(path);
	struct json_object *sum;

	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(pe_write_file(path, text, strlen(text)), 0);
	sum = pe_ro_validate_file(path, kind, min_intervals);
	unlink(path);
	return sum;
}

static struct json_object *walk(struct json_object *o, const char *path)
{
	char buf[128], *tok, *save = NULL;

	cr_assert_lt(strlen(path), sizeof(buf));
	strcpy(buf, path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save))
		cr_assert(json_object_object_get_ex(o, tok, &o), "no '%s' in %s", path,
			  json_object_to_json_string(o));
	return o;
}

uint64_t pe_ro_u64(struct json_object *o, const char *path)
{
	return json_object_get_uint64(walk(o, path));
}

double pe_ro_num(struct json_object *o, const char *path)
{
	return json_object_get_double(walk(o, path));
}

bool pe_ro_bool(struct json_object *o, const char *path)
{
	return json_object_get_boolean(walk(o, path));
}

const char *pe_ro_str(struct json_object *o, const char *path)
{
	return json_object_get_string(walk(o, path));
}

struct json_object *pe_ro_client_view(struct json_object *doc)
{
	struct json_object *v, *sum = NULL, *start = NULL, *x;

	if (!doc)
		return NULL;
	v = json_object_new_object();
	if (json_object_object_get_ex(doc, "summary", &sum)) {
		json_object_object_foreach(sum, key, val)
			json_object_object_add(v, key, json_object_get(val));
	}
	if (json_object_object_get_ex(doc, "start", &start) &&
	    json_object_object_get_ex(start, "params", &x))
		json_object_object_add(v, "params", json_object_get(x));
	json_object_put(doc);
	return v;
}

int pe_ro_wait_text(const char *path, const char *text, struct pe_lab_bg *bg, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 20) {
		char *s = pe_read_file(path, NULL);
		bool found = s && strstr(s, text);

		free(s);
		if (found)
			return 0;
		if (bg && waitpid(bg->pid, NULL, WNOHANG) == bg->pid) {
			bg->pid = -1;
			return -ECHILD;
		}
		usleep(20000);
	}
	return -ETIMEDOUT;
}
