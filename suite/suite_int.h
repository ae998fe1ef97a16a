/* SPDX-License-Identifier: BSD-2-Clause */
/* What the parts of suite/ share and nobody else needs. */
#ifndef PKTENG_SUITE_SUITE_INT_H
#define PKTENG_SUITE_SUITE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "workload/mode.h"

struct pe_suite_section;

/* "FILE:LINE: " + the message into err; returns -EINVAL. */
int pe_suite_err(char *err, size_t len, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int pe_suite_parse_bool(const char *v, bool *out);
int pe_suite_parse_num(const char *v, unsigned sfx_base, bool integer, double *out);
/* The suffix base of a parameter kind: 1024 for sizes, 1000 for rates, 0 for none. */
static inline unsigned pe_suite_sfx_base(enum pe_param_kind k)
{
	return k == PE_PK_SIZE ? 1024 : k == PE_PK_RATE ? 1000 : 0;
}
int pe_suite_param_id(const char *key);
/* Adds key = value (its alternatives checked) to sec; errors as pe_suite_err. */
int pe_suite_kv_add(struct pe_suite_section *sec, const char *file, int line, const char *key,
		    const char *value, char *err, size_t errlen);
/* "0.1.0" and the commit from `BIN --version`. 0, or -EINVAL when it says no version. */
int pe_suite_bin_version(const char *bin, char *version, size_t vlen, char *commit, size_t clen);

#endif
