/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng --version`: version, commit and the features built and probed. */
#ifndef PKTENG_TOOLS_VERSION_H
#define PKTENG_TOOLS_VERSION_H

#include <stdio.h>

/* Prints "pkteng VERSION (git COMMIT)" and one line per feature: io_uring and the opcodes
 * this kernel has (+ yes, - no), epoll, XDP and libbpf, the CRC32 path. */
void pe_print_version(FILE *f);

#endif
