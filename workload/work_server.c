/* The test server: an acceptor (a loop of its own, engine/worker.h's pe_workers_serve) holds
 * each new control connection until it has sent a whole, valid "hello" within a deadline for
 * the whole message (cheap: a few hundred bytes on the loop, no thread; capped, the oldest
 * dropped first), then hands it to a session thread of its own, one thread and one loop per
 * test. The session answers "ok" with a cookie and a data port (or "error" and a log line),
 * waits for "start" and the data connections, says "go", runs the mode, and answers the
 * client's "end" with "result". */
#include "workload/work.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine/worker.h"

/* Clients that sent a valid hello while every session slot is taken wait for one, at most
 * this many; beyond that a client is told the server is busy. */
#define SRV_READY_MAX 1024
/* Descriptors kept aside from the open-file limit for each session (control socket and its
 * duplicate, the loop, the data listener and connections) and for the process. */
#define SRV_FDS_PER_SESSION 8
#define SRV_FDS_BASE	    32

struct session;

struct pe_server {
	struct pe_server_opts o;
	int lfd; /* until the acceptor's loop owns it */
	uint16_t port;
	_Atomic(struct pe_workers *) acceptor;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned sessions;
	struct session *active;			 /* sessions running now */
	struct session *ready_head, *ready_tail; /* proven clients waiting for a slot (FIFO) */
	unsigned ready_n, reserved;		 /* queued; handed over but not yet queued */
	uint64_t done, refused;
	volatile int stopping;
	/* the acceptor loop's own (its thread only): connections before their hello */
	struct lobby *lob_head, *lob_tail; /* oldest first */
	unsigned lob_n, lob_max;
	size_t lob_bytes;	       /* their partial hellos' buffers */
	_Atomic(uint64_t) lob_dropped; /* closed for the cap, the memory bound or the deadline */
};

struct session {
	struct pe_server *s;
	int fd;
	struct pe_params p; /* from the client's hello */
	char peer[PE_ADDR_STRLEN];
	/* The acceptor's own descriptor of the control socket (fd is a dup that the session
	 * closes): pe_server_close shuts it down to wake a session blocked on the peer, and it
	 * stays valid until the session has left the active list. */
	int own_fd;
	struct session *next, *prev;
};

/* A control connection before its hello, on the acceptor's loop. */
struct lobby {
	struct pe_server *s;
	struct pe_conn *c;
	struct pe_lpm_dec dec;
	struct pe_timer deadline; /* the whole hello must arrive before it fires */
	struct lobby *prev, *next;
	bool listed;	    /* on the server's lobby list (counted against the cap) */
	bool closing;	    /* answered (an error) or dropped */
	size_t counted;	    /* bytes of s->lob_bytes that are this connection's */
	struct session *se; /* the hello was valid: handed to a session once the loop let go */
};

static void slog(struct pe_server *s, const char *peer, const char *what, const char *msg)
{
	if (s->o.log)
		fprintf(stderr, "pkteng server: %s: %s: %s\n", peer, what, msg);
}

static void count(struct pe_server *s, bool ok)
{
	pthread_mutex_lock(&s->mu);
	if (ok)
		s->done++;
	else
		s->refused++;
	pthread_mutex_unlock(&s->mu);
}

/* Non-blocking check of the control connection: 1 and *msg when a message is there, 0 when
 * nothing, -errno when it failed or closed (reason in err). */
static int ctl_poll(struct pe_ctl *c, struct json_object **msg, char *err, size_t errlen)
{
	struct pollfd p = { c->fd, POLLIN, 0 };
	int e = 0;

	if (poll(&p, 1, 0) <= 0)
		return 0;
	*msg = pe_ctl_recv(c, &e, err, errlen);
	return *msg ? 1 : e;
}

static void session_run(struct session *se)
{
	struct pe_server *s = se->s;
	struct pe_ctl ctl;
	struct pe_work w;
	struct pe_params p = se->p;
	struct pe_loop *loop = NULL;
	struct pe_listener *ls = NULL;
	struct json_object *msg = NULL, *ok;
	struct pe_addr local;
	char err[256] = "";
	char cookie_hex[PE_COOKIE_LEN + 1];
	bool got_start = false, got_end = false, work_init = false;
	uint64_t deadline, last_ctl = 0;
	int e = 0, r;

	memset(&w, 0, sizeof(w));
	if (pe_ctl_open(&ctl, se->fd, s->o.ctl_timeout_ms)) {
		close(se->fd);
		return;
	}
	{
		struct pe_loop_opts lo;

		pe_work_loop_opts(&p, s->o.backend, true, &lo);
		loop = pe_loop_open(&lo);
	}
	if (!loop || pe_work_init(&w, loop, &p, false)) {
		snprintf(err, sizeof(err), "server cannot open a loop: %s", strerror(errno));
		goto refuse;
	}
	work_init = true;
	if (getrandom(&w.cookie, sizeof(w.cookie), 0) != sizeof(w.cookie))
		w.cookie = pe_now_ns() ^ (uint64_t)(uintptr_t)&w;
	r = pe_sock_local(ctl.fd, &local);
	if (!r) {
		struct pe_conn_opts co = { .sz = sizeof(co),
					   .cbs = &pe_work_accept_cbs,
					   .data = &w,
					   .nodelay = pe_mode_desc(p.mode)->nodelay };
		struct pe_listen_opts lo = { .sz = sizeof(lo), .conn = &co, .data = &w };

		pe_addr_set_port(&local, 0);
		r = pe_listen(loop, &local, &lo, &ls);
		if (!r)
			r = pe_listener_addr(ls, &w.data_addr);
	}
	if (!r && w.ops->server_open)
		r = w.ops->server_open(&w, &w.data_addr);
	if (r) {
		snprintf(err, sizeof(err), "server cannot open the data port: %s", strerror(-r));
		goto refuse;
	}
	ok = pe_proto_msg(PE_MSG_OK);
	snprintf(cookie_hex, sizeof(cookie_hex), "%016llx", (unsigned long long)w.cookie);
	json_object_object_add(ok, "version", json_object_new_int(PE_PROTO_VERSION));
	json_object_object_add(ok, "cookie", json_object_new_string(cookie_hex));
	json_object_object_add(ok, "data_port", json_object_new_int(pe_addr_port(&w.data_addr)));
	json_object_object_add(ok, "backend", json_object_new_string(pe_loop_backend_str(loop)));
	r = pe_ctl_send(&ctl, ok);
	json_object_put(ok);
	if (r)
		goto out;

	/* wait for "start" and every data connection */
	deadline = pe_now_ns() + (uint64_t)ctl.timeout_ms * 1000000ull;
	while (!got_start || w.conns_ready < pe_work_tcp_conns(&p)) {
		if (pe_now_ns() > deadline || s->stopping) {
			snprintf(err, sizeof(err), "%s",
				 got_start ? "data connections did not arrive"
					   : "no \"start\" message");
			goto fail_send;
		}
		pe_loop_run_once(loop, 10000000ull);
		r = ctl_poll(&ctl, &msg, err, sizeof(err));
		if (r < 0)
			goto fail_log;
		if (r > 0) {
			if (strcmp(pe_proto_type(msg), PE_MSG_START)) {
				snprintf(err, sizeof(err), "expected \"start\", got \"%s\"",
					 pe_proto_type(msg));
				goto fail_send;
			}
			got_start = true;
			json_object_put(msg);
			msg = NULL;
		}
	}
	msg = pe_proto_msg(PE_MSG_GO);
	r = pe_ctl_send(&ctl, msg);
	json_object_put(msg);
	msg = NULL;
	if (r)
		goto out;
	pe_work_go(&w);

	/* run until the mode finished and the client said "end" */
	deadline = pe_now_ns() + (uint64_t)((p.duration_s + 60) * 1e9);
	while (!w.finished || !got_end) {
		uint64_t now = pe_now_ns();

		if (now > deadline || s->stopping) {
			pe_work_fail(&w, "the test did not end in time");
			break;
		}
		if (!w.finished)
			pe_loop_run_once(loop, w.busy ? 0 : 10000000ull);
		if (w.busy && w.ops->poll && !w.finished)
			w.ops->poll(&w);
		if (!got_end && (w.finished || now - last_ctl > 20000000ull)) {
			last_ctl = now;
			r = w.finished ? (msg = pe_ctl_recv(&ctl, &e, err, sizeof(err))) ? 1 : e
				       : ctl_poll(&ctl, &msg, err, sizeof(err));
			if (r < 0) {
				pe_work_fail(&w, "control connection: %s", err);
				slog(s, se->peer, "test failed", w.error);
				count(s, false);
				goto out;
			}
			if (r > 0) {
				struct pe_figures peer;
				struct json_object *f = NULL;

				if (strcmp(pe_proto_type(msg), PE_MSG_END)) {
					snprintf(err, sizeof(err), "expected \"end\", got \"%s\"",
						 pe_proto_type(msg));
					goto fail_send;
				}
				got_end = true;
				json_object_object_get_ex(msg, "figures", &f);
				pe_figures_from_json(&peer, f);
				json_object_put(msg);
				msg = NULL;
				if (w.ops->peer_end)
					w.ops->peer_end(&w, &peer);
				else if (!w.finished && !w.going)
					pe_work_finish(&w);
			}
		}
	}
	{
		struct pe_figures f;

		pe_work_figures(&w, &f);
		msg = pe_proto_msg(PE_MSG_RESULT);
		json_object_object_add(msg, "figures", pe_figures_to_json(&f));
		pe_ctl_send(&ctl, msg);
		if (!f.ok)
			slog(s, se->peer, "test failed", f.error);
		count(s, f.ok);
	}
	goto out;

refuse:
	pe_ctl_send_error(&ctl, err);
	slog(s, se->peer, "refused", err);
	count(s, false);
	goto out;
fail_send:
	pe_ctl_send_error(&ctl, err);
fail_log:
	slog(s, se->peer, "test failed", err);
	count(s, false);
out:
	if (msg)
		json_object_put(msg);
	if (loop)
		pe_loop_close(loop);
	w.loop = NULL;
	if (work_init)
		pe_work_free(&w);
	pe_ctl_close(&ctl);
}

static void session_link(struct pe_server *s, struct session *se)
{
	se->own_fd = se->fd;
	se->fd = fcntl(se->own_fd, F_DUPFD_CLOEXEC, 0);
	if (se->fd < 0) { /* run it anyway, without the wake-up at close */
		se->fd = se->own_fd;
		se->own_fd = -1;
	}
	pthread_mutex_lock(&s->mu);
	se->prev = NULL;
	se->next = s->active;
	if (s->active)
		s->active->prev = se;
	s->active = se;
	pthread_mutex_unlock(&s->mu);
}

/* With s->mu held. */
static void session_unlink(struct pe_server *s, struct session *se)
{
	if (se->prev)
		se->prev->next = se->next;
	else
		s->active = se->next;
	if (se->next)
		se->next->prev = se->prev;
	if (se->own_fd >= 0)
		close(se->own_fd);
}

/* Runs the session se, then those of the clients that waited for a slot. */
static void *session_thread(void *arg)
{
	struct session *se = arg;
	struct pe_server *s = se->s;

	for (;;) {
		session_link(s, se);
		session_run(se);
		pthread_mutex_lock(&s->mu);
		session_unlink(s, se);
		free(se);
		se = s->ready_head;
		if (!se || s->stopping)
			break;
		s->ready_head = se->next;
		if (!s->ready_head)
			s->ready_tail = NULL;
		s->ready_n--;
		pthread_mutex_unlock(&s->mu);
	}
	s->sessions--;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* A client that proved itself: a free slot starts a thread for it, else it waits in the FIFO
 * (its place was reserved when its hello was accepted). On the acceptor's thread. */
static void session_admit(struct pe_server *s, struct session *se)
{
	pthread_attr_t at;
	pthread_t t;
	int err;

	pthread_mutex_lock(&s->mu);
	s->reserved--;
	if (s->stopping) {
		pthread_mutex_unlock(&s->mu);
		close(se->fd);
		free(se);
		return;
	}
	if (s->sessions >= s->o.max_sessions) {
		se->next = NULL;
		if (s->ready_tail)
			s->ready_tail->next = se;
		else
			s->ready_head = se;
		s->ready_tail = se;
		s->ready_n++;
		pthread_mutex_unlock(&s->mu);
		return;
	}
	s->sessions++;
	pthread_mutex_unlock(&s->mu);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&t, &at, session_thread, se);
	pthread_attr_destroy(&at);
	if (err) {
		slog(s, se->peer, "refused", "cannot start a thread for the test");
		close(se->fd);
		free(se);
		pthread_mutex_lock(&s->mu);
		s->sessions--;
		s->refused++;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
}

/* ---- the lobby: connections before their hello, on the acceptor's loop ---- */

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
	slog(s, peer, "refused", msg);
	count(s, false);
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
	if (!se || pe_proto_parse_hello(msg, se ? &se->p : NULL, err, sizeof(err))) {
		json_object_put(msg);
		free(se);
		lobby_refuse(lb, se ? err : "server out of memory");
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
			session_admit(lb->s, lb->se);
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

static const struct pe_conn_cbs lobby_cbs = {
	.on_open = lobby_open,
	.on_data = lobby_data,
	.on_eof = lobby_eof,
	.on_close = lobby_close,
};

/* The pre-hello cap that fits the open-file limit: what max_sessions sessions leave, half of it
 * (the other half for clients waiting for a slot). */
static unsigned lobby_cap(const struct pe_server_opts *o)
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

struct pe_server *pe_server_open(const struct pe_server_opts *o)
{
	struct pe_server *s = calloc(1, sizeof(*s));
	struct pe_addr a, bound;
	int r;

	if (!s)
		return NULL;
	memcpy(&s->o, o, o->sz < sizeof(s->o) ? o->sz : sizeof(s->o));
	s->o.sz = sizeof(s->o);
	if (!s->o.max_sessions)
		s->o.max_sessions = 64;
	if (s->o.ctl_timeout_ms <= 0)
		s->o.ctl_timeout_ms = 10000;
	if (!s->o.hello_max_total_bytes)
		s->o.hello_max_total_bytes = PE_SERVER_HELLO_TOTAL_DEFAULT;
	s->lob_max = lobby_cap(&s->o);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->lfd = -1;
	if (o->bind && *o->bind) {
		char port[8];

		snprintf(port, sizeof(port), "%u", o->port);
		r = pe_addr_parse(&a, o->bind, port, AF_UNSPEC, SOCK_STREAM, true);
	} else {
		r = pe_addr_any(&a, AF_UNSPEC, o->port);
	}
	if (!r) {
		struct pe_sock_opts so = { .sz = sizeof(so), .nodelay = true };

		r = pe_sock_listen(&a, &so);
	}
	if (r < 0) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
		free(s);
		errno = -r;
		return NULL;
	}
	s->lfd = r;
	if (!pe_sock_local(s->lfd, &bound))
		s->port = pe_addr_port(&bound);
	return s;
}

uint16_t pe_server_port(const struct pe_server *s)
{
	return s->port;
}

unsigned pe_server_pending_max(const struct pe_server *s)
{
	return s->lob_max;
}

int pe_server_start(struct pe_server *s)
{
	/* the acceptor reads only hellos: a small set of receive buffers */
	struct pe_loop_opts lo = {
		.sz = sizeof(lo), .backend = s->o.backend, .buf_count = 64, .buf_bytes = 4096
	};
	struct pe_conn_opts co = { .sz = sizeof(co), .cbs = &lobby_cbs, .nodelay = true };
	struct pe_listen_opts lso = { .sz = sizeof(lso), .conn = &co, .data = s };
	struct pe_service_opts svc = {
		.sz = sizeof(svc), .lfd = s->lfd, .loop = &lo, .listen = &lso
	};
	struct pe_workers *w;
	int r;

	if (atomic_load(&s->acceptor) || s->lfd < 0)
		return -EALREADY;
	r = pe_workers_serve(&w, &svc);
	if (r)
		return r;
	s->lfd = -1; /* the acceptor's loop closes it */
	atomic_store(&s->acceptor, w);
	if (s->stopping)
		pe_workers_stop(w);
	return 0;
}

int pe_server_run(struct pe_server *s)
{
	int r = s->stopping ? 0 : pe_server_start(s);
	struct pe_workers *w = atomic_load(&s->acceptor);

	if (r || !w)
		return r;
	return pe_workers_join(w);
}

void pe_server_stop(struct pe_server *s)
{
	struct pe_workers *w;

	s->stopping = 1;
	w = atomic_load(&s->acceptor);
	if (w)
		pe_workers_stop(w); /* async-signal-safe */
}

void pe_server_close(struct pe_server *s)
{
	struct session *se;

	if (!s)
		return;
	pe_server_stop(s);
	/* nothing is accepted after this, and the lobby's connections are closed */
	pe_workers_free(atomic_load(&s->acceptor));
	pthread_mutex_lock(&s->mu);
	while ((se = s->ready_head)) {
		s->ready_head = se->next;
		close(se->fd);
		free(se);
	}
	s->ready_tail = NULL;
	s->ready_n = 0;
	/* a session blocked on its peer (waiting for "start", say) sees the end of its input now
	 * instead of at its deadline; what it sends still goes out */
	for (se = s->active; se; se = se->next)
		if (se->own_fd >= 0)
			shutdown(se->own_fd, SHUT_RD);
	while (s->sessions)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	if (s->lfd >= 0)
		close(s->lfd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

void pe_server_counts(struct pe_server *s, uint64_t *done, uint64_t *refused)
{
	pthread_mutex_lock(&s->mu);
	*done = s->done;
	*refused = s->refused;
	pthread_mutex_unlock(&s->mu);
}

uint64_t pe_server_dropped(struct pe_server *s)
{
	return atomic_load(&s->lob_dropped);
}
