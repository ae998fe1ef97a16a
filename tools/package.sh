#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Builds pkteng's Debian packages from this checkout and prints their paths: a fresh build
# with only what pkteng runs on (no tests, no micro-benchmarks: no Criterion, Google
# Benchmark, ISA-L or C++ compiler), installed under /usr, then `cpack -G DEB`. As root it
# first installs the Debian packages the build needs (tools/deps.sh, set `package`).
# Usage: tools/package.sh [BUILD_DIR]    (default: build-deb in the checkout)
set -euo pipefail
PE_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-$PE_TOP/build-deb}
. "$PE_TOP/tools/deps.sh"
pe_deps package
rm -f "$dir"/*.deb
cmake -S "$PE_TOP" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
	-DPKTENG_TESTS=OFF -DPKTENG_BENCH=OFF -DPKTENG_XDP=ON -DPKTENG_INSTALL_RPATH=OFF >/dev/null
cmake --build "$dir" -j "$(nproc)" >/dev/null
(cd "$dir" && cpack -G DEB >cpack.log) || { tail -20 "$dir/cpack.log" >&2; exit 1; }
ls "$dir"/*.deb
