/* SPDX-License-Identifier: BSD-2-Clause */
/* sd_notify(3)'s wire protocol in a screenful (see sdnotify.h): the services need only
 * READY=1 and STOPPING=1, so pkteng does not link libsystemd for them. */
#include "tools/sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int pe_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	socklen_t salen;
	ssize_t n;
	int fd, err = 0;

	if (!path || !path[0])
		return 0;
	if (!state)
		return -EINVAL;
	if (path[0] != '/' && path[0] != '@')
		return -EAFNOSUPPORT;
	len = strlen(path);
	if (len > sizeof(sa.sun_path) || (path[0] == '/' && len == sizeof(sa.sun_path)))
		return -EINVAL;
	memcpy(sa.sun_path, path, len);
	/* An abstract name is the bytes after a leading NUL, with no terminator; a path's
	 * length counts its NUL. */
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(state))
		err = -EMSGSIZE;
	close(fd);
	return err ? err : 1;
}
