/* Connections, listeners and UDP sockets, backend-independent: the send queue and its bound,
 * the writable/idle/connect-timeout logic, graceful shutdown and the close sequence (the
 * backend tears down, then pe__conn_dead() queues the final on_close and free). */
#include "engine/loop_int.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PE_COPY_CHUNK 16384 /* copy sends coalesce into chunks this big (one kept spare) */

/* ---- work lists ---- */

static void list_push(struct pe_conn **head, struct pe_link *lk, struct pe_conn *c)
{
	if (lk->on)
		return;
	lk->on = true;
	lk->next = *head;
	*head = c;
}

static void mark_dirty(struct pe_conn *c)
{
	list_push(&c->loop->dirty_head, &c->dirty, c);
}

static void mark_pending(struct pe_conn *c)
{
	list_push(&c->loop->writable_head, &c->writable, c);
}

static void finalize(struct pe_conn *c);
void pe__udp_free(struct pe_udp *u);

/* Runs deferred work: held data after a resume, writable callbacks, finished closes, and the
 * flush of every connection and UDP socket with new sends (so one submit carries them all). */
void pe__loop_process(struct pe_loop *l)
{
	struct pe_conn *c, *next;
	struct pe_udp *u, *un;

	c = l->writable_head;
	l->writable_head = NULL;
	for (; c; c = next) {
		next = c->writable.next;
		c->writable.on = false;
		if (c->state != PE_CONN_OPEN)
			continue;
		if (c->held_len && !c->paused) {
			size_t n = c->held_len;

			c->held_len = 0;
			if (c->cbs->on_data)
				c->cbs->on_data(c, c->held, n);
			if (c->state != PE_CONN_OPEN)
				continue;
		}
		if (c->eof_pending && !c->paused && !c->held_len) {
			c->eof_pending = false;
			pe__conn_eof(c);
			if (c->state != PE_CONN_OPEN)
				continue;
		}
		if (c->state == PE_CONN_OPEN && c->want_writable && c->queued <= c->sndq_low &&
		    !c->shut_req) {
			c->want_writable = false;
			if (c->cbs->on_writable)
				c->cbs->on_writable(c);
		}
	}
	c = l->dead_head;
	l->dead_head = NULL;
	for (; c; c = next) {
		next = c->dead.next;
		finalize(c);
	}
	c = l->dirty_head;
	l->dirty_head = NULL;
	for (; c; c = next) {
		next = c->dirty.next;
		c->dirty.on = false;
		if (c->state == PE_CONN_OPEN && c->sq_head)
			l->ops->conn_flush(c);
	}
	u = l->udp_dirty;
	l->udp_dirty = NULL;
	for (; u; u = un) {
		un = u->next_dirty;
		u->dirty = false;
		if (u->dead)
			pe__udp_free(u);
		else if (!u->closing)
			l->ops->udp_flush(u);
	}
}

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
	struct pe_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->loop = l;
	c->fd = fd;
	c->pipe[0] = c->pipe[1] = -1;
	c->cbs = o->cbs;
	c->data = o->data;
	c->sndq_max = o->sndq_max_bytes ? o->sndq_max_bytes : 4u << 20;
	c->sndq_low = o->sndq_low_bytes ? o->sndq_low_bytes : c->sndq_max / 2;
	if (c->sndq_low > c->sndq_max)
		c->sndq_low = c->sndq_max;
	c->idle_ns = o->idle_timeout_ms * 1000000ull;
	pe_timer_init(&c->idle_timer, idle_fire, c);
	pe_timer_init(&c->connect_timer, connect_fire, c);
	c->s_conn = (struct pe_src){ PE_SRC_CONN, c };
	c->s_recv = (struct pe_src){ PE_SRC_RECV, c };
	c->s_send = (struct pe_src){ PE_SRC_SEND, c };
	c->s_connect = (struct pe_src){ PE_SRC_CONNECT, c };
	c->s_splice_in = (struct pe_src){ PE_SRC_SPLICE_IN, c };
	c->s_splice_out = (struct pe_src){ PE_SRC_SPLICE_OUT, c };
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
	if (so.bind && bind(fd, &so.bind->sa, so.bind->len)) {
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

static void item_free(struct pe_conn *c, struct pe_sq_item *it, int err)
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

static void finalize(struct pe_conn *c)
{
	struct pe_loop *l = c->loop;
	struct pe_sq_item *it;
	int err = c->close_err;

	c->state = PE_CONN_DEAD;
	if (c->ls)
		pe__listener_unref(c->ls);
	while ((it = c->sq_head)) {
		c->sq_head = it->next;
		item_free(c, it, it->err ? it->err : -ECANCELED);
	}
	while ((it = c->zc_wait)) {
		c->zc_wait = it->next;
		item_free(c, it, -ECANCELED);
	}
	if (c->pipe[0] >= 0) {
		close(c->pipe[0]);
		close(c->pipe[1]);
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
	list_push(&c->loop->dead_head, &c->dead, c);
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
		item_free(c, it, err);
	}
	/* Reset, not FIN: the peer must not take the short stream for a complete one. */
	pe_conn_close(c, err, true);
}

/* ---- receive ---- */

void pe__conn_recv(struct pe_conn *c, const void *data, size_t len)
{
	if (c->state != PE_CONN_OPEN)
		return;
	c->st.bytes_in += len;
	c->st.recvs++;
	c->st.t_last_ns = c->loop->now_ns;
	c->loop->st.bytes_in += len;
	if (c->paused || c->held_len) {
		if (c->held_len + len > c->held_cap) {
			size_t cap = (c->held_len + len) * 2;
			uint8_t *nb = realloc(c->held, cap);

			if (!nb) {
				pe_conn_close(c, -ENOMEM, false);
				return;
			}
			c->held = nb;
			c->held_cap = cap;
		}
		memcpy(c->held + c->held_len, data, len);
		c->held_len += len;
		if (!c->paused)
			mark_pending(c);
		return;
	}
	if (c->cbs->on_data)
		c->cbs->on_data(c, data, len);
}

static void do_shut_wr(struct pe_conn *c)
{
	c->shut_done = true;
	if (shutdown(c->fd, SHUT_WR) && errno != ENOTCONN) {
		pe_conn_close(c, -errno, false);
		return;
	}
	if (c->eof)
		pe_conn_close(c, 0, false);
}

void pe__conn_eof(struct pe_conn *c)
{
	if (c->state != PE_CONN_OPEN)
		return;
	c->eof = true;
	if (c->paused || c->held_len) {
		c->eof_pending = true; /* delivered after the held bytes */
		return;
	}
	if (c->shut_done) {
		/* Both directions are done: tell the user, then close cleanly. */
		if (c->cbs->on_eof)
			c->cbs->on_eof(c);
		pe_conn_close(c, 0, false);
		return;
	}
	if (c->cbs->on_eof)
		c->cbs->on_eof(c);
	else
		pe_conn_shutdown(c);
}

int pe_conn_pause_recv(struct pe_conn *c, bool pause)
{
	if (c->state != PE_CONN_OPEN)
		return -ENOTCONN;
	if (c->paused == pause)
		return 0;
	c->paused = pause;
	c->loop->ops->conn_pause(c, pause);
	if (!pause && (c->held_len || c->eof_pending))
		mark_pending(c);
	return 0;
}

/* ---- send ---- */

static long send_check(struct pe_conn *c)
{
	if (c->state == PE_CONN_CONNECTING)
		return -ENOTCONN;
	if (c->state != PE_CONN_OPEN || c->shut_req)
		return -EPIPE;
	return 0;
}

static void enqueue(struct pe_conn *c, struct pe_sq_item *it)
{
	it->next = NULL;
	if (c->sq_tail)
		c->sq_tail->next = it;
	else
		c->sq_head = it;
	c->sq_tail = it;
	mark_dirty(c);
}

long pe_conn_send(struct pe_conn *c, const void *buf, size_t len)
{
	struct pe_sq_item *t = c->sq_tail;
	const uint8_t *p = buf;
	size_t room, n, left;
	long err = send_check(c);

	if (err)
		return err;
	if (!len)
		return 0;
	room = c->queued < c->sndq_max ? c->sndq_max - c->queued : 0;
	if (!room) {
		c->want_writable = true;
		return -EAGAIN;
	}
	n = len < room ? len : room;
	if (n < len)
		c->want_writable = true;
	left = n;
	if (t && t->kind == PE_SQ_COPY && t->cap > t->len) {
		size_t k = t->cap - t->len < left ? t->cap - t->len : left;

		memcpy(t->data + t->len, p, k);
		t->len += k;
		p += k;
		left -= k;
		mark_dirty(c);
	}
	if (left) {
		size_t cap = left > PE_COPY_CHUNK ? left : PE_COPY_CHUNK;

		if (cap == PE_COPY_CHUNK && c->spare) {
			t = c->spare;
			c->spare = NULL;
		} else {
			t = malloc(sizeof(*t) + cap);
		}
		if (!t)
			return n - left ? (long)(n - left) : -ENOMEM;
		memset(t, 0, sizeof(*t));
		t->kind = PE_SQ_COPY;
		t->ptr = t->data;
		t->cap = cap;
		t->len = left;
		memcpy(t->data, p, left);
		enqueue(c, t);
	}
	c->queued += n;
	return (long)n;
}

int pe_conn_send_ref(struct pe_conn *c, const void *buf, size_t len, pe_send_done_fn done,
		     void *arg)
{
	struct pe_sq_item *t;
	long err = send_check(c);

	if (err)
		return (int)err;
	if (c->queued >= c->sndq_max) {
		c->want_writable = true;
		return -EAGAIN;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->kind = PE_SQ_REF;
	t->ptr = buf;
	t->len = len;
	t->done = done;
	t->arg = arg;
	c->queued += len;
	enqueue(c, t);
	return 0;
}

int pe_conn_send_file(struct pe_conn *c, int fd, uint64_t off, uint64_t len, pe_send_done_fn done,
		      void *arg)
{
	struct pe_sq_item *t;
	long err = send_check(c);

	if (err)
		return (int)err;
	if (fd < 0 || !len)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->kind = PE_SQ_FILE;
	t->file_fd = fd;
	t->file_off = off;
	t->len = len;
	t->done = done;
	t->arg = arg;
	enqueue(c, t);
	return 0;
}

void pe__conn_consumed(struct pe_conn *c, size_t n)
{
	struct pe_sq_item *it;

	c->st.bytes_out += n;
	c->st.sends++;
	c->st.t_last_ns = c->loop->now_ns;
	c->loop->st.bytes_out += n;
	while (n && (it = c->sq_head)) {
		size_t k = it->len - it->off < n ? it->len - it->off : n;

		it->off += k;
		n -= k;
		if (it->kind != PE_SQ_FILE)
			c->queued -= k;
		if (it->off < it->len)
			break;
		c->sq_head = it->next;
		if (!c->sq_head)
			c->sq_tail = NULL;
		if (it->kind == PE_SQ_REF && it->zc_pending) {
			it->next = c->zc_wait;
			c->zc_wait = it;
		} else {
			item_free(c, it, 0);
		}
	}
	/* An empty file item (all sent) may still sit at the head when n hit zero exactly. */
	while ((it = c->sq_head) && it->off == it->len && !it->zc_pending) {
		c->sq_head = it->next;
		if (!c->sq_head)
			c->sq_tail = NULL;
		item_free(c, it, 0);
	}
	if (c->state != PE_CONN_OPEN)
		return;
	if (c->want_writable && c->queued <= c->sndq_low)
		mark_pending(c);
	if (c->shut_req && !c->shut_done && !c->sq_head)
		do_shut_wr(c);
}

void pe__item_zc_done(struct pe_conn *c, struct pe_sq_item *it)
{
	struct pe_sq_item **pp;

	if (--it->zc_pending || it->off < it->len)
		return;
	for (pp = &c->zc_wait; *pp; pp = &(*pp)->next) {
		if (*pp == it) {
			*pp = it->next;
			item_free(c, it, 0);
			return;
		}
	}
}

void pe_conn_want_writable(struct pe_conn *c)
{
	c->want_writable = true;
	if (c->queued <= c->sndq_low)
		mark_pending(c);
}

size_t pe_conn_queued(const struct pe_conn *c)
{
	return c->queued;
}

int pe_conn_shutdown(struct pe_conn *c)
{
	if (c->state != PE_CONN_OPEN)
		return -ENOTCONN;
	if (c->shut_req)
		return 0;
	c->shut_req = true;
	if (!c->sq_head)
		do_shut_wr(c);
	return 0;
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
