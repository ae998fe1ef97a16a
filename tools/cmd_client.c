/* `pkteng client HOST --mode MODE`: runs one test against `pkteng server` and reports both
 * sides' figures. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "workload/work.h"
#include "tools/cli.h"

static const char usage[] =
	"Usage: pkteng client HOST [--port 5201] --mode MODE [options]\n"
	"Runs one test against 'pkteng server' on HOST and reports both sides' figures.\n"
	"Modes: stream (bulk TCP), rr (request/response), crr (connect/request/response/close),\n"
	"       udp (paced datagrams: loss, reordering, duplicates, jitter), echo, file.\n"
	"  -p, --port N        server control port (default 5201)\n"
	"  -m, --mode MODE     the workload (default stream)\n"
	"  -t SECONDS          run time (default 10; with -n and no -t, until the bytes are sent)\n"
	"  -n BYTES            stream: bytes per flow and direction (K/M/G suffixes: x1000, "
	"Ki/Mi/Gi)\n"
	"  -l BYTES            block (stream, default 128Ki), request (rr, crr), datagram (udp,\n"
	"                      at least 24) or echo size; default 64\n"
	"  --resp-len BYTES    rr/crr response size (default 64)\n"
	"  -P, --conns N       flows (stream) or connections (rr, crr, echo); default 1\n"
	"  -R, --reverse       stream: the server sends\n"
	"  --bidir             stream: both send\n"
	"  -Z, --zerocopy      stream: SEND_ZC on io_uring, sendfile from a memfd on epoll\n"
	"  --verify            stream: the receiver checks every byte of the keyed pattern\n"
	"  --skip-rx-copy      stream: the receiver discards bytes in the kernel (MSG_TRUNC)\n"
	"                      instead of copying them\n"
	"  -b BITS_PER_S       udp target rate (0: as fast as possible, the default)\n"
	"  --pps N             udp target datagrams per second\n"
	"  --gso, --gro        udp: the client sends up to 64 datagrams per send (UDP_SEGMENT);\n"
	"                      the server takes them in one read (UDP_GRO)\n"
	"  --file PATH         file: the file to send (its length and SHA-256 are checked)\n"
	"  --spin USEC         both sides poll for events without sleeping for up to USEC\n"
	"                      microseconds before they block (0..1000000; default 0): lower\n"
	"                      latency for a busy CPU on each side\n"
	"  --backend B         uring (default) or epoll\n"
	"  -i SECONDS          a report line every SECONDS (default 1; 0: none)\n"
	"  --json              one JSON document at the end\n"
	"  --json-stream       one JSON object per line: each interval, then the summary\n"
	"  -4, -6              IPv4 or IPv6 only\n";

struct out {
	struct pe_report rep;
};

static void on_interval(struct pe_work *w, double t0, double t1, const struct pe_counts *d)
{
	struct out *o = w->arg;

	pe_report_interval(&o->rep, t0, t1, d);
}

static int run(int argc, char **argv)
{
	enum {
		O_RESP = 256,
		O_BIDIR,
		O_VERIFY,
		O_PPS,
		O_FILE,
		O_BACKEND,
		O_JSON,
		O_JSTREAM,
		O_SKIPRX,
		O_GSO,
		O_GRO,
		O_SPIN
	};
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "port", required_argument, 0, 'p' },
		{ "mode", required_argument, 0, 'm' },
		{ "resp-len", required_argument, 0, O_RESP },
		{ "conns", required_argument, 0, 'P' },
		{ "reverse", no_argument, 0, 'R' },
		{ "bidir", no_argument, 0, O_BIDIR },
		{ "zerocopy", no_argument, 0, 'Z' },
		{ "verify", no_argument, 0, O_VERIFY },
		{ "pps", required_argument, 0, O_PPS },
		{ "file", required_argument, 0, O_FILE },
		{ "backend", required_argument, 0, O_BACKEND },
		{ "json", no_argument, 0, O_JSON },
		{ "json-stream", no_argument, 0, O_JSTREAM },
		{ "skip-rx-copy", no_argument, 0, O_SKIPRX },
		{ "gso", no_argument, 0, O_GSO },
		{ "gro", no_argument, 0, O_GRO },
		{ "spin", required_argument, 0, O_SPIN },
		{ 0 },
	};
	struct pe_client_opts co = {
		.sz = sizeof(co), .port = "5201", .family = AF_UNSPEC, .interval_s = 1
	};
	enum pe_mode mode = PE_MODE_STREAM;
	enum pe_report_fmt fmt = PE_REPORT_TEXT;
	const char *mode_s = NULL;
	struct pe_figures cli, srv;
	double t = -1;
	uint64_t v, n = 0, l = 0, resp = 0, conns = 0, bps = 0, pps = 0, spin = 0;
	bool reverse = false, bidir = false, zc = false, verify = false, gso = false, gro = false;
	bool skiprx = false;
	bool have_srv;
	char err[300];
	struct out o;
	int c, r;

	while ((c = getopt_long(argc, argv, "hp:m:t:n:l:P:RZb:i:46", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (pe_parse_u64(optarg, 1, 65535, &v))
				return pe_usage("client: --port '%s': expected 1..65535", optarg);
			co.port = optarg;
			break;
		case 'm':
			mode_s = optarg;
			if (pe_mode_parse(optarg, &mode))
				return pe_usage(
					"client: --mode '%s': expected stream, rr, crr, udp, echo "
					"or file",
					optarg);
			break;
		case 't':
			if (pe_parse_seconds(optarg, 0.001, 86400, &t))
				return pe_usage("client: -t '%s': expected seconds in 0.001..86400",
						optarg);
			break;
		case 'n':
			if (pe_parse_size(optarg, 1, UINT64_MAX / 2, &n))
				return pe_usage("client: -n '%s': expected a byte count", optarg);
			break;
		case 'l':
			if (pe_parse_size(optarg, 1, 64 << 20, &l))
				return pe_usage("client: -l '%s': expected 1..64Mi bytes", optarg);
			break;
		case O_RESP:
			if (pe_parse_size(optarg, 1, 64 << 20, &resp))
				return pe_usage("client: --resp-len '%s': expected 1..64Mi bytes",
						optarg);
			break;
		case 'P':
			if (pe_parse_u64(optarg, 1, 4096, &conns))
				return pe_usage("client: --conns '%s': expected 1..4096", optarg);
			break;
		case 'R':
			reverse = true;
			break;
		case O_BIDIR:
			bidir = true;
			break;
		case 'Z':
			zc = true;
			break;
		case O_VERIFY:
			verify = true;
			break;
		case 'b':
			if (pe_parse_size(optarg, 0, UINT64_MAX / 2, &bps))
				return pe_usage("client: -b '%s': expected bits/s (K/M/G suffixes)",
						optarg);
			break;
		case O_PPS:
			if (pe_parse_size(optarg, 1, 1000000000, &pps))
				return pe_usage("client: --pps '%s': expected 1..1G", optarg);
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
		case O_JSON:
			fmt = PE_REPORT_JSON;
			break;
		case O_JSTREAM:
			fmt = PE_REPORT_JSON_STREAM;
			break;
		case O_SKIPRX:
			skiprx = true;
			break;
		case O_GSO:
			gso = true;
			break;
		case O_GRO:
			gro = true;
			break;
		case O_SPIN:
			if (pe_parse_u64(optarg, 0, PE_SPIN_US_MAX, &spin))
				return pe_usage("client: --spin '%s': expected 0..%d microseconds",
						optarg, PE_SPIN_US_MAX);
			break;
		case '4':
			co.family = AF_INET;
			break;
		case '6':
			co.family = AF_INET6;
			break;
		case 'h':
			return pe_cli_help(usage, false);
		default:
			return pe_cli_help(usage, true);
		}
	}
	if (optind >= argc)
		return pe_usage("client: missing HOST (see 'pkteng client --help')");
	if (argc - optind > 1)
		return pe_usage("client: unexpected argument '%s'", argv[optind + 1]);
	co.host = argv[optind];
	pe_params_default(&co.p, mode);
	if (t >= 0)
		co.p.duration_s = t;
	else if (n || mode == PE_MODE_FILE)
		co.p.duration_s = 0;
	if (n && mode != PE_MODE_STREAM)
		return pe_usage("client: -n is for --mode stream");
	co.p.bytes_total = n;
	if (l)
		co.p.len_bytes = (uint32_t)l;
	if (resp)
		co.p.resp_len_bytes = (uint32_t)resp;
	if (conns)
		co.p.conns = (uint32_t)conns;
	if ((reverse || bidir || zc || verify) && mode != PE_MODE_STREAM)
		return pe_usage(
			"client: -R, --bidir, --zerocopy and --verify are for --mode stream");
	if (skiprx && (mode != PE_MODE_STREAM || verify))
		return pe_usage("client: --skip-rx-copy is for --mode stream without --verify");
	co.p.skip_rx_copy = skiprx;
	if (reverse && bidir)
		return pe_usage("client: -R and --bidir exclude each other");
	co.p.reverse = reverse;
	co.p.bidir = bidir;
	co.p.zerocopy = zc;
	co.p.verify = verify;
	if ((bps || pps) && mode != PE_MODE_UDP)
		return pe_usage("client: -b and --pps are for --mode udp");
	if (bps && pps)
		return pe_usage("client: -b and --pps exclude each other");
	if ((gso || gro) && mode != PE_MODE_UDP)
		return pe_usage("client: --gso and --gro are for --mode udp");
	co.p.gso = gso;
	co.p.gro = gro;
	co.p.rate_bps = bps;
	co.p.rate_pps = pps;
	co.p.spin_us = (uint32_t)spin;
	if (mode == PE_MODE_UDP && (co.p.len_bytes < 24 || co.p.len_bytes > 65507))
		return pe_usage("client: -l %u: udp datagrams are 24..65507 bytes", co.p.len_bytes);
	if (mode == PE_MODE_FILE) {
		if (!co.file_path)
			return pe_usage("client: --mode file needs --file PATH");
		r = pe_sha256_file(co.file_path, co.p.file_sha256, &co.p.file_bytes);
		if (r)
			return pe_fail("client: --file %s: %s", co.file_path, strerror(-r));
		co.p.conns = 1;
	} else if (co.file_path) {
		return pe_usage("client: --file is for --mode file");
	}
	(void)mode_s;
	signal(SIGPIPE, SIG_IGN);
	pe_report_init(&o.rep, fmt, stdout, &co.p);
	co.on_interval = co.interval_s > 0 ? on_interval : NULL;
	co.arg = &o;
	if (fmt == PE_REPORT_TEXT)
		printf("pkteng client: %s test to %s port %s, %s backend\n", pe_mode_name(mode),
		       co.host, co.port, pe_backend_name(co.backend));
	r = pe_client_run(&co, &cli, &srv, &have_srv, err, sizeof(err));
	pe_report_summary(&o.rep, &cli, have_srv ? &srv : NULL);
	if (r)
		return pe_fail("client: %s", err);
	return PE_EXIT_OK;
}

const struct pe_cmd pe_cmd_client = {
	.name = "client",
	.summary = "run a test against 'pkteng server' and report both sides",
	.run = run,
};
