#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Builds the libFuzzer targets with clang in their own build folder and runs them.
#   tests/fuzz/run.sh build                  configure and build only
#   tests/fuzz/run.sh TARGET|all SECONDS [LIBFUZZER-ARGS...]
# SECONDS 0 means no time limit (give -runs=N instead). Each run starts from the seed corpus in
# tests/fuzz/corpus/TARGET (never written to) plus a working corpus in the build folder, and
# fails on the first crash, leak, sanitizer report or timeout, leaving the input as
# BUILD/artifacts/TARGET-crash-... Exits 77 (skip) when clang or its libFuzzer runtime is
# missing. PE_FUZZ_BUILD names the build folder (default build-fuzz at the top).
set -uo pipefail
PE_TOP=$(cd "$(dirname "$0")/../.." && pwd)
here=$PE_TOP/tests/fuzz
dir=${PE_FUZZ_BUILD:-$PE_TOP/build-fuzz}
targets="ctl lpm registry frame pcap suite runs"

usage() {
	echo "usage: tests/fuzz/run.sh build | TARGET|all SECONDS [LIBFUZZER-ARGS...]" >&2
	echo "targets: $targets" >&2
	exit 2
}

have_libfuzzer() {
	local t
	command -v clang >/dev/null || { echo "SKIP: clang is not installed"; return 1; }
	t=$(mktemp -d) || return 1
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$t/f.c"
	if ! clang -fsanitize=fuzzer,address,undefined "$t/f.c" -o "$t/f" 2>/dev/null; then
		rm -rf "$t"
		echo "SKIP: clang cannot link libFuzzer (install libclang-rt-14-dev)"
		return 1
	fi
	rm -rf "$t"
}

build() {
	if [ ! -f "$dir/CMakeCache.txt" ]; then
		have_libfuzzer || exit 77
		CC=clang CXX=clang++ cmake -S "$PE_TOP" -B "$dir" -DPKTENG_FUZZ=ON \
			-DCMAKE_BUILD_TYPE=RelWithDebInfo -DPKTENG_XDP=OFF >/dev/null || exit 1
	fi
	cmake --build "$dir" -j "$(nproc)" --target $(printf 'fuzz_%s ' $targets) >/dev/null ||
		{ echo "fuzz: build failed (cmake --build $dir)"; exit 1; }
}

run_one() {
	local t=$1 secs=$2 bin work dict args=()
	shift 2
	bin=$dir/tests/fuzz/fuzz_$t
	[ -x "$bin" ] || { echo "fuzz: $bin missing"; return 1; }
	work=$dir/corpus/$t
	mkdir -p "$work" "$dir/artifacts"
	dict=$here/dict/$t.dict
	[ -f "$dict" ] && args+=("-dict=$dict")
	[ "$t" = pcap ] && args+=("-max_len=65536")
	[ "$secs" != 0 ] && args+=("-max_total_time=$secs")
	echo "fuzz: $t$([ "$secs" = 0 ] || echo " for ${secs}s") $*"
	"$bin" "${args[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/$t-" "$@" "$work" "$here/corpus/$t" 2>&1 |
		grep -v '^#[0-9]*	\(NEW\|REDUCE\|pulse\)' | tail -n 60
	local rc=${PIPESTATUS[0]}
	[ "$rc" = 0 ] || echo "fuzz: $t FAILED (exit $rc); the input is in $dir/artifacts/"
	return "$rc"
}

[ $# -ge 1 ] || usage
if [ "$1" = build ]; then
	build
	exit 0
fi
[ $# -ge 2 ] || usage
what=$1 secs=$2
shift 2
case "$secs" in *[!0-9]* | '') usage ;; esac
[ "$what" = all ] || case " $targets " in *" $what "*) ;; *) usage ;; esac
build
rc=0
for t in $([ "$what" = all ] && echo $targets || echo "$what"); do
	run_one "$t" "$secs" "$@" || rc=1
done
exit $rc
