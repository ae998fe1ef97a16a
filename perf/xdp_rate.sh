#!/usr/bin/env bash
# The frame rate a veth pair's receiving end takes with and without the XDP counter, in one run.
# A sender in namespace A (pkteng inject, or trafgen when pkteng has no inject) sends 64-byte
# IPv4/UDP frames to B flat out for -t seconds; what is compared is B's rx_packets per second
# (/sys/class/net/veth1/statistics) with: no XDP program ("none"), the counter attached in pass
# mode in native mode ("native") and in generic mode ("generic"). Configurations alternate
# within each round; medians over rounds and their ratio to "none" are printed, then one JSON
# line. The counter's own total must equal rx_packets, or the run fails.
# Usage: perf/xdp_rate.sh [-t SECONDS] [-r ROUNDS] [-b BUILD_DIR]   (root; default 3 s, 5 rounds)
set -euo pipefail
PE_TOP=$(cd "$(dirname "$0")/.." && pwd)
secs=3 rounds=5 build=$PE_TOP/build
while getopts "t:r:b:" opt; do
	case $opt in
	t) secs=$OPTARG ;;
	r) rounds=$OPTARG ;;
	b) build=$OPTARG ;;
	*) sed -n '2,10s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
pkteng=$build/pkteng
[ "$(id -u)" = 0 ] || { echo "xdp_rate.sh: needs root (namespaces, XDP)" >&2; exit 1; }
[ -x "$pkteng" ] || { echo "xdp_rate.sh: $pkteng not built (-b BUILD_DIR)" >&2; exit 1; }

. "$PE_TOP/tests/lab/lab.sh"
trap 'inb "$pkteng" xdp detach --dev "$PE_IF_B" --force >/dev/null 2>&1 || true; pe_lab_down' EXIT
trap 'exit 130' INT TERM
pe_lab_up "pexr$$" 0 0 1 >/dev/null # quiet: no IPv6, permanent neighbours

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

declare -A rates
for ((r = 1; r <= rounds; r++)); do
	for cfg in none native generic; do
		if [ "$cfg" != none ]; then
			inb "$pkteng" xdp attach --dev "$PE_IF_B" --mode "$cfg" >/dev/null
		fi
		a=$(rx) t0=$(date +%s.%N)
		send
		t1=$(date +%s.%N) b=$(rx)
		if [ "$cfg" != none ]; then
			counted=$(inb "$pkteng" xdp stats --dev "$PE_IF_B" --json |
				/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["frames"])')
			inb "$pkteng" xdp detach --dev "$PE_IF_B" >/dev/null
			if [ "$counted" != $((b - a)) ]; then
				echo "xdp_rate.sh: the counter saw $counted frames, rx_packets $((b - a))" >&2
				exit 1
			fi
		fi
		pps=$(awk -v n=$((b - a)) -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", n / (t1 - t0) }')
		rates[$cfg]="${rates[$cfg]:-} $pps"
		printf 'round %d  %-8s %12s frames/s\n' "$r" "$cfg" "$pps"
	done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
none=$(echo "${rates[none]}" | median)
native=$(echo "${rates[native]}" | median)
generic=$(echo "${rates[generic]}" | median)
echo "sender: $sender, 64-byte IPv4/UDP frames, $secs s x $rounds rounds, medians:"
awk -v n="$none" -v d="$native" -v g="$generic" 'BEGIN {
	printf "none     %12.0f frames/s\n", n
	printf "native   %12.0f frames/s  ratio %.3f\n", d, d / n
	printf "generic  %12.0f frames/s  ratio %.3f\n", g, g / n
	printf "{\"benchmark\":\"xdp_rate\",\"none_pps\":%.0f,\"native_pps\":%.0f,\"generic_pps\":%.0f,\"native_ratio\":%.4f,\"generic_ratio\":%.4f}\n", n, d, g, d / n, g / n
}'
