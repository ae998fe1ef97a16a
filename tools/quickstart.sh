#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Quick start: install what pkteng needs, build it in build/, and run the main job.
set -euo pipefail
PE_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$PE_TOP/tools/deps.sh"
pe_deps bench
pe_build "$PE_TOP/build" -DCMAKE_BUILD_TYPE=Release
cd "$PE_TOP"
echo
echo "== pkteng bench: stream, rr, udp, echo and udp-rr on loopback, io_uring and epoll"
rm -rf build/pkteng-bench && build/pkteng bench --out build/pkteng-bench
echo
echo "== pkteng report: the bench's runs drawn into build/pkteng-bench.html"
build/pkteng report build/pkteng-bench -o build/pkteng-bench.html
echo
echo "== pkteng frame --hex (a 64-byte UDP frame with its FCS)"
build/pkteng frame --fcs --hex
