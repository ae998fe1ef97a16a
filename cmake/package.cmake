# SPDX-License-Identifier: BSD-2-Clause
# The Debian packages (`tools/package.sh`, docs/building.md): cpack -G DEB makes
#   pkteng_VERSION_ARCH.deb         the command, libpkteng.so.0, suites and whatever else is
#                                   installed without a COMPONENT (the default component)
#   libpkteng-dev_VERSION_ARCH.deb  the headers, libpkteng.pc and the libpkteng.so link
# Their library dependencies come from dpkg-shlibdeps, not from a list kept here. Each
# description's first line is its summary (so no CPACK_PACKAGE_DESCRIPTION_SUMMARY).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pkteng)
set(CPACK_PACKAGE_VENDOR "The pkteng authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL pkteng dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "The pkteng authors")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libpkteng.so.0 ships in the pkteng package: dpkg-shlibdeps finds it there, and the package
# declares it (a shlibs file) for programs built against libpkteng-dev.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR}/lib)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

set(CPACK_DEBIAN_PKTENG_PACKAGE_NAME pkteng)
set(CPACK_DEBIAN_PKTENG_DESCRIPTION "packet engine for Linux: load generator, raw frames, XDP
pkteng measures networks and hosts: TCP and UDP \
client/server workloads on io_uring or epoll, raw Ethernet frames (inject, capture, ethtool \
offloads), an XDP frame counter and transmitter, regression suites with statistics and reports.")
# `pkteng plot` and `pkteng report` draw with gnuplot, run as a program
set(CPACK_DEBIAN_PKTENG_PACKAGE_RECOMMENDS gnuplot-nox)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libpkteng-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DEPENDS pkteng)
set(CPACK_DEBIAN_DEV_DESCRIPTION "pkteng's library: development files
libpkteng is pkteng's event loop (io_uring and epoll backends) and its raw Ethernet frames, \
CRC32, AF_PACKET inject and capture and ethtool offloads. This package has the headers \
(include/pkteng), libpkteng.pc for pkg-config and the link for -lpkteng.")
include(CPack)
