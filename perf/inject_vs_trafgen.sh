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
# RCU grace periods to set up and tear down, some 30 ms here). The "default" row is the command
# a user types (no --method, --burst or --qdisc-bypass: inject picks); the others force a method
# with --qdisc-bypass. A method the kernel refuses here is named and left out. Prints one table
# of medians with the pkteng/trafgen ratios of medians and their 95% intervals (a bootstrap of
# both sides' runs), then the same figures as JSON lines. The sink (-s) is what the peer does with the frames:
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

methods="default sendmmsg ring uring xdp"
# a method this kernel or device refuses (--method xdp where XDP live frames are not allowed)
# is reported as such, once, and left out of the runs
avail=""
for m in $methods; do
	[ "$m" = default ] && { avail+="$m "; continue; }
	if err=$(ip netns exec "$PE_NS_A" "$pkteng" inject --dev "$PE_IF_A" $fflags -n 1000 --method "$m" \
		2>&1 >/dev/null); then
		avail+="$m "
	else
		echo "inject_vs_trafgen: --method $m left out: $(echo "$err" | tail -1)" >&2
	fi
done
# the default command is what a user types: no --method, no --qdisc-bypass, no --burst
why=$(ip netns exec "$PE_NS_A" "$pkteng" inject --dev "$PE_IF_A" $fflags -n 1000 | head -1)
echo "inject_vs_trafgen: the default picks: $why" >&2
for ((r = 1; r <= runs; r++)); do
	echo "{\"method\":\"trafgen\",\"run\":$r,\"v\":[$(measure trafgen --dev "$PE_IF_A" \
		--conf "$work/frame.cfg" -t 0 -P 1 -n "$frames" | tr ' ' ,)]}" >>"$work/runs"
	for m in $avail; do
		if [ "$m" = default ]; then
			args=()
		else
			args=(--method "$m" --burst "$burst" --qdisc-bypass)
			[ "$m" = xdp ] && args=(--method xdp --burst $((burst > 64 ? 64 : burst)))
		fi
		echo "{\"method\":\"$m\",\"run\":$r,\"v\":[$(measure "$pkteng" inject --dev "$PE_IF_A" \
			$fflags -n "$frames" "${args[@]}" | tr ' ' ,)]}" >>"$work/runs"
	done
done

printf "64-byte frames on a veth pair (sink: %s), %s frames per run, %s runs, senders on CPU %s\n" \
	"$sink" "$frames" "$runs" "$core"
printf "default: pkteng inject --dev IF %s -n %s (%s)\n" "$fflags" "$frames" "$why"
# medians, the pkteng/trafgen ratio of medians and its 95% interval (a percentile bootstrap
# of both sides' runs, fixed seed), for each of the three figures
PYTHONPATH=$top/perf python3 - "$work/runs" "$sink" "$frames" "$runs" <<'PY'
import json, random, statistics, sys
from ratioci import ratio_ci
path, sink, frames, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rows = {}
for line in open(path):
    r = json.loads(line)
    rows.setdefault(r["method"], []).append(r["v"])
rng = random.Random(20261207)
tg = rows.pop("trafgen")
out = []
names = ("f/s", "steady f/s", "f/cpu-s")
print(f"{'method':9}" + "".join(f" {n:>11} {'trafgen':>11} {'ratio':>6} {'95% interval':>14}" for n in names))
for m, v in rows.items():
    line, js = f"{m:9}", {"bench": "inject_vs_trafgen", "sink": sink, "method": m,
                          "frames": frames, "runs": runs}
    for i, key in enumerate(("fps", "steady_fps", "frames_per_cpu_s")):
        a, b = [x[i] for x in v], [x[i] for x in tg]
        ma, mb = statistics.median(a), statistics.median(b)
        lo, hi = ratio_ci(a, b, rng) or (None, None)
        r = ma / mb if mb else 0
        iv = f"[{lo:.2f}, {hi:.2f}]" if lo else ""
        line += f" {ma:11,.0f} {mb:11,.0f} {r:5.2f}x {iv:>14}"
        js.update({f"pkteng_{key}": ma, f"trafgen_{key}": mb, f"ratio_{key}": round(r, 3),
                   f"ci95_{key}": [round(lo, 3), round(hi, 3)] if lo else None})
    print(line)
    out.append(json.dumps(js))
print("\n".join(out))
PY
