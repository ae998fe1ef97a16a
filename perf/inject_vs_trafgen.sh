#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# 64-byte frames on a veth pair: pkteng inject (each tx method) against netsniff-ng's trafgen
# (`trafgen -t 0 -P 1`, one process on its sendto() path: its TX ring fails on veth), both
# bypassing the qdisc (trafgen's default, pkteng's --qdisc-bypass; --method xdp has none) and
# pinned to the same core, alternating, RUNS times each. The peer's veth has GRO on, which
# gives it the NAPI instance a veth needs to take XDP frames (--method xdp); the skb paths of
# the other methods and of trafgen do not go through it (a veth hands an skb from a sender
# with TSO to the backlog, as with GRO off). Frames/s come from the veth's own tx_packets counter: over the
# wall time of the whole run (start-up and exit included), and "steady", over the middle 80%
# of the run's frames, from a sampler that reads the counter every 2 ms from the other CPU;
# the steady figure is the sending rate without each tool's fixed costs (a TX ring costs three
# RCU grace periods to set up and tear down, some 30 ms here). Prints one table of medians
# with the pkteng/trafgen ratios, and the same figures as JSON lines. The sink (-s) is what the peer does with the frames:
#   drop  (default) frames go to 02:00:00:00:00:99, a MAC nobody has: the peer's stack drops
#         them on arrival, so the benchmark measures the senders (as pktgen users do);
#   stack frames go to the peer's MAC and UDP port 9: each one climbs the peer's IP/UDP stack
#         and meets a closed port, which costs more than sending it and caps both tools alike.
# Usage (root):
#   perf/inject_vs_trafgen.sh [-n FRAMES] [-r RUNS] [-c CPU] [-b BURST] [-s drop|stack] [PKTENG]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
frames=2000000 runs=5 core=1 burst=64 sink=drop
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

export PE_PKTENG=$pkteng # tests/lab/lab.sh builds the lab with this pkteng
. "$top/tests/lab/lab.sh"
work=$(mktemp -d /tmp/pkteng-perf.XXXXXX)
trap 'pe_lab_down "pe$$p"; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
pe_lab_up "pe$$p" 0 0 1 || exit 1 # -q: no IPv6, so only the benchmark's frames move the counters
ip netns exec "$PE_NS_B" ethtool -K "$PE_IF_B" gro on >/dev/null

# The same 60 bytes (64 with the FCS the device adds) for both tools: pkteng frame's default
# UDP frame, written out as a trafgen packet.
"$pkteng" frame $fflags | awk '{for (i = 2; i <= NF; i++) printf "0x%s,", $i} END {print ""}' |
	sed 's/,$//; s/^/{ /; s/$/ }/' >"$work/frame.cfg"
bytes=$(tr ',' '\n' <"$work/frame.cfg" | grep -c 0x)
[ "$bytes" = 60 ] || { echo "inject_vs_trafgen: frame is $bytes bytes, expected 60" >&2; exit 1; }

txp() { ip netns exec "$PE_NS_A" cat /sys/class/net/$PE_IF_A/statistics/tx_packets; }

# The sampler: "NS COUNT" lines of the sender's tx_packets every 2 ms until SIGTERM.
sampler='import os, signal, sys, time
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
fd = os.open(sys.argv[1], os.O_RDONLY)
with open(sys.argv[2], "w") as out:
    while not stop:
        out.write("%d %d\n" % (time.monotonic_ns(), int(os.pread(fd, 32, 0))))
        time.sleep(0.002)'
other=$(awk -v c="$core" 'BEGIN {print (c == 0) ? 1 : 0}')

# measure CMD...: prints "FPS STEADY CPUFPS": frames/s from the tx_packets delta over the wall
# time, over the middle 80% of the frames (sampled), and frames per CPU-second of the sender
# (user + system time, which on a veth includes the receive softirq run in its context). The
# last figure barely moves when other work shares the core.
measure() {
	local t0 t1 c0 c1 cpu spid steady
	c0=$(txp)
	ip netns exec "$PE_NS_A" taskset -c "$other" /usr/bin/python3 -c "$sampler" \
		"/sys/class/net/$PE_IF_A/statistics/tx_packets" "$work/samples" &
	spid=$!
	sleep 0.2
	t0=$(date +%s%N)
	ip netns exec "$PE_NS_A" taskset -c "$core" /usr/bin/time -f "%U %S" -o "$work/time" "$@" \
		>/dev/null 2>"$work/err" ||
		{ kill "$spid"; echo "inject_vs_trafgen: $* failed: $(cat "$work/err")" >&2; exit 1; }
	t1=$(date +%s%N)
	sleep 0.05
	kill "$spid"
	wait "$spid"
	c1=$(txp)
	steady=$(awk -v c0="$c0" -v n=$((c1 - c0)) '
		!a && $2 >= c0 + 0.1 * n { a = 1; ta = $1; ca = $2 }
		!b && $2 >= c0 + 0.9 * n { b = 1; tb = $1; cb = $2 }
		END { if (b && tb > ta) printf "%.0f", (cb - ca) * 1e9 / (tb - ta); else print 0 }' \
		"$work/samples")
	# the benchmark checks its result before it reports a rate
	[ $((c1 - c0)) -ge "$frames" ] ||
		{ echo "inject_vs_trafgen: $1: only $((c1 - c0)) of $frames frames left the veth" >&2; exit 1; }
	cpu=$(awk '{printf "%.0f", ($1 + $2) * 1000}' "$work/time")
	echo "$(((c1 - c0) * 1000000000 / (t1 - t0))) $steady $(((c1 - c0) * 1000 / (cpu > 0 ? cpu : 1)))"
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

methods="sendmmsg ring uring xdp"
declare -A wall steady cpu
add() { # add KEY "FPS STEADY CPUFPS"
	local a b c
	read -r a b c <<<"$2"
	wall[$1]+="$a "
	steady[$1]+="$b "
	cpu[$1]+="$c "
}
for ((r = 1; r <= runs; r++)); do
	add trafgen "$(measure trafgen --dev "$PE_IF_A" --conf "$work/frame.cfg" -t 0 -P 1 -n "$frames")"
	for m in $methods; do
		bypass=--qdisc-bypass b=$burst
		[ "$m" = xdp ] && bypass= b=$((burst > 64 ? 64 : burst))
		add "$m" "$(measure "$pkteng" inject --dev "$PE_IF_A" $fflags -n "$frames" --method "$m" \
			--burst "$b" $bypass)"
	done
done

med() { echo "$1" | tr ' ' '\n' | grep . | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }
tg=$(med "${wall[trafgen]}")
tgs=$(med "${steady[trafgen]}")
tgc=$(med "${cpu[trafgen]}")
printf "64-byte frames on a veth pair (sink: %s), %s frames per run, %s runs, senders on CPU %s (medians)\n" \
	"$sink" "$frames" "$runs" "$core"
fmt="%-9s %11s %11s %6s %11s %11s %6s %11s %11s %6s   %s\n"
printf "$fmt" method "pkteng f/s" "trafgen" ratio "steady" "trafgen" ratio "f/cpu-s" "trafgen" \
	ratio "runs (pkteng steady f/s)"
for m in $methods; do
	w=$(med "${wall[$m]}")
	st=$(med "${steady[$m]}")
	c=$(med "${cpu[$m]}")
	printf "$fmt" "$m" "$w" "$tg" "$(ratio "$w" "$tg")x" "$st" "$tgs" "$(ratio "$st" "$tgs")x" \
		"$c" "$tgc" "$(ratio "$c" "$tgc")x" "${steady[$m]}"
	printf '{"bench":"inject_vs_trafgen","sink":"%s","method":"%s","frames":%s,"runs":%s,"pkteng_fps":%s,"trafgen_fps":%s,"ratio":%s,"pkteng_steady_fps":%s,"trafgen_steady_fps":%s,"steady_ratio":%s,"pkteng_frames_per_cpu_s":%s,"trafgen_frames_per_cpu_s":%s,"cpu_ratio":%s}\n' \
		"$sink" "$m" "$frames" "$runs" "$w" "$tg" "$(ratio "$w" "$tg")" "$st" "$tgs" \
		"$(ratio "$st" "$tgs")" "$c" "$tgc" "$(ratio "$c" "$tgc")" >>"$work/json"
done
printf "$fmt" trafgen "" "$tg" "" "" "$tgs" "" "" "$tgc" "" "${steady[trafgen]}"
cat "$work/json"
