/* SPDX-License-Identifier: BSD-2-Clause */
/* The channel to one side of a run across hosts (channel.h): a `pkteng suite --side` started
 * here or over ssh (OpenSSH, BatchMode, the user's keys and config), read line by line, then
 * its record; its hello checked (the control protocol must match) and its clock sampled the
 * NTP way (four timestamps, the smallest round trip kept). */
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

#include "suite/channel.h"
#include "workload/proto.h"

#define CLOCK_SAMPLES	8
#define HELLO_TIMEOUT_S 20 /* ssh's ConnectTimeout is 5 s; logins can be slow */

uint64_t pe_side_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double pe_side_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *const pe_side_role_name[] = { "server", "client", "capture", "inject", "xdp" };

bool pe_side_host_local(const struct pe_suite_host *h)
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
int pe_side_start(struct pe_side *sd, const char *bin, char *const *opts, char *const *args,
		  const struct pe_suite_section *env)
{
	int in[2], out[2];
	char *argv[PE_SUITE_ARGS_MAX + 32], *cmd = NULL;
	size_t cl = 0;
	int n = 0;

	sd->err_fd = memfd_create("pkteng-side-err", MFD_CLOEXEC);
	if (sd->err_fd < 0 || pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -errno;
	sd->local = pe_side_host_local(sd->h);
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
void pe_side_read(struct pe_side *sd, int timeout_ms)
{
	struct pollfd pf = { .fd = sd->out_fd, .events = POLLIN };
	ssize_t r;

	if (sd->eof || poll(&pf, 1, timeout_ms) <= 0)
		return;
	for (;;) {
		if (sd->cap - sd->len < 4096) {
			char *nb;

			if (sd->cap >= PE_SIDE_OUT_MAX) { /* a record is a few MB at most */
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

void pe_side_reap(struct pe_side *sd)
{
	if (!sd->exited && sd->pid > 0 && waitpid(sd->pid, &sd->status, WNOHANG) == sd->pid)
		sd->exited = true;
}

/* The next protocol line of side sd into line; 0, -ETIMEDOUT or -EPIPE (it ended). */
int pe_side_line(struct pe_side *sd, char *line, size_t len, double timeout_s)
{
	double t_end = pe_side_mono_s() + timeout_s;

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
		if (pe_side_mono_s() > t_end)
			return -ETIMEDOUT;
		pe_side_read(sd, 50);
	}
}

/* "host NAME (DEST): " + the last line the side wrote on stderr, or what. */
void pe_side_error(struct pe_side *sd, char *out, size_t len, const char *what)
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
void pe_sides_stop(struct pe_side *sds, unsigned n)
{
	double t0 = pe_side_mono_s();
	bool left;

	for (unsigned i = 0; i < n; i++)
		if (sds[i].in_fd > 0) {
			close(sds[i].in_fd);
			sds[i].in_fd = -1;
		}
	do {
		left = false;
		for (unsigned i = 0; i < n; i++) {
			pe_side_reap(&sds[i]);
			if (sds[i].pid > 0 && !sds[i].exited) {
				left = true;
				pe_side_read(&sds[i], 0);
			}
		}
		if (left)
			usleep(10000);
	} while (left && pe_side_mono_s() - t0 < 5);
	for (unsigned i = 0; i < n; i++) {
		if (sds[i].pid > 0 && !sds[i].exited) {
			kill(-sds[i].pid, SIGKILL);
			waitpid(sds[i].pid, &sds[i].status, 0);
			sds[i].exited = true;
		}
	}
}

int pe_side_hello(struct pe_side *sd, char *err, size_t len)
{
	struct json_object *x;
	char line[8192];
	int rc = pe_side_line(sd, line, sizeof(line), HELLO_TIMEOUT_S), side_v, proto;

	if (rc) {
		pe_side_reap(sd);
		pe_side_error(sd, err, len,
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
int pe_side_clock(struct pe_side *sd, char *err, size_t len)
{
	sd->rtt_ns = INFINITY;
	for (int i = 0; i < CLOCK_SAMPLES; i++) {
		unsigned long long t2, t3;
		uint64_t t1 = pe_side_real_ns(), t4;
		char line[128];

		if (write(sd->in_fd, "t\n", 2) != 2 || pe_side_line(sd, line, sizeof(line), 10)) {
			pe_side_reap(sd);
			pe_side_error(sd, err, len, "ended during the clock samples");
			return -EPIPE;
		}
		t4 = pe_side_real_ns();
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
