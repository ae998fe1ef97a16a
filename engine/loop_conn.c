/* SPDX-License-Identifier: BSD-2-Clause */
/* Connections, backend-independent: creation (accepted or connecting), the idle and connect
 * timeouts, the close sequence (the backend tears down, then pe__conn_dead() queues the final
 * on_close and free) and the accessors. The data path is in loop_conn_io.c. */
#include "engine/loop_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- life cycle ---- */

static void idle_fire(struct pe_loop *l, struct pe_timer *t)
{
	struct pe_conn *c = t->data;
	uint64_t idle = l->now_ns - c->st.t_last_ns;

	if (idle >= c->idle_ns) {
		l->st.idle_timeouts++;
		pe_conn_close(c, -ETIMEDOUT, false);
	} else {
		pe_timer_arm(l, t, c->idle_ns - idle);
	}
}

static void connect_fire(struct pe_loop *l, struct pe_timer *t)
{
	struct pe_conn *c = t->data;

	if (c->state == PE_CONN_CONNECTING)
		pe_conn_close(c, -ETIMEDOUT, false);
}

static struct pe_conn *conn_new(struct pe_loop *l, int fd, const struct pe_conn_opts *o)
{
	struct pe_conn *c = calloc(1, l->ops->conn_size);

	if (!c)
		return NULL;
	c->loop = l;
	c->fd = fd;
	c->cbs = o->cbs;
	c->data = o->data;
	c->sndq_max = o->sndq_max_bytes ? o->sndq_max_bytes : 4u << 20;
	c->sndq_low = o->sndq_low_bytes ? o->sndq_low_bytes : c->sndq_max / 2;
	if (c->sndq_low > c->sndq_max)
		c->sndq_low = c->sndq_max;
	c->idle_ns = o->idle_timeout_ms * 1000000ull;
	pe_timer_init(&c->idle_timer, idle_fire, c);
	pe_timer_init(&c->connect_timer, connect_fire, c);
	l->ops->conn_init(c);
	c->next_all = l->all;
	if (l->all)
		l->all->prev_all = c;
	l->all = c;
	l->nconns++;
	if (o->nodelay)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	if (o->sndbuf_bytes > 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o->sndbuf_bytes, sizeof(int));
	if (o->rcvbuf_bytes > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf_bytes, sizeof(int));
	return c;
}

static void conn_open(struct pe_conn *c)
{
	struct pe_loop *l = c->loop;
	int err;

	c->state = PE_CONN_OPEN;
	c->st.t_open_ns = pe_now_ns();
	c->st.t_last_ns = l->now_ns;
	if (c->idle_ns)
		pe_timer_arm(l, &c->idle_timer, c->idle_ns);
	err = l->ops->conn_start(c);
	if (err) {
		pe_conn_close(c, err, false);
		return;
	}
	if (c->cbs->on_open)
		c->cbs->on_open(c);
}

struct pe_conn *pe__conn_accepted(struct pe_listener *ls, int fd)
{
	struct pe_conn *c;

	if (ls->on_accept) {
		ls->loop->st.accepted++;
		ls->on_accept(ls, fd);
		return NULL;
	}
	c = conn_new(ls->loop, fd, &ls->conn);
	if (!c) {
		close(fd);
		return NULL;
	}
	c->ls = ls;
	pe__listener_ref(ls);
	ls->loop->st.accepted++;
	conn_open(c);
	return c;
}

void pe__conn_opened(struct pe_conn *c, int err)
{
	pe_timer_disarm(c->loop, &c->connect_timer);
	if (c->state != PE_CONN_CONNECTING)
		return;
	if (err) {
		pe_conn_close(c, err, false);
		return;
	}
	c->loop->st.connected++;
	conn_open(c);
}

int pe_connect(struct pe_loop *l, const struct pe_addr *to, const struct pe_conn_opts *o,
	       struct pe_conn **out)
{
	struct pe_sock_opts so = { .sz = sizeof(so) };
	struct pe_conn_opts co = { 0 };
	struct pe_conn *c;
	int fd, err;

	if (!o || !PE_OPTS_HAS(o, struct pe_conn_opts, cbs) || !o->cbs || !to)
		return -EINVAL;
	memcpy(&co, o, o->sz < sizeof(co) ? o->sz : sizeof(co));
	so.bind = co.bind;
	fd = socket(to->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a fixed local port (--cport) may still have connections of an earlier run in
	 * TIME_WAIT, which SO_REUSEADDR lets it reuse */
	if (so.bind && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) ||
			bind(fd, &so.bind->sa, so.bind->len))) {
		err = -errno;
		close(fd);
		return err;
	}
	c = conn_new(l, fd, &co);
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->peer = *to;
	c->state = PE_CONN_CONNECTING;
	if (co.connect_timeout_ms)
		pe_timer_arm(l, &c->connect_timer, co.connect_timeout_ms * 1000000ull);
	err = l->ops->conn_connect(c, to);
	if (err)
		pe_conn_close(c, err, false); /* reported through on_close, as documented */
	*out = c;
	return 0;
}

void pe__item_free(struct pe_conn *c, struct pe_sq_item *it, int err)
{
	if (it->kind != PE_SQ_COPY && it->done)
		it->done(c, it->arg, err);
	/* Keep one chunk: a ping-pong conversation then sends without malloc/free. */
	if (it->kind == PE_SQ_COPY && it->cap == PE_COPY_CHUNK && !c->spare &&
	    c->state != PE_CONN_DEAD) {
		c->spare = it;
		return;
	}
	free(it);
}

void pe__conn_finalize(struct pe_conn *c)
{
	struct pe_loop *l = c->loop;
	struct pe_sq_item *it;
	int err = c->close_err;

	c->state = PE_CONN_DEAD;
	if (c->ls)
		pe__listener_unref(c->ls);
	while ((it = c->sq_head)) {
		c->sq_head = it->next;
		pe__item_free(c, it, it->err ? it->err : -ECANCELED);
	}
	while ((it = c->zc_wait)) {
		c->zc_wait = it->next;
		pe__item_free(c, it, -ECANCELED);
	}
	if (!c->fd_closed)
		close(c->fd);
	l->st.closed++;
	if (c->st.t_open_ns == 0)
		l->st.connect_failed++;
	if (err == -ECONNRESET || err == -EPIPE)
		l->st.resets++;
	if (c->cbs->on_close)
		c->cbs->on_close(c, err);
	if (c->prev_all)
		c->prev_all->next_all = c->next_all;
	else
		l->all = c->next_all;
	if (c->next_all)
		c->next_all->prev_all = c->prev_all;
	l->nconns--;
	free(c->held);
	free(c->spare);
	free(c);
}

void pe__conn_dead(struct pe_conn *c)
{
	pe__list_push(&c->loop->dead_head, &c->dead, c);
}

void pe_conn_close(struct pe_conn *c, int err, bool reset)
{
	struct pe_loop *l = c->loop;

	if (c->state == PE_CONN_CLOSING || c->state == PE_CONN_DEAD)
		return;
	c->state = PE_CONN_CLOSING;
	c->close_err = err;
	pe_timer_disarm(l, &c->idle_timer);
	pe_timer_disarm(l, &c->connect_timer);
	if (err == -EPROTO || err == -EMSGSIZE)
		l->st.proto_errors++;
	if (reset) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	l->ops->conn_close(c);
}

int pe_conn_release(struct pe_conn *c)
{
	int fd;

	if (c->state != PE_CONN_OPEN)
		return -ENOTCONN;
	fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	c->released = true;
	pe_conn_close(c, 0, false);
	return fd;
}

void pe__conn_error(struct pe_conn *c, int err)
{
	pe_conn_close(c, err, false);
}

void pe__conn_file_failed(struct pe_conn *c, int err)
{
	struct pe_sq_item *it = c->sq_head;

	c->loop->st.file_errors++;
	if (it && it->kind == PE_SQ_FILE) {
		c->sq_head = it->next;
		if (!c->sq_head)
			c->sq_tail = NULL;
		pe__item_free(c, it, err);
	}
	/* Reset, not FIN: the peer must not take the short stream for a complete one. */
	pe_conn_close(c, err, true);
}

/* ---- accessors ---- */

void pe_conn_set_cbs(struct pe_conn *c, const struct pe_conn_cbs *cbs)
{
	c->cbs = cbs;
}
void pe_conn_set_data(struct pe_conn *c, void *data)
{
	c->data = data;
}
void *pe_conn_data(const struct pe_conn *c)
{
	return c->data;
}
struct pe_loop *pe_conn_loop(const struct pe_conn *c)
{
	return c->loop;
}
struct pe_listener *pe_conn_listener(const struct pe_conn *c)
{
	return c->ls;
}
int pe_conn_fd(const struct pe_conn *c)
{
	return c->fd;
}
int pe_conn_peer(const struct pe_conn *c, struct pe_addr *out)
{
	if (c->peer.len) {
		*out = c->peer;
		return 0;
	}
	return pe_sock_peer(c->fd, out);
}
int pe_conn_set_idle_timeout(struct pe_conn *c, uint64_t idle_timeout_ms)
{
	c->idle_ns = idle_timeout_ms * 1000000ull;
	if (!c->idle_ns)
		pe_timer_disarm(c->loop, &c->idle_timer);
	else if (c->state == PE_CONN_OPEN)
		return pe_timer_arm(c->loop, &c->idle_timer, c->idle_ns);
	return 0;
}
const struct pe_conn_stats *pe_conn_stats(const struct pe_conn *c)
{
	return &c->st;
}
