/* SPDX-License-Identifier: BSD-2-Clause */
/* Readiness for systemd's Type=notify services without linking libsystemd: one datagram to
 * the unix socket systemd names in $NOTIFY_SOCKET (the protocol of sd_notify(3)). */
#ifndef PKTENG_TOOLS_SDNOTIFY_H
#define PKTENG_TOOLS_SDNOTIFY_H

/* Sends `state` ("READY=1", "STOPPING=1", "STATUS=...") to $NOTIFY_SOCKET: a path starting
 * with '/' or an abstract name starting with '@'. Returns 1 when sent, 0 when NOTIFY_SOCKET
 * is unset or empty (not started by systemd: nothing to do), -EAFNOSUPPORT for another
 * kind of address (vsock:...), -EINVAL for a name too long for sockaddr_un or a NULL state,
 * or the negative errno of socket()/sendto(). */
int pe_sd_notify(const char *state);

#endif
