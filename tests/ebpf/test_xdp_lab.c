/* `pkteng xdp` on a veth pair in the namespace lab: frames of every kind sent from side A with a
 * plain AF_PACKET socket (and with `pkteng inject` when it is built) are counted exactly on side
 * B, in generic and native mode; the kernel's rx_packets and ICMP echo replies are the
 * independent checks (pass mode answers the echoes, drop mode answers nothing). Attach/detach
 * leave nothing behind; a second attach is refused naming the program; detach --force removes
 * what a hung or killed run or another tool left.
 * Exact counts: the lab has no IPv6 on the veths (quiet_ipv6) and permanent neighbours, so the
 * only frames B receives are the test's own. pkteng runs in B's network namespace through
 * `nsenter --net`, which keeps the mount namespace and so the pins in /sys/fs/bpf. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ebpf/loader.h"
#include "raw/frame.h"
#include "tests/lab/lab.h"
#include "tests/testutil.h"

/* Root, and a build with the XDP counter. */
#define PE_REQUIRE_XDP()                                                                   \
	do {                                                                               \
		PE_REQUIRE_ROOT();                                                         \
		if (!pe_xdp_available())                                                   \
			cr_skip_test("built without the XDP counter (PKTENG_XDP)");        \
	} while (0)

static struct pe_lab lab;
static char rx_if[16]; /* B's veth, renamed per test run: pins are named by interface */
static char ifb_if[16]; /* an ifb device in B (no native XDP), when a test made one */

static int xdp(struct pe_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs `pkteng xdp ARGS` in B's network namespace. */
static int xdp(struct pe_run *r, const char *fmt, ...)
{
	char args[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return pe_run(r, "nsenter --net=/run/netns/%s %s xdp %s", lab.ns[1], PE_TEST_BIN, args);
}

static void setup(void)
{
	struct pe_lab_opts o = { .sz = sizeof(o), .quiet_ipv6 = true };
	struct pe_run r;

	if (!pe_is_root() || !pe_xdp_available())
		return;
	cr_assert_eq(pe_lab_open(&lab, &o), 0, "lab");
	/* Down, renamed, up: the link going down also dropped B's permanent neighbour entry,
	 * which would cost an ARP exchange (one frame on B) at the first echo reply. */
	snprintf(rx_if, sizeof(rx_if), "pex%d", (int)getpid());
	cr_assert_eq(pe_run(&r, "ip -n %s link set %s down && ip -n %s link set %s name %s && "
			    "ip -n %s link set %s up && "
			    "ip -n %s neigh replace %s lladdr %s dev %s nud permanent",
			    lab.ns[1], lab.ifname[1], lab.ns[1], lab.ifname[1], rx_if, lab.ns[1],
			    rx_if, lab.ns[1], lab.ip4[0], lab.mac[0], rx_if),
		     0);
	cr_assert_eq(r.status, 0, "rename: %s", r.err);
	pe_run_free(&r);
}

static void teardown(void)
{
	struct pe_run r;

	if (!lab.open)
		return;
	if (!xdp(&r, "detach --dev %s --force", rx_if))
		pe_run_free(&r);
	if (*ifb_if && !xdp(&r, "detach --dev %s --force", ifb_if))
		pe_run_free(&r);
	pe_lab_close(&lab);
}

TestSuite(xdp_lab, .init = setup, .fini = teardown, .timeout = 90);

/* The mark of an XDP program in `ip link` (prog/xdp, xdpgeneric, xdpdrv...). */
static bool ip_link_has_xdp(void)
{
	struct pe_run r;
	bool has;

	cr_assert_eq(pe_run(&r, "ip -n %s -d link show dev %s", lab.ns[1], rx_if), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	has = strstr(r.out, "xdp") != NULL;
	pe_run_free(&r);
	return has;
}

static bool pins_exist_for(const char *ifname)
{
	char path[128];

	snprintf(path, sizeof(path), PE_XDP_PIN_ROOT "/%s", ifname);
	return access(path, F_OK) == 0;
}

static bool pins_exist(void)
{
	return pins_exist_for(rx_if);
}

/* --- sending ----------------------------------------------------------------------------- */

struct kind {
	const char *name;
	enum pe_frame_l3 l3;
	enum pe_frame_l4 l4;
	uint16_t ethertype;
	int n_vlans;
	unsigned count;
	unsigned x_l3, x_l4, x_tags; /* x_l4 PE_XDP_L4_MAX: none */
};

static const struct kind kinds[] = {
	{ "ipv4-udp", PE_FRAME_L3_IPV4, PE_FRAME_L4_UDP, 0, 0, 5, PE_XDP_L3_IPV4, PE_XDP_L4_UDP, 0 },
	{ "ipv4-tcp", PE_FRAME_L3_IPV4, PE_FRAME_L4_TCP, 0, 0, 6, PE_XDP_L3_IPV4, PE_XDP_L4_TCP, 0 },
	{ "ipv4-icmp", PE_FRAME_L3_IPV4, PE_FRAME_L4_ICMP, 0, 0, 7, PE_XDP_L3_IPV4, PE_XDP_L4_ICMP, 0 },
	{ "ipv6-udp", PE_FRAME_L3_IPV6, PE_FRAME_L4_UDP, 0, 0, 8, PE_XDP_L3_IPV6, PE_XDP_L4_UDP, 0 },
	{ "ipv6-icmp", PE_FRAME_L3_IPV6, PE_FRAME_L4_ICMP, 0, 0, 9, PE_XDP_L3_IPV6, PE_XDP_L4_ICMP, 0 },
	{ "arp", PE_FRAME_L3_RAW, PE_FRAME_L4_NONE, 0x0806, 0, 10, PE_XDP_L3_ARP, PE_XDP_L4_MAX, 0 },
	{ "other", PE_FRAME_L3_RAW, PE_FRAME_L4_NONE, 0x88b5, 0, 11, PE_XDP_L3_OTHER, PE_XDP_L4_MAX, 0 },
	{ "vlan-ipv4-udp", PE_FRAME_L3_IPV4, PE_FRAME_L4_UDP, 0, 1, 12, PE_XDP_L3_IPV4, PE_XDP_L4_UDP, 1 },
	{ "qinq-ipv6-tcp", PE_FRAME_L3_IPV6, PE_FRAME_L4_TCP, 0, 2, 13, PE_XDP_L3_IPV6, PE_XDP_L4_TCP, 2 },
};
#define NKINDS	 (sizeof(kinds) / sizeof(kinds[0]))
#define FRAME_LEN 96 /* 100 on the wire with the FCS: room for IPv6, TCP and two tags */
#define ECHOES	 7  /* kinds[2].count: the IPv4 echo requests B's stack answers */

/* A packet socket created in A's network namespace (sockets keep theirs), and A's ifindex. */
static int socket_in_a(int *ifindex)
{
	char path[128];
	int self, ns, s;

	snprintf(path, sizeof(path), "/run/netns/%s", lab.ns[0]);
	self = open("/proc/self/ns/net", O_RDONLY);
	ns = open(path, O_RDONLY);
	cr_assert(self >= 0 && ns >= 0, "netns fds: %s", strerror(errno));
	cr_assert_eq(setns(ns, CLONE_NEWNET), 0, "setns: %s", strerror(errno));
	s = socket(AF_PACKET, SOCK_RAW, 0);
	*ifindex = (int)if_nametoindex(lab.ifname[0]);
	cr_assert_eq(setns(self, CLONE_NEWNET), 0);
	close(self);
	close(ns);
	cr_assert(s >= 0 && *ifindex > 0, "AF_PACKET socket on %s", lab.ifname[0]);
	return s;
}

static void build_kind(const struct kind *k, struct pe_frame_tmpl *t)
{
	struct pe_frame_opts o;

	pe_frame_opts_default(&o); /* 02:..:01 198.18.0.1 -> 02:..:02 198.18.0.2: the lab's */
	o.l3 = k->l3;
	o.l4 = k->l4;
	o.ethertype = k->ethertype;
	o.n_vlans = k->n_vlans;
	o.vlan[0].id = 10;
	o.vlan[1].id = 20;
	o.size_bytes = FRAME_LEN + 4;
	if (k->l3 == PE_FRAME_L3_IPV6) {
		cr_assert_eq(inet_pton(AF_INET6, lab.ip6[0], &o.src_ip.v6), 1);
		cr_assert_eq(inet_pton(AF_INET6, lab.ip6[1], &o.dst_ip.v6), 1);
	}
	cr_assert_eq(pe_frame_build(t, &o), 0, "%s", k->name);
	cr_assert_eq(t->len, FRAME_LEN);
}

static void send_all(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	struct pe_frame_tmpl t;
	int ifindex, s = socket_in_a(&ifindex);
	size_t i;
	unsigned n;

	sll.sll_ifindex = ifindex;
	memcpy(sll.sll_addr, "\x02\0\0\0\0\x02", 6);
	for (i = 0; i < NKINDS; i++) {
		build_kind(&kinds[i], &t);
		for (n = 0; n < kinds[i].count; n++)
			cr_assert_eq(sendto(s, pe_frame_data(&t), t.len, 0, (struct sockaddr *)&sll,
					    sizeof(sll)),
				     (ssize_t)t.len, "%s: %s", kinds[i].name, strerror(errno));
	}
	close(s);
}

/* --- reading ----------------------------------------------------------------------------- */

static uint64_t jget(struct json_object *o, const char *a, const char *b, const char *c)
{
	struct json_object *v = o;

	cr_assert(json_object_object_get_ex(v, a, &v), "no '%s'", a);
	if (b)
		cr_assert(json_object_object_get_ex(v, b, &v), "no '%s.%s'", a, b);
	if (c)
		cr_assert(json_object_object_get_ex(v, c, &v), "no '%s.%s.%s'", a, b, c);
	return json_object_get_uint64(v);
}

/* `pkteng xdp stats --json` parsed back into counters. */
static void stats_json(struct pe_xdp_stats *s, struct pe_xdp_ctr *total)
{
	struct json_object *o;
	struct pe_run r;
	unsigned k;

	cr_assert_eq(xdp(&r, "stats --dev %s --json", rx_if), 0);
	cr_assert_eq(r.status, 0, "stats: %s", r.err);
	o = json_tokener_parse(r.out);
	cr_assert_not_null(o, "not JSON: %s", r.out);
	for (k = 0; k < PE_XDP_L3_MAX; k++) {
		s->l3[k].pkts = jget(o, "l3", pe_xdp_l3_name(k), "frames");
		s->l3[k].bytes = jget(o, "l3", pe_xdp_l3_name(k), "bytes");
	}
	for (k = 0; k < PE_XDP_L4_MAX; k++) {
		s->l4[k].pkts = jget(o, "l4", pe_xdp_l4_name(k), "frames");
		s->l4[k].bytes = jget(o, "l4", pe_xdp_l4_name(k), "bytes");
	}
	s->vlan[0].pkts = jget(o, "vlan", "one", "frames");
	s->vlan[1].pkts = jget(o, "vlan", "two", "frames");
	s->vlan[0].bytes = jget(o, "vlan", "one", "bytes");
	s->vlan[1].bytes = jget(o, "vlan", "two", "bytes");
	total->pkts = jget(o, "total", "frames", NULL);
	total->bytes = jget(o, "total", "bytes", NULL);
	json_object_put(o);
	pe_run_free(&r);
}

static void expected(struct pe_xdp_stats *want, unsigned scale)
{
	size_t i;

	memset(want, 0, sizeof(*want));
	for (i = 0; i < NKINDS; i++) {
		const struct kind *k = &kinds[i];
		uint64_t n = (uint64_t)k->count * scale;

		want->l3[k->x_l3].pkts += n;
		want->l3[k->x_l3].bytes += n * FRAME_LEN;
		if (k->x_l4 < PE_XDP_L4_MAX) {
			want->l4[k->x_l4].pkts += n;
			want->l4[k->x_l4].bytes += n * FRAME_LEN;
		}
		if (k->x_tags) {
			want->vlan[k->x_tags - 1].pkts += n;
			want->vlan[k->x_tags - 1].bytes += n * FRAME_LEN;
		}
	}
}

static void expect_stats(const struct pe_xdp_stats *got, const struct pe_xdp_stats *want)
{
	unsigned k;

	for (k = 0; k < PE_XDP_L3_MAX; k++)
		cr_expect(got->l3[k].pkts == want->l3[k].pkts && got->l3[k].bytes == want->l3[k].bytes,
			  "l3 %s: %llu frames %llu bytes, want %llu %llu", pe_xdp_l3_name(k),
			  (unsigned long long)got->l3[k].pkts, (unsigned long long)got->l3[k].bytes,
			  (unsigned long long)want->l3[k].pkts, (unsigned long long)want->l3[k].bytes);
	for (k = 0; k < PE_XDP_L4_MAX; k++)
		cr_expect(got->l4[k].pkts == want->l4[k].pkts && got->l4[k].bytes == want->l4[k].bytes,
			  "l4 %s: %llu frames %llu bytes, want %llu %llu", pe_xdp_l4_name(k),
			  (unsigned long long)got->l4[k].pkts, (unsigned long long)got->l4[k].bytes,
			  (unsigned long long)want->l4[k].pkts, (unsigned long long)want->l4[k].bytes);
	for (k = 0; k < 2; k++)
		cr_expect(got->vlan[k].pkts == want->vlan[k].pkts &&
				  got->vlan[k].bytes == want->vlan[k].bytes,
			  "vlan %u: %llu frames, want %llu", k + 1,
			  (unsigned long long)got->vlan[k].pkts, (unsigned long long)want->vlan[k].pkts);
}

/* Icmp OutEchoReps of B's namespace, from /proc/net/snmp. */
static uint64_t echo_replies(void)
{
	unsigned long long v = ~0ULL;
	struct pe_run r;

	cr_assert_eq(pe_lab_run(&lab, 1, &r,
				"awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "
				"\"OutEchoReps\") c = i; h = 1 } else print $c }' /proc/net/snmp"),
		     0);
	cr_assert(r.status == 0 && sscanf(r.out, "%llu", &v) == 1, "snmp: %s %s", r.out, r.err);
	pe_run_free(&r);
	return v;
}

static uint64_t rx_packets(void)
{
	uint64_t v = 0;

	cr_assert_eq(pe_lab_counter(&lab, 1, rx_if, "rx_packets", &v), 0);
	return v;
}

/* Frames reach B's counter through a softirq that a loaded machine may run late: wait (up to
 * 5 s) until the pinned counter's total reaches want, then a little longer for any extra. */
static void wait_counted(uint64_t want)
{
	struct pe_xdp_stats s;
	int fd = pe_xdp_open_pinned(rx_if), i;

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
static void wait_rx(uint64_t rx0, uint64_t want)
{
	int i;

	for (i = 0; i < 100 && rx_packets() - rx0 < want; i++)
		usleep(50000);
	usleep(50000);
}

/* Attach in mode (with --drop), send everything twice, check the counters, detach. */
static void count_in_mode(const char *mode, bool drop)
{
	struct pe_xdp_stats got, want;
	struct pe_xdp_ctr total;
	uint64_t rx0, echo0;
	struct pe_run r;
	char said[64];

	PE_REQUIRE_XDP();
	cr_assert_eq(xdp(&r, "attach --dev %s --mode %s%s", rx_if, mode, drop ? " --drop" : ""), 0);
	cr_assert_eq(r.status, 0, "attach: %s", r.err);
	snprintf(said, sizeof(said), "counting on %s in %s mode", rx_if, mode);
	cr_expect(strstr(r.out, said), "attach said: %s", r.out);
	pe_run_free(&r);
	cr_expect(ip_link_has_xdp(), "ip link shows no XDP program");
	cr_expect(pins_exist());

	rx0 = rx_packets();
	echo0 = echo_replies();
	send_all();
	send_all();
	expected(&want, 2);
	wait_counted(pe_xdp_stats_total(&want).pkts);
	stats_json(&got, &total);
	expect_stats(&got, &want);
	{
		struct pe_xdp_ctr t = pe_xdp_stats_total(&want);

		if (total.pkts != t.pkts && !pe_run(&r, "ip -n %s -s -s link; ip -n %s -s -s link",
						    lab.ns[0], lab.ns[1])) {
			cr_log_error("%s", r.out);
			pe_run_free(&r);
		}
		cr_expect_eq(total.pkts, t.pkts, "total %llu want %llu",
			     (unsigned long long)total.pkts, (unsigned long long)t.pkts);
		cr_expect_eq(total.bytes, t.bytes);
		if (!drop)
			cr_expect_eq(rx_packets() - rx0, t.pkts, "kernel rx_packets %llu, counter %llu",
				     (unsigned long long)(rx_packets() - rx0),
				     (unsigned long long)t.pkts);
	}
	cr_expect_eq(echo_replies() - echo0, drop ? 0 : 2 * ECHOES, "echo replies: %llu",
		     (unsigned long long)(echo_replies() - echo0));

	cr_assert_eq(xdp(&r, "detach --dev %s", rx_if), 0);
	cr_expect_eq(r.status, 0, "detach: %s", r.err);
	pe_run_free(&r);
	cr_expect(!ip_link_has_xdp(), "XDP program left after detach");
	cr_expect(!pins_exist(), "pins left after detach");
}

Test(xdp_lab, generic_pass)
{
	count_in_mode("generic", false);
}

Test(xdp_lab, native_pass)
{
	count_in_mode("native", false);
}

Test(xdp_lab, native_drop)
{
	count_in_mode("native", true);
}

Test(xdp_lab, generic_drop)
{
	count_in_mode("generic", true);
}

/* The same counts with frames from `pkteng inject` (when this build has it). */
Test(xdp_lab, counts_frames_from_pkteng_inject)
{
	static const struct {
		const char *flags;
		unsigned n, l3, l4, tags;
	} sends[] = {
		{ "--proto udp", 20, PE_XDP_L3_IPV4, PE_XDP_L4_UDP, 0 },
		{ "--proto tcp --src-ip 2001:2::1 --dst-ip 2001:2::2", 15, PE_XDP_L3_IPV6,
		  PE_XDP_L4_TCP, 0 },
		{ "--proto raw --ethertype 0x0806", 10, PE_XDP_L3_ARP, PE_XDP_L4_MAX, 0 },
		{ "--proto icmp --vlan 10", 5, PE_XDP_L3_IPV4, PE_XDP_L4_ICMP, 1 },
		{ "--proto udp --vlan 10 --qinq 20", 6, PE_XDP_L3_IPV4, PE_XDP_L4_UDP, 2 },
	};
	struct pe_xdp_stats got, want;
	struct pe_xdp_ctr total;
	struct pe_run r;
	size_t i;

	PE_REQUIRE_XDP();
	cr_assert_eq(pe_run(&r, "%s inject --help", PE_TEST_BIN), 0);
	if (r.status) {
		pe_run_free(&r);
		cr_skip_test("this pkteng has no inject command");
	}
	pe_run_free(&r);
	cr_assert_eq(xdp(&r, "attach --dev %s", rx_if), 0);
	cr_assert_eq(r.status, 0, "attach: %s", r.err);
	pe_run_free(&r);
	memset(&want, 0, sizeof(want));
	for (i = 0; i < sizeof(sends) / sizeof(sends[0]); i++) {
		cr_assert_eq(pe_lab_run(&lab, 0, &r, "%s inject --dev %s -n %u --size %d %s", PE_TEST_BIN,
					lab.ifname[0], sends[i].n, FRAME_LEN + 4, sends[i].flags),
			     0);
		cr_assert_eq(r.status, 0, "inject %s: %s", sends[i].flags, r.err);
		pe_run_free(&r);
		want.l3[sends[i].l3].pkts += sends[i].n;
		want.l3[sends[i].l3].bytes += sends[i].n * FRAME_LEN;
		if (sends[i].l4 < PE_XDP_L4_MAX) {
			want.l4[sends[i].l4].pkts += sends[i].n;
			want.l4[sends[i].l4].bytes += sends[i].n * FRAME_LEN;
		}
		if (sends[i].tags) {
			want.vlan[sends[i].tags - 1].pkts += sends[i].n;
			want.vlan[sends[i].tags - 1].bytes += sends[i].n * FRAME_LEN;
		}
	}
	wait_counted(56);
	stats_json(&got, &total);
	expect_stats(&got, &want);
	cr_expect_eq(total.pkts, 56);
}

static unsigned ip_link_prog_id(void)
{
	unsigned id = 0;
	struct pe_run r;
	char *p;

	cr_assert_eq(pe_run(&r, "ip -n %s -d link show dev %s", lab.ns[1], rx_if), 0);
	p = strstr(r.out, "prog/xdp id ");
	if (p)
		sscanf(p, "prog/xdp id %u", &id);
	pe_run_free(&r);
	return id;
}

/* A second attach is refused naming what is there (the id `ip link` shows); a program another
 * tool attached over netlink is refused the same way, survives a plain detach and goes with
 * --force. */
Test(xdp_lab, already_attached)
{
	char want[160], obj[512];
	struct pe_run r;
	unsigned id;

	PE_REQUIRE_XDP();
	cr_assert_eq(xdp(&r, "attach --dev %s --mode native", rx_if), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	id = ip_link_prog_id();
	cr_assert_gt(id, 0);
	cr_assert_eq(xdp(&r, "attach --dev %s --mode generic", rx_if), 0);
	cr_expect_eq(r.status, 1);
	snprintf(want, sizeof(want),
		 "XDP program %u 'pe_xdp_count' is already attached (native mode, bpf_link); "
		 "'pkteng xdp detach --dev %s --force' removes it\n",
		 id, rx_if);
	cr_expect(strstr(r.err, want), "stderr: %s", r.err);
	pe_run_free(&r);
	cr_assert_eq(xdp(&r, "run --dev %s -t 0.1", rx_if), 0);
	cr_expect_eq(r.status, 1, "run over an attached program: %s", r.err);
	pe_run_free(&r);
	cr_assert_eq(xdp(&r, "detach --dev %s", rx_if), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);

	/* another tool's program, attached over netlink */
	snprintf(obj, sizeof(obj), "%s/ebpf/xdp_count.bpf.o", PE_TEST_BUILD);
	cr_assert_eq(pe_run(&r, "ip -n %s link set dev %s xdpgeneric obj %s sec xdp", lab.ns[1],
			    rx_if, obj),
		     0);
	cr_assert_eq(r.status, 0, "ip link set xdpgeneric: %s", r.err);
	pe_run_free(&r);
	id = ip_link_prog_id();
	cr_assert_gt(id, 0);
	cr_assert_eq(xdp(&r, "attach --dev %s", rx_if), 0);
	cr_expect_eq(r.status, 1);
	snprintf(want, sizeof(want), "XDP program %u 'pe_xdp_count' is already attached (generic "
		 "mode, netlink)", id);
	cr_expect(strstr(r.err, want), "stderr: %s", r.err);
	pe_run_free(&r);
	cr_assert_eq(xdp(&r, "detach --dev %s", rx_if), 0);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "no pkteng XDP program pinned there"), "%s", r.err);
	pe_run_free(&r);
	cr_expect(ip_link_has_xdp());
	cr_assert_eq(xdp(&r, "detach --dev %s --force", rx_if), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "detached from"), "%s", r.out);
	pe_run_free(&r);
	cr_expect(!ip_link_has_xdp(), "detach --force left the netlink program");
	/* --force is idempotent */
	cr_assert_eq(xdp(&r, "detach --dev %s --force", rx_if), 0);
	cr_expect_eq(r.status, 0);
	snprintf(want, sizeof(want), "nothing to detach on %s\n", rx_if);
	cr_expect_str_eq(r.out, want);
	pe_run_free(&r);
}

/* Starts `pkteng xdp run` in B and waits until ip link shows its program. */
static void start_run(struct pe_lab_bg *bg, const char *out)
{
	int i;

	cr_assert_eq(pe_lab_bg_start(&lab, 1, bg, out, NULL, "exec %s xdp run --dev %s -t 60",
				     PE_TEST_BIN, rx_if),
		     0);
	for (i = 0; i < 200 && !ip_link_has_xdp(); i++)
		usleep(50000);
	cr_assert(ip_link_has_xdp(), "xdp run did not attach");
}

/* run detaches on SIGTERM and prints its totals; a killed run leaves nothing (the bpf_link
 * dies with the process); a hung run's program is removed by detach --force. */
Test(xdp_lab, run_signals_and_force)
{
	char out[128], want[64], *text;
	struct pe_lab_bg bg;
	uint64_t rx0;
	struct pe_run r;
	int st;

	PE_REQUIRE_XDP();
	snprintf(out, sizeof(out), "/tmp/pe-xdp-run-%d.out", (int)getpid());
	start_run(&bg, out);
	rx0 = rx_packets();
	send_all();
	wait_rx(rx0, 81);
	kill(bg.pid, SIGTERM);
	st = pe_lab_bg_wait(&bg, 5000);
	cr_expect_eq(st, 0, "xdp run after SIGTERM: status %d", st);
	text = pe_read_file(out, NULL);
	cr_assert_not_null(text);
	cr_expect(strstr(text, "counting on "), "%s", text);
	/* the totals table: 81 frames sent, every one counted */
	snprintf(want, sizeof(want), "\n%-10s %16u %18u\n", "total", 81, 81 * FRAME_LEN);
	cr_expect(strstr(text, want), "%s", text);
	free(text);
	cr_expect(!ip_link_has_xdp(), "SIGTERM left the program attached");

	start_run(&bg, NULL);
	kill(bg.pid, SIGKILL);
	pe_lab_bg_wait(&bg, 5000);
	usleep(100000); /* the link is released when the last fd closes */
	cr_expect(!ip_link_has_xdp(), "a killed run left its program attached");
	cr_assert_eq(xdp(&r, "detach --dev %s --force", rx_if), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);

	start_run(&bg, NULL);
	kill(bg.pid, SIGSTOP); /* hung: still holds its link */
	cr_assert_eq(xdp(&r, "detach --dev %s", rx_if), 0);
	cr_expect_eq(r.status, 1, "plain detach of an unpinned run");
	pe_run_free(&r);
	cr_expect(ip_link_has_xdp());
	cr_assert_eq(xdp(&r, "detach --dev %s --force", rx_if), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "detached from"), "%s", r.out);
	pe_run_free(&r);
	cr_expect(!ip_link_has_xdp(), "detach --force left the hung run's program");
	kill(bg.pid, SIGKILL);
	kill(bg.pid, SIGCONT);
	pe_lab_bg_wait(&bg, 5000);
	unlink(out);
}

/* Waits until process pid has a BPF map open (stats has opened the pinned counters and reads
 * its baseline right after). */
static void wait_map_open(pid_t pid)
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

/* stats -i/-t: one JSON object per interval whose frames add up to what was sent. */
Test(xdp_lab, stats_intervals)
{
	struct pe_lab_bg bg;
	char out[128], *text, *line, *save = NULL;
	uint64_t sum = 0;
	int lines = 0, st;
	struct pe_run r;

	PE_REQUIRE_XDP();
	cr_assert_eq(xdp(&r, "attach --dev %s", rx_if), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	snprintf(out, sizeof(out), "/tmp/pe-xdp-stats-%d.out", (int)getpid());
	/* nsenter, not the lab's ip netns exec: stats reads the pins in this mount namespace */
	bg.pid = fork();
	cr_assert_geq(bg.pid, 0);
	if (!bg.pid) {
		char ns[128], dev[32];

		snprintf(ns, sizeof(ns), "--net=/run/netns/%s", lab.ns[1]);
		snprintf(dev, sizeof(dev), "%s", rx_if);
		if (!freopen(out, "w", stdout))
			_exit(127);
		execl("/usr/bin/nsenter", "nsenter", ns, PE_TEST_BIN, "xdp", "stats", "--dev", dev,
		      "-i", "0.5", "-t", "1.5", "--json", (char *)NULL);
		_exit(127);
	}
	wait_map_open(bg.pid);
	send_all();
	st = pe_lab_bg_wait(&bg, 5000);
	cr_expect_eq(st, 0);
	text = pe_read_file(out, NULL);
	cr_assert_not_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *o = json_tokener_parse(line);

		cr_assert_not_null(o, "not JSON: %s", line);
		sum += jget(o, "total", "frames", NULL);
		cr_expect_gt(jget(o, "seconds", NULL, NULL) + 1, 0);
		json_object_put(o);
		lines++;
	}
	free(text);
	unlink(out);
	cr_expect_eq(lines, 3, "%d interval lines", lines);
	cr_expect_eq(sum, 81, "intervals add up to %llu frames", (unsigned long long)sum);
}

/* Without privileges: one line saying what is needed, exit 1. */
Test(xdp_lab, not_root)
{
	struct pe_run r;

	PE_REQUIRE_XDP();
	/* nsenter itself needs CAP_SYS_ADMIN: enter first, then drop privileges */
	cr_assert_eq(pe_run(&r, "nsenter --net=/run/netns/%s setpriv --reuid=65534 --regid=65534 "
			    "--clear-groups --inh-caps=-all --bounding-set=-all %s xdp run --dev %s "
			    "-t 0.1",
			    lab.ns[1], PE_TEST_BIN, rx_if),
		     0);
	cr_expect_eq(r.status, 1, "status %d: %s", r.status, r.err);
	cr_expect_str_eq(r.err, "pkteng: xdp run: needs CAP_BPF and CAP_NET_ADMIN (run as root)\n");
	pe_run_free(&r);
}

/* A device without native XDP (ifb): AUTO says it falls back and uses generic mode; --mode
 * native is refused with the kernel's reason. */
Test(xdp_lab, native_refused_falls_back)
{
	struct pe_run r;
	char want[200];

	PE_REQUIRE_XDP();
	snprintf(ifb_if, sizeof(ifb_if), "pey%d", (int)getpid());
	cr_assert_eq(pe_run(&r, "ip -n %s link add %s type ifb && ip -n %s link set %s up",
			    lab.ns[1], ifb_if, lab.ns[1], ifb_if),
		     0);
	if (r.status) {
		pe_run_free(&r);
		cr_skip_test("no ifb devices in this kernel (a device without native XDP)");
	}
	pe_run_free(&r);
	cr_assert_eq(xdp(&r, "attach --dev %s --mode native", ifb_if), 0);
	cr_expect_eq(r.status, 1);
	snprintf(want, sizeof(want),
		 "pkteng: --dev %s: the kernel refuses native XDP here (Operation not supported); "
		 "try --mode generic\n", ifb_if);
	cr_expect_str_eq(r.err, want);
	pe_run_free(&r);
	cr_expect(!pins_exist_for(ifb_if));
	cr_assert_eq(xdp(&r, "attach --dev %s", ifb_if), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	snprintf(want, sizeof(want),
		 "native XDP refused on %s (Operation not supported); using generic mode\n"
		 "counting on %s in generic mode\n", ifb_if, ifb_if);
	cr_expect(!strncmp(r.out, want, strlen(want)), "%s", r.out);
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, "ip -n %s -d link show dev %s", lab.ns[1], ifb_if), 0);
	cr_expect(strstr(r.out, "xdpgeneric"), "%s", r.out);
	pe_run_free(&r);
	cr_assert_eq(xdp(&r, "detach --dev %s", ifb_if), 0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	pe_run_free(&r);
	cr_expect(!pins_exist_for(ifb_if));
}
