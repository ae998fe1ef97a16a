/* A run that spans hosts: the server on one host and a client on each of the others, every side
 * a `pkteng suite --side` reached over ssh (OpenSSH, BatchMode, the user's keys and config) or
 * run here for a local host. Each side says hello (the control protocol must match), answers
 * clock samples over its channel (NTP's four timestamps, the smallest round trip kept), and
 * starts when told; the clients are given one start time, a few hundred ms ahead. Any side
 * that cannot be reached, dies, or overruns ends the run and every other side is stopped: a
 * side's stdin closes and it kills its pkteng, so nothing is left on any host. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "record/record.h"
#include "suite/suite.h"
#include "workload/proto.h"

#define CLOCK_SAMPLES	8
#define START_LEAD_NS	300000000ull /* the clients start this far ahead of "go" */
#define HELLO_TIMEOUT_S 20	     /* ssh's ConnectTimeout is 5 s; logins can be slow */
#define SIDE_OUT_MAX	(64u << 20)  /* what a side may write: its record, with room */

/* The server or the capture leads: started first, ready before the others are told to go. */
enum side_role { R_SERVER, R_CLIENT, R_CAPTURE, R_INJECT, R_XDP };
static const char *const role_name[] = { "server", "client", "capture", "inject", "xdp" };

/* Sides that start first and say when they are ready: the server, the capture, the counter. */
static bool leads(enum side_role r)
{
	return r == R_SERVER || r == R_CAPTURE || r == R_XDP;
}

struct side {
	const struct pe_suite_host *h;
	enum side_role role;
	bool local;
	pid_t pid; /* ssh, or the local pkteng suite --side */
	int in_fd, out_fd, err_fd;
	char *buf;	      /* everything read from its stdout */
	size_t len, cap, pos; /* pos: the protocol lines consumed */
	bool eof, exited, overflow;
	int status;
	struct json_object *hello, *rec;
	double offset_ns, rtt_ns; /* its clock minus ours */
	int port;
};

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool is_local(const struct pe_suite_host *h)
{
	return !h->ssh[0] || !strcmp(h->ssh, "localhost");
}

/* 'word' for a POSIX shell: the remote command is one string that its login shell reads. */
static void quote(char **cmd, size_t *len, const char *w)
{
	size_t n = strlen(*cmd) + 4 * strlen(w) + 4;
	char *p;

	if (n > *len) {
		*len = n * 2;
		*cmd = realloc(*cmd, *len);
	}
	p = *cmd + strlen(*cmd);
	*p++ = ' ';
	*p++ = '\'';
	for (; *w; w++) {
		if (*w == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *w;
		}
	}
	*p++ = '\'';
	*p = 0;
}

/* Starts side sd running `BIN suite --side OPTS -- ARGS` here or over ssh. 0 or -errno. */
static int side_start(struct side *sd, const char *bin, char *const *opts, char *const *args,
		      const struct pe_suite_section *env)
{
	int in[2], out[2];
	char *argv[PE_SUITE_ARGS_MAX + 32], *cmd = NULL;
	size_t cl = 0;
	int n = 0;

	sd->err_fd = memfd_create("pkteng-side-err", MFD_CLOEXEC);
	if (sd->err_fd < 0 || pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -errno;
	sd->local = is_local(sd->h);
	if (sd->local) {
		argv[n++] = (char *)bin;
	} else {
		argv[n++] = "ssh";
		argv[n++] = "-T";
		argv[n++] = "-o";
		argv[n++] = "BatchMode=yes";
		argv[n++] = "-o";
		argv[n++] = "ConnectTimeout=5";
		argv[n++] = "-o";
		argv[n++] = "ServerAliveInterval=5";
		if (sd->h->ssh_config[0]) {
			argv[n++] = "-F";
			argv[n++] = (char *)sd->h->ssh_config;
		}
		argv[n++] = "--";
		argv[n++] = (char *)sd->h->ssh;
		cmd = calloc(1, cl = 256);
		if (!cmd)
			return -ENOMEM;
		strcpy(cmd, "exec env");
		for (unsigned i = 0; env && i < env->n; i++) {
			char kv[512];

			if (strncmp(env->kv[i].key, "env.", 4))
				continue;
			snprintf(kv, sizeof(kv), "%s=%s", env->kv[i].key + 4, env->kv[i].alts[0]);
			quote(&cmd, &cl, kv);
		}
		quote(&cmd, &cl, sd->h->bin[0] ? sd->h->bin : "pkteng");
	}
	{
		static char *const mid[] = { "suite", "--side", NULL };
		char *const *lists[] = { mid, opts, (char *const[]){ "--", NULL }, args };

		for (unsigned k = 0; k < 4; k++)
			for (char *const *a = lists[k]; *a; a++) {
				if (sd->local)
					argv[n++] = *a;
				else
					quote(&cmd, &cl, *a);
			}
	}
	if (!sd->local)
		argv[n++] = cmd;
	argv[n] = NULL;
	sd->pid = fork();
	if (!sd->pid) {
		for (unsigned i = 0; sd->local && env && i < env->n; i++)
			if (!strncmp(env->kv[i].key, "env.", 4))
				setenv(env->kv[i].key + 4, env->kv[i].alts[0], 1);
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(sd->err_fd, 2);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(cmd);
	close(in[0]);
	close(out[1]);
	sd->in_fd = in[1];
	sd->out_fd = out[0];
	fcntl(sd->out_fd, F_SETFL, O_NONBLOCK);
	return sd->pid < 0 ? -errno : 0;
}

/* Reads what side sd has written; waits at most timeout_ms. */
static void side_read(struct side *sd, int timeout_ms)
{
	struct pollfd pf = { .fd = sd->out_fd, .events = POLLIN };
	ssize_t r;

	if (sd->eof || poll(&pf, 1, timeout_ms) <= 0)
		return;
	for (;;) {
		if (sd->cap - sd->len < 4096) {
			char *nb;

			if (sd->cap >= SIDE_OUT_MAX) { /* a record is a few MB at most */
				sd->eof = sd->overflow = true;
				return;
			}
			nb = realloc(sd->buf, sd->cap * 2 + 65536);
			if (!nb)
				return;
			sd->buf = nb;
			sd->cap = sd->cap * 2 + 65536;
		}
		r = read(sd->out_fd, sd->buf + sd->len, sd->cap - sd->len - 1);
		if (r > 0) {
			sd->len += (size_t)r;
			sd->buf[sd->len] = 0;
		} else {
			if (!r)
				sd->eof = true;
			return;
		}
	}
}

static void side_reap(struct side *sd)
{
	if (!sd->exited && sd->pid > 0 && waitpid(sd->pid, &sd->status, WNOHANG) == sd->pid)
		sd->exited = true;
}

/* The next protocol line of side sd into line; 0, -ETIMEDOUT or -EPIPE (it ended). */
static int side_line(struct side *sd, char *line, size_t len, double timeout_s)
{
	double t_end = mono_s() + timeout_s;

	for (;;) {
		char *nl = sd->buf ? memchr(sd->buf + sd->pos, '\n', sd->len - sd->pos) : NULL;

		if (nl) {
			size_t n = (size_t)(nl - (sd->buf + sd->pos));

			snprintf(line, len, "%.*s", (int)n, sd->buf + sd->pos);
			sd->pos += n + 1;
			return 0;
		}
		if (sd->eof)
			return -EPIPE;
		if (mono_s() > t_end)
			return -ETIMEDOUT;
		side_read(sd, 50);
	}
}

/* "host NAME (DEST): " + the last line the side wrote on stderr, or what. */
static void side_error(struct side *sd, char *out, size_t len, const char *what)
{
	char text[4096] = "", *end, *start;
	ssize_t n = pread(sd->err_fd, text, sizeof(text) - 1, 0);
	off_t size = lseek(sd->err_fd, 0, SEEK_END);

	if (size > (off_t)sizeof(text) - 1)
		n = pread(sd->err_fd, text, sizeof(text) - 1, size - (off_t)sizeof(text) + 1);
	text[n > 0 ? n : 0] = 0;
	end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = 0;
	start = strrchr(text, '\n');
	start = start ? start + 1 : text;
	snprintf(out, len, "host %s%s%.120s%s: %s%s%.200s", sd->h->name, sd->local ? "" : " (",
		 sd->local ? "" : sd->h->ssh, sd->local ? "" : ")", what, *start ? ": " : "",
		 start);
}

/* Stops every side: its stdin closed (the side kills its pkteng), then ssh itself. */
static void sides_stop(struct side *sds, unsigned n)
{
	double t0 = mono_s();
	bool left;

	for (unsigned i = 0; i < n; i++)
		if (sds[i].in_fd > 0) {
			close(sds[i].in_fd);
			sds[i].in_fd = -1;
		}
	do {
		left = false;
		for (unsigned i = 0; i < n; i++) {
			side_reap(&sds[i]);
			if (sds[i].pid > 0 && !sds[i].exited) {
				left = true;
				side_read(&sds[i], 0);
			}
		}
		if (left)
			usleep(10000);
	} while (left && mono_s() - t0 < 5);
	for (unsigned i = 0; i < n; i++) {
		if (sds[i].pid > 0 && !sds[i].exited) {
			kill(-sds[i].pid, SIGKILL);
			waitpid(sds[i].pid, &sds[i].status, 0);
			sds[i].exited = true;
		}
	}
}

static int hello(struct side *sd, char *err, size_t len)
{
	struct json_object *x;
	char line[8192];
	int rc = side_line(sd, line, sizeof(line), HELLO_TIMEOUT_S), side_v, proto;

	if (rc) {
		side_reap(sd);
		side_error(sd, err, len,
			   rc == -ETIMEDOUT ? "no answer in 20 s"
					    : "cannot start pkteng suite --side");
		return rc;
	}
	sd->hello = json_tokener_parse(line);
	side_v = json_object_object_get_ex(sd->hello, "pkteng_side", &x) ? json_object_get_int(x)
									 : -1;
	proto = json_object_object_get_ex(sd->hello, "proto", &x) ? json_object_get_int(x) : -1;
	if (side_v != PE_SUITE_SIDE_VERSION || proto != PE_PROTO_VERSION) {
		snprintf(err, len,
			 "host %s: %.200s speaks control protocol %d (side %d); this pkteng speaks "
			 "%d "
			 "(side %d): install the same pkteng on every host",
			 sd->h->name, sd->h->bin[0] ? sd->h->bin : "pkteng", proto, side_v,
			 PE_PROTO_VERSION, PE_SUITE_SIDE_VERSION);
		return -EPROTO;
	}
	return 0;
}

/* NTP's estimate over the side's channel: offset = ((t2 - t1) + (t3 - t4)) / 2 from the sample
 * with the smallest round trip (t4 - t1) - (t3 - t2). */
static int clock_sample(struct side *sd, char *err, size_t len)
{
	sd->rtt_ns = INFINITY;
	for (int i = 0; i < CLOCK_SAMPLES; i++) {
		unsigned long long t2, t3;
		uint64_t t1 = real_ns(), t4;
		char line[128];

		if (write(sd->in_fd, "t\n", 2) != 2 || side_line(sd, line, sizeof(line), 10)) {
			side_reap(sd);
			side_error(sd, err, len, "ended during the clock samples");
			return -EPIPE;
		}
		t4 = real_ns();
		if (sscanf(line, "t %llu %llu", &t2, &t3) != 2) {
			snprintf(err, len, "host %s: unexpected answer '%.60s'", sd->h->name, line);
			return -EPROTO;
		}
		{
			double rtt = (double)(t4 - t1) - ((double)t3 - (double)t2);

			if (rtt < sd->rtt_ns) {
				sd->rtt_ns = rtt;
				sd->offset_ns =
					(((double)t2 - (double)t1) + ((double)t3 - (double)t4)) / 2;
			}
		}
	}
	return 0;
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
static void side_key(const struct side *sds, unsigned i, char *key, size_t len)
{
	snprintf(key, len, "%s", sds[i].h->name);
	for (unsigned k = 0; k < i; k++)
		if (sds[k].h == sds[i].h)
			snprintf(key, len, "%s.%s", sds[i].h->name, role_name[sds[i].role]);
}

static void side_json(struct json_object *hosts, const struct side *sd, const char *key)
{
	struct json_object *o = json_object_new_object();

	pe_rec_add(o, "role", json_object_new_string(role_name[sd->role]));
	pe_rec_add(o, "ssh", sd->local ? NULL : json_object_new_string(sd->h->ssh));
	pe_rec_add(o, "addr", sd->h->addr[0] ? json_object_new_string(sd->h->addr) : NULL);
	pe_rec_add(o, "pkteng_version", json_object_get(get(sd->hello, "version", NULL)));
	pe_rec_add(o, "git_commit", json_object_get(get(sd->hello, "commit", NULL)));
	pe_rec_add(o, "host", json_object_get(get(sd->hello, "host", NULL)));
	pe_rec_add(o, "dev", json_object_get(get(sd->hello, "dev", NULL)));
	pe_rec_add(o, "clock_offset_ns", isfinite(sd->rtt_ns) ? pe_rec_num(sd->offset_ns) : NULL);
	pe_rec_add(o, "clock_rtt_ns", isfinite(sd->rtt_ns) ? pe_rec_num(sd->rtt_ns) : NULL);
	if (sd->role == R_CLIENT || sd->role == R_INJECT) {
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
static void side_opts(const struct side *sd, char **opts, const char *a, const char *b)
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
		      struct side *sds, unsigned n, char *err, size_t len)
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
		const char *bin = is_local(sds[i].h) ? var->bin : sds[i].h->bin;
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
		char **own = sds[i].role == R_CAPTURE ? cap : xdp;
		int k = 0, rc;

		if (sds[i].role == R_SERVER) {
			side_opts(&sds[i], opts, "--listen", listen);
		} else {
			while (own[k]) {
				sargs[k] = own[k];
				k++;
			}
			split_args(pe_suite_point_get(pt, sds[i].role == R_CAPTURE ? "capture_args"
										   : "xdp_args"),
				   sargs, &k, PE_SUITE_ARGS_MAX,
				   sds[i].role == R_CAPTURE ? &keep_cap : &keep_xdp);
			if (sds[i].role == R_CAPTURE)
				side_opts(&sds[i], opts, "--ready-file", NULL);
			else
				side_opts(&sds[i], opts, "--ready-xdp", sds[i].h->dev);
		}
		rc = side_start(&sds[i], bin, opts, sargs, NULL);
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
		const char *bin = is_local(sds[i].h) ? var->bin : sds[i].h->bin;

		side_opts(&sds[i], opts, NULL, NULL);
		if (side_start(&sds[i], bin, opts, cargs + 1, env)) {
			snprintf(err, len, "host %s: cannot start ssh: %s", sds[i].h->name,
				 strerror(errno));
			goto out;
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (hello(&sds[i], err, len) || clock_sample(&sds[i], err, len))
			goto out;
	for (unsigned i = 0; i < f; i++) {
		if (write(sds[i].in_fd, "go\n", 3) != 3 ||
		    side_line(&sds[i], line, sizeof(line), 15) ||
		    sscanf(line, "ready %d", &sds[i].port) != 1) {
			char what[64];

			snprintf(what, sizeof(what), "the %s did not start",
				 role_name[sds[i].role]);
			side_reap(&sds[i]);
			side_error(&sds[i], err, len, what);
			goto out;
		}
	}
	t0 = real_ns() + START_LEAD_NS;
	for (unsigned i = f; i < n; i++) {
		char go[64];
		int l = snprintf(go, sizeof(go), "go %llu %d\n",
				 (unsigned long long)((double)t0 + sds[i].offset_ns),
				 sds[0].role == R_SERVER ? sds[0].port : 0);

		if (write(sds[i].in_fd, go, (size_t)l) != l) {
			side_reap(&sds[i]);
			side_error(&sds[i], err, len, "ended before the start");
			goto out;
		}
	}
	t_end = mono_s() + (double)START_LEAD_NS / 1e9 + time_s + s->grace_s + (pt->lab ? 1 : 0);
	for (;;) {
		unsigned running = 0;

		for (unsigned i = 0; i < n; i++) {
			side_read(&sds[i], 0);
			side_reap(&sds[i]);
			if (sds[i].exited && !sds[i].eof)
				side_read(&sds[i], 100);
			if (sds[i].role != R_SERVER && !sds[i].exited)
				running++;
			if (sds[i].exited &&
			    (sds[i].role == R_SERVER || !WIFEXITED(sds[i].status) ||
			     WEXITSTATUS(sds[i].status))) {
				char what[64];

				if (sds[i].role == R_SERVER)
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
						 role_name[sds[i].role],
						 WEXITSTATUS(sds[i].status));
				side_error(&sds[i], err, len, what);
				goto out;
			}
		}
		if (!running)
			break;
		if (stop && *stop > 1) {
			snprintf(err, len, "interrupted");
			goto out;
		}
		if (mono_s() > t_end) {
			for (unsigned i = 0; i < n; i++)
				if (sds[i].role != R_SERVER && !sds[i].exited) {
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

		if (sds[i].role == R_SERVER)
			continue;
		while (!sds[i].eof)
			side_read(&sds[i], 100);
		if (sds[i].overflow) {
			snprintf(err, len, "host %s: wrote more than %u MiB", sds[i].h->name,
				 SIDE_OUT_MAX >> 20);
			goto out;
		}
		sds[i].rec = json_tokener_parse(sds[i].buf ? sds[i].buf + sds[i].pos : "");
		if (!sds[i].rec || !json_object_object_get_ex(sds[i].rec, "summary", &sum) ||
		    (sds[i].role == R_CLIENT && (!json_object_object_get_ex(sum, "ok", &ok) ||
						 !json_object_get_boolean(ok)))) {
			side_error(&sds[i], err, len, "no record, or its summary says not ok");
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
	struct side sds[PE_SUITE_HOSTS_MAX + 1];
	unsigned n = pt->lab ? 1u + (pt->capture_host >= 0) + (pt->xdp_host >= 0)
			     : 1 + pt->n_clients,
		 f = 0;
	char err[600] = "";
	struct json_object *hosts = json_object_new_object(), *records = json_object_new_object();

	memset(sds, 0, sizeof(sds));
	if (pt->lab) {
		if (pt->capture_host >= 0) {
			sds[f].h = &s->hosts[pt->capture_host];
			sds[f++].role = R_CAPTURE;
		}
		if (pt->xdp_host >= 0) {
			sds[f].h = &s->hosts[pt->xdp_host];
			sds[f++].role = R_XDP;
		}
		sds[n - 1].h = &s->hosts[pt->inject_host];
		sds[n - 1].role = R_INJECT;
	} else {
		sds[0].h = &s->hosts[pt->server_host];
		sds[0].role = R_SERVER;
		for (unsigned i = 0; i < pt->n_clients; i++) {
			sds[1 + i].h = &s->hosts[pt->client_hosts[i]];
			sds[1 + i].role = R_CLIENT;
		}
	}
	f = pt->lab ? f : 1;
	for (unsigned i = 0; i < n; i++)
		sds[i].in_fd = sds[i].out_fd = sds[i].err_fd = -1;
	run_sides(s, p, v, stop, sds, n, err, sizeof(err));
	sides_stop(sds, n);

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
			if (sds[i].role == R_CLIENT) {
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
