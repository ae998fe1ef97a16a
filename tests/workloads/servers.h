/* SPDX-License-Identifier: BSD-2-Clause */
/* One in-process `pkteng server` per backend (index = enum pe_backend: io_uring, epoll) on an
 * ephemeral loopback port, for the workload tests' suites (.init / .fini). */
#ifndef PKTENG_TESTS_WORKLOADS_SERVERS_H
#define PKTENG_TESTS_WORKLOADS_SERVERS_H

#include "workload/work.h"

extern struct pe_server *pe_wt_srv[2];
void pe_wt_start_servers(void);
void pe_wt_stop_servers(void);

#endif
