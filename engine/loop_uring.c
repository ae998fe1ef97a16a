/* SPDX-License-Identifier: BSD-2-Clause */
/* The io_uring backend, ring side: setup with SINGLE_ISSUER + DEFER_TASKRUN (fewer flags when the
 * kernel says EINVAL), an opcode probe, provided-buffer rings, one io_uring_enter per iteration
 * (submit and wait together), CQE dispatch and multishot accept. Connections are in
 * loop_uring_tcp.c, UDP sockets in loop_uring_udp.c. */
#include "engine/loop_uring_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

struct io_uring_sqe *pe__ur_sqe(struct pe_loop *l, struct pe_src *src)
{
	struct ur *u = UR(l);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {
		io_uring_submit(&u->ring);
		l->st.syscalls++;
		sqe = io_uring_get_sqe(&u->ring);
	}
	io_uring_sqe_set_data(sqe, src);
	return sqe;
}

void pe__ur_recycle(struct ur_bufring *b, unsigned bid)
{
	io_uring_buf_ring_add(b->br, b->mem + (size_t)bid * b->bsize, b->bsize, (unsigned short)bid,
			      io_uring_buf_ring_mask(b->nbufs), (int)b->pending++);
}

static void publish(struct ur_bufring *b)
{
	if (b->pending) {
		io_uring_buf_ring_advance(b->br, (int)b->pending);
		b->pending = 0;
	}
}

void pe__ur_cancel_fd(struct pe_loop *l, int fd)
{
	struct io_uring_sqe *sqe = pe__ur_sqe(l, &UR(l)->ignore_src);

	io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
}

int pe__ur_bufring_setup(struct ur *u, struct ur_bufring *b, unsigned nbufs, unsigned bsize,
			 int bgid, bool inc)
{
	struct io_uring_buf_reg reg = { 0 };
	unsigned i;
	int err;

	b->nbufs = nbufs;
	b->bsize = bsize;
	b->br_bytes = nbufs * sizeof(struct io_uring_buf);
	b->br = mmap(NULL, b->br_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (b->br == MAP_FAILED) {
		b->br = NULL;
		return -ENOMEM;
	}
	b->mem = malloc((size_t)nbufs * bsize);
	if (!b->mem)
		return -ENOMEM;
	reg.ring_addr = (uintptr_t)b->br;
	reg.ring_entries = nbufs;
	reg.bgid = (uint16_t)bgid;
	if (inc) {
		b->inc_off = calloc(nbufs, sizeof(*b->inc_off));
		if (!b->inc_off)
			return -ENOMEM;
		reg.pad = UR_PBUF_RING_INC; /* the flags field in kernels that have it */
	}
	err = io_uring_register_buf_ring(&u->ring, &reg, 0);
	if (err == -EINVAL && b->inc_off) {
		/* a kernel before 6.12: whole buffers */
		free(b->inc_off);
		b->inc_off = NULL;
		reg.pad = 0;
		err = io_uring_register_buf_ring(&u->ring, &reg, 0);
	}
	if (err)
		return err;
	b->registered = true;
	io_uring_buf_ring_init(b->br);
	for (i = 0; i < nbufs; i++)
		pe__ur_recycle(b, i);
	publish(b);
	return 0;
}

void pe__ur_bufring_free(struct ur *u, struct ur_bufring *b, int bgid)
{
	if (b->registered)
		io_uring_unregister_buf_ring(&u->ring, bgid);
	if (b->br)
		munmap(b->br, b->br_bytes);
	free(b->mem);
	free(b->inc_off);
	memset(b, 0, sizeof(*b));
}

static void arm_wake(struct pe_loop *l)
{
	struct ur *u = UR(l);
	struct io_uring_sqe *sqe = pe__ur_sqe(l, &u->wake_src);

	io_uring_prep_read(sqe, l->wake_fd, &u->wake_val, sizeof(u->wake_val), 0);
}

static const char *errname(int err)
{
	switch (err) {
	case -ENOSYS:
		return "ENOSYS: the kernel has no io_uring";
	case -EPERM:
		return "EPERM: kernel.io_uring_disabled or a seccomp filter";
	case -EACCES:
		return "EACCES";
	case -ENOMEM:
		return "ENOMEM: locked-memory limit";
	case -EINVAL:
		return "EINVAL";
	}
	return "io_uring_setup failed";
}

static void ur_close(struct pe_loop *l);

static int ur_open(struct pe_loop *l, const char **why)
{
	static const unsigned flag_sets[] = {
		IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN,
		0,
	};
	static const struct {
		int op;
		const char *why;
	} need[] = {
		{ IORING_OP_ACCEPT, "no IORING_OP_ACCEPT" },
		{ IORING_OP_RECV, "no IORING_OP_RECV" },
		{ IORING_OP_SEND, "no IORING_OP_SEND" },
		{ IORING_OP_SENDMSG, "no IORING_OP_SENDMSG" },
		{ IORING_OP_RECVMSG, "no IORING_OP_RECVMSG" },
		{ IORING_OP_CONNECT, "no IORING_OP_CONNECT" },
		{ IORING_OP_ASYNC_CANCEL, "no IORING_OP_ASYNC_CANCEL" },
		{ IORING_OP_READ, "no IORING_OP_READ" },
		{ IORING_OP_SPLICE, "no IORING_OP_SPLICE" },
	};
	struct io_uring_probe *probe;
	struct ur *u = UR(l);
	size_t i;
	int err = -EINVAL;

	for (i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
		struct io_uring_params p = { 0 };

		p.flags = flag_sets[i] | IORING_SETUP_CQSIZE;
		p.cq_entries = l->o.sq_entries * 8;
		err = io_uring_queue_init_params(l->o.sq_entries, &u->ring, &p);
		/* Silent sends need CQE_SKIP (5.17) and a send that fails with -EAGAIN instead of
		 * arming a poll when given MSG_DONTWAIT; DEFER_TASKRUN (6.1) vouches for both. */
		u->has_skip = !err && (p.features & IORING_FEAT_CQE_SKIP) &&
			      (p.flags & IORING_SETUP_DEFER_TASKRUN) && !l->o.plain_sends;
		if (err != -EINVAL)
			break;
	}
	if (err) {
		*why = errname(err);
		goto fail;
	}
	u->ring_ok = true;
	probe = io_uring_get_probe_ring(&u->ring);
	if (!probe) {
		err = -ENOSYS;
		*why = "the opcode probe failed";
		goto fail;
	}
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (!io_uring_opcode_supported(probe, need[i].op)) {
			err = -ENOSYS;
			*why = need[i].why;
			break;
		}
	}
	u->has_zc = io_uring_opcode_supported(probe, IORING_OP_SEND_ZC);
	u->has_timeout = io_uring_opcode_supported(probe, IORING_OP_TIMEOUT);
	io_uring_free_probe(probe);
	if (err)
		goto fail;
	err = pe__ur_bufring_setup(u, &u->tcp, l->o.buf_count, l->o.buf_bytes, UR_BGID_TCP,
				   !l->o.whole_bufs);
	if (err) {
		*why = "no provided-buffer rings (IORING_REGISTER_PBUF_RING)";
		goto fail;
	}
	io_uring_register_ring_fd(&u->ring); /* optional: saves an fd lookup per enter */
	/* Connections' sockets go into a sparse registered-file table at slot = fd, so recv and
	 * send skip the per-op file lookup. Optional: without it ops use plain fds. */
	{
		struct rlimit rl;
		unsigned n = 16384;

		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < n)
			n = (unsigned)rl.rlim_cur;
		if (!io_uring_register_files_sparse(&u->ring, n))
			u->fixed_nr = n;
		u->minus_one = -1;
	}
	u->wake_src = (struct pe_src){ PE_SRC_WAKE, l };
	u->ignore_src = (struct pe_src){ PE_SRC_IGNORE, NULL };
	arm_wake(l);
	return 0;
fail:
	ur_close(l);
	return err;
}

static void ur_close(struct pe_loop *l)
{
	struct ur *u = UR(l);

	if (u->ring_ok) {
		pe__ur_bufring_free(u, &u->tcp, UR_BGID_TCP);
		pe__ur_bufring_free(u, &u->udp, UR_BGID_UDP);
		io_uring_queue_exit(&u->ring);
	}
	free(u->silent);
	u->silent = NULL;
	u->ring_ok = false;
}

/* ---- listeners: multishot accept ---- */

static void arm_accept(struct pe_listener *ls)
{
	struct io_uring_sqe *sqe = pe__ur_sqe(ls->loop, &ls->src);

	/* Blocking sockets: io_uring polls them itself; O_NONBLOCK would only add EAGAIN paths. */
	io_uring_prep_multishot_accept(sqe, ls->fd, NULL, NULL, SOCK_CLOEXEC);
}

static int ur_listen_start(struct pe_listener *ls)
{
	pe__listener_ref(ls); /* held while an accept is armed */
	arm_accept(ls);
	return 0;
}

static void ur_listen_close(struct pe_listener *ls)
{
	pe__ur_cancel_fd(ls->loop, ls->fd);
	pe__listener_unref(ls); /* the open reference; the armed one goes with the last CQE */
}

static void listen_cqe(struct pe_listener *ls, struct io_uring_cqe *cqe)
{
	if (cqe->res >= 0) {
		if (ls->closing)
			close(cqe->res);
		else
			pe__conn_accepted(ls, cqe->res);
	}
	if (cqe->flags & IORING_CQE_F_MORE)
		return;
	if (!ls->closing) {
		arm_accept(ls);
		return;
	}
	close(ls->fd);
	pe__listener_unref(ls);
}

/* ---- wait and dispatch ---- */

/* Makes sure a kernel timeout fires by `due`: true when one in flight already does or a new
 * one was queued; false when every slot is taken (the caller then waits with a timeout). */
static bool tmo_cover(struct pe_loop *l, uint64_t due)
{
	struct ur *u = UR(l);
	struct io_uring_sqe *sqe;
	int i, free_slot = -1;

	if (!u->has_timeout)
		return false;
	for (i = 0; i < UR_TMO_MAX; i++) {
		if (u->tmo_due[i] && u->tmo_due[i] <= due)
			return true;
		if (!u->tmo_due[i] && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return false;
	u->tmo_src[free_slot].kind = PE_SRC_TIMEOUT;
	u->tmo_src[free_slot].owner = &u->tmo_due[free_slot];
	sqe = pe__ur_sqe(l, &u->tmo_src[free_slot]);
	u->tmo_ts.tv_sec = (long long)(due / 1000000000ull);
	u->tmo_ts.tv_nsec = (long long)(due % 1000000000ull);
	io_uring_prep_timeout(sqe, &u->tmo_ts, 0, IORING_TIMEOUT_ABS);
	io_uring_sqe_set_data(sqe, &u->tmo_src[free_slot]);
	u->tmo_due[free_slot] = due;
	return true;
}

static int ur_wait(struct pe_loop *l, uint64_t timeout_ns)
{
	struct ur *u = UR(l);
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts;
	unsigned head, n = 0, ntmo = 0, nsil = u->silent_n;
	struct ur_udp *usil = u->udp_silent;
	bool settle;
	int r;

	publish(&u->tcp);
	publish(&u->udp);
	if ((nsil && pe__ur_silent_urgent(l)) || (usil && pe__ur_udp_silent_urgent(l)))
		timeout_ns = 0;
	/* One enter submits everything queued and waits. (Waiting for the sends' inline
	 * completions plus one more event saves the second enter of a ping-pong, but measured
	 * 26.7 against 19.9 us CPU per 1-connection echo here: the timed wait costs more.) */
	if (timeout_ns == UINT64_MAX) {
		r = io_uring_submit_and_wait(&u->ring, 1);
	} else if (!timeout_ns) {
		/* A poll: GETEVENTS runs the deferred task work and returns. A zero timeout
		 * instead would arm an hrtimer in the kernel, which costs a VM an exit. */
		r = io_uring_submit_and_get_events(&u->ring);
	} else if (timeout_ns < UR_TMO_HORIZON_NS && tmo_cover(l, l->now_ns + timeout_ns)) {
		/* now_ns: stamped by pe_loop_run_once() or the last wait, no clock read here */
		r = io_uring_submit_and_wait(&u->ring, 1);
	} else {
		ts.tv_sec = (long long)(timeout_ns / 1000000000ull);
		ts.tv_nsec = (long long)(timeout_ns % 1000000000ull);
		r = io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, &ts, NULL);
	}
	l->st.syscalls++;
	if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN && r != -EBUSY)
		return r;
	u->udp_silent = NULL; /* usil: settled below; sends flushed from now on join anew */
	/* Silent sends finished during the submit; one that fell short posted a CQE, unless it
	 * is still in the overflow list. */
	settle = !io_uring_sq_ready(&u->ring) &&
		 !(IO_URING_READ_ONCE(*u->ring.sq.kflags) & IORING_SQ_CQ_OVERFLOW);
	l->now_ns = pe_now_ns();
	io_uring_for_each_cqe (&u->ring, head, cqe) {
		struct pe_src *s = io_uring_cqe_get_data(cqe);

		n++;
		if (!s)
			continue;
		if (s->kind != PE_SRC_UDP && u->ub_n)
			pe__ur_udp_batch_flush(l);
		switch (s->kind) {
		case PE_SRC_WAKE:
			arm_wake(l);
			break;
		case PE_SRC_LISTEN:
			listen_cqe(s->owner, cqe);
			break;
		case PE_SRC_UDP:
			pe__ur_udp_recv_cqe(s->owner, cqe);
			break;
		case PE_SRC_UDP_SEND:
			pe__ur_udp_send_cqe(s->owner, cqe);
			break;
		case PE_SRC_IGNORE:
			break;
		case PE_SRC_TIMEOUT: /* fired (-ETIME) or cancelled: the slot is free */
			*(uint64_t *)s->owner = 0;
			ntmo++; /* the timers are the caller's events, not this */
			break;
		default:
			pe__ur_conn_cqe(l, s, cqe);
			break;
		}
	}
	pe__ur_udp_batch_flush(l);
	io_uring_cq_advance(&u->ring, n);
	n -= ntmo;
	if (nsil)
		n += pe__ur_silent_settle(l, nsil, settle);
	if (usil)
		n += pe__ur_udp_silent_settle(l, usil, settle);
	return (int)n;
}

const struct pe_backend_ops pe_backend_uring = {
	.name = "io_uring",
	.loop_size = sizeof(struct ur),
	.conn_size = sizeof(struct ur_conn),
	.udp_size = sizeof(struct ur_udp),
	.open = ur_open,
	.close = ur_close,
	.wait = ur_wait,
	.conn_init = pe__ur_conn_init,
	.conn_start = pe__ur_conn_start,
	.conn_connect = pe__ur_conn_connect,
	.conn_flush = pe__ur_conn_flush,
	.conn_close = pe__ur_conn_close,
	.conn_pause = pe__ur_conn_pause,
	.listen_start = ur_listen_start,
	.listen_close = ur_listen_close,
	.udp_start = pe__ur_udp_start,
	.udp_flush = pe__ur_udp_flush,
	.udp_close = pe__ur_udp_close,
	.udp_free = pe__ur_udp_free,
};
