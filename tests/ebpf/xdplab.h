/* SPDX-License-Identifier: BSD-2-Clause */
/* The namespace lab as the XDP tests use it: side B's veth renamed per test run (pins are named
 * by interface), `pkteng xdp` run in B's network namespace through `nsenter --net` (which keeps
 * the mount namespace and so the pins in /sys/fs/bpf), frames of known kinds sent from A with a
 * plain AF_PACKET socket, and the counters read back. Exact counts: the lab has no IPv6 on the
 * veths (quiet_ipv6) and permanent neighbours, so B receives only the tests' own frames.
 * Helpers assert with Criterion, so they are called from tests only. */
#ifndef PKTENG_TESTS_EBPF_XDPLAB_H
#define PKTENG_TESTS_EBPF_XDPLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ebpf/loader.h"
#include "raw/frame.h"
#include "tests/lab/lab.h"
#include "tests/testutil.h"

struct json_object;

/* Root, and a build with XDP (the counter and the transmitter). */
#define PE_REQUIRE_XDP()                                                                           \
	do {                                                                                       \
		PE_REQUIRE_ROOT();                                                                 \
		if (!pe_xdp_available())                                                           \
			cr_skip_test("built without XDP (PKTENG_XDP)");                            \
	} while (0)

extern struct pe_lab pe_xl_lab;
extern char pe_xl_rx_if[16];  /* B's veth, "pex<pid>" */
extern char pe_xl_ifb_if[16]; /* an ifb device in B when a test made one, else "" */

/* Criterion .init/.fini: a quiet lab with B's veth renamed; teardown detaches with --force. */
void pe_xl_setup(void);
void pe_xl_teardown(void);

/* Runs `pkteng xdp ARGS` in B's network namespace, like pe_run(). */
int pe_xl_xdp(struct pe_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether `ip -d link` shows an XDP program on B's veth, and its id (0: none). */
bool pe_xl_has_xdp(void);
unsigned pe_xl_prog_id(void);
/* Whether /sys/fs/bpf/pkteng/IFNAME (or B's veth's) exists. */
bool pe_xl_pins_exist_for(const char *ifname);
bool pe_xl_pins_exist(void);

/* The frames pe_xl_send_all() sends, count of each, and the classes they must land in. */
struct pe_xl_kind {
	const char *name;
	enum pe_frame_l3 l3;
	enum pe_frame_l4 l4;
	uint16_t ethertype;
	int n_vlans;
	unsigned count;
	unsigned x_l3, x_l4, x_tags; /* x_l4 PE_XDP_L4_MAX: none */
};
extern const struct pe_xl_kind pe_xl_kinds[];
extern const size_t pe_xl_nkinds;
#define PE_XL_FRAME_LEN 96 /* 100 on the wire with the FCS: room for IPv6, TCP and two tags */
#define PE_XL_SENT	81 /* frames per pe_xl_send_all() */
#define PE_XL_ECHOES	7  /* pe_xl_kinds[2].count: the IPv4 echo requests B's stack answers */

void pe_xl_send_all(void);

/* A number at o.a[.b[.c]] (b, c may be NULL). */
uint64_t pe_xl_jget(struct json_object *o, const char *a, const char *b, const char *c);
/* `pkteng xdp stats --json` parsed back into counters. */
void pe_xl_stats_json(struct pe_xdp_stats *s, struct pe_xdp_ctr *total);
/* What pe_xl_send_all() sent `scale` times adds up to, and a per-class comparison. */
void pe_xl_expected(struct pe_xdp_stats *want, unsigned scale);
void pe_xl_expect_stats(const struct pe_xdp_stats *got, const struct pe_xdp_stats *want);

/* B's Icmp OutEchoReps (/proc/net/snmp) and its veth's rx_packets. */
uint64_t pe_xl_echo_replies(void);
uint64_t pe_xl_rx_packets(void);
/* Wait (bounded) until the pinned counter's total / rx_packets - rx0 reaches want. */
void pe_xl_wait_counted(uint64_t want);
void pe_xl_wait_rx(uint64_t rx0, uint64_t want);

/* `pkteng xdp run` in B in the background (stdout to out, may be NULL), once it is attached. */
void pe_xl_start_run(struct pe_lab_bg *bg, const char *out);
/* Waits until process pid has a BPF map open. */
void pe_xl_wait_map_open(pid_t pid);

#endif
