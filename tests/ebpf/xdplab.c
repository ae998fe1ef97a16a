/* SPDX-License-Identifier: BSD-2-Clause */
/* The namespace lab as the XDP tests use it (xdplab.h). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/ebpf/xdplab.h"

struct pe_lab pe_xl_lab;
char pe_xl_rx_if[16];  /* B's veth, renamed per test run: pins are named by interface */
char pe_xl_ifb_if[16]; /* an ifb device in B (no native XDP), when a test made one */

int pe_xl_xdp(struct pe_run *r, const char *fmt, ...)
{
	char args[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return pe_run(r, "nsenter --net=/run/netns/%s %s xdp %s", pe_xl_lab.ns[1], PE_TEST_BIN,
		      args);
}

void pe_xl_setup(void)
{
	struct pe_lab_opts o = { .sz = sizeof(o), .quiet_ipv6 = true };
	struct pe_run r;

	if (!pe_is_root() || !pe_xdp_available())
		return;
	cr_assert_eq(pe_lab_open(&pe_xl_lab, &o), 0, "lab");
	/* Down, renamed, up: the link going down also dropped B's permanent neighbour entry,
	 * which would cost an ARP exchange (one frame on B) at the first echo reply. */
	snprintf(pe_xl_rx_if, sizeof(pe_xl_rx_if), "pex%d", (int)getpid());
	cr_assert_eq(pe_run(&r,
			    "ip -n %s link set %s down && ip -n %s link set %s name %s && "
			    "ip -n %s link set %s up && "
			    "ip -n %s neigh replace %s lladdr %s dev %s nud permanent",
			    pe_xl_lab.ns[1], pe_xl_lab.ifname[1], pe_xl_lab.ns[1],
			    pe_xl_lab.ifname[1], pe_xl_rx_if, pe_xl_lab.ns[1], pe_xl_rx_if,
			    pe_xl_lab.ns[1], pe_xl_lab.ip4[0], pe_xl_lab.mac[0], pe_xl_rx_if),
		     0);
	cr_assert_eq(r.status, 0, "rename: %s", r.err);
	pe_run_free(&r);
}

void pe_xl_teardown(void)
{
	struct pe_run r;

	if (!pe_xl_lab.open)
		return;
	if (!pe_xl_xdp(&r, "detach --dev %s --force", pe_xl_rx_if))
		pe_run_free(&r);
	if (*pe_xl_ifb_if && !pe_xl_xdp(&r, "detach --dev %s --force", pe_xl_ifb_if))
		pe_run_free(&r);
	pe_lab_close(&pe_xl_lab);
}

/* The mark of an XDP program in `ip link` (prog/xdp, xdpgeneric, xdpdrv...). */
bool pe_xl_has_xdp(void)
{
	struct pe_run r;
	bool has;

	cr_assert_eq(pe_run(&r, "ip -n %s -d link show dev %s", pe_xl_lab.ns[1], pe_xl_rx_if), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	has = strstr(r.out, "xdp") != NULL;
	pe_run_free(&r);
	return has;
}

bool pe_xl_pins_exist_for(const char *ifname)
{
	char path[128];

	snprintf(path, sizeof(path), PE_XDP_PIN_ROOT "/%s", ifname);
	return access(path, F_OK) == 0;
}

bool pe_xl_pins_exist(void)
{
	return pe_xl_pins_exist_for(pe_xl_rx_if);
}

/* --- sending ----------------------------------------------------------------------------- */

const struct pe_xl_kind pe_xl_kinds[] = {
	{ "ipv4-udp", PE_FRAME_L3_IPV4, PE_FRAME_L4_UDP, 0, 0, 5, PE_XDP_L3_IPV4, PE_XDP_L4_UDP,
	  0 },
	{ "ipv4-tcp", PE_FRAME_L3_IPV4, PE_FRAME_L4_TCP, 0, 0, 6, PE_XDP_L3_IPV4, PE_XDP_L4_TCP,
	  0 },
	{ "ipv4-icmp", PE_FRAME_L3_IPV4, PE_FRAME_L4_ICMP, 0, 0, 7, PE_XDP_L3_IPV4, PE_XDP_L4_ICMP,
	  0 },
	{ "ipv6-udp", PE_FRAME_L3_IPV6, PE_FRAME_L4_UDP, 0, 0, 8, PE_XDP_L3_IPV6, PE_XDP_L4_UDP,
	  0 },
	{ "ipv6-icmp", PE_FRAME_L3_IPV6, PE_FRAME_L4_ICMP, 0, 0, 9, PE_XDP_L3_IPV6, PE_XDP_L4_ICMP,
	  0 },
	{ "arp", PE_FRAME_L3_RAW, PE_FRAME_L4_NONE, 0x0806, 0, 10, PE_XDP_L3_ARP, PE_XDP_L4_MAX,
	  0 },
	{ "other", PE_FRAME_L3_RAW, PE_FRAME_L4_NONE, 0x88b5, 0, 11, PE_XDP_L3_OTHER, PE_XDP_L4_MAX,
	  0 },
	{ "vlan-ipv4-udp", PE_FRAME_L3_IPV4, PE_FRAME_L4_UDP, 0, 1, 12, PE_XDP_L3_IPV4,
	  PE_XDP_L4_UDP, 1 },
	{ "qinq-ipv6-tcp", PE_FRAME_L3_IPV6, PE_FRAME_L4_TCP, 0, 2, 13, PE_XDP_L3_IPV6,
	  PE_XDP_L4_TCP, 2 },
};
const size_t pe_xl_nkinds = sizeof(pe_xl_kinds) / sizeof(pe_xl_kinds[0]);

/* A packet socket created in A's network namespace (sockets keep theirs), and A's ifindex. */
static int socket_in_a(int *ifindex)
{
	char path[128];
	int self, ns, s;

	snprintf(path, sizeof(path), "/run/netns/%s", pe_xl_lab.ns[0]);
	self = open("/proc/self/ns/net", O_RDONLY);
	ns = open(path, O_RDONLY);
	cr_assert(self >= 0 && ns >= 0, "netns fds: %s", strerror(errno));
	cr_assert_eq(setns(ns, CLONE_NEWNET), 0, "setns: %s", strerror(errno));
	s = socket(AF_PACKET, SOCK_RAW, 0);
	*ifindex = (int)if_nametoindex(pe_xl_lab.ifname[0]);
	cr_assert_eq(setns(self, CLONE_NEWNET), 0);
	close(self);
	close(ns);
	cr_assert(s >= 0 && *ifindex > 0, "AF_PACKET socket on %s", pe_xl_lab.ifname[0]);
	return s;
}

static void build_kind(const struct pe_xl_kind *k, struct pe_frame_tmpl *t)
{
	struct pe_frame_opts o;

	pe_frame_opts_default(&o); /* 02:..:01 198.18.0.1 -> 02:..:02 198.18.0.2: the lab's */
	o.l3 = k->l3;
	o.l4 = k->l4;
	o.ethertype = k->ethertype;
	o.n_vlans = k->n_vlans;
	o.vlan[0].id = 10;
	o.vlan[1].id = 20;
	o.size_bytes = PE_XL_FRAME_LEN + 4;
	if (k->l3 == PE_FRAME_L3_IPV6) {
		cr_assert_eq(inet_pton(AF_INET6, pe_xl_lab.ip6[0], &o.src_ip.v6), 1);
		cr_assert_eq(inet_pton(AF_INET6, pe_xl_lab.ip6[1], &o.dst_ip.v6), 1);
	}
	cr_assert_eq(pe_frame_build(t, &o), 0, "%s", k->name);
	cr_assert_eq(t->len, PE_XL_FRAME_LEN);
}

void pe_xl_send_all(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	struct pe_frame_tmpl t;
	int ifindex, s = socket_in_a(&ifindex);
	size_t i;
	unsigned n;

	sll.sll_ifindex = ifindex;
	memcpy(sll.sll_addr, "\x02\0\0\0\0\x02", 6);
	for (i = 0; i < pe_xl_nkinds; i++) {
		build_kind(&pe_xl_kinds[i], &t);
		for (n = 0; n < pe_xl_kinds[i].count; n++)
			cr_assert_eq(sendto(s, pe_frame_data(&t), t.len, 0, (struct sockaddr *)&sll,
					    sizeof(sll)),
				     (ssize_t)t.len, "%s: %s", pe_xl_kinds[i].name,
				     strerror(errno));
	}
	close(s);
}

/* --- reading ----------------------------------------------------------------------------- */

uint64_t pe_xl_jget(struct json_object *o, const char *a, const char *b, const char *c)
{
	struct json_object *v = o;

	cr_assert(json_object_object_get_ex(v, a, &v), "no '%s'", a);
	if (b)
		cr_assert(json_object_object_get_ex(v, b, &v), "no '%s.%s'", a, b);
	if (c)
		cr_assert(json_object_object_get_ex(v, c, &v), "no '%s.%s.%s'", a, b, c);
	return json_object_get_uint64(v);
}

/* `pkteng xdp stats --json` parsed back into counters: the record's summary. */
void pe_xl_stats_json(struct pe_xdp_stats *s, struct pe_xdp_ctr *total)
{
	struct json_object *doc, *o;
	struct pe_run r;
	unsigned k;

	cr_assert_eq(pe_xl_xdp(&r, "stats --dev %s --json", pe_xl_rx_if), 0);
	cr_assert_eq(r.status, 0, "stats: %s", r.err);
	doc = json_tokener_parse(r.out);
	cr_assert_not_null(doc, "not JSON: %s", r.out);
	cr_assert(json_object_object_get_ex(doc, "summary", &o), "no summary: %s", r.out);
	for (k = 0; k < PE_XDP_L3_MAX; k++) {
		s->l3[k].pkts = pe_xl_jget(o, "l3", pe_xdp_l3_name(k), "rx_frames");
		s->l3[k].bytes = pe_xl_jget(o, "l3", pe_xdp_l3_name(k), "rx_bytes_l2");
	}
	for (k = 0; k < PE_XDP_L4_MAX; k++) {
		s->l4[k].pkts = pe_xl_jget(o, "l4", pe_xdp_l4_name(k), "rx_frames");
		s->l4[k].bytes = pe_xl_jget(o, "l4", pe_xdp_l4_name(k), "rx_bytes_l2");
	}
	s->vlan[0].pkts = pe_xl_jget(o, "vlan", "one", "rx_frames");
	s->vlan[1].pkts = pe_xl_jget(o, "vlan", "two", "rx_frames");
	s->vlan[0].bytes = pe_xl_jget(o, "vlan", "one", "rx_bytes_l2");
	s->vlan[1].bytes = pe_xl_jget(o, "vlan", "two", "rx_bytes_l2");
	total->pkts = pe_xl_jget(o, "rx_frames", NULL, NULL);
	total->bytes = pe_xl_jget(o, "rx_bytes_l2", NULL, NULL);
	cr_expect_eq(pe_xl_jget(o, "rx_bytes_wire", NULL, NULL), total->bytes + 24 * total->pkts,
		     "wire: + FCS, preamble and gap a frame");
	json_object_put(doc);
	pe_run_free(&r);
}

void pe_xl_expected(struct pe_xdp_stats *want, unsigned scale)
{
	size_t i;

	memset(want, 0, sizeof(*want));
	for (i = 0; i < pe_xl_nkinds; i++) {
		const struct pe_xl_kind *k = &pe_xl_kinds[i];
		uint64_t n = (uint64_t)k->count * scale;

		want->l3[k->x_l3].pkts += n;
		want->l3[k->x_l3].bytes += n * PE_XL_FRAME_LEN;
		if (k->x_l4 < PE_XDP_L4_MAX) {
			want->l4[k->x_l4].pkts += n;
			want->l4[k->x_l4].bytes += n * PE_XL_FRAME_LEN;
		}
		if (k->x_tags) {
			want->vlan[k->x_tags - 1].pkts += n;
			want->vlan[k->x_tags - 1].bytes += n * PE_XL_FRAME_LEN;
		}
	}
}

void pe_xl_expect_stats(const struct pe_xdp_stats *got, const struct pe_xdp_stats *want)
{
	unsigned k;

	for (k = 0; k < PE_XDP_L3_MAX; k++)
		cr_expect(got->l3[k].pkts == want->l3[k].pkts &&
				  got->l3[k].bytes == want->l3[k].bytes,
			  "l3 %s: %llu frames %llu bytes, want %llu %llu", pe_xdp_l3_name(k),
			  (unsigned long long)got->l3[k].pkts, (unsigned long long)got->l3[k].bytes,
			  (unsigned long long)want->l3[k].pkts,
			  (unsigned long long)want->l3[k].bytes);
	for (k = 0; k < PE_XDP_L4_MAX; k++)
		cr_expect(got->l4[k].pkts == want->l4[k].pkts &&
				  got->l4[k].bytes == want->l4[k].bytes,
			  "l4 %s: %llu frames %llu bytes, want %llu %llu", pe_xdp_l4_name(k),
			  (unsigned long long)got->l4[k].pkts, (unsigned long long)got->l4[k].bytes,
			  (unsigned long long)want->l4[k].pkts,
			  (unsigned long long)want->l4[k].bytes);
	for (k = 0; k < 2; k++)
		cr_expect(got->vlan[k].pkts == want->vlan[k].pkts &&
				  got->vlan[k].bytes == want->vlan[k].bytes,
			  "vlan %u: %llu frames, want %llu", k + 1,
			  (unsigned long long)got->vlan[k].pkts,
			  (unsigned long long)want->vlan[k].pkts);
}

/* Icmp OutEchoReps of B's namespace, from /proc/net/snmp. */
uint64_t pe_xl_echo_replies(void)
{
	unsigned long long v = ~0ULL;
	struct pe_run r;

	cr_assert_eq(pe_lab_run(&pe_xl_lab, 1, &r,
				"awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "
				"\"OutEchoReps\") c = i; h = 1 } else print $c }' /proc/net/snmp"),
		     0);
	cr_assert(r.status == 0 && sscanf(r.out, "%llu", &v) == 1, "snmp: %s %s", r.out, r.err);
	pe_run_free(&r);
	return v;
}

uint64_t pe_xl_rx_packets(void)
{
	uint64_t v = 0;

	cr_assert_eq(pe_lab_counter(&pe_xl_lab, 1, pe_xl_rx_if, "rx_packets", &v), 0);
	return v;
}

/* Frames reach B's counter through a softirq that a loaded machine may run late: wait (up to
 * 5 s) until the pinned counter's total reaches want, then a little longer for any extra. */
void pe_xl_wait_counted(uint64_t want)
{
	struct pe_xdp_stats s;
	int fd = pe_xdp_open_pinned(pe_xl_rx_if), i;

	cr_assert_geq(fd, 0, "open pinned: %s", strerror(-fd));
	for (i = 0; i < 500; i++) {
		cr_assert_eq(pe_xdp_read_fd(fd, &s), 0);
		if (pe_xdp_stats_total(&s).pkts >= want)
			break;
		usleep(10000);
	}
	close(fd);
	usleep(50000);
}

/* The same through B's rx_packets, for a counter that is not pinned (xdp run). */
void pe_xl_wait_rx(uint64_t rx0, uint64_t want)
{
	int i;

	for (i = 0; i < 100 && pe_xl_rx_packets() - rx0 < want; i++)
		usleep(50000);
	usleep(50000);
}

unsigned pe_xl_prog_id(void)
{
	unsigned id = 0;
	struct pe_run r;
	char *p;

	cr_assert_eq(pe_run(&r, "ip -n %s -d link show dev %s", pe_xl_lab.ns[1], pe_xl_rx_if), 0);
	p = strstr(r.out, "prog/xdp id ");
	if (p)
		sscanf(p, "prog/xdp id %u", &id);
	pe_run_free(&r);
	return id;
}

/* Starts `pkteng xdp run` in B and waits until ip link shows its program. */
void pe_xl_start_run(struct pe_lab_bg *bg, const char *out)
{
	int i;

	cr_assert_eq(pe_lab_bg_start(&pe_xl_lab, 1, bg, out, NULL, "exec %s xdp run --dev %s -t 60",
				     PE_TEST_BIN, pe_xl_rx_if),
		     0);
	for (i = 0; i < 200 && !pe_xl_has_xdp(); i++)
		usleep(50000);
	cr_assert(pe_xl_has_xdp(), "xdp run did not attach");
}

/* Waits until process pid has a BPF map open (stats has opened the pinned counters and reads
 * its baseline right after). */
void pe_xl_wait_map_open(pid_t pid)
{
	char dir[64], path[320], target[64];
	int i;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	for (i = 0; i < 200; i++) {
		DIR *d = opendir(dir);
		struct dirent *e;
		bool found = false;

		while (d && (e = readdir(d))) {
			ssize_t n;

			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			n = readlink(path, target, sizeof(target) - 1);
			if (n > 0) {
				target[n] = 0;
				found |= !strcmp(target, "anon_inode:bpf-map");
			}
		}
		if (d)
			closedir(d);
		if (found) {
			usleep(50000);
			return;
		}
		usleep(10000);
	}
	cr_assert_fail("stats never opened the pinned map");
}
