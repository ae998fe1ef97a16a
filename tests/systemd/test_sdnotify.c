/* SPDX-License-Identifier: BSD-2-Clause */
/* Readiness for systemd without libsystemd: pe_sd_notify() against real unix datagram
 * sockets (a path and an abstract name), its errors, and `pkteng server` / `pkteng registry
 * serve` sending exactly READY=1 once they accept connections and STOPPING=1 on SIGTERM,
 * after which they exit 0. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/testutil.h"
#include "tools/sdnotify.h"

/* A datagram socket bound to NOTIFY_SOCKET's name ("/path" or "@abstract"), with a receive
 * timeout so a missing message fails the test instead of hanging it. */
static int listen_notify(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	size_t len = strlen(name);
	socklen_t salen;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	cr_assert_lt(len, sizeof(sa.sun_path));
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (name[0] == '/'));
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, salen), 0, "bind %s: %s", name,
		     strerror(errno));
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

/* Receives one datagram: true when it is exactly `want` (no NUL, no newline); else false
 * with what came (or did not) in why. */
static bool got_msg(int fd, const char *want, char *why, size_t whylen)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n < 0)
		snprintf(why, whylen, "no '%s' within 10 s: %s", want, strerror(errno));
	else if ((size_t)n != strlen(want) || memcmp(buf, want, (size_t)n))
		snprintf(why, whylen, "got %zd bytes '%.*s', want '%s'", n, (int)n, buf, want);
	else
		return true;
	return false;
}

static void expect_msg(int fd, const char *want)
{
	char why[512];

	cr_assert(got_msg(fd, want, why, sizeof(why)), "%s", why);
}

/* A failed check must not leave the service running: kill it first. */
static void expect_svc_msg(int fd, const char *want, pid_t pid, const char *what)
{
	char why[512];

	if (got_msg(fd, want, why, sizeof(why)))
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_fail("%s: %s", what, why);
}

Test(sdnotify, unset_is_a_no_op)
{
	unsetenv("NOTIFY_SOCKET");
	cr_expect_eq(pe_sd_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	cr_expect_eq(pe_sd_notify("READY=1"), 0);
}

Test(sdnotify, bad_addresses)
{
	char longpath[200];

	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	cr_expect_eq(pe_sd_notify("READY=1"), -EAFNOSUPPORT);
	setenv("NOTIFY_SOCKET", "relative/notify", 1);
	cr_expect_eq(pe_sd_notify("READY=1"), -EAFNOSUPPORT);
	memset(longpath, 'x', sizeof(longpath));
	longpath[0] = '/';
	longpath[108] = '\0'; /* 108 bytes: no room for the NUL a path needs */
	setenv("NOTIFY_SOCKET", longpath, 1);
	cr_expect_eq(pe_sd_notify("READY=1"), -EINVAL);
	longpath[0] = '@';
	longpath[108] = 'x';
	longpath[109] = '\0'; /* an abstract name of 109 bytes */
	setenv("NOTIFY_SOCKET", longpath, 1);
	cr_expect_eq(pe_sd_notify("READY=1"), -EINVAL);
	setenv("NOTIFY_SOCKET", "/nonexistent-pkteng-dir/notify", 1);
	cr_expect_eq(pe_sd_notify("READY=1"), -ENOENT);
	setenv("NOTIFY_SOCKET", "@pkteng-test-notify", 1);
	cr_expect_eq(pe_sd_notify(NULL), -EINVAL);
}

Test(sdnotify, path_socket)
{
	char *dir = pe_tmpdir(), path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listen_notify(path);
	setenv("NOTIFY_SOCKET", path, 1);
	cr_expect_eq(pe_sd_notify("READY=1"), 1);
	expect_msg(fd, "READY=1");
	cr_expect_eq(pe_sd_notify("STATUS=listening on port 5201"), 1);
	expect_msg(fd, "STATUS=listening on port 5201");
	close(fd);
	pe_tmpdir_remove(dir);
}

Test(sdnotify, abstract_socket)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "@pkteng-test-notify-%d", (int)getpid());
	fd = listen_notify(name);
	setenv("NOTIFY_SOCKET", name, 1);
	cr_expect_eq(pe_sd_notify("READY=1"), 1);
	expect_msg(fd, "READY=1");
	close(fd);
	/* Nobody bound to the name any more. */
	cr_expect_eq(pe_sd_notify("READY=1"), -ECONNREFUSED);
}

/* The services: each case its own port (below the ephemeral range, so no client socket of
 * another test holds it), so they can run in parallel with other tests. */
struct svc_case {
	const char *what, *backend;
	unsigned port;
};

static const struct svc_case svc_cases[] = {
	{ "server", "uring", 29110 },
	{ "server", "epoll", 29111 },
	{ "registry serve", "uring", 29112 },
	{ "registry serve", "epoll", 29113 },
};

ParameterizedTestParameters(sdnotify, service)
{
	PE_PARAM_INDEXES(sizeof(svc_cases) / sizeof(svc_cases[0]));
}

ParameterizedTest(unsigned *idx, sdnotify, service, .timeout = 60)
{
	const struct svc_case *c = &svc_cases[*idx];
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)c->port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char name[64], cmd[512];
	int fd, tcp, status;
	pid_t pid;

	snprintf(name, sizeof(name), "@pkteng-test-svc-%d-%u", (int)getpid(), c->port);
	fd = listen_notify(name);
	snprintf(cmd, sizeof(cmd), "exec %s %s --port %u --backend %s %s", PE_TEST_BIN, c->what,
		 c->port, c->backend, strcmp(c->what, "server") ? "" : "-q");
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		setenv("NOTIFY_SOCKET", name, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	expect_svc_msg(fd, "READY=1", pid, c->what);
	/* Ready means listening: a connection succeeds right away, without retries. */
	tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(tcp, 0);
	cr_expect_eq(connect(tcp, (struct sockaddr *)&sin, sizeof(sin)), 0,
		     "%s: connect after READY=1: %s", c->what, strerror(errno));
	close(tcp);
	cr_assert_eq(kill(pid, SIGTERM), 0);
	expect_svc_msg(fd, "STOPPING=1", pid, c->what);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "%s --backend %s: status 0x%x after SIGTERM, want exit 0", c->what, c->backend,
		  status);
	close(fd);
}
