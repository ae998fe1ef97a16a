/* SPDX-License-Identifier: BSD-2-Clause */
/* file mode takes one data connection: a second one (same cookie, a peer's mistake or an
 * attack) is a protocol error with a clear message, and neither leaks the first transfer's
 * state nor mixes its bytes into the first's digest (the bogus "sha256 differs"). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/testutil.h"
#include "tests/workloads/peer.h"
#include "workload/work.h"

ParameterizedTestParameters(file_conns, second_data_connection)
{
	static enum pe_backend b[] = { PE_BACKEND_EPOLL, PE_BACKEND_URING };

	return cr_make_param_array(enum pe_backend, b, 2);
}

ParameterizedTest(enum pe_backend *be, file_conns, second_data_connection, .timeout = 30)
{
	struct pe_server_opts so = { .sz = sizeof(so), .bind = "127.0.0.1", .backend = *be };
	struct pe_server *s = pe_server_open(&so);
	static uint8_t blob[100000];
	char *dir = pe_tmpdir(), path[300], sha[65], hello[400];
	struct json_object *m, *fig;
	uint8_t hdr[PE_DATA_HDR];
	uint64_t cookie, size;
	uint16_t port;
	int c, a, b;

	cr_assert(s, "%s", strerror(errno));
	cr_assert_eq(pe_server_start(s), 0);
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i * 7);
	snprintf(path, sizeof(path), "%s/blob", dir);
	cr_assert_eq(pe_write_file(path, blob, sizeof(blob)), 0);
	cr_assert_eq(pe_sha256_file(path, sha, &size), 0);
	snprintf(hello, sizeof(hello),
		 "{\"type\":\"hello\",\"version\":1,\"mode\":\"file\",\"params\":{\"file_bytes\":%"
		 "zu,"
		 "\"file_sha256\":\"%s\"}}",
		 sizeof(blob), sha);
	c = pe_peer_dial(pe_server_port(s), SOCK_STREAM);
	pe_peer_send(c, hello);
	m = pe_peer_recv(c, 5000);
	cr_assert_str_eq(pe_proto_type(m), "ok", "%s", json_object_to_json_string(m));
	cookie = strtoull(pe_json_str(m, "cookie", "0"), NULL, 16);
	port = (uint16_t)pe_json_i64(m, "data_port", 0);
	json_object_put(m);
	pe_data_hdr_put(hdr, cookie, 0);
	a = pe_peer_dial(port, SOCK_STREAM);
	cr_assert_eq(send(a, hdr, sizeof(hdr), MSG_NOSIGNAL), (ssize_t)sizeof(hdr));
	usleep(100000); /* the first one is the transfer */
	b = pe_peer_dial(port, SOCK_STREAM);
	cr_assert_eq(send(b, hdr, sizeof(hdr), MSG_NOSIGNAL), (ssize_t)sizeof(hdr));
	send(b, "XXXX", 4, MSG_NOSIGNAL);
	pe_peer_send(c, "{\"type\":\"start\"}");
	m = pe_peer_recv(c, 5000);
	json_object_put(m); /* "go", or already the error */
	send(a, blob, sizeof(blob), MSG_NOSIGNAL);
	shutdown(a, SHUT_WR);
	shutdown(b, SHUT_WR);
	pe_peer_send(c, "{\"type\":\"end\",\"figures\":{}}");
	m = pe_peer_recv(c, 10000);
	cr_assert_str_eq(pe_proto_type(m), "result", "%s", json_object_to_json_string(m));
	cr_assert(json_object_object_get_ex(m, "figures", &fig));
	cr_expect_eq(pe_json_i64(fig, "ok", -1), 0, "%s", json_object_to_json_string(fig));
	cr_expect_str_eq(pe_json_str(fig, "error", ""),
			 "a second data connection: file mode takes one");
	json_object_put(m);
	close(a);
	close(b);
	close(c);
	pe_server_close(s);
	pe_tmpdir_remove(dir);
}

/* The file shrinks while it is sent: the client stops at once and both sides report the same
 * reason, well before any control timeout. The truncation comes once the first interval shows
 * bytes moving, so it falls in the middle of the send. */
ParameterizedTestParameters(file_conns, file_shrinks_during_the_send)
{
	static enum pe_backend b[] = { PE_BACKEND_EPOLL, PE_BACKEND_URING };

	return cr_make_param_array(enum pe_backend, b, 2);
}

ParameterizedTest(enum pe_backend *be, file_conns, file_shrinks_during_the_send, .timeout = 60)
{
	static const char *const name[] = { "uring", "epoll" };
	struct pe_server_opts so = { .sz = sizeof(so), .bind = "127.0.0.1", .backend = *be };
	struct pe_server *s = pe_server_open(&so);
	char *dir = pe_tmpdir(), *last;
	struct json_object *doc, *cli, *srv;
	struct pe_run r;
	int status;
	long ms;

	cr_assert(s, "%s", strerror(errno));
	cr_assert_eq(pe_server_start(s), 0);
	cr_assert_eq(
		pe_run(&r,
		       "cd %s && truncate -s 512M f && (%s client 127.0.0.1 -p %u --backend %s "
		       "--mode file --file f -i 0.05 --json-stream >out 2>err; echo $? >rc) & "
		       "until grep -q interval %s/out 2>/dev/null; do sleep 0.01; done; "
		       "truncate -s 64M %s/f; t0=$(date +%%s%%N); "
		       "until [ -s %s/rc ]; do sleep 0.01; done; "
		       "echo \"$(cat %s/rc) $(( ($(date +%%s%%N) - t0) / 1000000 ))\"",
		       dir, PE_TEST_BIN, pe_server_port(s), name[*be], dir, dir, dir, dir),
		0);
	cr_assert_eq(sscanf(r.out, "%d %ld", &status, &ms), 2, "%s", r.out);
	pe_run_free(&r);
	cr_expect_eq(status, 1);
	cr_expect_lt(ms, 2000, "the client took %ld ms after the truncation", ms);
	cr_assert_eq(pe_run(&r, "tail -n 1 %s/out; cat %s/err", dir, dir), 0);
	last = r.out;
	doc = json_tokener_parse(last);
	cr_assert(doc, "%s", last);
	cr_assert(json_object_object_get_ex(doc, "client", &cli), "%s", last);
	cr_assert(json_object_object_get_ex(doc, "server", &srv), "%s", last);
	/* the truncation lands in the middle: what went out before it is a multiple of 64 MiB or
	 * less, never the whole file */
	cr_expect(!strncmp(pe_json_str(cli, "error", ""), "the file shrank during the send: sent ",
			   38) &&
			  strstr(pe_json_str(cli, "error", ""), " of 536870912 bytes"),
		  "client: %s", pe_json_str(cli, "error", ""));
	cr_expect(strstr(r.out, "\npkteng: client: the file shrank during the send: sent "),
		  "stderr: %s", r.out);
	cr_expect_str_eq(pe_json_str(srv, "error", "(none)"), pe_json_str(cli, "error", "(none)"),
			 "the server says otherwise");
	json_object_put(doc);
	pe_run_free(&r);
	pe_server_close(s);
	pe_tmpdir_remove(dir);
}
