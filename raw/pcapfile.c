/* SPDX-License-Identifier: BSD-2-Clause */
/* pcap files through libpcap. The writer never leaves a partial file behind (temporary name,
 * rename on commit) and can mark a trailing FCS in the header's link-type field, which
 * libpcap has no public call for: the field is patched after libpcap wrote the header. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "raw/pcapfile.h"

/* Link-type FCS bits (pcap-linktype(7), Wireshark wiretap): bit 26 "FCS length present",
 * bits 28..31 the FCS length in 16-bit words. */
#define LT_FCS_PRESENT	      0x04000000u
#define LT_FCS_WORDS(lt)      (((lt) >> 28) & 0xf)
#define PCAP_HDR_LINKTYPE_OFF 20

struct pe_pcap_writer {
	pcap_t *pcap;
	pcap_dumper_t *dump;
	FILE *f;
	bool nanosec, fcs;
	bool to_stdout; /* "-": a stream written here record by record, no rename */
	uint32_t snaplen;
	int err; /* first error seen by pe_pcap_write */
	char *path, *tmp;
};

static void writer_free(struct pe_pcap_writer *w)
{
	if (w->dump)
		pcap_dump_close(w->dump); /* closes w->f */
	else if (w->f)
		fclose(w->f);
	if (w->pcap)
		pcap_close(w->pcap);
	free(w->path);
	free(w->tmp);
	free(w);
}

/* "-": standard output, which may be a pipe (tshark -r -), so the header is written here with
 * its link type (and FCS bits) final, and each record follows it. */
static struct pe_pcap_writer *stdout_create(struct pe_pcap_writer *w, const struct pe_pcap_opts *o)
{
	uint32_t hdr[6];
	int fd = dup(1), err;

	w->to_stdout = true;
	w->snaplen = o->snaplen ? o->snaplen : 262144;
	w->f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!w->f) {
		err = errno;
		if (fd >= 0)
			close(fd);
		writer_free(w);
		errno = err;
		return NULL;
	}
	hdr[0] = o->nanosec ? 0xa1b23c4du : 0xa1b2c3d4u;
	hdr[1] = 2u | 4u << 16; /* version 2.4: major, then minor, as two 16-bit fields */
	hdr[2] = 0;
	hdr[3] = 0;
	hdr[4] = w->snaplen;
	hdr[5] = (uint32_t)(o->linktype ? o->linktype : DLT_EN10MB);
	if (o->fcs)
		hdr[5] = (hdr[5] & 0xffff) | LT_FCS_PRESENT | 2u << 28;
	if (fwrite(hdr, sizeof(hdr), 1, w->f) != 1) {
		writer_free(w);
		errno = EIO;
		return NULL;
	}
	return w;
}

struct pe_pcap_writer *pe_pcap_create(const char *path, const struct pe_pcap_opts *opts)
{
	struct pe_pcap_opts o = { 0 };
	struct pe_pcap_writer *w;
	int fd, err;

	if (!path || !*path || (opts && opts->sz < offsetof(struct pe_pcap_opts, fcs) + 1)) {
		errno = EINVAL;
		return NULL;
	}
	if (opts)
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->nanosec = o.nanosec;
	w->fcs = o.fcs;
	if (!strcmp(path, "-"))
		return stdout_create(w, &o);
	w->path = strdup(path);
	if (!w->path || asprintf(&w->tmp, "%s.tmp.XXXXXX", path) < 0) {
		w->tmp = NULL;
		err = ENOMEM;
		goto fail;
	}
	fd = mkstemp(w->tmp);
	if (fd < 0) {
		err = errno;
		free(w->tmp);
		w->tmp = NULL;
		goto fail;
	}
	w->f = fdopen(fd, "wb");
	if (!w->f) {
		err = errno;
		close(fd);
		goto fail_unlink;
	}
	w->pcap = pcap_open_dead_with_tstamp_precision(
		o.linktype ? o.linktype : DLT_EN10MB, o.snaplen ? (int)o.snaplen : 262144,
		o.nanosec ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
	if (!w->pcap) {
		err = ENOMEM;
		goto fail_unlink;
	}
	w->dump = pcap_dump_fopen(w->pcap, w->f);
	if (!w->dump) {
		err = EIO;
		goto fail_unlink;
	}
	return w;
fail_unlink:
	unlink(w->tmp);
fail:
	writer_free(w);
	errno = err;
	return NULL;
}

int pe_pcap_write(struct pe_pcap_writer *w, const void *frame, size_t len, uint64_t t_ns)
{
	struct pcap_pkthdr h;

	if (!w || (!frame && len) || len > UINT32_MAX)
		return -EINVAL;
	if (!t_ns) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		t_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	h.ts.tv_sec = (time_t)(t_ns / 1000000000ull);
	/* libpcap reads tv_usec as nanoseconds when the handle has nanosecond precision */
	h.ts.tv_usec =
		(suseconds_t)(w->nanosec ? t_ns % 1000000000ull : t_ns % 1000000000ull / 1000);
	h.caplen = h.len = (bpf_u_int32)len;
	if (w->to_stdout) {
		uint32_t rec[4] = { (uint32_t)h.ts.tv_sec, (uint32_t)h.ts.tv_usec,
				    len > w->snaplen ? w->snaplen : (uint32_t)len, (uint32_t)len };

		if (fwrite(rec, sizeof(rec), 1, w->f) != 1 ||
		    fwrite(frame, 1, rec[2], w->f) != rec[2]) {
			w->err = w->err ? w->err : errno ? errno : EIO;
			return -w->err;
		}
		return 0;
	}
	if (h.caplen > (bpf_u_int32)pcap_snapshot(w->pcap))
		h.caplen = (bpf_u_int32)pcap_snapshot(w->pcap);
	pcap_dump((u_char *)w->dump, &h, frame);
	if (ferror(w->f)) {
		w->err = w->err ? w->err : EIO;
		return -EIO;
	}
	return 0;
}

int pe_pcap_commit(struct pe_pcap_writer *w)
{
	int err = 0;

	if (!w)
		return -EINVAL;
	if (w->to_stdout) {
		err = w->err;
		if (fclose(w->f) && !err)
			err = errno ? errno : EIO;
		w->f = NULL;
		writer_free(w);
		return -err;
	}
	if (w->err)
		err = w->err;
	else if (pcap_dump_flush(w->dump) < 0 || ferror(w->f))
		err = EIO;
	if (!err && w->fcs) {
		uint32_t lt = 0;

		/* libpcap wrote the header in host byte order; so do we */
		if (pread(fileno(w->f), &lt, 4, PCAP_HDR_LINKTYPE_OFF) != 4)
			err = EIO;
		lt = (lt & 0xffff) | LT_FCS_PRESENT | 2u << 28;
		errno = 0;
		if (!err && pwrite(fileno(w->f), &lt, 4, PCAP_HDR_LINKTYPE_OFF) != 4)
			err = errno ? errno : EIO;
	}
	if (!err && fsync(fileno(w->f)) < 0 && errno != EINVAL)
		err = errno;
	pcap_dump_close(w->dump);
	w->dump = NULL;
	w->f = NULL;
	if (!err && rename(w->tmp, w->path) < 0)
		err = errno;
	if (err)
		unlink(w->tmp);
	writer_free(w);
	return -err;
}

void pe_pcap_abort(struct pe_pcap_writer *w)
{
	if (!w)
		return;
	if (w->to_stdout) { /* what went out is out: a reader sees the records so far */
		writer_free(w);
		return;
	}
	if (w->dump) {
		pcap_dump_close(w->dump);
		w->dump = NULL;
		w->f = NULL;
	}
	unlink(w->tmp);
	writer_free(w);
}

struct pe_pcap_reader {
	pcap_t *pcap;
	int fcs_len;
	bool nanosec;
};

struct pe_pcap_reader *pe_pcap_open(const char *path)
{
	FILE *f;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	f = strcmp(path, "-") ? fopen(path, "rb") : fdopen(dup(0), "rb"); /* -: stdin */
	if (!f)
		return NULL;
	return pe_pcap_fopen(f);
}

struct pe_pcap_reader *pe_pcap_fopen(FILE *f)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pe_pcap_reader *r;
	uint32_t hdr[6];
	int err;

	if (!f) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		fclose(f);
		return NULL;
	}
	/* the FCS bits are not exposed by libpcap: read them from the classic pcap header */
	if (fread(hdr, sizeof(hdr), 1, f) == 1) {
		uint32_t lt = hdr[5];

		if (hdr[0] == 0xd4c3b2a1u || hdr[0] == 0x4d3cb2a1u)
			lt = __builtin_bswap32(lt);
		if ((hdr[0] == 0xa1b2c3d4u || hdr[0] == 0xa1b23c4du || hdr[0] == 0xd4c3b2a1u ||
		     hdr[0] == 0x4d3cb2a1u) &&
		    (lt & LT_FCS_PRESENT))
			r->fcs_len = (int)LT_FCS_WORDS(lt) * 2;
	}
	rewind(f);
	r->pcap = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!r->pcap) {
		err = EBADMSG;
		fclose(f);
		free(r);
		errno = err;
		return NULL;
	}
	return r;
}

int pe_pcap_next(struct pe_pcap_reader *r, const uint8_t **data, size_t *cap_len, size_t *wire_len,
		 uint64_t *t_ns)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int res;

	if (!r)
		return -EINVAL;
	res = pcap_next_ex(r->pcap, &h, &d);
	if (res == PCAP_ERROR_BREAK)
		return 0;
	if (res != 1)
		return -EBADMSG;
	if (data)
		*data = d;
	if (cap_len)
		*cap_len = h->caplen;
	if (wire_len)
		*wire_len = h->len;
	if (t_ns)
		*t_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
	return 1;
}

int pe_pcap_linktype(const struct pe_pcap_reader *r)
{
	return pcap_datalink(r->pcap);
}

int pe_pcap_fcs_len(const struct pe_pcap_reader *r)
{
	return r->fcs_len;
}

void pe_pcap_close(struct pe_pcap_reader *r)
{
	if (!r)
		return;
	pcap_close(r->pcap);
	free(r);
}
