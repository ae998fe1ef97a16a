/* SPDX-License-Identifier: BSD-2-Clause */
/* The libbpf side of the XDP counter: load through the skeleton, attach with a bpf_link (native
 * first, generic as the fallback), pin, read, and BPF_PROG_TEST_RUN. Pinned objects and queries
 * of other programs are in loader_pin.c. Built only with PKTENG_HAVE_XDP. */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ebpf/loader.h"
#include "ebpf/loader_int.h"
#include "xdp_count.skel.h"

struct pe_xdp {
	struct pe_xdp_count_bpf *skel;
	int link_fd;	  /* -1 until attached */
	int fallback_err; /* why native was refused when AUTO fell back to generic */
	bool pinned;
};

static bool debug;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!debug || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

bool pe_xdp_available(void)
{
	return true;
}

struct pe_xdp *pe_xdp_open(const struct pe_xdp_opts *opts)
{
	struct pe_xdp *x;
	int err;

	if (opts && opts->sz < sizeof(struct pe_xdp_opts)) {
		errno = EINVAL;
		return NULL;
	}
	debug = opts && opts->debug;
	libbpf_set_print(print_libbpf);
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->link_fd = -1;
	x->skel = pe_xdp_count_bpf__open();
	if (!x->skel) {
		err = errno;
		goto fail;
	}
	x->skel->rodata->pe_drop_mode = opts && opts->drop;
	err = -pe_xdp_count_bpf__load(x->skel);
	if (err)
		goto fail;
	return x;
fail:
	pe_xdp_count_bpf__destroy(x->skel);
	free(x);
	errno = err;
	return NULL;
}

void pe_xdp_close(struct pe_xdp *x)
{
	if (!x)
		return;
	if (x->link_fd >= 0)
		close(x->link_fd); /* the last reference detaches, unless a pin holds one */
	pe_xdp_count_bpf__destroy(x->skel);
	free(x);
}

static int link_xdp(struct pe_xdp *x, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = flags);
	int fd;

	fd = bpf_link_create(bpf_program__fd(x->skel->progs.pe_xdp_count), ifindex, BPF_XDP, &o);
	if (fd < 0)
		return fd;
	x->link_fd = fd;
	return 0;
}

int pe_xdp_attach(struct pe_xdp *x, int ifindex, enum pe_xdp_mode mode)
{
	struct pe_xdp_attached cur;
	int err;

	if (!x || mode < PE_XDP_MODE_AUTO || mode > PE_XDP_MODE_GENERIC)
		return -EINVAL;
	if (x->link_fd >= 0)
		return -EBUSY;
	if (ifindex <= 0)
		return -ENODEV;
	/* Ask first: the kernel's own answers (EBUSY, EEXIST) depend on the mode of the program
	 * that is there, and a native attempt would be misread as "native refused". */
	err = pe_xdp_query(ifindex, &cur);
	if (err < 0)
		return err;
	if (err > 0)
		return -EEXIST;
	x->fallback_err = 0;
	if (mode != PE_XDP_MODE_GENERIC) {
		err = link_xdp(x, ifindex, XDP_FLAGS_DRV_MODE);
		if (!err)
			return PE_XDP_MODE_NATIVE;
		if (mode == PE_XDP_MODE_NATIVE || err == -EPERM || err == -ENODEV)
			return err;
		x->fallback_err = err;
	}
	err = link_xdp(x, ifindex, XDP_FLAGS_SKB_MODE);
	return err ? err : PE_XDP_MODE_GENERIC;
}

int pe_xdp_fallback_err(const struct pe_xdp *x)
{
	return x ? x->fallback_err : 0;
}

int pe_xdp_pin(struct pe_xdp *x, const char *ifname)
{
	char dir[PE_XDP_PATH_MAX], link[PE_XDP_PATH_MAX], map[PE_XDP_PATH_MAX];
	int err;

	if (!x || x->link_fd < 0)
		return -EINVAL;
	err = pe_xdp_pin_paths(ifname, dir, link, map);
	if (err)
		return err;
	err = pe_xdp_pin_mkdir(dir);
	if (err)
		return err;
	if (!access(link, F_OK) || !access(map, F_OK))
		return -EEXIST;
	err = bpf_obj_pin(bpf_map__fd(x->skel->maps.pe_xdp_stats), map);
	if (err)
		return err;
	err = bpf_obj_pin(x->link_fd, link);
	if (err) {
		unlink(map);
		return err;
	}
	x->pinned = true;
	return 0;
}

int pe_xdp_read(struct pe_xdp *x, struct pe_xdp_stats *out)
{
	if (!x)
		return -EINVAL;
	return pe_xdp_read_fd(bpf_map__fd(x->skel->maps.pe_xdp_stats), out);
}

int pe_xdp_reset(struct pe_xdp *x)
{
	struct pe_xdp_stats *zero;
	int ncpu, err;
	__u32 key = 0;

	if (!x)
		return -EINVAL;
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	err = bpf_map_update_elem(bpf_map__fd(x->skel->maps.pe_xdp_stats), &key, zero, BPF_ANY);
	free(zero);
	return err;
}

int pe_xdp_test_run(struct pe_xdp *x, const void *frame, size_t len, uint32_t repeat,
		    uint32_t *verdict, uint32_t *duration_ns)
{
	int err;

	/* The kernel refuses less than an Ethernet header (and so does every NIC). */
	if (!x || !frame || len < ETH_HLEN || len > 4096 || !repeat)
		return -EINVAL;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (__u32)len,
		    .repeat = repeat);
	err = bpf_prog_test_run_opts(bpf_program__fd(x->skel->progs.pe_xdp_count), &o);
	if (err)
		return err;
	if (verdict)
		*verdict = o.retval;
	if (duration_ns)
		*duration_ns = o.duration;
	return 0;
}
