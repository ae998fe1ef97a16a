/* SPDX-License-Identifier: BSD-2-Clause */
/* Private to the io_uring backend: the ring, its provided-buffer rings and the helpers shared by
 * loop_uring.c (setup, wait, listeners), loop_uring_tcp.c (connections) and loop_uring_udp.c. */
#ifndef PKTENG_ENGINE_LOOP_URING_INT_H
#define PKTENG_ENGINE_LOOP_URING_INT_H

#include <liburing.h>

#include "engine/loop_int.h"

#define UR_BGID_TCP	  0
#define UR_BGID_UDP	  1
#define UR_UDP_BATCH	  64
#define UR_TMO_MAX	  4				/* kernel timeouts in flight at once */
#define UR_TMO_HORIZON_NS (86400ull * 365 * 1000000000) /* later deadlines: a timed wait */
/* Incremental buffer consumption (kernel 6.12), newer than liburing 2.3's header: a completion
 * takes from a provided buffer only the bytes it used, and the next one goes on in the same
 * buffer. Small messages of many connections then share a few hot buffers instead of each
 * landing at the start of its own 16 KiB one. */
#define UR_PBUF_RING_INC  2u	    /* io_uring_buf_reg.flags: IOU_PBUF_RING_INC */
#define UR_CQE_F_BUF_MORE (1u << 4) /* IORING_CQE_F_BUF_MORE: the kernel keeps the buffer */

struct ur_bufring {
	struct io_uring_buf_ring *br;
	size_t br_bytes;
	uint8_t *mem;
	unsigned nbufs, bsize, pending;
	bool registered;
	uint32_t *inc_off; /* incremental ring: bytes of each buffer already handed out, or NULL */
};

/* A connection: its ops in flight and the send being built. */
struct ur_conn {
	struct pe_conn c; /* first: the shared layers allocate conn_size */
	struct pe_src s_recv, s_send, s_connect, s_splice_in, s_splice_out;
	unsigned inflight;    /* ops referencing this conn (incl. SEND_ZC notifications) */
	unsigned zc_inflight; /* of which notifications */
	bool recv_armed, send_busy, cancel_sent;
	bool fixed;	 /* registered at slot fd */
	bool silent;	 /* a send without a success CQE is in flight (silent_len) */
	bool silent_off; /* the last silent send fell short; plain sends for now */
	size_t silent_len;
	unsigned silent_gen;
	int pipe[2];	   /* file send: file -> pipe -> socket */
	size_t pipe_bytes; /* bytes in the pipe not yet spliced to the socket */
	struct iovec iov[16];
	struct msghdr msg;
};

/* One queued datagram's SENDMSG, beside the shared slot of the same index. */
struct ur_udp_slot {
	struct msghdr msg;
	struct pe_src src;
	struct ur_udp *uu;
	int res;   /* completion result once done */
	bool done; /* completed, waiting for the slots before it */
};

/* A UDP socket: the multishot recvmsg template and the SENDMSGs in flight. */
struct ur_udp {
	struct pe_udp u; /* first: the shared layers allocate udp_size */
	struct msghdr rtmpl;
	bool plain_recv;      /* connected: multishot RECV, the datagram alone in the buffer */
	struct pe_addr rpeer; /* connected: the peer each received datagram names */
	unsigned submitted, inflight; /* [head, head + submitted) of the queue are SQEs */
	struct ur_udp_slot *us;	      /* nslots entries */
	bool silent;		      /* the head slot went as a silent send (loop_uring_udp.c) */
	struct ur_udp *silent_next;   /* on ur.udp_silent */
};

struct ur_silent {
	struct ur_conn *uc;
	unsigned gen; /* uc->silent_gen when queued: a stale entry is skipped */
};

struct ur {
	struct pe_loop l; /* first: the loop is allocated with room for this */
	struct io_uring ring;
	bool ring_ok;
	bool has_zc;
	unsigned fixed_nr; /* registered-file table size: a socket fd < this uses slot fd */
	int minus_one;	   /* FILES_UPDATE source that clears a slot */
	struct ur_bufring tcp, udp;
	struct pe_src wake_src, ignore_src;
	uint64_t wake_val;
	/* Silent sends (see loop_uring_tcp.c): submitted, settled after the next enter. */
	bool has_skip; /* IORING_FEAT_CQE_SKIP */
	struct ur_silent *silent;
	unsigned silent_n, silent_cap;
	struct ur_udp *udp_silent; /* UDP sockets whose silent send the next enter submits */
	/* UDP datagrams collected from consecutive CQEs, delivered as one batch */
	struct pe_udp *ub_u;
	unsigned ub_n;
	struct pe_dgram ub_d[UR_UDP_BATCH];
	struct pe_addr ub_a[UR_UDP_BATCH];
	uint16_t ub_bid[UR_UDP_BATCH];
	/* A wait with a deadline arms an absolute IORING_OP_TIMEOUT only when none in flight is
	 * due by then, and then waits without a timeout: a loop whose next timer seldom changes
	 * (a test's end, a report interval) then arms no timer in the kernel per wait, which on a
	 * VM costs an exit each time. One that fires early only wakes the loop once for nothing. */
	bool has_timeout;
	struct pe_src tmo_src[UR_TMO_MAX];
	uint64_t tmo_due[UR_TMO_MAX];	 /* CLOCK_MONOTONIC ns; 0: the slot is free */
	struct __kernel_timespec tmo_ts; /* read by the kernel when the SQE is submitted */
};

static inline struct ur *UR(struct pe_loop *l)
{
	return pe__container_of(l, struct ur, l);
}

static inline struct ur_conn *UC(struct pe_conn *c)
{
	return pe__container_of(c, struct ur_conn, c);
}

static inline struct ur_udp *UU(struct pe_udp *u)
{
	return pe__container_of(u, struct ur_udp, u);
}

/* From the kernel's uapi header (loop_uring_uapi.c). */
extern const unsigned pe__ur_send_zc_report_usage;
extern const unsigned pe__ur_notif_usage_zc_copied;

/* An SQE, submitting the full SQ first when needed. Never NULL after that (the SQ is empty). */
struct io_uring_sqe *pe__ur_sqe(struct pe_loop *l, struct pe_src *src);
/* Gives buffer bid of ring b back to the kernel (published at the end of the CQE batch). */
void pe__ur_recycle(struct ur_bufring *b, unsigned bid);
/* A cancel request for everything on fd, its own CQE ignored. */
void pe__ur_cancel_fd(struct pe_loop *l, int fd);

/* Sets up provided-buffer ring b (group bgid, nbufs of bsize bytes; inc: incremental where the
 * kernel has it). 0 or -errno; on failure pe__ur_bufring_free() cleans up. */
int pe__ur_bufring_setup(struct ur *u, struct ur_bufring *b, unsigned nbufs, unsigned bsize,
			 int bgid, bool inc);
void pe__ur_bufring_free(struct ur *u, struct ur_bufring *b, int bgid);

/* loop_uring_udp.c */
int pe__ur_udp_start(struct pe_udp *u);
void pe__ur_udp_flush(struct pe_udp *u);
void pe__ur_udp_close(struct pe_udp *u);
void pe__ur_udp_free(struct pe_udp *u);
void pe__ur_udp_recv_cqe(struct pe_udp *u, struct io_uring_cqe *cqe);
void pe__ur_udp_send_cqe(struct ur_udp_slot *us, struct io_uring_cqe *cqe);
/* Delivers the datagrams collected from consecutive CQEs (before any other CQE is handled). */
void pe__ur_udp_batch_flush(struct pe_loop *l);
/* Before the enter: true when a socket with a silent send has more queued behind it or is
 * closing, so the enter must not block. */
bool pe__ur_udp_silent_urgent(struct pe_loop *l);
/* After the enter and the CQE dispatch: the silent sends on list (taken from ur.udp_silent
 * before the enter) went out when settle is true, else they go back on the list. Returns how
 * many settled. */
unsigned pe__ur_udp_silent_settle(struct pe_loop *l, struct ur_udp *list, bool settle);

/* loop_uring_tcp.c */
void pe__ur_conn_init(struct pe_conn *c);
int pe__ur_conn_start(struct pe_conn *c);
int pe__ur_conn_connect(struct pe_conn *c, const struct pe_addr *to);
void pe__ur_conn_flush(struct pe_conn *c);
void pe__ur_conn_close(struct pe_conn *c);
void pe__ur_conn_pause(struct pe_conn *c, bool pause);
void pe__ur_conn_cqe(struct pe_loop *l, struct pe_src *s, struct io_uring_cqe *cqe);
/* Before the enter: true when a silent send must be settled at once (the connection waits on
 * it: more queued, want_writable, shutdown or close), so the enter must not block. */
bool pe__ur_silent_urgent(struct pe_loop *l);
/* After the enter and the CQE dispatch: entries [0, n) went out whole when settle is true
 * (everything was submitted and no completion overflowed); drops entries that are done. */
unsigned pe__ur_silent_settle(struct pe_loop *l, unsigned n, bool settle);

#endif
