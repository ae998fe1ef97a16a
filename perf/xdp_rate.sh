#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The frame rate a veth pair's receiving end takes with and without the XDP counter, in one run.
# A sender in namespace A (pkteng inject, or trafgen when pkteng has no inject) sends 64-byte
# IPv4/UDP frames to B flat out for -t seconds; what is compared is B's rx_packets per second
# (/sys/class/net/veth1/statistics) with: no XDP program ("none"); a bare program that only
# returns XDP_PASS ("pass-native", "pass-generic", attached with ip link); and the counter in
# pass mode ("count-native", "count-generic", pkteng xdp attach). count/none is what attaching
# the counter costs the veth; count/pass is the counter's own share, since veth copies every
# locally sent frame into an XDP-capable buffer once any program is attached. Configurations
# alternate within each round; medians over rounds and ratios are printed, then one JSON line.
# The counter's own total must equal rx_packets, or the run fails.
# -g turns GRO on at B (and TSO off at A, so every frame qualifies): veth then takes every frame
# through its NAPI ring with no program too, so "none" and the native rows share one receive
# path and differ by the program and veth's copy alone.
# Usage: perf/xdp_rate.sh [-t SECONDS] [-r ROUNDS] [-b BUILD_DIR] [-g]   (root; default 3 s, 5 rounds)
set -euo pipefail
PE_TOP=$(cd "$(dirname "$0")/.." && pwd)
secs=3 rounds=5 build=$PE_TOP/build path=backlog
while getopts "t:r:b:g" opt; do
	case $opt in
	t) secs=$OPTARG ;;
	r) rounds=$OPTARG ;;
	b) build=$OPTARG ;;
	g) path=napi ;;
	*) sed -n '2,16s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
pkteng=$build/pkteng
[ "$(id -u)" = 0 ] || { echo "xdp_rate.sh: needs root (namespaces, XDP)" >&2; exit 1; }
[ -x "$pkteng" ] || { echo "xdp_rate.sh: $pkteng not built (-b BUILD_DIR)" >&2; exit 1; }

export PE_PKTENG=$pkteng # tests/lab/lab.sh builds the lab with this pkteng
. "$PE_TOP/tests/lab/lab.sh"
trap 'inb "$pkteng" xdp detach --dev "$PE_IF_B" --force >/dev/null 2>&1; ip -n "$PE_NS_B" link set dev "$PE_IF_B" xdp off 2>/dev/null; pe_lab_down; rm -f "${conf:-}" "${passobj:-}"' EXIT
trap 'exit 130' INT TERM
set +e # lab.sh is not written for set -e
pe_lab_up "pexr$$" 0 0 1 >/dev/null # quiet: no IPv6, permanent neighbours
rc=$?
set -e
[ $rc = 0 ] || { echo "xdp_rate.sh: could not build the lab" >&2; exit 1; }
if [ $path = napi ]; then
	ip netns exec "$PE_NS_A" ethtool -K "$PE_IF_A" tso off >/dev/null
	ip netns exec "$PE_NS_B" ethtool -K "$PE_IF_B" gro on >/dev/null
fi

# B's network namespace only: pkteng xdp's pins must stay in this mount namespace.
inb() { nsenter --net="/run/netns/$PE_NS_B" "$@"; }
rx() { ip netns exec "$PE_NS_B" cat "/sys/class/net/$PE_IF_B/statistics/rx_packets"; }

if "$pkteng" inject --help >/dev/null 2>&1; then
	sender="pkteng inject"
	send() { ip netns exec "$PE_NS_A" "$pkteng" inject --dev "$PE_IF_A" -t "$secs" --proto udp \
		--dport 9 >/dev/null; }
else
	sender="trafgen"
	conf=$(mktemp)
	# 60 bytes: Ethernet to B's MAC, IPv4 198.18.0.1 -> 198.18.0.2, UDP 9 -> 9, zero payload
	cat >"$conf" <<-EOF
	{ 0x02,0,0,0,0,0x02, 0x02,0,0,0,0,0x01, 0x08,0x00,
	  0x45,0,0,46, 0,0,0,0, 64,17, csumip(14, 33), 198,18,0,1, 198,18,0,2,
	  0,9, 0,9, 0,26, 0,0, fill(0, 18) }
	EOF
	send() { ip netns exec "$PE_NS_A" timeout -s INT "$secs" trafgen --dev "$PE_IF_A" \
		--conf "$conf" --cpus 1 --no-sock-mem -q >/dev/null 2>&1 || true; }
fi

# The bare program, compiled here so the script needs nothing but clang from the build's list.
passobj=$(mktemp --suffix=.o)
printf '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\nSEC("xdp") int pass(struct xdp_md *c) { return XDP_PASS; }\nchar LICENSE[] SEC("license") = "GPL";\n' |
	clang -O2 -target bpf -I/usr/include/"$(gcc -print-multiarch)" -c -x c - -o "$passobj"

configs="none pass-native count-native pass-generic count-generic"
declare -A rates
for ((r = 1; r <= rounds; r++)); do
	for cfg in $configs; do
		mode=${cfg#*-}
		case $cfg in
		pass-native) ip -n "$PE_NS_B" link set dev "$PE_IF_B" xdpdrv obj "$passobj" sec xdp ;;
		pass-generic) ip -n "$PE_NS_B" link set dev "$PE_IF_B" xdpgeneric obj "$passobj" sec xdp ;;
		count-*) inb "$pkteng" xdp attach --dev "$PE_IF_B" --mode "$mode" >/dev/null ;;
		esac
		a=$(rx) t0=$(date +%s.%N)
		send
		t1=$(date +%s.%N) b=$(rx)
		case $cfg in
		pass-native) ip -n "$PE_NS_B" link set dev "$PE_IF_B" xdpdrv off ;;
		pass-generic) ip -n "$PE_NS_B" link set dev "$PE_IF_B" xdpgeneric off ;;
		count-*)
			counted=$(inb "$pkteng" xdp stats --dev "$PE_IF_B" --json |
				/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["rx_frames"])')
			inb "$pkteng" xdp detach --dev "$PE_IF_B" >/dev/null
			if [ "$counted" != $((b - a)) ]; then
				echo "xdp_rate.sh: the counter saw $counted frames, rx_packets $((b - a))" >&2
				exit 1
			fi
			;;
		esac
		pps=$(awk -v n=$((b - a)) -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", n / (t1 - t0) }')
		rates[$cfg]="${rates[$cfg]:-} $pps"
		printf 'round %d  %-14s %12s frames/s\n' "$r" "$cfg" "$pps"
	done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A med
for cfg in $configs; do
	med[$cfg]=$(echo "${rates[$cfg]}" | median)
done
echo "sender: $sender, 64-byte IPv4/UDP frames, receive path without a program: $path, $secs s x $rounds rounds, medians:"
awk -v path=$path -v n="${med[none]}" -v pn="${med[pass-native]}" -v cn="${med[count-native]}" \
	-v pg="${med[pass-generic]}" -v cg="${med[count-generic]}" 'BEGIN {
	printf "none           %12.0f frames/s\n", n
	printf "pass-native    %12.0f frames/s  vs none %.3f\n", pn, pn / n
	printf "count-native   %12.0f frames/s  vs none %.3f  vs pass-native %.3f\n", cn, cn / n, cn / pn
	printf "pass-generic   %12.0f frames/s  vs none %.3f\n", pg, pg / n
	printf "count-generic  %12.0f frames/s  vs none %.3f  vs pass-generic %.3f\n", cg, cg / n, cg / pg
	printf "{\"benchmark\":\"xdp_rate\",\"path\":\"%s\",\"none_pps\":%.0f,\"pass_native_pps\":%.0f,\"count_native_pps\":%.0f,\"pass_generic_pps\":%.0f,\"count_generic_pps\":%.0f,\"count_native_vs_none\":%.4f,\"count_native_vs_pass\":%.4f,\"count_generic_vs_none\":%.4f,\"count_generic_vs_pass\":%.4f}\n", path, n, pn, cn, pg, cg, cn / n, cn / pn, cg / n, cg / pg
}'
