#!/usr/bin/env bash
# 64-byte frames on a veth pair: pkteng inject (each tx method) against netsniff-ng's trafgen
# (`trafgen -t 0 -P 1`, one process on its sendto() path: its TX ring fails on veth), both
# bypassing the qdisc (trafgen's default, pkteng's --qdisc-bypass) and pinned to the same core,
# alternating, RUNS times each. Frames/s come from the veth's own tx_packets counter over the
# wall time of the run. Prints one table of medians with the pkteng/trafgen ratio, and the
# same figures as JSON lines. Usage (root):
#   perf/inject_vs_trafgen.sh [-n FRAMES] [-r RUNS] [-c CPU] [-b BURST] [PKTENG]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
frames=500000 runs=5 cpu=1 burst=64
while getopts "n:r:c:b:" o; do
	case $o in
	n) frames=$OPTARG ;;
	r) runs=$OPTARG ;;
	c) cpu=$OPTARG ;;
	b) burst=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
pkteng=${1:-$top/build/pkteng}
[ "$(id -u)" = 0 ] || { echo "inject_vs_trafgen: needs root (namespaces, raw sockets)" >&2; exit 1; }
[ -x "$pkteng" ] || { echo "inject_vs_trafgen: $pkteng: not built (cmake --build build)" >&2; exit 1; }
command -v trafgen >/dev/null || { echo "inject_vs_trafgen: trafgen missing (apt-get install netsniff-ng)" >&2; exit 1; }

. "$top/tests/lab/lab.sh"
work=$(mktemp -d /tmp/pkteng-perf.XXXXXX)
trap 'pe_lab_down "pe$$p"; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
pe_lab_up "pe$$p" 0 0 1 || exit 1 # -q: no IPv6, so only the benchmark's frames move the counters

# The same 60 bytes (64 with the FCS the device adds) for both tools: pkteng frame's default
# UDP frame, written out as a trafgen packet.
"$pkteng" frame --size 64 | awk '{for (i = 2; i <= NF; i++) printf "0x%s,", $i} END {print ""}' |
	sed 's/,$//; s/^/{ /; s/$/ }/' >"$work/frame.cfg"
bytes=$(tr ',' '\n' <"$work/frame.cfg" | grep -c 0x)
[ "$bytes" = 60 ] || { echo "inject_vs_trafgen: frame is $bytes bytes, expected 60" >&2; exit 1; }

txp() { ip netns exec "$PE_NS_A" cat /sys/class/net/$PE_IF_A/statistics/tx_packets; }

# run LABEL CMD...: prints frames/s measured by the tx_packets delta over the wall time.
measure() {
	local t0 t1 c0 c1
	c0=$(txp)
	t0=$(date +%s%N)
	ip netns exec "$PE_NS_A" taskset -c "$cpu" "$@" >/dev/null 2>"$work/err" ||
		{ echo "inject_vs_trafgen: $* failed: $(cat "$work/err")" >&2; exit 1; }
	t1=$(date +%s%N)
	c1=$(txp)
	# the benchmark checks its result before it reports a rate
	[ $((c1 - c0)) -ge "$frames" ] ||
		{ echo "inject_vs_trafgen: $1: only $((c1 - c0)) of $frames frames left the veth" >&2; exit 1; }
	echo $(((c1 - c0) * 1000000000 / (t1 - t0)))
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

methods="sendmmsg ring uring"
declare -A res
for ((r = 1; r <= runs; r++)); do
	res[trafgen]+="$(measure trafgen --dev "$PE_IF_A" --conf "$work/frame.cfg" -t 0 -P 1 \
		-n "$frames") "
	for m in $methods; do
		res[$m]+="$(measure "$pkteng" inject --dev "$PE_IF_A" --size 64 -n "$frames" --method "$m" \
			--burst "$burst" --qdisc-bypass) "
	done
done

tg=$(echo "${res[trafgen]}" | tr ' ' '\n' | grep . | median)
printf "64-byte frames on a veth pair, %s frames per run, %s runs, all on CPU %s (median frames/s)\n" \
	"$frames" "$runs" "$cpu"
printf "%-10s %14s %14s %8s   %s\n" method pkteng trafgen ratio "runs (pkteng)"
for m in $methods; do
	med=$(echo "${res[$m]}" | tr ' ' '\n' | grep . | median)
	ratio=$(awk -v a="$med" -v b="$tg" 'BEGIN {printf "%.2f", a / b}')
	printf "%-10s %14s %14s %8s   %s\n" "$m" "$med" "$tg" "${ratio}x" "${res[$m]}"
	printf '{"bench":"inject_vs_trafgen","method":"%s","frames":%s,"runs":%s,"pkteng_fps":%s,"trafgen_fps":%s,"ratio":%s}\n' \
		"$m" "$frames" "$runs" "$med" "$tg" "$ratio" >>"$work/json"
done
printf "%-10s %14s %14s %8s   %s\n" "trafgen" "" "$tg" "" "${res[trafgen]}"
cat "$work/json"
