/* SPDX-License-Identifier: BSD-2-Clause */
/* Running a suite's plan: the local servers (one per binary and backend, started on first use
 * and stopped at the end), each run as its variant's `pkteng client ... --json` in a process
 * group of its own (a Ctrl-C reaches only the suite, which stops after the current run), its
 * noise, its metrics, and its line in runs.jsonl. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "record/meta.h"
#include "record/record.h"
#include "suite/outdir.h"
#include "suite/suite.h"
#include "suite/suite_int.h"

struct server {
	int bin_idx;
	char backend[8];
	char port[12];
	pid_t pid;
	int err_fd;
};

struct runner {
	struct pe_suite *s;
	const struct pe_suite_run_opts *o;
	struct pe_suite_result *res;
	struct server servers[2 * PE_SUITE_BINS_MAX];
	unsigned n_servers;
	struct pe_outdir out;
	double t_start_s, step_s_sum;
	unsigned steps_timed;
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Forks and runs bin with args (args[0] is replaced by bin) in a process group of its own,
 * stdout and stderr to the given descriptors (-1: /dev/null), with a settings variant's
 * env.NAME=VALUE pairs (env NULL: none) added to its environment. */
static pid_t spawn_env(const char *bin, char **args, int out_fd, int err_fd,
		       const struct pe_suite_section *env)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	for (unsigned i = 0; env && i < env->n; i++)
		if (!strncmp(env->kv[i].key, "env.", 4))
			setenv(env->kv[i].key + 4, env->kv[i].alts[0], 1);
	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	{
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		dup2(null, 0);
		dup2(out_fd >= 0 ? out_fd : null, 1);
		dup2(err_fd >= 0 ? err_fd : null, 2);
	}
	args[0] = (char *)bin;
	execv(bin, args);
	_exit(127);
}

static pid_t spawn(const char *bin, char **args, int out_fd, int err_fd)
{
	return spawn_env(bin, args, out_fd, err_fd, NULL);
}

/* The whole content of a memfd as a malloc'd string. */
static char *slurp(int fd)
{
	off_t n = lseek(fd, 0, SEEK_END);
	char *buf = malloc(n > 0 ? (size_t)n + 1 : 1);

	if (!buf)
		return NULL;
	if (n <= 0 || pread(fd, buf, (size_t)n, 0) != n)
		n = 0;
	buf[n] = 0;
	return buf;
}

/* The last non-empty line of text, trimmed into out. */
static void last_line(const char *text, char *out, size_t len)
{
	const char *end = text + strlen(text), *start;

	while (end > text && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	snprintf(out, len, "%.*s", (int)(end - start), start);
}

int pe_suite_bin_version(const char *bin, char *version, size_t vlen, char *commit, size_t clen)
{
	char *args[] = { NULL, "--version", NULL }, *text, v[32], c[48];
	int fd = memfd_create("pkteng-version", MFD_CLOEXEC), st, rc = -EINVAL;
	pid_t pid;

	if (fd < 0)
		return -errno;
	pid = spawn(bin, args, fd, -1);
	if (pid < 0 || waitpid(pid, &st, 0) < 0) {
		close(fd);
		return -ECHILD;
	}
	text = slurp(fd);
	close(fd);
	if (text && sscanf(text, "pkteng %31s (git %47[^)])", v, c) == 2) {
		snprintf(version, vlen, "%s", v);
		snprintf(commit, clen, "%s", c);
		rc = 0;
	}
	free(text);
	return rc;
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -errno;
	if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &al))
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static bool listening(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof(a));

	if (fd >= 0)
		close(fd);
	return ok;
}

/* The local server of this binary and backend: started on first use. */
static struct server *server_for(struct runner *r, unsigned p, unsigned v, char *err, size_t len)
{
	const char *backend = pe_suite_point_get(&r->s->points[p], "backend");
	const struct pe_suite_variant *var = &r->s->variants[v];
	char *args[12] = { NULL, "server",    "--bind", "127.0.0.1", "-p",
			   NULL, "--backend", NULL,	"-q",	     NULL };
	struct server *sv;
	int port;

	if (var->setting_idx >= 0) {
		for (unsigned i = 0; i < r->s->settings[var->setting_idx].kv.n; i++)
			if (!strcmp(r->s->settings[var->setting_idx].kv.kv[i].key, "backend"))
				backend = r->s->settings[var->setting_idx].kv.kv[i].alts[0];
	}
	if (!backend)
		backend = "uring";
	for (unsigned i = 0; i < r->n_servers; i++)
		if (r->servers[i].bin_idx == var->bin_idx &&
		    !strcmp(r->servers[i].backend, backend))
			return &r->servers[i];
	sv = &r->servers[r->n_servers];
	memset(sv, 0, sizeof(*sv));
	sv->bin_idx = var->bin_idx;
	snprintf(sv->backend, sizeof(sv->backend), "%s", backend);
	port = free_port();
	if (port < 0) {
		snprintf(err, len, "no free port on 127.0.0.1: %s", strerror(-port));
		return NULL;
	}
	snprintf(sv->port, sizeof(sv->port), "%d", port);
	args[5] = sv->port;
	args[7] = sv->backend;
	sv->err_fd = memfd_create("pkteng-server", MFD_CLOEXEC);
	sv->pid = spawn(var->bin, args, -1, sv->err_fd);
	if (sv->pid < 0) {
		snprintf(err, len, "cannot start %s server: %s", var->bin, strerror(errno));
		return NULL;
	}
	r->n_servers++;
	for (double t0 = mono_s(); !listening(port); usleep(10000)) {
		int st;

		if (waitpid(sv->pid, &st, WNOHANG) == sv->pid || mono_s() - t0 > 5) {
			char *text = slurp(sv->err_fd), line[200];

			last_line(text ? text : "", line, sizeof(line));
			free(text);
			snprintf(err, len,
				 "the local server (%s server -p %d --backend %s) did not "
				 "start: %s",
				 var->bin, port, backend, *line ? line : "no message");
			sv->pid = 0;
			return NULL;
		}
	}
	return sv;
}

static void servers_stop(struct runner *r)
{
	for (unsigned i = 0; i < r->n_servers; i++) {
		if (r->servers[i].pid > 0) {
			kill(r->servers[i].pid, SIGTERM);
			waitpid(r->servers[i].pid, NULL, 0);
		}
		if (r->servers[i].err_fd > 0)
			close(r->servers[i].err_fd);
	}
	r->n_servers = 0;
}

/* The run's noise (here: the suite's machine) and whether it disturbed the run. */
static void add_noise(struct runner *r, struct json_object *o, const struct pe_noise *nz)
{
	struct json_object *no = json_object_new_object();
	char dwhy[200];
	bool dist = pe_noise_disturbed(r->s, nz, dwhy, sizeof(dwhy));

	pe_rec_add(no, "steal_pct", pe_rec_num(nz->steal_pct));
	pe_rec_add(no, "other_cpu_pct", pe_rec_num(nz->other_cpu_pct));
	pe_rec_add(no, "loadavg_1m", nz->loadavg_1m >= 0 ? pe_rec_num(nz->loadavg_1m) : NULL);
	pe_rec_add(no, "cpu_mhz", nz->cpu_mhz >= 0 ? pe_rec_num(nz->cpu_mhz) : NULL);
	pe_rec_add(o, "noise", no);
	pe_rec_add(o, "disturbed", json_object_new_boolean(dist));
	pe_rec_add(o, "disturbed_why", dist ? json_object_new_string(dwhy) : NULL);
}

/* One run: spawn, wait (killed after its time plus a minute), read the record, sample the
 * noise. Returns the runs.jsonl line's object (without point, variant, run and seq). */
static struct json_object *run_one(struct runner *r, const struct pe_suite_step *st, char *err,
				   size_t len, int *fatal)
{
	const struct pe_suite_point *pt = &r->s->points[st->point];
	const struct pe_suite_variant *var = &r->s->variants[st->variant];
	struct server *sv = NULL;
	char *args[PE_SUITE_ARGS_MAX + 1], *out_text = NULL, *err_text = NULL, why[200] = "",
					   start_utc[40], line[300];
	const char *port = pe_suite_point_get(pt, "port");
	struct pe_noise_snap a, b;
	struct pe_noise nz;
	struct json_object *o = json_object_new_object(), *rec = NULL, *sum, *okj;
	struct rusage ru = { 0 };
	int out_fd, err_fd, status = 0, pids[1], n_pids = 0, n;
	double limit_s =
		atof(pe_suite_point_get(pt, "time") ? pe_suite_point_get(pt, "time") : "3") + 60;
	bool ok = false;
	pid_t pid;

	*fatal = 0;
	if (pt->n_clients || pt->lab) { /* a run across hosts (multi.c) */
		pe_utc_now(start_utc, sizeof(start_utc));
		pe_noise_sample(&a, NULL, 0);
		pe_rec_add(o, "start_utc", json_object_new_string(start_utc));
		pe_suite_run_multi(r->s, st->point, st->variant, r->o->stop, o);
		pe_noise_sample(&b, NULL, 0);
		pe_noise_between(&a, &b, &nz);
		pe_rec_add(o, "duration_s", pe_rec_secs(b.t_s - a.t_s));
		add_noise(r, o, &nz);
		return o;
	}
	if (pt->local_server) {
		sv = server_for(r, st->point, st->variant, err, len);
		if (!sv) {
			*fatal = -EIO;
			json_object_put(o);
			return NULL;
		}
		port = sv->port;
		pids[n_pids++] = sv->pid;
	}
	n = pe_suite_argv(r->s, st->point, st->variant, port, true, args + 1, PE_SUITE_ARGS_MAX);
	out_fd = memfd_create("pkteng-run", MFD_CLOEXEC);
	err_fd = memfd_create("pkteng-run-err", MFD_CLOEXEC);
	pe_utc_now(start_utc, sizeof(start_utc));
	pe_noise_sample(&a, pids, (unsigned)n_pids);
	pid = n < 0 || out_fd < 0 || err_fd < 0
		      ? -1
		      : spawn_env(var->bin, args, out_fd, err_fd,
				  var->setting_idx >= 0 ? &r->s->settings[var->setting_idx].kv
							: NULL);
	if (pid > 0) {
		for (;;) {
			pid_t w = wait4(pid, &status, WNOHANG, &ru);

			if (w == pid || (w < 0 && errno != EINTR))
				break;
			if (r->o->stop && *r->o->stop > 1 && !*why) {
				/* a second Ctrl-C: this run ends now too, in order */
				kill(pid, SIGINT);
				snprintf(why, sizeof(why), "interrupted");
			}
			if (mono_s() - a.t_s > limit_s) {
				kill(pid, SIGKILL);
				snprintf(why, sizeof(why), "killed after %.0f s", limit_s);
			}
			usleep(10000);
		}
	} else {
		snprintf(why, sizeof(why), "cannot run %s: %s", var->bin,
			 n < 0 ? "too many arguments" : strerror(errno));
	}
	pe_noise_sample(&b, pids, (unsigned)n_pids);
	pe_noise_between(&a, &b, &nz);
	if (out_fd >= 0)
		out_text = slurp(out_fd);
	if (err_fd >= 0)
		err_text = slurp(err_fd);
	rec = out_text && *out_text ? json_tokener_parse(out_text) : NULL;
	if (!*why && rec && json_object_object_get_ex(rec, "summary", &sum) &&
	    json_object_object_get_ex(sum, "ok", &okj) && json_object_get_boolean(okj) &&
	    WIFEXITED(status) && !WEXITSTATUS(status))
		ok = true;
	else if (!*why) {
		last_line(err_text ? err_text : "", line, sizeof(line));
		if (WIFSIGNALED(status))
			snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(status));
		else
			snprintf(why, sizeof(why), "exit %d: %.180s", WEXITSTATUS(status),
				 *line ? line : "no record");
	}
	free(out_text);
	free(err_text);
	if (out_fd >= 0)
		close(out_fd);
	if (err_fd >= 0)
		close(err_fd);

	pe_rec_add(o, "start_utc", json_object_new_string(start_utc));
	pe_rec_add(o, "duration_s", pe_rec_secs(b.t_s - a.t_s));
	pe_rec_add(o, "ok", json_object_new_boolean(ok));
	pe_rec_add(o, "error", ok ? NULL : json_object_new_string(why));
	add_noise(r, o, &nz);
	pe_rec_add(o, "metrics", ok ? pe_suite_metrics(rec) : json_object_new_object());
	pe_rec_add(o, "record", rec);
	return o;
}

static void progress(struct runner *r, unsigned i, const struct pe_suite_step *st)
{
	unsigned left = r->s->n_steps - i;
	double per = r->steps_timed ? r->step_s_sum / r->steps_timed
				    : r->s->points[st->point].time_s + 0.5;
	int t_left = (int)(per * left + 0.5);

	fprintf(stderr, "\r\033[Kpkteng suite: %s %u of %u: %s (%s), about %d:%02d left",
		st->run ? "run" : "warm-up", i + 1, r->s->n_steps, r->s->points[st->point].id,
		r->s->variants[st->variant].name, t_left / 60, t_left % 60);
	fflush(stderr);
}

int pe_suite_run(struct pe_suite *s, const struct pe_suite_run_opts *o, struct pe_suite_result *res,
		 char *err, size_t errlen)
{
	struct runner r = { .s = s, .o = o, .res = res };
	size_t cells = (size_t)s->n_points * s->n_variants;
	unsigned seq = 0;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->planned = s->n_steps - s->n_warmup_steps;
	res->metrics = calloc(cells ? cells : 1, sizeof(*res->metrics));
	if (!res->metrics)
		return -ENOMEM;
	for (size_t i = 0; i < cells; i++)
		res->metrics[i] = json_object_new_array();
	for (unsigned p = 0; p < s->n_points; p++) {
		const char *t = pe_suite_point_get(&s->points[p], "time");

		s->points[p].time_s = t ? atof(t) : 3;
	}
	rc = pe_outdir_open(&r.out, s, o->out_dir, err, errlen);
	if (rc)
		return rc;
	for (unsigned i = 0; i < s->n_steps; i++) {
		const struct pe_suite_step *st = &s->steps[i];
		struct json_object *line;
		double t0 = mono_s();
		int fatal;

		if (o->stop && *o->stop) {
			res->interrupted = true;
			break;
		}
		if (o->progress)
			progress(&r, i, st);
		line = run_one(&r, st, err, errlen, &fatal);
		if (!line) {
			rc = fatal ? fatal : -ENOMEM;
			break;
		}
		r.step_s_sum += mono_s() - t0;
		r.steps_timed++;
		if (!st->run) { /* a warm-up: discarded, but a failure still stops the suite */
			struct json_object *ok;

			json_object_object_get_ex(line, "ok", &ok);
			if (s->on_error_stop && !json_object_get_boolean(ok)) {
				res->stopped = true;
				if (o->progress)
					fprintf(stderr, "\r\033[K");
				fprintf(stderr, "pkteng suite: warm-up of %s failed: %s\n",
					s->points[st->point].id,
					json_object_get_string(
						json_object_object_get(line, "error")));
			}
			json_object_put(line);
			if (res->stopped)
				break;
			continue;
		}
		{
			struct json_object *ok, *m, *d;

			json_object_object_get_ex(line, "ok", &ok);
			json_object_object_get_ex(line, "metrics", &m);
			json_object_object_get_ex(line, "disturbed", &d);
			res->done++;
			res->failed += !json_object_get_boolean(ok);
			res->disturbed += json_object_get_boolean(d);
			if (json_object_get_boolean(ok))
				json_object_array_add(
					res->metrics[st->point * s->n_variants + st->variant],
					json_object_get(m));
		}
		if (s->on_error_stop &&
		    !json_object_get_boolean(json_object_object_get(line, "ok")))
			res->stopped = true;
		rc = pe_outdir_run(&r.out, s, st, ++seq, line);
		json_object_put(line);
		if (rc) {
			snprintf(err, errlen, "%s/runs.jsonl: %s", o->out_dir, strerror(-rc));
			break;
		}
		if (res->stopped)
			break;
	}
	if (o->stop && *o->stop && res->done < res->planned)
		res->interrupted = true;
	if (o->progress)
		fprintf(stderr, "\r\033[K");
	servers_stop(&r);
	{
		int rc2 = pe_outdir_close(&r.out, s, res->done < res->planned, res->interrupted);

		if (rc2 && !rc) {
			snprintf(err, errlen, "%s/suite.json: %s", o->out_dir, strerror(-rc2));
			rc = rc2;
		}
	}
	return rc;
}

void pe_suite_result_free(const struct pe_suite *s, struct pe_suite_result *res)
{
	for (size_t i = 0; res->metrics && i < (size_t)s->n_points * s->n_variants; i++)
		json_object_put(res->metrics[i]);
	free(res->metrics);
	res->metrics = NULL;
}
