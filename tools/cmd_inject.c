/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng inject`: sends frames built from the frame flags (varied per frame, sequence-stamped)
 * or replayed from a pcap file through AF_PACKET, paced to a rate, with interval reports, or
 * one frame flat out through XDP. This file is the options and the run; the send loop is
 * raw/sendloop.c, the reports, --vary, --replay, --offload and --method xdp tools/inject/. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/xmit.h"
#include "raw/frame.h"
#include "raw/packet.h"
#include "raw/rate.h"
#include "raw/sendloop.h"
#include "raw/stamp.h"
#include "raw/interval.h"
#include "record/record.h"
#include "tools/cli.h"
#include "tools/frameopts.h"
#include "tools/inject/offload.h"
#include "tools/inject/replay.h"
#include "tools/inject/report.h"
#include "tools/inject/vary.h"
#include "tools/inject/xdp.h"

static const char usage[] =
	"Usage: pkteng inject --dev IF [FRAME FLAGS] [-n COUNT] [-t SECONDS] [--rate PPS |\n"
	"       --rate-mbps M] [--burst N] [--method auto|xdp|ring|sendmmsg|uring]\n"
	"       [--qdisc-bypass] [--vary FIELD=RANGE ...] [--seed N] [--imix] [--stamp]\n"
	"       [--replay FILE.pcap] [-i SECONDS] [--json|--json-stream] [--offload NAME=on|off "
	"...]\n"
	"       [--start-at T]\n"
	"Sends frames on IF through an AF_PACKET socket, or from inside the kernel through XDP.\n"
	"Without -n or -t it runs until Ctrl-C (a --replay sends the file once). Each frame's\n"
	"payload starts with 'PEsq' and a 64-bit big-endian sequence number (from 0) when there\n"
	"is room, so a capture can check order.\n"
	"  -d, --dev IF            the interface (it must be up)\n"
	"  -n, --count N           frames to send\n"
	"  -t, --time SECONDS      stop after this long\n"
	"  --rate PPS              frames per second, 1e-6..1e10 (absolute deadlines; default:\n"
	"                          flat out)\n"
	"  --rate-mbps M           megabits per second at L2 (frame bytes with FCS), 1e-6..1e7\n"
	"  --burst N               frames per system call (64; 1..1024; xdp: per batch, 1..64)\n"
	"  --method M              auto (default): the fastest that can do what was asked, said\n"
	"                          in the report; xdp (BPF_PROG_RUN live frames: flat out, one\n"
	"                          frame with its sequence number; a veth's peer needs GRO on or\n"
	"                          an XDP program), ring (PACKET_TX_RING), sendmmsg or uring\n"
	"                          (io_uring)\n"
	"  --tpacket-version 2|3   the TX ring's layout (3)\n"
	"  --qdisc-bypass          PACKET_QDISC_BYPASS: skip the device's qdisc\n"
	"  --vary FIELD=LO-HI      src-ip, dst-ip, sport, dport, size; repeat or separate by ','\n"
	"  --seed N                vary at random (splitmix64 seeded with N) instead of in order\n"
	"  --imix                  sizes 64/570/1518 in the ratio 7:4:1\n"
	"  --stamp                 with --payload-hex: put the sequence stamp (PEsq and the\n"
	"                          frame's number) over its first 12 bytes; without, the payload\n"
	"                          goes as given (other payloads are always stamped)\n"
	"  --replay FILE           send the frames of a pcap file, at its own timing unless "
	"--rate\n"
	"                          (-: read it from standard input)\n"
	"  -i, --interval SECONDS  a report line every SECONDS (frames/s, Mbit/s L2 and wire)\n"
	"  --json                  one JSON record on stdout at the end (docs/results.md)\n"
	"  --json-stream           JSON lines: start, one per interval, summary\n"
	"  --offload NAME=on|off   switch an offload feature for the run (as `pkteng ethtool "
	"-K`;\n"
	"                          also ethtool's words: --offload 'tx off gro on')\n"
	"  --start-at T            start sending at T, seconds since 1970 on CLOCK_REALTIME\n"
	"                          (a synchronized start with other hosts; docs/suite.md)\n";

enum {
	O_RATE = 256,
	O_RATE_MBPS,
	O_BURST,
	O_METHOD,
	O_TPV,
	O_QBYPASS,
	O_VARY,
	O_SEED,
	O_IMIX,
	O_REPLAY,
	O_JSON,
	O_JSON_STREAM,
	O_OFFLOAD,
	O_START_AT,
	O_STAMP,
};

struct cfg {
	const char *dev, *replay;
	uint64_t count;
	double time_s, interval_s, rate_pps, rate_mbps;
	unsigned burst;
	struct pe_tx_opts txo;
	struct pe_varier vr;
	enum pe_rec_fmt fmt;
	bool xdp;	  /* xdp: --method xdp, or auto's first choice */
	bool method_auto; /* no --method: pick (pick_method) */
	char why[160];	  /* auto: why this method */
	bool stamp_opt;	  /* --stamp */
	bool stamp;	  /* the frames carry the sequence stamp: always, but --payload-hex needs
			   * --stamp, as its bytes are sent as given */
	struct pe_inject_offloads off;
	uint64_t start_at_ns; /* --start-at; 0: none */
};

struct run_state {
	struct cfg *c;
	struct pe_tx *tx;
	struct pe_frame_tmpl *t;    /* the built frame, or NULL with --replay */
	struct pe_inject_replay rp; /* --replay: the file's frames */
};

static void on_interval(double t0_s, double t1_s, const struct pe_send_counts *d, void *ctx)
{
	pe_inject_report_interval(ctx, t0_s, t1_s, d);
}

/* The send loop stopped with err: one line naming the frame and why. */
static int send_failed(const char *dev, const struct pe_send_result *res, int err)
{
	unsigned long long seq = (unsigned long long)res->err_seq;

	if (!res->err_frame)
		return pe_fail("inject: sending on %s: %s", dev, strerror(-err));
	if (!res->err_len)
		return pe_usage("--vary: %s", err == -EMSGSIZE
						      ? "a size outside what these headers allow"
						      : "a field these frames do not have");
	if (err == -ETIMEDOUT)
		return pe_fail("inject: sending on %s: frame %llu (%u bytes): the device took "
			       "nothing for 3 s, dropping or refusing it on every retry",
			       dev, seq, res->err_len);
	return pe_fail("inject: sending on %s: frame %llu (%u bytes) refused: %s%s", dev, seq,
		       res->err_len, strerror(-err),
		       err == -EMSGSIZE ? " (above what the device takes)" : "");
}

/* The record's parameters: what was asked, defaults filled in. */
static struct json_object *params_json(const struct cfg *c, const struct run_state *st, bool fcs)
{
	struct json_object *o = json_object_new_object();
	bool one_size = st->t && !c->vr.imix;

	for (unsigned i = 0; i < c->vr.n; i++)
		if (c->vr.v[i].field == PE_VARY_SIZE)
			one_size = false;
	pe_rec_add(o, "dev", json_object_new_string(c->dev));
	pe_rec_add(o, "method",
		   json_object_new_string(c->xdp ? "xdp" : pe_tx_method_name(c->txo.method)));
	pe_rec_add(o, "method_auto", json_object_new_boolean(c->method_auto));
	pe_rec_add(o, "method_why", c->method_auto ? json_object_new_string(c->why) : NULL);
	pe_rec_add(o, "count_frames", c->count ? pe_rec_u64(c->count) : NULL);
	pe_rec_add(o, "time_s", c->time_s > 0 ? pe_rec_secs(c->time_s) : NULL);
	pe_rec_add(o, "interval_s", c->interval_s > 0 ? pe_rec_secs(c->interval_s) : NULL);
	pe_rec_add(o, "rate_pps", c->rate_pps > 0 ? pe_rec_num(c->rate_pps) : NULL);
	pe_rec_add(o, "rate_mbps", c->rate_mbps > 0 ? pe_rec_num(c->rate_mbps) : NULL);
	pe_rec_add(o, "burst", json_object_new_int((int)c->burst));
	pe_rec_add(o, "frame_bytes_l2",
		   one_size ? pe_rec_u64(fcs ? st->t->len - PE_FRAME_FCS_LEN : st->t->len) : NULL);
	pe_rec_add(o, "fcs_in_frame", json_object_new_boolean(fcs));
	pe_rec_add(o, "replay", c->replay ? json_object_new_string(c->replay) : NULL);
	pe_rec_add(o, "imix", json_object_new_boolean(c->vr.imix));
	pe_rec_add(o, "qdisc_bypass", json_object_new_boolean(c->txo.qdisc_bypass));
	return o;
}

/* --start-at: waits until then (a signal ends the wait) and has the record say when it was
 * asked to start and when it did. */
static void wait_start(const struct cfg *c, struct pe_inject_report *rep)
{
	if (c->start_at_ns && !rep->sync) /* rep->sync: waited already (auto's xdp fell back) */
		rep->sync = pe_rec_sync_wait(c->start_at_ns, pe_stop_flag());
}

/* The AF_PACKET run: the loop, then the offloads back and the final report. */
static int run_send(struct run_state *st, bool fcs, struct pe_inject_report *rep)
{
	struct cfg *c = st->c;
	struct pe_send_opts so = {
		.sz = sizeof(so),
		.tx = st->tx,
		.tmpl = st->t,
		.vary = st->t ? &c->vr : NULL,
		.stamp = st->t != NULL && c->stamp,
		.frames = st->rp.f,
		.n_frames = st->rp.n,
		.fcs_in_frame = fcs,
		.count = c->count,
		.time_s = c->time_s,
		.stop = pe_stop_flag(),
		.rate_pps = c->rate_pps,
		.rate_mbps = c->rate_mbps,
		.interval_s = c->interval_s,
		.on_interval = on_interval,
		.ctx = rep,
	};
	struct pe_send_result res;
	int rc;

	pe_stop_catch(); /* a send blocked in the kernel returns to see the flag */
	wait_start(c, rep);
	rc = pe_inject_report_open(rep, c->fmt, c->dev, pe_tx_method_name(c->txo.method),
				   params_json(c, st, fcs), c->method_auto ? c->why : NULL);
	if (rc)
		return rc;
	rc = pe_send_run(&so, &res);
	if (rc)
		rc = send_failed(c->dev, &res, rc);
	pe_inject_offloads_restore(&c->off, c->dev);
	pe_inject_report_final(rep, c->dev, pe_tx_method_name(c->txo.method), &res.tot, res.secs,
			       pe_stop_signal() != 0);
	if (fflush(stdout) && !rc)
		rc = pe_fail("inject: stdout: %s", strerror(errno));
	return rc;
}

/* --rate and --rate-mbps: a positive, finite number in [min, max], so that the gap between
 * two frames and the frames due by now both fit in 64 bits. */
static int parse_rate(const char *flag, const char *arg, double min, double max, double *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end || !isfinite(v) || v <= 0)
		return pe_usage("--%s %s: must be a number above 0", flag, arg);
	if (v < min || v > max)
		return pe_usage("--%s %s: must be from %g to %g", flag, arg, min, max);
	*out = v;
	return 0;
}

/* What this run asks that --method xdp cannot do (it sends one frame, stamped, flat out), or
 * NULL. */
static const char *xdp_blocker(const struct cfg *c, const struct pe_frameopts *fo)
{
	return c->rate_pps > 0		? "--rate"
	       : c->rate_mbps > 0	? "--rate-mbps"
	       : c->replay		? "--replay"
	       : c->vr.n		? "--vary"
	       : c->vr.imix		? "--imix"
	       : c->vr.random		? "--seed"
	       : fo->o.fcs		? "--fcs"
	       : c->txo.qdisc_bypass	? "--qdisc-bypass"
	       : c->txo.tpacket_version ? "--tpacket-version"
					: NULL;
}

/* --method xdp sends one frame, stamped, flat out: what needs more is refused by name. */
static int check_xdp_args(const struct cfg *c, const struct pe_frameopts *fo)
{
	const char *flag = xdp_blocker(c, fo);

	if (flag)
		return pe_usage(
			"--method xdp: %s needs --method sendmmsg, ring or uring (xdp sends "
			"one frame, sequence-stamped, flat out)",
			flag);
	if (c->burst > PE_XDP_TX_BATCH_MAX)
		return pe_usage("--burst %u: --method xdp sends 1..%d frames per batch", c->burst,
				PE_XDP_TX_BATCH_MAX);
	return 0;
}

/* --method auto's first choice: XDP live frames for a flat-out run of one stamped frame
 * (the run falls back to the ring when the kernel or the device takes none), else the TX
 * ring, else sendmmsg: the ring cannot send a frame's own FCS (the kernel ignores SO_NOFCS
 * there). */
static void pick_method(struct cfg *c, const struct pe_frameopts *fo)
{
	const char *flag = xdp_blocker(c, fo);

	if (!flag && c->burst > PE_XDP_TX_BATCH_MAX)
		flag = "--burst above 64";
	c->xdp = !flag;
	c->txo.method = PE_TX_RING;
	if (!flag) {
		snprintf(c->why, sizeof(c->why),
			 "a flat-out run of one frame, and %s takes XDP "
			 "frames",
			 c->dev);
	} else if (fo->o.fcs && !c->replay) {
		c->txo.method = PE_TX_SENDMMSG;
		snprintf(c->why, sizeof(c->why),
			 "xdp cannot do %s, and the TX ring cannot send the frame's own FCS", flag);
	} else {
		snprintf(c->why, sizeof(c->why), "xdp cannot do %s", flag);
	}
}

/* The options into c and fo. Returns 0 or the exit code after the one-line error; quit is
 * set when -h printed the help or getopt rejected an option (nothing more to check). */
static int parse_args(int argc, char **argv, struct cfg *c, struct pe_frameopts *fo,
		      bool *have_frame_flags, bool *quit)
{
	static const struct option own[] = {
		{ "help", no_argument, 0, 'h' },
		{ "dev", required_argument, 0, 'd' },
		{ "count", required_argument, 0, 'n' },
		{ "time", required_argument, 0, 't' },
		{ "interval", required_argument, 0, 'i' },
		{ "rate", required_argument, 0, O_RATE },
		{ "rate-mbps", required_argument, 0, O_RATE_MBPS },
		{ "burst", required_argument, 0, O_BURST },
		{ "method", required_argument, 0, O_METHOD },
		{ "tpacket-version", required_argument, 0, O_TPV },
		{ "qdisc-bypass", no_argument, 0, O_QBYPASS },
		{ "vary", required_argument, 0, O_VARY },
		{ "seed", required_argument, 0, O_SEED },
		{ "imix", no_argument, 0, O_IMIX },
		{ "replay", required_argument, 0, O_REPLAY },
		{ "json", no_argument, 0, O_JSON },
		{ "json-stream", no_argument, 0, O_JSON_STREAM },
		{ "offload", required_argument, 0, O_OFFLOAD },
		{ "start-at", required_argument, 0, O_START_AT },
		{ "stamp", no_argument, 0, O_STAMP },
	};
	struct option opts[sizeof(own) / sizeof(own[0]) + PE_FRAMEOPTS_N + 1];
	const char *rate_s = NULL, *mbps_s = NULL;
	uint64_t x;
	int ch, rc = 0, m;

	pe_frameopts_table(opts, own, sizeof(own) / sizeof(own[0]));
	while (!rc && (ch = getopt_long(argc, argv, "hd:n:t:i:", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			c->dev = optarg;
			break;
		case 'n':
			if (pe_parse_size(optarg, 1, UINT64_MAX, &c->count))
				rc = pe_usage("--count %s: must be a number above 0", optarg);
			break;
		case 't':
			if (pe_parse_seconds(optarg, 0.001, 1e7, &c->time_s))
				rc = pe_usage("--time %s: must be seconds above 0", optarg);
			break;
		case 'i':
			if (pe_parse_seconds(optarg, 0.01, 1e6, &c->interval_s))
				rc = pe_usage("--interval %s: must be seconds, at least 0.01",
					      optarg);
			break;
		case O_RATE:
			rc = parse_rate("rate", optarg, PE_RATE_PPS_MIN, PE_RATE_PPS_MAX,
					&c->rate_pps);
			if (!rc)
				rate_s = optarg;
			break;
		case O_RATE_MBPS:
			rc = parse_rate("rate-mbps", optarg, PE_RATE_MBPS_MIN, PE_RATE_MBPS_MAX,
					&c->rate_mbps);
			if (!rc)
				mbps_s = optarg;
			break;
		case O_BURST:
			if (pe_parse_u64(optarg, 1, 1024, &x))
				rc = pe_usage("--burst %s: must be 1..1024", optarg);
			c->burst = (unsigned)x;
			break;
		case O_METHOD:
			c->method_auto = !strcmp(optarg, "auto");
			c->xdp = !strcmp(optarg, "xdp");
			m = c->xdp || c->method_auto ? 0 : pe_tx_method_parse(optarg);
			if (m < 0)
				rc = pe_usage("--method %s: expected auto, xdp, ring, sendmmsg or "
					      "uring",
					      optarg);
			c->txo.method = (enum pe_tx_method)m;
			break;
		case O_TPV:
			if (pe_parse_u64(optarg, 2, 3, &x))
				rc = pe_usage("--tpacket-version %s: must be 2 or 3", optarg);
			c->txo.tpacket_version = (int)x;
			break;
		case O_QBYPASS:
			c->txo.qdisc_bypass = true;
			break;
		case O_VARY:
			rc = pe_inject_vary_parse(&c->vr, optarg);
			break;
		case O_SEED:
			if (pe_parse_u64(optarg, 0, UINT64_MAX, &x))
				rc = pe_usage("--seed %s: must be a number", optarg);
			c->vr.random = true;
			c->vr.rng = x;
			break;
		case O_IMIX:
			c->vr.imix = true;
			break;
		case O_STAMP:
			c->stamp_opt = true;
			break;
		case O_REPLAY:
			c->replay = optarg;
			break;
		case O_JSON:
			c->fmt = PE_REC_JSON;
			break;
		case O_JSON_STREAM:
			c->fmt = PE_REC_JSON_STREAM;
			break;
		case O_OFFLOAD:
			rc = pe_inject_offload_parse(&c->off, optarg);
			break;
		case O_START_AT:
			if (pe_parse_unix_ns(optarg, &c->start_at_ns))
				rc = pe_usage(
					"inject: --start-at '%s': expected seconds since 1970 "
					"(1765000000.25)",
					optarg);
			break;
		case 'h':
			*quit = true;
			return pe_frameopts_help(fo, usage, false);
		default:
			rc = pe_frameopts_handle(fo, ch, optarg);
			if (rc == -1) {
				*quit = true;
				return pe_frameopts_help(fo, usage, true);
			}
			*have_frame_flags = true;
			break;
		}
	}
	if (!rc && optind < argc)
		rc = pe_usage("inject: unexpected argument '%s'", argv[optind]);
	if (!rc && !c->dev)
		rc = pe_usage("inject: missing --dev IF (see 'pkteng inject --help')");
	if (!rc && rate_s && mbps_s)
		rc = pe_usage("--rate %s: choose --rate or --rate-mbps, not both", rate_s);
	if (!rc && c->replay && (*have_frame_flags || c->vr.n || c->vr.imix))
		rc = pe_usage(
			"--replay %s: sends the file's frames; frame flags, --vary and --imix "
			"do not apply",
			c->replay);
	if (!rc && c->vr.imix && fo->size)
		rc = pe_usage("--imix: choose --imix or --size, not both");
	if (!rc && c->xdp)
		rc = check_xdp_args(c, fo);
	c->stamp = !fo->hex_payload || c->stamp_opt;
	if (!rc && c->method_auto)
		pick_method(c, fo);
	return rc;
}

/* Opens the socket (without SO_NOFCS when the device has none: the FCS goes as data, with a
 * note) and checks the run's largest frame against the MTU. Returns 0 or an exit code. */
static int open_tx(struct run_state *st, struct cfg *c, bool fcs)
{
	bool fcs_note = false;
	int rc;

	c->txo.nofcs = fcs && !c->replay;
	c->txo.stop = pe_stop_flag();
	st->tx = pe_tx_open(&c->txo);
	if (!st->tx && c->method_auto && c->txo.method == PE_TX_RING && errno != EPERM &&
	    errno != EACCES) {
		size_t n = strlen(c->why);

		snprintf(c->why + n, sizeof(c->why) - n, "; the TX ring did not open (%s)",
			 strerror(errno));
		c->txo.method = PE_TX_SENDMMSG;
		st->tx = pe_tx_open(&c->txo);
	}
	if (!st->tx && errno == EPROTONOSUPPORT) {
		fcs_note = true;
		c->txo.nofcs = false;
		st->tx = pe_tx_open(&c->txo);
	}
	if (!st->tx) {
		if (errno == EPERM || errno == EACCES)
			return pe_fail("inject: needs CAP_NET_RAW (run as root)");
		if (errno == EOPNOTSUPP && c->txo.nofcs)
			return pe_fail(
				"inject: %s: --fcs with --method ring: the kernel's TX ring "
				"ignores SO_NOFCS, so the device would add a second FCS; use "
				"--method sendmmsg or uring",
				c->dev);
		return pe_fail("inject: %s: %s", c->dev, strerror(errno));
	}
	/* The kernel's limit: MTU + header, + 4 only for an 802.1Q outer tag (an FCS the device
	 * takes through SO_NOFCS is not counted; one sent as data is). */
	if (st->rp.f)
		rc = pe_inject_replay_check_len(&st->rp, c->replay, st->tx, c->dev);
	else
		rc = pe_inject_vary_check_len(&c->vr, st->t, fcs, st->tx, c->dev);
	if (!rc && fcs_note)
		fprintf(stderr,
			"pkteng: inject: %s cannot send frames with their own FCS (no "
			"SO_NOFCS support): the 4 FCS bytes travel as the last bytes of each "
			"frame\n",
			c->dev);
	return rc;
}

/* --method xdp: frame 0 (magic and sequence number 0 in place) is the template the kernel
 * copies; the XDP program writes the sequence numbers and fixes the checksum. */
struct xdp_ready {
	struct run_state *st;
	struct pe_inject_report *rep;
};

/* The device counted the first frame: the report starts. */
static int xdp_ready(void *ctx)
{
	struct xdp_ready *r = ctx;
	struct cfg *c = r->st->c;

	return pe_inject_report_open(r->rep, c->fmt, c->dev, "xdp", params_json(c, r->st, false),
				     c->method_auto ? c->why : NULL);
}

static int run_xdp(struct run_state *st, struct pe_inject_report *rep)
{
	struct cfg *c = st->c;
	struct pe_frame_tmpl *t = st->t;
	bool stamped = c->stamp && !pe_stamp_frame(t, 0, true);
	struct pe_send_counts tot = { 0 };
	struct xdp_ready ready = { st, rep };
	double secs = 0;
	int rc;
	struct pe_inject_xdp a = {
		.dev = c->dev,
		.frame = pe_frame_data(t),
		.len = t->len,
		.seq_off = stamped ? t->off_payload + (unsigned)PE_STAMP_SEQ_OFF : 0,
		.csum_off = stamped ? pe_frame_l4_csum_off(t) : 0,
		.csum_udp = t->l4 == PE_FRAME_L4_UDP,
		.count = c->count,
		.time_s = c->time_s,
		.interval_s = c->interval_s,
		.burst = c->burst,
		.stop = pe_stop_flag(),
		.fallback = c->method_auto,
		.why = c->why,
		.why_len = sizeof(c->why),
		.ready = xdp_ready,
		.ctx = &ready,
	};

	pe_frame_finish_fcs(t);
	if (c->method_auto) { /* too long a frame: the ring path's check says why, its way */
		struct pe_tx_limit l;

		if (pe_if_limit(c->dev, a.frame, a.len, &l) || a.len > l.max) {
			snprintf(c->why, sizeof(c->why),
				 PE_INJECT_XDP_NONE_WHY "the frame is above what %s takes", c->dev);
			return PE_INJECT_XDP_NONE;
		}
	}
	rc = pe_inject_xdp_check_len(&a);
	if (!rc)
		rc = pe_inject_offloads_apply(&c->off, c->dev);
	if (rc)
		return rc;
	pe_stop_catch(); /* a run in the kernel returns early to see the flag */
	wait_start(c, rep);
	rc = pe_inject_xdp_run(&a, rep, &tot, &secs);
	pe_inject_offloads_restore(&c->off, c->dev);
	if (rc == PE_INJECT_XDP_NONE || rc == PE_EXIT_USAGE || (rc && !tot.frames))
		return rc;
	pe_inject_report_final(rep, c->dev, "xdp", &tot, secs, pe_stop_signal() != 0);
	if (fflush(stdout) && !rc)
		rc = pe_fail("inject: stdout: %s", strerror(errno));
	return rc;
}

static int run(int argc, char **argv)
{
	static struct pe_frame_tmpl t;
	struct pe_frameopts fo;
	struct cfg c = { 0 };
	struct run_state st = { 0 };
	struct pe_inject_report rep = { 0 };
	bool have_frame_flags = false, fcs = false, quit = false;
	int rc, err;

	pe_frameopts_init(&fo);
	c.burst = 64;
	c.method_auto = true;
	c.txo.sz = sizeof(c.txo);
	rc = parse_args(argc, argv, &c, &fo, &have_frame_flags, &quit);
	if (!rc && !quit) {
		err = pe_if_lookup(c.dev, NULL, NULL);
		if (err == -ENODEV)
			rc = pe_usage("--dev %s: no such interface", c.dev);
		else if (err == -ENETDOWN)
			rc = pe_fail("inject: %s is down (ip link set %s up)", c.dev, c.dev);
		else if (err)
			rc = pe_fail("inject: %s: %s", c.dev, strerror(-err));
	}
	if (rc || quit)
		goto out;
	if (c.replay) {
		rc = pe_inject_replay_load(&st.rp, c.replay);
		fcs = st.rp.fcs;
	} else {
		rc = pe_frameopts_build(&fo, &t);
		fcs = fo.o.fcs;
		st.t = &t;
		if (!rc)
			rc = pe_inject_vary_check(&c.vr, &t);
	}
	if (rc)
		goto out;
	st.c = &c;
	if (c.xdp) {
		rc = run_xdp(&st, &rep);
		if (rc != PE_INJECT_XDP_NONE)
			goto out;
		/* auto: no XDP here (c.why says why); the TX ring sends the run, nothing was
		 * counted yet */
		c.xdp = false;
		rc = 0;
	}
	c.txo.ifname = c.dev;
	c.txo.burst = c.burst;
	/* TX ring slots sized for this run's largest frame: 64-byte frames in 256-byte slots
	 * touch a 1 MiB ring instead of 64 MiB of 16 KiB slots. */
	c.txo.frame_max =
		st.rp.f ? pe_inject_replay_frame_max(&st.rp) : pe_inject_vary_frame_max(&c.vr, &t);
	rc = open_tx(&st, &c, fcs);
	if (!rc)
		rc = pe_inject_offloads_apply(&c.off, c.dev);
	if (!rc)
		rc = run_send(&st, fcs, &rep);
out:
	pe_inject_report_free(&rep);
	pe_tx_close(st.tx);
	pe_inject_replay_free(&st.rp);
	pe_inject_offloads_free(&c.off);
	pe_frameopts_free(&fo);
	return rc;
}

const struct pe_cmd pe_cmd_inject = {
	.name = "inject",
	.summary = "send frames on an interface (AF_PACKET: sendmmsg, TX ring, io_uring; XDP)",
	.run = run,
};
