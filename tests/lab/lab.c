/* SPDX-License-Identifier: BSD-2-Clause */
/* The namespace lab behind lab.h: lab/netlab.c (the code of `pkteng lab`) builds it, owned by
 * this process; every open lab is remembered so an atexit handler removes what a failed test
 * left behind, and a lab whose process died is removed by the next one that opens a lab. */
#include "tests/lab/lab.h"

#include "lab/netlab.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PE_LAB_MAX 16

static struct pe_lab *open_labs[PE_LAB_MAX];
static unsigned lab_seq;
static bool atexit_done;

static void lab_atexit(void)
{
	for (int i = 0; i < PE_LAB_MAX; i++)
		if (open_labs[i])
			pe_lab_close(open_labs[i]);
}

static void remember(struct pe_lab *lab, bool on)
{
	for (int i = 0; i < PE_LAB_MAX; i++) {
		if (on && !open_labs[i]) {
			open_labs[i] = lab;
			return;
		}
		if (!on && open_labs[i] == lab)
			open_labs[i] = NULL;
	}
}

/* Single-quotes s for sh into out; returns out, or NULL when it does not fit. */
static char *shquote(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	if (cap < 3)
		return NULL;
	out[n++] = '\'';
	for (; *s; s++) {
		const char *piece = *s == '\'' ? "'\\''" : NULL;
		size_t len = piece ? 4 : 1;

		if (n + len + 2 > cap)
			return NULL;
		if (piece)
			memcpy(out + n, piece, len);
		else
			out[n] = *s;
		n += len;
	}
	out[n++] = '\'';
	out[n] = 0;
	return out;
}

int pe_lab_open(struct pe_lab *lab, const struct pe_lab_opts *opts)
{
	struct pe_lab_opts o = { 0 };
	struct pe_netlab nl;
	struct pe_netlab_opts no = { .sz = sizeof(no) };
	char name[PE_NETLAB_NAME_MAX + 1];
	unsigned n;
	int err;

	if (opts)
		memcpy(&o, opts, opts->sz && opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	if (geteuid() != 0)
		return -EPERM;
	memset(lab, 0, sizeof(*lab));
	n = __atomic_fetch_add(&lab_seq, 1, __ATOMIC_RELAXED);
	snprintf(name, sizeof(name), "pe%dx%u", (int)getpid(), n);
	no.mtu = o.mtu;
	no.vlan_id = o.vlan_id;
	no.v6 = !o.quiet_ipv6;
	no.owner = getpid();
	if (!atexit_done) {
		atexit(lab_atexit);
		atexit_done = true;
	}
	err = pe_netlab_up(name, &no, &nl);
	if (err == -EEXIST && pe_netlab_owner(name, NULL) == -ENOENT) {
		/* namespaces without a record, named with this pid: left by a process long gone */
		pe_netlab_down(name);
		err = pe_netlab_up(name, &no, &nl);
	}
	if (err)
		return err == -EEXIST || err == -ESRCH ? -EIO : err;
	for (int s = 0; s < 2; s++) {
		memcpy(lab->ns[s], nl.ns[s], sizeof(lab->ns[s]));
		memcpy(lab->ifname[s], nl.ifname[s], sizeof(lab->ifname[s]));
		memcpy(lab->vlan_if[s], nl.vlan_if[s], sizeof(lab->vlan_if[s]));
		memcpy(lab->mac[s], nl.mac[s], sizeof(lab->mac[s]));
		memcpy(lab->ip4[s], nl.ip4[s], sizeof(lab->ip4[s]));
		memcpy(lab->ip6[s], nl.ip6[s], sizeof(lab->ip6[s]));
		memcpy(lab->vlan_ip4[s], nl.vlan_ip4[s], sizeof(lab->vlan_ip4[s]));
	}
	snprintf(lab->name, sizeof(lab->name), "%s", name);
	lab->mtu = o.mtu;
	lab->vlan_id = o.vlan_id;
	lab->open = true;
	remember(lab, true);
	usleep(20000);
	return 0;
}

int pe_lab_close(struct pe_lab *lab)
{
	int err;

	if (!lab->open)
		return 0;
	err = pe_netlab_down(lab->name);
	lab->open = false;
	remember(lab, false);
	return err == -EIO ? -EIO : 0;
}

static int build_cmd(const struct pe_lab *lab, int side, char *out, size_t cap, const char *fmt,
		     va_list ap)
{
	char inner[6144], quoted[8192];

	if (side < 0 || side > 1)
		return -EINVAL;
	if ((size_t)vsnprintf(inner, sizeof(inner), fmt, ap) >= sizeof(inner))
		return -E2BIG;
	if (!shquote(inner, quoted, sizeof(quoted)))
		return -E2BIG;
	if ((size_t)snprintf(out, cap, "exec ip netns exec %s sh -c %s", lab->ns[side], quoted) >=
	    cap)
		return -E2BIG;
	return 0;
}

int pe_lab_run(const struct pe_lab *lab, int side, struct pe_run *r, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int err;

	memset(r, 0, sizeof(*r));
	va_start(ap, fmt);
	err = build_cmd(lab, side, cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (err)
		return err;
	return pe_run(r, "%s", cmd);
}

int pe_lab_counter(const struct pe_lab *lab, int side, const char *ifname, const char *stat,
		   uint64_t *out)
{
	unsigned long long v;
	struct pe_run r;
	int err;

	err = pe_lab_run(lab, side, &r, "cat /sys/class/net/%s/statistics/%s",
			 ifname ? ifname : lab->ifname[side], stat);
	if (err)
		return err;
	err = (r.status || sscanf(r.out, "%llu", &v) != 1) ? -ENOENT : 0;
	if (!err)
		*out = v;
	pe_run_free(&r);
	return err;
}

int pe_lab_bg_start(const struct pe_lab *lab, int side, struct pe_lab_bg *bg, const char *out_path,
		    const char *err_path, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	pid_t pid;
	int err;

	bg->pid = -1;
	va_start(ap, fmt);
	err = build_cmd(lab, side, cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (err)
		return err;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int o = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err_path ? err_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		setpgid(0, 0);
		if (o >= 0)
			dup2(o, 1);
		if (e >= 0)
			dup2(e, 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	bg->pid = pid;
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

int pe_lab_bg_wait(struct pe_lab_bg *bg, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int st;

	if (bg->pid <= 0)
		return -ECHILD;
	for (;;) {
		pid_t p = waitpid(bg->pid, &st, WNOHANG);

		if (p == bg->pid)
			break;
		if (p < 0 && errno != EINTR)
			return -errno;
		if (now_ms() >= deadline) {
			kill(-bg->pid, SIGKILL);
			kill(bg->pid, SIGKILL);
			while (waitpid(bg->pid, &st, 0) < 0 && errno == EINTR)
				;
			break;
		}
		usleep(2000);
	}
	bg->pid = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int pe_lab_wait_file(const char *path, struct pe_lab_bg *bg, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	struct stat st;

	for (;;) {
		if (!stat(path, &st))
			return 0;
		if (bg && bg->pid > 0) {
			siginfo_t si = { 0 };

			if (!waitid(P_PID, bg->pid, &si, WEXITED | WNOHANG | WNOWAIT) &&
			    si.si_pid == bg->pid)
				return -ECHILD;
		}
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(1000);
	}
}
