/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng lab up|down|list`: the two-namespace veth lab (lab/netlab.h) from the command line,
 * the same code the tests and tests/lab/lab.sh use. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab/netlab.h"
#include "tools/cli.h"

#define DEFAULT_NAME "pelab"

static const char usage[] =
	"Usage: pkteng lab up [NAME] [--vlan ID] [--v6] [--mtu N] [--no-gro] [--owner PID] "
	"[--env]\n"
	"       pkteng lab down [NAME]\n"
	"       pkteng lab list\n"
	"Builds the lab: namespaces NAMEa and NAMEb (NAME: " DEFAULT_NAME
	"), joined by a veth pair\n"
	"(veth0 in A, veth1 in B), 198.18.0.1/24 and 198.18.0.2/24, MACs 02:00:00:00:00:01 and\n"
	"02:00:00:00:00:02, ARP off with permanent neighbours (the kernel sends nothing of its\n"
	"own), IPv6 off unless --v6, and rx-gro on veth1 (native XDP on a veth needs it). The lab\n"
	"belongs to a process (--owner, default: the one that ran pkteng, e.g. your shell, past\n"
	"sudo); once that process is gone the lab is stale, and the next `lab up` or `lab down`\n"
	"removes it.\n"
	"  up          build NAME and print how to enter each side\n"
	"  down        remove NAME (default " DEFAULT_NAME "), and every stale lab\n"
	"  list        the labs, their owners, live or stale\n"
	"  --vlan ID   a VLAN sub-interface on both ends: veth0.ID 198.18.1.1, veth1.ID "
	"198.18.1.2\n"
	"  --v6        IPv6 too: 2001:2::1/64 and 2001:2::2/64, permanent neighbours, no DAD\n"
	"  --mtu N     the veths' MTU (68..65535)\n"
	"  --no-gro    leave rx-gro off on veth1\n"
	"  --owner PID the process the lab belongs to\n"
	"  --env       print PE_* shell variables instead (PE_NS_A=..., for eval)\n";

enum { O_VLAN = 256, O_V6, O_MTU, O_NO_GRO, O_OWNER, O_ENV };

static int lab_err(const char *verb, const char *name, int err)
{
	switch (err) {
	case -EPERM:
		return pe_fail("lab %s: needs root (ip netns)", verb);
	case -EEXIST:
		return pe_fail("lab %s %s: exists and its owner is alive (pkteng lab down %s)",
			       verb, name, name);
	case -ENOENT:
		return pe_fail("lab %s %s: no such lab", verb, name);
	case -EOPNOTSUPP:
		return pe_fail("lab %s %s: the kernel has no 802.1Q VLAN devices", verb, name);
	case -ESRCH:
		return pe_usage("--owner: no such process");
	default:
		return pe_fail("lab %s %s: %s (PE_LAB_DEBUG=1 shows the ip commands)", verb, name,
			       strerror(-err));
	}
}

/* The default owner: the process that ran pkteng (a shell), past sudo or doas, which exit with
 * pkteng and would leave the lab stale at once. */
static pid_t default_owner(void)
{
	pid_t pid = getppid();

	for (int hop = 0; hop < 2; hop++) {
		char path[64], comm[32] = "", stat[512];
		int ppid = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		f = fopen(path, "r");
		if (!f || !fgets(comm, sizeof(comm), f)) {
			if (f)
				fclose(f);
			break;
		}
		fclose(f);
		comm[strcspn(comm, "\n")] = 0;
		if (strcmp(comm, "sudo") && strcmp(comm, "doas"))
			break;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "r");
		if (!f)
			break;
		if (fgets(stat, sizeof(stat), f) && strrchr(stat, ')'))
			sscanf(strrchr(stat, ')') + 2, "%*c %d", &ppid);
		fclose(f);
		if (ppid <= 1)
			break;
		pid = ppid;
	}
	return pid;
}

static void print_env(const struct pe_netlab *l)
{
	printf("PE_LAB_NAME=%s\n", l->name);
	for (int s = 0; s < 2; s++) {
		char c = s ? 'B' : 'A';

		printf("PE_NS_%c=%s\nPE_IF_%c=%s\nPE_MAC_%c=%s\nPE_IP4_%c=%s\nPE_IP6_%c=%s\n", c,
		       l->ns[s], c, l->ifname[s], c, l->mac[s], c, l->ip4[s], c, l->ip6[s]);
		if (l->vlan_id)
			printf("PE_VLAN_IF_%c=%s\nPE_VLAN_IP4_%c=%s\n", c, l->vlan_if[s], c,
			       l->vlan_ip4[s]);
	}
}

static void print_text(const struct pe_netlab *l)
{
	printf("lab %s is up (owner pid %d; 'pkteng lab down %s' removes it)\n", l->name,
	       (int)l->owner, l->name);
	for (int s = 0; s < 2; s++) {
		printf("  side %c: namespace %s, %s %s %s/24", 'A' + s, l->ns[s], l->ifname[s],
		       l->mac[s], l->ip4[s]);
		if (l->v6)
			printf(" %s/64", l->ip6[s]);
		if (l->vlan_id)
			printf(", %s %s/24", l->vlan_if[s], l->vlan_ip4[s]);
		if (s == 1 && l->gro)
			printf(", rx-gro on");
		printf("\n");
	}
	printf("enter side A: ip netns exec %s bash\n", l->ns[0]);
	printf("enter side B: ip netns exec %s bash\n", l->ns[1]);
}

static int list(void)
{
	DIR *d = opendir(PE_NETLAB_RUN_DIR);
	struct dirent *e;

	printf("%-24s %8s  %s\n", "NAME", "OWNER", "STATE");
	if (!d)
		return PE_EXIT_OK;
	while ((e = readdir(d))) {
		pid_t owner = 0;
		int st;

		if (!pe_netlab_name_ok(e->d_name))
			continue;
		st = pe_netlab_owner(e->d_name, &owner);
		if (st < 0)
			continue;
		printf("%-24s %8d  %s\n", e->d_name, (int)owner, st ? "live" : "stale");
	}
	closedir(d);
	return PE_EXIT_OK;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },	{ "vlan", required_argument, 0, O_VLAN },
		{ "v6", no_argument, 0, O_V6 },		{ "mtu", required_argument, 0, O_MTU },
		{ "no-gro", no_argument, 0, O_NO_GRO }, { "owner", required_argument, 0, O_OWNER },
		{ "env", no_argument, 0, O_ENV },	{ 0 },
	};
	struct pe_netlab_opts o = { .sz = sizeof(o), .gro = true, .owner = default_owner() };
	struct pe_netlab lab;
	const char *verb, *name = DEFAULT_NAME;
	bool env = false, named = false;
	uint64_t x;
	int c, err;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_VLAN:
			if (pe_parse_u64(optarg, 1, 4094, &x))
				return pe_usage("--vlan %s: must be 1..4094", optarg);
			o.vlan_id = (unsigned)x;
			break;
		case O_V6:
			o.v6 = true;
			break;
		case O_MTU:
			if (pe_parse_u64(optarg, 68, 65535, &x))
				return pe_usage("--mtu %s: must be 68..65535", optarg);
			o.mtu = (unsigned)x;
			break;
		case O_NO_GRO:
			o.gro = false;
			break;
		case O_OWNER:
			if (pe_parse_u64(optarg, 1, 0x7fffffff, &x))
				return pe_usage("--owner %s: must be a process id", optarg);
			o.owner = (pid_t)x;
			break;
		case O_ENV:
			env = true;
			break;
		case 'h':
			return pe_cli_help(usage, false);
		default:
			return pe_cli_help(usage, true);
		}
	}
	if (optind >= argc)
		return pe_usage("lab: say up, down or list (see 'pkteng lab --help')");
	verb = argv[optind++];
	if (optind < argc) {
		name = argv[optind++];
		named = true;
	}
	if (optind < argc)
		return pe_usage("lab: unexpected argument '%s'", argv[optind]);
	if (!pe_netlab_name_ok(name))
		return pe_usage("lab: name '%s': 1 to %d letters, digits, '-' or '_'", name,
				PE_NETLAB_NAME_MAX);
	if (!strcmp(verb, "list"))
		return list();
	if (geteuid() != 0)
		return lab_err(verb, name, -EPERM);
	if (!strcmp(verb, "up")) {
		err = pe_netlab_up(name, &o, &lab);
		if (err)
			return lab_err(verb, name, err);
		if (env)
			print_env(&lab);
		else
			print_text(&lab);
		return fflush(stdout) ? PE_EXIT_FAIL : PE_EXIT_OK;
	}
	if (!strcmp(verb, "down")) {
		err = pe_netlab_down(name);
		pe_netlab_reap();
		/* without a NAME, nothing there is no error: down is for traps and scripts too */
		if (err == -ENOENT && !named)
			return PE_EXIT_OK;
		return err ? lab_err(verb, name, err) : PE_EXIT_OK;
	}
	return pe_usage("lab: unknown verb '%s' (up, down or list)", verb);
}

const struct pe_cmd pe_cmd_lab = {
	.name = "lab",
	.summary = "build or remove the two-namespace veth lab (pkteng lab up|down|list)",
	.run = run,
};
