/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng capture`: receives frames through a TPACKET_V3 ring (or reads them from a pcap file),
 * keeps those a tcpdump expression accepts, validates them with the frame parser (and the FCS),
 * follows inject's sequence stamps, and writes a pcap atomically. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "raw/capfilter.h"
#include "raw/frame.h"
#include "raw/packet.h"
#include "raw/pcapfile.h"
#include "raw/stamp.h"
#include "raw/interval.h"
#include "record/meta.h"
#include "record/record.h"
#include "tools/cli.h"

/* Where the report goes: standard output, or standard error when the frames own standard
 * output (--pcap -, as tcpdump -w -). */
static FILE *rep_out;

static const char usage[] =
	"Usage: pkteng capture --dev IF [-n COUNT] [-t SECONDS] [-w FILE] [--check-fcs]\n"
	"       [--ethertype X] [-i SECONDS] [--json|--json-stream] [--ready-file PATH]\n"
	"       [--incoming] [--ring-mb N] [EXPRESSION]\n"
	"       pkteng capture -r FILE [-n COUNT] [-w FILE] [--check-fcs] [-i SECONDS] "
	"[EXPRESSION]\n"
	"       pkteng capture --print-filter EXPRESSION\n"
	"Receives frames on IF through a TPACKET_V3 ring until COUNT frames, SECONDS or Ctrl-C,\n"
	"or reads them from a pcap file (-r). Counts frames and bytes, the kernel's drops, frames\n"
	"the parser rejects (by reason) and, for frames from `pkteng inject`, missing and\n"
	"out-of-order sequence numbers.\n"
	"EXPRESSION is a tcpdump filter (pcap-filter(7): `udp port 9`, `ether src "
	"02:00:00:00:00:01`)\n"
	"compiled by libpcap for Ethernet; live, the kernel runs it on the socket, so frames it\n"
	"rejects never reach pkteng and are not counted anywhere.\n"
	"  -d, --dev IF            the interface (tcpdump's -i: in pkteng, -i is always the "
	"interval)\n"
	"  -r, --read FILE         analyse a pcap file instead: the same checks, rates by "
	"timestamps\n"
	"  -n, --count N           stop after N frames (that pass --ethertype)\n"
	"  -t, --time SECONDS      stop after this long\n"
	"  -w, --pcap FILE         write the frames (complete file or none: temp file + rename;\n"
	"                          -: standard output, for '| tshark -r -'; the report goes to\n"
	"                          stderr then)\n"
	"  --check-fcs             the last 4 bytes of each frame are its FCS: check them\n"
	"  --ethertype X           only frames whose innermost ethertype is X (0x0800, 0x86dd...)\n"
	"  -i, --interval SECONDS  a report line every SECONDS (of frame timestamps with -r)\n"
	"  --print-filter          print EXPRESSION's BPF program as `tcpdump -d` does, and exit\n"
	"  --json                  one JSON record on stdout at the end (docs/results.md)\n"
	"  --json-stream           JSON lines: start, one per interval, summary\n"
	"  --ready-file PATH       create PATH once the ring is bound (also: 'ready' on stderr)\n"
	"  --incoming              skip frames this host sends on IF\n"
	"  --ring-mb N             the ring's size in MiB (16; 1 MiB blocks, 4..1024)\n";

enum {
	O_PCAP = 256,
	O_CHECK_FCS,
	O_ETHERTYPE,
	O_JSON,
	O_JSON_STREAM,
	O_READY,
	O_INCOMING,
	O_RING_MB,
	O_PRINT_FILTER
};

struct cap_state {
	uint64_t limit, frames, bytes_l2, bytes_wire, filtered, bad[PE_FRAME__STATUS_COUNT];
	uint64_t seq_frames, seq_first, seq_next, missing, reordered, restarts;
	uint64_t first_t_ns, last_t_ns;
	int ethertype; /* -1: all */
	bool check_fcs;
	struct pe_pcap_writer *w;
	int write_err;
};

/* The options, and where the last interval left the counters. */
struct cap_args {
	const char *dev, *pcap, *ready, *read;
	char *expr; /* the filter expression, NULL when none was given */
	bool print_filter;
	struct pe_capfilter filter;
	double time_s, interval_s;
	enum pe_rec_fmt fmt;
	struct pe_cap_opts co;
	uint64_t last_frames, last_bytes_l2, last_bytes_wire, last_kd;
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int on_frame(const struct pe_cap_frame *f, void *ctx)
{
	struct cap_state *s = ctx;
	struct pe_frame_info info;
	uint64_t seq;
	int st = pe_frame_validate(f->data, f->len, s->check_fcs ? PE_FRAME_PARSE_FCS : 0, &info);

	if (s->ethertype >= 0) {
		uint16_t et = 0;
		unsigned off = 12;

		/* The innermost ethertype, even when the parser stopped early. */
		while (f->len >= off + 2) {
			et = be16(f->data + off);
			if ((et != PE_ETH_P_VLAN && et != PE_ETH_P_QINQ) || f->len < off + 6)
				break;
			off += 4;
		}
		if (et != s->ethertype) {
			s->filtered++;
			return 0;
		}
	}
	if (st >= 0 && st < PE_FRAME__STATUS_COUNT && st != PE_FRAME_OK)
		s->bad[st]++;
	if (!s->frames)
		s->first_t_ns = f->t_ns;
	s->last_t_ns = f->t_ns;
	s->frames++;
	{
		/* docs/results.md: L2 bytes never count the FCS, even when the frame carries it */
		uint32_t l2 = s->check_fcs && f->len >= PE_FRAME_FCS_LEN ? f->len - PE_FRAME_FCS_LEN
									 : f->len;

		s->bytes_l2 += l2;
		s->bytes_wire += pe_rec_wire_bytes(l2);
	}
	if (pe_stamp_get(f->data + info.off_payload, info.payload_len, &seq)) {
		if (!s->seq_frames) {
			s->seq_first = seq;
			s->seq_next = seq;
		}
		s->seq_frames++;
		if (!seq && s->seq_next > 1) {
			/* Sequence 0 again: another run of the sender (inject starts every run at
			 * 0). What the last run missed stays counted; this one starts afresh. */
			s->restarts++;
			s->seq_next = 1;
		} else if (seq == s->seq_next) {
			s->seq_next++;
		} else if (seq > s->seq_next) {
			s->missing += seq - s->seq_next;
			s->seq_next = seq + 1;
		} else {
			s->reordered++;
			if (s->missing)
				s->missing--;
		}
	}
	if (s->w && !s->write_err)
		s->write_err = pe_pcap_write(s->w, f->data, f->len, f->t_ns);
	return s->limit && s->frames >= s->limit;
}

/* The summary's figures (docs/results.md, capture). */
static json_object *summary_json(const struct cap_state *s, double secs, uint64_t kp, uint64_t kd)
{
	json_object *o = json_object_new_object(), *bad = json_object_new_object();
	json_object *seq = json_object_new_object();
	uint64_t nbad = 0;

	for (int i = 1; i < PE_FRAME__STATUS_COUNT; i++) {
		nbad += s->bad[i];
		if (s->bad[i])
			pe_rec_add(bad, pe_frame_status_name(i), pe_rec_u64(s->bad[i]));
	}
	pe_rec_add_frames(o, "rx", s->frames, s->bytes_l2, s->bytes_wire, secs);
	pe_rec_add(o, "filtered_frames", pe_rec_u64(s->filtered));
	pe_rec_add(o, "kernel_rx_packets", pe_rec_u64(kp));
	pe_rec_add(o, "kernel_rx_drops", pe_rec_u64(kd));
	pe_rec_add(o, "bad_frames", pe_rec_u64(nbad));
	pe_rec_add(o, "bad_by_reason", bad);
	pe_rec_add(seq, "frames", pe_rec_u64(s->seq_frames));
	pe_rec_add(seq, "first", pe_rec_u64(s->seq_first));
	pe_rec_add(seq, "last", pe_rec_u64(s->seq_frames ? s->seq_next - 1 : 0));
	pe_rec_add(seq, "missing", pe_rec_u64(s->missing));
	pe_rec_add(seq, "reordered", pe_rec_u64(s->reordered));
	pe_rec_add(seq, "restarts", pe_rec_u64(s->restarts));
	pe_rec_add(o, "seq", seq);
	pe_rec_add(o, "first_frame_t_ns", pe_rec_u64(s->first_t_ns));
	pe_rec_add(o, "last_frame_t_ns", pe_rec_u64(s->last_t_ns));
	pe_rec_add(o, "rx_frames_per_s_by_timestamps",
		   pe_rec_num(s->frames > 1 && s->last_t_ns > s->first_t_ns
				      ? (s->frames - 1) * 1e9 / (s->last_t_ns - s->first_t_ns)
				      : 0));
	return o;
}

/* The start object's parameters: the options as given, their defaults filled in. */
static json_object *params_json(const struct cap_args *a, const struct cap_state *s)
{
	json_object *o = json_object_new_object();

	pe_rec_add(o, "dev", a->dev ? json_object_new_string(a->dev) : NULL);
	pe_rec_add(o, "read", a->read ? json_object_new_string(a->read) : NULL);
	pe_rec_add(o, "filter", a->expr ? json_object_new_string(a->expr) : NULL);
	pe_rec_add(o, "count_frames", s->limit ? pe_rec_u64(s->limit) : NULL);
	pe_rec_add(o, "time_s", a->time_s > 0 ? pe_rec_secs(a->time_s) : NULL);
	pe_rec_add(o, "interval_s", a->interval_s > 0 ? pe_rec_secs(a->interval_s) : NULL);
	pe_rec_add(o, "pcap", a->pcap ? json_object_new_string(a->pcap) : NULL);
	pe_rec_add(o, "check_fcs", json_object_new_boolean(s->check_fcs));
	pe_rec_add(o, "ethertype", s->ethertype >= 0 ? json_object_new_int(s->ethertype) : NULL);
	pe_rec_add(o, "incoming_only", json_object_new_boolean(a->co.incoming_only));
	pe_rec_add(o, "ring_mib", json_object_new_int(a->co.n_blocks ? (int)a->co.n_blocks : 16));
	return o;
}

/* One interval: what arrived since the last one, and the kernel's drops in it (kd: the total
 * so far). */
static void report_interval(struct pe_rec *r, struct cap_state *s, struct cap_args *a, uint64_t kd,
			    double t0_s, double t1_s)
{
	double dt = t1_s - t0_s;
	json_object *o;
	if (r->fmt == PE_REC_TEXT) {
		fprintf(rep_out, "[%7.2fs] %10.0f frames/s  total %llu  kernel drops %llu\n", t1_s,
			(s->frames - a->last_frames) / dt, (unsigned long long)s->frames,
			(unsigned long long)kd);
		fflush(rep_out);
	} else {
		o = json_object_new_object();
		pe_rec_add_frames(o, "rx", s->frames - a->last_frames,
				  s->bytes_l2 - a->last_bytes_l2,
				  s->bytes_wire - a->last_bytes_wire, dt);
		pe_rec_add(o, "kernel_rx_drops", pe_rec_u64(kd - a->last_kd));
		pe_rec_interval(r, t0_s, t1_s, o);
	}
	a->last_frames = s->frames;
	a->last_bytes_l2 = s->bytes_l2;
	a->last_bytes_wire = s->bytes_wire;
	a->last_kd = kd;
}

static void report_text(const char *src, bool live, const struct cap_state *s, double secs,
			uint64_t kp, uint64_t kd)
{
	uint64_t nbad = 0;

	for (int i = 1; i < PE_FRAME__STATUS_COUNT; i++)
		nbad += s->bad[i];
	if (live)
		fprintf(rep_out,
			"captured %llu frames (%llu bytes) on %s in %.3f s; kernel: %llu packets, "
			"%llu dropped; bad %llu",
			(unsigned long long)s->frames, (unsigned long long)s->bytes_l2, src, secs,
			(unsigned long long)kp, (unsigned long long)kd, (unsigned long long)nbad);
	else
		fprintf(rep_out, "read %llu frames (%llu bytes) from %s spanning %.6f s; bad %llu",
			(unsigned long long)s->frames, (unsigned long long)s->bytes_l2, src, secs,
			(unsigned long long)nbad);
	for (int i = 1; i < PE_FRAME__STATUS_COUNT; i++)
		if (s->bad[i])
			fprintf(rep_out, " %s %llu", pe_frame_status_name(i),
				(unsigned long long)s->bad[i]);
	if (s->filtered)
		fprintf(rep_out, "; filtered %llu", (unsigned long long)s->filtered);
	if (s->seq_frames)
		fprintf(rep_out, "; seq %llu..%llu missing %llu reordered %llu",
			(unsigned long long)s->seq_first, (unsigned long long)(s->seq_next - 1),
			(unsigned long long)s->missing, (unsigned long long)s->reordered);
	if (s->restarts)
		fprintf(rep_out, " restarts %llu", (unsigned long long)s->restarts);
	fprintf(rep_out, "\n");
}

/* Returns 0 to run, an exit code, or -1 after --help (exit 0). */
static int parse(int argc, char **argv, struct cap_args *a, struct cap_state *s)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "dev", required_argument, 0, 'd' },
		{ "count", required_argument, 0, 'n' },
		{ "time", required_argument, 0, 't' },
		{ "interval", required_argument, 0, 'i' },
		{ "pcap", required_argument, 0, O_PCAP },
		{ "check-fcs", no_argument, 0, O_CHECK_FCS },
		{ "ethertype", required_argument, 0, O_ETHERTYPE },
		{ "json", no_argument, 0, O_JSON },
		{ "json-stream", no_argument, 0, O_JSON_STREAM },
		{ "ready-file", required_argument, 0, O_READY },
		{ "incoming", no_argument, 0, O_INCOMING },
		{ "ring-mb", required_argument, 0, O_RING_MB },
		{ "read", required_argument, 0, 'r' },
		{ "print-filter", no_argument, 0, O_PRINT_FILTER },
		{ 0 },
	};
	uint64_t x;
	int c;

	while ((c = getopt_long(argc, argv, "hd:n:t:i:w:r:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->dev = optarg;
			break;
		case 'n':
			if (pe_parse_size(optarg, 1, UINT64_MAX, &s->limit))
				return pe_usage("--count %s: must be a number above 0", optarg);
			break;
		case 't':
			if (pe_parse_seconds(optarg, 0.001, 1e7, &a->time_s))
				return pe_usage("--time %s: must be seconds above 0", optarg);
			break;
		case 'i':
			if (pe_parse_seconds(optarg, 0.01, 1e6, &a->interval_s)) {
				if ((*optarg < '0' || *optarg > '9') && *optarg != '.')
					return pe_usage("-i %s: -i is the interval in pkteng; the "
							"interface is --dev %s",
							optarg, optarg);
				return pe_usage("--interval %s: must be seconds, at least 0.01",
						optarg);
			}
			break;
		case 'r':
			if (!*optarg)
				return pe_usage("--read: empty file name");
			a->read = optarg;
			break;
		case O_PRINT_FILTER:
			a->print_filter = true;
			break;
		case 'w':
		case O_PCAP:
			if (!*optarg)
				return pe_usage("--pcap: empty file name");
			a->pcap = optarg;
			break;
		case O_CHECK_FCS:
			s->check_fcs = true;
			break;
		case O_ETHERTYPE:
			if (pe_parse_u64(optarg, 0, 0xffff, &x))
				return pe_usage("--ethertype %s: must be 0x0000..0xffff", optarg);
			s->ethertype = (int)x;
			break;
		case O_JSON:
		case O_JSON_STREAM: /* the last one given, as in every command */
			a->fmt = c == O_JSON ? PE_REC_JSON : PE_REC_JSON_STREAM;
			break;
		case O_READY:
			a->ready = optarg;
			break;
		case O_INCOMING:
			a->co.incoming_only = true;
			break;
		case O_RING_MB:
			if (pe_parse_u64(optarg, 4, 1024, &x))
				return pe_usage("--ring-mb %s: must be 4..1024", optarg);
			a->co.n_blocks = (unsigned)x;
			break;
		case 'h':
			pe_cli_help(usage, false);
			return -1;
		default:
			return pe_cli_help(usage, true);
		}
	}
	if (optind < argc) {
		char err[512];
		int e;

		a->expr = pe_capfilter_join(argc - optind, argv + optind);
		if (!a->expr)
			return pe_fail("capture: out of memory");
		e = pe_capfilter_compile(a->expr, &a->filter, err, sizeof(err));
		if (e == -EINVAL)
			return pe_usage("capture: filter '%s': %s", a->expr, err);
		if (e)
			return pe_fail("capture: out of memory");
	}
	if (a->print_filter) {
		if (!a->expr)
			return pe_usage("capture: --print-filter needs an EXPRESSION");
		return 0;
	}
	if (a->read && a->dev)
		return pe_usage("capture: -r %s and --dev %s do not go together", a->read, a->dev);
	if (a->read && (a->ready || a->co.incoming_only || a->co.n_blocks))
		return pe_usage("capture: -r takes no --ready-file, --incoming or --ring-mb");
	if (!a->dev && !a->read)
		return pe_usage(
			"capture: missing --dev IF or -r FILE (see 'pkteng capture --help')");
	return 0;
}

/* Receives until the count, the time or a signal; reports intervals on the way. */
static int capture_loop(struct cap_args *a, struct cap_state *s, struct pe_cap *cap,
			struct pe_rec *rec, struct pe_interval *iv)
{
	double t0_s, t1_s;
	int err;

	while (!pe_stopped() && !(s->limit && s->frames >= s->limit) && !s->write_err) {
		uint64_t now = pe_mono_ns();

		if (pe_interval_over(iv, now))
			break;
		err = pe_cap_poll(cap, pe_interval_wait_ms(iv, now, 100), on_frame, s);
		if (err < 0 && err != -EINTR)
			return pe_fail("capture: %s: %s", a->dev, strerror(-err));
		if (a->interval_s > 0 && pe_interval_due(iv, pe_mono_ns(), &t0_s, &t1_s)) {
			uint64_t kd = 0;

			pe_cap_stats(cap, NULL, &kd);
			report_interval(rec, s, a, kd, t0_s, t1_s);
		}
	}
	return PE_EXIT_OK;
}

/* -w FILE: the writer, opened once whether the frames carry an FCS is known. */
static int open_writer(const struct cap_args *a, struct cap_state *s)
{
	struct pe_pcap_opts po = { .sz = sizeof(po), .nanosec = true, .fcs = s->check_fcs };

	if (!a->pcap)
		return 0;
	s->w = pe_pcap_create(a->pcap, &po);
	if (!s->w)
		return pe_fail("--pcap %s: %s", a->pcap, strerror(errno));
	return 0;
}

/* The end of a run, live or from a file: commit the pcap and print the summary. */
static int finish(struct cap_args *a, struct cap_state *s, struct pe_rec *rec, double secs,
		  uint64_t kp, uint64_t kd)
{
	int err;

	if (s->write_err)
		return pe_fail("--pcap %s: %s", a->pcap, strerror(-s->write_err));
	if (s->w) {
		err = pe_pcap_commit(s->w);
		s->w = NULL;
		if (err)
			return pe_fail("--pcap %s: %s", a->pcap, strerror(-err));
	}
	if (a->fmt == PE_REC_TEXT)
		report_text(a->read ? a->read : a->dev, !a->read, s, secs, kp, kd);
	else
		pe_rec_end(rec, 0, secs, pe_stop_signal() != 0, summary_json(s, secs, kp, kd));
	if (fflush(rep_out))
		return pe_fail("capture: stdout: %s", strerror(errno));
	return PE_EXIT_OK;
}

/* -r FILE: the file's frames through the filter and the same checks as live frames; the
 * duration and the intervals are those of the frames' timestamps. */
static int read_loop(struct cap_args *a, struct cap_state *s, struct pe_pcap_reader *r,
		     struct pe_rec *rec)
{
	uint64_t t_first = 0, iv_ns = (uint64_t)(a->interval_s * 1e9), iv_end = 0;
	uint64_t span_ns = (uint64_t)(a->time_s * 1e9);
	struct pe_cap_frame f = { 0 };
	size_t cap_len, wire_len;
	int n;

	while (!pe_stopped() && !s->write_err) {
		n = pe_pcap_next(r, &f.data, &cap_len, &wire_len, &f.t_ns);
		if (n < 0)
			return pe_fail("--read %s: %s", a->read, strerror(-n));
		if (!n)
			break;
		f.len = (uint32_t)cap_len;
		f.wire_len = (uint32_t)wire_len;
		if (a->expr && !pe_capfilter_match(&a->filter, f.data, f.len, f.wire_len))
			continue;
		if (!t_first) {
			t_first = f.t_ns ? f.t_ns : 1;
			iv_end = t_first + iv_ns;
		}
		if (span_ns && f.t_ns >= t_first + span_ns)
			break;
		while (iv_ns && f.t_ns >= iv_end) {
			report_interval(rec, s, a, 0, (iv_end - iv_ns - t_first) / 1e9,
					(iv_end - t_first) / 1e9);
			iv_end += iv_ns;
		}
		if (on_frame(&f, s))
			break;
	}
	return PE_EXIT_OK;
}

static int run_file(struct cap_args *a, struct cap_state *s, struct pe_rec *rec)
{
	struct pe_pcap_reader *r = pe_pcap_open(a->read);
	int rc;

	if (!r)
		return pe_fail("--read %s: %s", a->read,
			       errno == EBADMSG ? "not a pcap or pcapng file" : strerror(errno));
	if (pe_pcap_linktype(r) != 1 /* DLT_EN10MB */) {
		rc = pe_usage("--read %s: link type %d is not Ethernet", a->read,
			      pe_pcap_linktype(r));
		goto out;
	}
	if (pe_pcap_fcs_len(r) == 4)
		s->check_fcs = true; /* the file says its frames end with their FCS */
	rc = open_writer(a, s);
	if (rc)
		goto out;
	pe_stop_catch();
	if (pe_rec_open(rec, a->fmt, rep_out, "capture")) {
		rc = pe_fail("capture: out of memory");
		goto out;
	}
	if (rec->start) {
		pe_rec_set_backend(rec, "pcap-file", NULL);
		pe_rec_add(rec->start, "params", params_json(a, s));
	}
	pe_rec_begin(rec);
	rc = read_loop(a, s, r, rec);
	if (!rc)
		rc = finish(a, s, rec, s->frames > 1 ? (s->last_t_ns - s->first_t_ns) / 1e9 : 0, 0,
			    0);
out:
	pe_pcap_abort(s->w);
	s->w = NULL;
	pe_pcap_close(r);
	return rc;
}

static int run_live(struct cap_args *a, struct cap_state *s, struct pe_rec *rec)
{
	struct pe_interval iv;
	struct pe_cap *cap;
	uint64_t kp = 0, kd = 0;
	int rc, err;

	err = pe_if_lookup(a->dev, NULL, NULL);
	if (err == -ENODEV)
		return pe_usage("--dev %s: no such interface", a->dev);
	if (err == -ENETDOWN)
		return pe_fail("capture: %s is down (ip link set %s up)", a->dev, a->dev);
	a->co.ifname = a->dev;
	a->co.filter = a->expr ? &a->filter : NULL;
	cap = pe_cap_open(&a->co);
	if (!cap) {
		if (errno == EPERM || errno == EACCES)
			return pe_fail("capture: needs CAP_NET_RAW (run as root)");
		return pe_fail("capture: %s: %s", a->dev, strerror(errno));
	}
	rc = open_writer(a, s);
	if (rc) {
		pe_cap_close(cap);
		return rc;
	}
	pe_stop_catch();
	if (pe_rec_open(rec, a->fmt, rep_out, "capture")) {
		rc = pe_fail("capture: out of memory");
		goto out;
	}
	if (rec->start) {
		pe_rec_set_backend(rec, "tpacket_v3", NULL);
		pe_rec_add(rec->start, "params", params_json(a, s));
		pe_rec_add(rec->start, "dev", pe_dev_json(a->dev));
	}
	if (a->ready) {
		int fd = open(a->ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0) {
			rc = pe_fail("--ready-file %s: %s", a->ready, strerror(errno));
			goto out;
		}
		close(fd);
	}
	pe_rec_begin(rec);
	fprintf(stderr, "pkteng capture: ready on %s\n", a->dev);
	pe_interval_start(&iv, a->interval_s, a->time_s);
	rc = capture_loop(a, s, cap, rec, &iv);
	if (rc)
		goto out;
	pe_cap_stats(cap, &kp, &kd);
	rc = finish(a, s, rec, pe_interval_elapsed_s(&iv, pe_mono_ns()), kp, kd);
out:
	pe_pcap_abort(s->w);
	s->w = NULL;
	pe_cap_close(cap);
	return rc;
}

static int run(int argc, char **argv)
{
	struct cap_state s = { .ethertype = -1 };
	struct cap_args a = { .co = { .sz = sizeof(a.co) } };
	struct pe_rec rec = { .fmt = PE_REC_TEXT };
	int rc;

	rc = parse(argc, argv, &a, &s);
	rep_out = a.pcap && pe_out_is_stdout(a.pcap) ? stderr : stdout;
	if (rc) {
		rc = rc < 0 ? PE_EXIT_OK : rc;
	} else if (a.print_filter) {
		pe_capfilter_dump(&a.filter, stdout);
		rc = fflush(stdout) ? pe_fail("capture: stdout: %s", strerror(errno)) : 0;
	} else {
		rc = a.read ? run_file(&a, &s, &rec) : run_live(&a, &s, &rec);
		pe_rec_close(&rec);
	}
	pe_capfilter_free(&a.filter);
	free(a.expr);
	return rc;
}

const struct pe_cmd pe_cmd_capture = {
	.name = "capture",
	.summary = "receive frames (tcpdump filter) or read a pcap: count, check, write pcap",
	.run = run,
};
