/* SPDX-License-Identifier: BSD-2-Clause */
/* The loader in a build without the XDP counter (PKTENG_XDP=OFF, or AUTO without clang, bpftool
 * or libbpf): every call says -EOPNOTSUPP, so callers need no #ifdef. */
#include <errno.h>

#include "ebpf/loader.h"
#include "ebpf/xmit.h"

bool pe_xdp_available(void)
{
	return false;
}

struct pe_xdp *pe_xdp_open(const struct pe_xdp_opts *opts)
{
	errno = EOPNOTSUPP;
	return NULL;
}

void pe_xdp_close(struct pe_xdp *x)
{
}

int pe_xdp_attach(struct pe_xdp *x, int ifindex, enum pe_xdp_mode mode)
{
	return -EOPNOTSUPP;
}

int pe_xdp_fallback_err(const struct pe_xdp *x)
{
	return 0;
}

int pe_xdp_pin(struct pe_xdp *x, const char *ifname)
{
	return -EOPNOTSUPP;
}

int pe_xdp_read(struct pe_xdp *x, struct pe_xdp_stats *out)
{
	return -EOPNOTSUPP;
}

int pe_xdp_reset(struct pe_xdp *x)
{
	return -EOPNOTSUPP;
}

int pe_xdp_test_run(struct pe_xdp *x, const void *frame, size_t len, uint32_t repeat,
		    uint32_t *verdict, uint32_t *duration_ns)
{
	return -EOPNOTSUPP;
}

int pe_xdp_open_pinned(const char *ifname)
{
	return -EOPNOTSUPP;
}

int pe_xdp_read_fd(int map_fd, struct pe_xdp_stats *out)
{
	return -EOPNOTSUPP;
}

int pe_xdp_detach(const char *ifname, bool force)
{
	return -EOPNOTSUPP;
}

int pe_xdp_query(int ifindex, struct pe_xdp_attached *out)
{
	return -EOPNOTSUPP;
}

struct pe_xdp_tx *pe_xdp_tx_open(const struct pe_xdp_tx_opts *opts)
{
	errno = EOPNOTSUPP;
	return NULL;
}

void pe_xdp_tx_close(struct pe_xdp_tx *x)
{
}

long pe_xdp_tx_run(struct pe_xdp_tx *x, uint32_t n)
{
	return -EOPNOTSUPP;
}

int pe_xdp_tx_peek(struct pe_xdp_tx *x, uint64_t seq, uint8_t *out, uint32_t len)
{
	return -EOPNOTSUPP;
}

uint64_t pe_xdp_tx_count(const struct pe_xdp_tx *x)
{
	return 0;
}
