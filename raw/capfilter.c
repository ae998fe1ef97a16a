/* SPDX-License-Identifier: BSD-2-Clause */
/* Capture filters behind capfilter.h: libpcap compiles, the kernel (or bpf_filter for files)
 * runs the program. */
#include "raw/capfilter.h"

#include <errno.h>
#include <linux/filter.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define PE_CAPFILTER_SNAPLEN 262144

_Static_assert(sizeof(struct bpf_insn) == sizeof(struct sock_filter), "bpf_insn layout");

int pe_capfilter_compile(const char *expr, struct pe_capfilter *f, char *err, size_t err_len)
{
	struct bpf_program prog;
	pcap_t *p;
	int rc = 0;

	memset(f, 0, sizeof(*f));
	p = pcap_open_dead(DLT_EN10MB, PE_CAPFILTER_SNAPLEN);
	if (!p)
		return -ENOMEM;
	if (pcap_compile(p, &prog, expr ? expr : "", 1, PCAP_NETMASK_UNKNOWN)) {
		if (err && err_len)
			snprintf(err, err_len, "%s", pcap_geterr(p));
		pcap_close(p);
		return -EINVAL;
	}
	pcap_close(p);
	f->insns = malloc(prog.bf_len * sizeof(struct bpf_insn));
	if (!f->insns)
		rc = -ENOMEM;
	else
		memcpy(f->insns, prog.bf_insns, prog.bf_len * sizeof(struct bpf_insn));
	f->len = f->insns ? prog.bf_len : 0;
	f->snaplen = PE_CAPFILTER_SNAPLEN;
	pcap_freecode(&prog);
	return rc;
}

char *pe_capfilter_join(int argc, char *const *argv)
{
	size_t n = 1;
	char *s, *p;

	for (int i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	s = malloc(n);
	if (!s)
		return NULL;
	p = s;
	*p = 0;
	for (int i = 0; i < argc; i++) {
		size_t len = strlen(argv[i]);

		if (i)
			*p++ = ' ';
		memcpy(p, argv[i], len);
		p += len;
		*p = 0;
	}
	return s;
}

int pe_capfilter_match(const struct pe_capfilter *f, const uint8_t *data, uint32_t cap_len,
		       uint32_t wire_len)
{
	return bpf_filter((const struct bpf_insn *)f->insns, data, wire_len, cap_len) != 0;
}

void pe_capfilter_dump(const struct pe_capfilter *f, FILE *out)
{
	struct bpf_insn *insn = f->insns;

	for (unsigned i = 0; i < f->len; i++)
		fprintf(out, "%s\n", bpf_image(&insn[i], (int)i));
}

int pe_capfilter_attach(const struct pe_capfilter *f, int fd)
{
	struct sock_fprog fp = { .len = (unsigned short)f->len, .filter = f->insns };

	if (!f->len || f->len > BPF_MAXINSNS)
		return -EINVAL;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)))
		return -errno;
	return 0;
}

void pe_capfilter_free(struct pe_capfilter *f)
{
	if (!f)
		return;
	free(f->insns);
	f->insns = NULL;
	f->len = 0;
}
