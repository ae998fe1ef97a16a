/* SPDX-License-Identifier: BSD-2-Clause */
/* The namespace lab behind lab.h: builds two namespaces and a veth pair with `ip`, remembers
 * every open lab so an atexit handler can remove what a failed test left behind. */
#include "tests/lab/lab.h"

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

/* Runs a shell command, discarding output; returns its exit status or -errno. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	struct pe_run r;
	va_list ap;
	int err;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	err = pe_run(&r, "%s", cmd);
	if (err)
		return err;
	if (r.status && getenv("PE_LAB_DEBUG"))
		fprintf(stderr, "lab: '%s' -> %d: %s", cmd, r.status, r.err);
	pe_run_free(&r);
	return r.status;
}

static int side_setup(struct pe_lab *lab, int s, const struct pe_lab_opts *o)
{
	const char *ns = lab->ns[s], *ifn = lab->ifname[s];
	int peer = !s;

	if (sh("ip -n %s link set lo up", ns))
		return -EIO;
	/* No router solicitations, no DAD, fast unsolicited MLD reports: after open the veth
	 * sends nothing of its own, so tx/rx counters move only with the test's traffic. */
	if (o->quiet_ipv6) {
		if (sh("ip netns exec %s sysctl -qw net.ipv6.conf.%s.disable_ipv6=1", ns, ifn))
			return -EIO;
	} else if (sh("ip netns exec %s sysctl -qw net.ipv6.conf.%s.accept_dad=0 "
		      "net.ipv6.conf.%s.router_solicitations=0 net.ipv6.conf.%s.accept_ra=0 "
		      "net.ipv6.conf.%s.mldv1_unsolicited_report_interval=1 "
		      "net.ipv6.conf.%s.mldv2_unsolicited_report_interval=1 "
		      "net.ipv6.conf.%s.addr_gen_mode=1",
		      ns, ifn, ifn, ifn, ifn, ifn, ifn)) {
		return -EIO;
	}
	/* arp off (IFF_NOARP): no ARP, and IPv6 joins no solicited-node groups, so no MLD
	 * report can leave late (a loaded machine delayed one past 200 ms); the permanent
	 * neighbour entries below give the peer's MAC. */
	if (sh("ip -n %s link set %s address %s arp off", ns, ifn, lab->mac[s]))
		return -EIO;
	if (lab->mtu && sh("ip -n %s link set %s mtu %u", ns, ifn, lab->mtu))
		return -EIO;
	if (sh("ip -n %s addr add %s/24 dev %s", ns, lab->ip4[s], ifn))
		return -EIO;
	if (!o->quiet_ipv6 && sh("ip -n %s addr add %s/64 dev %s nodad", ns, lab->ip6[s], ifn))
		return -EIO;
	if (sh("ip -n %s neigh replace %s lladdr %s dev %s nud permanent", ns, lab->ip4[peer],
	       lab->mac[peer], ifn))
		return -EIO;
	if (!o->quiet_ipv6 && sh("ip -n %s neigh replace %s lladdr %s dev %s nud permanent", ns,
				 lab->ip6[peer], lab->mac[peer], ifn))
		return -EIO;
	if (sh("ip -n %s link set %s up", ns, ifn))
		return -EIO;
	if (lab->vlan_id) {
		const char *v = lab->vlan_if[s];

		if (sh("ip -n %s link add link %s name %s type vlan id %u", ns, ifn, v,
		       lab->vlan_id))
			return -EOPNOTSUPP; /* a kernel without CONFIG_VLAN_8021Q */
		if (!o->quiet_ipv6 &&
		    sh("ip netns exec %s sysctl -qw net.ipv6.conf.%s.disable_ipv6=1", ns, v))
			return -EIO;
		if (sh("ip -n %s addr add %s/24 dev %s", ns, lab->vlan_ip4[s], v) ||
		    sh("ip -n %s neigh replace %s lladdr %s dev %s nud permanent", ns,
		       lab->vlan_ip4[peer], lab->mac[peer], v) ||
		    sh("ip -n %s link set %s arp off up", ns, v))
			return -EIO;
	}
	return 0;
}

/* Removes labs whose creator is gone (a test killed by its timeout runs no cleanup): names
 * pe<pid>x<n>a/b from this file, pe<pid>a/b and pe<pid>pa/b from lab.sh. */
static void remove_orphans(void)
{
	DIR *d = opendir("/run/netns");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *p = e->d_name;
		char *end;
		long pid;

		if (strncmp(p, "pe", 2) || p[2] < '1' || p[2] > '9')
			continue;
		pid = strtol(p + 2, &end, 10);
		if (*end == 'x') {
			end++;
			if (*end < '0' || *end > '9')
				continue;
			while (*end >= '0' && *end <= '9')
				end++;
		} else if (*end == 'p') {
			end++;
		}
		if ((*end != 'a' && *end != 'b') || end[1])
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		sh("ip netns del %s 2>/dev/null", p);
	}
	closedir(d);
}

int pe_lab_open(struct pe_lab *lab, const struct pe_lab_opts *opts)
{
	struct pe_lab_opts o = { 0 };
	unsigned n;
	int err;

	if (opts)
		memcpy(&o, opts, opts->sz && opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	if (geteuid() != 0)
		return -EPERM;
	if (o.vlan_id > 4094 || (o.mtu && (o.mtu < 68 || o.mtu > 65535)))
		return -EINVAL;
	memset(lab, 0, sizeof(*lab));
	n = __atomic_fetch_add(&lab_seq, 1, __ATOMIC_RELAXED);
	for (int s = 0; s < 2; s++) {
		snprintf(lab->ns[s], sizeof(lab->ns[s]), "pe%dx%u%c", (int)getpid(), n, 'a' + s);
		snprintf(lab->ifname[s], sizeof(lab->ifname[s]), "veth%d", s);
		snprintf(lab->mac[s], sizeof(lab->mac[s]), "02:00:00:00:00:%02x", s + 1);
		snprintf(lab->ip4[s], sizeof(lab->ip4[s]), "198.18.0.%d", s + 1);
		snprintf(lab->ip6[s], sizeof(lab->ip6[s]), "2001:2::%d", s + 1);
		if (o.vlan_id) {
			snprintf(lab->vlan_if[s], sizeof(lab->vlan_if[s]), "veth%d.%u", s,
				 o.vlan_id);
			snprintf(lab->vlan_ip4[s], sizeof(lab->vlan_ip4[s]), "198.18.1.%d", s + 1);
		}
	}
	lab->mtu = o.mtu;
	lab->vlan_id = o.vlan_id;
	if (!atexit_done) {
		atexit(lab_atexit);
		atexit_done = true;
		remove_orphans();
	}
	/* A namespace left by an earlier process with the same pid goes first. */
	sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null", lab->ns[0], lab->ns[1]);
	lab->open = true;
	remember(lab, true);
	if (sh("ip netns add %s", lab->ns[0]) || sh("ip netns add %s", lab->ns[1])) {
		err = -EIO;
		goto fail;
	}
	if (sh("ip link add %s netns %s type veth peer name %s netns %s", lab->ifname[0],
	       lab->ns[0], lab->ifname[1], lab->ns[1])) {
		err = -EIO;
		goto fail;
	}
	for (int s = 0; s < 2; s++) {
		err = side_setup(lab, s, &o);
		if (err)
			goto fail;
	}
	usleep(20000);
	return 0;
fail:
	pe_lab_close(lab);
	return err;
}

int pe_lab_close(struct pe_lab *lab)
{
	int err = 0;

	if (!lab->open)
		return 0;
	for (int s = 0; s < 2; s++)
		if (sh("ip netns del %s 2>/dev/null", lab->ns[s]))
			err = -EIO;
	lab->open = false;
	remember(lab, false);
	return err;
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
