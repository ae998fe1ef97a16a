/* SPDX-License-Identifier: BSD-2-Clause */
/* Listeners and UDP sockets, backend-independent: creation through engine/addr.h, the UDP send
 * queue (a ring of datagram slots) and reference-counted teardown. */
#include "engine/loop_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- listeners ---- */

void pe__listener_ref(struct pe_listener *ls)
{
	ls->refs++;
}

void pe__listener_unref(struct pe_listener *ls)
{
	struct pe_loop *l = ls->loop;

	if (--ls->refs)
		return;
	if (ls->prev)
		ls->prev->next = ls->next;
	else if (l->listeners == ls)
		l->listeners = ls->next;
	if (ls->next)
		ls->next->prev = ls->prev;
	free(ls);
}

int pe_listen_fd(struct pe_loop *l, int fd, const struct pe_listen_opts *o,
		 struct pe_listener **out)
{
	struct pe_listener *ls;
	void (*on_accept)(struct pe_listener *, int) = NULL;
	int err;

	if (o && PE_OPTS_HAS(o, struct pe_listen_opts, on_accept))
		on_accept = o->on_accept;
	if (!o || fd < 0 ||
	    (!on_accept &&
	     (!o->conn || !PE_OPTS_HAS(o->conn, struct pe_conn_opts, cbs) || !o->conn->cbs)))
		return -EINVAL;
	ls = calloc(1, sizeof(*ls));
	if (!ls)
		return -ENOMEM;
	ls->loop = l;
	ls->fd = fd;
	if (o->conn)
		memcpy(&ls->conn, o->conn,
		       o->conn->sz < sizeof(ls->conn) ? o->conn->sz : sizeof(ls->conn));
	ls->conn.bind = NULL;
	ls->data = o->sz > offsetof(struct pe_listen_opts, data) ? o->data : NULL;
	ls->on_accept = on_accept;
	ls->src = (struct pe_src){ PE_SRC_LISTEN, ls };
	ls->refs = 1;
	err = l->ops->listen_start(ls);
	if (err) {
		free(ls);
		return err;
	}
	ls->next = l->listeners;
	if (l->listeners)
		l->listeners->prev = ls;
	l->listeners = ls;
	*out = ls;
	return 0;
}

int pe_listen(struct pe_loop *l, const struct pe_addr *addr, const struct pe_listen_opts *o,
	      struct pe_listener **out)
{
	struct pe_sock_opts so = { .sz = sizeof(so) };
	int fd, err;

	if (!o || !addr)
		return -EINVAL;
	so.backlog = o->backlog;
	so.reuseport = o->reuseport;
	so.v6only = o->v6only;
	/* On the listener, before listen(): accepted sockets inherit the buffer sizes, and the
	 * window scale offered in the SYN-ACK already follows the receive buffer. */
	if (o->conn) {
		so.sndbuf_bytes = o->conn->sndbuf_bytes;
		so.rcvbuf_bytes = o->conn->rcvbuf_bytes;
	}
	fd = pe_sock_listen(addr, &so);
	if (fd < 0)
		return fd;
	err = pe_listen_fd(l, fd, o, out);
	if (err)
		close(fd);
	return err;
}

void pe_listener_close(struct pe_listener *ls)
{
	if (ls->closing)
		return;
	ls->closing = true;
	ls->loop->ops->listen_close(ls); /* closes the fd, then drops the open reference */
}

int pe_listener_addr(const struct pe_listener *ls, struct pe_addr *out)
{
	return pe_sock_local(ls->fd, out);
}

int pe_listener_fd(const struct pe_listener *ls)
{
	return ls->fd;
}

void *pe_listener_data(const struct pe_listener *ls)
{
	return ls->data;
}

/* ---- UDP ---- */

static void udp_mark_dirty(struct pe_udp *u)
{
	if (u->dirty)
		return;
	u->dirty = true;
	u->next_dirty = u->loop->udp_dirty;
	u->loop->udp_dirty = u;
}

int pe_udp_open(struct pe_loop *l, const struct pe_addr *local, const struct pe_udp_opts *o,
		struct pe_udp **out)
{
	struct pe_sock_opts so = { .sz = sizeof(so) };
	struct pe_udp_opts uo = { 0 };
	struct pe_addr any;
	struct pe_udp *u;
	int err;

	if (!o || !PE_OPTS_HAS(o, struct pe_udp_opts, cbs) || !o->cbs)
		return -EINVAL;
	memcpy(&uo, o, o->sz < sizeof(uo) ? o->sz : sizeof(uo));
	if (!local) {
		err = pe_addr_any(&any, uo.peer ? uo.peer->sa.sa_family : AF_UNSPEC, 0);
		if (err)
			return err;
		local = &any;
	}
	u = calloc(1, l->ops->udp_size);
	if (!u)
		return -ENOMEM;
	u->loop = l;
	u->cbs = uo.cbs;
	u->data = uo.data;
	u->src = (struct pe_src){ PE_SRC_UDP, u };
	u->nslots = uo.sendq_max ? uo.sendq_max : 1024;
	u->slots = calloc(u->nslots, sizeof(*u->slots));
	if (!u->slots) {
		free(u);
		return -ENOMEM;
	}
	so.reuseport = uo.reuseport;
	so.v6only = uo.v6only;
	so.sndbuf_bytes = uo.sndbuf_bytes;
	so.rcvbuf_bytes = uo.rcvbuf_bytes;
	u->fd = pe_sock_udp(local, &so);
	if (u->fd < 0) {
		err = u->fd;
		goto fail;
	}
	{
		struct pe_addr me;

		u->family = pe_sock_local(u->fd, &me) ? local->sa.sa_family : me.sa.sa_family;
	}
	if (uo.peer) {
		if (connect(u->fd, &uo.peer->sa, uo.peer->len)) {
			err = -errno;
			close(u->fd);
			goto fail;
		}
		u->connected = true;
	}
	err = l->ops->udp_start(u);
	if (err) {
		close(u->fd);
		l->ops->udp_free(u);
		goto fail;
	}
	u->next_all = l->udps;
	if (l->udps)
		l->udps->prev = u;
	l->udps = u;
	*out = u;
	return 0;
fail:
	free(u->slots);
	free(u);
	return err;
}

int pe_udp_send(struct pe_udp *u, const struct pe_dgram *d, unsigned n)
{
	size_t max = u->family == AF_INET6 ? 65527 : 65507;
	unsigned i;

	if (u->closing)
		return -EPIPE;
	for (i = 0; i < n; i++) {
		struct pe_udp_slot *s;

		if (u->count == u->nslots) {
			u->want_writable = true;
			break;
		}
		if (d[i].len > max)
			return i ? (int)i : -EMSGSIZE;
		if (!d[i].peer && !u->connected)
			return i ? (int)i : -EDESTADDRREQ;
		s = &u->slots[(u->head + u->count) % u->nslots];
		if (d[i].len > s->cap) {
			size_t cap = d[i].len < 2048 ? 2048 : d[i].len;
			uint8_t *nb = realloc(s->buf, cap);

			if (!nb)
				return i ? (int)i : -ENOMEM;
			s->buf = nb;
			s->cap = cap;
		}
		if (d[i].len)
			memcpy(s->buf, d[i].data, d[i].len);
		s->len = d[i].len;
		s->has_peer = d[i].peer != NULL;
		if (s->has_peer)
			s->peer = *d[i].peer;
		u->count++;
	}
	if (i)
		udp_mark_dirty(u);
	return i ? (int)i : -EAGAIN;
}

void pe__udp_recv(struct pe_udp *u, const struct pe_dgram *d, unsigned n)
{
	unsigned i;

	u->loop->st.dgrams_in += n;
	for (i = 0; i < n; i++)
		u->loop->st.dgram_bytes_in += d[i].len;
	if (!u->closing && u->cbs->on_recv)
		u->cbs->on_recv(u, d, n);
}

unsigned pe__udp_mmsg(struct pe_udp *u, struct mmsghdr *mm, unsigned max)
{
	unsigned n = u->count < max ? u->count : max, i;

	for (i = 0; i < n; i++) {
		struct pe_udp_slot *s = &u->slots[(u->head + i) % u->nslots];

		s->iov.iov_base = s->buf;
		s->iov.iov_len = s->len;
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &s->iov;
		mm[i].msg_hdr.msg_iovlen = 1;
		if (s->has_peer) {
			mm[i].msg_hdr.msg_name = &s->peer.ss;
			mm[i].msg_hdr.msg_namelen = s->peer.len;
		}
	}
	return n;
}

void pe__udp_sent(struct pe_udp *u, unsigned n, int err)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		u->loop->st.dgram_bytes_out += u->slots[(u->head + i) % u->nslots].len;
	}
	u->head = (u->head + n) % u->nslots;
	u->count -= n;
	if (err) {
		u->loop->st.dgram_errors++;
		if (!u->closing && u->cbs->on_error)
			u->cbs->on_error(u, err);
	} else {
		u->loop->st.dgrams_out += n;
	}
	if (!u->closing && u->want_writable && u->count <= u->nslots / 2) {
		u->want_writable = false;
		if (u->cbs->on_writable)
			u->cbs->on_writable(u);
	}
}

void pe_udp_close(struct pe_udp *u)
{
	if (u->closing)
		return;
	u->closing = true;
	u->loop->ops->udp_close(u);
}

void pe__udp_dead(struct pe_udp *u)
{
	u->dead = true;
	udp_mark_dirty(u);
}

static void udp_free(struct pe_udp *u)
{
	struct pe_loop *l = u->loop;
	unsigned i;

	if (u->prev)
		u->prev->next_all = u->next_all;
	else if (l->udps == u)
		l->udps = u->next_all;
	if (u->next_all)
		u->next_all->prev = u->prev;
	for (i = 0; i < u->nslots; i++)
		free(u->slots[i].buf);
	l->ops->udp_free(u);
	free(u->slots);
	free(u);
}

int pe_udp_fd(const struct pe_udp *u)
{
	return u->fd;
}
int pe_udp_local(const struct pe_udp *u, struct pe_addr *out)
{
	return pe_sock_local(u->fd, out);
}
void pe_udp_set_data(struct pe_udp *u, void *data)
{
	u->data = data;
}
void *pe_udp_data(const struct pe_udp *u)
{
	return u->data;
}

/* Frees the sockets the backend is done with and flushes those with new sends. */
void pe__udp_process(struct pe_loop *l)
{
	struct pe_udp *u = l->udp_dirty, *next;

	l->udp_dirty = NULL;
	for (; u; u = next) {
		next = u->next_dirty;
		u->dirty = false;
		if (u->dead)
			udp_free(u);
		else if (!u->closing)
			l->ops->udp_flush(u);
	}
}
