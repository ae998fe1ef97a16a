/* SPDX-License-Identifier: BSD-2-Clause */
/* The client registry server, on one engine loop: every connection is a pe_conn with its own
 * frame decoder and a deadline for each whole request; requests are answered from the loop, so
 * an idle connection costs a few hundred bytes and no thread. Connections are capped (the one
 * idle the longest goes first), and so are the memory of unfinished requests, the names
 * (max_names, each listed for ttl_s) and with them the list answer. */
#include "registry/registry.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine/framing.h"
#include "engine/worker.h"

/* Answers queued on one connection before it stops reading requests (a client that sends
 * requests but never reads the answers); it resumes when the queue has drained to REG_SNDQ_LOW.
 * At most one answer goes past the mark, so a connection holds at most this plus one list. */
#define REG_SNDQ_HIGH (1u << 20)
#define REG_SNDQ_LOW  (256u << 10)
#define REG_LOG_PER_S 20
/* A connection keeps its assembly buffer between requests up to this size. */
#define REG_KEEP_BUF (64u << 10)

/* A registration: in the registry's list in the order registered (oldest first, so expiry
 * takes from the front) and in a hash chain keyed by name and address. */
struct entry {
	char *name;
	size_t name_len;
	char addr[PE_ADDR_STRLEN];
	uint16_t port;
	uint64_t t_ns; /* registered (or registered again) */
	uint64_t hash;
	struct entry *prev, *next, *hnext;
};

struct rconn {
	struct pe_registry *r;
	struct pe_conn *c;
	struct pe_lpm_dec dec;
	struct pe_timer deadline; /* the next whole request must arrive before it fires */
	struct pe_addr peer;
	/* Request bytes not yet decoded while the connection waits for its answers to drain
	 * (a copy of the rest of one received chunk, at most the loop's buffer size). */
	uint8_t *held;
	size_t held_len;
	size_t counted; /* bytes of r->pending that are this connection's */
	bool paused;	/* not reading until the answers drain */
	bool eof;	/* the peer finished sending while paused: finish after the held requests */
	bool closing;	/* answered what it will answer; closing */
	bool listed;	/* on the registry's connection list (counted against max_conns) */
	struct rconn *lprev, *lnext; /* that list, the longest idle first */
};

struct pe_registry {
	struct pe_registry_opts o;
	int lfd; /* until the serving loop owns it */
	uint16_t port;
	_Atomic(struct pe_workers *) w; /* set once serving; read by pe_registry_stop */
	atomic_int stopping;
	atomic_uint nconns;
	size_t pending;	    /* assembly buffers and held bytes of every connection (loop thread) */
	pthread_mutex_t mu; /* the entries: written on the loop, counted from anywhere */
	struct entry *head, *tail; /* oldest registration first */
	struct entry **bucket;
	size_t n, nbuckets;
	uint64_t ttl_ns;
	struct rconn *chead, *ctail; /* connections, the longest idle first (loop thread) */
	unsigned cn;
	uint64_t log_sec; /* rlog's rate bound (loop thread) */
	unsigned log_n, log_skipped;
};

/* One line per refused request, at most REG_LOG_PER_S a second (a flood of bad requests
 * must not flood the log too); the lines left out are counted in the next one. Loop thread. */
static void rlog(struct pe_registry *r, const char *msg)
{
	uint64_t sec = pe_now_ns() / 1000000000ull;

	if (!r->o.log)
		return;
	if (sec != r->log_sec) {
		if (r->log_skipped)
			fprintf(stderr, "pkteng registry: %u more such lines not shown\n",
				r->log_skipped);
		r->log_sec = sec;
		r->log_n = r->log_skipped = 0;
	}
	if (r->log_n++ < REG_LOG_PER_S)
		fprintf(stderr, "pkteng registry: %s\n", msg);
	else
		r->log_skipped++;
}

static struct json_object *list_json(struct pe_registry *r)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array_ext((int)r->n);
	struct entry *en;

	for (en = r->head; en; en = en->next) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "name",
				       json_object_new_string_len(en->name, (int)en->name_len));
		json_object_object_add(e, "address", json_object_new_string(en->addr));
		json_object_object_add(e, "port", json_object_new_int(en->port));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "count", json_object_new_int64((int64_t)r->n));
	json_object_object_add(o, "clients", a);
	return o;
}

static void free_buf(struct pe_conn *c, void *arg, int err)
{
	(void)c;
	(void)err;
	free(arg);
}

/* Queues o as one frame: prefix and payload in one owned buffer, handed to the loop without a
 * copy. Returns 0 or -errno. */
static int send_obj(struct rconn *rc, struct json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	uint8_t *buf;
	int err;

	if (!s || len > PE_REGISTRY_MSG_MAX)
		return s ? -EMSGSIZE : -ENOMEM;
	buf = malloc(PE_LPM_HDR + len);
	if (!buf)
		return -ENOMEM;
	pe_lpm_put_hdr(buf, (uint32_t)len);
	memcpy(buf + PE_LPM_HDR, s, len);
	err = pe_conn_send_ref(rc->c, buf, PE_LPM_HDR + len, free_buf, buf);
	if (err)
		free(buf);
	return err;
}

static int send_error(struct rconn *rc, const char *msg)
{
	struct json_object *o = json_object_new_object();
	int err;

	json_object_object_add(o, "error", json_object_new_string(msg));
	err = send_obj(rc, o);
	json_object_put(o);
	return err;
}

/* Sends what is queued (the last answer or error), then closes; the deadline still bounds a
 * peer that never closes its side. */
static void finish(struct rconn *rc)
{
	rc->closing = true;
	if (pe_conn_shutdown(rc->c))
		pe_conn_close(rc->c, 0, false);
}

static uint64_t entry_hash(const char *name, size_t n, const char *addr)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)name[i]) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull; /* no name byte is 0xff in UTF-8 */
	for (; *addr; addr++)
		h = (h ^ (uint8_t)*addr) * 1099511628211ull;
	return h;
}

/* With r->mu held: takes en off the list and its hash chain (not freed). */
static void entry_unlink(struct pe_registry *r, struct entry *en)
{
	struct entry **pp = &r->bucket[en->hash & (r->nbuckets - 1)];

	while (*pp != en)
		pp = &(*pp)->hnext;
	*pp = en->hnext;
	if (en->prev)
		en->prev->next = en->next;
	else
		r->head = en->next;
	if (en->next)
		en->next->prev = en->prev;
	else
		r->tail = en->prev;
	r->n--;
}

/* With r->mu held: puts en at the end of the list and into its chain. */
static void entry_link(struct pe_registry *r, struct entry *en)
{
	struct entry **b = &r->bucket[en->hash & (r->nbuckets - 1)];

	en->hnext = *b;
	*b = en;
	en->next = NULL;
	en->prev = r->tail;
	if (r->tail)
		r->tail->next = en;
	else
		r->head = en;
	r->tail = en;
	r->n++;
}

/* Drops the registrations older than the TTL (on the loop's thread). */
static void expire(struct pe_registry *r, uint64_t now)
{
	pthread_mutex_lock(&r->mu);
	while (r->head && now - r->head->t_ns >= r->ttl_ns) {
		struct entry *en = r->head;

		entry_unlink(r, en);
		free(en->name);
		free(en);
	}
	pthread_mutex_unlock(&r->mu);
}

/* Registers (or registers again) name from peer. 0, -ENOSPC when max_names are listed, or
 * -ENOMEM. */
static int add_entry(struct pe_registry *r, const char *s, size_t n, const struct pe_addr *peer,
		     uint64_t now)
{
	char addr[PE_ADDR_STRLEN];
	struct entry *en;
	uint64_t h;

	pe_addr_format_ip(peer, addr, sizeof(addr));
	h = entry_hash(s, n, addr);
	pthread_mutex_lock(&r->mu);
	for (en = r->bucket[h & (r->nbuckets - 1)]; en; en = en->hnext)
		if (en->hash == h && en->name_len == n && !memcmp(en->name, s, n) &&
		    !strcmp(en->addr, addr))
			break;
	if (en) {
		entry_unlink(r, en);
	} else if (r->n >= r->o.max_names) {
		pthread_mutex_unlock(&r->mu);
		return -ENOSPC;
	} else {
		en = calloc(1, sizeof(*en));
		if (en)
			en->name = malloc(n + 1);
		if (!en || !en->name) {
			pthread_mutex_unlock(&r->mu);
			free(en);
			return -ENOMEM;
		}
		memcpy(en->name, s, n);
		en->name[n] = 0;
		en->name_len = n;
		en->hash = h;
		snprintf(en->addr, sizeof(en->addr), "%s", addr);
	}
	en->port = pe_addr_port(peer);
	en->t_ns = now;
	entry_link(r, en);
	pthread_mutex_unlock(&r->mu);
	return 0;
}

/* One request: {"name": "..."} registers (and answers the list unless "list": false); {}
 * answers the list. Returns 0 to keep the connection, -errno to close it. */
static int handle(struct rconn *rc, const void *msg, size_t len)
{
	struct pe_registry *r = rc->r;
	struct pe_registry_req q;
	struct json_object *ans;
	bool want_list;
	char why[160];
	int err;

	err = pe_registry_req_parse(&q, msg, len, why, sizeof(why));
	if (err == -EPROTO) {
		rlog(r, why);
		send_error(rc, why);
		return -EPROTO;
	}
	if (err) {
		if (err != -EBADMSG) {
			char line[200];

			snprintf(line, sizeof(line), "refused a name: %s", why);
			rlog(r, line);
		}
		return send_error(rc, why);
	}
	if (q.name) {
		err = add_entry(r, q.name, q.name_len, &rc->peer,
				pe_loop_now_ns(pe_conn_loop(rc->c)));
		if (err == -ENOSPC) {
			uint64_t left =
				r->head->t_ns + r->ttl_ns - pe_loop_now_ns(pe_conn_loop(rc->c));

			snprintf(why, sizeof(why),
				 "registry full: %u names listed (its --max-names); the oldest "
				 "expires in %llu s",
				 r->o.max_names, (unsigned long long)(left / 1000000000ull + 1));
			rlog(r, why);
			pe_registry_req_free(&q);
			return send_error(rc, why);
		}
		if (err) {
			pe_registry_req_free(&q);
			return err;
		}
	}
	want_list = q.want_list;
	pe_registry_req_free(&q);
	/* only the loop's thread writes the entries: reading them here needs no lock */
	if (want_list) {
		ans = list_json(r);
	} else {
		ans = json_object_new_object();
		json_object_object_add(ans, "count", json_object_new_int64((int64_t)r->n));
	}
	err = send_obj(rc, ans);
	json_object_put(ans);
	return err;
}

/* Brings rc's share of r->pending up to date. Returns false when the total is over the bound. */
static bool account(struct rconn *rc)
{
	size_t now = rc->dec.cap + rc->held_len;

	rc->r->pending = rc->r->pending - rc->counted + now;
	rc->counted = now;
	return rc->r->pending <= rc->r->o.pending_max_bytes;
}

static void conn_unlist(struct rconn *rc)
{
	struct pe_registry *r = rc->r;

	if (!rc->listed)
		return;
	if (rc->lprev)
		rc->lprev->lnext = rc->lnext;
	else
		r->chead = rc->lnext;
	if (rc->lnext)
		rc->lnext->lprev = rc->lprev;
	else
		r->ctail = rc->lprev;
	rc->listed = false;
	r->cn--;
}

/* Puts rc at the young end of the connection list (opened, or a whole request arrived). */
static void conn_touch(struct rconn *rc)
{
	struct pe_registry *r = rc->r;

	conn_unlist(rc);
	rc->lnext = NULL;
	rc->lprev = r->ctail;
	if (r->ctail)
		r->ctail->lnext = rc;
	else
		r->chead = rc;
	r->ctail = rc;
	rc->listed = true;
	r->cn++;
}

/* Frees what rc holds of an unfinished request, answers why and closes. */
static void drop_partial(struct rconn *rc, const char *why)
{
	pe_lpm_dec_free(&rc->dec);
	free(rc->held);
	rc->held = NULL;
	rc->held_len = 0;
	account(rc);
	conn_unlist(rc);
	send_error(rc, why);
	finish(rc);
}

/* Over the bound on unfinished requests: the connections holding the oldest go first. */
static void shed_partial(struct pe_registry *r)
{
	char why[96];
	struct rconn *o, *next;

	snprintf(why, sizeof(why), "registry busy: more than %zu bytes of requests in progress",
		 r->o.pending_max_bytes);
	rlog(r, why);
	for (o = r->chead; o && r->pending > r->o.pending_max_bytes; o = next) {
		next = o->lnext;
		if (o->counted && !o->closing)
			drop_partial(o, why);
	}
}

static void hold(struct rconn *rc)
{
	uint8_t *h = NULL;

	if (rc->dec.in_len) {
		h = malloc(rc->dec.in_len);
		if (!h) {
			pe_conn_close(rc->c, -ENOMEM, false);
			return;
		}
		memcpy(h, rc->dec.in, rc->dec.in_len);
	}
	free(rc->held);
	rc->held = h;
	rc->held_len = rc->dec.in_len;
	rc->dec.in_len = 0;
	account(rc); /* at most one receive buffer: not refused */
	rc->paused = true;
	pe_conn_pause_recv(rc->c, true);
	pe_conn_want_writable(rc->c);
}

/* Answers every whole request pushed into the decoder, or holds the rest when the answers
 * queued so far reach REG_SNDQ_HIGH. */
static void serve(struct rconn *rc)
{
	struct pe_registry *r = rc->r;
	char why[96];

	while (!rc->closing) {
		const void *msg;
		size_t len;
		int n;

		if (pe_conn_queued(rc->c) >= REG_SNDQ_HIGH) {
			hold(rc);
			return;
		}
		n = pe_lpm_next(&rc->dec, &msg, &len);
		if (n == PE_LPM_PARTIAL) {
			if (!account(rc))
				shed_partial(r);
			return;
		}
		if (n == PE_LPM_TOOBIG) {
			snprintf(why, sizeof(why), "message length prefix larger than %u",
				 rc->dec.max_len);
			send_error(rc, why);
			rlog(r, why);
			finish(rc);
			return;
		}
		if (n != 1) {
			pe_conn_close(rc->c, n, false);
			return;
		}
		pe_timer_arm(pe_conn_loop(rc->c), &rc->deadline,
			     (uint64_t)r->o.msg_timeout_ms * 1000000ull);
		conn_touch(rc);
		expire(r, pe_loop_now_ns(pe_conn_loop(rc->c)));
		if (handle(rc, msg, len))
			finish(rc);
		if (rc->dec.cap > REG_KEEP_BUF) { /* msg is answered: its buffer may go */
			pe_lpm_dec_free(&rc->dec);
			account(rc);
		}
	}
}

static void on_deadline(struct pe_loop *l, struct pe_timer *t)
{
	struct rconn *rc = t->data;
	char why[64];

	(void)l;
	if (rc->closing) {
		pe_conn_close(rc->c, -ETIMEDOUT, true);
		return;
	}
	snprintf(why, sizeof(why), "no message within %d ms", rc->r->o.msg_timeout_ms);
	rlog(rc->r, why);
	pe_conn_close(rc->c, -ETIMEDOUT, false);
}

static void on_open(struct pe_conn *c)
{
	struct pe_registry *r = pe_listener_data(pe_conn_listener(c));
	struct rconn *rc = calloc(1, sizeof(*rc));

	if (!rc || pe_lpm_dec_init(&rc->dec, PE_REGISTRY_REQ_MAX)) {
		free(rc);
		pe_conn_close(c, -ENOMEM, true);
		return;
	}
	rc->r = r;
	rc->c = c;
	if (pe_conn_peer(c, &rc->peer))
		memset(&rc->peer, 0, sizeof(rc->peer));
	pe_timer_init(&rc->deadline, on_deadline, rc);
	pe_conn_set_data(c, rc);
	atomic_fetch_add(&r->nconns, 1);
	/* at the bound the connection idle the longest makes room */
	while (r->cn >= (unsigned)r->o.max_conns && r->chead) {
		struct rconn *old = r->chead;

		conn_unlist(old);
		old->closing = true;
		pe_conn_close(old->c, -EMFILE, true);
	}
	conn_touch(rc);
	pe_timer_arm(pe_conn_loop(c), &rc->deadline, (uint64_t)r->o.msg_timeout_ms * 1000000ull);
}

static void on_data(struct pe_conn *c, const void *data, size_t len)
{
	struct rconn *rc = pe_conn_data(c);

	if (!rc || rc->closing)
		return;
	pe_lpm_push(&rc->dec, data, len);
	serve(rc);
}

/* The peer sent its last byte: answer what is complete, then close (a partial request is
 * logged, as a truncated message). */
static void peer_done(struct rconn *rc)
{
	if (rc->dec.hdr_have || rc->dec.need)
		rlog(rc->r, "truncated message (connection closed mid-message)");
	finish(rc);
}

static void on_writable(struct pe_conn *c)
{
	struct rconn *rc = pe_conn_data(c);
	size_t len;
	uint8_t *h;

	if (!rc || rc->closing || !rc->paused)
		return;
	if (pe_conn_queued(c) > REG_SNDQ_LOW) {
		pe_conn_want_writable(c);
		return;
	}
	h = rc->held;
	len = rc->held_len;
	rc->held = NULL;
	rc->held_len = 0; /* the decoder has these bytes now */
	rc->paused = false;
	pe_lpm_push(&rc->dec, h, len);
	serve(rc); /* may hold again: it copies the rest before h goes */
	free(h);
	if (rc->paused || rc->closing)
		return;
	if (rc->eof)
		peer_done(rc);
	else
		pe_conn_pause_recv(c, false);
}

static void on_eof(struct pe_conn *c)
{
	struct rconn *rc = pe_conn_data(c);

	if (!rc) {
		pe_conn_close(c, 0, false);
		return;
	}
	if (rc->paused)
		rc->eof = true;
	else if (!rc->closing)
		peer_done(rc);
}

static void on_close(struct pe_conn *c, int err)
{
	struct rconn *rc = pe_conn_data(c);

	if (!rc)
		return;
	if (err && err != -ECONNRESET && err != -ETIMEDOUT && err != -ECANCELED && err != -EMFILE &&
	    !rc->closing)
		rlog(rc->r, strerror(-err));
	pe_timer_disarm(pe_conn_loop(c), &rc->deadline);
	conn_unlist(rc);
	pe_lpm_dec_free(&rc->dec);
	free(rc->held);
	rc->r->pending -= rc->counted;
	atomic_fetch_sub(&rc->r->nconns, 1);
	free(rc);
}

static const struct pe_conn_cbs reg_cbs = {
	.on_open = on_open,
	.on_data = on_data,
	.on_eof = on_eof,
	.on_writable = on_writable,
	.on_close = on_close,
};

struct pe_registry *pe_registry_open(const struct pe_registry_opts *o)
{
	struct pe_registry *r = calloc(1, sizeof(*r));
	struct pe_sock_opts so = { .sz = sizeof(so) };
	struct pe_addr a, bound;
	int err;

	if (!r)
		return NULL;
	memcpy(&r->o, o, o->sz < sizeof(r->o) ? o->sz : sizeof(r->o));
	r->o.sz = sizeof(r->o);
	if (r->o.msg_timeout_ms <= 0)
		r->o.msg_timeout_ms = 30000;
	if (r->o.max_conns <= 0)
		r->o.max_conns = PE_REGISTRY_CONNS_DEFAULT;
	{
		struct rlimit rl; /* room for the loop's own descriptors */

		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur < (rlim_t)r->o.max_conns + 64)
			r->o.max_conns = rl.rlim_cur > 80 ? (int)rl.rlim_cur - 64 : 16;
	}
	if (!r->o.pending_max_bytes)
		r->o.pending_max_bytes = PE_REGISTRY_PENDING_DEFAULT;
	if (!r->o.max_names)
		r->o.max_names = PE_REGISTRY_NAMES_DEFAULT;
	if (!r->o.ttl_s)
		r->o.ttl_s = PE_REGISTRY_TTL_DEFAULT;
	r->ttl_ns = (uint64_t)r->o.ttl_s * 1000000000ull;
	for (r->nbuckets = 64; r->nbuckets < 2 * (size_t)r->o.max_names; r->nbuckets *= 2)
		;
	r->bucket = r->o.max_names <= PE_REGISTRY_NAMES_MAX
			    ? calloc(r->nbuckets, sizeof(*r->bucket))
			    : NULL;
	if (!r->bucket) {
		err = r->o.max_names > PE_REGISTRY_NAMES_MAX ? EINVAL : ENOMEM;
		free(r);
		errno = err;
		return NULL;
	}
	pthread_mutex_init(&r->mu, NULL);
	if (o->bind && *o->bind) {
		char port[8];

		snprintf(port, sizeof(port), "%u", o->port);
		err = pe_addr_parse(&a, o->bind, port, AF_UNSPEC, SOCK_STREAM, true);
	} else {
		err = pe_addr_any(&a, AF_UNSPEC, o->port);
	}
	if (!err)
		err = pe_sock_listen(&a, &so);
	if (err < 0) {
		pthread_mutex_destroy(&r->mu);
		free(r->bucket);
		free(r);
		errno = -err;
		return NULL;
	}
	r->lfd = err;
	if (!pe_sock_local(r->lfd, &bound))
		r->port = pe_addr_port(&bound);
	return r;
}

uint16_t pe_registry_port(const struct pe_registry *r)
{
	return r->port;
}

size_t pe_registry_count(struct pe_registry *r)
{
	uint64_t now = pe_now_ns();
	struct entry *en;
	size_t n;

	pthread_mutex_lock(&r->mu);
	n = r->n;
	for (en = r->head; en && now - en->t_ns >= r->ttl_ns; en = en->next)
		n--;
	pthread_mutex_unlock(&r->mu);
	return n;
}

unsigned pe_registry_max_conns(struct pe_registry *r)
{
	return (unsigned)r->o.max_conns;
}

unsigned pe_registry_conns(struct pe_registry *r)
{
	return atomic_load(&r->nconns);
}

int pe_registry_start(struct pe_registry *r)
{
	struct pe_loop_opts lo = { .sz = sizeof(lo),
				   .backend = r->o.backend,
				   .no_fallback = r->o.no_fallback };
	struct pe_conn_opts co = { .sz = sizeof(co),
				   .cbs = &reg_cbs,
				   .nodelay = true,
				   .sndq_max_bytes = 2 * REG_SNDQ_HIGH,
				   .sndq_low_bytes = REG_SNDQ_LOW };
	struct pe_listen_opts lso = { .sz = sizeof(lso), .conn = &co, .data = r };
	struct pe_service_opts svc = {
		.sz = sizeof(svc), .lfd = r->lfd, .loop = &lo, .listen = &lso
	};
	struct pe_workers *w;
	int err;

	if (r->w || r->lfd < 0)
		return -EALREADY;
	err = pe_workers_serve(&w, &svc);
	if (err)
		return err;
	r->lfd = -1; /* the loop's now */
	atomic_store(&r->w, w);
	if (atomic_load(&r->stopping))
		pe_workers_stop(w);
	return 0;
}

int pe_registry_run(struct pe_registry *r)
{
	int err = atomic_load(&r->stopping) ? 0 : pe_registry_start(r);

	if (err || !r->w)
		return err;
	return pe_workers_join(r->w);
}

void pe_registry_stop(struct pe_registry *r)
{
	struct pe_workers *w;

	atomic_store(&r->stopping, 1);
	w = atomic_load(&r->w);
	if (w)
		pe_workers_stop(w);
}

void pe_registry_close(struct pe_registry *r)
{
	struct entry *en;

	if (!r)
		return;
	pe_registry_stop(r);
	pe_workers_free(r->w); /* closes every connection on the loop's thread */
	while ((en = r->head)) {
		r->head = en->next;
		free(en->name);
		free(en);
	}
	free(r->bucket);
	if (r->lfd >= 0)
		close(r->lfd);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
