/* SPDX-License-Identifier: BSD-2-Clause */
/* The control connection of `pkteng client` and `pkteng server`: a socket that blocks with a
 * timeout, plus a frame decoder, carrying the JSON messages of workload/proto.h. */
#ifndef PKTENG_WORKLOAD_CTL_H
#define PKTENG_WORKLOAD_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/framing.h"
#include "workload/proto.h"

struct json_object;

/* A control connection: a blocking-with-timeout socket plus a frame decoder. */
struct pe_ctl {
	int fd;
	int timeout_ms; /* a whole message arrives within this, each send waits at most this */
	struct pe_lpm_dec dec;
	uint8_t rbuf[4096];
};
/* Takes fd (made blocking here); pe_ctl_close closes it. 0 or -errno. */
int pe_ctl_open(struct pe_ctl *c, int fd, int timeout_ms);
void pe_ctl_close(struct pe_ctl *c);
/* Sends obj as one frame. 0 or -errno (-EPIPE, -ETIMEDOUT). Does not take obj. */
int pe_ctl_send(struct pe_ctl *c, struct json_object *obj);
/* Receives one message. Returns the parsed object (caller puts it) or NULL with *err_out
 * set to -ETIMEDOUT, -ECONNRESET (peer closed: "connection closed" or "truncated message"),
 * -EPROTO (malformed; reason in err) and the reason in err. */
struct json_object *pe_ctl_recv(struct pe_ctl *c, int *err_out, char *err, size_t errlen);
/* The raw layer under pe_ctl_recv/send: one frame's payload (valid until the next call) or
 * -errno with the reason in err. The decoder's maximum is c->dec.max_len. */
int pe_ctl_recv_frame(struct pe_ctl *c, const void **msg, size_t *len, char *err, size_t errlen);
int pe_ctl_send_raw(struct pe_ctl *c, const void *payload, size_t len);
/* Sends {"type":"error","message":MSG}. */
int pe_ctl_send_error(struct pe_ctl *c, const char *msg);

#endif
