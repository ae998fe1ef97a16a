/* SPDX-License-Identifier: BSD-2-Clause */
/* libpkteng, all of it: the event loop and its sockets (engine/), Ethernet frames, CRC32,
 * AF_PACKET inject and capture, ethtool (raw/). Build with `pkg-config --cflags --libs
 * libpkteng`; every function is described in the header that declares it (docs/library.md). */
#ifndef PKTENG_PKTENG_H
#define PKTENG_PKTENG_H

#include "engine/addr.h"
#include "engine/framing.h"
#include "engine/hist.h"
#include "engine/loop.h"
#include "engine/worker.h"
#include "raw/addr.h"
#include "raw/capfilter.h"
#include "raw/crc32.h"
#include "raw/ethtool.h"
#include "raw/frame.h"
#include "raw/frame_csum.h"
#include "raw/interval.h"
#include "raw/packet.h"
#include "raw/pcapfile.h"
#include "raw/rate.h"
#include "raw/sendloop.h"
#include "raw/stamp.h"

#endif
