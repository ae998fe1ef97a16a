#!/usr/bin/env bash
# pkteng side by side with iperf3 and sockperf on loopback, in the same run: stream (one flow),
# udp (64-byte datagrams, as fast as possible), rr (64 bytes, one connection) and echo
# (256 connections, io_uring vs epoll). Each pair runs alternately RUNS times; the table shows
# medians and ratios, and the medians go to a JSON file.
#
#   perf/peers.sh [-n RUNS] [-t SECONDS] [--pkteng PATH] [--out FILE]
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
while [ $# -gt 0 ]; do
	case "$1" in
	-n) RUNS=$2; shift 2 ;;
	-t) SECS=$2; shift 2 ;;
	--pkteng) PKTENG=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	-h|--help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "peers.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
for tool in "$PKTENG" iperf3 sockperf; do
	command -v "$tool" >/dev/null || { echo "peers.sh: $tool not found" >&2; exit 1; }
done

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
BASE=$((20000 + ($$ % 2000) * 5))
P_URING=$BASE P_EPOLL=$((BASE + 1)) P_IPERF=$((BASE + 2)) P_SOCKPERF=$((BASE + 3))
"$PKTENG" server --bind 127.0.0.1 -p $P_URING --backend uring -q & PIDS+=($!)
"$PKTENG" server --bind 127.0.0.1 -p $P_EPOLL --backend epoll -q & PIDS+=($!)
iperf3 -s -B 127.0.0.1 -p $P_IPERF >/dev/null 2>&1 & PIDS+=($!)
sockperf server --tcp -i 127.0.0.1 -p $P_SOCKPERF >/dev/null 2>&1 & PIDS+=($!)
sleep 1

LIMIT=$((SECS + 20))
# run NAME CMD...: appends one JSON line {"name":..., "value":...} extracted by the python
# snippet in $EXTRACT from the command's stdout; a failed run records null.
res=$TMP/results.jsonl
run() {
	local name=$1 extract=$2
	shift 2
	local out=$TMP/out
	if timeout "$LIMIT" "$@" >"$out" 2>"$TMP/err"; then
		$PY -c "$extract" "$name" <"$out" >>"$res" || echo "{\"name\":\"$name\",\"value\":null}" >>"$res"
	else
		echo "peers.sh: $name failed: $(tail -1 "$TMP/err")" >&2
		echo "{\"name\":\"$name\",\"value\":null}" >>"$res"
	fi
	sleep 0.3
}

# extractors: read the tool's output on stdin, print {"name":..,"value":..}
X_PE_STREAM='import json,sys; d=json.load(sys.stdin); s=d["server"]; print(json.dumps({"name":sys.argv[1],"value":s["bytes_rx"]*8/s["seconds"]}))'
X_IPERF_TCP='import json,sys; d=json.load(sys.stdin); print(json.dumps({"name":sys.argv[1],"value":d["end"]["sum_received"]["bits_per_second"]}))'
X_PE_UDP='import json,sys; d=json.load(sys.stdin); s=d["server"]; c=d["client"]; print(json.dumps({"name":sys.argv[1],"value":s["udp_received"]/c["seconds"],"sent_pps":c["udp_sent"]/c["seconds"],"loss":s["udp_lost"]/max(1,c["udp_sent"])}))'
X_IPERF_UDP='import json,sys; d=json.load(sys.stdin); s=d["end"]["sum"]; print(json.dumps({"name":sys.argv[1],"value":(s["packets"]-s["lost_packets"])/s["seconds"],"sent_pps":s["packets"]/s["seconds"],"loss":s["lost_packets"]/max(1,s["packets"])}))'
X_PE_RR='import json,sys; d=json.load(sys.stdin); c=d["client"]; print(json.dumps({"name":sys.argv[1],"value":c["transactions"]/c["seconds"],"p50_us":c["lat_p50_ns"]/1e3,"p99_us":c["lat_p99_ns"]/1e3}))'
# sockperf ping-pong prints one-way latency (half the round trip): doubled here to compare
X_SOCKPERF='import re,sys,json; t=sys.stdin.read(); v=re.search(r"\[Valid Duration\] RunTime=([0-9.]+) sec; SentMessages=(\d+)",t); p50=float(re.search(r"percentile 50.000 =\s*([0-9.]+)",t).group(1)); p99=float(re.search(r"percentile 99.000 =\s*([0-9.]+)",t).group(1)); print(json.dumps({"name":sys.argv[1],"value":int(v.group(2))/float(v.group(1)),"p50_us":2*p50,"p99_us":2*p99}))'
X_PE_ECHO='import json,sys; d=json.load(sys.stdin); c=d["client"]; assert c["verify_errors"]==0; print(json.dumps({"name":sys.argv[1],"value":c["transactions"]/c["seconds"],"p50_us":c["lat_p50_ns"]/1e3}))'

PE=("$PKTENG" client 127.0.0.1 -i 0 --json -t "$SECS")
echo "peers.sh: $RUNS runs of $SECS s each, pkteng $("$PKTENG" --version | cut -d' ' -f2), $(iperf3 --version | head -1 | cut -d' ' -f1-2), sockperf $(sockperf --version 2>&1 | grep -o '3\.[0-9]*' | head -1)" >&2
for i in $(seq "$RUNS"); do
	echo "peers.sh: run $i/$RUNS" >&2
	run pkteng_stream "$X_PE_STREAM" "${PE[@]}" -p $P_URING --mode stream
	run iperf3_stream "$X_IPERF_TCP" iperf3 -c 127.0.0.1 -p $P_IPERF -t "$SECS" -J
	run iperf3_stream_Z "$X_IPERF_TCP" iperf3 -c 127.0.0.1 -p $P_IPERF -t "$SECS" -Z -J
	run pkteng_stream_Z "$X_PE_STREAM" "${PE[@]}" -p $P_URING --mode stream --zerocopy
	run pkteng_stream_epoll "$X_PE_STREAM" "${PE[@]}" -p $P_EPOLL --backend epoll --mode stream
	run pkteng_stream_skiprx "$X_PE_STREAM" "${PE[@]}" -p $P_EPOLL --backend epoll --mode stream --skip-rx-copy
	run pkteng_udp64 "$X_PE_UDP" "${PE[@]}" -p $P_URING --mode udp -l 64
	run iperf3_udp64 "$X_IPERF_UDP" iperf3 -c 127.0.0.1 -p $P_IPERF -u -b 0 -l 64 -t "$SECS" -J
	run pkteng_udp64_gso "$X_PE_UDP" "${PE[@]}" -p $P_URING --mode udp -l 64 --gso --gro
	run pkteng_rr64 "$X_PE_RR" "${PE[@]}" -p $P_EPOLL --backend epoll --mode rr -l 64 --resp-len 64
	run pkteng_rr64_uring "$X_PE_RR" "${PE[@]}" -p $P_URING --mode rr -l 64 --resp-len 64
	run sockperf_pp64 "$X_SOCKPERF" sockperf ping-pong --tcp -i 127.0.0.1 -p $P_SOCKPERF -m 64 -t "$SECS" --mps=max
	run pkteng_echo256_uring "$X_PE_ECHO" "${PE[@]}" -p $P_URING --mode echo --conns 256 -l 64
	run pkteng_echo256_epoll "$X_PE_ECHO" "${PE[@]}" -p $P_EPOLL --backend epoll --mode echo --conns 256 -l 64
done

$PY - "$res" "$OUT" "$RUNS" "$SECS" <<'PY'
import json, statistics, sys
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
    ("udp 64 B received pps vs iperf3 -u -b 0", "pkteng_udp64", "iperf3_udp64", "pps", 3.0),
    ("udp 64 B --gso --gro vs iperf3 -u -b 0", "pkteng_udp64_gso", "iperf3_udp64", "pps", 3.0),
    ("rr 64 B tps (epoll) vs sockperf pp", "pkteng_rr64", "sockperf_pp64", "tps", 1.1),
    ("rr 64 B tps (io_uring) vs sockperf pp", "pkteng_rr64_uring", "sockperf_pp64", "tps", None),
    ("echo 256 conns io_uring vs epoll", "pkteng_echo256_uring", "pkteng_echo256_epoll", "tps", 1.2),
]
summary = {"runs": runs, "seconds": secs, "medians": {}, "ratios": {}}
for n in rows:
    summary["medians"][n] = {k: med(n, k) for k in rows[n][0] if k != "name"}
print(f"\n{'comparison':42} {'pkteng':>16} {'peer':>16} {'ratio':>7} {'goal':>6}")
for label, a, b, unit, goal in checks:
    ma, mb = med(a), med(b)
    r = ratio(ma, mb)
    summary["ratios"][label] = r
    print(f"{label:42} {f(ma, unit):>16} {f(mb, unit):>16} "
          f"{(f'{r:.2f}x' if r else '-'):>7} {(f'>={goal}x' if goal else ''):>6}"
          + ("" if goal is None or r is None else ("  ok" if r >= goal else "  BELOW")))
# latency: pkteng's round trip p50 vs sockperf's (its one-way figure doubled)
pa, pb = med("pkteng_rr64", "p50_us"), med("sockperf_pp64", "p50_us")
pu = med("pkteng_rr64_uring", "p50_us")
summary["ratios"]["rr p50 epoll / sockperf"] = ratio(pa, pb)
print(f"{'rr 64 B p50 round trip (epoll) vs sockperf':42} {f(pa, 'us'):>16} {f(pb, 'us'):>16} "
      f"{(f'{ratio(pa, pb):.2f}x' if ratio(pa, pb) else '-'):>7} {'<=1.0x':>6}"
      + ("" if ratio(pa, pb) is None else ("  ok" if ratio(pa, pb) <= 1.0 else "  ABOVE")))
print(f"{'rr 64 B p50 round trip (io_uring)':42} {f(pu, 'us'):>16}")
ls, li = med("pkteng_udp64", "loss"), med("iperf3_udp64", "loss")
if ls is not None and li is not None:
    print(f"{'udp 64 B loss (pkteng / iperf3)':42} {ls * 100:>15.2f}% {li * 100:>15.2f}%")
    print(f"{'udp 64 B sent pps (pkteng / iperf3)':42} {f(med('pkteng_udp64', 'sent_pps'), 'pps'):>16} "
          f"{f(med('iperf3_udp64', 'sent_pps'), 'pps'):>16}")
json.dump(summary, open(out, "w"), indent=2)
print(f"\nmedians of {runs} runs of {secs:g} s; JSON: {out}")
PY
