/* SPDX-License-Identifier: BSD-2-Clause */
/* The connection data path, backend-independent: bytes in (held while paused), FIN, the send
 * queue and its bound, writable callbacks and graceful shutdown, and the deferred work that
 * pe_loop_run_once() runs each iteration. The life cycle is in loop_conn.c. */
#include "engine/loop_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void mark_dirty(struct pe_conn *c)
{
	pe__list_push(&c->loop->dirty_head, &c->dirty, c);
}

static void mark_pending(struct pe_conn *c)
{
	pe__list_push(&c->loop->writable_head, &c->writable, c);
}

/* Runs deferred work: held data after a resume, writable callbacks, finished closes, and the
 * flush of every connection with new sends (so one submit carries them all). */
void pe__conn_process(struct pe_loop *l)
{
	struct pe_conn *c, *next;

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
		pe__conn_finalize(c);
	}
	c = l->dirty_head;
	l->dirty_head = NULL;
	for (; c; c = next) {
		next = c->dirty.next;
		c->dirty.on = false;
		if (c->state == PE_CONN_OPEN && c->sq_head)
			l->ops->conn_flush(c);
	}
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
			pe__item_free(c, it, 0);
		}
	}
	/* An empty file item (all sent) may still sit at the head when n hit zero exactly. */
	while ((it = c->sq_head) && it->off == it->len && !it->zc_pending) {
		c->sq_head = it->next;
		if (!c->sq_head)
			c->sq_tail = NULL;
		pe__item_free(c, it, 0);
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
			pe__item_free(c, it, 0);
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
