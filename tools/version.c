/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng --version`: the version, the commit it was built from, and what this build has and
 * this kernel offers: io_uring and its opcodes, the XDP programs and libbpf, the CRC32 path. */
#include "tools/version.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>

#include "raw/crc32.h"
#include "record/meta.h"
#ifdef PKTENG_HAVE_XDP
#include <bpf/libbpf.h>
#endif

static void print_uring(FILE *f)
{
	static const struct {
		int op;
		const char *name;
	} ops[] = {
		{ IORING_OP_ACCEPT, "accept" },	  { IORING_OP_CONNECT, "connect" },
		{ IORING_OP_RECV, "recv" },	  { IORING_OP_SEND, "send" },
		{ IORING_OP_RECVMSG, "recvmsg" }, { IORING_OP_SENDMSG, "sendmsg" },
		{ IORING_OP_READ, "read" },	  { IORING_OP_SPLICE, "splice" },
		{ IORING_OP_TIMEOUT, "timeout" }, { IORING_OP_ASYNC_CANCEL, "async_cancel" },
		{ IORING_OP_SEND_ZC, "send_zc" }, { IORING_OP_SENDMSG_ZC, "sendmsg_zc" },
	};
	const char *off = getenv("PKTENG_URING_DISABLE");
	struct io_uring_probe *p;
	size_t i;

	fprintf(f, "io_uring:  ");
	if (off && *off && strcmp(off, "0")) {
		fprintf(f, "off (PKTENG_URING_DISABLE is set; the loops use epoll)\n");
		return;
	}
	p = io_uring_get_probe();
	if (!p) {
		fprintf(f, "unavailable (%s; the loops use epoll)\n", strerror(errno));
		return;
	}
	fprintf(f, "opcodes");
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		fprintf(f, " %s%s", io_uring_opcode_supported(p, ops[i].op) ? "+" : "-",
			ops[i].name);
	fputc('\n', f);
	io_uring_free_probe(p);
}

void pe_print_version(FILE *f)
{
	fprintf(f, "pkteng %s (git %s)\n", pe_version(), pe_git_commit());
	print_uring(f);
	fprintf(f, "epoll:     yes\n");
#ifdef PKTENG_HAVE_XDP
	fprintf(f, "xdp:       built (counter and sender), libbpf %u.%u\n", libbpf_major_version(),
		libbpf_minor_version());
#else
	fprintf(f, "xdp:       not built (PKTENG_XDP=OFF, or no clang, bpftool or libbpf-dev)\n");
#endif
	fprintf(f, "crc32:     %s\n", pe_crc32_impl_name());
}
