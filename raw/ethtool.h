/* SPDX-License-Identifier: BSD-2-Clause */
/* NIC offload features through the SIOCETHTOOL ioctl (ETHTOOL_GSSET_INFO, ETHTOOL_GSTRINGS,
 * ETHTOOL_GFEATURES, ETHTOOL_SFEATURES): read them in the kernel's order, print them the way
 * `ethtool -k` does, and switch them by kernel name or by ethtool's group names (tx, sg, tso...). */
#ifndef PKTENG_RAW_ETHTOOL_H
#define PKTENG_RAW_ETHTOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* libpkteng exports what this header declares (lib/CMakeLists.txt). */
#pragma GCC visibility push(default)

struct pe_feature {
	char name[32];	    /* the kernel's name: "tx-checksum-ip-generic" ("" for unused bits) */
	bool available;	    /* hw_features: the driver lets it be changed */
	bool requested;	    /* wanted_features */
	bool active;	    /* features in effect */
	bool never_changed; /* NETIF_F_NEVER_CHANGE: fixed whatever the driver says */
};

/* All features of one interface, in the kernel's bit order (ETH_SS_FEATURES strings). */
struct pe_features {
	unsigned n;
	struct pe_feature *f; /* n entries, malloc'd; pe_features_free() releases them */
};

/* Reads the features of ifname (in the caller's network namespace). Returns 0, or -ENODEV
 * (no such interface), -EOPNOTSUPP, or another -errno from the ioctl. */
int pe_features_get(const char *ifname, struct pe_features *out);
void pe_features_free(struct pe_features *fs);
/* The index of the feature named `name`, or -ENOENT. */
int pe_features_find(const struct pe_features *fs, const char *name);
/* A feature that can be switched: available and not never_changed. */
static inline bool pe_feature_changeable(const struct pe_feature *f)
{
	return f->available && !f->never_changed;
}

/* Prints fs like `ethtool -k` (ethtool 6.x, netlink flavour): the legacy groups first
 * ("tx-checksumming: on" followed by their tab-indented members), then every other feature;
 * " [fixed]" and " [requested on|off]" as ethtool prints them. No "Features for" header. */
void pe_features_print(const struct pe_features *fs, FILE *f);

/* Expands a name given by the user into feature indexes: a kernel feature name, or one of
 * ethtool's group short names (rx tx sg tso ufo gso gro lro rxvlan txvlan ntuple rxhash) or
 * long names ("tcp-segmentation-offload"). Writes up to cap indexes to idx; returns how many,
 * or -ENOENT when the name is unknown. */
int pe_features_expand(const struct pe_features *fs, const char *name, unsigned *idx, size_t cap);

struct pe_feature_change {
	const char *name; /* as pe_features_expand() accepts */
	bool on;
};

/* What pe_features_set() did, per requested name (same order as the changes). */
enum pe_feature_outcome {
	PE_FEATURE_OK = 0,	/* now in the requested state (or already was) */
	PE_FEATURE_FIXED,	/* not changeable and not in the requested state */
	PE_FEATURE_NOT_APPLIED, /* requested but the driver left it (ETHTOOL_F_WISH / re-read) */
};

/* Sets the features in one ETHTOOL_SFEATURES call, then re-reads them to verify. Unknown
 * names fail the whole call with -ENOENT before anything changes (*bad_name is set when not
 * NULL). outcome (may be NULL) receives one entry per change. Returns 0 when every change is
 * PE_FEATURE_OK, 1 when some were fixed or not applied, or -errno (-EPERM without
 * CAP_NET_ADMIN, -ENODEV). */
int pe_features_set(const char *ifname, const struct pe_feature_change *ch, size_t n,
		    enum pe_feature_outcome *outcome, const char **bad_name);

/* What `ethtool -K` (6.x, netlink) prints after a change, from the features before and after
 * it and what was asked: req[i] is -1 (feature i not named, directly or by a group), 0 (off)
 * or 1 (on). Prints nothing when every named feature is as asked and no other moved; else
 * "Actual changes:" and, in the kernel's order, every feature not as asked
 * ("NAME: off [requested on]"), every one that moved without being named
 * ("NAME: on [not requested]") and, beside those, every one that moved as asked
 * ("NAME: on"). Returns 1 when ethtool would also say "Could not change any device features"
 * (some named feature is not as asked and none of the named ones can be changed), else 0. */
int pe_features_print_changes(const struct pe_features *before, const struct pe_features *after,
			      const signed char *req, FILE *f);
#pragma GCC visibility pop

#endif
