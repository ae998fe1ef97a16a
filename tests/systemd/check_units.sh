#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The systemd units as systemd reads them: `systemd-analyze verify` without a word of
# complaint, the hardening the services rely on, and an exposure score of at most 1.5
# (`systemd-analyze security --offline`). Usage: check_units.sh UNIT_DIR PKTENG_BINARY
# (the units' ExecStart is the installed path; the check points it at PKTENG_BINARY).
set -uo pipefail
units=$1 bin=$(realpath "$2")
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze (Debian: systemd)"; exit 77; }
tmp=$(mktemp -d /tmp/pkteng-units.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for kind in server registry; do
	src=$units/pkteng-$kind@.service
	[ -f "$src" ] || { bad "$src: missing"; continue; }
	grep -q "^ExecStart=/.*/pkteng " "$src" || bad "$src: ExecStart is not an absolute pkteng path"
	# An instance of the template, as `systemctl start pkteng-$kind@5201` loads it.
	unit=$tmp/pkteng-$kind@5201.service
	sed "s|^ExecStart=[^ ]*|ExecStart=$bin|" "$src" >"$unit"
	out=$(cd "$tmp" && systemd-analyze verify --man=no "$unit" 2>&1)
	rc=$?
	[ $rc -eq 0 ] || bad "$kind: systemd-analyze verify exit $rc"
	[ -z "$out" ] || bad "$kind: systemd-analyze verify says: $out"
	for want in Type=notify DynamicUser=yes NoNewPrivileges=yes PrivateTmp=yes \
		ProtectSystem=strict ProtectHome=yes CapabilityBoundingSet= AmbientCapabilities= \
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" "ExecStart=$bin .*--port %i\$"; do
		grep -qx -- "$want" "$unit" || bad "$kind: no line '$want'"
	done
	score=$(cd "$tmp" && systemd-analyze security --offline=yes "$unit" 2>&1 |
		sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	[ -n "$score" ] || bad "$kind: no exposure score from systemd-analyze security"
	(cd "$tmp" && systemd-analyze security --offline=yes --threshold=15 "$unit" >/dev/null 2>&1) ||
		bad "$kind: exposure $score is above 1.5"
	[ $fail -eq 0 ] && echo "pkteng-$kind@.service: verify clean, exposure $score"
done
exit $fail
