/* SPDX-License-Identifier: BSD-2-Clause */
/* The client registry: 10,000 names in one list, names that need JSON escaping come back
 * byte for byte, concurrent clients, the name bound, and the Python snippet from
 * docs/protocols.md. */
#include <criterion/criterion.h>
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload/proto.h"
#include "registry/registry.h"
#include "tests/testutil.h"

static struct pe_registry *reg;

static void start(void)
{
	struct pe_registry_opts o = { .sz = sizeof(o) };

	reg = pe_registry_open(&o);
	cr_assert(reg, "%s", strerror(errno));
	cr_assert_eq(pe_registry_start(reg), 0);
}

static void stop(void)
{
	pe_registry_close(reg);
}

TestSuite(registry, .init = start, .fini = stop, .timeout = 150);

static struct json_object *clients_of(struct json_object *reply)
{
	struct json_object *a = NULL;

	cr_assert(json_object_object_get_ex(reply, "clients", &a) &&
		  json_object_is_type(a, json_type_array));
	return a;
}

Test(registry, hostile_names_round_trip)
{
	static const char *const names[] = {
		"plain",
		"with \"quotes\"",
		"back\\slash\\\\",
		"tab-free \u00e9 \\u0007 (escaped text, not a control)",
		"utf-8: \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
		"</script>{\"json\":true}",
	};
	struct json_object *reply = NULL;
	char why[300];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cr_assert_eq(pe_registry_query("127.0.0.1", pe_registry_port(reg), names[i],
					       strlen(names[i]), true, &reply, why, sizeof(why)),
			     0, "%s", why);
		json_object_put(reply);
	}
	cr_assert_eq(pe_registry_query("::1", pe_registry_port(reg), NULL, 0, true, &reply, why,
				       sizeof(why)),
		     0, "%s", why);
	cr_assert_eq(json_object_array_length(clients_of(reply)), sizeof(names) / sizeof(names[0]));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct json_object *e = json_object_array_get_idx(clients_of(reply), i), *n;

		cr_assert(json_object_object_get_ex(e, "name", &n));
		cr_expect_eq((size_t)json_object_get_string_len(n), strlen(names[i]));
		cr_expect_eq(memcmp(json_object_get_string(n), names[i], strlen(names[i])), 0,
			     "name %zu changed", i);
		cr_expect_str_eq(pe_json_str(e, "address", ""), "127.0.0.1");
		cr_expect_gt(pe_json_i64(e, "port", 0), 0);
	}
	json_object_put(reply);
}

Test(registry, bad_names_are_refused_clearly)
{
	char long_name[300], why[300];
	struct json_object *reply = NULL;

	memset(long_name, 'a', sizeof(long_name));
	cr_expect_eq(pe_registry_check_name(long_name, 255, why, sizeof(why)), 0);
	cr_expect_eq(pe_registry_check_name(long_name, 256, why, sizeof(why)), -ENAMETOOLONG);
	cr_expect_str_eq(why, "name is 256 bytes, longer than 255");
	cr_expect_eq(pe_registry_check_name("", 0, why, sizeof(why)), -EINVAL);
	cr_expect_eq(pe_registry_check_name("a\0b", 3, why, sizeof(why)), -EINVAL);
	cr_expect_str_eq(why, "name contains a control character (U+0000) at byte 1");
	cr_expect_eq(pe_registry_check_name("bell\a", 5, why, sizeof(why)), -EINVAL);
	cr_expect_str_eq(why, "name contains a control character (U+0007) at byte 4");
	cr_expect_eq(pe_registry_check_name("del\x7f", 4, why, sizeof(why)), -EINVAL);
	cr_expect_eq(pe_registry_check_name("c1\xc2\x85", 4, why, sizeof(why)), -EINVAL);
	cr_expect_str_eq(why, "name contains a control character (U+0085) at byte 2");
	cr_expect_eq(pe_registry_check_name("nbsp\xc2\xa0", 6, why, sizeof(why)), 0);
	cr_expect_eq(pe_registry_check_name("\xc3", 1, why, sizeof(why)), -EINVAL);
	cr_expect_eq(pe_registry_check_name("\xc0\xaf", 2, why, sizeof(why)), -EINVAL);
	cr_expect_eq(pe_registry_check_name("\xed\xa0\x80", 3, why, sizeof(why)), -EINVAL);
	cr_expect_eq(pe_registry_check_name("\xff", 1, why, sizeof(why)), -EINVAL);
	cr_expect_eq(pe_registry_check_name("\xf0\x9f\x98\x80", 4, why, sizeof(why)), 0);

	/* the server applies the same bound when a raw client skips the check */
	{
		struct pe_run r;

		cr_assert_eq(pe_run(&r,
				    "%s -c 'import json,socket,struct\n"
				    "s=socket.create_connection((\"127.0.0.1\",%u))\n"
				    "b=json.dumps({\"name\":\"x\"*256}).encode()\n"
				    "s.sendall(struct.pack(\">I\",len(b))+b)\n"
				    "n=struct.unpack(\">I\",s.recv(4,socket.MSG_WAITALL))[0]\n"
				    "print(json.loads(s.recv(n,socket.MSG_WAITALL))[\"error\"])'",
				    PE_PYTHON, pe_registry_port(reg)),
			     0);
		cr_expect_str_eq(r.out, "name is 256 bytes, longer than 255\n", "%s", r.err);
		pe_run_free(&r);
	}
	/* and the command line says so in one line, exit 2 */
	{
		struct pe_run r;

		cr_assert_eq(pe_run(&r, "%s registry list -p %u -n $(printf 'y%%.0s' $(seq 300))",
				    PE_TEST_BIN, pe_registry_port(reg)),
			     0);
		cr_expect_eq(r.status, 2);
		cr_expect_str_eq(r.err,
				 "pkteng: registry: -n: name is 300 bytes, longer than 255\n");
		pe_run_free(&r);
	}
	cr_assert_eq(pe_registry_query("127.0.0.1", pe_registry_port(reg), NULL, 0, true, &reply,
				       why, sizeof(why)),
		     0, "%s", why);
	cr_expect_eq(json_object_array_length(clients_of(reply)), 0);
	json_object_put(reply);
}

struct many {
	unsigned first, count;
	int err;
};

static void *register_many(void *arg)
{
	struct many *m = arg;
	unsigned i;

	for (i = 0; i < m->count && !m->err; i++) {
		struct json_object *reply = NULL;
		char name[64], why[200];

		snprintf(name, sizeof(name), "client-%05u \"q\" \\", m->first + i);
		/* every 500th registration asks for the whole list as well */
		m->err = pe_registry_query("127.0.0.1", pe_registry_port(reg), name, strlen(name),
					   i % 500 == 499, &reply, why, sizeof(why));
		if (!m->err && i % 500 == 499)
			m->err = json_object_object_get_ex(reply, "clients", NULL) ? 0 : -EPROTO;
		if (!m->err && i % 500 != 499)
			m->err = pe_json_i64(reply, "count", 0) > 0 ? 0 : -EPROTO;
		json_object_put(reply);
	}
	return NULL;
}

Test(registry, ten_thousand_names_from_concurrent_clients)
{
	enum { THREADS = 8, TOTAL = 10000 };
	struct many m[THREADS];
	pthread_t t[THREADS];
	struct json_object *reply = NULL, *a;
	char *seen = calloc(TOTAL, 1), why[200];
	size_t i, len;
	int k;

	for (k = 0; k < THREADS; k++) {
		m[k].first = (unsigned)k * (TOTAL / THREADS);
		m[k].count = TOTAL / THREADS;
		m[k].err = 0;
		cr_assert_eq(pthread_create(&t[k], NULL, register_many, &m[k]), 0);
	}
	for (k = 0; k < THREADS; k++) {
		pthread_join(t[k], NULL);
		cr_expect_eq(m[k].err, 0, "thread %d: %d", k, m[k].err);
	}
	cr_assert_eq(pe_registry_query("127.0.0.1", pe_registry_port(reg), NULL, 0, true, &reply,
				       why, sizeof(why)),
		     0, "%s", why);
	a = clients_of(reply);
	len = json_object_array_length(a);
	cr_assert_eq(len, TOTAL);
	cr_expect_eq(pe_json_i64(reply, "count", -1), TOTAL);
	/* the answer is far larger than one recv: over 400 KB */
	cr_expect_gt(strlen(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN)), 400000);
	for (i = 0; i < len; i++) {
		unsigned n = TOTAL;
		char tail[16] = "";
		const char *name = pe_json_str(json_object_array_get_idx(a, i), "name", "");

		cr_assert_eq(sscanf(name, "client-%05u %15[^\n]", &n, tail), 2, "%s", name);
		cr_assert_str_eq(tail, "\"q\" \\");
		cr_assert_lt(n, TOTAL);
		cr_assert_eq(seen[n], 0, "%s twice", name);
		seen[n] = 1;
	}
	json_object_put(reply);
	free(seen);
}

/* The snippet in docs/protocols.md, run as written with the system Python. */
Test(registry, readme_python_snippet)
{
	char *readme = pe_read_file(PE_TEST_SRC "/docs/protocols.md", NULL), *start, *end;
	char *dir = pe_tmpdir(), path[300];
	struct pe_run r;

	cr_assert(readme && dir);
	start = strstr(readme, "```python\n# pkteng registry client");
	cr_assert(start, "docs/protocols.md has no registry Python snippet");
	start += strlen("```python\n");
	end = strstr(start, "```");
	cr_assert(end);
	*end = 0;
	snprintf(path, sizeof(path), "%s/registry.py", dir);
	cr_assert_eq(pe_write_file(path, start, strlen(start)), 0);
	cr_assert_eq(pe_run(&r, "%s %s 127.0.0.1 %u 'py \"snippet\" \\ é'", PE_PYTHON, path,
			    pe_registry_port(reg)),
		     0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "py \"snippet\" \\ é"), "%s", r.out);
	pe_run_free(&r);
	free(readme);
	pe_tmpdir_remove(dir);
}

/* The server's reading of one request frame, on bytes alone (the fuzz target's entry point). */
Test(registry, request_parse)
{
	static const struct {
		const char *req;
		int err;
		const char *name; /* NULL: none */
		bool want_list;
		const char *why;
	} cases[] = {
		{ "{}", 0, NULL, true, "" },
		{ "{\"name\":\"lab-a\"}", 0, "lab-a", true, "" },
		{ "{\"name\":\"b\",\"list\":false}", 0, "b", false, "" },
		{ "{\"list\":0}", 0, NULL, false, "" },
		{ "[1]", -EPROTO, NULL, true, "request is not a JSON object" },
		{ "{} {}", -EPROTO, NULL, true, "request is not a JSON object" },
		{ "{\"name\":", -EPROTO, NULL, true, "request is not a JSON object" },
		{ "{\"name\":7}", -EBADMSG, NULL, true, "\"name\" must be a string" },
		{ "{\"name\":\"\"}", -EINVAL, NULL, true, "name is empty" },
		{ "{\"name\":\"a\\u0000b\"}", -EINVAL, NULL, true,
		  "name contains a control character (U+0000) at byte 1" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pe_registry_req q;
		char why[128] = "";
		int err = pe_registry_req_parse(&q, cases[i].req, strlen(cases[i].req), why,
						sizeof(why));

		cr_expect_eq(err, cases[i].err, "%s: %d", cases[i].req, err);
		if (err) {
			cr_expect_str_eq(why, cases[i].why, "%s", cases[i].req);
			cr_expect_null(q.obj);
			continue;
		}
		cr_expect_eq(q.want_list, cases[i].want_list, "%s", cases[i].req);
		if (cases[i].name) {
			cr_expect_eq(q.name_len, strlen(cases[i].name));
			cr_expect_str_eq(q.name, cases[i].name);
		} else {
			cr_expect_null(q.name, "%s", cases[i].req);
		}
		pe_registry_req_free(&q);
	}
}
