/* SPDX-License-Identifier: BSD-2-Clause */
/* The epoll backend: edge-triggered non-blocking sockets, one epoll_pwait2 per iteration,
 * recv(2) into the loop's buffer, sendmsg with an iovec over the whole send queue (send(2) when
 * it holds one buffer), sendfile(2) for files, recvmmsg/sendmmsg for UDP (send(2)/sendto(2) for
 * a lone datagram). A fair baseline for io_uring: no syscall that the readiness model does not
 * need. */
#include "engine/loop_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define EP_READS_PER_EVENT 8 /* then yield to other sockets; the rest next iteration */
#define EP_UDP_BATCH	   64
#define EP_IOV		   64
#define EP_TFD_HORIZON_NS  (86400ull * 365 * 1000000000) /* later deadlines: a timed wait */

struct ep {
	struct pe_loop l; /* first: the loop is allocated with room for this */
	uint8_t *rbuf;	  /* receive buffer, buf_bytes */
	int epfd;
	struct epoll_event *evs;
	struct pe_src wake_src;
	struct ep_conn *ready;
	bool udp_ready;
	/* A wait with a deadline sets this timerfd (absolute) only when it is not already due by
	 * then, and waits without a timeout: a timed epoll_wait arms a kernel timer every time,
	 * which on a VM costs an exit. One that fires early only wakes the loop once for nothing. */
	int tfd; /* -1: timed waits */
	struct pe_src tfd_src;
	uint64_t tfd_due; /* CLOCK_MONOTONIC ns it is set for; 0: not set */
};

/* A connection: readiness and the read-budget list. */
struct ep_conn {
	struct pe_conn c; /* first */
	struct pe_src src;
	struct ep_conn *rnext; /* read budget used up, read again next iteration */
	bool recv_armed, wblocked, rready, hup_seen;
};

/* A UDP socket: the recvmmsg batch. */
struct ep_udp {
	struct pe_udp u; /* first */
	bool wblocked, rready;
	bool out_armed; /* EPOLLOUT registered (after a send met a full socket) */
	uint8_t *rbuf;
	struct mmsghdr *rmsg;
	struct iovec *riov;
	struct pe_addr *raddr;
	struct pe_dgram *rd;
};

static struct ep *EP(struct pe_loop *l)
{
	return pe__container_of(l, struct ep, l);
}

static struct ep_conn *EC(struct pe_conn *c)
{
	return pe__container_of(c, struct ep_conn, c);
}

static struct ep_udp *EU(struct pe_udp *u)
{
	return pe__container_of(u, struct ep_udp, u);
}

static int ep_add(struct pe_loop *l, int fd, uint32_t events, struct pe_src *src)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	l->st.syscalls++;
	return epoll_ctl(EP(l)->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int ep_open(struct pe_loop *l, const char **why)
{
	struct ep *e = EP(l);
	int err;

	e->evs = calloc(l->o.max_events, sizeof(*e->evs));
	e->rbuf = malloc(l->o.buf_bytes);
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!e->evs || !e->rbuf || e->epfd < 0) {
		err = e->epfd < 0 ? -errno : -ENOMEM;
		goto fail;
	}
	e->wake_src = (struct pe_src){ PE_SRC_WAKE, l };
	err = ep_add(l, l->wake_fd, EPOLLIN, &e->wake_src);
	if (err)
		goto fail;
	e->tfd_src = (struct pe_src){ PE_SRC_TIMEOUT, l };
	e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (e->tfd >= 0 && ep_add(l, e->tfd, EPOLLIN, &e->tfd_src)) {
		close(e->tfd);
		e->tfd = -1;
	}
	return 0;
fail:
	*why = "epoll";
	if (e->epfd >= 0)
		close(e->epfd);
	free(e->evs);
	free(e->rbuf);
	e->evs = NULL;
	e->rbuf = NULL;
	return err;
}

static void ep_close(struct pe_loop *l)
{
	struct ep *e = EP(l);

	if (e->tfd >= 0)
		close(e->tfd);
	close(e->epfd);
	free(e->evs);
	free(e->rbuf);
}

/* ---- TCP ---- */

static void ready_push(struct ep_conn *ec)
{
	struct ep *e = EP(ec->c.loop);

	if (ec->rready)
		return;
	ec->rready = true;
	ec->rnext = e->ready;
	e->ready = ec;
}

static void ready_remove(struct ep_conn *ec)
{
	struct ep_conn **pp;

	if (!ec->rready)
		return;
	for (pp = &EP(ec->c.loop)->ready; *pp; pp = &(*pp)->rnext) {
		if (*pp == ec) {
			*pp = ec->rnext;
			break;
		}
	}
	ec->rready = false;
}

static void do_read(struct ep_conn *ec)
{
	struct pe_conn *c = &ec->c;
	struct ep *e = EP(c->loop);
	struct pe_loop *l = &e->l;
	size_t cap = l->o.buf_bytes;
	int i;

	for (i = 0; i < EP_READS_PER_EVENT; i++) {
		ssize_t n;

		if (c->state != PE_CONN_OPEN || c->paused || c->eof)
			return;
		n = recv(c->fd, e->rbuf, cap, 0);
		l->st.syscalls++;
		if (n > 0) {
			pe__conn_recv(c, e->rbuf, (size_t)n);
			/* A short read drained the socket; a later arrival is a new edge. After a
			 * HUP the FIN gives no further edge, so read on until 0. */
			if ((size_t)n < cap && !ec->hup_seen)
				return;
			continue;
		}
		if (n == 0) {
			pe__conn_eof(c);
			return;
		}
		if (errno == EAGAIN)
			return;
		if (errno == EINTR)
			continue;
		pe__conn_error(c, -errno);
		return;
	}
	ready_push(ec);
}

static void ep_flush(struct pe_conn *c)
{
	struct pe_loop *l = c->loop;
	struct ep_conn *ec = EC(c);

	while (c->state == PE_CONN_OPEN && c->sq_head && !ec->wblocked) {
		struct pe_sq_item *it = c->sq_head;
		ssize_t r;

		if (it->kind == PE_SQ_FILE) {
			off_t off = (off_t)(it->file_off + it->off);
			size_t want = it->len - it->off;

			if (want > 0x7ffff000)
				want = 0x7ffff000;
			r = sendfile(c->fd, it->file_fd, &off, want);
			l->st.syscalls++;
			if (r > 0) {
				pe__conn_consumed(c, (size_t)r);
				continue;
			}
			if (r == 0) {
				pe__conn_file_failed(c, -ENODATA);
				return;
			}
			if (errno == EAGAIN) {
				ec->wblocked = true;
				return;
			}
			if (errno == EINTR)
				continue;
			/* A socket error ends the connection; a file error also fails the item. */
			if (errno == EPIPE || errno == ECONNRESET)
				pe__conn_error(c, -errno);
			else
				pe__conn_file_failed(c, -errno);
			return;
		} else {
			struct iovec iov[EP_IOV];
			struct msghdr m = { .msg_iov = iov };
			size_t total = 0;

			for (; it && it->kind != PE_SQ_FILE && m.msg_iovlen < EP_IOV;
			     it = it->next) {
				iov[m.msg_iovlen].iov_base = (void *)(it->ptr + it->off);
				iov[m.msg_iovlen].iov_len = it->len - it->off;
				total += it->len - it->off;
				m.msg_iovlen++;
			}
			/* one buffer (a ping-pong's message): send(2) skips the msghdr copy-in */
			if (m.msg_iovlen == 1)
				r = send(c->fd, iov[0].iov_base, iov[0].iov_len,
					 MSG_NOSIGNAL | MSG_DONTWAIT);
			else
				r = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
			l->st.syscalls++;
			if (r >= 0) {
				pe__conn_consumed(c, (size_t)r);
				if ((size_t)r < total) {
					ec->wblocked = true;
					return;
				}
				continue;
			}
			if (errno == EAGAIN) {
				ec->wblocked = true;
				return;
			}
			if (errno == EINTR)
				continue;
			pe__conn_error(c, -errno);
			return;
		}
	}
}

static void ep_conn_init(struct pe_conn *c)
{
	EC(c)->src = (struct pe_src){ PE_SRC_CONN, c };
}

static int ep_conn_start(struct pe_conn *c)
{
	struct ep_conn *ec = EC(c);

	if (ec->recv_armed)
		return 0;
	ec->recv_armed = true;
	return ep_add(c->loop, c->fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &ec->src);
}

static int ep_conn_connect(struct pe_conn *c, const struct pe_addr *to)
{
	c->loop->st.syscalls++;
	if (connect(c->fd, &to->sa, to->len) && errno != EINPROGRESS)
		return -errno;
	/* Writability (edge at registration) reports the outcome, also for an instant connect. */
	return ep_conn_start(c);
}

static void ep_conn_event(struct pe_conn *c, uint32_t ev)
{
	struct ep_conn *ec = EC(c);

	if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		ec->hup_seen = true;
	if (c->state == PE_CONN_CONNECTING) {
		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		pe__conn_opened(c, pe_sock_error(c->fd));
		if (c->state != PE_CONN_OPEN)
			return;
	}
	if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
		ec->wblocked = false;
		ep_flush(c);
	}
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		do_read(ec);
}

static void ep_conn_close(struct pe_conn *c)
{
	ready_remove(EC(c));
	if (c->released)
		epoll_ctl(EP(c->loop)->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd); /* also leaves the epoll set, unless a duplicate lives on */
	c->fd_closed = true;
	pe__conn_dead(c);
}

static void ep_conn_pause(struct pe_conn *c, bool pause)
{
	if (!pause)
		ready_push(EC(c)); /* the socket may hold bytes whose edge came while paused */
}

/* ---- listeners ---- */

static int ep_listen_start(struct pe_listener *ls)
{
	return ep_add(ls->loop, ls->fd, EPOLLIN | EPOLLET, &ls->src);
}

static void ep_listen_event(struct pe_listener *ls)
{
	pe__listener_ref(ls);
	while (!ls->closing) {
		int fd = accept4(ls->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		ls->loop->st.syscalls++;
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break; /* EAGAIN, or EMFILE: the next connection retries */
		}
		pe__conn_accepted(ls, fd);
	}
	pe__listener_unref(ls);
}

static void ep_listen_close(struct pe_listener *ls)
{
	close(ls->fd);
	pe__listener_unref(ls);
}

/* ---- UDP ---- */

static int ep_udp_start(struct pe_udp *u)
{
	struct ep_udp *eu = EU(u);
	size_t bb = u->loop->o.buf_bytes;
	unsigned i;

	eu->rbuf = malloc(EP_UDP_BATCH * bb);
	eu->rmsg = calloc(EP_UDP_BATCH, sizeof(*eu->rmsg));
	eu->riov = calloc(EP_UDP_BATCH, sizeof(*eu->riov));
	eu->raddr = calloc(EP_UDP_BATCH, sizeof(*eu->raddr));
	eu->rd = calloc(EP_UDP_BATCH, sizeof(*eu->rd));
	if (!eu->rbuf || !eu->rmsg || !eu->riov || !eu->raddr || !eu->rd)
		return -ENOMEM;
	/* recvmmsg writes back only msg_len, msg_namelen, msg_flags and (0, no control)
	 * msg_controllen: the read resets the name lengths it used, nothing else. */
	for (i = 0; i < EP_UDP_BATCH; i++) {
		struct msghdr *m = &eu->rmsg[i].msg_hdr;

		eu->riov[i].iov_base = eu->rbuf + i * bb;
		eu->riov[i].iov_len = bb;
		m->msg_name = &eu->raddr[i].ss;
		m->msg_namelen = sizeof(eu->raddr[i].ss);
		m->msg_iov = &eu->riov[i];
		m->msg_iovlen = 1;
	}
	/* Readable only: a UDP socket signals write space each time a sent datagram is freed,
	 * so EPOLLOUT would end one wait per send for nothing. It is armed when a send meets a
	 * full socket. */
	return ep_add(u->loop, u->fd, EPOLLIN | EPOLLET, &u->src);
}

/* Arms or drops EPOLLOUT; a failed change leaves it as it was (armed: spurious wakeups;
 * unarmed: the queue waits for the next send or read to flush it). */
static void ep_udp_want_out(struct pe_udp *u, bool on)
{
	struct ep_udp *eu = EU(u);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET | (on ? EPOLLOUT : 0),
				  .data.ptr = &u->src };

	if (eu->out_armed == on)
		return;
	u->loop->st.syscalls++;
	if (!epoll_ctl(EP(u->loop)->epfd, EPOLL_CTL_MOD, u->fd, &ev))
		eu->out_armed = on;
}

static void ep_udp_free(struct pe_udp *u)
{
	struct ep_udp *eu = EU(u);

	free(eu->rbuf);
	free(eu->rmsg);
	free(eu->riov);
	free(eu->raddr);
	free(eu->rd);
}

static void ep_udp_read(struct pe_udp *u)
{
	struct ep_udp *eu = EU(u);
	int rounds;

	eu->rready = false;
	for (rounds = 0; rounds < 16 && !u->closing; rounds++) {
		int r, i;

		r = recvmmsg(u->fd, eu->rmsg, EP_UDP_BATCH, MSG_DONTWAIT, NULL);
		u->loop->st.syscalls++;
		if (r < 0) {
			if (errno == EAGAIN)
				return;
			if (errno == EINTR)
				continue;
			u->loop->st.dgram_errors++;
			if (u->cbs->on_error)
				u->cbs->on_error(u, -errno);
			continue; /* e.g. ECONNREFUSED from an ICMP error: the socket is fine */
		}
		for (i = 0; i < r; i++) {
			eu->raddr[i].len = eu->rmsg[i].msg_hdr.msg_namelen;
			eu->rmsg[i].msg_hdr.msg_namelen = sizeof(eu->raddr[i].ss);
			eu->rd[i].data = eu->riov[i].iov_base;
			eu->rd[i].len = eu->rmsg[i].msg_len;
			eu->rd[i].peer = &eu->raddr[i];
		}
		if (r)
			pe__udp_recv(u, eu->rd, (unsigned)r);
		if (r < EP_UDP_BATCH)
			return;
	}
	eu->rready = true;
	EP(u->loop)->udp_ready = true;
}

/* One datagram (a request/response's message) goes by send(2) or sendto(2), which skip
 * sendmmsg's header copy-in; more go by sendmmsg, up to EP_UDP_BATCH a call. */
static int ep_udp_send1(struct pe_udp *u)
{
	struct pe_udp_slot *s = &u->slots[u->head];

	if (s->has_peer)
		return (int)sendto(u->fd, s->buf, s->len, MSG_DONTWAIT, &s->peer.sa, s->peer.len);
	return (int)send(u->fd, s->buf, s->len, MSG_DONTWAIT);
}

static void ep_udp_flush(struct pe_udp *u)
{
	struct ep_udp *eu = EU(u);
	struct mmsghdr mm[EP_UDP_BATCH];

	while (u->count && !eu->wblocked && !u->closing) {
		int r;

		if (u->count == 1) {
			r = ep_udp_send1(u) >= 0 ? 1 : -1;
		} else {
			unsigned n = pe__udp_mmsg(u, mm, EP_UDP_BATCH);

			r = sendmmsg(u->fd, mm, n, MSG_DONTWAIT);
		}
		u->loop->st.syscalls++;
		if (r > 0) {
			pe__udp_sent(u, (unsigned)r, 0);
		} else if (errno == EAGAIN) {
			eu->wblocked = true;
			ep_udp_want_out(u, true);
		} else if (errno != EINTR) {
			pe__udp_sent(u, 1, -errno); /* the first datagram failed: drop it, go on */
		}
	}
}

static void ep_udp_close(struct pe_udp *u)
{
	close(u->fd);
	pe__udp_dead(u);
}

/* ---- wait ---- */

static int ep_wait(struct pe_loop *l, uint64_t timeout_ns)
{
	struct ep *e = EP(l);
	struct timespec ts, *tsp = NULL;
	struct ep_conn *c, *next;
	int n, i, ntmo = 0;

	if (e->ready || e->udp_ready)
		timeout_ns = 0;
	if (timeout_ns && timeout_ns < EP_TFD_HORIZON_NS && e->tfd >= 0) {
		/* now_ns: stamped by pe_loop_run_once() or the last wait, no clock read here */
		uint64_t due = l->now_ns + timeout_ns;

		if (!e->tfd_due || e->tfd_due > due) {
			struct itimerspec its = {
				.it_value = { .tv_sec = (time_t)(due / 1000000000ull),
					      .tv_nsec = (long)(due % 1000000000ull) }
			};

			l->st.syscalls++;
			e->tfd_due =
				timerfd_settime(e->tfd, TFD_TIMER_ABSTIME, &its, NULL) ? 0 : due;
		}
		if (e->tfd_due)
			timeout_ns = UINT64_MAX;
	}
	if (timeout_ns != UINT64_MAX) {
		ts.tv_sec = (time_t)(timeout_ns / 1000000000ull);
		ts.tv_nsec = (long)(timeout_ns % 1000000000ull);
		tsp = &ts;
	}
	n = epoll_pwait2(e->epfd, e->evs, (int)l->o.max_events, tsp, NULL);
	l->st.syscalls++;
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	l->now_ns = pe_now_ns();
	for (i = 0; i < n; i++) {
		struct pe_src *s = e->evs[i].data.ptr;
		uint32_t ev = e->evs[i].events;

		switch (s->kind) {
		case PE_SRC_WAKE: {
			uint64_t v;
			ssize_t r = read(l->wake_fd, &v, sizeof(v));

			(void)r;
			break;
		}
		case PE_SRC_TIMEOUT: { /* the timers are the caller's events, not this */
			uint64_t v;
			ssize_t r = read(e->tfd, &v, sizeof(v));

			(void)r;
			e->tfd_due = 0;
			ntmo++;
			break;
		}
		case PE_SRC_LISTEN:
			ep_listen_event(s->owner);
			break;
		case PE_SRC_CONN:
			ep_conn_event(s->owner, ev);
			break;
		case PE_SRC_UDP: {
			struct pe_udp *u = s->owner;

			if (ev & (EPOLLOUT | EPOLLERR)) {
				EU(u)->wblocked = false;
				/* write space with nothing waiting: stop listening for it */
				if (!u->count && (ev & EPOLLOUT))
					ep_udp_want_out(u, false);
				ep_udp_flush(u);
			}
			if (ev & (EPOLLIN | EPOLLERR))
				ep_udp_read(u);
			break;
		}
		default:
			break;
		}
	}
	/* Connections that used their read budget; pause/close remove themselves. */
	c = e->ready;
	e->ready = NULL;
	for (; c; c = next) {
		next = c->rnext;
		c->rready = false;
		do_read(c);
	}
	if (e->udp_ready) {
		struct pe_udp *u;

		e->udp_ready = false;
		for (u = l->udps; u; u = u->next_all)
			if (EU(u)->rready && !u->closing)
				ep_udp_read(u);
	}
	return n - ntmo;
}

const struct pe_backend_ops pe_backend_epoll = {
	.name = "epoll",
	.loop_size = sizeof(struct ep),
	.conn_size = sizeof(struct ep_conn),
	.udp_size = sizeof(struct ep_udp),
	.open = ep_open,
	.close = ep_close,
	.wait = ep_wait,
	.conn_init = ep_conn_init,
	.conn_start = ep_conn_start,
	.conn_connect = ep_conn_connect,
	.conn_flush = ep_flush,
	.conn_close = ep_conn_close,
	.conn_pause = ep_conn_pause,
	.listen_start = ep_listen_start,
	.listen_close = ep_listen_close,
	.udp_start = ep_udp_start,
	.udp_flush = ep_udp_flush,
	.udp_close = ep_udp_close,
	.udp_free = ep_udp_free,
};
