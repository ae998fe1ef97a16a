/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz target: the results `pkteng compare` reads back (stats/side.h): suite.json and
 * runs.jsonl. The input is suite.json, a NUL byte, then runs.jsonl; without a NUL byte it is
 * runs.jsonl under a minimal suite.json. A side read is then picked and diffed with itself. */
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats/side.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char dflt[] = "{\"schema\":1}";
	const char *text = (const char *)data, *nul = memchr(data, 0, size);
	const char *suite = dflt, *runs = text;
	size_t suite_len = sizeof(dflt) - 1, runs_len = size;
	struct json_object *diffs;
	struct pe_side s;
	char err[512] = "";
	int rc;

	if (nul) {
		suite = text;
		suite_len = (size_t)(nul - text);
		runs = nul + 1;
		runs_len = size - suite_len - 1;
	}
	rc = pe_side_load_mem(&s, "fuzz", suite, suite_len, runs, runs_len, err, sizeof(err));
	if (rc == -EINVAL && !err[0])
		abort();
	if (!rc && json_object_array_length(s.variants) &&
	    (!pe_side_pick(&s, NULL, err, sizeof(err)) ||
	     !pe_side_pick(&s, json_object_get_string(json_object_array_get_idx(s.variants, 0)),
			   err, sizeof(err)))) {
		diffs = json_object_new_array();
		if (pe_metadata_diff(&s, &s, diffs) || json_object_array_length(diffs))
			abort();
		json_object_put(diffs);
	}
	pe_side_free(&s);
	return 0;
}
