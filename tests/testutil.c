/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helpers: command runner with captured output, file I/O, hex, temporary folders. */
#include "tests/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int append(char **buf, size_t *len, size_t *cap, int fd)
{
	ssize_t n;

	if (*cap - *len < 4097) {
		size_t ncap = *cap ? *cap * 2 : 65536;
		char *nb = realloc(*buf, ncap);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	n = read(fd, *buf + *len, *cap - *len - 1);
	if (n > 0)
		*len += n;
	(*buf)[*len] = 0;
	return n > 0 ? 1 : 0;
}

int pe_run(struct pe_run *r, const char *fmt, ...)
{
	size_t ocap = 0, ecap = 0;
	int po[2], pe[2], st;
	char cmd[8192];
	va_list ap;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	/* poll ignores negative fds, so a closed pipe simply drops out of the set */
	while (po[0] >= 0 || pe[0] >= 0) {
		struct pollfd p[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents && append(&r->out, &r->out_len, &ocap, po[0]) <= 0) {
			close(po[0]);
			po[0] = -1;
		}
		if (p[1].revents && append(&r->err, &r->err_len, &ecap, pe[0]) <= 0) {
			close(pe[0]);
			pe[0] = -1;
		}
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

void pe_run_free(struct pe_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

char *pe_read_file(const char *path, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	for (;;) {
		int res = append(&buf, &n, &cap, fd);

		if (res < 0) {
			free(buf);
			close(fd);
			return NULL;
		}
		if (res == 0)
			break;
	}
	close(fd);
	if (len)
		*len = n;
	return buf;
}

int pe_write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const char *p = buf;

	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		p += n;
		len -= n;
	}
	return close(fd) ? -errno : 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long pe_unhex(const char *hex, unsigned char *buf, size_t cap)
{
	size_t n = 0;

	while (*hex) {
		int hi, lo;

		if (*hex == ' ' || *hex == '\n' || *hex == ':' || *hex == '\t') {
			hex++;
			continue;
		}
		hi = hexval(hex[0]);
		lo = hex[1] ? hexval(hex[1]) : -1;
		if (hi < 0 || lo < 0 || n == cap)
			return -1;
		buf[n++] = hi << 4 | lo;
		hex += 2;
	}
	return n;
}

char *pe_tmpdir(void)
{
	char *dir = strdup("/tmp/pkteng-test.XXXXXX");

	if (dir && !mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

void pe_tmpdir_remove(char *dir)
{
	struct pe_run r;

	if (!dir)
		return;
	if (!strncmp(dir, "/tmp/pkteng-test.", 17) && !pe_run(&r, "rm -rf '%s'", dir))
		pe_run_free(&r);
	free(dir);
}

bool pe_is_root(void)
{
	return geteuid() == 0;
}
