/* SPDX-License-Identifier: BSD-2-Clause */
/* A run that spans hosts: the server on one host and a client on each of the others, every side
 * a `pkteng suite --side` reached over ssh (OpenSSH, BatchMode, the user's keys and config) or
 * run here for a local host. Each side says hello (the control protocol must match), answers
 * clock samples over its channel (NTP's four timestamps, the smallest round trip kept), and
 * starts when told; the clients are given one start time, a few hundred ms ahead. Any side
 * that cannot be reached, dies, or overruns ends the run and every other side is stopped: a
 * side's stdin closes and it kills its pkteng, so nothing is left on any host. The channel to
 * each side is channel.c's; an inject and its capture and XDP counter run the same way. */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "record/record.h"
#include "suite/channel.h"
#include "suite/suite.h"
#include "workload/proto.h"

#define START_LEAD_NS 300000000ull /* the clients start this far ahead of "go" */

/* Sides that start first and say when they are ready: the server, the capture, the counter. */
static bool leads(enum pe_side_role r)
{
	return r == PE_SIDE_SERVER || r == PE_SIDE_CAPTURE || r == PE_SIDE_XDP;
}

static struct json_object *get(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x = NULL, *y = NULL;

	if (!json_object_object_get_ex(o, a, &x) || !b)
		return x;
	return json_object_object_get_ex(x, b, &y) ? y : NULL;
}

/* The side's key in hosts and records: its host's name, or NAME.ROLE for a second side on
 * the same host (a capture and the XDP counter on one). */
static void side_key(const struct pe_side *sds, unsigned i, char *key, size_t len)
{
	snprintf(key, len, "%s", sds[i].h->name);
	for (unsigned k = 0; k < i; k++)
		if (sds[k].h == sds[i].h)
			snprintf(key, len, "%s.%s", sds[i].h->name, pe_side_role_name[sds[i].role]);
}

static void side_json(struct json_object *hosts, const struct pe_side *sd, const char *key)
{
	struct json_object *o = json_object_new_object();

	pe_rec_add(o, "role", json_object_new_string(pe_side_role_name[sd->role]));
	pe_rec_add(o, "ssh", sd->local ? NULL : json_object_new_string(sd->h->ssh));
	pe_rec_add(o, "addr", sd->h->addr[0] ? json_object_new_string(sd->h->addr) : NULL);
	pe_rec_add(o, "pkteng_version", json_object_get(get(sd->hello, "version", NULL)));
	pe_rec_add(o, "git_commit", json_object_get(get(sd->hello, "commit", NULL)));
	pe_rec_add(o, "host", json_object_get(get(sd->hello, "host", NULL)));
	pe_rec_add(o, "dev", json_object_get(get(sd->hello, "dev", NULL)));
	pe_rec_add(o, "clock_offset_ns", isfinite(sd->rtt_ns) ? pe_rec_num(sd->offset_ns) : NULL);
	pe_rec_add(o, "clock_rtt_ns", isfinite(sd->rtt_ns) ? pe_rec_num(sd->rtt_ns) : NULL);
	if (sd->role == PE_SIDE_CLIENT || sd->role == PE_SIDE_INJECT) {
		struct json_object *st = get(get(sd->rec, "start", "sync"), "started_ns", NULL);

		pe_rec_add(o, "started_ns", json_object_get(st));
	}
	pe_rec_add(hosts, key, o);
}

struct json_object *pe_suite_metrics_merge(struct json_object *const *metrics,
					   const char *const *names, unsigned n)
{
	struct json_object *out = json_object_new_object(), *sum = json_object_new_object(),
			   *each = json_object_new_object();

	for (unsigned i = 0; i < n; i++) {
		json_object_object_foreach(metrics[i], k, v)
		{
			double x = json_object_get_double(v), y;
			struct json_object *old;
			char name[160];
			size_t kl = strlen(k);
			bool largest = !strncmp(k, "server_cpu", 10) ||
				       !strncmp(k, "udp_loss", 8) ||
				       (kl > 3 && !strcmp(k + kl - 3, "_ns"));

			snprintf(name, sizeof(name), "%s.%s", names[i], k);
			pe_rec_add(each, name, pe_rec_num(x));
			if (json_object_object_get_ex(sum, k, &old)) {
				y = json_object_get_double(old);
				x = largest ? (x > y ? x : y) : x + y;
			}
			json_object_object_add(sum, k, pe_rec_num(x));
		}
	}
	/* the totals first, then each client's */
	json_object_object_foreach(sum, k, v) pe_rec_add(out, k, json_object_get(v));
	{
		json_object_object_foreach(each, k2, v2) pe_rec_add(out, k2, json_object_get(v2));
	}
	json_object_put(sum);
	json_object_put(each);
	return out;
}

/* Splits text at spaces into args[*n...] (copies in *keep, freed by the caller). */
static void split_args(const char *text, char **args, int *n, int max, char **keep)
{
	char *tok, *save = NULL;

	*keep = strdup(text ? text : "");
	for (tok = *keep ? strtok_r(*keep, " \t", &save) : NULL; tok && *n < max;
	     tok = strtok_r(NULL, " \t", &save))
		args[(*n)++] = tok;
	args[*n] = NULL;
}

/* The side's options: --cpus and --dev-of from its host, then extra (NULL-terminated). */
static void side_opts(const struct pe_side *sd, char **opts, const char *a, const char *b)
{
	int k = 0;

	if (a) {
		opts[k++] = (char *)a;
		if (b)
			opts[k++] = (char *)b;
	}
	if (sd->h->cpus[0]) {
		opts[k++] = "--cpus";
		opts[k++] = (char *)sd->h->cpus;
	}
	if (sd->h->addr[0]) {
		opts[k++] = "--dev-of";
		opts[k++] = (char *)sd->h->addr;
	}
	opts[k] = NULL;
}

/* The body of one run; err set on failure. */
static void run_sides(const struct pe_suite *s, unsigned p, unsigned v, volatile sig_atomic_t *stop,
		      struct pe_side *sds, unsigned n, char *err, size_t len)
{
	const struct pe_suite_point *pt = &s->points[p];
	const struct pe_suite_variant *var = &s->variants[v];
	const struct pe_suite_section *env =
		var->setting_idx >= 0 ? &s->settings[var->setting_idx].kv : NULL;
	const struct pe_suite_host *srv = sds[0].h;
	const char *backend = NULL, *port_key = pe_suite_point_get(pt, "port");
	const char *addr = srv->addr[0] ? srv->addr : "127.0.0.1";
	char listen[160], line[256], *cargs[PE_SUITE_ARGS_MAX + 1], *opts[10], secs[32], cap_s[32];
	char *keep_in = NULL, *keep_cap = NULL, *keep_xdp = NULL;
	double time_s = pt->time_s, t_end;
	unsigned f = 0; /* the first follower: the leaders come first */
	uint64_t t0;
	int nargs = 0;

	for (unsigned i = 0; env && i < env->n; i++)
		if (!strcmp(env->kv[i].key, "backend"))
			backend = env->kv[i].alts[0];
	if (!backend)
		backend = pe_suite_point_get(pt, "backend");
	while (f < n && leads(sds[f].role))
		f++;
	snprintf(listen, sizeof(listen), "%s:%s", addr, port_key ? port_key : "0");
	snprintf(secs, sizeof(secs), "%g", time_s);
	/* the capture runs from before the start to a second after the inject's end */
	snprintf(cap_s, sizeof(cap_s), "%g", time_s + (double)START_LEAD_NS / 1e9 + 1);
	/* the leaders first: the server, or the capture and the XDP counter */
	for (unsigned i = 0; i < f; i++) {
		const char *bin = pe_side_host_local(sds[i].h) ? var->bin : sds[i].h->bin;
		char *sargs[PE_SUITE_ARGS_MAX + 1] = { "server",
						       "--bind",
						       (char *)addr,
						       "-p",
						       "@PORT@",
						       "--backend",
						       (char *)(backend ? backend : "uring"),
						       "-q",
						       NULL };
		char *cap[] = { "capture",	"--dev",   (char *)sds[i].h->dev,
				"-t",		cap_s,	   "--json",
				"--ready-file", "@READY@", NULL };
		char *xdp[] = { "xdp", "run", "--dev",	(char *)sds[i].h->dev,
				"-t",  cap_s, "--json", NULL };
		char **own = sds[i].role == PE_SIDE_CAPTURE ? cap : xdp;
		int k = 0, rc;

		if (sds[i].role == PE_SIDE_SERVER) {
			side_opts(&sds[i], opts, "--listen", listen);
		} else {
			while (own[k]) {
				sargs[k] = own[k];
				k++;
			}
			split_args(pe_suite_point_get(pt, sds[i].role == PE_SIDE_CAPTURE
								  ? "capture_args"
								  : "xdp_args"),
				   sargs, &k, PE_SUITE_ARGS_MAX,
				   sds[i].role == PE_SIDE_CAPTURE ? &keep_cap : &keep_xdp);
			if (sds[i].role == PE_SIDE_CAPTURE)
				side_opts(&sds[i], opts, "--ready-file", NULL);
			else
				side_opts(&sds[i], opts, "--ready-xdp", sds[i].h->dev);
		}
		rc = pe_side_start(&sds[i], bin, opts, sargs, NULL);
		if (rc) {
			snprintf(err, len, "host %s: cannot start ssh: %s", sds[i].h->name,
				 strerror(-rc));
			goto out;
		}
	}
	if (pt->lab) { /* the inject's command */
		char *in[] = {
			"inject", "--dev", (char *)sds[f].h->dev, "-t", secs, "--json", NULL
		};

		while (in[nargs]) {
			cargs[1 + nargs] = in[nargs];
			nargs++;
		}
		split_args(pe_suite_point_get(pt, "inject_args"), cargs + 1, &nargs,
			   PE_SUITE_ARGS_MAX - 1, &keep_in);
	} else {
		/* the clients' command: the server's address; its port is known once it listens
		 * and the side puts it in place of @PORT@ */
		nargs = pe_suite_argv(s, p, v, "@PORT@", true, cargs + 1, PE_SUITE_ARGS_MAX);
		if (nargs < 0) {
			snprintf(err, len, "[%s]: too many arguments", s->tests[pt->test].name);
			goto out;
		}
		cargs[2] = (char *)addr;
	}
	for (unsigned i = f; i < n; i++) {
		const char *bin = pe_side_host_local(sds[i].h) ? var->bin : sds[i].h->bin;

		side_opts(&sds[i], opts, NULL, NULL);
		if (pe_side_start(&sds[i], bin, opts, cargs + 1, env)) {
			snprintf(err, len, "host %s: cannot start ssh: %s", sds[i].h->name,
				 strerror(errno));
			goto out;
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (pe_side_hello(&sds[i], err, len) || pe_side_clock(&sds[i], err, len))
			goto out;
	for (unsigned i = 0; i < f; i++) {
		if (write(sds[i].in_fd, "go\n", 3) != 3 ||
		    pe_side_line(&sds[i], line, sizeof(line), 15) ||
		    sscanf(line, "ready %d", &sds[i].port) != 1) {
			char what[64];

			snprintf(what, sizeof(what), "the %s did not start",
				 pe_side_role_name[sds[i].role]);
			pe_side_reap(&sds[i]);
			pe_side_error(&sds[i], err, len, what);
			goto out;
		}
	}
	t0 = pe_side_real_ns() + START_LEAD_NS;
	for (unsigned i = f; i < n; i++) {
		char go[64];
		int l = snprintf(go, sizeof(go), "go %llu %d\n",
				 (unsigned long long)((double)t0 + sds[i].offset_ns),
				 sds[0].role == PE_SIDE_SERVER ? sds[0].port : 0);

		if (write(sds[i].in_fd, go, (size_t)l) != l) {
			pe_side_reap(&sds[i]);
			pe_side_error(&sds[i], err, len, "ended before the start");
			goto out;
		}
	}
	t_end = pe_side_mono_s() + (double)START_LEAD_NS / 1e9 + time_s + s->grace_s +
		(pt->lab ? 1 : 0);
	for (;;) {
		unsigned running = 0;

		for (unsigned i = 0; i < n; i++) {
			pe_side_read(&sds[i], 0);
			pe_side_reap(&sds[i]);
			if (sds[i].exited && !sds[i].eof)
				pe_side_read(&sds[i], 100);
			if (sds[i].role != PE_SIDE_SERVER && !sds[i].exited)
				running++;
			if (sds[i].exited &&
			    (sds[i].role == PE_SIDE_SERVER || !WIFEXITED(sds[i].status) ||
			     WEXITSTATUS(sds[i].status))) {
				char what[64];

				if (sds[i].role == PE_SIDE_SERVER)
					snprintf(what, sizeof(what),
						 "the server ended during the run");
				else if (WIFSIGNALED(sds[i].status))
					snprintf(what, sizeof(what), "killed by signal %d",
						 WTERMSIG(sds[i].status));
				else if (!sds[i].local && WEXITSTATUS(sds[i].status) == 255)
					snprintf(what, sizeof(what),
						 "the connection or the remote side ended (ssh "
						 "exit 255)");
				else
					snprintf(what, sizeof(what), "the %s failed (exit %d)",
						 pe_side_role_name[sds[i].role],
						 WEXITSTATUS(sds[i].status));
				pe_side_error(&sds[i], err, len, what);
				goto out;
			}
		}
		if (!running)
			break;
		if (stop && *stop > 1) {
			snprintf(err, len, "interrupted");
			goto out;
		}
		if (pe_side_mono_s() > t_end) {
			for (unsigned i = 0; i < n; i++)
				if (sds[i].role != PE_SIDE_SERVER && !sds[i].exited) {
					snprintf(err, len,
						 "host %s: did not finish in %.0f s (time + grace)",
						 sds[i].h->name,
						 time_s + s->grace_s + (double)START_LEAD_NS / 1e9);
					goto out;
				}
		}
		{
			struct pollfd pf[PE_SUITE_HOSTS_MAX + 1];

			for (unsigned i = 0; i < n; i++)
				pf[i] = (struct pollfd){ .fd = sds[i].eof ? -1 : sds[i].out_fd,
							 .events = POLLIN };
			poll(pf, n, 20);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		struct json_object *sum, *ok;

		if (sds[i].role == PE_SIDE_SERVER)
			continue;
		while (!sds[i].eof)
			pe_side_read(&sds[i], 100);
		if (sds[i].overflow) {
			snprintf(err, len, "host %s: wrote more than %u MiB", sds[i].h->name,
				 PE_SIDE_OUT_MAX >> 20);
			goto out;
		}
		sds[i].rec = json_tokener_parse(sds[i].buf ? sds[i].buf + sds[i].pos : "");
		if (!sds[i].rec || !json_object_object_get_ex(sds[i].rec, "summary", &sum) ||
		    (sds[i].role == PE_SIDE_CLIENT && (!json_object_object_get_ex(sum, "ok", &ok) ||
						       !json_object_get_boolean(ok)))) {
			pe_side_error(&sds[i], err, len, "no record, or its summary says not ok");
			goto out;
		}
	}
out:
	free(keep_in);
	free(keep_cap);
	free(keep_xdp);
}

/* The metrics of an inject (and its capture): the inject's rates, what arrived, the loss. */
static struct json_object *lab_metrics(struct json_object *in, struct json_object *cap,
				       struct json_object *xdp)
{
	struct json_object *out = json_object_new_object(), *x, *y;
	double tx = 0, rx;

	if ((x = get(in, "summary", "tx_frames_per_s")))
		pe_rec_add(out, "tx_frames_per_s", pe_rec_num(json_object_get_double(x)));
	if ((x = get(in, "summary", "tx_bits_per_s_l2")))
		pe_rec_add(out, "tx_bits_per_s_l2", pe_rec_num(json_object_get_double(x)));
	if ((x = get(in, "summary", "tx_frames")))
		tx = json_object_get_double(x);
	if (xdp && (x = get(xdp, "summary", "rx_frames")) && (y = get(in, "summary", "t1_s")) &&
	    json_object_get_double(y) > 0)
		/* every frame the counter saw (the inject's and any other), per second of sending */
		pe_rec_add(out, "xdp_rx_frames_per_s",
			   pe_rec_num(json_object_get_double(x) / json_object_get_double(y)));
	if (!cap)
		return out;
	x = get(get(cap, "summary", "seq"), "frames", NULL);
	rx = x ? json_object_get_double(x) : 0;
	/* the inject's frames that arrived, per second of the inject's sending */
	if ((x = get(in, "summary", "t1_s")) && json_object_get_double(x) > 0)
		pe_rec_add(out, "rx_frames_per_s", pe_rec_num(rx / json_object_get_double(x)));
	if (tx > 0)
		pe_rec_add(out, "loss_pct", pe_rec_num(rx < tx ? 100 * (tx - rx) / tx : 0));
	return out;
}

void pe_suite_run_multi(const struct pe_suite *s, unsigned p, unsigned v,
			volatile sig_atomic_t *stop, struct json_object *line)
{
	const struct pe_suite_point *pt = &s->points[p];
	struct pe_side sds[PE_SUITE_HOSTS_MAX + 1];
	unsigned n = pt->lab ? 1u + (pt->capture_host >= 0) + (pt->xdp_host >= 0)
			     : 1 + pt->n_clients,
		 f = 0;
	char err[600] = "";
	struct json_object *hosts = json_object_new_object(), *records = json_object_new_object();

	memset(sds, 0, sizeof(sds));
	if (pt->lab) {
		if (pt->capture_host >= 0) {
			sds[f].h = &s->hosts[pt->capture_host];
			sds[f++].role = PE_SIDE_CAPTURE;
		}
		if (pt->xdp_host >= 0) {
			sds[f].h = &s->hosts[pt->xdp_host];
			sds[f++].role = PE_SIDE_XDP;
		}
		sds[n - 1].h = &s->hosts[pt->inject_host];
		sds[n - 1].role = PE_SIDE_INJECT;
	} else {
		sds[0].h = &s->hosts[pt->server_host];
		sds[0].role = PE_SIDE_SERVER;
		for (unsigned i = 0; i < pt->n_clients; i++) {
			sds[1 + i].h = &s->hosts[pt->client_hosts[i]];
			sds[1 + i].role = PE_SIDE_CLIENT;
		}
	}
	f = pt->lab ? f : 1;
	for (unsigned i = 0; i < n; i++)
		sds[i].in_fd = sds[i].out_fd = sds[i].err_fd = -1;
	run_sides(s, p, v, stop, sds, n, err, sizeof(err));
	pe_sides_stop(sds, n);

	{
		struct json_object *ms[PE_SUITE_HOSTS_MAX], *metrics;
		const char *names[PE_SUITE_HOSTS_MAX];
		double lo = INFINITY, hi = -INFINITY;
		unsigned nm = 0;

		for (unsigned i = 0; i < n; i++) {
			char key[64];

			side_key(sds, i, key, sizeof(key));
			side_json(hosts, &sds[i], key);
			if (!sds[i].rec || *err)
				continue;
			pe_rec_add(records, key, json_object_get(sds[i].rec));
			if (i >= f) {
				struct json_object *st =
					get(get(sds[i].rec, "start", "sync"), "started_ns", NULL);
				/* its start on our clock */
				double t = st ? json_object_get_double(st) - sds[i].offset_ns : NAN;

				lo = t < lo ? t : lo;
				hi = t > hi ? t : hi;
			}
			if (sds[i].role == PE_SIDE_CLIENT) {
				ms[nm] = pe_suite_metrics(sds[i].rec);
				names[nm++] = sds[i].h->name;
			}
		}
		if (*err)
			metrics = json_object_new_object();
		else if (pt->lab)
			metrics = lab_metrics(
				sds[n - 1].rec, pt->capture_host >= 0 ? sds[0].rec : NULL,
				pt->xdp_host >= 0 ? sds[pt->capture_host >= 0].rec : NULL);
		else
			metrics = pe_suite_metrics_merge(ms, names, nm);
		for (unsigned i = 0; i < nm; i++)
			json_object_put(ms[i]);
		pe_rec_add(line, "ok", json_object_new_boolean(!*err));
		pe_rec_add(line, "error", *err ? json_object_new_string(err) : NULL);
		pe_rec_add(line, "hosts", hosts);
		pe_rec_add(line, "start_spread_ns",
			   !*err && isfinite(lo) ? pe_rec_num(hi - lo) : NULL);
		pe_rec_add(line, "metrics", metrics);
		/* the first client's record, or the inject's */
		pe_rec_add(line, "record",
			   *err ? NULL : json_object_get(sds[pt->lab ? n - 1 : 1].rec));
		pe_rec_add(line, "records", records);
	}
	for (unsigned i = 0; i < n; i++) {
		if (sds[i].in_fd >= 0)
			close(sds[i].in_fd);
		if (sds[i].out_fd >= 0)
			close(sds[i].out_fd);
		if (sds[i].err_fd >= 0)
			close(sds[i].err_fd);
		free(sds[i].buf);
		json_object_put(sds[i].hello);
		json_object_put(sds[i].rec);
	}
}
