/* SPDX-License-Identifier: BSD-2-Clause */
/* The client registry on both backends: 10,000 idle connections held while one more client is
 * served at once, the 301st client that once waited for a free thread, a deadline per whole
 * request rather than per read, and many requests answered in order to a client that reads
 * late. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/framing.h"
#include "registry/registry.h"
#include "tests/engine/etest.h"

static struct pe_registry *open_reg(enum pe_backend b, int msg_timeout_ms)
{
	struct pe_registry_opts o = { .sz = sizeof(o),
				      .bind = "127.0.0.1",
				      .backend = b,
				      .no_fallback = true,
				      .msg_timeout_ms = msg_timeout_ms };
	struct pe_registry *r = pe_registry_open(&o);

	cr_assert(r, "%s", strerror(errno));
	cr_assert_eq(pe_registry_start(r), 0, "%s", pe_backend_name(b));
	return r;
}

static double now_s(void)
{
	return (double)pe_now_ns() / 1e9;
}

static long vm_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int connect_to(uint16_t port)
{
	struct pe_addr a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	cr_assert_eq(pe_addr_loopback(&a, AF_INET, port), 0);
	cr_assert_eq(connect(fd, &a.sa, a.len), 0, "connect: %s", strerror(errno));
	return fd;
}

static void wait_conns(struct pe_registry *r, unsigned n)
{
	double t0 = now_s();

	while (pe_registry_conns(r) != n && now_s() - t0 < 60)
		usleep(2000);
	cr_assert_eq(pe_registry_conns(r), n, "connections held");
}

/* A child process opens n connections to port (its own fd table: the registry's process then
 * holds only the server ends), says so on `ready` and keeps them until `hold` closes. */
static pid_t clients_start(unsigned n, uint16_t port, int *hold_w)
{
	int ready[2], hold[2];
	pid_t pid;
	char c;

	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(hold, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		struct pe_addr a;
		unsigned i;

		close(hold[1]);
		pe_addr_loopback(&a, AF_INET, port);
		for (i = 0; i < n; i++) {
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

			if (fd < 0 || connect(fd, &a.sa, a.len))
				_exit(1);
		}
		if (write(ready[1], "r", 1) != 1 || read(hold[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the client process could not open %u connections",
		     n);
	close(ready[0]);
	*hold_w = hold[1];
	return pid;
}

/* Holds `idle` connections, then registers "late" and lists: returns the seconds it took. */
static double hold_then_query(enum pe_backend b, unsigned idle)
{
	struct pe_registry *r;
	struct json_object *reply = NULL, *a = NULL;
	int fds0 = etest_count_fds(), fds_serving, hold, status;
	long rss0, rss1;
	char why[200];
	double t, took;
	pid_t pid;

	r = open_reg(b, 0);
	fds_serving = etest_count_fds();
	rss0 = vm_rss_kb();
	pid = clients_start(idle, pe_registry_port(r), &hold);
	wait_conns(r, idle);
	cr_expect_eq(etest_count_fds(), fds_serving + (int)idle + 1,
		     "one per connection, and the pipe");
	rss1 = vm_rss_kb();
	t = now_s();
	cr_assert_eq(pe_registry_query("127.0.0.1", pe_registry_port(r), "late", 4, true, &reply,
				       why, sizeof(why)),
		     0, "%s", why);
	took = now_s() - t;
	cr_assert(json_object_object_get_ex(reply, "clients", &a));
	cr_expect_eq(json_object_array_length(a), 1);
	cr_expect_str_eq(json_object_get_string(
				 json_object_object_get(json_object_array_get_idx(a, 0), "name")),
			 "late");
	json_object_put(reply);
	cr_log_info("%s: %u idle connections held; one more client served in %.3f ms; "
		    "registry process VmRSS %ld kB -> %ld kB",
		    pe_backend_name(b), idle, took * 1e3, rss0, rss1);
	close(hold);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	wait_conns(r, 0);
	cr_expect_eq(etest_count_fds(), fds_serving, "every connection's fd released");
	pe_registry_close(r);
	cr_expect_eq(etest_count_fds(), fds0, "the registry's own fds released");
	return took;
}

/* RLIMIT_NOFILE of at least n (each process holds one end of the connections): raises the hard limit too when
 * allowed. Returns false when it cannot. */
static bool nofile(long n)
{
	struct rlimit rl;

	getrlimit(RLIMIT_NOFILE, &rl);
	if ((long)rl.rlim_cur >= n)
		return true;
	if ((long)rl.rlim_max < n) {
		struct rlimit up = { (rlim_t)n, (rlim_t)n };

		if (!setrlimit(RLIMIT_NOFILE, &up))
			return true;
	}
	return etest_raise_nofile(n) >= n;
}

ETEST_BACKENDS(registry_conns, ten_thousand_idle_then_one_more)
ParameterizedTest(enum pe_backend *b, registry_conns, ten_thousand_idle_then_one_more,
		  .timeout = 240)
{
	if (!nofile(10000 + 200))
		cr_skip_test("RLIMIT_NOFILE cannot be raised to 10200 (hard limit below it)");
	cr_expect_lt(hold_then_query(*b, 10000), 2.0);
}

/* With a thread per connection and 256 threads, the 257th client waited for the 30 s timeout
 * of an idle one. */
ETEST_BACKENDS(registry_conns, three_hundred_idle_then_the_next)
ParameterizedTest(enum pe_backend *b, registry_conns, three_hundred_idle_then_the_next)
{
	cr_assert(nofile(1024));
	cr_expect_lt(hold_then_query(*b, 300), 1.0);
}

/* A request dripped one byte every 100 ms never waits 300 ms for a read, but takes 1.4 s in
 * all: the 300 ms deadline covers the whole message, so the registry closes first. */
ETEST_BACKENDS(registry_conns, deadline_covers_the_whole_request)
ParameterizedTest(enum pe_backend *b, registry_conns, deadline_covers_the_whole_request)
{
	struct pe_registry *r = open_reg(*b, 300);
	int fd = connect_to(pe_registry_port(r));
	static const char req[] = "\0\0\0\x0a{\"name\":1}";
	struct timeval tv = { .tv_sec = 0, .tv_usec = 1000 };
	double t0 = now_s(), closed_at = 0;
	size_t i;
	char c;

	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	for (i = 0; i < sizeof(req) - 1 && !closed_at; i++) {
		ssize_t n;

		if (send(fd, &req[i], 1, MSG_NOSIGNAL) != 1) {
			closed_at = now_s();
			break;
		}
		for (int k = 0; k < 100 && !closed_at; k++) {
			n = recv(fd, &c, 1, 0);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
				closed_at = now_s();
			else
				cr_assert_lt(n, 1, "no answer to a partial request");
		}
	}
	cr_assert_gt(closed_at, 0, "the connection outlived the whole request");
	cr_expect_gt(closed_at - t0, 0.25);
	cr_expect_lt(closed_at - t0, 0.9);
	cr_expect_lt(i, sizeof(req) - 1);
	close(fd);
	wait_conns(r, 0);
	cr_expect_eq(pe_registry_count(r), 0);
	pe_registry_close(r);
}

/* 200 list requests in one write, then the end of the client's stream, read only after the
 * registry has queued answers past its per-connection mark: each answer arrives whole and in
 * order, and the registry closes after the last. */
ETEST_BACKENDS(registry_conns, pipelined_requests_answered_in_order)
ParameterizedTest(enum pe_backend *b, registry_conns, pipelined_requests_answered_in_order)
{
	enum { NAMES = 400, REQS = 200 };
	struct pe_registry *r = open_reg(*b, 0);
	struct pe_lpm_dec d;
	uint8_t out[REQS * 6], buf[65536];
	unsigned i, got = 0;
	int fd;

	for (i = 0; i < NAMES; i++) {
		struct json_object *reply = NULL;
		char name[128], why[200];

		snprintf(name, sizeof(name), "name-%04u-padded-to-make-the-list-longer-%040u", i,
			 i);
		cr_assert_eq(pe_registry_query("127.0.0.1", pe_registry_port(r), name, strlen(name),
					       false, &reply, why, sizeof(why)),
			     0, "%s", why);
		json_object_put(reply);
	}
	for (i = 0; i < REQS; i++)
		memcpy(out + 6 * i, "\0\0\0\x02{}", 6);
	fd = connect_to(pe_registry_port(r));
	cr_assert_eq(send(fd, out, sizeof(out), MSG_NOSIGNAL), (ssize_t)sizeof(out));
	cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	usleep(300000);
	cr_expect_eq(pe_registry_conns(r), 1);
	pe_lpm_dec_init(&d, 1u << 24);
	while (got < REQS) {
		const void *msg;
		size_t len;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		cr_assert_gt(n, 0, "answer %u: %s", got, n ? strerror(errno) : "closed");
		pe_lpm_push(&d, buf, (size_t)n);
		while (pe_lpm_next(&d, &msg, &len) == 1) {
			struct json_tokener *tok = json_tokener_new();
			struct json_object *o = json_tokener_parse_ex(tok, msg, (int)len), *a;

			json_tokener_free(tok);

			cr_assert(o && json_object_object_get_ex(o, "clients", &a), "answer %u",
				  got);
			cr_assert_eq(json_object_array_length(a), NAMES);
			cr_assert_eq(json_object_get_int(json_object_object_get(o, "count")),
				     NAMES);
			json_object_put(o);
			got++;
		}
	}
	cr_expect_eq(got, REQS);
	cr_expect_eq(recv(fd, buf, sizeof(buf), 0), 0, "closed after the last answer");
	pe_lpm_dec_free(&d);
	close(fd);
	wait_conns(r, 0);
	pe_registry_close(r);
}

static void send_prefix(int fd, uint32_t len, const char *start)
{
	uint8_t hdr[PE_LPM_HDR];

	pe_lpm_put_hdr(hdr, len);
	cr_assert_eq(send(fd, hdr, sizeof(hdr), MSG_NOSIGNAL), (ssize_t)sizeof(hdr));
	cr_assert_eq(send(fd, start, strlen(start), MSG_NOSIGNAL), (ssize_t)strlen(start));
}

/* Reads one answer frame; returns its text (caller frees) or NULL when the connection ended. */
static char *read_answer(int fd)
{
	uint8_t hdr[PE_LPM_HDR];
	char *s;
	uint32_t n;

	if (recv(fd, hdr, sizeof(hdr), MSG_WAITALL) != (ssize_t)sizeof(hdr))
		return NULL;
	n = pe_lpm_get_hdr(hdr);
	s = calloc(1, n + 1);
	cr_assert(s);
	cr_assert_eq(recv(fd, s, n, MSG_WAITALL), (ssize_t)n);
	return s;
}

/* Requests in progress share one bound, and the oldest goes first: with 10,000 bytes, a third
 * unfinished 4,000-byte request (4 KiB reserved each) closes the first with "registry busy";
 * the second and third are answered. A prefix over 4096 is refused at once. */
ETEST_BACKENDS(registry_conns, unfinished_requests_share_one_bound)
ParameterizedTest(enum pe_backend *b, registry_conns, unfinished_requests_share_one_bound)
{
	enum { LEN = 4000 };
	struct pe_registry_opts o = { .sz = sizeof(o),
				      .bind = "127.0.0.1",
				      .backend = *b,
				      .no_fallback = true,
				      .pending_max_bytes = 10000,
				      .msg_timeout_ms = 5000 };
	struct pe_registry *r = pe_registry_open(&o);
	const char *start = "{\"name\":\"big\",\"pad\":\"";
	char *rest = malloc(LEN), *ans;
	size_t k = LEN - strlen(start);
	int fd[3], big, i;

	cr_assert(r && rest);
	cr_assert_eq(pe_registry_start(r), 0);
	memset(rest, 'x', k);
	rest[k - 2] = '"';
	rest[k - 1] = '}';
	for (i = 0; i < 3; i++) {
		fd[i] = connect_to(pe_registry_port(r));
		send_prefix(fd[i], LEN, start);
		usleep(50000);
	}
	ans = read_answer(fd[0]);
	cr_assert(ans, "no answer to the oldest request over the bound");
	cr_expect_str_eq(ans, "{\"error\":\"registry busy: more than 10000 bytes of requests in "
			      "progress\"}");
	free(ans);
	cr_expect_null(read_answer(fd[0]), "closed after the refusal");
	for (i = 1; i < 3; i++) {
		cr_assert_eq(send(fd[i], rest, k, MSG_NOSIGNAL), (ssize_t)k);
		ans = read_answer(fd[i]);
		cr_assert(ans);
		cr_expect(strstr(ans, "\"count\":1,") && strstr(ans, "\"name\":\"big\""), "%s",
			  ans);
		free(ans);
	}
	big = connect_to(pe_registry_port(r));
	send_prefix(big, PE_REGISTRY_REQ_MAX + 1, start);
	ans = read_answer(big);
	cr_assert(ans);
	cr_expect_str_eq(ans, "{\"error\":\"message length prefix larger than 4096\"}");
	free(ans);
	close(big);
	for (i = 0; i < 3; i++)
		close(fd[i]);
	free(rest);
	wait_conns(r, 0);
	pe_registry_close(r);
}

/* At the bound on connections the one idle the longest makes room: with 8, a ninth closes the
 * first, and a tenth that then registers is answered. */
ETEST_BACKENDS(registry_conns, the_longest_idle_goes_at_the_bound)
ParameterizedTest(enum pe_backend *b, registry_conns, the_longest_idle_goes_at_the_bound)
{
	struct pe_registry_opts o = { .sz = sizeof(o),
				      .bind = "127.0.0.1",
				      .backend = *b,
				      .no_fallback = true,
				      .max_conns = 8 };
	struct pe_registry *r = pe_registry_open(&o);
	struct json_object *reply = NULL;
	int fd[9], i;
	char c, why[200];

	cr_assert(r);
	cr_assert_eq(pe_registry_max_conns(r), 8);
	cr_assert_eq(pe_registry_start(r), 0);
	for (i = 0; i < 9; i++) {
		fd[i] = connect_to(pe_registry_port(r));
		usleep(20000);
	}
	cr_expect_leq(recv(fd[0], &c, 1, 0), 0, "the oldest was closed");
	for (i = 1; i < 9; i++)
		cr_expect_eq(recv(fd[i], &c, 1, MSG_DONTWAIT), -1, "connection %d kept", i);
	cr_assert_eq(pe_registry_query("127.0.0.1", pe_registry_port(r), "late", 4, true, &reply,
				       why, sizeof(why)),
		     0, "%s", why);
	cr_expect_eq(json_object_get_int64(json_object_object_get(reply, "count")), 1);
	json_object_put(reply);
	cr_expect_leq(recv(fd[1], &c, 1, 0), 0, "the next oldest made room");
	for (i = 0; i < 9; i++)
		close(fd[i]);
	wait_conns(r, 0);
	pe_registry_close(r);
}

/* Names are capped and expire: with --max-names 3 and a 1 s TTL the fourth name gets "registry
 * full" while lists still work, the same name from the same address registered again replaces
 * its entry, and after the TTL the list is empty again. */
ETEST_BACKENDS(registry_conns, names_are_capped_and_expire)
ParameterizedTest(enum pe_backend *b, registry_conns, names_are_capped_and_expire)
{
	struct pe_registry_opts o = { .sz = sizeof(o),
				      .bind = "127.0.0.1",
				      .backend = *b,
				      .no_fallback = true,
				      .max_names = 3,
				      .ttl_s = 1 };
	struct pe_registry *r = pe_registry_open(&o);
	static const char *const names[] = { "a", "b", "a", "c", "d" };
	struct json_object *reply = NULL;
	char why[300];
	unsigned i;

	cr_assert(r);
	cr_assert_eq(pe_registry_start(r), 0);
	for (i = 0; i < 4; i++) {
		cr_assert_eq(pe_registry_query("127.0.0.1", pe_registry_port(r), names[i], 1, false,
					       &reply, why, sizeof(why)),
			     0, "%s", why);
		json_object_put(reply);
	}
	cr_expect_eq(pe_registry_count(r), 3);
	cr_expect_eq(pe_registry_query("127.0.0.1", pe_registry_port(r), "d", 1, false, &reply, why,
				       sizeof(why)),
		     -EPROTO);
	json_object_put(reply);
	cr_expect_str_eq(why, "registry refused: registry full: 3 names listed (its --max-names); "
			      "the oldest expires in 1 s");
	cr_assert_eq(pe_registry_query("127.0.0.1", pe_registry_port(r), NULL, 0, true, &reply, why,
				       sizeof(why)),
		     0, "%s", why);
	cr_expect_eq(json_object_get_int64(json_object_object_get(reply, "count")), 3);
	cr_expect_str_eq(
		json_object_get_string(json_object_object_get(
			json_object_array_get_idx(json_object_object_get(reply, "clients"), 2),
			"name")),
		"c", "oldest first, the registered-again 'a' moved to the end before 'c'");
	json_object_put(reply);
	usleep(1100000);
	cr_expect_eq(pe_registry_count(r), 0);
	cr_assert_eq(pe_registry_query("127.0.0.1", pe_registry_port(r), "d", 1, true, &reply, why,
				       sizeof(why)),
		     0, "%s", why);
	cr_expect_eq(json_object_get_int64(json_object_object_get(reply, "count")), 1);
	json_object_put(reply);
	pe_registry_close(r);
}
