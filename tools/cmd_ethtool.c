/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng ethtool -k DEV | -K DEV NAME on|off ...`: list and switch offload features through
 * the SIOCETHTOOL ioctl, printing them and the changes the way ethtool -k and -K do. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raw/ethtool.h"
#include "tools/inject/offload.h"
#include "tools/cli.h"

static const char usage[] =
	"Usage: pkteng ethtool -k DEV\n"
	"       pkteng ethtool -K DEV NAME on|off [NAME on|off ...]\n"
	"       (or --dev DEV before -k/-K; each pair may also be one word NAME=on|off)\n"
	"Lists offload features as `ethtool -k` does, or switches them (needs CAP_NET_ADMIN) and\n"
	"prints what `ethtool -K` prints: nothing when all went as asked, else \"Actual "
	"changes:\"\n"
	"and each feature not as asked (\" [requested on]\") or switched along (\" [not "
	"requested]\").\n"
	"NAME is a kernel feature name (tx-checksum-ip-generic, rx-gro-list, ...) or one of\n"
	"ethtool's groups: rx tx sg tso ufo gso gro lro rxvlan txvlan ntuple rxhash (or their "
	"long\n"
	"names: tx-checksumming, scatter-gather, ...). A group switches every member that can be.\n"
	"`pkteng inject --offload` takes the same pairs: `--offload tx=off`, `--offload 'tx "
	"off'`.\n"
	"  -d, --dev DEV     the interface (or the first argument after -k/-K, as ethtool takes "
	"it)\n"
	"  -k, --show-features\n"
	"  -K, --features    NAME on|off pairs follow\n"
	"Exit status 1, as ethtool's, when no named feature could be changed at all.\n";

static int dev_error(const char *dev, int err)
{
	if (err == -ENODEV)
		return pe_usage("--dev %s: no such interface", dev);
	if (err == -EPERM || err == -EACCES)
		return pe_fail(
			"ethtool: needs CAP_NET_ADMIN to change features of %s (run as root)", dev);
	if (err == -EOPNOTSUPP)
		return pe_fail("ethtool: %s: the driver has no feature list", dev);
	return pe_fail("ethtool: %s: %s", dev, strerror(-err));
}

static int show(const char *dev)
{
	struct pe_features fs;
	int err = pe_features_get(dev, &fs);

	if (err)
		return dev_error(dev, err);
	printf("Features for %s:\n", dev);
	pe_features_print(&fs, stdout);
	pe_features_free(&fs);
	return PE_EXIT_OK;
}

static int set(const char *dev, int argc, char **argv)
{
	struct pe_feature_change ch[64];
	struct pe_features before, after;
	const char *bad = NULL;
	signed char *req = NULL;
	int n, err, rc = PE_EXIT_OK;

	if (argc == 0)
		return pe_usage("ethtool: -K needs NAME on|off");
	n = pe_offload_words_parse(argv, argc, ch, 64, "ethtool: -K");
	if (n < 0)
		return -n;
	err = pe_features_get(dev, &before);
	if (err) {
		rc = dev_error(dev, err);
		goto free_names;
	}
	req = malloc(before.n + 1);
	if (!req) {
		rc = pe_fail("ethtool: out of memory");
		goto out;
	}
	memset(req, -1, before.n + 1);
	for (int i = 0; i < n; i++) {
		unsigned idx[64];
		int k = pe_features_expand(&before, ch[i].name, idx, 64);

		if (k < 0) {
			rc = pe_usage(
				"ethtool: -K %s: unknown feature (see 'pkteng ethtool -k %s')",
				ch[i].name, dev);
			goto out;
		}
		for (int j = 0; j < k; j++)
			req[idx[j]] = ch[i].on; /* the last one named wins, as in ethtool */
	}
	err = pe_features_set(dev, ch, (size_t)n, NULL, &bad);
	if (err < 0) {
		rc = err == -ENOENT && bad ? pe_usage("ethtool: -K %s: unknown feature", bad)
					   : dev_error(dev, err);
		goto out;
	}
	err = pe_features_get(dev, &after);
	if (err) {
		rc = dev_error(dev, err);
		goto out;
	}
	if (pe_features_print_changes(&before, &after, req, stdout)) {
		fflush(stdout);
		rc = pe_fail("ethtool: %s: could not change any device features", dev);
	}
	pe_features_free(&after);
out:
	pe_features_free(&before);
	free(req);
free_names:
	for (int i = 0; i < n; i++)
		free((char *)ch[i].name);
	return rc;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "dev", required_argument, 0, 'd' },
		{ "show-features", no_argument, 0, 'k' },
		{ "features", no_argument, 0, 'K' },
		{ 0 },
	};
	const char *dev = NULL;
	int c, mode = 0;

	/* '+': stop at the first NAME so "-K tx off" keeps its pairs in order. */
	while ((c = getopt_long(argc, argv, "+hd:kK", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'k':
		case 'K':
			if (mode && mode != c)
				return pe_usage("ethtool: -k and -K do not go together");
			mode = c;
			break;
		case 'h':
			return pe_cli_help(usage, false);
		default:
			return pe_cli_help(usage, true);
		}
	}
	if (!mode)
		return pe_usage("ethtool: say -k DEV (list) or -K DEV NAME on|off (set)");
	if (!dev && optind < argc) {
		dev = argv[optind++]; /* ethtool's place for it: right after -k or -K */
		if (strlen(dev) >= IFNAMSIZ || !if_nametoindex(dev))
			return pe_usage("ethtool: %s: no such interface", dev);
	}
	if (!dev)
		return pe_usage("ethtool: missing DEV (see 'pkteng ethtool --help')");
	if (strlen(dev) >= IFNAMSIZ || !if_nametoindex(dev))
		return pe_usage("--dev %s: no such interface", dev);
	if (mode == 'k') {
		if (optind < argc)
			return pe_usage("ethtool: unexpected argument '%s'", argv[optind]);
		return show(dev);
	}
	return set(dev, argc - optind, argv + optind);
}

const struct pe_cmd pe_cmd_ethtool = {
	.name = "ethtool",
	.summary = "list and switch NIC offload features (like ethtool -k/-K)",
	.run = run,
};
