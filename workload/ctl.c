/* The control connection: one blocking-with-timeout socket that sends and receives the
 * length-prefixed JSON messages of workload/proto.h. */
#include "workload/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

static int wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = { fd, ev, 0 };
	int n;

	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

static int send_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				int err = wait_fd(fd, POLLOUT, timeout_ms);

				if (err)
					return err;
				continue;
			}
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
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
	for (;;) {
		ssize_t n;
		int r = pe_lpm_next(&c->dec, msg, mlen);

		if (r == 1)
			return 0;
		if (r == PE_LPM_TOOBIG) {
			snprintf(err, errlen, "message length prefix larger than %u",
				 c->dec.max_len);
			return -EPROTO;
		}
		if (r != PE_LPM_PARTIAL) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		r = wait_fd(c->fd, POLLIN, c->timeout_ms);
		if (r) {
			if (r == -ETIMEDOUT)
				snprintf(err, errlen, "no message within %d ms", c->timeout_ms);
			else
				snprintf(err, errlen, "poll: %s", strerror(-r));
			return r;
		}
		n = recv(c->fd, c->rbuf, sizeof(c->rbuf), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			bool partial = c->dec.hdr_have || c->dec.have || c->dec.need;

			if (n < 0)
				snprintf(err, errlen, "%s", strerror(errno));
			else
				snprintf(err, errlen, "%s",
					 partial ? "truncated message (connection closed "
						   "mid-message)"
						 : "connection closed");
			return n < 0 ? -errno : -ECONNRESET;
		}
		pe_lpm_push(&c->dec, c->rbuf, (size_t)n);
	}
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
	uint8_t *buf;
	int err;

	if (len > UINT32_MAX)
		return -EMSGSIZE;
	/* one send for prefix and payload: two would meet Nagle and delayed ACK */
	buf = malloc(len + PE_LPM_HDR);
	if (!buf)
		return -ENOMEM;
	pe_lpm_put_hdr(buf, (uint32_t)len);
	memcpy(buf + PE_LPM_HDR, payload, len);
	err = send_all(c->fd, buf, len + PE_LPM_HDR, c->timeout_ms);
	free(buf);
	return err;
}
