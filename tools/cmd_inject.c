/* `pkteng inject`: sends frames built from the frame flags (varied per frame, sequence-stamped)
 * or replayed from a pcap file through AF_PACKET, paced to a rate, with interval reports. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raw/ethtool.h"
#include "raw/frame.h"
#include "raw/packet.h"
#include "raw/pcapfile.h"
#include "raw/rate.h"
#include "tools/cli.h"
#include "tools/frameopts.h"

static const char usage[] =
	"Usage: pkteng inject --dev IF [FRAME FLAGS] [-n COUNT] [-t SECONDS] [--rate PPS |\n"
	"       --rate-mbps M] [--burst N] [--method sendmmsg|ring|uring] [--qdisc-bypass]\n"
	"       [--vary FIELD=RANGE ...] [--seed N] [--imix] [--replay FILE.pcap] [-i SECONDS]\n"
	"       [--json] [--offload NAME=on|off ...]\n"
	"Sends frames on IF through an AF_PACKET socket. Without -n or -t it runs until Ctrl-C\n"
	"(a --replay sends the file once). Each frame's payload starts with 'PEsq' and a 64-bit\n"
	"big-endian sequence number (from 0) when there is room, so a capture can check order.\n"
	"  -d, --dev IF            the interface (it must be up)\n"
	"  -n, --count N           frames to send\n"
	"  -t, --time SECONDS      stop after this long\n"
	"  --rate PPS              frames per second (absolute deadlines; default: flat out)\n"
	"  --rate-mbps M           megabits per second at L2 (frame bytes with FCS)\n"
	"  --burst N               frames per system call (64; 1..1024)\n"
	"  --method M              sendmmsg (default), ring (PACKET_TX_RING) or uring (io_uring)\n"
	"  --tpacket-version 2|3   the TX ring's layout (3)\n"
	"  --qdisc-bypass          PACKET_QDISC_BYPASS: skip the device's qdisc\n"
	"  --vary FIELD=LO-HI      src-ip, dst-ip, sport, dport, size; repeat or separate by ','\n"
	"  --seed N                vary at random (splitmix64 seeded with N) instead of in order\n"
	"  --imix                  sizes 64/570/1518 in the ratio 7:4:1\n"
	"  --replay FILE           send the frames of a pcap file, at its own timing unless "
	"--rate\n"
	"  -i, --interval SECONDS  a report line every SECONDS (frames/s, Mbit/s L2 and wire)\n"
	"  --json                  the final report as JSON on stdout\n"
	"  --offload NAME=on|off   switch an offload feature for the run (as `pkteng ethtool "
	"-K`)\n";

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
	O_OFFLOAD,
};

#define MAX_OFFLOADS 16
#define SEQ_MAGIC    "PEsq"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct replay_frame {
	uint8_t *data;
	uint16_t len;
	uint64_t t_ns;
};

struct cfg {
	const char *dev, *replay;
	uint64_t count;
	double time_s, interval_s, rate_pps, rate_mbps;
	unsigned burst;
	struct pe_tx_opts txo;
	struct pe_varier vr;
	bool json, seeded;
	struct pe_feature_change offloads[MAX_OFFLOADS];
	size_t n_offloads;
};

struct stats {
	uint64_t frames, bytes_l2, retries, errors;
};

/* Frame sizes on the wire: FCS included whether or not the frame carries it. */
static uint64_t l2_bytes(uint16_t len, bool has_fcs)
{
	uint64_t b = has_fcs ? len : len + PE_FRAME_FCS_LEN;

	return b < PE_FRAME_MIN_SIZE ? PE_FRAME_MIN_SIZE : b;
}

static void report_line(double t, double dt, const struct stats *d)
{
	double pps = dt > 0 ? d->frames / dt : 0;

	printf("[%7.2fs] %10.0f frames/s %10.3f Mbit/s L2 %10.3f Mbit/s wire  retries %llu "
	       "errors %llu\n",
	       t, pps, dt > 0 ? d->bytes_l2 * 8 / dt / 1e6 : 0,
	       dt > 0 ? (d->bytes_l2 + 20.0 * d->frames) * 8 / dt / 1e6 : 0,
	       (unsigned long long)d->retries, (unsigned long long)d->errors);
}

static int parse_offload(struct cfg *c, const char *s)
{
	const char *eq = strchr(s, '=');

	if (!eq || eq == s || (strcmp(eq + 1, "on") && strcmp(eq + 1, "off")))
		return pe_usage("--offload %s: expected NAME=on or NAME=off", s);
	if (c->n_offloads == MAX_OFFLOADS)
		return pe_usage("--offload %s: at most %d", s, MAX_OFFLOADS);
	c->offloads[c->n_offloads].name = strndup(s, eq - s);
	c->offloads[c->n_offloads].on = !strcmp(eq + 1, "on");
	c->n_offloads++;
	return 0;
}

static int parse_vary(struct cfg *c, const char *arg)
{
	char buf[512], *save, *tok;

	if (strlen(arg) >= sizeof(buf))
		return pe_usage("--vary: too long");
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct pe_vary v;
		int err = pe_vary_parse(tok, &v);

		if (err == -ENOENT)
			return pe_usage(
				"--vary %s: unknown field (src-ip, dst-ip, sport, dport, size)",
				tok);
		if (err)
			return pe_usage("--vary %s: expected FIELD=LO-HI with LO <= HI", tok);
		if (c->vr.n == sizeof(c->vr.v) / sizeof(c->vr.v[0]))
			return pe_usage("--vary %s: too many fields", tok);
		c->vr.v[c->vr.n++] = v;
	}
	return 0;
}

/* Offloads: switch them for the run, remember what to put back. */
static int offloads_apply(struct cfg *c, struct pe_features *saved)
{
	enum pe_feature_outcome oc[MAX_OFFLOADS];
	const char *bad = NULL;
	int err;

	saved->n = 0;
	saved->f = NULL;
	if (!c->n_offloads)
		return 0;
	err = pe_features_get(c->dev, saved);
	if (err)
		return pe_fail("inject: --offload: %s: %s", c->dev, strerror(-err));
	for (size_t i = 0; i < c->n_offloads; i++) {
		unsigned idx[1];

		if (pe_features_expand(saved, c->offloads[i].name, idx, 1) < 0) {
			pe_features_free(saved);
			return pe_usage(
				"--offload %s: unknown feature (see 'pkteng ethtool --dev %s "
				"-k')",
				c->offloads[i].name, c->dev);
		}
	}
	err = pe_features_set(c->dev, c->offloads, c->n_offloads, oc, &bad);
	if (err < 0) {
		pe_features_free(saved);
		if (err == -EPERM)
			return pe_fail("inject: --offload needs CAP_NET_ADMIN (run as root)");
		return pe_fail("inject: --offload: %s: %s", c->dev, strerror(-err));
	}
	for (size_t i = 0; i < c->n_offloads; i++)
		if (oc[i] != PE_FEATURE_OK)
			fprintf(stderr, "pkteng: inject: %s: %s %s\n", c->dev, c->offloads[i].name,
				oc[i] == PE_FEATURE_FIXED ? "is fixed"
							  : "was not applied by the driver");
	return 0;
}

static void offloads_restore(struct cfg *c, struct pe_features *saved)
{
	struct pe_features now;
	struct pe_feature_change *ch;
	size_t n = 0;

	if (!saved->n || pe_features_get(c->dev, &now))
		goto out;
	ch = calloc(now.n, sizeof(*ch));
	for (unsigned i = 0; ch && i < now.n && i < saved->n; i++)
		if (pe_feature_changeable(&now.f[i]) &&
		    now.f[i].requested != saved->f[i].requested) {
			ch[n].name = saved->f[i].name;
			ch[n++].on = saved->f[i].requested;
		}
	if (n)
		pe_features_set(c->dev, ch, n, NULL, NULL);
	free(ch);
	pe_features_free(&now);
out:
	pe_features_free(saved);
}

static int load_replay(const char *path, struct replay_frame **out, size_t *n_out, bool *fcs)
{
	struct pe_pcap_reader *r = pe_pcap_open(path);
	struct replay_frame *v = NULL;
	size_t n = 0, cap = 0;
	const uint8_t *data;
	size_t cap_len, wire_len;
	uint64_t t_ns;
	int err;

	if (!r)
		return pe_usage("--replay %s: %s", path,
				errno == EBADMSG || errno == EINVAL ? "not a pcap file"
								    : strerror(errno));
	*fcs = pe_pcap_fcs_len(r) == 4;
	while ((err = pe_pcap_next(r, &data, &cap_len, &wire_len, &t_ns)) == 1) {
		if (cap_len < 14 || cap_len > 65535)
			continue;
		if (n == cap) {
			struct replay_frame *nv =
				realloc(v, (cap = cap ? cap * 2 : 256) * sizeof(*v));

			if (!nv) {
				err = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[n].data = malloc(cap_len);
		if (!v[n].data) {
			err = -ENOMEM;
			break;
		}
		memcpy(v[n].data, data, cap_len);
		v[n].len = (uint16_t)cap_len;
		v[n].t_ns = t_ns;
		n++;
	}
	pe_pcap_close(r);
	if (err < 0 || !n) {
		for (size_t i = 0; i < n; i++)
			free(v[i].data);
		free(v);
		return err < 0 ? pe_usage("--replay %s: %s", path,
					  err == -EBADMSG ? "damaged pcap file" : strerror(-err))
			       : pe_usage("--replay %s: no frames in the file", path);
	}
	*out = v;
	*n_out = n;
	return 0;
}

/* Bytes past the Ethernet header and its tags: what the MTU limits. */
static unsigned l3_len(const uint8_t *f, unsigned len, bool fcs)
{
	unsigned off = 14;

	while (len >= off + 4 && (f[off - 2] << 8 | f[off - 1]) != 0 &&
	       ((f[off - 2] << 8 | f[off - 1]) == PE_ETH_P_VLAN ||
		(f[off - 2] << 8 | f[off - 1]) == PE_ETH_P_QINQ))
		off += 4;
	if (fcs && len >= off + 4)
		len -= 4;
	return len > off ? len - off : 0;
}

static void print_json(const struct cfg *c, const struct stats *s, double secs, json_object *iv)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "dev", json_object_new_string(c->dev));
	json_object_object_add(o, "method",
			       json_object_new_string(pe_tx_method_name(c->txo.method)));
	json_object_object_add(o, "frames", json_object_new_uint64(s->frames));
	json_object_object_add(o, "bytes_l2", json_object_new_uint64(s->bytes_l2));
	json_object_object_add(o, "seconds", json_object_new_double(secs));
	json_object_object_add(o, "frames_per_s",
			       json_object_new_double(secs > 0 ? s->frames / secs : 0));
	json_object_object_add(o, "mbit_per_s_l2",
			       json_object_new_double(secs > 0 ? s->bytes_l2 * 8 / secs / 1e6 : 0));
	json_object_object_add(
		o, "mbit_per_s_wire",
		json_object_new_double(secs > 0 ? (s->bytes_l2 + 20.0 * s->frames) * 8 / secs / 1e6
						: 0));
	json_object_object_add(o, "retries", json_object_new_uint64(s->retries));
	json_object_object_add(o, "errors", json_object_new_uint64(s->errors));
	json_object_object_add(o, "intervals", iv ? json_object_get(iv) : json_object_new_array());
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static unsigned tags_of(const uint8_t *f, unsigned len)
{
	unsigned n = 0, off = 12;

	while (len >= off + 4 && n < 2 &&
	       ((f[off] << 8 | f[off + 1]) == PE_ETH_P_VLAN ||
		(f[off] << 8 | f[off + 1]) == PE_ETH_P_QINQ)) {
		n++;
		off += 4;
	}
	return n;
}

struct run_state {
	struct cfg *c;
	struct pe_tx *tx;
	struct pe_frame_tmpl *t;
	struct replay_frame *rf;
	size_t n_rf;
	bool fcs_in_frame; /* the frames end with their FCS (as data or SO_NOFCS) */
	bool stamp;
	bool resizes;	 /* --imix or --vary size: the payload is rewritten per frame */
	bool magic_done; /* the sequence magic is in the template */
};

static int send_loop(struct run_state *st, struct stats *tot, double *secs, json_object *iv)
{
	struct cfg *c = st->c;
	unsigned burst = c->burst, maxlen = st->t ? PE_FRAME_BUF_MAX : 65535;
	uint8_t *bufs = malloc((size_t)burst * maxlen);
	const uint8_t **ptrs = calloc(burst, sizeof(*ptrs));
	uint16_t *lens = calloc(burst, sizeof(*lens));
	struct stats last = {0};
	struct pe_rate rate;
	uint64_t t0, end_ns = 0, next_report = 0, last_report, k = 0, cum_bits = 0;
	int rc = PE_EXIT_OK;

	if (!bufs || !ptrs || !lens) {
		free(bufs);
		free(ptrs);
		free(lens);
		return pe_fail("inject: out of memory");
	}
	/* Paced runs send smaller bursts so frames stay close to their deadlines. */
	if (c->rate_pps > 0) {
		double b = c->rate_pps / 10000;

		burst = b < 1 ? 1 : b < burst ? (unsigned)b : burst;
	}
	if (c->rate_mbps > 0 || (st->rf && !c->rate_pps))
		burst = 1;
	pe_rate_init(&rate, c->rate_pps);
	t0 = last_report = rate.t0_ns;
	if (c->time_s > 0)
		end_ns = t0 + (uint64_t)(c->time_s * 1e9);
	if (c->interval_s > 0)
		next_report = t0 + (uint64_t)(c->interval_s * 1e9);
	while (!stop_flag) {
		unsigned n = burst;
		uint64_t due = t0, now;
		int r;

		if (c->count && k >= c->count)
			break;
		if (c->rate_pps > 0) {
			/* Behind schedule (descheduled, a slow send): catch up in full bursts. */
			uint64_t behind = (uint64_t)((pe_rate_now_ns() - t0) * c->rate_pps / 1e9);

			if (behind > k + n)
				n = behind - k < c->burst ? (unsigned)(behind - k) : c->burst;
		}
		if (c->count && c->count - k < n)
			n = (unsigned)(c->count - k);
		if (st->rf && !c->count && k >= st->n_rf)
			break;
		if (c->rate_pps > 0)
			due = pe_rate_due(&rate, k);
		else if (c->rate_mbps > 0)
			due = t0 + (uint64_t)(cum_bits * 1000.0 / c->rate_mbps);
		else if (st->rf) /* the file's own timing, looping with its whole span */
			due = t0 + (st->rf[k % st->n_rf].t_ns - st->rf[0].t_ns) +
			      (k / st->n_rf) * (st->rf[st->n_rf - 1].t_ns - st->rf[0].t_ns + 1000);
		if (end_ns && due >= end_ns)
			break;
		if (due > t0) {
			if (next_report && due > next_report)
				pe_wait_until(next_report, rate.spin_ns);
			else
				pe_wait_until(due, rate.spin_ns);
		}
		now = pe_rate_now_ns();
		if (end_ns && now >= end_ns)
			break;
		if (due > now && !(next_report && now >= next_report))
			continue;
		if (due <= now) {
			for (unsigned i = 0; i < n; i++) {
				uint8_t *b = bufs + (size_t)i * maxlen;
				uint64_t seq = k + i;

				if (st->rf) {
					const struct replay_frame *f = &st->rf[seq % st->n_rf];

					memcpy(b, f->data, f->len);
					lens[i] = f->len;
				} else {
					struct pe_frame_tmpl *t = st->t;
					int err = pe_varier_apply(&c->vr, t, seq);

					if (err) {
						rc = pe_usage("--vary: %s",
							      err == -EMSGSIZE
								      ? "a size outside what these "
									"headers allow"
								      : "a field these frames do "
									"not have");
						goto out;
					}
					if (st->stamp && t->payload_len >= 12) {
						uint8_t m[4] = {'P', 'E', 's', 'q'};

						/* the magic stays put unless the size moves */
						if (!st->magic_done || st->resizes)
							pe_frame_write_payload(t, 0, m, 4);
						st->magic_done = true;
						pe_frame_stamp_seq(t, 4, seq);
					}
					pe_frame_finish_fcs(t);
					memcpy(b, pe_frame_data(t), t->len);
					lens[i] = t->len;
				}
				ptrs[i] = b;
			}
			r = pe_tx_send(st->tx, ptrs, lens, n, &tot->retries);
			if (r < 0 || (unsigned)r < n) {
				unsigned ok = r > 0 ? (unsigned)r : 0;

				for (unsigned i = 0; i < ok; i++) {
					tot->bytes_l2 += l2_bytes(lens[i], st->fcs_in_frame);
					cum_bits += 8 * l2_bytes(lens[i], st->fcs_in_frame);
				}
				tot->frames += ok;
				tot->errors++;
				rc = pe_fail("inject: sending on %s: %s", c->dev,
					     strerror(r < 0 ? -r : EIO));
				goto out;
			}
			for (unsigned i = 0; i < n; i++) {
				uint64_t b = l2_bytes(lens[i], st->fcs_in_frame);

				tot->bytes_l2 += b;
				cum_bits += 8 * b;
			}
			tot->frames += n;
			k += n;
			now = pe_rate_now_ns();
		}
		if (next_report && now >= next_report) {
			struct stats d = {tot->frames - last.frames, tot->bytes_l2 - last.bytes_l2,
					  tot->retries - last.retries, tot->errors - last.errors};
			double dt = (now - last_report) / 1e9;

			if (iv) {
				json_object *o = json_object_new_object();

				json_object_object_add(o, "t",
						       json_object_new_double((now - t0) / 1e9));
				json_object_object_add(o, "frames",
						       json_object_new_uint64(d.frames));
				json_object_object_add(o, "frames_per_s",
						       json_object_new_double(d.frames / dt));
				json_object_object_add(o, "retries",
						       json_object_new_uint64(d.retries));
				json_object_array_add(iv, o);
			} else {
				report_line((now - t0) / 1e9, dt, &d);
				fflush(stdout);
			}
			last = *tot;
			last_report = now;
			next_report += (uint64_t)(c->interval_s * 1e9);
			if (next_report < now)
				next_report = now + (uint64_t)(c->interval_s * 1e9);
		}
	}
	if (pe_tx_flush(st->tx))
		tot->errors++;
out:
	*secs = (pe_rate_now_ns() - t0) / 1e9;
	free(bufs);
	free(ptrs);
	free(lens);
	return rc;
}

/* Every variation must fit these frames before anything is sent. */
static int check_vary(const struct pe_varier *vr, const struct pe_frame_tmpl *t)
{
	static struct pe_frame_tmpl copy;
	struct pe_varier v = *vr;

	for (unsigned i = 0; i < vr->n; i++)
		if (vr->v[i].field == PE_VARY_SIZE &&
		    (vr->v[i].lo < t->min_size || vr->v[i].hi > t->max_size))
			return pe_usage(
				"--vary size=%llu-%llu: must be within %u..%u for these headers",
				(unsigned long long)vr->v[i].lo, (unsigned long long)vr->v[i].hi,
				t->min_size, t->max_size);
	copy = *t;
	if (pe_varier_apply(&v, &copy, 0) == -EINVAL)
		return pe_usage("--vary: a field these frames do not have");
	if (vr->imix && t->max_size < 1518 + (t->off_l3 - 14))
		return pe_usage("--imix: 1518-byte frames do not fit these headers");
	return 0;
}

static int run(int argc, char **argv)
{
	static const struct option own[] = {
		{"help", no_argument, 0, 'h'},
		{"dev", required_argument, 0, 'd'},
		{"count", required_argument, 0, 'n'},
		{"time", required_argument, 0, 't'},
		{"interval", required_argument, 0, 'i'},
		{"rate", required_argument, 0, O_RATE},
		{"rate-mbps", required_argument, 0, O_RATE_MBPS},
		{"burst", required_argument, 0, O_BURST},
		{"method", required_argument, 0, O_METHOD},
		{"tpacket-version", required_argument, 0, O_TPV},
		{"qdisc-bypass", no_argument, 0, O_QBYPASS},
		{"vary", required_argument, 0, O_VARY},
		{"seed", required_argument, 0, O_SEED},
		{"imix", no_argument, 0, O_IMIX},
		{"replay", required_argument, 0, O_REPLAY},
		{"json", no_argument, 0, O_JSON},
		{"offload", required_argument, 0, O_OFFLOAD},
	};
	struct option opts[sizeof(own) / sizeof(own[0]) + 32];
	static struct pe_frame_tmpl t;
	struct pe_frameopts fo;
	struct cfg c = {0};
	struct run_state st = {0};
	struct stats tot = {0};
	struct pe_features saved = {0};
	json_object *iv = NULL;
	const char *rate_s = NULL, *mbps_s = NULL;
	bool have_frame_flags = false, fcs = false, fcs_note = false;
	double secs = 0;
	uint64_t x;
	int ch, rc = 0, m, err;
	size_t nown = sizeof(own) / sizeof(own[0]), nf;

	memcpy(opts, own, sizeof(own));
	for (nf = 0; pe_frameopts_long[nf].name; nf++)
		opts[nown + nf] = pe_frameopts_long[nf];
	memset(&opts[nown + nf], 0, sizeof(opts[0]));
	pe_frameopts_init(&fo);
	c.burst = 64;
	c.txo.sz = sizeof(c.txo);
	while (!rc && (ch = getopt_long(argc, argv, "hd:n:t:i:", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			c.dev = optarg;
			break;
		case 'n':
			if (pe_parse_size(optarg, 1, UINT64_MAX, &c.count))
				rc = pe_usage("--count %s: must be a number above 0", optarg);
			break;
		case 't':
			if (pe_parse_seconds(optarg, 0.001, 1e7, &c.time_s))
				rc = pe_usage("--time %s: must be seconds above 0", optarg);
			break;
		case 'i':
			if (pe_parse_seconds(optarg, 0.01, 1e6, &c.interval_s))
				rc = pe_usage("--interval %s: must be seconds, at least 0.01",
					      optarg);
			break;
		case O_RATE:
		case O_RATE_MBPS: {
			char *end;
			double v = strtod(optarg, &end);

			if (end == optarg || *end || !isfinite(v) || v <= 0)
				rc = pe_usage("--%s %s: must be a number above 0",
					      ch == O_RATE ? "rate" : "rate-mbps", optarg);
			else if (ch == O_RATE)
				c.rate_pps = v, rate_s = optarg;
			else
				c.rate_mbps = v, mbps_s = optarg;
			break;
		}
		case O_BURST:
			if (pe_parse_u64(optarg, 1, 1024, &x))
				rc = pe_usage("--burst %s: must be 1..1024", optarg);
			c.burst = (unsigned)x;
			break;
		case O_METHOD:
			m = pe_tx_method_parse(optarg);
			if (m < 0)
				rc = pe_usage("--method %s: expected sendmmsg, ring or uring",
					      optarg);
			c.txo.method = (enum pe_tx_method)m;
			break;
		case O_TPV:
			if (pe_parse_u64(optarg, 2, 3, &x))
				rc = pe_usage("--tpacket-version %s: must be 2 or 3", optarg);
			c.txo.tpacket_version = (int)x;
			break;
		case O_QBYPASS:
			c.txo.qdisc_bypass = true;
			break;
		case O_VARY:
			rc = parse_vary(&c, optarg);
			break;
		case O_SEED:
			if (pe_parse_u64(optarg, 0, UINT64_MAX, &x))
				rc = pe_usage("--seed %s: must be a number", optarg);
			c.vr.random = true;
			c.vr.rng = x;
			break;
		case O_IMIX:
			c.vr.imix = true;
			break;
		case O_REPLAY:
			c.replay = optarg;
			break;
		case O_JSON:
			c.json = true;
			break;
		case O_OFFLOAD:
			rc = parse_offload(&c, optarg);
			break;
		case 'h':
			pe_frameopts_free(&fo);
			fputs(usage, stdout);
			fputs(pe_frameopts_usage, stdout);
			return PE_EXIT_OK;
		default:
			err = pe_frameopts_handle(&fo, ch, optarg);
			if (err == -1) {
				pe_frameopts_free(&fo);
				return pe_cli_help(usage, true);
			}
			rc = err;
			have_frame_flags = true;
			break;
		}
	}
	if (!rc && optind < argc)
		rc = pe_usage("inject: unexpected argument '%s'", argv[optind]);
	if (!rc && !c.dev)
		rc = pe_usage("inject: missing --dev IF (see 'pkteng inject --help')");
	if (!rc && rate_s && mbps_s)
		rc = pe_usage("--rate %s: choose --rate or --rate-mbps, not both", rate_s);
	if (!rc && c.replay && (have_frame_flags || c.vr.n || c.vr.imix))
		rc = pe_usage(
			"--replay %s: sends the file's frames; frame flags, --vary and --imix "
			"do not apply",
			c.replay);
	if (!rc && c.vr.imix && fo.size)
		rc = pe_usage("--imix: choose --imix or --size, not both");
	if (!rc) {
		err = pe_if_lookup(c.dev, NULL, NULL);
		if (err == -ENODEV)
			rc = pe_usage("--dev %s: no such interface", c.dev);
		else if (err == -ENETDOWN)
			rc = pe_fail("inject: %s is down (ip link set %s up)", c.dev, c.dev);
		else if (err)
			rc = pe_fail("inject: %s: %s", c.dev, strerror(-err));
	}
	if (!rc && c.replay)
		rc = load_replay(c.replay, &st.rf, &st.n_rf, &fcs);
	else if (!rc) {
		rc = pe_frameopts_build(&fo, &t);
		fcs = fo.o.fcs;
		st.t = &t;
		st.stamp = true;
		st.resizes = c.vr.imix;
		for (unsigned i = 0; i < c.vr.n; i++)
			st.resizes |= c.vr.v[i].field == PE_VARY_SIZE;
		if (!rc)
			rc = check_vary(&c.vr, &t);
	}
	if (rc)
		goto out;
	c.txo.ifname = c.dev;
	c.txo.burst = c.burst;
	/* TX ring slots sized for this run's largest frame: 64-byte frames in 256-byte slots
	 * touch a 1 MiB ring instead of 64 MiB of 16 KiB slots. */
	if (st.rf) {
		for (size_t i = 0; i < st.n_rf; i++)
			if (st.rf[i].len > c.txo.frame_max)
				c.txo.frame_max = st.rf[i].len;
	} else {
		c.txo.frame_max = c.vr.imix ? 1518 + 8 : t.len;
		for (unsigned i = 0; i < c.vr.n; i++)
			if (c.vr.v[i].field == PE_VARY_SIZE && c.vr.v[i].hi > c.txo.frame_max)
				c.txo.frame_max = (unsigned)c.vr.v[i].hi;
	}
	c.txo.nofcs = fcs && !c.replay;
	st.c = &c;
	st.fcs_in_frame = fcs;
	st.tx = pe_tx_open(&c.txo);
	if (!st.tx && errno == EPROTONOSUPPORT) {
		fcs_note = true;
		c.txo.nofcs = false;
		st.tx = pe_tx_open(&c.txo);
	}
	if (!st.tx) {
		if (errno == EPERM || errno == EACCES)
			rc = pe_fail("inject: needs CAP_NET_RAW (run as root)");
		else
			rc = pe_fail("inject: %s: %s", c.dev, strerror(errno));
		goto out;
	}
	/* The MTU bounds what follows the Ethernet header and tags (an FCS the device takes
	 * through SO_NOFCS is not counted; one sent as data is). */
	{
		unsigned mtu = pe_tx_mtu(st.tx), worst = 0, len, tags;
		const uint8_t *f;

		if (st.rf) {
			for (size_t i = 0; i < st.n_rf; i++) {
				len = l3_len(st.rf[i].data, st.rf[i].len, false);
				if (len > mtu) {
					rc = pe_usage(
						"--replay %s: frame %zu (%u bytes) is above the "
						"MTU of %s (%u)",
						c.replay, i + 1, st.rf[i].len, c.dev, mtu);
					goto out;
				}
			}
		} else {
			size_t max = t.size_bytes;

			if (c.vr.imix)
				max = 1518;
			for (unsigned i = 0; i < c.vr.n; i++)
				if (c.vr.v[i].field == PE_VARY_SIZE && c.vr.v[i].hi > max)
					max = c.vr.v[i].hi;
			f = pe_frame_data(&t);
			tags = tags_of(f, t.len);
			if (c.vr.imix)
				max += tags * PE_FRAME_VLAN_LEN;
			len = (unsigned)max - (fcs ? 0 : PE_FRAME_FCS_LEN);
			worst = len - 14 - tags * PE_FRAME_VLAN_LEN - (c.txo.nofcs ? 4 : 0);
			if (worst > mtu) {
				rc = pe_usage(
					"inject: a %zu-byte frame is above the MTU of %s (%u)", max,
					c.dev, mtu);
				goto out;
			}
		}
	}
	if (fcs_note)
		fprintf(stderr,
			"pkteng: inject: %s cannot send frames with their own FCS (no "
			"SO_NOFCS support): the 4 FCS bytes travel as the last bytes of each "
			"frame\n",
			c.dev);
	rc = offloads_apply(&c, &saved);
	if (rc)
		goto out;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (c.json)
		iv = json_object_new_array();
	rc = send_loop(&st, &tot, &secs, iv);
	offloads_restore(&c, &saved);
	if (c.json) {
		print_json(&c, &tot, secs, iv);
	} else {
		printf("sent %llu frames (%llu bytes L2) in %.3f s: %.0f frames/s, %.3f Mbit/s L2, "
		       "%.3f Mbit/s wire; retries %llu, errors %llu (%s on %s)\n",
		       (unsigned long long)tot.frames, (unsigned long long)tot.bytes_l2, secs,
		       secs > 0 ? tot.frames / secs : 0,
		       secs > 0 ? tot.bytes_l2 * 8 / secs / 1e6 : 0,
		       secs > 0 ? (tot.bytes_l2 + 20.0 * tot.frames) * 8 / secs / 1e6 : 0,
		       (unsigned long long)tot.retries, (unsigned long long)tot.errors,
		       pe_tx_method_name(c.txo.method), c.dev);
	}
	if (fflush(stdout) && !rc)
		rc = pe_fail("inject: stdout: %s", strerror(errno));
out:
	if (iv)
		json_object_put(iv);
	pe_tx_close(st.tx);
	for (size_t i = 0; i < st.n_rf; i++)
		free(st.rf[i].data);
	free(st.rf);
	for (size_t i = 0; i < c.n_offloads; i++)
		free((char *)c.offloads[i].name);
	pe_frameopts_free(&fo);
	return rc;
}

const struct pe_cmd pe_cmd_inject = {
	.name = "inject",
	.summary = "send frames on an interface (AF_PACKET: sendmmsg, TX ring, io_uring)",
	.run = run,
};
