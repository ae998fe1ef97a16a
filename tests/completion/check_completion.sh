#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Drives the bash completion as bash does: COMP_WORDS and COMP_CWORD set, _pkteng called,
# COMPREPLY compared exactly. --dev lists the interfaces of a network namespace made for the
# test (lo and a dummy; as root), else it must offer lo.
# Usage: check_completion.sh PKTENG COMPLETION_FILE
set -uo pipefail
bin=$(realpath "$1") comp=$(realpath "$2")
tmp=$(mktemp -d /tmp/pkteng-comp.XXXXXX)
ns=${PE_TEST_NS:-pe$$comp}
cleanup() {
	rm -rf "$tmp"
	[ "$(id -u)" = 0 ] && ip netns del "$ns" 2>/dev/null
	return 0
}
trap cleanup EXIT
touch "$tmp/a.pcap" "$tmp/ab.pcap" "$tmp/b.pcap"
mkdir "$tmp/out"

# The cases: expected COMPREPLY (words joined by one space) | the command line, the last word
# being the one completed. Run by a bash that has sourced the completion only.
cat >"$tmp/cases" <<CASES
bench capture client compare ethtool frame inject lab plot registry report resolve server suite xdp help|pkteng ''
capture client compare|pkteng c
--help --version -h -V|pkteng -
client|pkteng help cl
--mode|pkteng client --mo
stream rr crr udp echo file udp-rr|pkteng client --mode ''
udp udp-rr|pkteng client -m u
udp udp-rr|pkteng client --mode = u
uring epoll|pkteng client --backend ''
uring epoll|pkteng server --backend ''
epoll|pkteng registry serve --backend e
auto xdp ring sendmmsg uring|pkteng inject --method ''
udp tcp icmp raw|pkteng frame --proto ''
native generic|pkteng xdp run --mode ''
attach stats detach run|pkteng xdp ''
serve list|pkteng registry ''
--backend --bind --connect-timeout --help --idle-timeout --max-pending --one-off --port --quiet --threads -p -q|pkteng server -
--backend --bidir --bitrate --bytes|pkteng client --b
|pkteng client --port ''
$tmp/a.pcap $tmp/ab.pcap|pkteng capture --pcap $tmp/a
$tmp/out|pkteng bench --out $tmp/o
CASES

# Prints each case's COMPREPLY, one line each, in order.
export PE_COMP=$comp PE_BIN=$bin
run_cases() {
	bash --norc --noprofile -c '
		source "$1" || exit 1
		while IFS="|" read -r want line; do
			eval "COMP_WORDS=($line)"
			COMP_WORDS[0]=$2
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			_pkteng
			echo "${COMPREPLY[*]}"
		done <"$3"' _ "$PE_COMP" "$PE_BIN" "$1"
}

fail=0 n=0
check() { # cases file, output of run_cases
	local want line got i=0
	mapfile -t got <<<"$2"
	while IFS="|" read -r want line; do
		n=$((n + 1))
		if [ "${got[i]-}" != "$want" ]; then
			echo "FAIL: $line<TAB>: got '${got[i]-}', want '$want'"
			fail=1
		fi
		i=$((i + 1))
	done <"$1"
}
check "$tmp/cases" "$(run_cases "$tmp/cases")"

# Interface names come from /sys/class/net: a namespace with exactly lo and a veth pair.
echo "lo pecomp0 pecomp1|pkteng inject --dev ''" >"$tmp/dev"
echo "pecomp0 pecomp1|pkteng capture -d pe" >>"$tmp/dev"
echo "pecomp1|pkteng xdp run --dev = pecomp1" >>"$tmp/dev"
if [ "$(id -u)" = 0 ] && ip netns add "$ns" 2>/dev/null &&
	ip -n "$ns" link add pecomp0 type veth peer name pecomp1; then
	check "$tmp/dev" "$(ip netns exec "$ns" bash -c "$(declare -f run_cases); run_cases $tmp/dev")"
else
	echo "not root or no namespaces: --dev checked against this host's lo"
	echo "lo|pkteng inject --dev lo" >"$tmp/dev"
	check "$tmp/dev" "$(run_cases "$tmp/dev")"
fi
echo "check_completion: $n cases, $([ $fail = 0 ] && echo all pass || echo some FAIL)"
exit $fail
