#!/usr/bin/env bash
# 64-byte frames on a veth pair: pkteng inject (each tx method) against netsniff-ng's trafgen
# (`trafgen -t 0 -P 1`, one process on its sendto() path: its TX ring fails on veth), both
# bypassing the qdisc (trafgen's default, pkteng's --qdisc-bypass) and pinned to the same core,
# alternating, RUNS times each. Frames/s come from the veth's own tx_packets counter over the
# wall time of the run. Prints one table of medians with the pkteng/trafgen ratio, and the
# same figures as JSON lines. The sink (-s) is what the peer does with the frames:
#   drop  (default) frames go to 02:00:00:00:00:99, a MAC nobody has: the peer's stack drops
#         them on arrival, so the benchmark measures the senders (as pktgen users do);
#   stack frames go to the peer's MAC and UDP port 9: each one climbs the peer's IP/UDP stack
#         and meets a closed port, which costs more than sending it and caps both tools alike.
# Usage (root):
#   perf/inject_vs_trafgen.sh [-n FRAMES] [-r RUNS] [-c CPU] [-b BURST] [-s drop|stack] [PKTENG]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
frames=500000 runs=5 core=1 burst=64 sink=drop
while getopts "n:r:c:b:s:" o; do
	case $o in
	n) frames=$OPTARG ;;
	r) runs=$OPTARG ;;
	c) core=$OPTARG ;;
	b) burst=$OPTARG ;;
	s) sink=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
pkteng=${1:-$top/build/pkteng}
case $sink in
drop) fflags="--size 64 --dst-mac 02:00:00:00:00:99" ;;
stack) fflags="--size 64" ;;
*) echo "inject_vs_trafgen: -s $sink: expected drop or stack" >&2; exit 2 ;;
esac
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
"$pkteng" frame $fflags | awk '{for (i = 2; i <= NF; i++) printf "0x%s,", $i} END {print ""}' |
	sed 's/,$//; s/^/{ /; s/$/ }/' >"$work/frame.cfg"
bytes=$(tr ',' '\n' <"$work/frame.cfg" | grep -c 0x)
[ "$bytes" = 60 ] || { echo "inject_vs_trafgen: frame is $bytes bytes, expected 60" >&2; exit 1; }

txp() { ip netns exec "$PE_NS_A" cat /sys/class/net/$PE_IF_A/statistics/tx_packets; }

# measure CMD...: prints "FPS CPUFPS": frames/s from the tx_packets delta over the wall time,
# and frames per CPU-second of the sender (user + system time, which on a veth includes the
# receive softirq run in its context). The second figure barely moves when other work shares
# the core; the first is the one the goal is stated in.
measure() {
	local t0 t1 c0 c1 cpu
	c0=$(txp)
	t0=$(date +%s%N)
	ip netns exec "$PE_NS_A" taskset -c "$core" /usr/bin/time -f "%U %S" -o "$work/time" "$@" \
		>/dev/null 2>"$work/err" ||
		{ echo "inject_vs_trafgen: $* failed: $(cat "$work/err")" >&2; exit 1; }
	t1=$(date +%s%N)
	c1=$(txp)
	# the benchmark checks its result before it reports a rate
	[ $((c1 - c0)) -ge "$frames" ] ||
		{ echo "inject_vs_trafgen: $1: only $((c1 - c0)) of $frames frames left the veth" >&2; exit 1; }
	cpu=$(awk '{printf "%.0f", ($1 + $2) * 1000}' "$work/time")
	echo "$(((c1 - c0) * 1000000000 / (t1 - t0))) $(((c1 - c0) * 1000 / (cpu > 0 ? cpu : 1)))"
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

methods="sendmmsg ring uring"
declare -A wall cpu
add() { # add KEY "FPS CPUFPS"
	wall[$1]+="${2% *} "
	cpu[$1]+="${2#* } "
}
for ((r = 1; r <= runs; r++)); do
	add trafgen "$(measure trafgen --dev "$PE_IF_A" --conf "$work/frame.cfg" -t 0 -P 1 -n "$frames")"
	for m in $methods; do
		add "$m" "$(measure "$pkteng" inject --dev "$PE_IF_A" $fflags -n "$frames" --method "$m" \
			--burst "$burst" --qdisc-bypass)"
	done
done

med() { echo "$1" | tr ' ' '\n' | grep . | median; }
tg=$(med "${wall[trafgen]}")
tgc=$(med "${cpu[trafgen]}")
printf "64-byte frames on a veth pair (sink: %s), %s frames per run, %s runs, all on CPU %s (medians)\n" \
	"$sink" "$frames" "$runs" "$core"
printf "%-9s %12s %12s %7s %14s %14s %7s   %s\n" method "pkteng f/s" "trafgen f/s" ratio \
	"pkteng f/cpu-s" "trafgen f/cpu-s" ratio "runs (pkteng f/s)"
for m in $methods; do
	w=$(med "${wall[$m]}")
	c=$(med "${cpu[$m]}")
	ratio=$(awk -v a="$w" -v b="$tg" 'BEGIN {printf "%.2f", a / b}')
	cratio=$(awk -v a="$c" -v b="$tgc" 'BEGIN {printf "%.2f", a / b}')
	printf "%-9s %12s %12s %7s %14s %14s %7s   %s\n" "$m" "$w" "$tg" "${ratio}x" "$c" "$tgc" \
		"${cratio}x" "${wall[$m]}"
	printf '{"bench":"inject_vs_trafgen","sink":"%s","method":"%s","frames":%s,"runs":%s,"pkteng_fps":%s,"trafgen_fps":%s,"ratio":%s,"pkteng_frames_per_cpu_s":%s,"trafgen_frames_per_cpu_s":%s,"cpu_ratio":%s}\n' \
		"$sink" "$m" "$frames" "$runs" "$w" "$tg" "$ratio" "$c" "$tgc" "$cratio" >>"$work/json"
done
printf "%-9s %12s %12s %7s %14s %14s %7s   %s\n" trafgen "" "$tg" "" "" "$tgc" "" "${wall[trafgen]}"
cat "$work/json"
