#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The namespace lab for scripts: `pkteng lab` (lab/netlab.c, the code the C tests use too)
# builds two namespaces joined by a veth pair; this wraps it for shell scripts. Usage:
#   lab.sh run [-m MTU] [-v VID] [-q] -- CMD...   build a lab, run CMD with PE_* variables, remove it
#   lab.sh up  [-m MTU] [-v VID] [-q] [-n NAME]    build a lab and print its PE_* variables
#   lab.sh down NAME                               remove the lab NAME (namespaces NAMEa, NAMEb)
# Sourced (`. tests/lab/lab.sh`), it defines pe_lab_up/pe_lab_down for scripts that use trap.
# Exported: PE_NS_A PE_NS_B PE_IF_A PE_IF_B PE_MAC_A PE_MAC_B PE_IP4_A PE_IP4_B PE_IP6_A PE_IP6_B
# (and PE_VLAN_IF_A/B, PE_VLAN_IP4_A/B with -v).

# The pkteng that builds the lab: $PE_PKTENG, else the build next to this tree.
pe_lab_bin() {
	echo "${PE_PKTENG:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/pkteng}"
}

pe_lab_down() {
	local name=${1:-${PE_LAB_NAME:-}}
	[ -n "$name" ] || return 0
	"$(pe_lab_bin)" lab down "$name" 2>/dev/null
	return 0
}

# pe_lab_up NAME MTU VID QUIET: `pkteng lab up` owned by this shell (or $PE_LAB_OWNER: the lab
# is removed as stale by the next `pkteng lab` once that process is gone); sets and exports the PE_*
# variables. QUIET=1: no IPv6 on the veths. GRO stays off unless PE_LAB_GRO=1.
pe_lab_up() {
	local name=$1 mtu=${2:-0} vid=${3:-0} quiet=${4:-0} out v
	local args=(lab up "$name" --env --owner "${PE_LAB_OWNER:-$$}")
	[ "$mtu" = 0 ] || args+=(--mtu "$mtu")
	[ "$vid" = 0 ] || args+=(--vlan "$vid")
	[ "$quiet" = 1 ] || args+=(--v6)
	[ "${PE_LAB_GRO:-0}" = 1 ] || args+=(--no-gro)
	pe_lab_down "$name"
	out=$("$(pe_lab_bin)" "${args[@]}") || { echo "lab: setting up $name failed" >&2; return 1; }
	for v in $out; do
		export "${v?}"
	done
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
		PE_LAB_OWNER=$PPID pe_lab_up "$name" "$mtu" "$vid" "$quiet" || return 1
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
