#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The namespace lab for humans and perf scripts: two namespaces joined by a veth pair, the same
# layout as tests/lab/lab.c. Usage:
#   lab.sh run [-m MTU] [-v VID] [-q] -- CMD...   build a lab, run CMD with PE_* variables, remove it
#   lab.sh up  [-m MTU] [-v VID] [-q] [-n NAME]    build a lab and print its PE_* variables
#   lab.sh down NAME                               remove the lab NAME (namespaces NAMEa, NAMEb)
# Sourced (`. tests/lab/lab.sh`), it defines pe_lab_up/pe_lab_down for scripts that use trap.
# Exported: PE_NS_A PE_NS_B PE_IF_A PE_IF_B PE_MAC_A PE_MAC_B PE_IP4_A PE_IP4_B PE_IP6_A PE_IP6_B
# (and PE_VLAN_IF_A/B, PE_VLAN_IP4_A/B with -v).

pe_lab_down() {
	local name=${1:-${PE_LAB_NAME:-}}
	[ -n "$name" ] || return 0
	ip netns del "${name}a" 2>/dev/null
	ip netns del "${name}b" 2>/dev/null
	return 0
}

# pe_lab_up NAME MTU VID QUIET: sets and exports the PE_* variables.
pe_lab_up() {
	local name=$1 mtu=${2:-0} vid=${3:-0} quiet=${4:-0} s ns ifn peer
	export PE_LAB_NAME=$name PE_NS_A=${name}a PE_NS_B=${name}b PE_IF_A=veth0 PE_IF_B=veth1
	export PE_MAC_A=02:00:00:00:00:01 PE_MAC_B=02:00:00:00:00:02
	export PE_IP4_A=198.18.0.1 PE_IP4_B=198.18.0.2 PE_IP6_A=2001:2::1 PE_IP6_B=2001:2::2
	pe_lab_down "$name"
	ip netns add "$PE_NS_A" && ip netns add "$PE_NS_B" &&
		ip link add veth0 netns "$PE_NS_A" type veth peer name veth1 netns "$PE_NS_B" ||
		{ pe_lab_down "$name"; return 1; }
	for s in A B; do
		eval "ns=\$PE_NS_$s ifn=\$PE_IF_$s mac=\$PE_MAC_$s ip4=\$PE_IP4_$s ip6=\$PE_IP6_$s"
		[ $s = A ] && peer=B || peer=A
		eval "pip4=\$PE_IP4_$peer pip6=\$PE_IP6_$peer pmac=\$PE_MAC_$peer"
		{
			ip -n "$ns" link set lo up &&
			if [ "$quiet" = 1 ]; then
				ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifn.disable_ipv6=1"
			else
				ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifn.accept_dad=0" \
					"net.ipv6.conf.$ifn.router_solicitations=0" \
					"net.ipv6.conf.$ifn.accept_ra=0" \
					"net.ipv6.conf.$ifn.mldv1_unsolicited_report_interval=1" \
					"net.ipv6.conf.$ifn.mldv2_unsolicited_report_interval=1" \
					"net.ipv6.conf.$ifn.addr_gen_mode=1"
			fi &&
			ip -n "$ns" link set "$ifn" address "$mac" arp off &&
			{ [ "$mtu" = 0 ] || ip -n "$ns" link set "$ifn" mtu "$mtu"; } &&
			ip -n "$ns" addr add "$ip4/24" dev "$ifn" &&
			ip -n "$ns" neigh replace "$pip4" lladdr "$pmac" dev "$ifn" nud permanent &&
			{ [ "$quiet" = 1 ] || {
				ip -n "$ns" addr add "$ip6/64" dev "$ifn" nodad &&
				ip -n "$ns" neigh replace "$pip6" lladdr "$pmac" dev "$ifn" nud permanent; }; } &&
			ip -n "$ns" link set "$ifn" up &&
			{ [ "$vid" = 0 ] || {
				local vif=$ifn.$vid vip=198.18.1.${ip4##*.} pvip=198.18.1.${pip4##*.}
				export PE_VLAN_IF_$s=$vif PE_VLAN_IP4_$s=$vip
				ip -n "$ns" link add link "$ifn" name "$vif" type vlan id "$vid" &&
				ip -n "$ns" addr add "$vip/24" dev "$vif" &&
				ip -n "$ns" neigh replace "$pvip" lladdr "$pmac" dev "$vif" nud permanent &&
				ip -n "$ns" link set "$vif" arp off up; }; }
		} || { echo "lab: setting up $ns failed" >&2; pe_lab_down "$name"; return 1; }
	done
	# arp off: no ARP, no solicited-node groups and so no MLD reports; the permanent
	# neighbour entries give each side the other's MAC
}

pe_lab_main() {
	local cmd=${1:-} mtu=0 vid=0 quiet=0 name="pe$$" opt
	[ -n "$cmd" ] && shift
	case "$cmd" in
	down)
		[ $# = 1 ] || { echo "lab.sh: down needs NAME" >&2; return 2; }
		pe_lab_down "$1"
		return 0
		;;
	run | up) ;;
	*)
		sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
		return 2
		;;
	esac
	OPTIND=1
	while getopts "m:v:n:q" opt; do
		case $opt in
		m) mtu=$OPTARG ;;
		v) vid=$OPTARG ;;
		n) name=$OPTARG ;;
		q) quiet=1 ;;
		*) return 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	[ "$(id -u)" = 0 ] || { echo "lab.sh: needs root (ip netns)" >&2; return 1; }
	if [ "$cmd" = up ]; then
		pe_lab_up "$name" "$mtu" "$vid" "$quiet" || return 1
		env | grep '^PE_' | sort
		return 0
	fi
	[ "${1:-}" = -- ] && shift
	[ $# -gt 0 ] || { echo "lab.sh: run needs a command" >&2; return 2; }
	trap 'pe_lab_down "$PE_LAB_NAME"' EXIT
	trap 'exit 130' INT TERM
	pe_lab_up "$name" "$mtu" "$vid" "$quiet" || return 1
	"$@"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	pe_lab_main "$@"
	exit $?
fi
