/* SPDX-License-Identifier: BSD-2-Clause */
/* file: the client sends one file (--file) with pe_conn_send_file (sendfile on epoll, splice
 * on io_uring) after announcing its length and SHA-256 in "hello"; the server hashes what
 * arrives and fails the test on a short transfer or a different digest. */
#include "workload/work.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct xfer {
	struct pe_conn *c;
	int fd;
	uint64_t size;
	EVP_MD_CTX *md;
	bool eof;
	bool cut; /* server: the transfer ended without its EOF (a reset, a close) */
};

static void hex(const unsigned char *d, unsigned n, char out[65])
{
	unsigned i;

	for (i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

int pe_sha256_file(const char *path, char out_hex[65], uint64_t *size)
{
	unsigned char d[EVP_MAX_MD_SIZE], buf[1 << 16];
	unsigned dn = 0;
	EVP_MD_CTX *md;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		close(fd);
		EVP_MD_CTX_free(md);
		return -ENOMEM;
	}
	*size = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(md, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	if (n < 0)
		err = -errno;
	EVP_DigestFinal_ex(md, d, &dn);
	hex(d, dn, out_hex);
	EVP_MD_CTX_free(md);
	close(fd);
	return err;
}

static struct xfer *xs(struct pe_work *w)
{
	return w->mode;
}

static void c_on_open(struct pe_conn *c)
{
	struct pe_work *w = pe_conn_data(c);

	pe_work_conn_hello(w, c, 0);
	w->conns_ready++;
}

static void sent(struct pe_conn *c, void *arg, int err)
{
	struct pe_work *w = arg;

	if (err == -ENODATA) {
		/* the engine resets the connection; "end" tells the server why (peer_end) */
		pe_work_fail(w, "the file shrank during the send: sent %llu of %llu bytes",
			     (unsigned long long)(pe_conn_stats(c)->bytes_out - PE_DATA_HDR),
			     (unsigned long long)xs(w)->size);
		return;
	}
	if (err == -ECANCELED && w->stopping)
		return; /* file_stop cut the transfer short */
	if (err) {
		pe_work_fail(w, "sending the file: %s", strerror(-err));
		return;
	}
	pe_conn_shutdown(c);
}

static void on_eof(struct pe_conn *c)
{
	struct pe_work *w = pe_conn_data(c);

	if (!w || (xs(w) && xs(w)->c != c)) {
		pe_conn_shutdown(c);
		return;
	}
	pe_work_tcp_info(w, c);
	if (!w->is_client && xs(w)) {
		unsigned char d[EVP_MAX_MD_SIZE];
		unsigned dn = 0;

		xs(w)->eof = true;
		EVP_DigestFinal_ex(xs(w)->md, d, &dn);
		hex(d, dn, w->fig.sha256);
		w->fig.file_bytes = w->cnt.bytes_rx;
		if (w->cnt.bytes_rx != w->p.file_bytes)
			pe_work_fail(w, "transfer incomplete: received %llu of %llu bytes",
				     (unsigned long long)w->cnt.bytes_rx,
				     (unsigned long long)w->p.file_bytes);
		else if (strcmp(w->fig.sha256, w->p.file_sha256))
			pe_work_fail(w, "sha256 %s differs from the sender's %s", w->fig.sha256,
				     w->p.file_sha256);
	}
	pe_conn_shutdown(c);
}

static void on_close(struct pe_conn *c, int err)
{
	struct pe_work *w = pe_conn_data(c);

	if (!w || (xs(w) && xs(w)->c != c && xs(w)->c))
		return;
	if (xs(w)) {
		xs(w)->c = NULL;
		xs(w)->cut = !w->is_client && !xs(w)->eof;
	}
	if (!w->failed && err && err != -ECANCELED)
		pe_work_fail(w, "transfer interrupted: %s", strerror(-err));
	else if (!w->failed && !w->is_client && (!xs(w) || !xs(w)->eof))
		pe_work_fail(w, "transfer interrupted after %llu bytes",
			     (unsigned long long)w->cnt.bytes_rx);
	if (w->is_client && !w->failed)
		w->cnt.bytes_tx = pe_conn_stats(c)->bytes_out - PE_DATA_HDR;
	w->conns_closed++;
	pe_work_finish(w);
}

static const struct pe_conn_cbs client_cbs = {
	.on_open = c_on_open,
	.on_eof = on_eof,
	.on_close = on_close,
};

static int client_open(struct pe_work *w)
{
	struct pe_conn_opts o;
	struct pe_addr local;
	struct xfer *x = calloc(1, sizeof(*x));
	struct stat st;
	int err;

	if (!x)
		return -ENOMEM;
	w->mode = x;
	x->fd = open(w->file_path ? w->file_path : "", O_RDONLY | O_CLOEXEC);
	if (x->fd < 0)
		return -errno;
	if (fstat(x->fd, &st))
		return -errno;
	x->size = (uint64_t)st.st_size;
	pe_work_conn_opts(w, 0, &o, &local);
	o.cbs = &client_cbs;
	o.data = w;
	err = pe_connect(w->loop, &w->data_addr, &o, &x->c);
	return err ? err : pe_work_conn_cc(w, x->c);
}

static void go(struct pe_work *w)
{
	struct xfer *x = xs(w);
	int64_t stop_at = pe_test_hook("PKTENG_TEST_FILE_STOP_AT");
	uint64_t len = x->size;
	int err;

	if (!w->is_client || !x->c)
		return;
	if (stop_at >= 0 && (uint64_t)stop_at < len)
		len = (uint64_t)stop_at; /* test hook: an interrupted transfer */
	if (!len) {
		pe_conn_shutdown(x->c);
		return;
	}
	err = pe_conn_send_file(x->c, x->fd, 0, len, sent, w);
	if (err)
		pe_work_fail(w, "sending the file: %s", strerror(-err));
	w->cnt.msgs_tx = 1;
}

/* server: one transfer on one connection; a second data connection is a protocol error */
static void s_on_open(struct pe_conn *c)
{
	struct pe_work *w = pe_conn_data(c);
	struct xfer *x;

	if (xs(w)) {
		/* not the transfer's: its bytes, EOF and close must not touch the transfer */
		pe_conn_set_data(c, NULL);
		pe_conn_close(c, -EPROTO, true);
		pe_work_fail(w, "a second data connection: file mode takes one");
		return;
	}
	x = calloc(1, sizeof(*x));

	if (!x || !(x->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(x->md, EVP_sha256(), NULL)) {
		if (x)
			EVP_MD_CTX_free(x->md);
		free(x);
		pe_conn_close(c, -ENOMEM, true);
		return;
	}
	x->fd = -1;
	x->c = c;
	w->mode = x;
}

static void s_on_data(struct pe_conn *c, const void *data, size_t len)
{
	struct pe_work *w = pe_conn_data(c);

	if (!w || !xs(w) || xs(w)->c != c)
		return;
	w->cnt.bytes_rx += len;
	EVP_DigestUpdate(xs(w)->md, data, len);
}

static const struct pe_conn_cbs server_cbs = {
	.on_open = s_on_open,
	.on_data = s_on_data,
	.on_eof = on_eof,
	.on_close = on_close,
};

static void file_free(struct pe_work *w)
{
	struct xfer *x = xs(w);

	if (!x)
		return;
	if (x->fd >= 0)
		close(x->fd);
	EVP_MD_CTX_free(x->md);
	free(x);
	w->mode = NULL;
}

/* server: the client's "end". When the client failed (its file shrank, a read error) the
 * transfer cannot complete: the run ends now, with the client's reason rather than the reset
 * it caused here, so both sides say the same. */
static void peer_end(struct pe_work *w, const struct pe_figures *peer)
{
	struct xfer *x = xs(w);

	if (!peer->ok && peer->error[0] && (!w->failed || (x && x->cut))) {
		snprintf(w->error, sizeof(w->error), "%.*s", (int)sizeof(w->error) - 1,
			 peer->error);
		w->failed = true;
		w->stopping = true;
		pe_work_finish(w);
		return;
	}
	if (!w->finished && !w->going)
		pe_work_finish(w);
}

/* Client, stopped early (Ctrl-C): the rest of the file is not sent and the connection closes,
 * so the server hashes what came and reports the transfer incomplete. */
static void file_stop(struct pe_work *w)
{
	struct xfer *x = xs(w);

	if (w->is_client && x && x->c)
		pe_conn_close(x->c, 0, false);
	else
		pe_work_finish(w);
}

static const struct pe_work_ops file_ops = {
	.client_open = client_open,
	.go = go,
	.peer_end = peer_end,
	.stop = file_stop,
	.server_cbs = &server_cbs,
	.free = file_free,
};

static void file_text(FILE *out, const struct pe_params *p, const struct pe_figures *f)
{
	if (f->sha256[0])
		fprintf(out, "        file: %llu bytes sha256 %s\n",
			(unsigned long long)f->file_bytes, f->sha256);
}

const struct pe_mode_desc pe_mode_file = {
	.name = "file",
	.summary = "send a file (--file PATH); its length and SHA-256 are checked",
	.params = PE_PBIT(FILE_BYTES) | PE_PBIT(FILE_SHA256) | PE_PBIT(CONGESTION),
	.limits = { { PE_P_LEN, 1, 64 << 20, 128 * 1024 },
		    { PE_P_CONNS, 1, 1, 1 },
		    { PE_P_DURATION, 0, 86400, 0 } },
	.tcp_conns = true,
	.until_done = true,
	.file_arg = true,
	.loop_opts = pe_work_bulk_loop_opts,
	.text = file_text,
	.ops = &file_ops,
};
