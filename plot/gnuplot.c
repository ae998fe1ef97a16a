/* SPDX-License-Identifier: BSD-2-Clause */
/* gnuplot as a child process: the script on a pipe to its stdin, its stdout and stderr in
 * memory files (so neither can fill a pipe while the script is still being written). */
#include "plot/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void pe_buf_put(struct pe_buf *b, const char *s, size_t len)
{
	if (b->oom)
		return;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void pe_buf_add(struct pe_buf *b, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		pe_buf_put(b, small, (size_t)n);
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = ENOMEM;
		return;
	}
	pe_buf_put(b, big, (size_t)n);
	free(big);
}

void pe_buf_free(struct pe_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void pe_gnuplot_terminal(struct pe_buf *s, enum pe_plot_fmt fmt, unsigned w_px, unsigned h_px)
{
	if (fmt == PE_PLOT_PNG)
		pe_buf_add(s,
			   "set terminal pngcairo size %u,%u font 'sans,9' background '#ffffff'\n",
			   w_px, h_px);
	else
		pe_buf_add(s,
			   "set terminal svg size %u,%u fixed font 'sans,9' background '#ffffff'\n",
			   w_px, h_px);
	pe_buf_add(s, "set encoding utf8\nset key off\nset grid lc rgb '#dddddd'\n");
}

/* The whole of a memory file, from its start. */
static int slurp(int fd, struct pe_buf *b)
{
	char chunk[65536];
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		pe_buf_put(b, chunk, (size_t)n);
	if (n < 0)
		return -errno;
	return b->oom ? -ENOMEM : 0;
}

/* gnuplot reports an error on several lines (the line echoed, a caret, "line N: what"); the
 * last non-empty one says what, with the line number. */
static void error_line(const struct pe_buf *e, char *err, size_t errlen)
{
	const char *end = e->p ? e->p + e->len : NULL, *start;

	while (end && end > e->p && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	if (!end || end == e->p) {
		snprintf(err, errlen, "gnuplot failed without a message");
		return;
	}
	start = end;
	while (start > e->p && start[-1] != '\n')
		start--;
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	snprintf(err, errlen, "gnuplot: %.*s", (int)(end - start), start);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int pe_gnuplot_run(const char *script, size_t len, struct pe_buf *out, char *err, size_t errlen)
{
	const char *bin = getenv("PKTENG_GNUPLOT") ? getenv("PKTENG_GNUPLOT") : "gnuplot";
	char *argv[] = { (char *)bin, NULL };
	int in[2] = { -1, -1 }, ofd = -1, efd = -1, r, status = 0;
	struct pe_buf e = { 0 };
	posix_spawn_file_actions_t fa;
	void (*old_pipe)(int);
	pid_t pid;

	ofd = memfd_create("gnuplot-out", MFD_CLOEXEC);
	efd = memfd_create("gnuplot-err", MFD_CLOEXEC);
	if (ofd < 0 || efd < 0 || pipe2(in, O_CLOEXEC)) {
		r = -errno;
		snprintf(err, errlen, "gnuplot: %s", strerror(-r));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, ofd, 1);
	posix_spawn_file_actions_adddup2(&fa, efd, 2);
	r = -posix_spawnp(&pid, bin, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r) {
		snprintf(err, errlen, "%s: %s%s", bin, strerror(-r),
			 r == -ENOENT ? " (install gnuplot-nox)" : "");
		goto out;
	}
	close(in[0]);
	in[0] = -1;
	/* gnuplot exits at the first error: a write after that must fail, not kill pkteng */
	old_pipe = signal(SIGPIPE, SIG_IGN);
	r = write_all(in[1], script, len);
	if (!r)
		r = write_all(in[1], "\nexit\n", 6);
	close(in[1]);
	in[1] = -1;
	signal(SIGPIPE, old_pipe);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !r) {
		r = -ENOENT;
		snprintf(err, errlen, "%s: cannot be run (install gnuplot-nox)", bin);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) || r) {
		slurp(efd, &e);
		error_line(&e, err, errlen);
		r = -EINVAL;
	} else {
		r = slurp(ofd, out);
		if (!r && !out->len) {
			snprintf(err, errlen, "gnuplot wrote no picture");
			r = -EINVAL;
		} else if (r) {
			snprintf(err, errlen, "gnuplot: reading its output: %s", strerror(-r));
		}
	}
out:
	pe_buf_free(&e);
	for (int i = 0; i < 2; i++)
		if (in[i] >= 0)
			close(in[i]);
	if (ofd >= 0)
		close(ofd);
	if (efd >= 0)
		close(efd);
	return r;
}
