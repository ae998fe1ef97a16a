/* SPDX-License-Identifier: BSD-2-Clause */
/* A scripted peer for the workload tests: speaks the control protocol itself (length-prefixed
 * JSON on TCP, workload/proto.h) so a test can send what no pkteng client would. */
#ifndef PKTENG_TESTS_WORKLOADS_PEER_H
#define PKTENG_TESTS_WORKLOADS_PEER_H

#include <json-c/json.h>
#include <stdint.h>

/* A connected loopback socket of type SOCK_STREAM or SOCK_DGRAM to port (asserts). */
int pe_peer_dial(uint16_t port, int type);
/* Sends one control message (asserts). */
void pe_peer_send(int fd, const char *json);
/* The next control message (caller puts), asserting it comes within timeout_ms. */
struct json_object *pe_peer_recv(int fd, int timeout_ms);

#endif
