#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Runs one udp test in a network namespace of its own (so /proc/net/snmp counts only it):
#   udp_snmp.sh PKTENG OUT.json CLIENT-OPTIONS...
# prints the Udp counters' deltas as NAME=VALUE lines; the client's record goes to OUT.json
# and its exit status is this script's.
set -u
bin=$1 out=$2
shift 2
ip link set lo up || exit 99
"$bin" server --bind 127.0.0.1 -p 5201 -q &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null' EXIT
i=0
while [ -z "$(ss -Htln 'sport = :5201')" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
snmp() { awk '/^Udp:/ { n++; if (n == 1) split($0, k); else split($0, v) }
	END { for (i = 2; i <= length(k); i++) print k[i], v[i] }' /proc/net/snmp; }
snmp >"$out.before"
"$bin" client 127.0.0.1 -p 5201 --mode udp "$@" >"$out" 2>"$out.err"
rc=$?
snmp | awk -v f="$out.before" 'BEGIN { while ((getline l < f) > 0) { split(l, a, " "); b[a[1]] = a[2] } }
	{ print $1 "=" $2 - b[$1] }'
exit $rc
