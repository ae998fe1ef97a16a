/* SPDX-License-Identifier: BSD-2-Clause */
/* The server's lobby: control connections before their hello, on the acceptor's loop. Each
 * costs a pe_conn and a decoder and no thread; a whole, valid hello within the deadline hands
 * the socket to a session (work_server.c), anything else is answered or dropped. Capped in
 * number and in the memory of partial hellos, the oldest dropped first. */
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "workload/server_int.h"

static void lobby_unlist(struct lobby *lb)
{
	struct pe_server *s = lb->s;

	if (!lb->listed)
		return;
	if (lb->prev)
		lb->prev->next = lb->next;
	else
		s->lob_head = lb->next;
	if (lb->next)
		lb->next->prev = lb->prev;
	else
		s->lob_tail = lb->prev;
	lb->listed = false;
	s->lob_n--;
}

static void lobby_account(struct lobby *lb)
{
	lb->s->lob_bytes = lb->s->lob_bytes - lb->counted + lb->dec.cap;
	lb->counted = lb->dec.cap;
}

/* Closes a connection that has not proved itself (reset: it gets no answer). */
static void lobby_drop(struct lobby *lb)
{
	lobby_unlist(lb);
	lb->closing = true;
	atomic_fetch_add(&lb->s->lob_dropped, 1);
	pe_conn_close(lb->c, -ETIMEDOUT, true);
}

/* Answers msg as an "error", then closes once it is sent (or at the deadline, reset). */
static void lobby_refuse(struct lobby *lb, const char *msg)
{
	struct pe_server *s = lb->s;
	struct json_object *o = pe_proto_msg(PE_MSG_ERROR);
	char peer[PE_ADDR_STRLEN] = "?";
	struct pe_addr a;
	size_t len;
	char *txt;

	if (!pe_conn_peer(lb->c, &a))
		pe_addr_format(&a, peer, sizeof(peer));
	pe__srv_log(s, peer, "refused", msg);
	pe__srv_count(s, false);
	lobby_unlist(lb);
	lb->closing = true;
	json_object_object_add(o, "message", json_object_new_string(msg));
	txt = pe_proto_dump(o, &len);
	json_object_put(o);
	if (txt) {
		uint8_t hdr[PE_LPM_HDR];

		pe_lpm_put_hdr(hdr, (uint32_t)len);
		pe_conn_send(lb->c, hdr, sizeof(hdr));
		pe_conn_send(lb->c, txt, len);
		free(txt);
	}
	pe_timer_arm(pe_conn_loop(lb->c), &lb->deadline, 1000000000ull);
	if (pe_conn_shutdown(lb->c))
		pe_conn_close(lb->c, 0, true);
}

/* A whole message arrived: a valid hello takes a place (a slot or the FIFO) and the socket
 * goes to its session; anything else is refused. */
static void lobby_hello(struct lobby *lb, const void *m, size_t len)
{
	struct pe_server *s = lb->s;
	struct json_object *msg;
	struct session *se;
	struct pe_addr a;
	char err[256];
	bool room;
	int fd;

	msg = pe_proto_parse(m, len, err, sizeof(err));
	if (!msg) {
		lobby_refuse(lb, err);
		return;
	}
	se = calloc(1, sizeof(*se));
	if (!se)
		snprintf(err, sizeof(err), "server out of memory");
	if (!se || pe_proto_parse_hello(msg, &se->p, err, sizeof(err))) {
		json_object_put(msg);
		free(se);
		lobby_refuse(lb, err);
		return;
	}
	json_object_put(msg);
	if (lb->dec.in_len) {
		free(se);
		lobby_refuse(lb, "bytes after \"hello\" before the server's answer");
		return;
	}
	pthread_mutex_lock(&s->mu);
	room = !s->stopping &&
	       s->sessions + s->ready_n + s->reserved < s->o.max_sessions + SRV_READY_MAX;
	if (room)
		s->reserved++;
	pthread_mutex_unlock(&s->mu);
	if (!room) {
		snprintf(err, sizeof(err), "server busy: %u tests running and %u waiting",
			 s->o.max_sessions, SRV_READY_MAX);
		free(se);
		lobby_refuse(lb, err);
		return;
	}
	se->s = s;
	if (pe_conn_peer(lb->c, &a) || pe_addr_format(&a, se->peer, sizeof(se->peer)) < 0)
		snprintf(se->peer, sizeof(se->peer), "?");
	lobby_unlist(lb);
	lb->closing = true;
	pe_timer_disarm(pe_conn_loop(lb->c), &lb->deadline);
	fd = pe_conn_release(lb->c); /* the session gets it once on_close says the loop let go */
	if (fd < 0) {
		pthread_mutex_lock(&s->mu);
		s->reserved--;
		pthread_mutex_unlock(&s->mu);
		free(se);
		pe_conn_close(lb->c, fd, true);
		return;
	}
	se->fd = fd;
	lb->se = se;
}

static void lobby_deadline(struct pe_loop *l, struct pe_timer *t)
{
	struct lobby *lb = t->data;

	(void)l;
	if (lb->closing) /* an error answer that the peer does not take */
		pe_conn_close(lb->c, -ETIMEDOUT, true);
	else
		lobby_drop(lb);
}

static void lobby_open(struct pe_conn *c)
{
	struct pe_server *s = pe_listener_data(pe_conn_listener(c));
	struct lobby *lb = calloc(1, sizeof(*lb));

	if (!lb) {
		pe_conn_close(c, -ENOMEM, true);
		return;
	}
	lb->s = s;
	lb->c = c;
	pe_lpm_dec_init(&lb->dec, PE_PROTO_HELLO_MAX);
	pe_timer_init(&lb->deadline, lobby_deadline, lb);
	pe_conn_set_data(c, lb);
	if (s->stopping) {
		lb->closing = true;
		pe_conn_close(c, -ECANCELED, true);
		return;
	}
	/* at the cap the oldest goes: a flood cannot keep a newcomer out */
	while (s->lob_n >= s->lob_max && s->lob_head)
		lobby_drop(s->lob_head);
	lb->prev = s->lob_tail;
	if (s->lob_tail)
		s->lob_tail->next = lb;
	else
		s->lob_head = lb;
	s->lob_tail = lb;
	lb->listed = true;
	s->lob_n++;
	pe_timer_arm(pe_conn_loop(c), &lb->deadline, (uint64_t)s->o.ctl_timeout_ms * 1000000ull);
}

static void lobby_data(struct pe_conn *c, const void *data, size_t len)
{
	struct lobby *lb = pe_conn_data(c);
	struct pe_server *s;
	const void *m;
	size_t mlen;
	char why[96];
	int r;

	if (!lb || lb->closing)
		return;
	s = lb->s;
	pe_lpm_push(&lb->dec, data, len);
	r = pe_lpm_next(&lb->dec, &m, &mlen);
	if (r == 1) {
		lobby_hello(lb, m, mlen);
	} else if (r == PE_LPM_TOOBIG) {
		snprintf(why, sizeof(why), "message length prefix larger than %u", lb->dec.max_len);
		lobby_refuse(lb, why);
	} else if (r != PE_LPM_PARTIAL) {
		lobby_drop(lb);
	} else {
		lobby_account(lb);
		/* over the bound on partial hellos: the oldest holders go first */
		for (struct lobby *o = s->lob_head;
		     o && s->lob_bytes > s->o.hello_max_total_bytes;) {
			struct lobby *next = o->next;

			if (o->counted) {
				pe_lpm_dec_free(&o->dec);
				lobby_account(o);
				lobby_drop(o);
			}
			o = next;
		}
	}
}

static void lobby_eof(struct pe_conn *c)
{
	struct lobby *lb = pe_conn_data(c);

	if (lb && lb->closing) { /* an error answer may still be on its way out */
		if (pe_conn_shutdown(c))
			pe_conn_close(c, 0, false);
		return;
	}
	if (lb) /* gone before its hello: nothing to answer */
		lobby_unlist(lb);
	pe_conn_close(c, 0, false);
}

static void lobby_close(struct pe_conn *c, int err)
{
	struct lobby *lb = pe_conn_data(c);

	if (!lb)
		return;
	lobby_unlist(lb);
	pe_timer_disarm(pe_conn_loop(c), &lb->deadline);
	pe_lpm_dec_free(&lb->dec);
	lobby_account(lb);
	if (lb->se) {
		if (err == 0) {
			pe__srv_admit(lb->s, lb->se);
		} else { /* the loop is closing */
			pthread_mutex_lock(&lb->s->mu);
			lb->s->reserved--;
			pthread_mutex_unlock(&lb->s->mu);
			close(lb->se->fd);
			free(lb->se);
		}
	}
	free(lb);
}

const struct pe_conn_cbs pe__srv_lobby_cbs = {
	.on_open = lobby_open,
	.on_data = lobby_data,
	.on_eof = lobby_eof,
	.on_close = lobby_close,
};

/* The pre-hello cap that fits the open-file limit: what max_sessions sessions leave, half of it
 * (the other half for clients waiting for a slot). */
unsigned pe__srv_lobby_cap(const struct pe_server_opts *o)
{
	unsigned cap = o->max_pending ? o->max_pending : PE_SERVER_PENDING_DEFAULT;
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY) {
		uint64_t need = SRV_FDS_BASE + (uint64_t)o->max_sessions * SRV_FDS_PER_SESSION;
		uint64_t fit = rl.rlim_cur > need + 128 ? (rl.rlim_cur - need) / 2 : 64;

		if (fit < cap)
			cap = (unsigned)fit;
	}
	return cap;
}
