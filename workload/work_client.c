/* SPDX-License-Identifier: BSD-2-Clause */
/* The test client: control connection, "hello" -> "ok", data connections on the loop,
 * "start" -> "go", the run with interval lines, then "end" -> "result". */
#include "workload/work.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int connect_ctl(const struct pe_client_opts *o, struct pe_addr *peer, char *err,
		       size_t errlen)
{
	struct pe_addr addrs[8];
	int n = pe_addr_resolve(o->host, o->port, o->family, SOCK_STREAM, false, addrs, 8), i;
	int last = -ECONNREFUSED;

	if (n < 0) {
		snprintf(err, errlen, "%s port %s: %s", o->host, o->port, pe_addr_strerror(n));
		return n;
	}
	for (i = 0; i < n; i++) {
		struct pe_sock_opts so = { .sz = sizeof(so), .nodelay = true };
		struct pollfd p;
		int fd = pe_sock_connect(&addrs[i], &so), r;

		if (fd < 0) {
			last = fd;
			continue;
		}
		p.fd = fd;
		p.events = POLLOUT;
		r = poll(&p, 1, o->connect_timeout_ms ? o->connect_timeout_ms : 10000);
		r = r == 0 ? -ETIMEDOUT : r < 0 ? -errno : pe_sock_error(fd);
		if (!r) {
			*peer = addrs[i];
			return fd;
		}
		last = r;
		close(fd);
	}
	snprintf(err, errlen, "%s port %s: %s", o->host, o->port, strerror(-last));
	return last;
}

/* The last part of the grace kept for the server's result. */
#define RESULT_WAIT_MS 2000

int pe_client_run(const struct pe_client_opts *o, struct pe_figures *cli, struct pe_figures *srv,
		  bool *have_srv, char *err, size_t errlen)
{
	struct pe_ctl ctl;
	struct pe_work w;
	struct pe_loop *loop = NULL;
	struct json_object *msg = NULL;
	struct pe_addr peer;
	bool work_init = false;
	uint64_t deadline, end_deadline, last_ctl = 0;
	bool timed = false;
	int64_t data_port;
	int fd, r = 0, e = 0;

	*have_srv = false;
	pe_figures_init(cli);
	if (o->lat_hist)
		pe_hist_reset(o->lat_hist);
	memset(&w, 0, sizeof(w));
	fd = connect_ctl(o, &peer, err, errlen);
	if (fd < 0) {
		cli->ok = false;
		snprintf(cli->error, sizeof(cli->error), "%s", err);
		return fd;
	}
	pe_ctl_open(&ctl, fd, o->ctl_timeout_ms ? o->ctl_timeout_ms : 10000);
	msg = pe_proto_hello(&o->p);
	r = pe_ctl_send(&ctl, msg);
	json_object_put(msg);
	msg = NULL;
	if (r) {
		snprintf(err, errlen, "sending hello: %s", strerror(-r));
		goto out;
	}
	msg = pe_ctl_recv(&ctl, &r, err, errlen);
	if (!msg) {
		char why[200];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "waiting for the server's answer to hello: %s", why);
		goto out;
	}
	if (!strcmp(pe_proto_type(msg), PE_MSG_ERROR)) {
		snprintf(err, errlen, "server refused the test: %s",
			 pe_json_str(msg, "message", "(no reason given)"));
		r = -EPROTO;
		goto out;
	}
	if (strcmp(pe_proto_type(msg), PE_MSG_OK)) {
		snprintf(err, errlen, "expected \"ok\" from the server, got \"%s\"",
			 pe_proto_type(msg));
		r = -EPROTO;
		goto out;
	}
	{
		struct pe_loop_opts lo;

		pe_work_loop_opts(&o->p, o->backend, false, &lo);
		loop = pe_loop_open(&lo);
	}
	if (!loop) {
		r = -errno;
		snprintf(err, errlen, "cannot open the loop: %s", strerror(errno));
		goto out;
	}
	if (o->on_backend)
		o->on_backend(o->arg, pe_loop_backend_str(loop), pe_loop_fallback_reason(loop));
	r = pe_work_init(&w, loop, &o->p, true);
	if (r) {
		snprintf(err, errlen, "%s", strerror(-r));
		goto out;
	}
	work_init = true;
	w.cookie = strtoull(pe_json_str(msg, "cookie", "0"), NULL, 16);
	w.data_addr = peer;
	data_port = pe_json_i64(msg, "data_port", -1);
	if (data_port < 1 || data_port > 65535) {
		r = -EPROTO;
		snprintf(err, errlen, "the server's \"ok\" has no data_port in 1..65535");
		goto out;
	}
	pe_addr_set_port(&w.data_addr, (uint16_t)data_port);
	w.file_path = o->file_path;
	w.cport = o->cport;
	w.connect_timeout_ms = o->connect_timeout_ms;
	w.interval_s = o->interval_s;
	w.on_interval = o->on_interval;
	w.arg = o->arg;
	json_object_put(msg);
	msg = NULL;

	r = w.ops->client_open ? w.ops->client_open(&w) : 0;
	if (r) {
		snprintf(err, errlen, "opening data connections: %s", strerror(-r));
		goto out;
	}
	deadline = pe_now_ns() +
		   (uint64_t)(o->connect_timeout_ms ? o->connect_timeout_ms : 10000) * 1000000ull;
	while (w.conns_ready < pe_work_tcp_conns(&o->p) && !w.failed) {
		if (pe_now_ns() > deadline) {
			pe_work_fail(&w,
				     "data connections did not open in %d ms (--connect-timeout)",
				     o->connect_timeout_ms ? o->connect_timeout_ms : 10000);
			break;
		}
		pe_loop_run_once(loop, 10000000ull);
	}
	if (w.failed) {
		r = -EIO;
		snprintf(err, errlen, "%s", w.error);
		goto out;
	}
	msg = pe_proto_msg(PE_MSG_START);
	r = pe_ctl_send(&ctl, msg);
	json_object_put(msg);
	/* keep the loop turning while waiting: io_uring submits the data headers only there */
	deadline = pe_now_ns() + (uint64_t)ctl.timeout_ms * 1000000ull;
	for (;;) {
		struct pollfd p = { ctl.fd, POLLIN, 0 };

		pe_loop_run_once(loop, 2000000ull);
		if (poll(&p, 1, 0) > 0)
			break;
		if (pe_now_ns() > deadline || w.failed) {
			snprintf(err, errlen, "%s",
				 w.failed ? w.error : "no \"go\" from the server");
			r = -ETIMEDOUT;
			goto out;
		}
	}
	msg = pe_ctl_recv(&ctl, &r, err, errlen);
	if (!msg)
		goto out;
	if (strcmp(pe_proto_type(msg), PE_MSG_GO)) {
		if (!strcmp(pe_proto_type(msg), PE_MSG_ERROR))
			snprintf(err, errlen, "server: %s", pe_json_str(msg, "message", "?"));
		else
			snprintf(err, errlen, "expected \"go\", got \"%s\"", pe_proto_type(msg));
		r = -EPROTO;
		goto out;
	}
	json_object_put(msg);
	msg = NULL;
	pe_work_go(&w);
	/* a timed test ends within PE_CLIENT_GRACE_S of its time: the data phase gets all but the
	 * last RESULT_WAIT_MS of it, the result the rest */
	timed = o->p.duration_s > 0;
	end_deadline = pe_now_ns() +
		       (uint64_t)((o->p.duration_s + (timed ? PE_CLIENT_GRACE_S : 60)) * 1e9);
	deadline = timed ? end_deadline - RESULT_WAIT_MS * 1000000ull : end_deadline;
	while (!w.finished) {
		uint64_t now;

		pe_loop_run_once(loop, w.busy ? 0 : 10000000ull);
		if (w.busy && w.ops->poll && !w.finished)
			w.ops->poll(&w);
		if (o->stop && *o->stop && !w.stopping)
			pe_work_stop(&w); /* a signal: end in order, the server reports too */
		now = pe_now_ns();
		if (now > deadline && timed) {
			unsigned n = pe_work_tcp_conns(&o->p);

			pe_work_fail(
				&w,
				"the server did not finish the test within %d s of its end "
				"(waited for %u of %u data connections to close; is it stopped "
				"or overloaded?)",
				PE_CLIENT_GRACE_S - RESULT_WAIT_MS / 1000,
				n > w.conns_closed ? n - w.conns_closed : 0, n);
			break;
		}
		if (now > deadline) {
			pe_work_fail(&w, "the test did not end in time");
			break;
		}
		if (now - last_ctl > 20000000ull) {
			struct pollfd p = { ctl.fd, POLLIN, 0 };

			last_ctl = now;
			if (poll(&p, 1, 0) > 0) {
				msg = pe_ctl_recv(&ctl, &e, err, errlen);
				pe_work_fail(&w, "server: %s",
					     msg ? pe_json_str(msg, "message", "?") : err);
				break;
			}
		}
	}
	pe_work_figures(&w, cli);
	msg = pe_proto_msg(PE_MSG_END);
	json_object_object_add(msg, "figures", pe_figures_to_json(cli));
	r = pe_ctl_send(&ctl, msg);
	json_object_put(msg);
	msg = NULL;
	if (!r) {
		uint64_t now = pe_now_ns();

		if (timed)
			ctl.timeout_ms =
				now + RESULT_WAIT_MS * 1000000ull > end_deadline
					? RESULT_WAIT_MS
					: (int)((end_deadline - now + 999999) / 1000000ull);
		else
			ctl.timeout_ms += 5000;
		msg = pe_ctl_recv(&ctl, &r, err, errlen);
		if (!msg && r == -ETIMEDOUT && timed) {
			/* the data phase's reason, when it had one, says more */
			if (cli->ok)
				snprintf(err, errlen,
					 "no result from the server within %d ms of the test's end "
					 "(is it stopped or overloaded?)",
					 ctl.timeout_ms);
			else
				snprintf(err, errlen, "%s", cli->error);
		}
	}
	if (msg && !strcmp(pe_proto_type(msg), PE_MSG_RESULT)) {
		struct json_object *f = NULL;

		json_object_object_get_ex(msg, "figures", &f);
		pe_figures_from_json(srv, f);
		*have_srv = true;
		r = 0;
	} else if (msg) {
		snprintf(err, errlen, "server: %s", pe_json_str(msg, "message", "no result"));
		r = -EPROTO;
	}
	if (!r && !cli->ok) {
		snprintf(err, errlen, "%s", cli->error);
		r = -EIO;
	} else if (!r && !srv->ok) {
		snprintf(err, errlen, "server side: %s", srv->error);
		r = -EIO;
	}
out:
	if (msg)
		json_object_put(msg);
	if (r && cli->ok) {
		if (work_init)
			pe_work_figures(&w, cli);
		cli->ok = false;
		snprintf(cli->error, sizeof(cli->error), "%s", err);
	}
	if (o->lat_hist && work_init && w.hist)
		pe_hist_merge(o->lat_hist, w.hist);
	if (loop)
		pe_loop_close(loop);
	w.loop = NULL;
	if (work_init)
		pe_work_free(&w);
	pe_ctl_close(&ctl);
	return r;
}
