/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers for the raw I/O tests: run `pkteng capture` in one lab namespace and `pkteng inject`
 * in the other, with the interface counters read around the run and both JSON reports parsed. */
#ifndef PKTENG_TESTS_RAW_RAWTEST_H
#define PKTENG_TESTS_RAW_RAWTEST_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "tests/lab/lab.h"

/* The pkteng under test: $PE_PKTENG when set, else the build's. */
const char *pe_rt_bin(void);

struct pe_rt_io {
	int inj_status, cap_status;
	char *inj_out, *inj_err, *cap_out, *cap_err; /* malloc'd */
	json_object *inj, *cap;			     /* parsed --json reports, or NULL */
	uint64_t tx_delta, rx_delta;		     /* A's tx_packets, B's rx_packets */
	char pcap[256];				     /* the capture's pcap (in dir) */
};

/* Command prefixes for inject and capture (e.g. "chrt -f 20"), "" by default. */
extern const char *pe_rt_inject_prefix, *pe_rt_capture_prefix;

/* Captures in B (`capture --dev veth1 --incoming --json --pcap DIR/c.pcap CAP_ARGS`) and
 * injects from A (`inject --dev veth0 --json INJ_ARGS`), waiting for the capture's ready file
 * first. Returns 0 or -errno when something could not be started. */
int pe_rt_io(const struct pe_lab *lab, const char *dir, const char *inj_args, const char *cap_args,
	     int timeout_ms, struct pe_rt_io *r);
void pe_rt_io_free(struct pe_rt_io *r);
/* An integer member of a JSON object ("a.b" walks into objects); -1 when missing. */
int64_t pe_rt_int(json_object *o, const char *path);
double pe_rt_double(json_object *o, const char *path);

/* Whether this kernel refuses BPF_PROG_RUN live frames to root (some kernels and sandboxes'
 * seccomp or LSM rules answer EPERM): one forced `inject --method xdp` frame, sent from A to a
 * MAC nobody has. Only meaningful where XDP is built. */
bool pe_rt_xdp_live_refused(const struct pe_lab *lab);

/* The suites' fixture: a lab (opts may be NULL) and a temporary folder, made only as root
 * (the tests themselves skip otherwise); pe_rt_fini removes both, also after a failure. */
void pe_rt_init(struct pe_lab *lab, char **dir, const struct pe_lab_opts *opts);
void pe_rt_fini(struct pe_lab *lab, char **dir);

#endif
