/* SPDX-License-Identifier: BSD-2-Clause */
/* One side of a multi-host run (`pkteng suite --side`), started by the suite over SSH or
 * locally: says hello (versions, the host's metadata), answers clock samples, starts its pkteng
 * command when told, and kills it when its stdin reaches EOF, so a dropped SSH connection or a
 * stopped suite leaves nothing running. The exchange is described in suite.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <json-c/json.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ebpf/loader.h"
#include "record/meta.h"
#include "suite/channel.h"
#include "suite/suite.h"
#include "workload/proto.h"

/* "0-3,6" into a CPU set; 0 or -EINVAL. */
static int parse_cpus(const char *list, cpu_set_t *set)
{
	const char *p = list;

	CPU_ZERO(set);
	if (!*p)
		return -EINVAL;
	while (*p) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;

		if (end == p || a >= CPU_SETSIZE)
			return -EINVAL;
		p = end;
		if (*p == '-') {
			b = strtoul(++p, &end, 10);
			if (end == p || b >= CPU_SETSIZE || b < a)
				return -EINVAL;
			p = end;
		}
		for (unsigned long c = a; c <= b; c++)
			CPU_SET(c, set);
		if (*p == ',')
			p++;
		else if (*p)
			return -EINVAL;
	}
	return 0;
}

/* The name of the interface that holds addr, or "" (the loopback address: "lo"). */
static void dev_of(const char *addr, char *name, size_t len)
{
	struct ifaddrs *ifa, *i;
	char buf[INET6_ADDRSTRLEN];

	*name = 0;
	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr ||
		    (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		if (getnameinfo(i->ifa_addr,
				i->ifa_addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
								  : sizeof(struct sockaddr_in6),
				buf, sizeof(buf), NULL, 0, NI_NUMERICHOST))
			continue;
		if (!strcmp(buf, addr)) {
			snprintf(name, len, "%s", i->ifa_name);
			break;
		}
	}
	freeifaddrs(ifa);
}

static int resolve(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST }, *ai;
	char ps[12];

	snprintf(ps, sizeof(ps), "%d", port);
	if (getaddrinfo(addr, ps, &hints, &ai))
		return -EINVAL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* A port free on addr (bound and released), or a negative errno. */
static int free_port_on(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, port = -EADDRNOTAVAIL;

	if (resolve(addr, 0, &ss, &len))
		return -EINVAL;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (!bind(fd, (struct sockaddr *)&ss, len) &&
	    !getsockname(fd, (struct sockaddr *)&ss, &len))
		port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						     : ((struct sockaddr_in6 *)&ss)->sin6_port);
	close(fd);
	return port;
}

static bool accepts(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;
	bool ok;

	if (resolve(addr, port, &ss, &len))
		return false;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok = fd >= 0 && !connect(fd, (struct sockaddr *)&ss, len);
	if (fd >= 0)
		close(fd);
	return ok;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* Kills the command: SIGTERM, then SIGKILL after a second. */
static void stop_child(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

int pe_suite_side_main(int argc, char **argv)
{
	const char *listen = NULL, *cpus = NULL, *dev_addr = NULL;
	bool ready_file = false;
	const char *ready_xdp = NULL;
	char rdir[64] = "", rpath[80] = "";
	char lhost[128] = "", portstr[12] = "", line[256], self[PATH_MAX], dev[IFNAMSIZ];
	char *args[PE_SUITE_ARGS_MAX + 2];
	struct json_object *hello;
	uint64_t start_at_ns = 0;
	int i, n = 0, port = 0, st;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--ready-file")) {
			ready_file = true;
			continue;
		}
		if (i + 1 >= argc)
			break;
		if (!strcmp(argv[i], "--ready-xdp"))
			ready_xdp = argv[++i];
		else if (!strcmp(argv[i], "--listen"))
			listen = argv[++i];
		else if (!strcmp(argv[i], "--cpus"))
			cpus = argv[++i];
		else if (!strcmp(argv[i], "--dev-of"))
			dev_addr = argv[++i];
		else
			break;
	}
	if (i >= argc || strcmp(argv[i], "--") || argc - i - 1 < 1 ||
	    argc - i - 1 > PE_SUITE_ARGS_MAX) {
		fprintf(stderr,
			"pkteng suite --side: expected [--listen ADDR:PORT | --ready-file | "
			"--ready-xdp DEV] [--cpus LIST] [--dev-of ADDR] -- COMMAND ARGS\n");
		return 2;
	}
	if (cpus) {
		cpu_set_t set;

		if (parse_cpus(cpus, &set) || sched_setaffinity(0, sizeof(set), &set)) {
			fprintf(stderr, "pkteng suite --side: --cpus '%s': not CPUs of this host\n",
				cpus);
			return 2;
		}
	}
	if (listen) {
		const char *colon = strrchr(listen, ':');

		if (!colon || (size_t)(colon - listen) >= sizeof(lhost)) {
			fprintf(stderr, "pkteng suite --side: --listen '%s': expected ADDR:PORT\n",
				listen);
			return 2;
		}
		snprintf(lhost, sizeof(lhost), "%.*s", (int)(colon - listen), listen);
		port = atoi(colon + 1);
		if (!port)
			port = free_port_on(lhost);
		if (port <= 0) {
			fprintf(stderr, "pkteng suite --side: no free port on %s\n", lhost);
			return 1;
		}
		snprintf(portstr, sizeof(portstr), "%d", port);
	}
	args[n++] = NULL;
	for (i++; i < argc; i++)
		args[n++] = argv[i]; /* "@PORT@": the server's port, known at "go" */
	if (!realpath("/proc/self/exe", self)) {
		fprintf(stderr, "pkteng suite --side: cannot find this pkteng\n");
		return 1;
	}
	args[0] = self;

	hello = json_object_new_object();
	json_object_object_add(hello, "pkteng_side", json_object_new_int(PE_SUITE_SIDE_VERSION));
	json_object_object_add(hello, "proto", json_object_new_int(PE_PROTO_VERSION));
	json_object_object_add(hello, "version", json_object_new_string(pe_version()));
	json_object_object_add(hello, "commit", json_object_new_string(pe_git_commit()));
	json_object_object_add(hello, "host", pe_host_json());
	if (dev_addr) {
		dev_of(dev_addr, dev, sizeof(dev));
		json_object_object_add(hello, "dev", *dev ? pe_dev_json(dev) : NULL);
	}
	say("%s\n", json_object_to_json_string_ext(hello, JSON_C_TO_STRING_PLAIN));
	json_object_put(hello);

	/* clock samples until "go" */
	for (;;) {
		uint64_t t_rx;

		if (!fgets(line, sizeof(line), stdin))
			return 1; /* the suite went away before the start */
		t_rx = pe_side_real_ns();
		if (!strcmp(line, "t\n")) {
			say("t %llu %llu\n", (unsigned long long)t_rx,
			    (unsigned long long)pe_side_real_ns());
		} else if (!strncmp(line, "go", 2)) {
			/* "go" (a server), or "go START_NS PORT" (a client) */
			unsigned long long t = 0;
			int p = 0;

			if (sscanf(line + 2, "%llu %d", &t, &p) == 2 && p > 0 && p < 65536)
				snprintf(portstr, sizeof(portstr), "%d", p);
			start_at_ns = t;
			break;
		} else {
			fprintf(stderr, "pkteng suite --side: unexpected line '%.40s'\n", line);
			return 2;
		}
	}
	if (start_at_ns) {
		static char at[32];

		if (n + 2 > PE_SUITE_ARGS_MAX + 1)
			return 2;
		snprintf(at, sizeof(at), "%llu.%09llu",
			 (unsigned long long)(start_at_ns / 1000000000ull),
			 (unsigned long long)(start_at_ns % 1000000000ull));
		args[n++] = "--start-at";
		args[n++] = at;
	}
	args[n] = NULL;
	if (ready_file) { /* the command creates @READY@ when it is ready (capture) */
		snprintf(rdir, sizeof(rdir), "/tmp/pkteng-side.XXXXXX");
		if (!mkdtemp(rdir)) {
			fprintf(stderr, "pkteng suite --side: cannot make a directory in /tmp\n");
			return 1;
		}
		snprintf(rpath, sizeof(rpath), "%s/ready", rdir);
	}
	for (int k = 1; k < n; k++) {
		if (!strcmp(args[k], "@PORT@") && *portstr)
			args[k] = portstr;
		if (!strcmp(args[k], "@READY@") && *rpath)
			args[k] = rpath;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		/* killed with this side: nothing outlives a side that is killed itself */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		freopen("/dev/null", "r", stdin);
		if (listen) /* a server: its output is not the record */
			freopen("/dev/null", "w", stdout);
		execv(self, args);
		_exit(127);
	}
	if (listen || ready_file || ready_xdp) {
		for (;;) {
			struct pe_xdp_attached cur;

			if (waitpid(pid, &st, WNOHANG) == pid)
				goto done;
			if (listen	 ? accepts(lhost, port)
			    : ready_file ? !access(rpath, F_OK)
					 : pe_xdp_query((int)if_nametoindex(ready_xdp), &cur) > 0)
				break;
			usleep(10000);
		}
		say("ready %d\n", port);
	}
	/* until the command ends or stdin closes (the suite or the connection is gone) */
	for (;;) {
		struct pollfd pf = { .fd = 0, .events = POLLIN };

		if (waitpid(pid, &st, WNOHANG) == pid)
			goto done;
		if (poll(&pf, 1, 20) > 0) {
			ssize_t r = read(0, line, sizeof(line));

			if (r <= 0) {
				stop_child(pid);
				st = 1 << 8; /* exit 1 */
				goto done;
			}
		}
	}
done:
	if (*rpath) {
		unlink(rpath);
		rmdir(rdir);
	}
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "pkteng suite --side: pkteng %s killed by signal %d\n", args[1],
			WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	return WEXITSTATUS(st);
}
