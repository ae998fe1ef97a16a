/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng ethtool --dev IF -k | -K NAME on|off ...`: list and switch offload features through
 * the SIOCETHTOOL ioctl, printing them the way `ethtool -k` does. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raw/ethtool.h"
#include "tools/cli.h"

static const char usage[] =
	"Usage: pkteng ethtool --dev IF -k\n"
	"       pkteng ethtool --dev IF -K NAME on|off [NAME on|off ...]\n"
	"Lists offload features as `ethtool -k` does, or switches them (needs CAP_NET_ADMIN).\n"
	"NAME is a kernel feature name (tx-checksum-ip-generic, rx-gro-list, ...) or one of\n"
	"ethtool's groups: rx tx sg tso ufo gso gro lro rxvlan txvlan ntuple rxhash (or their "
	"long\n"
	"names: tx-checksumming, scatter-gather, ...). A group switches every member that can be.\n"
	"  -d, --dev IF      the interface\n"
	"  -k, --show-features\n"
	"  -K, --features    NAME on|off pairs follow\n"
	"Exit status 1 when a feature is fixed or the driver did not apply the change.\n";

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
	struct pe_feature_change *ch;
	enum pe_feature_outcome *oc;
	struct pe_features before, after;
	const char *bad = NULL;
	size_t n = argc / 2;
	int err, rc = PE_EXIT_OK;
	bool *named;

	if (argc == 0)
		return pe_usage("ethtool: -K needs NAME on|off");
	if (argc % 2)
		return pe_usage("ethtool: -K %s: needs on or off after it", argv[argc - 1]);
	err = pe_features_get(dev, &before);
	if (err)
		return dev_error(dev, err);
	ch = calloc(n, sizeof(*ch));
	oc = calloc(n, sizeof(*oc));
	named = calloc(before.n + 1, sizeof(*named));
	if (!ch || !oc || !named) {
		rc = pe_fail("ethtool: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *v = argv[2 * i + 1];
		unsigned idx[64];
		int k;

		ch[i].name = argv[2 * i];
		if (!strcmp(v, "on"))
			ch[i].on = true;
		else if (strcmp(v, "off")) {
			rc = pe_usage("ethtool: -K %s %s: the value must be on or off", ch[i].name,
				      v);
			goto out;
		}
		k = pe_features_expand(&before, ch[i].name, idx, 64);
		if (k < 0) {
			rc = pe_usage("ethtool: -K %s: unknown feature (see 'pkteng ethtool --dev "
				      "%s -k')",
				      ch[i].name, dev);
			goto out;
		}
		for (int j = 0; j < k; j++)
			named[idx[j]] = true;
	}
	err = pe_features_set(dev, ch, n, oc, &bad);
	if (err < 0) {
		rc = err == -ENOENT && bad ? pe_usage("ethtool: -K %s: unknown feature", bad)
					   : dev_error(dev, err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (oc[i] == PE_FEATURE_FIXED)
			rc = pe_fail("ethtool: %s: %s is fixed and stays %s", dev, ch[i].name,
				     ch[i].on ? "off" : "on");
		else if (oc[i] == PE_FEATURE_NOT_APPLIED)
			rc = pe_fail("ethtool: %s: the driver did not turn %s %s", dev, ch[i].name,
				     ch[i].on ? "on" : "off");
	}
	/* Like ethtool: say so when the kernel switched features that were not asked for
	 * (turning tx checksumming off takes sg and tso with it). */
	if (!pe_features_get(dev, &after)) {
		bool header = false;

		for (unsigned i = 0; i < after.n && i < before.n; i++) {
			if (named[i] || after.f[i].active == before.f[i].active ||
			    !after.f[i].name[0])
				continue;
			if (!header)
				printf("Actual changes:\n");
			header = true;
			printf("%s: %s\n", after.f[i].name, after.f[i].active ? "on" : "off");
		}
		pe_features_free(&after);
	}
out:
	pe_features_free(&before);
	free(ch);
	free(oc);
	free(named);
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
	if (!dev)
		return pe_usage("ethtool: missing --dev IF (see 'pkteng ethtool --help')");
	if (strlen(dev) >= IFNAMSIZ || !if_nametoindex(dev))
		return pe_usage("--dev %s: no such interface", dev);
	if (!mode)
		return pe_usage("ethtool: say -k (list) or -K NAME on|off (set)");
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
