/* SPDX-License-Identifier: BSD-2-Clause */
/* `pkteng xdp show`: what XDP programs run on which interface, in which mode, attached how,
 * and the counts of pkteng's counter where it is pinned (tools/cmd_xdp.c parses the options). */
#ifndef PKTENG_TOOLS_XDPSHOW_H
#define PKTENG_TOOLS_XDPSHOW_H

#include <stdbool.h>

/* Lists every interface of the current network namespace that runs an XDP program or holds
 * pkteng's pins (only dev when not NULL), as text or one JSON document. Returns an exit code. */
int pe_xdp_show(const char *dev, bool json);

#endif
