/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng --version`: the version, the commit it was built from, and what this build has and
 * this kernel offers: io_uring and its opcodes, the XDP programs and libbpf, the CRC32 path. */
#include "tools/version.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "raw/crc32.h"
#include "record/meta.h"
#ifdef PKTENG_HAVE_XDP
#include <bpf/libbpf.h>
#endif

/* Multishot recv is a flag, not an opcode, so the probe cannot tell: try one on a socket pair
 * with a provided-buffer ring (what the loops use) and see the completion say more follow.
 * Returns "yes", or why not. */
static const char *probe_multishot_recv(void)
{
	enum { NBUF = 2, BSIZE = 64 };
	static char bufs[NBUF][BSIZE];
	static struct io_uring_buf br_mem[NBUF] __attribute__((aligned(4096)));
	struct io_uring_buf_ring *br = (struct io_uring_buf_ring *)br_mem;
	struct io_uring_buf_reg reg = { .ring_addr = (uintptr_t)br_mem, .ring_entries = NBUF };
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	const char *why = "no";
	int sv[2];

	if (io_uring_queue_init(4, &ring, 0))
		return "no (no io_uring)";
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		io_uring_queue_exit(&ring);
		return "unknown (socketpair failed)";
	}
	if (io_uring_register_buf_ring(&ring, &reg, 0)) {
		why = "no (no provided-buffer rings)";
		goto out;
	}
	io_uring_buf_ring_init(br);
	for (int i = 0; i < NBUF; i++)
		io_uring_buf_ring_add(br, bufs[i], BSIZE, (unsigned short)i,
				      io_uring_buf_ring_mask(NBUF), i);
	io_uring_buf_ring_advance(br, NBUF);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_recv_multishot(sqe, sv[0], NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 0;
	if (write(sv[1], "x", 1) == 1 && io_uring_submit_and_wait(&ring, 1) >= 1 &&
	    !io_uring_peek_cqe(&ring, &cqe)) {
		if (cqe->res == 1 && (cqe->flags & IORING_CQE_F_MORE))
			why = "yes";
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_unregister_buf_ring(&ring, 0);
out:
	close(sv[0]);
	close(sv[1]);
	io_uring_queue_exit(&ring);
	return why;
}

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
	fprintf(f, "           multishot recv %s\n", probe_multishot_recv());
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
