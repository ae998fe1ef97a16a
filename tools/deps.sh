# SPDX-License-Identifier: BSD-2-Clause
# Sourced by tools/quickstart.sh and tests/run.sh: installs the Debian 12 packages pkteng
# needs, and runs apt-get only when something is missing. Usage: pe_deps tool|package|build|test|bench
# tool: what the pkteng command, libpkteng, its man pages and completion build from
# (-DPKTENG_TESTS=OFF -DPKTENG_BENCH=OFF); package: that and what tools/package.sh needs
# (dpkg-shlibdeps); build: everything.
pe_deps_tool="build-essential cmake pkg-config liburing-dev libpcap-dev libjson-c-dev libssl-dev
	libinih-dev zlib1g-dev libbpf-dev libelf-dev libgsl-dev clang llvm bpftool libxdp-dev scdoc
	bash-completion"
pe_deps_package="$pe_deps_tool dpkg-dev file"
pe_deps_build="$pe_deps_tool libisal-dev libbenchmark-dev libcriterion-dev iproute2 ethtool
	gnuplot-nox"
pe_deps_test="$pe_deps_build dpkg-dev file tshark tcpdump xdp-tools python3 python3-scapy
	python3-jsonschema clang-format openssh-client openssh-server chromium systemd nftables
	libclang-rt-14-dev"
pe_deps_bench="$pe_deps_test iperf3 sockperf netsniff-ng time"

pe_deps() {
	local want missing="" p
	case "$1" in
	tool) want=$pe_deps_tool ;;
	package) want=$pe_deps_package ;;
	build) want=$pe_deps_build ;;
	test) want=$pe_deps_test ;;
	bench) want=$pe_deps_bench ;;
	*) echo "pe_deps: unknown set '$1'" >&2; return 2 ;;
	esac
	for p in $want; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "pkteng: missing Debian packages:$missing (run as root to install them)" >&2
		return 1
	fi
	echo "Installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null
}

# pe_build DIR [cmake args...]: configure once, then build everything with all cores.
pe_build() {
	local dir=$1
	shift
	cmake -S "$PE_TOP" -B "$dir" "$@" >/dev/null && cmake --build "$dir" -j "$(nproc)"
}
