/* SPDX-License-Identifier: BSD-2-Clause */
/* Blocking message I/O on a socket (see framing.h): one message out in one send, one message
 * in through a decoder, each wait bounded by a timeout. For control connections and small
 * clients; the loop does the same without blocking. */
#include "engine/framing.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

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

static int send_all(int fd, const uint8_t *p, size_t len, int timeout_ms)
{
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

int pe_lpm_send_sock(int fd, const void *payload, size_t len, int timeout_ms)
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
	err = send_all(fd, buf, len + PE_LPM_HDR, timeout_ms);
	free(buf);
	return err;
}

int pe_lpm_recv_sock(int fd, struct pe_lpm_dec *d, uint8_t *rbuf, size_t rbuf_len, int timeout_ms,
		     const void **msg, size_t *msg_len, char *err, size_t errlen)
{
	/* one deadline for the whole message: a peer dripping a byte at a time gains nothing */
	struct timespec ts;
	int64_t end_ms;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	end_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + timeout_ms;
	for (;;) {
		ssize_t n;
		int r = pe_lpm_next(d, msg, msg_len);
		int64_t left_ms;

		if (r == 1)
			return 0;
		if (r == PE_LPM_TOOBIG) {
			snprintf(err, errlen, "message length prefix larger than %u", d->max_len);
			return -EPROTO;
		}
		if (r != PE_LPM_PARTIAL) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		left_ms = timeout_ms < 0
				  ? -1
				  : end_ms - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		r = wait_fd(fd, POLLIN, left_ms > 0 || timeout_ms < 0 ? (int)left_ms : 0);
		if (r) {
			if (r == -ETIMEDOUT)
				snprintf(err, errlen, "no message within %d ms", timeout_ms);
			else
				snprintf(err, errlen, "poll: %s", strerror(-r));
			return r;
		}
		n = recv(fd, rbuf, rbuf_len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			bool partial = d->hdr_have || d->have || d->need;

			if (n < 0)
				snprintf(err, errlen, "%s", strerror(errno));
			else
				snprintf(err, errlen, "%s",
					 partial ? "truncated message (connection closed "
						   "mid-message)"
						 : "connection closed");
			return n < 0 ? -errno : -ECONNRESET;
		}
		pe_lpm_push(d, rbuf, (size_t)n);
	}
}
