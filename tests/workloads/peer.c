/* SPDX-License-Identifier: BSD-2-Clause */
/* The scripted control-protocol peer behind peer.h. */
#include "tests/workloads/peer.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/framing.h"

int pe_peer_dial(uint16_t port, int type)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, type, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(fd >= 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0, "%s", strerror(errno));
	return fd;
}

void pe_peer_send(int fd, const char *json)
{
	uint8_t hdr[4];
	size_t len = strlen(json);

	pe_lpm_put_hdr(hdr, (uint32_t)len);
	cr_assert_eq(send(fd, hdr, 4, MSG_NOSIGNAL), 4);
	cr_assert_eq(send(fd, json, len, MSG_NOSIGNAL), (ssize_t)len);
}

struct json_object *pe_peer_recv(int fd, int timeout_ms)
{
	static uint8_t buf[65536];
	size_t have = 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		cr_assert_eq(poll(&p, 1, timeout_ms), 1, "no message within %d ms", timeout_ms);
		n = recv(fd, buf + have, sizeof(buf) - have - 1, 0);
		cr_assert_gt(n, 0, "the server closed");
		have += (size_t)n;
		if (have >= 4 && have >= 4 + pe_lpm_get_hdr(buf)) {
			buf[4 + pe_lpm_get_hdr(buf)] = 0;
			return json_tokener_parse((const char *)buf + 4);
		}
	}
}
