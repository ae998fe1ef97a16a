/* SPDX-License-Identifier: BSD-2-Clause */
/* Frame length limits and frames the kernel refuses, for every tx method. af_packet takes a
 * frame of at most MTU + 14 bytes, 4 more only when its ethertype is 802.1Q (0x8100): a
 * full-size QinQ frame (802.1ad outer tag) never fits, a single-tagged 802.1Q one does. Runs
 * that cannot fit are refused before anything is sent (exit 2, one line); a frame refused in
 * the middle of a run stops it with exit 1 and one line naming the frame, and the count
 * reported equals the veth's tx_packets delta. Every pkteng runs under `timeout 20`. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/raw/rawtest.h"

static struct pe_lab lab;
static char *dir;

static const char *const methods[] = { "sendmmsg", "ring --tpacket-version 2",
				       "ring --tpacket-version 3", "uring" };
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

static void setup(void)
{
	struct pe_lab_opts o = { .sz = sizeof(o), .quiet_ipv6 = true };

	pe_rt_init(&lab, &dir, &o);
}

static void teardown(void)
{
	pe_rt_fini(&lab, &dir);
}

static uint64_t counter(int side, const char *name)
{
	uint64_t v = 0;

	cr_assert_eq(pe_lab_counter(&lab, side, NULL, name, &v), 0, "%s", name);
	return v;
}

/* `timeout 20 pkteng inject --dev veth0 ARGS` in A: status, stdout, stderr, tx delta. */
static void inject(struct pe_run *r, uint64_t *tx_delta, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void inject(struct pe_run *r, uint64_t *tx_delta, const char *fmt, ...)
{
	char args[512];
	uint64_t tx0 = counter(0, "tx_packets");
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	cr_assert_eq(pe_lab_run(&lab, 0, r, "timeout -k 2 20 %s inject --dev veth0 %s", pe_rt_bin(),
				args),
		     0);
	*tx_delta = counter(0, "tx_packets") - tx0;
}

ParameterizedTestParameters(raw_limits, refused_up_front)
{
	PE_PARAM_INDEXES(N_METHODS);
}

#define QINQ_LIMIT                                                                                 \
	"above what veth0 accepts: 1514 bytes (MTU 1500 + 14-byte header; the kernel adds a "      \
	"tag's 4 bytes only when the outer tag is 802.1Q)\n"

/* IMIX with two tags: 1526-byte frames, 1522 bytes without the FCS, above 1514 (the 802.1ad
 * outer tag gets no allowance; with it, 1518 would still be too few). Before the fix the
 * ring retried a dropped frame forever and sendmmsg failed after 6 frames with EIO. */
ParameterizedTest(unsigned *pi, raw_limits, refused_up_front, .init = setup, .fini = teardown,
		  .timeout = 60)
{
	static const struct {
		const char *args, *err;
	} cases[] = {
		{ "-n 20 --imix --vlan 7 --qinq 9",
		  "pkteng: inject: a 1526-byte frame with an 802.1ad outer tag (1522 bytes without "
		  "the FCS) is " QINQ_LIMIT },
		{ "-n 20 --size 1522 --vlan 7 --qinq 9",
		  "pkteng: inject: a 1522-byte frame with an 802.1ad outer tag (1518 bytes without "
		  "the FCS) is " QINQ_LIMIT },
		{ "-n 20 --size 1522 --vlan 7 --fcs",
		  "pkteng: inject: a 1522-byte frame with an 802.1Q tag (FCS included, sent as "
		  "data) "
		  "is above what veth0 accepts: 1518 bytes (MTU 1500 + 14-byte header + one 802.1Q "
		  "tag)\n" },
		{ "-n 20 --size 1518 --fcs",
		  "pkteng: inject: a 1518-byte frame (FCS included, sent as data) is above what "
		  "veth0 accepts: 1514 bytes (MTU 1500 + 14-byte header)\n" },
		{ "-n 20 --vary size=64-1519 --vlan 7 --qinq 9",
		  "pkteng: inject: a 1519-byte frame with an 802.1ad outer tag (1515 bytes without "
		  "the FCS) is " QINQ_LIMIT },
	};
	const char *m = methods[*pi];

	PE_REQUIRE_ROOT();
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pe_run r;
		uint64_t tx;

		inject(&r, &tx, "--method %s %s", m, cases[i].args);
		cr_expect_eq(r.status, 2, "%s %s: status %d: %s", m, cases[i].args, r.status,
			     r.err);
		cr_expect_str_eq(r.err, cases[i].err, "%s %s", m, cases[i].args);
		cr_expect_eq(r.out_len, 0, "%s %s: stdout %s", m, cases[i].args, r.out);
		cr_expect_eq(tx, 0, "%s %s: sent %llu", m, cases[i].args, (unsigned long long)tx);
		pe_run_free(&r);
	}
}

ParameterizedTestParameters(raw_limits, vlan_full_size_sent)
{
	PE_PARAM_INDEXES(N_METHODS);
}

/* One 802.1Q tag at full size: 1522 bytes with FCS, 1518 sent, exactly MTU + 14 + 4; and the
 * largest QinQ frame that fits, 1518 bytes (1514 sent). Counted exactly by the veth on both
 * ends: B receives the frames as sent (rx_bytes without FCS). */
ParameterizedTest(unsigned *pi, raw_limits, vlan_full_size_sent, .init = setup, .fini = teardown,
		  .timeout = 60)
{
	static const struct {
		const char *args;
		unsigned n, bytes; /* frames, bytes each as sent */
	} cases[] = {
		{ "-n 50 --size 1522 --vlan 7", 50, 1518 },
		{ "-n 40 --size 1518 --vlan 7 --qinq 9", 40, 1514 },
		{ "-n 24 --imix --vlan 7", 24, 0 }, /* 14 x 60, 8 x 566, 2 x 1518 */
	};
	const char *m = methods[*pi];

	PE_REQUIRE_ROOT();
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t rx0 = counter(1, "rx_packets"), rxb0 = counter(1, "rx_bytes"), tx;
		uint64_t want_bytes = cases[i].bytes ? (uint64_t)cases[i].n * cases[i].bytes
						     : 14 * 64 + 8 * 570 + 2 * 1518;
		json_object *j;
		struct pe_run r;

		inject(&r, &tx, "--method %s --json %s", m, cases[i].args);
		cr_expect_eq(r.status, 0, "%s %s: status %d: %s", m, cases[i].args, r.status,
			     r.err);
		j = json_tokener_parse(r.out);
		cr_expect_eq(pe_rt_int(j, "summary.tx_frames"), cases[i].n, "%s %s: %s", m,
			     cases[i].args, r.out);
		cr_expect_eq(pe_rt_int(j, "summary.errors"), 0, "%s %s", m, cases[i].args);
		cr_expect_eq(tx, cases[i].n, "%s %s: tx_packets delta %llu", m, cases[i].args,
			     (unsigned long long)tx);
		cr_expect_eq(counter(1, "rx_packets") - rx0, cases[i].n, "%s %s", m, cases[i].args);
		cr_expect_eq(counter(1, "rx_bytes") - rxb0, want_bytes, "%s %s", m, cases[i].args);
		if (j)
			json_object_put(j);
		pe_run_free(&r);
	}
}

/* A pcap (link type Ethernet, no FCS) of frames of the given lengths, each with ethertype
 * tpid[i] at bytes 12-13. */
static void write_pcap(const char *path, const unsigned *lens, const uint16_t *tpid, unsigned n)
{
	FILE *f = fopen(path, "wb");
	uint32_t gh[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };

	cr_assert(f);
	fwrite(gh, sizeof(gh), 1, f);
	for (unsigned i = 0; i < n; i++) {
		uint32_t rh[4] = { 1000 + i, 0, lens[i], lens[i] };
		uint8_t fr[2048] = { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };

		fr[12] = tpid[i] >> 8;
		fr[13] = tpid[i] & 0xff;
		fwrite(rh, sizeof(rh), 1, f);
		fwrite(fr, lens[i], 1, f);
	}
	cr_assert_eq(fclose(f), 0);
}

ParameterizedTestParameters(raw_limits, replay)
{
	PE_PARAM_INDEXES(N_METHODS);
}

/* A file with an 802.1ad-tagged 1518-byte frame is refused before anything is sent, naming
 * that frame; the same file with an 802.1Q tag there (and an untagged 1514) is sent whole. */
ParameterizedTest(unsigned *pi, raw_limits, replay, .init = setup, .fini = teardown, .timeout = 60)
{
	static const unsigned lens[] = { 60, 1514, 1518 };
	static const uint16_t bad[] = { 0x0800, 0x0800, 0x88a8 },
			      good[] = { 0x0800, 0x0800, 0x8100 };
	const char *m = methods[*pi];
	char path[256], want[512];
	struct pe_run r;
	uint64_t tx, rxb0;

	PE_REQUIRE_ROOT();
	snprintf(path, sizeof(path), "%s/over.pcap", dir);
	write_pcap(path, lens, bad, 3);
	inject(&r, &tx, "--method %s --rate 1000 --replay %s", m, path);
	snprintf(want, sizeof(want),
		 "pkteng: --replay %s: frame 3 (1518 bytes) with an 802.1ad outer tag "
		 "is " QINQ_LIMIT,
		 path);
	cr_expect_eq(r.status, 2, "%s: status %d: %s", m, r.status, r.err);
	cr_expect_str_eq(r.err, want, "%s", m);
	cr_expect_eq(r.out_len, 0, "%s: %s", m, r.out);
	cr_expect_eq(tx, 0, "%s: sent %llu", m, (unsigned long long)tx);
	pe_run_free(&r);

	snprintf(path, sizeof(path), "%s/fits.pcap", dir);
	write_pcap(path, lens, good, 3);
	rxb0 = counter(1, "rx_bytes");
	inject(&r, &tx, "--method %s --rate 1000 -n 6 --replay %s", m, path);
	cr_expect_eq(r.status, 0, "%s: status %d: %s", m, r.status, r.err);
	cr_expect_eq(tx, 6, "%s: tx_packets delta %llu", m, (unsigned long long)tx);
	cr_expect_eq(counter(1, "rx_bytes") - rxb0, 2 * (60 + 1514 + 1518), "%s", m);
	pe_run_free(&r);
}

/* How a run is disturbed half a second in: the MTU of A's end lowered (the kernel's
 * af_packet check refuses the next frame: EMSGSIZE; the TX ring's virtio_net_hdr skips that
 * check, so not for it), B's end lowered (the veth drops every frame at the peer: nothing
 * goes out, the run gives up after 3 s), or B's lowered and a SIGTERM a second in (the run
 * stops at once, cleanly). */
enum disturb { MTU_A, MTU_B, MTU_B_TERM };

struct midrun {
	unsigned method;
	enum disturb d;
};

ParameterizedTestParameters(raw_limits, refused_mid_run)
{
	static struct midrun p[N_METHODS * 3 - 2];
	unsigned n = 0;

	for (unsigned i = 0; i < N_METHODS; i++)
		for (int d = MTU_A; d <= MTU_B_TERM; d++)
			if (!(d == MTU_A && !strncmp(methods[i], "ring", 4)))
				p[n++] = (struct midrun){ i, (enum disturb)d };
	return cr_make_param_array(struct midrun, p, n);
}

ParameterizedTest(struct midrun *p, raw_limits, refused_mid_run, .init = setup, .fini = teardown,
		  .timeout = 60)
{
	const char *m = methods[p->method];
	char out[256], err[256], want[256];
	char *o, *e;
	struct pe_lab_bg bg;
	struct pe_run r;
	uint64_t tx0, tx, seq = 0;
	json_object *j;
	int status;
	unsigned len = 0;

	PE_REQUIRE_ROOT();
	snprintf(out, sizeof(out), "%s/inj.out", dir);
	snprintf(err, sizeof(err), "%s/inj.err", dir);
	tx0 = counter(0, "tx_packets");
	cr_assert_eq(pe_lab_bg_start(&lab, 0, &bg, out, err,
				     "exec timeout -k 2 20 %s inject --dev veth0 --json -n 400 "
				     "--rate 200 --size 1518 --method %s",
				     pe_rt_bin(), m),
		     0);
	usleep(500000);
	cr_assert_eq(pe_lab_run(&lab, p->d == MTU_A ? 0 : 1, &r, "ip link set %s mtu 1400",
				p->d == MTU_A ? "veth0" : "veth1"),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	if (p->d == MTU_B_TERM) {
		usleep(500000);
		kill(bg.pid, SIGTERM); /* `exec timeout`: it passes the signal on */
	}
	status = pe_lab_bg_wait(&bg, 25000);
	tx = counter(0, "tx_packets") - tx0;
	o = pe_read_file(out, NULL);
	e = pe_read_file(err, NULL);
	cr_assert(o && e);
	j = json_tokener_parse(o);
	cr_expect_eq(pe_rt_int(j, "summary.tx_frames"), (int64_t)tx,
		     "%s: reported %s, tx_packets %llu", m, o, (unsigned long long)tx);
	cr_expect(tx > 50 && tx < 200, "%s: %llu frames before the change", m,
		  (unsigned long long)tx);
	if (p->d == MTU_B_TERM) {
		cr_expect_eq(status, 0, "%s: SIGTERM: status %d: %s", m, status, e);
		cr_expect_str_eq(e, "", "%s", m);
		cr_expect_eq(pe_rt_int(j, "summary.errors"), 0, "%s", m);
		/* stopped by the signal, not by the 3 s give-up */
		cr_expect(pe_rt_double(j, "summary.t1_s") < 2.0, "%s: %s", m, o);
	} else {
		cr_expect_eq(status, 1, "%s: status %d: %s", m, status, e);
		cr_expect_eq(pe_rt_int(j, "summary.errors"), 1, "%s", m);
		cr_assert_eq(sscanf(e, "pkteng: inject: sending on veth0: frame %llu (%u bytes)",
				    (unsigned long long *)&seq, &len),
			     2, "%s: %s", m, e);
		cr_expect_eq(seq, tx, "%s: the refused frame is the first not sent: %s", m, e);
		if (p->d == MTU_A)
			snprintf(want, sizeof(want),
				 "pkteng: inject: sending on veth0: frame %llu (1514 bytes) "
				 "refused: Message too long (above what the device takes)\n",
				 (unsigned long long)seq);
		else
			snprintf(want, sizeof(want),
				 "pkteng: inject: sending on veth0: frame %llu (1514 bytes): the "
				 "device took nothing for 3 s, dropping or refusing it on every "
				 "retry\n",
				 (unsigned long long)seq);
		cr_expect_str_eq(e, want, "%s", m);
		if (p->d == MTU_B)
			cr_expect(pe_rt_double(j, "summary.t1_s") > 3.0 &&
					  pe_rt_double(j, "summary.t1_s") < 6.0,
				  "%s: %s", m, o);
	}
	if (j)
		json_object_put(j);
	free(o);
	free(e);
}
