/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng frame` on the command line (bad input: the exact line, exit 2, no file), the pcap
 * writer/reader and the address parsers. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "raw/addr.h"
#include "raw/pcapfile.h"
#include "tests/testutil.h"

static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

struct bad {
	const char *args, *err;
};

static const struct bad bads[] = {
	{ "--vlan 5000", "--vlan 5000: VLAN ID must be 0..4094" },
	{ "--vlan 10:8", "--vlan 10:8: priority (PCP) must be 0..7" },
	{ "--vlan x", "--vlan x: VLAN ID must be 0..4094" },
	{ "--qinq 5", "--qinq: needs --vlan (the inner tag)" },
	{ "--src-mac 02:00:00:00:00",
	  "--src-mac 02:00:00:00:00: expected a MAC like 02:00:00:00:00:01" },
	{ "--dst-mac 02-00-00-00-00-01",
	  "--dst-mac 02-00-00-00-00-01: expected a MAC like 02:00:00:00:00:01" },
	{ "--src-ip 198.18.0.256", "--src-ip 198.18.0.256: not an IPv4 or IPv6 address" },
	{ "--dst-ip 2001:2::g", "--dst-ip 2001:2::g: not an IPv4 or IPv6 address" },
	{ "--src-ip 198.18.0.1 --dst-ip 2001:2::2",
	  "--dst-ip 2001:2::2: mixed IPv4 and IPv6 (--src-ip 198.18.0.1)" },
	{ "--sport 65536", "--sport 65536: port must be 0..65535" },
	{ "--dport -1", "--dport -1: port must be 0..65535" },
	{ "--sport 5 --proto icmp", "--sport/--dport: ports need --proto udp or tcp" },
	{ "--size 63", "--size 63: must be 64..1518 for these headers (--jumbo for more)" },
	{ "--size 1519", "--size 1519: must be 64..1518 for these headers (--jumbo for more)" },
	{ "--size 1523 --vlan 1",
	  "--size 1523: must be 64..1522 for these headers (--jumbo for more)" },
	{ "--size 9019 --jumbo", "--size 9019: must be 64..9018 for these headers" },
	{ "--size 64 --src-ip 2001:2::1 --proto tcp",
	  "--size 64: must be 78..1518 for these headers (--jumbo for more)" },
	{ "--size big", "--size big: must be 64..1518 for these headers (--jumbo for more)" },
	{ "--payload-hex abc", "--payload-hex: odd number of hex digits (3)" },
	{ "--payload-hex 00zz", "--payload-hex: 'zz' at offset 2 is not hex" },
	{ "--payload-hex 0x", "--payload-hex: '0x' at offset 0 is not hex" },
	{ "--payload-hex 00 --size 100",
	  "--payload-hex: choose --size or --payload-hex, not both" },
	{ "--payload-hex 00 --payload inc",
	  "--payload-hex: choose --payload or --payload-hex, not both" },
	{ "--payload foo", "--payload foo: expected fill:0xNN, inc or random:SEED" },
	{ "--payload fill:256", "--payload fill:256: fill byte must be 0..255 (0xNN)" },
	{ "--payload random:x", "--payload random:x: seed must be a number" },
	{ "--proto sctp", "--proto sctp: expected udp, tcp, icmp or raw" },
	{ "--proto tcp --tcp-flags SYN,BOGUS",
	  "--tcp-flags SYN,BOGUS: unknown flag 'BOGUS' (FIN SYN RST PSH ACK URG ECE CWR)" },
	{ "--proto tcp --tcp-flags SYN,,ACK",
	  "--tcp-flags SYN,,ACK: empty flag name (expected names like SYN,ACK)" },
	{ "--proto tcp --tcp-flags ''", "--tcp-flags: expected names like SYN,ACK" },
	{ "--tcp-flags SYN", "--tcp-flags: needs --proto tcp" },
	{ "--ethertype 0x05ff", "--ethertype 0x05ff: must be 0x0600..0xffff" },
	{ "--ethertype 0x88b5 --proto udp", "--ethertype 0x88b5: needs --proto raw" },
	{ "--proto raw --src-ip 198.18.0.9", "--src-ip: a raw frame has no IP header" },
	{ "--ttl 256", "--ttl 256: must be 0..255" },
	{ "--tos 0x100", "--tos 0x100: must be 0..255" },
	{ "extra", "frame: unexpected argument 'extra'" },
	{ "--hex", NULL }, /* --hex with --pcap: the message names the pcap path, checked below */
};

Test(frame_cli, bad_input_one_line_exit_2_no_file)
{
	char *dir = pe_tmpdir(), line[600];
	struct pe_run r;

	cr_assert(dir);
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		cr_assert_eq(pe_run(&r, "%s frame %s --pcap %s/out.pcap", PE_TEST_BIN, bads[i].args,
				    dir),
			     0);
		if (bads[i].err)
			snprintf(line, sizeof(line), "pkteng: %s\n", bads[i].err);
		else
			snprintf(line, sizeof(line),
				 "pkteng: --pcap %s/out.pcap: choose --hex or --pcap, not both\n",
				 dir);
		cr_expect_eq(r.status, 2, "%s: exit %d", bads[i].args, r.status);
		cr_expect_str_eq(r.err, line, "%s", bads[i].args);
		cr_expect_eq(r.out_len, 0, "%s: printed '%s'", bads[i].args, r.out);
		cr_expect_eq(dir_entries(dir), 0, "%s: left a file", bads[i].args);
		pe_run_free(&r);
	}
	/* a payload one byte too big for 1518 (42 header bytes + 1473 + FCS) */
	{
		char hex[2 * 1473 + 1];

		memset(hex, 'a', sizeof(hex) - 1);
		hex[sizeof(hex) - 1] = 0;
		cr_assert_eq(pe_run(&r, "%s frame --payload-hex %s --pcap %s/o.pcap", PE_TEST_BIN,
				    hex, dir),
			     0);
		cr_expect_eq(r.status, 2);
		cr_expect_str_eq(
			r.err,
			"pkteng: --payload-hex: 1473 bytes do not fit in a 1518-byte frame\n");
		pe_run_free(&r);
		hex[2 * 1472] = 0;
		cr_assert_eq(pe_run(&r, "%s frame --payload-hex %s --fcs", PE_TEST_BIN, hex), 0);
		cr_expect_eq(r.status, 0, "%s", r.err);
		/* 1518 bytes: the last line at 0x5e0 holds 10 payload bytes and the FCS */
		cr_expect(strstr(r.out, "\n05e0  aa aa aa aa aa aa aa aa aa aa ") &&
				  !strstr(r.out, "05f0") && r.out_len == 94 * 54 + 48,
			  "%zu bytes of hexdump", r.out_len);
		pe_run_free(&r);
	}
	cr_expect_eq(dir_entries(dir), 0);
	pe_tmpdir_remove(dir);
}

Test(frame_cli, failed_run_exit_1)
{
	struct pe_run r;

	cr_assert_eq(pe_run(&r, "%s frame --pcap /nonexistent-dir-pkteng/x.pcap", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 1);
	cr_expect_str_eq(r.err, "pkteng: --pcap /nonexistent-dir-pkteng/x.pcap: No such file or "
				"directory\n");
	pe_run_free(&r);
}

/* The quick start's command and the defaults: 64-byte UDP 198.18.0.1:9 -> 198.18.0.2:9. */
Test(frame_cli, default_frame_hex)
{
	static const char want[] = "0000  02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00\n"
				   "0010  00 2e 00 00 00 00 40 11 ee 97 c6 12 00 01 c6 12\n"
				   "0020  00 02 00 09 00 09 00 1a 73 80 00 00 00 00 00 00\n"
				   "0030  00 00 00 00 00 00 00 00 00 00 00 00 04 cf 3e f9\n";
	struct pe_run r;

	cr_assert_eq(pe_run(&r, "%s frame --fcs --hex", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 0);
	cr_expect_str_eq(r.out, want);
	cr_expect_eq(r.err_len, 0);
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, "%s frame --fcs", PE_TEST_BIN), 0);
	cr_expect_str_eq(r.out, want, "--hex is the default");
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, "%s frame --help", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "Usage: pkteng frame"));
	cr_expect(strstr(r.out, "\n  --pcap FILE "));
	pe_run_free(&r);
}

/* One block of frame-flag help lines, the same in `pkteng frame` and `pkteng inject`. */
Test(frame_cli, help_shares_frame_flags)
{
	struct pe_run f, i;
	const char *bf, *bi;

	cr_assert_eq(pe_run(&f, "%s frame --help", PE_TEST_BIN), 0);
	cr_assert_eq(pe_run(&i, "%s inject --help", PE_TEST_BIN), 0);
	cr_expect(f.status == 0 && i.status == 0);
	bf = strstr(f.out, "\nFrame flags:\n");
	bi = strstr(i.out, "\nFrame flags:\n");
	cr_assert(bf && bi, "frame: %d, inject: %d", !!bf, !!bi);
	cr_expect(strstr(bf, "\n  --src-mac M, --dst-mac M ") && strstr(bf, "\n  --fcs "));
	cr_expect_str_eq(bf, bi);
	pe_run_free(&f);
	pe_run_free(&i);
}

Test(frame_cli, pcap_write_read_fcs)
{
	char *dir = pe_tmpdir(), path[512];
	static const uint8_t f1[60] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5, 1 };
	static const uint8_t f2[64] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5, 2 };
	struct pe_pcap_opts po = { .sz = sizeof(po), .fcs = true, .nanosec = true };
	struct pe_pcap_writer *w;
	struct pe_pcap_reader *rd;
	const uint8_t *d;
	size_t cl, wl;
	uint64_t t;

	cr_assert(dir);
	snprintf(path, sizeof(path), "%s/a.pcap", dir);
	w = pe_pcap_create(path, &po);
	cr_assert(w);
	cr_expect_eq(pe_pcap_write(w, f1, sizeof(f1), 1700000000123456789ull), 0);
	cr_expect_eq(pe_pcap_write(w, f2, sizeof(f2), 1700000001000000001ull), 0);
	cr_expect_eq(access(path, F_OK), -1, "the final name exists before commit");
	cr_expect_eq(dir_entries(dir), 1);
	cr_assert_eq(pe_pcap_commit(w), 0);
	cr_expect_eq(dir_entries(dir), 1, "temporary file left behind");
	rd = pe_pcap_open(path);
	cr_assert(rd);
	cr_expect_eq(pe_pcap_linktype(rd), DLT_EN10MB);
	cr_expect_eq(pe_pcap_fcs_len(rd), 4);
	cr_assert_eq(pe_pcap_next(rd, &d, &cl, &wl, &t), 1);
	cr_expect(cl == 60 && wl == 60 && !memcmp(d, f1, 60));
	cr_expect_eq(t, 1700000000123456789ull);
	cr_assert_eq(pe_pcap_next(rd, &d, &cl, &wl, &t), 1);
	cr_expect(cl == 64 && wl == 64 && !memcmp(d, f2, 64));
	cr_expect_eq(t, 1700000001000000001ull);
	cr_expect_eq(pe_pcap_next(rd, &d, &cl, &wl, &t), 0);
	pe_pcap_close(rd);

	/* microseconds, no FCS; then an aborted writer leaves nothing */
	po.fcs = po.nanosec = false;
	snprintf(path, sizeof(path), "%s/b.pcap", dir);
	w = pe_pcap_create(path, &po);
	cr_assert(w);
	cr_expect_eq(pe_pcap_write(w, f1, sizeof(f1), 1700000000123456789ull), 0);
	cr_assert_eq(pe_pcap_commit(w), 0);
	rd = pe_pcap_open(path);
	cr_assert(rd);
	cr_expect_eq(pe_pcap_fcs_len(rd), 0);
	cr_assert_eq(pe_pcap_next(rd, &d, &cl, &wl, &t), 1);
	cr_expect_eq(t, 1700000000123456000ull);
	pe_pcap_close(rd);
	snprintf(path, sizeof(path), "%s/c.pcap", dir);
	w = pe_pcap_create(path, NULL);
	cr_assert(w);
	cr_expect_eq(pe_pcap_write(w, f1, sizeof(f1), 0), 0);
	pe_pcap_abort(w);
	cr_expect_eq(dir_entries(dir), 2);
	cr_expect_null(pe_pcap_open(path));
	cr_expect_eq(errno, ENOENT);
	snprintf(path, sizeof(path), "%s/nodir/x.pcap", dir);
	cr_expect_null(pe_pcap_create(path, NULL));
	cr_expect_eq(errno, ENOENT);
	pe_tmpdir_remove(dir);
}

Test(frame_cli, address_parsing)
{
	static const struct {
		const char *in;
		int ret;
		uint8_t mac[6];
	} macs[] = {
		{ "02:00:00:00:00:01", 0, { 2, 0, 0, 0, 0, 1 } },
		{ "AA:bb:Cc:dD:ee:FF", 0, { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff } },
		{ "2:0:0:0:0:1", -EINVAL, { 0 } },
		{ "02:00:00:00:00:01:", -EINVAL, { 0 } },
		{ "02-00-00-00-00-01", -EINVAL, { 0 } },
		{ "02:00:00:00:00:0g", -EINVAL, { 0 } },
		{ "", -EINVAL, { 0 } },
	};
	union pe_ip_addr a;
	char s[PE_MAC_STRLEN];

	for (size_t i = 0; i < sizeof(macs) / sizeof(macs[0]); i++) {
		uint8_t m[6] = { 9, 9, 9, 9, 9, 9 }, keep[6] = { 9, 9, 9, 9, 9, 9 };

		cr_expect_eq(pe_mac_parse(macs[i].in, m), macs[i].ret, "'%s'", macs[i].in);
		cr_expect(!memcmp(m, macs[i].ret ? keep : macs[i].mac, 6), "'%s'", macs[i].in);
	}
	cr_expect_str_eq(pe_mac_format((const uint8_t[6]){ 2, 0xab, 0, 0, 0x10, 0xff }, s),
			 "02:ab:00:00:10:ff");
	cr_expect_eq(pe_ip_parse("198.18.0.1", &a), AF_INET);
	cr_expect_eq(a.v4.s_addr, htonl(0xc6120001));
	cr_expect_eq(pe_ip_parse("2001:2::1", &a), AF_INET6);
	cr_expect(a.b[0] == 0x20 && a.b[1] == 0x01 && a.b[3] == 2 && a.b[15] == 1);
	cr_expect_eq(pe_ip_parse("198.18.0", &a), -EINVAL);
	cr_expect_eq(pe_ip_parse("2001:2::1::2", &a), -EINVAL);
	cr_expect_eq(pe_ip_parse(NULL, &a), -EINVAL);
}

/* The reader on a stream (the fuzz target reads pcap bytes from memory): a classic header
 * whose link type carries the FCS bits, one record; then bytes that are no pcap. */
Test(frame_cli, pcap_fopen_memory)
{
	static const uint8_t frame[14] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5 };
	uint8_t buf[24 + 16 + sizeof(frame)];
	uint32_t hdr[6] = { 0xa1b2c3d4u, 2 | 4u << 16, 0, 0, 65535, 1 | 0x04000000u | 2u << 28 };
	uint32_t rec[4] = { 1700000000u, 5, sizeof(frame), 60 };
	struct pe_pcap_reader *rd;
	const uint8_t *d;
	size_t cl, wl;
	uint64_t t;
	FILE *f;

	memcpy(buf, hdr, sizeof(hdr));
	memcpy(buf + 24, rec, sizeof(rec));
	memcpy(buf + 40, frame, sizeof(frame));
	f = fmemopen(buf, sizeof(buf), "rb");
	cr_assert(f);
	rd = pe_pcap_fopen(f);
	cr_assert(rd);
	cr_expect_eq(pe_pcap_linktype(rd), DLT_EN10MB);
	cr_expect_eq(pe_pcap_fcs_len(rd), 4);
	cr_assert_eq(pe_pcap_next(rd, &d, &cl, &wl, &t), 1);
	cr_expect(cl == 14 && wl == 60 && !memcmp(d, frame, 14));
	cr_expect_eq(t, 1700000000000005000ull);
	cr_expect_eq(pe_pcap_next(rd, &d, &cl, &wl, &t), 0);
	pe_pcap_close(rd);

	memset(buf, 'x', sizeof(buf));
	f = fmemopen(buf, sizeof(buf), "rb");
	cr_assert(f);
	errno = 0;
	cr_expect_null(pe_pcap_fopen(f));
	cr_expect_eq(errno, EBADMSG);
	errno = 0;
	cr_expect_null(pe_pcap_fopen(NULL));
	cr_expect_eq(errno, EINVAL);
}
