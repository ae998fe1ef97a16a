/* SPDX-License-Identifier: BSD-2-Clause */
/* multi.h through libxdp: the counter's skeleton object handed to libxdp, which loads it as a
 * component of its dispatcher (or starts one) and pins both under /sys/fs/bpf/xdp/. pkteng pins
 * the counters and the component program under PE_XDP_PIN_ROOT/IF/ to find them again. */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "ebpf/loader_int.h"
#include "ebpf/multi.h"
#include "xdp_count.skel.h"

static bool debug;
static char why_msg[256]; /* libxdp's last word on its dispatcher */

static int print_libxdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	char line[256];
	va_list copy;

	va_copy(copy, ap);
	vsnprintf(line, sizeof(line), fmt, copy);
	va_end(copy);
	line[strcspn(line, "\n")] = 0;
	/* keep the reason the dispatcher could not be used, not what came after it */
	if (strstr(line, "ispatcher") && !why_msg[0] &&
	    (strstr(line, "failed") || strstr(line, "Can't")))
		snprintf(why_msg, sizeof(why_msg), "%s",
			 strncmp(line, "libxdp: ", 8) ? line : line + 8);
	if (debug && level != LIBXDP_DEBUG)
		fprintf(stderr, "libxdp: %s\n", line);
	return 0;
}

/* libbpf speaks for libxdp's own loads (the dispatcher, its compatibility check). */
static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!debug || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void quiet(void)
{
	libxdp_set_print(print_libxdp);
	libbpf_set_print(print_libbpf);
}

bool pe_xdp_multi_available(void)
{
	return true;
}

static const char *mode_str(enum xdp_attach_mode m)
{
	switch (m) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "generic";
	case XDP_MODE_HW:
		return "offload";
	default:
		return "";
	}
}

static void fill_prog(struct pe_xdp_multi_prog *p, const struct xdp_program *x)
{
	p->id = xdp_program__id(x);
	snprintf(p->name, sizeof(p->name), "%s", xdp_program__name(x) ? xdp_program__name(x) : "");
	p->prio = xdp_program__run_prio(x);
}

int pe_xdp_multi_query(int ifindex, struct pe_xdp_multi_info *out)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	long err;

	memset(out, 0, sizeof(*out));
	out->mode = "";
	quiet();
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err == -ENOENT || (!err && !mp))
		return 0;
	if (err)
		return (int)err;
	out->mode = mode_str(xdp_multiprog__attach_mode(mp));
	out->dispatcher = !xdp_multiprog__is_legacy(mp);
	p = xdp_multiprog__main_prog(mp);
	if (p)
		out->main_id = xdp_program__id(p);
	if (!out->dispatcher) {
		if (p)
			fill_prog(&out->progs[out->n++], p);
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p && out->n < 10;
		     p = xdp_multiprog__next_prog(p, mp))
			fill_prog(&out->progs[out->n++], p);
	}
	xdp_multiprog__close(mp);
	return 0;
}

static void prog_pin_path(const char *ifname, char *out)
{
	snprintf(out, PE_XDP_PATH_MAX, PE_XDP_PIN_ROOT "/%.15s/prog", ifname);
}

/* Pins the counters and the component program; 0 or -errno (nothing pinned then). */
static int pin(struct pe_xdp_count_bpf *skel, struct xdp_program *prog, const char *ifname)
{
	char dir[PE_XDP_PATH_MAX], link[PE_XDP_PATH_MAX], map[PE_XDP_PATH_MAX],
		ppin[PE_XDP_PATH_MAX];
	int err;

	err = pe_xdp_pin_paths(ifname, dir, link, map);
	if (err)
		return err;
	err = pe_xdp_pin_mkdir(dir);
	if (err)
		return err;
	prog_pin_path(ifname, ppin);
	if (!access(link, F_OK) || !access(map, F_OK) || !access(ppin, F_OK))
		return -EEXIST;
	err = bpf_obj_pin(bpf_map__fd(skel->maps.pe_xdp_stats), map);
	if (err)
		return err;
	err = bpf_obj_pin(xdp_program__fd(prog), ppin);
	if (err)
		unlink(map);
	return err;
}

int pe_xdp_multi_attach(const struct pe_xdp_opts *opts, int ifindex, const char *ifname,
			enum pe_xdp_mode mode, char *why, size_t why_len)
{
	struct pe_xdp_multi_info cur;
	struct pe_xdp_count_bpf *skel;
	struct xdp_program *prog;
	enum xdp_attach_mode xm;
	int err, used;

	debug = opts && opts->debug;
	why_msg[0] = 0;
	quiet();
	err = pe_xdp_multi_query(ifindex, &cur);
	if (err)
		return err;
	if (cur.main_id && !cur.dispatcher)
		return -EEXIST;
	skel = pe_xdp_count_bpf__open();
	if (!skel)
		return -errno;
	skel->rodata->pe_drop_mode = opts && opts->drop;
	prog = xdp_program__from_bpf_obj(skel->obj, "xdp");
	err = (int)libxdp_get_error(prog);
	if (err)
		goto out_skel;
	if (cur.main_id) /* join the dispatcher in its mode */
		xm = !strcmp(cur.mode, "generic") ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	else
		xm = mode == PE_XDP_MODE_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	err = xdp_program__attach(prog, ifindex, xm, 0);
	if (err && mode == PE_XDP_MODE_AUTO && !cur.main_id && xm == XDP_MODE_NATIVE &&
	    err != -EPERM && err != -EEXIST && err != -EBUSY) {
		xm = XDP_MODE_SKB;
		err = xdp_program__attach(prog, ifindex, xm, 0);
	}
	if (err)
		goto out_prog;
	used = xm == XDP_MODE_SKB ? PE_XDP_MODE_GENERIC : PE_XDP_MODE_NATIVE;
	err = pe_xdp_multi_query(ifindex, &cur);
	if (!err && !cur.dispatcher) {
		/* libxdp fell back to a lone program: not what was asked; take it off again */
		xdp_program__detach(prog, ifindex, xm, 0);
		if (why)
			snprintf(why, why_len, "%s",
				 why_msg[0] ? why_msg : "libxdp did not start its dispatcher");
		err = -ENOTSUP;
		goto out_prog;
	}
	err = pin(skel, prog, ifname);
	if (err) {
		xdp_program__detach(prog, ifindex, xm, 0);
		goto out_prog;
	}
	err = used;
out_prog:
	xdp_program__close(prog);
out_skel:
	pe_xdp_count_bpf__destroy(skel);
	return err;
}

int pe_xdp_multi_detach(const char *ifname)
{
	char dir[PE_XDP_PATH_MAX], link[PE_XDP_PATH_MAX], map[PE_XDP_PATH_MAX],
		ppin[PE_XDP_PATH_MAX];
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int err, fd, ifindex, n = 0;

	err = pe_xdp_pin_paths(ifname, dir, link, map);
	if (err)
		return err;
	prog_pin_path(ifname, ppin);
	quiet();
	fd = bpf_obj_get(ppin);
	if (fd < 0)
		return fd == -ENOENT || errno == ENOENT ? -ENOENT : -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	ifindex = (int)if_nametoindex(ifname);
	if (!err && ifindex > 0) {
		mp = xdp_multiprog__get_from_ifindex(ifindex);
		if (!libxdp_get_error(mp) && mp) {
			for (p = xdp_multiprog__next_prog(NULL, mp); p;
			     p = xdp_multiprog__next_prog(p, mp)) {
				if (xdp_program__id(p) != info.id)
					continue;
				if (!xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp),
							 0))
					n = 1;
				break;
			}
			xdp_multiprog__close(mp);
		}
	}
	unlink(ppin);
	unlink(map);
	rmdir(dir);
	rmdir(PE_XDP_PIN_ROOT);
	return n;
}
