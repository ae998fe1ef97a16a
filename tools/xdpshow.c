/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng xdp show`, behind xdpshow.h: netlink's view of each interface (pe_xdp_query),
 * libxdp's view of a dispatcher's programs (ebpf/multi.h), and pkteng's pinned counters. */
#include "tools/xdpshow.h"

#include <errno.h>
#include <json-c/json.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/loader.h"
#include "ebpf/multi.h"
#include "tools/cli.h"

#define PE_COUNTER_NAME "pe_xdp_count" /* the counter's program name (xdp_count.bpf.c) */

struct iface {
	const char *name;
	int ifindex;
	struct pe_xdp_attached cur;
	bool attached, pinned, have_stats;
	struct pe_xdp_multi_info multi;
	struct pe_xdp_ctr total;
};

static void inspect(struct iface *f)
{
	struct pe_xdp_stats s;
	int fd;

	f->attached = pe_xdp_query(f->ifindex, &f->cur) > 0;
	if (f->attached && pe_xdp_multi_available())
		pe_xdp_multi_query(f->ifindex, &f->multi);
	fd = pe_xdp_open_pinned(f->name);
	f->pinned = fd >= 0;
	if (fd >= 0) {
		f->have_stats = !pe_xdp_read_fd(fd, &s);
		if (f->have_stats)
			f->total = pe_xdp_stats_total(&s);
		close(fd);
	}
}

static const char *counters_text(const struct iface *f, const char *name, char *buf, size_t cap)
{
	if (strcmp(name, PE_COUNTER_NAME))
		return "";
	if (!f->have_stats)
		return "(not pinned)";
	snprintf(buf, cap, "%llu frames, %llu bytes", (unsigned long long)f->total.pkts,
		 (unsigned long long)f->total.bytes);
	return buf;
}

static void print_text(const struct iface *f)
{
	char buf[96];

	if (!f->attached) {
		printf("%-12s %-8s %-6s %-16s %-10s %s\n", f->name, "-", "-", "-", "-",
		       f->pinned ? "stale pins (pkteng xdp detach --force)" : "no XDP program");
		return;
	}
	if (f->multi.dispatcher) {
		printf("%-12s %-8s %-6u %-16s %-10s %s\n", f->name, f->cur.mode, f->cur.prog_id,
		       f->cur.name, "libxdp", "dispatcher");
		for (unsigned i = 0; i < f->multi.n; i++) {
			const struct pe_xdp_multi_prog *p = &f->multi.progs[i];

			printf("  prio %-5u %-8s %-6u %-16s %-10s %s\n", p->prio, "", p->id,
			       p->name, "", counters_text(f, p->name, buf, sizeof(buf)));
		}
		return;
	}
	printf("%-12s %-8s %-6u %-16s %-10s %s\n", f->name, f->cur.mode, f->cur.prog_id,
	       f->cur.name, f->cur.link ? "bpf_link" : "netlink",
	       counters_text(f, f->cur.name, buf, sizeof(buf)));
}

static json_object *to_json(const struct iface *f)
{
	json_object *o = json_object_new_object(), *progs = json_object_new_array();

	json_object_object_add(o, "dev", json_object_new_string(f->name));
	json_object_object_add(o, "ifindex", json_object_new_int(f->ifindex));
	json_object_object_add(o, "mode", f->attached ? json_object_new_string(f->cur.mode) : NULL);
	json_object_object_add(o, "prog_id",
			       f->attached ? json_object_new_int64(f->cur.prog_id) : NULL);
	json_object_object_add(o, "name", f->attached ? json_object_new_string(f->cur.name) : NULL);
	json_object_object_add(
		o, "attach",
		!f->attached ? NULL
		: f->multi.dispatcher
			? json_object_new_string("libxdp")
			: json_object_new_string(f->cur.link ? "bpf_link" : "netlink"));
	for (unsigned i = 0; f->multi.dispatcher && i < f->multi.n; i++) {
		json_object *p = json_object_new_object();

		json_object_object_add(p, "prog_id", json_object_new_int64(f->multi.progs[i].id));
		json_object_object_add(p, "name", json_object_new_string(f->multi.progs[i].name));
		json_object_object_add(p, "prio", json_object_new_int((int)f->multi.progs[i].prio));
		json_object_array_add(progs, p);
	}
	json_object_object_add(o, "programs", progs);
	if (f->have_stats) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "rx_frames",
				       json_object_new_int64((int64_t)f->total.pkts));
		json_object_object_add(c, "rx_bytes_l2",
				       json_object_new_int64((int64_t)f->total.bytes));
		json_object_object_add(o, "pkteng_counters", c);
	} else {
		json_object_object_add(o, "pkteng_counters", NULL);
	}
	return o;
}

int pe_xdp_show(const char *dev, bool json)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	json_object *arr = json ? json_object_new_array() : NULL;
	unsigned shown = 0;

	if (!ifs)
		return pe_fail("xdp show: %s", strerror(errno));
	if (dev && !if_nametoindex(dev)) {
		if_freenameindex(ifs);
		json_object_put(arr);
		return pe_fail("--dev %s: no such interface", dev);
	}
	if (!json)
		printf("%-12s %-8s %-6s %-16s %-10s %s\n", "IF", "MODE", "ID", "PROGRAM", "ATTACH",
		       "PKTENG COUNTERS");
	for (i = ifs; i->if_index; i++) {
		struct iface f = { .name = i->if_name, .ifindex = (int)i->if_index };

		if (dev && strcmp(dev, i->if_name))
			continue;
		inspect(&f);
		if (!dev && !f.attached && !f.pinned)
			continue;
		shown++;
		if (json)
			json_object_array_add(arr, to_json(&f));
		else
			print_text(&f);
	}
	if_freenameindex(ifs);
	if (json) {
		printf("%s\n",
		       json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	} else if (!shown) {
		printf("(no XDP program on any interface)\n");
	}
	return fflush(stdout) ? PE_EXIT_FAIL : PE_EXIT_OK;
}
