/* SPDX-License-Identifier: BSD-2-Clause */
/* Offload features over SIOCETHTOOL: names from ETHTOOL_GSTRINGS, state from
 * ETHTOOL_GFEATURES, changes through one ETHTOOL_SFEATURES call verified by a re-read. The
 * grouping into "tx-checksumming" & co. follows what `ethtool -k` prints. */
#include "raw/ethtool.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* ethtool's legacy flags: short name, the long name it prints, the kernel names it covers
 * (a '*' stands for any run of characters). UFO is never printed by the netlink ethtool. */
static const struct group {
	const char *short_name, *long_name, *pattern;
	bool hidden;
} groups[] = {
	{ "rx", "rx-checksumming", "rx-checksum", false },
	{ "tx", "tx-checksumming", "tx-checksum-*", false },
	{ "sg", "scatter-gather", "tx-scatter-gather*", false },
	{ "tso", "tcp-segmentation-offload", "tx-tcp*-segmentation", false },
	{ "ufo", "udp-fragmentation-offload", "tx-udp-fragmentation", true },
	{ "gso", "generic-segmentation-offload", "tx-generic-segmentation", false },
	{ "gro", "generic-receive-offload", "rx-gro", false },
	{ "lro", "large-receive-offload", "rx-lro", false },
	{ "rxvlan", "rx-vlan-offload", "rx-vlan-hw-parse", false },
	{ "txvlan", "tx-vlan-offload", "tx-vlan-hw-insert", false },
	{ "ntuple", "ntuple-filters", "rx-ntuple-filter", false },
	{ "rxhash", "receive-hashing", "rx-hashing", false },
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static bool pattern_match(const char *name, const char *pat)
{
	const char *star = strchr(pat, '*');
	size_t nlen = strlen(name), pre, suf;

	if (!star)
		return !strcmp(name, pat);
	pre = star - pat;
	suf = strlen(star + 1);
	return nlen >= pre + suf && !strncmp(name, pat, pre) &&
	       !strcmp(name + nlen - suf, star + 1);
}

/* The group a feature belongs to, or -1. */
static int group_of(const char *name)
{
	if (!*name)
		return -1;
	for (unsigned g = 0; g < NGROUPS; g++)
		if (pattern_match(name, groups[g].pattern))
			return g;
	return -1;
}

static int eth_ioctl(int fd, const char *ifname, void *data)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_data = data;
	return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

static int open_ctl(const char *ifname)
{
	int fd;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ || !if_nametoindex(ifname))
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

static int read_features(int fd, const char *ifname, struct pe_features *out)
{
	struct ethtool_sset_info *ssi;
	struct ethtool_gstrings *gs = NULL;
	struct ethtool_gfeatures *gf = NULL;
	unsigned n, words;
	int err;

	out->n = 0;
	out->f = NULL;
	ssi = calloc(1, sizeof(*ssi) + sizeof(uint32_t));
	if (!ssi)
		return -ENOMEM;
	ssi->cmd = ETHTOOL_GSSET_INFO;
	ssi->sset_mask = 1ULL << ETH_SS_FEATURES;
	err = eth_ioctl(fd, ifname, ssi);
	if (!err && !(ssi->sset_mask & (1ULL << ETH_SS_FEATURES)))
		err = -EOPNOTSUPP;
	n = err ? 0 : ssi->data[0];
	free(ssi);
	if (err)
		return err;
	words = (n + 31) / 32;
	gs = calloc(1, sizeof(*gs) + (size_t)n * ETH_GSTRING_LEN);
	gf = calloc(1, sizeof(*gf) + words * sizeof(gf->features[0]));
	out->f = calloc(n ? n : 1, sizeof(*out->f));
	if (!gs || !gf || !out->f) {
		err = -ENOMEM;
		goto out;
	}
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = ETH_SS_FEATURES;
	gs->len = n;
	err = eth_ioctl(fd, ifname, gs);
	if (err)
		goto out;
	gf->cmd = ETHTOOL_GFEATURES;
	gf->size = words;
	err = eth_ioctl(fd, ifname, gf);
	if (err)
		goto out;
	for (unsigned i = 0; i < n && i < gs->len; i++) {
		struct pe_feature *f = &out->f[i];
		const struct ethtool_get_features_block *b = &gf->features[i / 32];
		uint32_t bit = 1U << (i % 32);

		memcpy(f->name, gs->data + (size_t)i * ETH_GSTRING_LEN,
		       ETH_GSTRING_LEN < sizeof(f->name) ? ETH_GSTRING_LEN : sizeof(f->name) - 1);
		f->available = b->available & bit;
		f->requested = b->requested & bit;
		f->active = b->active & bit;
		f->never_changed = b->never_changed & bit;
	}
	out->n = n;
out:
	free(gs);
	free(gf);
	if (err) {
		free(out->f);
		out->f = NULL;
	}
	return err;
}

int pe_features_get(const char *ifname, struct pe_features *out)
{
	int fd = open_ctl(ifname), err;

	out->n = 0;
	out->f = NULL;
	if (fd < 0)
		return fd;
	err = read_features(fd, ifname, out);
	close(fd);
	return err;
}

void pe_features_free(struct pe_features *fs)
{
	free(fs->f);
	fs->f = NULL;
	fs->n = 0;
}

int pe_features_find(const struct pe_features *fs, const char *name)
{
	for (unsigned i = 0; i < fs->n; i++)
		if (fs->f[i].name[0] && !strcmp(fs->f[i].name, name))
			return i;
	return -ENOENT;
}

static void print_one(const struct pe_feature *f, const char *name, const char *prefix, FILE *out)
{
	const char *suffix = "";

	if (!f->available || f->never_changed)
		suffix = " [fixed]";
	else if (f->active != f->requested)
		suffix = f->requested ? " [requested on]" : " [requested off]";
	fprintf(out, "%s%s: %s%s\n", prefix, name, f->active ? "on" : "off", suffix);
}

void pe_features_print(const struct pe_features *fs, FILE *out)
{
	for (unsigned g = 0; g < NGROUPS; g++) {
		unsigned n_match = 0;
		bool any_on = false;

		if (groups[g].hidden)
			continue;
		for (unsigned i = 0; i < fs->n; i++)
			if (group_of(fs->f[i].name) == (int)g) {
				n_match++;
				any_on |= fs->f[i].active;
			}
		/* A group of one prints as the group; an empty group prints "off". */
		if (n_match != 1)
			fprintf(out, "%s: %s\n", groups[g].long_name, any_on ? "on" : "off");
		for (unsigned i = 0; i < fs->n; i++)
			if (group_of(fs->f[i].name) == (int)g)
				print_one(&fs->f[i],
					  n_match == 1 ? groups[g].long_name : fs->f[i].name,
					  n_match == 1 ? "" : "\t", out);
	}
	for (unsigned i = 0; i < fs->n; i++)
		if (fs->f[i].name[0] && group_of(fs->f[i].name) < 0)
			print_one(&fs->f[i], fs->f[i].name, "", out);
}

int pe_features_expand(const struct pe_features *fs, const char *name, unsigned *idx, size_t cap)
{
	size_t n = 0;
	int i = pe_features_find(fs, name);

	if (i >= 0) {
		if (cap)
			idx[0] = i;
		return 1;
	}
	for (unsigned g = 0; g < NGROUPS; g++) {
		if (strcmp(name, groups[g].short_name) && strcmp(name, groups[g].long_name))
			continue;
		for (unsigned k = 0; k < fs->n; k++)
			if (group_of(fs->f[k].name) == (int)g && n < cap)
				idx[n++] = k;
		return n;
	}
	return -ENOENT;
}

int pe_features_set(const char *ifname, const struct pe_feature_change *ch, size_t n,
		    enum pe_feature_outcome *outcome, const char **bad_name)
{
	struct ethtool_sfeatures *sf = NULL;
	struct pe_features fs = { 0 }, after = { 0 };
	unsigned *idx = NULL, words;
	int fd, err, ret = 0;

	fd = open_ctl(ifname);
	if (fd < 0)
		return fd;
	err = read_features(fd, ifname, &fs);
	if (err)
		goto out;
	idx = calloc(fs.n ? fs.n : 1, sizeof(*idx));
	words = (fs.n + 31) / 32;
	sf = calloc(1, sizeof(*sf) + words * sizeof(sf->features[0]));
	if (!idx || !sf) {
		err = -ENOMEM;
		goto out;
	}
	sf->cmd = ETHTOOL_SFEATURES;
	sf->size = words;
	for (size_t c = 0; c < n; c++) {
		int k = pe_features_expand(&fs, ch[c].name, idx, fs.n);

		if (k < 0) {
			if (bad_name)
				*bad_name = ch[c].name;
			err = -ENOENT;
			goto out;
		}
		for (int j = 0; j < k; j++) {
			struct ethtool_set_features_block *b = &sf->features[idx[j] / 32];
			uint32_t bit = 1U << (idx[j] % 32);

			if (!pe_feature_changeable(&fs.f[idx[j]]))
				continue;
			b->valid |= bit;
			if (ch[c].on)
				b->requested |= bit;
			else
				b->requested &= ~bit;
		}
	}
	err = eth_ioctl(fd, ifname, sf);
	if (err)
		goto out;
	err = read_features(fd, ifname, &after);
	if (err)
		goto out;
	for (size_t c = 0; c < n; c++) {
		enum pe_feature_outcome o = PE_FEATURE_OK;
		int k = pe_features_expand(&after, ch[c].name, idx, after.n);
		bool changeable = false, all_match = true, any_match = false;

		for (int j = 0; j < k; j++) {
			const struct pe_feature *f = &after.f[idx[j]];

			if (pe_feature_changeable(f)) {
				changeable = true;
				if (f->active != ch[c].on)
					o = PE_FEATURE_NOT_APPLIED;
			}
			all_match &= f->active == ch[c].on;
			any_match |= f->active == ch[c].on;
		}
		/* Nothing to switch: fine if it already is as asked (a group counts as on when
		 * any member is, as ethtool prints it). */
		if (!changeable && !(ch[c].on ? any_match : all_match))
			o = PE_FEATURE_FIXED;
		if (outcome)
			outcome[c] = o;
		if (o != PE_FEATURE_OK)
			ret = 1;
	}
out:
	pe_features_free(&fs);
	pe_features_free(&after);
	free(idx);
	free(sf);
	close(fd);
	return err ? err : ret;
}

int pe_features_print_changes(const struct pe_features *before, const struct pe_features *after,
			      const signed char *req, FILE *f)
{
	unsigned n = before->n < after->n ? before->n : after->n;
	bool show = false, wish = false, changeable = false;

	for (unsigned i = 0; i < n; i++) {
		bool moved = before->f[i].active != after->f[i].active;

		if (req[i] >= 0) {
			changeable |= pe_feature_changeable(&before->f[i]);
			if (after->f[i].active != req[i])
				wish = show = true;
		} else if (moved) {
			show = true;
		}
	}
	if (!show)
		return 0;
	fprintf(f, "Actual changes:\n");
	for (unsigned i = 0; i < n; i++) {
		const struct pe_feature *a = &after->f[i];
		bool moved = before->f[i].active != a->active;

		if (!a->name[0])
			continue;
		if (req[i] >= 0 && a->active != req[i])
			fprintf(f, "%s: %s [requested %s]\n", a->name, a->active ? "on" : "off",
				req[i] ? "on" : "off");
		else if (moved)
			fprintf(f, "%s: %s%s\n", a->name, a->active ? "on" : "off",
				req[i] < 0 ? " [not requested]" : "");
	}
	return wish && !changeable;
}
