/* `pkteng capture`: receives frames through a TPACKET_V3 ring, validates them with the frame
 * parser (and the FCS), follows inject's sequence stamps, and writes a pcap atomically. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "raw/frame.h"
#include "raw/packet.h"
#include "raw/pcapfile.h"
#include "raw/rate.h"
#include "raw/stamp.h"
#include "tools/cli.h"

static const char usage[] =
	"Usage: pkteng capture --dev IF [-n COUNT] [-t SECONDS] [--pcap FILE] [--check-fcs]\n"
	"       [--ethertype X] [-i SECONDS] [--json] [--ready-file PATH] [--incoming]\n"
	"       [--ring-mb N]\n"
	"Receives frames on IF through a TPACKET_V3 ring until COUNT frames, SECONDS or Ctrl-C.\n"
	"Counts frames and bytes, the kernel's drops, frames the parser rejects (by reason) and,\n"
	"for frames from `pkteng inject`, missing and out-of-order sequence numbers.\n"
	"  -d, --dev IF            the interface\n"
	"  -n, --count N           stop after N frames (that pass --ethertype)\n"
	"  -t, --time SECONDS      stop after this long\n"
	"  --pcap FILE             write the frames (complete file or none: temp file + rename)\n"
	"  --check-fcs             the last 4 bytes of each frame are its FCS: check them\n"
	"  --ethertype X           only frames whose innermost ethertype is X (0x0800, 0x86dd...)\n"
	"  -i, --interval SECONDS  a report line every SECONDS\n"
	"  --json                  the final report as JSON on stdout\n"
	"  --ready-file PATH       create PATH once the ring is bound (also: 'ready' on stderr)\n"
	"  --incoming              skip frames this host sends on IF\n"
	"  --ring-mb N             the ring's size in MiB (16; 1 MiB blocks, 4..1024)\n";

enum { O_PCAP = 256, O_CHECK_FCS, O_ETHERTYPE, O_JSON, O_READY, O_INCOMING, O_RING_MB };

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct cap_state {
	uint64_t limit, frames, bytes, filtered, bad[PE_FRAME__STATUS_COUNT];
	uint64_t seq_frames, seq_first, seq_next, missing, reordered, restarts;
	uint64_t first_t_ns, last_t_ns;
	int ethertype; /* -1: all */
	bool check_fcs;
	struct pe_pcap_writer *w;
	int write_err;
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
	s->bytes += f->len;
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

static json_object *report_json(const char *dev, const struct cap_state *s, double secs,
				uint64_t kp, uint64_t kd)
{
	json_object *o = json_object_new_object(), *bad = json_object_new_object();
	json_object *seq = json_object_new_object();
	uint64_t nbad = 0;

	for (int i = 1; i < PE_FRAME__STATUS_COUNT; i++) {
		nbad += s->bad[i];
		if (s->bad[i])
			json_object_object_add(bad, pe_frame_status_name(i),
					       json_object_new_uint64(s->bad[i]));
	}
	json_object_object_add(o, "dev", json_object_new_string(dev));
	json_object_object_add(o, "frames", json_object_new_uint64(s->frames));
	json_object_object_add(o, "bytes", json_object_new_uint64(s->bytes));
	json_object_object_add(o, "seconds", json_object_new_double(secs));
	json_object_object_add(o, "filtered", json_object_new_uint64(s->filtered));
	json_object_object_add(o, "kernel_packets", json_object_new_uint64(kp));
	json_object_object_add(o, "kernel_drops", json_object_new_uint64(kd));
	json_object_object_add(o, "bad_total", json_object_new_uint64(nbad));
	json_object_object_add(o, "bad", bad);
	json_object_object_add(seq, "frames", json_object_new_uint64(s->seq_frames));
	json_object_object_add(seq, "first", json_object_new_uint64(s->seq_first));
	json_object_object_add(seq, "last",
			       json_object_new_uint64(s->seq_frames ? s->seq_next - 1 : 0));
	json_object_object_add(seq, "missing", json_object_new_uint64(s->missing));
	json_object_object_add(seq, "reordered", json_object_new_uint64(s->reordered));
	json_object_object_add(seq, "restarts", json_object_new_uint64(s->restarts));
	json_object_object_add(o, "seq", seq);
	json_object_object_add(o, "first_t_ns", json_object_new_uint64(s->first_t_ns));
	json_object_object_add(o, "last_t_ns", json_object_new_uint64(s->last_t_ns));
	json_object_object_add(
		o, "frames_per_s_by_timestamps",
		json_object_new_double(s->frames > 1 && s->last_t_ns > s->first_t_ns
					       ? (s->frames - 1) * 1e9 /
							 (s->last_t_ns - s->first_t_ns)
					       : 0));
	return o;
}

static void report_text(const char *dev, const struct cap_state *s, double secs, uint64_t kp,
			uint64_t kd)
{
	uint64_t nbad = 0;

	for (int i = 1; i < PE_FRAME__STATUS_COUNT; i++)
		nbad += s->bad[i];
	printf("captured %llu frames (%llu bytes) on %s in %.3f s; kernel: %llu packets, %llu "
	       "dropped; bad %llu",
	       (unsigned long long)s->frames, (unsigned long long)s->bytes, dev, secs,
	       (unsigned long long)kp, (unsigned long long)kd, (unsigned long long)nbad);
	for (int i = 1; i < PE_FRAME__STATUS_COUNT; i++)
		if (s->bad[i])
			printf(" %s %llu", pe_frame_status_name(i), (unsigned long long)s->bad[i]);
	if (s->filtered)
		printf("; filtered %llu", (unsigned long long)s->filtered);
	if (s->seq_frames)
		printf("; seq %llu..%llu missing %llu reordered %llu",
		       (unsigned long long)s->seq_first, (unsigned long long)(s->seq_next - 1),
		       (unsigned long long)s->missing, (unsigned long long)s->reordered);
	if (s->restarts)
		printf(" restarts %llu", (unsigned long long)s->restarts);
	printf("\n");
}

static int run(int argc, char **argv)
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
		{ "ready-file", required_argument, 0, O_READY },
		{ "incoming", no_argument, 0, O_INCOMING },
		{ "ring-mb", required_argument, 0, O_RING_MB },
		{ 0 },
	};
	struct cap_state s = { .ethertype = -1 };
	struct pe_cap_opts co = { .sz = sizeof(co) };
	const char *dev = NULL, *pcap = NULL, *ready = NULL;
	double time_s = 0, interval_s = 0;
	bool json = false;
	struct pe_cap *cap;
	uint64_t x, t0, end_ns = 0, next_report = 0, last_frames = 0, last_report, kp = 0, kd = 0;
	int c, rc = PE_EXIT_OK, err;

	while ((c = getopt_long(argc, argv, "hd:n:t:i:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'n':
			if (pe_parse_size(optarg, 1, UINT64_MAX, &s.limit))
				return pe_usage("--count %s: must be a number above 0", optarg);
			break;
		case 't':
			if (pe_parse_seconds(optarg, 0.001, 1e7, &time_s))
				return pe_usage("--time %s: must be seconds above 0", optarg);
			break;
		case 'i':
			if (pe_parse_seconds(optarg, 0.01, 1e6, &interval_s))
				return pe_usage("--interval %s: must be seconds, at least 0.01",
						optarg);
			break;
		case O_PCAP:
			if (!*optarg)
				return pe_usage("--pcap: empty file name");
			pcap = optarg;
			break;
		case O_CHECK_FCS:
			s.check_fcs = true;
			break;
		case O_ETHERTYPE:
			if (pe_parse_u64(optarg, 0, 0xffff, &x))
				return pe_usage("--ethertype %s: must be 0x0000..0xffff", optarg);
			s.ethertype = (int)x;
			break;
		case O_JSON:
			json = true;
			break;
		case O_READY:
			ready = optarg;
			break;
		case O_INCOMING:
			co.incoming_only = true;
			break;
		case O_RING_MB:
			if (pe_parse_u64(optarg, 4, 1024, &x))
				return pe_usage("--ring-mb %s: must be 4..1024", optarg);
			co.n_blocks = (unsigned)x;
			break;
		case 'h':
			return pe_cli_help(usage, false);
		default:
			return pe_cli_help(usage, true);
		}
	}
	if (optind < argc)
		return pe_usage("capture: unexpected argument '%s'", argv[optind]);
	if (!dev)
		return pe_usage("capture: missing --dev IF (see 'pkteng capture --help')");
	err = pe_if_lookup(dev, NULL, NULL);
	if (err == -ENODEV)
		return pe_usage("--dev %s: no such interface", dev);
	if (err == -ENETDOWN)
		return pe_fail("capture: %s is down (ip link set %s up)", dev, dev);
	co.ifname = dev;
	cap = pe_cap_open(&co);
	if (!cap) {
		if (errno == EPERM || errno == EACCES)
			return pe_fail("capture: needs CAP_NET_RAW (run as root)");
		return pe_fail("capture: %s: %s", dev, strerror(errno));
	}
	if (pcap) {
		struct pe_pcap_opts po = { .sz = sizeof(po), .nanosec = true, .fcs = s.check_fcs };

		s.w = pe_pcap_create(pcap, &po);
		if (!s.w) {
			rc = pe_fail("--pcap %s: %s", pcap, strerror(errno));
			pe_cap_close(cap);
			return rc;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0) {
			rc = pe_fail("--ready-file %s: %s", ready, strerror(errno));
			goto out;
		}
		close(fd);
	}
	fprintf(stderr, "pkteng capture: ready on %s\n", dev);
	t0 = last_report = pe_rate_now_ns();
	if (time_s > 0)
		end_ns = t0 + (uint64_t)(time_s * 1e9);
	if (interval_s > 0)
		next_report = t0 + (uint64_t)(interval_s * 1e9);
	while (!stop_flag && !(s.limit && s.frames >= s.limit) && !s.write_err) {
		uint64_t now = pe_rate_now_ns();
		int64_t wait_ms = 100;

		if (end_ns) {
			if (now >= end_ns)
				break;
			if ((int64_t)((end_ns - now) / 1000000) + 1 < wait_ms)
				wait_ms = (end_ns - now) / 1000000 + 1;
		}
		err = pe_cap_poll(cap, (int)wait_ms, on_frame, &s);
		if (err < 0 && err != -EINTR) {
			rc = pe_fail("capture: %s: %s", dev, strerror(-err));
			goto out;
		}
		now = pe_rate_now_ns();
		if (next_report && now >= next_report) {
			double dt = (now - last_report) / 1e9;

			pe_cap_stats(cap, &kp, &kd);
			if (!json) {
				printf("[%7.2fs] %10.0f frames/s  total %llu  kernel drops %llu\n",
				       (now - t0) / 1e9, (s.frames - last_frames) / dt,
				       (unsigned long long)s.frames, (unsigned long long)kd);
				fflush(stdout);
			}
			last_frames = s.frames;
			last_report = now;
			next_report += (uint64_t)(interval_s * 1e9);
		}
	}
	if (s.write_err) {
		rc = pe_fail("--pcap %s: %s", pcap, strerror(-s.write_err));
		goto out;
	}
	pe_cap_stats(cap, &kp, &kd);
	if (s.w) {
		err = pe_pcap_commit(s.w);
		s.w = NULL;
		if (err) {
			rc = pe_fail("--pcap %s: %s", pcap, strerror(-err));
			goto out;
		}
	}
	{
		double secs = (pe_rate_now_ns() - t0) / 1e9;

		if (json) {
			json_object *o = report_json(dev, &s, secs, kp, kd);

			printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
		} else {
			report_text(dev, &s, secs, kp, kd);
		}
	}
	if (fflush(stdout))
		rc = pe_fail("capture: stdout: %s", strerror(errno));
out:
	pe_pcap_abort(s.w);
	pe_cap_close(cap);
	return rc;
}

const struct pe_cmd pe_cmd_capture = {
	.name = "capture",
	.summary = "receive frames through a TPACKET_V3 ring: count, check, write pcap",
	.run = run,
};
