/* SPDX-License-Identifier: BSD-2-Clause */
/* The XDP counter's objects seen from another process: the pins under /sys/fs/bpf/pkteng/IF/,
 * reading pinned counters, what is attached to an interface, and removing programs (ours through
 * the pinned link; with force, anything: every XDP link on the interface and netlink-attached
 * programs in every mode). Built only with PKTENG_HAVE_XDP. */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ebpf/loader.h"
#include "ebpf/loader_int.h"

#define PE_BPFFS "/sys/fs/bpf"

int pe_xdp_pin_paths(const char *ifname, char *dir, char *link, char *map)
{
	size_t n = ifname ? strlen(ifname) : 0;

	if (!n || n >= IFNAMSIZ || strchr(ifname, '/') || !strcmp(ifname, ".") ||
	    !strcmp(ifname, ".."))
		return -EINVAL;
	snprintf(dir, PE_XDP_PATH_MAX, PE_XDP_PIN_ROOT "/%s", ifname);
	snprintf(link, PE_XDP_PATH_MAX, PE_XDP_PIN_ROOT "/%s/link", ifname);
	snprintf(map, PE_XDP_PATH_MAX, PE_XDP_PIN_ROOT "/%s/stats", ifname);
	return 0;
}

/* Whether this process is in another mount namespace than one of its ancestors, as under
 * `ip netns exec` (which also mounts a fresh /sys for the one command) or `unshare -m`. The
 * walk stops at an ancestor whose namespace cannot be read (pid 1 often cannot). */
static bool private_mount_ns(void)
{
	char self[64] = "", path[64], buf[256];
	int pid = getppid(), depth;

	if (readlink("/proc/self/ns/mnt", self, sizeof(self) - 1) < 0)
		return false;
	for (depth = 0; pid > 1 && depth < 64; depth++) {
		char ns[64] = "", *p;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
		if (readlink(path, ns, sizeof(ns) - 1) < 0)
			return false;
		if (strcmp(ns, self))
			return true;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			return false;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		/* "pid (comm) state ppid ...": comm may hold spaces and parens, so the last ')' */
		p = p ? strrchr(buf, ')') : NULL;
		if (!p || sscanf(p + 1, " %*c %d", &pid) != 1)
			return false;
	}
	return false;
}

/* As bpftool does: a bpffs on /sys/fs/bpf when there is none. Not in a private mount
 * namespace: pins in a bpffs mounted there would vanish with it, detaching the program as
 * soon as this process exits. */
static int bpffs_mount(void)
{
	struct statfs st;

	if (!statfs(PE_BPFFS, &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (private_mount_ns())
		return -EXDEV;
	if (mkdir(PE_BPFFS, 0700) && errno != EEXIST)
		return -errno;
	if (mount("bpf", PE_BPFFS, "bpf", 0, "mode=0700"))
		return -errno;
	return 0;
}

int pe_xdp_pin_mkdir(const char *dir)
{
	int err = bpffs_mount();

	if (err)
		return err;
	if (mkdir(PE_XDP_PIN_ROOT, 0700) && errno != EEXIST)
		return -errno;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int pe_xdp_open_pinned(const char *ifname)
{
	char dir[PE_XDP_PATH_MAX], link[PE_XDP_PATH_MAX], map[PE_XDP_PATH_MAX];
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int fd, err;

	err = pe_xdp_pin_paths(ifname, dir, link, map);
	if (err)
		return err;
	fd = bpf_obj_get(map);
	if (fd < 0)
		return fd;
	/* Something else pinned under our name would be misread: check the shape. */
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (!err && (info.type != BPF_MAP_TYPE_PERCPU_ARRAY ||
		     info.value_size != sizeof(struct pe_xdp_stats) || info.max_entries != 1))
		err = -EPROTO;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int pe_xdp_read_fd(int map_fd, struct pe_xdp_stats *out)
{
	struct pe_xdp_stats *percpu;
	int ncpu, err, i;
	__u32 key = 0;

	if (map_fd < 0 || !out)
		return -EINVAL;
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	err = bpf_map_lookup_elem(map_fd, &key, percpu);
	if (!err) {
		memset(out, 0, sizeof(*out));
		for (i = 0; i < ncpu; i++)
			pe_xdp_stats_add(out, &percpu[i]);
	}
	free(percpu);
	return err;
}

/* Calls fn(link_fd) for every XDP bpf_link on ifindex that has prog_id (any program when 0);
 * returns for how many fn succeeded. The ifindex may be another namespace's: pass a prog_id. */
static int for_each_xdp_link(int ifindex, __u32 prog_id, int (*fn)(int fd))
{
	__u32 id = 0;
	int n = 0, err;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue; /* gone since get_next_id */
		err = bpf_obj_get_info_by_fd(fd, &info, &len);
		if (!err && info.type == BPF_LINK_TYPE_XDP && (int)info.xdp.ifindex == ifindex &&
		    (!prog_id || info.prog_id == prog_id)) {
			err = fn ? fn(fd) : 0;
			if (!err)
				n++;
		}
		close(fd);
	}
	return n;
}

int pe_xdp_query(int ifindex, struct pe_xdp_attached *out)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info), id;
	int err, fd;

	if (ifindex <= 0 || !out)
		return -EINVAL;
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	switch (q.attach_mode) {
	case XDP_ATTACHED_NONE:
		return 0;
	case XDP_ATTACHED_DRV:
		out->mode = "native";
		break;
	case XDP_ATTACHED_SKB:
		out->mode = "generic";
		break;
	case XDP_ATTACHED_HW:
		out->mode = "offload";
		break;
	default:
		out->mode = "multi";
		break;
	}
	id = q.prog_id	     ? q.prog_id
	     : q.drv_prog_id ? q.drv_prog_id
	     : q.skb_prog_id ? q.skb_prog_id
			     : q.hw_prog_id;
	out->prog_id = id;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0) {
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			snprintf(out->name, sizeof(out->name), "%s", info.name);
		close(fd);
	}
	out->link = for_each_xdp_link(ifindex, id, NULL) > 0;
	return 1;
}

static int detach_link(int fd)
{
	return bpf_link_detach(fd);
}

int pe_xdp_detach(const char *ifname, bool force)
{
	static const __u32 modes[] = { XDP_FLAGS_SKB_MODE, XDP_FLAGS_DRV_MODE, XDP_FLAGS_HW_MODE };
	char dir[PE_XDP_PATH_MAX], link[PE_XDP_PATH_MAX], map[PE_XDP_PATH_MAX];
	struct pe_xdp_attached cur;
	int n = 0, err, fd, ifindex, round;
	size_t i;

	err = pe_xdp_pin_paths(ifname, dir, link, map);
	if (err)
		return err;
	ifindex = (int)if_nametoindex(ifname); /* 0 when the interface is gone: pins only */
	fd = bpf_obj_get(link);
	if (fd >= 0) {
		/* Detach explicitly: another process may hold the link open. */
		if (!bpf_link_detach(fd))
			n++;
		close(fd);
	} else if (fd != -ENOENT && !force) {
		return fd;
	}
	if (!unlink(link))
		n++;
	if (!unlink(map))
		n++;
	rmdir(dir);
	rmdir(PE_XDP_PIN_ROOT); /* fails harmlessly while other interfaces have pins */
	if (force && ifindex > 0) {
		/* Links carry only an ifindex, which another network namespace may share: detach
		 * only the links of the program netlink says is on *this* interface. */
		for (round = 0; round < 3 && pe_xdp_query(ifindex, &cur) > 0; round++) {
			err = for_each_xdp_link(ifindex, cur.prog_id, detach_link);
			if (err > 0) {
				n += err;
				continue;
			}
			for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
				__u32 id = 0;

				if (!bpf_xdp_query_id(ifindex, modes[i], &id) && id &&
				    !bpf_xdp_detach(ifindex, modes[i], NULL))
					n++;
			}
		}
		if (pe_xdp_query(ifindex, &cur) > 0)
			return -EBUSY;
	}
	return n || force ? n : -ENOENT;
}
