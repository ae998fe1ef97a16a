#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# pkteng side by side with iperf3 and sockperf on loopback, in the same run: stream (one flow),
# udp (64-byte datagrams, as fast as possible), rr (64 bytes, one connection), udp-rr (64-byte
# UDP request/response, one socket, against sockperf's UDP ping-pong) and echo (256
# connections, io_uring vs epoll). Every command runs once unrecorded (warm-up), then RUNS
# times, alternately, in forward order on odd runs and in reverse order on even runs (so neither
# side of a pair always runs first); the table shows medians, their ratios and the range of the
# per-run ratios (a pair's two commands run next to each other in each run); the medians and
# ratios go to a JSON file, and the exact commands are printed. Each ratio of medians comes with
# its 95% interval (a bootstrap of both sides' runs); a goal is met ("ok") when the interval's
# lower end clears it, missed ("BELOW") when its upper end does not reach it, and "unsure" in
# between: more runs decide. The udp goal row is pkteng's default at full rate, GSO and GRO (64
# datagrams per send and per read, each sequence-checked on its own); `--no-gso` (one per call)
# and `--gso` without GRO are shown as well.
# The rr --spin rows compare busy-polling with busy-polling: pkteng's --spin 1000 (both sides
# poll up to 1 ms before they sleep) against sockperf on a feed file with -F e --timeout 0 (both
# sides call epoll_wait with a zero timeout). Two spinners need a CPU each: with --cpus S,S
# those rows measure time slicing, not the network path.
#
#   perf/peers.sh [-n RUNS] [-t SECONDS] [--pkteng PATH] [--out FILE] [--cpus SRV,CLI]
#                 [--jobs K,K,...]
#
# --jobs runs only those jobs (numbers of `job` below; e.g. 18,19,20 is the udp-rr group, and
# 6,21,22,23,24,25 compares io_uring with epoll in udp and crr, sleeping and spinning).
#
# Placement: by default the scheduler places every process (all tools alike). --cpus SRV,CLI
# pins every server (pkteng, iperf3, sockperf) to CPU SRV and every client to CPU CLI with
# taskset, the same for all tools (SRV = CLI: same core). CPU columns: units per CPU-second of
# the client and the servers, measured alike for every tool (the shell's `time` of the client,
# /proc/PID/stat of the servers), so a busy machine shifts them less than the rates.
#
# Every server this script starts listens on 127.0.0.1 only, is killed on exit (trap), and
# every client is bounded by `timeout`.
set -uo pipefail
PE_TOP=$(cd "$(dirname "$0")/.." && pwd)
RUNS=5
SECS=3
PKTENG=$PE_TOP/build/pkteng
OUT=$PE_TOP/build/peers.json
PY=/usr/bin/python3
CPUS=
JOBS=
while [ $# -gt 0 ]; do
	case "$1" in
	-n) RUNS=$2; shift 2 ;;
	-t) SECS=$2; shift 2 ;;
	--pkteng) PKTENG=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--cpus) CPUS=$2; shift 2 ;;
	--jobs) JOBS=${2//,/ }; shift 2 ;;
	-h|--help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "peers.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
# iperf3 is needed by jobs 1, 2 and 7 only
NEED=("$PKTENG" sockperf)
if [ -z "$JOBS" ] || [[ " $JOBS " =~ \ (1|2|7)\  ]]; then NEED+=(iperf3); fi
for tool in "${NEED[@]}"; do
	command -v "$tool" >/dev/null || { echo "peers.sh: $tool not found" >&2; exit 1; }
done
PIN_SRV=() PIN_CLI=()
if [ -n "$CPUS" ]; then
	[[ $CPUS =~ ^([0-9]+),([0-9]+)$ ]] || { echo "peers.sh: --cpus $CPUS: want SRV,CLI (CPU numbers)" >&2; exit 2; }
	PIN_SRV=(taskset -c "${BASH_REMATCH[1]}") PIN_CLI=(taskset -c "${BASH_REMATCH[2]}")
fi

TMP=$(mktemp -d /tmp/pkteng-peers.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# ports derived from the pid so two runs do not collide
BASE=$((20000 + ($$ % 2000) * 6))
P_URING=$BASE P_EPOLL=$((BASE + 1)) P_IPERF=$((BASE + 2)) P_SOCKPERF=$((BASE + 3)) P_SPIN=$((BASE + 4))
P_SOCKPERF_UDP=$((BASE + 5))
"${PIN_SRV[@]}" "$PKTENG" server --bind 127.0.0.1 -p $P_URING --backend uring -q & PIDS+=($!)
"${PIN_SRV[@]}" "$PKTENG" server --bind 127.0.0.1 -p $P_EPOLL --backend epoll -q & PIDS+=($!)
if command -v iperf3 >/dev/null; then
	"${PIN_SRV[@]}" iperf3 -s -B 127.0.0.1 -p $P_IPERF >/dev/null 2>&1 & PIDS+=($!)
fi
"${PIN_SRV[@]}" sockperf server --tcp -i 127.0.0.1 -p $P_SOCKPERF >/dev/null 2>&1 & PIDS+=($!)
"${PIN_SRV[@]}" sockperf server -i 127.0.0.1 -p $P_SOCKPERF_UDP >/dev/null 2>&1 & PIDS+=($!)
sleep 1

LIMIT=$((SECS + 20))
# CPU time of every server process (all threads, in clock ticks), the same measure for every
# tool: the client's comes from the shell's `time`, the servers' from /proc/PID/stat.
srv_ticks() {
	local p t=0
	for p in "${PIDS[@]}"; do
		read -ra st <"/proc/$p/stat" 2>/dev/null && t=$((t + st[13] + st[14]))
	done
	echo $t
}
HZ=$(getconf CLK_TCK)
# adds "cpu" (CPU-seconds of client + servers per wall second) and "per_cpu" (units per
# CPU-second: all the work of the run over all the CPU time it took, start-up included)
X_CPU='import json,sys; r=json.loads(sys.stdin.read()); a=sys.argv[1:]; c=float(a[0]) + float(a[1]) + int(a[2]) / int(a[3]); r["cpu"]=c / ((int(a[5]) - int(a[4])) / 1e9); r["per_cpu"]=r["units"] / c if r.get("units") is not None and c > 0 else None; print(json.dumps(r))'
# run NAME CMD...: appends one JSON line {"name":..., "value":...} extracted by the python
# snippet in $EXTRACT from the command's stdout; a failed run records null.
res=$TMP/results.jsonl
run() {
	local name=$1 extract=$2 s0 s1 t0 t1 rc cu cs
	shift 2
	local out=$TMP/out
	if [ -n "${RECORD:-}" ]; then
		echo "  $name: ${PIN_CLI[*]} $*" >>"$TMP/commands"
	fi
	s0=$(srv_ticks) t0=$(date +%s%N)
	{ TIMEFORMAT='%3U %3S'; time timeout "$LIMIT" "${PIN_CLI[@]}" "$@" >"$out" 2>"$TMP/err"; } 2>"$TMP/time"
	rc=$?
	s1=$(srv_ticks) t1=$(date +%s%N)
	if [ $rc -eq 0 ]; then
		read -r cu cs <"$TMP/time"
		{ $PY -c "$extract" "$name" <"$out" | $PY -c "$X_CPU" "$cu" "$cs" $((s1 - s0)) "$HZ" "$t0" "$t1" \
			>>"$res"; } ||
			echo "{\"name\":\"$name\",\"value\":null}" >>"$res"
	else
		echo "peers.sh: $name failed: $(tail -1 "$TMP/err")" >&2
		echo "{\"name\":\"$name\",\"value\":null}" >>"$res"
	fi
	sleep 0.3
}

# extractors: read the tool's output on stdin, print {"name":..,"value":..}
# "units": everything the run moved (bits, datagrams received, transactions), for per_cpu
X_PE_STREAM='import json,sys; d=json.load(sys.stdin); s=d["summary"]["server"]; print(json.dumps({"name":sys.argv[1],"value":s["rx_bytes"]*8/s["duration_s"],"units":s["rx_bytes"]*8}))'
X_IPERF_TCP='import json,sys; d=json.load(sys.stdin); r=d["end"]["sum_received"]; print(json.dumps({"name":sys.argv[1],"value":r["bits_per_second"],"units":r["bytes"]*8}))'
X_PE_UDP='import json,sys; d=json.load(sys.stdin); s=d["summary"]["server"]; c=d["summary"]["client"]; print(json.dumps({"name":sys.argv[1],"value":s["udp_rx_datagrams"]/c["duration_s"],"sent_pps":c["udp_tx_datagrams"]/c["duration_s"],"loss":s["udp_lost_datagrams"]/max(1,c["udp_tx_datagrams"]),"units":s["udp_rx_datagrams"]}))'
X_IPERF_UDP='import json,sys; d=json.load(sys.stdin); s=d["end"]["sum"]; print(json.dumps({"name":sys.argv[1],"value":(s["packets"]-s["lost_packets"])/s["seconds"],"sent_pps":s["packets"]/s["seconds"],"loss":s["lost_packets"]/max(1,s["packets"]),"units":s["packets"]-s["lost_packets"]}))'
X_PE_RR='import json,sys; d=json.load(sys.stdin); c=d["summary"]["client"]; print(json.dumps({"name":sys.argv[1],"value":c["transactions"]/c["duration_s"],"units":c["transactions"],"p50_us":c["lat_p50_ns"]/1e3,"p99_us":c["lat_p99_ns"]/1e3}))'
X_PE_UDPRR='import json,sys; d=json.load(sys.stdin); c=d["summary"]["client"]; print(json.dumps({"name":sys.argv[1],"value":c["transactions"]/c["duration_s"],"units":c["transactions"],"p50_us":c["lat_p50_ns"]/1e3,"p99_us":c["lat_p99_ns"]/1e3,"timeouts":c["rr_timeouts"]}))'
# sockperf ping-pong prints one-way latency (half the round trip): doubled here to compare
X_SOCKPERF='import re,sys,json; t=sys.stdin.read(); v=re.search(r"\[Valid Duration\] RunTime=([0-9.]+) sec; SentMessages=(\d+)",t); a=re.search(r"\[Total Run\] RunTime=[0-9.]+ sec; Warm up time=\d+ msec; SentMessages=(\d+)",t); p50=float(re.search(r"percentile 50.000 =\s*([0-9.]+)",t).group(1)); p99=float(re.search(r"percentile 99.000 =\s*([0-9.]+)",t).group(1)); print(json.dumps({"name":sys.argv[1],"value":int(v.group(2))/float(v.group(1)),"p50_us":2*p50,"p99_us":2*p99,"units":int(a.group(1))}))'
X_PE_ECHO='import json,sys; d=json.load(sys.stdin); c=d["summary"]["client"]; assert c["verify_mismatched_bytes"]==0; print(json.dumps({"name":sys.argv[1],"value":c["transactions"]/c["duration_s"],"units":c["transactions"],"p50_us":c["lat_p50_ns"]/1e3}))'

echo "peers.sh: $RUNS runs of $SECS s each, pkteng $("$PKTENG" --version | cut -d' ' -f2), $(iperf3 --version 2>/dev/null | head -1 | cut -d' ' -f1-2), sockperf $(sockperf --version 2>&1 | grep -o '3\.[0-9]*' | head -1)" >&2
# job K: the K-th command, run for $T seconds. Pairs sit next to each other; both tools send
# the same block size (pkteng's stream default and iperf3's TCP default are 128 KiB).
NJOBS=26
job() {
	local PE=("$PKTENG" client 127.0.0.1 -i 0 --json -t "$T")
	case $1 in
	0) run pkteng_stream "$X_PE_STREAM" "${PE[@]}" -p $P_URING --mode stream ;;
	1) run iperf3_stream "$X_IPERF_TCP" iperf3 -c 127.0.0.1 -p $P_IPERF -t "$T" -J ;;
	2) run iperf3_stream_Z "$X_IPERF_TCP" iperf3 -c 127.0.0.1 -p $P_IPERF -t "$T" -Z -J ;;
	3) run pkteng_stream_Z "$X_PE_STREAM" "${PE[@]}" -p $P_URING --mode stream --zerocopy ;;
	4) run pkteng_stream_epoll "$X_PE_STREAM" "${PE[@]}" -p $P_EPOLL --backend epoll --mode stream ;;
	5) run pkteng_stream_skiprx "$X_PE_STREAM" "${PE[@]}" -p $P_EPOLL --backend epoll --mode stream --skip-rx-copy ;;
	6) run pkteng_udp64 "$X_PE_UDP" "${PE[@]}" -p $P_URING --mode udp -l 64 ;;  # GSO+GRO: the default
	7) run iperf3_udp64 "$X_IPERF_UDP" iperf3 -c 127.0.0.1 -p $P_IPERF -u -b 0 -l 64 -t "$T" -J ;;
	8) run pkteng_udp64_nogso "$X_PE_UDP" "${PE[@]}" -p $P_URING --mode udp -l 64 --no-gso ;;
	9) run pkteng_rr64 "$X_PE_RR" "${PE[@]}" -p $P_EPOLL --backend epoll --mode rr -l 64 --resp-len 64 ;;
	10) run pkteng_rr64_uring "$X_PE_RR" "${PE[@]}" -p $P_URING --mode rr -l 64 --resp-len 64 ;;
	11) run sockperf_pp64 "$X_SOCKPERF" sockperf ping-pong --tcp -i 127.0.0.1 -p $P_SOCKPERF -m 64 -t "$T" --mps=max ;;
	12) run pkteng_echo256_uring "$X_PE_ECHO" "${PE[@]}" -p $P_URING --mode echo --conns 256 -l 64 ;;
	13) run pkteng_echo256_epoll "$X_PE_ECHO" "${PE[@]}" -p $P_EPOLL --backend epoll --mode echo --conns 256 -l 64 ;;
	14) run pkteng_udp64_gsoonly "$X_PE_UDP" "${PE[@]}" -p $P_URING --mode udp -l 64 --gso ;;
	15) run pkteng_rr64_spin "$X_PE_RR" "${PE[@]}" -p $P_URING --mode rr -l 64 --resp-len 64 --spin 1000 ;;
	16) run pkteng_rr64_spin_epoll "$X_PE_RR" "${PE[@]}" -p $P_EPOLL --backend epoll --mode rr -l 64 \
		--resp-len 64 --spin 1000 ;;
	17) sockperf_spin ;;
	18) run pkteng_udprr64 "$X_PE_UDPRR" "${PE[@]}" -p $P_EPOLL --backend epoll --mode udp-rr -l 64 --resp-len 64 ;;
	19) run pkteng_udprr64_uring "$X_PE_UDPRR" "${PE[@]}" -p $P_URING --mode udp-rr -l 64 --resp-len 64 ;;
	20) run sockperf_udp_pp64 "$X_SOCKPERF" sockperf ping-pong -i 127.0.0.1 -p $P_SOCKPERF_UDP -m 64 -t "$T" --mps=max ;;
	21) run pkteng_crr64_uring "$X_PE_RR" "${PE[@]}" -p $P_URING --mode crr -l 64 --resp-len 64 ;;
	22) run pkteng_crr64_epoll "$X_PE_RR" "${PE[@]}" -p $P_EPOLL --backend epoll --mode crr -l 64 --resp-len 64 ;;
	23) run pkteng_udp64_epoll "$X_PE_UDP" "${PE[@]}" -p $P_EPOLL --backend epoll --mode udp -l 64 ;;
	24) run pkteng_crr64_spin_uring "$X_PE_RR" "${PE[@]}" -p $P_URING --mode crr -l 64 --resp-len 64 --spin 1000 ;;
	25) run pkteng_crr64_spin_epoll "$X_PE_RR" "${PE[@]}" -p $P_EPOLL --backend epoll --mode crr -l 64 \
		--resp-len 64 --spin 1000 ;;
	esac
}
# sockperf spins (epoll_wait with a zero timeout) only with a feed file and -F e --timeout 0,
# on both sides; its spinning server runs only for this job, so it burns no CPU during others.
sockperf_spin() {
	local sp p keep=()
	echo "T:127.0.0.1:$P_SPIN" >"$TMP/feed"
	"${PIN_SRV[@]}" sockperf server -f "$TMP/feed" -F e --timeout 0 >/dev/null 2>&1 &
	sp=$!
	PIDS+=("$sp")
	sleep 0.5
	[ -n "${RECORD:-}" ] && echo "  (server: ${PIN_SRV[*]} sockperf server -f FEED -F e --timeout 0; FEED: T:127.0.0.1:$P_SPIN)" >>"$TMP/commands"
	run sockperf_pp64_spin "$X_SOCKPERF" sockperf ping-pong -f "$TMP/feed" -m 64 -t "$T" --mps=max \
		-F e --timeout 0
	kill "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
	for p in "${PIDS[@]}"; do [ "$p" = "$sp" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}
# warm-up: every command once for a second, not recorded
echo "peers.sh: warm-up" >&2
T=1
ALL=${JOBS:-$(seq 0 $((NJOBS - 1)))}
for k in $ALL; do job "$k"; done
T=$SECS
: >"$res"
for i in $(seq "$RUNS"); do
	echo "peers.sh: run $i/$RUNS" >&2
	RECORD=$([ "$i" -eq 1 ] && echo 1)
	if [ $((i % 2)) -eq 1 ]; then order=$ALL; else order=$(echo $ALL | tr ' ' '\n' | tac); fi
	for k in $order; do job "$k"; done
done
echo "peers.sh: commands (each run for $SECS s; servers: ${PIN_SRV[*]} pkteng server --bind 127.0.0.1 --backend uring|epoll, iperf3 -s, sockperf server --tcp, sockperf server (UDP)):" >&2
cat "$TMP/commands" >&2

PYTHONPATH=$PE_TOP/perf $PY - "$res" "$OUT" "$RUNS" "$SECS" <<'PY'
import json, random, statistics, sys
from ratioci import ratio_ci
path, out, runs, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
rows = {}
for line in open(path):
    r = json.loads(line)
    rows.setdefault(r["name"], []).append(r)
def med(name, key="value"):
    vals = [r[key] for r in rows.get(name, []) if r.get(key) is not None]
    return statistics.median(vals) if vals else None
def ratio(a, b):
    return a / b if a is not None and b else None
# per-run ratios: run i of a against run i of b (one pass over the jobs, a minute apart at most)
def run_ratios(a, b, key="value"):
    return [x[key] / y[key] for x, y in zip(rows.get(a, []), rows.get(b, []))
            if x.get(key) is not None and y.get(key)]
# the ratio of medians' 95% interval: both sides' runs resampled (a percentile bootstrap, a
# fixed seed so the same runs give the same interval)
rng = random.Random(20261206)
def ci(a, b, key="value"):
    return ratio_ci([r[key] for r in rows.get(a, []) if r.get(key) is not None],
                    [r[key] for r in rows.get(b, []) if r.get(key) is not None], rng)
def verdict(lo_hi, r, goal, higher=True):
    if goal is None or r is None:
        return ""
    if lo_hi is None:
        return "  ok" if (r >= goal if higher else r <= goal) else "  MISSED"
    lo, hi = lo_hi
    if higher:
        return "  ok" if lo >= goal else ("  BELOW" if hi < goal else "  unsure")
    return "  ok" if hi <= goal else ("  ABOVE" if lo > goal else "  unsure")
def spread(a, b, key="value"):
    c = ci(a, b, key)
    return f"  [{c[0]:.2f}, {c[1]:.2f}]" if c else ""
def f(v, unit):
    if v is None:
        return "failed"
    if unit == "bps":
        return f"{v / 1e9:.2f} Gbit/s"
    if unit == "pps":
        return f"{v / 1e6:.3f} Mpps"
    if unit == "tps":
        return f"{v:,.0f}/s"
    return f"{v:.1f} us"
checks = [
    ("stream 1 flow vs iperf3", "pkteng_stream", "iperf3_stream", "bps", 1.3),
    ("stream 1 flow vs iperf3 -Z", "pkteng_stream", "iperf3_stream_Z", "bps", 1.0),
    ("stream --zerocopy vs iperf3 -Z", "pkteng_stream_Z", "iperf3_stream_Z", "bps", None),
    ("stream (epoll) vs iperf3", "pkteng_stream_epoll", "iperf3_stream", "bps", None),
    ("stream --skip-rx-copy (epoll) vs iperf3", "pkteng_stream_skiprx", "iperf3_stream", "bps", None),
    ("udp 64 B default vs iperf3 -u -b 0", "pkteng_udp64", "iperf3_udp64", "pps", 3.0),
    ("udp 64 B --no-gso vs iperf3 -u -b 0", "pkteng_udp64_nogso", "iperf3_udp64", "pps", None),
    ("udp 64 B --gso (no GRO) vs iperf3 -u -b 0", "pkteng_udp64_gsoonly", "iperf3_udp64", "pps", None),
    ("rr 64 B tps (io_uring) vs sockperf pp", "pkteng_rr64_uring", "sockperf_pp64", "tps", 1.1),
    ("rr 64 B tps (epoll) vs sockperf pp", "pkteng_rr64", "sockperf_pp64", "tps", None),
    ("rr --spin tps (io_uring) vs sockperf spin", "pkteng_rr64_spin", "sockperf_pp64_spin", "tps", 1.0),
    ("rr --spin tps (epoll) vs sockperf spin", "pkteng_rr64_spin_epoll", "sockperf_pp64_spin", "tps", None),
    ("echo 256 conns io_uring vs epoll", "pkteng_echo256_uring", "pkteng_echo256_epoll", "tps", 1.2),
    ("udp-rr 64 B tps (io_uring) vs sockperf UDP pp", "pkteng_udprr64_uring", "sockperf_udp_pp64", "tps", 1.0),
    ("udp-rr 64 B tps (epoll) vs sockperf UDP pp", "pkteng_udprr64", "sockperf_udp_pp64", "tps", None),
    ("rr 64 B tps io_uring vs epoll", "pkteng_rr64_uring", "pkteng_rr64", "tps", 1.0),
    ("udp-rr 64 B tps io_uring vs epoll", "pkteng_udprr64_uring", "pkteng_udprr64", "tps", 1.0),
    ("rr --spin tps io_uring vs epoll", "pkteng_rr64_spin", "pkteng_rr64_spin_epoll", "tps", 1.0),
    ("stream io_uring vs epoll", "pkteng_stream", "pkteng_stream_epoll", "bps", 1.0),
    ("udp 64 B default io_uring vs epoll", "pkteng_udp64", "pkteng_udp64_epoll", "pps", 1.0),
    ("crr 64 B tps io_uring vs epoll", "pkteng_crr64_uring", "pkteng_crr64_epoll", "tps", 1.0),
    ("crr --spin tps io_uring vs epoll", "pkteng_crr64_spin_uring", "pkteng_crr64_spin_epoll", "tps", 1.0),
]
# with --jobs, only the comparisons whose rows ran
checks = [c for c in checks if c[1] in rows or c[2] in rows]
summary = {"runs": runs, "seconds": secs, "medians": {}, "ratios": {}}
for n in rows:
    summary["medians"][n] = {k: med(n, k) for k in rows[n][0] if k != "name"}
summary["run_ratios"] = {}
summary["ci95"] = {}
print(f"\n{'comparison':46} {'pkteng':>16} {'peer':>16} {'ratio':>7} {'goal':>6}  95% interval")
for label, a, b, unit, goal in checks:
    ma, mb = med(a), med(b)
    r = ratio(ma, mb)
    c = ci(a, b)
    summary["ratios"][label] = r
    summary["ci95"][label] = c
    summary["run_ratios"][label] = run_ratios(a, b)
    print((f"{label:46} {f(ma, unit):>16} {f(mb, unit):>16} "
           f"{(f'{r:.2f}x' if r else '-'):>7} {(f'>={goal}x' if goal else ''):>6}"
           + spread(a, b) + verdict(c, r, goal)).rstrip())
# latency: pkteng's round trip p50 vs sockperf's (its one-way figure doubled)
for lbl, a in (("io_uring", "pkteng_rr64_uring"), ("epoll", "pkteng_rr64")):
    pa, pb = med(a, "p50_us"), med("sockperf_pp64", "p50_us")
    if pa is None and pb is None:
        continue
    r, c = ratio(pa, pb), ci(a, "sockperf_pp64", "p50_us")
    summary["ratios"][f"rr p50 {lbl} / sockperf"] = r
    print(f"{'rr 64 B p50 round trip (' + lbl + ') vs sockperf':46} {f(pa, 'us'):>16} {f(pb, 'us'):>16} "
          f"{(f'{r:.2f}x' if r else '-'):>7} {'<=1.0x':>6}" + spread(a, "sockperf_pp64", "p50_us")
          + verdict(c, r, 1.0, higher=False))
for lbl, a, goal in (("epoll", "pkteng_udprr64", 1.0), ("io_uring", "pkteng_udprr64_uring", 1.0)):
    ua, ub = med(a, "p50_us"), med("sockperf_udp_pp64", "p50_us")
    if ua is None and ub is None:
        continue
    r = ratio(ua, ub)
    summary["ratios"][f"udp-rr p50 {lbl} / sockperf UDP"] = r
    print(f"{'udp-rr 64 B p50 (' + lbl + ') vs sockperf UDP':46} {f(ua, 'us'):>16} {f(ub, 'us'):>16} "
          f"{(f'{r:.2f}x' if r else '-'):>7} {('<=1.0x' if goal else ''):>6}"
          + spread(a, "sockperf_udp_pp64", "p50_us")
          + verdict(ci(a, "sockperf_udp_pp64", "p50_us"), r, goal, higher=False)
          + (f"  timeouts {med(a, 'timeouts'):.0f}" if med(a, 'timeouts') else ""))
for lbl, a in (("io_uring", "pkteng_rr64_spin"), ("epoll", "pkteng_rr64_spin_epoll")):
    sa, sb = med(a, "p50_us"), med("sockperf_pp64_spin", "p50_us")
    if sa is None and sb is None:
        continue
    print(f"{'rr --spin p50 (' + lbl + ') vs sockperf spin':46} {f(sa, 'us'):>16} {f(sb, 'us'):>16} "
          f"{(f'{ratio(sa, sb):.2f}x' if ratio(sa, sb) else '-'):>7}")
ls, li = med("pkteng_udp64", "loss"), med("iperf3_udp64", "loss")
lg = med("pkteng_udp64_gsoonly", "loss")
if ls is not None and li is not None:
    print(f"{'udp 64 B loss (pkteng default / iperf3)':46} {ls * 100:>15.2f}% {li * 100:>15.2f}%")
    if lg is not None:
        print(f"{'udp 64 B --gso (no GRO) loss (pkteng)':46} {lg * 100:>15.2f}%")
    print(f"{'udp 64 B sent pps (pkteng default / iperf3)':46} {f(med('pkteng_udp64', 'sent_pps'), 'pps'):>16} "
          f"{f(med('iperf3_udp64', 'sent_pps'), 'pps'):>16}")
# the same pairs per CPU-second of client + server: less sensitive to what else the machine runs
def fc(v, unit):
    if unit == "bps":
        return f"{v / 1e9:.2f} Gbit"
    if unit == "pps":
        return f"{v / 1e6:.3f} Mdgram"
    return f"{v:,.0f} trans"
print(f"\n{'per CPU-second (client + server)':46} {'pkteng':>16} {'peer':>16} {'ratio':>7}")
for label, a, b, unit, goal in checks:
    ca, cb = med(a, "per_cpu"), med(b, "per_cpu")
    if ca is None or cb is None:
        continue
    r = ratio(ca, cb)
    summary["ratios"][label + " per CPU"] = r
    print(f"{label:46} {fc(ca, unit):>16} {fc(cb, unit):>16} {(f'{r:.2f}x' if r else '-'):>7}")
json.dump(summary, open(out, "w"), indent=2)
print(f"\nmedians of {runs} runs of {secs:g} s; JSON: {out}")
PY
