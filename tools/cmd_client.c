/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng client HOST --mode MODE`: runs one test against `pkteng server` and reports both
 * sides' figures. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "workload/work.h"
#include "tools/cli.h"

static const char usage_head[] =
	"Usage: pkteng client HOST [--port 5201] --mode MODE [options]\n"
	"Runs one test against 'pkteng server' on HOST and reports both sides' figures.\n"
	"Modes:\n";
static const char usage_tail[] =
	"Other options:\n"
	"  -p, --port N         server control port (default 5201)\n"
	"  -m, --mode MODE      the workload (default stream)\n"
	"  -u, --udp            --mode udp, as iperf3 -u\n"
	"      --file PATH      file: the file to send (its length and SHA-256 are checked; -:\n"
	"                       standard input, read whole first)\n"
	"      --backend B      uring (default) or epoll\n"
	"  -i SECONDS           a report line every SECONDS (default 1; 0: none)\n"
	"  -J, --json           one JSON record at the end (docs/results.md)\n"
	"      --json-stream    JSON lines: start, one per interval, summary\n"
	"      --logfile FILE   the report goes to FILE instead of standard output (-: stdout)\n"
	"      --cport N        local port of the first data socket (then N+1, ...); not crr\n"
	"      --connect-timeout S\n"
	"                       seconds for the control and data connections to open (default 10)\n"
	"      --idle-timeout S seconds to wait for each message of the server (default 10)\n"
	"  -4, -6               IPv4 or IPv6 only\n"
	"      --start-at T     start at T, seconds since 1970 on CLOCK_REALTIME "
	"(\"1765000000.25\"):\n"
	"                       a synchronized start of several clients (docs/suite.md)\n"
	"Sizes (-n, -l, -w) are binary as in iperf3: 128K = 128Ki = 131072; rates (-b, --pps) are\n"
	"decimal: 1G = 10^9. The letters are iperf3's, with iperf3's meanings (-i interval, -w\n"
	"socket buffer, -C congestion control, -O omit, -u UDP, -J JSON, -P flows, -R reverse).\n"
	"Ctrl-C or SIGTERM ends the test early: the summary of what ran is printed\n"
	"(with the server's figures), marked interrupted, and the exit status is that of the "
	"run.\n";

/* Prints text from column `col` (the cursor is there), wrapped before column 100. */
static void wrap(FILE *f, int col, const char *text)
{
	int at = col;

	while (*text) {
		size_t w = strcspn(text, " ");

		if (at > col && at + 1 + (int)w > 99) {
			fprintf(f, "\n%*s", col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', f);
			at++;
		}
		fwrite(text, 1, w, f);
		at += (int)w;
		text += w;
		while (*text == ' ')
			text++;
	}
	fputc('\n', f);
}

/* The help text: the modes and their parameters come from the tables (workload/mode.h). */
static char *usage_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i, m;

	if (!f)
		return NULL;
	fputs(usage_head, f);
	for (m = 0; m < PE_MODE__COUNT; m++)
		fprintf(f, "  %-8s %s\n", pe_mode_name((enum pe_mode)m),
			pe_mode_desc((enum pe_mode)m)->summary);
	fputs("Test options (the modes that take one, when not all, follow its text):\n", f);
	for (i = 0; i < PE_P__COUNT; i++) {
		const struct pe_param *t = &pe_param_table[i];
		enum pe_param_id id = (enum pe_param_id)i;
		char left[48], range[64], modes[96], text[512], dv[32];
		size_t n;
		bool all = true;

		if (!t->opt)
			continue;
		for (m = 0; m < PE_MODE__COUNT; m++)
			all = all && pe_mode_takes((enum pe_mode)m, id);
		if (t->short_opt)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", t->short_opt, t->opt,
				 t->arg ? " " : "", t->arg ? t->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", t->opt, t->arg ? " " : "",
				 t->arg ? t->arg : "");
		n = (size_t)snprintf(text, sizeof(text), "%s", t->help);
		if (t->kind != PE_PK_FLAG && t->kind != PE_PK_TEXT)
			n += (size_t)snprintf(
				text + n, sizeof(text) - n, " [%s]",
				pe_param_range_str(PE_MODE__COUNT, id, range, sizeof(range)));
		if (!all)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "; %s",
					      pe_param_modes_str(id, modes, sizeof(modes)));
		for (m = 0; m < PE_MODE__COUNT && n < sizeof(text); m++) {
			double min, max, dflt;
			struct pe_params p;

			pe_param_range((enum pe_mode)m, id, &min, &max, &dflt);
			if (min == t->min && max == t->max && dflt == t->dflt)
				continue;
			pe_params_default(&p, (enum pe_mode)m);
			n += (size_t)snprintf(
				text + n, sizeof(text) - n, "; %s: %s, default %s",
				pe_mode_name((enum pe_mode)m),
				pe_param_range_str((enum pe_mode)m, id, range, sizeof(range)),
				pe_param_value_str(id, pe_param_get(&p, id), dv, sizeof(dv)));
		}
		if (strlen(left) > 20)
			fprintf(f, "  %s\n%23s", left, "");
		else
			fprintf(f, "  %-20s ", left);
		wrap(f, 23, text);
	}
	fputs(usage_tail, f);
	fclose(f);
	return buf;
}

/* udp at -b 0 (as fast as possible) sends with UDP_SEGMENT and receives with UDP_GRO unless
 * --no-gso, where the kernel has both: up to 64 datagrams per send and per read, each still
 * counted on its own (without GRO the receiver, reading one datagram at a time, drops most of
 * what GSO sends). Returns whether it turned them on. */
static bool udp_gso_default(struct pe_params *p)
{
	int fd, v = 0;
	socklen_t n = sizeof(v);
	bool have;

	if (p->mode != PE_MODE_UDP || p->gso || p->no_gso || p->rate_bps || p->rate_pps)
		return false;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	have = fd >= 0 && !getsockopt(fd, SOL_UDP, UDP_SEGMENT, &v, &n);
	n = sizeof(v);
	have = have && !getsockopt(fd, SOL_UDP, UDP_GRO, &v, &n);
	if (fd >= 0)
		close(fd);
	p->gso = have;
	p->gro = p->gro || have;
	return have;
}

static int help(bool is_error)
{
	char *u = usage_text();
	int r = pe_cli_help(u ? u : usage_head, is_error);

	free(u);
	return r;
}

struct out {
	struct pe_report rep;
	struct pe_flow *flows; /* -P of them, for the modes that keep per-flow figures */
};

static void on_interval(struct pe_work *w, double t0, double t1, const struct pe_counts *d)
{
	struct out *o = w->arg;
	unsigned n = o->flows && w->ops->flows ? w->ops->flows(w, o->flows, w->p.conns) : 0;

	pe_report_interval(&o->rep, t0, t1, d, o->flows, n);
}

static void on_backend(void *arg, const char *backend, const char *fallback_reason)
{
	struct out *o = arg;

	pe_report_backend(&o->rep, backend, fallback_reason);
}

/* Parses the value given for parameter id into p, with the range of p's mode. 0 or an exit. */
static int set_param(struct pe_params *p, enum pe_param_id id, const char *val)
{
	const struct pe_param *t = &pe_param_table[id];
	double min, max, dflt, d = 0;
	char name[32], range[64], modes[96];
	uint64_t u = 0;
	int r = 0;

	pe_param_opt_name(id, name, sizeof(name));
	if (!pe_mode_takes(p->mode, id))
		return pe_usage("client: %s is for --mode %s", name,
				pe_param_modes_str(id, modes, sizeof(modes)));
	pe_param_range(p->mode, id, &min, &max, &dflt);
	switch (t->kind) {
	case PE_PK_SECONDS:
		r = pe_parse_seconds(val, min, max, &d);
		if (!r)
			pe_param_set(p, id, d);
		break;
	case PE_PK_SIZE:
		r = pe_parse_size(val, (uint64_t)min, (uint64_t)max, &u);
		break;
	case PE_PK_COUNT:
		r = pe_parse_u64(val, (uint64_t)min, (uint64_t)max, &u);
		break;
	case PE_PK_FLAG:
		u = 1;
		break;
	case PE_PK_TEXT:
		if (!*val || strlen(val) >= t->size)
			return pe_usage("client: %s '%s': expected 1..%zu characters", name, val,
					t->size - 1);
		snprintf((char *)p + t->off, t->size, "%s", val);
		return 0;
	case PE_PK_RATE:
		r = pe_parse_rate(val, (uint64_t)min, (uint64_t)max, &u);
		break;
	}
	if (r) {
		bool own = min != t->min || max != t->max;

		return pe_usage("client: %s '%s': expected %s%s%s", name, val,
				pe_param_range_str(p->mode, id, range, sizeof(range)),
				own ? " for --mode " : "", own ? pe_mode_name(p->mode) : "");
	}
	if (t->kind != PE_PK_SECONDS)
		pe_param_set_u64(p, id, u);
	return 0;
}

/* -C: whether this kernel takes the algorithm (the server checks its own). 0 or -errno. */
static int check_cc(const char *algo)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, algo, (socklen_t)strlen(algo)))
		r = -errno;
	close(fd);
	return r;
}

/* --file -: standard input copied whole into an unlinked file (its length and SHA-256 must be
 * known before the test), named by its /proc/self/fd path. 0 or -errno. */
static int stdin_file(const char **path, char *buf, size_t len)
{
	int fd = memfd_create("pkteng-stdin", MFD_CLOEXEC);
	char chunk[65536];
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(0, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(fd, chunk, (size_t)n) != n) {
			int e = n < 0 ? errno : EIO;

			close(fd);
			return -e;
		}
	}
	snprintf(buf, len, "/proc/self/fd/%d", fd);
	*path = buf;
	return 0; /* fd stays open for the test: the path names it */
}

static int run(int argc, char **argv)
{
	enum {
		O_FILE = 256,
		O_BACKEND,
		O_JSTREAM,
		O_LOGFILE,
		O_CPORT,
		O_CONNECT_TO,
		O_IDLE_TO,
		O_START_AT,
		O_PARAM
	};
	static const struct option fixed[] = {
		{ "help", no_argument, 0, 'h' },
		{ "port", required_argument, 0, 'p' },
		{ "mode", required_argument, 0, 'm' },
		{ "udp", no_argument, 0, 'u' },
		{ "file", required_argument, 0, O_FILE },
		{ "backend", required_argument, 0, O_BACKEND },
		{ "json", no_argument, 0, 'J' },
		{ "json-stream", no_argument, 0, O_JSTREAM },
		{ "start-at", required_argument, 0, O_START_AT },
		{ "logfile", required_argument, 0, O_LOGFILE },
		{ "cport", required_argument, 0, O_CPORT },
		{ "connect-timeout", required_argument, 0, O_CONNECT_TO },
		{ "idle-timeout", required_argument, 0, O_IDLE_TO },
	};
	struct option opts[sizeof(fixed) / sizeof(fixed[0]) + PE_P__COUNT + 1];
	char optstring[3 * PE_P__COUNT + 16] = "hp:m:i:46uJ";
	const char *mode_arg = NULL, *logfile = NULL;
	bool udp_flag = false;
	FILE *out = stdout;
	const char *given[PE_P__COUNT] = { 0 };
	struct pe_client_opts co = {
		.sz = sizeof(co), .port = "5201", .family = AF_UNSPEC, .interval_s = 1
	};
	enum pe_mode mode = PE_MODE_STREAM;
	enum pe_rec_fmt fmt = PE_REC_TEXT;
	const struct pe_mode_desc *d;
	struct pe_figures cli, srv;
	uint64_t v, start_at_ns = 0;
	bool have_srv, gso_auto;
	char err[300], stdin_path[40];
	struct out o;
	size_t no = 0, i;
	int c, r;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		opts[no++] = fixed[i];
	for (i = 0; i < PE_P__COUNT; i++) {
		const struct pe_param *t = &pe_param_table[i];
		int has_arg = t->kind == PE_PK_FLAG ? no_argument : required_argument;

		if (!t->opt)
			continue;
		opts[no++] = (struct option){ t->opt, has_arg, 0,
					      t->short_opt ? t->short_opt : O_PARAM + (int)i };
		if (t->short_opt) {
			size_t n = strlen(optstring);

			optstring[n++] = t->short_opt;
			if (has_arg == required_argument)
				optstring[n++] = ':';
			optstring[n] = 0;
		}
	}
	opts[no] = (struct option){ 0 };
	while ((c = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (pe_parse_u64(optarg, 1, 65535, &v))
				return pe_usage("client: --port '%s': expected 1..65535", optarg);
			co.port = optarg;
			break;
		case 'u':
			udp_flag = true;
			break;
		case O_LOGFILE:
			logfile = optarg;
			break;
		case O_CPORT:
			if (pe_parse_u64(optarg, 1, 65535, &v))
				return pe_usage("client: --cport '%s': expected 1..65535", optarg);
			co.cport = (uint16_t)v;
			break;
		case O_CONNECT_TO:
			if (pe_parse_timeout(optarg, &co.connect_timeout_ms))
				return pe_usage(
					"client: --connect-timeout '%s': expected 0.001..86400 "
					"seconds",
					optarg);
			break;
		case O_IDLE_TO:
			if (pe_parse_timeout(optarg, &co.ctl_timeout_ms))
				return pe_usage(
					"client: --idle-timeout '%s': expected 0.001..86400 "
					"seconds",
					optarg);
			break;
		case 'm':
			mode_arg = optarg;
			if (pe_mode_parse(optarg, &mode)) {
				char names[160] = "";
				size_t n = 0;
				int m;

				for (m = 0; m < PE_MODE__COUNT; m++)
					n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
							      m ? ", " : "",
							      pe_mode_name((enum pe_mode)m));
				return pe_usage("client: --mode '%s': expected one of %s", optarg,
						names);
			}
			break;
		case O_FILE:
			co.file_path = optarg;
			break;
		case O_BACKEND:
			if (pe_backend_parse(optarg, &co.backend))
				return pe_usage("client: --backend '%s': expected uring or epoll",
						optarg);
			break;
		case 'i':
			if (pe_parse_seconds(optarg, 0, 3600, &co.interval_s))
				return pe_usage("client: -i '%s': expected seconds", optarg);
			break;
		case 'J':
			fmt = PE_REC_JSON;
			break;
		case O_JSTREAM:
			fmt = PE_REC_JSON_STREAM;
			break;
		case O_START_AT:
			if (pe_parse_unix_ns(optarg, &start_at_ns))
				return pe_usage("client: --start-at '%s': expected seconds since "
						"1970 (1765000000.25)",
						optarg);
			break;
		case '4':
			co.family = AF_INET;
			break;
		case '6':
			co.family = AF_INET6;
			break;
		case 'h':
			return help(false);
		default:
			for (i = 0; i < PE_P__COUNT; i++) {
				const struct pe_param *t = &pe_param_table[i];

				if (t->opt &&
				    (t->short_opt ? t->short_opt == c : O_PARAM + (int)i == c))
					break;
			}
			if (i == PE_P__COUNT)
				return help(true);
			given[i] = optarg ? optarg : "";
			break;
		}
	}
	if (optind >= argc)
		return pe_usage("client: missing HOST (see 'pkteng client --help')");
	if (argc - optind > 1)
		return pe_usage("client: unexpected argument '%s'", argv[optind + 1]);
	co.host = argv[optind];
	if (udp_flag) {
		if (mode_arg && mode != PE_MODE_UDP)
			return pe_usage("client: -u (--mode udp) and --mode %s exclude each other",
					mode_arg);
		mode = PE_MODE_UDP;
	}
	if (co.cport && mode == PE_MODE_CRR)
		return pe_usage("client: --cport is not for --mode crr (a new connection per "
				"transaction)");
	d = pe_mode_desc(mode);
	pe_params_default(&co.p, mode);
	for (i = 0; i < PE_P__COUNT; i++) {
		r = given[i] ? set_param(&co.p, (enum pe_param_id)i, given[i]) : 0;
		if (r)
			return r;
	}
	/* -n without -t: until the bytes are sent */
	if (given[PE_P_BYTES_TOTAL] && !given[PE_P_DURATION])
		co.p.duration_s = 0;
	if (co.cport && (unsigned)co.cport + co.p.conns > 65536)
		return pe_usage("client: --cport %u with -P %u goes past port 65535", co.cport,
				co.p.conns);
	if (co.p.congestion[0] && (r = check_cc(co.p.congestion)))
		return pe_usage("client: -C %s: %s", co.p.congestion,
				r == -ENOENT ? "not available in this kernel "
					       "(net.ipv4.tcp_available_congestion_control)"
					     : strerror(-r));
	if (d->file_arg) {
		if (!co.file_path)
			return pe_usage("client: --mode %s needs --file PATH", d->name);
		if (!strcmp(co.file_path, "-")) {
			r = stdin_file(&co.file_path, stdin_path, sizeof(stdin_path));
			if (r)
				return pe_fail("client: --file -: standard input: %s",
					       strerror(-r));
		}
		r = pe_sha256_file(co.file_path, co.p.file_sha256, &co.p.file_bytes);
		if (r)
			return pe_fail("client: --file %s: %s", co.file_path, strerror(-r));
	} else if (co.file_path) {
		return pe_usage("client: --file is for --mode file");
	}
	if (pe_params_check(&co.p, err, sizeof(err)))
		return pe_usage("client: %s", err);
	/* a test over before -O ends would have nothing left to sum */
	if (co.p.omit_s > 0 && co.p.duration_s > 0 && co.p.omit_s >= co.p.duration_s)
		return pe_usage("client: -O %s must be less than -t %g", given[PE_P_OMIT],
				co.p.duration_s);
	gso_auto = udp_gso_default(&co.p);
	signal(SIGPIPE, SIG_IGN);
	/* the log file is opened before the test, so a bad path costs nothing */
	if (logfile && strcmp(logfile, "-") && !(out = fopen(logfile, "we")))
		return pe_fail("client: --logfile %s: %s", logfile, strerror(errno));
	if (pe_report_init(&o.rep, fmt, out, &co.p, co.host, co.port, co.backend))
		return pe_fail("client: out of memory");
	o.flows = calloc(co.p.conns, sizeof(*o.flows));
	if (!o.flows)
		return pe_fail("client: out of memory");
	co.on_interval = co.interval_s > 0 ? on_interval : NULL;
	co.on_backend = on_backend;
	co.arg = &o;
	pe_stop_catch(); /* Ctrl-C ends the test early, in order; a second one exits at once */
	co.stop = pe_stop_flag();
	if (start_at_ns) {
		/* a synchronized start: the record says when it was asked for and when it began */
		struct json_object *sync = pe_rec_sync_wait(start_at_ns, co.stop);

		if (o.rep.rec.start)
			pe_rec_add(o.rep.rec.start, "sync", sync);
		else
			json_object_put(sync);
	}
	if (fmt == PE_REC_TEXT)
		fprintf(out, "pkteng client: %s test to %s port %s, %s backend%s\n", d->name,
			co.host, co.port, pe_backend_name(co.backend),
			gso_auto ? ", GSO and GRO (--no-gso: one datagram per call)" : "");
	/* the record keeps the whole latency histogram, so runs can be merged and drawn later */
	if (fmt != PE_REC_TEXT && d->latency && !(co.lat_hist = malloc(sizeof(*co.lat_hist))))
		return pe_fail("client: out of memory");
	r = pe_client_run(&co, &cli, &srv, &have_srv, err, sizeof(err));
	o.rep.interrupted = pe_stop_signal() != 0;
	cli.lat_hist = co.lat_hist;
	pe_report_summary(&o.rep, &cli, have_srv ? &srv : NULL);
	free(co.lat_hist);
	free(o.flows);
	if (out != stdout && fclose(out) && !r)
		return pe_fail("client: --logfile %s: %s", logfile, strerror(errno));
	if (r)
		return pe_fail("client: %s", err);
	return PE_EXIT_OK;
}

const struct pe_cmd pe_cmd_client = {
	.name = "client",
	.summary = "run a test against 'pkteng server' and report both sides",
	.run = run,
};
