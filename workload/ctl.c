/* SPDX-License-Identifier: BSD-2-Clause */
/* The control connection: one blocking-with-timeout socket that sends and receives the
 * length-prefixed JSON messages of workload/proto.h. */
#include "workload/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pe_ctl_open(struct pe_ctl *c, int fd, int timeout_ms)
{
	int fl = fcntl(fd, F_GETFL);

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return pe_lpm_dec_init(&c->dec, PE_PROTO_MAX_MSG);
}

void pe_ctl_close(struct pe_ctl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	pe_lpm_dec_free(&c->dec);
}

int pe_ctl_send(struct pe_ctl *c, struct json_object *obj)
{
	size_t len;
	char *s = pe_proto_dump(obj, &len);
	int err;

	if (!s)
		return -ENOMEM;
	err = pe_ctl_send_raw(c, s, len);
	free(s);
	return err;
}

int pe_ctl_send_error(struct pe_ctl *c, const char *msg)
{
	struct json_object *o = pe_proto_msg(PE_MSG_ERROR);
	int err;

	json_object_object_add(o, "message", json_object_new_string(msg));
	err = pe_ctl_send(c, o);
	json_object_put(o);
	return err;
}

int pe_ctl_recv_frame(struct pe_ctl *c, const void **msg, size_t *mlen, char *err, size_t errlen)
{
	return pe_lpm_recv_sock(c->fd, &c->dec, c->rbuf, sizeof(c->rbuf), c->timeout_ms, msg, mlen,
				err, errlen);
}

struct json_object *pe_ctl_recv(struct pe_ctl *c, int *err_out, char *err, size_t errlen)
{
	const void *msg;
	size_t mlen;
	struct json_object *o;
	int r = pe_ctl_recv_frame(c, &msg, &mlen, err, errlen);

	if (r) {
		*err_out = r;
		return NULL;
	}
	o = pe_proto_parse(msg, mlen, err, errlen);
	if (!o)
		*err_out = -EPROTO;
	return o;
}

int pe_ctl_send_raw(struct pe_ctl *c, const void *payload, size_t len)
{
	return pe_lpm_send_sock(c->fd, payload, len, c->timeout_ms);
}
