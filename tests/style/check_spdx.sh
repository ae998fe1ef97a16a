#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Fails, naming each file, when a tracked source, header, script or build file does not start
# with its SPDX-License-Identifier line (the second line after a shebang). The BPF programs must
# say "GPL-2.0-only OR BSD-2-Clause" and carry "Dual BSD/GPL" as their license string, in the
# source and, when a build folder is given, in the compiled objects.
# Usage: check_spdx.sh [BUILD_DIR]    (from the top of a git checkout)
#        check_spdx.sh --self-test    (the check must fail on a tree with a bad file)
set -uo pipefail

if [ "${1:-}" = --self-test ]; then
	me=$(readlink -f "$0")
	t=$(mktemp -d)
	trap 'rm -rf "$t"' EXIT
	cd "$t" && git init -q . || exit 1
	printf '/* SPDX-License-Identifier: BSD-2-Clause */\nint a;\n' >good.c
	printf '#!/bin/sh\n# SPDX-License-Identifier: BSD-2-Clause\ntrue\n' >good.sh
	printf '/* a file without its line */\nint b;\n' >bad.c
	printf '#!/bin/sh\ntrue\n# SPDX-License-Identifier: BSD-2-Clause\n' >late.sh
	mkdir ebpf && printf '/* SPDX-License-Identifier: BSD-2-Clause */\nchar l[] = "GPL";\n' \
		>ebpf/x.bpf.c
	git add -A
	out=$("$me" 2>&1)
	rc=$?
	want="missing SPDX line: bad.c
BPF program not GPL-2.0-only OR BSD-2-Clause: ebpf/x.bpf.c
BPF license string not \"Dual BSD/GPL\": ebpf/x.bpf.c
missing SPDX line: late.sh
check_spdx: 5 files, 4 problems"
	if [ "$rc" -ne 1 ] || [ "$out" != "$want" ]; then
		printf 'self-test: rc %s, output:\n%s\nwanted rc 1 and:\n%s\n' "$rc" "$out" "$want"
		exit 1
	fi
	echo "check_spdx self-test: the check fails on 4 problems in a bad tree, as it should"
	exit 0
fi

build=${1:-}
bad=0
n=0
dual="GPL-2.0-only OR BSD-2-Clause"
while IFS= read -r -d '' f; do
	[ -f "$f" ] || continue
	first=$(head -c 2 "$f")
	case "$f" in
	*.c | *.h | *.cc | *.cmake | *CMakeLists.txt | *.py | *.sh | *.bash | *.ini | *.in) ;;
	*) [ "$first" = "#!" ] || continue ;;
	esac
	n=$((n + 1))
	if [ "$first" = "#!" ]; then
		line=$(sed -n 2p "$f")
	else
		line=$(sed -n 1p "$f")
	fi
	if ! [[ "$line" =~ SPDX-License-Identifier:\ ([A-Za-z0-9.+ -]*[A-Za-z0-9.+]) ]]; then
		echo "missing SPDX line: $f"
		bad=$((bad + 1))
		continue
	fi
	case "$f" in
	ebpf/*.bpf.c)
		if [ "${BASH_REMATCH[1]}" != "$dual" ]; then
			echo "BPF program not $dual: $f"
			bad=$((bad + 1))
		fi
		if ! grep -q 'SEC("license") = "Dual BSD/GPL"' "$f"; then
			echo "BPF license string not \"Dual BSD/GPL\": $f"
			bad=$((bad + 1))
		fi
		;;
	esac
done < <(git ls-files -z)
if [ "$n" -eq 0 ]; then
	echo "check_spdx: no files found (not a git checkout?)"
	exit 1
fi
if [ -n "$build" ] && [ -d "$build/ebpf" ]; then
	for o in "$build"/ebpf/*.bpf.o; do
		[ -f "$o" ] || continue
		if ! readelf -p license "$o" 2>/dev/null | grep -q 'Dual BSD/GPL'; then
			echo "BPF object's license section not \"Dual BSD/GPL\": $o"
			bad=$((bad + 1))
		fi
	done
fi
echo "check_spdx: $n files, $bad problems"
[ "$bad" -eq 0 ]
