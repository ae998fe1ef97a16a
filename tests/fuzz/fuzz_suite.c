/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz target: suite files (suite/suite.h), read from memory through libinih as
 * `pkteng suite` and `pkteng bench` read them, then written out as suite.json does. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "suite/suite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pe_suite s;
	char err[512] = "";
	char *text = malloc(size + 1);
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = pe_suite_load_string(&s, "fuzz.ini", text, err, sizeof(err));
	if (rc && !err[0])
		abort();
	if (!rc) {
		json_object_put(pe_suite_json(&s));
		(void)pe_suite_override(&s, "runs", "3");
	}
	pe_suite_free(&s);
	free(text);
	return 0;
}
