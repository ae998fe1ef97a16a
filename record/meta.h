/* SPDX-License-Identifier: BSD-2-Clause */
/* What a record says about where it was made: pkteng's version and the git commit it was built
 * from (baked in at build time), the host (name, kernel, CPU), and an interface's driver, MTU,
 * offloads and queueing discipline. */
#ifndef PKTENG_RECORD_META_H
#define PKTENG_RECORD_META_H

#include <stddef.h>

struct json_object;

/* "0.1.0": the project version. */
const char *pe_version(void);
/* The commit pkteng was built from: 40 hex digits, "-dirty" appended when the work tree had
 * changes; "unknown" when built outside a git checkout. */
const char *pe_git_commit(void);

/* The CPU model (/proc/cpuinfo "model name", or "Model", "cpu model"); "unknown" when none.
 * Writes a NUL-terminated string of at most len - 1 bytes. */
void pe_host_cpu_model(char *buf, size_t len);
/* {"name", "kernel", "cpu_model", "cpu_count"}: uname's nodename and release, the model and
 * the number of CPUs online. NULL on allocation failure. */
struct json_object *pe_host_json(void);
/* The current UTC time as "2026-12-06T20:10:53.123Z". */
void pe_utc_now(char *buf, size_t len);

/* {"name", "ifindex", "driver", "mtu", "qdisc", "offloads_on"} of ifname in the caller's
 * network namespace: the driver from ETHTOOL_GDRVINFO, the MTU and root qdisc from
 * RTM_GETLINK, the names of the offload features in effect (ETHTOOL_GFEATURES). What cannot
 * be read is null (offloads_on: an empty array). NULL when ifname does not exist (errno
 * ENODEV) or on allocation failure. */
struct json_object *pe_dev_json(const char *ifname);

#endif
