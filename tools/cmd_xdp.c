/* `pkteng xdp attach|stats|detach|run`: the XDP frame counter (ebpf/) on an interface. attach
 * pins it under /sys/fs/bpf/pkteng/IF/ so stats and detach work from other processes; run keeps
 * it for one process and detaches on exit. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ebpf/loader.h"
#include "tools/cli.h"

static const char usage[] =
	"Usage: pkteng xdp attach --dev IF [--mode native|generic] [--drop]\n"
	"       pkteng xdp stats  --dev IF [-i SECONDS] [-t SECONDS] [--json]\n"
	"       pkteng xdp detach --dev IF [--force]\n"
	"       pkteng xdp run    --dev IF [--mode native|generic] [--drop] [-i SECONDS]\n"
	"                         [-t SECONDS] [--json]\n"
	"Counts the frames an interface receives with an XDP program, per CPU, by ethertype\n"
	"(ipv4, ipv6, arp, other, short), by L4 protocol of IP frames (tcp, udp, icmp, other,\n"
	"bad) and VLAN tags (one, two), through up to two tags.\n"
	"  attach      attach and pin the link and counters under /sys/fs/bpf/pkteng/IF/\n"
	"  stats       read the pinned counters: totals, or rates every -i seconds\n"
	"  detach      detach the pinned program and remove its pins\n"
	"  run         attach (not pinned), print rates every -i seconds (default 1) until -t\n"
	"              seconds have passed or Ctrl-C/SIGTERM, then detach and print totals\n"
	"  --dev IF          the interface\n"
	"  --mode MODE       native (the driver's hook) or generic (skb); default: native,\n"
	"                    falling back to generic when the driver refuses\n"
	"  --drop            drop every frame after counting it (a counting sink)\n"
	"  -i, --interval S  seconds between rate lines\n"
	"  -t, --time S      stop after S seconds (stats -t alone: one rate line over S)\n"
	"  --force           detach also a program left by another tool or a crashed run\n"
	"  --json            JSON: one object (totals) or one object per line (rates)\n"
	"  --debug           show libbpf's messages (the verifier log)\n";

struct xdp_args {
	const char *verb, *dev;
	enum pe_xdp_mode mode;
	bool drop, force, json, debug, has_mode, has_i, has_t;
	double interval_s, time_s;
	int ifindex;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static const char *mode_name(int mode)
{
	return mode == PE_XDP_MODE_NATIVE ? "native" : "generic";
}

/* Status lines go to stdout, or stderr when stdout carries JSON. */
static FILE *info(const struct xdp_args *a)
{
	return a->json ? stderr : stdout;
}

static int fail_errno(const struct xdp_args *a, const char *what, int err)
{
	if (err == -EPERM || err == -EACCES)
		return pe_fail("xdp %s: needs CAP_BPF and CAP_NET_ADMIN (run as root)", a->verb);
	if (err == -ENODEV)
		return pe_fail("--dev %s: no such interface", a->dev);
	return pe_fail("xdp %s --dev %s: %s: %s", a->verb, a->dev, what, strerror(-err));
}

static int attach(const struct xdp_args *a, struct pe_xdp **out, int *mode_out)
{
	PE_XDP_OPTS(o, .drop = a->drop, .debug = a->debug);
	struct pe_xdp_attached cur;
	struct pe_xdp *x;
	int mode;

	x = pe_xdp_open(&o);
	if (!x)
		return fail_errno(a, "loading the counter", -errno);
	mode = pe_xdp_attach(x, a->ifindex, a->mode);
	if (mode == -EEXIST && pe_xdp_query(a->ifindex, &cur) > 0) {
		pe_xdp_close(x);
		return pe_fail("--dev %s: XDP program %u '%s' is already attached (%s mode, %s); "
			       "'pkteng xdp detach --dev %s --force' removes it",
			       a->dev, cur.prog_id, cur.name, cur.mode,
			       cur.link ? "bpf_link" : "netlink", a->dev);
	}
	if (mode < 0) {
		pe_xdp_close(x);
		if (mode == -EOPNOTSUPP || (mode == -EINVAL && a->has_mode))
			return pe_fail("--dev %s: the kernel refuses %s XDP here (%s)%s", a->dev,
				       a->mode == PE_XDP_MODE_NATIVE ? "native" : "generic",
				       strerror(-mode),
				       a->mode == PE_XDP_MODE_NATIVE ? "; try --mode generic" : "");
		return fail_errno(a, "attaching", mode);
	}
	*out = x;
	*mode_out = mode;
	return PE_EXIT_OK;
}

static void print_attached(const struct xdp_args *a, struct pe_xdp *x, int mode)
{
	int err = pe_xdp_fallback_err(x);

	if (err)
		fprintf(info(a), "native XDP refused on %s (%s); using generic mode\n", a->dev,
			strerror(-err));
	fprintf(info(a), "counting on %s in %s mode%s\n", a->dev, mode_name(mode),
		a->drop ? ", dropping every frame" : "");
}

static struct json_object *ctr_json(const struct pe_xdp_ctr *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "frames", json_object_new_uint64(c->pkts));
	json_object_object_add(o, "bytes", json_object_new_uint64(c->bytes));
	return o;
}

static struct json_object *stats_json(const char *dev, const struct pe_xdp_stats *s, double secs)
{
	struct json_object *o = json_object_new_object(), *l3, *l4, *vlan;
	struct pe_xdp_ctr t = pe_xdp_stats_total(s);
	unsigned i;

	json_object_object_add(o, "dev", json_object_new_string(dev));
	if (secs > 0) {
		json_object_object_add(o, "seconds", json_object_new_double(secs));
		json_object_object_add(o, "pps", json_object_new_double(t.pkts / secs));
		json_object_object_add(o, "bps", json_object_new_double(t.bytes * 8.0 / secs));
	}
	json_object_object_add(o, "total", ctr_json(&t));
	l3 = json_object_new_object();
	for (i = 0; i < PE_XDP_L3_MAX; i++)
		json_object_object_add(l3, pe_xdp_l3_name(i), ctr_json(&s->l3[i]));
	json_object_object_add(o, "l3", l3);
	l4 = json_object_new_object();
	for (i = 0; i < PE_XDP_L4_MAX; i++)
		json_object_object_add(l4, pe_xdp_l4_name(i), ctr_json(&s->l4[i]));
	json_object_object_add(o, "l4", l4);
	vlan = json_object_new_object();
	json_object_object_add(vlan, "one", ctr_json(&s->vlan[0]));
	json_object_object_add(vlan, "two", ctr_json(&s->vlan[1]));
	json_object_object_add(o, "vlan", vlan);
	return o;
}

static void print_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	fflush(stdout);
}

static void print_totals(const struct xdp_args *a, const struct pe_xdp_stats *s)
{
	struct pe_xdp_ctr t = pe_xdp_stats_total(s);
	unsigned i;

	if (a->json) {
		print_json(stats_json(a->dev, s, 0));
		return;
	}
	printf("%-10s %16s %18s\n", a->dev, "frames", "bytes");
	printf("%-10s %16llu %18llu\n", "total", (unsigned long long)t.pkts,
	       (unsigned long long)t.bytes);
	for (i = 0; i < PE_XDP_L3_MAX; i++)
		printf("%-10s %16llu %18llu\n", pe_xdp_l3_name(i),
		       (unsigned long long)s->l3[i].pkts, (unsigned long long)s->l3[i].bytes);
	for (i = 0; i < PE_XDP_L4_MAX; i++)
		printf("l4-%-7s %16llu %18llu\n", pe_xdp_l4_name(i),
		       (unsigned long long)s->l4[i].pkts, (unsigned long long)s->l4[i].bytes);
	printf("%-10s %16llu %18llu\n", "vlan-one", (unsigned long long)s->vlan[0].pkts,
	       (unsigned long long)s->vlan[0].bytes);
	printf("%-10s %16llu %18llu\n", "vlan-two", (unsigned long long)s->vlan[1].pkts,
	       (unsigned long long)s->vlan[1].bytes);
}

static void stats_sub(struct pe_xdp_stats *d, const struct pe_xdp_stats *now,
		      const struct pe_xdp_stats *prev)
{
	const __u64 *n = (const __u64 *)now, *p = (const __u64 *)prev;
	__u64 *o = (__u64 *)d;
	size_t i;

	for (i = 0; i < sizeof(*d) / sizeof(__u64); i++)
		o[i] = n[i] - p[i];
}

static void print_rate(const struct xdp_args *a, double t_s, double secs,
		       const struct pe_xdp_stats *d, bool header)
{
	struct pe_xdp_ctr t = pe_xdp_stats_total(d);
	unsigned i;

	if (a->json) {
		struct json_object *o = stats_json(a->dev, d, secs);

		json_object_object_add(o, "t_s", json_object_new_double(t_s));
		print_json(o);
		return;
	}
	if (header) {
		printf("%8s %12s %10s", "time_s", "frames/s", "Mbit/s");
		for (i = 0; i < PE_XDP_L3_MAX; i++)
			printf(" %9s", pe_xdp_l3_name(i));
		for (i = 0; i < PE_XDP_L4_MAX; i++) {
			char name[16];

			snprintf(name, sizeof(name), "l4-%s", pe_xdp_l4_name(i));
			printf(" %8s", name);
		}
		printf(" %7s %7s\n", "vlan1", "vlan2");
	}
	printf("%8.2f %12.0f %10.2f", t_s, t.pkts / secs, t.bytes * 8e-6 / secs);
	for (i = 0; i < PE_XDP_L3_MAX; i++)
		printf(" %9.0f", d->l3[i].pkts / secs);
	for (i = 0; i < PE_XDP_L4_MAX; i++)
		printf(" %8.0f", d->l4[i].pkts / secs);
	printf(" %7.0f %7.0f\n", d->vlan[0].pkts / secs, d->vlan[1].pkts / secs);
	fflush(stdout);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Sleeps until the monotonic time t_s, or a signal. */
static void sleep_until(double t_s)
{
	struct timespec ts = { (time_t)t_s, (long)((t_s - (time_t)t_s) * 1e9) };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* Prints a rate line every interval until -t has passed or a signal; read() reads the counters.
 * With `totals`, the totals since the start follow. */
static int rate_loop(const struct xdp_args *a, struct pe_xdp *x, int map_fd, bool totals)
{
	struct pe_xdp_stats first, prev, now, d;
	double t0 = now_s(), tprev = t0, tnext = t0, end = a->time_s > 0 ? t0 + a->time_s : 0;
	bool header = true;
	int err;

	err = x ? pe_xdp_read(x, &first) : pe_xdp_read_fd(map_fd, &first);
	if (err)
		return fail_errno(a, "reading the counters", err);
	prev = first;
	while (!stop) {
		double t;

		tnext += a->interval_s;
		if (end && tnext > end)
			tnext = end;
		sleep_until(tnext);
		t = now_s();
		err = x ? pe_xdp_read(x, &now) : pe_xdp_read_fd(map_fd, &now);
		if (err)
			return fail_errno(a, "reading the counters", err);
		if (t > tprev) {
			stats_sub(&d, &now, &prev);
			print_rate(a, t - t0, t - tprev, &d, header);
			header = false;
		}
		prev = now;
		tprev = t;
		if (end && t >= end - 1e-6)
			break;
	}
	if (totals) {
		stats_sub(&d, &prev, &first);
		print_totals(a, &d);
	}
	return PE_EXIT_OK;
}

static void catch_signals(void)
{
	pe_cli_on_stop(on_signal); /* wakes the sleep */
}

static int do_attach(struct xdp_args *a)
{
	struct pe_xdp *x = NULL;
	int mode = 0, rc = attach(a, &x, &mode), err;

	if (rc)
		return rc;
	err = pe_xdp_pin(x, a->dev);
	if (!err)
		print_attached(a, x, mode);
	pe_xdp_close(x); /* pinned: the link stays; not pinned: this detaches */
	if (err == -EEXIST)
		return pe_fail("--dev %s: pins already exist under " PE_XDP_PIN_ROOT
			       "/%s; 'pkteng xdp "
			       "detach --dev %s --force' removes them",
			       a->dev, a->dev, a->dev);
	if (err == -EXDEV)
		return pe_fail(
			"xdp attach: /sys/fs/bpf has no bpffs in this private mount namespace "
			"(ip netns exec?), so pins would vanish on exit; enter only the network "
			"namespace (nsenter --net=/run/netns/NS) or use 'pkteng xdp run'");
	if (err)
		return fail_errno(a, "pinning under " PE_XDP_PIN_ROOT, err);
	fprintf(info(a), "pinned " PE_XDP_PIN_ROOT "/%s/link and stats\n", a->dev);
	return PE_EXIT_OK;
}

static int do_stats(struct xdp_args *a)
{
	struct pe_xdp_stats s;
	int fd = pe_xdp_open_pinned(a->dev), rc, err;

	if (fd == -ENOENT)
		return pe_fail("--dev %s: no counter pinned under " PE_XDP_PIN_ROOT "/%s "
			       "('pkteng xdp attach --dev %s' first)",
			       a->dev, a->dev, a->dev);
	if (fd == -EPROTO)
		return pe_fail(PE_XDP_PIN_ROOT "/%s/stats: not a pkteng XDP counter map", a->dev);
	if (fd < 0)
		return fail_errno(a, "opening the pinned counters", fd);
	if (a->has_i || a->has_t) {
		if (!a->has_i)
			a->interval_s = a->time_s;
		catch_signals();
		rc = rate_loop(a, NULL, fd, false);
	} else {
		err = pe_xdp_read_fd(fd, &s);
		rc = err ? fail_errno(a, "reading the counters", err) : (print_totals(a, &s), 0);
	}
	close(fd);
	return rc;
}

static int do_detach(struct xdp_args *a)
{
	int n = pe_xdp_detach(a->dev, a->force);

	if (n == -ENOENT)
		return pe_fail("--dev %s: no pkteng XDP program pinned there ('--force' also "
			       "removes other programs)",
			       a->dev);
	if (n == -EBUSY)
		return pe_fail("--dev %s: an XDP program is still attached after --force", a->dev);
	if (n < 0)
		return fail_errno(a, "detaching", n);
	if (!n)
		printf("nothing to detach on %s\n", a->dev);
	else
		printf("detached from %s (%d objects removed)\n", a->dev, n);
	return PE_EXIT_OK;
}

static int do_run(struct xdp_args *a)
{
	struct pe_xdp *x = NULL;
	int mode = 0, rc;

	catch_signals(); /* before attaching, so an early SIGTERM still detaches */
	rc = attach(a, &x, &mode);
	if (rc)
		return rc;
	print_attached(a, x, mode);
	rc = rate_loop(a, x, -1, true);
	pe_xdp_close(x);
	return rc;
}

/* Which options each verb takes: a = attach, s = stats, d = detach, r = run. */
static int check_opt(const struct xdp_args *a, const char *opt, const char *verbs)
{
	if (strchr(verbs, a->verb[0]))
		return 0;
	return pe_usage("xdp %s: %s is not an option here (see 'pkteng xdp --help')", a->verb, opt);
}

static int run(int argc, char **argv)
{
	enum { O_DEV = 256, O_MODE, O_DROP, O_FORCE, O_JSON, O_DEBUG };
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },	  { "dev", required_argument, 0, O_DEV },
		{ "mode", required_argument, 0, O_MODE }, { "drop", no_argument, 0, O_DROP },
		{ "force", no_argument, 0, O_FORCE },	  { "json", no_argument, 0, O_JSON },
		{ "debug", no_argument, 0, O_DEBUG },	  { "interval", required_argument, 0, 'i' },
		{ "time", required_argument, 0, 't' },	  { 0 },
	};
	struct xdp_args a = { .interval_s = 1 };
	int c, rc = 0;

	if (argc >= 2 && argv[1][0] != '-') {
		a.verb = argv[1];
		argv[1] = argv[0];
		argc--;
		argv++;
		if (strcmp(a.verb, "attach") && strcmp(a.verb, "stats") &&
		    strcmp(a.verb, "detach") && strcmp(a.verb, "run"))
			return pe_usage("xdp: '%s' is not attach, stats, detach or run", a.verb);
	}
	while ((c = getopt_long(argc, argv, "hi:t:", opts, NULL)) != -1) {
		if (c == 'h')
			return pe_cli_help(usage, false);
		if (c == '?')
			return pe_cli_help(usage, true);
		if (!a.verb)
			return pe_usage(
				"xdp: missing attach, stats, detach or run before the options");
		switch (c) {
		case O_DEV:
			a.dev = optarg;
			break;
		case O_MODE:
			rc = check_opt(&a, "--mode", "ar");
			a.has_mode = true;
			if (!strcmp(optarg, "native"))
				a.mode = PE_XDP_MODE_NATIVE;
			else if (!strcmp(optarg, "generic"))
				a.mode = PE_XDP_MODE_GENERIC;
			else if (!rc)
				return pe_usage("--mode %s: not native or generic", optarg);
			break;
		case O_DROP:
			rc = check_opt(&a, "--drop", "ar");
			a.drop = true;
			break;
		case O_FORCE:
			rc = check_opt(&a, "--force", "d");
			a.force = true;
			break;
		case O_JSON:
			rc = check_opt(&a, "--json", "sr");
			a.json = true;
			break;
		case O_DEBUG:
			a.debug = true;
			break;
		case 'i':
			rc = check_opt(&a, "--interval", "sr");
			if (!rc && pe_parse_seconds(optarg, 0.01, 86400, &a.interval_s))
				return pe_usage(
					"--interval %s: not a number of seconds in [0.01, 86400]",
					optarg);
			a.has_i = true;
			break;
		case 't':
			rc = check_opt(&a, "--time", "sr");
			if (!rc && pe_parse_seconds(optarg, 0.01, 1e7, &a.time_s))
				return pe_usage("--time %s: not a number of seconds in [0.01, 1e7]",
						optarg);
			a.has_t = true;
			break;
		}
		if (rc)
			return rc;
	}
	if (!a.verb)
		return pe_usage(
			"xdp: missing attach, stats, detach or run (see 'pkteng xdp --help')");
	if (optind < argc)
		return pe_usage("xdp %s: unexpected argument '%s'", a.verb, argv[optind]);
	if (!a.dev)
		return pe_usage("xdp %s: missing --dev IF", a.verb);
	if (!*a.dev || strlen(a.dev) >= IFNAMSIZ || strchr(a.dev, '/'))
		return pe_usage("--dev %s: not an interface name", a.dev);
	if (!pe_xdp_available())
		return pe_fail(
			"xdp: this pkteng was built without the XDP counter; install clang, "
			"bpftool and libbpf-dev (tools/deps.sh) and rebuild with -DPKTENG_XDP=ON");
	a.ifindex = (int)if_nametoindex(a.dev);
	/* detach works on stale pins of an interface that is gone */
	if (!a.ifindex && strcmp(a.verb, "detach"))
		return pe_fail("--dev %s: no such interface", a.dev);
	if (!strcmp(a.verb, "attach"))
		return do_attach(&a);
	if (!strcmp(a.verb, "stats"))
		return do_stats(&a);
	if (!strcmp(a.verb, "detach"))
		return do_detach(&a);
	return do_run(&a);
}

const struct pe_cmd pe_cmd_xdp = {
	.name = "xdp",
	.summary = "count received frames with an XDP program: attach, stats, detach, run",
	.run = run,
};
