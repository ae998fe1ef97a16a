/* SPDX-License-Identifier: BSD-2-Clause */
/* The udp receiver's loss accounting: exact for an honest sender, bounded in memory whatever
 * sequence numbers arrive. A scripted peer speaks the control protocol itself so it can send
 * the datagrams no pkteng client would. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "workload/seqwin.h"
#include "workload/work.h"
#include "tests/workloads/peer.h"

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	cr_assert(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			v = strtol(line + 6, NULL, 10);
	fclose(f);
	return v;
}

static void send_dgram(int u, uint64_t cookie, uint64_t seq)
{
	uint8_t d[64] = { 0 };

	pe_put_be64(d, cookie);
	pe_put_be64(d + 8, seq);
	pe_put_be64(d + 16, pe_now_ns());
	cr_assert_eq(send(u, d, sizeof(d), 0), (ssize_t)sizeof(d), "%s", strerror(errno));
}

/* A datagram numbered 2^34 - 1 used to make the server allocate and zero a 2 GiB bitmap; now it
 * is counted as out of the window and the honest datagrams around it are counted exactly. */
ParameterizedTestParameters(udp_window, huge_sequence_number)
{
	static enum pe_backend b[] = { PE_BACKEND_EPOLL, PE_BACKEND_URING };

	return cr_make_param_array(enum pe_backend, b, 2);
}

ParameterizedTest(enum pe_backend *be, udp_window, huge_sequence_number, .timeout = 60)
{
	struct pe_server_opts so = { .sz = sizeof(so), .bind = "127.0.0.1", .backend = *be };
	struct pe_server *s = pe_server_open(&so);
	struct json_object *m, *fig;
	uint64_t cookie;
	long rss0, rss1;
	int c, u;

	cr_assert(s, "%s", strerror(errno));
	cr_assert_eq(pe_server_start(s), 0);
	rss0 = rss_kib();
	c = pe_peer_dial(pe_server_port(s), SOCK_STREAM);
	pe_peer_send(c, "{\"type\":\"hello\",\"version\":1,\"mode\":\"udp\","
			"\"params\":{\"len_bytes\":64,\"duration_s\":5}}");
	m = pe_peer_recv(c, 5000);
	cr_assert_str_eq(pe_proto_type(m), "ok", "%s", json_object_to_json_string(m));
	cookie = strtoull(pe_json_str(m, "cookie", "0"), NULL, 16);
	u = pe_peer_dial((uint16_t)pe_json_i64(m, "data_port", 0), SOCK_DGRAM);
	json_object_put(m);
	pe_peer_send(c, "{\"type\":\"start\"}");
	m = pe_peer_recv(c, 5000);
	cr_assert_str_eq(pe_proto_type(m), "go");
	json_object_put(m);
	send_dgram(u, cookie, (1ull << 34) - 1);
	send_dgram(u, cookie, UINT64_MAX);
	for (uint64_t i = 0; i < 1000; i++)
		if (i != 500)
			send_dgram(u, cookie, i);
	send_dgram(u, cookie, 7); /* a duplicate */
	pe_peer_send(c, "{\"type\":\"end\",\"figures\":{\"udp_sent\":1000}}");
	m = pe_peer_recv(c, 30000);
	cr_assert_str_eq(pe_proto_type(m), "result", "%s", json_object_to_json_string(m));
	cr_assert(json_object_object_get_ex(m, "figures", &fig));
	rss1 = rss_kib();
	cr_expect_eq(pe_json_i64(fig, "udp_received", -1), 999, "%s",
		     json_object_to_json_string(fig));
	cr_expect_eq(pe_json_i64(fig, "udp_lost", -1), 1);
	cr_expect_eq(pe_json_i64(fig, "udp_duplicates", -1), 1);
	cr_expect_eq(pe_json_i64(fig, "udp_reordered", -1), 0);
	cr_expect_eq(pe_json_i64(fig, "udp_out_of_window", -1), 2);
	cr_expect_lt(rss1 - rss0, 32 * 1024, "RSS grew by %ld KiB", rss1 - rss0);
	json_object_put(m);
	close(u);
	close(c);
	pe_server_close(s);
}

/* Counts what pe_seqwin_mark says about each number of seqs. */
static void mark_all(struct pe_seqwin *w, const uint64_t *seqs, size_t n, unsigned counts[4])
{
	for (size_t i = 0; i < n; i++)
		counts[pe_seqwin_mark(w, seqs[i])]++;
}

Test(seqwin, small_cases)
{
	static const struct {
		uint64_t seqs[8];
		size_t n;
		unsigned want[4]; /* new, reordered, duplicate, out of window */
	} cases[] = {
		{ { 0, 1, 2, 3 }, 4, { 4, 0, 0, 0 } },
		{ { 1, 0, 3, 2 }, 4, { 2, 2, 0, 0 } },
		{ { 0, 0, 1, 1, 0 }, 5, { 2, 0, 3, 0 } },
		{ { PE_SEQWIN_SPAN - 1, 0 }, 2, { 1, 1, 0, 0 } },
		{ { PE_SEQWIN_SPAN, 0 }, 2, { 1, 0, 0, 1 } }, /* first number too far ahead */
		{ { (1ull << 34) - 1, UINT64_MAX, 0, 1 }, 4, { 2, 0, 0, 2 } },
		/* the window slides up to 2 SPAN; 5 is now behind it, SPAN + 64 still inside */
		{ { PE_SEQWIN_SPAN - 1, 2 * PE_SEQWIN_SPAN - 2, 5, PE_SEQWIN_SPAN + 64,
		    PE_SEQWIN_SPAN + 64 },
		  5,
		  { 2, 1, 1, 1 } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pe_seqwin w;
		unsigned got[4] = { 0 };

		cr_assert_eq(pe_seqwin_init(&w), 0);
		mark_all(&w, cases[i].seqs, cases[i].n, got);
		for (int k = 0; k < 4; k++)
			cr_expect_eq(got[k], cases[i].want[k], "case %zu verdict %d: %u, want %u",
				     i, k, got[k], cases[i].want[k]);
		pe_seqwin_free(&w);
	}
}

/* An honest sender over several windows, with losses, local reordering and duplicates: every
 * count exact, nothing out of the window. */
Test(seqwin, honest_sender_is_exact_over_many_windows)
{
	const uint64_t n = 5ull * PE_SEQWIN_SPAN + 12345;
	unsigned got[4] = { 0 };
	uint64_t lost = 0, swapped = 0, dups = 0;
	struct pe_seqwin w;

	cr_assert_eq(pe_seqwin_init(&w), 0);
	for (uint64_t i = 0; i < n; i++) {
		if (i % 1000 == 17) { /* lost */
			lost++;
			continue;
		}
		if (i % 777 == 5 && i + 1 < n && (i + 1) % 1000 != 17) { /* i + 1 overtakes i */
			got[pe_seqwin_mark(&w, i + 1)]++;
			got[pe_seqwin_mark(&w, i)]++;
			i++;
			swapped++;
			continue;
		}
		got[pe_seqwin_mark(&w, i)]++;
		if (i % 5000 == 9) {
			got[pe_seqwin_mark(&w, i)]++;
			dups++;
		}
	}
	cr_expect_eq(got[PE_SEQ_NEW] + got[PE_SEQ_REORDERED], n - lost);
	cr_expect_eq(got[PE_SEQ_REORDERED], swapped);
	cr_expect_eq(got[PE_SEQ_DUPLICATE], dups);
	cr_expect_eq(got[PE_SEQ_OUT_OF_WINDOW], 0);
	pe_seqwin_free(&w);
}
