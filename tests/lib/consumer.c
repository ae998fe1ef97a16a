/* SPDX-License-Identifier: BSD-2-Clause */
/* A program outside the tree, built against the installed libpkteng with `pkg-config --cflags
 * --libs libpkteng` (check_install.sh): an echo server and its client on one loop over
 * loopback, then a frame with its FCS printed in hex. Usage: consumer uring|epoll */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <pkteng.h>

static const char msg[] = "hello, libpkteng";
static char got[64];
static size_t got_len;
static int result = 1;

static void echo_data(struct pe_conn *c, const void *data, size_t len)
{
	pe_conn_send(c, data, len);
}

static void client_open(struct pe_conn *c)
{
	pe_conn_send(c, msg, strlen(msg));
}

static void client_data(struct pe_conn *c, const void *data, size_t len)
{
	if (got_len + len > sizeof(got))
		len = sizeof(got) - got_len;
	memcpy(got + got_len, data, len);
	got_len += len;
	if (got_len >= strlen(msg)) {
		result = memcmp(got, msg, strlen(msg)) != 0;
		pe_loop_stop(pe_conn_loop(c));
	}
}

static void client_close(struct pe_conn *c, int err)
{
	if (got_len < strlen(msg)) {
		fprintf(stderr, "consumer: connection closed early: %s\n", strerror(-err));
		pe_loop_stop(pe_conn_loop(c));
	}
}

static int echo(enum pe_backend backend)
{
	static const struct pe_conn_cbs server_cbs = { .on_data = echo_data };
	static const struct pe_conn_cbs client_cbs = { .on_open = client_open,
						       .on_data = client_data,
						       .on_close = client_close };
	struct pe_loop_opts lo = { .sz = sizeof(lo), .backend = backend, .no_fallback = true };
	struct pe_conn_opts sco = { .sz = sizeof(sco), .cbs = &server_cbs };
	struct pe_conn_opts cco = { .sz = sizeof(cco), .cbs = &client_cbs };
	struct pe_listen_opts llo = { .sz = sizeof(llo), .conn = &sco };
	struct pe_listener *ls;
	struct pe_conn *c;
	struct pe_addr a;
	struct pe_loop *l = pe_loop_open(&lo);
	int err;

	if (!l) {
		fprintf(stderr, "consumer: pe_loop_open: %s\n", strerror(errno));
		return 1;
	}
	if ((err = pe_addr_loopback(&a, AF_INET, 0)) || (err = pe_listen(l, &a, &llo, &ls)) ||
	    (err = pe_listener_addr(ls, &a)) || (err = pe_connect(l, &a, &cco, &c)) ||
	    (err = pe_loop_run(l))) {
		fprintf(stderr, "consumer: %s\n", strerror(-err));
		pe_loop_close(l);
		return 1;
	}
	printf("echo over %s: %zu bytes: %.*s\n", pe_loop_backend_str(l), got_len, (int)got_len,
	       got);
	pe_loop_close(l);
	return result;
}

int main(int argc, char **argv)
{
	enum pe_backend backend = PE_BACKEND_URING;
	struct pe_frame_opts o;
	static struct pe_frame_tmpl t;
	uint32_t fcs;
	int err;

	if (argc != 2 || pe_backend_parse(argv[1], &backend)) {
		fprintf(stderr, "usage: consumer uring|epoll\n");
		return 2;
	}
	if (echo(backend))
		return 1;

	pe_frame_opts_default(&o);
	o.ip_id = 0x1234;
	o.df = false;
	o.payload.kind = PE_FRAME_PAYLOAD_FILL;
	o.payload.fill = 0xab;
	o.fcs = true;
	if ((err = pe_frame_build(&t, &o))) {
		fprintf(stderr, "consumer: pe_frame_build: %s\n", strerror(-err));
		return 1;
	}
	/* the FCS is the CRC32 of what it follows, least significant byte first */
	fcs = pe_crc32(0, t.buf, t.len - 4u);
	printf("frame %u bytes, fcs %08x (%s):", t.len, fcs, pe_crc32_impl_name());
	for (unsigned i = 0; i < t.len; i++)
		printf("%s%02x", i % 16 ? "" : "\n", t.buf[i]);
	printf("\n");
	return 0;
}
