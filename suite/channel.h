/* SPDX-License-Identifier: BSD-2-Clause */
/* The channel to one side of a run across hosts (channel.c): `pkteng suite --side` started here
 * or over ssh, its stdout read as protocol lines and then a record, its stderr kept for the
 * error that names its host, its hello and its clock samples. Used by multi.c. */
#ifndef PKTENG_SUITE_CHANNEL_H
#define PKTENG_SUITE_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "suite/suite.h"

/* The server or the capture leads: started first, ready before the others are told to go. */
enum pe_side_role { PE_SIDE_SERVER, PE_SIDE_CLIENT, PE_SIDE_CAPTURE, PE_SIDE_INJECT, PE_SIDE_XDP };
extern const char *const pe_side_role_name[];

#define PE_SIDE_OUT_MAX (64u << 20) /* what a side may write: its record, with room */

struct pe_side {
	const struct pe_suite_host *h;
	enum pe_side_role role;
	bool local;
	pid_t pid; /* ssh, or the local pkteng suite --side */
	int in_fd, out_fd, err_fd;
	char *buf;	      /* everything read from its stdout */
	size_t len, cap, pos; /* pos: the protocol lines consumed */
	bool eof, exited, overflow;
	int status;
	struct json_object *hello, *rec;
	double offset_ns, rtt_ns; /* its clock minus ours */
	int port;
};

/* Whether the host runs here, without ssh (no ssh destination, or "localhost"). */
bool pe_side_host_local(const struct pe_suite_host *h);
/* Starts side sd (h and role set, fds -1) running `BIN suite --side OPTS -- ARGS`, here or
 * over `ssh -T -o BatchMode=yes -o ConnectTimeout=5 ...` in a process group of its own, with a
 * settings variant's env.NAME=VALUE pairs (env NULL: none). 0 or a negative errno. */
int pe_side_start(struct pe_side *sd, const char *bin, char *const *opts, char *const *args,
		  const struct pe_suite_section *env);
/* Reads what the side wrote, waiting at most timeout_ms; at most 64 MiB (then overflow). */
void pe_side_read(struct pe_side *sd, int timeout_ms);
/* Notes whether the side's process ended (exited, status). */
void pe_side_reap(struct pe_side *sd);
/* The next protocol line into line: 0, -ETIMEDOUT, or -EPIPE when the side ended. */
int pe_side_line(struct pe_side *sd, char *line, size_t len, double timeout_s);
/* "host NAME (DEST): what: the last line the side wrote on stderr" into out. */
void pe_side_error(struct pe_side *sd, char *out, size_t len, const char *what);
/* Stops the sides: stdin closed (each kills its pkteng), then their process groups killed
 * after 5 s. */
void pe_sides_stop(struct pe_side *sds, unsigned n);
/* Reads and checks the hello: 0, or a negative errno with the error naming the host (no
 * answer, not a pkteng, another control protocol). */
int pe_side_hello(struct pe_side *sd, char *err, size_t len);
/* Eight clock samples: offset_ns and rtt_ns of the one with the smallest round trip. */
int pe_side_clock(struct pe_side *sd, char *err, size_t len);

/* CLOCK_REALTIME in nanoseconds (what sides are told to start at) and CLOCK_MONOTONIC in
 * seconds (the suite's own timeouts). */
uint64_t pe_side_real_ns(void);
double pe_side_mono_s(void);

#endif
