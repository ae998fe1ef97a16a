/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng frame`: builds one Ethernet frame from the command line and prints it as a hexdump
 * or writes it to a pcap file (marking the FCS so Wireshark checks it). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "raw/frame.h"
#include "raw/pcapfile.h"
#include "tools/cli.h"
#include "tools/frameopts.h"

static const char usage[] =
	"Usage: pkteng frame [FRAME FLAGS] [--hex | --pcap FILE]\n"
	"Builds one Ethernet frame and prints it as a hexdump (default) or writes it to a pcap.\n"
	"  --hex                      print offset and 16 bytes a line (the default)\n"
	"  --pcap FILE                write a pcap instead (with --fcs, its link type says so)\n";

enum {
	O_HEX = PE_FRAMEOPT_BASE - 2,
	O_PCAP,
};

static void hexdump(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i += 16) {
		printf("%04zx ", i);
		for (size_t k = i; k < n && k < i + 16; k++)
			printf(" %02x", b[k]);
		putchar('\n');
	}
}

static int write_pcap(const char *path, const struct pe_frame_tmpl *t, bool fcs)
{
	struct pe_pcap_opts po = { .sz = sizeof(po), .fcs = fcs };
	struct pe_pcap_writer *w = pe_pcap_create(path, &po);
	int err;

	if (!w)
		return pe_fail("--pcap %s: %s", path, strerror(errno));
	err = pe_pcap_write(w, pe_frame_data(t), t->len, 0);
	if (err) {
		pe_pcap_abort(w);
		return pe_fail("--pcap %s: %s", path, strerror(-err));
	}
	err = pe_pcap_commit(w);
	if (err)
		return pe_fail("--pcap %s: %s", path, strerror(-err));
	return PE_EXIT_OK;
}

static int run(int argc, char **argv)
{
	static const struct option own[] = {
		{ "help", no_argument, 0, 'h' },
		{ "hex", no_argument, 0, O_HEX },
		{ "pcap", required_argument, 0, O_PCAP },
	};
	struct option opts[sizeof(own) / sizeof(own[0]) + PE_FRAMEOPTS_N + 1];
	static struct pe_frame_tmpl t;
	struct pe_frameopts fo;
	const char *pcap = NULL;
	bool hex = false;
	int c, rc = 0;

	pe_frameopts_table(opts, own, sizeof(own) / sizeof(own[0]));
	pe_frameopts_init(&fo);
	while (!rc && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_HEX:
			hex = true;
			break;
		case O_PCAP:
			pcap = optarg;
			break;
		case 'h':
			return pe_frameopts_help(&fo, usage, false);
		default:
			rc = pe_frameopts_handle(&fo, c, optarg);
			if (rc == -1)
				return pe_frameopts_help(&fo, usage, true);
			break;
		}
	}
	if (!rc && optind < argc)
		rc = pe_usage("frame: unexpected argument '%s'", argv[optind]);
	if (!rc && hex && pcap)
		rc = pe_usage("--pcap %s: choose --hex or --pcap, not both", pcap);
	if (!rc && pcap && !*pcap)
		rc = pe_usage("--pcap: empty file name");
	if (!rc)
		rc = pe_frameopts_build(&fo, &t);
	pe_frameopts_free(&fo);
	if (rc)
		return rc;
	if (pcap)
		return write_pcap(pcap, &t, fo.o.fcs);
	hexdump(pe_frame_data(&t), t.len);
	return fflush(stdout) ? pe_fail("frame: stdout: %s", strerror(errno)) : PE_EXIT_OK;
}

const struct pe_cmd pe_cmd_frame = {
	.name = "frame",
	.summary = "build an Ethernet frame: hexdump or pcap",
	.run = run,
};
