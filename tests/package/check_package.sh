#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The Debian packages, end to end: tools/package.sh builds them from a clean clone of SRC's
# HEAD, apt-get installs them on this machine, the installed files alone run (pkteng
# --version, a shipped suite, a program built with pkg-config against libpkteng, and the man
# pages, completion and units when the packages have them), then dpkg --purge removes them and
# nothing they installed is left. Root only (exit 77 otherwise); refuses (77) to touch a pkteng
# that was installed before. Usage: check_package.sh SRC_DIR
set -uo pipefail
src=$(readlink -f "$1")
fail() {
	echo "check_package: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (installs packages)"; exit 77; }
for p in pkteng libpkteng-dev; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'installed'; then
		echo "SKIP: $p is installed already; this test would remove it"
		exit 77
	fi
done
tmp=$(mktemp -d /tmp/pkteng-package.XXXXXX) || exit 1
installed=0
cleanup() {
	[ "$installed" = 1 ] && dpkg --purge libpkteng-dev pkteng >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

git clone -q "$src" "$tmp/src" || fail "git clone $src failed"
head=$(git -C "$tmp/src" rev-parse HEAD)
debs=$("$tmp/src/tools/package.sh" "$tmp/build" 2>"$tmp/package.err") ||
	fail "tools/package.sh failed: $(tail -5 "$tmp/package.err")"
version=$(sed -n 's/^project(pkteng VERSION \([0-9.]*\).*/\1/p' "$tmp/src/CMakeLists.txt")
arch=$(dpkg --print-architecture)
want="$tmp/build/libpkteng-dev_${version}_$arch.deb
$tmp/build/pkteng_${version}_$arch.deb"
[ "$debs" = "$want" ] || fail "tools/package.sh printed: $debs; wanted: $want"

# dependencies from dpkg-shlibdeps: the libraries pkteng links, by their Debian packages
depends=$(dpkg-deb -f "$tmp/build/pkteng_${version}_$arch.deb" Depends)
for lib in liburing2 libjson-c5 libc6 libpcap0.8; do
	grep -q "\b$lib (>= " <<<"$depends" || fail "pkteng does not depend on $lib: $depends"
done
[ "$(dpkg-deb -f "$tmp/build/libpkteng-dev_${version}_$arch.deb" Depends)" = \
	"pkteng (= $version)" ] || fail "libpkteng-dev does not depend on pkteng (= $version)"

installed=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $debs \
	>"$tmp/apt.log" 2>&1 || fail "apt-get install: $(tail -5 "$tmp/apt.log")"
dpkg -L pkteng libpkteng-dev | sort -u >"$tmp/files"
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for f in /usr/bin/pkteng /usr/lib/$ma/libpkteng.so.0 /usr/lib/$ma/libpkteng.so \
	/usr/lib/$ma/pkgconfig/libpkteng.pc /usr/include/pkteng/pkteng.h \
	/usr/include/pkteng/engine/loop.h /usr/include/pkteng/raw/frame.h \
	/usr/share/pkteng/suites/quick.ini /usr/share/doc/pkteng/copyright; do
	grep -qx "$f" "$tmp/files" || fail "not in the packages (dpkg -L): $f"
	[ -e "$f" ] || fail "listed but missing: $f"
done

# the installed files alone
cd "$tmp" || exit 1
[ "$(command -v pkteng)" = /usr/bin/pkteng ] || fail "pkteng on PATH is $(command -v pkteng)"
ver=$(pkteng --version) || fail "pkteng --version failed"
[ "$(head -1 <<<"$ver")" = "pkteng $version (git $head)" ] ||
	fail "--version: $(head -1 <<<"$ver"), wanted pkteng $version (git $head)"
grep -q '^xdp:       built' <<<"$ver" || fail "the package's pkteng has no XDP: $ver"
out=$(pkteng suite quick --plan 2>&1) || fail "pkteng suite quick --plan: $out"
[ "$(pkg-config --modversion libpkteng)" = "$version" ] || fail "pkg-config libpkteng"
[ "$(pkg-config --variable=prefix libpkteng)" = /usr ] || fail "libpkteng.pc prefix not /usr"
cc -Wall -Wextra -Werror -O2 "$tmp/src/tests/lib/consumer.c" \
	$(pkg-config --cflags --libs libpkteng) -o consumer || fail "consumer.c does not build"
./consumer epoll >got 2>&1 && [ "$(head -1 got)" = "echo over epoll: 16 bytes: hello, libpkteng" ] ||
	fail "consumer: $(cat got)"
loaded=$(ldd consumer | awk '$1 == "libpkteng.so.0" { print $3 }')
[ -n "$loaded" ] && [ "$(readlink -f "$loaded")" = "$(readlink -f /usr/lib/$ma/libpkteng.so.0)" ] ||
	fail "consumer loads libpkteng from ${loaded:-nowhere}, not the package's"

# what other parts of the build install, checked when the packages have them
if grep -q '^/usr/share/man/man8/pkteng\.8' "$tmp/files"; then
	command -v man >/dev/null && { man -w pkteng >/dev/null || fail "man -w pkteng"; }
fi
comp=$(grep -m1 '^/usr/share/bash-completion/completions/pkteng$' "$tmp/files")
if [ -n "$comp" ]; then
	bash -c ". '$comp' && complete -p pkteng" >/dev/null 2>&1 || fail "$comp defines no completion"
fi
while read -r unit; do
	if command -v systemd-analyze >/dev/null; then
		systemd-analyze verify "$unit" >/dev/null 2>&1 || fail "systemd-analyze verify $unit"
	fi
done < <(grep '^/lib/systemd/system/.*\.service$\|^/usr/lib/systemd/system/.*\.service$' "$tmp/files")

# removed cleanly: nothing the packages listed is left but shared folders
dpkg --purge libpkteng-dev pkteng >"$tmp/purge.log" 2>&1 || fail "dpkg --purge: $(cat "$tmp/purge.log")"
installed=0
left=""
while read -r f; do
	[ -e "$f" ] && ! [ -d "$f" ] && left="$left $f"
done <"$tmp/files"
for d in /usr/include/pkteng /usr/share/pkteng /usr/share/doc/pkteng /usr/share/doc/libpkteng-dev; do
	[ -e "$d" ] && left="$left $d"
done
[ -z "$left" ] || fail "left after dpkg --purge:$left"
dpkg-query -W pkteng >/dev/null 2>&1 && fail "dpkg still knows pkteng"
echo "check_package: built $(basename -a $debs | tr '\n' ' ')from $head, installed, ran, purged"
exit 0
