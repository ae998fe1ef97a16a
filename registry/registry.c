/* The client registry server and client. Each connection gets its own thread (started, and
 * joined at close); every request and answer is one length-prefixed JSON frame, so a list of
 * any size arrives whole, and json-c does all the escaping. */
#include "registry/registry.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine/addr.h"
#include "workload/ctl.h"
#include "workload/proto.h"

struct entry {
	char *name;
	size_t name_len;
	char addr[PE_ADDR_STRLEN];
	uint16_t port;
};

struct rconn {
	struct pe_registry *r;
	int fd;
	pthread_t thr;
	bool done;
	struct rconn *next;
};

struct pe_registry {
	struct pe_registry_opts o;
	int lfd, efd;
	uint16_t port;
	pthread_t thr;
	bool thr_started;
	volatile int stopping;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct entry *e;
	size_t n, cap;
	struct rconn *conns;
	unsigned nconns;
};

int pe_registry_check_name(const char *name, size_t len, char *why, size_t whylen)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t i = 0;

	if (!len) {
		if (why)
			snprintf(why, whylen, "name is empty");
		return -EINVAL;
	}
	if (len > PE_REGISTRY_NAME_MAX) {
		if (why)
			snprintf(why, whylen, "name is %zu bytes, longer than %d", len,
				 PE_REGISTRY_NAME_MAX);
		return -ENAMETOOLONG;
	}
	while (i < len) {
		unsigned c = p[i], n, k;
		uint32_t cp;

		if (!c) {
			if (why)
				snprintf(why, whylen, "name contains a NUL byte at %zu", i);
			return -EINVAL;
		}
		n = c < 0x80		 ? 0
		    : (c & 0xe0) == 0xc0 ? 1
		    : (c & 0xf0) == 0xe0 ? 2
		    : (c & 0xf8) == 0xf0 ? 3
					 : 9;
		if (n == 9 || i + n >= len + (n ? 0 : 1))
			goto bad;
		cp = n ? c & (0x3f >> n) : c;
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			goto bad;
		i += n + 1;
	}
	return 0;
bad:
	if (why)
		snprintf(why, whylen, "name is not valid UTF-8 (byte %zu)", i);
	return -EINVAL;
}

static struct json_object *list_json(struct pe_registry *r)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array_ext((int)r->n);
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(
			e, "name", json_object_new_string_len(r->e[i].name, (int)r->e[i].name_len));
		json_object_object_add(e, "address", json_object_new_string(r->e[i].addr));
		json_object_object_add(e, "port", json_object_new_int(r->e[i].port));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "count", json_object_new_int64((int64_t)r->n));
	json_object_object_add(o, "clients", a);
	return o;
}

static int send_obj(struct pe_ctl *c, struct json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);

	return s ? pe_ctl_send_raw(c, s, len) : -ENOMEM;
}

static int send_error(struct pe_ctl *c, const char *msg)
{
	struct json_object *o = json_object_new_object();
	int err;

	json_object_object_add(o, "error", json_object_new_string(msg));
	err = send_obj(c, o);
	json_object_put(o);
	return err;
}

/* One request: {"name": "..."} registers (and answers the list unless "list": false); {}
 * answers the list. Returns 0 to keep the connection, -errno to close it. */
static int handle(struct pe_registry *r, struct pe_ctl *c, const struct pe_addr *peer,
		  const void *msg, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req = tok ? json_tokener_parse_ex(tok, msg, (int)len) : NULL,
			   *name = NULL;
	bool complete = tok && json_tokener_get_error(tok) == json_tokener_success &&
			json_tokener_get_parse_end(tok) == len;
	struct json_object *ans, *lv;
	bool want_list = true;
	char why[128];
	int err = 0;

	json_tokener_free(tok);
	if (!req || !complete || !json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		if (r->o.log)
			fprintf(stderr, "pkteng registry: request is not a JSON object\n");
		send_error(c, "request is not a JSON object");
		return -EPROTO;
	}
	if (json_object_object_get_ex(req, "list", &lv))
		want_list = json_object_get_boolean(lv);
	if (json_object_object_get_ex(req, "name", &name)) {
		const char *s;
		size_t n;
		struct entry e;

		if (!json_object_is_type(name, json_type_string)) {
			send_error(c, "\"name\" must be a string");
			json_object_put(req);
			return 0;
		}
		s = json_object_get_string(name);
		n = (size_t)json_object_get_string_len(name);
		if (pe_registry_check_name(s, n, why, sizeof(why))) {
			if (r->o.log)
				fprintf(stderr, "pkteng registry: refused a name: %s\n", why);
			send_error(c, why);
			json_object_put(req);
			return 0;
		}
		memset(&e, 0, sizeof(e));
		e.name = malloc(n + 1);
		if (!e.name) {
			json_object_put(req);
			return -ENOMEM;
		}
		memcpy(e.name, s, n + 1);
		e.name_len = n;
		pe_addr_format_ip(peer, e.addr, sizeof(e.addr));
		e.port = pe_addr_port(peer);
		pthread_mutex_lock(&r->mu);
		if (r->n == r->cap) {
			size_t ncap = r->cap ? r->cap * 2 : 64;
			struct entry *ne = realloc(r->e, ncap * sizeof(*ne));

			if (!ne) {
				pthread_mutex_unlock(&r->mu);
				free(e.name);
				json_object_put(req);
				return -ENOMEM;
			}
			r->e = ne;
			r->cap = ncap;
		}
		r->e[r->n++] = e;
		pthread_mutex_unlock(&r->mu);
	}
	json_object_put(req);
	if (want_list) {
		pthread_mutex_lock(&r->mu);
		ans = list_json(r);
		pthread_mutex_unlock(&r->mu);
	} else {
		ans = json_object_new_object();
		pthread_mutex_lock(&r->mu);
		json_object_object_add(ans, "count", json_object_new_int64((int64_t)r->n));
		pthread_mutex_unlock(&r->mu);
	}
	err = send_obj(c, ans);
	json_object_put(ans);
	return err;
}

static void *conn_thread(void *arg)
{
	struct rconn *rc = arg;
	struct pe_registry *r = rc->r;
	struct pe_ctl c;
	struct pe_addr peer;
	char why[160];

	if (pe_sock_peer(rc->fd, &peer))
		memset(&peer, 0, sizeof(peer));
	pe_ctl_open(&c, rc->fd, 30000);
	pe_lpm_dec_free(&c.dec);
	pe_lpm_dec_init(&c.dec, PE_REGISTRY_MSG_MAX);
	while (!r->stopping) {
		const void *msg;
		size_t len;
		int err = pe_ctl_recv_frame(&c, &msg, &len, why, sizeof(why));

		if (err) {
			if (err == -EPROTO) {
				send_error(&c, why);
				if (r->o.log)
					fprintf(stderr, "pkteng registry: %s\n", why);
			} else if (err != -ECONNRESET && r->o.log) {
				fprintf(stderr, "pkteng registry: %s\n", why);
			} else if (strstr(why, "truncated") && r->o.log) {
				fprintf(stderr, "pkteng registry: %s\n", why);
			}
			break;
		}
		if (handle(r, &c, &peer, msg, len))
			break;
	}
	pe_ctl_close(&c);
	pthread_mutex_lock(&r->mu);
	rc->done = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* Joins the threads of finished connections; with `all`, waits for every one. */
static void reap(struct pe_registry *r, bool all)
{
	struct rconn **pp;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		bool waiting = false;

		for (pp = &r->conns; *pp;) {
			struct rconn *rc = *pp;

			if (rc->done) {
				*pp = rc->next;
				pthread_mutex_unlock(&r->mu);
				pthread_join(rc->thr, NULL);
				free(rc);
				pthread_mutex_lock(&r->mu);
				r->nconns--;
				pp = &r->conns;
				continue;
			}
			waiting = true;
			pp = &rc->next;
		}
		if (!all || !waiting)
			break;
		pthread_cond_wait(&r->cv, &r->mu);
	}
	pthread_mutex_unlock(&r->mu);
}

struct pe_registry *pe_registry_open(const struct pe_registry_opts *o)
{
	struct pe_registry *r = calloc(1, sizeof(*r));
	struct pe_sock_opts so = { .sz = sizeof(so) };
	struct pe_addr a, bound;
	int err;

	if (!r)
		return NULL;
	r->o = *o;
	if (r->o.max_conns <= 0)
		r->o.max_conns = 256;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
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
		pthread_cond_destroy(&r->cv);
		free(r);
		errno = -err;
		return NULL;
	}
	r->lfd = err;
	r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
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
	size_t n;

	pthread_mutex_lock(&r->mu);
	n = r->n;
	pthread_mutex_unlock(&r->mu);
	return n;
}

int pe_registry_run(struct pe_registry *r)
{
	while (!r->stopping) {
		struct pollfd p[2] = { { r->lfd, POLLIN, 0 }, { r->efd, POLLIN, 0 } };
		struct rconn *rc;
		int fd;

		if (poll(p, 2, 1000) < 0 && errno != EINTR)
			return -errno;
		reap(r, false);
		if (r->stopping || p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		pthread_mutex_lock(&r->mu);
		while ((int)r->nconns >= r->o.max_conns && !r->stopping) {
			pthread_mutex_unlock(&r->mu);
			reap(r, false);
			poll(NULL, 0, 10);
			pthread_mutex_lock(&r->mu);
		}
		pthread_mutex_unlock(&r->mu);
		fd = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		rc = calloc(1, sizeof(*rc));
		if (!rc) {
			close(fd);
			continue;
		}
		rc->r = r;
		rc->fd = fd;
		if (pthread_create(&rc->thr, NULL, conn_thread, rc)) {
			close(fd);
			free(rc);
			continue;
		}
		pthread_mutex_lock(&r->mu);
		rc->next = r->conns;
		r->conns = rc;
		r->nconns++;
		pthread_mutex_unlock(&r->mu);
	}
	return 0;
}

static void *serve_thread(void *arg)
{
	pe_registry_run(arg);
	return NULL;
}

int pe_registry_start(struct pe_registry *r)
{
	int err = pthread_create(&r->thr, NULL, serve_thread, r);

	if (err)
		return -err;
	r->thr_started = true;
	return 0;
}

void pe_registry_stop(struct pe_registry *r)
{
	uint64_t one = 1;

	r->stopping = 1;
	if (write(r->efd, &one, sizeof(one)) < 0) {
		/* cannot fail for an eventfd below its maximum */
	}
}

void pe_registry_close(struct pe_registry *r)
{
	struct rconn *rc;
	size_t i;

	if (!r)
		return;
	pe_registry_stop(r);
	if (r->thr_started)
		pthread_join(r->thr, NULL);
	/* wake connection threads blocked in poll */
	pthread_mutex_lock(&r->mu);
	for (rc = r->conns; rc; rc = rc->next)
		if (!rc->done)
			shutdown(rc->fd, SHUT_RDWR);
	pthread_mutex_unlock(&r->mu);
	reap(r, true);
	for (i = 0; i < r->n; i++)
		free(r->e[i].name);
	free(r->e);
	close(r->lfd);
	close(r->efd);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

int pe_registry_query(const char *host, uint16_t port, const char *name, size_t name_len,
		      bool want_list, struct json_object **reply, char *why, size_t whylen)
{
	struct pe_addr addrs[8];
	struct pe_ctl c;
	struct json_object *req;
	struct json_tokener *tok;
	const void *msg;
	size_t len;
	char ps[8];
	int n, i, fd = -ECONNREFUSED, err;

	*reply = NULL;
	if (name && pe_registry_check_name(name, name_len, why, whylen))
		return pe_registry_check_name(name, name_len, NULL, 0);
	snprintf(ps, sizeof(ps), "%u", port);
	n = pe_addr_resolve(host, ps, AF_UNSPEC, SOCK_STREAM, false, addrs, 8);
	if (n < 0) {
		snprintf(why, whylen, "%s: %s", host, pe_addr_strerror(n));
		return n;
	}
	for (i = 0; i < n; i++) {
		struct pollfd p;

		fd = pe_sock_connect(&addrs[i], NULL);
		if (fd < 0)
			continue;
		p.fd = fd;
		p.events = POLLOUT;
		err = poll(&p, 1, 5000) == 1 ? pe_sock_error(fd) : -ETIMEDOUT;
		if (!err)
			break;
		close(fd);
		fd = err;
	}
	if (fd < 0) {
		snprintf(why, whylen, "%s port %u: %s", host, port, strerror(-fd));
		return fd;
	}
	pe_ctl_open(&c, fd, 30000);
	pe_lpm_dec_free(&c.dec);
	pe_lpm_dec_init(&c.dec, PE_REGISTRY_MSG_MAX);
	req = json_object_new_object();
	if (name)
		json_object_object_add(req, "name",
				       json_object_new_string_len(name, (int)name_len));
	if (name && !want_list)
		json_object_object_add(req, "list", json_object_new_boolean(0));
	err = send_obj(&c, req);
	json_object_put(req);
	if (!err)
		err = pe_ctl_recv_frame(&c, &msg, &len, why, whylen);
	else
		snprintf(why, whylen, "sending: %s", strerror(-err));
	if (!err) {
		tok = json_tokener_new();
		*reply = json_tokener_parse_ex(tok, msg, (int)len);
		if (!*reply || json_tokener_get_parse_end(tok) != len) {
			json_object_put(*reply);
			*reply = NULL;
			snprintf(why, whylen, "the registry's answer is not JSON");
			err = -EPROTO;
		} else if (json_object_object_get_ex(*reply, "error", NULL)) {
			snprintf(why, whylen, "registry refused: %s",
				 pe_json_str(*reply, "error", "?"));
			err = -EPROTO;
		}
		json_tokener_free(tok);
	}
	pe_ctl_close(&c);
	return err;
}
