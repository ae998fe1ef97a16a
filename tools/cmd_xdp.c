/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng xdp attach|stats|detach|run|show`: the XDP frame counter (ebpf/) on an interface.
 * attach pins it under /sys/fs/bpf/pkteng/IF/ so stats and detach work from other processes,
 * inside libxdp's dispatcher beside other programs when it can; run keeps it for one process
 * and detaches on exit; show lists what runs where. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/loader.h"
#include "ebpf/multi.h"
#include "raw/interval.h"
#include "record/meta.h"
#include "record/record.h"
#include "tools/cli.h"
#include "tools/xdpshow.h"

static const char usage[] =
	"Usage: pkteng xdp attach --dev IF [--mode native|generic] [--drop] [--alone]\n"
	"       pkteng xdp stats  --dev IF [-i SECONDS] [-t SECONDS] [--json|--json-stream]\n"
	"       pkteng xdp detach --dev IF [--force]\n"
	"       pkteng xdp run    --dev IF [--mode native|generic] [--drop] [-i SECONDS]\n"
	"                         [-t SECONDS] [--json|--json-stream]\n"
	"       pkteng xdp show   [--dev IF] [--json]\n"
	"Counts the frames an interface receives with an XDP program, per CPU, by ethertype\n"
	"(ipv4, ipv6, arp, other, short), by L4 protocol of IP frames (tcp, udp, icmp, other,\n"
	"bad) and VLAN tags (one, two), through up to two tags.\n"
	"  attach      attach and pin the counters under /sys/fs/bpf/pkteng/IF/: as one program\n"
	"              of libxdp's dispatcher beside others (xdp-loader's...) where the kernel\n"
	"              loads the dispatcher, else alone through a bpf_link\n"
	"  stats       read the pinned counters: totals, or rates every -i seconds\n"
	"  detach      detach the pinned program and remove its pins (other programs in the\n"
	"              dispatcher keep running)\n"
	"  run         attach (not pinned), print rates every -i seconds (default 1) until -t\n"
	"              seconds have passed or Ctrl-C/SIGTERM, then detach and print totals\n"
	"  show        every interface's XDP programs: mode, id, name, how attached, the\n"
	"              dispatcher's programs and priorities, and pkteng's counters\n"
	"  --dev IF          the interface\n"
	"  --mode MODE       native (the driver's hook) or generic (skb); default: native,\n"
	"                    falling back to generic when the driver refuses\n"
	"  --drop            drop every frame after counting it (a counting sink)\n"
	"  -i, --interval S  seconds between rate lines\n"
	"  -t, --time S      stop after S seconds (stats -t alone: one rate line over S)\n"
	"  --alone           attach through a bpf_link without libxdp's dispatcher\n"
	"  --force           detach also a program left by another tool or a crashed run\n"
	"  --json            one JSON record on stdout at the end (docs/results.md)\n"
	"  --json-stream     JSON lines: start, one per interval, summary\n"
	"  --debug           show libbpf's messages (the verifier log)\n";

struct xdp_args {
	const char *verb, *dev;
	enum pe_xdp_mode mode;
	bool drop, force, debug, has_mode, has_i, has_t, alone;
	double interval_s, time_s;
	int ifindex;
	enum pe_rec_fmt fmt;
	struct pe_rec rec;
};

static const char *mode_name(int mode)
{
	return mode == PE_XDP_MODE_NATIVE ? "native" : "generic";
}

/* Status lines go to stdout, or stderr when stdout carries JSON. */
static FILE *info(const struct xdp_args *a)
{
	return a->fmt != PE_REC_TEXT ? stderr : stdout;
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

	pe_rec_add(o, "rx_frames", pe_rec_u64(c->pkts));
	pe_rec_add(o, "rx_bytes_l2", pe_rec_u64(c->bytes));
	return o;
}

/* The figures of counters s over secs seconds (0: no rates). The counter sums bytes, so the
 * wire figure cannot pad frames shorter than 60 bytes (docs/results.md). */
static struct json_object *stats_json(const struct pe_xdp_stats *s, double secs)
{
	struct json_object *o = json_object_new_object(), *l3, *l4, *vlan;
	struct pe_xdp_ctr t = pe_xdp_stats_total(s);
	unsigned i;

	pe_rec_add_frames(o, "rx", t.pkts, t.bytes, t.bytes + t.pkts * PE_REC_WIRE_OVERHEAD, secs);
	l3 = json_object_new_object();
	for (i = 0; i < PE_XDP_L3_MAX; i++)
		pe_rec_add(l3, pe_xdp_l3_name(i), ctr_json(&s->l3[i]));
	pe_rec_add(o, "l3", l3);
	l4 = json_object_new_object();
	for (i = 0; i < PE_XDP_L4_MAX; i++)
		pe_rec_add(l4, pe_xdp_l4_name(i), ctr_json(&s->l4[i]));
	pe_rec_add(o, "l4", l4);
	vlan = json_object_new_object();
	pe_rec_add(vlan, "one", ctr_json(&s->vlan[0]));
	pe_rec_add(vlan, "two", ctr_json(&s->vlan[1]));
	pe_rec_add(o, "vlan", vlan);
	return o;
}

/* Opens the record: the parameters, the XDP mode in use (and why, after a fallback), the
 * interface. */
static int open_record(struct xdp_args *a, const char *mode, const char *fallback)
{
	struct json_object *p;
	char cmd[16], backend[32];

	snprintf(cmd, sizeof(cmd), "xdp %s", a->verb);
	if (pe_rec_open(&a->rec, a->fmt, stdout, cmd))
		return pe_fail("xdp %s: out of memory", a->verb);
	if (!a->rec.start)
		return PE_EXIT_OK;
	snprintf(backend, sizeof(backend), "xdp-%s", mode);
	pe_rec_set_backend(&a->rec, backend, fallback);
	p = json_object_new_object();
	pe_rec_add(p, "dev", json_object_new_string(a->dev));
	if (!strcmp(a->verb, "run")) {
		pe_rec_add(p, "mode",
			   json_object_new_string(!a->has_mode ? "auto" : mode_name(a->mode)));
		pe_rec_add(p, "drop", json_object_new_boolean(a->drop));
	}
	pe_rec_add(p, "interval_s", a->has_i || a->has_t ? pe_rec_secs(a->interval_s) : NULL);
	pe_rec_add(p, "time_s", a->has_t ? pe_rec_secs(a->time_s) : NULL);
	pe_rec_add(a->rec.start, "params", p);
	pe_rec_add(a->rec.start, "dev", pe_dev_json(a->dev));
	pe_rec_begin(&a->rec);
	return PE_EXIT_OK;
}

/* The counters s: text totals, or the record's summary over [0, secs] (secs < 0: counters
 * read once, no time span). */
static void print_totals(struct xdp_args *a, const struct pe_xdp_stats *s, double secs)
{
	struct pe_xdp_ctr t = pe_xdp_stats_total(s);
	unsigned i;

	if (a->fmt != PE_REC_TEXT) {
		pe_rec_end(&a->rec, 0, secs, pe_stop_signal() != 0, stats_json(s, secs));
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

static void print_rate(struct xdp_args *a, double t0_s, double t1_s, const struct pe_xdp_stats *d,
		       bool header)
{
	struct pe_xdp_ctr t = pe_xdp_stats_total(d);
	double secs = t1_s - t0_s;
	unsigned i;

	if (a->fmt != PE_REC_TEXT) {
		pe_rec_interval(&a->rec, t0_s, t1_s, stats_json(d, secs));
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
	printf("%8.2f %12.0f %10.2f", t1_s, t.pkts / secs, t.bytes * 8e-6 / secs);
	for (i = 0; i < PE_XDP_L3_MAX; i++)
		printf(" %9.0f", d->l3[i].pkts / secs);
	for (i = 0; i < PE_XDP_L4_MAX; i++)
		printf(" %8.0f", d->l4[i].pkts / secs);
	printf(" %7.0f %7.0f\n", d->vlan[0].pkts / secs, d->vlan[1].pkts / secs);
	fflush(stdout);
}

static int read_ctrs(struct pe_xdp *x, int map_fd, struct pe_xdp_stats *s)
{
	return x ? pe_xdp_read(x, s) : pe_xdp_read_fd(map_fd, s);
}

/* Reports every interval until -t has passed or a signal. The summary (totals in text only
 * with `totals`; always in a record) covers the whole run up to the stop. With x (run), says
 * "counting on IF" once the counters are read: a frame sent after that line is counted. */
static int rate_loop(struct xdp_args *a, struct pe_xdp *x, int mode, int map_fd, bool totals)
{
	struct pe_xdp_stats first, prev, now, d;
	struct pe_interval iv;
	double t0_s, t1_s;
	bool header = true;
	uint64_t t;
	int err;

	err = read_ctrs(x, map_fd, &first);
	if (err)
		return fail_errno(a, "reading the counters", err);
	if (x)
		print_attached(a, x, mode);
	prev = first;
	pe_interval_start(&iv, a->interval_s, a->time_s);
	while (!pe_stopped()) {
		pe_interval_sleep(&iv); /* a signal wakes it */
		t = pe_mono_ns();
		if (!pe_interval_due(&iv, t, &t0_s, &t1_s))
			continue;
		err = read_ctrs(x, map_fd, &now);
		if (err)
			return fail_errno(a, "reading the counters", err);
		stats_sub(&d, &now, &prev);
		print_rate(a, t0_s, t1_s, &d, header);
		header = false;
		prev = now;
		if (pe_interval_over(&iv, t))
			break;
	}
	t = pe_mono_ns();
	if (pe_stopped() && !read_ctrs(x, map_fd, &now))
		prev = now; /* what came after the last interval, too */
	if (totals || a->fmt != PE_REC_TEXT) {
		stats_sub(&d, &prev, &first);
		print_totals(a, &d, pe_interval_elapsed_s(&iv, t));
	}
	return PE_EXIT_OK;
}

/* Through libxdp's dispatcher: the mode used, or -errno (why: libxdp's reason for -ENOTSUP). */
static int attach_multi(const struct xdp_args *a, char *why, size_t why_len)
{
	PE_XDP_OPTS(o, .drop = a->drop, .debug = a->debug);
	struct pe_xdp_multi_info mi;
	int mode = pe_xdp_multi_attach(&o, a->ifindex, a->dev,
				       a->has_mode ? a->mode : PE_XDP_MODE_AUTO, why, why_len);

	if (mode < 0)
		return mode;
	if (pe_xdp_multi_query(a->ifindex, &mi))
		mi.n = 1;
	fprintf(info(a), "counting on %s in %s mode%s, in libxdp's dispatcher (%u program%s)\n",
		a->dev, mode_name(mode), a->drop ? ", dropping every frame" : "", mi.n,
		mi.n == 1 ? "" : "s");
	fprintf(info(a), "pinned " PE_XDP_PIN_ROOT "/%s/prog and stats\n", a->dev);
	return mode;
}

static int do_attach(struct xdp_args *a)
{
	struct pe_xdp *x = NULL;
	char why[256] = "";
	int mode = 0, rc, err;

	if (pe_xdp_multi_available() && !a->alone) {
		err = attach_multi(a, why, sizeof(why));
		if (err >= 0)
			return PE_EXIT_OK;
		if (err == -EPERM || err == -EACCES)
			return fail_errno(a, "attaching", err);
		if (err != -ENOTSUP && err != -EEXIST)
			snprintf(why, sizeof(why), "%s", strerror(-err));
	}
	rc = attach(a, &x, &mode);
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
	if (why[0])
		fprintf(info(a), "alone: libxdp's dispatcher is not available here (%s)\n", why);
	return PE_EXIT_OK;
}

/* The mode of the program attached to the interface ("native", "generic"...), for stats. */
static const char *attached_mode(const struct xdp_args *a)
{
	struct pe_xdp_attached cur;

	return pe_xdp_query(a->ifindex, &cur) > 0 ? cur.mode : "unknown";
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
		pe_stop_catch(); /* a signal wakes the sleep */
	}
	rc = open_record(a, attached_mode(a), NULL);
	if (rc)
		goto out;
	if (a->has_i || a->has_t) {
		rc = rate_loop(a, NULL, 0, fd, false);
	} else {
		err = pe_xdp_read_fd(fd, &s);
		rc = err ? fail_errno(a, "reading the counters", err)
			 : (print_totals(a, &s, -1), 0);
	}
out:
	pe_rec_close(&a->rec);
	close(fd);
	return rc;
}

static int do_detach(struct xdp_args *a)
{
	int n = pe_xdp_multi_detach(a->dev);

	if (n >= 0 && !a->force) {
		printf(n ? "detached from %s's dispatcher (the other programs keep running)\n"
			 : "removed the pins of %s (its program was gone)\n",
		       a->dev);
		return PE_EXIT_OK;
	}
	n = pe_xdp_detach(a->dev, a->force);

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
	int mode = 0, rc, ferr;
	char why[96];

	pe_stop_catch(); /* before attaching, so an early SIGTERM still detaches */
	rc = attach(a, &x, &mode);
	if (rc)
		return rc;
	ferr = pe_xdp_fallback_err(x);
	snprintf(why, sizeof(why), "native XDP refused (%s)", strerror(-ferr));
	rc = open_record(a, mode_name(mode), ferr ? why : NULL);
	if (!rc)
		rc = rate_loop(a, x, mode, -1, true);
	pe_rec_close(&a->rec);
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
	enum { O_DEV = 256, O_MODE, O_DROP, O_FORCE, O_JSON, O_JSON_STREAM, O_DEBUG, O_ALONE };
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "dev", required_argument, 0, O_DEV },
		{ "mode", required_argument, 0, O_MODE },
		{ "drop", no_argument, 0, O_DROP },
		{ "force", no_argument, 0, O_FORCE },
		{ "alone", no_argument, 0, O_ALONE },
		{ "json", no_argument, 0, O_JSON },
		{ "json-stream", no_argument, 0, O_JSON_STREAM },
		{ "debug", no_argument, 0, O_DEBUG },
		{ "interval", required_argument, 0, 'i' },
		{ "time", required_argument, 0, 't' },
		{ 0 },
	};
	struct xdp_args a = { .interval_s = 1 };
	int c, rc = 0;

	if (argc >= 2 && argv[1][0] != '-') {
		a.verb = argv[1];
		argv[1] = argv[0];
		argc--;
		argv++;
		if (strcmp(a.verb, "attach") && strcmp(a.verb, "stats") &&
		    strcmp(a.verb, "detach") && strcmp(a.verb, "run") && strcmp(a.verb, "show"))
			return pe_usage("xdp: '%s' is not attach, stats, detach, run or show",
					a.verb);
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
		case O_ALONE:
			rc = check_opt(&a, "--alone", "a");
			a.alone = true;
			break;
		case O_JSON:
			rc = check_opt(&a, "--json", "sr");
			a.fmt = PE_REC_JSON;
			break;
		case O_JSON_STREAM:
			rc = check_opt(&a, "--json-stream", "sr");
			a.fmt = PE_REC_JSON_STREAM;
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
	if (!strcmp(a.verb, "show")) {
		if (a.has_i || a.has_t || a.fmt == PE_REC_JSON_STREAM)
			return pe_usage("xdp show: takes only --dev and --json");
		return pe_xdp_show(a.dev, a.fmt == PE_REC_JSON);
	}
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
