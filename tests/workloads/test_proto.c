/* SPDX-License-Identifier: BSD-2-Clause */
/* The control exchange: hello encoding round trip, and a server that answers malformed,
 * truncated, wrong-version and unknown-mode messages with a clear error and keeps serving. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "workload/work.h"

Test(proto, hello_round_trip)
{
	struct pe_params p, q;
	struct json_object *o, *back;
	char err[200];
	size_t len;
	char *s;

	pe_params_default(&p, PE_MODE_UDP);
	p.duration_s = 2.5;
	p.len_bytes = 1200;
	p.conns = 3;
	p.rate_bps = 123456789;
	p.spin_us = 250;
	o = pe_proto_hello(&p);
	s = pe_proto_dump(o, &len);
	cr_assert(s);
	back = pe_proto_parse(s, len, err, sizeof(err));
	cr_assert(back, "%s", err);
	cr_assert_eq(pe_proto_parse_hello(back, &q, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(q.mode, PE_MODE_UDP);
	cr_expect_eq(q.duration_s, 2.5);
	cr_expect_eq(q.len_bytes, 1200);
	cr_expect_eq(q.conns, 3);
	cr_expect_eq(q.rate_bps, 123456789);
	cr_expect_eq(q.spin_us, 250);
	/* a truncated payload is refused, never read past */
	cr_expect_null(pe_proto_parse(s, len - 1, err, sizeof(err)));
	cr_expect(strstr(err, "malformed JSON"), "%s", err);
	json_object_put(back);
	json_object_put(o);
	free(s);
}

/* A value of parameter id for mode m that is not its default but in its range, for the table
 * test below; false when there is none (a range of one value). */
static bool other_value(enum pe_mode m, enum pe_param_id id, struct pe_params *p)
{
	const struct pe_param *t = &pe_param_table[id];
	double min, max, dflt;

	pe_param_range(m, id, &min, &max, &dflt);
	switch (t->kind) {
	case PE_PK_TEXT:
		snprintf((char *)p + t->off, t->size, "%0*x", (int)t->size - 1, 0xabc + (int)m);
		return true;
	case PE_PK_FLAG:
		pe_param_set_u64(p, id, 1);
		return true;
	case PE_PK_SECONDS:
		pe_param_set(p, id, max != dflt ? max : min + 0.25);
		return max != dflt || min != dflt;
	default:
		/* not a round number either, so nothing rounds it on the way */
		pe_param_set_u64(p, id, max != dflt ? (uint64_t)max - 3 : (uint64_t)min + 1);
		return max != dflt || min != dflt;
	}
}

/* Every parameter of every mode makes the round trip through the hello on its own: a new
 * parameter or a new mode is tested without a line here. */
Test(proto, hello_carries_every_parameter_of_every_mode)
{
	int m, i, n = 0;

	for (m = 0; m < PE_MODE__COUNT; m++) {
		for (i = 0; i < PE_P__COUNT; i++) {
			struct pe_params p, q;
			struct json_object *o, *back, *pp = NULL;
			char err[200];
			size_t len;
			char *s;

			pe_params_default(&p, (enum pe_mode)m);
			if (!other_value((enum pe_mode)m, (enum pe_param_id)i, &p))
				continue;
			if (i == PE_P_DURATION && p.duration_s == 0)
				p.bytes_total = 1;
			o = pe_proto_hello(&p);
			cr_assert(json_object_object_get_ex(o, "params", &pp));
			cr_expect_eq(json_object_object_length(pp), PE_P__COUNT);
			s = pe_proto_dump(o, &len);
			back = pe_proto_parse(s, len, err, sizeof(err));
			cr_assert(back, "%s", err);
			cr_expect_eq(pe_proto_parse_hello(back, &q, err, sizeof(err)), 0,
				     "%s %s: %s", pe_mode_name((enum pe_mode)m),
				     pe_param_table[i].key, err);
			cr_expect_eq(memcmp(&p, &q, sizeof(p)), 0, "%s %s: %g came back as %g",
				     pe_mode_name((enum pe_mode)m), pe_param_table[i].key,
				     pe_param_get(&p, (enum pe_param_id)i),
				     pe_param_get(&q, (enum pe_param_id)i));
			n++;
			json_object_put(back);
			json_object_put(o);
			free(s);
		}
	}
	cr_expect_gt(n, PE_MODE__COUNT * (PE_P__COUNT - 2));
}

/* A parameter missing from the hello takes the mode's default, not the table's. */
Test(proto, missing_parameters_take_the_mode_default)
{
	static const char hello[] =
		"{\"type\":\"hello\",\"version\":1,\"mode\":\"file\",\"params\":{}}";
	struct json_object *o;
	struct pe_params p, want;
	char err[200];

	o = pe_proto_parse(hello, sizeof(hello) - 1, err, sizeof(err));
	cr_assert(o, "%s", err);
	cr_assert_eq(pe_proto_parse_hello(o, &p, err, sizeof(err)), 0, "%s", err);
	pe_params_default(&want, PE_MODE_FILE);
	cr_expect_eq(memcmp(&p, &want, sizeof(p)), 0);
	cr_expect_eq(p.len_bytes, 128 * 1024);
	cr_expect_eq(p.duration_s, 0);
	json_object_put(o);
}

/* Numbers from the network are range-checked before any conversion: NaN, infinities and
 * values past a parameter's integer type are refused by name, never cast. */
Test(proto, hello_refuses_non_finite_and_huge_numbers)
{
	static const struct {
		const char *mode, *params, *want;
	} cases[] = {
		{ "stream", "\"duration_s\":NaN", "duration_s: not a finite number" },
		{ "stream", "\"duration_s\":Infinity", "duration_s: not a finite number" },
		{ "stream", "\"duration_s\":-Infinity", "duration_s: not a finite number" },
		{ "udp", "\"spin_us\":NaN", "spin_us: not a finite number" },
		{ "stream", "\"len_bytes\":1e300", "len_bytes 1e+300 out of range" },
		{ "stream", "\"len_bytes\":-1e300", "len_bytes -1e+300 out of range" },
		{ "stream", "\"len_bytes\":\"9\"", "len_bytes: not a number" },
		{ "stream", "\"zerocopy\":NaN", "zerocopy: not a finite number" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[256], err[200] = "";
		struct json_object *o;
		struct pe_params p;
		int len;

		len = snprintf(msg, sizeof(msg),
			       "{\"type\":\"hello\",\"version\":1,\"mode\":\"%s\",\"params\":{%s}}",
			       cases[i].mode, cases[i].params);
		o = pe_proto_parse(msg, (size_t)len, err, sizeof(err));
		cr_assert(o, "%s: %s", msg, err);
		cr_expect_eq(pe_proto_parse_hello(o, &p, err, sizeof(err)), -EINVAL, "%s", msg);
		cr_expect(strstr(err, cases[i].want), "%s: got '%s', want '%s'", msg, err,
			  cases[i].want);
		json_object_put(o);
	}
}

Test(proto, json_helpers_refuse_what_does_not_fit)
{
	struct json_object *o = json_tokener_parse(
		"{\"big\":1e300,\"neg\":-1e19,\"nan\":NaN,\"inf\":Infinity,\"ok\":12.75,"
		"\"edge\":9223372036854775807.0,\"i\":42}");

	cr_assert(o);
	cr_expect_eq(pe_json_i64(o, "big", -7), -7);
	cr_expect_eq(pe_json_i64(o, "neg", -7), -7);
	cr_expect_eq(pe_json_i64(o, "nan", -7), -7);
	cr_expect_eq(pe_json_i64(o, "inf", -7), -7);
	cr_expect_eq(pe_json_i64(o, "edge", -7), -7); /* 2^63 as a double: one past INT64_MAX */
	cr_expect_eq(pe_json_i64(o, "ok", -7), 12);
	cr_expect_eq(pe_json_i64(o, "i", -7), 42);
	cr_expect_eq(pe_json_dbl(o, "nan", 3.5), 3.5);
	cr_expect_eq(pe_json_dbl(o, "inf", 3.5), 3.5);
	cr_expect_eq(pe_json_dbl(o, "ok", 3.5), 12.75);
	json_object_put(o);
}

Test(proto, data_header)
{
	uint8_t h[PE_DATA_HDR];
	uint32_t idx = 0;

	pe_data_hdr_put(h, 0x0123456789abcdefull, 77);
	cr_expect_eq(memcmp(h, "PEd1\x01\x23\x45\x67\x89\xab\xcd\xef\0\0\0\x4d", 16), 0);
	cr_expect_eq(pe_data_hdr_check(h, 0x0123456789abcdefull, &idx), 0);
	cr_expect_eq(idx, 77);
	cr_expect_eq(pe_data_hdr_check(h, 0x0123456789abcdeeull, &idx), -EPROTO);
	h[0] = 'X';
	cr_expect_eq(pe_data_hdr_check(h, 0x0123456789abcdefull, &idx), -EPROTO);
}

static int dial(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(fd >= 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0, "%s", strerror(errno));
	return fd;
}

static void send_frame(int fd, const void *p, size_t len, uint32_t claimed)
{
	uint8_t hdr[4];

	pe_lpm_put_hdr(hdr, claimed);
	cr_assert_eq(send(fd, hdr, 4, MSG_NOSIGNAL), 4);
	if (len)
		cr_assert_eq(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Reads one reply frame; returns the parsed object or NULL when the server closed first. */
static struct json_object *read_reply(int fd)
{
	static uint8_t buf[65536];
	size_t have = 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		cr_assert_eq(poll(&p, 1, 5000), 1, "no reply within 5 s");
		n = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (n <= 0)
			return NULL;
		have += (size_t)n;
		if (have >= 4 && have >= 4 + pe_lpm_get_hdr(buf))
			return json_tokener_parse((const char *)buf + 4);
	}
}

struct bad_case {
	const char *payload;
	uint32_t claimed; /* 0: the payload's length */
	const char *want; /* substring of the error message; NULL: no reply, just a close */
};

Test(proto, server_refuses_bad_messages_and_keeps_serving)
{
	static const struct bad_case cases[] = {
		{ "{not json", 0, "malformed JSON" },
		{ "[1,2]", 0, "not a JSON object" },
		{ "{\"version\":1}", 0, "no \"type\"" },
		{ "{\"type\":\"hello\",\"version\":99,\"mode\":\"stream\",\"params\":{}}", 0,
		  "protocol version 99 not supported (this server speaks 1)" },
		{ "{\"type\":\"hello\",\"version\":1,\"mode\":\"warp\",\"params\":{}}", 0,
		  "unknown mode 'warp'" },
		{ "{\"type\":\"hello\",\"version\":1,\"mode\":\"rr\"}", 0, "no \"params\" object" },
		{ "{\"type\":\"start\"}", 0, "expected a \"hello\" message, got \"start\"" },
		{ "{\"type\":\"hello\",\"version\":1,\"mode\":\"rr\",\"params\":{\"conns\":0}}", 0,
		  "conns 0 out of range" },
		{ "{\"type\":\"hello\",\"version\":1,\"mode\":\"rr\","
		  "\"params\":{\"spin_us\":-1}}",
		  0, "spin_us -1 out of range 0..1000000" },
		{ "{\"type\":\"hello\",\"version\":1,\"mode\":\"rr\","
		  "\"params\":{\"spin_us\":1000001}}",
		  0, "spin_us 1000001 out of range 0..1000000" },
		{ "{\"type\":\"hello\",\"version\":1,\"mode\":\"udp-rr\","
		  "\"params\":{\"len_bytes\":65508}}",
		  0, "len_bytes 65508 out of range 16..65507 bytes" },
		{ "{\"type\":\"hello\",\"version\":1,\"mode\":\"udp-rr\","
		  "\"params\":{\"rr_timeout_s\":0}}",
		  0, "rr_timeout_s 0 out of range 0.001..60 seconds" },
		{ "{\"type\":\"hello\",\"version\":1,\"mode\":\"stream\","
		  "\"params\":{\"reverse\":true,\"bidir\":true}}",
		  0, "-R and --bidir exclude each other" },
		{ "", 0xffffffffu, "larger than" },
		{ "{\"type\":\"hel", 100, NULL }, /* truncated, then the client closes */
	};
	struct pe_server_opts so = { .sz = sizeof(so),
				     .bind = "127.0.0.1",
				     .ctl_timeout_ms = 3000 };
	struct pe_server *s = pe_server_open(&so);
	uint64_t done, refused;
	unsigned i;
	int stalled;

	cr_assert(s, "%s", strerror(errno));
	cr_assert_eq(pe_server_start(s), 0);
	/* a client that sends half a message and stalls must not hold up anyone else */
	stalled = dial(pe_server_port(s));
	send_frame(stalled, "{\"ty", 4, 50);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];
		size_t len = strlen(c->payload);
		int fd = dial(pe_server_port(s));
		struct json_object *r;

		send_frame(fd, c->payload, len, c->claimed ? c->claimed : (uint32_t)len);
		if (!c->want)
			shutdown(fd, SHUT_WR);
		r = read_reply(fd);
		if (c->want) {
			cr_assert(r, "case %u: no error reply", i);
			cr_expect_str_eq(pe_json_str(r, "type", ""), "error", "case %u", i);
			cr_expect(strstr(pe_json_str(r, "message", ""), c->want),
				  "case %u: message '%s' lacks '%s'", i,
				  pe_json_str(r, "message", ""), c->want);
		} else {
			cr_expect_null(r, "case %u: a reply to a truncated message", i);
		}
		json_object_put(r);
		close(fd);
	}
	/* and a real test still runs */
	{
		char port[8], err[300];
		struct pe_client_opts co = { .sz = sizeof(co),
					     .host = "127.0.0.1",
					     .port = port,
					     .backend = PE_BACKEND_EPOLL };
		struct pe_figures cf, sf;
		bool have;

		snprintf(port, sizeof(port), "%u", pe_server_port(s));
		pe_params_default(&co.p, PE_MODE_RR);
		co.p.duration_s = 0.2;
		cr_assert_eq(pe_client_run(&co, &cf, &sf, &have, err, sizeof(err)), 0, "%s", err);
		cr_expect(have && cf.c.transactions > 0);
		cr_expect_eq(cf.c.transactions, sf.c.transactions);
	}
	close(stalled);
	pe_server_close(s);
	(void)done;
	(void)refused;
}

Test(proto, server_counts_refusals)
{
	struct pe_server_opts so = { .sz = sizeof(so),
				     .bind = "127.0.0.1",
				     .ctl_timeout_ms = 2000 };
	struct pe_server *s = pe_server_open(&so);
	uint64_t done = 9, refused = 9;
	struct json_object *r;
	int fd, tries;

	cr_assert(s);
	cr_assert_eq(pe_server_start(s), 0);
	fd = dial(pe_server_port(s));
	send_frame(fd, "{\"type\":\"hello\",\"version\":2}", 29, 29);
	r = read_reply(fd);
	cr_assert(r);
	json_object_put(r);
	close(fd);
	for (tries = 0; tries < 100; tries++) {
		pe_server_counts(s, &done, &refused);
		if (refused)
			break;
		usleep(10000);
	}
	cr_expect_eq(done, 0);
	cr_expect_eq(refused, 1);
	pe_server_close(s);
}

/* A double from the network beyond int64 is never cast (undefined; 1e300 used to read as
 * INT64_MIN): it takes the default, as NaN and infinities do. Found by tests/fuzz/fuzz_ctl. */
Test(proto, json_i64_range_checks_doubles)
{
	static const struct {
		const char *json;
		int64_t want;
	} cases[] = {
		{ "{\"v\":1e300}", 77 },     { "{\"v\":-1e300}", 77 },
		{ "{\"v\":9.3e18}", 77 },    { "{\"v\":-9.3e18}", 77 },
		{ "{\"v\":NaN}", 77 },	     { "{\"v\":Infinity}", 77 },
		{ "{\"v\":-Infinity}", 77 }, { "{\"v\":12.9}", 12 },
		{ "{\"v\":-2.5}", -2 },	     { "{\"v\":4611686018427387904.0}", 1ll << 62 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *o = json_tokener_parse(cases[i].json);

		cr_assert_not_null(o, "%s", cases[i].json);
		cr_expect_eq(pe_json_i64(o, "v", 77), cases[i].want, "%s: %lld", cases[i].json,
			     (long long)pe_json_i64(o, "v", 77));
		json_object_put(o);
	}
}
