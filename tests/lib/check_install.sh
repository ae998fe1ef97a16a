#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `cmake --install` into a temporary prefix, then, with the build and source trees hidden
# under empty mounts (a private mount namespace), the installed files alone: pkteng --version,
# a shipped suite, libpkteng through pkg-config (consumer.c: an echo over the loop and a frame
# checked byte for byte against a Python oracle), and the XDP counter attached in a
# namespace lab. Root only (exit 77 otherwise). Usage: check_install.sh BUILD_DIR SRC_DIR XDP
set -uo pipefail
if [ "${1:-}" = --inside ]; then
	shift
	inside=1
else
	inside=0
fi
build=$(readlink -f "$1") src=$(readlink -f "$2") xdp=$3
fail() {
	echo "check_install: $*" >&2
	exit 1
}

if [ "$inside" = 0 ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (mount namespace, network namespaces)"; exit 77; }
	tmp=$(mktemp -d /tmp/pkteng-install.XXXXXX) || exit 1
	trap 'rm -rf "$tmp"' EXIT
	cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" ||
		fail "cmake --install failed: $(tail -3 "$tmp/install.log")"
	cp "$0" "$src/tests/lab/lab.sh" "$src/tests/lib/consumer.c" "$tmp/" || exit 1
	git -C "$src" rev-parse HEAD >"$tmp/head" 2>/dev/null || echo unknown >"$tmp/head"
	# everything below sees neither tree: what it needs must have been installed
	exec unshare --mount --propagation private bash -c \
		'mount -t tmpfs none "$1" && mount -t tmpfs none "$2" && cd "$3" &&
		 exec bash "$3/check_install.sh" --inside "$1" "$2" "$4" "$3"' \
		_ "$build" "$src" "$tmp" "$xdp"
fi

tmp=$4 P=$4/prefix
cd "$tmp" || exit 1
for d in "$build" "$src"; do
	[ ! -e "$d" ] || [ -z "$(ls -A "$d")" ] || fail "$d is not hidden"
done
for f in bin/pkteng share/pkteng/suites/quick.ini share/pkteng/suites/regress.ini \
	share/pkteng/suites/loopback.ini include/pkteng/pkteng.h include/pkteng/engine/loop.h \
	include/pkteng/raw/frame.h share/doc/pkteng/copyright; do
	[ -f "$P/$f" ] || fail "not installed: $f"
done
lib=$(ls "$P"/lib*/libpkteng.so.0 "$P"/lib/*/libpkteng.so.0 2>/dev/null | head -1)
[ -n "$lib" ] || fail "not installed: libpkteng.so.0"
libdir=$(dirname "$lib")
[ -L "$libdir/libpkteng.so" ] && [ -f "$libdir/pkgconfig/libpkteng.pc" ] ||
	fail "no libpkteng.so link or libpkteng.pc in $libdir"

# pkteng itself, with the library it was installed with
loaded=$(ldd "$P/bin/pkteng" | awk '$1 == "libpkteng.so.0" { print $3 }')
[ -n "$loaded" ] && [ "$(readlink -f "$loaded")" = "$(readlink -f "$lib")" ] ||
	fail "pkteng does not load $lib: $(ldd "$P/bin/pkteng" | grep pkteng)"
ver=$("$P/bin/pkteng" --version) || fail "pkteng --version failed"
head=$(cat head)
[[ "$(head -1 <<<"$ver")" =~ ^pkteng\ [0-9]+\.[0-9]+\.[0-9]+\ \(git\ ${head}(-dirty)?\)$ ]] ||
	fail "--version first line: $(head -1 <<<"$ver") (HEAD $head)"
grep -q '^           multishot recv yes$' <<<"$ver" || fail "--version: no multishot recv: $ver"
if [ "$xdp" = ON ]; then
	grep -q '^xdp:       built (counter and sender), libbpf 1\.' <<<"$ver" ||
		fail "--version: XDP not built: $ver"
fi
out=$("$P/bin/pkteng" suite quick --plan 2>&1) || fail "suite quick --plan: $out"
grep -q 'rr' <<<"$out" || fail "suite quick --plan printed no rr run: $out"

# libpkteng from outside, through pkg-config only
export PKG_CONFIG_PATH=$libdir/pkgconfig
flags=$(pkg-config --cflags --libs libpkteng) || fail "pkg-config libpkteng failed"
[ "$(pkg-config --modversion libpkteng)" = "$(sed -n '1s/^pkteng \([0-9.]*\) .*/\1/p' <<<"$ver")" ] ||
	fail "libpkteng.pc version $(pkg-config --modversion libpkteng) is not pkteng's"
cc -Wall -Wextra -Werror -O2 consumer.c $flags -Wl,-rpath,"$libdir" -o consumer ||
	fail "consumer.c does not build with: $flags"
python3 - >want <<'PY'
import struct, zlib
def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
src, dst, payload = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]), b'\xab' * 18
udp = struct.pack('!HHHH', 9, 9, 8 + len(payload), 0) + payload
udp = udp[:6] + struct.pack('!H', csum(src + dst + struct.pack('!BBH', 0, 17, len(udp)) + udp)) + udp[8:]
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0x1234, 0, 64, 17, 0, src, dst)
ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
f = bytes.fromhex('020000000002' '020000000001' '0800') + ip + udp
fcs = zlib.crc32(f)
f += struct.pack('<I', fcs)
print('frame %d bytes, fcs %08x:' % (len(f), fcs))
for i in range(0, len(f), 16):
    print(f[i:i + 16].hex())
PY
for be in uring epoll; do
	./consumer $be >got 2>&1 || fail "consumer $be: $(cat got)"
	name=$([ $be = uring ] && echo io_uring || echo epoll)
	[ "$(head -1 got)" = "echo over $name: 16 bytes: hello, libpkteng" ] ||
		fail "consumer $be echo: $(head -1 got)"
	tail -n +2 got | sed 's/ ([a-z]*):$/:/' >frame
	diff -u want frame >&2 || fail "consumer $be: the frame differs from the oracle's"
done
echo "check_install: installed pkteng, suites and libpkteng work without the build tree"

[ "$xdp" = ON ] || { echo "check_install: XDP not built, not tried"; exit 0; }
export PE_PKTENG="$P/bin/pkteng" # the installed pkteng builds the lab
. ./lab.sh
name=inst$$
trap 'pe_lab_down "$name"' EXIT
pe_lab_up "$name" 0 0 1 || fail "the namespace lab did not come up"
ip netns exec "$PE_NS_B" "$P/bin/pkteng" xdp run --dev "$PE_IF_B" -t 4 --json >xdp.json \
	2>xdp.err &
pid=$!
for _ in $(seq 50); do
	ip -n "$PE_NS_B" link show "$PE_IF_B" 2>/dev/null | grep -q ' xdp' && break
	sleep 0.1
done
ip -n "$PE_NS_B" link show "$PE_IF_B" 2>/dev/null | grep -q ' xdp' || fail "xdp run did not attach: $(cat xdp.err)"
ip netns exec "$PE_NS_A" "$P/bin/pkteng" inject --dev "$PE_IF_A" -n 100 >inject.out 2>&1 ||
	fail "inject: $(cat inject.out)"
wait $pid || fail "xdp run: $(cat xdp.err)"
got=$(python3 -c 'import json,sys; s=json.load(open("xdp.json"))["summary"]
print(s["rx_frames"], s["l4"]["udp"]["rx_frames"], s["rx_bytes_l2"])') || fail "xdp.json"
[ "$got" = "100 100 6000" ] || fail "the XDP counter saw frames udp bytes = $got, not 100 100 6000"
echo "check_install: the installed XDP counter counted the 100 frames sent to it"
