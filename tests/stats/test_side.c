/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading one side of a compare from memory (stats/side.h's pe_side_load_mem, the fuzz
 * target's entry point): the same checks and messages as from a results directory. */
#include <criterion/criterion.h>
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "stats/side.h"

#define RUN(v, m) "{\"point\":\"p\",\"variant\":\"" v "\",\"ok\":true,\"metrics\":{" m "}}\n"

Test(side, load_mem)
{
	static const struct {
		const char *suite, *runs;
		int err;
		size_t n_runs, n_variants;
		const char *msg;
	} cases[] = {
		{ "{\"schema\":1}", "", 0, 0, 0, "" },
		{ "{\"variants\":[{\"name\":\"a\"},{\"name\":\"b\"}]}",
		  RUN("b", "\"x_ns\":1") RUN("c", ""), 0, 2, 3, "" },
		{ "{\"schema\":1}", "\n\r\n" RUN("a", "\"x_per_s\":null"), 0, 1, 1, "" },
		{ "[]", "", -EINVAL, 0, 0, "d/suite.json: not a JSON object" },
		{ "{\"schema\":2}", "", -EINVAL, 0, 0,
		  "d/suite.json: schema 2, this pkteng reads schema 1" },
		{ "{\"variants\":[{}]}", "", -EINVAL, 0, 0,
		  "d/suite.json: variant 1 has no \"name\"" },
		{ "{}", RUN("a", "") "{\"point\":1}\n", -EINVAL, 0, 0,
		  "d/runs.jsonl:2: no \"point\" string" },
		{ "{}", RUN("a", "\"x\":\"1\""), -EINVAL, 0, 0,
		  "d/runs.jsonl:1: metric \"x\" is not a finite number" },
		{ "{}", RUN("a", "") " x", -EINVAL, 0, 0, "d/runs.jsonl:2: not a JSON object" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pe_side s;
		char err[256] = "";
		int rc = pe_side_load_mem(&s, "d", cases[i].suite, strlen(cases[i].suite),
					  cases[i].runs, strlen(cases[i].runs), err, sizeof(err));

		cr_expect_eq(rc, cases[i].err, "case %zu: %d %s", i, rc, err);
		cr_expect_str_eq(err, cases[i].msg, "case %zu", i);
		if (!rc) {
			cr_expect_eq(json_object_array_length(s.runs), cases[i].n_runs, "case %zu",
				     i);
			cr_expect_eq(json_object_array_length(s.variants), cases[i].n_variants,
				     "case %zu", i);
		}
		pe_side_free(&s);
	}
}
