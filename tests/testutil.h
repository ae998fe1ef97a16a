/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers shared by the Criterion tests: run a command and capture what it printed, read
 * files, and skip with a reason when root is missing. */
#ifndef PKTENG_TESTS_TESTUTIL_H
#define PKTENG_TESTS_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

struct pe_run {
	int status; /* exit code, or 128 + signal number */
	char *out;  /* stdout, NUL-terminated, malloc'd */
	char *err;  /* stderr, NUL-terminated, malloc'd */
	size_t out_len, err_len;
};

/* Runs `sh -c CMD` with the printf-formatted command line, waits, and captures stdout and
 * stderr. Returns 0 or a negative errno when the command could not be started. */
int pe_run(struct pe_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pe_run_free(struct pe_run *r);

/* Reads a whole file into a malloc'd buffer (NUL-terminated); NULL on failure. */
char *pe_read_file(const char *path, size_t *len);
/* Writes len bytes to path; 0 or -errno. */
int pe_write_file(const char *path, const void *buf, size_t len);
/* Parses "0a 1b ..." or "0a1b..." hex text into buf; returns bytes or -1. */
long pe_unhex(const char *hex, unsigned char *buf, size_t cap);

/* A fresh temporary directory under /tmp (removed with rm -rf by pe_tmpdir_remove). */
char *pe_tmpdir(void);
void pe_tmpdir_remove(char *dir);

/* The body of a ParameterizedTestParameters function: the indexes 0..N-1 as the parameters.
 * Tests index their own tables rather than take the entries, because a parameterised test
 * runs in a re-executed process, where pointers to this one's string literals would dangle. */
#define PE_PARAM_INDEXES(n)                                                                        \
	do {                                                                                       \
		static unsigned pe_idx_[n];                                                        \
                                                                                                   \
		for (unsigned pe_i_ = 0; pe_i_ < (n); pe_i_++)                                     \
			pe_idx_[pe_i_] = pe_i_;                                                    \
		return cr_make_param_array(unsigned, pe_idx_, (n));                                \
	} while (0)

bool pe_is_root(void);
/* Skips the current test with the reason unless running as root. */
#define PE_REQUIRE_ROOT()                                                                          \
	do {                                                                                       \
		if (!pe_is_root())                                                                 \
			cr_skip_test("needs root (network namespaces, raw sockets)");              \
	} while (0)

/* The system Python with scapy (Debian's python3-scapy), not a virtualenv's. */
#define PE_PYTHON "/usr/bin/python3"

#endif
