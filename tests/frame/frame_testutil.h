/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers for the frame tests: the scapy vector file and running `pkteng frame`. */
#ifndef PKTENG_TESTS_FRAME_TESTUTIL_H
#define PKTENG_TESTS_FRAME_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#define PE_FRAME_VECTORS PE_TEST_SRC "/tests/data/frame_vectors.txt"

struct pe_vec {
	char name[64];
	char args[512];
	uint8_t *bytes; /* malloc'd */
	size_t len;
};

/* Reads NAME|ARGS|HEX lines ('#' lines skipped). Returns the count (vectors in *out,
 * malloc'd) or -1 on a malformed file. */
int pe_vec_load(const char *path, struct pe_vec **out);
void pe_vec_free(struct pe_vec *v, int n);

/* Runs `pkteng frame ARGS --hex` and parses its hexdump (checking every offset). Returns
 * the byte count or -1 (exit status or format wrong; *status gets the exit status). */
long pe_frame_cli_hex(const char *args, uint8_t *buf, size_t cap, int *status);

#endif
