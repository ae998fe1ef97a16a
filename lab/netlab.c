/* SPDX-License-Identifier: BSD-2-Clause */
/* The namespace lab behind netlab.h: `ip` commands build it, a small record file per lab names
 * its owner (pid and start time, so a reused pid does not keep a stale lab alive). */
#include "lab/netlab.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs a shell command, its output discarded unless PE_LAB_DEBUG is set; returns its exit
 * status, or -1 when it could not run. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int n, st;
	bool debug = getenv("PE_LAB_DEBUG") != NULL;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 32, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 32)
		return -1;
	if (!debug)
		strcat(cmd, " >/dev/null 2>&1");
	st = system(cmd);
	if (debug)
		fprintf(stderr, "lab: %s -> %d\n", cmd, st);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

bool pe_netlab_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (!n || n > PE_NETLAB_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

int pe_netlab_describe(const char *name, const struct pe_netlab_opts *opts, struct pe_netlab *lab)
{
	struct pe_netlab_opts o = { 0 };

	if (opts)
		memcpy(&o, opts, opts->sz && opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	if (!pe_netlab_name_ok(name) || o.vlan_id > 4094 ||
	    (o.mtu && (o.mtu < 68 || o.mtu > 65535)))
		return -EINVAL;
	memset(lab, 0, sizeof(*lab));
	snprintf(lab->name, sizeof(lab->name), "%s", name);
	for (int s = 0; s < 2; s++) {
		snprintf(lab->ns[s], sizeof(lab->ns[s]), "%s%c", name, 'a' + s);
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
	lab->v6 = o.v6;
	lab->gro = o.gro;
	lab->owner = o.owner ? o.owner : getpid();
	return 0;
}

/* The kernel's start time of pid (field 22 of /proc/PID/stat), 0 when it is gone. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')'); /* the command name may hold spaces */
	if (!p)
		return 0;
	/* after ") ": state is field 3; start time is field 22 */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

static void record_path(const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", PE_NETLAB_RUN_DIR, name);
}

static bool ns_exists(const char *ns)
{
	char path[128];

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	return access(path, F_OK) == 0;
}

int pe_netlab_owner(const char *name, pid_t *owner)
{
	char path[256], nsa[PE_NETLAB_NAME_MAX + 2], nsb[PE_NETLAB_NAME_MAX + 2];
	unsigned long long t = 0;
	int pid = 0, n;
	FILE *f;

	if (!pe_netlab_name_ok(name))
		return -EINVAL;
	record_path(name, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return -ENOENT;
	n = fscanf(f, "%d %llu", &pid, &t);
	fclose(f);
	if (owner)
		*owner = n >= 1 ? pid : 0;
	snprintf(nsa, sizeof(nsa), "%sa", name);
	snprintf(nsb, sizeof(nsb), "%sb", name);
	if (n != 2 || pid <= 0 || !t || start_time(pid) != t)
		return 0;
	/* a lab whose namespaces were removed by hand is stale too */
	return ns_exists(nsa) || ns_exists(nsb);
}

int pe_netlab_down(const char *name)
{
	char path[256], ns[PE_NETLAB_NAME_MAX + 2];
	bool found = false;
	int err = 0;

	if (!pe_netlab_name_ok(name))
		return -EINVAL;
	for (int s = 0; s < 2; s++) {
		snprintf(ns, sizeof(ns), "%s%c", name, 'a' + s);
		if (!ns_exists(ns))
			continue;
		found = true;
		if (sh("ip netns del %s", ns))
			err = -EIO;
	}
	record_path(name, path, sizeof(path));
	if (!unlink(path))
		found = true;
	return err ? err : found ? 0 : -ENOENT;
}

int pe_netlab_reap(void)
{
	DIR *d = opendir(PE_NETLAB_RUN_DIR);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (!pe_netlab_name_ok(e->d_name) || pe_netlab_owner(e->d_name, NULL) != 0)
			continue;
		if (!pe_netlab_down(e->d_name))
			n++;
	}
	closedir(d);
	return n;
}

static int side_setup(const struct pe_netlab *lab, int s)
{
	const char *ns = lab->ns[s], *ifn = lab->ifname[s];
	int peer = !s;

	if (sh("ip -n %s link set lo up", ns))
		return -EIO;
	/* No router solicitations, no DAD, fast unsolicited MLD reports: after up the veth
	 * sends nothing of its own, so tx/rx counters move only with the user's traffic. */
	if (!lab->v6) {
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
	 * report can leave late; the permanent neighbour entries give the peer's MAC. */
	if (sh("ip -n %s link set %s address %s arp off", ns, ifn, lab->mac[s]))
		return -EIO;
	if (lab->mtu && sh("ip -n %s link set %s mtu %u", ns, ifn, lab->mtu))
		return -EIO;
	if (sh("ip -n %s addr add %s/24 dev %s", ns, lab->ip4[s], ifn))
		return -EIO;
	if (lab->v6 && sh("ip -n %s addr add %s/64 dev %s nodad", ns, lab->ip6[s], ifn))
		return -EIO;
	if (sh("ip -n %s neigh replace %s lladdr %s dev %s nud permanent", ns, lab->ip4[peer],
	       lab->mac[peer], ifn))
		return -EIO;
	if (lab->v6 && sh("ip -n %s neigh replace %s lladdr %s dev %s nud permanent", ns,
			  lab->ip6[peer], lab->mac[peer], ifn))
		return -EIO;
	if (sh("ip -n %s link set %s up", ns, ifn))
		return -EIO;
	/* Native XDP on a veth sees the peer's frames only through the veth's NAPI, which GRO
	 * (or an XDP program on the peer) turns on. */
	if (s == 1 && lab->gro && sh("ip netns exec %s ethtool -K %s gro on", ns, ifn))
		return -EIO;
	if (lab->vlan_id) {
		const char *v = lab->vlan_if[s];

		if (sh("ip -n %s link add link %s name %s type vlan id %u", ns, ifn, v,
		       lab->vlan_id))
			return -EOPNOTSUPP; /* a kernel without CONFIG_VLAN_8021Q */
		if (lab->v6 &&
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

static int write_record(const struct pe_netlab *lab)
{
	char path[256];
	unsigned long long t = start_time(lab->owner);
	FILE *f;

	if (!t)
		return -ESRCH;
	if (mkdir("/run/pkteng", 0755) && errno != EEXIST)
		return -errno;
	if (mkdir(PE_NETLAB_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	record_path(lab->name, path, sizeof(path));
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "%d %llu\n", (int)lab->owner, t);
	return fclose(f) ? -EIO : 0;
}

int pe_netlab_up(const char *name, const struct pe_netlab_opts *opts, struct pe_netlab *lab)
{
	int err = pe_netlab_describe(name, opts, lab);

	if (err)
		return err;
	if (geteuid() != 0)
		return -EPERM;
	pe_netlab_reap();
	if (pe_netlab_owner(name, NULL) != -ENOENT || ns_exists(lab->ns[0]) ||
	    ns_exists(lab->ns[1]))
		return -EEXIST;
	/* The record first: a crash from here on leaves a stale lab that the next reap finds. */
	err = write_record(lab);
	if (err)
		return err;
	if (sh("ip netns add %s", lab->ns[0]) || sh("ip netns add %s", lab->ns[1]) ||
	    sh("ip link add %s netns %s type veth peer name %s netns %s", lab->ifname[0],
	       lab->ns[0], lab->ifname[1], lab->ns[1])) {
		err = -EIO;
		goto fail;
	}
	for (int s = 0; s < 2 && !err; s++)
		err = side_setup(lab, s);
	if (err)
		goto fail;
	return 0;
fail:
	pe_netlab_down(name);
	return err;
}
