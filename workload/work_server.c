/* SPDX-License-Identifier: BSD-2-Clause */
/* The test server: an acceptor (a loop of its own, engine/worker.h's pe_workers_serve) holds
 * each new control connection in its lobby (work_lobby.c) until it has sent a whole, valid
 * "hello" within a deadline for the whole message, then hands it to a session thread of its
 * own, one thread and one loop per test. The session answers "ok" with a cookie and a data
 * port (or "error" and a log line), waits for "start" and the data connections, says "go",
 * runs the mode, and answers the client's "end" with "result". */
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
#include <unistd.h>

#include "engine/worker.h"
#include "workload/server_int.h"

/* At most SRV_LOG_PER_S lines a second (a flood of bad clients must not flood the log too);
 * the lines left out are counted in the next one. */
void pe__srv_log(struct pe_server *s, const char *peer, const char *what, const char *msg)
{
	uint64_t sec = pe_now_ns() / 1000000000ull;
	unsigned skipped = 0;
	bool show;

	if (!s->o.log)
		return;
	pthread_mutex_lock(&s->mu);
	if (sec != s->log_sec) {
		skipped = s->log_skipped;
		s->log_sec = sec;
		s->log_n = s->log_skipped = 0;
	}
	show = s->log_n++ < SRV_LOG_PER_S;
	if (!show)
		s->log_skipped++;
	pthread_mutex_unlock(&s->mu);
	if (skipped)
		fprintf(stderr, "pkteng server: %u more such lines not shown\n", skipped);
	if (show)
		fprintf(stderr, "pkteng server: %s: %s: %s\n", peer, what, msg);
}

/* The line of a finished test: who, what, and what it measured on this side. */
static void log_result(struct pe_server *s, const char *peer, const struct pe_params *p,
		       const struct pe_figures *f)
{
	double secs = f->seconds > 0 ? f->seconds : 1e-9;
	char a[32], b[32], t[48] = "";

	if (!s->o.log || !f->ok)
		return;
	if (f->c.transactions)
		snprintf(t, sizeof(t), ", %llu transactions",
			 (unsigned long long)f->c.transactions);
	fprintf(stderr,
		"pkteng server: %s: %s test done: %.2f s, received %llu B (%s), sent %llu B "
		"(%s)%s\n",
		peer, pe_mode_name(p->mode), f->seconds, (unsigned long long)f->c.bytes_rx,
		pe_fmt_bits(a, sizeof(a), (double)f->c.bytes_rx * 8 / secs),
		(unsigned long long)f->c.bytes_tx,
		pe_fmt_bits(b, sizeof(b), (double)f->c.bytes_tx * 8 / secs), t);
}

void pe__srv_count(struct pe_server *s, bool ok)
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

/* Returns whether the session was a test (its hello was valid), for --one-off. */
static bool session_run(struct session *se)
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
	bool was_test = false;
	int e = 0, r;

	memset(&w, 0, sizeof(w));
	if (pe_ctl_open(&ctl, se->fd, s->o.ctl_timeout_ms)) {
		close(se->fd);
		return false;
	}
	was_test = true; /* the lobby took a valid hello: this is a test */
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
					   .nodelay = pe_mode_desc(p.mode)->nodelay,
					   .sndbuf_bytes = (int)p.window_bytes,
					   .rcvbuf_bytes = (int)p.window_bytes };
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
	deadline =
		pe_now_ns() +
		(uint64_t)(s->o.connect_timeout_ms ? s->o.connect_timeout_ms : 10000) * 1000000ull;
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
				pe__srv_log(s, se->peer, "test failed", w.error);
				pe__srv_count(s, false);
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
			pe__srv_log(s, se->peer, "test failed", f.error);
		log_result(s, se->peer, &p, &f);
		pe__srv_count(s, f.ok);
	}
	goto out;

refuse:
	pe_ctl_send_error(&ctl, err);
	pe__srv_log(s, se->peer, "refused", err);
	pe__srv_count(s, false);
	goto out;
fail_send:
	pe_ctl_send_error(&ctl, err);
fail_log:
	pe__srv_log(s, se->peer, "test failed", err);
	pe__srv_count(s, false);
out:
	if (msg)
		json_object_put(msg);
	if (loop)
		pe_loop_close(loop);
	w.loop = NULL;
	if (work_init)
		pe_work_free(&w);
	pe_ctl_close(&ctl);
	return was_test;
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
		if (session_run(se) && s->o.one_off)
			pe_server_stop(s);
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

void pe__srv_admit(struct pe_server *s, struct session *se)
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
		pe__srv_log(s, se->peer, "refused", "cannot start a thread for the test");
		close(se->fd);
		free(se);
		pthread_mutex_lock(&s->mu);
		s->sessions--;
		s->refused++;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
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
	s->lob_max = pe__srv_lobby_cap(&s->o);
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
	struct pe_conn_opts co = { .sz = sizeof(co), .cbs = &pe__srv_lobby_cbs, .nodelay = true };
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
