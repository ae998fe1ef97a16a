#!/usr/bin/env bash
# Quick start: install what pkteng needs, build it in build/, and run the main job.
set -euo pipefail
PE_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$PE_TOP/tools/deps.sh"
pe_deps bench
pe_build "$PE_TOP/build" -DCMAKE_BUILD_TYPE=Release
cd "$PE_TOP"
echo
echo "== pkteng frame --hex (a 64-byte UDP frame with its FCS)"
build/pkteng frame --fcs --hex
echo
echo "== CRC32 (Ethernet FCS): pkteng vs zlib vs ISA-L"
build/pkteng-microbench --benchmark_filter='crc32' --benchmark_min_time=0.2
