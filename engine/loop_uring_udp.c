/* SPDX-License-Identifier: BSD-2-Clause */
/* The io_uring backend, UDP side: multishot recvmsg into provided-buffer group 1 with the
 * datagrams of consecutive completions delivered as one batch; a connected socket uses a
 * multishot RECV instead, since its datagrams all come from the one peer (no msghdr to read in,
 * no header and address written out and parsed per datagram). A lone datagram goes as a
 * silent send with the next enter; more go straight through sendmmsg until the socket is full,
 * then one SEND (with the address where one is given) per datagram retired in order. */
#include "engine/loop_uring_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void udp_arm(struct pe_udp *u)
{
	struct ur_udp *uu = UU(u);
	struct io_uring_sqe *sqe = pe__ur_sqe(u->loop, &u->src);

	if (uu->plain_recv)
		io_uring_prep_recv_multishot(sqe, u->fd, NULL, 0, 0);
	else
		io_uring_prep_recvmsg_multishot(sqe, u->fd, &uu->rtmpl, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = UR_BGID_UDP;
	uu->inflight++;
}

int pe__ur_udp_start(struct pe_udp *u)
{
	struct pe_loop *l = u->loop;
	struct ur *r = UR(l);
	struct ur_udp *uu = UU(u);
	unsigned i;

	if (!r->udp.registered) {
		unsigned n = l->o.buf_count < 512 ? l->o.buf_count : 512;
		unsigned sz = l->o.buf_bytes + (unsigned)sizeof(struct io_uring_recvmsg_out) +
			      (unsigned)sizeof(struct sockaddr_storage);
		int err = pe__ur_bufring_setup(r, &r->udp, n, sz, UR_BGID_UDP, false);

		if (err) {
			pe__ur_bufring_free(r, &r->udp, UR_BGID_UDP);
			return err;
		}
	}
	uu->us = calloc(u->nslots, sizeof(*uu->us));
	if (!uu->us)
		return -ENOMEM;
	for (i = 0; i < u->nslots; i++) {
		uu->us[i].uu = uu;
		uu->us[i].src = (struct pe_src){ PE_SRC_UDP_SEND, &uu->us[i] };
	}
	uu->rtmpl.msg_namelen = sizeof(struct sockaddr_storage);
	if (u->connected) {
		socklen_t len = sizeof(uu->rpeer.ss);

		if (!getpeername(u->fd, &uu->rpeer.sa, &len)) {
			uu->rpeer.len = len;
			uu->plain_recv = true;
		}
	}
	udp_arm(u);
	return 0;
}

void pe__ur_udp_free(struct pe_udp *u)
{
	free(UU(u)->us);
}

void pe__ur_udp_batch_flush(struct pe_loop *l)
{
	struct ur *r = UR(l);
	unsigned i, n = r->ub_n;

	if (!n)
		return;
	r->ub_n = 0;
	pe__udp_recv(r->ub_u, r->ub_d, n);
	for (i = 0; i < n; i++)
		if (r->ub_bid[i] != UINT16_MAX)
			pe__ur_recycle(&r->udp, r->ub_bid[i]);
}

static void udp_maybe_dead(struct pe_udp *u)
{
	if (u->closing && !UU(u)->inflight) {
		close(u->fd);
		pe__udp_dead(u);
	}
}

void pe__ur_udp_recv_cqe(struct pe_udp *u, struct io_uring_cqe *cqe)
{
	struct pe_loop *l = u->loop;
	struct ur *r = UR(l);
	struct ur_udp *uu = UU(u);

	if (cqe->res >= 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		uint8_t *buf = r->udp.mem + (size_t)bid * r->udp.bsize;
		struct io_uring_recvmsg_out *o = NULL;

		if (!uu->plain_recv)
			o = io_uring_recvmsg_validate(buf, cqe->res, &uu->rtmpl);
		if (r->ub_n && (r->ub_u != u || r->ub_n == UR_UDP_BATCH))
			pe__ur_udp_batch_flush(l);
		if (u->closing || (!o && !uu->plain_recv)) {
			pe__ur_recycle(&r->udp, bid);
		} else if (uu->plain_recv) {
			unsigned k = r->ub_n++;
			size_t len = (size_t)cqe->res;

			/* the buffer also has room for the recvmsg header: cut as recvmsg would */
			r->ub_u = u;
			r->ub_d[k].data = buf;
			r->ub_d[k].len = len < l->o.buf_bytes ? len : l->o.buf_bytes;
			r->ub_d[k].peer = &uu->rpeer;
			r->ub_bid[k] = (uint16_t)bid;
		} else {
			unsigned k = r->ub_n++;
			struct pe_addr *a = &r->ub_a[k];

			r->ub_u = u;
			memset(a, 0, sizeof(*a));
			a->len = o->namelen < sizeof(a->ss) ? o->namelen : sizeof(a->ss);
			memcpy(&a->ss, io_uring_recvmsg_name(o), a->len);
			r->ub_d[k].data = io_uring_recvmsg_payload(o, &uu->rtmpl);
			r->ub_d[k].len = io_uring_recvmsg_payload_length(o, cqe->res, &uu->rtmpl);
			r->ub_d[k].peer = a;
			r->ub_bid[k] = (uint16_t)bid;
		}
	} else if (!cqe->res && uu->plain_recv && !u->closing) {
		/* A RECV that read an empty datagram takes no buffer (and ends the multishot). */
		static const uint8_t none[1];
		unsigned k;

		if (r->ub_n && (r->ub_u != u || r->ub_n == UR_UDP_BATCH))
			pe__ur_udp_batch_flush(l);
		k = r->ub_n++;
		r->ub_u = u;
		r->ub_d[k] = (struct pe_dgram){ none, 0, &uu->rpeer };
		r->ub_bid[k] = UINT16_MAX;
	} else if (cqe->res < 0 && cqe->res != -ENOBUFS && cqe->res != -ECANCELED) {
		pe__ur_udp_batch_flush(l);
		l->st.dgram_errors++;
		if (!u->closing && u->cbs->on_error)
			u->cbs->on_error(u, cqe->res);
	}
	if (cqe->flags & IORING_CQE_F_MORE)
		return;
	pe__ur_udp_batch_flush(l);
	if (cqe->res == -ENOBUFS)
		l->st.enobufs++;
	uu->inflight--;
	if (!u->closing)
		udp_arm(u);
	else
		udp_maybe_dead(u);
}

/* With nothing of this socket in flight, the queue goes out straight through sendmmsg (up to
 * UR_UDP_SEND_BATCH per call, no SQE or CQE per datagram); order is kept because SQEs are used
 * only once the socket is full (EAGAIN), and sync sends wait until they retire. */
#define UR_UDP_SEND_BATCH 64

static void udp_send_now(struct pe_udp *u)
{
	struct mmsghdr mm[UR_UDP_SEND_BATCH];

	while (u->count && !UU(u)->submitted && !u->closing) {
		unsigned n = pe__udp_mmsg(u, mm, UR_UDP_SEND_BATCH);
		int r = sendmmsg(u->fd, mm, n, MSG_DONTWAIT);

		u->loop->st.syscalls++;
		if (r > 0)
			pe__udp_sent(u, (unsigned)r, 0);
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			return; /* the rest goes as SQEs, which wait for room */
		else if (errno != EINTR)
			pe__udp_sent(u, 1, -errno); /* the first datagram failed: drop it, go on */
	}
}

/* Preps the SENDMSG (or SEND on a connected socket) of slot k; flags as for sendmsg(2). */
static struct io_uring_sqe *prep_send(struct pe_udp *u, unsigned k, int flags)
{
	struct ur_udp *uu = UU(u);
	struct pe_udp_slot *s = &u->slots[k];
	struct ur_udp_slot *us = &uu->us[k];
	struct io_uring_sqe *sqe = pe__ur_sqe(u->loop, &us->src);

	us->done = false;
	if (!s->has_peer || UR(u->loop)->has_zc) {
		/* A SEND with the address (kernels with SEND_ZC have it too) needs no msghdr
		 * copied in and checked per datagram, as an unconnected server's replies are. */
		io_uring_prep_send(sqe, u->fd, s->buf, s->len, flags);
		if (s->has_peer)
			io_uring_prep_send_set_addr(sqe, &s->peer.sa, (uint16_t)s->peer.len);
		return sqe;
	}
	s->iov.iov_base = s->buf;
	s->iov.iov_len = s->len;
	memset(&us->msg, 0, sizeof(us->msg));
	us->msg.msg_iov = &s->iov;
	us->msg.msg_iovlen = 1;
	us->msg.msg_name = &s->peer.ss;
	us->msg.msg_namelen = s->peer.len;
	io_uring_prep_sendmsg(sqe, u->fd, &us->msg, flags);
	return sqe;
}

/* Silent sends, as on TCP (loop_uring_tcp.c): a lone datagram goes with MSG_DONTWAIT and
 * IOSQE_CQE_SKIP_SUCCESS, so it finishes during the enter that submits it (a full socket fails
 * it with -EAGAIN instead of arming a poll) and posts a CQE only when it failed. After that
 * enter it went out: a request/response takes one io_uring_enter per message instead of an
 * enter plus a sendmmsg, or two enters (the send's completion ending the wait). The slot is
 * retired only then; one silent send per socket at a time, so a refused one resent by a plain
 * SENDMSG cannot be overtaken. */
static void silent_send(struct pe_udp *u)
{
	struct ur_udp *uu = UU(u);
	struct ur *r = UR(u->loop);
	struct io_uring_sqe *sqe = prep_send(u, u->head, MSG_DONTWAIT);

	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
	uu->submitted = 1;
	uu->inflight++;
	uu->silent = true;
	uu->silent_next = r->udp_silent;
	r->udp_silent = uu;
}

void pe__ur_udp_flush(struct pe_udp *u)
{
	struct ur_udp *uu = UU(u);

	if (uu->silent || u->closing)
		return; /* the rest goes once it settles */
	if (!uu->submitted && u->count == 1 && UR(u->loop)->has_skip) {
		silent_send(u);
		return;
	}
	if (!uu->submitted)
		udp_send_now(u);
	while (uu->submitted < u->count) {
		prep_send(u, (u->head + uu->submitted) % u->nslots, 0);
		uu->submitted++;
		uu->inflight++;
	}
}

bool pe__ur_udp_silent_urgent(struct pe_loop *l)
{
	struct ur_udp *uu;

	for (uu = UR(l)->udp_silent; uu; uu = uu->silent_next)
		if (uu->silent && (uu->u.count > 1 || uu->u.closing))
			return true;
	return false;
}

unsigned pe__ur_udp_silent_settle(struct pe_loop *l, struct ur_udp *list, bool settle)
{
	struct ur *r = UR(l);
	struct ur_udp *uu, *next;
	unsigned done = 0;

	for (uu = list; uu; uu = next) {
		struct pe_udp *u = &uu->u;

		next = uu->silent_next;
		if (!uu->silent)
			continue; /* failed: its CQE resent or retired it */
		if (!settle) {
			uu->silent_next = r->udp_silent;
			r->udp_silent = uu;
			continue;
		}
		uu->silent = false;
		uu->submitted = 0;
		uu->inflight--;
		l->st.silent_sends++;
		done++;
		pe__udp_sent(u, 1, 0);
		if (u->count)
			pe__ur_udp_flush(u);
		udp_maybe_dead(u);
	}
	return done;
}

void pe__ur_udp_send_cqe(struct ur_udp_slot *us, struct io_uring_cqe *cqe)
{
	struct ur_udp *uu = us->uu;
	struct pe_udp *u = &uu->u;

	/* A silent send posts a CQE only when it failed; a full socket: send it again plainly,
	 * which waits for room. */
	if (uu->silent) {
		uu->silent = false;
		if (cqe->res == -EAGAIN && !u->closing) {
			prep_send(u, u->head, 0);
			return;
		}
	}
	us->res = cqe->res;
	us->done = true;
	uu->inflight--;
	/* Completions can arrive out of order; retire the slots in order. */
	while (uu->submitted && uu->us[u->head].done) {
		struct ur_udp_slot *h = &uu->us[u->head];
		int res = h->res;

		h->done = false;
		uu->submitted--;
		pe__udp_sent(u, 1, res < 0 ? res : 0);
	}
	udp_maybe_dead(u);
}

void pe__ur_udp_close(struct pe_udp *u)
{
	if (UU(u)->inflight)
		pe__ur_cancel_fd(u->loop, u->fd);
	udp_maybe_dead(u);
}
