/* SPDX-License-Identifier: BSD-2-Clause */
/* multi.h without libxdp: the counter attaches alone (loader.c). */
#include <errno.h>

#include "ebpf/multi.h"

bool pe_xdp_multi_available(void)
{
	return false;
}

int pe_xdp_multi_query(int ifindex, struct pe_xdp_multi_info *out)
{
	(void)ifindex;
	(void)out;
	return -EOPNOTSUPP;
}

int pe_xdp_multi_attach(const struct pe_xdp_opts *opts, int ifindex, const char *ifname,
			enum pe_xdp_mode mode, char *why, size_t why_len)
{
	(void)opts;
	(void)ifindex;
	(void)ifname;
	(void)mode;
	(void)why;
	(void)why_len;
	return -EOPNOTSUPP;
}

int pe_xdp_multi_detach(const char *ifname)
{
	(void)ifname;
	return -ENOENT;
}
