/* SPDX-License-Identifier: BSD-2-Clause */
/* The workload tests' servers: one per backend, started and stopped around a suite. */
#include "tests/workloads/servers.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

struct pe_server *pe_wt_srv[2];

void pe_wt_start_servers(void)
{
	for (int b = 0; b < 2; b++) {
		struct pe_server_opts so = { .sz = sizeof(so), .backend = (enum pe_backend)b };

		pe_wt_srv[b] = pe_server_open(&so);
		cr_assert(pe_wt_srv[b], "server: %s", strerror(errno));
		cr_assert_eq(pe_server_start(pe_wt_srv[b]), 0);
	}
}

void pe_wt_stop_servers(void)
{
	for (int b = 0; b < 2; b++)
		pe_server_close(pe_wt_srv[b]);
}
