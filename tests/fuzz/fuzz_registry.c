/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz target: a registry request as the server reads it (registry/registry.h), and the name
 * check on its own. */
#include <stdint.h>
#include <stdlib.h>

#include "registry/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pe_registry_req q;
	char why[128] = "";
	int err;

	(void)pe_registry_check_name((const char *)data, size, NULL, 0);
	err = pe_registry_req_parse(&q, data, size, why, sizeof(why));
	if (err) {
		if (!why[0] || q.obj)
			abort();
		return 0;
	}
	/* an accepted name is one the check accepts again, and fits the list's limits */
	if (q.name && (q.name_len > PE_REGISTRY_NAME_MAX ||
		       pe_registry_check_name(q.name, q.name_len, NULL, 0)))
		abort();
	pe_registry_req_free(&q);
	return 0;
}
