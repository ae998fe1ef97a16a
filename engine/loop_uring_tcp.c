/* SPDX-License-Identifier: BSD-2-Clause */
/* The io_uring backend, connection side: multishot recv from the provided-buffer ring, taken
 * incrementally where the kernel can (re-armed on ENOBUFS or whenever IORING_CQE_F_MORE is
 * missing), one send in flight per connection with the whole queue as an iovec, SEND_ZC for
 * large borrowed buffers (the buffer is released only at its IORING_CQE_F_NOTIF completion),
 * file -> pipe -> socket splices, and a close that cancels, waits for every op, then closes
 * the fd. */
#include "engine/loop_uring_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UR_PIPE_BYTES (1u << 20)
/* Copy sends up to this many bytes go out silently (one copy chunk). */
#define UR_SILENT_MAX 16384

/* A SEND_ZC in flight: its result CQE and then its notification CQE refer to this. */
struct ur_zc {
	struct pe_src src;
	struct pe_sq_item *it;
};

/* Registered-file slot = fd: an op on c uses the slot once registered. */
static void use_fixed(struct pe_conn *c, struct io_uring_sqe *sqe)
{
	struct ur_conn *uc = UC(c);

	if (uc->fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
}

static void register_fixed(struct pe_conn *c)
{
	struct ur_conn *uc = UC(c);
	struct ur *u = UR(c->loop);
	struct io_uring_sqe *sqe;

	if (uc->fixed || c->fd < 0 || (unsigned)c->fd >= u->fixed_nr)
		return;
	/* Runs inline during the submit, before the ops queued after it that use the slot. */
	sqe = pe__ur_sqe(c->loop, &u->ignore_src);
	io_uring_prep_files_update(sqe, &c->fd, 1, c->fd);
	uc->fixed = true;
}

static void unregister_fixed(struct pe_conn *c)
{
	struct ur_conn *uc = UC(c);
	struct ur *u = UR(c->loop);
	struct io_uring_sqe *sqe;

	if (!uc->fixed)
		return;
	sqe = pe__ur_sqe(c->loop, &u->ignore_src);
	io_uring_prep_files_update(sqe, &u->minus_one, 1, c->fd);
	uc->fixed = false;
	/* Now, not at the next iteration: the socket must be gone when on_close runs. */
	io_uring_submit(&u->ring);
	c->loop->st.syscalls++;
}

static void arm_recv(struct pe_conn *c)
{
	struct ur_conn *uc = UC(c);
	struct io_uring_sqe *sqe = pe__ur_sqe(c->loop, &uc->s_recv);

	io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
	use_fixed(c, sqe);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = UR_BGID_TCP;
	uc->recv_armed = true;
	uc->inflight++;
}

void pe__ur_conn_init(struct pe_conn *c)
{
	struct ur_conn *uc = UC(c);

	uc->s_recv = (struct pe_src){ PE_SRC_RECV, c };
	uc->s_send = (struct pe_src){ PE_SRC_SEND, c };
	uc->s_connect = (struct pe_src){ PE_SRC_CONNECT, c };
	uc->s_splice_in = (struct pe_src){ PE_SRC_SPLICE_IN, c };
	uc->s_splice_out = (struct pe_src){ PE_SRC_SPLICE_OUT, c };
	uc->pipe[0] = uc->pipe[1] = -1;
}

int pe__ur_conn_start(struct pe_conn *c)
{
	struct ur_conn *uc = UC(c);

	/* Accepted sockets come blocking; io_uring arms its own poll when one would block. */
	register_fixed(c);
	if (!c->paused && !uc->recv_armed)
		arm_recv(c);
	return 0;
}

int pe__ur_conn_connect(struct pe_conn *c, const struct pe_addr *to)
{
	struct ur_conn *uc = UC(c);
	struct io_uring_sqe *sqe;
	int fl = fcntl(c->fd, F_GETFL);

	if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
	c->peer = *to;
	sqe = pe__ur_sqe(c->loop, &uc->s_connect);
	io_uring_prep_connect(sqe, c->fd, &c->peer.sa, c->peer.len);
	uc->inflight++;
	return 0;
}

static void silent_forget(struct pe_conn *c);
static bool silent_ok(struct pe_conn *c);

static void maybe_dead(struct pe_conn *c)
{
	struct ur_conn *uc = UC(c);

	if (c->state != PE_CONN_CLOSING)
		return;
	/* Close once nothing but SEND_ZC notifications is pending: those wait for the socket's
	 * buffers, which only a close releases. Finalize when they are in too. */
	if (!c->fd_closed && uc->inflight == uc->zc_inflight) {
		/* Clear the slot first (its reference would keep the socket open), then close;
		 * the slot is free before any new socket can reuse the fd number. */
		unregister_fixed(c);
		close(c->fd);
		c->fd_closed = true;
	}
	if (c->fd_closed && !uc->inflight) {
		silent_forget(c);
		if (uc->pipe[0] >= 0) {
			close(uc->pipe[0]);
			close(uc->pipe[1]);
			uc->pipe[0] = uc->pipe[1] = -1;
		}
		pe__conn_dead(c);
	}
}

void pe__ur_conn_close(struct pe_conn *c)
{
	struct ur_conn *uc = UC(c);

	if (uc->inflight > uc->zc_inflight && !uc->cancel_sent) {
		uc->cancel_sent = true;
		pe__ur_cancel_fd(c->loop, c->fd);
	}
	maybe_dead(c);
}

void pe__ur_conn_pause(struct pe_conn *c, bool pause)
{
	struct ur_conn *uc = UC(c);

	if (pause) {
		if (uc->recv_armed) {
			struct io_uring_sqe *sqe = pe__ur_sqe(c->loop, &UR(c->loop)->ignore_src);

			io_uring_prep_cancel(sqe, &uc->s_recv, 0);
		}
	} else if (!uc->recv_armed && !c->eof && c->state == PE_CONN_OPEN) {
		arm_recv(c);
	}
}

static int ensure_pipe(struct pe_conn *c)
{
	struct ur_conn *uc = UC(c);

	if (uc->pipe[0] >= 0)
		return 0;
	if (pipe2(uc->pipe, O_CLOEXEC))
		return -errno;
	fcntl(uc->pipe[1], F_SETPIPE_SZ, UR_PIPE_BYTES); /* best effort: 64 KiB otherwise */
	return 0;
}

static unsigned pipe_bytes(struct pe_conn *c)
{
	struct ur_conn *uc = UC(c);
	int sz = fcntl(uc->pipe[1], F_GETPIPE_SZ);

	return sz > 0 ? (unsigned)sz : 65536;
}

static void splice_out(struct pe_conn *c)
{
	struct ur_conn *uc = UC(c);
	struct io_uring_sqe *sqe = pe__ur_sqe(c->loop, &uc->s_splice_out);

	io_uring_prep_splice(sqe, uc->pipe[0], -1, c->fd, -1, (unsigned)uc->pipe_bytes, 0);
	uc->inflight++;
}

void pe__ur_conn_flush(struct pe_conn *c)
{
	struct ur_conn *uc = UC(c);
	struct pe_loop *l = c->loop;
	struct pe_sq_item *it = c->sq_head;
	struct io_uring_sqe *sqe;
	bool all_copy = true, silent;
	size_t total = 0;
	int flags;

	if (uc->send_busy || c->state != PE_CONN_OPEN || !it)
		return;
	if (it->kind == PE_SQ_FILE) {
		uint64_t left = it->len - it->off;
		int err = ensure_pipe(c);
		unsigned n;

		if (err) {
			pe__conn_file_failed(c, err);
			return;
		}
		n = pipe_bytes(c);
		if (left < n)
			n = (unsigned)left;
		sqe = pe__ur_sqe(l, &uc->s_splice_in);
		io_uring_prep_splice(sqe, it->file_fd, (int64_t)(it->file_off + it->off),
				     uc->pipe[1], -1, n, 0);
		uc->inflight++;
		uc->send_busy = true;
		return;
	}
	if (it->kind == PE_SQ_REF && UR(l)->has_zc && it->len - it->off >= l->o.zc_min_bytes) {
		struct ur_zc *z = malloc(sizeof(*z));

		if (z) {
			z->src = (struct pe_src){ PE_SRC_ZC, c };
			z->it = it;
			sqe = pe__ur_sqe(l, &z->src);
			io_uring_prep_send_zc(sqe, c->fd, it->ptr + it->off, it->len - it->off,
					      MSG_NOSIGNAL, pe__ur_send_zc_report_usage);
			use_fixed(c, sqe);
			it->zc_pending++;
			uc->inflight++;
			l->st.zc_ops++;
			uc->send_busy = true;
			return;
		}
	}
	uc->msg = (struct msghdr){ .msg_iov = uc->iov };
	for (; it && it->kind != PE_SQ_FILE && uc->msg.msg_iovlen < 16; it = it->next) {
		uc->iov[uc->msg.msg_iovlen].iov_base = (void *)(it->ptr + it->off);
		uc->iov[uc->msg.msg_iovlen].iov_len = it->len - it->off;
		uc->msg.msg_iovlen++;
		total += it->len - it->off;
		all_copy = all_copy && it->kind == PE_SQ_COPY;
	}
	silent = all_copy && total <= UR_SILENT_MAX && silent_ok(c);
	flags = silent ? MSG_NOSIGNAL | MSG_DONTWAIT | MSG_WAITALL : MSG_NOSIGNAL;
	sqe = pe__ur_sqe(l, &uc->s_send);
	if (uc->msg.msg_iovlen == 1)
		io_uring_prep_send(sqe, c->fd, uc->iov[0].iov_base, uc->iov[0].iov_len, flags);
	else
		io_uring_prep_sendmsg(sqe, c->fd, &uc->msg, flags);
	use_fixed(c, sqe);
	if (silent) {
		sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
		uc->silent = true;
		uc->silent_len = total;
	}
	uc->inflight++;
	uc->send_busy = true;
}

/* Silent sends. A small copy send posted with MSG_DONTWAIT | MSG_WAITALL never waits for
 * socket space inside io_uring (MSG_DONTWAIT makes a full socket fail it with -EAGAIN instead
 * of arming a poll), and MSG_WAITALL turns a short send into a failure that reports the bytes
 * it did send. It therefore finishes during the submit that carries it, and with
 * IOSQE_CQE_SKIP_SUCCESS it posts a CQE only when it did not send everything. After that
 * enter, a silent send without a CQE went out whole: the wait is not ended by a send
 * completion, so a ping-pong takes one io_uring_enter per message instead of two. The buffer
 * is a loop-owned copy chunk, settled (consumed, freed or kept as the spare) only then. */
static bool silent_ok(struct pe_conn *c)
{
	struct ur_conn *uc = UC(c);
	struct ur *u = UR(c->loop);
	struct ur_silent *ns;

	if (!u->has_skip || uc->silent_off || c->want_writable || c->shut_req)
		return false;
	if (u->silent_n == u->silent_cap) {
		unsigned cap = u->silent_cap ? u->silent_cap * 2 : 64;

		ns = realloc(u->silent, cap * sizeof(*ns));
		if (!ns)
			return false;
		u->silent = ns;
		u->silent_cap = cap;
	}
	u->silent[u->silent_n++] = (struct ur_silent){ uc, ++uc->silent_gen };
	return true;
}

static bool silent_live(const struct ur_silent *e)
{
	return e->uc && e->uc->silent && e->uc->silent_gen == e->gen;
}

bool pe__ur_silent_urgent(struct pe_loop *l)
{
	struct ur *u = UR(l);
	unsigned i;

	for (i = 0; i < u->silent_n; i++) {
		struct ur_conn *uc = u->silent[i].uc;
		struct pe_conn *c = &uc->c;

		if (!silent_live(&u->silent[i]))
			continue;
		if (c->state != PE_CONN_OPEN || c->want_writable || c->shut_req ||
		    c->queued != uc->silent_len || (c->sq_tail && c->sq_tail->kind == PE_SQ_FILE))
			return true;
	}
	return false;
}

static void send_cqe(struct pe_conn *c, int res);

unsigned pe__ur_silent_settle(struct pe_loop *l, unsigned n, bool settle)
{
	struct ur *u = UR(l);
	unsigned i, k = 0, done = 0;

	for (i = 0; i < n; i++) {
		struct ur_silent e = u->silent[i];

		if (!silent_live(&e))
			continue;
		if (!settle) {
			u->silent[k++] = e;
			continue;
		}
		e.uc->silent = false;
		l->st.silent_sends++;
		send_cqe(&e.uc->c, (int)e.uc->silent_len); /* may queue new entries after n */
		done++;
	}
	memmove(u->silent + k, u->silent + n, (u->silent_n - n) * sizeof(*u->silent));
	u->silent_n = k + (u->silent_n - n);
	return done;
}

/* A connection about to be freed leaves the silent list (it has no live entry by then); the
 * entries are cleared, not removed, as this can run inside pe__ur_silent_settle(). */
static void silent_forget(struct pe_conn *c)
{
	struct ur *u = UR(c->loop);
	unsigned i;

	for (i = 0; i < u->silent_n; i++)
		if (u->silent[i].uc == UC(c))
			u->silent[i].uc = NULL;
}

static void recv_cqe(struct pe_conn *c, struct io_uring_cqe *cqe)
{
	struct ur_conn *uc = UC(c);
	struct pe_loop *l = c->loop;
	struct ur *u = UR(l);
	int res = cqe->res;

	if (cqe->flags & IORING_CQE_F_BUFFER) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		uint8_t *p = u->tcp.mem + (size_t)bid * u->tcp.bsize;

		/* An incremental ring hands out a buffer piece by piece, in completion order; it
		 * comes back to the ring when the kernel is done with it (no BUF_MORE). */
		if (u->tcp.inc_off && res > 0) {
			if (u->tcp.inc_off[bid])
				l->st.recv_shared++;
			p += u->tcp.inc_off[bid];
			u->tcp.inc_off[bid] += (uint32_t)res;
		}
		if (res > 0)
			pe__conn_recv(c, p, (size_t)res);
		if (!(cqe->flags & UR_CQE_F_BUF_MORE)) {
			if (u->tcp.inc_off)
				u->tcp.inc_off[bid] = 0;
			pe__ur_recycle(&u->tcp, bid);
		}
	}
	if (cqe->flags & IORING_CQE_F_MORE)
		return;
	uc->recv_armed = false;
	uc->inflight--;
	if (res == 0) {
		pe__conn_eof(c);
	} else if (res == -ENOBUFS) {
		l->st.enobufs++;
	} else if (res < 0 && res != -ECANCELED) {
		pe__conn_error(c, res);
	}
	if (c->state == PE_CONN_OPEN && !c->paused && !c->eof && !uc->recv_armed)
		arm_recv(c);
	maybe_dead(c);
}

static void send_cqe(struct pe_conn *c, int res)
{
	struct ur_conn *uc = UC(c);

	if (uc->silent) {
		/* A silent send fell short (res = bytes sent) or found the socket full: the rest
		 * goes as plain sends, which wait for space, until the queue empties. */
		uc->silent = false;
		uc->silent_off = true;
		c->loop->st.silent_short++;
		if (res == -EAGAIN)
			res = 0;
	}
	uc->inflight--;
	uc->send_busy = false;
	if (res > 0)
		pe__conn_consumed(c, (size_t)res);
	if (!c->sq_head)
		uc->silent_off = false;
	else if (res < 0 && c->state == PE_CONN_OPEN)
		pe__conn_error(c, res == -ECANCELED ? -EPIPE : res);
	if (c->state == PE_CONN_OPEN)
		pe__ur_conn_flush(c);
	maybe_dead(c);
}

static void zc_cqe(struct ur_zc *z, struct io_uring_cqe *cqe)
{
	struct pe_conn *c = z->src.owner;
	struct ur_conn *uc = UC(c);
	struct pe_loop *l = c->loop;

	if (cqe->flags & IORING_CQE_F_NOTIF) {
		l->st.zc_sends++;
		if ((uint32_t)cqe->res & pe__ur_notif_usage_zc_copied)
			l->st.zc_copied++;
		/* The kernel copied every one of the first 64 (loopback does): zero copy only
		 * adds the notification and page pinning here, so plain sends from now on. */
		if (l->st.zc_sends == 64 && l->st.zc_copied == 64)
			UR(l)->has_zc = false;
		uc->inflight--;
		uc->zc_inflight--;
		pe__item_zc_done(c, z->it);
		free(z);
		maybe_dead(c);
		return;
	}
	uc->send_busy = false;
	if (cqe->flags & IORING_CQE_F_MORE) {
		uc->zc_inflight++; /* the op stays counted until its notification */
	} else {
		uc->inflight--;
		z->it->zc_pending--; /* no notification will come */
	}
	if (cqe->res > 0)
		pe__conn_consumed(c, (size_t)cqe->res);
	else if (cqe->res < 0 && c->state == PE_CONN_OPEN)
		pe__conn_error(c, cqe->res == -ECANCELED ? -EPIPE : cqe->res);
	if (!(cqe->flags & IORING_CQE_F_MORE))
		free(z); /* z->it may be gone: consumed() released it */
	if (c->state == PE_CONN_OPEN)
		pe__ur_conn_flush(c);
	maybe_dead(c);
}

static void splice_in_cqe(struct pe_conn *c, int res)
{
	struct ur_conn *uc = UC(c);

	uc->inflight--;
	if (c->state != PE_CONN_OPEN) {
		maybe_dead(c);
		return;
	}
	if (res <= 0) {
		uc->send_busy = false;
		pe__conn_file_failed(c, res == 0 ? -ENODATA : res);
		maybe_dead(c);
		return;
	}
	uc->pipe_bytes = (size_t)res;
	splice_out(c);
}

static void splice_out_cqe(struct pe_conn *c, int res)
{
	struct ur_conn *uc = UC(c);

	uc->inflight--;
	if (c->state != PE_CONN_OPEN) {
		maybe_dead(c);
		return;
	}
	if (res <= 0) {
		uc->send_busy = false;
		pe__conn_error(c, res == 0 ? -EPIPE : res);
		maybe_dead(c);
		return;
	}
	uc->pipe_bytes -= (size_t)res;
	pe__conn_consumed(c, (size_t)res);
	if (c->state != PE_CONN_OPEN) {
		maybe_dead(c);
		return;
	}
	if (uc->pipe_bytes) {
		splice_out(c);
		return;
	}
	uc->send_busy = false;
	pe__ur_conn_flush(c);
}

static void connect_cqe(struct pe_conn *c, int res)
{
	struct ur_conn *uc = UC(c);

	uc->inflight--;
	if (c->state == PE_CONN_CONNECTING)
		pe__conn_opened(c, res == -ECANCELED ? -ETIMEDOUT : res);
	maybe_dead(c);
}

void pe__ur_conn_cqe(struct pe_loop *l, struct pe_src *s, struct io_uring_cqe *cqe)
{
	switch (s->kind) {
	case PE_SRC_RECV:
		recv_cqe(s->owner, cqe);
		break;
	case PE_SRC_SEND:
		send_cqe(s->owner, cqe->res);
		break;
	case PE_SRC_ZC:
		zc_cqe((struct ur_zc *)s, cqe);
		break;
	case PE_SRC_SPLICE_IN:
		splice_in_cqe(s->owner, cqe->res);
		break;
	case PE_SRC_SPLICE_OUT:
		splice_out_cqe(s->owner, cqe->res);
		break;
	case PE_SRC_CONNECT:
		connect_cqe(s->owner, cqe->res);
		break;
	default:
		break;
	}
}
